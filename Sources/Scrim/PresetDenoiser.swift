import Foundation

/// The denoise stage of a preset, made for one file: a spectral ``NoiseReducer`` or a ``NeuralNoiseReducer``,
/// configured from a ``DenoiseStage``.
final class PresetDenoiser {
    /// The spectral reducer (engine `spectral`).
    let reducer: NoiseReducer?
    /// The network (engine `neural`).
    let neural: NeuralNoiseReducer?
    var processor: any AudioProcessor {
        if let neural { return neural }
        if let reducer { return reducer }
        preconditionFailure("a PresetDenoiser has one reducer")
    }

    /// Builds the reducer; reads the learned-noise profile file when the stage names one, or loads the model
    /// (once per process and folder, ``NeuralModelCache``) for the neural engine.
    /// - Parameter modelFolder: the neural model's folder (`--model`), or nil for `$SCRIM_MODEL_PATH` or the
    ///   default folder.
    /// - Throws: ``ScrimError`` `.configuration` for settings out of range, `.invalidDocument` for a profile file
    ///   that cannot be read or is not a noise profile (the message names the file); `.modelNotFound` or
    ///   `.invalidDocument` for a missing or damaged model (naming `scripts/fetch-model.sh`).
    init(stage: DenoiseStage, modelFolder: String? = nil) throws {
        if stage.engine == .neural {
            let settings = stage.neuralSettings
            try settings.validate()
            let network = try NeuralModelCache.shared.network(folder: modelFolder)
            neural = NeuralNoiseReducer(model: network.model, weights: network.weights, settings: settings)
            reducer = nil
            return
        }
        var settings = try stage.noiseReducerSettings()
        if stage.mode == .learned, let path = stage.profile {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ScrimError(.invalidDocument, "cannot read the noise profile \(path)")
            }
            do {
                settings.mode = .learned(try NoiseProfile.decode(jsonData: data))
            } catch {
                throw ScrimError(.invalidDocument, "noise profile \(path): \(error.message)",
                                 underlying: error.underlying)
            }
        }
        try settings.validate()
        reducer = NoiseReducer(settings: settings)
        neural = nil
    }

    /// The stage's report: the spectral or the neural one.
    var report: DenoiseReport? {
        if let neural { return .neural(neural.report) }
        return reducer.map { .spectral($0.report) }
    }
}

/// Loaded DeepFilterNet3 models by folder, so that a batch or a C API client reads and checks the 8.5 MB of
/// weights once per process, not once per file. Thread-safe.
public final class NeuralModelCache: @unchecked Sendable {
    /// The process's cache.
    public static let shared = NeuralModelCache()
    private let lock = NSLock()
    private var models: [String: DeepFilterNetModel] = [:]
    private var built: [String: DeepFilterNet3Weights] = [:]

    /// The model in `folder` (nil: `$SCRIM_MODEL_PATH`, then the default folder), loaded and verified on first use.
    /// - Throws: ``ScrimError`` `.modelNotFound` / `.invalidDocument` from ``DeepFilterNetModel/init(folder:environment:)``
    ///   (the message names the folder and `scripts/fetch-model.sh`); a failure is not cached.
    public func model(folder: String? = nil) throws(ScrimError) -> DeepFilterNetModel {
        let explicit = folder.map { URL(fileURLWithPath: $0) }
        let url = DeepFilterNet3Files.folder(explicit: explicit).url
        lock.lock()
        defer { lock.unlock() }
        if let cached = models[url.path] { return cached }
        let loaded = try DeepFilterNetModel(folder: explicit)
        models[url.path] = loaded
        return loaded
    }

    /// The model in `folder` (as ``model(folder:)``) with its network weights, built once per folder and shared by
    /// every reducer and channel in the process (``DeepFilterNet3Weights`` is immutable).
    public func network(folder: String? = nil) throws(ScrimError) -> (model: DeepFilterNetModel,
                                                                       weights: DeepFilterNet3Weights) {
        let loaded = try model(folder: folder)
        lock.lock()
        defer { lock.unlock() }
        let key = loaded.folder.path
        if let weights = built[key] { return (loaded, weights) }
        let weights = try DeepFilterNet3Weights(model: loaded)
        built[key] = weights
        return (loaded, weights)
    }
}

/// A denoise stage's report: the spectral reducer's or the network's.
public enum DenoiseReport: Sendable {
    case spectral(NoiseReductionReport)
    case neural(NeuralNoiseReductionReport)

    /// The spectral report, nil for the network.
    public var spectral: NoiseReductionReport? {
        if case .spectral(let report) = self { return report }
        return nil
    }

    /// The network's report, nil for the spectral reducer.
    public var neural: NeuralNoiseReductionReport? {
        if case .neural(let report) = self { return report }
        return nil
    }

    /// The `denoise` object of `scrim denoise --json`, `scrim process --json` and batch lines: one shape for both
    /// engines (keys that do not apply to an engine are null; Sources/scrim/README.md).
    public func json(noiseSource: String) -> JSONValue {
        switch self {
        case .spectral(let report): return report.json(noiseSource: noiseSource)
        case .neural(let report): return report.json
        }
    }
}

extension DenoiseStage {
    /// The reducer settings for this stage, adaptive mode (a learned profile is read by the job).
    /// - Throws: ``ScrimError`` `.configuration` for an unknown output or channel-linking name.
    public func noiseReducerSettings() throws(ScrimError) -> NoiseReducerSettings {
        guard let output = NoiseReducerSettings.Output(rawValue: output) else {
            throw ScrimError(.configuration, "denoise.output \"\(output)\": use cleaned, residual or bypass")
        }
        guard let linking = NoiseReducerSettings.ChannelLinking(rawValue: channelLinking) else {
            throw ScrimError(.configuration,
                             "denoise.channelLinking \"\(channelLinking)\": use independent or linked")
        }
        return NoiseReducerSettings(reductionDecibels: reductionDecibels, mode: .adaptive, output: output,
                                    channelLinking: linking, fftSize: fftSize, babbleGuard: babbleGuard)
    }
}

extension NoiseReductionReport {
    /// The report as JSON, the `denoise` object of `scrim denoise --json` and of `scrim process --json`.
    /// - Parameter noiseSource: where the noise estimate came from ("adaptive", "profile FILE", "learned from …").
    public func json(noiseSource: String) -> JSONValue {
        .object([
            ("engine", .string("spectral")),
            ("mode", .string(mode)),
            ("noiseSource", .string(noiseSource)),
            ("write", .string(output)),
            ("channelLinking", .string(channelLinking)),
            ("reductionLimitDb", .rounded(reductionLimitDecibels, places: 2)),
            ("fftSize", .int(Int64(fftSize))),
            ("hopSize", .int(Int64(hopSize))),
            ("frames", .int(Int64(frames))),
            ("noiseFloorBeforeDbfs", .rounded(noiseFloorBeforeDecibelsFS.audible, places: 2)),
            ("noiseFloorAfterDbfs", .rounded(noiseFloorAfterDecibelsFS.audible, places: 2)),
            ("averageReductionDb", .rounded(averageReductionDecibels, places: 2)),
            ("maximumReductionDb", .rounded(maximumReductionDecibels, places: 2)),
            ("babbleGuardShare", .rounded(babbleGuardShare, places: 3)),
            ("babbleGuardLowestLimitDb", .rounded(babbleGuardLowestLimitDecibels, places: 2)),
            ("neuralMode", .null),
            ("postFilter", .null),
            ("networkSampleRateHz", .null),
            ("localSnrMedianDb", .null),
            ("localSnrPercentile10Db", .null),
            ("localSnrPercentile90Db", .null),
            ("speechShare", .null),
            ("neuralEnsemble", .null),
            ("dialogueGuard", .null),
            ("mixBackShare", .null),
        ])
    }
}

extension NeuralNoiseReductionReport {
    /// The report as the `denoise` object, in the spectral report's shape (``DenoiseReport/json(noiseSource:)``):
    /// `mode`, `noiseSource`, the babble guard's keys are null; `channelLinking` is always independent.
    public var json: JSONValue {
        .object([
            ("engine", .string("neural")),
            ("mode", .null),
            ("noiseSource", .null),
            ("write", .string(output)),
            ("channelLinking", .string("independent")),
            ("reductionLimitDb", .rounded(reductionLimitDecibels, places: 2)),
            ("fftSize", .int(960)),
            ("hopSize", .int(480)),
            ("frames", .int(Int64(frames))),
            ("noiseFloorBeforeDbfs", .rounded(noiseFloorBeforeDecibelsFS.audible, places: 2)),
            ("noiseFloorAfterDbfs", .rounded(noiseFloorAfterDecibelsFS.audible, places: 2)),
            ("averageReductionDb", .rounded(averageReductionDecibels, places: 2)),
            ("maximumReductionDb", .rounded(maximumReductionDecibels, places: 2)),
            ("babbleGuardShare", .null),
            ("babbleGuardLowestLimitDb", .null),
            ("neuralMode", .string(mode)),
            ("postFilter", .bool(postFilter)),
            ("networkSampleRateHz", .int(Int64(networkSampleRate))),
            ("localSnrMedianDb", .rounded(localSNRMedianDecibels, places: 2)),
            ("localSnrPercentile10Db", .rounded(localSNRPercentile10Decibels, places: 2)),
            ("localSnrPercentile90Db", .rounded(localSNRPercentile90Decibels, places: 2)),
            ("speechShare", .rounded(speechShare, places: 3)),
            ("neuralEnsemble", .optional(ensemble)),
            ("dialogueGuard", .rounded(guardStrength, places: 3)),
            ("mixBackShare", .rounded(mixBackShare, places: 3)),
        ])
    }
}

extension Preset {
    /// The preset's stages as one streaming ``ProcessorChain`` (de-hum → denoise → loudness), for callers that
    /// push blocks themselves. Prepare it for the stream before use.
    ///
    /// What a file job learns in its earlier passes is passed in here:
    /// - De-hum with `frequency` `auto` needs `detectedHum` (from a ``HumDetector`` run over the material, e.g.
    ///   its first minutes); without one, or when no hum was found, the chain has no de-hum stage. A fixed
    ///   frequency needs nothing.
    /// - Loudness needs `measuredLoudness` (a ``LoudnessMeter``'s measurement of what reaches the stage, i.e.
    ///   after de-hum and denoise); the stage is then a ``LoudnessNormalizer`` applying one static gain (and the
    ///   limiter). Without a measurement the chain has no loudness stage: meter its output and choose the gain
    ///   yourself — Scrim never rides the gain like an AGC.
    /// - Parameters:
    ///   - detectedHum: a hum detection for `auto` de-hum.
    ///   - measuredLoudness: the loudness of the cleaned material.
    ///   - modelFolder: the neural engine's model folder, or nil for `$SCRIM_MODEL_PATH` or the default folder.
    /// - Returns: a new chain with new processors (one chain per stream).
    /// - Throws: ``ScrimError`` for settings out of range or an unreadable learned-noise profile.
    public func makeChain(detectedHum: HumDetection? = nil, measuredLoudness: LoudnessMeasurement? = nil,
                          modelFolder: String? = nil) throws -> ProcessorChain {
        try validate()
        var stages: [any AudioProcessor] = []
        // Streaming: the declipper learns the clip level from the stream (no detection pass).
        if let declip { stages.append(Declipper(configuration: declip.configuration(levels: nil))) }
        if let declick { stages.append(Declicker(configuration: declick.configuration)) }
        if let configuration = dehum?.removerConfiguration(detected: detectedHum) {
            stages.append(HumRemover(configuration: configuration))
        }
        if let wind { stages += wind.makeProcessors().stages }
        if let denoise { stages.append(try PresetDenoiser(stage: denoise, modelFolder: modelFolder).processor) }
        if let loudness, let measuredLoudness {
            stages.append(LoudnessNormalizer(measurement: measuredLoudness, target: loudness.target,
                                             handling: loudness.truePeakHandling))
        }
        return ProcessorChain(stages)
    }
}

extension Optional where Wrapped == Double {
    /// The level for JSON: nil for digital silence (the noise reducer's report floors levels at −200 dBFS, which is
    /// no measurement of anything), as `analyze` and `profile` report it.
    public var audible: Double? {
        guard let value = self, value > -199.9 else { return nil }
        return value
    }
}
