import Foundation
import ScrimCore
import Testing
@testable import ScrimCleanup

@Suite struct TruePeakLimiterTests {
    static let sampleRate = 48_000.0

    static func prepared(ceiling: Double = -1, channelCount: Int = 2, sampleRate: Double = sampleRate) throws
        -> TruePeakLimiter {
        let limiter = TruePeakLimiter(ceiling: ceiling)
        try limiter.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: channelCount,
                                             maximumBlockFrames: 4096))
        return limiter
    }

    /// True peak of a buffer with the meter (the same BS.1770 Annex 2 measure the limiter aims at).
    static func truePeak(_ buffer: AudioBuffer, sampleRate: Double = sampleRate) throws -> DecibelsTruePeak {
        try LoudnessSignals.measure(buffer, sampleRate: sampleRate, truePeak: true).truePeak
    }

    /// Signals with peaks over a −1 dBTP ceiling: sines near fs/4 whose true peak is ~3 dB over their sample
    /// peak, square-wave bursts (the Gibbs overshoot of their edges puts the true peak above the samples),
    /// isolated impulses, and a loud noise burst.
    static func hotSignals(sampleRate: Double) -> [(String, AudioBuffer)] {
        let n = Int(sampleRate)
        var rng = SeededGenerator(seed: 11)
        let nearQuarter = (0..<n).map { i in Float(1.3 * sin(2 * Double.pi * 11_997 * Double(i) / sampleRate + 0.8)) }
        let square = (0..<n).map { i -> Float in
            let burstOn = (i / Int(sampleRate * 0.05)) % 2 == 0
            let high = (i / Int(sampleRate / 1000)) % 2 == 0
            return burstOn ? (high ? 0.99 : -0.99) : 0
        }
        var impulses = [Float](repeating: 0, count: n)
        for k in stride(from: 1000, to: n, by: 4001) { impulses[k] = k % 2 == 0 ? 1 : -1 }
        let noise = (0..<n).map { i -> Float in
            let burst = i > n / 3 && i < n / 2
            return Float((burst ? 1.5 : 0.2) * rng.uniform())
        }
        return [("sine near fs/4", LoudnessSignals.buffer(nearQuarter, channelCount: 2)),
                ("square bursts", AudioBuffer(channels: [square, square.map { -$0 * 0.5 }])),
                ("impulses", LoudnessSignals.buffer(impulses, channelCount: 2)),
                ("noise burst", AudioBuffer(channels: [noise, noise.reversed()]))]
    }

    /// Tolerance: the ceiling + 0.1 dB (the brief's bound). The interpolator is shared with the meter, so the only
    /// overshoot is from gain differences across the interpolation kernel.
    @Test(arguments: [44_100.0, 48_000, 96_000])
    func keepsTruePeakUnderTheCeiling(sampleRate: Double) throws {
        for (name, input) in Self.hotSignals(sampleRate: sampleRate) {
            let before = try Self.truePeak(input, sampleRate: sampleRate)
            #expect(before > -0.5, "\(name) should start over the ceiling (\(before) dBTP)")
            let limiter = try Self.prepared(sampleRate: sampleRate)
            let output = limiter.processAligned(input, blockFrames: [512])
            let after = try Self.truePeak(output, sampleRate: sampleRate)
            #expect(after <= -1 + 0.1, "\(name) at \(sampleRate) Hz: \(after) dBTP")
            #expect(limiter.engaged && limiter.limitedFrames > 0)
            let deepest = limiter.deepestReductionDecibels
            #expect(deepest >= before + 1 - 0.1, "\(name): \(deepest)")
        }
    }

    /// Under the ceiling the limiter touches nothing: output == input delayed by latencyFrames, exactly.
    @Test func transparentBelowTheCeiling() throws {
        var rng = SeededGenerator(seed: 2)
        let left = (0..<20_000).map { i in Float(0.4 * sin(Double(i) * 0.3) + 0.05 * rng.uniform()) }
        let right = (0..<20_000).map { _ in Float(0.3 * rng.uniform()) }
        let input = AudioBuffer(channels: [left, right])
        #expect(try Self.truePeak(input) < -1)
        let limiter = try Self.prepared()
        #expect(limiter.latencyFrames > 48 && limiter.latencyFrames < 96)  // about 1.3 ms at 48 kHz
        let output = limiter.processAligned(input, blockFrames: [1, 100, 4096])
        let identical = output.channelArrays() == input.channelArrays()
        #expect(identical)
        #expect(!limiter.engaged && limiter.deepestReductionDecibels == 0)
    }

    /// An impulse under the ceiling comes out unchanged exactly latencyFrames later (raw, unaligned output).
    @Test func impulseAppearsAtLatency() throws {
        let limiter = try Self.prepared(channelCount: 1)
        let buffer = AudioBuffer(channelCount: 1, capacity: 200)
        buffer.channel(0)[0] = 0.5
        buffer.withBlock { limiter.process($0) }
        let out = buffer.channel(0)
        for i in 0..<200 { #expect(out[i] == (i == limiter.latencyFrames ? 0.5 : 0)) }
    }

    @Test(arguments: [[1], [37], [4096], [5, 1000, 3]])
    func blockSplitInvariance(split: [Int]) throws {
        let (_, input) = Self.hotSignals(sampleRate: Self.sampleRate)[3]
        let reference = try Self.prepared().processAligned(input, blockFrames: [4096]).channelArrays()
        let limiter = try Self.prepared()
        let identical = limiter.processAligned(input, blockFrames: split).channelArrays() == reference
        #expect(identical)
    }

    @Test func resetEqualsFresh() throws {
        let (_, input) = Self.hotSignals(sampleRate: Self.sampleRate)[0]
        let limiter = try Self.prepared()
        let first = limiter.processAligned(input, blockFrames: [999]).channelArrays()
        let frames = limiter.limitedFrames
        limiter.reset()
        #expect(limiter.limitedFrames == 0)
        let identical = limiter.processAligned(input, blockFrames: [999]).channelArrays() == first
        #expect(identical)
        #expect(limiter.limitedFrames == frames)
    }

    /// The gain recovers after a peak: a short loud burst followed by a quiet tone leaves the tone untouched
    /// once the release has run out (50 ms time constant; from the ≈ 5.6 dB dip to the 1e-4 snap is
    /// ln(0.48 / 1e-4) × 50 ms ≈ 0.42 s).
    @Test func releasesAfterAPeak() throws {
        let n = 48_000
        var samples = (0..<n).map { i in Float(0.2 * sin(Double(i) * 0.1)) }
        for i in 1000..<1100 { samples[i] = 1.2 * (i % 2 == 0 ? 1 : -1) }
        let input = AudioBuffer(channels: [samples])
        let limiter = try Self.prepared(channelCount: 1)
        let output = limiter.processAligned(input, blockFrames: [4096])
        let tail = 28_800..<n
        let untouched = tail.allSatisfy { output.channel(0)[$0] == input.channel(0)[$0] }
        #expect(untouched)
        #expect(output.channel(0)[1050] != input.channel(0)[1050])
    }
}
