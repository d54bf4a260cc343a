import Testing
@testable import ScrimCore

@Suite struct AudioBufferTests {
    @Test func newBufferIsZeroFilledAndAligned() {
        let buffer = AudioBuffer(channelCount: 3, capacity: 1001)
        for c in 0..<3 {
            let samples = buffer.channel(c)
            #expect(samples.count == 1001)
            #expect(samples.allSatisfy { $0 == 0 })
            // 64-byte alignment per channel, promised in the doc comment (SIMD-friendly loads).
            #expect(Int(bitPattern: samples.baseAddress) % 64 == 0)
        }
    }

    @Test func channelsDoNotOverlap() {
        let buffer = AudioBuffer(channelCount: 4, capacity: 17)
        for c in 0..<4 { buffer.channel(c).update(repeating: Float(c + 1)) }
        for c in 0..<4 { #expect(buffer.channel(c).allSatisfy { $0 == Float(c + 1) }) }
    }

    @Test func initFromArraysRoundTrips() {
        let input: [[Float]] = [[1, 2, 3], [-1, -2, -3]]
        #expect(AudioBuffer(channels: input).channelArrays() == input)
    }

    @Test func sliceViewsTheRightFrames() {
        let buffer = AudioBuffer(channels: [[0, 1, 2, 3, 4, 5], [10, 11, 12, 13, 14, 15]])
        buffer.withBlock { block in
            let slice = block.slice(from: 2, count: 3).slice(from: 1, count: 2)
            #expect(Array(slice.channel(0)) == [3, 4])
            #expect(Array(slice.channel(1)) == [13, 14])
            slice.clear()
        }
        #expect(buffer.channelArrays() == [[0, 1, 2, 0, 0, 5], [10, 11, 12, 0, 0, 15]])
    }

    @Test func nonFiniteSamplesAreZeroedAndCounted() {
        let buffer = AudioBuffer(channels: [[.nan, 1, .infinity], [-.infinity, 0.5, -.nan]])
        let replaced = buffer.withBlock { $0.zeroInvalidSamples() }
        #expect(replaced == 4)
        #expect(buffer.channelArrays() == [[0, 1, 0], [0, 0.5, 0]])
        #expect(buffer.withBlock { $0.peakMagnitude() } == 1)
    }

    @Test func outOfRangeSamplesAreZeroedLikeNaN() {
        // ±1e6 (+120 dBFS) is the last valid magnitude; the next float above it, and 1e30, are damage.
        let limit = AudioBlock.largestValidMagnitude
        let above = limit.nextUp
        let buffer = AudioBuffer(channels: [[limit, -limit, above, -1e30, 20, -.greatestFiniteMagnitude]])
        let replaced = buffer.withBlock { $0.zeroInvalidSamples() }
        #expect(replaced == 3)
        #expect(buffer.channelArrays() == [[limit, -limit, 0, 0, 20, 0]])
        // A channel with nothing invalid is left bit for bit.
        let clean = AudioBuffer(channels: [[0.5, -0.25, 10, 1e5]])
        #expect(clean.withBlock { $0.zeroInvalidSamples() } == 0)
        #expect(clean.channelArrays() == [[0.5, -0.25, 10, 1e5]])
    }
}
