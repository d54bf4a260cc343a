import ScrimCore

/// Runs an ``AudioProcessor`` that works at one fixed sample rate (DeepFilterNet3's 48 kHz, say) on a stream at any
/// other rate: the input is resampled to the inner rate, processed, and resampled back (two libsoxr ``Resampler``s),
/// and the output stays sample-aligned with the input like any other processor's.
///
/// - Same rate: when the stream's rate is the inner rate, the inner processor runs directly (no resampling, its
///   own latency, bit for bit its own output).
/// - Latency: ``latencyFrames`` = Q + (L + P) × R / F outer frames, where R is the stream's rate and F the inner
///   rate (whole hertz), L the inner processor's latency in inner frames, P < F / gcd(R, F) inner frames of silence
///   put before the inner output (``innerPaddingFrames``) so that (L + P) × R / F is a whole number of outer frames,
///   and Q (``bufferingFrames``) the outer frames that cover the resamplers' lag: libsoxr delivers output in blocks,
///   so the round trip may owe a few thousand outer frames at a time; Q is the largest debt seen when `prepare`
///   runs 2^16 frames (at least 2 s) through a copy of the chain one frame at a time, plus one 64-frame chunk. The
///   resamplers themselves add no delay (libsoxr trims its linear-phase filters' group delay), so output frame n
///   is input frame n − ``latencyFrames``; cross-correlation puts it there to within 1e-5 frame (ResamplerTests).
///   Measured at ``Resampler/Quality/high``: Q = 1831 frames at 44.1 kHz (41.5 ms), 1775 at 22.05 kHz, 1201 at
///   32 kHz, 3639 at 96 kHz. DeepFilterNet3 (L = 1920) at 44.1 kHz: P = 0, latency Q + 1764, about 3600 frames (82 ms).
/// - Block split: any block size (larger blocks than the spec's maximum are taken in pieces, so the default
///   `flush` works); both resamplers are fed in fixed chunks and the inner processor is split-independent, so the
///   output is bit-identical for any split.
/// - Inner processor: prepared by ``prepare(for:)`` at F with the stream's channel count and blocks of at most
///   ``innerBlockFrames`` frames, and owned by this processor from then on. It sees the resampled stream, which
///   starts with silence (the resamplers' pre-roll never reaches it).
/// - Allocation: ``prepare(for:)`` allocates everything; ``process(_:)`` and `flush(into:)` do not allocate or lock
///   (libsoxr's FIFOs are grown by each resampler's pre-roll). ``reset()`` allocates when resampling: libsoxr has no
///   way to clear a stream in place (`soxr_clear` rebuilds it), about 0.1 ms plus a pre-roll of about 1 ms per
///   channel.
/// - Non-finite input: spreads to a few thousand output frames around it (see ``Resampler``), then clears.
/// - Threading: not `Sendable`; one stream, one task at a time.
public final class ResamplingProcessor: AudioProcessor {
    /// The processor that runs at ``innerSampleRate``.
    public let inner: any AudioProcessor
    /// The rate the inner processor runs at, in hertz.
    public let innerSampleRate: Double
    /// The resamplers' libsoxr recipe.
    public let quality: Resampler.Quality
    /// Delay from input to output in outer frames (Q + (L + P) × R / F; see the type's documentation).
    public private(set) var latencyFrames = 0
    /// The inner processor's latency L in inner frames.
    public private(set) var innerLatencyFrames = 0
    /// P: inner frames of silence put in front of the inner output so that the total latency is whole.
    public private(set) var innerPaddingFrames = 0
    /// Q: outer frames of latency that cover the resamplers' lag.
    public private(set) var bufferingFrames = 0
    /// The largest block the inner processor is given, in inner frames.
    public private(set) var innerBlockFrames = 0
    /// Whether the stream runs at the inner rate, so no resampling happens.
    public private(set) var isBypassed = false
    /// Output frames that were owed but not ready (filled with silence). Zero unless the lag measured in `prepare`
    /// was exceeded, which the tests check never happens.
    public private(set) var underrunFrames = 0

    private var up: Resampler?
    private var down: Resampler?
    private var channelCount = 0
    private var maximumBlockFrames = 0
    /// Output ring: `channelCount × capacity` samples, planar.
    private var ring = UnsafeMutablePointer<Float>.allocate(capacity: 0)
    private var ringCapacity = 0
    private var ringStart = 0
    private var ringCount = 0
    /// `channelCount × innerBlockFrames` zeros and their channel table, for the padding P.
    private var zeros = UnsafeMutablePointer<Float>.allocate(capacity: 0)
    private var zeroTable = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: 0)

    /// Input frames per libsoxr call in both resamplers.
    static let chunkFrames = 64

    /// Wraps `inner`, which will be prepared at `innerSampleRate`.
    /// - Parameters:
    ///   - inner: the processor to run (owned by this processor from now on).
    ///   - innerSampleRate: its rate in hertz, a whole number (48 000 for DeepFilterNet3).
    ///   - quality: the resamplers' recipe.
    public init(inner: any AudioProcessor, innerSampleRate: Double = 48_000, quality: Resampler.Quality = .high) {
        self.inner = inner
        self.innerSampleRate = innerSampleRate
        self.quality = quality
    }

    deinit {
        ring.deallocate()
        zeros.deallocate()
        zeroTable.deallocate()
    }

    /// Prepares the inner processor at ``innerSampleRate`` and, when the rates differ, the two resamplers, measures
    /// their lag and allocates the output ring.
    /// - Throws: ``ScrimError`` `.configuration` for an invalid spec or a rate that is not a whole number of hertz
    ///   or that libsoxr refuses; whatever the inner processor's `prepare` throws.
    public func prepare(for spec: ProcessSpec) throws {
        try spec.validate()
        up = nil
        down = nil
        channelCount = spec.channelCount
        maximumBlockFrames = spec.maximumBlockFrames
        underrunFrames = 0
        if spec.sampleRate == innerSampleRate {
            try inner.prepare(for: spec)
            isBypassed = true
            innerLatencyFrames = inner.latencyFrames
            innerPaddingFrames = 0
            bufferingFrames = 0
            innerBlockFrames = spec.maximumBlockFrames
            latencyFrames = innerLatencyFrames
            return
        }
        isBypassed = false
        let upsampler = try Resampler(inputRate: spec.sampleRate, outputRate: innerSampleRate,
                                      channelCount: channelCount, quality: quality, chunkFrames: Self.chunkFrames)
        let downsampler = try Resampler(inputRate: innerSampleRate, outputRate: spec.sampleRate,
                                        channelCount: channelCount, quality: quality, chunkFrames: Self.chunkFrames)
        let outerRate = upsampler.inputRate
        let innerRate = upsampler.outputRate
        innerBlockFrames = 2048
        try inner.prepare(for: ProcessSpec(sampleRate: innerSampleRate, channelCount: channelCount,
                                           maximumBlockFrames: innerBlockFrames))
        innerLatencyFrames = inner.latencyFrames
        guard innerLatencyFrames >= 0, innerLatencyFrames <= 1 << 30 else {
            throw ScrimError(.configuration, "inner processor latency \(innerLatencyFrames) frames is out of range")
        }
        // (L + P) × R / F is whole when L + P is a multiple of F / gcd(R, F).
        let divisor = greatestCommonDivisor(outerRate, innerRate)
        let innerStep = innerRate / divisor
        innerPaddingFrames = (innerStep - innerLatencyFrames % innerStep) % innerStep
        let innerDelay = (innerLatencyFrames + innerPaddingFrames) / innerStep * (outerRate / divisor)

        let lag = try Self.measureLag(outerRate: outerRate, innerRate: innerRate, quality: quality,
                                      innerPaddingFrames: innerPaddingFrames)
        bufferingFrames = lag.debt + Self.chunkFrames
        latencyFrames = bufferingFrames + innerDelay

        // The ring holds Q frames of silence, then the round trip's output until it is taken: at most
        // Q + the largest surplus + one block, with room to spare.
        ringCapacity = bufferingFrames + max(0, lag.surplus) + maximumBlockFrames + 4096
        ring.deallocate()
        ring = .allocate(capacity: channelCount * ringCapacity)
        ring.initialize(repeating: 0, count: channelCount * ringCapacity)
        zeros.deallocate()
        zeros = .allocate(capacity: channelCount * innerBlockFrames)
        zeros.initialize(repeating: 0, count: channelCount * innerBlockFrames)
        zeroTable.deallocate()
        zeroTable = .allocate(capacity: channelCount)
        for c in 0..<channelCount { (zeroTable + c).initialize(to: zeros + c * innerBlockFrames) }
        up = upsampler
        down = downsampler
        reset()
    }

    /// Processes `block` in place: output frame n is input frame n − ``latencyFrames``, through the inner processor.
    /// - Precondition: prepared, and `block.channelCount` is the spec's. Does not allocate, lock or throw.
    public func process(_ block: AudioBlock) {
        if isBypassed {
            inner.process(block)
            return
        }
        guard let up, let down else { preconditionFailure("ResamplingProcessor.process called before prepare(for:)") }
        precondition(block.channelCount == channelCount,
                     "ResamplingProcessor prepared for \(channelCount) channels, got \(block.channelCount)")
        var offset = 0
        while offset < block.frameCount {
            let slice = block.slice(from: offset, count: min(maximumBlockFrames, block.frameCount - offset))
            up.process(slice) { resampled in
                var done = 0
                while done < resampled.frameCount {
                    let piece = resampled.slice(from: done, count: min(innerBlockFrames, resampled.frameCount - done))
                    inner.process(piece)
                    down.process(piece) { append($0) }
                    done += piece.frameCount
                }
            }
            take(into: slice)
            offset += slice.frameCount
        }
    }

    /// Writes the last ``latencyFrames`` frames of output: the inner processor's own flush when bypassed, otherwise
    /// silence through ``process(_:)``. Does not allocate.
    public func flush(into block: AudioBlock) {
        if isBypassed {
            inner.flush(into: block)
            return
        }
        block.clear()
        process(block)
    }

    /// Back to the freshly prepared state (the inner processor's too). Allocates when resampling (see the type's
    /// documentation).
    public func reset() {
        inner.reset()
        underrunFrames = 0
        guard !isBypassed, let up, let down else { return }
        up.reset()
        down.reset()
        ringStart = 0
        ringCount = 0
        appendSilence(bufferingFrames)
        var remaining = innerPaddingFrames
        while remaining > 0 {
            let count = min(remaining, innerBlockFrames)
            down.process(AudioBlock(channels: zeroTable, channelCount: channelCount, frameCount: count)) { append($0) }
            remaining -= count
        }
    }

    // MARK: - Output ring

    private func append(_ block: AudioBlock) {
        precondition(ringCount + block.frameCount <= ringCapacity,
                     "ResamplingProcessor ring overflow: \(ringCount) + \(block.frameCount) > \(ringCapacity)")
        var end = (ringStart + ringCount) % ringCapacity
        var done = 0
        while done < block.frameCount {
            let count = min(block.frameCount - done, ringCapacity - end)
            for c in 0..<channelCount {
                guard let source = block.channel(c).baseAddress else { continue }
                (ring + c * ringCapacity + end).update(from: source + done, count: count)
            }
            done += count
            end = (end + count) % ringCapacity
        }
        ringCount += block.frameCount
    }

    private func appendSilence(_ frameCount: Int) {
        precondition(ringCount + frameCount <= ringCapacity, "ResamplingProcessor ring overflow")
        var end = (ringStart + ringCount) % ringCapacity
        var done = 0
        while done < frameCount {
            let count = min(frameCount - done, ringCapacity - end)
            for c in 0..<channelCount { (ring + c * ringCapacity + end).update(repeating: 0, count: count) }
            done += count
            end = (end + count) % ringCapacity
        }
        ringCount += frameCount
    }

    /// Moves `block.frameCount` frames from the ring into `block`; silence for any that are missing (an underrun).
    private func take(into block: AudioBlock) {
        let available = min(ringCount, block.frameCount)
        var done = 0
        while done < available {
            let count = min(available - done, ringCapacity - ringStart)
            for c in 0..<channelCount {
                guard let target = block.channel(c).baseAddress else { continue }
                (target + done).update(from: ring + c * ringCapacity + ringStart, count: count)
            }
            done += count
            ringStart = (ringStart + count) % ringCapacity
        }
        ringCount -= available
        if available < block.frameCount {
            for c in 0..<channelCount { block.channel(c).baseAddress.map {
                ($0 + available).update(repeating: 0, count: block.frameCount - available)
            } }
            underrunFrames += block.frameCount - available
        }
    }

    // MARK: - Lag

    /// Runs silence through a mono copy of the round trip (same rates, quality, chunks, pre-rolls and padding; the
    /// inner processor does not change frame counts) one outer frame at a time and returns the largest debt
    /// (input frames so far minus output frames delivered) and the largest surplus (the opposite), in outer frames.
    /// The horizon, 2^16 frames and at least 2 s, spans dozens of libsoxr's DFT blocks at every rate.
    static func measureLag(outerRate: Int, innerRate: Int, quality: Resampler.Quality,
                           innerPaddingFrames: Int) throws(ScrimError) -> (debt: Int, surplus: Int) {
        let up = try Resampler(inputRate: Double(outerRate), outputRate: Double(innerRate), channelCount: 1,
                               quality: quality, chunkFrames: chunkFrames)
        let down = try Resampler(inputRate: Double(innerRate), outputRate: Double(outerRate), channelCount: 1,
                                 quality: quality, chunkFrames: chunkFrames)
        let scratch = AudioBuffer(channelCount: 1, capacity: max(1, innerPaddingFrames))
        scratch.frameCount = max(1, innerPaddingFrames)
        var delivered = 0
        if innerPaddingFrames > 0 {
            scratch.withBlock { block in down.process(block) { delivered += $0.frameCount } }
        }
        scratch.frameCount = 1
        let horizon = max(1 << 16, 2 * outerRate)
        var debt = 0
        var surplus = Int.min
        scratch.withBlock { frame in
            for fed in 1...horizon {
                up.process(frame) { resampled in down.process(resampled) { delivered += $0.frameCount } }
                debt = max(debt, fed - delivered)
                surplus = max(surplus, delivered - fed)
            }
        }
        return (debt, surplus)
    }
}

@available(*, unavailable)
extension ResamplingProcessor: Sendable {}
