import CScrimVector
import Foundation

/// Cheap, branch-free approximations of the transcendental functions the noise reducer needs once per bin per
/// hop, and the tabulated MMSE log-spectral-amplitude factor. Written for loops the compiler can vectorise:
/// integer bit manipulation and polynomials only, no library calls.
///
/// The polynomial coefficients were fitted here by least squares on 20 001 points (numpy `lstsq`):
/// `fastLog2` has an absolute error below 3·10⁻⁵ (≈ 0.0002 dB), `fastExp2` a relative error below 3·10⁻⁷.
/// Both assume positive, finite, normal inputs (log) or any finite input (exp, clamped to ±126).
enum DenoiseMath {
    /// log₂(x) for a positive normal `x`: exponent from the IEEE bits plus a degree-5 polynomial in the
    /// mantissa m − 1 ∈ [0, 1). Wrapping integer arithmetic only, so loops over it vectorise.
    @inline(__always)
    static func fastLog2(_ x: Float) -> Float {
        let bits = x.bitPattern
        let exponent = Float(Int32(bitPattern: bits >> 23) &- 127)
        let t = Float(bitPattern: (bits & 0x007F_FFFF) | 0x3F80_0000) - 1
        let p = 0.045_885_53 as Float
        let q = ((((p * t - 0.194_422_67) * t + 0.415_421_95) * t - 0.708_682_1) * t + 1.441_825_8) * t
        return exponent + q
    }

    /// 1.5·2²³: adding it to a float of magnitude < 2²² rounds it to an integer held in the low mantissa bits.
    static let roundingMagic: Float = 12_582_912

    /// 2^x for finite `x` (clamped to −126…126 so the result stays a normal float): x = n + f with n = round(x)
    /// found by the 1.5·2²³ trick (no float-to-int conversion, so no range check and the loop vectorises),
    /// n into the exponent bits, a degree-5 polynomial for 2^f, f ∈ [−½, ½].
    @inline(__always)
    static func fastExp2(_ x: Float) -> Float {
        let clamped = min(max(x, -126), 126)
        let shifted = clamped + roundingMagic
        let whole = shifted - roundingMagic
        let f = clamped - whole
        let n = Int32(bitPattern: shifted.bitPattern) &- Int32(bitPattern: roundingMagic.bitPattern)
        var p = (0.001_339_53 as Float) * f + 0.009_667_25
        p = ((((p * f) + 0.055_503_41) * f + 0.240_223_09) * f + 0.693_147_2) * f + 1
        return Float(bitPattern: UInt32(bitPattern: Int32(bitPattern: p.bitPattern) &+ (n << 23)))
    }

    /// log₂(e), to turn natural exponents into base-2 ones.
    static let log2e: Float = 1.442_695_04

    /// The exponential integral E₁(x) = ∫ₓ^∞ e^(−t)/t dt for x > 0, in double precision (for building tables).
    ///
    /// Power series E₁(x) = −γ − ln x − Σₙ₌₁ (−x)ⁿ/(n·n!) for x ≤ 1, and the continued fraction
    /// E₁(x) = e^(−x) / (x + 1 − 1²/(x + 3 − 2²/(x + 5 − …))) evaluated bottom-up for x > 1
    /// (Abramowitz & Stegun, Handbook of Mathematical Functions, 5.1.11 and 5.1.22).
    static func exponentialIntegral(_ x: Double) -> Double {
        precondition(x > 0, "E1 needs x > 0, got \(x)")
        if x <= 1 {
            let eulerGamma = 0.577_215_664_901_532_9
            var sum = 0.0
            var term = 1.0
            for n in 1...40 {
                term *= -x / Double(n)
                sum += term / Double(n)
            }
            return -eulerGamma - log(x) - sum
        }
        var fraction = x + 2 * 80 + 1
        for n in stride(from: 80, through: 1, by: -1) {
            fraction = x + Double(2 * n - 1) - Double(n * n) / fraction
        }
        return exp(-x) / fraction
    }
}

/// The MMSE log-spectral-amplitude factor ½·E₁(v) in base-2 log units, tabulated against the IEEE bits of v.
///
/// Ephraim & Malah, "Speech enhancement using a minimum mean-square error log-spectral amplitude estimator",
/// IEEE Trans. ASSP 33(2), 1985, eq. (20): G_LSA = ξ/(1+ξ) · exp(½·E₁(v)), v = γ·ξ/(1+ξ). This table returns
/// log₂ exp(½·E₁(v)) = ½·E₁(v)·log₂e so the gain can be mixed in the log domain (OM-LSA).
///
/// Layout: v is clamped to [2⁻¹⁶, 2⁷); the table has 32 segments per octave, indexed by the exponent and the top
/// five mantissa bits, with linear interpolation on the remaining 18 bits (linear in v inside a segment).
/// Above 2⁷ the factor is below 10⁻⁵⁷ and taken as 0. The largest interpolation error, checked in the tests
/// against the double-precision E₁, is below 10⁻³ in log₂ units (0.006 dB).
struct LogSpectralAmplitudeTable: @unchecked Sendable {
    static let shared = LogSpectralAmplitudeTable()

    static let lowestExponent: Int32 = -16
    static let octaves = 23
    static let segmentBits: UInt32 = 5
    static let lowestBits: UInt32 = Float(sign: .plus, exponent: -16, significand: 1).bitPattern
    static let highestValue: Float = Float(sign: .plus, exponent: 7, significand: 1).nextDown
    static let lowestValue: Float = Float(sign: .plus, exponent: -16, significand: 1)

    /// `octaves·32 + 1` entries; entry i is at v with bits `lowestBits + i << 18`.
    let values: UnsafeMutablePointer<Float>
    let count: Int

    private init() {
        count = Self.octaves << Int(Self.segmentBits) + 1
        values = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let shift = 23 - Self.segmentBits
        for i in 0..<count {
            let v = Double(Float(bitPattern: Self.lowestBits + UInt32(i) << shift))
            values[i] = Float(0.5 * DenoiseMath.exponentialIntegral(v) * 1.442_695_040_888_963_4)
        }
    }

    /// ½·E₁(v)·log₂e for v > 0 (clamped to the table's range).
    @inline(__always)
    func halfE1Log2(_ v: Float) -> Float {
        let clamped = min(max(v, Self.lowestValue), Self.highestValue)
        let offset = clamped.bitPattern &- Self.lowestBits
        let shift = 23 - Self.segmentBits
        let index = Int(offset >> shift)
        let fraction = Float(offset & ((1 << shift) - 1)) * (1 / Float(1 << shift))
        let a = values[index]
        let b = values[index + 1]
        return a + (b - a) * fraction
    }

    /// ``halfE1Log2(_:)`` of `count` values at `v` into `result` (which may be `v`), by the C loop the noise
    /// reducer's gain pass uses (`scrim_vector_lsa_lookup`: eight or sixteen lanes with gathers on AVX2 and
    /// AVX-512 machines). It does the operations of the scalar lookup in the same order, so the results are
    /// bit-identical to it (tested).
    func halfE1Log2(_ v: UnsafePointer<Float>, into result: UnsafeMutablePointer<Float>, count: Int) {
        var parameters = gainParameters
        scrim_vector_lsa_lookup(v, result, Int64(count), &parameters)
    }

    /// The table's fields of the C gain loop's parameters (the per-hop fields are left at 0 for the caller).
    var gainParameters: scrim_gain_params {
        var parameters = scrim_gain_params()
        parameters.table = UnsafePointer(values)
        parameters.tableLowest = Self.lowestValue
        parameters.tableHighest = Self.highestValue
        parameters.tableLowestBits = Self.lowestBits
        parameters.tableShift = 23 - Self.segmentBits
        return parameters
    }
}
