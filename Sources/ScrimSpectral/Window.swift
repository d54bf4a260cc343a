import Foundation
import ScrimCore

/// A window shape for STFT analysis or synthesis. All shapes are *periodic* (DFT-even): the length-N window
/// is the first N samples of the symmetric window of length N + 1, which is what makes Hann-family windows
/// overlap-add to a constant at hops of N/2, N/4, N/8 (Harris, "On the use of windows for harmonic analysis
/// with the discrete Fourier transform", Proc. IEEE 66(1), 1978, §II and Table 1).
public enum WindowShape: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// All ones. w[n] = 1.
    case rectangular
    /// Periodic Hann: w[n] = 0.5 − 0.5·cos(2πn/N) = sin²(πn/N). w[0] = 0, w[N/2] = 1.
    case hann
    /// Square root of the periodic Hann window: w[n] = sin(πn/N). Used as both analysis and synthesis window
    /// their product is Hann, the usual choice for spectral modification (noise reduction).
    case sqrtHann
    /// Periodic Hamming: w[n] = 0.54 − 0.46·cos(2πn/N) (Harris 1978, Table 1).
    case hamming
    /// Periodic 4-term Blackman–Harris (−92 dB sidelobes; Harris 1978, Table 1): coefficients 0.35875, 0.48829,
    /// 0.14128, 0.01168. For analyzers that need to see weak tones next to strong ones (hum detection).
    case blackmanHarris

    public var description: String {
        switch self {
        case .rectangular: "rectangular"
        case .hann: "Hann"
        case .sqrtHann: "sqrt-Hann"
        case .hamming: "Hamming"
        case .blackmanHarris: "Blackman-Harris"
        }
    }

    /// The value of the window at sample `n` of a length-`length` periodic window, in double precision.
    public func value(at n: Int, length: Int) -> Double {
        let phase = 2 * Double.pi * Double(n) / Double(length)
        switch self {
        case .rectangular:
            return 1
        case .hann:
            return 0.5 - 0.5 * cos(phase)
        case .sqrtHann:
            return sin(Double.pi * Double(n) / Double(length))
        case .hamming:
            return 0.54 - 0.46 * cos(phase)
        case .blackmanHarris:
            return 0.35875 - 0.48829 * cos(phase) + 0.14128 * cos(2 * phase) - 0.01168 * cos(3 * phase)
        }
    }

    /// The periodic window of `length` samples (allocates; call at preparation): ``value(at:length:)`` rounded to
    /// Float. Every shape is even about n = N/2 (w[N − n] = w[n]), so only the first half is evaluated and the
    /// rest mirrored, and the Blackman–Harris terms cos 2φ and cos 3φ come from cos φ (2c² − 1, c·(4c² − 3)):
    /// start-up computed about 250 000 cosines for `scrim dehum`'s windows, 2–3 ms per file. At every power of two
    /// from 16 to 65536 (the sizes Scrim uses) the Floats equal the direct evaluation's (tested); at some other
    /// lengths a sample can differ by one unit in the last place (e.g. Hann at 11599 samples).
    /// - Parameter length: window length in samples, ≥ 1 (normally the fftSize).
    public func samples(length: Int) -> [Float] {
        precondition(length >= 1, "window length \(length)")
        var window = [Float](repeating: 0, count: length)
        let half = length / 2
        for n in 0...min(half, length - 1) {
            switch self {
            case .blackmanHarris:
                let c = cos(2 * Double.pi * Double(n) / Double(length))
                let c2 = 2 * c * c - 1, c3 = c * (4 * c * c - 3)
                window[n] = Float(0.35875 - 0.48829 * c + 0.14128 * c2 - 0.01168 * c3)
            default:
                window[n] = Float(value(at: n, length: length))
            }
        }
        if half + 1 < length {
            for n in (half + 1)..<length { window[n] = window[length - n] }
        }
        return window
    }
}

/// Weighted overlap-add (WOLA) normalisation.
///
/// An STFT that windows each frame with `a` before the FFT and with `s` after the inverse FFT, at frames
/// spaced `hopSize` apart, returns its input exactly when, for every position n of the frame,
///
///     Σₖ a[r + k·hop] · s[r + k·hop] = 1,   r = n mod hop, over all k with 0 ≤ r + k·hop < fftSize
///
/// (Crochiere, "A weighted overlap-add method of short-time Fourier analysis/synthesis", IEEE Trans. ASSP
/// 28(1), 1980). The sum depends only on r, so scaling the synthesis window at every position n by
/// 1 / (that sum for n mod hop) makes it hold exactly, for any window pair and any hop (even one that
/// does not divide fftSize), as long as no sum is near zero.
public enum WOLA {
    /// The smallest accepted overlap sum, relative to the largest. Below it the normalised synthesis window
    /// would amplify some positions more than 100× (+40 dB) over others, turning any spectral change into
    /// periodic clicks; such a window/hop pair is a configuration mistake (e.g. Hann with hop = fftSize).
    public static let minimumRelativeOverlapSum = 0.01

    /// The overlap sums Σₖ a[r + k·hop]·s[r + k·hop] for r = 0 ..< hopSize, in double precision.
    /// - Parameters:
    ///   - analysis: analysis window (fftSize samples).
    ///   - synthesis: synthesis window (same length).
    ///   - hopSize: hop in samples, 1…fftSize.
    public static func overlapSums(analysis: [Float], synthesis: [Float], hopSize: Int) -> [Double] {
        precondition(analysis.count == synthesis.count && hopSize >= 1 && hopSize <= analysis.count,
                     "windows of \(analysis.count) and \(synthesis.count) samples, hop \(hopSize)")
        var sums = [Double](repeating: 0, count: hopSize)
        for n in 0..<analysis.count {
            sums[n % hopSize] += Double(analysis[n]) * Double(synthesis[n])
        }
        return sums
    }

    /// The synthesis window rescaled so analysis × synthesis overlap-adds to exactly 1 at `hopSize`, with an
    /// extra factor `gain` folded in (pass 1/fftSize to undo an unnormalised inverse FFT).
    ///
    /// Each position n is divided by its overlap sum (``overlapSums(analysis:synthesis:hopSize:)`` at
    /// n mod hop), computed in double precision and rounded to `Float` once.
    /// - Parameters:
    ///   - analysis: analysis window (fftSize samples).
    ///   - synthesis: synthesis window before normalisation (same length).
    ///   - hopSize: hop in samples, 1…fftSize.
    ///   - gain: extra linear factor applied to every sample (default 1).
    /// - Returns: the normalised synthesis window (fftSize samples). Allocates.
    /// - Throws: ``ScrimError`` `.configuration` when some overlap sum is below ``minimumRelativeOverlapSum``
    ///   of the largest (the windows do not overlap enough at this hop).
    public static func normalizedSynthesisWindow(
        analysis: [Float], synthesis: [Float], hopSize: Int, gain: Double = 1
    ) throws(ScrimError) -> [Float] {
        guard hopSize >= 1, hopSize <= analysis.count, analysis.count == synthesis.count else {
            throw ScrimError(.configuration, "hop size \(hopSize) must be from 1 to the window length "
                             + "\(analysis.count), and both windows the same length (\(synthesis.count))")
        }
        let sums = overlapSums(analysis: analysis, synthesis: synthesis, hopSize: hopSize)
        let largest = sums.map(abs).max() ?? 0
        let smallest = sums.map(abs).min() ?? 0
        guard largest > 0, smallest >= minimumRelativeOverlapSum * largest else {
            throw ScrimError(.configuration,
                             "windows do not overlap enough at hop \(hopSize) of \(analysis.count): the overlap sum "
                             + "falls to \(smallest) against \(largest); use a smaller hop (e.g. fftSize / 4)")
        }
        return (0..<synthesis.count).map { n in
            Float(Double(synthesis[n]) * gain / sums[n % hopSize])
        }
    }
}
