import Foundation
import ScrimCore
import Testing
@testable import ScrimCleanup

@Suite struct NoiseProfileTests {
    static func measure(_ input: [Float], selection: NoiseProfiler.Selection, blocks: Int = 4096) throws
        -> NoiseProfile
    {
        let profiler = NoiseProfiler(selection: selection)
        try profiler.prepare(for: ProcessSpec(sampleRate: 48000, channelCount: 1, maximumBlockFrames: blocks))
        let buffer = AudioBuffer(channels: [input])
        var start = 0
        while start < input.count {
            let count = min(blocks, input.count - start)
            buffer.withBlock { profiler.analyze($0.slice(from: start, count: count)) }
            start += count
        }
        return try profiler.profile()
    }

    @Test func whiteNoiseProfileIsFlatAtItsVariance() throws {
        let noise = DenoiseSignals.whiteNoise(frameCount: 96000, rms: 0.01, seed: 21)
        let profile = try Self.measure(noise, selection: .all)
        #expect(profile.fftSize == 2048 && profile.binCount == 1025 && profile.channelCount == 1)
        // Window-normalised powers equal the variance 1e-4. ~180 frames (correlated by 75 % overlap, about 90
        // independent): each bin's mean has a relative SD ≈ 1/√90 ≈ 0.11, so averaging bins 100–900 is within 2 %.
        let middle = profile.noisePower[0][100..<900]
        let mean = middle.reduce(0, +) / Float(middle.count)
        #expect(abs(mean / 1e-4 - 1) < 0.02, "mean bin power \(mean)")
        #expect(abs(profile.levelDecibelsFS - -40) < 0.2, "level \(profile.levelDecibelsFS)")
    }

    @Test func quietestStretchIsFound() throws {
        // 3 s loud (−20 dBFS), 0.6 s quiet (−50 dBFS), 2 s loud: the quietest 0.5 s is the quiet part.
        let loud1 = DenoiseSignals.whiteNoise(frameCount: 144000, rms: 0.1, seed: 22)
        let quiet = DenoiseSignals.whiteNoise(frameCount: 28800, rms: 0.00316, seed: 23)
        let loud2 = DenoiseSignals.whiteNoise(frameCount: 96000, rms: 0.1, seed: 24)
        let input = loud1 + quiet + loud2
        for blocks in [4096, 333] {
            let profile = try Self.measure(input, selection: .quietest(durationFrames: 24000), blocks: blocks)
            #expect(abs(profile.levelDecibelsFS - -50) < 0.5, "level \(profile.levelDecibelsFS) dBFS")
        }
    }

    @Test func rangeSelectsOnlyFramesInside() throws {
        let quiet = DenoiseSignals.whiteNoise(frameCount: 48000, rms: 0.001, seed: 25)
        let loud = DenoiseSignals.whiteNoise(frameCount: 48000, rms: 0.1, seed: 26)
        let profile = try Self.measure(quiet + loud, selection: .frames(0..<48000))
        #expect(abs(profile.levelDecibelsFS - -60) < 0.3, "level \(profile.levelDecibelsFS) dBFS")
        // 1 s holds (48000 − 2048)/512 + 1 = 90 whole frames starting at or after 0.
        #expect(profile.frameCount == 90)
        #expect(throws: ScrimError.self) { try Self.measure(quiet, selection: .frames(96000..<200000)) }
    }

    @Test func jsonRoundTripAndValidation() throws {
        let profile = NoiseProfile(sampleRate: 48000, fftSize: 16, hopSize: 4, frameCount: 3,
                                   noisePower: [[Float](repeating: 0.5, count: 9)])
        let decoded = try NoiseProfile.decode(jsonData: try profile.jsonData())
        #expect(decoded == profile)
        var broken = profile
        broken.noisePower[0].removeLast()
        #expect(throws: ScrimError.self) { try NoiseProfile.decode(jsonData: try broken.jsonData()) }
        #expect(throws: ScrimError.self) { try NoiseProfile.decode(jsonData: Data("{}".utf8)) }
    }

    @Test func resamplingKeepsTheNoiseLevel() throws {
        let noise = DenoiseSignals.pinkNoise(frameCount: 96000, rms: 0.01, seed: 27)
        let profile = try Self.measure(noise, selection: .all)
        let smaller = profile.resampled(fftSize: 512, sampleRate: 48000)
        #expect(smaller.binCount == 257)
        // Interpolating a smooth spectrum at another bin spacing keeps its mean: within 0.3 dB.
        #expect(abs(smaller.levelDecibelsFS - profile.levelDecibelsFS) < 0.3)
        // Same density per hertz at twice the rate: bins up to 24 kHz keep their density, the new band above
        // repeats the last value; the level rises by the added band's share only, here < 3 dB for pink noise.
        let faster = profile.resampled(fftSize: 4096, sampleRate: 96000)
        #expect(faster.binCount == 2049)
        #expect(abs(faster.noisePower[0][100] / (2 * profile.noisePower[0][100]) - 1) < 1e-5)
    }

    @Test func learnedProfileFromAnotherSizeWorks() throws {
        let noise = DenoiseSignals.whiteNoise(frameCount: 96000, rms: 0.01, seed: 28)
        let profiler = NoiseProfiler(selection: .all, fftSize: 1024)
        try profiler.prepare(for: ProcessSpec(sampleRate: 48000, channelCount: 1, maximumBlockFrames: 96000))
        AudioBuffer(channels: [noise]).withBlock { profiler.analyze($0) }
        let profile = try profiler.profile()
        #expect(profile.fftSize == 1024)
        let settings = NoiseReducerSettings(reductionDecibels: 12, mode: .learned(profile))
        let (output, report) = try denoise([noise], settings: settings)
        let range = 24000..<96000
        let cut = DenoiseSignals.levelDecibels(noise, range: range)
            - DenoiseSignals.levelDecibels(output[0], range: range)
        #expect(cut > 9 && cut < 12.5, "cut \(cut) dB")
        #expect(report.mode == "learned")
    }
}

@Suite struct DenoiseMathTests {
    @Test func fastLog2MatchesLibm() {
        var worst: Float = 0
        var x: Float = 1e-30
        while x < 1e30 {
            worst = max(worst, abs(DenoiseMath.fastLog2(x) - log2(x)))
            x *= 1.0137
        }
        #expect(worst < 4e-5, "worst absolute error \(worst)")  // fit error 2.85e-5 plus Float rounding
    }

    @Test func fastExp2MatchesLibm() {
        var worst: Float = 0
        var x: Float = -120
        while x < 120 {
            worst = max(worst, abs(DenoiseMath.fastExp2(x) / exp2(x) - 1))
            x += 0.0173
        }
        #expect(worst < 1e-6, "worst relative error \(worst)")  // fit error 2.7e-7 plus Float rounding
        #expect(DenoiseMath.fastExp2(-1000) > 0 && DenoiseMath.fastExp2(1000).isFinite)
    }

    @Test func exponentialIntegralMatchesKnownValues() {
        // Abramowitz & Stegun Table 5.1: E1(0.5) = 0.5597735948, E1(1) = 0.2193839344, E1(2) = 0.0489005107.
        #expect(abs(DenoiseMath.exponentialIntegral(0.5) - 0.559_773_594_8) < 1e-9)
        #expect(abs(DenoiseMath.exponentialIntegral(1) - 0.219_383_934_4) < 1e-9)
        #expect(abs(DenoiseMath.exponentialIntegral(2) - 0.048_900_510_7) < 1e-9)
    }

    @Test func lsaTableMatchesDoublePrecision() {
        let table = LogSpectralAmplitudeTable.shared
        var worst = 0.0
        var v = 1.6e-5
        while v < 100 {
            let exact = 0.5 * DenoiseMath.exponentialIntegral(v) / log(2)
            worst = max(worst, abs(Double(table.halfE1Log2(Float(v))) - exact))
            v *= 1.011
        }
        #expect(worst < 1e-3, "worst error \(worst) (log2 units)")
    }

    /// The C lookup (vectorised with gathers on AVX2/AVX-512) is the scalar Swift one, bit for bit, across the
    /// table's range, at both clamps, on segment boundaries and for a count that leaves a vector remainder.
    @Test func lsaTableLanesEqualScalarLookup() {
        let table = LogSpectralAmplitudeTable.shared
        var values: [Float] = [0, 1e-30, LogSpectralAmplitudeTable.lowestValue, LogSpectralAmplitudeTable.highestValue,
                               128, 1e30, .greatestFiniteMagnitude, .infinity, 1, 0.5, 2, 0.75]
        var v: Float = 1e-6
        while v < 300 {
            values.append(v)
            values.append(v.nextUp)
            v *= 1.003
        }
        values.append(0.3)  // an odd count: the last values go through the loop's remainder
        #expect(values.count % 4 != 0)
        var lanes = [Float](repeating: -1, count: values.count)
        values.withUnsafeBufferPointer { source in
            lanes.withUnsafeMutableBufferPointer { result in
                table.halfE1Log2(source.baseAddress!, into: result.baseAddress!, count: source.count)
            }
        }
        for (i, x) in values.enumerated() {
            #expect(lanes[i].bitPattern == table.halfE1Log2(x).bitPattern, "v = \(x)")
        }
    }
}
