import Foundation
@testable import Scrim
import Testing

/// Writes mono float32 WAV audio.
private func writeMono(_ samples: [Float], to path: String, sampleRate: Int = 48_000) throws {
    let format = AudioFileFormat(container: .wav, sampleFormat: .float32, sampleRate: sampleRate, channelCount: 1)
    let writer = try AudioFileWriter(path: path, format: format)
    let buffer = AudioBuffer(channels: [samples])
    try buffer.withBlock { try writer.write($0) }
    try writer.finish()
}

/// Mean OKLab lightness of the pixel rows within ±`halfRows` of `y`, over columns spread across `rect`.
private func meanLightness(_ image: PNGImage.Decoded, rect: PlotRect, y: Int, halfRows: Int = 0) -> Double {
    var sum = 0.0, count = 0
    for x in stride(from: rect.x + rect.width / 5, to: rect.maxX - rect.width / 5, by: 7) {
        for row in (y - halfRows)...(y + halfRows) {
            sum += PlotColorMap.oklabLightness(image.color(x: x, y: row))
            count += 1
        }
    }
    return sum / Double(max(1, count))
}

@Suite struct FilePlotTests {
    /// A poly BWF with bext TimeReference 10:00:00 and iXML 25 fps: the time axis is labelled in timecode from
    /// 10:00:00:00, the tracks carry their iXML names, and the PNG decodes at the picture's size.
    @Test func timecodeAxisFromBextAndIXML() throws {
        let folder = TemporaryFolder()
        let input = folder.file("poly.wav")
        _ = try makePolyBWF(at: input, frames: 3 * 48_000)
        let picture = try FilePlot.analysisPicture(path: input)
        let texts = picture.labels.map(\.text)
        #expect(texts.contains("10:00:00:00"), "\(texts)")
        #expect(texts.contains("10:00:01:00") || texts.contains("10:00:02:00"), "\(texts)")
        #expect(texts.contains("timecode 25 fps"))
        #expect(texts.contains { $0.hasPrefix("Track 1 BOOM") } && texts.contains { $0.hasPrefix("Track 2 LAV 1") })
        #expect(picture.spectrogramRects.count == 4)
        let image = try PNGImage.decode(try picture.png())
        #expect(image.width == picture.canvas.width && image.height == picture.canvas.height)
        #expect(image.width == 1400)
    }

    /// samples/poly_bwf_4ch.wav starts at 14:23:05:12 at 23.976 fps non-drop (samples/README.md): the ticks fall on
    /// whole timecode seconds (frame 00), though those labels run 1000/1001 of real time.
    @Test func fractionalRateTicksOnWholeTimecodeSeconds() throws {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        let picture = try FilePlot.analysisPicture(path: url.path + "/samples/poly_bwf_4ch.wav")
        let timecodes = picture.labels.map(\.text).filter { $0.hasPrefix("14:23:") }
        #expect(timecodes.count >= 3, "\(timecodes)")
        #expect(timecodes.allSatisfy { $0.hasSuffix(":00") }, "\(timecodes)")
        #expect(timecodes.first == "14:23:06:00")
        #expect(picture.labels.contains { $0.text == "timecode 23.976 fps" })
    }

    /// Without bext the axis is elapsed time, starting at "0 s".
    @Test func elapsedAxisWithoutTimeReference() throws {
        let folder = TemporaryFolder()
        let input = folder.file("plain.wav")
        try writeMono((0..<96_000).map { Float(0.1 * sin(Double($0) * 0.05)) }, to: input)
        let picture = try FilePlot.analysisPicture(path: input)
        #expect(picture.labels.contains { $0.text == "0 s" })
        #expect(picture.labels.contains { $0.text == "elapsed time" })
        #expect(picture.loudnessRect != nil)
    }

    /// Clipped runs: three equal full-scale samples make a run, two do not (the marks' own rule).
    @Test func clippedRunsCounted() throws {
        var samples = [Float](repeating: 0.1, count: 48_000)
        for i in 1000..<1003 { samples[i] = 1 }  // a run of 3 at +1.0
        for i in 20_000..<20_002 { samples[i] = -1 }  // only 2: not a run
        for i in 30_000..<30_010 { samples[i] = -1 }  // a run of 10: one run
        let scanner = TrackPeakScanner(frameCount: samples.count, columnCount: 100)
        try scanner.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 1, maximumBlockFrames: 1001))
        let buffer = AudioBuffer(channels: [samples])
        var start = 0
        while start < samples.count {
            let count = min(1001, samples.count - start)
            buffer.withBlock { scanner.analyze($0.slice(from: start, count: count)) }
            start += count
        }
        #expect(scanner.clipRuns == [2])
        #expect(scanner.clipColumns == [[2, 62]])  // frames 1002 and 30002 of 48000 in 100 columns
        #expect(scanner.peaks == [1])
    }

    /// A 1 kHz tone at −12 dBFS under white noise at −40 dBFS RMS, denoised with a profile of the noise: the tone stays, so in the picture the
    /// removed panel is darker at the tone's row than the input panel (the noise is what was removed), while the
    /// removed panel is lit elsewhere. Thresholds: the tone sits ~60 dB above the noise per bin in the input
    /// (0.7 of the lightness scale at a 110 dB span); in the removed signal only what the reducer took of the tone
    /// remains, so ≥ 0.15 in OKLab L darker is a wide margin.
    @Test func beforeAfterRemovedIsDarkerAtTheTone() throws {
        let folder = TemporaryFolder()
        let input = folder.file("tone_noise.wav"), output = folder.file("clean.wav")
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let frames = 6 * 48_000
        let samples = (0..<frames).map { i -> Float in
            // xorshift64 noise, uniform in ±√3·σ for σ = 0.01 (−40 dBFS RMS).
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            let u: Double = Double(state >> 11) / 9_007_199_254_740_992.0 * 2 - 1  // 2^53
            let tone: Double = 0.25 * sin(2 * Double.pi * 1000 * Double(i) / 48_000)
            return Float(tone + 0.01 * 3.0.squareRoot() * u)
        }
        try writeMono(samples, to: input)
        // The tone is steady, so an adaptive tracker would take it for noise: learn the noise from a copy of the
        // noise alone (the same generator without the tone), as `--profile` does with room tone.
        let profiler = NoiseProfiler(selection: .frames(0..<frames))
        try profiler.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 1, maximumBlockFrames: frames))
        var noiseState: UInt64 = 0x1234_5678_9ABC_DEF1
        let noise = (0..<frames).map { _ -> Float in
            noiseState ^= noiseState << 13; noiseState ^= noiseState >> 7; noiseState ^= noiseState << 17
            let u: Double = Double(noiseState >> 11) / 9_007_199_254_740_992.0 * 2 - 1
            return Float(0.01 * 3.0.squareRoot() * u)
        }
        AudioBuffer(channels: [noise]).withBlock { profiler.analyze($0) }
        let profile = try profiler.profile()
        _ = try FileJob.process(input: input, output: output, options: FileJobOptions()) { _ in
            NoiseReducer(settings: NoiseReducerSettings(mode: .learned(profile)))
        }
        let picture = try FilePlot.comparisonPicture(input: input, output: output, title: "denoise test")
        #expect(picture.spectrogramRects.count == 3)
        let image = try PNGImage.decode(try picture.png())
        let axis = LogFrequencyAxis(sampleRate: 48_000, rowCount: ComparisonFigure.panelHeight)
        let row = try #require(axis.row(ofHertz: 1000))
        let rects = picture.spectrogramRects
        let inputTone = meanLightness(image, rect: rects[0], y: rects[0].maxY - 1 - row)
        let outputTone = meanLightness(image, rect: rects[1], y: rects[1].maxY - 1 - row)
        let removedTone = meanLightness(image, rect: rects[2], y: rects[2].maxY - 1 - row)
        #expect(inputTone - removedTone >= 0.15, "input \(inputTone), removed \(removedTone)")
        #expect(abs(outputTone - inputTone) < 0.05, "input \(inputTone), output \(outputTone)")
        // The noise was removed: at 5 kHz the removed panel is about as bright as the input (same noise), and the
        // output is darker.
        let noiseRow = try #require(axis.row(ofHertz: 5000))
        let inputNoise = meanLightness(image, rect: rects[0], y: rects[0].maxY - 1 - noiseRow)
        let outputNoise = meanLightness(image, rect: rects[1], y: rects[1].maxY - 1 - noiseRow)
        #expect(inputNoise - outputNoise > 0.05, "noise row: input \(inputNoise), output \(outputNoise)")
    }

    /// The before/after grids measured inside the job's pass (``ComparisonTap``) are the ones measured by reading
    /// the two files again: a 2-track float file through the noise reducer (which has latency, so the output lags
    /// the input inside the pass), 60 s long (sparse windows: the re-read seeks) and 5 s long (overlapping windows:
    /// the re-read streams every frame). The output file is float, so both paths see the same samples and the same
    /// transforms: the levels agree to 0.01 dB (float rounding only; in practice they are equal).
    @Test func tapMatchesRereadingTheFiles() throws {
        let folder = TemporaryFolder()
        for seconds in [60, 5] {
            let input = folder.file("in\(seconds).wav"), output = folder.file("out\(seconds).wav")
            let frames = seconds * 48_000
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            var channels = [[Float]](repeating: [Float](repeating: 0, count: frames), count: 2)
            for i in 0..<frames {
                for c in 0..<2 {
                    state ^= state << 13; state ^= state >> 7; state ^= state << 17
                    let u = Double(state >> 11) / 9_007_199_254_740_992.0 * 2 - 1
                    let tone = 0.2 * sin(2 * Double.pi * Double(440 * (c + 1)) * Double(i) / 48_000)
                    channels[c][i] = Float(tone + 0.02 * u)
                }
            }
            let format = AudioFileFormat(container: .wav, sampleFormat: .float32, sampleRate: 48_000, channelCount: 2)
            let writer = try AudioFileWriter(path: input, format: format)
            try AudioBuffer(channels: channels).withBlock { try writer.write($0) }
            try writer.finish()
            let tap = ComparisonTap()
            let result = try FileJob.process(input: input, output: output, options: FileJobOptions(),
                                             comparisonTap: tap) { _ in NoiseReducer() }
            #expect(result.latencyFrames > 0, "the output should lag the input inside the pass")
            let measured = try #require(tap.measured)
            let reread = try FilePlot.compare(input: input, output: output, columns: ComparisonFigure.columnCount,
                                              rows: ComparisonFigure.panelHeight, removed: true,
                                              isCancelled: { false }).grids
            #expect(measured.grids.count == 3 && reread.count == 3)
            var worst: Float = 0, compared = 0
            for g in 0..<min(3, measured.grids.count, reread.count) {
                let a = measured.grids[g].levels[0], b = reread[g].levels[0]
                #expect(a.count == b.count)
                for i in 0..<min(a.count, b.count) where a[i] > -150 || b[i] > -150 {
                    worst = max(worst, abs(a[i] - b[i]))
                    compared += 1
                }
            }
            #expect(measured.grids[0].columnCount == ComparisonFigure.columnCount)
            #expect(compared > ComparisonFigure.columnCount * ComparisonFigure.panelHeight, "\(seconds) s: \(compared)")
            #expect(worst <= 0.01, "\(seconds) s: tap and re-read differ by \(worst) dB")
        }
    }

    /// The thumbnail: PNG bytes of the size asked for; a bad size is an error.
    @Test func thumbnailSize() throws {
        let folder = TemporaryFolder()
        let input = folder.file("in.wav")
        try writeMono((0..<48_000).map { Float(0.3 * sin(Double($0) * 0.1)) }, to: input)
        let both = try PNGImage.decode(try FilePlot.thumbnailPNG(input: input, output: input))
        #expect(both.width == 320 && both.height == 72)
        let single = try PNGImage.decode(try FilePlot.thumbnailPNG(input: input, output: nil, width: 200, height: 40))
        #expect(single.width == 200 && single.height == 40)
        #expect(throws: ScrimError.self) { try FilePlot.thumbnailPNG(input: input, output: nil, width: 3) }
    }

    @Test func plotPathMustBePNG() {
        #expect(FilePlot.pathProblem("a.png") == nil && FilePlot.pathProblem("dir/B.PNG") == nil)
        #expect(FilePlot.pathProblem("a.wav") != nil && FilePlot.pathProblem(".png") != nil)
    }
}
