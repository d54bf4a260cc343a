import ArgumentParser
import Foundation
import Scrim
import Synchronization

/// SIGINT / SIGTERM handling for commands that write files: the first signal asks running jobs to stop (they
/// poll ``requested`` once per block and remove their temporary files); a second one exits at once.
/// They are unblocked too, in case the parent process started scrim with them blocked.
/// SIGXFSZ is ignored so that a write beyond the file-size limit (`ulimit -f`) fails with EFBIG — an error the
/// job reports and cleans up after — instead of killing the process with a partial temporary file.
enum Interruption {
    private static let received = Atomic<Int32>(0)

    static func install() {
        signal(SIGXFSZ, SIG_IGN)
        let handler: @convention(c) (Int32) -> Void = { number in
            if Interruption.received.exchange(number, ordering: .relaxed) != 0 { _exit(128 + number) }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        // A parent may start us with these signals blocked (threads of a Dispatch-based launcher block all
        // signals, and the mask is inherited across exec): unblock them, or an interrupt would never arrive.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Whether a stop was asked for.
    static var requested: Bool { received.load(ordering: .relaxed) != 0 }

    /// The signal received, if any.
    static var signalNumber: Int32? {
        let number = received.load(ordering: .relaxed)
        return number == 0 ? nil : number
    }
}

extension Interruption {
    /// Throws the exit code for the signal received (130 for SIGINT, 143 for SIGTERM), if any.
    static func exitIfInterrupted() throws {
        if let signal = signalNumber { throw ExitCode(128 + signal) }
    }
}

/// Standard output as the process leaves it.
enum StandardOutput {
    /// The C stream behind `print`: Glibc's `stdout` variable, looked up by name because Swift 6 refuses to read a
    /// mutable C global directly.
    static var standardOutputStream: UnsafeMutablePointer<FILE>? {
        dlsym(nil, "stdout")?.assumingMemoryBound(to: UnsafeMutablePointer<FILE>?.self).pointee
    }

    /// Flushes standard output and fails (exit 1, with a message on standard error) when what was printed could
    /// not all be written: a full disk (`> /dev/full`), a closed pipe. Called once, as the process ends.
    static func finish() -> Int32? {
        // nil flushes every stream, standard output among them (naming `stdout` is not concurrency-safe in Swift 6).
        if fflush(nil) != 0 || standardOutputStream.map({ ferror($0) != 0 }) == true {
            let number = errno
            printError("scrim: cannot write to standard output (\(String(cString: strerror(number))))")
            return exitCodeFileFailed.rawValue
        }
        return nil
    }

    /// Sets descriptor 1 aside for audio (`-o -`) and points it at standard error, so that every text line goes
    /// to standard error and cannot corrupt the audio stream.
    /// - Returns: a descriptor that writes to the original standard output.
    static func reserveForAudio() -> Int32 {
        fflush(nil)
        let audio = dup(STDOUT_FILENO)
        dup2(STDERR_FILENO, STDOUT_FILENO)
        return audio
    }
}

/// Where a writing command's audio goes: a file, or standard output (`-`).
///
/// Made before any work: the extension is checked (``OutputFormat``), Scrim temporaries left in the destination's
/// folder by a killed run are removed and reported (``Temporaries/removeStale(in:)``). For `-` the job writes a WAV
/// to a Scrim temporary in `$TMPDIR`, which ``deliver()`` copies to standard output.
struct OutputTarget {
    /// The path as given.
    let given: String
    /// Where the job writes.
    let jobPath: String
    /// The descriptor of the original standard output, for `-`.
    let audioDescriptor: Int32?

    /// Checks `path` for a command's output flag (a usage error, exit 2, before any work).
    /// - Parameters:
    ///   - option: the flag, for the message.
    ///   - allowsStandardOutput: whether `-` is accepted.
    ///   - json: whether `--json` was given (it needs standard output too).
    static func check(_ path: String, option: String = "-o", allowsStandardOutput: Bool = true, json: Bool) throws {
        if path == "-" {
            guard allowsStandardOutput else {
                throw ValidationError("\(option) -: this command cannot write its output to standard output")
            }
            guard !json else {
                throw ValidationError("\(option) - and --json both need standard output: write the audio to a file")
            }
            return
        }
        do {
            try OutputFormat.check(path: path)
        } catch {
            throw ValidationError("\(option) \(SystemPath.display(path)): \(error.reason)")
        }
    }

    /// Prepares the destination (see the type's documentation).
    init(_ path: String) {
        given = path
        if path == "-" {
            let folder = StandardStreams.temporaryFolder
            reportStaleTemporaries(Temporaries.removeStale(in: folder))
            audioDescriptor = StandardOutput.reserveForAudio()
            jobPath = Temporaries.path(beside: folder + "/stdout.wav", kind: "stdout", audioExtension: true)
        } else {
            audioDescriptor = nil
            jobPath = path
            let folder = Temporaries.split(path).folder
            reportStaleTemporaries(Temporaries.removeStale(in: folder.isEmpty ? "." : folder))
        }
    }

    /// The destination as people see it.
    var displayPath: String { given == "-" ? "(standard output)" : SystemPath.display(given) }

    /// Copies the finished audio to standard output, for `-` (nothing to do for a file).
    func deliver() throws {
        guard let audioDescriptor else { return }
        try StandardStreams.copy(jobPath, to: audioDescriptor)
    }

    /// Removes the `$TMPDIR` copy after a failure, for `-`.
    func discard() {
        guard audioDescriptor != nil else { return }
        _ = SystemPath.withCString(jobPath) { unlink($0) }
    }
}

/// Says on standard error what ``Temporaries/removeStale(in:)`` removed (nothing when it removed nothing).
func reportStaleTemporaries(_ cleanup: Temporaries.Cleanup) {
    guard !cleanup.isEmpty else { return }
    let megabytes = Double(cleanup.byteCount) / 1_000_000
    printError("scrim: removed \(cleanup.fileCount) temporary file\(cleanup.fileCount == 1 ? "" : "s") "
               + String(format: "(%.1f MB)", megabytes) + " left in \(SystemPath.display(cleanup.folder)) "
               + "by an interrupted Scrim run")
}

/// Where a command's audio comes from: a file, or standard input (`-`) copied to an unnamed temporary file.
struct InputSource {
    /// The path as given.
    let given: String
    /// What the job reads.
    let jobPath: String

    /// Opens the source; for `-`, reads all of standard input first.
    /// - Throws: ``AudioFileError`` naming standard input when it cannot be kept.
    init(_ path: String) throws {
        given = path
        if path == "-" {
            jobPath = try StandardStreams.spoolStandardInput().path
        } else {
            jobPath = path
        }
    }

    /// The source as people see it.
    var displayPath: String { given == "-" ? StandardStreams.displayName : SystemPath.display(given) }

    /// `error` naming the user's input rather than the copy of standard input.
    func naming(_ error: any Error) -> any Error {
        guard given == "-", var fileError = error as? AudioFileError, fileError.path == jobPath else { return error }
        fileError.path = StandardStreams.displayName
        return fileError
    }
}

/// The paths a single-file writing command's job uses, and how people see them.
struct JobPaths {
    /// What the job reads (a file, or the copy of standard input).
    let input: String
    /// Where the job writes (the output, or a temporary bound for standard output).
    let output: String
    /// The input as given, for reports.
    let displayInput: String
    /// The output as given, for reports.
    let displayOutput: String
}

/// Runs a command that reads one input and writes one output, with the rules every writing command shares:
/// SIGINT/SIGTERM stop the job with nothing partial left (exit 130/143); `-` is standard input or output; Scrim
/// temporaries left in the output's folder by a killed run are removed and reported; a failure is reported naming
/// the user's file (exit 1).
/// - Parameters:
///   - command: the command's name, for messages.
///   - input: the input as given.
///   - output: the output as given (already checked with ``OutputTarget/check(_:option:allowsStandardOutput:json:)``).
///   - json: whether failures are reported as JSON.
///   - job: does the work and prints the report; polls ``Interruption/requested``.
func runWritingCommand(command: String, input: String, output: String, json: Bool,
                       job: (JobPaths) throws -> Void) throws {
    Interruption.install()
    var target: OutputTarget?
    do {
        let source = try InputSource(input)
        let made = OutputTarget(output)
        target = made
        do {
            try job(JobPaths(input: source.jobPath, output: made.jobPath, displayInput: source.displayPath,
                             displayOutput: made.displayPath))
        } catch {
            throw source.naming(error)
        }
        try made.deliver()
    } catch {
        target?.discard()
        // A usage error found once the file is open (a --learn range outside it): exit 2, nothing written.
        if error is ValidationError { throw error }
        if let signal = Interruption.signalNumber {
            printError("scrim \(command): interrupted by signal \(signal); nothing was written")
            throw ExitCode(128 + signal)
        }
        throw reportFailure(error, path: input, command: command, json: json,
                            output: output == "-" ? "(standard output)" : output)
    }
}

extension OutputBits: ExpressibleByArgument {}

/// A progress line on standard error while a command works, in the style of `scrim batch`'s: what is being done,
/// the share of it, audio done, × real time and the time left. Shown only on a terminal and only once the work
/// has taken a second (a quick command prints nothing); redrawn at most ten times a second; cleared before the
/// command prints its report. Passes over a file are counted when the frame position starts again.
final class TerminalProgress: @unchecked Sendable {
    private let label: String
    private let passes: Int
    private let enabled: Bool
    private let start = ContinuousClock.now
    private var pass = 0
    private var lastDone = 0
    private var lastDrawn: ContinuousClock.Instant?
    private var shown = false
    /// Seconds of work before the line appears: 1, or `$SCRIM_PROGRESS_AFTER_SECONDS` (tests set 0).
    private let delay = Double(ProcessInfo.processInfo.environment["SCRIM_PROGRESS_AFTER_SECONDS"] ?? "") ?? 1

    /// - Parameters:
    ///   - label: what is being done ("denoise take.wav").
    ///   - passes: passes the work makes over its input (for the share done).
    init(_ label: String, passes: Int = 1) {
        self.label = label
        self.passes = max(1, passes)
        enabled = isatty(STDERR_FILENO) == 1
    }

    /// The callback for ``FileJobOptions/progress`` and for `FileJob.analyze`'s `progress`.
    var callback: @Sendable (Int, Int) -> Void { { [self] done, total in update(done: done, total: total) } }

    func update(done: Int, total: Int) {
        guard enabled, total > 0 else { return }
        if done < lastDone { pass = min(passes - 1, pass + 1) }
        lastDone = done
        let now = ContinuousClock.now
        let elapsed = seconds(now - start)
        guard elapsed >= delay else { return }
        if let lastDrawn, seconds(now - lastDrawn) < 0.1 { return }
        lastDrawn = now
        let fraction = min(1, (Double(pass) + Double(done) / Double(total)) / Double(passes))
        var text = "\(label)  \(Int(fraction * 100))%"
        if passes > 1 { text += " (pass \(pass + 1) of \(passes))" }
        if fraction > 0 {
            let eta = elapsed * (1 - fraction) / fraction
            text += "  ETA " + BatchRenderer.clock(eta)
        }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
        shown = true
    }

    /// Clears the line (call before printing the report).
    func finish() {
        guard shown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        shown = false
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}

/// The files a reading command (`analyze`, `loudness`, `info`) works on: folders expanded recursively, with every
/// path under them that is not audio listed on standard error (or as a `skippedPath` line with `--json`).
func expandInputs(_ entries: [String], command: String, json: Bool) -> [String] {
    let (files, skipped) = BatchPlan.expandingFolders(entries)
    for skip in skipped {
        if json {
            print(Envelope.make(command: command, input: skip.path, output: nil, status: .skipped,
                                warnings: [JobWarning(.skippedPath, skip.reason)], event: "skippedPath",
                                report: [("reason", .string(skip.reason))]).serialized())
        } else {
            printError("skipped  \(SystemPath.display(skip.path))  (\(skip.reason))")
        }
    }
    return files
}

/// `--bits`: the output's sample format, for every command that writes audio.
struct SampleFormatOption: ParsableArguments {
    @Option(help: ArgumentHelp("Sample format of the output: 16, 24, 32 or float (default: the input's; the nearest "
                               + "the container holds, said as a warning).", valueName: "bits"))
    var bits: OutputBits?
}

/// `--layout`: the loudness channel weights, for every command that measures or sets loudness.
struct LayoutOption: ParsableArguments {
    @Option(help: ArgumentHelp("Loudness channel weights: equal, mono, stereo, 5.0, 5.1 or 7.1 (default: the file's "
                               + "channel mask; equal for a poly BWF with iXML; else by channel count).",
                               valueName: "layout"))
    var layout: LayoutChoice?
}

/// `--model`: the neural engine's model folder, for every command that can run a preset naming it.
struct ModelOption: ParsableArguments {
    @Option(help: ArgumentHelp("Neural engine: the DeepFilterNet3 model folder (default $SCRIM_MODEL_PATH, then "
                               + "~/.local/share/scrim/models/DeepFilterNet3; install it with "
                               + "scripts/fetch-model.sh).", valueName: "folder"))
    var model: String?

    /// Loads (and caches) the model when `preset` runs the neural engine, so that a missing or damaged model is
    /// one clear error before any file is touched, never a fallback to the spectral engine.
    /// - Throws: ``ScrimError`` `.modelNotFound` / `.invalidDocument` naming the folder and the fetch script.
    func check(for preset: Preset) throws {
        guard preset.denoise?.engine == .neural else { return }
        _ = try NeuralModelCache.shared.model(folder: model)
    }
}
