import Foundation
import ScrimCore
import ScrimSpectral

/// Settings of ``HumTracker``. The constants behind them were chosen on the de-hum corpus (71 files, 16 hum types;
/// Benchmarks/quality/HUM-TRACKER.md gives each experiment and its figures).
public struct HumTrackerSettings: Sendable, Hashable {
    /// Highest harmonic frequency modelled (Hz); harmonics above it are left alone.
    public var maximumFrequencyHertz: Double = 4000
    /// Refinement passes after the bootstrap (each: re-demodulate, re-estimate, Kalman/RTS phase smoothing).
    public var refinementPasses: Int = 3
    /// Noise bandwidth of the bootstrap phase-locked loop (Hz).
    public var loopBandwidthHertz: Double = 3.0
    /// Remove nothing unless at least two harmonics keep their phase over the stretch (for a hum the detector did
    /// not confirm).
    public var requireEvidence = false
    /// Creates the default settings.
    public init() {}
}

/// What ``HumTracker`` followed and removed in one stretch of audio.
public struct HumTrack: Sendable {
    /// The fundamental the tracker started from (Hz).
    public var referenceHertz: Double
    /// Harmonics modelled (1…count).
    public var harmonicCount: Int
    /// Frame centres in seconds from the start of the stretch.
    public var frameSeconds: [Double]
    /// The tracked fundamental at each frame centre (Hz).
    public var fundamentalHertz: [Double]
    /// The hum's common level at each frame, relative to its take-long harmonic amplitudes (1 = as estimated).
    public var levelGain: [Double]
    /// Each harmonic's amplitude (peak, linear full scale), harmonic 1 first.
    public var harmonicAmplitudes: [Double]
    /// RMS of what was subtracted and of the input (linear full scale).
    public var removedRMS: Double
    public var inputRMS: Double
    /// Whether hum was removed: false when the stretch was too short to track, or (with
    /// ``HumTrackerSettings/requireEvidence``) when fewer than two harmonics stood out.
    public var tracked: Bool
    /// Harmonics whose frames keep their phase over the stretch (``HumTracker/minimumCoherence``).
    public var significantHarmonics: Int = 0
    /// Mean power of the modelled hum (at level 1) and the estimated power of its amplitude error (linear full scale
    /// squared): the estimated hum left is their ratio.
    public var modelPower: Double = 0
    public var estimatedLeftPower: Double = 0
}

/// A joint-harmonic hum tracker and remover that follows a wobbling generator through speech
/// (issue 19; the design and its measurements are in Benchmarks/quality/HUM-TRACKER.md).
///
/// The hum is modelled as `g(t)·Σₖ Re(Aₖ·e^{jkφ(t)})`: one phase track φ for all harmonics, one complex amplitude
/// per harmonic over the stretch (a long coherent average, so a harmonic under the voice or under noise is still
/// estimated from the whole take), and a slow common level g. Only that model is subtracted; nothing is filtered.
///
/// 1. **Angle-domain demodulation.** The input is resampled along the current phase track onto a grid uniform in
///    phase, ``pointsPerPeriod`` points per period, with a Kaiser-windowed sinc low-pass (cut-off 5.1 kHz; the
///    classic "computed order tracking" of rotating-machine analysis). Frames of two periods, hop half a period
///    (10 ms at 50 Hz), Hann-windowed, one real FFT each: harmonic k is bin 2k, and harmonics k±1 fall on the Hann
///    window's zeros. A hum that follows φ gives a constant cₖ[m] = Aₖ.
/// 2. **Bootstrap.** A second-order phase-locked loop over the frames (noise bandwidth 3 Hz) whose phase error is a
///    comb maximum-likelihood search over all harmonics (each harmonic's reference phase frozen after a 0.3 s
///    acquisition, weights from phase-invariant magnitude evidence), run forwards and backwards and fused by
///    lock quality; the start frequency offset from lag products.
/// 3. **Refinement.** Per pass: re-demodulate; amplitudes by weighted least squares over the whole stretch (frames
///    where the voice covers a harmonic weigh little), the common level from the same weights (smoothed 0.3 s); a
///    phase-error measurement per frame with its variance; a two-state Kalman filter and RTS smoother.
/// 4. **Subtraction** from a one-period table of the modelled waveform, read along φ at every sample.
///
/// Offline: it needs the whole stretch (a file job runs it on chunks). Memory is O(stretch length).
public final class HumTracker {
    public let sampleRate: Double
    public let referenceHertz: Double
    public let settings: HumTrackerSettings
    /// Harmonics modelled: 1…harmonicCount.
    public let harmonicCount: Int
    /// A harmonic counts as found when its frames' phases agree this well (mean resultant length, 0…1)...
    public static let minimumCoherence = 0.2
    /// …and its amplitude is at least this (−90 dBFS).
    public static let audibleAmplitude = 3.16e-5
    /// Angle-domain points per period of the fundamental.
    public static let pointsPerPeriod = 256

    private let kernel: SincKernel
    private let fft: RealFFT
    private let window: [Float]
    /// Phase knots every `knotStep` samples.
    private let knotStep: Int
    /// Frames per second (two per period of the reference).
    private let framesPerSecond: Double
    /// The phase process noise the last pass chose (research output).
    /// The phase stiffness (``phaseStiffnesses``) the last refinement pass chose.
    public private(set) var chosenStiffness = 0.0

    /// The residual weights' floor: this quantile of a harmonic's local residual power over the frames (the level
    /// of the pauses). The median (with a 0.1 factor) left −48 dB on steady hum under speech with the true phase
    /// given; the 20th percentile −85 dB (HUM-TRACKER.md, v3).
    static let weightFloorQuantile = 0.2
    /// Process noise of the level smoother (level, slope per frame) at 100 frames a second: follows a 1 Hz, 30 %
    /// AM and a 20 dB swell (1e-6 to 1e-8 measured; 1e-7 the best on steady hum under speech).
    static let levelProcessNoise = [1e-8, 1e-7]
    /// Process noise of the phase smoother's phase term (rad² per frame at 100 frames a second).
    static let phaseProcessNoise = 1e-7
    /// Candidate stiffnesses of the phase track: process noise of its frequency term ((rad/frame)² per frame at
    /// 100 frames a second). A random-walk generator at 0.25 Hz/√s needs about 2.5e-6; a ±1 Hz, 3 s sine drift
    /// about 2e-6; steady mains 1e-9.
    static let phaseStiffnesses = [1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4]
    /// Factors tried on the phase measurements' variances (the comb search's errors at low SNR are wider than its
    /// curvature says).
    static let varianceScales = [1.0, 4, 16, 64]
    /// Frames whose phase variance is at most this times the lower quartile's count as clean (the pauses).
    static let cleanFrameFactor = 3.0

    /// - Throws: ``ScrimError`` `.configuration` for a rate under 8 kHz or a reference outside 20–400 Hz.
    public init(sampleRate: Double, referenceHertz: Double, settings: HumTrackerSettings = HumTrackerSettings())
        throws(ScrimError)
    {
        guard sampleRate >= 8000, sampleRate <= 768_000, referenceHertz >= 20, referenceHertz <= 400 else {
            throw ScrimError(.configuration, "hum tracker: rate \(sampleRate) Hz / fundamental \(referenceHertz) Hz "
                             + "out of range (8-768 kHz, 20-400 Hz)")
        }
        self.sampleRate = sampleRate
        self.referenceHertz = referenceHertz
        self.settings = settings
        let top = min(settings.maximumFrequencyHertz, 0.45 * sampleRate, SincKernel.cutoffHertz - 900)
        harmonicCount = max(1, min(Self.pointsPerPeriod / 2 - 1, Int(top / referenceHertz)))
        kernel = SincKernel(sampleRate: sampleRate)
        fft = try RealFFT(fftSize: 2 * Self.pointsPerPeriod, directions: .forward)
        let n = 2 * Self.pointsPerPeriod
        window = (0..<n).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n))) }
        knotStep = max(1, Int((0.005 * sampleRate).rounded()))
        framesPerSecond = 2 * referenceHertz
    }

    // MARK: - Phase knots

    /// φ at samples j·knotStep (radians of the fundamental).
    private struct Knots {
        var phase: [Double]
        let step: Int

        func phase(at t: Double) -> Double {
            let u = t / Double(step)
            let j = min(max(0, Int(u.rounded(.down))), phase.count - 2)
            return phase[j] + (phase[j + 1] - phase[j]) * (u - Double(j))
        }

        /// Adds `d` (given at frame times in samples, held at the ends) to every knot.
        mutating func add(_ d: [Double], at times: [Double]) {
            guard !d.isEmpty else { return }
            var i = 0
            for j in phase.indices {
                let t = Double(j * step)
                while i + 1 < times.count && times[i + 1] <= t { i += 1 }
                let value: Double
                if t <= times[0] { value = d[0] }
                else if i + 1 >= times.count { value = d[d.count - 1] }
                else {
                    let f = (t - times[i]) / max(times[i + 1] - times[i], 1e-9)
                    value = d[i] + (d[i + 1] - d[i]) * f
                }
                phase[j] += value
            }
            // φ must keep rising (a positive frequency).
            let least = 1e-6
            for j in 1..<phase.count where phase[j] <= phase[j - 1] + least { phase[j] = phase[j - 1] + least }
        }
    }

    // MARK: - Demodulation

    /// Frame observations cₖ[m] (row m, harmonic k at index k−1) along the knots' phase, and frame centres in samples.
    private struct Observations {
        var re: [Double]
        var im: [Double]
        var times: [Double]
        var count: Int
    }

    private func demodulate(_ x: UnsafeBufferPointer<Float>, knots: Knots) -> Observations {
        let n = x.count
        let P = Self.pointsPerPeriod
        let K = harmonicCount
        let theta0 = knots.phase[0]
        let endPhase = knots.phase(at: Double(n - 1))
        let points = Int(((endPhase - theta0) / (2 * Double.pi) * Double(P)).rounded(.down)) + 1
        guard points >= 2 * P + P / 2 else { return Observations(re: [], im: [], times: [], count: 0) }
        var y = [Float](repeating: 0, count: points)
        var times = [Double](repeating: 0, count: points)
        let dTheta = 2 * Double.pi / Double(P)
        var j = 0
        knots.phase.withUnsafeBufferPointer { phi in
            for i in 0..<points {
                let theta = theta0 + Double(i) * dTheta
                while j + 2 < phi.count && phi[j + 1] <= theta { j += 1 }
                let span = phi[j + 1] - phi[j]
                let t = (Double(j) + (theta - phi[j]) / span) * Double(knots.step)
                times[i] = min(t, Double(n - 1))
                y[i] = kernel.sample(x, at: times[i])
            }
        }
        let frames = (points - 2 * P) / (P / 2) + 1
        var re = [Double](repeating: 0, count: frames * K)
        var im = [Double](repeating: 0, count: frames * K)
        var centres = [Double](repeating: 0, count: frames)
        let scale = 2.0 / Double(P)
        let input = fft.input
        y.withUnsafeBufferPointer { yp in
            window.withUnsafeBufferPointer { wp in
                for m in 0..<frames {
                    let start = m * (P / 2)
                    for i in 0..<(2 * P) { input[i] = wp[i] * yp[start + i] }
                    fft.forward()
                    centres[m] = times[start + P]
                    // e^{-jkθ_start}, θ_start = θ0 + m·π
                    let thetaStart = theta0.truncatingRemainder(dividingBy: 2 * Double.pi) + Double(m % 2) * Double.pi
                    let stepRe = cos(thetaStart), stepIm = -sin(thetaStart)
                    var rotRe = 1.0, rotIm = 0.0
                    for k in 1...K {
                        let nr = rotRe * stepRe - rotIm * stepIm
                        rotIm = rotRe * stepIm + rotIm * stepRe
                        rotRe = nr
                        let xr = Double(fft.real[2 * k]), xi = Double(fft.imag[2 * k])
                        re[m * K + k - 1] = scale * (xr * rotRe - xi * rotIm)
                        im[m * K + k - 1] = scale * (xr * rotIm + xi * rotRe)
                    }
                }
            }
        }
        return Observations(re: re, im: im, times: centres, count: frames)
    }

    // MARK: - Bootstrap

    /// Frequency offset (Hz) over the first 0.5 s from lag products; 0 when the best is at the search's edge
    /// (speech, not hum).
    private func startOffset(_ o: Observations, reversed: Bool) -> Double {
        let K = harmonicCount
        let lag = max(1, Int((0.05 * framesPerSecond).rounded()))
        let usable = min(o.count, max(lag + 2, Int(0.5 * framesPerSecond)))
        guard usable >= lag + 2 else { return 0 }
        var pr = [Double](repeating: 0, count: K), pi = [Double](repeating: 0, count: K)
        for m in lag..<usable {
            let a = reversed ? o.count - 1 - m : m
            let b = reversed ? o.count - 1 - (m - lag) : m - lag
            for k in 0..<K {
                let ar = o.re[a * K + k], ai = o.im[a * K + k], br = o.re[b * K + k], bi = -o.im[b * K + k]
                pr[k] += ar * br - ai * bi
                pi[k] += ar * bi + ai * br
            }
        }
        let gridCount = 601
        var best = -Double.infinity, bestIndex = 0
        for g in 0..<gridCount {
            let f = -1.5 + 0.005 * Double(g)
            let w = 2 * Double.pi * f * Double(lag) / framesPerSecond
            var s = 0.0
            for k in 0..<K {
                let angle = -Double(k + 1) * w
                s += pr[k] * cos(angle) - pi[k] * sin(angle)
            }
            if s > best { best = s; bestIndex = g }
        }
        if bestIndex < 5 || bestIndex > gridCount - 6 { return 0 }
        return -1.5 + 0.005 * Double(bestIndex)
    }

    /// The causal joint PLL over the frames (forwards, or over the reversed frames): the phase correction d[m] in
    /// radians of the fundamental (in the order of `o`'s frames) and the lock quality per frame.
    private func bootstrap(_ o: Observations, reversed: Bool, nu0: Double) -> (d: [Double], quality: [Double]) {
        let M = o.count, K = harmonicCount
        let fps = framesPerSecond
        let tau = 3.0 * fps
        let acquisition = max(3, Int(0.3 * fps))
        let zeta = 0.707
        let wn = 2 * settings.loopBandwidthHertz / (zeta + 1 / (4 * zeta)) / fps
        let kp = 2 * zeta * wn, ki = wn * wn
        var aRe = [Double](repeating: 0, count: K), aIm = [Double](repeating: 0, count: K)
        var uRe = [Double](repeating: 1, count: K), uIm = [Double](repeating: 0, count: K)
        var mag = [Double](repeating: 0, count: K)
        var floor = [Double](repeating: 0, count: K), local = [Double](repeating: 0, count: K)
        var rRe = [Double](repeating: 0, count: K), rIm = [Double](repeating: 0, count: K)
        var vRe = [Double](repeating: 0, count: K), vIm = [Double](repeating: 0, count: K)
        var weight = [Double](repeating: 0, count: K)
        var d = 0.0, nu = nu0
        var out = [Double](repeating: 0, count: M), quality = [Double](repeating: 0, count: M)
        let floorRate = 1 / (3.0 * fps)
        let comb = CombSearch(harmonics: K)

        func rotate(_ row: Int, by delta: Double) {
            let sr = cos(delta), si = -sin(delta)
            var cr = 1.0, ci = 0.0
            for k in 0..<K {
                let nr = cr * sr - ci * si
                ci = cr * si + ci * sr
                cr = nr
                let xr = o.re[row * K + k], xi = o.im[row * K + k]
                rRe[k] = xr * cr - xi * ci
                rIm[k] = xr * ci + xi * cr
            }
        }

        for step in 0..<M {
            let row = reversed ? M - 1 - step : step
            d += nu
            rotate(row, by: d)
            if step < acquisition {
                let inv = 1 / Double(step + 1)
                for k in 0..<K { aRe[k] += (rRe[k] - aRe[k]) * inv; aIm[k] += (rIm[k] - aIm[k]) * inv }
                if step == acquisition - 1 {
                    for k in 0..<K {
                        mag[k] = (aRe[k] * aRe[k] + aIm[k] * aIm[k]).squareRoot()
                        let s = max(mag[k], 1e-30)
                        uRe[k] = aRe[k] / s; uIm[k] = aIm[k] / s
                        floor[k] = 1e-6 * max(mag[k] * mag[k], 1e-30)
                    }
                }
                out[row] = d
                continue
            }
            for k in 0..<K {
                let absR = (rRe[k] * rRe[k] + rIm[k] * rIm[k]).squareRoot()
                let mm = (absR - mag[k]) * (absR - mag[k])
                local[k] += (mm - local[k]) * 0.3
                weight[k] = 1 / (floor[k] + local[k] + 1e-3 * mag[k] * mag[k] + 1e-30)
                // v = w r conj(ref), ref = mag u
                let refRe = mag[k] * uRe[k], refIm = mag[k] * uIm[k]
                vRe[k] = weight[k] * (rRe[k] * refRe + rIm[k] * refIm)
                vIm[k] = weight[k] * (rIm[k] * refRe - rRe[k] * refIm)
                floor[k] += (mm - floor[k]) * floorRate
            }
            let err = comb.argmax(vRe, vIm)
            d += kp * err
            nu += ki * err
            rotate(row, by: d)
            var sumRe = 0.0, sumAbs = 0.0
            for k in 0..<K {
                let proj = rRe[k] * uRe[k] + rIm[k] * uIm[k]
                mag[k] += (max(proj, 0) - mag[k]) / tau
                let qr = weight[k] * proj
                let qi = weight[k] * (rIm[k] * uRe[k] - rRe[k] * uIm[k])
                sumRe += qr
                sumAbs += (qr * qr + qi * qi).squareRoot()
            }
            quality[row] = sumRe / max(sumAbs, 1e-30)
            out[row] = d
        }
        return (out, quality)
    }

    // MARK: - Refinement helpers

    private static func gaussSmooth(_ value: [Double], weights: [Double], sigmaFrames: Double) -> [Double] {
        let r = Int(3 * sigmaFrames) + 1
        let kernel = (-r...r).map { exp(-0.5 * pow(Double($0) / sigmaFrames, 2)) }
        let n = value.count
        var out = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var num = 0.0, den = 0.0
            for j in max(0, i - r)...min(n - 1, i + r) {
                let w = kernel[j - i + r] * weights[j]
                num += w * value[j]
                den += w
            }
            out[i] = den > 1e-30 ? num / den : value[i]
        }
        return out
    }

    /// Weights 1/(local residual power + a floor), per cell; the floor is a low quantile of that harmonic's local
    /// residual power over the frames (the level of the pauses), so the quiet stretches dominate.
    private func residualWeights(_ o: Observations, gain: [Double], ampRe: [Double], ampIm: [Double]) -> [Double] {
        let M = o.count, K = harmonicCount
        var resid = [Double](repeating: 0, count: M * K)
        for m in 0..<M {
            for k in 0..<K {
                let dr = o.re[m * K + k] - gain[m] * ampRe[k], di = o.im[m * K + k] - gain[m] * ampIm[k]
                resid[m * K + k] = dr * dr + di * di
            }
        }
        let half = max(1, Int((0.05 * framesPerSecond).rounded())) / 2
        var smooth = [Double](repeating: 0, count: M * K)
        var column = [Double](repeating: 0, count: M)
        var out = [Double](repeating: 0, count: M * K)
        for k in 0..<K {
            var prefix = [Double](repeating: 0, count: M + 1)
            for m in 0..<M { prefix[m + 1] = prefix[m] + resid[m * K + k] }
            for m in 0..<M {
                let lo = max(0, m - half), hi = min(M - 1, m + half)
                let v = (prefix[hi + 1] - prefix[lo]) / Double(hi - lo + 1)
                smooth[m * K + k] = v
                column[m] = v
            }
            let rank = min(M - 1, Int(Self.weightFloorQuantile * Double(M)))
            let floor = column.withUnsafeMutableBufferPointer { OrderStatistics.select($0, count: M, rank: rank) }
            for m in 0..<M { out[m * K + k] = 1 / (smooth[m * K + k] + floor + 1e-30) }
        }
        return out
    }

    /// The least-squares level of each frame against the amplitudes, g = Σₖ w Re(c·conj A) / Σₖ w |A|², and its
    /// weight Σₖ w |A|².
    private func frameGains(_ o: Observations, ampRe: [Double], ampIm: [Double], weights: [Double])
        -> (gain: [Double], weight: [Double])
    {
        let K = harmonicCount
        var gm = [Double](repeating: 0, count: o.count), gw = [Double](repeating: 0, count: o.count)
        for m in 0..<o.count {
            var num = 0.0, den = 0.0
            for k in 0..<K {
                let w = weights[m * K + k]
                den += w * (ampRe[k] * ampRe[k] + ampIm[k] * ampIm[k])
                num += w * (o.re[m * K + k] * ampRe[k] + o.im[m * K + k] * ampIm[k])
            }
            gm[m] = num / max(den, 1e-30)
            gw[m] = den
        }
        return (gm, gw)
    }

    /// Aₖ = Σₘ w g c / Σₘ w g².
    private func amplitudes(_ o: Observations, gain: [Double], weights: [Double]) -> ([Double], [Double]) {
        let M = o.count, K = harmonicCount
        var nr = [Double](repeating: 0, count: K), ni = [Double](repeating: 0, count: K)
        var den = [Double](repeating: 0, count: K)
        for m in 0..<M {
            let g = gain[m]
            for k in 0..<K {
                // The weight squared: the quiet frames dominate more (−85 dB left against −62 dB with the weight
                // itself, true phase given, steady hum under speech).
                let w = weights[m * K + k] * weights[m * K + k]
                nr[k] += w * g * o.re[m * K + k]
                ni[k] += w * g * o.im[m * K + k]
                den[k] += w * g * g
            }
        }
        for k in 0..<K { let s = max(den[k], 1e-30); nr[k] /= s; ni[k] /= s }
        return (nr, ni)
    }

    /// Two-state (phase, phase per frame) Kalman filter and RTS smoother; returns the smoothed phase.
    /// `q0`, `q1`: process noise of the value and of its change per frame, at 100 frames a second (scaled to the
    /// frame rate).
    /// Two-state (value, change per frame) Kalman filter and RTS smoother. `q0`, `q1`: process noise of the value
    /// and of its change per frame at 100 frames a second (scaled to the frame rate); `diffuse`: a wide prior (for
    /// a track far from 0). Returns the smoothed values and the log-likelihood of the measurements (from the
    /// innovations) over the `counted` frames.
    private func kalmanSmooth(_ z: [Double], variance r: [Double], q0 q0At100: Double, q1 q1At100: Double,
                              diffuse: Bool, counted: [Bool]? = nil)
        -> (values: [Double], logLikelihood: Double)
    {
        var logLikelihood = 0.0
        let M = z.count
        let scale = 100 / framesPerSecond
        let q0 = q0At100 * scale
        let q1Scale = scale * scale * scale
        var xs = [Double](repeating: 0, count: 2 * M), ps = [Double](repeating: 0, count: 4 * M)
        var xp = [Double](repeating: 0, count: 2 * M), pp = [Double](repeating: 0, count: 4 * M)
        var x0 = 0.0, x1 = 0.0
        var p00 = diffuse ? 1e6 : 1.0, p01 = 0.0, p10 = 0.0, p11 = diffuse ? 1.0 : 1e-2
        for m in 0..<M {
            // predict: F = [[1,1],[0,1]]
            x0 += x1
            let q1 = q1At100 * q1Scale
            let a00 = p00 + p01 + p10 + p11 + q0, a01 = p01 + p11, a10 = p10 + p11, a11 = p11 + q1
            p00 = a00; p01 = a01; p10 = a10; p11 = a11
            xp[2 * m] = x0; xp[2 * m + 1] = x1
            pp[4 * m] = p00; pp[4 * m + 1] = p01; pp[4 * m + 2] = p10; pp[4 * m + 3] = p11
            if r[m].isFinite {
                let s = p00 + r[m]
                let k0 = p00 / s, k1 = p10 / s
                let innovation = z[m] - x0
                if counted?[m] ?? true { logLikelihood -= 0.5 * (log(s) + innovation * innovation / s) }
                x0 += k0 * innovation; x1 += k1 * innovation
                let n00 = p00 - k0 * p00, n01 = p01 - k0 * p01, n10 = p10 - k1 * p00, n11 = p11 - k1 * p01
                p00 = n00; p01 = n01; p10 = n10; p11 = n11
            }
            xs[2 * m] = x0; xs[2 * m + 1] = x1
            ps[4 * m] = p00; ps[4 * m + 1] = p01; ps[4 * m + 2] = p10; ps[4 * m + 3] = p11
        }
        if M >= 2 {
            for m in stride(from: M - 2, through: 0, by: -1) {
                // G = Ps[m] Fᵀ inv(Pp[m+1])
                let s00 = ps[4 * m], s01 = ps[4 * m + 1], s10 = ps[4 * m + 2], s11 = ps[4 * m + 3]
                // Ps Fᵀ, Fᵀ = [[1,0],[1,1]]
                let b00 = s00 + s01, b01 = s01, b10 = s10 + s11, b11 = s11
                let q00 = pp[4 * (m + 1)], q01 = pp[4 * (m + 1) + 1], q10 = pp[4 * (m + 1) + 2]
                let q11 = pp[4 * (m + 1) + 3]
                let det = q00 * q11 - q01 * q10
                guard abs(det) > 1e-300 else { continue }
                let i00 = q11 / det, i01 = -q01 / det, i10 = -q10 / det, i11 = q00 / det
                let g00 = b00 * i00 + b01 * i10, g01 = b00 * i01 + b01 * i11
                let g10 = b10 * i00 + b11 * i10, g11 = b10 * i01 + b11 * i11
                let e0 = xs[2 * (m + 1)] - xp[2 * (m + 1)], e1 = xs[2 * (m + 1) + 1] - xp[2 * (m + 1) + 1]
                xs[2 * m] += g00 * e0 + g01 * e1
                xs[2 * m + 1] += g10 * e0 + g11 * e1
                // Ps[m] += G (Ps[m+1] − Pp[m+1]) Gᵀ
                let c00 = ps[4 * (m + 1)] - q00, c01 = ps[4 * (m + 1) + 1] - q01
                let c10 = ps[4 * (m + 1) + 2] - q10, c11 = ps[4 * (m + 1) + 3] - q11
                let h00 = g00 * c00 + g01 * c10, h01 = g00 * c01 + g01 * c11
                let h10 = g10 * c00 + g11 * c10, h11 = g10 * c01 + g11 * c11
                ps[4 * m] += h00 * g00 + h01 * g01
                ps[4 * m + 1] += h00 * g10 + h01 * g11
                ps[4 * m + 2] += h10 * g00 + h11 * g01
                ps[4 * m + 3] += h10 * g10 + h11 * g11
            }
        }
        return ((0..<M).map { xs[2 * $0] }, logLikelihood)
    }

    private static func interpolate(_ values: [Double], at times: [Double], to newTimes: [Double]) -> [Double] {
        guard !values.isEmpty else { return newTimes.map { _ in 1 } }
        var i = 0
        return newTimes.map { t in
            if t <= times[0] { return values[0] }
            while i + 1 < times.count && times[i + 1] <= t { i += 1 }
            if i + 1 >= times.count { return values[values.count - 1] }
            let f = (t - times[i]) / max(times[i + 1] - times[i], 1e-9)
            return values[i] + (values[i + 1] - values[i]) * f
        }
    }

    // MARK: - The whole job

    /// Tracks the hum in `x` and subtracts it in place. Returns what was followed and removed.
    public func removeHum(from x: UnsafeMutableBufferPointer<Float>) -> HumTrack {
        let n = x.count
        let K = harmonicCount
        let rate = sampleRate
        var inputEnergy = 0.0
        for v in x { inputEnergy += Double(v) * Double(v) }
        let inputRMS = n > 0 ? (inputEnergy / Double(n)).squareRoot() : 0
        var untouched = HumTrack(referenceHertz: referenceHertz, harmonicCount: K, frameSeconds: [],
                                 fundamentalHertz: [], levelGain: [], harmonicAmplitudes: [], removedRMS: 0,
                                 inputRMS: inputRMS, tracked: false)
        let knotCount = n / knotStep + 2
        let omega = 2 * Double.pi * referenceHertz / rate
        var knots = Knots(phase: (0..<knotCount).map { omega * Double($0 * knotStep) }, step: knotStep)
        let input = UnsafeBufferPointer(x)
        var o = demodulate(input, knots: knots)
        guard o.count >= 8 else { return untouched }
        let fps = framesPerSecond

        // Bootstrap, forwards and backwards, fused by lock quality.
        let nuF = 2 * Double.pi * startOffset(o, reversed: false) / fps
        // Run on the reversed frames the loop follows the same phase (stored in forward order, up to a constant);
        // the start offset is measured in reversed time, where the hum's offset has the opposite sign.
        let nuB = 2 * Double.pi * startOffset(o, reversed: true) / fps
        let forward = bootstrap(o, reversed: false, nu0: nuF)
        let backward = bootstrap(o, reversed: true, nu0: nuB)
        let ones = [Double](repeating: 1, count: o.count)
        let qf = Self.gaussSmooth(forward.quality, weights: ones, sigmaFrames: 0.5 * fps)
        let qb = Self.gaussSmooth(backward.quality, weights: ones, sigmaFrames: 0.5 * fps)
        var d = [Double](repeating: 0, count: o.count)
        for m in 1..<o.count {
            let wf = pow(min(max(qf[m], 1e-3), 1), 4), wb = pow(min(max(qb[m], 1e-3), 1), 4)
            let incF = forward.d[m] - forward.d[m - 1], incB = backward.d[m] - backward.d[m - 1]
            d[m] = d[m - 1] + (wf * incF + wb * incB) / (wf + wb)
        }
        knots.add(d, at: o.times)

        var gain = [Double](repeating: 1, count: o.count)
        var gainTimes = o.times
        var ampRe = [Double](repeating: 0, count: K), ampIm = [Double](repeating: 0, count: K)
        let kk = (1...K).map(Double.init)
        let comb = CombSearch(harmonics: K)
        for _ in 0..<max(0, settings.refinementPasses) {
            o = demodulate(input, knots: knots)
            guard o.count >= 8 else { return untouched }
            gain = Self.interpolate(gain, at: gainTimes, to: o.times)
            gainTimes = o.times
            var weights = [Double](repeating: 1, count: o.count * K)
            (ampRe, ampIm) = amplitudes(o, gain: gain, weights: weights)
            for _ in 0..<2 {
                weights = residualWeights(o, gain: gain, ampRe: ampRe, ampIm: ampIm)
                (ampRe, ampIm) = amplitudes(o, gain: gain, weights: weights)
                // The level per frame, then weights against a model free to take that level: a level change is
                // not mistaken for the voice (only a mismatch between harmonics is).
                let raw = frameGains(o, ampRe: ampRe, ampIm: ampIm, weights: weights)
                weights = residualWeights(o, gain: raw.gain, ampRe: ampRe, ampIm: ampIm)
                let free = frameGains(o, ampRe: ampRe, ampIm: ampIm, weights: weights)
                // A (level, slope) Kalman smoother: measurement variance 1/(2·Σw|A|²) per frame, so frames where
                // the voice covers the hum count little and clean stretches are followed closely.
                let z = free.gain.map { $0 - 1 }
                let variance = free.weight.map { 1 / max(2 * $0, 1e-30) }
                gain = kalmanSmooth(z, variance: variance, q0: Self.levelProcessNoise[0],
                                    q1: Self.levelProcessNoise[1], diffuse: false).values.map { 1 + $0 }
                (ampRe, ampIm) = amplitudes(o, gain: gain, weights: weights)
            }
            // Each frame's phase error by the comb search, as in the bootstrap (a high harmonic whose k·error wraps
            // still votes for the right error), and its variance 1/(2·Σ w k²|gA|²).
            var z = [Double](repeating: 0, count: o.count), r = [Double](repeating: 0, count: o.count)
            var vRe = [Double](repeating: 0, count: K), vIm = [Double](repeating: 0, count: K)
            for m in 0..<o.count {
                var den = 0.0
                for k in 0..<K {
                    let w = weights[m * K + k]
                    let mr = gain[m] * ampRe[k], mi = gain[m] * ampIm[k]
                    den += w * kk[k] * kk[k] * (mr * mr + mi * mi)
                    vRe[k] = w * (o.re[m * K + k] * mr + o.im[m * K + k] * mi)
                    vIm[k] = w * (o.im[m * K + k] * mr - o.re[m * K + k] * mi)
                }
                z[m] = comb.argmax(vRe, vIm)
                r[m] = 1 / max(2 * den, 1e-30)
            }
            // Smooth the whole track (its deviation from the reference's straight line plus this pass's
            // measurement), so the model's stiffness holds for the track itself. How stiff, and how far the
            // variances are to be trusted, is chosen by the likelihood of the measurements, counted on the frames
            // where the hum is measured cleanly (the pauses): under the voice the errors last many frames, which a
            // loose track explains too well. A steady generator gets a track that speech cannot bend; a wobbling
            // one a loose track.
            let omega = 2 * Double.pi * referenceHertz / rate
            let base = o.times.map { knots.phase(at: $0) - omega * $0 }
            let y = (0..<o.count).map { base[$0] + z[$0] }
            let cleanLimit = Self.cleanFrameFactor * r.sorted()[min(r.count - 1, r.count / 4)]
            let counted = r.map { $0 <= cleanLimit }
            var best = -Double.infinity
            var target: [Double] = []
            for scale in Self.varianceScales {
                let scaled = r.map { $0 * scale }
                for q1 in Self.phaseStiffnesses {
                    let fit = kalmanSmooth(y, variance: scaled, q0: Self.phaseProcessNoise, q1: q1, diffuse: true,
                                           counted: counted)
                    if fit.logLikelihood > best {
                        best = fit.logLikelihood
                        target = fit.values
                        chosenStiffness = q1
                    }
                }
            }
            knots.add((0..<o.count).map { target[$0] - base[$0] }, at: o.times)
        }
        o = demodulate(input, knots: knots)
        guard o.count >= 8 else { return untouched }
        gain = Self.interpolate(gain, at: gainTimes, to: o.times)
        let weights = residualWeights(o, gain: gain, ampRe: ampRe, ampIm: ampIm)
        (ampRe, ampIm) = amplitudes(o, gain: gain, weights: weights)
        // The evidence: how consistently each harmonic's frames point where its amplitude points (the mean
        // resultant length of the phase differences, frames below 1e-6 ignored). A hum keeps its phase in every
        // frame it dominates; a voice or noise does not.
        var significant = 0
        for k in 0..<K {
            let ar = ampRe[k], ai = ampIm[k]
            let a = (ar * ar + ai * ai).squareRoot()
            guard a > Self.audibleAmplitude else { continue }
            var sumRe = 0.0, sumIm = 0.0, counted = 0
            for m in 0..<o.count {
                let cr = o.re[m * K + k], ci = o.im[m * K + k]
                let magnitude = (cr * cr + ci * ci).squareRoot()
                guard magnitude > 1e-6 else { continue }
                // c · conj(A) / (|c| |A|)
                sumRe += (cr * ar + ci * ai) / (magnitude * a)
                sumIm += (ci * ar - cr * ai) / (magnitude * a)
                counted += 1
            }
            guard counted > 0 else { continue }
            let resultant = (sumRe * sumRe + sumIm * sumIm).squareRoot() / Double(counted)
            // Random phases give resultant·√(n/4) about Rayleigh(1/√2) (frames overlap four to one): above 4 that
            // has odds of e⁻¹⁶.
            if resultant >= Self.minimumCoherence && resultant * (Double(counted) / 4).squareRoot() >= 4 {
                significant += 1
            }
        }
        untouched.significantHarmonics = significant
        if settings.requireEvidence && significant < 2 { return untouched }
        // The estimated hum left by the amplitudes' own uncertainty: Σₖ var(Aₖ) over Σₖ |Aₖ|², with var(Aₖ) that of
        // a weighted mean (the weights squared, as the amplitudes use them; frames overlap four to one). Errors of
        // the phase track are not in it.
        var leftPower = 0.0, modelPower = 0.0
        for k in 0..<K {
            var sw = 0.0, sw2r = 0.0
            for m in 0..<o.count {
                let w = weights[m * K + k] * weights[m * K + k]
                let dr = o.re[m * K + k] - gain[m] * ampRe[k], di = o.im[m * K + k] - gain[m] * ampIm[k]
                sw += w * gain[m] * gain[m]
                sw2r += w * w * gain[m] * gain[m] * (dr * dr + di * di)
            }
            leftPower += 4 * sw2r / max(sw * sw, 1e-300)
            modelPower += ampRe[k] * ampRe[k] + ampIm[k] * ampIm[k]
        }
        untouched.modelPower = modelPower / 2
        untouched.estimatedLeftPower = min(leftPower, modelPower) / 2

        // One period of the modelled waveform, read along φ at every sample.
        let tableSize = 16384
        var table = [Double](repeating: 0, count: tableSize + 1)
        for k in 0..<K {
            // Re(Aₖ e^{jkθ}) along the table by a rotating phasor, renormalised every 256 steps.
            let step = kk[k] * 2 * Double.pi / Double(tableSize)
            let sr = cos(step), si = sin(step)
            var cr = 1.0, ci = 0.0
            for i in 0...tableSize {
                table[i] += ampRe[k] * cr - ampIm[k] * ci
                let nr = cr * sr - ci * si
                ci = cr * si + ci * sr
                cr = nr
                if i & 255 == 255 {
                    let angle = kk[k] * 2 * Double.pi * Double(i + 1) / Double(tableSize)
                    cr = cos(angle)
                    ci = sin(angle)
                }
            }
        }
        var removedEnergy = 0.0
        var frame = 0
        let times = o.times
        let twoPi = 2 * Double.pi
        table.withUnsafeBufferPointer { tab in
            knots.phase.withUnsafeBufferPointer { phi in
                let size = Double(tableSize)
                var s = 0
                var j = 0
                while s < n {
                    // One knot interval: the phase rises linearly, so the table position does too (wrapped once
                    // per interval, then by subtraction).
                    let end = min(n, (j + 1) * knotStep)
                    var wrapped = phi[j].truncatingRemainder(dividingBy: twoPi)
                    if wrapped < 0 { wrapped += twoPi }
                    var u = wrapped / twoPi * size
                    let du = (phi[j + 1] - phi[j]) / Double(knotStep) / twoPi * size
                    while s < end {
                        let i = min(Int(u), tableSize - 1)
                        let value = tab[i] + (tab[i + 1] - tab[i]) * (u - Double(i))
                        let t = Double(s)
                        while frame + 1 < times.count && times[frame + 1] <= t { frame += 1 }
                        let g: Double
                        if t <= times[0] { g = gain[0] }
                        else if frame + 1 >= times.count { g = gain[gain.count - 1] }
                        else {
                            g = gain[frame] + (gain[frame + 1] - gain[frame]) * (t - times[frame])
                                / (times[frame + 1] - times[frame])
                        }
                        let hum = g * value
                        removedEnergy += hum * hum
                        x[s] = Float(Double(x[s]) - hum)
                        u += du
                        while u >= size { u -= size }
                        s += 1
                    }
                    j += 1
                }
            }
        }
        untouched.tracked = true
        untouched.removedRMS = (removedEnergy / Double(n)).squareRoot()
        untouched.frameSeconds = times.map { $0 / rate }
        untouched.levelGain = gain
        untouched.harmonicAmplitudes = (0..<K).map { (ampRe[$0] * ampRe[$0] + ampIm[$0] * ampIm[$0]).squareRoot() }
        untouched.fundamentalHertz = times.map { t in
            let h = Double(knotStep)
            let a = knots.phase(at: max(0, t - h)), b = knots.phase(at: min(Double(n - 1), t + h))
            let dt = min(Double(n - 1), t + h) - max(0, t - h)
            return dt > 0 ? (b - a) / dt * rate / twoPi : referenceHertz
        }
        return untouched
    }
}

/// The comb search of the bootstrap's phase error: argmax over δ ∈ [−0.5, 0.5] rad of Re Σₖ vₖ e^{−jkδ}
/// (a 0.02 rad grid from a table, then 0.004 rad around the best, then a parabola).
private struct CombSearch {
    let K: Int
    let coarse: [Double]
    let tableRe: [Double]
    let tableIm: [Double]

    init(harmonics: Int) {
        K = harmonics
        coarse = (0...50).map { -0.5 + 0.02 * Double($0) }
        var re = [Double](), im = [Double]()
        re.reserveCapacity(coarse.count * harmonics)
        im.reserveCapacity(coarse.count * harmonics)
        for delta in coarse {
            for k in 1...harmonics { re.append(cos(Double(k) * delta)); im.append(-sin(Double(k) * delta)) }
        }
        tableRe = re
        tableIm = im
    }

    func argmax(_ vRe: [Double], _ vIm: [Double]) -> Double {
        var best = -Double.infinity, bestIndex = 0
        var scores = [Double](repeating: 0, count: coarse.count)
        for g in coarse.indices {
            var s = 0.0
            let base = g * K
            for k in 0..<K { s += vRe[k] * tableRe[base + k] - vIm[k] * tableIm[base + k] }
            scores[g] = s
            if s > best { best = s; bestIndex = g }
        }
        let centre = coarse[bestIndex]
        // A parabola through the best grid point and its neighbours, then two Newton steps on
        // S'(δ) = Σₖ k·(vIm cos kδ − vRe sin kδ), S''(δ) = −Σₖ k²·(vRe cos kδ + vIm sin kδ), kept within one coarse
        // step of the best grid point.
        var delta = centre
        if bestIndex > 0 && bestIndex < coarse.count - 1 {
            let y0 = scores[bestIndex - 1], y1 = scores[bestIndex], y2 = scores[bestIndex + 1]
            let den = y0 - 2 * y1 + y2
            if den < 0 { delta += 0.5 * 0.02 * (y0 - y2) / den }
        }
        for _ in 0..<2 {
            let sr = cos(delta), si = sin(delta)
            var cr = 1.0, ci = 0.0
            var first = 0.0, second = 0.0
            for k in 0..<K {
                let nr = cr * sr - ci * si
                ci = cr * si + ci * sr
                cr = nr
                let kk = Double(k + 1)
                first += kk * (vIm[k] * cr - vRe[k] * ci)
                second -= kk * kk * (vRe[k] * cr + vIm[k] * ci)
            }
            guard second < 0 else { break }
            delta = min(max(delta - first / second, centre - 0.02), centre + 0.02)
        }
        return min(max(delta, -0.5), 0.5)
    }
}

/// A Kaiser-windowed sinc low-pass read at any fractional time: the angle-domain resampler's kernel.
/// Cut-off 5.1 kHz, half-width 64 samples at 48 kHz (scaled with the rate), β = 8 (stop band about −80 dB;
/// transition about 5.0/N of the rate for N taps, so flat to about 4.15 kHz at every rate).
struct SincKernel {
    static let cutoffHertz = 5100.0
    let halfWidth: Int
    let phases = 1024
    let taps: [Float]

    init(sampleRate: Double) {
        let w = max(8, Int((64 * sampleRate / 48000).rounded(.up)))
        halfWidth = w
        let beta = 8.0
        let fc = min(Self.cutoffHertz, 0.45 * sampleRate) / sampleRate
        func bessel0(_ x: Double) -> Double {
            var sum = 1.0, term = 1.0
            for i in 1..<40 { term *= (x / (2 * Double(i))) * (x / (2 * Double(i))); sum += term }
            return sum
        }
        let norm = bessel0(beta)
        var t = [Float](repeating: 0, count: (phases + 1) * 2 * w)
        for p in 0...phases {
            let frac = Double(p) / Double(phases)
            var row = [Double](repeating: 0, count: 2 * w)
            var sum = 0.0
            for j in 0..<(2 * w) {
                let tau = frac + Double(w - 1 - j)
                let u = tau / Double(w)
                guard abs(u) < 1 else { continue }
                let arg = 2 * fc * tau
                let sinc = abs(arg) < 1e-12 ? 1.0 : sin(Double.pi * arg) / (Double.pi * arg)
                row[j] = 2 * fc * sinc * bessel0(beta * (1 - u * u).squareRoot()) / norm
                sum += row[j]
            }
            for j in 0..<(2 * w) { t[p * 2 * w + j] = Float(row[j] / sum) }
        }
        taps = t
    }

    @inline(__always)
    func sample(_ x: UnsafeBufferPointer<Float>, at t: Double) -> Float {
        let i0 = Int(t.rounded(.down))
        let p = Int(((t - Double(i0)) * Double(phases)).rounded())
        let w = halfWidth
        let base = i0 - w + 1
        return taps.withUnsafeBufferPointer { tp in
            let row = p * 2 * w
            var s: Float = 0
            if base >= 0 && base + 2 * w <= x.count {
                // In order, one product after another: the tracker's discrete choices (the stiffness and variance
                // scale picked by likelihood) can flip on a different rounding, and the corpus figures are
                // measured with this sum.
                for j in 0..<(2 * w) { s += tp[row + j] * x[base + j] }
            } else {
                for j in 0..<(2 * w) where base + j >= 0 && base + j < x.count { s += tp[row + j] * x[base + j] }
            }
            return s
        }
    }
}
