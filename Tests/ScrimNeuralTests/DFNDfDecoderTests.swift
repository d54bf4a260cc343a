import Foundation
import ScrimCore
import Testing
@testable import ScrimNeural

/// ``DFNDfDecoder`` fed by the Swift encoder against onnxruntime's df_dec fed by onnxruntime's encoder (fixture
/// Benchmarks/neural/fixtures/dfn3-network.json), so the error includes the encoder's. Tolerance as
/// ``DFNEncoderTests``: the largest error ≤ 10⁻⁴ × the tensor's largest magnitude.
@Suite(.enabled(if: DeepFilterNet3Files.isInstalled(),
                "the DeepFilterNet3 model is not installed (scripts/fetch-model.sh)"))
struct DFNDfDecoderTests {
    static let model: DeepFilterNetModel? = try? DeepFilterNetModel()

    /// coefs [1, S, 96, 10] and `235` [1, S, 1] for the fixture's frames, flattened as the graph's tensors.
    func runDecoder(_ encoder: DFNEncoder, _ decoder: DFNDfDecoder, _ fixture: DFNNetworkFixture)
        -> (coefs: [Float], alpha: [Float])
    {
        let s = fixture.frameCount
        var coefs = [Float](), alpha = [Float]()
        for t in 0..<s {
            let erb = Array(fixture.featErb[(t * 32)..<(t * 32 + 32)])
            let re = Array(fixture.featSpec[(t * 96)..<(t * 96 + 96)])
            let im = Array(fixture.featSpec[((s + t) * 96)..<((s + t) * 96 + 96)])
            erb.withUnsafeBufferPointer { e in
                re.withUnsafeBufferPointer { r in
                    im.withUnsafeBufferPointer { i in encoder.process(featErb: e, featSpecReal: r, featSpecImag: i) }
                }
            }
            decoder.process(emb: encoder.emb, c0: encoder.c0)
            coefs += Array(decoder.coefficients)
            alpha.append(decoder.alpha)
        }
        return (coefs, alpha)
    }

    @Test func dfDecoderMatchesOnnxruntime() throws {
        let fixture = try DFNNetworkFixture.load()
        let model = try #require(Self.model)
        let decoder = try DFNDfDecoder(model: model)
        let (coefs, alpha) = runDecoder(try DFNEncoder(model: model), decoder, fixture)
        for (name, mine) in [("coefs", coefs), ("235", alpha)] {
            let reference = try #require(fixture.tensor(name))
            #expect(mine.count == reference.shape.reduce(1, *), "\(name) size")
            #expect(reference.prefixMaxAbsDifference == 0)
            var worst: Float = 0
            for (k, value) in reference.values.enumerated() {
                worst = max(worst, abs(mine[k * reference.stride] - value))
            }
            let relative = Double(worst) / reference.maxAbs
            let sum = mine.reduce(0.0) { $0 + Double($1) }
            let squares = mine.reduce(0.0) { $0 + Double($1) * Double($1) }
            print("DFNDfDecoder \(name): max error \(worst) = \(relative) of max |x| \(reference.maxAbs); "
                  + "sum \(sum) vs \(reference.sum), sum of squares \(squares) vs \(reference.sumOfSquares)")
            #expect(relative <= 1e-4, "\(name): max error \(worst), \(relative) of the largest magnitude")
            #expect(abs(sum - reference.sum) <= 1e-4 * reference.maxAbs * Double(mine.count), "\(name) sum")
            #expect(abs(squares.squareRoot() - reference.sumOfSquares.squareRoot())
                        <= 1e-4 * reference.sumOfSquares.squareRoot(), "\(name) norm")
        }
    }

    @Test func resetGivesAFreshDecoder() throws {
        let fixture = try DFNNetworkFixture.load()
        let model = try #require(Self.model)
        let encoder = try DFNEncoder(model: model)
        let decoder = try DFNDfDecoder(model: model)
        let first = runDecoder(encoder, decoder, fixture)
        encoder.reset()
        decoder.reset()
        #expect(decoder.coefficients.allSatisfy { $0 == 0 } && decoder.alpha == 0)
        let second = runDecoder(encoder, decoder, fixture)
        #expect(first.coefs == second.coefs && first.alpha == second.alpha)
    }
}
