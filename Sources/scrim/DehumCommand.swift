import ArgumentParser
import Foundation
import Scrim

/// `scrim dehum IN -o OUT`: remove mains hum and buzz (a fundamental and its harmonics).
struct DehumCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dehum",
        abstract: "Remove mains hum and buzz: a fundamental (50/60 Hz or found automatically) and its harmonics.",
        discussion: """
            Two passes. The first finds the hum (search 45-65 Hz, or around --frequency): its fundamental, its \
            significant harmonics and its drift. The second tracks each harmonic as a sinusoid and subtracts it, \
            following the drift, so the voice's own low harmonics a few hertz away are kept. The output is \
            sample-aligned with the input (same length; bext/iXML pass through). With --frequency auto and no hum \
            found, the output is the input unchanged and the report says so.
            """
    )

    @Argument(help: "Input audio file (never written).")
    var input: String

    @Option(name: [.customShort("o"), .customLong("output")],
            help: "Output file (- for standard output; the container follows the extension).")
    var output: String

    @Option(help: ArgumentHelp("Hum fundamental: auto (default), 50, 60 or a frequency in Hz.", valueName: "hz"))
    var frequency = "auto"

    @Option(help: ArgumentHelp("Remove harmonics 1...N (default: the significant series found, to at least 1 kHz, "
                               + "up to 4 kHz).", valueName: "n"))
    var harmonics: Int?

    @Option(name: .customLong("write"),
            help: ArgumentHelp("What to write: cleaned (default) or residual (the hum removed).", valueName: "kind"))
    var outputKind: HumRemoverOutput = .cleaned

    @Option(help: ArgumentHelp("Remover: tracker (default: one phase track for all harmonics, followed through "
                               + "speech; tracks in 28 s chunks) or classic (each harmonic tracked on its own, "
                               + "streaming).", valueName: "engine"))
    var engine = "tracker"

    @Flag(help: "Replace the output file (and the --plot picture) if it exists.")
    var overwrite = false

    @Flag(help: "With --frequency, remove that fundamental even when the detector hears no hum near it.")
    var force = false

    @OptionGroup var sampleFormat: SampleFormatOption
    var bits: OutputBits? { sampleFormat.bits }

    @OptionGroup var plot: PlotOption

    @Flag(help: "Print one JSON object (keys in Sources/scrim/README.md).")
    var json = false

    /// The fundamental from --frequency, nil for auto.
    private var fixedHertz: Double? {
        frequency.lowercased() == "auto" ? nil : Double(frequency)
    }

    func validate() throws {
        if ["cleaned", "residual", "bypass"].contains(output.lowercased()) {
            throw ValidationError("--output \(output): --output is the output file now; say what to write with "
                                  + "--write \(output.lowercased())")
        }
        if frequency.lowercased() != "auto" {
            guard let hz = Double(frequency), hz.isFinite, hz >= 10, hz <= 1000 else {
                throw ValidationError("--frequency \(frequency): use auto, 50, 60 or a frequency from 10 to 1000 Hz")
            }
        }
        if !["classic", "tracker"].contains(engine) {
            throw ValidationError("--engine \(engine): use classic or tracker")
        }
        if let harmonics, harmonics < 1 || harmonics > 500 {
            throw ValidationError("--harmonics \(harmonics): use 1 to 500")
        }
        try OutputTarget.check(output, json: json)
        try plot.validate()
    }

    func run() throws {
        try runWritingCommand(command: "dehum", input: input, output: output, json: json) { paths in
            try plot.checkDestination(overwrite: overwrite, input: input)
            try runJob(paths)
        }
    }

    private func runJob(_ paths: JobPaths) throws {
        let range = fixedHertz.map { ($0 - 1)...($0 + 1) } ?? 45...65
        let detector = HumDetector(configuration: HumDetectorConfiguration(searchRangeHertz: range))
        // With a fixed frequency the usual 45–65 Hz search runs in the same pass, to say what is there instead.
        let wide = fixedHertz == nil ? nil : HumDetector(configuration: HumDetectorConfiguration())
        let progress = TerminalProgress("dehum \(paths.displayInput)", passes: 2)
        defer { progress.finish() }
        _ = try FileJob.analyze(input: paths.input, analyzers: [detector] + (wide.map { [$0] } ?? []),
                                isCancelled: { Interruption.requested }, progress: progress.callback)
        let detection = detector.finish()
        var warnings: [JobWarning] = []
        var passThrough = false
        if let fixedHertz, !detection.isPresent {
            var text = String(format: "no hum near %.3f Hz", fixedHertz)
            if let other = wide?.finish(), other.isPresent, let found = other.fundamentalHertz {
                text += String(format: "; the detector hears %.3f Hz hum (%@ dB re signal): try --frequency auto",
                               found, formatDecibels(other.humToSignalDecibels))
            } else {
                text += ", nor between 45 and 65 Hz"
            }
            if force {
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
                formatDecibels(other.humToSignalDecibels), formatDecibels(detection.humToSignalDecibels),
                fixedHertz)))
        }
        var fundamental: Double?
        var numbers: [Int]?
        if let harmonics { numbers = Array(1...harmonics) }
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
                                                        output: outputKind)
            configuration.adopt(detection)
            return configuration
        }
        var options = FileJobOptions(overwrite: overwrite, codingHistoryText: "Scrim \(scrimVersion) dehum",
                                     bits: bits)
        options.progress = progress.callback
        var removed: [Int] = []
        // The tracker as `process` makes it (DehumStage.tracker): it also takes a candidate the detector did not
        // confirm (a wobbling hum smears its lines) and removes it only where the tracker finds it coherent.
        let stage = DehumStage(frequency: fixedHertz.map { .fixed($0) } ?? .auto, harmonics: harmonics,
                               output: outputKind, engine: engine == "tracker" ? .tracker : .classic)
        var tracker: HumTrackingRemover?
        let tap = plot.tap()
        var result = try FileJob.process(input: paths.input, output: paths.output, options: options,
                                         isCancelled: { Interruption.requested }, comparisonTap: tap) { _ in
            if !passThrough, let remover = stage.tracker(detected: detection) {
                tracker = remover
                return remover
            }
            guard let configuration else { return PassThrough(silent: outputKind == .residual) }
            let remover = HumRemover(configuration: configuration)
            return RemoverRecorder(remover: remover) { removed = $0 }
        }
        result.inputPath = paths.displayInput
        result.outputPath = paths.displayOutput
        result.warnings = warnings + result.warnings
        progress.finish()
        let trackReports = tracker?.reports
        if let tracker, let reports = trackReports {
            fundamental = tracker.fundamentalHertz
            let anyRemoved = reports.contains { $0.chunksRemoved > 0 }
            removed = anyRemoved ? Array(1...max(1, reports.map(\.harmonicCount).max() ?? 1)) : []
        }
        let plotted = try plot.drawComparison(command: "dehum", paths: paths,
                                              humHertz: removed.map { Double($0) * (fundamental ?? 0) }, tap: tap,
                                              overwrite: overwrite)
        if json {
            print(Self.report(detection: detection, fundamental: fundamental, removed: removed,
                              reach: tracker == nil ? configuration?.lookaheadSeconds : nil,
                              levelVaries: tracker == nil ? configuration?.levelVaries : nil, result: result,
                              write: outputKind, engine: tracker == nil ? "classic" : "tracker",
                              track: trackReports).addingPlot(plotted).serialized())
        } else {
            print(Self.describe(detection: detection, fundamental: fundamental, removed: removed,
                                reach: tracker == nil ? configuration?.lookaheadSeconds : nil,
                                levelVaries: tracker == nil ? configuration?.levelVaries : nil, result: result,
                                track: trackReports) + plotLines(plotted))
        }
    }

    static func report(detection: HumDetection, fundamental: Double?, removed: [Int], reach: Double?,
                       levelVaries: Bool?, result: FileJobResult, write: HumRemoverOutput, engine: String,
                       track: [HumTrackReport]?) -> JSONValue {
        Envelope.make(command: "dehum", input: result.inputPath, output: result.outputPath, status: .done,
                      warnings: result.warnings, report: [
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
            ("file", result.json),
        ])
    }

    static func describe(detection: HumDetection, fundamental: Double?, removed: [Int], reach: Double?,
                         levelVaries: Bool?, result: FileJobResult, track: [HumTrackReport]? = nil) -> String {
        var lines = ["\(result.inputPath) -> \(result.outputPath)"]
        if detection.isPresent, let f = detection.fundamentalHertz {
            var text = String(format: "  hum        %.3f Hz, %d significant harmonics, %@ dB re signal", f,
                              detection.harmonics.count, formatDecibels(detection.humToSignalDecibels))
            if let range = detection.trackRangeHertz {
                text += String(format: ", track %.2f-%.2f Hz", range.lowerBound, range.upperBound)
            }
            lines.append(text)
        } else {
            lines.append("  hum        none found")
        }
        if let track {
            for (index, report) in track.enumerated() {
                let label = track.count > 1 ? "  track \(index + 1)".padding(toLength: 13, withPad: " ", startingAt: 0)
                    : "  removed    "
                guard report.chunksRemoved > 0 else {
                    lines.append(label + (detection.isPresent ? "nothing (the stretch was too short to track)"
                        : "nothing (no hum found; the tracker found no harmonics keeping their phase either)"))
                    continue
                }
                var text = label + String(format: "harmonics 1-%d on one phase track", report.harmonicCount)
                if let range = report.rangeHertz {
                    text += String(format: ", f0 %.3f-%.3f Hz", range.lowerBound, range.upperBound)
                }
                if let rate = report.fastestRateHertzPerSecond {
                    text += String(format: ", fastest %.2f Hz/s", rate)
                }
                if let removedDb = report.removedDecibels { text += ", removed " + formatDecibels(removedDb) + " dB re input" }
                if let left = report.estimatedHumLeftDecibels {
                    text += ", estimated hum left " + formatDecibels(left) + " dB"
                }
                if report.chunksRemoved < report.chunks {
                    text += " (\(report.chunks - report.chunksRemoved) of \(report.chunks) chunks left unchanged)"
                }
                lines.append(text)
            }
        } else if let fundamental, !removed.isEmpty {
            var text = String(format: "  removed    %.3f Hz and harmonics %d-%d (tracked", fundamental,
                              removed.first ?? 1, removed.last ?? 1)
            if let reach { text += String(format: ", hum under speech from %.1f s either side", reach) }
            if let range = detection.levelRangeDecibels, detection.isPresent {
                text += String(format: "; level varies %.1f dB", range)
                if levelVaries == true { text += ", followed under speech" }
            }
            lines.append(text + ")")
        } else {
            lines.append("  removed    nothing (output equals input)")
        }
        lines += fileNoteLines(result)
        lines.append(String(format: "  speed      %.0fx real time", result.realTimeFactor))
        return lines.joined(separator: "\n")
    }
}

extension HumRemoverOutput: ExpressibleByArgument {}

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

/// No hum: the input unchanged (or silence for `--output residual`).
private final class PassThrough: AudioProcessor {
    let silent: Bool
    init(silent: Bool) { self.silent = silent }
    let latencyFrames = 0
    func prepare(for spec: ProcessSpec) throws {}
    func process(_ block: AudioBlock) { if silent { block.clear() } }
    func reset() {}
}
