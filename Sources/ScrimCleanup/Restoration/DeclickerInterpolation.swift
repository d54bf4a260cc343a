import Foundation

/// Autoregressive modelling and least-squares AR interpolation for ``Declicker`` (no allocation: every routine
/// works in caller-owned scratch).
///
/// Model convention: the prediction error (excitation) of a signal x under coefficients a₁…a_p is
/// e[t] = x[t] + Σₖ aₖ·x[t−k] (a₀ = 1).
enum DeclickerAR {
    /// Adds the autocorrelation r[0…order] of `count` samples at `samples`, each weighted by the periodic Hann
    /// window of that length, into `r` (Double accumulators).
    static func accumulateAutocorrelation(
        _ samples: UnsafePointer<Float>, count: Int, order: Int, window: UnsafeMutablePointer<Double>,
        into r: UnsafeMutablePointer<Double>
    ) {
        guard count > 0 else { return }
        let step = 2 * Double.pi / Double(count)
        for i in 0..<count {
            // sin² form of the periodic Hann window: 0.5 − 0.5·cos(2πi/n).
            let s = sin(step * Double(i) * 0.5)
            window[i] = Double(samples[i]) * s * s
        }
        for lag in 0...order where lag < count {
            var sum = 0.0
            for i in lag..<count { sum += window[i] * window[i - lag] }
            r[lag] += sum
        }
    }

    /// Levinson–Durbin recursion (Levinson 1947; Durbin 1960): the coefficients a₁…a_order that minimise the
    /// prediction error power for the autocorrelation r[0…order], written to `a[1…order]` (a[0] = 1).
    /// Before the recursion r[0] is raised by `whiteNoiseFraction` (a white-noise floor that keeps the
    /// recursion stable on a pure tone or digital silence). A zero r[0] gives a = 0 (the error is the signal).
    /// `scratch` holds `order + 1` doubles.
    static func levinson(
        _ r: UnsafeMutablePointer<Double>, order: Int, whiteNoiseFraction: Double,
        a: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>
    ) {
        a[0] = 1
        for k in 1...max(1, order) { a[k] = 0 }
        var error = r[0] * (1 + whiteNoiseFraction)
        guard error > 1e-30 else { return }
        for i in 1...order {
            var acc = r[i]
            for j in 1..<i { acc += a[j] * r[i - j] }
            let k = -acc / error
            for j in 0..<i { scratch[j] = a[j] }
            for j in 1..<i { a[j] = scratch[j] + k * scratch[i - j] }
            a[i] = k
            error *= 1 - k * k
            if error <= 1e-30 * r[0] { break }
        }
    }
}

/// Least-squares autoregressive interpolation of a gap (Janssen, Veldhuis & Vries, "Adaptive interpolation of
/// discrete-time signals that can be modeled as autoregressive processes", IEEE Trans. ASSP 34(2), 1986; the
/// non-iterative form in Godsill & Rayner, "Digital Audio Restoration", Springer 1998, §5.2.2).
///
/// The unknown samples x_u of a gap are the values that minimise the energy of the AR excitation over every
/// prediction error that touches the gap, given the known samples either side. With Rₐ(l) = Σₖ aₖ·aₖ₊ₗ (the
/// autocorrelation of the coefficient sequence, a₀ = 1) the normal equations are
/// Σ_{v∈gap} Rₐ(u−v)·x_v = −Σ_{s known, |u−s|≤p} Rₐ(u−s)·x_s for every u in the gap: a symmetric positive
/// definite banded Toeplitz system (bandwidth p), solved here by banded Cholesky in O(m·p²) for a gap of m samples.
/// The AR model is fitted by the autocorrelation method on Hann-tapered context either side of the gap (the gap
/// itself is never used, so the click does not colour the model).
struct DeclickerInterpolator {
    let maximumOrder: Int
    let maximumGap: Int
    let maximumContext: Int
    private let coefficients: UnsafeMutablePointer<Double>
    private let correlation: UnsafeMutablePointer<Double>
    private let coefficientCorrelation: UnsafeMutablePointer<Double>
    private let scratch: UnsafeMutablePointer<Double>
    private let window: UnsafeMutablePointer<Double>
    private let band: UnsafeMutablePointer<Double>
    private let rhs: UnsafeMutablePointer<Double>

    /// Allocates scratch for gaps up to `maximumGap` samples, models up to `maximumOrder` and contexts up to
    /// `maximumContext` samples a side. Call ``deallocate()`` when done.
    init(maximumOrder: Int, maximumGap: Int, maximumContext: Int) {
        self.maximumOrder = maximumOrder
        self.maximumGap = maximumGap
        self.maximumContext = maximumContext
        coefficients = .allocate(capacity: maximumOrder + 1)
        correlation = .allocate(capacity: maximumOrder + 1)
        coefficientCorrelation = .allocate(capacity: maximumOrder + 1)
        scratch = .allocate(capacity: maximumOrder + 1)
        window = .allocate(capacity: maximumContext)
        band = .allocate(capacity: maximumGap * (maximumOrder + 1))
        rhs = .allocate(capacity: maximumGap)
    }

    func deallocate() {
        coefficients.deallocate()
        correlation.deallocate()
        coefficientCorrelation.deallocate()
        scratch.deallocate()
        window.deallocate()
        band.deallocate()
        rhs.deallocate()
    }

    /// Replaces `x[gapStart ..< gapStart + gapCount]` by its least-squares AR interpolation.
    /// - Parameters:
    ///   - x: the signal; `x[gapStart − context ..< gapStart + gapCount + context]` must be valid.
    ///   - order: the AR order p (≤ ``maximumOrder``, ≤ context).
    ///   - context: samples either side used to fit the model (≤ ``maximumContext``).
    func interpolate(_ x: UnsafeMutablePointer<Float>, gapStart: Int, gapCount m: Int, order p: Int, context: Int) {
        precondition(m >= 1 && m <= maximumGap && p >= 1 && p <= maximumOrder && context >= p
                     && context <= maximumContext, "LSAR gap \(m), order \(p), context \(context)")
        for k in 0...p { correlation[k] = 0 }
        DeclickerAR.accumulateAutocorrelation(UnsafePointer(x + gapStart - context), count: context, order: p,
                                              window: window, into: correlation)
        DeclickerAR.accumulateAutocorrelation(UnsafePointer(x + gapStart + m), count: context, order: p,
                                              window: window, into: correlation)
        // A −60 dB white-noise floor: Godsill & Rayner's interpolator degrades gracefully to a smooth bridge on
        // near-singular (tonal) contexts instead of ringing.
        DeclickerAR.levinson(correlation, order: p, whiteNoiseFraction: 1e-6, a: coefficients, scratch: scratch)
        for l in 0...p {
            var sum = 0.0
            for k in 0...(p - l) { sum += coefficients[k] * coefficients[k + l] }
            coefficientCorrelation[l] = sum
        }
        let q = min(p, m - 1)
        let stride = q + 1
        // Right-hand side from the known samples within p of each unknown.
        for i in 0..<m {
            let t = gapStart + i
            var sum = 0.0
            var s = max(gapStart - p, t - p)
            while s < gapStart {
                sum += coefficientCorrelation[t - s] * Double(x[s])
                s += 1
            }
            s = gapStart + m
            let end = min(gapStart + m + p, t + p + 1)
            while s < end {
                sum += coefficientCorrelation[s - t] * Double(x[s])
                s += 1
            }
            rhs[i] = -sum
        }
        // Banded Cholesky M = L·Lᵀ; band[i*stride + (i − j)] holds L[i][j] for 0 ≤ i − j ≤ q.
        let diagonal = coefficientCorrelation[0] * (1 + 1e-9)
        for i in 0..<m {
            let j0 = max(0, i - q)
            for j in j0...i {
                var s = i == j ? diagonal : coefficientCorrelation[i - j]
                let k0 = max(j0, j - q)
                var k = k0
                while k < j {
                    s -= band[i * stride + (i - k)] * band[j * stride + (j - k)]
                    k += 1
                }
                if i == j {
                    band[i * stride] = s > 1e-300 ? s.squareRoot() : 1e-150
                } else {
                    band[i * stride + (i - j)] = s / band[j * stride]
                }
            }
        }
        // Forward then back substitution.
        for i in 0..<m {
            var s = rhs[i]
            for k in max(0, i - q)..<i { s -= band[i * stride + (i - k)] * rhs[k] }
            rhs[i] = s / band[i * stride]
        }
        var i = m - 1
        while i >= 0 {
            var s = rhs[i]
            var k = i + 1
            while k <= min(m - 1, i + q) {
                s -= band[k * stride + (k - i)] * rhs[k]
                k += 1
            }
            rhs[i] = s / band[i * stride]
            i -= 1
        }
        for i in 0..<m { x[gapStart + i] = Float(rhs[i]) }
    }
}
