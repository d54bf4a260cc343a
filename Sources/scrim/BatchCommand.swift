import ArgumentParser
import Foundation
import Scrim
import Synchronization

/// `scrim batch INPUTS... -o OUTDIR`: a preset over many files, in parallel, resumable, shardable.
struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Clean many files with a preset: files, folders (mirrored under OUTDIR), globs or a manifest.",
        discussion: """
            Files run in parallel (--jobs, default one per core), each output written atomically under OUTDIR with \
            the tree it came from; inputs are never written. Each file's report is kept in \
            OUTDIR/.scrim/reports/<path>.json; a re-run skips outputs whose report shows the same input (size and \
            modification time) and preset, so an interrupted batch resumes (--force redoes everything). A bad file \
            is reported and the batch goes on. An output path holding a file Scrim did not write fails that file \
            (outputExists) unless --overwrite; every path found under a folder and not processed is listed with the \
            reason.

            Progress: on a terminal, a line on stderr (files, hours of audio, x real time, ETA); --json (or \
            --progress json) writes JSON lines on stdout instead (events: skippedPath, start, started, file, progress, \
            cleanup, summary).

            Exit codes: 0 all done (or up to date), 1 some files failed (listed at the end), 2 usage error, 130 when \
            interrupted by SIGINT (143 by SIGTERM): running files are stopped, nothing partial is left, and a re-run \
            completes the rest.
            """
    )

    enum ProgressMode: String, ExpressibleByArgument, CaseIterable {
        case auto, json, none
    }

    @Argument(help: "Input files, folders or glob patterns.")
    var inputs: [String] = []

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output folder (created if needed).")
    var outputFolder: String

    @Option(help: ArgumentHelp("Built-in preset name or preset JSON file.", valueName: "name|file"))
    var preset = "dailies"

    @Option(help: ArgumentHelp("Files processed at once (the default is the number of cores).", valueName: "n"))
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Print what would be done (process, redo or skip, and why); write nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("Write the batch report (every file's outcome and report) to this JSON file.",
                               valueName: "file"))
    var report: String?

    @Option(help: ArgumentHelp("Write the HTML day report of OUTDIR (every file Scrim's reports there know of) to "
                               + "this .html file after the run; scrim report OUTDIR --html FILE rebuilds it.",
                               valueName: "file"))
    var html: String?

    @Option(help: ArgumentHelp("auto (a line on a terminal), json (JSON lines on stdout) or none.",
                               valueName: "mode"))
    var progress: ProgressMode = .auto

    @Option(help: ArgumentHelp("A file listing inputs, one per line, relative to its folder.", valueName: "file"))
    var manifest: String?

    @Option(help: ArgumentHelp("Process only shard I of N (0-based): the files whose index in the sorted list is "
                               + "I modulo N.", valueName: "i/n"))
    var shard: String?

    @Flag(help: "Redo every file, even outputs that are up to date.")
    var force = false

    @Flag(help: "Replace outputs Scrim did not write (without it such a file is a failed file, never replaced).")
    var overwrite = false

    @OptionGroup var sampleFormat: SampleFormatOption
    var bits: OutputBits? { sampleFormat.bits }

    @OptionGroup var weights: LayoutOption
    var layout: LayoutChoice? { weights.layout }

    @OptionGroup var modelOption: ModelOption

    @Flag(help: "JSON lines on stdout (the same as --progress json).")
    var json = false

    /// What makes each file's before/after picture for `--html`: FilePlot's 320×72 thumbnail (input above output),
    /// stored beside the file's report.
    static let thumbnailProvider: (any ThumbnailProvider)? = ThumbnailClosure { input, output in
        try FilePlot.thumbnailPNG(input: input, output: output)
    }

    /// The parsed --shard.
    var shardParts: (index: Int, count: Int)? {
        guard let shard else { return nil }
        let parts = shard.split(separator: "/")
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1, index >= 0,
              index < count else { return nil }
        return (index, count)
    }

    func validate() throws {
        if inputs.isEmpty && manifest == nil { throw ValidationError("give input files or folders, or --manifest") }
        if inputs.contains("-") { throw ValidationError("batch reads files and folders, not - (standard input)") }
        if outputFolder == "-" { throw ValidationError("-o -: batch writes into a folder, not standard output") }
        if json && progress == .none { throw ValidationError("--json and --progress none contradict each other") }
        if !(1...256).contains(jobs) { throw ValidationError("--jobs \(jobs): use 1 to 256") }
        if shard != nil && shardParts == nil {
            throw ValidationError("--shard \(shard ?? ""): use I/N with 0 <= I < N, e.g. 0/4")
        }
        do { _ = try Preset.resolve(preset) } catch { throw ValidationError("--preset \(preset): \(error)") }
        if let html {
            if dryRun { throw ValidationError("--html with --dry-run: a dry run writes nothing to report") }
            try checkDayReportExtension(html)
        }
    }

    func run() throws {
        Interruption.install()
        let recipe: Preset
        var plan: BatchPlan
        let json = progress == .json || self.json
        do {
            recipe = try Preset.resolve(preset)
            plan = try BatchPlan(inputs: inputs, manifest: manifest, outputFolder: outputFolder)
        } catch {
            // A source that does not exist or holds no audio: a usage error, before any work.
            if json {
                print(Envelope.make(command: "batch", input: nil, output: outputFolder, status: .failed,
                                    error: Envelope.errorObject(code: "usage", message: "\(error)"), event: "error")
                        .serialized())
            } else {
                printError("scrim batch: \(error)")
            }
            throw exitCodeUsage
        }
        if let (index, count) = shardParts { plan = plan.shard(index: index, count: count) }
        if dryRun {
            printPlan(plan, preset: recipe, json: json)
            return
        }
        // A page Scrim may not replace is refused before any file is touched.
        if let html { try checkDayReportDestination(html, overwrite: overwrite) }
        do {
            try modelOption.check(for: recipe)
        } catch {
            // No model for a neural preset: one error before any file is touched (never the spectral engine).
            if json {
                print(Envelope.failure(command: "batch", input: nil, output: plan.outputFolder, error: error,
                                       event: "error").serialized())
            } else {
                printError("scrim batch: \(error)")
            }
            throw exitCodeFileFailed
        }
        printSkipped(plan.skipped, json: json)
        var options = BatchOptions(jobs: jobs, force: force, overwrite: overwrite, bits: bits)
        options.layout = layout?.request
        options.modelFolder = modelOption.model
        // The before/after pictures of the day report: made only for --html, by the provider below.
        if html != nil { options.thumbnails = Self.thumbnailProvider }
        let renderer = BatchRenderer(json: json, line: progress == .auto && isatty(STDERR_FILENO) == 1)
        if json {
            renderer.emit(Envelope.make(command: "batch", input: nil, output: plan.outputFolder, status: .running,
                                        event: "start", report: [("start", .object([
                ("files", .int(Int64(plan.items.count))), ("preset", .string(recipe.name)),
                ("presetFingerprint", .string(options.fingerprint(of: recipe))), ("jobs", .int(Int64(jobs))),
                ("shard", .optional(shard)),
            ]))]))
        }
        let summary = BatchRunner.run(plan: plan, preset: recipe, options: options,
                                      isCancelled: { Interruption.requested }, events: { renderer.handle($0) })
        var reportFailed = false
        var dayReport: DayReport?
        do {
            try BatchRecord.write(summary, outputFolder: plan.outputFolder, shard: shardParts)
        } catch {
            // Not fatal, like a per-file report that cannot be written: the outputs stand; the day report then
            // cannot tell which files this run left up to date.
            printError("scrim batch: cannot write the batch record (the day report will not know which files were "
                       + "up to date): \(error)")
        }
        if let html {
            do {
                let report = try DayReport.load(outputFolder: plan.outputFolder)
                try report.write(to: html, overwrite: overwrite)
                dayReport = report
            } catch {
                printError("scrim batch: cannot write the day report: \(error)")
                reportFailed = true
            }
        }
        renderer.finish(summary, outputFolder: plan.outputFolder,
                        dayReport: dayReport.flatMap { report in html.map { (report, $0) } })
        if let report {
            do {
                let document = summary.json(includingFiles: true, outputFolder: plan.outputFolder)
                try FileSystem.writeAtomically(Array((document.serialized(pretty: true) + "\n").utf8), to: report,
                                               overwrite: true)
            } catch {
                printError("scrim batch: cannot write the report: \(error)")
                reportFailed = true
            }
        }
        if let signal = Interruption.signalNumber { throw ExitCode(128 + signal) }
        if summary.count(.failed) > 0 || reportFailed { throw exitCodeFileFailed }
    }

    /// Every path under the sources that is not processed, with its reason: one `skipped` event each with JSON,
    /// else one line each on stderr.
    func printSkipped(_ skipped: [BatchSkip], json: Bool) {
        for skip in skipped {
            if json {
                print(Envelope.make(command: "batch", input: skip.path, output: nil, status: .skipped,
                                    warnings: [JobWarning(.skippedPath, skip.reason)], event: "skippedPath",
                                    report: [("reason", .string(skip.reason))]).serialized())
            } else {
                printError("skipped  \(SystemPath.display(skip.path))  (\(skip.reason))")
            }
        }
    }

    /// `--dry-run`: each file's action and the totals; nothing is written.
    func printPlan(_ plan: BatchPlan, preset: Preset, json: Bool) {
        var options = BatchOptions(bits: bits)
        options.layout = layout?.request
        let fingerprint = options.fingerprint(of: preset)
        var counts: [BatchAction: Int] = [:]
        var seconds = 0.0
        printSkipped(plan.skipped, json: json)
        for item in plan.items {
            let (action, reason) = BatchRunner.action(for: item, in: plan, fingerprint: fingerprint, force: force,
                                                      overwrite: overwrite)
            let duration = BatchRunner.duration(of: item.input)
            counts[action, default: 0] += 1
            if action != .skip { seconds += duration }
            let output = plan.outputPath(for: item)
            if json {
                // Nothing is done in a dry run: each planned file is "skipped", its plan says what a run would do.
                print(Envelope.make(command: "batch", input: item.input, output: output, status: .skipped,
                                    event: "plan", report: [("plan", .object([
                    ("action", .string(action.rawValue)), ("reason", .string(reason)),
                    ("durationSeconds", duration > 0 ? .rounded(duration, places: 3) : .null),
                ]))]).serialized())
            } else {
                print(action.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
                      + "\(SystemPath.display(item.input)) -> \(SystemPath.display(output))  (\(reason))")
            }
        }
        if json {
            print(Envelope.make(command: "batch", input: nil, output: plan.outputFolder, status: .skipped,
                                event: "planSummary", report: [("planSummary", .object([
                ("files", .int(Int64(plan.items.count))),
                ("process", .int(Int64(counts[.process, default: 0]))),
                ("redo", .int(Int64(counts[.redo, default: 0]))),
                ("skip", .int(Int64(counts[.skip, default: 0]))),
                ("refuse", .int(Int64(counts[.refuse, default: 0]))),
                ("skippedPaths", .int(Int64(plan.skipped.count))),
                ("audioSecondsToProcess", .rounded(seconds, places: 3)),
                ("preset", .string(preset.name)), ("presetFingerprint", .string(fingerprint)),
            ]))]).serialized())
        } else {
            print("\(plan.items.count) files: \(counts[.process, default: 0]) to process, "
                  + "\(counts[.redo, default: 0]) to redo, \(counts[.skip, default: 0]) up to date, "
                  + "\(counts[.refuse, default: 0]) refused (output not Scrim's), \(plan.skipped.count) paths skipped; "
                  + String(format: "%.2f h of audio to process with preset %@", seconds / 3600, preset.name))
        }
    }
}

/// Renders batch events: JSON lines, or human lines on stdout with a live progress line on stderr.
/// Events arrive one at a time (``BatchRunner`` serialises them).
final class BatchRenderer: @unchecked Sendable {
    let json: Bool
    let line: Bool
    private var lineShown = false

    init(json: Bool, line: Bool) {
        self.json = json
        self.line = line
    }

    func emit(_ value: JSONValue) {
        print(value.serialized())
        fflush(nil)
    }

    func handle(_ event: BatchEvent) {
        switch event {
        case .started(let item, let output):
            if json {
                emit(Envelope.make(command: "batch", input: item.input, output: output, status: .running,
                                   event: "started"))
            }
        case .finished(let outcome):
            if json {
                emit(outcome.json)
            } else {
                clearLine()
                print(Self.describe(outcome))
                fflush(nil)
            }
        case .cleanup(let cleanup):
            if json {
                emit(Envelope.make(command: "batch", input: nil, output: cleanup.folder, status: .done,
                                   event: "cleanup", report: [("temporariesRemoved", .object([
                                       ("files", .int(Int64(cleanup.fileCount))), ("bytes", .int(cleanup.byteCount)),
                                   ]))]))
            } else {
                clearLine()
                reportStaleTemporaries(cleanup)
            }
        case .progress(let progress):
            if json {
                emit(progress.json)
            } else if line {
                var text = "[\(progress.filesDone)/\(progress.filesTotal) files"
                if progress.filesFailed > 0 { text += ", \(progress.filesFailed) failed" }
                text += "]  " + Self.amount(progress.audioSecondsDone, of: progress.audioSecondsTotal) + " audio  "
                    + String(format: "%.0fx real time", progress.realTimeFactor)
                text += "  ETA " + (progress.etaSeconds.map { Self.clock($0) } ?? "-")
                FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
                lineShown = true
            }
        }
    }

    private func clearLine() {
        if lineShown {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            lineShown = false
        }
    }

    /// "1.25/41.00 h", "3.2/8.4 min" or "12/40 s", in the unit the total calls for.
    static func amount(_ done: Double, of total: Double) -> String {
        if total >= 3600 { return String(format: "%.2f/%.2f h", done / 3600, total / 3600) }
        if total >= 60 { return String(format: "%.1f/%.1f min", done / 60, total / 60) }
        return String(format: "%.0f/%.0f s", done, total)
    }

    /// Whole seconds as "h:mm:ss" or "m:ss".
    static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        let h = whole / 3600, m = (whole / 60) % 60, s = whole % 60
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }

    static func describe(_ outcome: BatchFileOutcome) -> String {
        switch outcome.status {
        case .done:
            let speed = outcome.elapsedSeconds > 0 ? outcome.durationSeconds / outcome.elapsedSeconds : 0
            return "done     \(SystemPath.display(outcome.item.input)) -> \(SystemPath.display(outcome.output))  ("
                + formatDuration(outcome.durationSeconds) + String(format: ", %.0fx)", speed)
                + outcome.warnings.map { "\n  warning  " + $0.message }.joined()
        case .skipped:
            return "skipped  \(SystemPath.display(outcome.item.input))  (\(outcome.reason ?? "up to date"))"
        case .failed:
            return "FAILED   \(SystemPath.display(outcome.item.input)): \(outcome.errorMessage ?? "error")"
        case .cancelled:
            return "stopped  \(SystemPath.display(outcome.item.input))  (interrupted; nothing written)"
        }
    }

    func finish(_ summary: BatchSummary, outputFolder: String, dayReport: (DayReport, String)? = nil) {
        clearLine()
        if json {
            emit(summary.json(includingFiles: false, outputFolder: outputFolder,
                              dayReport: dayReport.map { report, path in
                                  .object([("html", .string(SystemPath.display(path)))] + report.summaryJSON
                                      .removing([]))
                              }))
            return
        }
        defer { if let (report, path) = dayReport { print(describeDayReport(report, path: path)) } }
        var text = "\(summary.outcomes.count) files: \(summary.count(.done)) done, \(summary.count(.skipped)) up to "
            + "date, \(summary.count(.failed)) failed"
        if !summary.skippedPaths.isEmpty {
            text += ", \(summary.skippedPaths.count) other paths skipped (listed above)"
        }
        if summary.interrupted {
            text += ", \(summary.count(.cancelled)) not finished (interrupted; run again to resume)"
        }
        let speed = summary.elapsedSeconds > 0 ? summary.audioSeconds / summary.elapsedSeconds : 0
        text += "; " + formatDuration(summary.audioSeconds) + " of audio in " + formatDuration(summary.elapsedSeconds)
            + String(format: " (%.0fx real time)", speed)
        print(text)
        if !summary.failures.isEmpty {
            print("Failed:")
            for failure in summary.failures {
                print("  \(SystemPath.display(failure.item.input)): \(failure.errorMessage ?? "error")")
            }
        }
        fflush(nil)
    }
}
