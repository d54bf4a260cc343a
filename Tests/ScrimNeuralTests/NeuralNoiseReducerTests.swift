import Foundation
import ScrimCore
import Testing
@testable import ScrimNeural

@Suite(.enabled(if: DeepFilterNet3Files.isInstalled(),
                "the DeepFilterNet3 model is not installed (scripts/fetch-model.sh)"))
struct NeuralNoiseReducerTests {
    static let model: DeepFilterNetModel? = try? DeepFilterNetModel()

    /// Two channels of the libDF fixture's input (the second reversed and halved), `hops` hops long.
    static func stereo(hops: Int) throws -> [[Float]] {
        let input = Array(try DFNLibDFFixture.load().input.suffix(480 * hops))
        return [input, input.reversed().map { $0 * 0.5 }]
    }

    /// Runs `reducer` over `channels` in blocks of the given sizes (cycled), returning the output.
    static func run(_ reducer: NeuralNoiseReducer, _ channels: [[Float]], blockSizes: [Int]) -> [[Float]] {
        let buffer = AudioBuffer(channels: channels)
        let total = channels[0].count
        buffer.withBlock { block in
            var start = 0, k = 0
            while start < total {
                let count = min(blockSizes[k % blockSizes.count], total - start)
                reducer.process(block.slice(from: start, count: count))
                start += count
                k += 1
            }
        }
        return buffer.channelArrays()
    }

    @Test func refusesOtherSampleRates() throws {
        let reducer = NeuralNoiseReducer(model: try #require(Self.model))
        for rate in [44_100.0, 16_000, 96_000] {
            do {
                try reducer.prepare(for: ProcessSpec(sampleRate: rate, channelCount: 1, maximumBlockFrames: 512))
                Issue.record("\(rate) Hz accepted")
            } catch let error as ScrimError {
                #expect(error.code == .configuration)
                #expect(error.message.contains("48000 Hz"))
            }
        }
    }

    /// Any split gives the same bits: one block of everything, single frames for a while, and odd sizes.
    @Test func resultDoesNotDependOnTheBlockSplit() throws {
        let model = try #require(Self.model)
        let input = try Self.stereo(hops: 24)
        let total = input[0].count
        let whole = NeuralNoiseReducer(model: model)
        try whole.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: total))
        let reference = Self.run(whole, input, blockSizes: [total])
        let split = NeuralNoiseReducer(model: model)
        try split.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 1024))
        var sizes = [Int](repeating: 1, count: 700)
        var state: UInt32 = 12_345
        for _ in 0..<60 {
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            sizes.append(Int(state % 1024) + 1)
        }
        #expect(Self.run(split, input, blockSizes: sizes) == reference)
        #expect(reference[0].contains { $0 != 0 } && reference[1].contains { $0 != 0 })
    }

    @Test func resetEqualsFresh() throws {
        let model = try #require(Self.model)
        let input = try Self.stereo(hops: 16)
        let spec = ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 700)
        let fresh = NeuralNoiseReducer(model: model)
        try fresh.prepare(for: spec)
        let first = Self.run(fresh, input, blockSizes: [333, 700, 1])
        let reused = NeuralNoiseReducer(model: model)
        try reused.prepare(for: spec)
        _ = Self.run(reused, try Self.stereo(hops: 9).map { $0.map { -$0 } }, blockSizes: [77])
        reused.reset()
        #expect(Self.run(reused, input, blockSizes: [333, 700, 1]) == first)
    }

    /// Latency: silence in gives silence out; each channel's output is its own ``DeepFilterNet3``'s output one hop
    /// later, bit for bit (and that network is libDF's, 1440 behind, see DeepFilterNet3Tests); and with an
    /// attenuation limit of 1 dB (output ≈ 0.89 × the noisy input, delayed, + 0.11 × the enhanced signal) the
    /// input comes out at exactly ``NeuralNoiseReducer/latencyFrames``.
    @Test func latencyIsReportedAndExact() throws {
        let model = try #require(Self.model)
        let spec = ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 512)
        let reducer = NeuralNoiseReducer(model: model)
        try reducer.prepare(for: spec)
        #expect(reducer.latencyFrames == 1920)
        let silent = Self.run(reducer, [[Float]](repeating: [Float](repeating: 0, count: 480 * 12), count: 2),
                              blockSizes: [512])
        #expect(silent.allSatisfy { $0.allSatisfy { $0 == 0 } })

        reducer.reset()
        let input = try Self.stereo(hops: 20)
        let output = Self.run(reducer, input, blockSizes: [100, 512])
        for c in 0..<2 {
            let network = try DeepFilterNet3(model: model)
            let (direct, _) = DeepFilterNet3Tests.run(network, input[c])
            #expect(Array(output[c][480...]) == Array(direct[..<(direct.count - 480)]), "channel \(c)")
            #expect(output[c][..<480].allSatisfy { $0 == 0 })
        }

        let limited = NeuralNoiseReducer(model: model, settings: .init(attenuationLimit: 1))
        try limited.prepare(for: spec)
        let mixed = Self.run(limited, input, blockSizes: [512])
        let x = input[0], y = mixed[0], l = limited.latencyFrames
        func correlation(_ lag: Int) -> Double {
            (lag..<x.count).reduce(0.0) { $0 + Double(y[$1]) * Double(x[$1 - lag]) }
        }
        let candidates = [l - 480, l - 2, l - 1, l, l + 1, l + 2, l + 480]
        let best = candidates.max { correlation($0) < correlation($1) }
        #expect(best == l, "best lag \(best ?? -1)")
        // The delayed input explains most of the output: residual well below the mix's 0.11 of the enhanced part.
        let gain = Float(pow(10.0, -1.0 / 20))
        var residual = 0.0, energy = 0.0
        for n in l..<x.count {
            residual += Double(y[n] - gain * x[n - l]) * Double(y[n] - gain * x[n - l])
            energy += Double(y[n]) * Double(y[n])
        }
        #expect(residual < 0.05 * energy, "residual \(residual) of \(energy)")
    }

    @Test func flushDrainsTheTail() throws {
        let model = try #require(Self.model)
        let reducer = NeuralNoiseReducer(model: model)
        try reducer.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 4096))
        let input = try Self.stereo(hops: 10)
        let body = Self.run(reducer, input, blockSizes: [4096])
        let tail = AudioBuffer(channelCount: 2, capacity: reducer.latencyFrames)
        tail.withBlock { reducer.flush(into: $0) }
        // The same as running the input followed by latencyFrames of silence.
        let reference = NeuralNoiseReducer(model: model)
        try reference.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 4096))
        let padded = input.map { $0 + [Float](repeating: 0, count: reducer.latencyFrames) }
        let whole = Self.run(reference, padded, blockSizes: [4096])
        for c in 0..<2 { #expect(body[c] + tail.channelArrays()[c] == whole[c]) }
        #expect(tail.channelArrays()[0].contains { $0 != 0 })
    }
}
