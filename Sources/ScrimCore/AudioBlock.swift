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

    /// The largest magnitude a sample may have before Scrim treats it as damage: 10^6, i.e. +120 dBFS. Float files
    /// may legitimately go beyond full scale (an intermediate mix at +20 dBFS), but nothing that was ever audio
    /// reaches a million times full scale; such values (±1e30 in a corrupt file) would otherwise swamp every
    /// measurement and gain.
    public static let largestValidMagnitude: Float = 1e6

    /// Replaces invalid samples (NaN, ±Inf, or beyond ±``largestValidMagnitude``) with 0 and returns how many were
    /// replaced.
    ///
    /// Scrim calls this on every block that enters a processor chain or an analysis, and reports the count: such a
    /// sample would otherwise spread through every FFT frame it touches, or make a meter call the file silent.
    @inlinable
    @discardableResult
    public func zeroInvalidSamples() -> Int {
        zeroInvalidSamples { _, _ in }
    }

    /// ``zeroInvalidSamples()``, telling `note` how many were replaced in each channel that had any (per-track
    /// reports). `note` is called at most once per channel, never for a channel without invalid samples.
    @inlinable
    @discardableResult
    public func zeroInvalidSamples(note: (_ channel: Int, _ count: Int) -> Void) -> Int {
        var replaced = 0
        let limitBits = AudioBlock.largestValidMagnitude.bitPattern
        for c in 0..<channelCount {
            let samples = channel(c)
            guard let base = samples.baseAddress else { continue }
            // Look first, with an unsigned max the compiler vectorises: with the sign bit cleared, a float's bit
            // pattern orders like its magnitude, and NaN and ±Inf sort above every finite value. Count and rewrite
            // only a channel that has any.
            var largest: UInt32 = 0
            for i in 0..<samples.count { largest = max(largest, base[i].bitPattern & 0x7FFF_FFFF) }
            guard largest > limitBits else { continue }
            var inChannel = 0
            for i in 0..<samples.count where !(abs(base[i]) <= AudioBlock.largestValidMagnitude) {
                base[i] = 0
                inChannel += 1
            }
            replaced += inChannel
            if inChannel > 0 { note(c, inChannel) }
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
