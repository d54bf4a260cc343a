import ArgumentParser
import Foundation
import Scrim

/// `scrim process IN -o OUT --preset NAME|FILE`: run a preset's chain (de-hum → denoise → loudness) over one file.
struct ProcessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "process",
        abstract: "Clean one file with a preset: de-hum, denoise and two-pass loudness in one streaming job.",
        discussion: """
            The preset is a built-in name (scrim presets lists them) or a preset JSON file. Passes: hum detection \
            (when the preset finds the hum itself), cleanup (written to a hidden float32 intermediate beside the \
            output and measured, when there is a loudness stage), then the gain. The output is sample-aligned with \
            the input, keeps its format, bext (plus one Coding History line), iXML and other chunks, and appears \
            atomically; the intermediate is always removed. Interrupting (Ctrl-C, SIGTERM) leaves nothing behind and \
            exits 130 (143 for SIGTERM).
            """
    )

    @Argument(help: "Input audio file (never written).")
    var input: String

    @Option(name: [.customShort("o"), .customLong("output")],
            help: "Output file (- for standard output; the container follows the extension).")
    var output: String

    @Option(help: ArgumentHelp("Built-in preset name or preset JSON file.", valueName: "name|file"))
    var preset = "dailies"

    @Flag(help: "Replace the output file (and the --plot picture) if it exists.")
    var overwrite = false

    @OptionGroup var plot: PlotOption

    @OptionGroup var sampleFormat: SampleFormatOption
    var bits: OutputBits? { sampleFormat.bits }

    @OptionGroup var weights: LayoutOption
    var layout: LayoutChoice? { weights.layout }

    @OptionGroup var modelOption: ModelOption

    @Flag(help: "Exit 1 when the limiter pulls the output more than 0.5 LU off its target (the file is still written).")
    var strict = false

    @Flag(help: "Print one JSON object: the combined report (keys in Sources/scrim/README.md).")
    var json = false

    func validate() throws {
        do { _ = try Preset.resolve(preset) } catch { throw ValidationError("--preset \(preset): \(error)") }
        try OutputTarget.check(output, json: json)
        try plot.validate()
    }

    func run() throws {
        let recipe: Preset
        do { recipe = try Preset.resolve(preset) } catch { throw ValidationError("--preset \(preset): \(error)") }
        var missedTarget = false
        try runWritingCommand(command: "process", input: input, output: output, json: json) { paths in
            try plot.checkDestination(overwrite: overwrite, input: input)
            try modelOption.check(for: recipe)
            // On a terminal, a progress line on stderr (over all passes).
            let progress = TerminalProgress("process \(paths.displayInput) (\(recipe.name))")
            defer { progress.finish() }
            var result = try PresetJob.process(
                input: paths.input, output: paths.output, preset: recipe,
                options: PresetJobOptions(overwrite: overwrite, bits: bits, layout: layout?.request,
                                          modelFolder: modelOption.model),
                isCancelled: { Interruption.requested },
                progress: { fraction in progress.update(done: Int(fraction * 1_000_000), total: 1_000_000) })
            result.file.inputPath = paths.displayInput
            result.file.outputPath = paths.displayOutput
            progress.finish()
            let humHertz = result.hum.flatMap { hum in
                hum.removedFundamentalHertz.map { f in hum.removedHarmonics.map { Double($0) * f } }
            } ?? []
            let plotted = try plot.drawComparison(command: "process", paths: paths, humHertz: humHertz,
                                                  overwrite: overwrite)
            print(json ? result.json.addingPlot(plotted).serialized() : Self.describe(result) + plotLines(plotted))
            missedTarget = result.file.warnings.contains { $0.code == .targetMissed }
        }
        if strict && missedTarget {
            printError("scrim process: --strict: the output missed its loudness target by more than "
                       + "\(LoudnessJob.targetMissToleranceLoudnessUnits) LU (see the warning); it was written")
            throw exitCodeFileFailed
        }
    }

    /// The human report: one line per stage.
    static func describe(_ result: PresetJobResult) -> String {
        var lines = ["\(result.file.inputPath) -> \(result.file.outputPath)  (preset \(result.preset.name))"]
        func row(_ label: String, _ value: String) {
            lines.append("  " + label.padding(toLength: 10, withPad: " ", startingAt: 0) + " " + value)
        }
        if let declip = result.declip {
            for (index, report) in declip.channels.enumerated() {
                let label = declip.channels.count > 1 ? "declip \(index + 1)" : "declip"
                switch report.kind {
                case .none: row(label, "no clipping found")
                case .soft:
                    if let curve = report.curve {
                        row(label, "soft clipping (\(curve.shape.rawValue) curve, driven "
                            + formatDecibels(curve.driveDecibels, places: 2) + " dB over): inverted, peak "
                            + formatDecibels(report.restoredPeakDecibelsFS ?? 0, places: 2) + " dBFS")
                    } else {
                        row(label, "soft clipping (a saturating curve): reported, left unchanged")
                    }
                case .hard:
                    let peak = formatDecibels(report.restoredPeakDecibelsFS ?? 0, places: 2)
                    row(label, "hard at " + formatDecibels(report.clipLevelDecibelsFS ?? 0, places: 2) + " dBFS, "
                        + "\(report.runsRestored) runs rebuilt, peak " + peak + " dBFS"
                        + (report.runsLeft > 0 ? ", \(report.runsLeft) too long, left" : ""))
                }
            }
        }
        if let hum = result.hum {
            if let f = hum.removedFundamentalHertz, let first = hum.removedHarmonics.first,
               let last = hum.removedHarmonics.last {
                let source = hum.detection == nil ? "fixed" : "found"
                var text = String(format: "%.3f Hz (%@), harmonics %d-%d removed", f, source, first, last)
                if let tracks = hum.track {
                    // The tracker: one phase track; its range over the tracks and the worst estimated hum left.
                    let ranges = tracks.compactMap(\.rangeHertz)
                    if let low = ranges.map(\.lowerBound).min(), let high = ranges.map(\.upperBound).max() {
                        text += String(format: " on one phase track, f0 %.3f-%.3f Hz", low, high)
                    }
                    if let left = tracks.compactMap(\.estimatedHumLeftDecibels).max() {
                        text += ", estimated hum left " + formatDecibels(left) + " dB"
                    }
                } else if let reach = hum.lookaheadSeconds, reach != HumRemover.lookaheadSeconds {
                    text += String(format: " (level varies %.1f dB: hum under speech from %.1f s either side%@)",
                                   hum.detection?.levelRangeDecibels ?? 0, reach,
                                   hum.levelVaries == true ? ", level followed under speech" : "")
                }
                row("hum", text)
            } else if let tracks = hum.track, !tracks.isEmpty {
                row("hum", "no harmonics kept their phase: nothing removed (the detector's candidate "
                    + (hum.detection?.fundamentalHertz.map { String(format: "%.3f Hz", $0) } ?? "") + " was tracked)")
            } else {
                row("hum", "none found, nothing removed")
            }
        }
        if let wind = result.wind { lines += wind.lines }
        if let denoise = result.denoise {
            row("denoise", describeDenoise(denoise))
        }
        if let neural = result.neuralDenoise {
            row("denoise", describeDenoise(neural))
        }
        if let loudness = result.loudness, let stage = result.preset.loudness {
            let plan = loudness.normalization.plan
            let what = stage.dialogueGating && loudness.measured.dialogueGated ? "dialogue" : "integrated"
            var text = "\(what) \(formatDecibels(plan.measuredLoudness ?? -.infinity)) LUFS (layout "
                + "\(loudness.layout.name)), gain "
                + String(format: "%+.1f dB", plan.gainDecibels)
                + " -> \(formatDecibels(loudness.after.normalizationLoudness)) LUFS"
            text += ", true peak \(formatDecibels(loudness.normalization.outputTruePeak ?? -.infinity)) dBTP"
            text += loudness.normalization.limiterEngaged
                ? String(format: ", limiter %d frames (max %.1f dB)", loudness.normalization.limitedFrames,
                         loudness.normalization.deepestReductionDecibels)
                : ", limiter idle"
            if plan.shortfall > 0 { text += String(format: ", %.1f LU short of target", plan.shortfall) }
            row("loudness", text)
            if let note = plan.note { row("note", note) }
        }
        let file = result.file
        row("file", "\(file.frameCount) frames aligned")
        lines += fileNoteLines(file)
        row("speed", String(format: "%.0fx real time (%d pass%@)", result.realTimeFactor, result.passes,
                            result.passes == 1 ? "" : "es"))
        return lines.joined(separator: "\n")
    }

    /// One line from the neural noise reducer's report: the noise floor before and after, the speech heard.
    static func describeDenoise(_ report: NeuralNoiseReductionReport) -> String {
        var text = "neural (\(report.mode)), "
            + (report.reductionLimitDecibels.map { "up to \(formatDecibels($0, places: 0)) dB" } ?? "no limit")
        if let before = report.noiseFloorBeforeDecibelsFS, let after = report.noiseFloorAfterDecibelsFS {
            text += ", noise floor \(noiseLevelText(before)) -> \(noiseLevelText(after))"
        }
        if let average = report.averageReductionDecibels {
            text += ", average cut \(formatDecibels(average)) dB"
        }
        if let share = report.speechShare { text += String(format: ", speech in %.0f%%", share * 100) }
        return text
    }

    /// One line from the noise reducer's report: the noise floor before and after.
    static func describeDenoise(_ report: NoiseReductionReport) -> String {
        var text = "\(report.mode), up to \(formatDecibels(report.reductionLimitDecibels, places: 0)) dB"
        if let before = report.noiseFloorBeforeDecibelsFS, let after = report.noiseFloorAfterDecibelsFS {
            text += ", noise floor \(noiseLevelText(before)) -> \(noiseLevelText(after))"
        }
        if let average = report.averageReductionDecibels {
            text += ", average cut \(formatDecibels(average)) dB"
        }
        // The babble guard only when it did something or is not running (the JSON always has it).
        if report.babbleGuardShare == nil || report.babbleGuardLowestLimitDecibels != nil {
            text += ", babble " + describeBabbleGuard(report)
        }
        return text
    }
}
