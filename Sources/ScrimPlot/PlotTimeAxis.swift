import Foundation

/// How a plot labels time: ticks at round times on the clock the file keeps (timecode, time of day) or on the
/// elapsed time from its first frame.
public struct PlotTimeAxis: Sendable {
    /// Length of the stream in seconds.
    public var durationSeconds: Double
    /// The clock time of the first frame in seconds (seconds since midnight for timecode and time of day; 0 for
    /// elapsed time). Ticks fall on whole multiples of the step on this clock.
    public var originSeconds: Double
    /// What the labels are, under the axis ("timecode 25 fps", "time of day", "elapsed time").
    public var caption: String
    /// The label of a clock time in seconds (origin + elapsed).
    public var label: @Sendable (Double) -> String
    /// The widest label in characters (for spacing the ticks).
    public var labelCharacters: Int
    /// Clock seconds per real second: 1, except for a timecode counted at a whole number of frames per second that
    /// runs at a fractional rate (23.976 or 29.97 non-drop: 24 or 30 labels a second, 1000/1001 of real time), so
    /// that the ticks fall on whole timecode seconds.
    public var clockRate: Double = 1

    public init(durationSeconds: Double, originSeconds: Double, caption: String, labelCharacters: Int,
                label: @escaping @Sendable (Double) -> String) {
        self.durationSeconds = max(0, durationSeconds.isFinite ? durationSeconds : 0)
        self.originSeconds = originSeconds.isFinite ? originSeconds : 0
        self.caption = caption
        self.labelCharacters = labelCharacters
        self.label = label
    }

    /// Elapsed time from the first frame: "2.5 s" steps in a file shorter than a minute, else m:ss (h:mm:ss from
    /// an hour).
    public static func elapsed(durationSeconds: Double) -> PlotTimeAxis {
        let short = durationSeconds < 60
        let long = durationSeconds >= 3600
        return PlotTimeAxis(durationSeconds: durationSeconds, originSeconds: 0,
                            caption: short ? "elapsed time" : long ? "elapsed time (h:mm:ss)" : "elapsed time (m:ss)",
                            labelCharacters: short ? 6 : long ? 7 : 5) { seconds in
            if short {
                let rounded = (seconds * 10).rounded() / 10
                return rounded == rounded.rounded() ? "\(Int(rounded)) s" : String(format: "%.1f s", rounded)
            }
            let whole = Int(seconds.rounded())
            let h = whole / 3600, m = whole / 60 % 60, s = whole % 60
            return long ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m + 60 * h, s)
        }
    }

    /// Tick steps in seconds, from a tenth of a second to six hours.
    static let steps: [Double] = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
                                  10800, 21600]

    /// The ticks for an axis `pixels` wide with labels `labelWidth` pixels wide: the smallest step that leaves
    /// room for every label, ticks at whole multiples of it on the clock.
    /// - Returns: elapsed seconds of each tick and its label.
    public func ticks(pixels: Int, labelWidth: Int) -> [(seconds: Double, label: String)] {
        guard durationSeconds > 0, pixels > 0 else { return [] }
        let room = Double(labelWidth + 24) / Double(pixels) * durationSeconds
        let step = Self.steps.first { $0 >= room } ?? (room / 21600).rounded(.up) * 21600
        var result: [(Double, String)] = []
        var k = (originSeconds / step).rounded(.up)
        let rate = clockRate > 0 && clockRate.isFinite ? clockRate : 1
        while true {
            let clock = k * step
            let elapsed = (clock - originSeconds) / rate
            if elapsed > durationSeconds + 1e-9 || result.count > 1000 { break }
            result.append((elapsed, label(clock)))
            k += 1
        }
        return result
    }
}
