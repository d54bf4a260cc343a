/// An owning, planar `Float` audio buffer with a fixed capacity.
///
/// Memory for all channels is allocated once, in ``init(channelCount:capacity:)``, 64-byte aligned per channel,
/// and zero-filled. ``frameCount`` (≤ ``capacity``) is how many frames are valid; changing it never allocates.
/// Not thread-safe: use one buffer per task.
public final class AudioBuffer {
    /// Number of channels.
    public let channelCount: Int
    /// Largest number of frames the buffer can hold.
    public let capacity: Int
    /// Number of valid frames, 0…``capacity``.
    public var frameCount: Int {
        didSet {
            precondition(frameCount >= 0 && frameCount <= capacity,
                         "frameCount \(frameCount) outside 0...\(capacity)")
        }
    }

    /// Frames between the starts of consecutive channels (capacity rounded up to 16 floats = 64 bytes).
    private let stride: Int
    private let storage: UnsafeMutableRawPointer
    private let table: UnsafeMutablePointer<UnsafeMutablePointer<Float>>

    /// Creates a zero-filled buffer.
    /// - Parameters:
    ///   - channelCount: number of channels, ≥ 1.
    ///   - capacity: largest frame count, ≥ 0.
    ///   - frameCount: initial valid frames (defaults to `capacity`).
    public init(channelCount: Int, capacity: Int, frameCount: Int? = nil) {
        precondition(channelCount >= 1, "AudioBuffer channelCount \(channelCount)")
        precondition(capacity >= 0, "AudioBuffer capacity \(capacity)")
        self.channelCount = channelCount
        self.capacity = capacity
        self.frameCount = frameCount ?? capacity
        precondition(self.frameCount >= 0 && self.frameCount <= capacity, "frameCount \(self.frameCount)")
        stride = max(16, (capacity + 15) & ~15)
        let byteCount = stride * channelCount * MemoryLayout<Float>.stride
        storage = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
        storage.initializeMemory(as: Float.self, repeating: 0, count: stride * channelCount)
        table = .allocate(capacity: channelCount)
        let base = storage.assumingMemoryBound(to: Float.self)
        for c in 0..<channelCount { (table + c).initialize(to: base + c * stride) }
    }

    /// Creates a buffer holding copies of `channels` (all the same length).
    public convenience init(channels: [[Float]]) {
        precondition(!channels.isEmpty, "AudioBuffer needs at least one channel")
        let frames = channels[0].count
        precondition(channels.allSatisfy { $0.count == frames }, "channels differ in length")
        self.init(channelCount: channels.count, capacity: frames)
        for (c, samples) in channels.enumerated() {
            samples.withUnsafeBufferPointer { src in
                if let s = src.baseAddress { table[c].update(from: s, count: frames) }
            }
        }
    }

    deinit {
        table.deinitialize(count: channelCount)
        table.deallocate()
        storage.deallocate()
    }

    /// The samples of one channel (``frameCount`` frames).
    public func channel(_ index: Int) -> UnsafeMutableBufferPointer<Float> {
        precondition(index >= 0 && index < channelCount, "channel \(index) of \(channelCount)")
        return UnsafeMutableBufferPointer(start: table[index], count: frameCount)
    }

    /// Calls `body` with a view of the valid frames. The view must not escape the closure.
    public func withBlock<R>(_ body: (AudioBlock) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) {
            try body(AudioBlock(channels: table, channelCount: channelCount, frameCount: frameCount))
        }
    }

    /// A view of the valid frames, for code that keeps the buffer alive itself (e.g. a processor that owns
    /// its scratch buffer). Prefer ``withBlock(_:)``.
    public var unsafeBlock: AudioBlock {
        AudioBlock(channels: table, channelCount: channelCount, frameCount: frameCount)
    }

    /// Copies the valid frames out as one array per channel (allocates; for tests and small data).
    public func channelArrays() -> [[Float]] {
        (0..<channelCount).map { Array(channel($0)) }
    }
}
