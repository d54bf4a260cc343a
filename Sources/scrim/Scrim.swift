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
            Exit codes: 0 all done, 1 some file failed (reported; the others are still processed), 2 usage error.
            Every command takes --json for machine-readable output (one JSON object per line).
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
            var command = try ScrimCommand.parseAsRoot(Array(SystemPath.arguments.dropFirst()))
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
                Foundation.exit(exitCodeUsage.rawValue)
            }
            _ = StandardOutput.finish()
            ScrimCommand.exit(withError: error)
        }
        Foundation.exit(StandardOutput.finish() ?? 0)
    }
}
