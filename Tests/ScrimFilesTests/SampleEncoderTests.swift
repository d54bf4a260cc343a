import ScrimCore
import Testing
@testable import ScrimFiles

/// The chunked, branch-free encoder against the plain per-sample reference: same bytes, same counts.
@Suite struct SampleEncoderTests {
    /// Values that exercise rounding ties (±½ and ±1½ steps at every width), both clips, full scale, NaN, ±Inf,
    /// values far beyond any integer range, signed zeros, and seeded noise over ±1.1.
    static func samples(frameCount: Int, channel: Int) -> [Float] {
        var values: [Float] = [0, -0.0, 1, -1, 1.000_001, -1.000_001, 0.999_999, .nan, .infinity, -.infinity,
                               1e30, -1e30, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                               .leastNonzeroMagnitude, -.leastNonzeroMagnitude]
        for bits in [8, 16, 24, 32] {
            let step = Float(1) / Float(1 << Int64(bits - 1))
            for ties in [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 100.5, -100.5] as [Float] {
                values.append(ties * step)
            }
            // The clipping boundaries: the largest and smallest integers, their ties half a step out, a step out.
            let top = Float(1 << Int64(bits - 1))
            for offset in [-1, -0.5, 0, 0.5, 1, 1.5] as [Float] {
                values.append((top - 1 + offset) * step)
                values.append((-top - offset) * step)
            }
        }
        var seed = UInt64(0x9E37_79B9_7F4A_7C15) &+ UInt64(channel)
        while values.count < frameCount {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            values.append(Float(Int64(bitPattern: seed >> 11) % 2_200_001) / 2_000_000)
        }
        return Array(values.prefix(frameCount))
    }

    @Test(arguments: [SampleFormat.pcmU8, .pcm16, .pcm24, .pcm32, .float32, .float64], [1, 2, 3])
    func encodeEqualsReference(format: SampleFormat, channelCount: Int) throws {
        // 700 frames: more than two 256-sample chunks and a partial one; encoded from frame 5 on.
        let frameCount = 700, start = 5
        let buffer = AudioBuffer(channelCount: channelCount, capacity: frameCount)
        for c in 0..<channelCount {
            let values = Self.samples(frameCount: frameCount, channel: c)
            for i in 0..<frameCount { buffer.channel(c)[i] = values[i] }
        }
        let encoder = SampleEncoder(format: format)
        let byteCount = (frameCount - start) * channelCount * max(encoder.bytesPerSample, 4)
        var fast = [UInt8](repeating: 0xA5, count: byteCount)
        var reference = [UInt8](repeating: 0xA5, count: byteCount)
        let (fastCounts, referenceCounts) = buffer.withBlock { block in
            let fastCounts = fast.withUnsafeMutableBytes { bytes in
                encoder.encode(block, from: start, frameCount: frameCount - start, into: bytes.baseAddress!)
            }
            let referenceCounts = reference.withUnsafeMutableBytes { bytes in
                encoder.encodeReference(block, from: start, frameCount: frameCount - start, into: bytes.baseAddress!)
            }
            return (fastCounts, referenceCounts)
        }
        #expect(fast == reference)
        #expect(fastCounts.clipped == referenceCounts.clipped && fastCounts.nonFinite == referenceCounts.nonFinite)
        if format.isInteger {
            // The fixed values from `start` on include clipped samples and a NaN per channel.
            #expect(referenceCounts.clipped > 0 && referenceCounts.nonFinite == channelCount)
        }
    }

    @Test func roundingMatchesRint() {
        var values: [Double] = [0, -0.0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 8_388_607.5, -8_388_608.5,
                                2_147_483_647.5, -2_147_483_648.5, 4_503_599_627_370_495.5, -1e300, 1e300]
        var x = 0.123
        while x < 1e15 {
            values.append(x)
            values.append(-x)
            x *= 1.37
        }
        for value in values where abs(value) < 2_251_799_813_685_248 {  // 2⁵¹: the documented range
            #expect(SampleEncoder.roundedToNearestEven(value) == value.rounded(.toNearestOrEven), "\(value)")
        }
    }
}
