import CScrimVector
import Foundation
import Testing
@testable import ScrimCleanup

/// The C loops behind the noise reducer (`CScrimVector`) against the same steps written out in Swift with
/// ``DenoiseMath``: equal bit for bit, whichever clone (SSE2, AVX2, AVX-512) the machine running the test picked.
/// The inputs span the ranges the kernel sees (powers over 12 decades, SNRs from −40 to +60 dB) and counts that
/// leave a remainder after 4, 8 and 16 lanes.
@Suite struct VectorLoopTests {
    /// A deterministic generator (xorshift32), so a failure reproduces.
    struct Source {
        var state: UInt32 = 0x9E37_79B9
        mutating func unit() -> Float {
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            return Float(state >> 8) / Float(1 << 24)
        }
        /// 10^(lower…upper), log-uniform.
        mutating func decades(_ lower: Float, _ upper: Float) -> Float {
            Float(pow(10, Double(lower + (upper - lower) * unit())))
        }
    }

    @Test(arguments: [1, 7, 1025, 1043])
    func gainsEqualSwiftSteps(count: Int) {
        var random = Source()
        let lambda = (0..<count).map { _ in random.decades(-9, -3) }
        let power = lambda.map { $0 * random.decades(-4, 6) }
        let previousStart = lambda.map { $0 * random.decades(-4, 5) }
        let longStart = (0..<count).map { _ in random.decades(-3, 3) }
        let log2Floors = (0..<count).map { _ in -1.25 - 2.75 * random.unit() }
        let linearFloors = log2Floors.map { DenoiseMath.fastExp2($0) }
        let table = LogSpectralAmplitudeTable.shared
        var parameters = table.gainParameters
        parameters.alpha = 0.9
        parameters.beta = 1 - parameters.alpha
        parameters.xiMin = 0.003_162_3
        parameters.gammaMax = 1e8
        parameters.priorRatio = 0.75 / 0.25
        parameters.log2e = DenoiseMath.log2e
        parameters.longAlpha = 0.99
        parameters.longBeta = 1 - parameters.longAlpha

        var previous = previousStart, long = longStart
        var work = [Float](repeating: 0, count: count), ratio = work, gain = work, applied = work
        scrim_vector_gains(power, lambda, &previous, &long, log2Floors, linearFloors, &work, &ratio, &gain, &applied,
                           Int64(count), &parameters)

        let p = parameters
        for k in 0..<count {
            // NoiseReductionKernel steps 2–3, one bin, in Swift.
            let inverse = 1 / lambda[k]
            let gamma = min(power[k] * inverse, p.gammaMax)
            let dd = p.alpha * min(previousStart[k] * inverse, p.gammaMax) + p.beta * max(gamma - 1, 0)
            let xi = max(dd, p.xiMin)
            let onePlusXi = 1 + xi
            let r = xi / onePlusXi
            let v = r * gamma
            let log2H1 = min(DenoiseMath.fastLog2(r) + table.halfE1Log2(v), 0)
            let presence = 1 / (1 + p.priorRatio * onePlusXi * DenoiseMath.fastExp2(-v * p.log2e))
            let gk = DenoiseMath.fastExp2(presence * log2H1 + (1 - presence) * log2Floors[k])
            #expect(applied[k].bitPattern == max(gk, linearFloors[k]).bitPattern, "gain, bin \(k)")
            #expect(previous[k].bitPattern == (gk * gk * power[k]).bitPattern, "|Â|², bin \(k)")
            #expect(long[k].bitPattern == (p.longAlpha * longStart[k] + p.longBeta * (onePlusXi - 1)).bitPattern,
                    "mean ξ, bin \(k)")
        }
    }

    @Test(arguments: [3, 1025, 1043])
    func trackerEqualsSwiftSteps(count: Int) {
        var random = Source()
        let lambdaStart = (0..<count).map { _ in random.decades(-9, -3) }
        let presenceStart = (0..<count).map { _ in random.unit() }
        let power = lambdaStart.map { $0 * random.decades(-3, 4) }
        let snr: Float = 31.622_776
        var parameters = scrim_tracker_params(
            scale: 1.25, exponentScale: -DenoiseMath.log2e * snr / (1 + snr), priorRatio: 1 + snr, alpha: 0.85,
            beta: 0.15, presenceAlpha: 0.85, presenceBeta: 0.15, threshold: 0.99, posteriorLimit: 1e8, floor: 1e-30)
        var lambda = lambdaStart, presence = presenceStart
        scrim_vector_track(&lambda, &presence, power, Int64(count), &parameters)

        let p = parameters
        for k in 0..<count {
            // NoiseReductionKernel step 1, one bin, in Swift (Gerkmann & Hendriks 2012, eqs. 7–11).
            let y = power[k] * p.scale
            let gamma = min(y / lambdaStart[k], p.posteriorLimit)
            var speech = 1 / (1 + p.priorRatio * DenoiseMath.fastExp2(gamma * p.exponentScale))
            let mean = p.presenceAlpha * presenceStart[k] + p.presenceBeta * speech
            speech = mean > p.threshold ? min(speech, p.threshold) : speech
            let expected = (1 - speech) * y + speech * lambdaStart[k]
            #expect(presence[k].bitPattern == mean.bitPattern, "presence, bin \(k)")
            #expect(lambda[k].bitPattern == max(p.alpha * lambdaStart[k] + p.beta * expected, p.floor).bitPattern,
                    "λ, bin \(k)")
        }
    }

    /// The high-SNR gain smoother: (¼, ½, ¼) over the neighbours, the edges kept, mixed in by the strength; bit
    /// for bit the same as the steps in Swift. Strength 0 (and a count below 3) leaves the gains as they were,
    /// and gains between a floor and 1 stay between them (a weighted mean of neighbours cannot leave their range).
    @Test(arguments: [3, 1025, 1043])
    func gainSmootherEqualsSwiftSteps(count: Int) {
        var random = Source()
        let start = (0..<count).map { _ in 0.06 + 0.94 * random.unit() }
        var scratch = [Float](repeating: 0, count: count)
        var gains = start
        scrim_vector_smooth_gains(&gains, &scratch, Int64(count), 0)
        #expect(gains == start)
        var two = Array(start.prefix(2))
        scrim_vector_smooth_gains(&two, &scratch, 2, 0.6)
        #expect(two == Array(start.prefix(2)))
        let strength: Float = 0.6
        scrim_vector_smooth_gains(&gains, &scratch, Int64(count), strength)
        for k in 0..<count {
            let neighbours = k == 0 || k == count - 1 ? start[k]
                : 0.25 * start[k - 1] + 0.5 * start[k] + 0.25 * start[k + 1]
            let expected = (1 - strength) * start[k] + strength * neighbours
            #expect(gains[k].bitPattern == expected.bitPattern, "bin \(k)")
            #expect(gains[k] >= 0.06 && gains[k] <= 1, "bin \(k): \(gains[k])")
        }
    }

    /// Band pooling and expansion (NoiseReductionKernel.bandLayout): each band is the mean of its bins, in the
    /// order the header states (bit for bit), and expanding repeats each band's value over exactly its bins.
    @Test(arguments: [(1043, 300, 500, 1040), (1025, 256, 512, 1024), (9, 1, 3, 7), (5, 4, 4, 4)])
    func bandsPoolTheirBinsAndExpandOverThem(count: Int, singles: Int, pairs: Int, quads: Int) {
        var random = Source()
        let bins = (0..<count).map { _ in random.decades(-9, 0) }
        var layout = scrim_band_layout(singlesEnd: Int64(singles), pairsEnd: Int64(pairs), quadsEnd: Int64(quads),
                                       binCount: Int64(count))
        var expected: [Float] = Array(bins[0..<singles])
        var owner: [Int] = Array(0..<singles)
        for k in stride(from: singles, to: pairs, by: 2) {
            owner += [expected.count, expected.count]
            expected.append(0.5 * (bins[k] + bins[k + 1]))
        }
        for k in stride(from: pairs, to: quads, by: 4) {
            owner += [Int](repeating: expected.count, count: 4)
            expected.append(0.25 * ((bins[k] + bins[k + 1]) + (bins[k + 2] + bins[k + 3])))
        }
        for k in quads..<count {
            owner.append(expected.count)
            expected.append(bins[k])
        }
        // Four sentinels past each row's end must stay untouched.
        let sentinel = Float(-7.25)
        var bands = [Float](repeating: .nan, count: expected.count) + [Float](repeating: sentinel, count: 4)
        scrim_vector_pool_bands(&bands, bins, &layout)
        #expect(bands.prefix(expected.count).map(\.bitPattern) == expected.map(\.bitPattern))
        #expect(bands.suffix(4).allSatisfy { $0 == sentinel })
        var expanded = [Float](repeating: .nan, count: count) + [Float](repeating: sentinel, count: 4)
        scrim_vector_expand_bands(&expanded, bands, &layout)
        for k in 0..<count {
            #expect(expanded[k].bitPattern == bands[owner[k]].bitPattern, "bin \(k)")
        }
        #expect(expanded.suffix(4).allSatisfy { $0 == sentinel })
    }

    /// The band-weighted sums: the floors' SNR total and the four statistics, each band counted as many times as
    /// it has bins. Compared with the same sums in Double, relative to them. Positive terms, so the error of a
    /// Float partial sum is at most (additions + roundings per term) × 2⁻²⁴ relative: the floors' 16 lanes take
    /// about 65 additions each plus 1 rounding per term (≈ 4e-6, allowed 1e-5); the statistics' 16 lanes take 66
    /// additions each, 2 more to fold them to four, plus up to 3 roundings per term (w·λ, then ·g², and g²
    /// itself): ≈ 71 × 6e-8 ≈ 4.3e-6, allowed 1e-5.
    @Test(arguments: [1, 15, 16, 17, 556, 1043])
    func bandWeightedSumsCountEachBin(count: Int) {
        var random = Source()
        let weights = (0..<count).map { Float(1 << ($0 % 3)) }
        let mean = (0..<count).map { _ in random.decades(-3, 5) }
        let lambda = (0..<count).map { _ in random.decades(-9, -3) }
        let power = lambda.map { $0 * random.decades(-2, 4) }
        let gain = (0..<count).map { _ in 0.06 + 0.94 * random.unit() }
        // NaN after each input row: a read past `count` would poison the sums.
        let pad = [Float](repeating: .nan, count: 16)
        let (w, m, l, p, g) = (weights + pad, mean + pad, lambda + pad, power + pad, gain + pad)
        var log2Floor = [Float](repeating: 0, count: count), linear = log2Floor
        let clip: Float = 10_000
        let total = scrim_vector_floors(m, w, &log2Floor, &linear, Int64(count), 8.3, 5, -4, 1e-6, clip)
        let expectedTotal = (0..<count).reduce(0.0) { $0 + Double(weights[$1]) * Double(min(mean[$1], clip)) }
        #expect(abs(Double(total) / expectedTotal - 1) < 1e-5)

        var sums = [Float](repeating: 0, count: 16)
        scrim_vector_statistics(l, p, g, w, Int64(count), &sums)
        func weighted(_ term: (Int) -> Double) -> Double {
            (0..<count).reduce(0.0) { $0 + Double(weights[$1]) * term($1) }
        }
        let expected = [weighted { Double(lambda[$0]) },
                        weighted { Double(lambda[$0]) * Double(gain[$0]) * Double(gain[$0]) },
                        weighted { Double(power[$0]) },
                        weighted { Double(power[$0]) * Double(gain[$0]) * Double(gain[$0]) }]
        for (i, value) in expected.enumerated() {
            let sum = sums[(4 * i)..<(4 * i + 4)].reduce(0.0) { $0 + Double($1) }
            #expect(abs(sum / value - 1) < 1e-5, "sum \(i): \(sum) against \(value)")
        }
    }

    /// The reducer's input hygiene in one pass: the same samples and counts as zeroing the non-finite samples
    /// and then clamping, step by step in Swift, over NaN, ±Inf, ±0, subnormals, values at, just inside and
    /// beyond the limit, and a length that leaves a remainder after 16 lanes.
    @Test func sanitizeZeroesNonFiniteAndClampsAsTheSwiftSteps() {
        let limit: Float = 1e6
        var random = Source()
        var samples: [Float] = [.nan, -.nan, .infinity, -.infinity, Float(bitPattern: 0x7FC0_1234),
                                Float(bitPattern: 0xFF80_0001), 0, -0.0, .leastNonzeroMagnitude,
                                limit, -limit, limit.nextUp, (-limit).nextDown, limit.nextDown, (-limit).nextUp,
                                3e7, -3e38, .greatestFiniteMagnitude]
        while samples.count < 1043 {
            let magnitude = random.decades(-8, 8)
            samples.append(random.unit() < 0.5 ? -magnitude : magnitude)
        }
        samples[500] = .signalingNaN
        var expected = samples
        var expectedNonFinite: Int64 = 0, expectedClamped: Int64 = 0
        for i in expected.indices {
            if !expected[i].isFinite {
                expected[i] = 0
                expectedNonFinite += 1
            }
            if abs(expected[i]) > limit { expectedClamped += 1 }
            expected[i] = min(max(expected[i], -limit), limit)
        }
        var nonFinite: Int64 = 5, clamped: Int64 = 7  // the loop adds to what is there
        scrim_vector_sanitize(&samples, Int64(samples.count), limit, &nonFinite, &clamped)
        #expect(samples.map(\.bitPattern) == expected.map(\.bitPattern))
        #expect(expectedNonFinite == 7)  // six NaN or ±Inf in the list, one signalling NaN
        #expect(nonFinite == 5 + expectedNonFinite)
        #expect(clamped == 7 + expectedClamped)
    }
}
