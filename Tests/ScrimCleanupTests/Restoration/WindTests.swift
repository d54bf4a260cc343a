import Foundation
import Testing
@testable import ScrimCleanup
import ScrimCore

/// The rumble high-pass: its measured response against the Butterworth design, and the processor contract.
@Suite("RumbleFilter")
struct WindRumbleFilterTests {
    /// The amplitude of a sine of `hertz` in `y[range]` by least squares on cos and sin (exact for a pure sine,
    /// whatever the number of cycles).
    static func amplitude(_ y: [Float], hertz: Double, sampleRate: Double, range: Range<Int>) -> Double {
        var cc = 0.0, ss = 0.0, cs = 0.0, yc = 0.0, ys = 0.0
        for n in range {
            let w = 2 * Double.pi * hertz * Double(n) / sampleRate
            let c = cos(w), s = sin(w), v = Double(y[n])
            cc += c * c; ss += s * s; cs += c * s; yc += v * c; ys += v * s
        }
        let det = cc * ss - cs * cs
        let a = (yc * ss - ys * cs) / det, b = (ys * cc - yc * cs) / det
        return (a * a + b * b).squareRoot()
    }

    /// The digital Butterworth magnitude (see RumbleFilter's design note), dB.
    static func butterworthDecibels(hertz: Double, corner: Double, order: Int, sampleRate: Double) -> Double {
        let ratio = tan(Double.pi * corner / sampleRate) / tan(Double.pi * hertz / sampleRate)
        return -10 * log10(1 + pow(ratio, Double(2 * order)))
    }

    static func measuredDecibels(corner: Double, slope: Int, hertz: Double, sampleRate: Double,
                                 phase: RumblePhase = .minimum) throws -> Double {
        let n = Int(sampleRate * 1.5)
        let x = (0..<n).map { Float(0.5 * sin(2 * Double.pi * hertz * Double($0) / sampleRate)) }
        let filter = RumbleFilter(settings: RumbleFilterSettings(cornerHertz: corner, slopeDecibelsPerOctave: slope,
                                                                 phase: phase))
        let y = try WindSignals.run(filter, [x], sampleRate: sampleRate)[0]
        // Skip the first second: the slowest pole (order 8, corner 40 Hz) decays by e in under 0.1 s.
        let range = Int(sampleRate)..<n
        return 20 * log10(amplitude(y, hertz: hertz, sampleRate: sampleRate, range: range)
                          / amplitude(x, hertz: hertz, sampleRate: sampleRate, range: range))
    }

    /// −3.01 dB at the corner and the design's level an octave below (≈ 6·N dB down), measured with sines.
    /// Tolerance 0.02 dB: the design is exact (bilinear with pre-warping), the sections' outputs are rounded to
    /// Float (about −140 dB re the signal) and the fit is exact for a sine, so only the decaying start-up
    /// transient (skipped) and rounding remain; 0.02 dB is ten times what a 1 % coefficient error would give at
    /// the corner of an order-2 filter... well above rounding, well below any design mistake (a wrong Q moves the
    /// corner level by tenths of a dB).
    @Test(arguments: [(80.0, 12, 48_000.0), (80.0, 24, 44_100.0), (120.0, 18, 96_000.0), (40.0, 48, 48_000.0),
                      (100.0, 6, 48_000.0)])
    func cornerAndSlope(corner: Double, slope: Int, sampleRate: Double) throws {
        let order = slope / 6
        let atCorner = try Self.measuredDecibels(corner: corner, slope: slope, hertz: corner, sampleRate: sampleRate)
        #expect(abs(atCorner - -10 * log10(2.0)) < 0.02, "corner level \(atCorner) dB")
        let below = try Self.measuredDecibels(corner: corner, slope: slope, hertz: corner / 2, sampleRate: sampleRate)
        let expected = Self.butterworthDecibels(hertz: corner / 2, corner: corner, order: order,
                                                sampleRate: sampleRate)
        #expect(abs(below - expected) < 0.02, "octave below: \(below) dB, design \(expected) dB")
        // The design's own figure is the slope: within 0.3 dB of 6·N dB an octave below (the Butterworth
        // 10·log10(1 + 2^(2N)) exceeds 6.02·N by at most 0.97 dB for N = 1 and 0.26 dB for N ≥ 2).
        #expect(abs(-expected - 6.0206 * Double(order)) < (order == 1 ? 1.0 : 0.3), "design \(expected)")
        // Well above the corner the voice passes: at 8 × the corner, within 0.01 dB × 2^(−2N·3)… under 0.3 dB.
        let above = try Self.measuredDecibels(corner: corner, slope: slope, hertz: corner * 8, sampleRate: sampleRate)
        #expect(above < 0.01 && above > -0.3, "8 × corner: \(above) dB")
    }

    /// The designed response (magnitudeDecibels) is the Butterworth formula to 1e-6 dB (double precision).
    @Test func designMatchesFormula() throws {
        let filter = RumbleFilter(settings: RumbleFilterSettings(cornerHertz: 80, slopeDecibelsPerOctave: 30,
                                                                 phase: .minimum))
        try filter.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 1, maximumBlockFrames: 64))
        for f in [20.0, 40, 80, 160, 1000, 10_000] {
            let expected = Self.butterworthDecibels(hertz: f, corner: 80, order: 5, sampleRate: 48_000)
            #expect(abs(filter.magnitudeDecibels(atHertz: f) - expected) < 1e-6)
        }
    }

    /// Phase: no latency, an impulse starts at frame 0, and the stated group delays (doc comment) hold to 0.1 ms.
    @Test func phaseAndLatency() throws {
        let filter = RumbleFilter(settings: RumbleFilterSettings(phase: .minimum))
        #expect(filter.latencyFrames == 0)
        var impulse = [Float](repeating: 0, count: 4800)
        impulse[0] = 1
        let y = try WindSignals.run(filter, [impulse], sampleRate: 48_000)[0]
        #expect(y[0] > 0.9, "the impulse comes out at frame 0 (b0 ≈ 0.993)")
        let at80 = filter.groupDelaySeconds(atHertz: 80), at160 = filter.groupDelaySeconds(atHertz: 160)
        let at1k = filter.groupDelaySeconds(atHertz: 1000)
        #expect(abs(at80 - 0.0028) < 0.0001, "group delay at 80 Hz: \(at80 * 1000) ms")
        #expect(abs(at160 - 0.0008) < 0.0001, "group delay at 160 Hz: \(at160 * 1000) ms")
        #expect(at1k < 0.00002, "group delay at 1 kHz: \(at1k * 1000) ms")
    }

    /// Both phases: any block split gives bit-identical output; reset equals a fresh filter.
    @Test(arguments: RumblePhase.allCases)
    func splitInvarianceAndReset(phase: RumblePhase) throws {
        let x = WindSignals.sum(WindSignals.speech(frameCount: 48_000, sampleRate: 48_000),
                                WindSignals.lowNoise(frameCount: 48_000, sampleRate: 48_000, rmsDecibelsFS: -20, seed: 3))
        let settings = RumbleFilterSettings(cornerHertz: 90, slopeDecibelsPerOctave: 24, phase: phase)
        let whole = try WindSignals.run(RumbleFilter(settings: settings), [x, x.reversed()], sampleRate: 48_000)
        let filter = RumbleFilter(settings: settings)
        let split = try WindSignals.run(filter, [x, x.reversed()], sampleRate: 48_000, blocks: [1, 7, 333, 4096, 2])
        #expect(split == whole)
        filter.reset()
        let again = filter.processAligned(AudioBuffer(channels: [x, x.reversed()]), blockFrames: [4096])
        #expect(again.channelArrays() == whole)
    }

    /// Linear phase: the measured response against the design at the corner and an octave below. The STFT applies
    /// the design's gain at each bin centre (2.9 Hz apart at 48 kHz); a sine between bins takes a window-weighted
    /// mix of its neighbours' gains, so the measured level departs from the design by about the gain curve's
    /// curvature across one bin: at the corner of an order-N filter the level changes by 6·N dB per octave, i.e.
    /// 6·N × 2.9 / (80 · ln 2) ≈ 0.32·N dB per bin, and its curvature there moves a two-bin average by a small
    /// fraction of that. Tolerance: 0.15 dB for N ≤ 4 (about half of the steepest case's per-bin step).
    @Test(arguments: [(80.0, 12, 48_000.0), (80.0, 24, 44_100.0), (120.0, 18, 96_000.0), (60.0, 12, 48_000.0)])
    func linearPhaseCornerAndSlope(corner: Double, slope: Int, sampleRate: Double) throws {
        let order = slope / 6
        let atCorner = try Self.measuredDecibels(corner: corner, slope: slope, hertz: corner, sampleRate: sampleRate,
                                                 phase: .linear)
        #expect(abs(atCorner - -10 * log10(2.0)) < 0.15, "corner level \(atCorner) dB")
        let below = try Self.measuredDecibels(corner: corner, slope: slope, hertz: corner / 2, sampleRate: sampleRate,
                                              phase: .linear)
        let expected = Self.butterworthDecibels(hertz: corner / 2, corner: corner, order: order,
                                                sampleRate: sampleRate)
        #expect(abs(below - expected) < 0.15, "octave below: \(below) dB, design \(expected) dB")
        let above = try Self.measuredDecibels(corner: corner, slope: slope, hertz: corner * 8, sampleRate: sampleRate,
                                              phase: .linear)
        #expect(abs(above) < 0.3, "8 × corner: \(above) dB")
    }

    /// Linear phase keeps the waveform above the corner: speech-like input with its energy above 100 Hz comes out
    /// aligned and unchanged but for its lowest harmonic's small cut (SI-SDR over 25 dB, where minimum phase turns
    /// the 120 Hz fundamental by about 60° and lands near 10 dB), and the latency is the STFT's, compensated.
    @Test func linearPhaseKeepsTheWaveform() throws {
        let x = WindSignals.speech(frameCount: 96_000, sampleRate: 48_000, fundamentalHertz: 120)
        let linear = RumbleFilter(settings: RumbleFilterSettings(cornerHertz: 80, slopeDecibelsPerOctave: 12))
        let y = try WindSignals.run(linear, [x], sampleRate: 48_000)[0]
        #expect(linear.latencyFrames == 16382)
        #expect(linear.groupDelaySeconds(atHertz: 160) == 0)
        let minimum = try WindSignals.run(RumbleFilter(settings: RumbleFilterSettings(phase: .minimum)), [x],
                                          sampleRate: 48_000)[0]
        let linearSDR = WindSignals.siSDR(y, reference: x), minimumSDR = WindSignals.siSDR(minimum, reference: x)
        #expect(linearSDR > 25 && linearSDR > minimumSDR + 10, "linear \(linearSDR) dB, minimum \(minimumSDR) dB")
    }

    /// The linear-phase STFT stays within the FFT sizes Scrim plans at every sample rate it accepts.
    @Test func linearPhaseWorksAtEveryRate() throws {
        for rate in [8_000.0, 44_100, 192_000, 384_000, 768_000] {
            #expect(RumbleFilterSettings.linearPhaseFFTSize(forSampleRate: rate) <= 65536)
            let filter = RumbleFilter(settings: RumbleFilterSettings(cornerHertz: 80))
            try filter.prepare(for: ProcessSpec(sampleRate: rate, channelCount: 1, maximumBlockFrames: 512))
        }
    }

    @Test func refusesBadSettings() {
        let spec = ProcessSpec(sampleRate: 48_000, channelCount: 1, maximumBlockFrames: 64)
        #expect(throws: ScrimError.self) { try RumbleFilter(settings: RumbleFilterSettings(slopeDecibelsPerOctave: 10)).prepare(for: spec) }
        #expect(throws: ScrimError.self) { try RumbleFilter(settings: RumbleFilterSettings(cornerHertz: 5)).prepare(for: spec) }
        let low = ProcessSpec(sampleRate: 2000, channelCount: 1, maximumBlockFrames: 64)
        #expect(throws: ScrimError.self) { try RumbleFilter(settings: RumbleFilterSettings(cornerHertz: 900)).prepare(for: low) }
    }
}

/// Wind reduction: contract, untouched clean input, gusts found and cut, the low voice and coherent rumble left.
@Suite("WindReducer")
struct WindReducerTests {
    static let rate = 48_000.0

    /// Speech with three 0.8 s gusts at 1.2, 2.6 and 4.0 s (wind at −12 dBFS RMS before its envelope).
    static func windy(seconds: Double = 5.5, seed: UInt64 = 7, fundamental: Double = 120) -> (clean: [Float], wind: [Float]) {
        let n = Int(rate * seconds)
        let clean = WindSignals.speech(frameCount: n, sampleRate: rate, fundamentalHertz: fundamental)
        let noise = WindSignals.lowNoise(frameCount: n, sampleRate: rate, rmsDecibelsFS: -12, seed: seed)
        let envelope = WindSignals.gusts(frameCount: n, sampleRate: rate, starts: [1.2, 2.6, 4.0], seconds: 0.8)
        return (clean, WindSignals.product(noise, envelope))
    }

    /// Clean speech-like input comes out untouched: SI-SDR ≥ 60 dB (the STFT round trip's float rounding is
    /// near 130 dB; any cut of the low band by even 0.1 dB in voiced frames would bring it under 60), no gust.
    @Test(arguments: [44_100.0, 48_000.0, 96_000.0])
    func cleanSpeechUntouched(sampleRate: Double) throws {
        let x = WindSignals.speech(frameCount: Int(sampleRate * 4), sampleRate: sampleRate, fundamentalHertz: 110)
        let reducer = WindReducer()
        let y = try WindSignals.run(reducer, [x], sampleRate: sampleRate)[0]
        let sdr = WindSignals.siSDR(y, reference: x)
        #expect(sdr >= 60, "SI-SDR \(sdr) dB")
        let report = try #require(reducer.report)
        #expect(report.tracks[0].gustCount == 0)
        #expect(report.tracks[0].deepestCutDecibels < 0.1)
    }

    /// A steady low voice (fundamental 85 Hz, no pauses after its onset, strong harmonics in the wind band) is not
    /// wind: its low band rises 60 dB above the lead-in's floor but its harmonics are peaks, not a flat spectrum.
    @Test func steadyLowVoiceIsNotWind() throws {
        let n = Int(Self.rate * 4)
        var x = WindSignals.speech(frameCount: n, sampleRate: Self.rate, fundamentalHertz: 85, syllables: false)
        for i in 0..<Int(0.5 * Self.rate) { x[i] *= 0.001 }  // a quiet lead-in, then the voice sets in
        let reducer = WindReducer()
        let y = try WindSignals.run(reducer, [x], sampleRate: Self.rate)[0]
        let report = try #require(reducer.report)
        #expect(report.tracks[0].gustCount == 0)
        #expect(report.tracks[0].deepestCutDecibels < 0.5, "cut \(report.tracks[0].deepestCutDecibels) dB")
        #expect(WindSignals.siSDR(y, reference: x) >= 60)
    }

    /// Three gusts under speech: three found, their share near 3 × 0.8 s of 5.5 s, the wind band under the gusts'
    /// middles at least 10 dB lower, and the voice between gusts untouched.
    @Test func gustsAreFoundAndCut() throws {
        let (clean, wind) = Self.windy()
        let x = WindSignals.sum(clean, wind)
        let reducer = WindReducer()
        let y = try WindSignals.run(reducer, [x], sampleRate: Self.rate)[0]
        let report = try #require(reducer.report).tracks[0]
        #expect(report.gustCount == 3, "gusts \(report.gustCount)")
        // The gusts last 3 × 0.8 s of 5.5 s (0.436); their quiet ends (sin² tails) still stand far above this
        // signal's −95 dBFS floor, so most of each counts; the STFT frame (43 ms) can smear each edge by about
        // half a frame: 0.436 + 6 × 0.021 / 5.5 = 0.46 at most; at least half of each gust is loud.
        #expect(report.gustShare > 0.22 && report.gustShare < 0.46, "share \(report.gustShare)")
        #expect(report.deepestCutDecibels > 15 && report.deepestCutDecibels <= 24)
        for start in [1.2, 2.6, 4.0] {
            let middle = Int((start + 0.25) * Self.rate)..<Int((start + 0.55) * Self.rate)
            let before = WindSignals.lowBandDecibels(x, sampleRate: Self.rate, hertz: 200, range: middle)
            let after = WindSignals.lowBandDecibels(y, sampleRate: Self.rate, hertz: 200, range: middle)
            #expect(before - after > 10, "gust at \(start) s: \(before - after) dB")
        }
        // Between gusts (from 0.42 s after one, by when the 60 ms release has let a 24 dB cut fall under 0.05 dB,
        // to 0.04 s before the next, half a frame), the output is the input to 40 dB (a cut of 0.1 dB on this
        // voice's low band would be about 44 dB).
        let calm = Int(2.42 * Self.rate)..<Int(2.56 * Self.rate)
        #expect(WindSignals.siSDR(y, reference: x, range: calm) > 40)
        #expect(WindSignals.siSDR(y, reference: clean) > WindSignals.siSDR(x, reference: clean) + 3)
    }

    /// Two tracks, the same voice on both, wind on track 1 only: track 1's gusts are found and cut, track 2 is
    /// untouched. The same low noise on both tracks (a coherent rumble swelling like a gust, which a mono file
    /// would take for wind: gustsAreFoundAndCut) is left alone on the pair.
    @Test func coherenceSeparatesWindFromCommonRumble() throws {
        let (clean, wind) = Self.windy()
        let reducer = WindReducer()
        let y = try WindSignals.run(reducer, [WindSignals.sum(clean, wind), clean], sampleRate: Self.rate)
        let report = try #require(reducer.report)
        #expect(report.usesCoherence)
        #expect(report.tracks[0].gustCount == 3)
        #expect(report.tracks[1].gustCount == 0 && report.tracks[1].deepestCutDecibels < 0.1)
        #expect(WindSignals.siSDR(y[1], reference: clean) >= 60)

        let common = WindSignals.sum(clean, wind)
        let pair = WindReducer()
        let z = try WindSignals.run(pair, [common, common.map { $0 * 0.7 }], sampleRate: Self.rate)
        let pairReport = try #require(pair.report)
        #expect(pairReport.tracks.allSatisfy { $0.gustCount == 0 }, "coherent: \(pairReport.tracks)")
        #expect(WindSignals.siSDR(z[0], reference: common) >= 60)
    }

    /// Linked: both tracks take the deepest cut.
    @Test func linkedTracksShareTheCut() throws {
        let (clean, wind) = Self.windy()
        let reducer = WindReducer(settings: WindReducerSettings(channelLinking: .linked))
        let y = try WindSignals.run(reducer, [WindSignals.sum(clean, wind), clean], sampleRate: Self.rate)
        let report = try #require(reducer.report)
        #expect(report.tracks[1].deepestCutDecibels > 15)
        #expect(WindSignals.siSDR(y[1], reference: clean) < 40)
    }

    /// Any block split gives bit-identical output and the same report; reset equals a fresh reducer; latency is
    /// compensated (the calm stretch lines up sample for sample, checked by the SI-SDR above and here by an
    /// impulse at its place).
    @Test func splitInvarianceResetAndAlignment() throws {
        let (clean, wind) = Self.windy(seconds: 3)
        let channels = [WindSignals.sum(clean, wind), WindSignals.sum(clean, wind.reversed())]
        let first = WindReducer()
        let whole = try WindSignals.run(first, channels, sampleRate: Self.rate)
        let second = WindReducer()
        let split = try WindSignals.run(second, channels, sampleRate: Self.rate, blocks: [1, 13, 512, 3000, 7])
        #expect(split == whole)
        #expect(first.report == second.report)
        second.reset()
        let again = second.processAligned(AudioBuffer(channels: channels), blockFrames: [4096]).channelArrays()
        #expect(again == whole)
        #expect(second.report == first.report)

        // A 2 kHz tone burst (above the wind band) comes out where it went in, sample for sample: 1e-4 is far
        // above the round trip's float rounding (about 1e-7 of full scale) and far below a one-sample shift
        // (0.5 × 2π × 2000 / 48000 ≈ 0.13).
        let burst = (0..<9600).map { n -> Float in
            (4000..<6000).contains(n) ? Float(0.5 * sin(2 * Double.pi * 2000 * Double(n) / Self.rate)) : 0
        }
        let out = try WindSignals.run(WindReducer(), [burst], sampleRate: Self.rate)[0]
        #expect(WindSignals.maxAbsDifference(out, burst) < 1e-4)
    }
}
