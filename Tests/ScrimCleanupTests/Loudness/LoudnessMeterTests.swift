import Foundation
import ScrimCore
import Testing
@testable import ScrimCleanup

/// Gating (BS.2217-style checks with analytically known results), sample rates, channel layouts, silence,
/// block-split invariance and the bounded-memory histograms.
@Suite struct LoudnessMeterTests {
    typealias Tone = LoudnessSignals.Tone

    /// A 1 kHz stereo sine at L dBFS per channel reads L + 0.0067 LUFS at 48 kHz: the K-weighting gain at 1 kHz
    /// is 0.6977 dB, not exactly the 0.691 dB offset (checked against an independent evaluation of the
    /// BS.1770-4 Table 1/2 filters).
    static let sineOffset = 0.0067

    /// A loud part (−20 dBFS) and a quiet one (−40): the quiet one lies under the relative gate
    /// (mean −22.97 − 10 = −32.97 LUFS), so the integrated loudness is the loud part's alone.
    @Test func relativeGateExcludesTheQuietPart() throws {
        let buffer = LoudnessSignals.buffer(LoudnessSignals.toneSequence(
            [Tone(level: -20, seconds: 20), Tone(level: -40, seconds: 20)]), channelCount: 2)
        let meter = try LoudnessSignals.measure(buffer)
        // Kept: 197 blocks wholly in the loud part and the 3 straddling the step (3/4, 1/2, 1/4 loud, the rest
        // quiet at 1/100 the power), all above the gate; the 197 blocks of the quiet part are not.
        let kept = (197 + 1.5 + 0.01 * 1.5) / 200
        let expected = -20 + Self.sineOffset + 10 * log10(kept)
        #expect(abs(meter.integratedLoudness - expected) < 0.005, "\(meter.integratedLoudness) vs \(expected)")
        let threshold = meter.measurement.relativeGateThreshold
        let expectedThreshold = -20 + Self.sineOffset + 10 * log10((1 + 0.01) / 2) - 10
        #expect(abs(threshold - expectedThreshold) < 0.02, "threshold \(threshold)")
    }

    /// A quieter part within 10 LU is kept: −20 and −26 dBFS for 20 s each give the power mean of both,
    /// −20 + 10·log10((1 + 10^−0.6) / 2) = −22.04 LUFS.
    @Test func relativeGateKeepsPartsWithinTenLU() throws {
        let buffer = LoudnessSignals.buffer(LoudnessSignals.toneSequence(
            [Tone(level: -20, seconds: 20), Tone(level: -26, seconds: 20)]), channelCount: 2)
        let meter = try LoudnessSignals.measure(buffer)
        let expected = -20 + Self.sineOffset + 10 * log10((1 + pow(10, -0.6)) / 2)
        #expect(abs(meter.integratedLoudness - expected) < 0.02, "\(meter.integratedLoudness) vs \(expected)")
    }

    /// Blocks at or below −70 LUFS never count: a programme entirely at −72 LUFS has no integrated loudness;
    /// one at −68 is measured.
    @Test func absoluteGate() throws {
        let quiet = try LoudnessSignals.measure(LoudnessSignals.buffer(
            LoudnessSignals.toneSequence([Tone(level: -72, seconds: 5)]), channelCount: 2))
        #expect(quiet.integratedLoudness == -.infinity)
        #expect(quiet.loudnessRange == 0)
        #expect(abs(quiet.maxMomentaryLoudness - (-72 + Self.sineOffset)) < 0.02)
        let audible = try LoudnessSignals.measure(LoudnessSignals.buffer(
            LoudnessSignals.toneSequence([Tone(level: -68, seconds: 5)]), channelCount: 2))
        #expect(abs(audible.integratedLoudness - (-68 + Self.sineOffset)) < 0.02)
        // −72 then −20: the −72 blocks are dropped by the absolute gate before the relative gate is computed
        // (had they counted, 200 near-silent blocks would pull the mean, and the threshold, down by 6.5 LU).
        // What remains is 47 full blocks of the −20 part and the 3 blocks that straddle the step, holding
        // 1/4, 1/2 and 3/4 of it: mean power 48.5/50 of the tone's, all above the −10 LU gate.
        let both = try LoudnessSignals.measure(LoudnessSignals.buffer(
            LoudnessSignals.toneSequence([Tone(level: -72, seconds: 20), Tone(level: -20, seconds: 5)]),
            channelCount: 2))
        let expected = -20 + Self.sineOffset + 10 * log10(48.5 / 50)
        #expect(abs(both.integratedLoudness - expected) < 0.005, "\(both.integratedLoudness) vs \(expected)")
        #expect(abs(both.measurement.relativeGateThreshold - (expected - 10)) < 0.005)
    }

    /// The K-weighting derived at other rates gives the same loudness for a 1 kHz sine as at 48 kHz, within
    /// 0.05 LU from 32 kHz up. At 8 kHz the bilinear transform's frequency warping bends the shelf (centred at
    /// 1.68 kHz, 0.42 of Nyquist there) and 1 kHz reads 0.2 LU high: the tolerance there is 0.25 LU. Up to 768 kHz
    /// (the highest rate Scrim reads) the derived filters stay exact in Double (the 38 Hz high-pass's tan(π·f/fs) is
    /// 1.6e-4 there, far above rounding).
    @Test(arguments: [8_000.0, 32_000, 44_100, 96_000, 192_000, 384_000, 768_000])
    func sampleRatesAgree(sampleRate: Double) throws {
        func loudness(_ rate: Double) throws -> LUFS {
            let samples = LoudnessSignals.toneSequence([Tone(level: -23, seconds: 5)], sampleRate: rate)
            return try LoudnessSignals.measure(LoudnessSignals.buffer(samples, channelCount: 2), sampleRate: rate)
                .integratedLoudness
        }
        let reference = try loudness(48_000)
        let other = try loudness(sampleRate)
        let tolerance = sampleRate < 32_000 ? 0.25 : 0.05
        #expect(abs(other - reference) < tolerance, "\(sampleRate) Hz: \(other) vs \(reference)")
    }

    /// 5.1: the LFE channel is left out; surrounds weigh 1.41.
    @Test func surround51ExcludesLFE() throws {
        let tone = LoudnessSignals.toneSequence([Tone(level: -20, seconds: 5)])
        let lfe = LoudnessSignals.toneSequence([Tone(level: 0, seconds: 5)], frequency: 50)
        let silent = [Float](repeating: 0, count: tone.count)
        let centreOnly = try LoudnessSignals.measure(
            AudioBuffer(channels: [silent, silent, tone, silent, silent, silent]))
        let withLFE = try LoudnessSignals.measure(AudioBuffer(channels: [silent, silent, tone, lfe, silent, silent]))
        #expect(centreOnly.channelLayout == .surround51)
        #expect(withLFE.integratedLoudness == centreOnly.integratedLoudness)
        let lfeOnly = try LoudnessSignals.measure(AudioBuffer(channels: [silent, silent, silent, lfe, silent, silent]))
        #expect(lfeOnly.integratedLoudness == -.infinity)
        // The same tone in a surround channel reads 10·log10(1.41) = +1.49 LU louder.
        let surround = try LoudnessSignals.measure(
            AudioBuffer(channels: [silent, silent, silent, silent, tone, silent]))
        #expect(abs(surround.integratedLoudness - centreOnly.integratedLoudness - 10 * log10(1.41)) < 0.001)
    }

    @Test func layoutFromChannelMask() {
        #expect(ChannelLayout(channelMask: 0x63F, channelCount: 8).weights == [1, 1, 1, 0, 1.41, 1.41, 1.41, 1.41])
        #expect(ChannelLayout(channelMask: 0x60F, channelCount: 6).weights == [1, 1, 1, 0, 1.41, 1.41])
        #expect(ChannelLayout(channelMask: 0x60F, channelCount: 6).name == "5.1")
        #expect(ChannelLayout(channelMask: 0x3, channelCount: 2) .weights == [1, 1])
        #expect(ChannelLayout(channelMask: 0, channelCount: 6) == .surround51)
        #expect(ChannelLayout(channelMask: 0x4, channelCount: 1).weights == [1])
        // Fewer mask bits than channels: the rest weigh 1.
        #expect(ChannelLayout(channelMask: 0x8, channelCount: 3).weights == [0, 1, 1])
        #expect(ChannelLayout(channelCount: 4).weights == [1, 1, 1, 1])
        #expect(ChannelLayout(channelCount: 8) == .surround71)
    }

    /// Silence: every level is −∞ (never NaN), the range 0, and the JSON form has nulls.
    @Test func silenceIsMinusInfinity() throws {
        let meter = try LoudnessSignals.measure(AudioBuffer(channelCount: 2, capacity: 48_000 * 4), truePeak: true,
                                                dialogue: true)
        let m = meter.measurement
        for value in [m.integratedLoudness, m.maxMomentaryLoudness, m.maxShortTermLoudness, m.momentaryLoudness,
                      m.shortTermLoudness, m.samplePeak, m.truePeak, m.dialogueLoudness] {
            #expect(value == -.infinity)
        }
        #expect(m.loudnessRange == 0 && m.speechFraction == 0)
        let json = String(decoding: try JSONEncoder().encode(m), as: UTF8.self)
        #expect(json.contains("\"integratedLoudnessLufs\":null") && !json.contains("NaN"))
        let decoded = try JSONDecoder().decode(LoudnessMeasurement.self, from: Data(json.utf8))
        #expect(decoded.integratedLoudness == -.infinity && decoded.channelTruePeaks == [-.infinity, -.infinity])
    }

    @Test func shortInputHasNoWindows() throws {
        let meter = try LoudnessSignals.measure(LoudnessSignals.buffer(
            LoudnessSignals.toneSequence([Tone(level: -20, seconds: 0.35)]), channelCount: 2))
        #expect(meter.momentaryLoudness == -.infinity && meter.integratedLoudness == -.infinity)
        #expect(!meter.momentaryLoudness.isNaN && meter.samplePeak > -20.1)
    }

    /// Every result is identical (bit for bit) whatever the block split, including single frames.
    @Test(arguments: [[1], [7, 13, 1000], [4096], [48_000 * 6]])
    func blockSplitInvariance(split: [Int]) throws {
        var rng = SeededGenerator(seed: 7)
        let frames = 48_000 * 6
        var left = [Float](repeating: 0, count: frames)
        var right = [Float](repeating: 0, count: frames)
        for i in 0..<frames {
            let t = Double(i)
            let envelope: Double = 1 + 0.5 * sin(t * 3e-4)
            left[i] = Float(0.3 * sin(t * 0.05) * envelope)
            right[i] = Float(0.1 * rng.uniform())
        }
        let buffer = AudioBuffer(channels: [left, right])
        func run(_ s: [Int]) throws -> LoudnessMeasurement {
            let meter = LoudnessMeter(measureTruePeak: true, dialogueGating: true)
            try meter.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: frames))
            LoudnessSignals.feed(buffer, to: meter, split: s)
            return meter.measurement
        }
        let reference = try run([frames])
        let measured = try run(split)
        #expect(measured == reference)
        #expect(reference.integratedLoudness.isFinite && reference.truePeak > reference.samplePeak)
    }

    @Test func resetEqualsFresh() throws {
        let buffer = LoudnessSignals.buffer(LoudnessSignals.toneSequence([Tone(level: -18, seconds: 4)]),
                                            channelCount: 2)
        let meter = try LoudnessSignals.measure(buffer, truePeak: true)
        let first = meter.measurement
        meter.reset()
        LoudnessSignals.feed(buffer, to: meter, split: [4096])
        #expect(meter.measurement == first)
    }

    @Test func rejectsUnsupportedConfigurations() {
        #expect(throws: ScrimError.self) {
            try LoudnessMeter().prepare(for: ProcessSpec(sampleRate: 4_000, channelCount: 2, maximumBlockFrames: 64))
        }
        #expect(throws: ScrimError.self) {
            try LoudnessMeter(layout: .surround51).prepare(
                for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 64))
        }
    }

    /// The SIMD chunk path of the interpolator against the plain per-frame one: the same largest value.
    @Test(arguments: [44_100.0, 48_000, 96_000])
    func interpolatorFastPathMatchesReference(sampleRate: Double) {
        var rng = SeededGenerator(seed: 3)
        let samples = (0..<5000).map { i in Float(0.5 * sin(Double(i) * 2.9) + 0.3 * rng.uniform()) }
        let fast = TruePeakInterpolator(sampleRate: sampleRate, channelCount: 1)
        let plain = TruePeakInterpolator(sampleRate: sampleRate, channelCount: 1)
        samples.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return }
            fast.accumulatePeak(channel: 0, samples: base, count: p.count)
            var out = [Float](repeating: 0, count: TruePeakInterpolator.chunkFrames)
            var done = 0
            var peak: Float = 0
            while done < p.count {
                let n = min(TruePeakInterpolator.chunkFrames, p.count - done)
                out.withUnsafeMutableBufferPointer { o in
                    guard let ob = o.baseAddress else { return }
                    ob.update(repeating: 0, count: n)
                    plain.framePeaks(channel: 0, samples: base + done, count: n, into: ob)
                }
                peak = max(peak, out[0..<n].max() ?? 0)
                done += n
            }
            let samplePeak = samples.map(abs).max() ?? 0
            #expect(abs(max(fast.peaks[0], samplePeak) - peak) <= 1e-6 * peak)
            #expect(fast.peaks[0] > samplePeak)
        }
    }
}
