import Foundation
import ScrimCore
import Testing
@testable import ScrimCleanup

/// The noise reducer's babble guard (``BabbleGuard``): it eases the reduction limit under a speech-like
/// background and leaves steady noise alone. Generated signals at 48 kHz.
@Suite struct BabbleGuardTests {
    static let rate = 48000.0
    static let frameCount = 192_000  // 4 s

    /// Babble: eight talkers from ``talker(frameCount:seed:)``, at levels spread over ±3 dB, summed and scaled
    /// to `rms`.
    static func babble(rms: Double) -> [Float] {
        var sum = [Double](repeating: 0, count: frameCount)
        for index in 0..<8 {
            let level = pow(10, Double(index % 4 - 2) * 1.5 / 20)  // −3, −1.5, 0, +1.5 dB
            let voice = talker(frameCount: frameCount, seed: 100 + UInt64(index))
            for i in 0..<frameCount { sum[i] += level * voice[i] }
        }
        let measured = (sum.reduce(0) { $0 + $1 * $1 } / Double(frameCount)).squareRoot()
        return sum.map { Float($0 * rms / measured) }
    }

    /// One background talker, by formant synthesis (a glottal impulse train through three resonators, Klatt's
    /// "Software for a cascade/parallel formant synthesizer", JASA 67(3), 1980, in its simplest form): f0 from
    /// 90 to 250 Hz drifting slowly, syllables of 0.12–0.35 s (a sin² envelope at a random peak level) each with
    /// its own vowel (F1 300–800 Hz, F2 900–2400 Hz, F3 2400–3200 Hz), a pause of 0.1–0.5 s after every 3 to 6
    /// syllables, so talkers neither share a rhythm nor average out.
    static func talker(frameCount: Int, seed: UInt64) -> [Double] {
        var random = DenoiseRandom(seed: seed)
        var output = [Double](repeating: 0, count: frameCount)
        let baseF0 = 90 + 160 * random.uniform()
        var phase = random.uniform()
        var i = Int(random.uniform() * 0.3 * rate)  // start somewhere in a first pause
        var syllablesLeft = 3 + Int(random.uniform() * 4)
        var states = [(Double, Double)](repeating: (0, 0), count: 3)
        while i < frameCount {
            let length = Int((0.12 + 0.23 * random.uniform()) * rate)
            let peak = 0.3 + 0.7 * random.uniform()
            let formants = [300 + 500 * random.uniform(), 900 + 1500 * random.uniform(), 2400 + 800 * random.uniform()]
            let bandwidths = [80.0, 120, 180]
            let coefficients = zip(formants, bandwidths).map { f, bw -> (Double, Double) in
                let r = exp(-Double.pi * bw / rate)
                return (2 * r * cos(2 * Double.pi * f / rate), -r * r)
            }
            for n in 0..<length where i + n < frameCount {
                let t = Double(i + n) / rate
                let f0 = baseF0 * (1 + 0.15 * sin(2 * Double.pi * (0.3 + 0.05 * Double(seed % 7)) * t))
                phase += f0 / rate
                var x = 0.0
                if phase >= 1 { phase -= 1; x = 1 }
                var y = 0.0
                for k in 0..<3 {  // cascade
                    let (b1, b2) = coefficients[k]
                    let value = x + b1 * states[k].0 + b2 * states[k].1
                    states[k] = (value, states[k].0)
                    x = value * (1 - b1 - b2)  // unity gain at DC keeps the cascade's level in range
                    y = x
                }
                let envelope = pow(sin(Double.pi * Double(n) / Double(length)), 2)
                output[i + n] = y * envelope * peak
            }
            i += length
            syllablesLeft -= 1
            if syllablesLeft == 0 {
                i += Int((0.1 + 0.4 * random.uniform()) * rate)
                syllablesLeft = 3 + Int(random.uniform() * 4)
            }
        }
        return output
    }

    @Test func babbleEngagesTheGuardAndEasesTheCut() throws {
        // Walla at −40 dBFS over a white hiss 20 dB below it (the hiss rules above about 6 kHz, where the
        // formant talkers have little energy).
        let hiss = DenoiseSignals.whiteNoise(frameCount: Self.frameCount, rms: 0.001, seed: 20)
        let input = DenoiseSignals.add(Self.babble(rms: 0.01), hiss)
        let (guarded, report) = try denoise([input])
        let (unguarded, offReport) = try denoise([input], settings: NoiseReducerSettings(babbleGuard: false))
        // The guard decides after its first half-second window and glides in over 0.3 s: most of the 4 s
        // (measured 0.77).
        let share = try #require(report.babbleGuardShare)
        #expect(share >= 0.6, "engaged in \(share) of the frames")
        // Between 4 dB (low overall SNR) and 10 dB (high: the kernel reads much of the walla as voice); measured
        // 7.7 dB.
        let lowest = try #require(report.babbleGuardLowestLimitDecibels)
        #expect(lowest >= 4 - 0.01 && lowest <= 10 + 0.01, "lowest limit \(lowest) dB")
        #expect(offReport.babbleGuardShare == nil && offReport.babbleGuardLowestLimitDecibels == nil)
        // The cut of the hiss, from 1.5 s on (engaged), measured on second differences (+12 dB/octave, so the
        // hiss near Nyquist outweighs the walla's 0.5–3 kHz by about 11 dB): with the guard the limit holds it
        // near 10 dB, without it the per-band limit reaches toward 24 dB. Measured 9.7 and 17.2 dB.
        func cut(_ output: [Float]) -> Double {
            let range = 72000..<Self.frameCount
            return DenoiseSignals.levelDecibels(Self.secondDifference(input), range: range)
                - DenoiseSignals.levelDecibels(Self.secondDifference(output), range: range)
        }
        let cutGuarded = cut(guarded[0]), cutUnguarded = cut(unguarded[0])
        #expect(cutGuarded <= 10.5, "guarded cut \(cutGuarded) dB")
        #expect(cutUnguarded >= 15, "unguarded cut \(cutUnguarded) dB")
    }

    static func secondDifference(_ x: [Float]) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        for i in 2..<x.count {
            let centre: Float = 2 * x[i - 1]
            y[i] = x[i] - centre + x[i - 2]
        }
        return y
    }

    /// Steady noises, alone and under speech with pauses, and speech over a −110 dBFS dither floor: never
    /// engaged (share exactly 0: not one frame eased by a tenth of the way).
    @Test(arguments: ["white", "pink", "white+speech", "pink+speech", "speech"])
    func steadyNoiseDoesNotEngageTheGuard(kind: String) throws {
        let speech = [Float](repeating: 0, count: 48000)
            + DenoiseSignals.speechLike(frameCount: Self.frameCount - 48000, sampleRate: Self.rate, rms: 0.05)
        let white = DenoiseSignals.whiteNoise(frameCount: Self.frameCount, rms: 0.0158, seed: 21)  // 10 dB SNR
        let pink = DenoiseSignals.pinkNoise(frameCount: Self.frameCount, rms: 0.0158, seed: 22)
        let dither = DenoiseSignals.whiteNoise(frameCount: Self.frameCount, rms: 3.2e-6, seed: 23)
        let input: [Float] = switch kind {
        case "white": white
        case "pink": pink
        case "white+speech": DenoiseSignals.add(white, speech)
        case "pink+speech": DenoiseSignals.add(pink, speech)
        default: DenoiseSignals.add(dither, speech)
        }
        let (_, report) = try denoise([input])
        #expect(report.babbleGuardShare == 0, "\(kind): engaged in \(report.babbleGuardShare ?? -1)")
        #expect(report.babbleGuardLowestLimitDecibels == nil)
    }

    @Test(arguments: [[1], [7, 512, 1000], [2047, 3]])
    func babbleOutputIsTheSameForAnyBlockSplit(blocks: [Int]) throws {
        // The guard sees the STFT's hops, not the blocks: same decisions, same samples, same report.
        let walla = DenoiseSignals.add(Self.babble(rms: 0.01),
                                       DenoiseSignals.whiteNoise(frameCount: Self.frameCount, rms: 0.001, seed: 24))
        let (reference, referenceReport) = try denoise([walla], blockFrames: [4096])
        let (split, splitReport) = try denoise([walla], blockFrames: blocks)
        #expect(reference[0] == split[0])
        #expect(referenceReport == splitReport)
    }

    @Test func linkedChannelsShareOneDecisionAndIndependentOnesDecideAlone() throws {
        let walla = Self.babble(rms: 0.01)
        let black = [Float](repeating: 0, count: Self.frameCount)
        let (_, mono) = try denoise([walla])
        let monoShare = try #require(mono.babbleGuardShare)
        // Independent: the walla channel decides as in mono, the black one never eases: half the group-updates.
        let (_, independent) = try denoise([walla, black])
        #expect(abs((independent.babbleGuardShare ?? -1) - monoShare / 2) < 1e-9)
        // Linked: one group on the mean power (the walla's, halved: the spreads and levels move together, so
        // every decision is the same) eases both channels as in mono.
        let (output, linked) = try denoise([walla, black], settings: NoiseReducerSettings(channelLinking: .linked))
        #expect(linked.babbleGuardShare == monoShare)
        #expect(linked.babbleGuardLowestLimitDecibels == mono.babbleGuardLowestLimitDecibels)
        #expect(output[1].allSatisfy { $0 == 0 })
    }

    @Test func aUserLimitShallowerThanTheEasedOneIsLeftAlone() throws {
        // At --reduction 3 there is nothing to ease: the report says the guard never eased, and the output is
        // the guard-off output to the bit.
        let walla = Self.babble(rms: 0.01)
        let (guarded, report) = try denoise([walla], settings: NoiseReducerSettings(reductionDecibels: 3))
        let (plain, _) = try denoise([walla], settings: NoiseReducerSettings(reductionDecibels: 3, babbleGuard: false))
        #expect(report.babbleGuardShare == 0 && report.babbleGuardLowestLimitDecibels == nil)
        #expect(guarded[0] == plain[0])
    }

    @Test func learnedModeIsGuardedToo() throws {
        // A profile of the walla itself (its first second) does not make it steady: the guard eases there too.
        let walla = Self.babble(rms: 0.01)
        let profiler = NoiseProfiler(selection: .frames(0..<48000))
        try profiler.prepare(for: ProcessSpec(sampleRate: Self.rate, channelCount: 1, maximumBlockFrames: 4096))
        AudioBuffer(channels: [walla]).withBlock { profiler.analyze($0) }
        let settings = NoiseReducerSettings(mode: .learned(try profiler.profile()))
        let (_, report) = try denoise([walla], settings: settings)
        #expect((report.babbleGuardShare ?? 0) >= 0.6, "learned: \(report.babbleGuardShare ?? -1)")
    }

    @Test func framesOutsideTheTunedRangeDoNotRunTheGuard() throws {
        // 256 points at 48 kHz (5.3 ms) and 16384 (341 ms) are outside 23–100 ms: nil, as when switched off.
        let walla = Self.babble(rms: 0.01)
        for size in [256, 16384] {
            let (_, report) = try denoise([walla], settings: NoiseReducerSettings(fftSize: size))
            #expect(report.babbleGuardShare == nil, "fftSize \(size)")
        }
        let (_, inRange) = try denoise([walla], settings: NoiseReducerSettings(fftSize: 4096))  // 85 ms
        #expect(inRange.babbleGuardShare != nil)
    }

    @Test func digitalSilenceNeitherBlocksNorFakesTheGuard() throws {
        // One second of digital black before the walla: still engaged (the black is not a floor).
        let walla = Self.babble(rms: 0.01)
        let lead = [Float](repeating: 0, count: 48000)
        let (_, late) = try denoise([Array((lead + walla).prefix(Self.frameCount + 48000))])
        #expect((late.babbleGuardShare ?? 0) >= 0.5, "after black: \(late.babbleGuardShare ?? -1)")
        // Steady hiss with 0.2 s black gaps every second: the gaps' edges are not babble (before windows near
        // silence were left out, such a signal engaged the guard on 62 % of its frames).
        var gapped = DenoiseSignals.whiteNoise(frameCount: Self.frameCount, rms: 0.01, seed: 28)
        for start in stride(from: 48000, to: Self.frameCount, by: 48000) {
            for i in start..<min(start + 9600, Self.frameCount) { gapped[i] = 0 }
        }
        let (_, hiss) = try denoise([gapped])
        #expect(hiss.babbleGuardShare == 0)
    }

    @Test func resetForgetsTheDecision() throws {
        let walla = Self.babble(rms: 0.01)
        let reducer = NoiseReducer()
        try reducer.prepare(for: ProcessSpec(sampleRate: Self.rate, channelCount: 1, maximumBlockFrames: 4096))
        _ = reducer.processAligned(AudioBuffer(channels: [walla]), blockFrames: [4096])
        #expect((reducer.report.babbleGuardShare ?? 0) > 0)
        reducer.reset()
        let hiss = DenoiseSignals.whiteNoise(frameCount: Self.frameCount, rms: 0.01, seed: 26)
        _ = reducer.processAligned(AudioBuffer(channels: [hiss]), blockFrames: [4096])
        #expect(reducer.report.babbleGuardShare == 0)
    }

    @Test func selectionMedianAndQuantileIndex() {
        var random = DenoiseRandom(seed: 27)
        // The median (the guard's per-window level and spread): the middle value, or the mean of the two middle
        // ones, as a sort would give it.
        for count in [1, 2, 5, 6, 47, 93] {
            var values = (0..<count).map { _ in Float(random.gaussian()) }
            let sorted = values.sorted()
            let expected = count % 2 == 1 ? sorted[count / 2] : 0.5 * (sorted[count / 2 - 1] + sorted[count / 2])
            let median = values.withUnsafeMutableBufferPointer { OrderStatistics.median($0, count: count) }
            #expect(median == expected, "count \(count)")
        }
        // Selection: the value of each rank lands at its place, nothing greater before it, nothing smaller after
        // (random values, and runs of ties, which a careless partition loops on or misplaces).
        for count in [1, 2, 3, 4, 47, 94] {
            for pattern in 0..<2 {
                let values = (0..<count).map { i in pattern == 0 ? Float(random.gaussian()) : Float(i % 3) }
                let sorted = values.sorted()
                for rank in Set([0, count / 10, (3 * count) / 10, count / 2, count - 1]) {
                    var work = values
                    let value = work.withUnsafeMutableBufferPointer {
                        OrderStatistics.select($0, count: count, rank: rank)
                    }
                    #expect(value == sorted[rank])
                    #expect(work[rank] == sorted[rank], "count \(count), rank \(rank)")
                    #expect(work[..<rank].allSatisfy { $0 <= work[rank] } && work[rank...].allSatisfy { $0 >= work[rank] })
                    #expect(work.sorted() == sorted)
                }
            }
        }
        // Rounded down: the 10th and 30th percentiles of 47 values are elements 4 and 13; of one value, 0.
        #expect(BabbleGuard.index(0.1, 47) == 4 && BabbleGuard.index(0.3, 47) == 13)
        #expect(BabbleGuard.index(0.25, 1) == 0 && BabbleGuard.index(0.25, 12) == 2)
    }

    @Test func settingsSavedWithoutTheKeyDecodeWithTheGuardOn() throws {
        let old = #"{"reductionDecibels":12,"mode":{"adaptive":{}},"output":"cleaned","channelLinking":"linked"}"#
        let settings = try JSONDecoder().decode(NoiseReducerSettings.self, from: Data(old.utf8))
        #expect(settings.babbleGuard && settings.reductionDecibels == 12 && settings.channelLinking == .linked)
        var off = settings
        off.babbleGuard = false
        let roundTrip = try JSONDecoder().decode(NoiseReducerSettings.self, from: JSONEncoder().encode(off))
        #expect(roundTrip == off)
    }
}
