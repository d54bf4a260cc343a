/// Something that changes audio in place: de-hum, denoise, gain.
///
/// Lifecycle (fixed across Scrim):
/// 1. ``prepare(for:)`` once for a ``ProcessSpec``. It may allocate and plan FFTs, and throws a
///    ``ScrimError`` with code `.configuration` when a setting does not fit the spec.
/// 2. ``process(_:)`` for each block, of any size from 1 to `spec.maximumBlockFrames` frames.
/// 3. ``flush(into:)`` once at the end of the stream, with a block of ``latencyFrames`` frames: it
///    receives the last ``latencyFrames`` frames of output.
/// 4. ``reset()`` before an unrelated stream; the processor then behaves exactly like a freshly prepared one.
///
/// `process`, `flush` and `reset` do not allocate, lock or throw. Output is the input delayed by
/// ``latencyFrames``: frame *n* of the output corresponds to frame *n − latencyFrames* of the input.
/// The result never depends on how the input was split into blocks.
///
/// Processors hold state and are not thread-safe; use one per stream (and per task).
public protocol AudioProcessor: AnyObject {
    /// Delay in frames between input and output. Valid after ``prepare(for:)``.
    var latencyFrames: Int { get }
    /// Allocates and configures for `spec`. Throws on settings that cannot work.
    func prepare(for spec: ProcessSpec) throws
    /// Processes `block` in place. `block.channelCount` equals the spec's; `block.frameCount` ≤ its maximum.
    func process(_ block: AudioBlock)
    /// Writes the last ``latencyFrames`` frames of output into `block` (whose frame count is at most
    /// ``latencyFrames``; call repeatedly with consecutive blocks to drain more than one block's worth).
    func flush(into block: AudioBlock)
    /// Clears all stream state, keeping the preparation.
    func reset()
}

extension AudioProcessor {
    /// Default flush: feeds silence through the processor, which pushes out the delayed tail.
    public func flush(into block: AudioBlock) {
        block.clear()
        process(block)
    }
}

/// Something that measures audio without changing it: a loudness meter, a hum detector, a noise profiler.
///
/// Lifecycle: ``prepare(for:)``, then ``analyze(_:)`` for each block (any size), then read the result
/// (each analyzer names its own accessor, e.g. `integratedLoudness`), and ``reset()`` for a new stream.
/// `analyze` and `reset` do not allocate, lock or throw. The result never depends on the block split.
public protocol AudioAnalyzer: AnyObject {
    /// Allocates and configures for `spec`.
    func prepare(for spec: ProcessSpec) throws
    /// Adds `block` to the measurement. The block is not modified.
    func analyze(_ block: AudioBlock)
    /// Clears the measurement, keeping the preparation.
    func reset()
}
