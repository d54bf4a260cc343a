import Foundation

/// Least-squares autoregressive interpolation of missing samples, constrained to lie beyond their observed
/// magnitude: the reconstruction engine of ``Declipper``.
///
/// Method (Janssen, Veldhuis & Vries, "Adaptive interpolation of discrete-time signals that can be modeled as
/// autoregressive processes", IEEE Trans. ASSP 34(2), 1986; the clipping constraint as in Abel & Smith, "Restoring
/// a clipped signal", ICASSP 1991): for a segment of `N` samples of which some are unknown, alternate
///  1. fit an AR(`order`) model to the segment (autocorrelation method and Levinson–Durbin; the first fit uses
///     only the pairs of known samples at each lag, later fits the whole filled-in segment), and
///  2. choose the unknown samples that minimise the energy of the prediction error Σₜ eₜ², eₜ = Σⱼ aⱼ xₜ₋ⱼ,
///     over the segment. Its normal equations are (AᵤᵀAᵤ) xᵤ = −Aᵤᵀ Aₖ xₖ; AᵤᵀAᵤ has the entries
///     R_a(|u − u'|) = Σⱼ aⱼ aⱼ₊|u−u'| (zero beyond `order`), a band matrix solved by banded Cholesky.
/// The constraint: a clipped sample's true value lies at or beyond the clip level in the clipped sign (for a
/// saturating curve, at or beyond the observed value). Unknowns whose solution falls short are fixed at their
/// bound and the rest solved again (an active-set projection that only adds constraints), until all hold.
///
/// Two iterations of (1, 2) are run: Janssen et al. report most of the gain in the first few; the second refit
/// mostly corrects the first model's bias from the missing peaks (checked in DeclipperTests' fault tests).
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
    private let r: UnsafeMutablePointer<Double>          // autocorrelation, lags 0...order
    private let a: UnsafeMutablePointer<Double>          // AR polynomial a[0] = 1, ..., a[order]
    private let levinsonScratch: UnsafeMutablePointer<Double>
    private let ra: UnsafeMutablePointer<Double>         // autocorrelation of a, lags 0...order
    private let positions: UnsafeMutablePointer<Int>     // free unknowns, ascending
    private let band: UnsafeMutablePointer<Double>       // banded Cholesky factor, row i holds columns i-order...i
    private let rhs: UnsafeMutablePointer<Double>

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
        r = .allocate(capacity: order + 1)
        a = .allocate(capacity: order + 1)
        levinsonScratch = .allocate(capacity: order + 1)
        ra = .allocate(capacity: order + 1)
        positions = .allocate(capacity: maximumUnknowns)
        band = .allocate(capacity: maximumUnknowns * (order + 1))
        rhs = .allocate(capacity: maximumUnknowns)
    }

    deinit {
        x.deallocate(); bound.deallocate(); isUnknown.deallocate(); residual.deallocate(); r.deallocate()
        a.deallocate(); levinsonScratch.deallocate(); ra.deallocate(); positions.deallocate(); band.deallocate()
        rhs.deallocate()
    }

    /// Fills in the unknown samples of `segment` in place.
    ///
    /// - Parameters:
    ///   - segment: `count` samples; an unknown sample holds its observed (clipped) value on entry, which is also
    ///     its bound: the result keeps its sign and is at least as large in magnitude.
    ///   - count: segment length (≤ `maximumSegment`).
    ///   - unknown: which samples are unknown. Unknowns within `order` samples of either end are left as
    ///     observed (they have no full prediction context); at most `maximumUnknowns` are solved, the rest left.
    /// - Returns: false when the model could not be fitted (the segment is left as it was).
    /// Does not allocate.
    @discardableResult
    func interpolate(segment: UnsafeMutablePointer<Float>, count: Int, unknown: UnsafePointer<Bool>) -> Bool {
        let n = min(count, maximumSegment)
        let p = order
        guard n > 2 * p else { return false }
        var m = 0
        for i in 0..<n {
            x[i] = Double(segment[i])
            let free = unknown[i] && i >= p && i < n - p && m < maximumUnknowns
            isUnknown[i] = free
            if free {
                bound[i] = x[i]
                m += 1
            }
        }
        guard m > 0 else { return true }
        for iteration in 0..<2 {
            if iteration == 0 {
                knownPairAutocorrelation(count: n)
            } else {
                plainAutocorrelation(count: n)
            }
            guard levinson() else { return iteration > 0 }
            for j in 0...p {
                var sum = 0.0
                for k in 0...(p - j) { sum += a[k] * a[k + j] }
                ra[j] = sum
            }
            // Active set: unknowns start free; those that fall short of their bound are fixed at it.
            for i in 0..<n where isUnknown[i] { x[i] = 0 }
            var freeCount = 0
            for i in 0..<n where unknown[i] && i >= p && i < n - p && freeCount < m {
                positions[freeCount] = i
                freeCount += 1
            }
            var rounds = 0
            while freeCount > 0 {
                guard solve(count: n, freeCount: freeCount) else { return false }
                rounds += 1
                var kept = 0
                var violated = false
                for k in 0..<freeCount {
                    let i = positions[k]
                    let b = bound[i]
                    if (b >= 0 && x[i] < b) || (b < 0 && x[i] > b) {
                        x[i] = b
                        violated = true
                    } else {
                        positions[kept] = i
                        kept += 1
                    }
                }
                if !violated || rounds >= 8 {
                    // After 8 rounds whatever still falls short is clamped (already done above).
                    break
                }
                // The fixed ones are now known; zero the still-free ones before solving again.
                for k in 0..<kept { x[positions[k]] = 0 }
                freeCount = kept
            }
        }
        for i in 0..<n where isUnknown[i] {
            let value = x[i]
            guard value.isFinite else { return false }
            segment[i] = Float(value)
        }
        return true
    }

    /// r[k] from the pairs of known samples at lag k, scaled to the segment length, with a Bartlett lag window
    /// (keeps the sequence positive definite in practice) and 10⁻⁶ white-noise correction.
    private func knownPairAutocorrelation(count n: Int) {
        let p = order
        for k in 0...p {
            var sum = 0.0
            var pairs = 0
            for i in k..<n where !isUnknown[i] && !isUnknown[i - k] {
                sum += x[i] * x[i - k]
                pairs += 1
            }
            let scaled = pairs > 0 ? sum * Double(n) / Double(pairs) : 0
            r[k] = scaled * (1 - Double(k) / Double(n))
        }
        r[0] *= 1 + 1e-6
    }

    /// r[k] of the whole (filled-in) segment, biased estimate, with 10⁻⁶ white-noise correction.
    private func plainAutocorrelation(count n: Int) {
        for k in 0...order {
            var sum = 0.0
            for i in k..<n { sum += x[i] * x[i - k] }
            r[k] = sum
        }
        r[0] *= 1 + 1e-6
    }

    /// Levinson–Durbin: a[0...order] from r. Stops at the last stable order if a reflection coefficient
    /// reaches 1 (the higher coefficients are then zero). False for a silent segment.
    private func levinson() -> Bool {
        let p = order
        guard r[0] > 0, r[0].isFinite else { return false }
        a[0] = 1
        for i in 1...p { a[i] = 0 }
        var error = r[0]
        for i in 1...p {
            var acc = r[i]
            for j in 1..<i { acc += a[j] * r[i - j] }
            let k = -acc / error
            guard abs(k) < 1, k.isFinite else { break }
            for j in 0..<i { levinsonScratch[j] = a[j] }
            for j in 1..<i { a[j] = levinsonScratch[j] + k * levinsonScratch[i - j] }
            a[i] = k
            error *= 1 - k * k
            if error <= 0 { break }
        }
        return true
    }

    /// Solves for the free unknowns `positions[0..<freeCount]` (the others known in `x`): (AᵤᵀAᵤ) xᵤ = −Aᵤᵀ Aₖ xₖ.
    private func solve(count n: Int, freeCount m: Int) -> Bool {
        let p = order
        // Free unknowns are zero in x, so the prediction error of x is that of its known part.
        for i in 0..<m { x[positions[i]] = 0 }
        // residual[t] = Σⱼ aⱼ x[t − j] for t = p..<n (errors defined inside the segment).
        for t in p..<n {
            var sum = 0.0
            for j in 0...p { sum += a[j] * x[t - j] }
            residual[t] = sum
        }
        // rhs_u = −Σⱼ aⱼ residual[u + j] (free unknowns lie in p..<n−p, so u + j < n).
        for k in 0..<m {
            let u = positions[k]
            var sum = 0.0
            for j in 0...p { sum += a[j] * residual[u + j] }
            rhs[k] = -sum
        }
        // Banded Cholesky of Q[k][l] = ra[|u_k − u_l|] (0 beyond order). Band of row k: columns l ≥ k − p.
        let w = p + 1
        for k in 0..<m {
            let lowest = max(0, k - p)
            for l in lowest...k {
                let distance = positions[k] - positions[l]
                var value = distance <= p ? ra[distance] : 0
                // Subtract Σ_{s < l} L[k][s] L[l][s] over the overlap of both bands.
                let start = max(lowest, max(0, l - p))
                if start < l {
                    for s in start..<l { value -= band[k * w + (s - k + p)] * band[l * w + (s - l + p)] }
                }
                if l == k {
                    guard value > 0, value.isFinite else { return false }
                    band[k * w + p] = value.squareRoot()
                } else {
                    band[k * w + (l - k + p)] = value / band[l * w + p]
                }
            }
        }
        // Forward then back substitution.
        for k in 0..<m {
            var value = rhs[k]
            let lowest = max(0, k - p)
            if lowest < k { for s in lowest..<k { value -= band[k * w + (s - k + p)] * rhs[s] } }
            rhs[k] = value / band[k * w + p]
        }
        for k in stride(from: m - 1, through: 0, by: -1) {
            var value = rhs[k]
            let highest = min(m - 1, k + p)
            if highest > k { for s in (k + 1)...highest { value -= band[s * w + (k - s + p)] * rhs[s] } }
            rhs[k] = value / band[k * w + p]
        }
        for k in 0..<m { x[positions[k]] = rhs[k] }
        return true
    }
}
