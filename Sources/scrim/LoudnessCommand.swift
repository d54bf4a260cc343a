import ArgumentParser
import Foundation
import Scrim

/// `scrim loudness FILE...`: BS.1770-4 / EBU R 128 loudness and peaks of each file, and of all of them together.
struct LoudnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loudness",
        abstract: "Measure integrated loudness, loudness range, true peak and sample peak (ITU-R BS.1770-4).",
        discussion: """
            Per file: integrated loudness (LUFS), loudness range (LU, EBU Tech 3342), true peak (dBTP), sample \
            peak (dBFS), max momentary and max short-term loudness (LUFS). With several files, a last row gives \
            their combined programme loudness, gated over all the files' blocks together (not an average). \
            Channel weights come from the WAVE channel mask; a production poly file (iXML, more than two tracks) \
            weighs every track equally; otherwise the channel count decides (1 mono, 2 stereo, 6 = 5.1, 8 = 7.1 in \
            WAVE order); --layout equal|mono|stereo|5.0|5.1|7.1 overrides, and the layout is printed. A file that \
            cannot be read is reported and the \
            exit code is 1; the other files are still measured. `scrim normalize --measured` takes the --json \
            output to skip its first pass.
            """
    )

    @Argument(help: "Audio files (WAV/BWF, RF64, W64, AIFF, FLAC, CAF, …) or folders (searched recursively), or -.")
    var files: [String]

    @Flag(help: "Print one JSON object per file, one per line, then one for the programme (keys in README.md).")
    var json = false

    @Flag(help: "Also measure dialogue loudness: speech blocks only, chosen by a voice-activity gate.")
    var dialogue = false

    @OptionGroup var weights: LayoutOption
    var layout: LayoutChoice? { weights.layout }

    func validate() throws {
        if files.filter({ $0 == "-" }).count > 1 {
            throw ValidationError("standard input (-) can be read only once")
        }
    }

    func run() throws {
        let options = LoudnessJobOptions(layout: layout?.request, dialogueGating: dialogue)
        var programme = ProgrammeLoudness()
        var measured: [LoudnessFileMeasurement] = []
        var failures = 0
        for path in expandInputs(files, command: "loudness", json: json) {
            do {
                let source = try InputSource(path)
                var result: LoudnessFileMeasurement
                do {
                    let progress = TerminalProgress("loudness \(source.displayPath)")
                    defer { progress.finish() }
                    var measuring = options
                    measuring.file.progress = progress.callback
                    result = try LoudnessJob.measure(input: source.jobPath, options: measuring, addingTo: &programme)
                } catch {
                    throw source.naming(error)
                }
                result.path = source.displayPath
                measured.append(result)
                if json { print(result.envelope.serialized()) }
            } catch {
                failures += 1
                reportFailure(error, path: path, command: "loudness", json: json)
            }
        }
        let showProgramme = measured.count > 1
        if json {
            if showProgramme {
                print(LoudnessJob.envelope(programme, files: measured.map(\.path), dialogueGated: dialogue)
                        .serialized())
            }
        } else if !measured.isEmpty {
            print(describe(measured, programme: showProgramme ? programme : nil))
        }
        if failures > 0 { throw exitCodeFileFailed }
    }

    /// The text table: one row per file, units under the headings, the programme last.
    func describe(_ results: [LoudnessFileMeasurement], programme: ProgrammeLoudness?) -> String {
        var header = ["", "integrated", "range", "true peak", "sample peak", "max momentary", "max short-term",
                      "layout"]
        var units = ["", "LUFS", "LU", "dBTP", "dBFS", "LUFS", "LUFS", ""]
        if dialogue {
            header += ["dialogue", "speech"]
            units += ["LUFS", "%"]
        }
        var rows = [header, units]
        for result in results {
            let m = result.measurement
            var row = [result.path, formatDecibels(m.integratedLoudness), formatDecibels(m.loudnessRange),
                       formatDecibels(m.truePeak), formatDecibels(m.samplePeak),
                       formatDecibels(m.maxMomentaryLoudness), formatDecibels(m.maxShortTermLoudness),
                       m.channelLayout.name]
            if dialogue {
                row += [formatDecibels(m.dialogueLoudness), String(format: "%.0f", 100 * m.speechFraction)]
            }
            rows.append(row)
        }
        if let p = programme {
            var row = ["programme (\(p.streamCount) files)", formatDecibels(p.integratedLoudness),
                       formatDecibels(p.loudnessRange), formatDecibels(p.truePeak), formatDecibels(p.samplePeak),
                       formatDecibels(p.maxMomentaryLoudness), formatDecibels(p.maxShortTermLoudness), ""]
            if dialogue {
                row += [formatDecibels(p.dialogueLoudness), String(format: "%.0f", 100 * p.speechFraction)]
            }
            rows.append(row)
        }
        return alignedTable(rows)
    }
}

/// `--layout`: the loudness channel weights (ITU-R BS.1770-4 Table 3, WAVE channel order).
enum LayoutChoice: String, ExpressibleByArgument, CaseIterable {
    case equal
    case mono
    case stereo
    case surround50 = "5.0"
    case surround51 = "5.1"
    case surround71 = "7.1"

    /// The request: equal weights for any channel count, or a loudspeaker layout.
    var request: LayoutRequest {
        switch self {
        case .equal: .equal
        case .mono: .fixed(.mono)
        case .stereo: .fixed(.stereo)
        case .surround50: .fixed(.surround50)
        case .surround51: .fixed(.surround51)
        case .surround71: .fixed(.surround71)
        }
    }
}

/// Rows of cells as aligned columns: the first column left-aligned, the others right-aligned, two spaces apart.
func alignedTable(_ rows: [[String]]) -> String {
    let columnCount = rows.map(\.count).max() ?? 0
    var widths = Array(repeating: 0, count: columnCount)
    for row in rows {
        for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
    }
    return rows.map { row in
        row.enumerated().map { i, cell in
            let pad = String(repeating: " ", count: widths[i] - cell.count)
            return i == 0 ? cell + pad : pad + cell
        }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }.joined(separator: "\n")
}

/// "+9.00" style for gains: always signed.
func formatGain(_ value: Double, places: Int = 2) -> String {
    guard value.isFinite else { return value < 0 ? "-inf" : "inf" }
    let text = String(format: "%+.\(places)f", value)
    // A value that rounds to zero prints as "+0.00", never "-0.00".
    return text.dropFirst().allSatisfy { $0 == "0" || $0 == "." } ? "+" + text.dropFirst() : text
}
