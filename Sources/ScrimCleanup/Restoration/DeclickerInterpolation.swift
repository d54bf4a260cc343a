import Foundation
import ScrimCore

/// Autoregressive modelling and least-squares AR interpolation for ``Declicker`` (no allocation: every routine
/// works in caller-owned scratch).
///
/// Model convention: the prediction error (excitation) of a signal x under coefficients a₁…a_p is
/// e[t] = x[t] + Σₖ aₖ·x[t−k] (a₀ = 1).
enum DeclickerAR {
    /// Fills `taper[0..<count]` with the periodic Hann window of that length (sin² form: 0.5 − 0.5·cos(2πi/n)).
    static func hann(_ taper: UnsafeMutablePointer<Double>, count: Int) {
        let step = Double.pi / Double(count)
        for i in 0..<count {
            let s = sin(step * Double(i))
            taper[i] = s * s
        }
    }

    /// Adds the autocorrelation r[0…order] of `count` samples at `samples`, each weighted by `taper` (a window of
    /// that length, ``hann(_:count:)``), into `r` (Double accumulators). `window` is scratch of `count` doubles.
    static func accumulateAutocorrelation(
        _ samples: UnsafePointer<Float>, count: Int, order: Int, taper: UnsafePointer<Double>,
        window: UnsafeMutablePointer<Double>, into r: UnsafeMutablePointer<Double>
    ) {
        guard count > 0 else { return }
        for i in 0..<count { window[i] = Double(samples[i]) * taper[i] }
        for lag in 0...order where lag < count {
            // Four partial sums: a single running sum is a serial chain the compiler may not reorder (no
            // vectorisation); the order of the additions changes the sum only by rounding.
            var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
            var i = lag
            while i + 3 < count {
                s0 += window[i] * window[i - lag]
                s1 += window[i + 1] * window[i + 1 - lag]
                s2 += window[i + 2] * window[i + 2 - lag]
                s3 += window[i + 3] * window[i + 3 - lag]
                i += 4
            }
            while i < count {
                s0 += window[i] * window[i - lag]
                i += 1
            }
            r[lag] += (s0 + s1) + (s2 + s3)
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
///
/// In voiced speech a gap can hold a glottal pulse, which no short-term model predicts. When the short-term
/// residual of the context before the gap repeats at a pitch period T (normalised correlation ≥
/// ``minimumPitchCorrelation`` over lags ``shortestPeriod``…``longestPeriod``), the model becomes the cascade of the
/// short-term predictor and a one-tap long-term predictor 1 − β·z⁻ᵀ (the pitch predictor of speech coding, Atal &
/// Schroeder, "Predictive coding of speech signals", 1970; used for interpolation by Godsill & Rayner 1998, §5.2.4),
/// so the gap is rebuilt from the periods either side as well as from its neighbours. The band of the system is
/// then min(T + p, m − 1).
final class DeclickerInterpolator {
    let maximumOrder: Int
    let maximumGap: Int
    let maximumContext: Int
    let shortestPeriod: Int
    let longestPeriod: Int
    /// Normalised residual correlation at the period above which the pitch predictor is used (0.5: a clearly
    /// voiced stretch; unvoiced residuals correlate below 0.2 at any lag).
    static let minimumPitchCorrelation = 0.5
    /// Gaps shorter than this get no pitch predictor: a fifth of the shortest period, 0.5 ms (24 samples at
    /// 48 kHz), about the main lobe of a glottal pulse, which a shorter gap rarely holds whole.
    var shortestPitchGap: Int { max(8, shortestPeriod / 5) }
    private let coefficients: UnsafeMutablePointer<Double>
    private let residual: UnsafeMutablePointer<Double>
    private let sparseIndex: UnsafeMutablePointer<Int>
    private let sparseValue: UnsafeMutablePointer<Double>
    private let correlation: UnsafeMutablePointer<Double>
    private let coefficientCorrelation: UnsafeMutablePointer<Double>
    private let scratch: UnsafeMutablePointer<Double>
    private let window: UnsafeMutablePointer<Double>
    private let taper: UnsafeMutablePointer<Double>
    private var taperLength = 0
    private let band: UnsafeMutablePointer<Double>
    private let rhs: UnsafeMutablePointer<Double>
    private let saved: UnsafeMutablePointer<Float>
    private let excitation: UnsafeMutablePointer<Float>
    /// The last ``interpolate(_:gapStart:gapCount:order:context:)``'s excess, in dB: the excitation energy the
    /// repair removed (before − after, over every prediction error the gap's samples enter, under the model the
    /// solve used) over the local excitation power (the larger of the medians of the squared short-term
    /// excitation over the context before and after the gap) times (gap + order) samples; −200 when nothing
    /// was removed. ``Declicker`` undoes a repair whose excess is under its gate.
    private(set) var lastExcessDecibels = 0.0
    private var usedTaps = 0   // the taps in sparseIndex/sparseValue of the last solve

    /// Allocates scratch for gaps up to `maximumGap` samples, models up to `maximumOrder` and contexts up to
    /// `maximumContext` samples a side. Call ``deallocate()`` when done.
    init(maximumOrder: Int, maximumGap: Int, maximumContext: Int, shortestPeriod: Int, longestPeriod: Int) {
        self.maximumOrder = maximumOrder
        self.maximumGap = maximumGap
        self.maximumContext = maximumContext
        self.shortestPeriod = shortestPeriod
        self.longestPeriod = longestPeriod
        let longest = maximumOrder + longestPeriod + 1
        coefficients = .allocate(capacity: maximumOrder + 1)
        correlation = .allocate(capacity: maximumOrder + 1)
        coefficientCorrelation = .allocate(capacity: longest + 1)
        scratch = .allocate(capacity: maximumOrder + 1)
        window = .allocate(capacity: maximumContext)
        taper = .allocate(capacity: maximumContext)
        band = .allocate(capacity: maximumGap * min(maximumGap, longest + 1))
        rhs = .allocate(capacity: maximumGap)
        residual = .allocate(capacity: 2 * longestPeriod + 2)
        sparseIndex = .allocate(capacity: 2 * (maximumOrder + 1))
        sparseValue = .allocate(capacity: 2 * (maximumOrder + 1))
        saved = .allocate(capacity: maximumGap)
        excitation = .allocate(capacity: 2 * maximumContext)
    }

    /// Samples of residual correlated at each candidate lag: one longest period.
    var pitchWindow: Int { longestPeriod }

    /// How far before the gap the samples must be valid (pitch search and long-term taps included).
    func leftReach(order: Int) -> Int { max(maximumContext, pitchWindow + longestPeriod + order + 2) }
    /// How far after the gap the samples must be valid.
    func rightReach(order: Int) -> Int { max(maximumContext, longestPeriod + pitchWindow + order + 2) }

    func deallocate() {
        taper.deallocate()
        residual.deallocate()
        sparseIndex.deallocate()
        sparseValue.deallocate()
        coefficients.deallocate()
        correlation.deallocate()
        coefficientCorrelation.deallocate()
        scratch.deallocate()
        window.deallocate()
        band.deallocate()
        rhs.deallocate()
        saved.deallocate()
        excitation.deallocate()
    }

    /// Replaces `x[gapStart ..< gapStart + gapCount]` by its least-squares AR interpolation.
    /// - Parameters:
    ///   - x: the signal; `x[gapStart − leftReach ..< gapStart + gapCount + rightReach]` must be valid.
    ///   - order: the AR order p (≤ ``maximumOrder``, ≤ context).
    ///   - context: samples either side used to fit the model (≤ ``maximumContext``).
    func interpolate(_ x: UnsafeMutablePointer<Float>, gapStart: Int, gapCount m: Int, order p: Int, context: Int) {
        precondition(m >= 1 && m <= maximumGap && p >= 1 && p <= maximumOrder && context >= p
                     && context <= maximumContext, "LSAR gap \(m), order \(p), context \(context)")
        for k in 0...p { correlation[k] = 0 }
        if taperLength != context {
            DeclickerAR.hann(taper, count: context)
            taperLength = context
        }
        DeclickerAR.accumulateAutocorrelation(UnsafePointer(x + gapStart - context), count: context, order: p,
                                              taper: taper, window: window, into: correlation)
        DeclickerAR.accumulateAutocorrelation(UnsafePointer(x + gapStart + m), count: context, order: p,
                                              taper: taper, window: window, into: correlation)
        // A −60 dB white-noise floor: Godsill & Rayner's interpolator degrades gracefully to a smooth bridge on
        // near-singular (tonal) contexts instead of ringing.
        DeclickerAR.levinson(correlation, order: p, whiteNoiseFraction: 1e-6, a: coefficients, scratch: scratch)
        // Pitch: the period and gain of the short-term residual before the gap, confirmed after it (the same
        // period must hold on both sides, or the pitch predictor would copy what follows a change into the gap).
        // Gaps shorter than ``shortestPitchGap`` rarely hold a pulse's main lobe and are rebuilt from their
        // neighbours alone (the pitch search costs more than the rest of a small repair).
        var (period, gain) = m < shortestPitchGap ? (0, 0.0)
            : pitch(x, order: p, windowStart: gapStart - pitchWindow, lagRange: nil)
        if period > 0 {
            let after = pitch(x, order: p, windowStart: gapStart + m + longestPeriod + p + 1,
                              lagRange: max(shortestPeriod, period - 2)...min(longestPeriod, period + 2))
            if after.period == 0 { period = 0 } else { gain = min(gain, after.gain) }
        }
        for i in 0..<m { saved[i] = x[gapStart + i] }
        solve(x, gapStart: gapStart, gapCount: m, order: p, period: period, gain: gain)
        // A safeguard: the rebuilt samples may not be much louder than the signal either side (mean square over
        // 4 × its 5 ms neighbours'); if the pitch predictor made them so, the short-term model alone is used.
        if period > 0 {
            let reach = min(maximumContext, max(m, 8))
            var neighbour = 0.0, rebuilt = 0.0
            for i in 1...reach {
                let l = Double(x[gapStart - i]), r = Double(x[gapStart + m - 1 + i])
                neighbour += l * l + r * r
            }
            neighbour /= Double(2 * reach)
            for i in 0..<m { rebuilt += rhs[i] * rhs[i] }
            rebuilt /= Double(m)
            // Nor louder than twice the damaged samples they replace (a pulse put where the voice had none).
            var damaged = 0.0
            for i in 0..<m { damaged += Double(saved[i]) * Double(saved[i]) }
            if rebuilt > 4 * neighbour || rebuilt * Double(m) > 2 * damaged {
                solve(x, gapStart: gapStart, gapCount: m, order: p, period: 0, gain: 0)
            }
        }
        // The excitation over every error the gap's samples enter, under the model the solve used (with the
        // pitch tap when it had one, so a rebuilt glottal pulse counts as predicted), before and after.
        let span = usedTaps > 0 ? sparseIndex[usedTaps - 1] : p
        let before = excitationEnergy(x, from: gapStart, count: m + span)
        for i in 0..<m { x[gapStart + i] = Float(rhs[i]) }
        let after = excitationEnergy(x, from: gapStart, count: m + span)
        // The local excitation power: the median of the squared excitation over the context either side (less
        // the p samples next to the gap, which the gap's own samples predict), robust to a glottal pulse there.
        let side = context - p
        var n = 0
        var power = 0.0
        for sideIndex in 0..<2 where side > 0 {
            let from = sideIndex == 0 ? gapStart - side : gapStart + m + p
            // Tap by tap over the side (axpy order: the inner loop vectorises).
            let e = excitation + n
            for i in 0..<side { e[i] = x[from + i] }
            for k in 1...p {
                let c = Float(coefficients[k])
                let past = x + from - k
                for i in 0..<side { e[i] += c * past[i] }
            }
            for i in 0..<side { e[i] *= e[i] }
            // The louder side: next to a pause, the speech's side (a burst's own decaying noise after it, or the
            // word after a click) sets the scale, not the silence.
            power = max(power, Double(OrderStatistics.median(UnsafeMutableBufferPointer(start: e, count: side),
                                                             count: side)))
            n += side
        }
        let removed = max(0, before - after)
        // A safety net: a rebuilt gap 10 dB louder than the damaged samples it replaces is no repair (an added
        // click leaves the speech under it at most about as loud as the damage; on the benchmark a 17-sample
        // crackle gap in a tonal stretch came out 15 dB over its input). Its excess counts as none. Not tighter:
        // in a vowel with sharp pulses a 5 ms click's rebuilt tail stands 4–9 dB over the damaged samples.
        var rebuiltEnergy = 0.0, damagedEnergy = 0.0
        for i in 0..<m {
            rebuiltEnergy += Double(x[gapStart + i]) * Double(x[gapStart + i])
            damagedEnergy += Double(saved[i]) * Double(saved[i])
        }
        lastExcessDecibels = removed <= 0 || rebuiltEnergy > 10 * damagedEnergy ? -200
            : 10 * log10(removed / max(power * Double(m + p), 1e-30))
    }

    /// Puts back the samples the last interpolation replaced (`x[gapStart ..< gapStart + gapCount]`).
    func undo(_ x: UnsafeMutablePointer<Float>, gapStart: Int, gapCount m: Int) {
        for i in 0..<m { x[gapStart + i] = saved[i] }
    }

    /// Σ e[t]² over `count` samples from `from` under the predictor of the last ``solve`` (its sparse taps).
    private func excitationEnergy(_ x: UnsafeMutablePointer<Float>, from: Int, count: Int) -> Double {
        var sum = 0.0
        for t in from..<(from + count) {
            var e = 0.0
            for j in 0..<usedTaps { e += sparseValue[j] * Double(x[t - sparseIndex[j]]) }
            sum += e * e
        }
        return sum
    }

    /// The lag (within `lagRange`, or ``shortestPeriod``…``longestPeriod``) at which the short-term residual over
    /// `pitchWindow` samples from `windowStart` correlates best with itself one lag earlier, and the gain there;
    /// period 0 when the normalised correlation stays under ``minimumPitchCorrelation``.
    private func pitch(_ x: UnsafeMutablePointer<Float>, order p: Int, windowStart: Int,
                       lagRange: ClosedRange<Int>?) -> (period: Int, gain: Double) {
        let w = pitchWindow
        let base = windowStart - longestPeriod   // residual[i] is the error at base + i
        // Tap by tap (the inner loop vectorises; each sample's sum keeps the order k = 1…p).
        let n = w + longestPeriod
        for i in 0..<n { residual[i] = Double(x[base + i]) }
        for k in 1...p {
            let c = coefficients[k]
            let past = x + base - k
            for i in 0..<n { residual[i] += c * Double(past[i]) }
        }
        var energy = 0.0
        for i in longestPeriod..<(longestPeriod + w) { energy += residual[i] * residual[i] }
        func correlation(_ lag: Int, stride: Int) -> (normalised: Double, gain: Double) {
            // Two interleaved sets of partial sums (independent chains; see accumulateAutocorrelation).
            var cross = 0.0, lagged = 0.0, own = 0.0
            var cross1 = 0.0, lagged1 = 0.0, own1 = 0.0
            var i = longestPeriod
            let end = longestPeriod + w
            while i + stride < end {
                let a = residual[i], b = residual[i - lag]
                let a1 = residual[i + stride], b1 = residual[i + stride - lag]
                cross += a * b
                lagged += b * b
                own += a * a
                cross1 += a1 * b1
                lagged1 += b1 * b1
                own1 += a1 * a1
                i += 2 * stride
            }
            while i < end {
                cross += residual[i] * residual[i - lag]
                lagged += residual[i - lag] * residual[i - lag]
                own += residual[i] * residual[i]
                i += stride
            }
            cross += cross1
            lagged += lagged1
            own += own1
            guard cross > 0, own > 0, lagged > 0 else { return (0, 0) }
            return (cross / (own * lagged).squareRoot(), min(1, cross / lagged))
        }
        guard energy > 0 else { return (0, 0) }
        // A coarse search (every other lag, every other sample: a quarter of the work), then every lag within 2 of
        // the best at full resolution.
        let range = lagRange ?? shortestPeriod...longestPeriod
        var coarseBest = 0.0, coarseLag = range.lowerBound
        if range.count > 8 {
            var lag = range.lowerBound
            while lag <= range.upperBound {
                let r = correlation(lag, stride: 2).normalised
                if r > coarseBest {
                    coarseBest = r
                    coarseLag = lag
                }
                lag += 2
            }
        }
        let fine = range.count > 8
            ? max(range.lowerBound, coarseLag - 2)...min(range.upperBound, coarseLag + 2) : range
        var best = 0.0, period = 0, gain = 0.0
        for lag in fine {
            let r = correlation(lag, stride: 1)
            if r.normalised > best {
                best = r.normalised
                period = lag
                gain = r.gain
            }
        }
        return best < Self.minimumPitchCorrelation ? (0, 0) : (period, gain)
    }

    /// Solves the LSAR normal equations for the gap into `rhs[0..<m]` with the short-term coefficients and, for
    /// `period` > 0, the long-term tap −`gain`·z^−period.
    private func solve(_ x: UnsafeMutablePointer<Float>, gapStart: Int, gapCount m: Int, order p: Int, period: Int,
                       gain: Double) {
        // The predictor's nonzero taps: a (0…p), and −β·a shifted by T.
        var taps = 0
        for k in 0...p {
            sparseIndex[taps] = k
            sparseValue[taps] = coefficients[k]
            taps += 1
        }
        if period > 0 {
            for k in 0...p {
                sparseIndex[taps] = period + k
                sparseValue[taps] = -gain * coefficients[k]
                taps += 1
            }
        }
        usedTaps = taps
        let span = period > 0 ? period + p : p   // the longest lag of Rₐ
        for l in 0...span { coefficientCorrelation[l] = 0 }
        for i in 0..<taps {
            for j in i..<taps {
                let l = sparseIndex[j] - sparseIndex[i]
                coefficientCorrelation[l] += sparseValue[i] * sparseValue[j]
            }
        }
        let q = min(span, m - 1)
        let stride = q + 1
        // Right-hand side from the known samples within p of each unknown.
        for i in 0..<m {
            let t = gapStart + i
            var sum = 0.0
            var s = max(gapStart - span, t - span)
            while s < gapStart {
                sum += coefficientCorrelation[t - s] * Double(x[s])
                s += 1
            }
            s = gapStart + m
            let end = min(gapStart + m + span, t + span + 1)
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
    }
}
