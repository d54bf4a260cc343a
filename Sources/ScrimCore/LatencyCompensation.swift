/// Keeps a processed stream sample-aligned with its input.
///
/// A processor delays its output by `latencyFrames`. To make output frame *n* match input frame *n* and
/// keep the frame count, a stream driver drops the first `latencyFrames` frames it gets back and, at the end,
/// drains `latencyFrames` more with ``AudioProcessor/flush(into:)``. This type does the bookkeeping without
/// allocating.
public struct LatencyCompensator: Sendable {
    /// Frames still to drop from the start of the output.
    public private(set) var framesToDrop: Int
    /// Frames to drain with `flush` at the end.
    public let latencyFrames: Int

    public init(latencyFrames: Int) {
        precondition(latencyFrames >= 0, "latencyFrames \(latencyFrames)")
        self.latencyFrames = latencyFrames
        self.framesToDrop = latencyFrames
    }

    /// Given a block just processed, returns the range of its frames that belong to the aligned output.
    public mutating func alignedRange(ofProcessed frameCount: Int) -> Range<Int> {
        let drop = min(framesToDrop, frameCount)
        framesToDrop -= drop
        return drop..<frameCount
    }

    /// Starts over for a new stream.
    public mutating func reset() { framesToDrop = latencyFrames }
}

extension AudioProcessor {
    /// Runs a whole signal through the processor and returns the output aligned with the input, with the
    /// same frame count. The processor must already be prepared with a spec whose maximum block is at least
    /// `blockFrames` and whose channel count matches `input`. Allocates the output; meant for tests, small
    /// signals and examples, not for the streaming path.
    /// - Parameters:
    ///   - input: the signal (not modified).
    ///   - blockFrames: block sizes to use, cycled in order (e.g. `[1, 7, 512]` to test odd splits).
    /// - Returns: a new buffer with `input.frameCount` frames.
    public func processAligned(_ input: AudioBuffer, blockFrames: [Int]) -> AudioBuffer {
        precondition(!blockFrames.isEmpty && blockFrames.allSatisfy { $0 >= 1 }, "block sizes \(blockFrames)")
        let total = input.frameCount
        let output = AudioBuffer(channelCount: input.channelCount, capacity: total)
        let maxBlock = max(blockFrames.max() ?? 1, latencyFrames, 1)
        let scratch = AudioBuffer(channelCount: input.channelCount, capacity: maxBlock)
        var compensator = LatencyCompensator(latencyFrames: latencyFrames)
        var readPosition = 0
        var writePosition = 0
        var sizeIndex = 0

        func emit(_ block: AudioBlock, _ range: Range<Int>) {
            let count = min(range.count, total - writePosition)
            guard count > 0 else { return }
            for c in 0..<input.channelCount {
                let src = block.channel(c)
                let dst = output.channel(c)
                for i in 0..<count { dst[writePosition + i] = src[range.lowerBound + i] }
            }
            writePosition += count
        }

        while readPosition < total {
            let n = min(blockFrames[sizeIndex % blockFrames.count], total - readPosition)
            sizeIndex += 1
            scratch.frameCount = n
            for c in 0..<input.channelCount {
                let src = input.channel(c)
                let dst = scratch.channel(c)
                for i in 0..<n { dst[i] = src[readPosition + i] }
            }
            readPosition += n
            scratch.withBlock { block in
                process(block)
                emit(block, compensator.alignedRange(ofProcessed: n))
            }
        }
        var remaining = latencyFrames
        while remaining > 0 {
            let n = min(remaining, maxBlock)
            scratch.frameCount = n
            scratch.withBlock { block in
                flush(into: block)
                emit(block, compensator.alignedRange(ofProcessed: n))
            }
            remaining -= n
        }
        return output
    }
}
