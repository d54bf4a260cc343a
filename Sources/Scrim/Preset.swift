import Foundation

/// A processing recipe: which cleanup stages run, in the order de-hum → denoise → loudness, and every option of
/// each.
///
/// Built-in presets (``builtIns``) cover the common jobs; a user preset is a JSON file with the same keys
/// (`scrim presets --show dailies` prints one to start from). A stage that is absent or `null` does not run.
/// Every key of a stage is optional in a file (missing keys take the defaults documented on each stage);
/// unknown keys are refused, naming the key and the file, so a typo never silently falls back to a default.
///
/// ```json
/// {"name": "night-exteriors", "dehum": {"frequencyHz": 50}, "denoise": {"reductionLimitDb": 15},
///  "loudness": {"targetLoudnessLufs": -23, "dialogueGating": true}}
/// ```
///
/// Keys carry their unit as in every JSON Scrim prints; the spellings of Scrim's first preset files
/// (`frequency`, `reductionDecibels`, `output`, `targetLoudness`, …: ``legacyKeys``) are still read.
public struct Preset: Sendable, Hashable {
    /// Short name (`dailies`, or the file's `name`, or its file name without extension).
    public var name: String
    /// One line saying what the preset is for.
    public var summary: String
    /// The de-click stage (``DeclickStage``), or nil for none; runs before de-hum.
    public var declick: DeclickStage?
    /// The de-hum stage, or nil for none.
    public var dehum: DehumStage?
    /// The rumble high-pass and wind-gust reducer (``WindStage``, preset key `wind`; after de-hum, before denoise),
    /// or nil for none.
    public var wind: WindStage? = nil
    /// The noise-reduction stage, or nil for none.
    public var denoise: DenoiseStage?
    /// The loudness stage (a two-pass measure-then-gain), or nil for none.
    public var loudness: LoudnessStage?
    /// The de-clip stage (first in the chain; ``DeclipStage``), or nil for none.
    public var declip: DeclipStage?

    /// Creates a preset.
    public init(name: String, summary: String = "", declick: DeclickStage? = nil, dehum: DehumStage? = nil,
                denoise: DenoiseStage? = nil, loudness: LoudnessStage? = nil, declip: DeclipStage? = nil) {
        self.declip = declip
        self.name = name
        self.declick = declick
        self.summary = summary
        self.dehum = dehum
        self.denoise = denoise
        self.loudness = loudness
    }

    /// Names of the stages that run, in order ("declip", "declick", "dehum", "wind", "denoise", "loudness").
    public var stageNames: [String] {
        (declip == nil ? [] : ["declip"]) + (declick == nil ? [] : ["declick"]) + (dehum == nil ? [] : ["dehum"])
            + (wind == nil ? [] : ["wind"]) + (denoise == nil ? [] : ["denoise"]) + (loudness == nil ? [] : ["loudness"])
    }
}

/// De-hum settings: how the hum is found and what ``HumRemover`` removes.
public struct DehumStage: Sendable, Hashable {
    /// The hum fundamental: found in the file, or given.
    public enum Frequency: Sendable, Hashable {
        /// Found by a ``HumDetector`` pass over the file (searching ``DehumStage/searchRangeHertz``); when no hum
        /// is found the stage passes the audio through and the report says so.
        case auto
        /// A fixed fundamental in hertz (e.g. 50 or 60); no detection pass.
        case fixed(Double)
    }

    /// `auto` (default) or a frequency in hertz. JSON: `"auto"` or a number.
    public var frequency: Frequency
    /// Remove harmonics 1…N; nil (default) removes ``HumDetection/harmonicsToRemove(maximumFrequencyHertz:)``
    /// (auto: the significant series, to at least 1 kHz) or every harmonic up to ``maximumFrequencyHertz`` (fixed).
    public var harmonics: Int?
    /// Range searched for the fundamental by the detector, Hz (default 45…65: 50 and 60 Hz mains with drift).
    public var searchRangeHertz: ClosedRange<Double>
    /// Highest harmonic frequency examined and removed, Hz (default 4000).
    public var maximumFrequencyHertz: Double
    /// How far the remover follows the fundamental's drift, Hz (default 1).
    public var maximumDriftHertz: Double
    /// Detector: height above the local spectral floor for a harmonic to count, dB (default 10).
    public var minimumProminenceDecibels: Decibels
    /// Detector: fraction of the file's segments the hum must be seen in, 0…1 (default 0.75).
    public var minimumPresence: Double
    /// Detector: largest drift followed around the mean fundamental, Hz (default 0.6).
    public var detectionDriftHertz: Double
    /// `cleaned` (default) or `residual` (the hum removed, to listen to).
    public var output: HumRemoverOutput
    /// Which remover: ``HumTrackingRemover`` (default) or the classic ``HumRemover``.
    public var engine: DehumEngine

    /// Creates de-hum settings; every parameter has the documented default.
    public init(frequency: Frequency = .auto, harmonics: Int? = nil, searchRangeHertz: ClosedRange<Double> = 45...65,
                maximumFrequencyHertz: Double = 4000, maximumDriftHertz: Double = 1,
                minimumProminenceDecibels: Decibels = 10, minimumPresence: Double = 0.75,
                detectionDriftHertz: Double = 0.6, output: HumRemoverOutput = .cleaned,
                engine: DehumEngine = .tracker) {
        self.engine = engine
        self.frequency = frequency
        self.harmonics = harmonics
        self.searchRangeHertz = searchRangeHertz
        self.maximumFrequencyHertz = maximumFrequencyHertz
        self.maximumDriftHertz = maximumDriftHertz
        self.minimumProminenceDecibels = minimumProminenceDecibels
        self.minimumPresence = minimumPresence
        self.detectionDriftHertz = detectionDriftHertz
        self.output = output
    }

    /// The remover's configuration: at the fixed frequency, or from a detection (nil when `frequency` is `auto`
    /// and `detected` is nil or found no hum: nothing to remove).
    ///
    /// From a detection, the tracker starts where the hum was at the start of the stream
    /// (``HumDetection/startingFundamentalHertz``: the median of its track's first three points), and without
    /// ``harmonics`` removes ``HumDetection/harmonicsToRemove(maximumFrequencyHertz:)``; a
    /// detection of this hum also gives the remover its ``HumDetection/harmonicProfileDecibels``, its reach and
    /// whether its level varies (``HumRemover/lookaheadSeconds(for:)``, ``HumRemover/levelVaries(for:)``). A
    /// fixed frequency runs no detection, so the remover keeps the steady-hum settings (2.5 s, level steady) even
    /// for a swelling hum; `scrim dehum --frequency` detects around the given frequency and does adapt them.
    public func removerConfiguration(detected: HumDetection?) -> HumRemoverConfiguration? {
        var numbers = harmonics.map { Array(1...$0) }
        let fundamental: Double
        switch frequency {
        case .fixed(let hz):
            fundamental = hz
        case .auto:
            guard let detected, detected.isPresent, let found = detected.fundamentalHertz else { return nil }
            fundamental = detected.startingFundamentalHertz ?? found
            if numbers == nil {
                let found = detected.harmonicsToRemove(maximumFrequencyHertz: maximumFrequencyHertz)
                numbers = found.isEmpty ? [1] : found
            }
        }
        var configuration = HumRemoverConfiguration(fundamentalHertz: fundamental, harmonicNumbers: numbers,
                                                    maximumFrequencyHertz: maximumFrequencyHertz,
                                                    maximumDriftHertz: maximumDriftHertz, output: output)
        // The detection's profile, level range and reach apply when it is of this hum.
        if let detected, let found = detected.fundamentalHertz, abs(found - fundamental) <= max(maximumDriftHertz, 1) {
            configuration.adopt(detected)
        }
        return configuration
    }

    /// The tracker for this stage and detection (`process`, `batch` and `scrim dehum`): at the fixed frequency (or
    /// the detection's mean when it found this hum there), at the detected fundamental, or (auto) at
    /// the detector's best candidate when it did not confirm a hum (a wobbling or noisy hum smears its lines), then
    /// removed only where at least two harmonics keep their phase. Nil for the classic engine or with nothing to
    /// follow.
    public func tracker(detected: HumDetection?) -> HumTrackingRemover? {
        guard engine == .tracker else { return nil }
        var settings = HumTrackerSettings()
        settings.maximumFrequencyHertz = maximumFrequencyHertz
        let fundamental: Double
        switch frequency {
        case .fixed(let hz):
            // A detection of this hum (searched around it) gives its measured mean, as for the classic remover.
            if let detected, detected.isPresent, let found = detected.fundamentalHertz,
               abs(found - hz) <= max(maximumDriftHertz, 1) {
                fundamental = found
            } else {
                fundamental = hz
            }
        case .auto:
            guard let detected, let found = detected.fundamentalHertz else { return nil }
            fundamental = found
            settings.requireEvidence = !detected.isPresent
        }
        if let harmonics { settings.maximumFrequencyHertz = min(maximumFrequencyHertz, (Double(harmonics) + 0.5) * fundamental) }
        return HumTrackingRemover(fundamentalHertz: fundamental, settings: settings, output: output)
    }

    /// The detector's configuration for these settings.
    public var detectorConfiguration: HumDetectorConfiguration {
        HumDetectorConfiguration(searchRangeHertz: searchRangeHertz, maximumFrequencyHertz: maximumFrequencyHertz,
                                 minimumProminenceDecibels: minimumProminenceDecibels,
                                 minimumPresence: minimumPresence, maximumDriftHertz: detectionDriftHertz)
    }
}

/// Which hum remover a ``DehumStage`` runs in `process` and `batch` (the C API's streaming chains run the classic
/// remover whatever the preset says: the tracker works on 28 s chunks).
public enum DehumEngine: String, Sendable, Hashable, CaseIterable {
    /// ``HumTrackingRemover``: one phase track for all harmonics, followed through speech (issue 19).
    case tracker
    /// ``HumRemover``: each harmonic tracked on its own in 0.34 s frames, streaming.
    case classic
}

/// Which noise reducer a ``DenoiseStage`` runs.
public enum DenoiseEngine: String, Sendable, Hashable, CaseIterable {
    /// Scrim's spectral ``NoiseReducer`` (default: about 70 times faster than the network, no model needed).
    case spectral
    /// The DeepFilterNet3 network (``NeuralNoiseReducer``); needs the model (`scripts/fetch-model.sh`).
    case neural
}

/// Noise-reduction settings (the options of ``NoiseReducerSettings``, with a learned profile named by file, or of
/// ``NeuralNoiseReducerSettings`` with `engine` `neural`).
public struct DenoiseStage: Sendable, Hashable {
    /// Where the noise estimate comes from.
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// Tracked continuously from the signal (default).
        case adaptive
        /// From a noise profile file (``DenoiseStage/profile``), e.g. made by `scrim profile` on room tone.
        case learned
    }

    /// Deepest cut in dB, 0…40 (default: ``NoiseReducerSettings/defaultReductionDecibels``, 15).
    public var reductionDecibels: Double
    /// `adaptive` (default) or `learned` (needs ``profile``).
    public var mode: Mode
    /// Path of a noise profile JSON file for `learned` mode; in a preset file, relative to the preset's folder.
    public var profile: String?
    /// `cleaned` (default), `residual` (what was removed) or `bypass`.
    public var output: String
    /// `independent` (default: each track its own estimate, for poly files) or `linked`.
    public var channelLinking: String
    /// FFT size override (a power of two, 256…16384), or nil (default) for the size chosen from the rate.
    public var fftSize: Int?
    /// Ease the reduction limit under a speech-like background (``NoiseReducerSettings/babbleGuard``; default
    /// true).
    public var babbleGuard: Bool
    /// `spectral` (default) or `neural`. With `neural`, `mode`, `profile`, `channelLinking`, `fftSize` and
    /// `babbleGuard` do not apply (the network has its own STFT and hears each channel as its own voice), and
    /// `reductionDecibels` runs from 0 to 100 dB, 100 meaning no limit (``neuralNoLimitDecibels``).
    public var engine: DenoiseEngine
    /// Neural engine: `dialogue` (default, Scrim's refinement) or `reference` (DeepFilterNet3 as libDF runs it).
    public var neuralMode: NeuralNoiseReducerSettings.Mode
    /// Neural engine: libDF's post-filter (default off).
    public var postFilter: Bool

    /// A neural stage's reduction limit that means none (libDF's convention: an attenuation limit of 100 dB).
    public static let neuralNoLimitDecibels = NeuralNoiseReducerSettings.noLimitDecibels
    /// The reduction limit of a neural stage when none is given.
    public static var neuralDefaultReductionDecibels: Double {
        NeuralNoiseReducerSettings.defaultReductionDecibels ?? neuralNoLimitDecibels
    }

    /// Creates denoise settings; every parameter has the documented default.
    public init(reductionDecibels: Double = NoiseReducerSettings.defaultReductionDecibels, mode: Mode = .adaptive,
                profile: String? = nil,
                output: String = "cleaned", channelLinking: String = "independent", fftSize: Int? = nil,
                babbleGuard: Bool = true, engine: DenoiseEngine = .spectral,
                neuralMode: NeuralNoiseReducerSettings.Mode = .dialogue, postFilter: Bool = false) {
        self.reductionDecibels = reductionDecibels
        self.mode = mode
        self.profile = profile
        self.output = output
        self.channelLinking = channelLinking
        self.fftSize = fftSize
        self.babbleGuard = babbleGuard
        self.engine = engine
        self.neuralMode = neuralMode
        self.postFilter = postFilter
    }

    /// A neural stage: `reductionDecibels` nil for the neural default (none unless
    /// ``NeuralNoiseReducerSettings/defaultReductionDecibels`` says otherwise).
    public static func neural(reductionDecibels: Double? = nil, output: String = "cleaned",
                              neuralMode: NeuralNoiseReducerSettings.Mode = .dialogue,
                              postFilter: Bool = false) -> DenoiseStage {
        DenoiseStage(reductionDecibels: reductionDecibels ?? neuralDefaultReductionDecibels, output: output,
                     engine: .neural, neuralMode: neuralMode, postFilter: postFilter)
    }

    /// The neural reducer's settings for this stage.
    public var neuralSettings: NeuralNoiseReducerSettings {
        NeuralNoiseReducerSettings(
            reductionLimitDecibels: reductionDecibels >= Self.neuralNoLimitDecibels ? nil : reductionDecibels,
            output: NeuralNoiseReducerSettings.Output(rawValue: output) ?? .cleaned, postFilter: postFilter,
            mode: neuralMode)
    }
}

/// Loudness settings: a two-pass measure-then-gain to a target, with a true-peak ceiling.
public struct LoudnessStage: Sendable, Hashable {
    /// Target loudness, LUFS (default −23, EBU R 128).
    public var targetLoudness: LUFS
    /// True-peak ceiling, dBTP (default −1).
    public var truePeakCeiling: DecibelsTruePeak
    /// `limit` (default: full gain, peaks caught by a true-peak limiter) or `lowerGain` (gain lowered to fit).
    public var truePeakHandling: TruePeakHandling
    /// Measure the loudness of the dialogue only (``DialogueDetector``) and match that (default false).
    public var dialogueGating: Bool

    /// Creates loudness settings; every parameter has the documented default.
    public init(targetLoudness: LUFS = -23, truePeakCeiling: DecibelsTruePeak = -1,
                truePeakHandling: TruePeakHandling = .limit, dialogueGating: Bool = false) {
        self.targetLoudness = targetLoudness
        self.truePeakCeiling = truePeakCeiling
        self.truePeakHandling = truePeakHandling
        self.dialogueGating = dialogueGating
    }

    /// The target as a ``LoudnessTarget``.
    public var target: LoudnessTarget {
        .custom(loudness: targetLoudness, truePeakCeiling: truePeakCeiling)
    }
}

extension Preset {
    /// The built-in presets, in the order `scrim presets` lists them.
    ///
    /// - `dailies`: for editorial's copies of a shoot day. Automatic de-hum (nothing removed where none is
    ///   found), adaptive noise reduction limited to 10 dB per track (poly tracks are unrelated microphones:
    ///   independent), and the *dialogue* matched to −23 LUFS (dialogue gating), peaks held at −1 dBTP by the
    ///   limiter, so every take plays at the same speech level.
    /// - `broadcast`: EBU R 128 delivery — de-hum, adaptive denoise (12 dB), programme loudness −23 LUFS,
    ///   −1 dBTP.
    /// - `podcast`: speech for listening on phones — de-hum, stronger denoise (18 dB, linked channels so a stereo
    ///   image holds), −16 LUFS, −1 dBTP (the common podcast reference, e.g. AES TD1004).
    /// - `denoise-only`: adaptive denoise (12 dB), nothing else; levels untouched.
    /// - `dialogue`: the neural engine for dialogue under heavy or changing noise — automatic de-hum first (the
    ///   network is not trained to remove mains hum), DeepFilterNet3 with Scrim's dialogue refinement at its
    ///   default limit, and the dialogue matched to −23 LUFS (dialogue gating), −1 dBTP. Needs the model
    ///   (`scripts/fetch-model.sh`); about a seventieth of `dailies`' speed.
    public static let builtIns: [Preset] = [
        Preset(name: "dailies",
               summary: "shoot-day copies for editorial: auto de-hum, gentle denoise, dialogue at -23 LUFS",
               dehum: DehumStage(),
               denoise: DenoiseStage(reductionDecibels: 10),
               loudness: LoudnessStage(targetLoudness: -23, truePeakCeiling: -1, dialogueGating: true)),
        Preset(name: "broadcast",
               summary: "EBU R 128 delivery: de-hum, denoise, programme loudness -23 LUFS, -1 dBTP",
               dehum: DehumStage(),
               denoise: DenoiseStage(reductionDecibels: 12),
               loudness: LoudnessStage(targetLoudness: -23, truePeakCeiling: -1)),
        Preset(name: "podcast",
               summary: "spoken word for phones: de-hum, stronger denoise, -16 LUFS, -1 dBTP",
               dehum: DehumStage(),
               denoise: DenoiseStage(reductionDecibels: 18, channelLinking: "linked"),
               loudness: LoudnessStage(targetLoudness: -16, truePeakCeiling: -1)),
        Preset(name: "denoise-only",
               summary: "adaptive noise reduction only (12 dB); levels untouched",
               denoise: DenoiseStage(reductionDecibels: 12)),
        Preset(name: "dialogue",
               summary: "neural dialogue isolation (DeepFilterNet3): auto de-hum, neural denoise, dialogue at -23 LUFS",
               dehum: DehumStage(),
               denoise: .neural(),
               loudness: LoudnessStage(targetLoudness: -23, truePeakCeiling: -1, dialogueGating: true)),
    ]

    /// The `dailies` built-in (see ``builtIns``).
    public static var dailies: Preset { builtIns[0] }
    /// The `broadcast` built-in (see ``builtIns``).
    public static var broadcast: Preset { builtIns[1] }
    /// The `podcast` built-in (see ``builtIns``).
    public static var podcast: Preset { builtIns[2] }
    /// The `denoise-only` built-in (see ``builtIns``).
    public static var denoiseOnly: Preset { builtIns[3] }
    /// The `dialogue` built-in (see ``builtIns``): neural denoise.
    public static var dialogue: Preset { builtIns[4] }

    /// The built-in preset called `name`, or nil.
    public static func builtIn(named name: String) -> Preset? {
        builtIns.first { $0.name == name }
    }

    /// A built-in preset by name, or a preset file by path.
    ///
    /// `nameOrPath` is a file when it names an existing file, contains a `/`, or ends in `.json`; otherwise it
    /// must be a built-in name.
    /// - Throws: ``ScrimError`` `.invalidDocument` for an unreadable or invalid file (the message names the file
    ///   and the key), `.configuration` for an unknown name (the message lists the built-ins).
    public static func resolve(_ nameOrPath: String) throws -> Preset {
        let isFile = FileManager.default.fileExists(atPath: nameOrPath) || nameOrPath.contains("/")
            || nameOrPath.hasSuffix(".json")
        if isFile { return try load(path: nameOrPath) }
        if let preset = builtIn(named: nameOrPath) { return preset }
        throw ScrimError(.configuration, "no preset named \"\(nameOrPath)\": use one of "
                         + builtIns.map(\.name).joined(separator: ", ") + ", or the path of a preset JSON file")
    }

    /// Reads a preset file.
    ///
    /// A relative `denoise.profile` is resolved against the preset file's folder. A file without `name` is named
    /// after the file (without extension).
    /// - Throws: ``ScrimError`` `.invalidDocument` naming the file and, where it applies, the key.
    public static func load(path: String) throws -> Preset {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ScrimError(.invalidDocument, "cannot read preset file \(path)",
                             underlying: (error as NSError).localizedDescription)
        }
        let fallbackName = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        var preset = try decode(data, source: path, fallbackName: fallbackName)
        if let profile = preset.denoise?.profile, !profile.hasPrefix("/") {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            preset.denoise?.profile = folder.appendingPathComponent(profile).standardizedFileURL.path
        }
        return preset
    }

    /// Keys a preset file may still use from before every key carried its unit the same way (Scrim 0.1.0's first
    /// preset files), and their names now.
    static let legacyKeys: [String: String] = [
        "searchRangeHertz": "searchRangeHz", "maximumFrequencyHertz": "maximumFrequencyHz",
        "maximumDriftHertz": "maximumDriftHz", "minimumProminenceDecibels": "minimumProminenceDb",
        "detectionDriftHertz": "detectionDriftHz", "reductionDecibels": "reductionLimitDb",
        "targetLoudness": "targetLoudnessLufs", "truePeakCeiling": "truePeakCeilingDbtp",
        "frequency": "frequencyHz", "output": "write",
    ]

    /// `data` with the stages' legacy keys renamed (``legacyKeys``); unchanged when it is not a JSON object or
    /// has none (errors are then reported by the decoder, on the original text).
    static func upgradingLegacyKeys(_ data: Data) -> Data {
        guard var document = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return data }
        var changed = false
        for stage in ["dehum", "denoise", "loudness"] {
            guard var fields = document[stage] as? [String: Any] else { continue }
            for (old, new) in legacyKeys where fields[old] != nil && fields[new] == nil {
                fields[new] = fields.removeValue(forKey: old)
                changed = true
            }
            document[stage] = fields
        }
        guard changed, let upgraded = try? JSONSerialization.data(withJSONObject: document) else { return data }
        return upgraded
    }

    /// Decodes a preset from JSON.
    /// - Parameters:
    ///   - data: UTF-8 JSON text.
    ///   - source: how to name the document in errors (a path, or "preset").
    ///   - fallbackName: the name when the document has none.
    /// - Throws: ``ScrimError`` `.invalidDocument` whose message names `source` and the offending key.
    public static func decode(_ data: Data, source: String = "preset", fallbackName: String = "custom")
        throws(ScrimError) -> Preset {
        do {
            var preset = try JSONDecoder().decode(PresetDocument.self, from: upgradingLegacyKeys(data)).preset
            if preset.name.isEmpty { preset.name = fallbackName }
            try preset.validate()
            return preset
        } catch let error as PresetKeyError {
            throw ScrimError(.invalidDocument, "preset \(source): \(error.message)")
        } catch let error as ScrimError {
            throw ScrimError(.invalidDocument, "preset \(source): \(error.message)")
        } catch let error as DecodingError {
            throw ScrimError(.invalidDocument, "preset \(source): \(PresetKeyError.describe(error))")
        } catch {
            throw ScrimError(.invalidDocument, "preset \(source): \(error)")
        }
    }

    /// Throws ``ScrimError`` `.configuration` with a fix when a setting is out of range. (Settings that depend on
    /// the file, like a fundamental above a quarter of its sample rate, are checked when the stages are
    /// prepared.)
    public func validate() throws(ScrimError) {
        try declip?.validate()
        try declick?.validate()
        if let dehum {
            if case .fixed(let hz) = dehum.frequency, !(hz.isFinite && hz >= 10 && hz <= 1000) {
                throw ScrimError(.configuration, "dehum.frequencyHz \(hz): use \"auto\" or 10 to 1000 Hz, e.g. 50")
            }
            if let n = dehum.harmonics, !(1...500).contains(n) {
                throw ScrimError(.configuration,
                                 "dehum.harmonics \(n): use 1 to 500, or null to take them from the detection")
            }
            let range = dehum.searchRangeHertz
            guard range.lowerBound >= 5, range.upperBound > range.lowerBound, range.upperBound <= 1000 else {
                throw ScrimError(.configuration, "dehum.searchRangeHz \(range.lowerBound)…\(range.upperBound): "
                                 + "use [low, high] within 5…1000 Hz, e.g. [45, 65]")
            }
            guard dehum.maximumFrequencyHertz > range.upperBound, dehum.maximumFrequencyHertz <= 24_000 else {
                throw ScrimError(.configuration, "dehum.maximumFrequencyHz \(dehum.maximumFrequencyHertz): use a "
                                 + "frequency above the search range and at most 24000 Hz, e.g. 4000")
            }
            guard dehum.maximumDriftHertz >= 0, dehum.maximumDriftHertz <= 5, dehum.detectionDriftHertz >= 0,
                  dehum.detectionDriftHertz <= 5 else {
                throw ScrimError(.configuration, "dehum.maximumDriftHz / detectionDriftHz: use 0 to 5 Hz")
            }
            guard (0...1).contains(dehum.minimumPresence), (0...60).contains(dehum.minimumProminenceDecibels) else {
                throw ScrimError(.configuration,
                                 "dehum.minimumPresence must be 0…1 and minimumProminenceDb 0…60")
            }
        }
        if let denoise {
            if denoise.engine == .neural {
                guard denoise.reductionDecibels.isFinite,
                      (0...DenoiseStage.neuralNoLimitDecibels).contains(denoise.reductionDecibels) else {
                    throw ScrimError(.configuration, "denoise.reductionLimitDb \(denoise.reductionDecibels): the "
                                     + "neural engine takes 0 to 100 dB (100: no limit), e.g. 18")
                }
                if denoise.mode == .learned || denoise.profile != nil {
                    throw ScrimError(.configuration, "denoise.profile: the neural engine learns no noise profile; "
                                     + "remove profile and mode, or use \"engine\": \"spectral\"")
                }
                if denoise.channelLinking != "independent" {
                    throw ScrimError(.configuration, "denoise.channelLinking \"\(denoise.channelLinking)\": the "
                                     + "neural engine runs each channel on its own (independent)")
                }
                if denoise.fftSize != nil {
                    throw ScrimError(.configuration, "denoise.fftSize: the neural engine's STFT is the model's "
                                     + "(960 points); remove fftSize or use \"engine\": \"spectral\"")
                }
            } else {
                guard denoise.reductionDecibels.isFinite, (0...40).contains(denoise.reductionDecibels) else {
                    throw ScrimError(.configuration,
                                     "denoise.reductionLimitDb \(denoise.reductionDecibels): use 0 to 40 dB, e.g. 12")
                }
                if denoise.neuralMode != .dialogue || denoise.postFilter {
                    throw ScrimError(.configuration, "denoise.neuralMode and denoise.postFilter apply to the neural "
                                     + "engine only: add \"engine\": \"neural\"")
                }
            }
            guard ["cleaned", "residual", "bypass"].contains(denoise.output) else {
                throw ScrimError(.configuration,
                                 "denoise.write \"\(denoise.output)\": use cleaned, residual or bypass")
            }
            guard ["independent", "linked"].contains(denoise.channelLinking) else {
                throw ScrimError(.configuration,
                                 "denoise.channelLinking \"\(denoise.channelLinking)\": use independent or linked")
            }
            if let size = denoise.fftSize, !(size >= 256 && size <= 16384 && size & (size - 1) == 0) {
                throw ScrimError(.configuration, "denoise.fftSize \(size): use a power of two from 256 to 16384")
            }
            if denoise.mode == .learned, denoise.profile == nil {
                throw ScrimError(.configuration, "denoise.mode \"learned\" needs denoise.profile: the path of a "
                                 + "noise profile JSON file (from scrim profile)")
            }
        }
        try wind?.validate()
        if let loudness {
            guard loudness.targetLoudness.isFinite, (-70...0).contains(loudness.targetLoudness) else {
                throw ScrimError(.configuration,
                                 "loudness.targetLoudnessLufs \(loudness.targetLoudness): use -70 to 0 LUFS, e.g. -23")
            }
            guard loudness.truePeakCeiling.isFinite, (-20...0).contains(loudness.truePeakCeiling) else {
                throw ScrimError(.configuration,
                                 "loudness.truePeakCeilingDbtp \(loudness.truePeakCeiling): use -20 to 0 dBTP, e.g. -1")
            }
        }
    }
}
