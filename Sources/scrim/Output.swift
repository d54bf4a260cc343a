import ArgumentParser
import Foundation
import Scrim

/// Writes a line to standard error (diagnostics never go to standard output, which may carry JSON).
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// "−23.0" style: one decimal, a real minus sign avoided for copy-paste friendliness, "-inf" for −∞.
func formatDecibels(_ value: Double, places: Int = 1) -> String {
    guard value.isFinite else { return value < 0 ? "-inf" : "inf" }
    return String(format: "%.\(places)f", value)
}

/// "9.000 s" below a minute, "1:02:03.500" above.
func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    if seconds < 60 { return String(format: "%.3f s", seconds) }
    let whole = Int(seconds)
    let h = whole / 3600, m = (whole / 60) % 60
    let s = seconds - Double(h * 3600 + m * 60)
    return h > 0 ? String(format: "%d:%02d:%06.3f", h, m, s) : String(format: "%d:%06.3f", m, s)
}

/// Reports a file's failure the way every command does — with `--json` the envelope with status `failed` and the
/// error on stdout, else `scrim COMMAND: message` on stderr, the message always naming the file — and returns the
/// exit code for a failed file, for the caller to throw.
@discardableResult
func reportFailure(_ error: any Error, path: String, command: String, json: Bool, output: String? = nil) -> ExitCode {
    let shown = path == "-" ? StandardStreams.displayName : SystemPath.display(path)
    if json {
        print(Envelope.failure(command: command, input: shown, output: output, error: error).serialized())
    } else if error is AudioFileError {
        // Its description starts with the file's name.
        printError("scrim \(command): \(error)")
    } else {
        printError("scrim \(command): \(shown): \(error)")
    }
    return exitCodeFileFailed
}

/// The text lines every file-writing command prints about the file itself, when there is something to say:
/// invalid samples zeroed, samples clipped, chunks dropped, and each warning (a format that had to change, metadata
/// the container cannot carry, an unreadable bext).
func fileNoteLines(_ file: FileJobResult) -> [String] {
    var lines: [String] = []
    if file.clippedSamples > 0 { lines.append("  clipped    \(file.clippedSamples) samples at full scale") }
    if !file.droppedChunkIDs.isEmpty {
        lines.append("  dropped    chunks " + file.droppedChunkIDs.map { "'\($0)'" }.joined(separator: " "))
    }
    for warning in file.warnings { lines.append("  warning    " + warning.message) }
    return lines
}
