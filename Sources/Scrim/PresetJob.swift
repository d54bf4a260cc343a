import Foundation

extension ScrimError.Code {
    /// The input is readable audio but outside what Scrim processes (e.g. more channels than
    /// ``PresetJob/maximumChannelCount``).
    public static let unsupportedInput = ScrimError.Code("unsupportedInput")
}

/// Settings for running a preset over a file.
public struct PresetJobOptions: Sendable {
    /// Frames per block read, processed and written (memory is bounded by this, not by the file length).
    public var blockFrames: Int
    /// Replace an existing output file (atomically). Off by default.
    public var overwrite: Bool
    /// Sample format of the output; nil keeps the input's.
    public var outputSampleFormat: SampleFormat?
    /// The sample format asked for with `--bits`; nil keeps the input's (see ``OutputFormat``).
    public var bits: OutputBits?
    /// Channel weights for the loudness stage asked for with `--layout`; nil applies the shared rule.
    public var layout: LayoutRequest?
    /// The neural engine's model folder (`--model`); nil looks in `$SCRIM_MODEL_PATH`, then the default folder.
    public var modelFolder: String?

    /// Creates options; every parameter has the documented default.
    public init(blockFrames: Int = 8192, overwrite: Bool = false, outputSampleFormat: SampleFormat? = nil,
                bits: OutputBits? = nil, layout: LayoutRequest? = nil, modelFolder: String? = nil) {
        self.modelFolder = modelFolder
        self.bits = bits
        self.layout = layout
        self.blockFrames = blockFrames
        self.overwrite = overwrite
        self.outputSampleFormat = outputSampleFormat
    }
}

/// What the de-hum stage found and did.
public struct HumStageResult: Sendable {
    /// The detection pass's result (nil with a fixed frequency: no detection pass).
    public var detection: HumDetection?
    /// The fundamental the remover started from, Hz (nil when nothing was removed).
    public var removedFundamentalHertz: Double?
    /// Harmonic numbers removed (empty when nothing was removed).
    public var removedHarmonics: [Int]
    /// How far either side the remover interpolated the hum under speech, seconds (nil when nothing was removed;
    /// shorter for a hum whose level changes, ``HumRemover/lookaheadSeconds(for:)``).
    public var lookaheadSeconds: Double? = nil
    /// Whether the remover treated the hum's level as changing over the take (nil when nothing was removed;
    /// ``HumRemoverConfiguration/levelVaries``).
    public var levelVaries: Bool? = nil
    /// `tracker` or `classic` (``DehumEngine``).
    public var engine: DehumEngine = .classic
    /// The tracker's hum track per audio track (nil for the classic engine or when nothing was tracked).
    public var track: [HumTrackReport]? = nil
}

/// What the loudness stage measured and did.
public struct LoudnessStageResult: Sendable {
    /// Channel weights used by the meters.
    public var layout: ChannelLayout
    /// The measurement the gain was chosen from: the cleaned audio, before the gain.
    public var measured: LoudnessMeasurement
    /// The plan applied and what the limiter did.
    public var normalization: NormalizationReport
    /// Measured on the frames actually written.
    public var after: LoudnessMeasurement
}

/// Everything a ``PresetJob`` decided and measured for one file: the combined report.
public struct PresetJobResult: Sendable {
    /// The preset run.
    public var preset: Preset
    /// The preset's ``Preset/fingerprint``.
    public var fingerprint: String
    /// De-click stage result (nil when the preset has no de-click stage).
    public var declick: DeclickStageResult? = nil
    /// De-hum stage result (nil when the preset has no de-hum stage).
    public var hum: HumStageResult?
    /// Noise-reduction report: noise floor before and after, reduction (nil when the preset has no denoise
    /// stage).
    public var denoise: NoiseReductionReport?
    /// The neural engine's report (nil unless the preset's denoise stage runs the network; ``denoise`` is then nil).
    public var neuralDenoise: NeuralNoiseReductionReport? = nil
    /// De-clip stage result (nil when the preset has no de-clip stage).
    public var declip: DeclipStageResult? = nil

    /// Rumble/wind stage result (nil when the preset has no `wind` stage).
    public var wind: WindStageResult? = nil

    /// This result with ``wind`` set.
    func withWind(_ wind: WindStageResult?) -> PresetJobResult {
        var copy = self
        copy.wind = wind
        return copy
    }
    /// Loudness stage result (nil when the preset has no loudness stage).
    public var loudness: LoudnessStageResult?
    /// The final pass's file report; its ``FileJobResult/invalidSamplesZeroed`` counts the input's invalid
    /// samples (NaN, ±Inf, beyond ±10⁶).
    public var file: FileJobResult
    /// Per-track quality control of the input, measured in the job's first read of it; its warnings are in the
    /// file report's warnings.
    public var quality: InputQuality
    /// Passes made over the audio (detection, cleanup/measurement, gain).
    public var passes: Int
    /// Wall-clock seconds for the whole job.
    public var elapsedSeconds: Double

    /// Audio seconds processed per wall-clock second, over all passes.
    public var realTimeFactor: Double {
        elapsedSeconds > 0 ? file.input.duration / elapsedSeconds : .infinity
    }

    /// The `scrim process --json` line: the envelope (``Envelope``) with the report under `process` and the file
    /// report under `file`.
    public var json: JSONValue { envelope(command: "process") }

    /// The envelope for `command` (`process`, or `batch` with `event`) around ``reportJSON`` and the file report.
    public func envelope(command: String, event: String? = nil, extra: [(String, JSONValue)] = []) -> JSONValue {
        Envelope.make(command: command, input: file.inputPath, output: file.outputPath, status: .done,
                      warnings: file.warnings, event: event,
                      report: extra + [("process", reportJSON), ("file", file.json)])
    }

    /// The combined report (keys in Sources/scrim/README.md, `scrim process --json`'s `process` object).
    public var reportJSON: JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("preset", .string(preset.name)),
            ("presetFingerprint", .string(fingerprint)),
            ("stages", .array(preset.stageNames.map { .string($0) })),
            ("passes", .int(Int64(passes))),
        ]
        pairs.append(("declip", declip?.json ?? .null))
        if let declick {
            pairs.append(("declick", DeclickReport.json(configuration: declick.configuration, tracks: declick.tracks,
                                                        sampleRate: Double(file.input.sampleRate))))
        } else {
            pairs.append(("declick", .null))
        }
        if let hum {
            var dehum: [(String, JSONValue)] = []
            if case .fixed(let hz) = preset.dehum?.frequency {
                dehum.append(("frequencyHz", .number(hz)))
            } else {
                dehum.append(("frequencyHz", .string("auto")))
            }
            dehum.append(("detection", hum.detection.map(\.json) ?? .null))
            dehum.append(("removedFundamentalHz", .rounded(hum.removedFundamentalHertz, places: 3)))
            dehum.append(("removedHarmonics", .array(hum.removedHarmonics.map { .int(Int64($0)) })))
            dehum.append(("lookaheadSeconds", .rounded(hum.lookaheadSeconds, places: 2)))
            dehum.append(("levelVaries", hum.levelVaries.map { .bool($0) } ?? .null))
            dehum.append(("engine", .string(hum.engine.rawValue)))
            dehum.append(("track", hum.track.map { reports in
                .array(reports.enumerated().map { $1.json(track: $0 + 1) })
            } ?? .null))
            pairs.append(("dehum", .object(dehum)))
        } else {
            pairs.append(("dehum", .null))
        }
        pairs.append(("wind", wind?.json ?? .null))
        let noiseSource = preset.denoise?.profile.map { "profile \(SystemPath.display($0))" } ?? "adaptive"
        if let neuralDenoise {
            pairs.append(("denoise", neuralDenoise.json))
        } else {
            pairs.append(("denoise", denoise?.json(noiseSource: noiseSource) ?? .null))
        }
        if let loudness, let stage = preset.loudness {
            let plan = loudness.normalization.plan
            func level(_ value: Double?) -> JSONValue { .rounded(value, places: 2) }
            pairs.append(("loudness", .object([
                ("targetLoudnessLufs", .number(stage.targetLoudness)),
                ("truePeakCeilingDbtp", .number(stage.truePeakCeiling)),
                ("truePeakHandling", .string(stage.truePeakHandling.rawValue)),
                ("dialogueGating", .bool(stage.dialogueGating)),
                ("layout", LoudnessJob.json(loudness.layout)),
                ("measuredLoudnessLufs", level(plan.measuredLoudness)),
                ("measuredIntegratedLoudnessLufs", level(loudness.measured.integratedLoudness)),
                ("measuredDialogueLoudnessLufs",
                 stage.dialogueGating ? level(loudness.measured.dialogueLoudness) : .null),
                ("speechFraction",
                 stage.dialogueGating ? .rounded(loudness.measured.speechFraction, places: 3) : .null),
                ("measuredTruePeakDbtp", level(loudness.measured.truePeak)),
                ("gainDb", level(plan.gainDecibels)),
                ("shortfallLu", level(plan.shortfall)),
                ("limiter", .object([
                    ("armed", .bool(stage.truePeakHandling == .limit)),
                    ("engaged", .bool(loudness.normalization.limiterEngaged)),
                    ("limitedFrames", .int(Int64(loudness.normalization.limitedFrames))),
                    ("limitedPercent", .rounded(LoudnessJob.limitedPercent(loudness.normalization,
                                                                           frameCount: file.frameCount), places: 3)),
                    ("deepestReductionDb", level(loudness.normalization.deepestReductionDecibels)),
                ])),
                ("afterLoudnessLufs", level(loudness.after.normalizationLoudness)),
                ("afterIntegratedLoudnessLufs", level(loudness.after.integratedLoudness)),
                ("afterTruePeakDbtp", level(loudness.normalization.outputTruePeak)),
                ("note", .optional(plan.note)),
            ])))
        } else {
            pairs.append(("loudness", .null))
        }
        pairs.append(("qc", quality.json))
        pairs.append(("elapsedSeconds", .rounded(elapsedSeconds, places: 3)))
        pairs.append(("realTimeFactor", .rounded(realTimeFactor, places: 1)))
        return .object(pairs)
    }

}

/// File → preset's chain → file: de-hum, denoise and two-pass loudness, sample-aligned, metadata passed through,
/// output atomic.
///
/// Passes over the audio, each streamed block by block (memory bounded by the block size and the stages'
/// windows, never by the file length):
/// 1. *Detection* (only with `dehum.frequency` `auto`): a ``HumDetector`` reads the input.
/// 2. *Cleanup*: the input goes through a ``ProcessorChain`` of ``HumRemover`` and ``NoiseReducer``. Without a
///    loudness stage this writes the output and the job ends. With one, it writes a hidden float32 intermediate
///    next to the output (`.NAME.scrim-pass-….wav`, no metadata) while a ``LoudnessMeter`` measures exactly the
///    frames written; with no cleanup stage the input itself is measured instead and no intermediate is made.
/// 3. *Gain*: a ``LoudnessNormalizer`` applies the planned gain (and limiter) from the intermediate to the
///    output, with the original file's format and chunks (bext with one Coding History line, iXML, unknown
///    chunks), while a second meter measures the result. The intermediate is deleted — also when the job fails
///    or is cancelled.
///
/// Thread-safety: every call makes its own processors; run files in parallel on separate threads freely.
public enum PresetJob {
    /// Most channels a file may have (poly recorders write up to 32 tracks; the limit catches corrupt headers
    /// and keeps per-channel state bounded).
    public static let maximumChannelCount = 64

    /// Runs `preset` over one file.
    /// - Parameters:
    ///   - input: path of the file to read (never written).
    ///   - output: destination path; must not be the input. Its folder must exist.
    ///   - preset: the stages and their settings.
    ///   - options: block size, overwrite, output sample format.
    ///   - isCancelled: polled once per block; returning true abandons the job (``ScrimError`` `.cancelled`),
    ///     leaving neither the output nor an intermediate behind.
    ///   - progress: called once per block with the fraction of the job done (0…1, over all passes).
    /// - Returns: the combined report.
    /// - Throws: ``AudioFileError`` for I/O problems; ``ScrimError`` `.configuration` for settings that do not
    ///   fit the file, `.unsupportedInput` for too many channels, `.cancelled`.
    public static func process(
        input: String, output: String, preset: Preset, options: PresetJobOptions = PresetJobOptions(),
        isCancelled: () -> Bool = { false }, progress: ((Double) -> Void)? = nil
    ) throws -> PresetJobResult {
        let clock = ContinuousClock()
        let start = clock.now
        try preset.validate()
        try FileJob.refuseOutput(output, input: input, existing: !options.overwrite)
        try FileSystem.checkReplaceable(output, overwrite: true)
        let info: AudioFileInfo
        do {
            let reader = try AudioFileReader(path: input)
            info = reader.info
            reader.close()
        }
        guard info.channelCount <= maximumChannelCount else {
            throw ScrimError(.unsupportedInput, "\(input) has \(info.channelCount) channels; Scrim processes up to "
                             + "\(maximumChannelCount): split the file first (e.g. sox in.wav out.wav remix 1-32)")
        }

        let detects: Bool
        if case .auto = preset.dehum?.frequency { detects = true } else { detects = false }
        let passCount = (detects ? 1 : 0) + 1 + (preset.loudness == nil ? 0 : 1)
        let meter = ProgressMeter(frameCount: info.frameCount, passCount: passCount, report: progress)
        // Per-track quality control rides along the first pass that reads the input (no read of its own, except
        // for the neural dialogue mode without de-hum, whose network pass reads the input itself).
        let qualityMeter = InputQuality.meter(for: info)
        var qualityFed = false
        func takeQualityMeter() -> TrackQualityMeter? {
            if qualityFed { return nil }
            qualityFed = true
            return qualityMeter
        }
        func quality() throws -> InputQuality {
            if !qualityFed {
                _ = try FileJob.analyze(input: input, blockFrames: options.blockFrames, analyzers: [],
                                        inputMeter: takeQualityMeter(), isCancelled: isCancelled)
            }
            return InputQuality(meter: qualityMeter, sampleRate: Double(info.sampleRate))
        }

        // Pass 1: hum detection.
        var nonFinite: Int?
        var hum: HumStageResult?
        var humConfiguration: HumRemoverConfiguration?
        var tracker: HumTrackingRemover?
        if let dehum = preset.dehum {
            switch dehum.frequency {
            case .fixed:
                hum = HumStageResult(detection: nil, removedFundamentalHertz: nil, removedHarmonics: [])
                humConfiguration = dehum.removerConfiguration(detected: nil)
                tracker = dehum.tracker(detected: nil)
            case .auto:
                let detector = HumDetector(configuration: dehum.detectorConfiguration)
                let analysis = try FileJob.analyze(input: input, blockFrames: options.blockFrames,
                                                   analyzers: [detector, meter], inputMeter: takeQualityMeter(),
                                                   isCancelled: isCancelled)
                nonFinite = analysis.nonFiniteSamples
                meter.nextPass()
                let detection = detector.finish()
                hum = HumStageResult(detection: detection, removedFundamentalHertz: nil, removedHarmonics: [])
                humConfiguration = dehum.removerConfiguration(detected: detection)
                tracker = dehum.tracker(detected: detection)
            }
        }

        // De-clip, first in the chain: a detection pass finds each track's clip levels (DeclipJob's first pass).
        var declipper: Declipper?
        var clipDetections: [ClipDetection] = []
        if let stage = preset.declip {
            meter.passCount += 1
            let detector = ClipDetector()
            let analysis = try FileJob.analyze(input: input, blockFrames: options.blockFrames,
                                               analyzers: [detector, meter], inputMeter: takeQualityMeter(),
                                               isCancelled: isCancelled)
            nonFinite = max(nonFinite ?? 0, analysis.nonFiniteSamples)
            meter.nextPass()
            clipDetections = detector.finish()
            declipper = Declipper(configuration: stage.configuration(levels: clipDetections.map(\.levels)))
        }
        func declipResult() -> DeclipStageResult? {
            guard let declipper, let stage = preset.declip else { return nil }
            return DeclipStageResult(detections: clipDetections, channels: declipper.report,
                                     gainDecibels: stage.gainDecibels, order: declipper.order,
                                     sampleRate: Double(info.sampleRate))
        }

        // The cleanup chain's stages, made fresh for this file.
        var remover: HumRemover?
        var stages: [any AudioProcessor] = []
        // De-clip first, then de-click: a clipped peak or a click reaching the hum tracker or the denoiser is a
        // broadband burst.
        if let declipper { stages.append(declipper) }
        let declicker = preset.declick.map { Declicker(configuration: $0.configuration) }
        if let declicker { stages.append(declicker) }
        if let tracker {
            meter.passCount += 1  // the tracker runs as a pass of its own
            stages.append(tracker)
        } else if let humConfiguration {
            let made = HumRemover(configuration: humConfiguration)
            remover = made
            stages.append(made)
        }
        // Rumble and wind, after de-hum and before denoise; with the high-pass in `auto` mode, a detection pass over
        // the input first decides where it runs (WindStage.detectRumble).
        var rumble: [RumbleTrackDetection]?
        if let stage = preset.wind, stage.detectsRumble {
            meter.passCount += 1
            if let found = try stage.detectRumble(input: input, blockFrames: options.blockFrames, analyzers: [meter],
                                                  inputMeter: takeQualityMeter(), isCancelled: isCancelled) {
                nonFinite = max(nonFinite ?? 0, found.nonFiniteSamples)
                rumble = found.detections
            }
            meter.nextPass()
        }
        let windProcessors = preset.wind?.makeProcessors(rumble: rumble)
        stages += windProcessors?.stages ?? []
        func windResult() -> WindStageResult? { windProcessors?.result(sampleRate: Double(info.sampleRate)) }
        var denoiser: PresetDenoiser?
        // The neural engine's dialogue mode on a file runs as its own passes (NeuralFileJob: the network forward
        // and backward, then the refiner), after the de-hum stage has been written to an intermediate.
        var wholeFileNeural: DenoiseStage?
        var neuralReport: NeuralNoiseReductionReport?
        if let stage = preset.denoise {
            if stage.engine == .neural, stage.neuralMode == .dialogue {
                wholeFileNeural = stage
            } else {
                let made = try PresetDenoiser(stage: stage, modelFolder: options.modelFolder)
                denoiser = made
                stages.append(made.processor)
            }
        }
        /// The cleanup (de-hum, denoise) from the input into `target`: the chain in one pass; or, when a stage needs
        /// the whole file (the hum tracker: 28 s chunks, whose 32 s latency would reach the denoiser as leading
        /// silence; the neural dialogue mode), those stages first into a float32 intermediate, then the rest from
        /// there (the output keeps the input's format and chunks unless `passOptions` says otherwise).
        func cleanup(into target: String, options passOptions: FileJobOptions,
                     analyzers: [any AudioAnalyzer]) throws -> FileJobResult {
            let prePass: [any AudioProcessor] = wholeFileNeural != nil ? stages
                : (tracker.map { (declipper.map { [$0 as any AudioProcessor] } ?? [])
                    + (declicker.map { [$0 as any AudioProcessor] } ?? []) + [$0] } ?? [])
            guard !prePass.isEmpty || wholeFileNeural != nil else {
                return try FileJob.process(input: input, output: target, options: passOptions,
                                           isCancelled: isCancelled, outputAnalyzers: analyzers,
                                           inputMeter: takeQualityMeter()) { _ in
                    ProcessorChain(stages)
                }
            }
            var source = input
            var mainOptions = passOptions
            var notes: [String] = []
            var dehummed: String?
            defer { if let dehummed { _ = SystemPath.withCString(dehummed) { unlink($0) } } }
            var hummed: FileJobResult?
            if !prePass.isEmpty {
                let path = Temporaries.path(beside: target, kind: "hum")
                dehummed = path
                let format = AudioFileFormat(container: .wav, sampleFormat: .float32, sampleRate: info.sampleRate,
                                             channelCount: info.channelCount)
                hummed = try FileJob.process(
                    input: input, output: path,
                    options: FileJobOptions(blockFrames: passOptions.blockFrames, overwrite: true,
                                            codingHistoryText: nil, outputFormat: format, chunks: []),
                    isCancelled: isCancelled, outputAnalyzers: tracker == nil ? [] : [meter],
                    inputMeter: takeQualityMeter()) { _ in ProcessorChain(prePass) }
                if tracker != nil { meter.nextPass() }
                source = path
                if mainOptions.outputFormat == nil {
                    let choice = try OutputFormat.choose(path: target, like: info, bits: passOptions.bits)
                    mainOptions.outputFormat = choice.format
                    notes = choice.notes
                }
                if mainOptions.chunks == nil { mainOptions.chunks = info.chunks }
            }
            var result: FileJobResult
            if let stage = wholeFileNeural {
                let network = try NeuralModelCache.shared.network(folder: options.modelFolder)
                var report: NeuralNoiseReductionReport
                (result, report) = try NeuralFileJob.process(
                    input: source, output: target, model: network.model, weights: network.weights,
                    settings: stage.neuralSettings, options: mainOptions, isCancelled: isCancelled,
                    outputAnalyzers: analyzers)
                neuralReport = report
            } else {
                let rest = stages.filter { stage in !prePass.contains { $0 === stage } }
                result = try FileJob.process(input: source, output: target, options: mainOptions,
                                             isCancelled: isCancelled, outputAnalyzers: analyzers) { _ in
                    ProcessorChain(rest)
                }
            }
            result.inputPath = input
            result.input = info
            if hummed != nil || wholeFileNeural != nil {
                result.warnings = JobWarning.reading(info) + JobWarning.formatChanges(notes) + result.warnings
            }
            if let hummed {
                result.invalidSamplesZeroed = max(result.invalidSamplesZeroed, hummed.invalidSamplesZeroed)
                result.latencyFrames += hummed.latencyFrames
            }
            return result
        }
        func humResult() -> HumStageResult? {
            guard var result = hum else { return nil }
            if let tracker {
                result.engine = .tracker
                result.track = tracker.reports
                if tracker.reports.contains(where: { $0.chunksRemoved > 0 }) {
                    result.removedFundamentalHertz = tracker.fundamentalHertz
                    result.removedHarmonics = Array(1...max(1, tracker.reports.map(\.harmonicCount).max() ?? 1))
                }
                return result
            }
            if let remover, !remover.harmonicNumbers.isEmpty {
                result.removedFundamentalHertz = remover.configuration.fundamentalHertz
                result.removedHarmonics = remover.harmonicNumbers
                result.lookaheadSeconds = remover.configuration.lookaheadSeconds
                result.levelVaries = remover.configuration.levelVaries
            }
            return result
        }
        let history = "Scrim \(scrimVersion) preset \(preset.name) (fingerprint \(preset.fingerprint))"
        var fileOptions = FileJobOptions(blockFrames: options.blockFrames, overwrite: options.overwrite,
                                         outputSampleFormat: options.outputSampleFormat, codingHistoryText: history,
                                         bits: options.bits)

        guard let loudnessStage = preset.loudness else {
            // One pass: cleanup straight to the output.
            var result = try cleanup(into: output, options: fileOptions, analyzers: [meter])
            if let nonFinite { result.invalidSamplesZeroed = max(result.invalidSamplesZeroed, nonFinite) }
            result.noteInvalidSamples()
            let inputQuality = try quality()
            result.noteQuality(inputQuality)
            result.elapsedSeconds = seconds(clock.now - start)
            return PresetJobResult(preset: preset, fingerprint: preset.fingerprint,
                                   declick: declicker.map { DeclickStageResult(declicker: $0) }, hum: humResult(),
                                   denoise: denoiser?.report?.spectral,
                                   neuralDenoise: neuralReport ?? denoiser?.report?.neural, declip: declipResult(),
                                   loudness: nil, file: result, quality: inputQuality, passes: meter.passCount,
                                   elapsedSeconds: seconds(clock.now - start)).withWind(windResult())
        }

        // Pass 2: cleanup into a float32 intermediate, measured as it is written (or measure the input).
        let layout = meterLayout(for: info, request: options.layout)
        let before = LoudnessMeter(layout: layout, measureTruePeak: true, dialogueGating: loudnessStage.dialogueGating)
        var loudnessResult: LoudnessStageResult?
        var gainSource = input
        var intermediate: String?
        defer { if let intermediate { _ = SystemPath.withCString(intermediate) { unlink($0) } } }
        // The final format is chosen against the original input (the intermediate is float32 WAV).
        let finalChoice = try OutputFormat.choose(path: output, like: info, bits: options.bits)
        var finalResult: FileJobResult?
        do {
            if stages.isEmpty && wholeFileNeural == nil {
                let analysis = try FileJob.analyze(input: input, blockFrames: options.blockFrames,
                                                   analyzers: [before, meter], inputMeter: takeQualityMeter(),
                                                   isCancelled: isCancelled)
                nonFinite = max(nonFinite ?? 0, analysis.nonFiniteSamples)
            } else {
                let path = intermediatePath(for: output)
                intermediate = path
                let format = AudioFileFormat(container: .wav, sampleFormat: .float32, sampleRate: info.sampleRate,
                                             channelCount: info.channelCount)
                let passOptions = FileJobOptions(blockFrames: options.blockFrames, overwrite: true,
                                                 codingHistoryText: nil, outputFormat: format, chunks: [])
                let cleaned = try cleanup(into: path, options: passOptions, analyzers: [before, meter])
                nonFinite = max(nonFinite ?? 0, cleaned.invalidSamplesZeroed)
                gainSource = path
            }
            meter.nextPass()
            let measured = before.measurement
            let plan = NormalizationPlan(measurement: measured, target: loudnessStage.target,
                                         handling: loudnessStage.truePeakHandling, solver: before.gainSolver)

            // Pass 3: the gain, into the output with the original's format and chunks.
            let normalizer = LoudnessNormalizer(plan: plan)
            let after = LoudnessMeter(layout: layout, measureTruePeak: false,
                                      dialogueGating: loudnessStage.dialogueGating)
            fileOptions.outputFormat = finalChoice.format
            fileOptions.chunks = info.chunks
            var written = try FileJob.process(input: gainSource, output: output, options: fileOptions,
                                              isCancelled: isCancelled, outputAnalyzers: [after, meter]) { _ in
                normalizer
            }
            written.warnings = JobWarning.formatChanges(finalChoice.notes) + written.warnings
            if let warning = LoudnessJob.targetMissWarning(plan: plan, report: normalizer.report,
                                                           after: after.measurement.normalizationLoudness,
                                                           frameCount: written.frameCount) {
                written.warnings.append(warning)
            }
            finalResult = written
            loudnessResult = LoudnessStageResult(layout: layout, measured: measured,
                                                 normalization: normalizer.report, after: after.measurement)
        } catch {
            guard let fileError = error as? AudioFileError else { throw error }
            throw Self.namingOutput(fileError, intermediate: intermediate, output: output)
        }
        guard var result = finalResult else { throw ScrimError(.invalidState, "the final pass did not run") }
        result.inputPath = input
        result.input = info
        result.invalidSamplesZeroed = nonFinite ?? 0
        result.noteInvalidSamples()
        let inputQuality = try quality()
        result.noteQuality(inputQuality)
        result.latencyFrames += (declipper?.latencyFrames ?? 0) + (remover?.latencyFrames ?? 0) + (tracker?.latencyFrames ?? 0) + (denoiser?.processor.latencyFrames ?? 0)
            + (neuralReport?.latencyFrames ?? 0)
            + (windProcessors?.stages.reduce(0) { $0 + $1.latencyFrames } ?? 0)
        // The file report's time is the whole job's, as the process report's (not the last pass's).
        result.elapsedSeconds = seconds(clock.now - start)
        return PresetJobResult(preset: preset, fingerprint: preset.fingerprint,
                               declick: declicker.map { DeclickStageResult(declicker: $0) }, hum: humResult(),
                               denoise: denoiser?.report?.spectral,
                               neuralDenoise: neuralReport ?? denoiser?.report?.neural, declip: declipResult(),
                               loudness: loudnessResult, file: result, quality: inputQuality,
                               passes: meter.passCount,
                               elapsedSeconds: seconds(clock.now - start)).withWind(windResult())
    }

    /// Channel weights for loudness: the rule every command shares (``LoudnessJob/layout(for:request:)``).
    public static func meterLayout(for info: AudioFileInfo, request: LayoutRequest? = nil) -> ChannelLayout {
        LoudnessJob.layout(for: info, request: request)
    }

    /// `error` with the user's output named instead of the hidden intermediate, if it named that.
    static func namingOutput(_ error: AudioFileError, intermediate: String?, output: String) -> AudioFileError {
        guard let intermediate, error.path == intermediate else { return error }
        var renamed = error
        renamed.path = output
        renamed.reason = "while writing its intermediate pass: " + error.reason
        return renamed
    }

    /// A hidden name beside `output` for the float32 intermediate (same folder, so same file system), one of
    /// Scrim's temporaries (``Temporaries``), so a run after a SIGKILL removes it.
    static func intermediatePath(for output: String) -> String {
        Temporaries.path(beside: output, kind: "pass")
    }
}

/// Counts frames through the passes of a job and reports the fraction done. An analyzer so that it sees
/// exactly the frames each pass handles; does not allocate.
final class ProgressMeter: AudioAnalyzer {
    let frameCount: Int
    /// Passes expected (one more when a stage turns out to need its own pass, e.g. the hum tracker).
    var passCount: Int
    let report: ((Double) -> Void)?
    private var pass = 0
    private var framesInPass = 0

    init(frameCount: Int, passCount: Int, report: ((Double) -> Void)?) {
        self.frameCount = max(1, frameCount)
        self.passCount = max(1, passCount)
        self.report = report
    }

    func prepare(for spec: ProcessSpec) throws { framesInPass = 0 }
    func analyze(_ block: AudioBlock) {
        framesInPass += block.frameCount
        guard let report else { return }
        let done = Double(pass) + Double(min(framesInPass, frameCount)) / Double(frameCount)
        report(min(1, done / Double(passCount)))
    }
    func reset() { framesInPass = 0 }
    func nextPass() {
        pass += 1
        framesInPass = 0
    }
}

extension HumDetection {
    /// The detection as JSON, the keys `scrim dehum --json`, `scrim analyze --json` and `process` reports use
    /// (Sources/scrim/README.md): present, fundamentalHz, humToSignalDb, presence, trackRangeHz, and per
    /// significant harmonic number, frequencyHz, levelDbfs and steadyLevelDbfs.
    public var json: JSONValue {
        .object([
            ("present", .bool(isPresent)),
            ("fundamentalHz", .rounded(fundamentalHertz, places: 3)),
            ("humToSignalDb", .rounded(humToSignalDecibels, places: 2)),
            ("presence", .rounded(presenceFraction, places: 3)),
            ("trackRangeHz", trackRangeHertz.map {
                .array([.rounded($0.lowerBound, places: 3), .rounded($0.upperBound, places: 3)])
            } ?? .null),
            ("levelRangeDb", .rounded(levelRangeDecibels, places: 1)),
            ("harmonics", .array(harmonics.map { harmonic in
                .object([("number", .int(Int64(harmonic.number))),
                         ("frequencyHz", .rounded(harmonic.frequencyHertz, places: 3)),
                         ("levelDbfs", .rounded(harmonic.levelDecibelsFullScale, places: 2)),
                         ("steadyLevelDbfs", .rounded(harmonic.steadyLevelDecibelsFullScale, places: 2))])
            })),
        ])
    }
}

extension HumTrackReport {
    /// One audio track's hum track as `scrim dehum`, `process` and `batch` report it: the fundamental ten points a
    /// second, its range and fastest change, what was removed and the estimated hum left.
    public func json(track: Int) -> JSONValue {
        .object([
            ("track", .int(Int64(track))),
            ("pointsPerSecond", .int(10)),
            ("fundamentalHz", .array(fundamentalHertz.map { .rounded($0, places: 4) })),
            ("rangeHz", rangeHertz.map { .array([.rounded($0.lowerBound, places: 4),
                                                 .rounded($0.upperBound, places: 4)]) } ?? .null),
            ("fastestRateHzPerSecond", .rounded(fastestRateHertzPerSecond, places: 4)),
            ("harmonics", .int(Int64(harmonicCount))),
            ("chunks", .int(Int64(chunks))),
            ("chunksRemoved", .int(Int64(chunksRemoved))),
            ("removedDb", .rounded(removedDecibels, places: 2)),
            ("estimatedHumLeftDb", .rounded(estimatedHumLeftDecibels, places: 1)),
        ])
    }
}
