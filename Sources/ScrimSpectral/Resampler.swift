import CSoxr
import ScrimCore

/// A streaming sample-rate converter for planar `Float` audio on libsoxr (the SoX Resampler library): one stream,
/// `channelCount` channels, a fixed input and output rate in whole hertz.
///
/// - Filter: libsoxr's linear-phase low-pass of the chosen ``Quality`` (its `soxr_quality_spec` recipes). For
///   ``Quality/high`` that is 20-bit precision, so the filter is designed for (20 + 1) × 6.02 ≈ 126 dB of
///   rejection, passband to 91.3 % of the lower Nyquist frequency with at most 0.01 dB of roll-off (libsoxr 0.1.3,
///   `soxr.c` `soxr_quality_spec`, `cr.c` `_soxr_init`, and `soxr.h`: `SOXR_ROLLOFF_SMALL` "<= 0.01 dB").
///   Measured (ResamplerTests, HQ): gain within 0.008 dB up to 0.9 × the lower Nyquist frequency (0.007 dB of
///   roll-off there for 44.1 ↔ 48 kHz, 3e-6 dB for 32 and 96 kHz); every alias and image at least 138 dB down
///   (VHQ: 170 dB).
/// - Alignment: libsoxr trims the linear-phase filter's group delay, so output frame m is the input signal at time
///   m / outputRate: an input frame n comes out at n × outputRate / inputRate (measured to within 1e-5 frame).
///   What is still inside the filter when input stops comes out only after more input (or silence) follows.
/// - Block split: input is gathered into chunks of ``chunkFrames`` frames and libsoxr is called once per complete
///   chunk, so libsoxr sees the same calls for any split; its output is then bit-identical for any split (libsoxr
///   itself is also split-independent, measured with chunks of 1, 17, 333, 4096 frames and whole signals).
/// - Lag: output arrives in bursts (libsoxr filters whole DFT blocks), so after n input frames fewer than
///   n × outputRate / inputRate output frames may have been delivered; the shortfall is bounded (about 1000 output
///   frames for 44.1 ↔ 48 kHz at ``Quality/high``) but depends on the rates and quality. ``ResamplingProcessor``
///   measures it in `prepare` and covers it with latency.
/// - Pre-roll: every stream (after `init` or ``reset()``) starts with ``prerollFrames`` frames of silence whose
///   output (exactly `prerollFrames × outputRate / inputRate` frames) is dropped. It grows libsoxr's internal
///   FIFOs (which `realloc` as they fill: 3 to 68 calls within the first 35 000 input frames of a new libsoxr
///   stream, measured with a malloc counter) before the stream starts, so that ``process(_:_:)`` does not allocate. It
///   changes neither the alignment nor the latency.
/// - Allocation: `init` and ``reset()`` allocate (libsoxr's `soxr_clear` frees and rebuilds its state, about
///   0.1 ms, then the pre-roll runs, about 1 ms per channel); ``process(_:_:)`` does not allocate or lock.
/// - Non-finite input: NaN or ±Inf spreads through libsoxr's block convolution to every output frame whose filter
///   window or DFT block touches it, before and after it (one NaN at 48 → 44.1 kHz: 744 output frames), then the
///   output is finite again; Scrim zeroes such samples before a chain (``AudioBlock/zeroInvalidSamples()``).
/// - Environment: libsoxr reads `SOXR_*` variables (DFT sizes, threads, SIMD) when a stream is created; they change
///   its engine and hence the exact output and lag. Scrim asks for one thread and sets none of them.
/// - Threading: not `Sendable`; one stream, one task at a time.
public final class Resampler {
    /// A libsoxr quality recipe.
    public enum Quality: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// `SOXR_HQ`: 20-bit precision (designed for ≈ 126 dB rejection, measured ≥ 138 dB), single-precision
        /// arithmetic. Scrim's default: its aliases sit below a 24-bit file's noise floor, and against ``veryHigh``
        /// it has about half the lag (841 against 1746 output frames, 48 → 44.1 kHz) and runs up to 2.3× faster
        /// (4250× against 1810× real time, mono, 48 → 44.1 kHz).
        case high
        /// `SOXR_VHQ`: 28-bit precision (designed for ≈ 175 dB rejection, measured ≥ 170 dB), double-precision
        /// arithmetic, longer filters.
        case veryHigh

        /// libsoxr's recipe constant.
        var recipe: UInt {
            switch self {
            case .high: UInt(SOXR_HQ)
            case .veryHigh: UInt(SOXR_VHQ)
            }
        }

        public var description: String { rawValue }
    }

    /// Input frames per second.
    public let inputRate: Int
    /// Output frames per second.
    public let outputRate: Int
    /// Channels in every block.
    public let channelCount: Int
    /// The filter recipe.
    public let quality: Quality
    /// Input frames per libsoxr call (the granule that makes the output split-independent).
    public let chunkFrames: Int
    /// Input frames of silence run through at the start of every stream (their output is dropped).
    public let prerollFrames: Int
    /// Output frames the pre-roll produces (`prerollFrames × outputRate / inputRate`, a whole number).
    public let prerollOutputFrames: Int
    /// libsoxr's name for the engine it chose (e.g. "cr32s": constant rate, single precision, SIMD).
    public let engine: String
    /// libsoxr's message if a call failed (only on memory exhaustion); output stops until ``reset()``.
    public private(set) var failure: String?

    private let soxr: soxr_t
    /// Output frames per libsoxr call at most.
    private let outputCapacity: Int
    /// `channelCount × chunkFrames` staged input samples, planar.
    private let staging: UnsafeMutablePointer<Float>
    /// `channelCount × outputCapacity` output samples, planar.
    private let output: UnsafeMutablePointer<Float>
    /// Per-channel pointer tables for `soxr_process` (split channels) and for the output ``AudioBlock``.
    private let inputTable: UnsafeMutablePointer<UnsafeRawPointer?>
    private let outputTable: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let blockTable: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    /// Frames staged towards the next chunk.
    private var staged = 0
    /// Output frames still to drop (the pre-roll's).
    private var framesToDiscard = 0

    /// Creates a stream resampler and runs its pre-roll.
    /// - Parameters:
    ///   - inputRate: input frames per second, a whole number from 1 to 768 000.
    ///   - outputRate: output frames per second, a whole number from 1 to 768 000.
    ///   - channelCount: channels, 1 to 1024.
    ///   - quality: the libsoxr recipe (``Quality/high`` unless you need more than 126 dB).
    ///   - chunkFrames: input frames per libsoxr call, 1 to 65 536; larger chunks cost fewer calls and add up to
    ///     `chunkFrames − 1` frames of lag.
    /// - Throws: ``ScrimError`` `.configuration` for rates, channels or chunks out of range, or a ratio libsoxr
    ///   refuses (its message as `underlying`).
    public init(inputRate: Double, outputRate: Double, channelCount: Int, quality: Quality = .high,
                chunkFrames: Int = 64) throws(ScrimError) {
        let input = try Self.wholeRate(inputRate, "input")
        let output = try Self.wholeRate(outputRate, "output")
        guard channelCount >= 1, channelCount <= 1024 else {
            throw ScrimError(.configuration, "resampler channel count \(channelCount) is out of range (1 to 1024)")
        }
        guard chunkFrames >= 1, chunkFrames <= 1 << 16 else {
            throw ScrimError(.configuration, "resampler chunk of \(chunkFrames) frames is out of range (1 to 65536)")
        }
        var ioSpec = soxr_io_spec(SOXR_FLOAT32_S, SOXR_FLOAT32_S)
        var qualitySpec = soxr_quality_spec(quality.recipe, 0)
        var runtimeSpec = soxr_runtime_spec(1)
        var error: soxr_error_t?
        let created = soxr_create(Double(input), Double(output), UInt32(channelCount), &error, &ioSpec,
                                  &qualitySpec, &runtimeSpec)
        guard let created, error == nil else {
            if let created { soxr_delete(created) }
            throw ScrimError(.configuration, "libsoxr cannot resample \(input) Hz to \(output) Hz",
                             underlying: String(cString: scrim_soxr_strerror(error)))
        }
        soxr = created
        engine = soxr_engine(created).map { String(cString: $0) } ?? "unknown"
        self.inputRate = input
        self.outputRate = output
        self.channelCount = channelCount
        self.quality = quality
        self.chunkFrames = chunkFrames
        (prerollFrames, prerollOutputFrames) = Self.preroll(inputRate: input, outputRate: output)

        let chunkOutput = (chunkFrames * output + input - 1) / input
        outputCapacity = max(4096, 2 * chunkOutput + 64)
        staging = .allocate(capacity: channelCount * chunkFrames)
        staging.initialize(repeating: 0, count: channelCount * chunkFrames)
        self.output = .allocate(capacity: channelCount * outputCapacity)
        self.output.initialize(repeating: 0, count: channelCount * outputCapacity)
        inputTable = .allocate(capacity: channelCount)
        inputTable.initialize(repeating: nil, count: channelCount)
        outputTable = .allocate(capacity: channelCount)
        blockTable = .allocate(capacity: channelCount)
        for c in 0..<channelCount {
            (outputTable + c).initialize(to: UnsafeMutableRawPointer(self.output + c * outputCapacity))
            (blockTable + c).initialize(to: self.output + c * outputCapacity)
        }
        reset()
    }

    deinit {
        soxr_delete(soxr)
        staging.deallocate()
        output.deallocate()
        inputTable.deallocate()
        outputTable.deallocate()
        blockTable.deallocate()
    }

    /// Resamples `input`, handing every run of output frames to `body` as soon as libsoxr delivers it.
    ///
    /// - Parameters:
    ///   - input: `channelCount` channels, any number of frames (not modified).
    ///   - body: called zero or more times, in stream order, with a block of output frames; the block views this
    ///     resampler's memory and is valid only during the call.
    /// - Precondition: `input.channelCount == channelCount`. Does not allocate or lock.
    public func process(_ input: AudioBlock, _ body: (AudioBlock) -> Void) {
        precondition(input.channelCount == channelCount,
                     "Resampler made for \(channelCount) channels, got \(input.channelCount)")
        var offset = 0
        while offset < input.frameCount {
            let take = min(chunkFrames - staged, input.frameCount - offset)
            for c in 0..<channelCount {
                guard let source = input.channel(c).baseAddress else { continue }
                (staging + c * chunkFrames + staged).update(from: source + offset, count: take)
            }
            staged += take
            offset += take
            if staged == chunkFrames { runChunk(body) }
        }
    }

    /// Starts a new stream: clears libsoxr's state (`soxr_clear`) and runs the pre-roll, so the resampler behaves
    /// exactly like a new one. Allocates (libsoxr rebuilds its state); meant for between streams.
    public func reset() {
        failure = nil
        if let error = soxr_clear(soxr) { failure = String(cString: error) }
        staged = 0
        framesToDiscard = prerollOutputFrames
        var remaining = prerollFrames
        while remaining > 0 {
            let take = min(chunkFrames - staged, remaining)
            for c in 0..<channelCount { (staging + c * chunkFrames + staged).update(repeating: 0, count: take) }
            staged += take
            remaining -= take
            if staged == chunkFrames { runChunk { _ in } }
        }
    }

    /// Feeds the staged chunk to libsoxr and passes on everything it returns.
    private func runChunk(_ body: (AudioBlock) -> Void) {
        staged = 0
        guard failure == nil else { return }
        var consumed = 0
        while true {
            for c in 0..<channelCount { inputTable[c] = UnsafeRawPointer(staging + c * chunkFrames + consumed) }
            var inputDone = 0
            var outputDone = 0
            // Split channels in and out (SOXR_FLOAT32_S): `in` and `out` point to tables of channel pointers.
            let error = soxr_process(soxr, UnsafeRawPointer(inputTable), chunkFrames - consumed, &inputDone,
                                     UnsafeMutableRawPointer(outputTable), outputCapacity, &outputDone)
            if let error {
                failure = String(cString: error)
                return
            }
            consumed += inputDone
            emit(outputDone, body)
            // More input to give, or the output buffer filled up (libsoxr may hold more): call again.
            let more = consumed < chunkFrames || outputDone == outputCapacity
            guard more, inputDone > 0 || outputDone > 0 else { return }
        }
    }

    /// Drops what is left of the pre-roll's output and hands the rest of `frameCount` output frames to `body`.
    private func emit(_ frameCount: Int, _ body: (AudioBlock) -> Void) {
        let dropped = min(framesToDiscard, frameCount)
        framesToDiscard -= dropped
        guard frameCount > dropped else { return }
        body(AudioBlock(channels: UnsafePointer(blockTable), channelCount: channelCount, frameOffset: dropped,
                        frameCount: frameCount - dropped))
    }

    /// A rate in whole hertz, or a configuration error.
    private static func wholeRate(_ rate: Double, _ role: String) throws(ScrimError) -> Int {
        guard rate.isFinite, rate >= 1, rate <= 768_000, rate == rate.rounded() else {
            throw ScrimError(.configuration,
                             "resampler \(role) rate \(rate) Hz must be a whole number of hertz from 1 to 768000")
        }
        return Int(rate)
    }

    /// The pre-roll: the least whole number of rate periods (`inputRate / gcd` input frames, which make a whole
    /// number of output frames) that is at least 2^16 input and 2^16 output frames, capped at 2^22 input frames.
    /// 2^16 is past the last FIFO growth seen with a malloc counter (at most 34 112 input frames, 11.025 → 48 kHz).
    static func preroll(inputRate: Int, outputRate: Int) -> (input: Int, output: Int) {
        let divisor = greatestCommonDivisor(inputRate, outputRate)
        let inputStep = inputRate / divisor
        let outputStep = outputRate / divisor
        let target = 1 << 16
        var periods = max((target + inputStep - 1) / inputStep, (target + outputStep - 1) / outputStep)
        periods = max(1, min(periods, (1 << 22) / inputStep))
        return (periods * inputStep, periods * outputStep)
    }
}

@available(*, unavailable)
extension Resampler: Sendable {}

/// Euclid's greatest common divisor of two positive integers.
func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int {
    var (x, y) = (a, b)
    while y != 0 { (x, y) = (y, x % y) }
    return x
}
