import ArgumentParser
import Foundation
import Scrim

/// `scrim match`: bring takes to a reference's loudness, or to each other's (their median).
struct MatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Match the loudness of takes: to a reference file, or to each other (their median).",
        discussion: """
            scrim match --reference REF FILE... -o OUTDIR   brings each FILE to REF's integrated loudness. \
            scrim match --together FILE... -o OUTDIR        brings the takes to their median loudness. \
            Each output is OUTDIR/<the input's file name> (OUTDIR is created; two inputs with the same name are \
            refused). One static gain per file; peaks the gain would push over --true-peak are caught by the \
            true-peak limiter (or, with --no-limiter, the gain is lowered and the shortfall reported). Silent \
            files get no gain and are reported. --dialogue matches speech loudness (a voice-activity gate over \
            the 400 ms blocks). A file that fails is reported, the others are still processed, exit code 1.
            """
    )

    @Argument(help: "The takes to match.")
    var files: [String]

    @Option(help: ArgumentHelp("Match every file to this file's loudness.", valueName: "file"))
    var reference: String?

    @Flag(help: "Match the files to their median loudness.")
    var together = false

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Folder for the outputs.",
                                                                         valueName: "outdir"))
    var outputDirectory: String

    @Option(name: .customLong("true-peak"), parsing: .unconditional,
            help: ArgumentHelp("True-peak ceiling of the outputs.", valueName: "dBTP"))
    var truePeakCeiling: Double = -1

    @Flag(help: "Keep the ceiling by lowering the gain instead of limiting; reports the shortfall in LU.")
    var noLimiter = false

    @Flag(help: "Match dialogue loudness (speech blocks only) instead of the whole take.")
    var dialogue = false

    @OptionGroup var weights: LayoutOption
    var layout: LayoutChoice? { weights.layout }

    @Flag(help: "Replace outputs that exist (atomically). Without it an existing output is an error for that file.")
    var overwrite = false

    @OptionGroup var sampleFormat: SampleFormatOption
    var bits: OutputBits? { sampleFormat.bits }

    @Flag(help: "Print one JSON object per file, then one for the match (keys in README.md).")
    var json = false

    func validate() throws {
        guard (reference != nil) != together else {
            throw ValidationError("give either --reference FILE or --together")
        }
        if together && files.count < 2 {
            throw ValidationError("--together needs at least two files")
        }
        guard truePeakCeiling.isFinite, (-30...0).contains(truePeakCeiling) else {
            throw ValidationError("--true-peak \(truePeakCeiling): give a ceiling from -30 to 0 dBTP")
        }
        if files.contains("-") || reference == "-" {
            throw ValidationError("match reads each take twice: give files, not - (standard input)")
        }
        if outputDirectory == "-" {
            throw ValidationError("-o -: match writes one file per take into a folder")
        }
        var seen: [String: String] = [:]
        for path in files {
            try OutputTarget.check((path as NSString).lastPathComponent, option: "take", json: false)
            let name = (path as NSString).lastPathComponent
            if let other = seen[name] {
                throw ValidationError("\(other) and \(path) would both be written to \(outputDirectory)/\(name): "
                                      + "match them in separate runs or rename one")
            }
            seen[name] = path
        }
    }

    func run() throws {
        Interruption.install()
        var fileOptions = FileJobOptions(overwrite: overwrite, codingHistoryText: "Scrim \(scrimVersion) match",
                                         bits: bits)
        fileOptions.isCancelled = { Interruption.requested }
        let options = LoudnessJobOptions(layout: layout?.request, dialogueGating: dialogue, file: fileOptions)
        do {
            try FileSystem.createDirectories(outputDirectory, for: outputDirectory)
        } catch {
            printError("scrim match: \(error)")
            throw exitCodeFileFailed
        }
        reportStaleTemporaries(Temporaries.removeStale(in: outputDirectory))
        var failures = 0
        func fail(_ path: String, _ error: any Error, output: String? = nil) {
            if Interruption.requested { return }
            failures += 1
            reportFailure(error, path: path, command: "match", json: json, output: output)
        }

        // Pass 1: measure the reference and every take.
        var referenceMeasurement: LoudnessFileMeasurement?
        if let reference {
            do {
                referenceMeasurement = try LoudnessJob.measure(input: reference, options: options)
            } catch {
                fail(reference, error)
                throw exitCodeFileFailed
            }
            guard referenceMeasurement?.measurement.normalizationLoudness.isFinite == true else {
                fail(reference, ScrimError(.invalidInput, "the reference \(reference) is silent (nothing above the "
                                           + "-70 LUFS gate): there is no loudness to match"))
                throw exitCodeFileFailed
            }
        }
        var takes: [LoudnessFileMeasurement] = []
        for path in files where !Interruption.requested {
            do {
                let progress = TerminalProgress("match: measure \(SystemPath.display(path))")
                defer { progress.finish() }
                var measuring = options
                measuring.file.progress = progress.callback
                takes.append(try LoudnessJob.measure(input: path, options: measuring))
            } catch {
                fail(path, error, output: (outputDirectory as NSString).appendingPathComponent(
                    (path as NSString).lastPathComponent))
            }
        }
        let loudness = takes.map(\.measurement.normalizationLoudness)
        let matched: LevelMatcher.LevelMatch
        if let ref = referenceMeasurement?.measurement.normalizationLoudness {
            matched = LevelMatcher.match(loudness, to: ref)
        } else {
            matched = LevelMatcher.matchTogether(loudness)
        }

        // Pass 2: one gain per take.
        var rows: [MatchedTake] = []
        for (index, take) in takes.enumerated() where !Interruption.requested {
            let output = (outputDirectory as NSString).appendingPathComponent(
                (take.path as NSString).lastPathComponent)
            let plan = MatchJob.plan(take: take, index: index, matched: matched, truePeakCeiling: truePeakCeiling,
                                     handling: noLimiter ? .lowerGain : .limit)
            do {
                let progress = TerminalProgress("match: gain \(SystemPath.display(take.path))")
                defer { progress.finish() }
                var fileOptions = fileOptions
                fileOptions.progress = progress.callback
                let gain = try LoudnessJob.applyGain(
                    plan: plan, input: take.path, output: output, layout: take.measurement.channelLayout,
                    dialogueGating: dialogue, options: fileOptions)
                progress.finish()
                let row = MatchedTake(take: take, gain: gain, silent: matched.skippedIndices.contains(index))
                rows.append(row)
                if json { print(row.json(referenceLoudness: matched.referenceLoudness).serialized()) }
            } catch {
                fail(take.path, error, output: output)
            }
        }

        if let signal = Interruption.signalNumber {
            printError("scrim match: interrupted by signal \(signal); \(rows.count) of \(files.count) takes written, "
                       + "nothing partial left")
            throw ExitCode(128 + signal)
        }
        let before = rows.map(\.take.measurement.normalizationLoudness).filter(\.isFinite)
        let after = rows.filter { !$0.silent }.map(\.gain.afterLoudness).filter(\.isFinite)
        // Undefined (null in JSON) when fewer than one take has a loudness: there is no spread to speak of.
        let spreadBefore: Double? = before.isEmpty ? nil : (before.max() ?? 0) - (before.min() ?? 0)
        let spreadAfter: Double? = after.isEmpty ? nil : (after.max() ?? 0) - (after.min() ?? 0)
        if json {
            print(Envelope.make(command: "match", input: nil, output: outputDirectory,
                                status: failures > 0 ? .failed : .done,
                                error: failures > 0 ? Envelope.errorObject(
                                    code: "someFilesFailed", message: "\(failures) of \(files.count) takes failed")
                                    : nil,
                                report: [("matchSummary", MatchJob.summary(
                                    reference: reference, matched: matched, dialogue: dialogue, takes: rows,
                                    failedCount: failures))]).serialized())
        } else if !rows.isEmpty {
            print(describe(rows, referenceLoudness: matched.referenceLoudness, spreadBefore: spreadBefore ?? 0,
                           spreadAfter: spreadAfter ?? 0))
        }
        if failures > 0 { throw exitCodeFileFailed }
    }

    func describe(_ rows: [MatchedTake], referenceLoudness: LUFS?, spreadBefore: Double, spreadAfter: Double)
        -> String {
        let what = dialogue ? "dialogue" : "integrated"
        let source = reference.map { "loudness of \($0)" } ?? "median of \(rows.count) takes"
        var lines = ["reference  \(formatDecibels(referenceLoudness ?? -.infinity, places: 2)) LUFS \(what) "
                     + "(\(source)), true peak ceiling \(formatDecibels(truePeakCeiling)) dBTP"]
        var table = [["", "before", "gain", "after", "true peak", "limiter"],
                     ["", "LUFS", "dB", "LUFS", "dBTP", ""]]
        for row in rows {
            let limiter: String
            if row.silent {
                limiter = "silent: no gain"
            } else if row.gain.report.limiterEngaged {
                limiter = "engaged (\(row.gain.report.limitedFrames) frames, "
                    + String(format: "%.2f", row.gain.report.deepestReductionDecibels) + " dB)"
            } else if row.gain.plan.shortfall > 0 {
                limiter = "off: " + String(format: "%.2f", row.gain.plan.shortfall) + " LU short"
            } else {
                limiter = "no"
            }
            table.append([row.take.path, formatDecibels(row.take.measurement.normalizationLoudness, places: 2),
                          formatGain(row.gain.plan.gainDecibels), formatDecibels(row.gain.afterLoudness, places: 2),
                          formatDecibels(row.gain.outputTruePeak ?? -.infinity), limiter])
        }
        lines.append(alignedTable(table))
        lines.append(String(format: "spread  %.2f LU before, %.2f LU after (measured on the outputs)",
                            spreadBefore, spreadAfter))
        lines.append("outputs in \(outputDirectory); bext loudness fields, where present, left unchanged")
        return lines.joined(separator: "\n")
    }
}
