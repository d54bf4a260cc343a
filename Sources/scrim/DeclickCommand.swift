import ArgumentParser
import Foundation
import Scrim

/// `scrim declick IN -o OUT`: remove mouth clicks, crackle and digital ticks from dialogue.
struct DeclickCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "declick",
        abstract: "Remove mouth clicks, crackle and digital ticks (0.1-5 ms impulses) from dialogue.",
        discussion: """
            One pass, each track on its own. A short-window linear-prediction model of the speech finds samples \
            that neither the past nor the future predicts, against the local level of what it cannot predict; a \
            glottal pulse (one of a periodic chain) and the onset of a plosive or fricative (whose energy goes on) \
            are left alone. Each click is replaced by a least-squares autoregressive interpolation from both sides, \
            with a pitch predictor in voiced speech. The output is sample-aligned with the input (same length; \
            bext/iXML pass through). The report says how many clicks were removed, for how long, and the strongest.
            """
    )

    @Argument(help: "Input audio file (never written).")
    var input: String

    @Option(name: [.customShort("o"), .customLong("output")],
            help: "Output file (- for standard output; the container follows the extension).")
    var output: String

    @Option(help: ArgumentHelp("Detection threshold over the local prediction-error level, 4-100 (default 10; "
                               + "lower finds weaker clicks).", valueName: "ratio"))
    var threshold = Declicker.defaultThresholdRatio

    @Option(name: .customLong("max-click"),
            help: ArgumentHelp("Longest click repaired in ms, 0.05-10 (default 5); longer events are left and "
                               + "counted.", valueName: "ms"))
    var maximumClickMilliseconds = 5.0

    @Option(name: .customLong("write"),
            help: ArgumentHelp("What to write: cleaned (default) or residual (the clicks removed).",
                               valueName: "kind"))
    var outputKind: DeclickerOutput = .cleaned

    @Flag(help: "Replace the output file if it exists.")
    var overwrite = false

    @OptionGroup var sampleFormat: SampleFormatOption
    var bits: OutputBits? { sampleFormat.bits }

    @Flag(help: "Print one JSON object (keys in Sources/scrim/README.md).")
    var json = false

    func validate() throws {
        guard threshold.isFinite, threshold >= 4, threshold <= 100 else {
            throw ValidationError("--threshold \(threshold): use 4 to 100")
        }
        guard maximumClickMilliseconds.isFinite, maximumClickMilliseconds >= 0.05, maximumClickMilliseconds <= 10
        else {
            throw ValidationError("--max-click \(maximumClickMilliseconds): use 0.05 to 10 ms")
        }
        try OutputTarget.check(output, json: json)
    }

    func run() throws {
        try runWritingCommand(command: "declick", input: input, output: output, json: json) { paths in
            try runJob(paths)
        }
    }

    private func runJob(_ paths: JobPaths) throws {
        let configuration = DeclickerConfiguration(thresholdRatio: threshold,
                                                   maximumClickMilliseconds: maximumClickMilliseconds,
                                                   output: outputKind)
        let progress = TerminalProgress("declick \(paths.displayInput)", passes: 1)
        defer { progress.finish() }
        var options = FileJobOptions(overwrite: overwrite, codingHistoryText: "Scrim \(scrimVersion) declick",
                                     bits: bits)
        options.progress = progress.callback
        var declicker: Declicker?
        var result = try FileJob.process(input: paths.input, output: paths.output, options: options,
                                         isCancelled: { Interruption.requested }) { _ in
            let made = Declicker(configuration: configuration)
            declicker = made
            return made
        }
        result.inputPath = paths.displayInput
        result.outputPath = paths.displayOutput
        progress.finish()
        let reports = declicker?.channelReports ?? []
        let sampleRate = Double(result.input.sampleRate)
        if json {
            print(Self.report(configuration: configuration, tracks: reports, sampleRate: sampleRate,
                              result: result).serialized())
        } else {
            print(Self.describe(tracks: reports, sampleRate: sampleRate, result: result))
        }
    }

    static func report(configuration: DeclickerConfiguration, tracks: [DeclickReport], sampleRate: Double,
                       result: FileJobResult) -> JSONValue {
        Envelope.make(command: "declick", input: result.inputPath, output: result.outputPath, status: .done,
                      warnings: result.warnings, report: [
            ("declick", DeclickReport.json(configuration: configuration, tracks: tracks, sampleRate: sampleRate)),
            ("file", result.json),
        ])
    }

    static func describe(tracks: [DeclickReport], sampleRate: Double, result: FileJobResult) -> String {
        var lines = ["\(result.inputPath) -> \(result.outputPath)"]
        func line(_ report: DeclickReport) -> String {
            guard report.clicksRemoved > 0 else {
                var text = "no clicks found (output equals input)"
                if report.longEventsLeft > 0 { text += "; \(report.longEventsLeft) longer impulsive events left" }
                return text
            }
            var text = String(format: "%d click%@, %.1f ms in all, strongest %@ dBFS", report.clicksRemoved,
                              report.clicksRemoved == 1 ? "" : "s",
                              report.removedSeconds(sampleRate: sampleRate) * 1000,
                              formatDecibels(report.strongestClickDecibelsFS ?? -.infinity))
            if report.longEventsLeft > 0 {
                text += "; \(report.longEventsLeft) longer impulsive event\(report.longEventsLeft == 1 ? "" : "s") left"
            }
            return text
        }
        var total = DeclickReport()
        for track in tracks { total.merge(track) }
        lines.append("  removed    " + line(total))
        if tracks.count > 1 {
            for (index, report) in tracks.enumerated() {
                lines.append("  track \(index + 1)".padding(toLength: 13, withPad: " ", startingAt: 0) + line(report))
            }
        }
        lines.append("  kept       \(total.speechImpulsesKept) speech impulses (glottal pulses, onsets, repairs the gate undid) "
                     + "that stood out as much")
        lines += fileNoteLines(result)
        lines.append(String(format: "  speed      %.0fx real time", result.realTimeFactor))
        return lines.joined(separator: "\n")
    }
}

extension DeclickerOutput: ExpressibleByArgument {}
