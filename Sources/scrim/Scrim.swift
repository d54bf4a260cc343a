import ArgumentParser
import Foundation
import Scrim

/// `scrim`: the command-line face of Scrim.
///
/// Exit codes (documented in Sources/scrim/README.md): 0 everything done; 1 some file failed (each failure is
/// reported, the other files still processed); 2 usage error (bad flags or values).
struct ScrimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scrim",
        abstract: "Audio cleanup for production sound: noise reduction, de-hum and loudness.",
        discussion: """
            Exit codes: 0 all done; 1 some file failed (each is reported and the others are still processed), \
            or standard output could not be written; 2 usage error (nothing was done); 130 or 143 interrupted by \
            SIGINT or SIGTERM (nothing partial is left).

            Every command takes --json: one JSON object per line on standard output, each the same envelope \
            (command, input, output, status, error, warnings, then the report), with a JSON Schema per command in \
            Sources/scrim/schemas. - is standard input or output where a command reads or writes one file.

            Shell completion: scrim --generate-completion-script bash|zsh|fish. Manual: man ./Sources/scrim/scrim.1.
            """,
        version: scrimVersion,
        subcommands: CommandRegistry.subcommands
    )
}

/// Exit code for a failure in one or more files (the others were still processed).
let exitCodeFileFailed = ExitCode(1)
/// Exit code for a usage error: unknown flag, bad value, missing argument.
let exitCodeUsage = ExitCode(2)

@main
enum ScrimMain {
    static func main() {
        // A closed pipe or a file-size limit is an error to report (exit 1), not a silent death by signal.
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
        do {
            // argv is bytes: file names that are not UTF-8 are kept exactly (SystemPath).
            let arguments = Array(SystemPath.arguments.dropFirst())
            try rejectRetiredFlags(arguments)
            var command = try ScrimCommand.parseAsRoot(arguments)
            try command.run()
        } catch {
            let code = ScrimCommand.exitCode(for: error)
            if code == .success {
                // --help, --version: printed on standard output like any other output.
                print(ScrimCommand.fullMessage(for: error))
                Foundation.exit(StandardOutput.finish() ?? 0)
            }
            if code == .validationFailure {
                // ArgumentParser's usage errors exit 64 by default; Scrim documents 2.
                let message = ScrimCommand.fullMessage(for: error)
                FileHandle.standardError.write(Data((message + "\n").utf8))
                let arguments = Array(SystemPath.arguments.dropFirst())
                if arguments.contains("--json") || zip(arguments, arguments.dropFirst())
                    .contains(where: { $0 == "--progress" && $1 == "json" }) {
                    // A script parsing JSON gets JSON for a usage error too (and exit 2).
                    let command = arguments.first { !$0.hasPrefix("-") } ?? "scrim"
                    // The message without the usage synopsis that follows it, on one line.
                    var text = message.components(separatedBy: "\nUsage:").first ?? message
                    if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
                    text = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                        .joined(separator: " ")
                    print(Envelope.make(command: command, input: nil, output: nil, status: .failed,
                                        error: Envelope.errorObject(code: "usage", message: text),
                                        event: command == "batch" ? "error" : nil).serialized())
                    _ = StandardOutput.finish()
                }
                Foundation.exit(exitCodeUsage.rawValue)
            }
            _ = StandardOutput.finish()
            ScrimCommand.exit(withError: error)
        }
        Foundation.exit(StandardOutput.finish() ?? 0)
    }
}

/// Flags Scrim once had and replaced, with the flag that replaced them.
let retiredFlags = ["--out": "-o/--output", "--output-dir": "-o/--output"]

/// A usage error naming the new spelling when an old one is given (checked before parsing, which would otherwise
/// report the new flag as missing).
func rejectRetiredFlags(_ arguments: [String]) throws {
    for argument in arguments.prefix(while: { $0 != "--" }) {
        let flag = String(argument.split(separator: "=", maxSplits: 1).first ?? "")
        if let replacement = retiredFlags[flag] {
            throw ValidationError("\(flag) is now \(replacement): one output flag for every command")
        }
    }
}
