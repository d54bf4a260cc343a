import Foundation
import ScrimCore
import ScrimSpectral

/// DeepFilterNet's per-frame front end: one hop of audio in, the STFT frame and the network's two inputs out
/// (the normalised ERB features and the normalised complex features of the low bins), computed as libDF's
/// `DFState` computes them (DeepFilterNet d375b2d8, libDF/src/lib.rs; the order of calls as `DfTract::process`
/// and `process_raw`, libDF/src/tract.rs:441-458, 509-548).
///
/// Per ``analyze(_:)`` call, for DeepFilterNet3 (48 kHz, 960-point FFT, hop 480):
/// - **Spectrum** (``spectrumReal`` / ``spectrumImag``, 481 bins): the last 960 samples (the previous hop, then
///   this one; zeros before the stream) times the Vorbis window (``DFNTables/vorbisWindow(fftSize:)``), an
///   unnormalised real FFT (ScrimSpectral's ``RealFFT``, X[k] = Σₙ x[n]·e^(−2πikn/N), the same bins as the
///   `realfft` crate libDF uses, up to single-precision rounding), times `wnorm = 1/(fftSize²/(2·hop))`
///   = 1/960 (lib.rs:133, 389-393). A bin-centred sine of amplitude A gives |X| ≈ A·Σw/(2·960) ≈ A/3.3.
/// - **ERB features** (``erbFeatures``, 32 values): per band the mean of |X|² over its bins
///   (``DFNTables/erbWidths(sampleRate:fftSize:bandCount:minimumBins:)``), `10·log10(mean + 1e−10)` dB, minus
///   an exponential mean s ← α·s + (1 − α)·x updated first (α = 0.99, start −60 … −90 dB), divided by 40
///   (lib.rs:206-212, 244-251, 280-295). The network's `feat_erb` input, [1, 1, S, 32].
/// - **Complex features** (``complexFeatureReal`` / ``complexFeatureImag``, bins 0 ..< 96): X[k] / √s[k]
///   with s[k] ← α·s[k] + (1 − α)·|X[k]|, updated first, starting at 0.001 … 0.0001 (lib.rs:214-217,
///   253-259). Note that s follows the magnitude and the bin is divided by its square root, so the result
///   is not unit-scaled: it scales as √|X|. The network's `feat_spec` input, [1, 2, S, 96] (real parts, then
///   imaginary parts).
///
/// An all-zero input gives a zero spectrum, ERB features `(−100 − s)/40` with s decaying from the −60 … −90 dB
/// ramp towards −100 (first frame: (−100 − (0.99·s₀ − 1))/40, e.g. −0.99 for band 0), and zero complex features.
///
/// - Latency: none of its own; the spectrum of call t covers the input samples (t − 1)·hop ..< (t + 1)·hop.
/// - Allocation: everything in `init`; ``analyze(_:)`` and ``reset()`` do not allocate, lock or throw.
/// - Threading: not `Sendable`; one task at a time. The buffer views are valid while this object lives and are
///   overwritten by the next ``analyze(_:)``.
public final class DFNFrontEnd {
    /// The parameters this front end was made with.
    public let parameters: DFNSignalParameters
    /// The ERB band widths in bins (sum `binCount`).
    public let erbWidths: [Int]
    /// The analysis (and synthesis) window, `fftSize` samples.
    public let window: [Float]
    /// The analysis scaling `wnorm = 2·hop/fftSize²` (1/960 for DeepFilterNet3), applied after the FFT.
    public let spectrumScale: Float

    /// Real parts of the last hop's spectrum, `binCount` bins, scaled by ``spectrumScale``.
    public var spectrumReal: UnsafeBufferPointer<Float> { UnsafeBufferPointer(fft.real) }
    /// Imaginary parts of the last hop's spectrum (0 at DC and Nyquist up to rounding).
    public var spectrumImag: UnsafeBufferPointer<Float> { UnsafeBufferPointer(fft.imag) }
    /// The last hop's normalised ERB features, `erbBandCount` values (dimensionless, typically −1 … 1).
    public var erbFeatures: UnsafeBufferPointer<Float> { UnsafeBufferPointer(erbStorage) }
    /// Real parts of the last hop's normalised complex features, bins 0 ..< `dfBinCount`.
    public var complexFeatureReal: UnsafeBufferPointer<Float> { UnsafeBufferPointer(complexRealStorage) }
    /// Imaginary parts of the last hop's normalised complex features.
    public var complexFeatureImag: UnsafeBufferPointer<Float> { UnsafeBufferPointer(complexImagStorage) }

    private let fft: RealFFT
    /// The previous `fftSize − hopSize` input samples (libDF's `analysis_mem`).
    private let history: UnsafeMutableBufferPointer<Float>
    private let meanState: UnsafeMutableBufferPointer<Float>
    private let unitState: UnsafeMutableBufferPointer<Float>
    private let erbStorage: UnsafeMutableBufferPointer<Float>
    private let complexRealStorage: UnsafeMutableBufferPointer<Float>
    private let complexImagStorage: UnsafeMutableBufferPointer<Float>
    private let meanStart: [Float]
    private let unitStart: [Float]

    /// Makes a front end and plans its FFT.
    /// - Parameter parameters: the model's signal parameters (default DeepFilterNet3's).
    /// - Throws: ``ScrimError`` `.configuration` when the parameters are out of range or FFTW cannot plan.
    public init(parameters: DFNSignalParameters = .deepFilterNet3) throws(ScrimError) {
        try parameters.validate()
        self.parameters = parameters
        erbWidths = parameters.erbWidths
        window = DFNTables.vorbisWindow(fftSize: parameters.fftSize)
        spectrumScale = 1 / (Float(parameters.fftSize * parameters.fftSize) / Float(2 * parameters.hopSize))
        fft = try RealFFT(fftSize: parameters.fftSize, directions: .forward)
        meanStart = DFNTables.meanNormalizationStart(bandCount: parameters.erbBandCount)
        unitStart = DFNTables.unitNormalizationStart(binCount: parameters.dfBinCount)
        history = .allocate(capacity: parameters.fftSize - parameters.hopSize)
        meanState = .allocate(capacity: parameters.erbBandCount)
        unitState = .allocate(capacity: parameters.dfBinCount)
        erbStorage = .allocate(capacity: parameters.erbBandCount)
        complexRealStorage = .allocate(capacity: parameters.dfBinCount)
        complexImagStorage = .allocate(capacity: parameters.dfBinCount)
        reset()
    }

    deinit {
        history.deallocate()
        meanState.deallocate()
        unitState.deallocate()
        erbStorage.deallocate()
        complexRealStorage.deallocate()
        complexImagStorage.deallocate()
    }

    /// Back to the state of a fresh front end: zero history, normalisation states at libDF's start ramps,
    /// outputs zero. Does not allocate.
    public func reset() {
        history.update(repeating: 0)
        _ = meanState.update(fromContentsOf: meanStart)
        _ = unitState.update(fromContentsOf: unitStart)
        erbStorage.update(repeating: 0)
        complexRealStorage.update(repeating: 0)
        complexImagStorage.update(repeating: 0)
        fft.real.update(repeating: 0)
        fft.imag.update(repeating: 0)
    }

    /// Analyses one hop: updates the spectrum, the ERB features and the complex features.
    /// - Parameter hop: exactly `hopSize` samples (480 at 48 kHz for DeepFilterNet3), full scale ±1.
    /// - Precondition: `hop.count == hopSize`. Does not allocate, lock or throw.
    public func analyze(_ hop: UnsafeBufferPointer<Float>) {
        let hopSize = parameters.hopSize
        let fftSize = parameters.fftSize
        precondition(hop.count == hopSize, "DFNFrontEnd.analyze needs \(hopSize) samples, got \(hop.count)")
        let kept = fftSize - hopSize
        let input = fft.input
        for i in 0..<kept { input[i] = history[i] * window[i] }
        for i in 0..<hopSize { input[kept + i] = hop[i] * window[kept + i] }
        // Shift the history by one hop and append this hop (lib.rs:376-384).
        if kept > hopSize {
            for i in 0..<(kept - hopSize) { history[i] = history[i + hopSize] }
        }
        for i in 0..<hopSize { history[kept - hopSize + i] = hop[i] }  // kept ≥ hop (validated)
        fft.forward()
        let real = fft.real
        let imag = fft.imag
        let scale = spectrumScale
        for k in 0..<parameters.binCount {
            real[k] *= scale
            imag[k] *= scale
        }
        computeERBFeatures(real: real, imag: imag)
        computeComplexFeatures(real: real, imag: imag)
    }

    /// lib.rs:206-212 (feat_erb), 280-295 (compute_band_corr), 244-251 (band_mean_norm_erb).
    private func computeERBFeatures(real: UnsafeMutableBufferPointer<Float>, imag: UnsafeMutableBufferPointer<Float>) {
        let alpha = parameters.normalizationAlpha
        var start = 0
        for band in erbWidths.indices {  // indices, not enumerated(): no allocation in debug builds
            let width = erbWidths[band]
            let k = 1 / Float(width)
            var power: Float = 0
            for bin in start..<(start + width) {
                power += (real[bin] * real[bin] + imag[bin] * imag[bin]) * k
            }
            start += width
            let decibels = log10(power + 1e-10) * 10
            let mean = decibels * (1 - alpha) + meanState[band] * alpha
            meanState[band] = mean
            erbStorage[band] = (decibels - mean) / 40
        }
    }

    /// lib.rs:214-217 (feat_cplx), 253-259 (band_unit_norm): s ← |X|·(1 − α) + s·α, then X / √s.
    private func computeComplexFeatures(real: UnsafeMutableBufferPointer<Float>,
                                        imag: UnsafeMutableBufferPointer<Float>) {
        let alpha = parameters.normalizationAlpha
        for bin in 0..<parameters.dfBinCount {
            let magnitude = (real[bin] * real[bin] + imag[bin] * imag[bin]).squareRoot()
            let state = magnitude * (1 - alpha) + unitState[bin] * alpha
            unitState[bin] = state
            let root = state.squareRoot()
            complexRealStorage[bin] = real[bin] / root
            complexImagStorage[bin] = imag[bin] / root
        }
    }
}
