import Foundation
import Testing
@testable import Scrim

/// Multiplies by a constant gain: no latency, so it shows where in the chain a tail passes.
final class Gain: AudioProcessor {
    let gain: Float
    init(_ gain: Float) { self.gain = gain }
    let latencyFrames = 0
    func prepare(for spec: ProcessSpec) throws {}
    func process(_ block: AudioBlock) {
        for c in 0..<block.channelCount {
            let samples = block.channel(c)
            for i in samples.indices { samples[i] *= gain }
        }
    }
    func reset() {}
}

/// Seeded noise plus a 50 Hz hum with harmonics: enough for every real stage to have something to do.
func testSignal(channels: Int, frames: Int, seed: UInt64 = 7) -> [[Float]] {
    var state = seed
    func uniform() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 24) * 2 - 1
    }
    return (0..<channels).map { c in
        (0..<frames).map { i in
            let t = Double(i) / 48_000
            let hum = 0.05 * sin(2 * .pi * 50 * t) + 0.02 * sin(2 * .pi * 150 * t + Double(c))
            return Float(hum) + 0.01 * uniform() + Float(0.3 * sin(2 * .pi * 440 * t * Double(c + 1)))
        }
    }
}

/// A plain async sequence of buffers cut from arrays at the given sizes (cycled).
struct BufferSequence: AsyncSequence {
    typealias Element = AudioBuffer
    let channels: [[Float]]
    let sizes: [Int]
    struct AsyncIterator: AsyncIteratorProtocol {
        let channels: [[Float]]
        let sizes: [Int]
        var position = 0
        var index = 0
        mutating func next() async -> AudioBuffer? {
            let total = channels[0].count
            guard position < total else { return nil }
            let n = Swift.min(sizes[index % sizes.count], total - position)
            index += 1
            defer { position += n }
            return AudioBuffer(channels: channels.map { Array($0[position..<(position + n)]) })
        }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(channels: channels, sizes: sizes) }
}

@Suite struct ProcessorChainTests {
    static func humChain() -> ProcessorChain {
        ProcessorChain([
            HumRemover(configuration: HumRemoverConfiguration(fundamentalHertz: 50, harmonicNumbers: [1, 2, 3])),
            Delay(333),
            LoudnessNormalizer(plan: NormalizationPlan(gainDecibels: 12, truePeakCeiling: -1)),
        ])
    }

    @Test func latencyIsTheSumAndDelaysComeOutAligned() throws {
        let chain = ProcessorChain([Delay(3), Gain(0.5), Delay(1000), Delay(0), Delay(17)])
        try chain.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 256))
        #expect(chain.latencyFrames == 1020)
        let input = AudioBuffer(channels: testSignal(channels: 2, frames: 5_000))
        // The chain's tail (1020 frames) is longer than its largest block (256): flush must drain it in pieces,
        // each stage's tail passing through the later stages (the gain halves everything).
        let output = chain.processAligned(input, blockFrames: [1, 255, 64])
        let expected = input.channelArrays().map { $0.map { $0 * 0.5 } }
        #expect(output.channelArrays() == expected)
    }

    @Test func anImpulseComesOutAtTheChainLatency() throws {
        let chain = ProcessorChain([Delay(5), Delay(7)])
        try chain.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 1, maximumBlockFrames: 4))
        var impulse = [Float](repeating: 0, count: 40)
        impulse[0] = 1
        var raw: [Float] = []
        for start in stride(from: 0, to: 40, by: 4) {
            let piece = AudioBuffer(channels: [Array(impulse[start..<(start + 4)])])
            piece.withBlock { chain.process($0) }
            raw += piece.channel(0)
        }
        #expect(raw.firstIndex(of: 1) == chain.latencyFrames)
    }

    @Test(arguments: [[4096], [1, 7, 500, 3000], [4096, 13], [2048]])
    func realStagesGiveTheSameOutputForAnySplit(split: [Int]) throws {
        let input = AudioBuffer(channels: testSignal(channels: 2, frames: 48_000))
        let reference = Self.humChain()
        try reference.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 4096))
        let expected = reference.processAligned(input, blockFrames: [4096]).channelArrays()
        let chain = Self.humChain()
        try chain.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 4096))
        let output = chain.processAligned(input, blockFrames: split).channelArrays()
        #expect(output == expected)
        #expect(output[0].count == 48_000)
        // Something happened: the hum went down (the chain is not a pass-through that trivially matches).
        #expect(output != input.channelArrays())
    }

    @Test func resetEqualsAFreshChain() throws {
        let input = AudioBuffer(channels: testSignal(channels: 2, frames: 30_000))
        let chain = Self.humChain()
        try chain.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 999))
        let first = chain.processAligned(input, blockFrames: [999]).channelArrays()
        chain.reset()
        let second = chain.processAligned(input, blockFrames: [999]).channelArrays()
        #expect(first == second)
    }

    @Test func nonFiniteSamplesAreZeroedAndCounted() throws {
        let chain = ProcessorChain([Gain(2)])
        try chain.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 8))
        let buffer = AudioBuffer(channels: [[1, .nan, 0.25, .infinity], [-.infinity, 0.5, 0, 0]])
        buffer.withBlock { chain.process($0) }
        #expect(chain.invalidSamplesZeroed == 3)
        #expect(buffer.channelArrays() == [[2, 0, 0.5, 0], [0, 1, 0, 0]])
        chain.reset()
        #expect(chain.invalidSamplesZeroed == 0)
    }

    @Test func emptyChainIsAPassThrough() throws {
        let chain = ProcessorChain([])
        try chain.prepare(for: ProcessSpec(sampleRate: 44_100, channelCount: 1, maximumBlockFrames: 64))
        let input = AudioBuffer(channels: testSignal(channels: 1, frames: 1_000))
        #expect(chain.latencyFrames == 0)
        #expect(chain.processAligned(input, blockFrames: [64, 3]).channelArrays() == input.channelArrays())
    }

    @Test(arguments: [[4096], [100, 7777], [1, 333]])
    func asyncSequenceEqualsThePushAPI(sizes: [Int]) async throws {
        let signal = testSignal(channels: 2, frames: 20_000)
        let push = Self.humChain()
        try push.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 4096))
        let expected = push.processAligned(AudioBuffer(channels: signal), blockFrames: [4096]).channelArrays()

        let chain = Self.humChain()
        try chain.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 4096))
        var collected: [[Float]] = [[], []]
        for try await buffer in chain.process(blocks: BufferSequence(channels: signal, sizes: sizes)) {
            #expect(buffer.frameCount > 0)
            for c in 0..<2 { collected[c] += buffer.channel(c) }
        }
        #expect(collected == expected)
    }

    @Test func asyncSequenceShorterThanTheLatencyStillYieldsEveryFrame() async throws {
        let signal = testSignal(channels: 1, frames: 100)
        let chain = ProcessorChain([Delay(250), Gain(-1)])
        try chain.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 1, maximumBlockFrames: 64))
        var collected: [Float] = []
        for try await buffer in chain.process(blocks: BufferSequence(channels: signal, sizes: [30])) {
            collected += buffer.channel(0)
        }
        #expect(collected == signal[0].map { -$0 })
    }
}
