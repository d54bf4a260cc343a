import Foundation
import ScrimCore
import Testing
@testable import ScrimNeural

/// ``DeepFilterNet3/process(hops:count:into:localSNRs:)`` against ``DeepFilterNet3/process(_:into:)`` hop by hop:
/// the same bits for every batch split, with settings that make libDF skip stages (so the decoders run on a subset
/// of the hops) and input with digital silence (so the silence skip cuts batches short), on the real model weights.
@Suite(.enabled(if: DeepFilterNet3Files.isInstalled(),
                "the DeepFilterNet3 model is not installed (scripts/fetch-model.sh)"))
struct DeepFilterNet3BatchTests {
    static let weights: DeepFilterNet3Weights? = {
        guard let model = try? DeepFilterNetModel() else { return nil }
        return try? DeepFilterNet3Weights(model: model)
    }()

    /// 1.4 s of the end-to-end fixture's input (its first 0.25 s are digital silence) with two more stretches of
    /// digital silence (hops 50 ..< 62 and 100 ..< 104): long enough for the silence skip (> 5 quiet hops), and one
    /// too short for it.
    static func input() throws -> [Float] {
        var input = Array(try DFNLibDFFixture.load().input[0..<(480 * 140)])
        for h in Array(50..<62) + Array(100..<104) {
            for n in (h * 480)..<((h + 1) * 480) { input[n] = 0 }
        }
        return input
    }

    /// Hop by hop: outputs and local SNRs.
    static func perHop(_ network: DeepFilterNet3, _ input: [Float]) -> (output: [Float], lsnr: [Float]) {
        DeepFilterNet3Tests.run(network, input)
    }

    /// In calls of `splits` hops (cycled) through the batched API.
    static func batched(_ network: DeepFilterNet3, _ input: [Float], splits: [Int])
        -> (output: [Float], lsnr: [Float])
    {
        let hop = network.hopSize, hopCount = input.count / hop
        var output = [Float](repeating: .nan, count: input.count)
        var lsnr = [Float](repeating: .nan, count: hopCount)
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                lsnr.withUnsafeMutableBufferPointer { snr in
                    var start = 0, call = 0
                    while start < hopCount {
                        let count = min(splits[call % splits.count], hopCount - start)
                        let range = (start * hop)..<((start + count) * hop)
                        network.process(hops: UnsafeBufferPointer(rebasing: source[range]), count: count,
                                        into: UnsafeMutableBufferPointer(rebasing: destination[range]),
                                        localSNRs: snr.baseAddress.unsafelyUnwrapped + start)
                        start += count
                        call += 1
                    }
                }
            }
        }
        return (output, lsnr)
    }

    static let settings: [(String, DeepFilterNet3.Settings)] = [
        ("libDF C API", .libDFCAPI),
        ("libDF default", .libDFDefault),
        ("mixed stages", .init(minimumThreshold: -5, maximumERBThreshold: 10, maximumDFThreshold: 0)),
        ("all clean", .init(maximumERBThreshold: -100, maximumDFThreshold: -100)),
        ("limit 12 dB + post-filter", .init(postFilterBeta: 0.02, attenuationLimit: 12)),
        ("limit 0 dB", .init(attenuationLimit: 0)),
    ]

    @Test(arguments: 0..<6)
    func batchesGiveTheBitsOfHopByHop(settingsIndex: Int) throws {
        let weights = try #require(Self.weights)
        let (name, settings) = Self.settings[settingsIndex]
        let input = try Self.input()
        let reference = Self.perHop(try DeepFilterNet3(weights: weights, settings: settings, maximumBatch: 1), input)
        // The stages really skip: count the hops of each kind.
        let stages = reference.lsnr.map { lsnr -> String in
            if lsnr < settings.minimumThreshold { return "zeros" }
            if lsnr > settings.maximumERBThreshold { return "clean" }
            return lsnr > settings.maximumDFThreshold ? "erb" : "erb+df"
        }
        print("DeepFilterNet3 batch (\(name)): stages \(Dictionary(grouping: stages, by: { $0 }).mapValues(\.count))")
        let maximumBatch = 32
        for splits in [[1], [7], [maximumBatch], [140], [3, 32, 1, 17, 64, 2]] {
            let network = try DeepFilterNet3(weights: weights, settings: settings, maximumBatch: maximumBatch)
            let result = Self.batched(network, input, splits: splits)
            let same = result.output.map(\.bitPattern) == reference.output.map(\.bitPattern)
                && result.lsnr.map(\.bitPattern) == reference.lsnr.map(\.bitPattern)
            #expect(same, "\(name), splits \(splits): batched output differs from hop by hop")
        }
        // A batch limit that does not divide anything, and reset between runs.
        let odd = try DeepFilterNet3(weights: weights, settings: settings, maximumBatch: 7)
        _ = Self.batched(odd, input, splits: [140])
        odd.reset()
        let again = Self.batched(odd, input, splits: [140])
        #expect(again.output.map(\.bitPattern) == reference.output.map(\.bitPattern)
                    && again.lsnr.map(\.bitPattern) == reference.lsnr.map(\.bitPattern),
                "\(name): maximumBatch 7 after reset differs from hop by hop")
    }

    /// The silence skip and every stage do happen in the input above, so the cases are not vacuous.
    @Test func inputExercisesTheSkips() throws {
        let weights = try #require(Self.weights)
        let input = try Self.input()
        let settings = Self.settings[2].1
        let (_, lsnr) = Self.perHop(try DeepFilterNet3(weights: weights, settings: settings), input)
        #expect(lsnr.contains { $0 < settings.minimumThreshold && $0 != -15 }, "no hop with zero gains")
        #expect(lsnr.contains { $0 > settings.maximumERBThreshold }, "no clean hop")
        #expect(lsnr.contains { $0 > settings.maximumDFThreshold && $0 <= settings.maximumERBThreshold },
                "no hop with ERB gains only")
        #expect(lsnr.contains { $0 >= settings.minimumThreshold && $0 <= settings.maximumDFThreshold },
                "no hop with both decoders")
        let clean = try DeepFilterNet3(weights: weights, settings: Self.settings[3].1)
        let skipped = Self.perHop(clean, input).lsnr.filter { $0 == -15 }.count
        #expect(skipped >= 6, "only \(skipped) silent-skip hops")
    }

    /// Networks over one ``DeepFilterNet3Weights`` share its storage: a network's own bytes are its state.
    @Test func networksShareTheWeights() throws {
        let weights = try #require(Self.weights)
        let a = try DeepFilterNet3(weights: weights, maximumBatch: 1)
        let b = try DeepFilterNet3(weights: weights, maximumBatch: 32)
        #expect(a.weights === b.weights)
        print("DeepFilterNet3 memory: weights \(weights.byteCount) bytes shared; per network \(a.stateByteCount) "
              + "bytes at maximumBatch 1, \(b.stateByteCount) at 32")
        #expect(weights.byteCount > 8_000_000 && a.stateByteCount < 400_000)
    }
}

