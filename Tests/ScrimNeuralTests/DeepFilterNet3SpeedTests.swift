import Foundation
import ScrimCore
import Testing
@testable import ScrimNeural

/// Speed of DeepFilterNet3 per 10 ms hop: hop by hop, batched at several batch sizes, and the bare STFT round trip
/// (front-end analysis + back-end synthesis with unit gains) as the floor. Prints; asserts only that the batched
/// output equals the hop-by-hop output. Runs only when SCRIM_NEURAL_SPEED is set, in a release build:
/// `bash Benchmarks/neural/speed.sh`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SCRIM_NEURAL_SPEED"] != nil
                    && DeepFilterNet3Files.isInstalled(),
                "set SCRIM_NEURAL_SPEED=1 (Benchmarks/neural/speed.sh) with the model installed"))
struct DeepFilterNet3SpeedTests {
    /// Seconds `body` takes, best of `repeats` runs (the least disturbed by the shared machine).
    static func best(_ repeats: Int, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        var best = Double.infinity
        for _ in 0..<repeats {
            let elapsed = clock.measure(body)
            best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        return best
    }

    static func report(_ name: String, seconds: Double, hops: Int) {
        let perHop = seconds / Double(hops) * 1e6
        let realTime = 10_000 / perHop
        print("speed: \(name): \(String(format: "%.1f", perHop)) µs per 10 ms hop, "
              + "\(String(format: "%.1f", realTime))× real time")
    }

    @Test func speed() throws {
        let model = try DeepFilterNetModel()
        let weights = try DeepFilterNet3Weights(model: model)
        // 10 s: the end-to-end fixture's 2 s (voice, noise, hum) five times over.
        let base = try DFNLibDFFixture.load().input
        let input = Array(repeating: base, count: 5).flatMap { $0 }
        let hop = 480, hops = input.count / hop
        var output = [Float](repeating: 0, count: input.count)
        var lsnr = [Float](repeating: 0, count: hops)
        let repeats = 3

        let perHopNetwork = try DeepFilterNet3(weights: weights, maximumBatch: 1)
        var reference = [Float]()
        let perHop = Self.best(repeats) {
            perHopNetwork.reset()
            reference = DeepFilterNet3Tests.run(perHopNetwork, input).output
        }
        Self.report("per hop", seconds: perHop, hops: hops)

        for batch in [8, 16, 32, 64] {
            let network = try DeepFilterNet3(weights: weights, maximumBatch: batch)
            let seconds = Self.best(repeats) {
                network.reset()
                input.withUnsafeBufferPointer { source in
                    output.withUnsafeMutableBufferPointer { destination in
                        lsnr.withUnsafeMutableBufferPointer { snr in
                            network.process(hops: source, count: hops, into: destination,
                                            localSNRs: snr.baseAddress.unsafelyUnwrapped)
                        }
                    }
                }
            }
            Self.report("batched, maximumBatch \(batch) (\(network.stateByteCount / 1000) kB of state per channel)",
                        seconds: seconds, hops: hops)
            #expect(output.map(\.bitPattern) == reference.map(\.bitPattern), "batch \(batch) differs")
        }

        // The floor: analysis and synthesis only (unit gains, no deep filter).
        let parameters = weights.parameters
        let frontEnd = try DFNFrontEnd(parameters: parameters), backEnd = try DFNBackEnd(parameters: parameters)
        let unit = [Float](repeating: 1, count: parameters.erbBandCount)
        let stft = Self.best(repeats) {
            frontEnd.reset()
            backEnd.reset()
            input.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { destination in
                    unit.withUnsafeBufferPointer { gains in
                        for h in 0..<hops {
                            frontEnd.analyze(UnsafeBufferPointer(rebasing: source[(h * hop)..<((h + 1) * hop)]))
                            backEnd.process(spectrumReal: frontEnd.spectrumReal, spectrumImag: frontEnd.spectrumImag,
                                            gains: gains, coefficients: nil,
                                            output: UnsafeMutableBufferPointer(
                                                rebasing: destination[(h * hop)..<((h + 1) * hop)]))
                        }
                    }
                }
            }
        }
        Self.report("bare STFT round trip (DFNFrontEnd + DFNBackEnd, unit gains)", seconds: stft, hops: hops)
        print("speed: weights \(weights.byteCount / 1000) kB, shared by every channel; state per channel hop by hop "
              + "\(perHopNetwork.stateByteCount / 1000) kB")
    }
}
