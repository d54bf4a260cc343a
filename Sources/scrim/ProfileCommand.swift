import ArgumentParser
import Foundation
import Scrim

/// `scrim profile IN --range START-END -o profile.json`: measure a noise profile for `scrim denoise --profile`.
struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Measure a noise profile (room tone) for `scrim denoise --profile`.",
        discussion: """
            Measures the mean noise spectrum of the input (the whole file, a --range, or --range auto for its \
            quietest 0.5 s) with the framing `scrim denoise` uses at that sample rate, and writes it as JSON.
            """
    )

    @Argument(help: "Input audio file: room tone, or a take with a stretch of it.")
    var input: String

    @Option(name: [.customShort("o"), .customLong("output")],
            help: "Profile file to write (JSON; - for standard output).")
    var output: String

    @Option(help: ArgumentHelp("Part of the file to measure: START-END (seconds, or [h:]mm:ss), or auto for "
                               + "the quietest 0.5 s (default: the whole file).", valueName: "start-end|auto"))
    var range: String?

    @Flag(help: "Replace the output file if it exists.")
    var overwrite = false

    @Flag(help: "Print one JSON object (keys in Sources/scrim/README.md).")
    var json = false

    func validate() throws {
        if let range, range.lowercased() != "auto", TimeRange(parsing: range) == nil {
            throw ValidationError("--range \(range): use START-END in seconds (e.g. 0-1.5) or [h:]mm:ss, or auto")
        }
        if output == "-" && json {
            throw ValidationError("-o - and --json both need standard output: write the profile to a file")
        }
    }

    func run() throws {
        Interruption.install()
        do {
            let source = try InputSource(input)
            do {
                try runJob(source)
            } catch {
                throw source.naming(error)
            }
        } catch {
            if error is ValidationError { throw error }
            if let signal = Interruption.signalNumber {
                printError("scrim profile: interrupted by signal \(signal); nothing was written")
                throw ExitCode(128 + signal)
            }
            throw reportFailure(error, path: input, command: "profile", json: json,
                                output: output == "-" ? "(standard output)" : output)
        }
    }

    private func runJob(_ source: InputSource) throws {
        let input = source.jobPath
        if output != "-" {
            try FileSystem.checkReplaceable(output, overwrite: overwrite)
            let folder = Temporaries.split(output).folder
            reportStaleTemporaries(Temporaries.removeStale(in: folder.isEmpty ? "." : folder))
        }
        let profile: NoiseProfile
        let noiseSource: String
        var learnWarnings: [JobWarning] = []
        let progress = TerminalProgress("profile \(source.displayPath)")
        defer { progress.finish() }
        if let range {
            let learned = try DenoiseCommand.learnProfile(input: input, learn: range,
                                                          displayName: source.displayPath, progress: progress,
                                                          flag: "--range")
            profile = learned.profile
            noiseSource = learned.description
            learnWarnings = learned.warnings
        } else {
            let profiler = NoiseProfiler(selection: .all)
            _ = try FileJob.analyze(input: input, analyzers: [profiler], isCancelled: { Interruption.requested },
                                    progress: progress.callback)
            profile = try profiler.profile()
            noiseSource = "learned from the whole file"
        }
        progress.finish()
        let bytes = [UInt8](try profile.jsonData())
        if output == "-" {
            print(String(decoding: bytes, as: UTF8.self))
            return
        }
        try FileSystem.writeAtomically(bytes, to: output, overwrite: overwrite)
        if json {
            print(Envelope.make(command: "profile", input: source.displayPath, output: output, status: .done,
                                warnings: learnWarnings, report: [
                ("profile", .object([
                    ("noiseSource", .string(noiseSource)),
                    ("sampleRate", .number(profile.sampleRate)),
                    ("channelCount", .int(Int64(profile.channelCount))),
                    ("fftSize", .int(Int64(profile.fftSize))),
                    ("frames", .int(Int64(profile.frameCount))),
                    ("noiseFloorDbfs", .rounded(profile.levelDecibelsFS, places: 2)),
                ])),
            ]).serialized())
        } else {
            print("\(source.displayPath) -> \(SystemPath.display(output))\n  noise      "
                  + "\(formatDecibels(profile.levelDecibelsFS)) dBFS, "
                  + "\(profile.frameCount) frames of \(profile.fftSize) (\(noiseSource))"
                  + learnWarnings.map { "\n  warning    " + $0.message }.joined())
        }
    }
}
