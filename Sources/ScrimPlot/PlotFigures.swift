import Foundation
import ScrimCore

/// A drawn picture: the canvas, where its text and panels are (for checks and tests), and its colour scale.
public struct PlotPicture: Sendable {
    /// A label as drawn: its text and the box its glyph cells occupy.
    public struct Label: Sendable {
        public var text: String
        public var rect: PlotRect
    }

    public var canvas: PlotCanvas
    /// Every text drawn, in order.
    public var labels: [Label] = []
    /// The spectrogram panels, top to bottom (one per track, or input / output / removed).
    public var spectrogramRects: [PlotRect] = []
    /// The loudness panel, when drawn.
    public var loudnessRect: PlotRect?
    /// The colour scale of the spectrograms: the levels (dBFS) at the bottom and the top of the colour map.
    public var levelRange: ClosedRange<Float> = -100...0
    /// What the picture decided or left out, in words (tracks not shown, tracks drawn as their mean power,
    /// loudness not measured), for the report's warnings: nothing is decided silently.
    public var notes: [String] = []

    /// The picture as PNG bytes.
    /// - Throws: ``ScrimError`` with libpng's message.
    public func png(compression: PNGImage.Compression = .fast) throws(ScrimError) -> [UInt8] {
        try PNGImage.encode(canvas, compression: compression)
    }

    mutating func text(_ string: String, x: Int, y: Int, alignment: PlotCanvas.Alignment = .left,
                       _ color: PlotColor = .text) {
        let rect = canvas.text(string, x: x, y: y, alignment: alignment, scale: PlotLayout.textScale, color)
        labels.append(Label(text: string, rect: rect))
    }
}

/// The fixed measures of Scrim's pictures, in device pixels.
enum PlotLayout {
    /// Font pixels are drawn 2×2: 10×14-pixel glyphs, legible in a report at full size.
    static let textScale = 2
    static let lineHeight = PlotFont.lineHeight * textScale
    static let glyphHeight = PlotFont.glyphHeight * textScale
    static let width = 1400
    static let left = 70
    static let right = 96
    static var plotWidth: Int { width - left - right }
    static let headerHeight = 22
    static let stripHeight = 14
    static let gap = 8
    static let loudnessHeight = 150
    /// The loudness panel's scale, LUFS: −60 (room tone) to 0 (full scale).
    static let loudnessRange: ClosedRange<Float> = -60...0
}

/// Per-track marks drawn under a track's spectrogram.
public struct PlotTrackMarks: Sendable {
    /// The track's name ("1", "1 Boom").
    public var name: String
    /// The track's sample peak over the whole stream, dBFS.
    public var samplePeakDecibels: Float
    /// The sample peak of each time column, dBFS (drawn as a bar under the spectrogram, −60 to 0 dBFS).
    public var columnPeakDecibels: [Float]
    /// The columns that hold a clipped run (drawn as red ticks).
    public var clipColumns: [Int]
    /// Clipped runs found on the track.
    public var clipRunCount: Int

    public init(name: String, samplePeakDecibels: Float, columnPeakDecibels: [Float], clipColumns: [Int],
                clipRunCount: Int) {
        self.name = name
        self.samplePeakDecibels = samplePeakDecibels
        self.columnPeakDecibels = columnPeakDecibels
        self.clipColumns = clipColumns
        self.clipRunCount = clipRunCount
    }
}

/// Momentary and short-term loudness at a fixed step (LUFS; −∞ before a window is complete or in silence).
public struct PlotLoudnessSeries: Sendable {
    public var stepSeconds: Double
    public var momentary: [Float]
    public var shortTerm: [Float]

    public init(stepSeconds: Double, momentary: [Float], shortTerm: [Float]) {
        self.stepSeconds = stepSeconds
        self.momentary = momentary
        self.shortTerm = shortTerm
    }
}

/// The colour scale of a set of spectrograms: the top is the highest level rounded up to 10 dB, the bottom the
/// 2nd percentile of all levels rounded down to 10 dB (so the room tone is dark but visible), the span kept
/// within 60–120 dB.
public func plotLevelRange(_ spectrograms: [Spectrogram]) -> ClosedRange<Float> {
    var values: [Float] = []
    var top: Float = Spectrogram.floorDecibels
    for s in spectrograms {
        for grid in s.levels {
            // A bounded sample for the percentile (every 7th cell).
            var i = 0
            while i < grid.count {
                if grid[i] > Spectrogram.floorDecibels { values.append(grid[i]) }
                i += 7
            }
            if let m = grid.max() { top = max(top, m) }
        }
    }
    guard top > Spectrogram.floorDecibels else { return -100...0 }
    let high = (top / 10).rounded(.up) * 10
    let p2 = values.isEmpty ? high - 100 : smallest(values.count / 50, in: &values)
    let low = min(high - 60, max(high - 120, (p2 / 10).rounded(.down) * 10))
    return low...high
}

/// The `k`-th smallest of `values` (0-based; the value `values.sorted()[k]` has): ``OrderStatistics/select(_:count:rank:)``
/// in linear time on average instead of a sort (the colour scale's percentile; `values` are reordered). Needs no NaN.
/// - Precondition: `0 <= k < values.count`.
func smallest(_ k: Int, in values: inout [Float]) -> Float {
    values.withUnsafeMutableBufferPointer { OrderStatistics.select($0, count: $0.count, rank: k) }
}

/// The analysis picture of one stream: per-track spectrograms on a log-frequency axis with hum harmonics marked,
/// sample-peak and clipping marks under each, the loudness curves, a colour bar and a time axis.
public struct AnalysisFigure: Sendable {
    public var title: String
    /// A second line under the title (format, duration, start time).
    public var subtitle: String
    /// One grid per track (``SpectrogramAnalyzer/Tracks/separate(maximum:)``).
    public var spectrogram: Spectrogram
    /// One entry per grid.
    public var tracks: [PlotTrackMarks]
    public var loudness: PlotLoudnessSeries?
    /// Hum harmonic frequencies to mark on the frequency axis (Hz), and the legend's words for them.
    public var humHertz: [Double]
    public var humLegend: String?
    public var timeAxis: PlotTimeAxis
    /// Lines printed under the title (tracks not shown, etc.).
    public var notes: [String]

    public init(title: String, subtitle: String, spectrogram: Spectrogram, tracks: [PlotTrackMarks],
                loudness: PlotLoudnessSeries?, humHertz: [Double], humLegend: String?, timeAxis: PlotTimeAxis,
                notes: [String] = []) {
        self.title = title
        self.subtitle = subtitle
        self.spectrogram = spectrogram
        self.tracks = tracks
        self.loudness = loudness
        self.humHertz = humHertz
        self.humLegend = humLegend
        self.timeAxis = timeAxis
        self.notes = notes
    }

    /// The panel height a track gets among `trackCount`: 420 px shared, 72–300 px each.
    public static func trackHeight(trackCount: Int) -> Int { min(300, max(72, 420 / max(1, trackCount))) }

    /// Plot columns (the spectrogram's width to ask for).
    public static var columnCount: Int { PlotLayout.plotWidth }

    /// Draws the picture.
    public func render() -> PlotPicture {
        let trackCount = spectrogram.levels.count
        let rows = spectrogram.axis.rowCount
        let notesHeight = notes.count * PlotLayout.lineHeight
        let top = 58 + notesHeight
        let perTrack = PlotLayout.headerHeight + rows + PlotLayout.stripHeight + PlotLayout.gap
        let loudnessBlock = loudness == nil ? 0 : PlotLayout.headerHeight + PlotLayout.loudnessHeight
        let height = top + trackCount * perTrack + loudnessBlock + 58
        var picture = PlotPicture(canvas: PlotCanvas(width: PlotLayout.width, height: height))
        let range = plotLevelRange([spectrogram])
        picture.levelRange = range
        picture.notes = notes
        picture.text(title, x: PlotLayout.left, y: 8)
        picture.text(subtitle, x: PlotLayout.left, y: 32, .frame)
        for (i, note) in notes.enumerated() {
            picture.text(note, x: PlotLayout.left, y: 56 + i * PlotLayout.lineHeight, .clip)
        }
        var y = top
        let x0 = PlotLayout.left
        let w = PlotLayout.plotWidth
        for t in 0..<trackCount {
            let marks = t < tracks.count ? tracks[t] : nil
            var header = "Track " + (marks?.name ?? "\(t + 1)")
            if let marks {
                header += "   sample peak " + decibelText(marks.samplePeakDecibels) + " dBFS"
                header += marks.clipRunCount > 0
                    ? "   clipped runs \(marks.clipRunCount) (red ticks)" : "   no clipped runs"
            }
            if t == 0, let humLegend { header += "   " + humLegend }
            picture.text(header, x: x0, y: y + 4)
            let rect = PlotRect(x: x0, y: y + PlotLayout.headerHeight, width: w, height: rows)
            drawSpectrogram(&picture.canvas, spectrogram, track: t, in: rect, range: range)
            drawFrequencyAxis(&picture, spectrogram.axis, in: rect)
            drawHumMarks(&picture.canvas, humHertz, axis: spectrogram.axis, in: rect, line: true)
            picture.spectrogramRects.append(rect)
            let strip = PlotRect(x: x0, y: rect.maxY + 1, width: w, height: PlotLayout.stripHeight - 2)
            if let marks { drawMarks(&picture.canvas, marks, in: strip) }
            drawTimeTicks(&picture.canvas, in: rect, labelled: false)
            y += perTrack
        }
        let stackTop = top + PlotLayout.headerHeight
        let stackBottom = y - PlotLayout.stripHeight - PlotLayout.gap
        drawColorBar(&picture, range: range,
                     in: PlotRect(x: x0 + w + 14, y: stackTop + 28, width: 14,
                                  height: max(40, min(300, stackBottom - stackTop - 22))))
        var axisRect = PlotRect(x: x0, y: stackTop, width: w, height: max(1, y - stackTop))
        if let loudness {
            picture.text("Loudness, LUFS (EBU Tech 3341):", x: x0, y: y + 4)
            let legendX = x0 + PlotFont.width(of: "Loudness, LUFS (EBU Tech 3341):  ", scale: PlotLayout.textScale)
            picture.canvas.fill(PlotRect(x: legendX, y: y + 10, width: 24, height: 2), .momentary)
            picture.text("momentary 400 ms", x: legendX + 30, y: y + 4)
            let legend2 = legendX + 30 + PlotFont.width(of: "momentary 400 ms   ", scale: PlotLayout.textScale)
            picture.canvas.fill(PlotRect(x: legend2, y: y + 9, width: 24, height: 3), .shortTerm)
            picture.text("short-term 3 s", x: legend2 + 30, y: y + 4)
            let rect = PlotRect(x: x0, y: y + PlotLayout.headerHeight, width: w, height: PlotLayout.loudnessHeight)
            drawLoudness(&picture, loudness, in: rect)
            picture.loudnessRect = rect
            axisRect = rect
            y = rect.maxY
        } else {
            y -= PlotLayout.gap
        }
        drawTimeTicks(&picture.canvas, in: axisRect, labelled: false)
        drawTimeLabels(&picture, below: y, x: x0, width: w)
        return picture
    }

    func drawTimeTicks(_ canvas: inout PlotCanvas, in rect: PlotRect, labelled: Bool) {
        let labelWidth = timeAxis.labelCharacters * PlotFont.advance * PlotLayout.textScale
        for tick in timeAxis.ticks(pixels: rect.width, labelWidth: labelWidth) {
            let px = rect.x + Int((tick.seconds / max(1e-9, timeAxis.durationSeconds) * Double(rect.width)).rounded())
            canvas.verticalLine(x: min(rect.maxX - 1, px), from: rect.maxY - 5, to: rect.maxY - 1, .white)
        }
    }

    func drawTimeLabels(_ picture: inout PlotPicture, below y: Int, x: Int, width: Int) {
        drawTimeAxis(&picture, timeAxis, below: y, x: x, width: width)
    }
}

/// Time ticks and labels under a panel ending at `y`, and the axis caption.
func drawTimeAxis(_ picture: inout PlotPicture, _ axis: PlotTimeAxis, below y: Int, x: Int, width: Int) {
    let labelWidth = axis.labelCharacters * PlotFont.advance * PlotLayout.textScale
    var lastRight = Int.min
    for tick in axis.ticks(pixels: width, labelWidth: labelWidth) {
        let px = x + min(width - 1, Int((tick.seconds / max(1e-9, axis.durationSeconds) * Double(width)).rounded()))
        picture.canvas.verticalLine(x: px, from: y, to: y + 5, .frame)
        let textWidth = PlotFont.width(of: tick.label, scale: PlotLayout.textScale)
        let left = min(x + width - textWidth, max(x - 20, px - textWidth / 2))
        guard left > lastRight + 8 else { continue }
        picture.text(tick.label, x: left, y: y + 9)
        lastRight = left + textWidth
    }
    picture.text(axis.caption, x: x + width, y: y + 9 + PlotLayout.lineHeight, alignment: .right, .frame)
}

/// One spectrogram grid into `rect` (nearest cell when the sizes differ), with a one-pixel frame around it unless
/// `framed` is false.
func drawSpectrogram(_ canvas: inout PlotCanvas, _ spectrogram: Spectrogram, track: Int, in rect: PlotRect,
                     range: ClosedRange<Float>, framed: Bool = true,
                     levels: Int = PlotColorMap.drawnLevels) {
    let map = PlotColorMap.spectrogram
    let rows = spectrogram.axis.rowCount, columns = spectrogram.columnCount
    guard track < spectrogram.levels.count, rect.width > 0, rect.height > 0 else { return }
    let grid = spectrogram.levels[track]
    let span = range.upperBound - range.lowerBound
    // Row by row (the canvas's order), only the pixels inside the canvas, with each pixel's column looked up once:
    // the same colours as setting every pixel through `set`, at a fraction of the cost (this loop is most of the
    // drawing time of a before/after picture).
    let x0 = max(0, rect.x), x1 = min(canvas.width, rect.maxX)
    let y0 = max(0, rect.y), y1 = min(canvas.height, rect.maxY)
    guard x0 < x1, y0 < y1, columns > 0, rows > 0 else { return }
    let offsets = (x0..<x1).map { min(columns - 1, ($0 - rect.x) * columns / rect.width) * rows }
    let width = canvas.width
    // The colour of each level, as PlotColorMap.color(_:levels:) picks it, looked up per pixel (the map's integer
    // division per pixel cost more than the rest of the loop).
    let steps = min(256, max(2, levels)) - 1
    let colors = (0...steps).map { map.color(Float($0) / Float(steps), levels: steps + 1) }
    let scale = span > 0 ? Float(steps) / span : 0, bottom = range.lowerBound, top = Float(steps)
    grid.withUnsafeBufferPointer { grid in
        colors.withUnsafeBufferPointer { colors in
            canvas.withUnsafeMutablePixels { pixels in
                for y in y0..<y1 {
                    let row = min(rows - 1, (rect.height - 1 - (y - rect.y)) * rows / rect.height)
                    var i = 3 * (y * width + x0)
                    for offset in offsets {
                        // NaN fails `>` and lands on 0, as in PlotColorMap.color.
                        var v = (grid[offset + row] - bottom) * scale
                        v = v > 0 ? min(v, top) : 0
                        let color = colors[Int(v + 0.5)]
                        pixels[i] = color.red
                        pixels[i + 1] = color.green
                        pixels[i + 2] = color.blue
                        i += 3
                    }
                }
            }
        }
    }
    if framed {
        canvas.stroke(PlotRect(x: rect.x - 1, y: rect.y - 1, width: rect.width + 2, height: rect.height + 2), .frame)
    }
}

/// Cyan wedges on the frequency axis left of `rect`, pointing in, at the hum harmonics (with a short line into the
/// panel when `line`).
func drawHumMarks(_ canvas: inout PlotCanvas, _ humHertz: [Double], axis: LogFrequencyAxis, in rect: PlotRect,
                  line: Bool) {
    for hertz in humHertz {
        guard let row = axis.row(ofHertz: hertz) else { continue }
        let py = rect.maxY - 1 - row * rect.height / axis.rowCount
        for d in 0..<5 { canvas.verticalLine(x: rect.x - 6 + d, from: py - (4 - d), to: py + (4 - d), .hum) }
        if line { canvas.horizontalLine(y: py, from: rect.x, to: rect.x + 10, .hum) }
    }
}

/// Frequency ticks and labels left of a spectrogram panel: decades first, then 5× and 2× where they fit.
func drawFrequencyAxis(_ picture: inout PlotPicture, _ axis: LogFrequencyAxis, in rect: PlotRect) {
    let ticks = axis.ticks
    func py(_ hertz: Double) -> Int {
        rect.maxY - 1 - min(rect.height - 1, max(0, Int(axis.position(ofHertz: hertz) * Double(rect.height)
                                                          / Double(axis.rowCount))))
    }
    for tick in ticks { picture.canvas.horizontalLine(y: py(tick.hertz), from: rect.x - 5, to: rect.x - 2, .frame) }
    let priority = ticks.sorted { rank($0.hertz) < rank($1.hertz) }
    var placed: [Int] = []
    let room = PlotLayout.glyphHeight + 3
    for tick in priority {
        let y = py(tick.hertz)
        guard placed.allSatisfy({ abs($0 - y) >= room }),
              y - PlotLayout.glyphHeight / 2 >= rect.y - 4, y + PlotLayout.glyphHeight / 2 <= rect.maxY + 4 else {
            continue
        }
        placed.append(y)
        picture.text(tick.label, x: rect.x - 8, y: y - PlotLayout.glyphHeight / 2, alignment: .right)
    }
    picture.text("Hz", x: rect.x - 8, y: rect.y - PlotLayout.lineHeight + 2, alignment: .right, .frame)

    func rank(_ hertz: Double) -> Int {
        let mantissa = hertz / pow(10, log10(hertz).rounded(.down))
        return mantissa < 1.5 ? 0 : mantissa > 4 ? 1 : 2
    }
}

/// The colour bar: the map from the bottom to the top of `range`, labelled every 20 dB (10 dB in a short bar).
func drawColorBar(_ picture: inout PlotPicture, range: ClosedRange<Float>, in rect: PlotRect) {
    let map = PlotColorMap.spectrogram
    for py in 0..<rect.height {
        let fraction = Float(rect.height - 1 - py) / Float(max(1, rect.height - 1))
        picture.canvas.horizontalLine(y: rect.y + py, from: rect.x, to: rect.maxX - 1, map.color(fraction))
    }
    picture.canvas.stroke(PlotRect(x: rect.x - 1, y: rect.y - 1, width: rect.width + 2, height: rect.height + 2),
                          .frame)
    picture.text("dBFS", x: rect.x - 4, y: rect.y - PlotLayout.lineHeight - 8, .frame)
    let span = range.upperBound - range.lowerBound
    let step: Float = Float(rect.height) / span * 20 >= Float(PlotLayout.lineHeight) ? 20 : 40
    var level = range.upperBound
    while level >= range.lowerBound - 0.01 {
        let py = rect.y + Int(((range.upperBound - level) / span * Float(rect.height - 1)).rounded())
        picture.canvas.horizontalLine(y: py, from: rect.maxX, to: rect.maxX + 3, .frame)
        picture.text(decibelText(level, places: 0), x: rect.maxX + 6, y: py - PlotLayout.glyphHeight / 2)
        level -= step
    }
}

/// The marks under a track: each column's sample peak as a grey bar (−60 to 0 dBFS), red ticks at clipped runs.
func drawMarks(_ canvas: inout PlotCanvas, _ marks: PlotTrackMarks, in rect: PlotRect) {
    canvas.fill(rect, PlotColor(hex: 0xF2F2F2))
    let columns = marks.columnPeakDecibels.count
    if columns > 0 {
        for px in 0..<rect.width {
            let peak = marks.columnPeakDecibels[min(columns - 1, px * columns / rect.width)]
            guard peak.isFinite, peak > -60 else { continue }
            let bar = Int(((peak + 60) / 60 * Float(rect.height)).rounded())
            canvas.verticalLine(x: rect.x + px, from: rect.maxY - 1, to: rect.maxY - max(1, min(rect.height, bar)),
                                .peak)
        }
    }
    for column in marks.clipColumns where columns > 0 {
        let px = rect.x + column * rect.width / max(1, columns)
        canvas.fill(PlotRect(x: px, y: rect.y - 2, width: 2, height: rect.height + 2), .clip)
    }
}

/// The loudness panel: a grid every 10 LU, the momentary curve (light) and the short-term curve (dark, 2 px).
func drawLoudness(_ picture: inout PlotPicture, _ series: PlotLoudnessSeries, in rect: PlotRect) {
    let range = PlotLayout.loudnessRange
    func py(_ lufs: Float) -> Int {
        let clamped = min(range.upperBound, max(range.lowerBound, lufs))
        return rect.y + Int(((range.upperBound - clamped) / (range.upperBound - range.lowerBound)
                             * Float(rect.height - 1)).rounded())
    }
    var level = range.upperBound
    while level >= range.lowerBound {
        let y = py(level)
        picture.canvas.horizontalLine(y: y, from: rect.x, to: rect.maxX - 1, level == -23 ? .frame : .grid)
        picture.canvas.horizontalLine(y: y, from: rect.x - 5, to: rect.x - 2, .frame)
        picture.text(decibelText(level, places: 0), x: rect.x - 8, y: y - PlotLayout.glyphHeight / 2,
                     alignment: .right)
        level -= 10
    }
    picture.canvas.stroke(PlotRect(x: rect.x - 1, y: rect.y - 1, width: rect.width + 2, height: rect.height + 2),
                          .frame)
    let duration = series.stepSeconds * Double(max(series.momentary.count, series.shortTerm.count))
    for (values, color, thick) in [(series.momentary, PlotColor.momentary, false),
                                   (series.shortTerm, PlotColor.shortTerm, true)] {
        guard !values.isEmpty, duration > 0 else { continue }
        var previous: (x: Int, y: Int)?
        for px in 0..<rect.width {
            // The loudest value in the column's time span (or the nearest one when the span is shorter).
            let from = Int(Double(px) / Double(rect.width) * Double(values.count))
            let to = max(from + 1, Int(Double(px + 1) / Double(rect.width) * Double(values.count)))
            var m = -Float.infinity
            for i in from..<min(values.count, to) { m = max(m, values[i]) }
            guard m.isFinite, m > range.lowerBound - 20 else {
                previous = nil
                continue
            }
            let point = (x: rect.x + px, y: py(m))
            if let previous {
                picture.canvas.line(from: previous, to: point, color)
                if thick { picture.canvas.line(from: (previous.x, previous.y + 1), to: (point.x, point.y + 1), color) }
            } else {
                picture.canvas.set(x: point.x, y: point.y, color)
            }
            previous = point
        }
    }
}

/// "−3.2" style for labels ("-inf" for −∞).
func decibelText(_ value: Float, places: Int = 1) -> String {
    guard value.isFinite else { return value < 0 ? "-inf" : "inf" }
    return String(format: "%.\(places)f", Double(value))
}

/// Before and after: spectrogram panels (input, output, what was removed) on one colour scale, one time axis.
public struct ComparisonFigure: Sendable {
    public var title: String
    public var subtitle: String
    /// The panels top to bottom: a label and a one-grid spectrogram each.
    public var panels: [(label: String, spectrogram: Spectrogram)]
    public var humHertz: [Double]
    public var timeAxis: PlotTimeAxis

    public init(title: String, subtitle: String, panels: [(label: String, spectrogram: Spectrogram)],
                humHertz: [Double] = [], timeAxis: PlotTimeAxis) {
        self.title = title
        self.subtitle = subtitle
        self.panels = panels
        self.humHertz = humHertz
        self.timeAxis = timeAxis
    }

    /// Rows per panel.
    public static let panelHeight = 220
    /// Plot columns (the spectrogram's width to ask for).
    public static var columnCount: Int { PlotLayout.plotWidth }

    public func render() -> PlotPicture {
        let top = 58
        let perPanel = PlotLayout.headerHeight + Self.panelHeight + PlotLayout.gap
        let height = top + panels.count * perPanel + 50
        var picture = PlotPicture(canvas: PlotCanvas(width: PlotLayout.width, height: height))
        // One scale for all panels, from the input's and output's levels (the removed signal is below them).
        let range = plotLevelRange(panels.prefix(2).map(\.spectrogram))
        picture.levelRange = range
        picture.text(title, x: PlotLayout.left, y: 8)
        picture.text(subtitle, x: PlotLayout.left, y: 32, .frame)
        var y = top
        let x0 = PlotLayout.left, w = PlotLayout.plotWidth
        for panel in panels {
            picture.text(panel.label, x: x0, y: y + 4)
            let rect = PlotRect(x: x0, y: y + PlotLayout.headerHeight, width: w, height: Self.panelHeight)
            drawSpectrogram(&picture.canvas, panel.spectrogram, track: 0, in: rect, range: range)
            drawFrequencyAxis(&picture, panel.spectrogram.axis, in: rect)
            drawHumMarks(&picture.canvas, humHertz, axis: panel.spectrogram.axis, in: rect, line: false)
            picture.spectrogramRects.append(rect)
            y = rect.maxY + PlotLayout.gap
        }
        let first = picture.spectrogramRects.first?.y ?? top
        drawColorBar(&picture, range: range,
                     in: PlotRect(x: x0 + w + 14, y: first + 28, width: 14, height: min(300, max(40, y - first - 40))))
        drawTimeAxis(&picture, timeAxis, below: y - PlotLayout.gap + 1, x: x0, width: w)
        return picture
    }
}

/// A small picture for reports: spectrograms stacked (input above output), no text, one colour scale, a one-pixel
/// grey line between them; drawn with ``levels`` colour levels (64: 1.6 dB steps on a 100 dB scale, finer than a
/// 200-pixel thumbnail shows) and stored at zlib's smallest setting, which makes its PNG about a third smaller than
/// with the full pictures' 224 levels (measured on the samples' thumbnails: 17.5 KB → 11 KB): a day report embeds
/// a thousand of them.
public enum ThumbnailFigure {
    /// Colour levels of a thumbnail.
    public static let levels = 64

    /// Draws `spectrograms` (one grid each) stacked into `width × height` pixels.
    public static func render(_ spectrograms: [Spectrogram], width: Int, height: Int) -> PlotPicture {
        var picture = PlotPicture(canvas: PlotCanvas(width: max(1, width), height: max(1, height)))
        let count = max(1, spectrograms.count)
        let range = plotLevelRange(spectrograms)
        picture.levelRange = range
        let panelHeight = max(1, (height - (count - 1)) / count)
        for (i, s) in spectrograms.enumerated() {
            let rect = PlotRect(x: 0, y: i * (panelHeight + 1), width: width, height: panelHeight)
            drawSpectrogram(&picture.canvas, s, track: 0, in: rect, range: range, framed: false, levels: levels)
            picture.spectrogramRects.append(rect)
            if i > 0 { picture.canvas.horizontalLine(y: rect.y - 1, from: 0, to: width - 1, .frame) }
        }
        return picture
    }
}
