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
        do {
            var command = try ScrimCommand.parseAsRoot()
            try command.run()
        } catch {
            let code = ScrimCommand.exitCode(for: error)
            if code == .success {
                // --help, --version: ArgumentParser prints them.
                ScrimCommand.exit(withError: error)
            }
            if code == .validationFailure {
                // ArgumentParser's usage errors exit 64 by default; Scrim documents 2.
                let message = ScrimCommand.fullMessage(for: error)
                FileHandle.standardError.write(Data((message + "\n").utf8))
                Foundation.exit(exitCodeUsage.rawValue)
            }
            ScrimCommand.exit(withError: error)
        }
    }
}
