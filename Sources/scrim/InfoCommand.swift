import ArgumentParser
import Foundation
import Scrim

/// `scrim info FILE...`: what a file is and what it says about itself.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show format, length, timecode, scene/take and track names, and sample peak of audio files.",
        discussion: """
            Reads every frame (to find the peak) with memory bounded by the block size. Timecode comes from the \
            BWF TimeReference and the iXML timecode rate; use --fps when a file has no iXML rate. A file that \
            cannot be read is reported and the exit code is 1; the other files are still shown.
            """
    )

    @Argument(help: "Audio files (WAV/BWF, RF64, W64, AIFF, FLAC, CAF, …) or folders (searched recursively), or -.")
    var files: [String]

    @Flag(help: "Print one JSON object per file, one per line (keys in Sources/scrim/README.md).")
    var json = false

    @Option(help: ArgumentHelp("Timecode rate when the file's iXML has none (e.g. 24000/1001, 25, 29.97).",
                               valueName: "rate"))
    var fps: String?

    func validate() throws {
        if files.filter({ $0 == "-" }).count > 1 {
            throw ValidationError("standard input (-) can be read only once")
        }
        if let fps {
            do { _ = try FrameRate(parsing: fps) } catch {
                throw ValidationError("--fps \(fps): \(error)")
            }
        }
    }

    func run() throws {
        let fallback = fps.flatMap { try? FrameRate(parsing: $0) }
        var failures = 0
        for (index, path) in expandInputs(files, command: "info", json: json).enumerated() {
            do {
                let source = try InputSource(path)
                var inspection: FileInspection
                do {
                    let progress = TerminalProgress("info \(source.displayPath)")
                    defer { progress.finish() }
                    inspection = try FileInspection(path: source.jobPath, fallbackRate: fallback,
                                                    progress: progress.callback)
                } catch {
                    throw source.naming(error)
                }
                inspection.path = source.displayPath
                if json {
                    print(Envelope.make(command: "info", input: inspection.path, output: nil, status: .done,
                                        warnings: inspection.warnings,
                                        report: [("info", .object(inspection.json.removing(["path"])))]).serialized())
                } else {
                    if index > 0 { print("") }
                    print(Self.describe(inspection))
                }
            } catch {
                failures += 1
                reportFailure(error, path: path, command: "info", json: json)
            }
        }
        if failures > 0 { throw exitCodeFileFailed }
    }

    static func describe(_ inspection: FileInspection) -> String {
        let info = inspection.info
        let meta = inspection.metadata
        var lines = [inspection.path]
        func row(_ label: String, _ value: String) {
            lines.append("  " + label.padding(toLength: 11, withPad: " ", startingAt: 0) + " " + value)
        }
        let kind = info.isBroadcastWave ? "\(info.container) (Broadcast Wave)" : "\(info.container)"
        row("format", "\(kind), \(info.sampleFormat), \(info.sampleRate) Hz, \(info.channelCount) ch"
            + (info.channelMask.map { ", channel mask 0x" + String($0, radix: 16) } ?? ""))
        row("length", "\(info.frameCount) frames, " + formatDuration(info.duration))
        if let reference = meta.timeReference {
            if let timecode = meta.timecode, let rate = meta.timecodeRate {
                let source = meta.timecodeRateFromFile ? "" : " (rate from --fps)"
                row("timecode", "\(timecode) @ \(rateName(rate, dropFrame: meta.dropFrame))\(source)")
            } else {
                row("timecode", "\(meta.timeOfDay(sampleRate: info.sampleRate) ?? "?") time of day "
                    + "(no timecode rate in the file; give --fps for HH:MM:SS:FF)")
            }
            row("timeRef", "\(reference) samples since midnight")
        }
        if let ixml = meta.ixml {
            var parts: [String] = []
            if let v = ixml.project { parts.append("project \(v)") }
            if let v = ixml.scene { parts.append("scene \(v)") }
            if let v = ixml.take { parts.append("take \(v)") }
            if let v = ixml.tape { parts.append("tape \(v)") }
            if ixml.circled == true { parts.append("circled") }
            if !parts.isEmpty { row("take", parts.joined(separator: ", ")) }
            if let note = ixml.note, !note.isEmpty { row("note", note) }
        }
        let names = (0..<info.channelCount).map { c in
            "\(c + 1) " + (meta.trackName(forChannel: c) ?? "-")
        }
        if meta.ixml != nil { row("tracks", names.joined(separator: ", ")) }
        if let bext = meta.broadcastExtension {
            if !bext.originator.isEmpty { row("originator", bext.originator) }
            let history = bext.codingHistory.split(whereSeparator: { $0.isNewline })
            if let last = history.last { row("history", "\(history.count) line(s), last: \(last)") }
        }
        let peaks = inspection.channelPeaks.map { formatDecibels(decibels(fromAmplitude: Double($0))) }
        row("peak", formatDecibels(inspection.samplePeak) + " dBFS"
            + (info.channelCount > 1 ? " (" + peaks.joined(separator: ", ") + ")" : ""))
        if inspection.nonFiniteSampleCount > 0 {
            row("warning", "\(inspection.nonFiniteSampleCount) NaN/Inf samples")
        }
        row("chunks", info.chunks.map { $0.id.trimmingCharacters(in: .whitespaces) }.joined(separator: ", "))
        for problem in info.readWarnings + meta.problems { row("warning", problem) }
        return lines.joined(separator: "\n")
    }
}

func rateName(_ rate: FrameRate, dropFrame: Bool) -> String {
    let fps = rate.denominator == 1 ? "\(rate.numerator)" : String(format: "%.3f", rate.fps)
    return fps + " fps " + (dropFrame ? "DF" : "NDF")
}
