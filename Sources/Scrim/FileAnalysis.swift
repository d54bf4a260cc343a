import ScrimFiles

/// What Scrim hears in a file, in one read: mains hum, the noise floor, loudness and per-track quality control
/// (`scrim analyze`).
///
/// A single streaming pass feeds five analyzers: ``TrackQualityMeter`` (per track: peaks, clipping, DC, dead or
/// silent, noise floor; inverted pairs), ``TrackHumDetector`` (hum per track), ``HumDetector`` (fundamental, harmonics, drift),
/// ``NoiseProfiler`` (the quietest half second, as the noise floor a denoiser would start from) and
/// ``LoudnessMeter`` (BS.1770-4 integrated, range, true peak, with the dialogue gate). Memory is bounded by the
/// block size.
public struct FileAnalysis: Sendable {
    public var path: String
    public var info: AudioFileInfo
    public var hum: HumDetection
    /// The RMS level of the quietest 0.5 s (dBFS), or nil when the file is shorter than one analysis frame.
    public var noiseFloor: DecibelsFullScale?
    public var loudness: LoudnessMeasurement
    /// NaN/Inf samples found (zeroed before analysis).
    public var nonFiniteSamples: Int
    /// Per-track quality control.
    public var quality: InputQuality
    /// When hum was found: the hum tracker's view of it per audio track (the fundamental ten points a second, its
    /// range and fastest change, what `scrim dehum` would remove and the hum it estimates would be left), from a
    /// second read of the file through the tracker with its output dropped. Nil when no hum was found or the
    /// track was not asked for.
    public var humTrack: [HumTrackReport]?

    /// Length of the stretch measured as the noise floor.
    public static let noiseFloorSeconds = 0.5

    /// Analyzes a file.
    /// - Throws: ``AudioFileError`` when it cannot be read; ``ScrimError`` when an analyzer cannot work at its
    ///   sample rate (loudness needs 8–768 kHz).
    /// - Parameter progress: called once per block with the frames read and the file's frame count.
    /// - Parameter withHumTrack: when hum is found, read the file a second time through the hum tracker for
    ///   ``humTrack`` (about 80× real time on one core, against about 1000× for the first read).
    public init(path: String, blockFrames: Int = 8192, withHumTrack: Bool = true,
                progress: ((Int, Int) -> Void)? = nil) throws {
        let probe = try AudioFileReader(path: path)
        let fileInfo = probe.info
        probe.close()
        let detector = HumDetector(configuration: HumDetectorConfiguration())
        let profiler = NoiseProfiler(
            selection: .quietest(durationFrames: Int(Self.noiseFloorSeconds * Double(fileInfo.sampleRate))))
        let meter = LoudnessMeter(layout: LoudnessJob.layout(for: fileInfo), measureTruePeak: true,
                                  dialogueGating: true)
        // The loudness meter measures every channel's true peak already: the QC meter does not do it twice.
        let qualityMeter = InputQuality.meter(for: fileInfo, measuresTruePeak: false)
        let trackHum = TrackHumDetector()
        let (info, nonFinite) = try FileJob.analyze(input: path, blockFrames: blockFrames,
                                                   analyzers: [detector, profiler, meter, trackHum],
                                                   inputMeter: qualityMeter, progress: progress)
        quality = InputQuality(meter: qualityMeter, sampleRate: Double(info.sampleRate), hum: trackHum.finish())
            .filling(truePeaks: meter.channelTruePeaks)
        self.path = path
        self.info = info
        hum = detector.finish()
        noiseFloor = (try? profiler.profile())?.levelDecibelsFS
        loudness = meter.measurement
        nonFiniteSamples = nonFinite
        humTrack = nil
        // The tracker as `scrim dehum` and `process` build it from this detection (DehumStage.tracker).
        if withHumTrack, hum.isPresent, let tracker = DehumStage().tracker(detected: hum) {
            let probe = ProcessorProbe(tracker)
            _ = try FileJob.analyze(input: path, blockFrames: blockFrames, analyzers: [probe])
            probe.drain()
            humTrack = tracker.reports
        }
    }

    /// What deserves a person's attention: damage found while reading, then the per-track warnings (invalid
    /// samples, dead, silent, clipped, DC offset, inverted pairs).
    public var warnings: [JobWarning] {
        JobWarning.reading(info) + quality.warnings
    }

    /// The `analysis` object of `scrim analyze --json` (with `path`, which the envelope carries instead; keys in
    /// Sources/scrim/README.md). The CLI and the C API's scrim_analyze_buffer both print it.
    public var json: JSONValue {
        .object([
            ("path", .string(path)),
            ("sampleRate", .int(Int64(info.sampleRate))),
            ("channelCount", .int(Int64(info.channelCount))),
            ("durationSeconds", .rounded(info.duration, places: 6)),
            ("hum", hum.json),
            ("humTrack", humTrack.map { reports in
                .array(reports.enumerated().map { $0.element.json(track: $0.offset + 1) })
            } ?? .null),
            ("noiseFloorDbfs", .rounded(noiseFloor, places: 2)),
            ("loudness", LoudnessJob.json(loudness)),
            ("invalidSamplesZeroed", .int(Int64(nonFiniteSamples))),
            ("qc", quality.json),
        ])
    }
}

/// Runs a processor as an analyzer, for its report: each block is copied and processed, the output dropped; at the
/// end, ``drain()`` pushes the processor's latency through as silence (as a file job's flush does), so the last
/// frames are measured too. `analyze` does not allocate.
final class ProcessorProbe: AudioAnalyzer {
    let processor: any AudioProcessor
    private var scratch = AudioBuffer(channelCount: 1, capacity: 1)

    init(_ processor: any AudioProcessor) {
        self.processor = processor
    }

    func prepare(for spec: ProcessSpec) throws {
        try processor.prepare(for: spec)
        scratch = AudioBuffer(channelCount: spec.channelCount, capacity: spec.maximumBlockFrames)
    }

    func analyze(_ block: AudioBlock) {
        scratch.withBlock { whole in
            let copy = whole.slice(from: 0, count: block.frameCount)
            copy.copy(from: block)
            processor.process(copy)
        }
    }

    /// The processor's flush, the latency's frames in blocks of the scratch buffer's size.
    func drain() {
        var left = processor.latencyFrames
        scratch.withBlock { whole in
            while left > 0 {
                let count = min(left, whole.frameCount)
                processor.flush(into: whole.slice(from: 0, count: count))
                left -= count
            }
        }
    }

    func reset() {
        processor.reset()
    }
}
