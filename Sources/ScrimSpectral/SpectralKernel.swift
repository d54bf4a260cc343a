import ScrimCore

/// The per-hop work of a spectral processor or analyzer, run by ``STFTProcessor`` or ``STFTAnalyzer``.
///
/// Lifecycle: ``prepare(context:)`` once (may allocate and throw), then ``process(_:)`` once per hop with
/// the spectra of all channels of that hop, then ``reset()`` before an unrelated stream.
/// `process` and `reset` run on the audio path: they must not allocate, lock or throw; allocate everything
/// in `prepare`. A kernel belongs to one engine and is not shared across tasks.
public protocol SpectralKernel: AnyObject {
    /// Allocates and configures for the STFT described by `context`. Throws ``ScrimError`` `.configuration`
    /// when the kernel cannot work with it.
    func prepare(context: SpectralContext) throws
    /// Reads and (in ``STFTProcessor``) modifies one hop's spectra in place before synthesis.
    /// In ``STFTAnalyzer`` changes are discarded. Must not allocate, lock or throw.
    func process(_ frame: SpectralFrame)
    /// Clears stream state (smoothers, counters), keeping the preparation.
    func reset()
    /// When true (in ``STFTProcessor``), the engine does not window and transform the input: ``process(_:)``
    /// receives a frame whose spectra are undefined and must write the spectra of that hop's input itself, e.g. a
    /// copy kept by an earlier pass that transformed the same frames. Read once, at preparation. Default false.
    var suppliesSpectrum: Bool { get }
}

extension SpectralKernel {
    /// The engine transforms the input (see the requirement).
    public var suppliesSpectrum: Bool { false }
}

/// What a kernel is prepared for: the STFT geometry and the stream.
public struct SpectralContext: Sendable, Hashable {
    /// FFT length in samples.
    public var fftSize: Int
    /// Distance between consecutive frames in samples.
    public var hopSize: Int
    /// Bins per spectrum, `fftSize / 2 + 1` (bin k is at k · sampleRate / fftSize hertz).
    public var binCount: Int
    /// Sample rate in hertz.
    public var sampleRate: Double
    /// Channels in every ``SpectralFrame``.
    public var channelCount: Int
    /// The analysis window applied before the FFT (fftSize samples), e.g. to calibrate levels: a sine of
    /// amplitude A at a bin centre has magnitude A · Σ window / 2 in that bin.
    public var analysisWindow: [Float]

    /// Creates a context (the engines make these; tests may too).
    public init(fftSize: Int, hopSize: Int, sampleRate: Double, channelCount: Int, analysisWindow: [Float]) {
        self.fftSize = fftSize
        self.hopSize = hopSize
        self.binCount = fftSize / 2 + 1
        self.sampleRate = sampleRate
        self.channelCount = channelCount
        self.analysisWindow = analysisWindow
    }

    /// Centre frequency of `bin` in hertz.
    @inlinable
    public func frequency(ofBin bin: Int) -> Double {
        Double(bin) * sampleRate / Double(fftSize)
    }

    /// The bin whose centre is nearest to `frequency` hertz, clamped to 0 ..< binCount.
    @inlinable
    public func bin(nearest frequency: Double) -> Int {
        let bin = (frequency * Double(fftSize) / sampleRate).rounded()
        guard bin.isFinite else { return 0 }
        return Int(min(max(bin, 0), Double(binCount - 1)))
    }
}

/// A non-owning view of one hop's spectra, all channels: `channelCount` × `binCount` complex bins in split
/// format (see ``RealFFT`` for packing and scaling: unnormalised, bin k = Σₙ w[n]·x[n]·e^(−2πikn/N)).
///
/// Valid only during the ``SpectralKernel/process(_:)`` call that received it; never store it.
/// Writing through ``real(_:)`` / ``imag(_:)`` changes what the synthesis hears.
public struct SpectralFrame {
    @usableFromInline let realBase: UnsafeMutablePointer<Float>
    @usableFromInline let imagBase: UnsafeMutablePointer<Float>
    @usableFromInline let channelStride: Int
    /// Number of channels.
    public let channelCount: Int
    /// Bins per channel, `fftSize / 2 + 1`.
    public let binCount: Int
    /// Index of this hop in the stream, from 0.
    public let hopIndex: Int
    /// The stream frame (sample index) where this FFT frame starts: `hopIndex·hopSize + hopSize − fftSize`.
    /// Negative for the first `fftSize/hopSize − 1` hops, whose start reaches before the stream (zeros there).
    public let startFrame: Int

    @usableFromInline
    init(realBase: UnsafeMutablePointer<Float>, imagBase: UnsafeMutablePointer<Float>, channelStride: Int,
         channelCount: Int, binCount: Int, hopIndex: Int, startFrame: Int) {
        self.realBase = realBase
        self.imagBase = imagBase
        self.channelStride = channelStride
        self.channelCount = channelCount
        self.binCount = binCount
        self.hopIndex = hopIndex
        self.startFrame = startFrame
    }

    /// Real parts of channel `channel`'s spectrum (`binCount` values, DC first).
    @inlinable
    public func real(_ channel: Int) -> UnsafeMutableBufferPointer<Float> {
        precondition(channel >= 0 && channel < channelCount, "channel \(channel) of \(channelCount)")
        return UnsafeMutableBufferPointer(start: realBase + channel * channelStride, count: binCount)
    }

    /// Imaginary parts of channel `channel`'s spectrum (`binCount` values, DC first).
    @inlinable
    public func imag(_ channel: Int) -> UnsafeMutableBufferPointer<Float> {
        precondition(channel >= 0 && channel < channelCount, "channel \(channel) of \(channelCount)")
        return UnsafeMutableBufferPointer(start: imagBase + channel * channelStride, count: binCount)
    }
}

/// The kernel that leaves every spectrum as it is: an ``STFTProcessor`` with it returns its input, delayed by
/// its latency (the bare STFT round trip every spectral processor is measured against).
public final class IdentityKernel: SpectralKernel {
    /// Creates the kernel (it has no settings).
    public init() {}
    /// Nothing to prepare.
    public func prepare(context: SpectralContext) {}
    /// Leaves the spectra unchanged.
    @inline(__always)
    public func process(_ frame: SpectralFrame) {}
    /// Nothing to reset.
    public func reset() {}
}

/// How an STFT engine frames the signal.
public struct STFTConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// FFT length in samples (even, 16…65536).
    public var fftSize: Int
    /// Distance between frames in samples (1…fftSize). fftSize/4 (75 % overlap) is a good default.
    public var hopSize: Int
    /// Window applied before the forward FFT.
    public var analysisWindow: WindowShape
    /// Window applied after the inverse FFT, before WOLA normalisation (ignored by ``STFTAnalyzer``).
    public var synthesisWindow: WindowShape
    /// FFTW planner effort.
    public var rigor: FFTPlanning.Rigor

    /// Creates a configuration.
    /// - Parameters:
    ///   - fftSize: FFT length in samples (even, 16…65536).
    ///   - hopSize: frame spacing in samples (1…fftSize).
    ///   - analysisWindow: window before the FFT (default sqrt-Hann).
    ///   - synthesisWindow: window after the inverse FFT (default sqrt-Hann).
    ///   - rigor: FFTW planner effort (default ``FFTPlanning/Rigor/estimate``).
    public init(fftSize: Int, hopSize: Int, analysisWindow: WindowShape = .sqrtHann,
                synthesisWindow: WindowShape = .sqrtHann, rigor: FFTPlanning.Rigor = .estimate) {
        self.fftSize = fftSize
        self.hopSize = hopSize
        self.analysisWindow = analysisWindow
        self.synthesisWindow = synthesisWindow
        self.rigor = rigor
    }

    /// Bins per spectrum, `fftSize / 2 + 1`.
    public var binCount: Int { fftSize / 2 + 1 }

    public var description: String {
        "STFT \(fftSize)/\(hopSize), \(analysisWindow) → \(synthesisWindow)"
    }
}
