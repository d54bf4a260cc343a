import ScrimCore

/// The analysis half of an STFT for analyzers: windowed frames, one forward FFT per channel per hop, one
/// ``SpectralKernel`` call per hop with all channels' spectra; no synthesis, the audio is not modified.
///
/// Frames are placed exactly as in ``STFTProcessor`` with the same configuration (hop m starts at stream frame
/// `(m + 1)·hopSize − fftSize`, zeros before the stream), so a profile measured here matches what a processor
/// kernel sees. Frames that reach past the end are analysed only when ``finish()`` is called.
/// ``analyze(_:)``, ``finish()`` and ``reset()`` do not allocate, lock or throw. Not thread-safe.
public final class STFTAnalyzer<Kernel: SpectralKernel>: AudioAnalyzer {
    /// The per-hop kernel, which holds the measurement.
    public let kernel: Kernel
    /// The framing (the synthesis window is ignored).
    public let configuration: STFTConfiguration

    private var engine: STFTEngine?
    private var finished = false

    /// Creates an analyzer; call ``prepare(for:)`` before analysing.
    public init(kernel: Kernel, configuration: STFTConfiguration) {
        self.kernel = kernel
        self.configuration = configuration
    }

    /// The context the kernel was prepared with, or nil before ``prepare(for:)``.
    public var context: SpectralContext? { engine?.context }

    /// Hops analysed since preparation or the last ``reset()``.
    public var hopCount: Int { engine?.hopCount ?? 0 }

    /// Plans the FFT, allocates all state and prepares the kernel.
    /// - Throws: ``ScrimError`` `.configuration` for an invalid spec, FFT size or hop, or the kernel's error.
    public func prepare(for spec: ProcessSpec) throws {
        engine = nil
        finished = false
        engine = try STFTEngine(configuration: configuration, spec: spec, kernel: kernel, synthesizes: false)
    }

    /// Adds `block` to the analysis; the kernel runs for every hop completed. The block is not modified.
    public func analyze(_ block: AudioBlock) {
        guard let engine else { preconditionFailure("STFTAnalyzer.analyze called before prepare(for:)") }
        precondition(!finished, "STFTAnalyzer.analyze called after finish(); call reset() first")
        engine.consume(block, frameCount: block.frameCount)
    }

    /// Analyses the frames that reach past the end of the stream (input beyond the end counts as zero), so
    /// every frame overlapping the stream has been seen. Call once at the end; a second call does nothing.
    /// Call ``reset()`` before analysing another stream.
    public func finish() {
        guard let engine, !finished else { return }
        finished = true
        engine.consume(nil, frameCount: configuration.fftSize - 1)
    }

    /// Clears the stream state and resets the kernel.
    public func reset() {
        engine?.reset()
        finished = false
    }
}
