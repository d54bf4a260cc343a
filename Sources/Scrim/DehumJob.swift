import Foundation
import ScrimFiles

/// What `scrim dehum` (and the C API's `scrim_dehum_buffer`) is asked to do.
public struct DehumJobSettings: Sendable {
    /// The fundamental to remove, Hz (10–1000); nil finds it (search 45–65 Hz).
    public var fixedHertz: Double?
    /// Remove harmonics 1...N; nil removes the significant series found.
    public var harmonics: Int?
    /// Cleaned audio, or the hum removed.
    public var output: HumRemoverOutput
    /// The tracker (one phase track for all harmonics, whole-take chunks) or the classic streaming remover.
    public var engine: DehumEngine
    /// With ``fixedHertz``: remove it even when the detector hears no hum near it.
    public var force: Bool

    public init(fixedHertz: Double? = nil, harmonics: Int? = nil, output: HumRemoverOutput = .cleaned,
                engine: DehumEngine = .tracker, force: Bool = false) {
        self.fixedHertz = fixedHertz
        self.harmonics = harmonics
        self.output = output
        self.engine = engine
        self.force = force
    }
}

/// What a de-hum job found and did (the `dehum` object of `scrim dehum --json`).
public struct DehumJobResult: Sendable {
    /// The detector's finding (search range 45–65 Hz, or ±1 Hz around a fixed frequency).
    public var detection: HumDetection
    /// The fundamental removed (the tracker's), Hz; nil when nothing was removed.
    public var fundamental: Double?
    /// Harmonic numbers removed (empty: nothing removed, the output equals the input).
    public var removed: [Int]
    /// The classic remover's look-ahead, seconds (nil for the tracker).
    public var reach: Double?
    /// Whether the classic remover follows a varying hum level (nil for the tracker).
    public var levelVaries: Bool?
    /// The file pipeline's report (paths, format, latency, warnings including the job's own).
    public var file: FileJobResult
    /// What was written.
    public var write: HumRemoverOutput
    /// "tracker" or "classic": the remover that ran.
    public var engine: String
    /// The tracker's per-channel reports (nil for the classic remover).
    public var track: [HumTrackReport]?

    /// The `scrim dehum --json` line: the envelope with the report under `dehum` and the file report under `file`.
    public var json: JSONValue {
        Envelope.make(command: "dehum", input: file.inputPath, output: file.outputPath, status: .done,
                      warnings: file.warnings, report: [
            ("dehum", .object([
                ("write", .string(write.rawValue)),
                ("detection", detection.json),
                ("removedFundamentalHz", .rounded(fundamental, places: 3)),
                ("removedHarmonics", .array(removed.map { .int(Int64($0)) })),
                ("lookaheadSeconds", .rounded(removed.isEmpty ? nil : reach, places: 2)),
                ("levelVaries", removed.isEmpty ? .null : levelVaries.map { .bool($0) } ?? .null),
                ("engine", .string(engine)),
                ("track", track.map { reports in .array(reports.enumerated().map { $1.json(track: $0 + 1) }) }
                    ?? .null),
            ])),
            ("file", file.json),
        ])
    }
}

/// File → hum detection → hum removal → file (`scrim dehum`): two passes, sample-aligned, metadata passed
/// through, output atomic (``FileJob``).
///
/// The first pass finds the hum (search 45–65 Hz, or ±1 Hz around a fixed frequency, with the usual search in the
/// same pass to say what is there instead); the second removes it with the tracker as `scrim process` builds it
/// (``DehumStage/tracker(detected:)``) or the classic ``HumRemover``. With automatic detection and no hum found the
/// output equals the input; a fixed frequency the detector does not hear passes the audio through with a
/// `humNotFound` warning unless ``DehumJobSettings/force``.
public enum DehumJob {
    /// Runs the job.
    /// - Parameters:
    ///   - progress: called once per block of each pass (frames read, the file's frame count).
    ///   - comparisonTap: fed the input and output blocks of the removal pass (the before/after picture).
    /// - Throws: ``AudioFileError`` for I/O problems, ``ScrimError`` for configuration problems or cancellation.
    public static func process(
        input: String, output: String, settings: DehumJobSettings, options: FileJobOptions,
        isCancelled: () -> Bool = { false }, comparisonTap: ComparisonTap? = nil,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws -> DehumJobResult {
        let fixedHertz = settings.fixedHertz
        let range = fixedHertz.map { ($0 - 1)...($0 + 1) } ?? 45...65
        let detector = HumDetector(configuration: HumDetectorConfiguration(searchRangeHertz: range))
        // With a fixed frequency the usual 45–65 Hz search runs in the same pass, to say what is there instead.
        let wide = fixedHertz == nil ? nil : HumDetector(configuration: HumDetectorConfiguration())
        _ = try FileJob.analyze(input: input, analyzers: [detector] + (wide.map { [$0] } ?? []),
                                isCancelled: isCancelled, progress: progress)
        let detection = detector.finish()
        var warnings: [JobWarning] = []
        var passThrough = false
        if let fixedHertz, !detection.isPresent {
            var text = String(format: "no hum near %.3f Hz", fixedHertz)
            if let other = wide?.finish(), other.isPresent, let found = other.fundamentalHertz {
                text += String(format: "; the detector hears %.3f Hz hum (%@ dB re signal): try --frequency auto",
                               found, decibelText(other.humToSignalDecibels))
            } else {
                text += ", nor between 45 and 65 Hz"
            }
            if settings.force {
                text += String(format: "; removing %.3f Hz and its harmonics anyway (--force)", fixedHertz)
            } else {
                text += "; the audio passes through unchanged (--force removes it anyway)"
                passThrough = true
            }
            warnings.append(JobWarning(.humNotFound, text))
        } else if let fixedHertz, let other = wide?.finish(), other.isPresent, let found = other.fundamentalHertz,
                  abs(found - fixedHertz) > 1, other.humToSignalDecibels > detection.humToSignalDecibels {
            // Harmonics of one mains frequency fall on the other's (300 Hz is 5 × 60 and 6 × 50): a wrong
            // --frequency can still "find" something. Say what the open search hears.
            warnings.append(JobWarning(.humFrequencyMismatch, String(
                format: "--frequency %.0f: the detector hears stronger hum at %.3f Hz (%@ dB re signal, against %@ dB "
                    + "near %.0f Hz); check the mains frequency, or use --frequency auto", fixedHertz, found,
                decibelText(other.humToSignalDecibels), decibelText(detection.humToSignalDecibels),
                fixedHertz)))
        }
        var fundamental: Double?
        var numbers: [Int]?
        if let harmonics = settings.harmonics { numbers = Array(1...max(1, harmonics)) }
        if detection.isPresent, let found = detection.fundamentalHertz {
            fundamental = detection.startingFundamentalHertz ?? found
            if numbers == nil {
                let found = detection.harmonicsToRemove()
                if !found.isEmpty { numbers = found }
            }
        } else if let fixedHertz, !passThrough {
            fundamental = fixedHertz
        }
        let configuration = fundamental.map { hertz -> HumRemoverConfiguration in
            var configuration = HumRemoverConfiguration(fundamentalHertz: hertz, harmonicNumbers: numbers,
                                                        output: settings.output)
            configuration.adopt(detection)
            return configuration
        }
        var options = options
        options.progress = progress
        var removed: [Int] = []
        // The tracker as `process` makes it (DehumStage.tracker): it also takes a candidate the detector did not
        // confirm (a wobbling hum smears its lines) and removes it only where the tracker finds it coherent.
        let stage = DehumStage(frequency: fixedHertz.map { .fixed($0) } ?? .auto, harmonics: settings.harmonics,
                               output: settings.output, engine: settings.engine)
        var tracker: HumTrackingRemover?
        var file = try FileJob.process(input: input, output: output, options: options, isCancelled: isCancelled,
                                       comparisonTap: comparisonTap) { _ in
            if !passThrough, let remover = stage.tracker(detected: detection) {
                tracker = remover
                return remover
            }
            guard let configuration else { return PassThrough(silent: settings.output == .residual) }
            let remover = HumRemover(configuration: configuration)
            return RemoverRecorder(remover: remover) { removed = $0 }
        }
        file.warnings = warnings + file.warnings
        let trackReports = tracker?.reports
        if let tracker, let reports = trackReports {
            fundamental = tracker.fundamentalHertz
            let anyRemoved = reports.contains { $0.chunksRemoved > 0 }
            removed = anyRemoved ? Array(1...max(1, reports.map(\.harmonicCount).max() ?? 1)) : []
        }
        return DehumJobResult(
            detection: detection, fundamental: fundamental, removed: removed,
            reach: tracker == nil ? configuration?.lookaheadSeconds : nil,
            levelVaries: tracker == nil ? configuration?.levelVaries : nil, file: file, write: settings.output,
            engine: tracker == nil ? "classic" : "tracker", track: trackReports)
    }

    /// "-23.0": one decimal, "-inf" for −∞ (as the CLI's text prints decibels).
    private static func decibelText(_ value: Double) -> String {
        guard value.isFinite else { return value < 0 ? "-inf" : "inf" }
        return String(format: "%.1f", value)
    }
}

/// Forwards to a ``HumRemover`` and reports the harmonics it settled on once prepared.
private final class RemoverRecorder: AudioProcessor {
    let remover: HumRemover
    let record: ([Int]) -> Void
    init(remover: HumRemover, record: @escaping ([Int]) -> Void) {
        self.remover = remover
        self.record = record
    }
    var latencyFrames: Int { remover.latencyFrames }
    func prepare(for spec: ProcessSpec) throws {
        try remover.prepare(for: spec)
        record(remover.harmonicNumbers)
    }
    func process(_ block: AudioBlock) { remover.process(block) }
    func flush(into block: AudioBlock) { remover.flush(into: block) }
    func reset() { remover.reset() }
}

/// No hum: the input unchanged (or silence for `--write residual`).
private final class PassThrough: AudioProcessor {
    let silent: Bool
    init(silent: Bool) { self.silent = silent }
    let latencyFrames = 0
    func prepare(for spec: ProcessSpec) throws {}
    func process(_ block: AudioBlock) { if silent { block.clear() } }
    func reset() {}
}
