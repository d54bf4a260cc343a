import Testing
@testable import ScrimCore

/// A pure delay of `latencyFrames`: the simplest processor with latency, so the bookkeeping can be checked
/// against an exact expectation (output == input, frame for frame).
final class DelayProcessor: AudioProcessor {
    let latencyFrames: Int
    private var line: [[Float]] = []
    private var position = 0
    init(latencyFrames: Int) { self.latencyFrames = latencyFrames }
    func prepare(for spec: ProcessSpec) throws {
        try spec.validate()
        line = Array(repeating: Array(repeating: 0, count: max(latencyFrames, 1)), count: spec.channelCount)
        position = 0
    }
    func process(_ block: AudioBlock) {
        guard latencyFrames > 0 else { return }
        for i in 0..<block.frameCount {
            for c in 0..<block.channelCount {
                let x = block.channel(c)[i]
                block.channel(c)[i] = line[c][position]
                line[c][position] = x
            }
            position = (position + 1) % latencyFrames
        }
    }
    func reset() {
        for c in line.indices { line[c] = Array(repeating: 0, count: line[c].count) }
        position = 0
    }
}

@Suite struct LatencyCompensationTests {
    static let splits: [[Int]] = [[1], [7], [64], [3, 100, 1, 33], [4096]]

    @Test(arguments: [0, 1, 5, 300], splits)
    func alignedOutputEqualsInput(latency: Int, split: [Int]) throws {
        let frames = 1000
        let input = AudioBuffer(channels: [
            (0..<frames).map { Float($0) }, (0..<frames).map { -Float($0) },
        ])
        let delay = DelayProcessor(latencyFrames: latency)
        try delay.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 4096))
        let output = delay.processAligned(input, blockFrames: split)
        #expect(output.frameCount == frames)
        #expect(output.channelArrays() == input.channelArrays())
    }

    @Test func compensatorDropsExactlyTheLatency() {
        var compensator = LatencyCompensator(latencyFrames: 10)
        #expect(compensator.alignedRange(ofProcessed: 4) == 4..<4)
        #expect(compensator.alignedRange(ofProcessed: 8) == 6..<8)
        #expect(compensator.alignedRange(ofProcessed: 8) == 0..<8)
        compensator.reset()
        #expect(compensator.framesToDrop == 10)
    }

    @Test func specValidationRejectsAbsurdValues() {
        #expect(throws: ScrimError.self) {
            try ProcessSpec(sampleRate: 0, channelCount: 1, maximumBlockFrames: 1).validate()
        }
        #expect(throws: ScrimError.self) {
            try ProcessSpec(sampleRate: 48_000, channelCount: 100_000, maximumBlockFrames: 1).validate()
        }
        #expect(throws: ScrimError.self) {
            try ProcessSpec(sampleRate: .nan, channelCount: 1, maximumBlockFrames: 1).validate()
        }
    }

    @Test func decibelConversionsInvert() {
        #expect(abs(decibels(fromAmplitude: 0.5) - (-6.0206)) < 1e-4)
        #expect(abs(amplitude(fromDecibels: decibels(fromAmplitude: 0.123)) - 0.123) < 1e-12)
        #expect(decibels(fromPower: 0) == -.infinity)
    }
}
