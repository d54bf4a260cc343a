import Foundation

/// Least-squares autoregressive interpolation of missing samples, constrained to lie beyond their observed
/// magnitude: the reconstruction engine of ``Declipper``.
///
/// Method (Janssen, Veldhuis & Vries, "Adaptive interpolation of discrete-time signals that can be modeled as
/// autoregressive processes", IEEE Trans. ASSP 34(2), 1986; the clipping constraint as in Abel & Smith, "Restoring
/// a clipped signal", ICASSP 1991): for a segment of `N` samples of which some are unknown,
///  1. fit an AR(`order`) model to the known samples by the covariance method (least squares over the prediction
///     rows that contain no unknown sample; ``covarianceFit(count:unknown:)``), then
///  2. choose the unknown samples that minimise the energy of the prediction error Σₜ eₜ², eₜ = Σⱼ aⱼ xₜ₋ⱼ,
///     over the segment. Its normal equations are (AᵤᵀAᵤ) xᵤ = −Aᵤᵀ Aₖ xₖ; AᵤᵀAᵤ has the entries
///     R_a(|u − u'|) = Σⱼ aⱼ aⱼ₊|u−u'| (zero beyond `order`), a band matrix solved by banded Cholesky.
/// The constraint: a clipped sample's true value lies at or beyond the clip level in the clipped sign (for a
/// saturating curve, at or beyond the observed value). Unknowns whose solution falls short are fixed at their
/// bound and the rest solved once more (an active-set projection that only adds constraints; ``maximumRounds``);
/// what still falls short after that is clamped to its bound.
///
/// One pass of (1, 2), not Janssen's iteration: fitted on the known samples only, the covariance method has no
/// bias from the missing peaks to iterate away. Prototyped in numpy on a tone and on espeak speech clipped 6 dB
/// over (error against the original): the autocorrelation method with Janssen's iteration, order 32, ±2.7 ms of
/// context −25 dB (speech), ±10 ms −28.7 dB (2 iterations) / −30.4 dB (3); the covariance method, ±10 ms, one
/// pass: order 32 −35.4 dB, order 48 −38.2 dB, order 64 −39.7 dB; a second pass refitted on the filled segment
/// gained 1.3–1.7 dB for twice the time.
///
/// - Allocation: all scratch storage is allocated in ``init(order:maximumSegment:maximumUnknowns:)``;
///   ``interpolate(segment:count:unknown:)`` does not allocate.
/// - Threading: not thread-safe (scratch storage); one per processor.
final class DeclipperInterpolator {
    let order: Int
    let maximumSegment: Int
    let maximumUnknowns: Int

    private let x: UnsafeMutablePointer<Double>          // segment being filled in
    private let bound: UnsafeMutablePointer<Double>      // signed bound for each unknown (by segment index)
    private let isUnknown: UnsafeMutablePointer<Bool>
    private let residual: UnsafeMutablePointer<Double>   // prediction error of the known part
    private let phi: UnsafeMutablePointer<Double>        // covariance matrix, (order + 1)²
    private let chol: UnsafeMutablePointer<Double>       // its Cholesky factor, order²
    private let blockRow: UnsafeMutablePointer<Double>
    private let a: UnsafeMutablePointer<Double>          // AR polynomial a[0] = 1, ..., a[order]
    private let scratch: UnsafeMutablePointer<Double>
    private let ra: UnsafeMutablePointer<Double>         // autocorrelation of a, lags 0...order
    private let positions: UnsafeMutablePointer<Int>     // free unknowns, ascending
    private let band: UnsafeMutablePointer<Double>       // banded Cholesky factor, row i holds columns i-order...i
    private let rhs: UnsafeMutablePointer<Double>
    private let inverseDiagonal: UnsafeMutablePointer<Double>  // 1 / the band factor's diagonal
    private var solveLow = 0
    private var solveHigh = 0
    /// The order of the model fitted and solved for the current segment (≤ ``order``; see ``solveOrder(unknowns:)``).
    private var activeOrder = 0
    /// Whether `a` and `ra` hold a model that a following call may reuse (``interpolate``'s `reuseModel`).
    private var hasModel = false
    /// Whether the last ``interpolate`` call fitted a new model (false: it reused the previous one, or failed early).
    private(set) var lastCallFitted = false
    /// The solve's budget, in unknowns at the full order (48 at order 32, i.e. 1 ms at 48 kHz; in proportion to the
    /// order at other rates): a segment with more free unknowns `m` than this is fitted and solved at half the
    /// order, or a quarter (down to ``minimumSolveOrder``), until m × q² fits in budget × order² (the banded
    /// Cholesky costs m × q² / 2). Halving rather than a continuous cap lets neighbouring clusters reuse one model
    /// (``interpolate``'s `reuseModel`). Measured on 60 s of flite speech hard-clipped at 0 dBFS, 48 kHz, one core,
    /// CPU ms at 6/10/15 dB over (with the model reuse and the four-sum dot products), and SI-SDR dB / PESQ-WB on
    /// three corpus files (u2 48 kHz 10 dB over; u3 96 kHz 6 dB over a -6 dBFS ceiling; u1 44.1 kHz 10 dB over):
    /// no cap 148/301/594 ms, 22.7/3.65, 32.6/3.74, 18.9/2.75; budget 96: 147/264/351 ms, 21.2/3.42, 32.6/3.74,
    /// 18.9/2.75; budget 64: 149/260/318 ms, 20.9/3.41, 31.3/3.46, 21.0/2.87; budget 48: 274 ms at 15 dB,
    /// 20.2/3.31, 27.5/3.00, 21.0/2.83. 48 is the largest budget that keeps 15 dB over within 200× real time; it
    /// costs up to 0.7 PESQ at 6–10 dB over on 96 kHz files (see Benchmarks/quality/DECLIP.md).
    static let solveBudgetUnknowns = 48
    /// The lowest order the budget may bring the model down to: 8.
    static let minimumSolveOrder = 8

    /// The order the model is fitted and solved at for `m` free unknowns (see ``solveBudgetUnknowns``).
    func solveOrder(unknowns m: Int) -> Int {
        var q = order
        // The budget counts unknowns at the order of 48 kHz (32): in proportion to the order, i.e. in time.
        let budget = max(1, Self.solveBudgetUnknowns * order / 32)
        while q > Self.minimumSolveOrder, m * q * q > budget * order * order { q /= 2 }
        return q
    }

    /// Rounds of the active-set projection: 2 (solve; fix the unknowns that fall short at their bound and solve the
    /// rest again; whatever still falls short is then clamped). Measured on 60 s of espeak speech clipped at
    /// 0 dBFS (SI-SDR against the original / CPU seconds): 6 dB over, 1 round 41.76 dB / 0.21 s, 2 rounds 41.67 /
    /// 0.20, 4 rounds 41.48 / 0.22; 15 dB over, 1 round 13.27 / 0.52, 2 rounds 13.46 / 0.66, 4 rounds 12.42 /
    /// 0.78. More rounds pin more samples exactly at the clip level, which the original rarely is.
    static let maximumRounds = 2

    /// Creates an interpolator.
    /// - Parameters:
    ///   - order: AR model order (≥ 2).
    ///   - maximumSegment: the longest segment, in samples.
    ///   - maximumUnknowns: the most unknown samples in one segment.
    init(order: Int, maximumSegment: Int, maximumUnknowns: Int) {
        precondition(order >= 2 && maximumSegment > 2 * order && maximumUnknowns >= 1,
                     "DeclipperInterpolator order \(order), segment \(maximumSegment), unknowns \(maximumUnknowns)")
        self.order = order
        self.maximumSegment = maximumSegment
        self.maximumUnknowns = maximumUnknowns
        x = .allocate(capacity: maximumSegment)
        bound = .allocate(capacity: maximumSegment)
        isUnknown = .allocate(capacity: maximumSegment)
        residual = .allocate(capacity: maximumSegment + order)
        phi = .allocate(capacity: (order + 1) * (order + 1))
        chol = .allocate(capacity: order * order)
        blockRow = .allocate(capacity: order + 1)
        a = .allocate(capacity: order + 1)
        scratch = .allocate(capacity: order + 1)
        ra = .allocate(capacity: order + 1)
        positions = .allocate(capacity: maximumUnknowns)
        band = .allocate(capacity: maximumUnknowns * (order + 1))
        rhs = .allocate(capacity: maximumUnknowns)
        inverseDiagonal = .allocate(capacity: maximumUnknowns)
    }

    deinit {
        x.deallocate(); bound.deallocate(); isUnknown.deallocate(); residual.deallocate(); phi.deallocate()
        chol.deallocate(); blockRow.deallocate()
        a.deallocate(); scratch.deallocate(); ra.deallocate(); positions.deallocate(); band.deallocate()
        rhs.deallocate(); inverseDiagonal.deallocate()
    }

    /// Fills in the unknown samples of `segment` in place.
    ///
    /// - Parameters:
    ///   - segment: `count` samples; an unknown sample holds its observed (clipped) value on entry, which is also
    ///     its bound: the result keeps its sign and is at least as large in magnitude.
    ///   - count: segment length (≤ `maximumSegment`).
    ///   - unknown: which samples are unknown. Unknowns within `order` samples of either end are left as
    ///     observed (they have no full prediction context); at most `maximumUnknowns` are solved, the rest left.
    ///   - focus: the samples to rebuild (segment indices); unknowns far from it are not solved for.
    /// - Returns: false when the model could not be fitted (the segment is left as it was).
    /// Does not allocate.
    @discardableResult
    func interpolate(segment: UnsafeMutablePointer<Float>, count: Int, unknown: UnsafePointer<Bool>,
                     focus: Range<Int>, reuseModel: Bool = false) -> Bool {
        lastCallFitted = false
        let n = min(count, maximumSegment)
        let p = order
        guard n > 2 * p else { return false }
        // The least-squares solve needs only the rows near the focus (the run or cluster being rebuilt): from
        // 2 × order either side, widened until no unknown sample lies within `order` of the window's edges (its
        // observed value would enter the solve as known). The AR fit still uses the whole segment.
        var lo = max(0, focus.lowerBound - 2 * p)
        var hi = min(n, focus.upperBound + 2 * p)
        var widened = true
        while widened {
            widened = false
            for i in lo..<min(n, lo + p) where unknown[i] && lo > 0 {
                lo = max(0, i - p)
                widened = true
                break
            }
            for i in max(0, hi - p)..<hi where unknown[i] && hi < n {
                hi = min(n, i + p + 1)
                widened = true
                break
            }
        }
        solveLow = lo
        solveHigh = hi
        var m = 0
        for i in 0..<n {
            x[i] = Double(segment[i])
            let free = unknown[i] && i >= lo + p && i < hi - p && m < maximumUnknowns
            isUnknown[i] = free
            if free {
                bound[i] = x[i]
                positions[m] = i
                m += 1
            }
        }
        guard m > 0 else { return true }
        // Heavy clipping of a high tone can leave no stretch of order + 1 known samples: halve the order until the
        // fit has rows enough (a sinusoid needs order 2); the higher coefficients are then zero.
        let wanted = solveOrder(unknowns: m)
        if !(reuseModel && hasModel && activeOrder == wanted) {
            hasModel = false
            activeOrder = wanted
            var fitted = false
            var q = activeOrder
            while q >= 2, !fitted {
                fitted = covarianceFit(count: n, unknown: unknown, order: q)
                q /= 2
            }
            guard fitted else { return false }
            for j in 0...p {
                var sum = 0.0
                for k in 0...(p - j) { sum += a[k] * a[k + j] }
                ra[j] = sum
            }
            hasModel = true
            lastCallFitted = true
        }
        // Active set: unknowns start free; those that fall short of their bound are fixed at it.
        var freeCount = m
        var rounds = 0
        var validRows = 0
        while freeCount > 0 {
            guard solve(count: n, freeCount: freeCount, validRows: validRows) else { return false }
            rounds += 1
            var kept = 0
            var violated = false
            for k in 0..<freeCount {
                let i = positions[k]
                let b = bound[i]
                if (b >= 0 && x[i] < b) || (b < 0 && x[i] > b) {
                    x[i] = b
                    // The factor's rows before the first unknown fixed stay valid for the next round (a leading
                    // principal submatrix keeps its Cholesky factor).
                    if !violated { validRows = k }
                    violated = true
                } else {
                    positions[kept] = i
                    kept += 1
                }
            }
            // After the last round whatever still falls short stays clamped at its bound (done above).
            if !violated || rounds >= Self.maximumRounds { break }
            freeCount = kept
        }
        for i in 0..<n where isUnknown[i] {
            let value = x[i]
            guard value.isFinite else { return false }
            segment[i] = Float(value)
        }
        return true
    }

    /// The AR polynomial of order `p` (≤ ``order``; the rest of `a` zeroed) by the covariance method (least squares
    /// over the prediction rows whose samples are all known; Makhoul, "Linear prediction: a tutorial review", Proc.
    /// IEEE 63(4), 1975, §3.2). Each block of consecutive valid rows t₀…t₁ adds φ(i, j) = Σₜ x[t − i] x[t − j]: its
    /// first row directly, the rest by the recursion φ(i, j) = φ(i − 1, j − 1) + x[t₀ − i] x[t₀ − j] − x[t₁ + 1 − i]
    /// x[t₁ + 1 − j], O(rows × order + order²) a block. The normal equations Σⱼ aⱼ φ(i, j) = −φ(i, 0) are solved by
    /// Cholesky, with 10⁻⁹ of the mean diagonal added, or 10⁻⁶ or 10⁻³ when that is not positive definite (a steady
    /// tone makes φ singular, rank 2 per sinusoid; 10⁻⁶ throughout cost 3–4 dB SI-SDR on speech clipped 3–6 dB over).
    /// False when fewer than 2 × order rows are valid.
    private func covarianceFit(count n: Int, unknown: UnsafePointer<Bool>, order p: Int) -> Bool {
        let w = p + 1
        phi.update(repeating: 0, count: w * w)
        var rows = 0
        // Row t is valid when x[t − p...t] holds no unknown sample.
        var lastBad = -1
        for i in 0..<p where unknown[i] { lastBad = i }
        var t = p
        while t < n {
            if unknown[t] { lastBad = t }
            guard t - p > lastBad else {
                t += 1
                continue
            }
            let t0 = t
            var t1 = t
            while t1 + 1 < n, !unknown[t1 + 1] { t1 += 1 }
            rows += t1 - t0 + 1
            // Index arithmetic wraps (&+, &-): t0 − p ≥ 0 and t1 < n by construction.
            for j in 0...p {
                blockRow[j] = declipperDot(x + t0, x + (t0 &- j), t1 &- t0 &+ 1)
            }
            let head = x + t0
            let tail = x + (t1 &+ 1)
            for d in 0...p {
                var value = blockRow[d]  // φ(0, d)
                phi[d] += value
                if d > 0 { phi[d &* w] += value }
                var i = 1
                while i &+ d <= p {
                    let j = i &+ d
                    value += head[-i] * head[-j] - tail[-i] * tail[-j]
                    phi[i &* w &+ j] += value
                    if d > 0 { phi[j &* w &+ i] += value }
                    i &+= 1
                }
            }
            t = t1 + 1
        }
        guard rows >= 2 * p else { return false }
        var trace = 0.0
        for i in 1...p { trace += phi[i * w + i] }
        var factored = false
        for relativeRidge in [1e-9, 1e-6, 1e-3] where !factored {
            factored = choleskyOfPhi(order: p, ridge: max(trace / Double(p) * relativeRidge, 1e-30))
        }
        guard factored else { return false }
        for i in 0..<p {
            var value = -phi[(i + 1) * w]
            for k in 0..<i { value -= chol[i * p + k] * scratch[k] }
            scratch[i] = value / chol[i * p + i]
        }
        for i in stride(from: p - 1, through: 0, by: -1) {
            var value = scratch[i]
            if i + 1 < p { for k in (i + 1)..<p { value -= chol[k * p + i] * a[k + 1] } }
            a[i + 1] = value / chol[i * p + i]
        }
        a[0] = 1
        for i in 0...p where !a[i].isFinite { return false }
        if p < order { for i in (p + 1)...order { a[i] = 0 } }
        return true
    }

    /// Cholesky of φ(1...p, 1...p) + ridge·I into `chol`; false when it is not positive definite.
    private func choleskyOfPhi(order p: Int, ridge: Double) -> Bool {
        let w = p + 1
        for i in 0..<p {
            for j in 0...i {
                var value = phi[(i + 1) * w + (j + 1)] + (i == j ? ridge : 0)
                for k in 0..<j { value -= chol[i * p + k] * chol[j * p + k] }
                if i == j {
                    guard value > 0, value.isFinite else { return false }
                    chol[i * p + i] = value.squareRoot()
                } else {
                    chol[i * p + j] = value / chol[j * p + j]
                }
            }
        }
        return true
    }

    /// Solves for the free unknowns `positions[0..<freeCount]` (the others known in `x`): (AᵤᵀAᵤ) xᵤ = −Aᵤᵀ Aₖ xₖ.
    /// `validRows`: leading rows of the band factor still valid from the previous round (same unknowns there).
    private func solve(count n: Int, freeCount m: Int, validRows: Int) -> Bool {
        let p = activeOrder
        // Free unknowns are zero in x, so the prediction error of x is that of its known part.
        for i in 0..<m { x[positions[i]] = 0 }
        // residual[t] = Σⱼ aⱼ x[t − j] for t = p..<n (errors defined inside the segment).
        for t in (solveLow + p)..<solveHigh {
            var sum = 0.0
            let newest = x + t
            for j in 0...p { sum += a[j] * newest[-j] }
            residual[t] = sum
        }
        // rhs_u = −Σⱼ aⱼ residual[u + j] (free unknowns lie in p..<n−p, so u + j < n).
        for k in 0..<m {
            let u = positions[k]
            var sum = 0.0
            let errors = residual + u
            for j in 0...p { sum += a[j] * errors[j] }
            rhs[k] = -sum
        }
        // Banded Cholesky of Q[k][l] = ra[|u_k − u_l|] (0 beyond order). Band of row k: columns l ≥ k − p, stored
        // so that row k's entry for column s is at band[k·w + s − k + p]; `row(k)[s]` addresses it directly. The
        // diagonal's reciprocals are kept (one division a row, not one an entry: the division's latency was a
        // quarter of the solve's time at 15 dB over). Index arithmetic wraps (&+, &-): all indices lie in
        // 0..<m·w by construction, and the overflow checks cost as much as the multiply-adds.
        let w = p + 1
        @inline(__always) func row(_ k: Int) -> UnsafeMutablePointer<Double> { band + (k &* w &+ p &- k) }
        for k in validRows..<m {
            let lowest = max(0, k - p)
            let rowK = row(k)
            let uk = positions[k]
            for l in lowest...k {
                let distance = uk &- positions[l]
                var value = distance <= p ? ra[distance] : 0
                // Subtract Σ_{s < l} L[k][s] L[l][s] over the overlap of both bands.
                value -= declipperDot(rowK + lowest, row(l) + lowest, l &- lowest)
                if l == k {
                    guard value > 0, value.isFinite else { return false }
                    let root = value.squareRoot()
                    rowK[k] = root
                    inverseDiagonal[k] = 1 / root
                } else {
                    rowK[l] = value * inverseDiagonal[l]
                }
            }
        }
        // Forward then back substitution.
        for k in 0..<m {
            var value = rhs[k]
            let lowest = max(0, k - p)
            value -= declipperDot(row(k) + lowest, rhs + lowest, k &- lowest)
            rhs[k] = value * inverseDiagonal[k]
        }
        for k in stride(from: m - 1, through: 0, by: -1) {
            var value = rhs[k]
            let highest = min(m - 1, k + p)
            var s = k &+ 1
            while s <= highest {
                value -= row(s)[k] * rhs[s]
                s &+= 1
            }
            rhs[k] = value * inverseDiagonal[k]
        }
        for k in 0..<m { x[positions[k]] = rhs[k] }
        return true
    }
}

/// Σ x[i] y[i] for i in 0..<n, in four interleaved partial sums: the multiply-adds of one sum wait for each other
/// (latency-bound, about 4 cycles each), four run side by side. The rounding differs from one running sum by a few
/// units in the last place. Measured on 60 s of flite speech hard-clipped 15 dB over (48 kHz, one core): the
/// solve's banded Cholesky and the fit's covariance rows took 40 % less time.
@inline(__always)
func declipperDot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ n: Int) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var i = 0
    while i &+ 4 <= n {
        s0 += x[i] * y[i]
        s1 += x[i &+ 1] * y[i &+ 1]
        s2 += x[i &+ 2] * y[i &+ 2]
        s3 += x[i &+ 3] * y[i &+ 3]
        i &+= 4
    }
    while i < n {
        s0 += x[i] * y[i]
        i &+= 1
    }
    return (s0 + s1) + (s2 + s3)
}
