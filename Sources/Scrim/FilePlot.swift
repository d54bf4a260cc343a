import Foundation
import ScrimFiles

/// Scrim's pictures of files (`--plot` on `scrim analyze`, `denoise`, `dehum` and `process`; thumbnails for
/// reports): the files are read here, streamed block by block, and ``ScrimPlot`` draws from what was measured.
///
/// Cost is bounded by the picture: a spectrogram column takes at most
/// ``SpectrogramAnalyzer/maximumTransformsPerColumn`` FFTs per track whatever the file's length, and memory is the
/// picture's grid plus one read block, so a 2-hour file costs one more read of it and the same FFTs as a
/// 2-minute one.
///
/// Tracks: the analysis picture stacks one spectrogram per track (a DIT checks each microphone; up to
/// ``maximumTracks``, the rest named as not shown); the before/after picture and the thumbnail show the tracks'
/// mean power in one panel per signal, so that input, output and what was removed stay side by side.
public enum FilePlot {
    /// Tracks drawn in an analysis picture (16: the largest poly BWF a recorder writes in common use).
    public static let maximumTracks = 16

    /// A clipped run: at least this many consecutive equal samples at full level.
    public static let clipRunLength = 3
    /// Full level: |x| ≥ 32767/32768, the largest positive 16-bit sample (the 24-bit and float ones are above it).
    public static let fullLevel: Float = 32767.0 / 32768.0

    /// The loudness curves' step (the meter's 100 ms update, EBU Tech 3341 §2.2).
    public static let loudnessStepSeconds = 0.1

    /// Checks a `--plot` destination: it must end in `.png`.
    /// - Returns: nil when fine, else what is wrong (for a usage error).
    public static func pathProblem(_ path: String) -> String? {
        let name = Temporaries.split(path).name
        guard name.lowercased().hasSuffix(".png"), name.count > 4 else {
            return "a plot is a PNG picture: give a file name ending in .png"
        }
        return nil
    }

    // MARK: - Pictures

    /// The analysis picture of one file: per-track spectrograms (20 Hz to Nyquist, log axis) with `hum`'s
    /// harmonics marked, each track's sample peak and clipped runs, momentary and short-term loudness, a colour
    /// bar in dBFS, and the time axis in timecode when the file has one (bext time reference and an iXML frame
    /// rate), else in time of day (bext only), else in elapsed time.
    /// - Parameters:
    ///   - path: the audio file (read once, streamed).
    ///   - displayName: the name printed in the title (default: the path).
    ///   - hum: the hum found by ``FileAnalysis`` (nil: nothing marked).
    /// - Throws: ``AudioFileError`` when the file cannot be read; ``ScrimError`` `.cancelled`.
    public static func analysisPicture(path: String, displayName: String? = nil, hum: HumDetection? = nil,
                                       isCancelled: () -> Bool = { false },
                                       progress: ((Int, Int) -> Void)? = nil) throws -> PlotPicture {
        let info = try probe(path)
        let shown = min(info.channelCount, maximumTracks)
        let rows = AnalysisFigure.trackHeight(trackCount: shown)
        let columns = AnalysisFigure.columnCount
        let spectrogram = SpectrogramAnalyzer(frameCount: info.frameCount, columnCount: columns, rowCount: rows,
                                              tracks: .separate(maximum: maximumTracks))
        let scanner = TrackPeakScanner(frameCount: info.frameCount, columnCount: columns)
        let loudness = LoudnessSeriesAnalyzer(layout: LoudnessJob.layout(for: info))
        var analyzers: [any AudioAnalyzer] = [spectrogram, scanner]
        let measuresLoudness = LoudnessMeter.supportedSampleRates.contains(Double(info.sampleRate))
        if measuresLoudness { analyzers.append(loudness) }
        _ = try FileJob.analyze(input: path, analyzers: analyzers, isCancelled: isCancelled, progress: progress)
        let metadata = ProductionMetadata(info: info)
        var tracks: [PlotTrackMarks] = []
        for t in 0..<shown {
            let name = metadata.trackName(forChannel: t).map { "\(t + 1) \($0)" } ?? "\(t + 1)"
            tracks.append(PlotTrackMarks(name: name, samplePeakDecibels: decibels(scanner.peaks[t]),
                                         columnPeakDecibels: scanner.columnPeaks[t].map(decibels),
                                         clipColumns: scanner.clipColumns[t], clipRunCount: scanner.clipRuns[t]))
        }
        var notes: [String] = []
        if info.channelCount > shown {
            notes.append("plot: tracks \(shown + 1)-\(info.channelCount) of \(info.channelCount) not shown "
                         + "(at most \(maximumTracks) in one picture)")
        }
        if !measuresLoudness { notes.append("plot: loudness not drawn at \(info.sampleRate) Hz (8-768 kHz)") }
        var humHertz: [Double] = []
        var humLegend: String?
        if let hum, hum.isPresent, let f0 = hum.fundamentalHertz {
            humHertz = hum.harmonics.map(\.frequencyHertz)
            humLegend = String(format: "hum %.2f Hz, %d harmonics (cyan marks)", f0, humHertz.count)
        }
        let figure = AnalysisFigure(
            title: displayName ?? SystemPath.display(path), subtitle: subtitle(info, metadata: metadata),
            spectrogram: spectrogram.spectrogram, tracks: tracks,
            loudness: measuresLoudness ? loudness.series : nil, humHertz: humHertz, humLegend: humLegend,
            timeAxis: timeAxis(info: info, metadata: metadata), notes: notes)
        return figure.render()
    }

    /// The before/after picture of a job: the input, the output and what was removed (input − output, frame by
    /// frame: Scrim's outputs are sample-aligned with their inputs), three spectrograms on one colour scale, each
    /// the mean power of the tracks.
    /// - Parameters:
    ///   - input: the job's input file.
    ///   - output: the job's output file (same channel count; frames beyond the shorter file are not compared).
    ///   - title: the picture's title ("denoise take.wav -> take.clean.wav").
    ///   - hum: harmonics to mark (the hum removed), if any.
    /// - Throws: ``AudioFileError`` when a file cannot be read; ``ScrimError`` `.invalidInput` when the channel
    ///   counts or sample rates differ, `.cancelled`.
    ///   - tap: the job's ``ComparisonTap``, when the job ran with one: its grids, measured in the job's own pass,
    ///     are drawn and the files are not read again (when it could not measure them all, the files are read).
    public static func comparisonPicture(input: String, output: String, title: String, humHertz: [Double] = [],
                                         tap: ComparisonTap? = nil,
                                         isCancelled: () -> Bool = { false }) throws -> PlotPicture {
        let info: AudioFileInfo, grids: [Spectrogram]
        if let tap, let measured = tap.measured {
            (info, grids) = measured
        } else {
            (info, grids) = try compare(input: input, output: output, columns: ComparisonFigure.columnCount,
                                        rows: ComparisonFigure.panelHeight, removed: true, isCancelled: isCancelled)
        }
        let metadata = ProductionMetadata(info: info)
        let tracks = info.channelCount == 1 ? "" : ", mean of \(info.channelCount) tracks"
        let figure = ComparisonFigure(
            title: title, subtitle: subtitle(info, metadata: metadata),
            panels: [("Input" + tracks, grids[0]), ("Output" + tracks, grids[1]),
                     ("Removed (input - output)" + tracks, grids[2])],
            humHertz: humHertz, timeAxis: timeAxis(info: info, metadata: metadata))
        var picture = figure.render()
        if info.channelCount > 1 {
            picture.notes.append("plot: the \(info.channelCount) tracks are drawn as their mean power in each panel")
        }
        return picture
    }

    /// A thumbnail for reports: the input's spectrogram above the output's (or the input alone), no text, one
    /// colour scale, as PNG bytes. Reads both files once (streamed); costs at most 4 FFTs per column per track.
    ///
    ///     let png = try FilePlot.thumbnailPNG(input: "take.wav", output: "take.clean.wav")  // 320x72
    ///
    /// - Parameters:
    ///   - input: the audio file (the upper half).
    ///   - output: the processed file, sample-aligned with `input` (the lower half), or nil for the input alone.
    ///   - width: pixels, 16–4096 (default 320).
    ///   - height: pixels, 8–4096 (default 72; each half gets (height − 1) / 2 rows).
    /// - Returns: the PNG file's bytes.
    /// - Throws: ``AudioFileError`` when a file cannot be read; ``ScrimError`` `.configuration` for a size out of
    ///   range, `.invalidInput` when the files' channel counts or rates differ.
    public static func thumbnailPNG(input: String, output: String?, width: Int = 320, height: Int = 72)
        throws -> [UInt8] {
        guard (16...4096).contains(width), (8...4096).contains(height) else {
            throw ScrimError(.configuration, "thumbnail size \(width)x\(height): use 16-4096 by 8-4096 pixels")
        }
        let panels = output == nil ? 1 : 2
        let rows = max(1, (height - (panels - 1)) / panels)
        let grids: [Spectrogram]
        if let output {
            grids = try compare(input: input, output: output, columns: width, rows: rows, removed: false,
                                isCancelled: { false }).grids
        } else {
            let info = try probe(input)
            let analyzer = SpectrogramAnalyzer(frameCount: info.frameCount, columnCount: width, rowCount: rows,
                                               tracks: .mixed)
            _ = try FileJob.analyze(input: input, analyzers: [analyzer])
            grids = [analyzer.spectrogram]
        }
        return try ThumbnailFigure.render(grids, width: width, height: height).png(compression: .smallest)
    }

    /// Writes a picture's PNG atomically (a Scrim temporary beside it, then rename), by the rules of every output:
    /// an existing file is replaced only with `overwrite`, and only a regular file.
    /// - Throws: ``AudioFileError`` naming `path`; ``ScrimError`` from the encoder.
    public static func write(_ picture: PlotPicture, to path: String, overwrite: Bool) throws {
        let bytes = try picture.png()
        try FileSystem.writeAtomically(bytes, to: path, overwrite: overwrite)
    }

    // MARK: - Parts

    private static func probe(_ path: String) throws -> AudioFileInfo {
        let reader = try AudioFileReader(path: path)
        defer { reader.close() }
        return reader.info
    }

    /// Reads `input` and `output` side by side and measures the mixed spectrograms of the input, the output and
    /// their difference (one ``SpectrogramAnalyzer`` in comparison mode: one transform per column per track and
    /// file, the difference from the two spectra).
    /// - Parameter removed: keep the difference's grid (else only the input's and the output's are returned).
    static func compare(input: String, output: String, columns: Int, rows: Int, removed: Bool,
                                isCancelled: () -> Bool) throws -> (info: AudioFileInfo, grids: [Spectrogram]) {
        let first = try AudioFileReader(path: input)
        defer { first.close() }
        let second = try AudioFileReader(path: output)
        defer { second.close() }
        let info = first.info
        guard second.info.channelCount == info.channelCount, second.info.sampleRate == info.sampleRate else {
            throw ScrimError(.invalidInput, "cannot compare \(SystemPath.display(input)) "
                             + "(\(info.channelCount) ch, \(info.sampleRate) Hz) with \(SystemPath.display(output)) "
                             + "(\(second.info.channelCount) ch, \(second.info.sampleRate) Hz)")
        }
        let frames = min(info.frameCount, second.info.frameCount)
        // One transform per column: the before/after picture compares, it does not need the averaging.
        let analyzer = SpectrogramAnalyzer(frameCount: frames, columnCount: columns, rowCount: rows,
                                           tracks: .comparison, transformLimit: 1)
        let blockFrames = 8192
        let channels = info.channelCount
        try analyzer.prepare(for: ProcessSpec(sampleRate: Double(info.sampleRate), channelCount: 2 * channels,
                                              maximumBlockFrames: blockFrames))
        let a = AudioBuffer(channelCount: channels, capacity: blockFrames)
        let b = AudioBuffer(channelCount: channels, capacity: blockFrames)
        // The two buffers' channels as one block: input channels first, then output channels.
        let table = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: 2 * channels)
        defer { table.deallocate() }
        for c in 0..<channels {
            guard let x = a.channel(c).baseAddress, let y = b.channel(c).baseAddress else {
                throw ScrimError(.invalidState, "plot: an audio buffer without storage")
            }
            table[c] = x
            table[channels + c] = y
        }
        // Integer files cannot hold NaN or infinity: only float files are scanned for them.
        let scanInput = info.sampleFormat.isFloat, scanOutput = second.info.sampleFormat.isFloat
        let windows = analyzer.windowRanges
        let windowed = windows.reduce(0) { $0 + $1.count }
        if windowed * 2 < frames && first.info.container.isRIFFFamily && second.info.container.isRIFFFamily {
            // The windows cover less than half the file (a file longer than about 2·columns·170 ms): read only
            // them, seeking (cheap in WAV/RF64/W64 data), instead of decoding every frame.
            let size = analyzer.transformFrames
            let wa = AudioBuffer(channelCount: channels, capacity: size)
            let wb = AudioBuffer(channelCount: channels, capacity: size)
            for c in 0..<channels {
                guard let x = wa.channel(c).baseAddress, let y = wb.channel(c).baseAddress else {
                    throw ScrimError(.invalidState, "plot: an audio buffer without storage")
                }
                table[c] = x
                table[channels + c] = y
            }
            try withExtendedLifetime((wa, wb)) {
                for range in windows {
                    if isCancelled() { throw ScrimError(.cancelled, "cancelled while plotting \(input)") }
                    try first.seek(toFrame: range.lowerBound)
                    try second.seek(toFrame: range.lowerBound)
                    let got = min(try first.read(into: wa), try second.read(into: wb), range.count)
                    if scanInput { _ = wa.unsafeBlock.slice(from: 0, count: got).zeroInvalidSamples() }
                    if scanOutput { _ = wb.unsafeBlock.slice(from: 0, count: got).zeroInvalidSamples() }
                    analyzer.analyzeNextWindow(AudioBlock(channels: table, channelCount: 2 * channels,
                                                          frameCount: got))
                }
            }
            let grids = analyzer.spectrogram
            return (info, (0..<(removed ? 3 : 2)).map {
                Spectrogram(axis: grids.axis, columnCount: grids.columnCount, levels: [grids.levels[$0]])
            })
        }
        var done = 0
        try withExtendedLifetime((a, b)) {
            while done < frames {
                if isCancelled() { throw ScrimError(.cancelled, "cancelled while plotting \(input)") }
                let got = min(try first.read(into: a), try second.read(into: b), frames - done)
                guard got > 0 else { break }
                let block = AudioBlock(channels: table, channelCount: 2 * channels, frameCount: got)
                if scanInput { _ = a.unsafeBlock.slice(from: 0, count: got).zeroInvalidSamples() }
                if scanOutput { _ = b.unsafeBlock.slice(from: 0, count: got).zeroInvalidSamples() }
                analyzer.analyze(block)
                done += got
            }
        }
        let grids = analyzer.spectrogram
        return (info, (0..<(removed ? 3 : 2)).map {
            Spectrogram(axis: grids.axis, columnCount: grids.columnCount, levels: [grids.levels[$0]])
        })
    }

    /// "48000 Hz, 2 tracks, 24-bit WAV, 10:00.000 long, starts 10:00:00:00 (25 fps)".
    static func subtitle(_ info: AudioFileInfo, metadata: ProductionMetadata) -> String {
        var text = "\(info.sampleRate) Hz, \(info.channelCount) track\(info.channelCount == 1 ? "" : "s"), "
            + "\(info.sampleFormat) \(info.container), " + clock(info.duration) + " long"
        if let timecode = metadata.timecode, let rate = metadata.timecodeRate {
            text += ", starts \(timecode) (" + rateText(rate) + ")"
        } else if let time = metadata.timeOfDay(sampleRate: info.sampleRate) {
            text += ", starts \(time) (time of day; no frame rate in iXML)"
        }
        return text
    }

    /// The time axis of a file: timecode, time of day or elapsed (see ``analysisPicture(path:displayName:hum:isCancelled:progress:)``).
    public static func timeAxis(info: AudioFileInfo, metadata: ProductionMetadata) -> PlotTimeAxis {
        let duration = info.duration
        let sampleRate = Double(info.sampleRate)
        guard let reference = metadata.timeReference, info.sampleRate > 0 else {
            return .elapsed(durationSeconds: duration)
        }
        let day = UInt64(info.sampleRate) * 86_400
        let origin = Double(reference % day) / sampleRate
        if let rate = metadata.timecodeRate {
            let dropFrame = metadata.dropFrame
            let caption = "timecode " + rateText(rate) + (dropFrame ? " drop-frame" : "")
            if let start = metadata.timecode, !start.dropFrame {
                // Non-drop: the clock is the label itself (whole frames at the nominal rate), so the ticks fall on
                // whole timecode seconds even at 23.976 or 29.97, where labels run 1000/1001 of real time.
                let nominal = Double(rate.nominalFramesPerSecond)
                let startLabel = Double(((start.hours * 60 + start.minutes) * 60 + start.seconds)) * nominal
                    + Double(start.frames)
                var axis = PlotTimeAxis(durationSeconds: duration, originSeconds: startLabel / nominal,
                                        caption: caption, labelCharacters: 11) { clock in
                    Timecode(frameCount: UInt64(max(0, (clock * nominal).rounded(.down))), rate: rate,
                             dropFrame: false).description
                }
                axis.clockRate = rate.fps / nominal
                return axis
            }
            return PlotTimeAxis(durationSeconds: duration, originSeconds: origin, caption: caption,
                                labelCharacters: 11) { clock in
                let samples = UInt64(max(0, (clock * sampleRate).rounded()))
                return Timecode(samplesSinceMidnight: samples, sampleRate: sampleRate, rate: rate,
                                dropFrame: dropFrame).description
            }
        }
        return PlotTimeAxis(durationSeconds: duration, originSeconds: origin, caption: "time of day (bext)",
                            labelCharacters: 8) { clock in
            let whole = Int(clock.rounded()) % 86_400
            let h = whole / 3600, m = whole / 60 % 60, s = whole % 60
            return (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m):" + (s < 10 ? "0" : "") + "\(s)"
        }
    }

    private static func rateText(_ rate: FrameRate) -> String {
        let fps = rate.fps
        return fps == fps.rounded() ? "\(Int(fps)) fps" : String(format: "%.3f fps", fps)
    }

    private static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds)
        let h = whole / 3600, m = whole / 60 % 60
        let s = seconds - Double(h * 3600 + m * 60)
        return h > 0 ? String(format: "%d:%02d:%06.3f", h, m, s) : String(format: "%d:%06.3f", m, s)
    }

    private static func decibels(_ amplitude: Float) -> Float {
        amplitude > 0 ? 20 * log10(amplitude) : -.infinity
    }
}

/// The before/after picture's spectrograms measured inside a job's own pass (``FileJob/process(input:output:options:isCancelled:outputAnalyzers:inputMeter:comparisonTap:makeProcessor:)``):
/// the job hands it each input block before the processor and each sample-aligned output block, so the picture
/// needs no second read of either file, only its own transforms (one per picture column per track and file, the
/// removed signal's spectrum from the two: X_in − X_out).
///
/// The output measured is the processor's, before the writer rounds it to the file's sample format (and clips an
/// integer format): against the re-read picture the difference is the format's rounding noise (16 bits: about
/// −101 dBFS RMS, roughly −130 dBFS per bin of the 8192-point transforms, the bottom of the colour scale). When the pass cannot measure every window
/// (a file of a few seconds, whose windows overlap so much that the input spectra held for the output would take
/// more than 16 MB), ``measured`` is nil and ``FilePlot/comparisonPicture(input:output:title:humHertz:tap:isCancelled:)``
/// reads the files as before. Not thread-safe; one job at a time.
public final class ComparisonTap {
    private var analyzer: SpectrogramAnalyzer?
    private var info: AudioFileInfo?
    private var ready = false

    public init() {}

    /// Called by the job once the input is open and the processor prepared.
    func prepare(info: AudioFileInfo, latencyFrames: Int, blockFrames: Int) throws {
        let made = SpectrogramAnalyzer(frameCount: info.frameCount, columnCount: ComparisonFigure.columnCount,
                                       rowCount: ComparisonFigure.panelHeight, tracks: .comparison, transformLimit: 1)
        // The transforms run on a second thread when there is a second core: the job's own thread only copies
        // the windows (PLOT.md: the picture's share of a denoise's time).
        ready = try made.prepareStreams(sampleRate: Double(info.sampleRate), channelCount: info.channelCount,
                                        leadFrames: latencyFrames + blockFrames, maximumBlockFrames: blockFrames,
                                        concurrent: ProcessInfo.processInfo.activeProcessorCount > 1)
        analyzer = made
        self.info = info
    }

    /// An input block, invalid samples already zeroed, before the processor.
    @inline(__always)
    func input(_ block: AudioBlock) {
        if ready { analyzer?.analyzeInput(block) }
    }

    /// An output block as written (sample-aligned with the input).
    @inline(__always)
    func output(_ block: AudioBlock) {
        if ready { analyzer?.analyzeOutput(block) }
    }

    /// The input's description and the three grids (input, output, removed), when the pass measured them all.
    public var measured: (info: AudioFileInfo, grids: [Spectrogram])? {
        guard ready, let analyzer, let info, !analyzer.streamsIncomplete else { return nil }
        let grids = analyzer.spectrogram
        return (info, (0..<3).map {
            Spectrogram(axis: grids.axis, columnCount: grids.columnCount, levels: [grids.levels[$0]])
        })
    }
}

/// Per track: the sample peak of the whole stream and of each time column, and clipped runs (at least
/// ``FilePlot/clipRunLength`` consecutive equal samples at ``FilePlot/fullLevel`` or beyond), with the columns
/// they fall in. A simple scan for the picture's marks; `scrim analyze`'s own clipping analysis is separate.
/// `analyze` does not allocate.
final class TrackPeakScanner: AudioAnalyzer {
    let frameCount: Int
    let columnCount: Int
    private(set) var peaks: [Float] = []
    private(set) var columnPeaks: [[Float]] = []
    private(set) var clipColumns: [[Int]] = []
    private(set) var clipRuns: [Int] = []
    private var runLength: [Int] = []
    private var lastSample: [Float] = []
    private var position = 0

    init(frameCount: Int, columnCount: Int) {
        self.frameCount = max(1, frameCount)
        self.columnCount = max(1, columnCount)
    }

    func prepare(for spec: ProcessSpec) throws {
        let tracks = min(spec.channelCount, FilePlot.maximumTracks)
        peaks = [Float](repeating: 0, count: tracks)
        columnPeaks = [[Float]](repeating: [Float](repeating: 0, count: columnCount), count: tracks)
        clipColumns = [[Int]](repeating: [], count: tracks)
        for t in 0..<tracks { clipColumns[t].reserveCapacity(columnCount) }
        clipRuns = [Int](repeating: 0, count: tracks)
        runLength = [Int](repeating: 0, count: tracks)
        lastSample = [Float](repeating: 0, count: tracks)
        position = 0
    }

    func reset() {
        for t in peaks.indices {
            peaks[t] = 0
            for c in 0..<columnCount { columnPeaks[t][c] = 0 }
            clipColumns[t].removeAll(keepingCapacity: true)
            clipRuns[t] = 0
            runLength[t] = 0
            lastSample[t] = 0
        }
        position = 0
    }

    func analyze(_ block: AudioBlock) {
        for t in peaks.indices {
            let samples = block.channel(t)
            var peak = peaks[t]
            var run = runLength[t]
            var last = lastSample[t]
            var i = 0
            while i < samples.count {
                // One column at a time: the column's end bounds the inner loop.
                let frame = position + i
                let column = min(columnCount - 1, Int(Int64(frame) * Int64(columnCount) / Int64(frameCount)))
                let columnEnd = Int((Int64(column + 1) * Int64(frameCount) + Int64(columnCount) - 1)
                                    / Int64(columnCount))
                let end = min(samples.count, max(i + 1, columnEnd - position))
                var columnPeak = columnPeaks[t][column]
                while i < end {
                    let x = samples[i]
                    let m = abs(x)
                    if m > columnPeak { columnPeak = m }
                    if m >= FilePlot.fullLevel && x == last {
                        run += 1
                        if run == FilePlot.clipRunLength {
                            clipRuns[t] += 1
                            if clipColumns[t].last != column, clipColumns[t].count < columnCount {
                                clipColumns[t].append(column)
                            }
                        }
                    } else {
                        run = m >= FilePlot.fullLevel ? 1 : 0
                    }
                    last = x
                    i += 1
                }
                columnPeaks[t][column] = columnPeak
                if columnPeak > peak { peak = columnPeak }
            }
            peaks[t] = peak
            runLength[t] = run
            lastSample[t] = last
        }
        position += block.frameCount
    }
}

/// Momentary (400 ms) and short-term (3 s) loudness every 100 ms (EBU Tech 3341), from a ``LoudnessMeter`` fed in
/// 100 ms steps: after the meter's sub-block k (ending at frame ⌊k·fs/10⌋, as the meter counts), its current
/// momentary and short-term values are kept. True peak and the dialogue gate are off (not drawn). The series grows
/// by two floats per 100 ms of audio (576 kB for 2 hours); `analyze` allocates only when the series' arrays grow.
final class LoudnessSeriesAnalyzer: AudioAnalyzer {
    private let meter: LoudnessMeter
    private var sampleRate = 48_000.0
    private var position = 0
    private var subBlock = 1
    private(set) var momentary: [Float] = []
    private(set) var shortTerm: [Float] = []

    init(layout: ChannelLayout?) {
        meter = LoudnessMeter(layout: layout, measureTruePeak: false, dialogueGating: false)
    }

    func prepare(for spec: ProcessSpec) throws {
        try meter.prepare(for: spec)
        sampleRate = spec.sampleRate
        reset()
    }

    func reset() {
        meter.reset()
        position = 0
        subBlock = 1
        momentary.removeAll(keepingCapacity: true)
        shortTerm.removeAll(keepingCapacity: true)
    }

    private func boundary(_ k: Int) -> Int { Int((Double(k) * sampleRate / 10).rounded(.down)) }

    func analyze(_ block: AudioBlock) {
        var offset = 0
        while offset < block.frameCount {
            let next = boundary(subBlock)
            let take = min(block.frameCount - offset, next - position)
            if take > 0 {
                meter.analyze(block.slice(from: offset, count: take))
                offset += take
                position += take
            }
            if position >= next {
                momentary.append(Float(meter.momentaryLoudness))
                shortTerm.append(Float(meter.shortTermLoudness))
                subBlock += 1
            }
        }
    }

    var series: PlotLoudnessSeries {
        PlotLoudnessSeries(stepSeconds: FilePlot.loudnessStepSeconds, momentary: momentary, shortTerm: shortTerm)
    }
}
