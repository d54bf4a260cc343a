/// A non-owning, mutable view of planar `Float` audio: `channelCount` channels of `frameCount` frames.
///
/// A block does not own its memory: it is valid only while the ``AudioBuffer`` (or other storage) it was
/// made from is alive and not resized. Never store a block beyond the call that received it.
/// Slicing (``slice(from:count:)``) is free: it moves a frame offset and never allocates.
///
/// Samples are nominally in −1…1 (0 dBFS = 1.0). Scrim processes and passes out-of-range values as they are;
/// clipping happens only when a file is written in an integer format, and is reported there.
public struct AudioBlock {
    /// Table of channel base pointers (`channelCount` entries).
    @usableFromInline let channelTable: UnsafePointer<UnsafeMutablePointer<Float>>
    /// Offset in frames from each channel base pointer to this block's first frame.
    @usableFromInline let frameOffset: Int
    /// Number of channels.
    public let channelCount: Int
    /// Number of frames (samples per channel).
    public let frameCount: Int

    /// Creates a view over channel pointers that the caller keeps alive.
    /// - Parameters:
    ///   - channels: a table of `channelCount` channel base pointers, alive for the block's use.
    ///   - channelCount: number of channels (≥ 1).
    ///   - frameOffset: first frame of the view within each channel.
    ///   - frameCount: frames in the view (≥ 0).
    @inlinable
    public init(
        channels: UnsafePointer<UnsafeMutablePointer<Float>>, channelCount: Int, frameOffset: Int = 0,
        frameCount: Int
    ) {
        precondition(channelCount >= 1, "AudioBlock needs at least one channel, got \(channelCount)")
        precondition(frameCount >= 0 && frameOffset >= 0,
                     "AudioBlock frameOffset \(frameOffset), frameCount \(frameCount)")
        self.channelTable = channels
        self.channelCount = channelCount
        self.frameOffset = frameOffset
        self.frameCount = frameCount
    }

    /// The samples of one channel.
    @inlinable
    public func channel(_ index: Int) -> UnsafeMutableBufferPointer<Float> {
        precondition(index >= 0 && index < channelCount, "channel \(index) of \(channelCount)")
        return UnsafeMutableBufferPointer(start: channelTable[index] + frameOffset, count: frameCount)
    }

    /// A view of `count` frames starting at frame `start` of this block. Does not allocate.
    @inlinable
    public func slice(from start: Int, count: Int) -> AudioBlock {
        precondition(start >= 0 && count >= 0 && start + count <= frameCount,
                     "slice \(start)..<\(start + count) of a \(frameCount)-frame block")
        return AudioBlock(channels: channelTable, channelCount: channelCount, frameOffset: frameOffset + start,
                          frameCount: count)
    }

    /// Sets every sample to zero.
    @inlinable
    public func clear() {
        for c in 0..<channelCount { channel(c).update(repeating: 0) }
    }

    /// Copies `source` into this block. Both must have the same channel and frame counts.
    @inlinable
    public func copy(from source: AudioBlock) {
        precondition(source.channelCount == channelCount && source.frameCount == frameCount,
                     "copy of \(source.channelCount)×\(source.frameCount) into \(channelCount)×\(frameCount)")
        for c in 0..<channelCount {
            let dst = channel(c)
            let src = source.channel(c)
            guard let d = dst.baseAddress, let s = src.baseAddress else { continue }
            d.update(from: s, count: frameCount)
        }
    }

    /// Replaces NaN and ±Inf samples with 0 and returns how many were replaced.
    ///
    /// Scrim calls this on every block that enters a processor chain, and reports the count: a non-finite
    /// sample would otherwise spread through every FFT frame it touches.
    @inlinable
    @discardableResult
    public func zeroNonFiniteSamples() -> Int {
        var replaced = 0
        for c in 0..<channelCount {
            let samples = channel(c)
            guard let base = samples.baseAddress else { continue }
            // Look first, with an OR the compiler vectorises: adding 1 to the exponent field carries into the
            // sign bit only when the field is all ones (NaN or ±Inf). Count and rewrite only a channel that has
            // any. (A Bool-valued OR here is turned into an early-exit search, which does not vectorise.)
            var found: UInt32 = 0
            for i in 0..<samples.count { found |= (base[i].bitPattern & 0x7F80_0000) &+ 0x0080_0000 }
            guard found & 0x8000_0000 != 0 else { continue }
            for i in 0..<samples.count where !base[i].isFinite {
                base[i] = 0
                replaced += 1
            }
        }
        return replaced
    }

    /// The largest absolute sample value over all channels (0 for an empty block).
    @inlinable
    public func peakMagnitude() -> Float {
        var peak: Float = 0
        for c in 0..<channelCount {
            for x in channel(c) { peak = max(peak, abs(x)) }
        }
        return peak
    }
}
