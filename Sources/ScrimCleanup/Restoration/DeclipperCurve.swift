import Foundation
import ScrimCore

/// A memoryless saturating curve y = L · f(x / L) that soft clipping put on a channel, found by
/// ``SaturationCurveEstimator`` and undone by ``Declipper``.
///
/// Shapes (each with unit slope at 0 and the asymptote ±L, the *ceiling*): `tanh`, f(u) = tanh u (the usual
/// converter/preamp/tape model), and `arctan`, f(u) = (2/π) atan(πu/2) (a softer knee, slower to its ceiling).
/// Both are strictly increasing, so x = L · f⁻¹(y / L) undoes them where y is known precisely. Near the ceiling
/// the slope f′ falls towards 0 and the inverse amplifies the input's rounding; ``restore(_:)`` therefore stops at
/// the level the curve reaches for an input 3 dB above the estimated drive (``maximumInput``): samples beyond
/// it are set there (the flat top keeps its sign and its estimated height, not more).
public struct SaturationCurve: Sendable, Hashable {
    /// The curve's shape.
    public enum Shape: String, Sendable, Hashable, CaseIterable {
        case tanh
        case arctan
    }

    /// The shape.
    public var shape: Shape
    /// The asymptote L (linear, > 0).
    public var ceiling: Float
    /// How far the restored peak lies above the ceiling, in dB (the drive into the curve): 20 log10(x_peak / L).
    public var driveDecibels: Double
    /// The evidence: how much the curve's inverse lowered the linear-prediction error of the loudest frames, in dB
    /// (see ``SaturationCurveEstimator``).
    public var evidenceDecibels: Double

    /// Creates a curve.
    public init(shape: Shape, ceiling: Float, driveDecibels: Double, evidenceDecibels: Double = 0) {
        self.shape = shape
        self.ceiling = ceiling
        self.driveDecibels = driveDecibels
        self.evidenceDecibels = evidenceDecibels
    }

    /// f(u) for `shape`.
    public static func forward(_ shape: Shape, _ u: Double) -> Double {
        switch shape {
        case .tanh: return Foundation.tanh(u)
        case .arctan: return 2 / Double.pi * atan(Double.pi / 2 * u)
        }
    }

    /// f⁻¹(v) for `shape`, |v| < 1.
    public static func inverse(_ shape: Shape, _ v: Double) -> Double {
        switch shape {
        case .tanh: return atanh(v)
        case .arctan: return 2 / Double.pi * tan(Double.pi / 2 * v)
        }
    }

    /// The largest input the inverse returns, in units of the ceiling: 3 dB above the estimated drive.
    public var maximumInput: Double { pow(10, (driveDecibels + 3) / 20) }

    /// The curve's *knee* (linear): the output level where the curve lies 1 dB under the straight line y = x.
    /// Reported as the clip level, and the level above which samples count as restored runs.
    public var knee: Float {
        // f(u)/u falls monotonically from 1; bisect for f(u)/u = 10^(−1/20).
        let target = pow(10, -1.0 / 20)
        var low = 0.0, high = 20.0
        for _ in 0..<60 {
            let mid = (low + high) / 2
            if Self.forward(shape, mid) / mid > target { low = mid } else { high = mid }
        }
        return Float(Double(ceiling) * Self.forward(shape, low))
    }

    /// The sample before the curve: L · f⁻¹(y / L), limited to ±L · ``maximumInput``.
    @inline(__always)
    public func restore(_ y: Float) -> Float {
        let limit = Self.forward(shape, maximumInput)
        let v = Double(y) / Double(ceiling)
        let clamped = min(limit, max(-limit, v))
        return Float(Double(ceiling) * Self.inverse(shape, clamped))
    }
}

/// Finds the saturating curve a channel went through, from its loudest frames.
///
/// Method. A saturating curve adds harmonics to every loud stretch: the signal becomes less predictable from its
/// own past. For each candidate (shape, drive) the loudest frames are mapped back through the candidate's inverse,
/// and the linear-prediction error of each (order 16, Hann window, autocorrelation method, Levinson recursion) is
/// taken relative to its energy; the candidate with the lowest mean of that ratio in dB wins, if it beats the
/// frames as they are (the identity) by at least ``minimumEvidenceDecibels``. The drive (the original peak over
/// the ceiling) runs from −6 to 24 dB: a coarse grid in 3 dB steps, then 0.5 and 0.25 dB steps around the best.
/// The ceiling follows from the drive and the observed peak: L = peak / f(10^(drive/20)).
///
/// Measured in numpy on six utterances (five synthetic voices, one real), loudest 48 frames of 1024 samples,
/// tanh and arctan at L = −1 dBFS, 1/3/15 dB over: the search found the true shape in 36 of 36 cases and the true
/// drive exactly on the synthetic voices, 1 dB low in 4 of 6 on the real one (1 and 3 dB called 0 and 2); the evidence was 2.2–31.8 dB on
/// the synthetic voices, 0.13–7.8 dB on the real one; on the six clean utterances no candidate lowered the error at
/// all (evidence 0.0 dB).
enum SaturationCurveEstimator {
    /// The least evidence that makes a channel soft-clipped: 0.1 dB (clean speech: 0.0 dB; the real voice through
    /// tanh 1 dB over: 0.13 dB).
    static let minimumEvidenceDecibels = 0.1
    static let predictionOrder = 16

    /// The best curve for `frames` (each `frameLength` samples), whose loudest sample is `peak`; nil when none
    /// beats the identity by ``minimumEvidenceDecibels``. Allocates (called once per channel, after the pass).
    static func estimate(frames: [[Float]], peak: Float) -> SaturationCurve? {
        guard peak > 0, let length = frames.first?.count, length > 4 * predictionOrder else { return nil }
        let window = (0..<length).map { 0.5 - 0.5 * cos(2 * Double.pi * (Double($0) + 0.5) / Double(length)) }
        var mapped = [Double](repeating: 0, count: length)
        func score(_ map: (Float) -> Double) -> Double {
            var total = 0.0
            var counted = 0
            for frame in frames {
                for i in 0..<length { mapped[i] = map(frame[i]) * window[i] }
                if let error = predictionErrorDecibels(mapped) {
                    total += error
                    counted += 1
                }
            }
            return counted > 0 ? total / Double(counted) : 0
        }
        let identity = score { Double($0) }
        var best: (score: Double, shape: SaturationCurve.Shape, drive: Double)?
        for shape in SaturationCurve.Shape.allCases {
            func evaluate(_ drive: Double) -> Double {
                let reach = SaturationCurve.forward(shape, pow(10, drive / 20))
                let ceiling = Double(peak) / reach
                let limit = min(reach * (1 + 1e-6), 1 - 1e-9)
                return score { y in
                    let v = min(limit, max(-limit, Double(y) / ceiling))
                    return ceiling * SaturationCurve.inverse(shape, v)
                }
            }
            var drive = -6.0
            var lowest = Double.infinity
            for candidate in stride(from: -6.0, through: 24.0, by: 3) {
                let s = evaluate(candidate)
                if s < lowest { lowest = s; drive = candidate }
            }
            for step in [1.0, 0.5, 0.25] {
                let centre = drive
                for candidate in [centre - step, centre + step] where candidate >= -6 && candidate <= 24 {
                    let s = evaluate(candidate)
                    if s < lowest { lowest = s; drive = candidate }
                }
            }
            if lowest < best?.score ?? .infinity { best = (lowest, shape, drive) }
        }
        guard let best, identity - best.score >= minimumEvidenceDecibels else { return nil }
        let ceiling = Double(peak) / SaturationCurve.forward(best.shape, pow(10, best.drive / 20))
        return SaturationCurve(shape: best.shape, ceiling: Float(ceiling), driveDecibels: best.drive,
                               evidenceDecibels: identity - best.score)
    }

    /// 10 log10(prediction error / energy) of a windowed frame at ``predictionOrder`` (nil for silence).
    private static func predictionErrorDecibels(_ x: [Double]) -> Double? {
        let p = predictionOrder
        var r = [Double](repeating: 0, count: p + 1)
        x.withUnsafeBufferPointer { s in
            for k in 0...p {
                var sum = 0.0
                for i in k..<s.count { sum += s[i] * s[i - k] }
                r[k] = sum
            }
        }
        guard r[0] > 0, r[0].isFinite else { return nil }
        var a = [Double](repeating: 0, count: p + 1)
        var previous = a
        a[0] = 1
        var error = r[0] * (1 + 1e-9)
        for i in 1...p {
            var acc = r[i]
            for j in 1..<i { acc += a[j] * r[i - j] }
            let k = -acc / error
            previous = a
            for j in 1..<i { a[j] = previous[j] + k * previous[i - j] }
            a[i] = k
            error *= max(1 - k * k, 1e-12)
        }
        return 10 * log10(error / r[0])
    }
}
