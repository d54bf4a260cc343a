import Foundation

/// A logarithmic frequency axis of `rowCount` rows from `lowestHertz` to `highestHertz` (row 0 at the bottom).
///
/// Row r covers [f_lo·q^r, f_lo·q^(r+1)) with q = (f_hi / f_lo)^(1/rowCount): equal ratios per row, as the ear
/// hears pitch. A frequency f lands in row ⌊rowCount · log(f / f_lo) / log(f_hi / f_lo)⌋.
public struct LogFrequencyAxis: Sendable, Hashable {
    /// The lowest frequency shown: 20 Hz, the customary lower limit of hearing (the lowest one-third-octave band
    /// of ISO 266's audio range). Below it a recording holds rumble and wind, which the picture shows piled into
    /// the bottom row rather than spending a fifth of the height on it.
    public static let defaultLowestHertz = 20.0

    public let lowestHertz: Double
    public let highestHertz: Double
    public let rowCount: Int

    /// - Precondition: 0 < lowestHertz < highestHertz, rowCount ≥ 1.
    public init(lowestHertz: Double = defaultLowestHertz, highestHertz: Double, rowCount: Int) {
        precondition(lowestHertz > 0 && highestHertz > lowestHertz && rowCount >= 1,
                     "LogFrequencyAxis \(lowestHertz)-\(highestHertz) Hz, \(rowCount) rows")
        self.lowestHertz = lowestHertz
        self.highestHertz = highestHertz
        self.rowCount = rowCount
    }

    /// The axis of a sample rate: 20 Hz to Nyquist (at very low rates, Nyquist at least twice the lowest).
    public init(sampleRate: Double, rowCount: Int) {
        self.init(highestHertz: max(2 * Self.defaultLowestHertz, sampleRate / 2), rowCount: rowCount)
    }

    /// The row position of `hertz` as a real number (0 at the bottom edge, rowCount at the top edge).
    public func position(ofHertz hertz: Double) -> Double {
        Double(rowCount) * log(hertz / lowestHertz) / log(highestHertz / lowestHertz)
    }

    /// The row holding `hertz`, or nil outside the axis.
    public func row(ofHertz hertz: Double) -> Int? {
        let p = position(ofHertz: hertz)
        guard p.isFinite, p >= 0, p < Double(rowCount) else { return nil }
        return Int(p)
    }

    /// The frequency at row position `position` (0 … rowCount).
    public func hertz(atPosition position: Double) -> Double {
        lowestHertz * pow(highestHertz / lowestHertz, position / Double(rowCount))
    }

    /// The labelled ticks: 1-2-5 steps per decade (20, 50, 100, 200, 500, 1k, 2k, 5k, 10k, 20k, …) inside the
    /// axis, with their labels ("50", "1k", "20k").
    public var ticks: [(hertz: Double, label: String)] {
        var result: [(Double, String)] = []
        var decade = 10.0
        while decade <= highestHertz {
            for m in [1.0, 2.0, 5.0] {
                let f = decade * m
                if f >= lowestHertz && f <= highestHertz { result.append((f, Self.label(f))) }
            }
            decade *= 10
        }
        return result
    }

    /// "50", "500", "1k", "2.5k", "20k".
    public static func label(_ hertz: Double) -> String {
        if hertz >= 1000 {
            let k = hertz / 1000
            return k == k.rounded() ? "\(Int(k))k" : String(format: "%.1fk", k)
        }
        return hertz == hertz.rounded() ? "\(Int(hertz))" : String(format: "%.1f", hertz)
    }
}
