import Foundation
import ScrimCore
import Testing
@testable import ScrimNeural

/// The fixture written by Benchmarks/neural/network_reference.py: seeded features and onnxruntime's outputs of the
/// three DeepFilterNet3 graphs (whole-tensor sums and norms, and every `stride`-th value).
struct DFNNetworkFixture: Decodable {
    struct Tensor: Decodable {
        var name: String
        var shape: [Int]
        var timeAxis: Int
        var sum: Double
        var sumOfSquares: Double
        var maxAbs: Double
        var stride: Int
        var values: [Float]
        var prefixMaxAbsDifference: Double
    }
    var frameCount: Int
    var featErb: [Float]
    var featSpec: [Float]
    var tensors: [Tensor]

    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Benchmarks/neural/fixtures/dfn3-network.json")

    static func load() throws -> DFNNetworkFixture {
        try JSONDecoder().decode(DFNNetworkFixture.self, from: Data(contentsOf: url))
    }

    func tensor(_ name: String) -> Tensor? { tensors.first { $0.name == name } }
}

/// Runs ``DFNEncoder`` frame by frame over the fixture's features and lays its outputs out as the graph's
/// whole-sequence tensors: e0…e3 and c0 [1, 64, S, F], emb [1, S, 512], lsnr [1, S, 1].
func runEncoder(_ encoder: DFNEncoder, _ fixture: DFNNetworkFixture) -> [String: [Float]] {
    let s = fixture.frameCount
    let planes: [(String, Int)] = [("e0", 32), ("e1", 16), ("e2", 8), ("e3", 8), ("c0", 96)]
    var result: [String: [Float]] = [:]
    for (name, bins) in planes { result[name] = [Float](repeating: 0, count: 64 * s * bins) }
    var emb = [Float](), lsnr = [Float]()
    for t in 0..<s {
        let erb = Array(fixture.featErb[(t * 32)..<(t * 32 + 32)])
        let re = Array(fixture.featSpec[(t * 96)..<(t * 96 + 96)])
        let im = Array(fixture.featSpec[((s + t) * 96)..<((s + t) * 96 + 96)])
        erb.withUnsafeBufferPointer { e in
            re.withUnsafeBufferPointer { r in
                im.withUnsafeBufferPointer { i in encoder.process(featErb: e, featSpecReal: r, featSpecImag: i) }
            }
        }
        let views: [String: UnsafeBufferPointer<Float>] = ["e0": encoder.e0, "e1": encoder.e1, "e2": encoder.e2,
                                                            "e3": encoder.e3, "c0": encoder.c0]
        for (name, bins) in planes {
            let view = views[name]!
            for c in 0..<64 {
                for f in 0..<bins { result[name]![(c * s + t) * bins + f] = view[c * bins + f] }
            }
        }
        emb += Array(encoder.emb)
        lsnr.append(encoder.localSNR)
    }
    result["emb"] = emb
    result["lsnr"] = lsnr
    return result
}

/// Agreement with onnxruntime. Tolerance: the largest error of any compared value ≤ 10⁻⁴ × the tensor's largest
/// magnitude. Derivation: each layer's float32 sums (≤ 3072 terms, in a different order from onnxruntime's
/// MLAS kernels, which also fuse multiply-adds) differ by a few ε = 6·10⁻⁸ relative to the terms' magnitudes;
/// through seven layers and four GRU steps this stays around 10⁻⁶ of the magnitude (measured: see the report in
/// Benchmarks/neural/README.md), and 10⁻⁴ leaves margin for other CPUs' onnxruntime kernels while still catching
/// any wrong weight, layout or padding (those give errors of order 1).
@Suite(.enabled(if: DeepFilterNet3Files.isInstalled(),
                "the DeepFilterNet3 model is not installed (scripts/fetch-model.sh)"))
struct DFNEncoderTests {
    static let model: DeepFilterNetModel? = try? DeepFilterNetModel()

    @Test func encoderMatchesOnnxruntime() throws {
        let fixture = try DFNNetworkFixture.load()
        let model = try #require(Self.model)
        let encoder = try DFNEncoder(model: model)
        let outputs = runEncoder(encoder, fixture)
        for name in ["e0", "e1", "e2", "e3", "emb", "c0", "lsnr"] {
            let reference = try #require(fixture.tensor(name))
            let mine = try #require(outputs[name])
            #expect(mine.count == reference.shape.reduce(1, *), "\(name) size")
            // The graph is causal: a prefix run gave exactly the full run's prefix.
            #expect(reference.prefixMaxAbsDifference == 0)
            var worst: Float = 0
            for (k, value) in reference.values.enumerated() {
                worst = max(worst, abs(mine[k * reference.stride] - value))
            }
            let relative = Double(worst) / reference.maxAbs
            let sum = mine.reduce(0.0) { $0 + Double($1) }
            let squares = mine.reduce(0.0) { $0 + Double($1) * Double($1) }
            let maxAbs = mine.reduce(0.0) { max($0, abs(Double($1))) }
            print("DFNEncoder \(name): max error \(worst) = \(relative) of max |x| \(reference.maxAbs); "
                  + "sum \(sum) vs \(reference.sum), sum of squares \(squares) vs \(reference.sumOfSquares)")
            #expect(relative <= 1e-4, "\(name): max error \(worst), \(relative) of the largest magnitude")
            let scale = reference.maxAbs * Double(mine.count)
            #expect(abs(sum - reference.sum) <= 1e-4 * scale, "\(name) sum \(sum) vs \(reference.sum)")
            #expect(abs(squares.squareRoot() - reference.sumOfSquares.squareRoot())
                        <= 1e-4 * reference.sumOfSquares.squareRoot(), "\(name) norm")
            #expect(abs(maxAbs - reference.maxAbs) <= 1e-4 * reference.maxAbs, "\(name) max |x|")
        }
    }

    /// The ERB decoder fed by the Swift encoder against onnxruntime's erb_dec fed by onnxruntime's encoder (so the
    /// error includes the encoder's); the same tolerance.
    @Test func erbDecoderMatchesOnnxruntime() throws {
        let fixture = try DFNNetworkFixture.load()
        let model = try #require(Self.model)
        let encoder = try DFNEncoder(model: model)
        let decoder = try DFNErbDecoder(model: model)
        let reference = try #require(fixture.tensor("m"))
        let s = fixture.frameCount
        var worst: Float = 0
        for t in 0..<s {
            let erb = Array(fixture.featErb[(t * 32)..<(t * 32 + 32)])
            let re = Array(fixture.featSpec[(t * 96)..<(t * 96 + 96)])
            let im = Array(fixture.featSpec[((s + t) * 96)..<((s + t) * 96 + 96)])
            erb.withUnsafeBufferPointer { e in
                re.withUnsafeBufferPointer { r in
                    im.withUnsafeBufferPointer { i in encoder.process(featErb: e, featSpecReal: r, featSpecImag: i) }
                }
            }
            decoder.process(emb: encoder.emb, e3: encoder.e3, e2: encoder.e2, e1: encoder.e1, e0: encoder.e0)
            // m is [1, 1, S, 32], kept in full (stride 1).
            for f in 0..<32 { worst = max(worst, abs(decoder.mask[f] - reference.values[t * 32 + f])) }
        }
        print("DFNErbDecoder m: max error \(worst) = \(Double(worst) / reference.maxAbs) of max |m| "
              + "\(reference.maxAbs)")
        #expect(reference.stride == 1)
        #expect(Double(worst) <= 1e-4 * reference.maxAbs, "m: max error \(worst)")
    }

    @Test func resetGivesAFreshEncoder() throws {
        let fixture = try DFNNetworkFixture.load()
        let model = try #require(Self.model)
        let encoder = try DFNEncoder(model: model)
        let first = runEncoder(encoder, fixture)
        encoder.reset()
        #expect(encoder.emb.allSatisfy { $0 == 0 } && encoder.localSNR == 0)
        let second = runEncoder(encoder, fixture)
        for (name, values) in first { #expect(second[name] == values, "\(name) after reset") }
    }

    @Test func encoderPerFrameTime() throws {
        let fixture = try DFNNetworkFixture.load()
        let model = try #require(Self.model)
        let encoder = try DFNEncoder(model: model)
        let erb = Array(fixture.featErb[0..<32]), re = Array(fixture.featSpec[0..<96])
        let im = Array(fixture.featSpec[(fixture.frameCount * 96)..<(fixture.frameCount * 96 + 96)])
        let frames = 200
        let clock = ContinuousClock()
        let elapsed = erb.withUnsafeBufferPointer { e in
            re.withUnsafeBufferPointer { r in
                im.withUnsafeBufferPointer { i in
                    clock.measure {
                        for _ in 0..<frames { encoder.process(featErb: e, featSpecReal: r, featSpecImag: i) }
                    }
                }
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        print("DFNEncoder: \(seconds / Double(frames) * 1e6) µs per frame (\(frames) frames)")
        #expect(encoder.localSNR.isFinite)
    }
}
