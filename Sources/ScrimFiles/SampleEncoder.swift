import CScrimVector
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
    ///
    /// The format is chosen once per call and integers are rounded, clipped and counted by the C loop
    /// `scrim_vector_quantize` (the 1.5·2⁵² rounding of ``roundedToNearestEven(_:)``, no libm call per sample);
    /// ``encodeReference(_:from:frameCount:into:)`` is the plain per-sample version it is tested against (same
    /// bytes and counts).
    /// - Returns: the number of samples clipped and the number of NaN samples replaced by 0.
    func encode(_ block: AudioBlock, from start: Int, frameCount: Int, into destination: UnsafeMutableRawPointer)
        -> (clipped: Int, nonFinite: Int)
    {
        switch format {
        case .float32:
            forEachChannel(block, from: start, frameCount: frameCount, into: destination) { x, out in
                out.storeBytes(of: x.bitPattern.littleEndian, as: UInt32.self)
            }
            return (0, 0)
        case .float64:
            forEachChannel(block, from: start, frameCount: frameCount, into: destination) { x, out in
                out.storeBytes(of: Double(x).bitPattern.littleEndian, as: UInt64.self)
            }
            return (0, 0)
        case .pcmU8:
            return encodeIntegers(block, from: start, frameCount: frameCount, into: destination) { integer, out in
                out.storeBytes(of: UInt8(truncatingIfNeeded: integer + 128), as: UInt8.self)
            }
        case .pcm16:
            return encodeIntegers(block, from: start, frameCount: frameCount, into: destination) { integer, out in
                out.storeBytes(of: Int16(truncatingIfNeeded: integer).littleEndian, as: Int16.self)
            }
        case .pcm24:
            return encodeIntegers(block, from: start, frameCount: frameCount, into: destination) { integer, out in
                out.storeBytes(of: UInt16(truncatingIfNeeded: integer).littleEndian, as: UInt16.self)
                (out + 2).storeBytes(of: UInt8(truncatingIfNeeded: integer >> 16), as: UInt8.self)
            }
        case .pcmS8, .pcm32, .other:
            return encodeIntegers(block, from: start, frameCount: frameCount, into: destination) { integer, out in
                out.storeBytes(of: integer.littleEndian, as: Int32.self)
            }
        }
    }

    /// `x` rounded to the nearest integer, ties to even, as `rint` in the default rounding mode, for
    /// |x| < 2⁵¹: adding and subtracting 1.5·2⁵² leaves no fraction bits, so the FPU's own round-to-nearest-even
    /// does the rounding (x86-64's baseline has no rounding instruction, and `rounded(.toNearestOrEven)` is a
    /// libm call per sample there). Beyond 2⁵¹ the result is still at least 2⁵⁰ in magnitude with the sign of
    /// `x` (so it clips exactly when rint's would); NaN and ±∞ pass through.
    @inline(__always)
    static func roundedToNearestEven(_ x: Double) -> Double {
        let magic: Double = 6_755_399_441_055_744  // 1.5·2⁵²
        return (x + magic) - magic
    }

    /// Runs `store` for every sample, channel by channel, with the sample's interleaved destination.
    @inline(__always)
    private func forEachChannel(
        _ block: AudioBlock, from start: Int, frameCount: Int, into destination: UnsafeMutableRawPointer,
        _ store: (Float, UnsafeMutableRawPointer) -> Void
    ) {
        let frameBytes = block.channelCount * bytesPerSample
        for c in 0..<block.channelCount {
            guard let source = block.channel(c).baseAddress else { continue }
            var out = destination + c * bytesPerSample
            for i in start..<(start + frameCount) {
                store(source[i], out)
                out += frameBytes
            }
        }
    }

    /// Scales, rounds, clips and counts as the type describes, then `store`s each integer.
    ///
    /// Per channel, in chunks of 256 samples: a branch-free pass computes the integers into a stack scratch (in C,
    /// `scrim_vector_quantize`, so AVX2 and AVX-512 machines run it 4 or 8 doubles wide), then `store` packs them. The rounded integer is read from the low bits of
    /// `x·2^(bits−1) + 1.5·2⁵²` (the sum's unit is 1, so its mantissa holds 2⁵¹ + n), which needs no
    /// float-to-integer conversion and so no range check per sample.
    @inline(__always)
    private func encodeIntegers(
        _ block: AudioBlock, from start: Int, frameCount: Int, into destination: UnsafeMutableRawPointer,
        _ store: (Int32, UnsafeMutableRawPointer) -> Void
    ) -> (clipped: Int, nonFinite: Int) {
        let (scale, minimum, maximum) = Self.integerRange(format)
        let lowest = Int32(minimum), highest = Int32(maximum)
        let frameBytes = block.channelCount * bytesPerSample
        let chunk = 256
        var clipped: Int64 = 0
        var nonFinite: Int64 = 0
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: chunk) { scratch in
            guard let integers = scratch.baseAddress else { return }
            for c in 0..<block.channelCount {
                guard let source = block.channel(c).baseAddress else { continue }
                var out = destination + c * bytesPerSample
                var i = start
                while i < start + frameCount {
                    let count = min(chunk, start + frameCount - i)
                    scrim_vector_quantize(source + i, integers, Int64(count), scale, minimum, maximum, lowest, highest,
                                          &clipped, &nonFinite)
                    for j in 0..<count {
                        store(integers[j], out)
                        out += frameBytes
                    }
                    i += count
                }
            }
        }
        return (Int(clipped), Int(nonFinite))
    }

    /// The plain per-sample encoder (`rint` rounding, format switched per sample): the reference
    /// ``encode(_:from:frameCount:into:)`` is tested against.
    func encodeReference(
        _ block: AudioBlock, from start: Int, frameCount: Int, into destination: UnsafeMutableRawPointer
    ) -> (clipped: Int, nonFinite: Int)
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
        return (Int(clipped), Int(nonFinite))
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
                    let value = Self.roundedToNearestEven(Double(x) * scale)
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
        return (Int(clipped), Int(nonFinite))
    }
}
