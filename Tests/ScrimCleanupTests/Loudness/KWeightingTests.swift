import Foundation
import Testing
@testable import ScrimCleanup

@Suite struct KWeightingTests {
    /// ITU-R BS.1770-4 Table 1 (pre-filter) and Table 2 (RLB filter), 48 kHz. The Recommendation prints 14
    /// decimals; 1e-6 leaves room only for the last few digits of the analog-prototype fit.
    @Test func coefficientsAt48kHzMatchTheRecommendation() {
        let pre = KWeighting.preFilter(sampleRate: 48_000)
        #expect(abs(pre.b0 - 1.53512485958697) < 1e-6)
        #expect(abs(pre.b1 - -2.69169618940638) < 1e-6)
        #expect(abs(pre.b2 - 1.19839281085285) < 1e-6)
        #expect(abs(pre.a1 - -1.69065929318241) < 1e-6)
        #expect(abs(pre.a2 - 0.73248077421585) < 1e-6)
        let rlb = KWeighting.highPass(sampleRate: 48_000)
        #expect(rlb.b0 == 1 && rlb.b1 == -2 && rlb.b2 == 1)
        #expect(abs(rlb.a1 - -1.99004745483398) < 1e-6)
        #expect(abs(rlb.a2 - 0.99007225036621) < 1e-6)
    }

    /// The derived filters have the same response at other rates: at 1 kHz (where the loudness offset is
    /// calibrated) within 0.01 dB, and the shelf's +4 dB plateau at 10 kHz within 0.1 dB at ≥ 44.1 kHz (the
    /// bilinear transform compresses the response near Nyquist, so 10 kHz at 32 kHz is left out).
    @Test(arguments: [32_000.0, 44_100, 88_200, 96_000, 192_000])
    func responseIsRateIndependent(sampleRate: Double) {
        func gain(_ f: Double, _ rate: Double) -> Double {
            let pre = KWeighting.preFilter(sampleRate: rate).magnitude(atFrequency: f, sampleRate: rate)
            let hp = KWeighting.highPass(sampleRate: rate).magnitude(atFrequency: f, sampleRate: rate)
            return 20 * log10(pre * hp)
        }
        #expect(abs(gain(1000, sampleRate) - gain(1000, 48_000)) < 0.01)
        #expect(abs(gain(100, sampleRate) - gain(100, 48_000)) < 0.01)
        if sampleRate >= 44_100 { #expect(abs(gain(10_000, sampleRate) - gain(10_000, 48_000)) < 0.1) }
    }

    /// K-weighting gain at 1 kHz is about +0.69 dB: the reason for the −0.691 offset.
    @Test func gainAt1kHzIsAboutTheOffset() {
        let pre = KWeighting.preFilter(sampleRate: 48_000).magnitude(atFrequency: 1000, sampleRate: 48_000)
        let hp = KWeighting.highPass(sampleRate: 48_000).magnitude(atFrequency: 1000, sampleRate: 48_000)
        #expect(abs(20 * log10(pre * hp) - 0.691) < 0.02)
    }
}
