/// Vectorised scans shared by the meters: the largest magnitude in a run of samples.
enum PeakScan {
    /// max(`initial`, |x[0]|, …, |x[count − 1]|), exactly as the scalar loop `peak = max(peak, abs(x))` gives
    /// it: a NaN sample is never taken (every comparison with it is false), and the maximum of finite values does
    /// not depend on the order they are visited in, so the vector result is bit-identical to the scalar one.
    ///
    /// Four 8-lane accumulators hide the latency of the compare; the tail runs scalar. No allocation.
    /// - Parameters:
    ///   - samples: the first sample (any alignment).
    ///   - count: samples to scan (≥ 0).
    ///   - initial: the running peak to raise (≥ 0, not NaN).
    @inline(__always)
    static func magnitudeMax(_ samples: UnsafePointer<Float>, count: Int, initial: Float = 0) -> Float {
        let raw = UnsafeRawPointer(samples)
        let lanes = SIMD8<Float>.scalarCount
        var i = 0
        var peak = initial
        if count >= 4 * lanes {
            var m0 = SIMD8<Float>(repeating: initial)
            var m1 = m0, m2 = m0, m3 = m0
            while i + 4 * lanes <= count {
                m0 = raise(m0, raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self))
                m1 = raise(m1, raw.loadUnaligned(fromByteOffset: (i + lanes) * 4, as: SIMD8<Float>.self))
                m2 = raise(m2, raw.loadUnaligned(fromByteOffset: (i + 2 * lanes) * 4, as: SIMD8<Float>.self))
                m3 = raise(m3, raw.loadUnaligned(fromByteOffset: (i + 3 * lanes) * 4, as: SIMD8<Float>.self))
                i += 4 * lanes
            }
            peak = raise(raise(m0, m1), raise(m2, m3)).max()
        }
        while i < count {
            let x = abs(samples[i])
            if x > peak { peak = x }
            i += 1
        }
        return peak
    }

    /// Lane-wise max(`peak`, |x|) with NaN lanes of `x` ignored (compare-and-select: a NaN compares false).
    /// |x| clears the sign bit, exactly as scalar `abs` does (one AND instead of a compare and a select).
    @inline(__always)
    static func raise(_ peak: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> {
        let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self) & SIMD8(repeating: 0x7fff_ffff)
        let magnitude = unsafeBitCast(bits, to: SIMD8<Float>.self)
        return peak.replacing(with: magnitude, where: magnitude .> peak)
    }
}
