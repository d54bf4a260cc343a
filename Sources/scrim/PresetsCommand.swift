import ArgumentParser
import Foundation
import Scrim

/// `scrim presets [--json] [--show NAME]`: the built-in presets and their settings.
struct PresetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presets",
        abstract: "List the built-in presets with their settings, or print one as JSON (a template for your own).",
        discussion: """
            A preset file has the keys --show prints (name, summary, dehum, denoise, loudness); a stage set to null \
            or left out does not run, a key left out takes its default, and an unknown key is an error naming it. \
            Give the file to scrim process or scrim batch with --preset FILE.
            """
    )

    @Flag(help: "Print one JSON object per preset, one per line.")
    var json = false

    @Option(help: ArgumentHelp("Print this preset (built-in name or file) as pretty JSON.", valueName: "name|file"))
    var show: String?

    func run() throws {
        if let show {
            do {
                var preset = try Preset.resolve(show)
                if Preset.builtIn(named: show) != nil {
                    // A template for the user's own preset: under its own name, so that reports and the Coding
                    // History never call an edited copy by the built-in's name.
                    preset.name = show + "-custom"
                    preset.summary = "copied from the built-in preset \(show): rename it (\"name\") and edit"
                    printError("scrim presets: this copy is named \"\(preset.name)\"; give it your own name in "
                               + "\"name\" (a preset file without one is named after the file)")
                }
                print(preset.json.serialized(pretty: true))
            } catch {
                printError("scrim presets: \(error)")
                throw exitCodeUsage
            }
            return
        }
        for (index, preset) in Preset.builtIns.enumerated() {
            if json {
                var pairs: [(String, JSONValue)] = []
                if case .object(let fields) = preset.json { pairs = fields }
                pairs.append(("fingerprint", .string(preset.fingerprint)))
                print(Envelope.make(command: "presets", input: nil, output: nil, status: .done,
                                    report: [("preset", .object(pairs))]).serialized())
            } else {
                if index > 0 { print("") }
                print(Self.describe(preset))
            }
        }
    }

    static func describe(_ preset: Preset) -> String {
        var lines = ["\(preset.name)  \(preset.summary)"]
        func row(_ label: String, _ value: String) {
            lines.append("  " + label.padding(toLength: 9, withPad: " ", startingAt: 0) + " " + value)
        }
        if let dehum = preset.dehum {
            var text: String
            switch dehum.frequency {
            case .auto:
                text = String(format: "auto (search %g-%g Hz)", dehum.searchRangeHertz.lowerBound,
                              dehum.searchRangeHertz.upperBound)
            case .fixed(let hz):
                text = String(format: "%g Hz", hz)
            }
            text += dehum.harmonics.map { ", harmonics 1-\($0)" } ?? ", the significant harmonics (to at least 1 kHz)"
            text += String(format: " up to %g Hz", dehum.maximumFrequencyHertz)
            row("dehum", text)
        } else {
            row("dehum", "off")
        }
        if let wind = preset.wind {
            row("wind", (wind.highpassHertz.map { String(format: "high-pass %g Hz, %d dB/octave (%@)", $0,
                                                         wind.slopeDecibelsPerOctave,
                                                         wind.highpassMode == .auto ? "where rumble is found"
                                                            : "always") } ?? "no high-pass")
                + (wind.reduceWind ? String(format: "; gusts cut by up to %g dB below %g Hz", wind.reductionDecibels,
                                            wind.bandHertz) : "; no wind reduction"))
        }
        if let denoise = preset.denoise, denoise.engine == .neural {
            let limit = denoise.reductionDecibels >= DenoiseStage.neuralNoLimitDecibels ? "no limit"
                : "up to \(formatDecibels(denoise.reductionDecibels, places: 0)) dB"
            row("denoise", "neural (DeepFilterNet3, \(denoise.neuralMode.rawValue)), \(limit), each channel its own "
                + "voice" + (denoise.postFilter ? ", post-filter" : ""))
        } else if let denoise = preset.denoise {
            let limit = formatDecibels(denoise.reductionDecibels, places: 0)
            row("denoise", "\(denoise.mode.rawValue), up to \(limit) dB, "
                + "\(denoise.channelLinking) channels" + (denoise.profile.map { ", profile \($0)" } ?? ""))
        } else {
            row("denoise", "off")
        }
        if let loudness = preset.loudness {
            row("loudness", "\(formatDecibels(loudness.targetLoudness)) LUFS"
                + (loudness.dialogueGating ? " (dialogue)" : " (integrated)")
                + ", ceiling \(formatDecibels(loudness.truePeakCeiling)) dBTP by "
                + (loudness.truePeakHandling == .limit ? "limiter" : "lowering the gain"))
        } else {
            row("loudness", "off (levels untouched)")
        }
        return lines.joined(separator: "\n")
    }
}
