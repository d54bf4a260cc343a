import ArgumentParser
import Foundation
import Scrim

/// `scrim normalize IN -o OUT`: two-pass loudness normalisation with one static gain.
struct NormalizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "normalize",
        abstract: "Bring a file to a loudness target with one static gain, keeping the true peak under a ceiling.",
        discussion: """
            Two passes: measure (skipped with --measured), then apply one gain. If the gain would push the true \
            peak over the ceiling, a transparent look-ahead true-peak limiter catches only those peaks, and the \
            report says how many frames it touched and the deepest reduction; with --no-limiter the gain is lowered \
            to fit instead and the report gives the shortfall in LU. Never any other dynamic processing. The \
            "after" loudness is measured on the written file. The output is sample-aligned with the input, keeps \
            its format, and carries its metadata (bext, iXML, other chunks); bext gets a Coding History line, and \
            its loudness fields are left as they were (they describe the original). Silence gets no gain.

            Presets: ebu-r128 (-23 LUFS, -1 dBTP), atsc-a85 (-24, -2), streaming (-14, -1), podcast (-16, -1).
            """
    )

    @Argument(help: "The file to normalise (never written).")
    var input: String

    @Option(name: .shortAndLong,
            help: "The file to write (- for standard output; the container follows the extension).")
    var output: String

    @Option(help: "Delivery target: ebu-r128, atsc-a85, streaming or podcast.")
    var preset: PresetChoice = .ebuR128

    @Option(name: .customLong("target"), parsing: .unconditional,
            help: ArgumentHelp("Target integrated loudness, overriding the preset's.", valueName: "LUFS"))
    var targetLoudness: Double?

    @Option(name: .customLong("true-peak"), parsing: .unconditional,
            help: ArgumentHelp("True-peak ceiling, overriding the preset's.", valueName: "dBTP"))
    var truePeakCeiling: Double?

    @Flag(help: "Keep the ceiling by lowering the gain instead of limiting; reports the shortfall in LU.")
    var noLimiter = false

    @Option(help: ArgumentHelp("A `scrim loudness --json` result for this file: skips the first pass.",
                               valueName: "json-file"))
    var measured: String?

    @Flag(help: "Normalise the dialogue loudness (speech blocks only) instead of the whole programme.")
    var dialogue = false

    @OptionGroup var weights: LayoutOption
    var layout: LayoutChoice? { weights.layout }

    @Flag(help: "Replace OUT if it exists (atomically). Without it an existing OUT is an error.")
    var overwrite = false

    @OptionGroup var sampleFormat: SampleFormatOption
    var bits: OutputBits? { sampleFormat.bits }

    @Flag(help: "Exit 1 when the limiter pulls the output more than 0.5 LU off its target (the file is still written).")
    var strict = false

    @Flag(help: "Print the report as one JSON object (keys in README.md).")
    var json = false

    func validate() throws {
        if let targetLoudness, !(targetLoudness.isFinite && (-70...0).contains(targetLoudness)) {
            throw ValidationError("--target \(targetLoudness): give a loudness from -70 to 0 LUFS")
        }
        if let truePeakCeiling, !(truePeakCeiling.isFinite && (-30...0).contains(truePeakCeiling)) {
            throw ValidationError("--true-peak \(truePeakCeiling): give a ceiling from -30 to 0 dBTP")
        }
        try OutputTarget.check(output, json: json)
        if measured != nil && input == "-" {
            throw ValidationError("--measured cannot describe standard input: measure a file, or leave it out")
        }
    }

    var target: LoudnessTarget {
        let base = preset.target
        guard targetLoudness != nil || truePeakCeiling != nil else { return base }
        return .custom(loudness: targetLoudness ?? base.loudness,
                       truePeakCeiling: truePeakCeiling ?? base.truePeakCeiling)
    }

    func run() throws {
        var fileOptions = FileJobOptions(overwrite: overwrite, codingHistoryText: "Scrim \(scrimVersion) normalize",
                                         bits: bits)
        fileOptions.isCancelled = { Interruption.requested }
        let options = LoudnessJobOptions(layout: layout?.request, dialogueGating: dialogue, file: fileOptions)
        var previous: LoudnessFileMeasurement?
        if let measured {
            // A wrong --measured is a usage error (exit 2): nothing is processed.
            let text: String
            do { text = String(decoding: try FileSystem.contents(of: measured), as: UTF8.self) } catch {
                throw ValidationError("--measured \(measured): cannot read it (\(error))")
            }
            do {
                previous = try LoudnessJob.measurement(fromJSONLines: text, for: input, dialogueGating: dialogue)
            } catch let error as ScrimError {
                throw ValidationError("--measured \(measured): \(error)")
            } catch {
                report(error)
                throw exitCodeFileFailed
            }
        }
        var missedTarget = false
        try runWritingCommand(command: "normalize", input: input, output: output, json: json) { paths in
            let progress = TerminalProgress("normalize \(paths.displayInput)", passes: previous == nil ? 2 : 1)
            defer { progress.finish() }
            var options = options
            options.file.progress = progress.callback
            var result = try LoudnessJob.normalize(input: paths.input, output: paths.output, target: target,
                                                   handling: noLimiter ? .lowerGain : .limit, measured: previous,
                                                   options: options)
            result.before.path = paths.displayInput
            result.gain.file.outputPath = paths.displayOutput
            progress.finish()
            print(json ? result.json.serialized() : describe(result, measuredFrom: measured, paths: paths))
            missedTarget = result.gain.file.warnings.contains { $0.code == .targetMissed }
        }
        if strict && missedTarget {
            printError("scrim normalize: --strict: the output missed its loudness target by more than "
                       + "\(LoudnessJob.targetMissToleranceLoudnessUnits) LU (see the warning); it was written")
            throw exitCodeFileFailed
        }
    }

    private func report(_ error: any Error) {
        reportFailure(error, path: input, command: "normalize", json: json)
    }

    func describe(_ result: LoudnessNormalization, measuredFrom: String?, paths: JobPaths) -> String {
        let before = result.before.measurement
        let gain = result.gain
        let plan = gain.plan
        var lines = ["\(paths.displayInput) -> \(paths.displayOutput)"]
        func row(_ label: String, _ value: String) {
            lines.append("  " + label.padding(toLength: 9, withPad: " ", startingAt: 0) + " " + value)
        }
        let what = dialogue ? "dialogue" : "integrated"
        row("target", "\(result.target.name): \(formatDecibels(result.target.loudness)) LUFS \(what), "
            + "true peak <= \(formatDecibels(result.target.truePeakCeiling)) dBTP")
        row("before", "\(formatDecibels(before.normalizationLoudness)) LUFS \(what), "
            + "range \(formatDecibels(before.loudnessRange)) LU, true peak \(formatDecibels(before.truePeak)) dBTP"
            + (measuredFrom.map { "  (from \($0))" } ?? ""))
        row("layout", "\(before.channelLayout.name) (channel weights " + before.channelLayout.weights
            .map { String(format: "%g", $0) }.joined(separator: " ") + ")")
        row("gain", formatGain(plan.gainDecibels) + " dB")
        let offTarget = result.errorLoudnessUnits.map { ", \(formatGain($0)) LU from target" } ?? ""
        row("after", "\(formatDecibels(gain.afterLoudness, places: 2)) LUFS \(what) (measured on the output"
            + "\(offTarget)), true peak \(formatDecibels(gain.outputTruePeak ?? -.infinity)) dBTP")
        row("limiter", limiterText(gain))
        if gain.bextLoudnessLeftUnchanged { row("bext", "loudness fields left unchanged (they describe the input)") }
        if let note = plan.note { row("note", note) }
        return (lines + fileNoteLines(gain.file)).joined(separator: "\n")
    }
}

/// One line saying what kept the true peak under the ceiling.
func limiterText(_ gain: LoudnessGainResult) -> String {
    let plan = gain.plan
    let report = gain.report
    switch plan.truePeakHandling {
    case .limit:
        guard gain.limiterArmed else {
            return "not needed: the predicted true peak, "
                + formatDecibels(plan.predictedTruePeak ?? -.infinity, places: 2) + " dBTP, is under the ceiling"
        }
        guard report.limiterEngaged else { return "armed, not engaged (no peak crossed the ceiling)" }
        return "engaged on \(report.limitedFrames) frames, deepest reduction "
            + String(format: "%.2f", report.deepestReductionDecibels) + " dB"
    case .lowerGain:
        guard plan.shortfall > 0 else { return "off (--no-limiter); the full gain fits under the ceiling" }
        return "off (--no-limiter): gain lowered to fit the ceiling, output "
            + String(format: "%.2f", plan.shortfall) + " LU short of the target"
    }
}

/// `--preset`: delivery targets (see `LoudnessTarget`).
enum PresetChoice: String, ExpressibleByArgument, CaseIterable {
    case ebuR128 = "ebu-r128"
    case atscA85 = "atsc-a85"
    case streaming
    case podcast

    var target: LoudnessTarget {
        switch self {
        case .ebuR128: .ebuR128
        case .atscA85: .atscA85
        case .streaming: .streaming
        case .podcast: .podcast
        }
    }
}
