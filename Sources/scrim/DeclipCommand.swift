import ArgumentParser
import Foundation
import Scrim

/// `scrim declip IN -o OUT`: find clipped peaks and rebuild them.
struct DeclipCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "declip",
        abstract: "Rebuild clipped peaks: find the clip level per track (full scale or a ceiling below it) and "
            + "interpolate the lost peaks.",
        discussion: """
            Passes. The first finds, per track and polarity, a flat level the peaks pile up at (runs of equal \
            samples at the track's maximum: 0 dBFS or a converter/limiter ceiling below it), or else a saturating \
            curve (soft clipping: tanh or arctan, its ceiling and drive chosen so that its inverse makes the \
            loudest frames most predictable). The second rebuilds every clipped run \
            by a least-squares autoregressive interpolation from 10 ms either side, kept beyond the clip level \
            (Janssen et al. 1986; Abel & Smith 1991), or maps every sample back through the soft-clipping \
            curve's inverse. The rebuilt peaks rise above the clip level: with --gain \
            auto (default) a third pass lowers the whole file by one static gain, only as far as the highest \
            rebuilt peak needs to stay at or under 0 dBFS. The output is sample-aligned with the input (same \
            length; bext/iXML pass through).
            """
    )

    @Argument(help: "Input audio file (never written).")
    var input: String

    @Option(name: [.customShort("o"), .customLong("output")],
            help: "Output file (- for standard output; the container follows the extension).")
    var output: String

    @Option(help: ArgumentHelp("Output gain: auto (default: only as much as the rebuilt peaks need to stay under "
                               + "0 dBFS) or a gain in dB from -40 to 0.", valueName: "db"))
    var gain = "auto"

    @Flag(help: "Replace the output file if it exists.")
    var overwrite = false

    @OptionGroup var sampleFormat: SampleFormatOption
    var bits: OutputBits? { sampleFormat.bits }

    @Flag(help: "Print one JSON object (keys in Sources/scrim/README.md).")
    var json = false

    private var gainChoice: DeclipGain {
        if let value = Double(gain) { return .fixed(value) }
        return .auto
    }

    func validate() throws {
        if gain.lowercased() != "auto" {
            guard let value = Double(gain), value.isFinite, value >= -40, value <= 0 else {
                throw ValidationError("--gain \(gain): use auto or a gain in dB from -40 to 0")
            }
        }
        try OutputTarget.check(output, json: json)
    }

    func run() throws {
        try runWritingCommand(command: "declip", input: input, output: output, json: json) { paths in
            let progress = TerminalProgress("declip \(paths.displayInput)", passes: 3)
            defer { progress.finish() }
            var options = FileJobOptions(overwrite: overwrite, codingHistoryText: "Scrim \(scrimVersion) declip",
                                         bits: bits)
            options.progress = progress.callback
            var result = try DeclipJob.process(input: paths.input, output: paths.output, gain: gainChoice,
                                               options: options, isCancelled: { Interruption.requested })
            result.file.inputPath = paths.displayInput
            result.file.outputPath = paths.displayOutput
            progress.finish()
            if json {
                print(Self.report(result).serialized())
            } else {
                print(Self.describe(result))
            }
        }
    }

    static func report(_ result: DeclipJobResult) -> JSONValue {
        Envelope.make(command: "declip", input: result.file.inputPath, output: result.file.outputPath,
                      status: .done, warnings: result.file.warnings, report: [
            ("declip", result.json),
            ("file", result.file.json),
        ])
    }

    static func describe(_ result: DeclipJobResult) -> String {
        var lines = ["\(result.file.inputPath) -> \(result.file.outputPath)"]
        let many = result.channels.count > 1
        for (index, report) in result.channels.enumerated() {
            let label = many ? "  track \(index + 1)".padding(toLength: 13, withPad: " ", startingAt: 0)
                : "  clipping   "
            let detection = index < result.detections.count ? result.detections[index] : nil
            switch report.kind {
            case .none:
                lines.append(label + "none found (left unchanged)")
            case .soft:
                if let curve = report.curve {
                    let seconds = Double(report.restoredFrames) / result.sampleRate
                    lines.append(label + "soft (\(curve.shape.rawValue) curve, ceiling "
                                 + formatDecibels(decibels(fromAmplitude: Double(curve.ceiling)), places: 2)
                                 + " dBFS, driven " + formatDecibels(curve.driveDecibels, places: 2) + " dB over"
                                 + String(format: ", evidence %.2f dB", curve.evidenceDecibels) + "): inverted; "
                                 + "\(report.runsRestored) runs above the knee ("
                                 + formatDecibels(report.clipLevelDecibelsFS ?? 0, places: 2) + " dBFS), "
                                 + String(format: "%.3f s", seconds) + ", restored peak "
                                 + formatDecibels(report.restoredPeakDecibelsFS ?? 0, places: 2) + " dBFS")
                } else {
                    lines.append(label + String(format: "soft (a saturating curve; knee %@ dBFS, pile-up %.2f): "
                                                + "no curve found, left unchanged",
                                                formatDecibels(report.clipLevelDecibelsFS ?? 0, places: 2),
                                                detection?.pileUpRatio ?? 0))
                }
            case .hard:
                let levels = detection?.levels
                var where_ = formatDecibels(report.clipLevelDecibelsFS ?? 0, places: 2) + " dBFS"
                if levels?.positive == nil { where_ += " (negative peaks only)" }
                if levels?.negative == nil { where_ += " (positive peaks only)" }
                let seconds = Double(report.restoredFrames + report.leftFrames) / result.sampleRate
                var text = label + "hard at " + where_
                    + ", \(report.runsRestored + report.runsLeft) runs, " + String(format: "%.3f s clipped", seconds)
                text += ", rebuilt peak " + formatDecibels(report.restoredPeakDecibelsFS ?? 0, places: 2) + " dBFS"
                if report.runsLeft > 0 {
                    text += " (\(report.runsLeft) runs longer than 5 ms left as they were)"
                }
                lines.append(text)
            }
        }
        if result.gainDecibels < 0 {
            let why: String
            switch result.gain {
            case .auto: why = "so the rebuilt peaks stay at or under 0 dBFS"
            case .fixed: why = "(--gain)"
            }
            lines.append("  gain       " + formatDecibels(result.gainDecibels, places: 2) + " dB on the whole file "
                         + why)
        } else if result.channels.contains(where: { $0.kind == .hard || $0.curve != nil }) {
            lines.append("  gain       0 dB (the rebuilt peaks fit under 0 dBFS)")
        }
        lines += fileNoteLines(result.file)
        lines.append(String(format: "  speed      %.0fx real time", result.file.realTimeFactor))
        return lines.joined(separator: "\n")
    }
}
