import ArgumentParser
import Foundation
import Scrim

/// `scrim analyze FILE...`: what Scrim hears in a file — hum, noise floor, loudness — before changing anything.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Report what Scrim hears in audio files: per-track peaks, clipping, DC, dead tracks, noise floor; "
            + "mains hum and loudness. Changes nothing.",
        discussion: """
            One read per file. Per track (channel, numbered from 1): sample and true peak, clipping (runs of 3 or \
            more equal samples at the level the track flattens at, full scale or below it), RMS, DC offset, dead \
            (digital silence) or silent (under -80 dBFS RMS), noise floor (RMS of its quietest 0.5 s); pairs of \
            tracks in opposite polarity. Each finding is also a warning with a code. Hum: the fundamental found in 45-65 Hz, its significant harmonics and drift (as \
            `scrim dehum` would remove them); when hum is found, a second read through the hum tracker gives its track \
            per audio track (the fundamental ten points a second, its range and fastest change, what dehum would \
            remove and the hum it estimates would be left; --no-hum-track skips it). Noise floor: the RMS level of the quietest 0.5 s (where `scrim \
            denoise --learn auto` would learn). Loudness: BS.1770-4 integrated, range, true peak, and the \
            dialogue-gated loudness `scrim match --dialogue` uses. A file that cannot be read is reported and the \
            exit code is 1; the other files are still analyzed.

            --plot FILE.png draws the analysis picture (per-track spectrograms with the hum marked, sample peaks \
            and clipped runs, momentary and short-term loudness, timecode when the file has one). With several \
            inputs (or a folder), --plot names an existing folder and each file gets NAME.png in it (NAME-2.png \
            and so on when two inputs share a name).
            """
    )

    @Argument(help: "Audio files or folders (searched recursively), or -.")
    var files: [String]

    @Flag(help: "Print one JSON object per file, one per line (keys in Sources/scrim/README.md).")
    var json = false

    @Option(help: ArgumentHelp("Also draw the analysis picture (PNG); with several inputs, an existing folder "
                               + "that gets NAME.png per input.", valueName: "file.png|folder"))
    var plot: String?

    @Flag(help: "Replace an existing --plot picture.")
    var overwrite = false

    @Flag(help: ArgumentHelp("Skip the hum track (a second read through the hum tracker when hum is found, at "
                             + "about 80x real time)."))
    var noHumTrack = false

    func validate() throws {
        if files.filter({ $0 == "-" }).count > 1 {
            throw ValidationError("standard input (-) can be read only once")
        }
        try PlotOption(plot: plot).validate(folderAllowed: true)
    }

    func run() throws {
        var failures = 0
        let inputs = expandInputs(files, command: "analyze", json: json)
        let folderGiven = files.contains { FileSystem.kind(of: $0, followingLinks: true) == .directory }
        var plots = AnalysisPlotPaths(plot: plot, inputCount: folderGiven ? max(2, inputs.count) : inputs.count)
        if let problem = plots.problem { throw ValidationError(problem) }
        for (index, path) in inputs.enumerated() {
            do {
                let source = try InputSource(path)
                var analysis: FileAnalysis
                do {
                    let progress = TerminalProgress("analyze \(source.displayPath)")
                    defer { progress.finish() }
                    analysis = try FileAnalysis(path: source.jobPath, withHumTrack: !noHumTrack,
                                                progress: progress.callback)
                } catch {
                    throw source.naming(error)
                }
                analysis.path = source.displayPath
                let plotted = try plots.draw(for: path, source: source, hum: analysis.hum, overwrite: overwrite)
                if json {
                    print(Envelope.make(command: "analyze", input: analysis.path, output: nil, status: .done,
                                        warnings: analysis.warnings,
                                        report: [("analysis", .object(analysis.json.removing(["path"])))])
                            .addingPlot(plotted).serialized())
                } else {
                    if index > 0 { print("") }
                    print(Self.describe(analysis) + plotLines(plotted))
                }
            } catch {
                failures += 1
                reportFailure(error, path: path, command: "analyze", json: json)
            }
        }
        if failures > 0 { throw exitCodeFileFailed }
    }

    static func describe(_ analysis: FileAnalysis) -> String {
        var lines = [analysis.path]
        func row(_ label: String, _ value: String) {
            lines.append("  " + label.padding(toLength: 10, withPad: " ", startingAt: 0) + " " + value)
        }
        let hum = analysis.hum
        if hum.isPresent, let f0 = hum.fundamentalHertz {
            var text = String(format: "%.3f Hz, %d significant harmonics, ", f0, hum.harmonics.count)
                + formatDecibels(hum.humToSignalDecibels) + " dB re signal"
            if let range = hum.trackRangeHertz {
                text += String(format: ", track %.2f-%.2f Hz", range.lowerBound, range.upperBound)
            }
            row("hum", text)
        } else {
            row("hum", "none found")
        }
        for (index, report) in (analysis.humTrack ?? []).enumerated() {
            var text = (analysis.humTrack?.count ?? 0) > 1 ? "track \(index + 1): " : ""
            guard report.chunksRemoved > 0 else {
                row("hum track", text + "no harmonics keeping their phase (dehum would change nothing)")
                continue
            }
            text += String(format: "harmonics 1-%d", report.harmonicCount)
            if let range = report.rangeHertz {
                text += String(format: ", f0 %.3f-%.3f Hz", range.lowerBound, range.upperBound)
            }
            if let rate = report.fastestRateHertzPerSecond { text += String(format: ", fastest %.2f Hz/s", rate) }
            if let removed = report.removedDecibels { text += ", dehum would remove " + formatDecibels(removed) + " dB" }
            if let left = report.estimatedHumLeftDecibels {
                text += ", estimated hum left " + formatDecibels(left) + " dB"
            }
            row("hum track", text)
        }
        if let floor = analysis.noiseFloor {
            row("noise", formatDecibels(floor) + " dBFS floor (RMS of the quietest 0.5 s)")
        }
        let loud = analysis.loudness
        row("loudness", formatDecibels(loud.integratedLoudness) + " LUFS integrated, "
            + formatDecibels(loud.dialogueLoudness) + " LUFS dialogue ("
            + String(format: "%.0f", loud.speechFraction * 100) + " % speech), range "
            + formatDecibels(loud.loudnessRange) + " LU")
        row("peaks", formatDecibels(loud.truePeak) + " dBTP true, " + formatDecibels(loud.samplePeak) + " dBFS sample")
        for (index, line) in analysis.quality.lines.enumerated() { row(index == 0 ? "tracks" : "", line) }
        for warning in analysis.warnings { row("warning", warning.message) }
        return lines.joined(separator: "\n")
    }
}
