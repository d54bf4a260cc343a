import Foundation
import ScrimCore
@testable import ScrimPlot
import Testing

/// Feeds `channels` to an analyzer in blocks of `blockFrames`.
func feed(_ analyzer: any AudioAnalyzer, _ channels: [[Float]], sampleRate: Double, blockFrames: Int = 4096) throws {
    let frames = channels[0].count
    try analyzer.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: channels.count,
                                          maximumBlockFrames: blockFrames))
    let buffer = AudioBuffer(channels: channels)
    var start = 0
    while start < frames {
        let count = min(blockFrames, frames - start)
        buffer.withBlock { analyzer.analyze($0.slice(from: start, count: count)) }
        start += count
    }
}

func sine(_ hertz: Double, amplitude: Double, frames: Int, sampleRate: Double) -> [Float] {
    (0..<frames).map { Float(amplitude * sin(2 * Double.pi * hertz * Double($0) / sampleRate)) }
}

/// The row with the highest OKLab lightness in column `x` of a decoded picture, inside `rect` but above its
/// bottom 5 rows (where the time ticks are drawn in white).
func brightestRow(_ image: PNGImage.Decoded, x: Int, in rect: PlotRect) -> Int {
    var best = rect.y, bestL = -1.0
    for y in rect.y..<(rect.maxY - 5) {
        let l = PlotColorMap.oklabLightness(image.color(x: x, y: y))
        if l > bestL { bestL = l; best = y }
    }
    return best
}

@Suite struct ScrimPlotTests {
    @Test func pngRoundTripKeepsSizeAndPixels() throws {
        var canvas = PlotCanvas(width: 37, height: 11)
        canvas.fill(PlotRect(x: 3, y: 2, width: 5, height: 4), PlotColor(hex: 0x12_34_56))
        canvas.set(x: 36, y: 10, PlotColor(hex: 0xFE_DC_BA))
        let bytes = try PNGImage.encode(canvas)
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let decoded = try PNGImage.decode(bytes)
        #expect(decoded.width == 37 && decoded.height == 11)
        #expect(decoded.rgb == canvas.pixels)
        #expect(decoded.color(x: 4, y: 3) == PlotColor(hex: 0x12_34_56))
    }

    /// The palette writer (zlib level 1, run-length strategy) on its worst case: 256 colours in a pseudo-random
    /// order, which deflate cannot shrink, so the PNG is larger than the pixels and must still fit the writer's
    /// allowance; and 257 colours, which take the RGB path. Both decode to the same pixels.
    @Test func incompressibleAndManyColourPicturesRoundTrip() throws {
        for colours in [256, 257] {
            var canvas = PlotCanvas(width: 301, height: 157)
            var state: UInt32 = 12345
            for y in 0..<canvas.height {
                for x in 0..<canvas.width {
                    state = state &* 1_664_525 &+ 1_013_904_223
                    let c = UInt32((state >> 8) % UInt32(colours))
                    canvas.set(x: x, y: y, PlotColor(red: UInt8(c & 0xFF), green: UInt8(c >> 8), blue: 7))
                }
            }
            let bytes = try PNGImage.encode(canvas)
            let decoded = try PNGImage.decode(bytes)
            #expect(decoded.width == 301 && decoded.height == 157)
            #expect(decoded.rgb == canvas.pixels, "\(colours) colours")
        }
    }

    @Test func decodingGarbageIsAnErrorNotATrap() {
        #expect(throws: ScrimError.self) { try PNGImage.decode(Array("not a png at all".utf8)) }
        #expect(throws: ScrimError.self) { try PNGImage.decode([]) }
        // A real header cut short.
        let bytes = (try? PNGImage.encode(PlotCanvas(width: 50, height: 50))) ?? []
        #expect(throws: ScrimError.self) { try PNGImage.decode(Array(bytes.prefix(40))) }
    }

    /// Lightness must rise with level, or a quieter cell could look louder. Strictly increasing over the 256-entry
    /// table in OKLab L (cubehelix's own brightness is linear in λ; clipping to the cube could break it, and the
    /// chosen parameters do not clip enough to).
    @Test func colorMapIsMonotoneInLightness() {
        let lightness = PlotColorMap.spectrogram.table.map(PlotColorMap.oklabLightness)
        for i in 1..<lightness.count {
            #expect(lightness[i] > lightness[i - 1], "L[\(i)] \(lightness[i]) <= L[\(i - 1)] \(lightness[i - 1])")
        }
        #expect(lightness.first ?? 1 < 0.05 && lightness.last ?? 0 > 0.95)
    }

    /// A bin-centred full-scale sine reads 0 dBFS in its row (the scaling |X|²·4/(Σw)²), within 0.1 dB (Float
    /// rounding of the window sum and the FFT).
    @Test func fullScaleSineReadsZeroDecibels() throws {
        let rate = 48_000.0
        let n = SpectrogramAnalyzer.fftSize(sampleRate: rate)
        let hertz = 171 * rate / Double(n)  // bin 171, about 1002 Hz
        let analyzer = SpectrogramAnalyzer(frameCount: 96_000, columnCount: 20, rowCount: 300, tracks: .mixed)
        try feed(analyzer, [sine(hertz, amplitude: 1, frames: 96_000, sampleRate: rate)], sampleRate: rate)
        let s = analyzer.spectrogram
        let row = try #require(s.axis.row(ofHertz: hertz))
        for column in 0..<20 { #expect(abs(s.level(track: 0, column: column, row: row)) < 0.1) }
    }

    /// Tolerance in rows of a tone's brightest row: the Blackman–Harris main lobe reaches ±4 bins (Harris 1978), so
    /// the highest bin lies within the rows that ±4·fs/N Hz spans on the log axis around the tone; one row more for
    /// the pixel rounding.
    static func toleranceRows(_ hertz: Double, axis: LogFrequencyAxis, sampleRate: Double) -> Int {
        let lobe = 4 * sampleRate / Double(SpectrogramAnalyzer.fftSize(sampleRate: sampleRate))
        let spread = max(axis.position(ofHertz: hertz + lobe) - axis.position(ofHertz: hertz),
                         axis.position(ofHertz: hertz) - axis.position(ofHertz: hertz - lobe))
        return Int(spread.rounded(.up)) + 1
    }

    /// 1 kHz on track 1 and 150 Hz on track 2 (48 kHz): drawn, encoded, decoded; in the middle of each panel the
    /// brightest pixel row is where the log axis puts the tone.
    @Test(arguments: [(1000.0, 150.0), (5000.0, 63.0)])
    func toneLandsOnItsRow(tones: (Double, Double)) throws {
        let rate = 48_000.0, frames = 5 * 48_000
        let channels = [sine(tones.0, amplitude: 0.5, frames: frames, sampleRate: rate),
                        sine(tones.1, amplitude: 0.5, frames: frames, sampleRate: rate)]
        let rows = AnalysisFigure.trackHeight(trackCount: 2)
        let analyzer = SpectrogramAnalyzer(frameCount: frames, columnCount: AnalysisFigure.columnCount,
                                           rowCount: rows, tracks: .separate(maximum: 16))
        try feed(analyzer, channels, sampleRate: rate, blockFrames: 1000)
        let figure = AnalysisFigure(title: "tones", subtitle: "test", spectrogram: analyzer.spectrogram, tracks: [],
                                    loudness: nil, humHertz: [], humLegend: nil,
                                    timeAxis: .elapsed(durationSeconds: 5))
        let picture = figure.render()
        let image = try PNGImage.decode(try picture.png())
        #expect(image.width == picture.canvas.width && image.height == picture.canvas.height)
        #expect(picture.spectrogramRects.count == 2)
        let axis = analyzer.spectrogram.axis
        for (track, hertz) in [tones.0, tones.1].enumerated() {
            let rect = picture.spectrogramRects[track]
            let expected = rect.maxY - 1 - (try #require(axis.row(ofHertz: hertz)))
            let tolerance = Self.toleranceRows(hertz, axis: axis, sampleRate: rate)
            for x in [rect.x + rect.width / 3, rect.x + rect.width / 2] {
                let found = brightestRow(image, x: x, in: rect)
                #expect(abs(found - expected) <= tolerance,
                        "\(hertz) Hz: brightest row \(found), axis row \(expected), tolerance \(tolerance)")
            }
        }
    }

    /// Every label drawn has ink inside its box in the decoded PNG (and the frequency ticks include 1k and 10k).
    @Test func labelsHaveInk() throws {
        let rate = 48_000.0, frames = 48_000
        let analyzer = SpectrogramAnalyzer(frameCount: frames, columnCount: AnalysisFigure.columnCount,
                                           rowCount: 300, tracks: .separate(maximum: 16))
        try feed(analyzer, [sine(440, amplitude: 0.1, frames: frames, sampleRate: rate)], sampleRate: rate)
        let marks = PlotTrackMarks(name: "1 BOOM", samplePeakDecibels: -20, columnPeakDecibels: [-20, -20],
                                   clipColumns: [1], clipRunCount: 1)
        let loudness = PlotLoudnessSeries(stepSeconds: 0.1, momentary: [Float](repeating: -30, count: 10),
                                          shortTerm: [Float](repeating: -31, count: 10))
        let picture = AnalysisFigure(title: "Scrim {test} ~ 0123456789", subtitle: "abc xyz", spectrogram:
                                        analyzer.spectrogram, tracks: [marks], loudness: loudness,
                                     humHertz: [50, 100], humLegend: "hum 50.00 Hz",
                                     timeAxis: .elapsed(durationSeconds: 1)).render()
        let image = try PNGImage.decode(try picture.png())
        let texts = picture.labels.map(\.text)
        #expect(texts.contains("1k") && texts.contains("10k") && texts.contains("dBFS"))
        #expect(texts.contains { $0.contains("1 BOOM") })
        for label in picture.labels where label.text.contains(where: { $0 != " " }) {
            var ink = 0
            for y in max(0, label.rect.y)..<min(image.height, label.rect.maxY) {
                for x in max(0, label.rect.x)..<min(image.width, label.rect.maxX)
                where image.color(x: x, y: y) != PlotColor.background { ink += 1 }
            }
            #expect(ink > 0, "no ink in the box of \"\(label.text)\"")
        }
    }

    /// The font: every printable character but space has ink, and no two glyphs are the same.
    @Test func glyphsAreDistinct() {
        var seen: [[UInt8]: Character] = [:]
        for code in UInt8(33)...UInt8(126) {
            var canvas = PlotCanvas(width: 8, height: 10)
            canvas.text(String(UnicodeScalar(code)), x: 0, y: 0)
            #expect(canvas.pixels.contains { $0 != 255 }, "glyph \(code) is empty")
            let glyph = canvas.pixels
            #expect(seen[glyph] == nil, "glyph \(UnicodeScalar(code)) equals \(seen[glyph] ?? " ")")
            seen[glyph] = Character(UnicodeScalar(code))
        }
    }

    /// Log axis ticks: 1-2-5 from 20 Hz to Nyquist, labelled as the issue asks.
    @Test func frequencyTicks() {
        let axis = LogFrequencyAxis(sampleRate: 48_000, rowCount: 300)
        #expect(axis.ticks.map(\.label) == ["20", "50", "100", "200", "500", "1k", "2k", "5k", "10k", "20k"])
        let low = LogFrequencyAxis(sampleRate: 8_000, rowCount: 100)
        #expect(low.ticks.last?.label == "2k")
        #expect(axis.row(ofHertz: 19) == nil && axis.row(ofHertz: 24_000) == nil && axis.row(ofHertz: 20) == 0)
    }

    /// Elapsed-time ticks fall on round steps and fit the width.
    @Test func elapsedTicks() {
        let axis = PlotTimeAxis.elapsed(durationSeconds: 600)
        let ticks = axis.ticks(pixels: 1234, labelWidth: 60)
        #expect(ticks.first?.label == "0:00")
        #expect(ticks.count >= 5 && ticks.count <= 15)
        let step = ticks[1].seconds - ticks[0].seconds
        #expect([30.0, 60, 120].contains(step))
    }

    /// The cost bound: transforms per column never exceed the cap, so a long stream is analysed with as many FFTs
    /// as a short one (checked through the result being complete: every column filled).
    @Test func longStreamFillsEveryColumn() throws {
        let rate = 8_000.0, frames = 8_000 * 120
        let analyzer = SpectrogramAnalyzer(frameCount: frames, columnCount: 50, rowCount: 40, tracks: .mixed)
        try feed(analyzer, [sine(1000, amplitude: 0.5, frames: frames, sampleRate: rate)], sampleRate: rate,
                 blockFrames: 3333)
        let s = analyzer.spectrogram
        for column in 0..<50 {
            #expect((0..<40).contains { s.level(track: 0, column: column, row: $0) > -20 }, "column \(column) empty")
        }
    }
}

/// The colour scale's percentile by selection is the sorted array's element, with repeated values, a few sizes.
@Test func selectionMatchesSorting() {
    var state: UInt32 = 7
    for count in [1, 2, 3, 10, 101, 5000] {
        let values = (0..<count).map { _ -> Float in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(state >> 24) - 100  // 256 distinct values: many repeats
        }
        let sorted = values.sorted()
        for k in Set([0, count / 50, count / 2, count - 1]) {
            var copy = values
            #expect(smallest(k, in: &copy) == sorted[k], "count \(count), k \(k)")
        }
    }
}

@Suite struct SpectrogramWindowTests {
    /// Reading only the windows (``SpectrogramAnalyzer/windowRanges`` + `analyzeNextWindow`) gives exactly the
    /// grids that streaming every frame gives, in comparison mode (input, output, difference).
    @Test(arguments: [1, 3])
    func windowsEqualStreaming(transformLimit: Int) throws {
        let rate = 8_000.0, frames = 8_000 * 40
        var state: UInt32 = 12345
        let noise = (0..<frames).map { _ -> Float in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(Int32(bitPattern: state)) / Float(Int32.max) * 0.01
        }
        let input = zip(sine(440, amplitude: 0.3, frames: frames, sampleRate: rate), noise).map { $0 + $1 }
        let output = sine(440, amplitude: 0.3, frames: frames, sampleRate: rate)
        let make = { SpectrogramAnalyzer(frameCount: frames, columnCount: 30, rowCount: 50, tracks: .comparison,
                                         transformLimit: transformLimit) }
        let streamed = make()
        try feed(streamed, [input, output], sampleRate: rate, blockFrames: 777)
        let windowed = make()
        try windowed.prepare(for: ProcessSpec(sampleRate: rate, channelCount: 2, maximumBlockFrames: 4096))
        let buffer = AudioBuffer(channels: [input, output])
        for range in windowed.windowRanges {
            buffer.withBlock { windowed.analyzeNextWindow($0.slice(from: range.lowerBound, count: range.count)) }
        }
        #expect(streamed.spectrogram.levels.count == 3)
        #expect(streamed.spectrogram.levels == windowed.spectrogram.levels)
        // The difference is the noise: below the input at the tone's row by far more than the 10 dB margin asked
        // (the tone is 0.3 amplitude, the noise ±0.01 uniform).
        let s = streamed.spectrogram
        let row = try #require(s.axis.row(ofHertz: 440))
        #expect(s.level(track: 0, column: 10, row: row) - s.level(track: 2, column: 10, row: row) > 10)
    }

    /// A job's two streams (``SpectrogramAnalyzer/analyzeInput(_:)`` and ``SpectrogramAnalyzer/analyzeOutput(_:)``,
    /// the output lagging the input by a processor's latency) give exactly the grids of the one-stream comparison:
    /// no lag, a lag shorter than the windows' spacing, and one longer (several input spectra held at once); on
    /// the job's thread and with the transforms on a second thread (the same grids to the bit: the same work in the
    /// same order).
    @Test(arguments: [(1, 0, false), (1, 1000, false), (3, 9000, false), (3, 20_000, false),
                      (1, 0, true), (1, 1000, true), (3, 9000, true), (3, 20_000, true)])
    func twoStreamsEqualOneStream(transformLimit: Int, lag: Int, concurrent: Bool) throws {
        let rate = 8_000.0, frames = 8_000 * 40, block = 777
        let input = (0..<frames).map { i -> Float in
            let tone: Double = 0.3 * sin(Double(i) * 0.35)
            let buzz: Double = 0.01 * sin(Double(i * i % 9973))
            return Float(tone + buzz)
        }
        let output = sine(440, amplitude: 0.3, frames: frames, sampleRate: rate)
        let make = { SpectrogramAnalyzer(frameCount: frames, columnCount: 30, rowCount: 50, tracks: .comparison,
                                         transformLimit: transformLimit) }
        let streamed = make()
        try feed(streamed, [input, output], sampleRate: rate, blockFrames: block)
        let split = make()
        let ready = try split.prepareStreams(sampleRate: rate, channelCount: 1, leadFrames: lag + block,
                                             maximumBlockFrames: block, concurrent: concurrent)
        #expect(ready)
        let inputs = AudioBuffer(channels: [input]), outputs = AudioBuffer(channels: [output])
        func run() {
            var fedOutput = 0
            var start = 0
            while start < frames {
                let count = min(block, frames - start)
                inputs.withBlock { split.analyzeInput($0.slice(from: start, count: count)) }
                start += count
                let upTo = max(0, start - lag)
                if upTo > fedOutput {
                    outputs.withBlock { split.analyzeOutput($0.slice(from: fedOutput, count: upTo - fedOutput)) }
                    fedOutput = upTo
                }
            }
            outputs.withBlock { split.analyzeOutput($0.slice(from: fedOutput, count: frames - fedOutput)) }
        }
        run()
        #expect(!split.streamsIncomplete)
        #expect(split.spectrogram.levels == streamed.spectrogram.levels)
        // Started again on the same analyzer (a worker drains first): the same grids again.
        split.resetStreams()
        run()
        #expect(!split.streamsIncomplete)
        #expect(split.spectrogram.levels == streamed.spectrogram.levels)
        split.finishStreams()
    }

    /// The two-stream path refuses what it cannot hold, and says when the output fell further behind than promised.
    @Test(arguments: [false, true])
    func twoStreamsBounded(concurrent: Bool) throws {
        let rate = 8_000.0, frames = 8_000 * 40
        let analyzer = SpectrogramAnalyzer(frameCount: frames, columnCount: 30, rowCount: 50, tracks: .comparison)
        #expect(try !analyzer.prepareStreams(sampleRate: rate, channelCount: 1, leadFrames: 0, maximumBlockFrames: 512,
                                             maximumHeldBytes: 1000, concurrent: concurrent))
        #expect(try analyzer.prepareStreams(sampleRate: rate, channelCount: 1, leadFrames: 0, maximumBlockFrames: 512,
                                            concurrent: concurrent))
        // All the input first: more windows passed than the held spectra promised for a lead of 0.
        let input = AudioBuffer(channels: [sine(440, amplitude: 0.3, frames: frames, sampleRate: rate)])
        input.withBlock { analyzer.analyzeInput($0) }
        input.withBlock { analyzer.analyzeOutput($0) }
        #expect(analyzer.streamsIncomplete)
        let single = SpectrogramAnalyzer(frameCount: frames, columnCount: 30, rowCount: 50, tracks: .mixed)
        #expect(throws: ScrimError.self) {
            try single.prepareStreams(sampleRate: rate, channelCount: 1, leadFrames: 0, maximumBlockFrames: 512)
        }
    }
}
