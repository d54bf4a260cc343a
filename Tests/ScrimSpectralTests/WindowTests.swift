import Foundation
import ScrimCore
import Testing
@testable import ScrimSpectral

@Suite struct WindowTests {
    @Test(arguments: [16, 256, 2048])
    func periodicHannValues(length: Int) {
        let w = WindowShape.hann.samples(length: length)
        #expect(w[0] == 0)
        #expect(w[length / 2] == 1)
        #expect(abs(w[length / 4] - 0.5) < 1e-7)  // cos(π/2) rounds to ~6e-17 in double; Float(0.5) exactly
        // Periodic (DFT-even): symmetric about N/2, i.e. w[n] = w[N − n], not w[n] = w[N − 1 − n].
        for n in 1..<length { #expect(w[n] == w[length - n], "n = \(n)") }
        #expect(w[length - 1] > 0)
    }

    /// The mirrored, Chebyshev-assisted ``WindowShape/samples(length:)`` writes the same Floats as evaluating
    /// ``WindowShape/value(at:length:)`` at every sample, for every shape, at every power of two Scrim uses; at
    /// other lengths (odd ones too: only n = 0 maps onto itself there) within one unit in the last place.
    @Test(arguments: [16, 17, 18, 32, 64, 128, 256, 512, 1000, 1023, 1024, 2048, 4096, 6000, 8192, 11599, 16384,
                      32768, 44100, 65536])
    func samplesEqualTheDirectEvaluation(length: Int) {
        let powerOfTwo = length & (length - 1) == 0
        for shape in WindowShape.allCases {
            let window = shape.samples(length: length)
            #expect(window.count == length)
            var differing = 0, furthest: UInt32 = 0
            for n in 0..<length {
                let direct = Float(shape.value(at: n, length: length))
                guard window[n].bitPattern != direct.bitPattern else { continue }
                differing += 1
                let gap = window[n].bitPattern > direct.bitPattern ? window[n].bitPattern - direct.bitPattern
                    : direct.bitPattern - window[n].bitPattern
                furthest = max(furthest, gap)
            }
            if powerOfTwo {
                #expect(differing == 0, "\(shape), \(length) samples: \(differing) differ")
            } else {
                #expect(furthest <= 1, "\(shape), \(length) samples: \(furthest) ulp apart")
            }
        }
    }

    @Test func sqrtHannSquaredIsHann() {
        let n = 512
        let root = WindowShape.sqrtHann.samples(length: n)
        let hann = WindowShape.hann.samples(length: n)
        // Each window is rounded to Float once (≤ u = 6e-8 relative); squaring adds ~2u more; 1e-6 covers it.
        for i in 0..<n { #expect(abs(root[i] * root[i] - hann[i]) <= 1e-6, "n = \(i)") }
    }

    @Test func otherShapesMatchTheirDefinitions() {
        let n = 64
        #expect(WindowShape.rectangular.samples(length: n).allSatisfy { $0 == 1 })
        let hamming = WindowShape.hamming.samples(length: n)
        #expect(abs(hamming[0] - 0.08) < 1e-7 && abs(hamming[n / 2] - 1) < 1e-7)
        let blackmanHarris = WindowShape.blackmanHarris.samples(length: n)
        // Harris 1978: 4-term Blackman–Harris is 6e-5 at its ends and 1 at its centre.
        #expect(abs(blackmanHarris[0] - 6e-5) < 1e-7 && abs(blackmanHarris[n / 2] - 1) < 1e-6)
    }

    struct WOLACase: CustomTestStringConvertible, Sendable {
        var analysis: WindowShape
        var synthesis: WindowShape
        var fftSize: Int
        var hopSize: Int
        var testDescription: String { "\(analysis)×\(synthesis) \(fftSize)/\(hopSize)" }
    }

    static let wolaCases: [WOLACase] = [
        WOLACase(analysis: .sqrtHann, synthesis: .sqrtHann, fftSize: 1024, hopSize: 512),
        WOLACase(analysis: .sqrtHann, synthesis: .sqrtHann, fftSize: 1024, hopSize: 256),
        WOLACase(analysis: .sqrtHann, synthesis: .sqrtHann, fftSize: 1024, hopSize: 128),
        WOLACase(analysis: .hann, synthesis: .rectangular, fftSize: 2048, hopSize: 1024),
        WOLACase(analysis: .hann, synthesis: .hann, fftSize: 2048, hopSize: 512),
        WOLACase(analysis: .blackmanHarris, synthesis: .sqrtHann, fftSize: 512, hopSize: 128),
        WOLACase(analysis: .hamming, synthesis: .hamming, fftSize: 1000, hopSize: 300),  // hop does not divide N
        WOLACase(analysis: .rectangular, synthesis: .rectangular, fftSize: 256, hopSize: 256),
    ]

    @Test(arguments: wolaCases)
    func normalisedWindowsOverlapAddToOne(_ c: WOLACase) throws {
        let a = c.analysis.samples(length: c.fftSize)
        let s = try WOLA.normalizedSynthesisWindow(
            analysis: a, synthesis: c.synthesis.samples(length: c.fftSize), hopSize: c.hopSize)
        let sums = WOLA.overlapSums(analysis: a, synthesis: s, hopSize: c.hopSize)
        // Each normalised value is one Float rounding (u) off exact, the products another u, summed over
        // ≤ N/hop + 1 terms that add to 1: |sum − 1| ≤ (N/hop + 1)·2u ≈ 1.1e-6 for N/hop = 8; 2e-6 is used.
        for (r, sum) in sums.enumerated() { #expect(abs(sum - 1) <= 2e-6, "position \(r): \(sum)") }
    }

    @Test func gainIsFoldedIn() throws {
        let a = WindowShape.sqrtHann.samples(length: 256)
        let s = try WOLA.normalizedSynthesisWindow(analysis: a, synthesis: a, hopSize: 64, gain: 1.0 / 256)
        let sums = WOLA.overlapSums(analysis: a, synthesis: s, hopSize: 64)
        for sum in sums { #expect(abs(sum * 256 - 1) <= 2e-6) }
    }

    @Test func sqrtHannPairSumsToHalfTheOverlapFactorBeforeNormalising() {
        // Σ hann over hops of N/R is R/2 (Harris 1978): the normalisation divides by 2 at R = 4.
        let a = WindowShape.sqrtHann.samples(length: 1024)
        let sums = WOLA.overlapSums(analysis: a, synthesis: a, hopSize: 256)
        for sum in sums { #expect(abs(sum - 2) <= 2e-6) }
    }

    /// Hop = fftSize leaves a zero (Hann family) or near-zero (Blackman–Harris end value 6e-5) overlap sum;
    /// hop = fftSize − 1 with Hann leaves hann[0] + hann[1023] ≈ 1e-5 at position 0.
    @Test(arguments: [(WindowShape.sqrtHann, 1024), (.hann, 1024), (.hann, 1023), (.blackmanHarris, 1024)])
    func tooLittleOverlapThrows(shape: WindowShape, hopSize: Int) {
        let a = shape.samples(length: 1024)
        #expect(throws: ScrimError.self) {
            try WOLA.normalizedSynthesisWindow(analysis: a, synthesis: a, hopSize: hopSize)
        }
    }

    @Test(arguments: [0, 1025])
    func hopOutOfRangeThrows(hopSize: Int) {
        let a = WindowShape.hann.samples(length: 1024)
        #expect(throws: ScrimError.self) {
            try WOLA.normalizedSynthesisWindow(analysis: a, synthesis: a, hopSize: hopSize)
        }
    }
}
