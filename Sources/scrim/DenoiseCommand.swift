import ArgumentParser
import Foundation
import Scrim

/// `scrim denoise IN -o OUT`: lower broadband noise (air conditioning, traffic, hiss, fans) to quieter room tone.
struct DenoiseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "denoise",
        abstract: "Reduce broadband noise (hiss, air conditioning, traffic, fans) to a quieter, natural room tone.",
        discussion: """
            Adaptive by default: the noise is tracked through the take, so noise that changes or starts mid-take \
            is followed. --learn START-END (seconds, or [h:]mm:ss) or --learn auto (the quietest 0.5 s) measures \
            a fixed noise profile from the file itself; --profile FILE uses one made by `scrim profile` (from \
            room tone). The noise is lowered by up to --reduction dB (default 24), never gated to silence. Under a \
            speech-like background (babble, crowd walla) a deeper limit is eased to 4-10 dB while it lasts, \
            because cutting it deeper takes the dialogue's consonants with it (the babble guard; --no-babble-guard \
            keeps the full limit; the report says when it engaged). The output is sample-aligned with the input (same \
            length; bext/iXML pass through).

            --engine neural runs the DeepFilterNet3 network instead (fetch the model once with \
            scripts/fetch-model.sh; --model or $SCRIM_MODEL_PATH point elsewhere): deeper, cleaner reduction of \
            every kind of noise, at about a seventieth of the spectral engine's speed. Each channel is its own voice; \
            other sample rates are resampled to 48 kHz and back. --reduction (0-100 dB, default none) mixes the \
            input back under the cleaned dialogue; --neural-mode reference runs the network exactly as its \
            reference runtime does, without Scrim's dialogue refinement. A missing or damaged model is an error \
            (exit 1), never a fallback to the spectral engine.
            """
    )

    @Argument(help: "Input audio file (never written).")
    var input: String

    @Option(name: [.customShort("o"), .customLong("output")],
            help: "Output file (- for standard output; the container follows the extension).")
    var output: String

    @Option(help: ArgumentHelp("Learn the noise from a range of the input (seconds, e.g. 0-1.5, or [h:]mm:ss), "
                               + "or 'auto' for its quietest 0.5 s.", valueName: "start-end|auto"))
    var learn: String?

    @Option(help: ArgumentHelp("Use a noise profile made by `scrim profile`.", valueName: "file"))
    var profile: String?

    @Flag(help: "Track the noise adaptively (the default when neither --learn nor --profile is given).")
    var adaptive = false

    @Option(help: ArgumentHelp("Largest cut in dB: spectral 0-40 (default 24); neural 0-100 (default none; "
                               + "100 is none).", valueName: "dB"))
    var reduction: Double?

    @Option(help: ArgumentHelp("spectral (default) or neural (DeepFilterNet3; needs the model).",
                               valueName: "engine"))
    var engine: DenoiseEngine = .spectral

    @Option(help: ArgumentHelp("Neural engine: the model folder (default $SCRIM_MODEL_PATH, then "
                               + "~/.local/share/scrim/models/DeepFilterNet3).", valueName: "folder"))
    var model: String?

    @Option(name: .customLong("neural-mode"),
            help: ArgumentHelp("Neural engine: dialogue (default: Scrim's refinement) or reference (the network as "
                               + "its reference runtime runs it).", valueName: "mode"))
    var neuralMode: NeuralNoiseReducerSettings.Mode = .dialogue

    @Flag(name: .customLong("post-filter"),
          help: ArgumentHelp("Neural engine: DeepFilterNet's post-filter (a little deeper between harmonics)."))
    var postFilter = false

    @Option(name: .customLong("write"),
            help: ArgumentHelp("What to write: cleaned (default), residual (what was removed) or bypass.",
                               valueName: "kind"))
    var outputKind: NoiseReducerSettings.Output = .cleaned

    @Flag(help: "One gain for all channels (stereo pairs, coincident microphones) instead of per channel.")
    var link = false

    @Flag(name: .customLong("no-babble-guard"),
          help: "Keep the full reduction limit under a speech-like background (babble, walla) too.")
    var noBabbleGuard = false

    @Flag(help: "Replace the output file (and the --plot picture) if it exists.")
    var overwrite = false

    @OptionGroup var plot: PlotOption

    @OptionGroup var sampleFormat: SampleFormatOption
    var bits: OutputBits? { sampleFormat.bits }

    @Flag(help: "Print one JSON object (keys in Sources/scrim/README.md).")
    var json = false

    func validate() throws {
        if ["cleaned", "residual", "bypass"].contains(output.lowercased()) {
            throw ValidationError("--output \(output): --output is the output file now; say what to write with "
                                  + "--write \(output.lowercased())")
        }
        let modes = [learn != nil, profile != nil, adaptive].filter { $0 }.count
        guard modes <= 1 else {
            throw ValidationError("use only one of --learn, --profile and --adaptive")
        }
        if engine == .neural {
            let spectralOnly = [(learn != nil, "--learn"), (profile != nil, "--profile"), (adaptive, "--adaptive"),
                                (link, "--link"), (noBabbleGuard, "--no-babble-guard")].filter(\.0).map(\.1)
            if let flag = spectralOnly.first {
                throw ValidationError("\(flag) applies to the spectral engine; the neural engine learns no "
                                      + "profile and hears each channel on its own (drop \(flag) or --engine neural)")
            }
            if let reduction, !(reduction.isFinite && reduction >= 0
                                && reduction <= NeuralNoiseReducerSettings.noLimitDecibels) {
                throw ValidationError("--reduction \(reduction): the neural engine takes 0 to 100 dB (100: none)")
            }
        } else {
            if neuralMode != .dialogue || postFilter || model != nil {
                let flag = model != nil ? "--model" : postFilter ? "--post-filter" : "--neural-mode"
                throw ValidationError("\(flag) applies to the neural engine: add --engine neural")
            }
            if let reduction, !(reduction.isFinite && NoiseReducerSettings.reductionRange.contains(reduction)) {
                throw ValidationError("--reduction \(reduction): use 0 to 40 dB (default 24)")
            }
        }
        if let learn, learn.lowercased() != "auto", TimeRange(parsing: learn) == nil {
            throw ValidationError("--learn \(learn): use START-END in seconds (e.g. 0-1.5) or [h:]mm:ss, or auto")
        }
        try OutputTarget.check(output, json: json)
        try plot.validate()
    }

    func run() throws {
        try runWritingCommand(command: "denoise", input: input, output: output, json: json) { paths in
            try plot.checkDestination(overwrite: overwrite, input: input)
            try runJob(paths)
        }
    }

    private func runJob(_ paths: JobPaths) throws {
        if engine == .neural { return try runNeural(paths) }
        var settings = NoiseReducerSettings(
            reductionDecibels: reduction ?? NoiseReducerSettings.defaultReductionDecibels, output: outputKind, channelLinking: link ? .linked : .independent,
            babbleGuard: !noBabbleGuard)
        var source = "adaptive"
        var choiceWarnings: [JobWarning] = []
        let progress = TerminalProgress("denoise \(paths.displayInput)",
                                        passes: learn != nil || profile != nil ? 2 : 1)
        defer { progress.finish() }
        if let profile {
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: profile))
            } catch {
                throw ScrimError(.invalidDocument, "cannot read the noise profile \(profile)",
                                 underlying: error.localizedDescription)
            }
            let decoded = try NoiseProfile.decode(jsonData: data)
            settings.mode = .learned(decoded)
            source = "profile \(profile)"
            let info = try AudioFileReader(path: paths.input).info
            choiceWarnings += try Self.profileWarnings(decoded, path: profile, input: paths.input, info: info,
                                                       progress: progress)
        } else if let learn {
            let learned = try Self.learnProfile(input: paths.input, learn: learn, displayName: paths.displayInput,
                                                progress: progress)
            settings.mode = .learned(learned.profile)
            source = learned.description
            choiceWarnings += learned.warnings
        }
        var reducer: NoiseReducer?
        var options = FileJobOptions(overwrite: overwrite, codingHistoryText: "Scrim \(scrimVersion) denoise",
                                     bits: bits)
        options.progress = progress.callback
        let tap = plot.tap()
        var result = try FileJob.process(input: paths.input, output: paths.output, options: options,
                                         isCancelled: { Interruption.requested }, comparisonTap: tap) { _ in
            let made = NoiseReducer(settings: settings)
            reducer = made
            return made
        }
        guard let report = reducer?.report else {
            throw ScrimError(.invalidState, "the noise reducer was not created")
        }
        result.inputPath = paths.displayInput
        result.outputPath = paths.displayOutput
        result.warnings = choiceWarnings + result.warnings
        progress.finish()
        let plotted = try plot.drawComparison(command: "denoise", paths: paths, tap: tap, overwrite: overwrite)
        if json {
            print(Self.reportJSON(report, source: source, result: result).addingPlot(plotted).serialized())
        } else {
            print(Self.describe(report, source: source, result: result) + plotLines(plotted))
        }
    }

    /// The neural engine: the model loaded (an error naming the fetch script when it is missing), one network per
    /// channel, resampled when the file is not at 48 kHz.
    private func runNeural(_ paths: JobPaths) throws {
        let settings = NeuralNoiseReducerSettings(
            reductionLimitDecibels: reduction ?? NeuralNoiseReducerSettings.defaultReductionDecibels,
            output: NeuralNoiseReducerSettings.Output(rawValue: outputKind.rawValue) ?? .cleaned,
            postFilter: postFilter, mode: neuralMode)
        let network = try NeuralModelCache.shared.network(folder: model)
        let wholeFile = neuralMode == .dialogue
        let progress = TerminalProgress("denoise \(paths.displayInput) (neural)", passes: wholeFile ? 3 : 1)
        defer { progress.finish() }
        var options = FileJobOptions(overwrite: overwrite,
                                     codingHistoryText: "Scrim \(scrimVersion) denoise (neural, DeepFilterNet3)",
                                     bits: bits)
        var result: FileJobResult
        let report: NeuralNoiseReductionReport
        var tap: ComparisonTap?
        if wholeFile {
            // Dialogue mode on a file: the whole-file passes (forward and reverse ensemble, the guard).
            (result, report) = try NeuralFileJob.process(
                input: paths.input, output: paths.output, model: network.model, weights: network.weights,
                settings: settings, options: options, isCancelled: { Interruption.requested },
                progress: { fraction in progress.update(done: Int(fraction * 1_000_000), total: 1_000_000) })
        } else {
            var reducer: NeuralNoiseReducer?
            options.progress = progress.callback
            tap = plot.tap()
            result = try FileJob.process(input: paths.input, output: paths.output, options: options,
                                         isCancelled: { Interruption.requested }, comparisonTap: tap) { _ in
                let made = NeuralNoiseReducer(model: network.model, weights: network.weights, settings: settings)
                reducer = made
                return made
            }
            guard let made = reducer?.report else {
                throw ScrimError(.invalidState, "the neural noise reducer was not created")
            }
            report = made
        }
        result.inputPath = paths.displayInput
        result.outputPath = paths.displayOutput
        progress.finish()
        let plotted = try plot.drawComparison(command: "denoise", paths: paths, tap: tap, overwrite: overwrite)
        if json {
            print(Envelope.make(command: "denoise", input: result.inputPath, output: result.outputPath, status: .done,
                                warnings: result.warnings, report: [
                ("denoise", report.json),
                ("file", result.json),
            ]).addingPlot(plotted).serialized())
        } else {
            print(Self.describe(report, result: result) + plotLines(plotted))
        }
    }

    static func describe(_ report: NeuralNoiseReductionReport, result: FileJobResult) -> String {
        var reduction: String
        if let average = report.averageReductionDecibels, let maximum = report.maximumReductionDecibels {
            reduction = "average \(formatDecibels(average)) dB, deepest \(formatDecibels(maximum)) dB, "
        } else {
            reduction = "none measured (no hop above -120 dBFS), "
        }
        reduction += report.reductionLimitDecibels.map { "limit \(formatDecibels($0)) dB" } ?? "no limit"
        var network = "DeepFilterNet3, \(report.mode) mode, writes \(report.output)"
        if let ensemble = report.ensemble {
            network += ensemble == "forward+reverse" ? ", run forwards and backwards" : ", two runs half a hop apart"
        }
        if report.postFilter { network += ", post-filter" }
        if report.streamSampleRate != Double(report.networkSampleRate) {
            network += String(format: ", resampled %.0f -> %d -> %.0f Hz", report.streamSampleRate,
                              report.networkSampleRate, report.streamSampleRate)
        }
        var heard = "not measured"
        if let median = report.localSNRMedianDecibels, let low = report.localSNRPercentile10Decibels,
           let high = report.localSNRPercentile90Decibels, let share = report.speechShare {
            heard = String(format: "speech in %.0f%% of the take; local SNR median %@ dB (10-90%%: %@ to %@ dB)",
                           share * 100, formatDecibels(median), formatDecibels(low), formatDecibels(high))
        }
        var refinement: [String] = []
        if let share = report.mixBackShare {
            var line = String(format: "  refined    input mixed back where the voice stands clear in %.0f%% of "
                              + "the frames", share * 100)
            if let strength = report.guardStrength, strength > 0 {
                line += String(format: "; guard eased the take %.0f%% towards the input (the network removed far "
                               + "more than it kept)", strength * 100)
            }
            refinement.append(line)
        }
        return ([
            "\(result.inputPath) -> \(result.outputPath)",
            "  engine     " + network,
            "  noise      \(noiseLevelText(report.noiseFloorBeforeDecibelsFS)) -> "
                + "\(noiseLevelText(report.noiseFloorAfterDecibelsFS)) (where the network heard no speech)",
            "  reduction  " + reduction,
            "  heard      " + heard,
        ] + refinement + fileNoteLines(result) + [
            String(format: "  speed      %.0fx real time", result.realTimeFactor),
        ]).joined(separator: "\n")
    }

    /// Measures a profile from the input: a time range or the quietest 0.5 s (``DenoiseJob/learnProfile``).
    /// - Returns: the profile, how it was learned, and warnings (a range in which the dialogue gate hears speech).
    /// - Throws: `ValidationError` (a usage error, exit 2) for a range that is not wholly inside the file.
    static func learnProfile(input: String, learn: String, displayName: String? = nil,
                             progress: TerminalProgress? = nil, flag: String = "--learn") throws
        -> (profile: NoiseProfile, description: String, warnings: [JobWarning]) {
        let reader = try AudioFileReader(path: input)
        let info = reader.info
        reader.close()
        let sampleRate = Double(info.sampleRate)
        let frameCount = info.frameCount
        let fileLength = String(format: "%.3f s", Double(frameCount) / sampleRate)
        let name = displayName ?? SystemPath.display(input)
        var frames: Range<Int>?
        if learn.lowercased() != "auto" {
            guard let range = TimeRange(parsing: learn) else {
                throw ValidationError("\(flag) \(learn): use START-END in seconds or [h:]mm:ss, or auto")
            }
            guard let inside = range.frames(sampleRate: sampleRate, within: frameCount, strict: true) else {
                throw ValidationError("\(flag) \(learn): \(name) lasts \(fileLength); give a range of room tone "
                                      + "inside it (or \(flag) auto)")
            }
            frames = inside
        }
        return try DenoiseJob.learnProfile(input: input, info: info, frames: frames, rangeText: learn, flag: flag,
                                           isCancelled: { Interruption.requested }, progress: progress?.callback)
    }

    /// Warnings for a profile that does not fit the file: another channel count, or a noise level far from the
    /// file's own quietest half second (``profileLevelTolerance``).
    static func profileWarnings(_ profile: NoiseProfile, path: String, input: String, info: AudioFileInfo,
                                progress: TerminalProgress? = nil) throws -> [JobWarning] {
        var warnings: [JobWarning] = []
        if profile.channelCount != info.channelCount && profile.channelCount != 1 {
            warnings.append(JobWarning(.profileMismatch, "the profile \(SystemPath.display(path)) was measured on "
                                       + "\(profile.channelCount) channels and this file has \(info.channelCount): "
                                       + "its channels do not correspond"))
        }
        if abs(profile.sampleRate - Double(info.sampleRate)) > 0.5 {
            warnings.append(JobWarning(.profileMismatch, "the profile was measured at \(Int(profile.sampleRate)) Hz "
                                       + "and this file is \(info.sampleRate) Hz"))
        }
        let floor = NoiseProfiler(selection: .quietest(durationFrames: Int(0.5 * Double(info.sampleRate))))
        _ = try FileJob.analyze(input: input, analyzers: [floor], isCancelled: { Interruption.requested },
                                progress: progress?.callback)
        if let quietest = try? floor.profile().levelDecibelsFS, quietest.isFinite, profile.levelDecibelsFS.isFinite,
           abs(profile.levelDecibelsFS - quietest) > profileLevelTolerance {
            warnings.append(JobWarning(.profileLevelMismatch, String(
                format: "the profile's noise (%.1f dBFS) is %.1f dB %@ this file's quietest half second (%.1f dBFS): "
                    + "it was probably measured on another take or set-up", profile.levelDecibelsFS,
                abs(profile.levelDecibelsFS - quietest), profile.levelDecibelsFS < quietest ? "below" : "above",
                quietest)))
        }
        return warnings
    }

    /// How far, dB, a profile's level may lie from the file's quietest half second before Scrim warns: room tone
    /// in one set-up varies by a few dB between takes; 12 dB is a different room, microphone or gain.
    static let profileLevelTolerance = 12.0

    static func reportJSON(_ report: NoiseReductionReport, source: String, result: FileJobResult) -> JSONValue {
        DenoiseJob.envelope(report, source: source, file: result)
    }

    static func describe(_ report: NoiseReductionReport, source: String, result: FileJobResult) -> String {
        let mode = source == report.mode ? report.mode : "\(report.mode) (\(source))"
        var reduction: String
        if let average = report.averageReductionDecibels, let maximum = report.maximumReductionDecibels {
            reduction = "average \(formatDecibels(average)) dB, maximum \(formatDecibels(maximum)) dB, "
        } else {
            reduction = "none measured (no frame above -120 dBFS), "
        }
        reduction += "limit \(formatDecibels(report.reductionLimitDecibels)) dB"
        return ([
            "\(result.inputPath) -> \(result.outputPath)",
            "  mode       \(mode), writes \(report.output), channels \(report.channelLinking)",
            "  noise      \(noiseLevelText(report.noiseFloorBeforeDecibelsFS)) -> "
                + "\(noiseLevelText(report.noiseFloorAfterDecibelsFS)) (estimated floor)",
            "  reduction  " + reduction,
            "  babble     " + describeBabbleGuard(report),
        ] + fileNoteLines(result) + [
            String(format: "  speed      %.0fx real time", result.realTimeFactor),
        ]).joined(separator: "\n")
    }
}

/// A noise level for people: "-48.8 dBFS", "digital silence" (the report's −200 dBFS floor), or "not measured".
func noiseLevelText(_ value: Double?) -> String {
    guard let value else { return "not measured" }
    return value <= -199.9 ? "digital silence" : formatDecibels(value) + " dBFS"
}

/// The babble guard's line of the text report: off, not engaged, or how much of the take and how far.
func describeBabbleGuard(_ report: NoiseReductionReport) -> String {
    guard let share = report.babbleGuardShare else {
        return "guard not running (switched off, or frames outside 23-100 ms)"
    }
    guard let lowest = report.babbleGuardLowestLimitDecibels, share > 0 else {
        return "guard not engaged (full limit throughout)"
    }
    let percent = String(format: "%.0f", share * 100)
    return "speech-like background in \(percent)% of the take: limit eased to \(formatDecibels(lowest)) dB there"
}

extension NoiseReducerSettings.Output: ExpressibleByArgument {}
extension DenoiseEngine: ExpressibleByArgument {}
extension NeuralNoiseReducerSettings.Mode: ExpressibleByArgument {}
