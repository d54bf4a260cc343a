import CSndFile
import Foundation
import ScrimCore
import Testing
@testable import ScrimFiles

/// The reader's own decoding of integer PCM in the RIFF family (raw bytes through libsndfile, converted by
/// `scrim_vector_decode_pcm*`) gives exactly the floats libsndfile's `sf_readf_float` gives for the same file:
/// every width, mono and three channels, the extreme codes, blocks that do not divide the scratch, and 32-bit
/// codes that Float must round.
@Suite struct IntegerDecodeTests {
    /// `frames` frames of `channels` channels of `bits`-bit codes: the extremes and ±1 first, then seeded noise
    /// over the whole range.
    static func codes(bits: Int, channels: Int, frames: Int) -> [[Int64]] {
        let high = (Int64(1) << (bits - 1)) - 1, low = -(Int64(1) << (bits - 1))
        var state: UInt64 = 0x2545_F491_4F6C_DD1D &+ UInt64(bits * 10 + channels)
        return (0..<channels).map { c in
            (0..<frames).map { i in
                let fixed: [Int64] = [high, low, 0, 1, -1, high - 1, low + 1]
                if i < fixed.count { return fixed[(i + c) % fixed.count] }
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return low + Int64(state >> 11) % (high - low + 1)
            }
        }
    }

    static func wav(bits: Int, codes: [[Int64]]) -> [UInt8] {
        var data: [UInt8] = []
        for i in 0..<codes[0].count {
            for c in codes.indices {
                let v = UInt64(bitPattern: codes[c][i])
                for b in 0..<(bits / 8) { data.append(UInt8((v >> (8 * UInt64(b))) & 0xFF)) }
            }
        }
        var builder = WAVBuilder()
        builder.add("fmt ", WAVBuilder.fmt(channels: UInt16(codes.count), sampleRate: 48_000, bits: UInt16(bits)))
        builder.add("data", data)
        return builder.bytes()
    }

    @Test(arguments: [(16, 1), (24, 1), (32, 1), (16, 3), (24, 3), (32, 3)])
    func decodeEqualsLibsndfile(bits: Int, channels: Int) throws {
        let folder = TemporaryFolder()
        let frames = 10_007
        let path = folder.write(Self.wav(bits: bits, codes: Self.codes(bits: bits, channels: channels, frames: frames)),
                                to: "pcm\(bits)x\(channels).wav")
        var info = SF_INFO()
        let handle = try #require(sf_open(path, Int32(SFM_READ), &info))
        var interleaved = [Float](repeating: .nan, count: frames * channels)
        #expect(sf_readf_float(handle, &interleaved, sf_count_t(frames)) == sf_count_t(frames))
        sf_close(handle)

        let (fileInfo, read) = try readAll(path, blockFrames: 1_000)
        #expect(fileInfo.frameCount == frames)
        var mismatches = 0
        for c in 0..<channels {
            #expect(read[c].count == frames)
            for i in 0..<min(frames, read[c].count)
            where read[c][i].bitPattern != interleaved[i * channels + c].bitPattern {
                mismatches += 1
            }
        }
        #expect(mismatches == 0, "\(mismatches) samples differ from libsndfile's")
    }
}
