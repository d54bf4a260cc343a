import Foundation

/// The knot-rate half of ``HumRemover``: from the demodulated, decimated harmonics (one complex value per
/// harmonic, channel and knot), it tracks the fundamental's drift, derotates each harmonic, and estimates each
/// harmonic's complex envelope with two robust, zero-phase local fits, whose results the remover resynthesises.
///
/// Stages, run when knot `m` arrives (all windows are symmetric; the later stages run behind the earlier ones, so
/// every window is complete):
/// 1. Phase advance of every harmonic from knot m − 1 to m, unwrapped from the lowest harmonic up and combined
///    (weights k²·|cₘ||cₘ₋₁|·level weights) into one measurement of the fundamental's advance.
/// 2. At knot m − Wf: a weighted local-linear fit of the advances over ±Wf knots (0.5 s) gives the drift; its sum
///    is the drift phase θ. Each harmonic is derotated by k·θ and divided by the decimation filter's gain at
///    its offset k·Δf, giving bₖ (the hum's complex amplitude, plus whatever else is near the harmonic).
/// 3. At knot m − Wf − W1: a weighted local-quadratic fit of b over ±W1 knots (1.2 s) with *level weights*
///    min(1, (λ/|c|)⁴), where λ follows the quietest recent level of the harmonic (falls at once, rises at most
///    10 dB/s): speech adds to the hum, so loud stretches count little and the fit leans on the hum-only ones.
/// 4. At knot m − Wf − W1 − W2: the final local-quadratic fit over ±W2 knots (0.5 s), with Tukey bisquare
///    weights (1 − (e/(τ·|ĥ₁|))²)² on each knot's distance e from the first fit (τ = 0.35): knots where the
///    baseband departs from the slowly varying hum (a voice's harmonic on or near the hum's) get no weight, and
///    the envelope is interpolated through them from the hum-only knots around.
///
/// Fits use running weighted sums (rebased every 1024 knots, so they stay exact to Double rounding), so each
/// knot costs O(harmonics × channels). Allocates in `init`; everything else is allocation-free.
final class HumEnvelopeTracker {
    let harmonics: [Int]
    let channelCount: Int
    let decimationFrames: Int
    let frequencyHalfWidth: Int
    let firstHalfWidth: Int
    let secondHalfWidth: Int
    /// Knots between arrival and the final envelope.
    var lookaheadKnots: Int { frequencyHalfWidth + firstHalfWidth + secondHalfWidth }
    let ringSize: Int
    let maximumAdvance: Double
    /// λ's largest rise per knot (10 dB/s; a hum swelling 20 dB over 3.5 s rises at most 9 dB/s).
    let levelRisePerKnot: Float
    /// Bisquare scale as a fraction of the first fit's magnitude.
    static let bisquareScale: Float = 0.35
    static let rebaseInterval = 1024

    private let hc: Int
    // Rings indexed [knot % ringSize][channel][harmonic]; complex as separate real/imag.
    private let cRe, cIm, bRe, bIm, h1Re, h1Im, h2Re, h2Im, rho1, rho2: UnsafeMutablePointer<Float>
    private let level: UnsafeMutablePointer<Float>
    private let valid: UnsafeMutablePointer<Bool>
    private let advance, advanceWeight, smoothedAdvance, theta: UnsafeMutablePointer<Double>
    private let first: RunningQuadratic
    private let second: RunningQuadratic

    /// Knots arrived so far.
    private(set) var arrived = 0

    init(harmonics: [Int], channelCount: Int, knotRate: Double, decimationFrames: Int, maximumDriftHertz: Double) {
        self.harmonics = harmonics
        self.channelCount = channelCount
        self.decimationFrames = decimationFrames
        hc = harmonics.count
        frequencyHalfWidth = max(2, Int((0.5 * knotRate).rounded()))
        firstHalfWidth = max(3, Int((1.2 * knotRate).rounded()))
        secondHalfWidth = max(2, Int((0.5 * knotRate).rounded()))
        let needed = 2 * (frequencyHalfWidth + 2 * firstHalfWidth + 2 * secondHalfWidth) + 8
        var size = 64
        while size < needed { size *= 2 }
        ringSize = size
        maximumAdvance = 2 * Double.pi * maximumDriftHertz / knotRate
        levelRisePerKnot = Float(pow(10, 10 / 20 / knotRate))
        let count = size * channelCount * hc
        func make() -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
            p.initialize(repeating: 0, count: count)
            return p
        }
        cRe = make(); cIm = make(); bRe = make(); bIm = make(); h1Re = make(); h1Im = make()
        h2Re = make(); h2Im = make(); rho1 = make(); rho2 = make()
        level = .allocate(capacity: channelCount * hc)
        level.initialize(repeating: -1, count: channelCount * hc)
        valid = .allocate(capacity: size)
        valid.initialize(repeating: false, count: size)
        func makeDouble() -> UnsafeMutablePointer<Double> {
            let p = UnsafeMutablePointer<Double>.allocate(capacity: size)
            p.initialize(repeating: 0, count: size)
            return p
        }
        advance = makeDouble(); advanceWeight = makeDouble(); smoothedAdvance = makeDouble(); theta = makeDouble()
        first = RunningQuadratic(count: channelCount * hc, halfWidth: firstHalfWidth)
        second = RunningQuadratic(count: channelCount * hc, halfWidth: secondHalfWidth)
    }

    deinit {
        for p in [cRe, cIm, bRe, bIm, h1Re, h1Im, h2Re, h2Im, rho1, rho2, level] { p.deallocate() }
        valid.deallocate()
        for p in [advance, advanceWeight, smoothedAdvance, theta] { p.deallocate() }
    }

    func reset() {
        let count = ringSize * channelCount * hc
        for p in [cRe, cIm, bRe, bIm, h1Re, h1Im, h2Re, h2Im, rho1, rho2] { p.update(repeating: 0, count: count) }
        level.update(repeating: -1, count: channelCount * hc)
        valid.update(repeating: false, count: ringSize)
        for p in [advance, advanceWeight, smoothedAdvance, theta] { p.update(repeating: 0, count: ringSize) }
        first.reset()
        second.reset()
        arrived = 0
    }

    @inline(__always) private func index(_ knot: Int, _ channel: Int, _ h: Int) -> Int {
        ((knot & (ringSize - 1)) * channelCount + channel) * hc + h
    }

    /// Stores knot `arrived` (per channel, `hc` complex values at `re`/`im` + channel × stride) and runs the stages.
    /// - Parameter isValid: whether the knot's decimation window lies wholly inside the stream.
    func arrive(re: UnsafePointer<Float>, im: UnsafePointer<Float>, stride: Int, isValid: Bool) {
        let m = arrived
        let slot = m & (ringSize - 1)
        valid[slot] = isValid
        for c in 0..<channelCount {
            for h in 0..<hc {
                let i = index(m, c, h)
                let xr = re[c * stride + h], xi = im[c * stride + h]
                cRe[i] = xr
                cIm[i] = xi
                var weight: Float = 0
                if isValid {
                    let magnitude = (xr * xr + xi * xi).squareRoot()
                    let l = c * hc + h
                    let floor = level[l] < 0 ? magnitude : min(magnitude, level[l] * levelRisePerKnot)
                    level[l] = floor
                    if magnitude > 0 {
                        var ratio = min(1, floor / magnitude)
                        ratio *= ratio
                        weight = ratio * ratio
                    }
                }
                rho1[i] = weight
            }
        }
        measureAdvance(m)
        arrived += 1
        let mf = m - frequencyHalfWidth
        if mf >= 0 { derotate(mf) }
        let m1 = mf - firstHalfWidth
        if m1 >= 0 { firstFit(m1) }
        let m2 = m1 - secondHalfWidth
        if m2 >= 0 { secondFit(m2) }
    }

    /// The final envelope of knot `knot` (derotated), for channel `c` and harmonic index `h`, and its drift phase.
    @inline(__always) func envelope(knot: Int, channel c: Int, harmonic h: Int) -> (Float, Float) {
        let i = index(knot, c, h)
        return (h2Re[i], h2Im[i])
    }

    /// Drift phase θ of the fundamental at `knot` in radians (relative to the nominal frequency).
    @inline(__always) func driftPhase(knot: Int) -> Double { theta[knot & (ringSize - 1)] }

    /// Drift of the fundamental at `knot` in radians per knot.
    @inline(__always) func driftAdvance(knot: Int) -> Double { smoothedAdvance[knot & (ringSize - 1)] }

    private func measureAdvance(_ m: Int) {
        let slot = m & (ringSize - 1)
        advance[slot] = 0
        advanceWeight[slot] = 0
        guard m >= 1, valid[slot], valid[(m - 1) & (ringSize - 1)] else { return }
        // Unwrap from the latest smoothed drift (known up to m − Wf − 1).
        var estimate = m - frequencyHalfWidth - 1 >= 0 ? smoothedAdvance[(m - frequencyHalfWidth - 1) & (ringSize - 1)]
            : 0
        var sumWeight = 0.0, sumValue = 0.0
        for (h, number) in harmonics.enumerated() {
            let k = Double(number)
            for c in 0..<channelCount {
                let a = index(m, c, h), b = index(m - 1, c, h)
                let ar = Double(cRe[a]), ai = Double(cIm[a]), br = Double(cRe[b]), bi = Double(cIm[b])
                let zr = ar * br + ai * bi, zi = ai * br - ar * bi
                let magnitude = (zr * zr + zi * zi).squareRoot()
                let weight = k * k * magnitude * Double(rho1[a]) * Double(rho1[b])
                guard weight > 0 else { continue }
                var residual = atan2(zi, zr) - k * estimate
                residual -= 2 * Double.pi * (residual / (2 * Double.pi)).rounded()
                let value = estimate + residual / k
                sumWeight += weight
                sumValue += weight * value
                estimate = sumValue / sumWeight
            }
        }
        guard sumWeight > 0 else { return }
        advance[slot] = max(-maximumAdvance, min(maximumAdvance, sumValue / sumWeight))
        advanceWeight[slot] = sumWeight
    }

    private func derotate(_ mf: Int) {
        // Local-linear fit of the advances over ±Wf knots (only arrived knots exist).
        let w = frequencyHalfWidth
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, t0 = 0.0, t1 = 0.0
        for j in max(0, mf - w)...(mf + w) {
            let slot = j & (ringSize - 1)
            let weight = advanceWeight[slot]
            guard weight > 0 else { continue }
            let u = Double(j - mf)
            s0 += weight; s1 += weight * u; s2 += weight * u * u
            t0 += weight * advance[slot]; t1 += weight * u * advance[slot]
        }
        let slot = mf & (ringSize - 1)
        let previous = mf >= 1 ? smoothedAdvance[(mf - 1) & (ringSize - 1)] : 0
        var value = previous
        if s0 > 0 {
            let mean = s1 / s0
            let slope = (t1 - mean * t0) / (s2 - mean * s1 + 0.01 * Double(w * w) * s0)
            value = t0 / s0 - slope * mean
        }
        value = max(-maximumAdvance, min(maximumAdvance, value))
        smoothedAdvance[slot] = value
        theta[slot] = mf >= 1 ? theta[(mf - 1) & (ringSize - 1)] + value : 0
        let phase = theta[slot]
        let d = Double(decimationFrames)
        for (h, number) in harmonics.enumerated() {
            let k = Double(number)
            let angle = k * phase
            let cosine = cos(angle), sine = sin(angle)
            // The decimation filter (a triangle of 2·D frames, Fejér kernel) at the harmonic's offset.
            let x = k * value / 2
            let gain = abs(x) < 1e-9 ? 1.0 : pow(sin(x) / (d * sin(x / d)), 2)
            let scale = 1 / max(gain, 0.05)
            for c in 0..<channelCount {
                let i = index(mf, c, h)
                let re = Double(cRe[i]), im = Double(cIm[i])
                let outRe = Float((re * cosine + im * sine) * scale)
                let outIm = Float((im * cosine - re * sine) * scale)
                bRe[i] = outRe
                bIm[i] = outIm
                first.add(c * hc + h, knot: mf, re: outRe, im: outIm, weight: rho1[i])
                let leaving = mf - 2 * firstHalfWidth - 1
                if leaving >= 0 {
                    let o = index(leaving, c, h)
                    first.remove(c * hc + h, knot: leaving, re: bRe[o], im: bIm[o], weight: rho1[o])
                }
            }
        }
        if mf % Self.rebaseInterval == 0 {
            first.rebase(base: mf, window: max(0, mf - 2 * firstHalfWidth)...mf) { j, l in
                let i = self.index(j, l / self.hc, l % self.hc)
                return (self.bRe[i], self.bIm[i], self.rho1[i])
            }
        }
    }

    private func firstFit(_ m1: Int) {
        for c in 0..<channelCount {
            for h in 0..<hc {
                let l = c * hc + h
                let i = index(m1, c, h)
                var (er, ei) = first.estimate(l, at: m1, minimumWeight: 0.5)
                    ?? (m1 >= 1 ? (h1Re[index(m1 - 1, c, h)], h1Im[index(m1 - 1, c, h)]) : (0, 0))
                if !er.isFinite || !ei.isFinite { er = 0; ei = 0 }
                h1Re[i] = er
                h1Im[i] = ei
                var weight: Float = 0
                if valid[m1 & (ringSize - 1)] {
                    let dr = bRe[i] - er, di = bIm[i] - ei
                    let scale = Self.bisquareScale * Self.bisquareScale * (er * er + ei * ei)
                    if scale > 0 {
                        let u = (dr * dr + di * di) / scale
                        if u < 1 { weight = (1 - u) * (1 - u) }
                    }
                }
                rho2[i] = weight
                second.add(l, knot: m1, re: bRe[i], im: bIm[i], weight: weight)
                let leaving = m1 - 2 * secondHalfWidth - 1
                if leaving >= 0 {
                    let o = index(leaving, c, h)
                    second.remove(l, knot: leaving, re: bRe[o], im: bIm[o], weight: rho2[o])
                }
            }
        }
        if m1 % Self.rebaseInterval == 0 {
            second.rebase(base: m1, window: max(0, m1 - 2 * secondHalfWidth)...m1) { j, l in
                let i = self.index(j, l / self.hc, l % self.hc)
                return (self.bRe[i], self.bIm[i], self.rho2[i])
            }
        }
    }

    private func secondFit(_ m2: Int) {
        for c in 0..<channelCount {
            for h in 0..<hc {
                let i = index(m2, c, h)
                var (er, ei) = second.estimate(c * hc + h, at: m2, minimumWeight: 1) ?? (h1Re[i], h1Im[i])
                if !er.isFinite || !ei.isFinite { er = 0; ei = 0 }
                h2Re[i] = er
                h2Im[i] = ei
            }
        }
    }
}

/// Running weighted sums for local-quadratic fits of complex series over a sliding window: Σw·uᵖ (p = 0…4) and
/// Σw·uᵖ·z (p = 0…2), with u = knot − base. Allocates in `init` only.
final class RunningQuadratic {
    let count: Int
    let halfWidth: Int
    /// Ridge on the slope and curvature, in units of the window's own spread (keeps fits over a cluster of knots
    /// on one side of the centre from extrapolating wildly).
    static let ridge = 0.01
    private let sums: UnsafeMutablePointer<Double>  // [count][11]
    private var base = 0

    init(count: Int, halfWidth: Int) {
        self.count = count
        self.halfWidth = halfWidth
        sums = .allocate(capacity: count * 11)
        sums.initialize(repeating: 0, count: count * 11)
    }

    deinit { sums.deallocate() }

    func reset() {
        sums.update(repeating: 0, count: count * 11)
        base = 0
    }

    @inline(__always) func add(_ l: Int, knot: Int, re: Float, im: Float, weight: Float) {
        accumulate(l, knot: knot, re: re, im: im, weight: Double(weight))
    }

    @inline(__always) func remove(_ l: Int, knot: Int, re: Float, im: Float, weight: Float) {
        accumulate(l, knot: knot, re: re, im: im, weight: -Double(weight))
    }

    @inline(__always) private func accumulate(_ l: Int, knot: Int, re: Float, im: Float, weight: Double) {
        guard weight != 0 else { return }
        let s = sums + l * 11
        let u = Double(knot - base)
        let w1 = weight * u, w2 = w1 * u
        s[0] += weight; s[1] += w1; s[2] += w2; s[3] += w2 * u; s[4] += w2 * u * u
        let r = Double(re), i = Double(im)
        s[5] += weight * r; s[6] += weight * i
        s[7] += w1 * r; s[8] += w1 * i
        s[9] += w2 * r; s[10] += w2 * i
    }

    /// Recomputes every sum about a new base from the window's contents.
    func rebase(base newBase: Int, window: ClosedRange<Int>, value: (Int, Int) -> (Float, Float, Float)) {
        sums.update(repeating: 0, count: count * 11)
        base = newBase
        for j in window {
            for l in 0..<count {
                let (re, im, w) = value(j, l)
                accumulate(l, knot: j, re: re, im: im, weight: Double(w))
            }
        }
    }

    /// The fitted value at `knot`, or nil when the window's weight is below `minimumWeight`.
    @inline(__always) func estimate(_ l: Int, at knot: Int, minimumWeight: Double) -> (Float, Float)? {
        let s = sums + l * 11
        let m0 = s[0]
        guard m0 >= minimumWeight else { return nil }
        // Moments about the centre knot: Σw·vᵖ with v = u − c.
        let c = Double(knot - base)
        let m1 = s[1] - c * m0
        let m2 = s[2] - 2 * c * s[1] + c * c * m0
        let m3 = s[3] - 3 * c * s[2] + 3 * c * c * s[1] - c * c * c * m0
        let m4 = s[4] - 4 * c * s[3] + 6 * c * c * s[2] - 4 * c * c * c * s[1] + c * c * c * c * m0
        let z0r = s[5], z0i = s[6]
        let z1r = s[7] - c * s[5], z1i = s[8] - c * s[6]
        let z2r = s[9] - 2 * c * s[7] + c * c * s[5], z2i = s[10] - 2 * c * s[8] + c * c * s[6]
        // Normal equations for a + b·v + q·v², ridge on b and q scaled to the window (v in units of halfWidth).
        let hw = Double(halfWidth)
        let a11 = m0, a12 = m1 / hw, a13 = m2 / (hw * hw)
        let a22 = m2 / (hw * hw) + Self.ridge * m0, a23 = m3 / (hw * hw * hw)
        let a33 = m4 / (hw * hw * hw * hw) + Self.ridge * m0
        // Solve by Cramer's rule for the constant term only.
        let det = a11 * (a22 * a33 - a23 * a23) - a12 * (a12 * a33 - a23 * a13) + a13 * (a12 * a23 - a22 * a13)
        guard det > 1e-12 * m0 * m0 * m0 else { return (Float(z0r / m0), Float(z0i / m0)) }
        let c11 = a22 * a33 - a23 * a23
        let c12 = -(a12 * a33 - a13 * a23)
        let c13 = a12 * a23 - a13 * a22
        let y1r = z0r, y2r = z1r / hw, y3r = z2r / (hw * hw)
        let y1i = z0i, y2i = z1i / hw, y3i = z2i / (hw * hw)
        return (Float((c11 * y1r + c12 * y2r + c13 * y3r) / det), Float((c11 * y1i + c12 * y2i + c13 * y3i) / det))
    }
}
