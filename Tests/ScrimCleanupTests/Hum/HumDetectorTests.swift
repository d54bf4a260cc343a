import Foundation
import Testing
import ScrimCore
@testable import ScrimCleanup

@Suite("HumDetector")
struct HumDetectorTests {
    static let sampleRate = 16000.0

    func detect(_ channels: [[Float]], configuration: HumDetectorConfiguration = HumDetectorConfiguration(),
                blockFrames: Int = 1000) throws -> HumDetection {
        let detector = HumDetector(configuration: configuration)
        try detector.prepare(for: ProcessSpec(sampleRate: Self.sampleRate, channelCount: channels.count,
                                              maximumBlockFrames: blockFrames))
        let buffer = AudioBuffer(channels: channels)
        var start = 0
        buffer.withBlock { block in
            while start < block.frameCount {
                let n = min(blockFrames, block.frameCount - start)
                detector.analyze(block.slice(from: start, count: n))
                start += n
            }
        }
        return detector.finish()
    }

    /// Steady hum at several levels and fundamentals (off the 0.01 Hz search grid and off bin centres), under
    /// white noise at −60 dBFS. 0.02 Hz is the accuracy target; the fundamental's level is checked to
    /// 1 dB (the lobe-power estimate is exact for a stationary sine up to the floor subtraction).
    @Test(arguments: [(50.0, 0.1), (59.937, 0.01), (60.0, 0.001), (47.3, 0.03)])
    func steadyHumIsFoundPrecisely(fundamental: Double, amplitude: Double) throws {
        let n = Int(8 * Self.sampleRate)
        let hum = HumSignals.hum(frameCount: n, sampleRate: Self.sampleRate, startHertz: fundamental,
                                 amplitudes: HumSignals.mainsAmplitudes(count: 10, fundamentalAmplitude: amplitude))
        let noise = HumSignals.whiteNoise(frameCount: n, amplitude: 0.001 * 1.732, seed: 7)
        let result = try detect([HumSignals.sum(hum, noise)])
        #expect(result.isPresent)
        let f0 = try #require(result.fundamentalHertz)
        #expect(abs(f0 - fundamental) < 0.02, "found \(f0) Hz for \(fundamental) Hz")
        #expect(result.harmonics.count >= 4)
        let first = try #require(result.harmonics.first { $0.number == 1 })
        #expect(abs(first.levelDecibelsFullScale - 20 * log10(amplitude)) < 1)
        // Hum-to-signal against the generated powers (hum: Σ a²/2; noise: uniform of peak 0.001·√3 → 1e-6).
        let amplitudes = HumSignals.mainsAmplitudes(count: 10, fundamentalAmplitude: amplitude)
        let humPower = amplitudes.reduce(0) { $0 + $1 * $1 / 2 }
        let truth = 10 * log10(humPower / (humPower + 1e-6))
        #expect(abs(result.humToSignalDecibels - truth) < 1, "\(result.humToSignalDecibels) dB, truth \(truth) dB")
    }

    /// A fundamental drifting 59.7 → 60.3 Hz over 8 s: the track spans most of the drift (segments are 0.5 s
    /// long, so the extremes are averaged over ±0.25 s: ±0.02 Hz) and no point strays more than 0.1 Hz.
    @Test func driftIsTracked() throws {
        let n = Int(8 * Self.sampleRate)
        let hum = HumSignals.hum(frameCount: n, sampleRate: Self.sampleRate, startHertz: 59.7, endHertz: 60.3,
                                 amplitudes: HumSignals.mainsAmplitudes(count: 8, fundamentalAmplitude: 0.05))
        let result = try detect([hum])
        #expect(result.isPresent)
        let range = try #require(result.trackRangeHertz)
        #expect(range.lowerBound < 59.85 && range.lowerBound > 59.6, "track \(range)")
        #expect(range.upperBound > 60.15 && range.upperBound < 60.4, "track \(range)")
        for point in result.track {
            guard let f = point.fundamentalHertz else { continue }
            let truth = 59.7 + 0.6 * point.timeSeconds / 8
            #expect(abs(f - truth) < 0.1, "at \(point.timeSeconds) s: \(f) Hz, truth \(truth) Hz")
        }
    }

    /// The steady level of each harmonic of a hum drifting 59.7 → 60.3 Hz over 8 s (the remover's cap profile)
    /// matches the generated amplitude within 1 dB. Measured along the track it is exact to 0.05 dB; measured
    /// bin by bin (before) the 16th harmonic, whose line crosses 9.6 Hz, came out 10.9 dB low, the 8th 3.6 dB.
    @Test func driftingHarmonicsKeepTheirSteadyLevel() throws {
        let n = Int(8 * Self.sampleRate)
        let amplitudes = HumSignals.mainsAmplitudes(count: 16, fundamentalAmplitude: 0.05)
        let hum = HumSignals.hum(frameCount: n, sampleRate: Self.sampleRate, startHertz: 59.7, endHertz: 60.3,
                                 amplitudes: amplitudes)
        let result = try detect([hum])
        #expect(result.harmonics.count >= 12)
        for harmonic in result.harmonics {
            let truth = 20 * log10(amplitudes[harmonic.number - 1])
            #expect(abs(harmonic.steadyLevelDecibelsFullScale - truth) < 1,
                    "harmonic \(harmonic.number): \(harmonic.steadyLevelDecibelsFullScale) dBFS, truth \(truth)")
        }
    }

    /// Hum under pink noise whose fundamental stands clear (22–23 dB above the local floor) while its harmonics,
    /// 18–34 dB below it, reach only 6–9 dB: fewer than the two 10 dB harmonics of the plain rule, but a clear
    /// line with weaker harmonics locked to it (``HumSearch/clearLineMarginDecibels``). Before that rule it was
    /// reported as no hum, as the quality corpus's `u4_hum_noise` was. A pure 60 Hz tone in the same noise is
    /// still not hum (a clear line alone).
    @Test func humUnderPinkNoiseIsFound() throws {
        let n = Int(8 * Self.sampleRate)
        let relative = [1, 0.08, 0.12, 0.04, 0.08, 0.03, 0.06, 0.02]
        let hum = HumSignals.hum(frameCount: n, sampleRate: Self.sampleRate, startHertz: 60,
                                 amplitudes: relative.map { $0 * 0.012 })
        let noise = DenoiseSignals.pinkNoise(frameCount: n, rms: 0.01, seed: 5)
        let result = try detect([HumSignals.sum(hum, noise)])
        #expect(result.isPresent)
        #expect(result.harmonics.count >= 3, "harmonics \(result.harmonics.map(\.number))")
        #expect(result.harmonics.contains { $0.prominenceDecibels < 10 }, "the weak-series rule was not needed")
        let f0 = try #require(result.fundamentalHertz)
        #expect(abs(f0 - 60) < 0.02, "found \(f0) Hz")

        let tone = HumSignals.hum(frameCount: n, sampleRate: Self.sampleRate, startHertz: 60, amplitudes: [0.012])
        let alone = try detect([HumSignals.sum(tone, noise)])
        #expect(!alone.isPresent, "found \(alone.harmonics.map(\.number))")
    }

    /// The level range (``HumDetection/levelRangeDecibels``): a steady hum under noise varies well under 6 dB
    /// over the stream (the noise in the lobe moves it a little), a hum swelling −20 → 0 → −20 dB over 8 s (sin²
    /// in dB, as the corpus's swell) by most of its 20 dB (the 10th and 90th percentiles of about 16 segments sit
    /// inside the extremes: 14 dB or more). The remover's reach follows (2.5 s and 1.5 s), and whether it treats
    /// the level as varying.
    @Test func levelRangeSeparatesSteadyFromSwellingHum() throws {
        let n = Int(8 * Self.sampleRate)
        let steady = HumSignals.hum(frameCount: n, sampleRate: Self.sampleRate, startHertz: 50,
                                    amplitudes: HumSignals.mainsAmplitudes(count: 8, fundamentalAmplitude: 0.02))
        let noise = HumSignals.whiteNoise(frameCount: n, amplitude: 0.001, seed: 21)
        let swelling = HumSignals.swelling(steady)
        let flat = try detect([HumSignals.sum(steady, noise)])
        let swell = try detect([HumSignals.sum(swelling, noise)])
        #expect(flat.isPresent && swell.isPresent)
        let flatRange = try #require(flat.levelRangeDecibels)
        let swellRange = try #require(swell.levelRangeDecibels)
        #expect(flatRange < 2, "steady hum's level range \(flatRange) dB")
        #expect(swellRange > 14 && swellRange < 21, "swelling hum's level range \(swellRange) dB")
        #expect(HumRemover.lookaheadSeconds(for: flat) == HumRemover.lookaheadSeconds)
        #expect(HumRemover.lookaheadSeconds(for: swell) == HumRemover.swellLookaheadSeconds)
        #expect(!HumRemover.levelVaries(for: flat))
        #expect(HumRemover.levelVaries(for: swell))
        #expect(HumDetection.none.levelRangeDecibels == nil)
        #expect(HumRemover.lookaheadSeconds(for: .none) == HumRemover.lookaheadSeconds)
        #expect(!HumRemover.levelVaries(for: .none))
    }

    @Test func silenceHasNoHum() throws {
        let result = try detect([[Float](repeating: 0, count: Int(4 * Self.sampleRate))])
        #expect(!result.isPresent)
        #expect(result.harmonics.isEmpty)
    }

    @Test func whiteNoiseHasNoHum() throws {
        let result = try detect([HumSignals.whiteNoise(frameCount: Int(6 * Self.sampleRate), amplitude: 0.1, seed: 3)])
        #expect(!result.isPresent)
    }

    /// A sustained 55 Hz note with no harmonic series locked to it: a pure tone, and a tone with stretched
    /// (inharmonic) partials at k·55·(1 + 0.02·k²) Hz, 8.8 Hz or more off the integer multiples.
    @Test(arguments: [false, true])
    func sustainedNoteIsNotHum(withInharmonicPartials: Bool) throws {
        let n = Int(6 * Self.sampleRate)
        var note = [Float](repeating: 0, count: n)
        let partials = withInharmonicPartials ? [1, 2, 3, 4] : [1]
        for k in partials {
            let f = 55 * Double(k) * (1 + 0.02 * Double(k * k - 1))
            for i in 0..<n { note[i] += Float(0.1 / Double(k) * sin(2 * Double.pi * f * Double(i) / Self.sampleRate)) }
        }
        let noise = HumSignals.whiteNoise(frameCount: n, amplitude: 0.001, seed: 11)
        let result = try detect([HumSignals.sum(note, noise)])
        #expect(!result.isPresent, "found \(result.harmonics.map(\.number)) at \(result.fundamentalHertz ?? 0) Hz")
    }

    /// Hum common to two channels is found once (linked); the split into blocks does not change the result.
    @Test func linkedChannelsAndBlockSplit() throws {
        let n = Int(6 * Self.sampleRate)
        let hum = HumSignals.hum(frameCount: n, sampleRate: Self.sampleRate, startHertz: 50,
                                 amplitudes: HumSignals.mainsAmplitudes(count: 6, fundamentalAmplitude: 0.02))
        let quiet = hum.map { $0 * 0.25 }
        let a = try detect([hum, quiet], blockFrames: 4096)
        let b = try detect([hum, quiet], blockFrames: 77)
        #expect(a.isPresent)
        #expect(a == b)
    }

    /// The sliding floors equal the per-bin selection exactly, at the edges, for spectra shorter than the window,
    /// with repeated values (zeros, ties) and, falling back, with NaN.
    @Test func slidingFloorsEqualPerBinSelection() {
        var generator = SeededGenerator(seed: 17)
        for n in [0, 1, 3, 6, 10, 30, 49, 50, 200, 3000] {
            var spectrum = (0..<n).map { _ in Double.random(in: 0...1, using: &generator) }
            for k in stride(from: 0, to: n, by: 7) { spectrum[k] = 0 }
            for k in stride(from: 3, to: n, by: 11) { spectrum[k] = 0.5 }
            let sliding = HumSearch.floors(spectrum)
            let perBin = (0..<n).map { HumSearch.floor(spectrum, at: $0) }
            #expect(sliding == perBin, "n = \(n)")
        }
        var withNaN = (0..<100).map { Double($0 % 13) }
        withNaN[40] = .nan
        let sliding = HumSearch.floors(withNaN)
        let perBin = (0..<100).map { HumSearch.floor(withNaN, at: $0) }
        #expect(zip(sliding, perBin).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
    }

    /// The tracker's starting frequency is the median of the track's first three measured points, so one point
    /// under a word (here 0.04 Hz off, as on the quality corpus) does not set it; unmeasured points are skipped,
    /// fewer points fall back to their mean or the overall fundamental, and no hum gives nil.
    @Test func startingFundamentalIgnoresOneStrayPoint() {
        func detection(_ points: [Double?], present: Bool = true) -> HumDetection {
            let track = points.enumerated().map {
                HumTrackPoint(timeSeconds: 0.34 * Double($0.offset), fundamentalHertz: $0.element)
            }
            return HumDetection(isPresent: present, fundamentalHertz: 60.001, harmonics: [], humToSignalDecibels: -20,
                                track: track, presenceFraction: 1)
        }
        #expect(detection([59.960, 60.002, 59.999, 59.5]).startingFundamentalHertz == 59.999)
        #expect(detection([nil, 60.05, nil, 59.90, 60.00, 58.0]).startingFundamentalHertz == 60.00)
        // A drifting hum: the median of three rising points is the middle one, 0.34 s in.
        #expect(detection([59.70, 59.72, 59.74, 59.76]).startingFundamentalHertz == 59.72)
        #expect(detection([59.98, 60.02]).startingFundamentalHertz.map { abs($0 - 60.00) < 1e-12 } == true)
        #expect(detection([59.98]).startingFundamentalHertz == 59.98)
        #expect(detection([nil, nil]).startingFundamentalHertz == 60.001)
        #expect(detection([]).startingFundamentalHertz == 60.001)
        #expect(detection([60.0, 60.0, 60.0], present: false).startingFundamentalHertz == nil)
    }

    /// The branch-free selection returns the value a full sort puts at each rank (ties and zeros included).
    @Test func branchlessSelectEqualsSort() {
        var generator = SeededGenerator(seed: 23)
        for n in [1, 2, 3, 8, 88, 128] {
            for pattern in 0..<3 {
                let values: [Double] = (0..<n).map { i in
                    switch pattern {
                    case 0: Double.random(in: 0...1, using: &generator)
                    case 1: Double(Int.random(in: 0...3, using: &generator))
                    default: Double(n - i)
                    }
                }
                let sorted = values.sorted()
                for rank in Set([0, (n - 1) / 4, n / 2, n - 1]) {
                    var copy = values
                    let got = copy.withUnsafeMutableBufferPointer {
                        HumSearch.branchlessSelect($0, count: n, rank: rank)
                    }
                    #expect(got == sorted[rank], "n \(n) pattern \(pattern) rank \(rank)")
                }
            }
        }
    }
}
