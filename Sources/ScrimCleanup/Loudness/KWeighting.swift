import Foundation

/// Coefficients of a second-order IIR section, normalised so that a0 = 1:
/// y[n] = b0·x[n] + b1·x[n−1] + b2·x[n−2] − a1·y[n−1] − a2·y[n−2].
public struct BiquadCoefficients: Sendable, Hashable, Codable {
    public var b0: Double
    public var b1: Double
    public var b2: Double
    public var a1: Double
    public var a2: Double

    public init(b0: Double, b1: Double, b2: Double, a1: Double, a2: Double) {
        self.b0 = b0
        self.b1 = b1
        self.b2 = b2
        self.a1 = a1
        self.a2 = a2
    }

    /// The magnitude response at `frequency` hertz for a filter running at `sampleRate`, as a linear gain.
    public func magnitude(atFrequency frequency: Double, sampleRate: Double) -> Double {
        let w = 2 * Double.pi * frequency / sampleRate
        let (c1, s1, c2, s2) = (cos(w), sin(w), cos(2 * w), sin(2 * w))
        let numRe = b0 + b1 * c1 + b2 * c2
        let numIm = -(b1 * s1 + b2 * s2)
        let denRe = 1 + a1 * c1 + a2 * c2
        let denIm = -(a1 * s1 + a2 * s2)
        return ((numRe * numRe + numIm * numIm) / (denRe * denRe + denIm * denIm)).squareRoot()
    }

    /// A second-order Butterworth-style high-pass (bilinear transform with pre-warping, quality factor `q`).
    static func highPass(cutoff: Double, q: Double, sampleRate: Double) -> BiquadCoefficients {
        let k = tan(Double.pi * cutoff / sampleRate)
        let norm = 1 / (1 + k / q + k * k)
        return BiquadCoefficients(b0: norm, b1: -2 * norm, b2: norm,
                                  a1: 2 * (k * k - 1) * norm, a2: (1 - k / q + k * k) * norm)
    }

    /// A second-order Butterworth-style low-pass (bilinear transform with pre-warping, quality factor `q`).
    static func lowPass(cutoff: Double, q: Double, sampleRate: Double) -> BiquadCoefficients {
        let k = tan(Double.pi * cutoff / sampleRate)
        let norm = 1 / (1 + k / q + k * k)
        return BiquadCoefficients(b0: k * k * norm, b1: 2 * k * k * norm, b2: k * k * norm,
                                  a1: 2 * (k * k - 1) * norm, a2: (1 - k / q + k * k) * norm)
    }
}

/// The K-weighting of ITU-R BS.1770-4 §2.1, derived for any sample rate.
///
/// BS.1770-4 gives the two filters of K-weighting only as coefficients at 48 kHz (Table 1, the "pre-filter", a
/// high shelf of about +4 dB modelling the head; Table 2, the "RLB" high-pass). Both are second-order sections
/// that come from analog prototypes by the bilinear transform with pre-warping (K = tan(π·f0/fs)); the prototype
/// parameters below are the widely published fit that reproduces the 48 kHz table to about 1e-14 (the same
/// constants appear in several open meters, e.g. libebur128 and pyloudnorm). Deriving the sections at the stream's own rate keeps the response
/// right at 44.1, 96 or 192 kHz, where reusing the 48 kHz coefficients would shift the shelf and the corner.
public enum KWeighting {
    /// Pre-filter (high shelf) prototype: centre frequency in hertz.
    static let shelfFrequency = 1681.974450955533
    /// Pre-filter shelf gain in decibels (≈ +4 dB).
    static let shelfGainDecibels = 3.999843853973347
    /// Pre-filter quality factor.
    static let shelfQ = 0.7071752369554196
    /// Exponent giving the band gain Vb = Vh^e of the shelf prototype.
    static let shelfBandExponent = 0.4996667741545416
    /// RLB high-pass prototype corner in hertz.
    static let highPassFrequency = 38.13547087602444
    /// RLB high-pass quality factor.
    static let highPassQ = 0.5003270373238773

    /// The loudness offset of BS.1770-4 eq. (2): L = −0.691 + 10·log10(Σ Gi·zi). It makes a 997 Hz–1 kHz sine
    /// at 0 dBFS in one channel read −3.01 LKFS, compensating the +0.691 dB of K-weighting at 1 kHz.
    public static let loudnessOffset = -0.691

    /// The high-shelf pre-filter (BS.1770-4 Table 1 at 48 kHz) for `sampleRate` hertz.
    public static func preFilter(sampleRate: Double) -> BiquadCoefficients {
        let k = tan(Double.pi * shelfFrequency / sampleRate)
        let vh = pow(10, shelfGainDecibels / 20)
        let vb = pow(vh, shelfBandExponent)
        let a0 = 1 + k / shelfQ + k * k
        return BiquadCoefficients(
            b0: (vh + vb * k / shelfQ + k * k) / a0,
            b1: 2 * (k * k - vh) / a0,
            b2: (vh - vb * k / shelfQ + k * k) / a0,
            a1: 2 * (k * k - 1) / a0,
            a2: (1 - k / shelfQ + k * k) / a0)
    }

    /// The RLB high-pass (BS.1770-4 Table 2 at 48 kHz) for `sampleRate` hertz.
    ///
    /// BS.1770-4 tabulates this section with numerator (1, −2, 1), i.e. not normalised to unity gain above the
    /// corner: its pass-band gain at 48 kHz is 1 + K/Q + K² ≈ +0.043 dB, and the −0.691 offset was calibrated
    /// with it. At other rates the same un-normalised numerator would give a slightly different pass-band gain
    /// (+0.047 dB at 44.1 kHz, +0.022 dB at 96 kHz), so the numerator is scaled to keep the 48 kHz pass-band
    /// gain at every rate: at 48 kHz the scale is exactly 1 and the table is reproduced.
    public static func highPass(sampleRate: Double) -> BiquadCoefficients {
        func denominatorNorm(_ rate: Double) -> Double {
            let k = tan(Double.pi * highPassFrequency / rate)
            return 1 + k / highPassQ + k * k
        }
        let k = tan(Double.pi * highPassFrequency / sampleRate)
        let norm = denominatorNorm(sampleRate)
        let passBandScale = sampleRate == 48_000 ? 1 : denominatorNorm(48_000) / norm
        return BiquadCoefficients(
            b0: passBandScale, b1: -2 * passBandScale, b2: passBandScale,
            a1: 2 * (k * k - 1) / norm,
            a2: (1 - k / highPassQ + k * k) / norm)
    }
}

/// State of one transposed-direct-form-II biquad, run in `Double`.
struct BiquadState {
    var z1: Double = 0
    var z2: Double = 0

    @inline(__always)
    mutating func step(_ x: Double, _ c: BiquadCoefficients) -> Double {
        let y = c.b0 * x + z1
        z1 = c.b1 * x - c.a1 * y + z2
        z2 = c.b2 * x - c.a2 * y
        return y
    }
}
