import ScrimCore

/// A streaming STFT processor: windowed analysis, one ``SpectralKernel`` call per hop with all channels'
/// spectra, and weighted overlap-add synthesis that reconstructs the input exactly when the kernel changes
/// nothing.
///
/// Per hop and channel it does one windowed copy-in, one forward real FFT, then (after the kernel) one inverse
/// FFT and one windowed overlap-add; the synthesis window is WOLA-normalised (``WOLA``) with the inverse FFT's
/// 1/fftSize folded in, so analysis × synthesis over the hops sums to exactly 1.
///
/// - Latency: ``latencyFrames`` = `fftSize − 1 − z`, where z = 1 when the synthesis window starts with a zero
///   (Hann, sqrt-Hann) and 0 otherwise: 2046 frames for 2048 with sqrt-Hann. Input before the stream counts
///   as zero; the default ``AudioProcessor/flush(into:)`` feeds zeros to drain the tail, so
///   `processAligned` returns exactly as many frames as it was given, aligned with the input.
/// - Block size: any, independently of hopSize; the output is bit-identical for every block split.
/// - Allocation: everything (FFT plans, windows, histories, spectra) in ``prepare(for:)``, which also prepares
///   the kernel. ``process(_:)``, `flush(into:)` and ``reset()`` do not allocate, lock or throw.
/// - Threading: not thread-safe; one processor per stream and task.
public final class STFTProcessor<Kernel: SpectralKernel>: AudioProcessor {
    /// The per-hop kernel (for reading its settings or results).
    public let kernel: Kernel
    /// The framing.
    public let configuration: STFTConfiguration
    /// Delay between input and output in frames: `fftSize − 1 − z` (see the type's documentation).
    /// Known from the configuration, before ``prepare(for:)``.
    public let latencyFrames: Int

    private var engine: STFTEngine?

    /// Creates a processor; call ``prepare(for:)`` before processing.
    /// - Parameters:
    ///   - kernel: the per-hop spectral work (owned by this processor from now on).
    ///   - configuration: FFT size, hop, windows, planner effort.
    public init(kernel: Kernel, configuration: STFTConfiguration) {
        self.kernel = kernel
        self.configuration = configuration
        self.latencyFrames = configuration.latencyFrames
    }

    /// The context the kernel was prepared with, or nil before ``prepare(for:)``.
    public var context: SpectralContext? { engine?.context }

    /// Hops processed since preparation or the last ``reset()``.
    public var hopCount: Int { engine?.hopCount ?? 0 }

    /// Plans the FFTs, allocates all state and prepares the kernel.
    /// - Throws: ``ScrimError`` `.configuration` for an invalid spec, FFT size, hop, or a window pair that
    ///   does not overlap-add at this hop; or whatever the kernel's `prepare` throws.
    public func prepare(for spec: ProcessSpec) throws {
        engine = nil
        engine = try STFTEngine(configuration: configuration, spec: spec, kernel: kernel, synthesizes: true)
    }

    /// Processes `block` in place (output = input delayed by ``latencyFrames``, through the kernel).
    /// Does not allocate, lock or throw.
    public func process(_ block: AudioBlock) {
        guard let engine else { preconditionFailure("STFTProcessor.process called before prepare(for:)") }
        engine.consume(block, frameCount: block.frameCount)
    }

    /// Clears the stream state and resets the kernel; the processor then behaves like a freshly prepared one.
    /// Does not allocate, lock or throw.
    public func reset() {
        engine?.reset()
    }
}
