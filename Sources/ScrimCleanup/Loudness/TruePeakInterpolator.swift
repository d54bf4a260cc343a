import Foundation

/// A polyphase FIR interpolator that finds inter-sample peaks (ITU-R BS.1770-4 Annex 2).
///
/// Annex 2 measures true peak by over-sampling to at least 192 kHz (4× at 48 kHz) with an interpolating
/// low-pass filter and taking the largest absolute value; its example is a 48-tap, 4-phase FIR (12 taps per
/// phase) and it leaves the exact filter to the implementer. This one over-samples by
/// L = ⌈192000 / fs⌉ (4× at 48 kHz, 5× at 44.1 kHz, 2× at 96 kHz, none at ≥ 192 kHz) with a windowed-sinc
/// prototype of ``tapsPerPhase`` × L taps:
///
/// - cut-off at the input's Nyquist frequency, so every L-th prototype tap is a zero of the sinc and phase 0
///   is the input sample itself (it is never computed: the sample peak covers it);
/// - Kaiser window, β = ``kaiserBeta``; at 48 kHz the design is flat within 0.005 dB up to 20 kHz and keeps
///   the images at least 67 dB down from 30 kHz on (checked with an independent numerical evaluation of the
///   frequency response during design), so the interpolated values err by well under 0.05 dB;
/// - each phase normalised to unit gain at DC.
///
/// The interpolated value for phase p computed when input frame n arrives sits at time n − ``delayFrames`` + p/L
/// (``delayFrames`` = tapsPerPhase / 2). The signal before the first frame counts as silence.
///
/// Memory is allocated in `init`; `accumulatePeak`, `framePeaks` and `reset` do not allocate. Not thread-safe.
final class TruePeakInterpolator {
    /// Taps per phase of the polyphase filter. 24 keeps the pass band flat to 20 kHz at 48 kHz.
    static let tapsPerPhase = 24
    /// Kaiser window parameter (≈ 67 dB image rejection at this length; see the type's notes).
    static let kaiserBeta = 6.0
    /// Frames per internal chunk: the scratch each channel keeps.
    static let chunkFrames = 1024

    /// Over-sampling factor L.
    let factor: Int
    /// Delay in input frames between a frame's arrival and the interval its phases describe.
    let delayFrames: Int
    let channelCount: Int
    /// Computed phases (L − 1) × taps, phase-major; tap i multiplies window sample i (oldest first).
    private let coefficients: UnsafeMutablePointer<Float>
    /// Even and odd halves of the taps of phases 1 … ⌈L/2⌉ − 1 (pairCount × taps/2 each), and the middle phase's
    /// first half (L even); see `chunkPeak`.
    private let pairEven: UnsafeMutablePointer<Float>
    private let pairOdd: UnsafeMutablePointer<Float>
    private let middle: UnsafeMutablePointer<Float>
    private let pairCount: Int
    private let hasMiddle: Bool
    /// Upper bound of |interpolated| / max|window|: the largest Σ|c| over the phases (and 1 for phase 0).
    private let gainBound: Float
    /// Per channel: taps − 1 frames of history followed by room for one chunk.
    private let work: UnsafeMutablePointer<Float>
    private let workStride: Int
    /// Per channel: the largest |interpolated value| seen (phases 1…L−1 only) wherever it exceeds the channel's
    /// sample peak; an interpolated value at or under the sample peak may be left out, so read the true peak as
    /// max(sample peak, ``peaks``[c], ``tailPeak(channel:)``).
    private(set) var peaks: [Float]
    /// Per channel: the largest |x| fed so far (the floor under which no interpolated value needs computing).
    private var samplePeaks: [Float]

    /// The over-sampling factor BS.1770-4 Annex 2 asks for at `sampleRate`: ⌈192000 / fs⌉, at least 1.
    static func oversamplingFactor(sampleRate: Double) -> Int {
        max(1, Int((192_000 / sampleRate).rounded(.up)))
    }

    init(sampleRate: Double, channelCount: Int) {
        precondition(sampleRate > 0 && channelCount >= 1, "interpolator for \(sampleRate) Hz, \(channelCount) ch")
        let taps = Self.tapsPerPhase
        factor = Self.oversamplingFactor(sampleRate: sampleRate)
        delayFrames = taps / 2
        self.channelCount = channelCount
        let phaseCount = factor - 1
        coefficients = .allocate(capacity: max(1, phaseCount * taps))
        coefficients.initialize(repeating: 0, count: max(1, phaseCount * taps))
        var bound: Float = 1
        if phaseCount > 0 {
            let design = Self.prototype(factor: factor, tapsPerPhase: taps)
            for p in 1..<factor {
                var sum = 0.0
                for i in 0..<taps { sum += design[p + (taps - 1 - i) * factor] }
                var absSum: Float = 0
                for i in 0..<taps {
                    let c = Float(design[p + (taps - 1 - i) * factor] / sum)
                    coefficients[(p - 1) * taps + i] = c
                    absSum += abs(c)
                }
                bound = max(bound, absSum)
            }
        }
        gainBound = bound * (1 + 1e-5)  // margin for Float rounding in the dot products
        let half = taps / 2
        pairCount = (factor - 1) / 2
        hasMiddle = factor > 1 && factor % 2 == 0
        pairEven = .allocate(capacity: max(1, pairCount * half))
        pairOdd = .allocate(capacity: max(1, pairCount * half))
        middle = .allocate(capacity: half)
        pairEven.initialize(repeating: 0, count: max(1, pairCount * half))
        pairOdd.initialize(repeating: 0, count: max(1, pairCount * half))
        middle.initialize(repeating: 0, count: half)
        for q in 0..<pairCount {
            let c = coefficients + q * taps  // phase q + 1
            for j in 0..<half {
                pairEven[q * half + j] = (c[j] + c[taps - 1 - j]) / 2
                pairOdd[q * half + j] = (c[j] - c[taps - 1 - j]) / 2
            }
        }
        if hasMiddle {
            let c = coefficients + (factor / 2 - 1) * taps
            for j in 0..<half { middle[j] = (c[j] + c[taps - 1 - j]) / 2 }
        }
        workStride = taps - 1 + Self.chunkFrames
        work = .allocate(capacity: workStride * channelCount)
        work.initialize(repeating: 0, count: workStride * channelCount)
        peaks = Array(repeating: 0, count: channelCount)
        samplePeaks = Array(repeating: 0, count: channelCount)
    }

    deinit {
        pairEven.deallocate()
        pairOdd.deallocate()
        middle.deallocate()
        coefficients.deallocate()
        work.deallocate()
    }

    /// The windowed-sinc prototype h[m], m = 0 ..< taps·L, centred on m = taps·L/2.
    static func prototype(factor: Int, tapsPerPhase: Int) -> [Double] {
        let length = factor * tapsPerPhase
        let centre = Double(length / 2)
        let i0Beta = besselI0(kaiserBeta)
        return (0..<length).map { m in
            let x = Double(m) - centre
            let t = x / Double(factor)
            let sinc = t == 0 ? 1 : sin(Double.pi * t) / (Double.pi * t)
            let r = x / centre
            let window = besselI0(kaiserBeta * max(0, 1 - r * r).squareRoot()) / i0Beta
            return sinc * window
        }
    }

    /// Modified Bessel function of the first kind, order 0 (power series; converges fast for x ≤ 20).
    static func besselI0(_ x: Double) -> Double {
        var sum = 1.0
        var term = 1.0
        let half = x / 2
        for k in 1..<60 {
            term *= (half / Double(k)) * (half / Double(k))
            sum += term
            if term < 1e-17 * sum { break }
        }
        return sum
    }

    /// Forgets the history and the peaks.
    func reset() {
        work.update(repeating: 0, count: workStride * channelCount)
        for c in 0..<channelCount {
            peaks[c] = 0
            samplePeaks[c] = 0
        }
    }

    /// Feeds `count` frames of channel `channel` and raises ``peaks``[channel] to the largest interpolated
    /// magnitude among them. Chunks whose window cannot beat max(current peak, sample peak so far) by the filter's
    /// gain bound are skipped without computing the dot products: what they hold is at most the true peak
    /// already known, so max(sample peak, ``peaks``) is the same as computing them all.
    /// - Returns: the sample peak of the frames fed, max |x| (0 for none), found on the way (``PeakScan``).
    @discardableResult
    func accumulatePeak(channel: Int, samples: UnsafePointer<Float>, count: Int) -> Float {
        guard factor > 1 else { return PeakScan.magnitudeMax(samples, count: count) }
        var done = 0
        var peak = peaks[channel]
        var samplePeak: Float = 0
        var floor = samplePeaks[channel]
        let base = work + channel * workStride
        let history = Self.tapsPerPhase - 1
        while done < count {
            let n = min(Self.chunkFrames, count - done)
            (base + history).update(from: samples + done, count: n)
            let chunkMax = PeakScan.magnitudeMax(samples + done, count: n)
            samplePeak = max(samplePeak, chunkMax)
            floor = max(floor, chunkMax)
            let windowMax = PeakScan.magnitudeMax(base, count: history, initial: chunkMax)
            if windowMax * gainBound > max(peak, floor) {
                peak = max(peak, chunkPeak(base, frameCount: n))
            }
            base.update(from: base + n, count: history)
            done += n
        }
        peaks[channel] = peak
        samplePeaks[channel] = floor
        return samplePeak
    }

    /// The largest |interpolated value| over the `frameCount` windows that end in the chunk at `base + taps − 1`.
    ///
    /// Uses the prototype's symmetry to halve the work: phase L − p is phase p run over the reversed window, so
    /// with s_j = x_j + x_{T−1−j} and d_j = x_j − x_{T−1−j} (j < T/2), the pair is y_p = Σ e_j·s_j + o_j·d_j
    /// and y_{L−p} = Σ e_j·s_j − o_j·d_j, with e and o the even and odd halves of phase p's taps; the middle phase
    /// (p = L/2, symmetric) is Σ e_j·s_j alone. Eight consecutive windows are computed at once.
    /// ``framePeaks(channel:samples:count:into:)`` is the plain reference it is tested against.
    @inline(__always)
    private func chunkPeak(_ base: UnsafeMutablePointer<Float>, frameCount n: Int) -> Float {
        let taps = Self.tapsPerPhase
        let half = taps / 2
        let raw = UnsafeRawPointer(base)
        var peak8 = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= n {
            for q in 0..<max(pairCount, 1) {
                let e = pairEven + q * half
                let o = pairOdd + q * half
                var accE = SIMD8<Float>(repeating: 0)
                var accO = SIMD8<Float>(repeating: 0)
                var accM = SIMD8<Float>(repeating: 0)
                let withMiddle = hasMiddle && q == 0
                for j in 0..<half {
                    let a = raw.loadUnaligned(fromByteOffset: (i + j) * 4, as: SIMD8<Float>.self)
                    let b = raw.loadUnaligned(fromByteOffset: (i + taps - 1 - j) * 4, as: SIMD8<Float>.self)
                    let sum = a + b
                    if q < pairCount {
                        accE += SIMD8<Float>(repeating: e[j]) * sum
                        accO += SIMD8<Float>(repeating: o[j]) * (a - b)
                    }
                    if withMiddle { accM += SIMD8<Float>(repeating: middle[j]) * sum }
                }
                if q < pairCount {
                    let y1 = accE + accO
                    let y2 = accE - accO
                    peak8 = Self.raiseMagnitude(Self.raiseMagnitude(peak8, y1), y2)
                }
                if withMiddle { peak8 = Self.raiseMagnitude(peak8, accM) }
            }
            i += 8
        }
        var peak = peak8.max()
        // The last windows one at a time, with the same arithmetic per window as the vector lanes (so that the
        // result does not depend on where a block boundary puts a window).
        while i < n {
            for q in 0..<max(pairCount, 1) {
                let e = pairEven + q * half
                let o = pairOdd + q * half
                var accE: Float = 0
                var accO: Float = 0
                var accM: Float = 0
                let withMiddle = hasMiddle && q == 0
                for j in 0..<half {
                    let a = base[i + j]
                    let b = base[i + taps - 1 - j]
                    let sum = a + b
                    if q < pairCount {
                        accE += e[j] * sum
                        accO += o[j] * (a - b)
                    }
                    if withMiddle { accM += middle[j] * sum }
                }
                if q < pairCount { peak = max(peak, abs(accE + accO), abs(accE - accO)) }
                if withMiddle { peak = max(peak, abs(accM)) }
            }
            i += 1
        }
        return peak
    }

    /// Lane-wise max(peak, |y|), written with masks so that it inlines to a few vector instructions.
    @inline(__always)
    private static func raiseMagnitude(_ peak: SIMD8<Float>, _ y: SIMD8<Float>) -> SIMD8<Float> {
        let magnitude = y.replacing(with: -y, where: y .< 0)
        return peak.replacing(with: magnitude, where: magnitude .> peak)
    }

    /// Feeds `count` (≤ ``chunkFrames``) frames of channel `channel` and raises `out[j]` to the true peak of the
    /// interval that frame j completes: max(|x[k]|, |interpolated at k + p/L|) for k = frame − ``delayFrames``.
    func framePeaks(channel: Int, samples: UnsafePointer<Float>, count n: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(n <= Self.chunkFrames, "framePeaks takes at most \(Self.chunkFrames) frames, got \(n)")
        let taps = Self.tapsPerPhase
        let history = taps - 1
        let base = work + channel * workStride
        (base + history).update(from: samples, count: n)
        let centre = taps - 1 - delayFrames
        for j in 0..<n {
            var peak = abs(base[j + centre])
            for p in 0..<(factor - 1) {
                let c = coefficients + p * taps
                var acc: Float = 0
                for k in 0..<taps { acc += c[k] * base[j + k] }
                peak = max(peak, abs(acc))
            }
            out[j] = max(out[j], peak)
        }
        base.update(from: base + n, count: history)
    }

    /// The largest interpolated magnitude still to come for `channel` if the stream ended now (the windows
    /// that reach past the last frame, with silence after it). Reads the history without changing it.
    func tailPeak(channel: Int) -> Float {
        guard factor > 1 else { return 0 }
        let taps = Self.tapsPerPhase
        let history = taps - 1
        var window = [Float](repeating: 0, count: 2 * taps)
        let base = work + channel * workStride
        for i in 0..<history { window[i] = base[i] }
        var peak: Float = 0
        for j in 0..<delayFrames {
            for p in 0..<(factor - 1) {
                var acc: Float = 0
                for k in 0..<taps { acc += coefficients[p * taps + k] * window[j + 1 + k] }
                peak = max(peak, abs(acc))
            }
        }
        return peak
    }
}
