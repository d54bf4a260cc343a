import Foundation
import ScrimCore
import Testing
@testable import ScrimNeural

/// The reference written by Benchmarks/neural/features_reference.py (libDF's front and back end reimplemented in
/// numpy, float64 arithmetic on float32 inputs and constants).
struct DFNReferenceFixture: Decodable {
    struct Signal: Decodable {
        var seed: UInt32
        var noiseAmplitude: Double
        var sines: [[Double]]
        var frameCount: Int
        var sum: Double
        var sumOfSquares: Double
        var first: [Double]
    }
    var erbWidths: [Int]
    var signal: Signal
    var identityDelayFrames: Int
    var erbFeatures: [[Double]]
    var complexFeaturesReal: [[Double]]
    var complexFeaturesImag: [[Double]]
    var outputRMS: Double
    var output: [Double]

    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Benchmarks/neural/fixtures/dfn3-frontend-backend.json")

    static func load() throws -> DFNReferenceFixture {
        try JSONDecoder().decode(DFNReferenceFixture.self, from: Data(contentsOf: url))
    }

    /// features_reference.py `test_signal`: xorshift32 noise (top 24 bits, uniform in [−1, 1)) plus sines, summed
    /// in double precision (the same glibc `sin` as Python's `math.sin`), rounded to Float.
    func makeSignal() -> [Float] {
        var state = signal.seed
        return (0..<signal.frameCount).map { i in
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            var value = signal.noiseAmplitude * (Double(state >> 8) / 8_388_608.0 - 1.0)
            for sine in signal.sines {
                value += sine[0] * sin(2.0 * Double.pi * sine[1] * Double(i) / 48_000)
            }
            return Float(value)
        }
    }

    /// features_reference.py `test_gains`: 0.5 + 0.5·sin(0.7·t + 0.3·b).
    static func gains(hop t: Int, bands: Int) -> [Float] {
        (0..<bands).map { b in Float(0.5 + 0.5 * sin(0.7 * Double(t) + 0.3 * Double(b))) }
    }

    /// features_reference.py `test_coefs`, layout [bin, tap, re/im]: 0.3·sin(0.13t + 0.07f + 1.1o + 0.5k), plus
    /// 0.5 on the real part of the centre tap.
    static func coefficients(hop t: Int, parameters p: DFNSignalParameters) -> [Float] {
        var c = [Float](repeating: 0, count: p.dfBinCount * p.dfOrder * 2)
        for f in 0..<p.dfBinCount {
            for o in 0..<p.dfOrder {
                for k in 0..<2 {
                    var v = 0.3 * sin(0.13 * Double(t) + 0.07 * Double(f) + 1.1 * Double(o) + 0.5 * Double(k))
                    if o == p.dfOrder - 1 - p.dfLookahead && k == 0 { v += 0.5 }
                    c[(f * p.dfOrder + o) * 2 + k] = Float(v)
                }
            }
        }
        return c
    }
}

@Suite struct DFNFrontEndBackEndTests {
    let p = DFNSignalParameters.deepFilterNet3

    @Test func erbWidthsAreLibDFsAndCoverEveryBin() throws {
        let widths = DFNTables.erbWidths(sampleRate: 48_000, fftSize: 960, bandCount: 32, minimumBins: 2)
        #expect(widths.reduce(0, +) == 481)
        #expect(widths == [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 5, 5, 7, 7, 8, 10, 12, 13, 15, 18, 20, 24, 28, 31,
                           37, 42, 50, 56, 67])
        #expect(widths == (try DFNReferenceFixture.load()).erbWidths)
    }

    /// Princen–Bradley: with hop = fftSize/2, w[i]² + w[i + hop]² = 1, which is what lets libDF's analysis
    /// (window, ·wnorm) and synthesis (window, unnormalised inverse) give back the input. Each w is rounded to
    /// Float (relative error ≤ 6e−8), so w² + w² is within about 2.4e−7 of 1 plus one rounding of the sum.
    @Test func windowSatisfiesTheOverlapAddCondition() {
        let w = DFNTables.vorbisWindow(fftSize: 960)
        for i in 0..<480 {
            let sum = w[i] * w[i] + w[i + 480] * w[i + 480]
            #expect(abs(sum - 1) < 3e-7, "w²[\(i)] + w²[\(i + 480)] = \(sum)")
        }
        #expect(w[0] > 0 && w[959] == w[0])
    }

    /// Silence: the spectrum and the complex features are zero; each ERB feature is (10·log10(1e−10) − s)/40 with
    /// s ← α·s + (1 − α)·(−100) from the −60 … −90 dB ramp. Computed here in double; the front end's Float
    /// recursion differs by rounding only (≪ 1e−5).
    @Test func silenceGivesTheDocumentedFeatures() throws {
        let front = try DFNFrontEnd()
        let zeros = [Float](repeating: 0, count: 480)
        var state = DFNTables.meanNormalizationStart(bandCount: 32).map(Double.init)
        let alpha = Double(p.normalizationAlpha)
        for _ in 0..<4 {
            zeros.withUnsafeBufferPointer { front.analyze($0) }
            #expect(front.spectrumReal.allSatisfy { $0 == 0 } && front.spectrumImag.allSatisfy { $0 == 0 })
            #expect(front.complexFeatureReal.allSatisfy { $0 == 0 } && front.complexFeatureImag.allSatisfy { $0 == 0 })
            for band in 0..<32 {
                state[band] = -100 * (1 - alpha) + state[band] * alpha
                let expected = (-100 - state[band]) / 40
                #expect(abs(Double(front.erbFeatures[band]) - expected) < 1e-5)
            }
        }
        // The first frame: band 0 starts at −60 dB, so (−100 − (0.99·−60 − 1))/40 = −0.99 after one hop.
        let fresh = try DFNFrontEnd()
        zeros.withUnsafeBufferPointer { fresh.analyze($0) }
        #expect(abs(fresh.erbFeatures[0] + 0.99) < 1e-5)
    }

    /// Tolerances (the reference is float64; the front end runs in Float, ε = 6e−8):
    /// - ERB features: a Float FFT's bins carry an absolute error of about ε·log₂N ≈ 6e−7 of the frame's largest
    ///   bin, so a band 40 dB down has a relative power error near 1e−4, i.e. 4e−4 dB, 1e−5 after /40; the log and
    ///   the mean recursion add a few ε. Bound 1e−4 absolute (measured 1.4e−6).
    /// - Complex features: measured against the frame's largest feature, since a bin far below the peak carries
    ///   the FFT's absolute error and a per-bin relative bound would say nothing there; the division by √s adds
    ///   a few ε. Bound 1e−5 of the frame maximum (measured 2.8e−7).
    @Test func frontEndMatchesTheReference() throws {
        let fixture = try DFNReferenceFixture.load()
        let signal = fixture.makeSignal()
        let sum = signal.reduce(0.0) { $0 + Double($1) }
        #expect(abs(sum - fixture.signal.sum) < 1e-6 * max(1, abs(fixture.signal.sum)))
        for (i, v) in fixture.signal.first.enumerated() { #expect(Double(signal[i]) == v) }

        let front = try DFNFrontEnd()
        var worstERB = 0.0
        var worstComplex = 0.0
        for t in 0..<fixture.erbFeatures.count {
            signal[(t * 480)..<((t + 1) * 480)].withUnsafeBufferPointer { front.analyze($0) }
            for b in 0..<32 {
                worstERB = max(worstERB, abs(Double(front.erbFeatures[b]) - fixture.erbFeatures[t][b]))
            }
            let re = fixture.complexFeaturesReal[t]
            let im = fixture.complexFeaturesImag[t]
            let scale = zip(re, im).map { ($0 * $0 + $1 * $1).squareRoot() }.max() ?? 1
            for k in 0..<96 {
                let dr = Double(front.complexFeatureReal[k]) - re[k]
                let di = Double(front.complexFeatureImag[k]) - im[k]
                worstComplex = max(worstComplex, (dr * dr + di * di).squareRoot() / scale)
            }
        }
        #expect(worstERB < 1e-4, "worst ERB feature error \(worstERB)")
        #expect(worstComplex < 1e-5, "worst complex feature error \(worstComplex) of the frame maximum")
        print("DFNFrontEnd vs reference: ERB features max |error| \(worstERB); complex features max error "
              + "\(worstComplex) of the frame maximum")
    }

    /// Bound −80 dB of the reference's RMS (measured −131 dB: Float rounding through two 960-point FFTs).
    @Test func backEndMatchesTheReference() throws {
        let fixture = try DFNReferenceFixture.load()
        let signal = fixture.makeSignal()
        let front = try DFNFrontEnd()
        let back = try DFNBackEnd()
        var output = [Float](repeating: 0, count: signal.count)
        for t in 0..<(signal.count / 480) {
            signal[(t * 480)..<((t + 1) * 480)].withUnsafeBufferPointer { front.analyze($0) }
            let gains = DFNReferenceFixture.gains(hop: t, bands: 32)
            let coefficients = DFNReferenceFixture.coefficients(hop: t, parameters: p)
            gains.withUnsafeBufferPointer { g in
                coefficients.withUnsafeBufferPointer { c in
                    output[(t * 480)..<((t + 1) * 480)].withUnsafeMutableBufferPointer { out in
                        back.process(spectrumReal: front.spectrumReal, spectrumImag: front.spectrumImag,
                                     gains: g, coefficients: c, output: out)
                    }
                }
            }
        }
        var error = 0.0
        for (a, b) in zip(output, fixture.output) { error += (Double(a) - b) * (Double(a) - b) }
        let errorRMS = (error / Double(output.count)).squareRoot()
        let decibels = 20 * log10(errorRMS / fixture.outputRMS)
        #expect(decibels < -80, "output error \(decibels) dB relative to the reference's RMS")
        print("DFNBackEnd vs reference: error RMS \(errorRMS), \(decibels) dB of the output RMS \(fixture.outputRMS)")
    }

    /// All-ones gains and the identity deep filter (tap dfOrder − 1 − dfLookahead = 2 real part 1, the rest 0)
    /// reconstruct the input delayed by fftSize − hop + lookahead·hop = 1440 samples; so does skipping both stages.
    /// Float rounding through a 960-point FFT pair: about 1e−7 of the signal's peak (≈ 0.6), so 2e−6 absolute.
    @Test(arguments: [true, false])
    func identityBackEndDelaysTheInput(explicitIdentity: Bool) throws {
        let fixture = try DFNReferenceFixture.load()
        let signal = fixture.makeSignal()
        let front = try DFNFrontEnd()
        let back = try DFNBackEnd()
        #expect(back.latencyFrames == 1440)
        #expect(back.latencyFrames == fixture.identityDelayFrames)
        let ones = [Float](repeating: 1, count: 32)
        var identity = [Float](repeating: 0, count: back.coefficientCount)
        for f in 0..<96 { identity[(f * 5 + 2) * 2] = 1 }
        var output = [Float](repeating: 0, count: signal.count)
        for t in 0..<(signal.count / 480) {
            signal[(t * 480)..<((t + 1) * 480)].withUnsafeBufferPointer { front.analyze($0) }
            ones.withUnsafeBufferPointer { g in
                identity.withUnsafeBufferPointer { c in
                    output[(t * 480)..<((t + 1) * 480)].withUnsafeMutableBufferPointer { out in
                        back.process(spectrumReal: front.spectrumReal, spectrumImag: front.spectrumImag,
                                     gains: explicitIdentity ? g : nil, coefficients: explicitIdentity ? c : nil,
                                     output: out)
                    }
                }
            }
        }
        var worst: Float = 0
        for n in 0..<1440 { worst = max(worst, abs(output[n])) }
        for n in 1440..<signal.count { worst = max(worst, abs(output[n] - signal[n - 1440])) }
        #expect(worst < 2e-6, "identity back end: max |output − delayed input| = \(worst)")
    }

    @Test func resetEqualsAFreshFrontAndBackEnd() throws {
        let signal = try DFNReferenceFixture.load().makeSignal()
        let front = try DFNFrontEnd()
        let back = try DFNBackEnd()
        func run(_ front: DFNFrontEnd, _ back: DFNBackEnd, hops: Int) -> [Float] {
            var output = [Float](repeating: 0, count: hops * 480)
            for t in 0..<hops {
                signal[(t * 480)..<((t + 1) * 480)].withUnsafeBufferPointer { front.analyze($0) }
                output[(t * 480)..<((t + 1) * 480)].withUnsafeMutableBufferPointer { out in
                    back.process(spectrumReal: front.spectrumReal, spectrumImag: front.spectrumImag,
                                 gains: nil, coefficients: nil, output: out)
                }
            }
            return output + Array(front.erbFeatures) + Array(front.complexFeatureReal)
        }
        let first = run(front, back, hops: 12)
        front.reset()
        back.reset()
        #expect(run(front, back, hops: 12) == first)
        #expect(run(try DFNFrontEnd(), try DFNBackEnd(), hops: 12) == first)
    }

    @Test func refusesParametersLibDFCannotRun() {
        var bad = p
        bad.hopSize = 600
        #expect(throws: ScrimError.self) { try DFNFrontEnd(parameters: bad) }
        bad = p
        bad.dfLookahead = 5
        #expect(throws: ScrimError.self) { try DFNBackEnd(parameters: bad) }
    }
}

/// The layout of the installed df_dec graph's output, read with ScrimNeural's ONNX reader.
@Suite(.enabled(if: DeepFilterNet3Files.isInstalled(),
                "DeepFilterNet3 is not installed (run scripts/fetch-model.sh)"))
struct DFNCoefficientLayoutTests {
    @Test func dfDecoderOutputIsBinsThenTapsThenReIm() throws {
        let model = try DeepFilterNetModel()
        let outputs = model.dfDecoder.graph.outputs
        print("df_dec outputs: " + outputs.map { "\($0.name) \($0.shape ?? [])" }.joined(separator: ", "))
        let coefs = try #require(outputs.first { $0.name == "coefs" })
        let shape = try #require(coefs.shape)
        // [B, S, nb_df, df_order·2]: the exporter leaves B and the bin count symbolic and fixes the last axis.
        #expect(shape.count == 4)
        #expect(shape[1] == .symbol("S"))
        #expect(shape[3] == .value(10))
        #expect(DFNSignalParameters(config: model.config) == .deepFilterNet3)
    }
}
