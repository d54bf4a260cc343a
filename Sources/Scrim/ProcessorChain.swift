import ScrimCore

/// Processors in series — for a preset, de-hum → denoise → level — behaving as one ``AudioProcessor``.
///
/// Every block goes through the stages in order, in place. The chain's ``latencyFrames`` is the sum of the
/// stages' latencies, and ``flush(into:)`` drains them in order: the first stage's tail is passed through the
/// later stages, then the second stage's tail, and so on, so the output is the complete stream delayed by
/// ``latencyFrames`` frames — exactly as one processor with that latency. Because each stage's output never
/// depends on how its input is split, neither does the chain's.
///
/// Before the first stage the chain replaces NaN and ±Inf samples with 0 and counts them
/// (``invalidSamplesZeroed``): a non-finite sample would otherwise spread through every FFT frame it touches.
///
/// Push use (the caller keeps output aligned with input using ``LatencyCompensator``, as ``FileJob`` does):
/// ```swift
/// let chain = ProcessorChain([HumRemover(configuration: hum), TruePeakLimiter(ceiling: -1)])
/// try chain.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 4096))
/// chain.process(block)            // any block of 1…4096 frames, as often as needed
/// chain.flush(into: tail)         // at the end: the last `chain.latencyFrames` frames of output
/// ```
/// Pull use, output already aligned: ``process(blocks:)``.
///
/// - Allocation: ``prepare(for:)`` prepares every stage (they may allocate); `process`, `flush` and `reset`
///   do not allocate, lock or throw (provided the stages keep that promise).
/// - Threading: not thread-safe. The stages belong to the chain: do not use them elsewhere while it runs.
public final class ProcessorChain: AudioProcessor {
    /// The stages, first to last.
    public let stages: [any AudioProcessor]
    /// Whether NaN/±Inf input samples are replaced by 0 before the first stage (default true).
    public let zeroesInvalidSamples: Bool
    /// NaN/±Inf input samples replaced by 0 since ``prepare(for:)`` or ``reset()``.
    public private(set) var invalidSamplesZeroed = 0
    /// The spec the chain was prepared for (nil before ``prepare(for:)``).
    public private(set) var spec: ProcessSpec?

    /// Stage whose tail ``flush(into:)`` is draining, and the frames of that tail still to come.
    private var flushStage = 0
    private var flushRemaining = 0
    private var flushStarted = false

    /// Creates a chain.
    /// - Parameters:
    ///   - stages: processors in the order the audio goes through them; may be empty (a pass-through).
    ///   - zeroesInvalidSamples: replace NaN/±Inf input samples by 0 and count them (default true).
    public init(_ stages: [any AudioProcessor], zeroesInvalidSamples: Bool = true) {
        self.stages = stages
        self.zeroesInvalidSamples = zeroesInvalidSamples
    }

    /// Sum of the stages' latencies, in frames. Valid after ``prepare(for:)``.
    public var latencyFrames: Int { stages.reduce(0) { $0 + $1.latencyFrames } }

    /// Prepares every stage for `spec`.
    /// - Throws: ``ScrimError`` `.configuration` for an invalid spec, or the first stage's error.
    public func prepare(for spec: ProcessSpec) throws {
        try spec.validate()
        for stage in stages { try stage.prepare(for: spec) }
        self.spec = spec
        resetFlushState()
        invalidSamplesZeroed = 0
    }

    /// Processes `block` in place through every stage. At most `spec.maximumBlockFrames` frames.
    public func process(_ block: AudioBlock) {
        guard let spec else { preconditionFailure("ProcessorChain.process called before prepare(for:)") }
        precondition(block.channelCount == spec.channelCount && block.frameCount <= spec.maximumBlockFrames,
                     "block of \(block.channelCount) ch × \(block.frameCount) frames for a chain prepared for "
                     + "\(spec)")
        if zeroesInvalidSamples { invalidSamplesZeroed += block.zeroInvalidSamples() }
        for stage in stages { stage.process(block) }
    }

    /// Writes the next frames of the chain's tail into `block` (call with consecutive blocks until
    /// ``latencyFrames`` frames in all have been drained). Each stage's own tail is flushed in turn and passed
    /// through the stages after it.
    public func flush(into block: AudioBlock) {
        guard let spec else { preconditionFailure("ProcessorChain.flush called before prepare(for:)") }
        if !flushStarted {
            flushStarted = true
            flushStage = 0
            flushRemaining = stages.first?.latencyFrames ?? 0
        }
        var filled = 0
        while filled < block.frameCount {
            while flushRemaining == 0, flushStage < stages.count - 1 {
                flushStage += 1
                flushRemaining = stages[flushStage].latencyFrames
            }
            guard flushRemaining > 0 else {
                // Asked for more than the tail: what follows the stream is silence.
                block.slice(from: filled, count: block.frameCount - filled).clear()
                return
            }
            let count = min(flushRemaining, block.frameCount - filled, spec.maximumBlockFrames)
            let part = block.slice(from: filled, count: count)
            stages[flushStage].flush(into: part)
            for later in stages[(flushStage + 1)...] { later.process(part) }
            flushRemaining -= count
            filled += count
        }
    }

    /// Resets every stage and the chain's own state; the chain then behaves like a freshly prepared one.
    public func reset() {
        for stage in stages { stage.reset() }
        resetFlushState()
        invalidSamplesZeroed = 0
    }

    private func resetFlushState() {
        flushStarted = false
        flushStage = 0
        flushRemaining = 0
    }
}
