import ScrimCore

extension ProcessorChain {
    /// Runs a sequence of input buffers through the chain and yields output already aligned with the input.
    ///
    /// The chain must be prepared (``prepare(for:)``) for the buffers' channel count; buffers may hold any
    /// number of frames (larger ones are processed in pieces of at most `spec.maximumBlockFrames`). The
    /// latency is compensated: the first ``latencyFrames`` processed frames are dropped, and when `blocks`
    /// ends the chain is flushed, so the yielded buffers, concatenated, have exactly the input's frame count
    /// and output frame *n* corresponds to input frame *n*. The yielded buffers' sizes follow the input's
    /// but differ from them by the latency (empty buffers are not yielded).
    ///
    /// ```swift
    /// for try await cleaned in chain.process(blocks: takeBuffers) { try writer.write(cleaned.unsafeBlock) }
    /// ```
    ///
    /// - Parameter blocks: input buffers; they are not modified (each is copied into a fresh output buffer,
    ///   so this path allocates one buffer per element — use the push API on the hot path).
    /// - Returns: an asynchronous sequence of new ``AudioBuffer``s; it rethrows `blocks`' errors.
    public func process<Base: AsyncSequence>(blocks: Base) -> AlignedOutput<Base> where Base.Element == AudioBuffer {
        AlignedOutput(base: blocks, chain: self)
    }

    /// The sequence returned by ``ProcessorChain/process(blocks:)``: the chain's output, aligned with its input.
    ///
    /// Iterate it once; it drives the chain (which must not be used elsewhere meanwhile). Not `Sendable`.
    public struct AlignedOutput<Base: AsyncSequence>: AsyncSequence where Base.Element == AudioBuffer {
        /// Each element is a new buffer of aligned output frames.
        public typealias Element = AudioBuffer
        let base: Base
        let chain: ProcessorChain

        /// Starts pulling from the input sequence.
        public func makeAsyncIterator() -> Iterator {
            Iterator(base: base.makeAsyncIterator(), chain: chain)
        }

        /// Pulls input buffers, processes them and yields the aligned output.
        public struct Iterator: AsyncIteratorProtocol {
            var base: Base.AsyncIterator
            let chain: ProcessorChain
            var compensator: LatencyCompensator
            var finished = false

            init(base: Base.AsyncIterator, chain: ProcessorChain) {
                self.base = base
                self.chain = chain
                compensator = LatencyCompensator(latencyFrames: chain.latencyFrames)
            }

            /// The next aligned output buffer, or nil after the flushed tail.
            public mutating func next() async throws -> AudioBuffer? {
                guard let spec = chain.spec else {
                    preconditionFailure("ProcessorChain.process(blocks:) iterated before prepare(for:)")
                }
                while !finished {
                    if let input = try await base.next() {
                        precondition(input.channelCount == spec.channelCount,
                                     "buffer of \(input.channelCount) channels for a chain prepared for \(spec)")
                        let output = AudioBuffer(channels: input.channelArrays())
                        if let aligned = run(output, maximum: spec.maximumBlockFrames, flushing: false) {
                            return aligned
                        }
                    } else {
                        finished = true
                        let tail = AudioBuffer(channelCount: spec.channelCount, capacity: chain.latencyFrames)
                        return run(tail, maximum: spec.maximumBlockFrames, flushing: true)
                    }
                }
                return nil
            }

            /// Processes (or flushes into) `buffer` in pieces, then moves its aligned frames to the front.
            /// Returns nil when no frame of it belongs to the aligned output.
            private mutating func run(_ buffer: AudioBuffer, maximum: Int, flushing: Bool) -> AudioBuffer? {
                let total = buffer.frameCount
                var kept = 0
                var position = 0
                buffer.withBlock { block in
                    while position < total {
                        let count = Swift.min(maximum, total - position)
                        let piece = block.slice(from: position, count: count)
                        if flushing { chain.flush(into: piece) } else { chain.process(piece) }
                        let range = compensator.alignedRange(ofProcessed: count)
                        if !range.isEmpty {
                            for c in 0..<block.channelCount {
                                let samples = block.channel(c)
                                let from = position + range.lowerBound
                                for i in 0..<range.count { samples[kept + i] = samples[from + i] }
                            }
                            kept += range.count
                        }
                        position += count
                    }
                }
                guard kept > 0 else { return nil }
                buffer.frameCount = kept
                return buffer
            }
        }
    }
}
