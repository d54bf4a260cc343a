import ScrimCore

/// Converts planar `Float` frames to interleaved little-endian file samples (the RIFF family's encoding).
///
/// Integers: `x · 2^(bits−1)` rounded to nearest (ties to even, like C's `lrint`), then clipped to the integer
/// range [−2^(bits−1), 2^(bits−1) − 1]; each clipped sample is counted. 8-bit WAV is unsigned (offset 128).
/// This is the inverse of libsndfile's read scaling (1/2^(bits−1)), so a 16- or 24-bit file read to `Float`
/// and written back gives identical integers (every such value is exact in `Float`'s 24-bit significand).
/// Note that +1.0 itself maps to 2^(bits−1), one step above the largest integer, and so counts as clipped.
/// NaN is written as 0 and counted separately; ±∞ clip. Floats are stored as they are (NaN and all).
struct SampleEncoder {
    let format: SampleFormat
    let bytesPerSample: Int

    init(format: SampleFormat) {
        self.format = format
        self.bytesPerSample = (format.bitsPerSample ?? 0) / 8
    }

    /// Clipping bounds and scale for an integer format.
    static func integerRange(_ format: SampleFormat) -> (scale: Double, minimum: Double, maximum: Double) {
        let bits = format.bitsPerSample ?? 16
        let half = Double(1 << Int64(bits - 1))
        return (half, -half, half - 1)
    }

    /// Encodes `frameCount` frames of `block` from `start` into `destination` (interleaved, little-endian).
    /// - Returns: the number of samples clipped and the number of NaN samples replaced by 0.
    func encode(_ block: AudioBlock, from start: Int, frameCount: Int, into destination: UnsafeMutableRawPointer)
        -> (clipped: Int, nonFinite: Int)
    {
        let channelCount = block.channelCount
        let frameBytes = channelCount * bytesPerSample
        var clipped = 0
        var nonFinite = 0
        let (scale, minimum, maximum) = Self.integerRange(format)
        for c in 0..<channelCount {
            guard let source = block.channel(c).baseAddress else { continue }
            var out = destination + c * bytesPerSample
            for i in start..<(start + frameCount) {
                let x = source[i]
                switch format {
                case .float32:
                    out.storeBytes(of: x.bitPattern.littleEndian, as: UInt32.self)
                case .float64:
                    out.storeBytes(of: Double(x).bitPattern.littleEndian, as: UInt64.self)
                default:
                    var value = (Double(x) * scale).rounded(.toNearestOrEven)
                    if value.isNaN {
                        value = 0
                        nonFinite += 1
                    } else if value > maximum {
                        value = maximum
                        clipped += 1
                    } else if value < minimum {
                        value = minimum
                        clipped += 1
                    }
                    let integer = Int32(value)
                    switch format {
                    case .pcmU8:
                        out.storeBytes(of: UInt8(truncatingIfNeeded: integer + 128), as: UInt8.self)
                    case .pcm16:
                        out.storeBytes(of: Int16(truncatingIfNeeded: integer).littleEndian, as: Int16.self)
                    case .pcm24:
                        out.storeBytes(of: UInt8(truncatingIfNeeded: integer), as: UInt8.self)
                        (out + 1).storeBytes(of: UInt8(truncatingIfNeeded: integer >> 8), as: UInt8.self)
                        (out + 2).storeBytes(of: UInt8(truncatingIfNeeded: integer >> 16), as: UInt8.self)
                    default:
                        out.storeBytes(of: integer.littleEndian, as: Int32.self)
                    }
                }
                out += frameBytes
            }
        }
        return (clipped, nonFinite)
    }

    /// Interleaves `frameCount` frames of `block` from `start` into `destination` as `Float` for libsndfile,
    /// counting (but not changing) samples that an integer format will clip, and replacing NaN by 0 for integer
    /// formats (libsndfile's conversion of NaN is undefined).
    func interleave(
        _ block: AudioBlock, from start: Int, frameCount: Int, into destination: UnsafeMutablePointer<Float>
    ) -> (clipped: Int, nonFinite: Int)
    {
        let channelCount = block.channelCount
        var clipped = 0
        var nonFinite = 0
        let isInteger = format.isInteger
        let (scale, minimum, maximum) = Self.integerRange(format)
        for c in 0..<channelCount {
            guard let source = block.channel(c).baseAddress else { continue }
            var out = destination + c
            for i in start..<(start + frameCount) {
                var x = source[i]
                if isInteger {
                    let value = (Double(x) * scale).rounded(.toNearestOrEven)
                    if value.isNaN {
                        x = 0
                        nonFinite += 1
                    } else if value > maximum || value < minimum {
                        clipped += 1
                    }
                }
                out.pointee = x
                out += channelCount
            }
        }
        return (clipped, nonFinite)
    }
}
