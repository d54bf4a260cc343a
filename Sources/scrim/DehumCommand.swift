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
        let progress = TerminalProgress("dehum \(paths.displayInput)", passes: 2)
        defer { progress.finish() }
        let options = FileJobOptions(overwrite: overwrite, codingHistoryText: "Scrim \(scrimVersion) dehum", bits: bits)
        let settings = DehumJobSettings(fixedHertz: fixedHertz, harmonics: harmonics, output: outputKind,
                                        engine: engine == "tracker" ? .tracker : .classic, force: force)
        let tap = plot.tap()
        var done = try DehumJob.process(input: paths.input, output: paths.output, settings: settings,
                                        options: options, isCancelled: { Interruption.requested },
                                        comparisonTap: tap, progress: progress.callback)
        done.file.inputPath = paths.displayInput
        done.file.outputPath = paths.displayOutput
        progress.finish()
        let plotted = try plot.drawComparison(command: "dehum", paths: paths,
                                              humHertz: done.removed.map { Double($0) * (done.fundamental ?? 0) },
                                              tap: tap, overwrite: overwrite)
        if json {
            print(done.json.addingPlot(plotted).serialized())
        } else {
            print(Self.describe(detection: done.detection, fundamental: done.fundamental, removed: done.removed,
                                reach: done.reach, levelVaries: done.levelVaries, result: done.file,
                                track: done.track) + plotLines(plotted))
        }
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
