import Foundation

// The preset file format: decoding with unknown keys refused, encoding as an ordered JSON template, and a
// fingerprint of everything that affects the output (for batch resume).

/// An unknown key or a value of the wrong kind in a preset document.
struct PresetKeyError: Error {
    var message: String

    static func keyPath(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            .replacingOccurrences(of: ".[", with: "[")
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(keyPath(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "missing key \"\(keyPath(context.codingPath + [key]))\""
        case .dataCorrupted(let context):
            let path = keyPath(context.codingPath)
            let detail = (context.underlyingError as NSError?)?.localizedDescription
            return (path.isEmpty ? "" : "\(path): ") + (detail.map { "not valid JSON (\($0))" }
                ?? context.debugDescription)
        @unknown default:
            return "\(error)"
        }
    }
}

/// A coding key for any string, to list the keys a JSON object actually has.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
}

extension Decoder {
    /// Throws ``PresetKeyError`` for the first key of this object that is not in `known`.
    func rejectUnknownKeys(_ known: [String]) throws {
        let container = try container(keyedBy: AnyCodingKey.self)
        for key in container.allKeys.sorted(by: { $0.stringValue < $1.stringValue })
        where !known.contains(key.stringValue) {
            let path = PresetKeyError.keyPath(codingPath + [key])
            throw PresetKeyError(message: "unknown key \"\(path)\" (known keys here: "
                                 + known.joined(separator: ", ") + ")")
        }
    }
}

/// The top level of a preset document.
struct PresetDocument: Decodable {
    var preset: Preset
    static let keys = ["name", "summary", "declip", "declick", "dehum", "wind", "denoise", "loudness"]

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Self.keys)
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        func key(_ name: String) -> AnyCodingKey { AnyCodingKey(stringValue: name) }
        preset = Preset(
            name: try c.decodeIfPresent(String.self, forKey: key("name")) ?? "",
            summary: try c.decodeIfPresent(String.self, forKey: key("summary")) ?? "",
            declick: try c.decodeIfPresent(DeclickStage.self, forKey: key("declick")),
            dehum: try c.decodeIfPresent(DehumStage.self, forKey: key("dehum")),
            denoise: try c.decodeIfPresent(DenoiseStage.self, forKey: key("denoise")),
            loudness: try c.decodeIfPresent(LoudnessStage.self, forKey: key("loudness")),
            declip: try c.decodeIfPresent(DeclipStage.self, forKey: key("declip")))
        preset.wind = try c.decodeIfPresent(WindStage.self, forKey: key("wind"))
    }
}

extension DehumStage: Decodable {
    static let keys = ["frequencyHz", "harmonics", "searchRangeHz", "maximumFrequencyHz", "maximumDriftHz",
                       "minimumProminenceDb", "minimumPresence", "detectionDriftHz", "write", "engine"]

    /// Decodes the JSON form (keys as the properties; `frequency` is `"auto"` or a number of hertz;
    /// `searchRangeHertz` is `[low, high]`). Missing keys take the defaults; unknown keys are refused.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Self.keys)
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        func key(_ name: String) -> AnyCodingKey { AnyCodingKey(stringValue: name) }
        let defaults = DehumStage()
        self = defaults
        if c.contains(key("frequencyHz")), try !c.decodeNil(forKey: key("frequencyHz")) {
            if let text = try? c.decode(String.self, forKey: key("frequencyHz")) {
                guard text.lowercased() == "auto" else {
                    throw PresetKeyError(message: "dehum.frequency \"\(text)\": use \"auto\" or a number of hertz")
                }
                frequency = .auto
            } else {
                frequency = .fixed(try c.decode(Double.self, forKey: key("frequencyHz")))
            }
        }
        harmonics = try c.decodeIfPresent(Int.self, forKey: key("harmonics"))
        if let range = try c.decodeIfPresent([Double].self, forKey: key("searchRangeHz")) {
            guard range.count == 2, range[0].isFinite, range[1].isFinite, range[0] < range[1] else {
                throw PresetKeyError(message: "dehum.searchRangeHertz \(range): use [low, high], e.g. [45, 65]")
            }
            searchRangeHertz = range[0]...range[1]
        }
        maximumFrequencyHertz = try c.decodeIfPresent(Double.self, forKey: key("maximumFrequencyHz"))
            ?? defaults.maximumFrequencyHertz
        maximumDriftHertz = try c.decodeIfPresent(Double.self, forKey: key("maximumDriftHz"))
            ?? defaults.maximumDriftHertz
        minimumProminenceDecibels = try c.decodeIfPresent(Double.self, forKey: key("minimumProminenceDb"))
            ?? defaults.minimumProminenceDecibels
        minimumPresence = try c.decodeIfPresent(Double.self, forKey: key("minimumPresence")) ?? defaults.minimumPresence
        detectionDriftHertz = try c.decodeIfPresent(Double.self, forKey: key("detectionDriftHz"))
            ?? defaults.detectionDriftHertz
        if let text = try c.decodeIfPresent(String.self, forKey: key("write")) {
            guard let value = HumRemoverOutput(rawValue: text) else {
                throw PresetKeyError(message: "dehum.output \"\(text)\": use cleaned or residual")
            }
            output = value
        }
        if let text = try c.decodeIfPresent(String.self, forKey: key("engine")) {
            guard let value = DehumEngine(rawValue: text) else {
                throw PresetKeyError(message: "dehum.engine \"\(text)\": use tracker or classic")
            }
            engine = value
        }
    }

    /// The JSON form, every key present (a template for preset files).
    public var json: JSONValue {
        let frequencyJSON: JSONValue
        switch frequency {
        case .auto: frequencyJSON = .string("auto")
        case .fixed(let hz): frequencyJSON = .number(hz)
        }
        return .object([
            ("frequencyHz", frequencyJSON),
            ("harmonics", harmonics.map { .int(Int64($0)) } ?? .null),
            ("searchRangeHz", .array([.number(searchRangeHertz.lowerBound), .number(searchRangeHertz.upperBound)])),
            ("maximumFrequencyHz", .number(maximumFrequencyHertz)),
            ("maximumDriftHz", .number(maximumDriftHertz)),
            ("minimumProminenceDb", .number(minimumProminenceDecibels)),
            ("minimumPresence", .number(minimumPresence)),
            ("detectionDriftHz", .number(detectionDriftHertz)),
            ("write", .string(output.rawValue)),
            ("engine", .string(engine.rawValue)),
        ])
    }
}

extension DenoiseStage: Decodable {
    static let keys = ["engine", "reductionLimitDb", "mode", "profile", "write", "channelLinking", "fftSize",
                       "babbleGuard", "neuralMode", "postFilter"]

    /// Decodes the JSON form (keys as the properties). Missing keys take the defaults; unknown keys are refused.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Self.keys)
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        func key(_ name: String) -> AnyCodingKey { AnyCodingKey(stringValue: name) }
        self = DenoiseStage()
        if let text = try c.decodeIfPresent(String.self, forKey: key("engine")) {
            guard let value = DenoiseEngine(rawValue: text) else {
                throw PresetKeyError(message: "denoise.engine \"\(text)\": use spectral or neural")
            }
            engine = value
            if value == .neural { reductionDecibels = Self.neuralDefaultReductionDecibels }
        }
        if let text = try c.decodeIfPresent(String.self, forKey: key("neuralMode")) {
            guard let value = NeuralNoiseReducerSettings.Mode(rawValue: text) else {
                throw PresetKeyError(message: "denoise.neuralMode \"\(text)\": use dialogue or reference")
            }
            neuralMode = value
        }
        postFilter = try c.decodeIfPresent(Bool.self, forKey: key("postFilter")) ?? postFilter
        reductionDecibels = try c.decodeIfPresent(Double.self, forKey: key("reductionLimitDb")) ?? reductionDecibels
        if let text = try c.decodeIfPresent(String.self, forKey: key("mode")) {
            guard let value = Mode(rawValue: text) else {
                throw PresetKeyError(message: "denoise.mode \"\(text)\": use adaptive or learned")
            }
            mode = value
        }
        profile = try c.decodeIfPresent(String.self, forKey: key("profile"))
        if profile != nil, !c.contains(key("mode")) { mode = .learned }
        output = try c.decodeIfPresent(String.self, forKey: key("write")) ?? output
        channelLinking = try c.decodeIfPresent(String.self, forKey: key("channelLinking")) ?? channelLinking
        fftSize = try c.decodeIfPresent(Int.self, forKey: key("fftSize"))
        babbleGuard = try c.decodeIfPresent(Bool.self, forKey: key("babbleGuard")) ?? babbleGuard
    }

    /// The JSON form, every key present.
    public var json: JSONValue {
        .object([
            ("engine", .string(engine.rawValue)),
            ("reductionLimitDb", .number(reductionDecibels)),
            ("mode", .string(mode.rawValue)),
            ("profile", .optional(profile)),
            ("write", .string(output)),
            ("channelLinking", .string(channelLinking)),
            ("fftSize", fftSize.map { .int(Int64($0)) } ?? .null),
            ("babbleGuard", .bool(babbleGuard)),
            ("neuralMode", .string(neuralMode.rawValue)),
            ("postFilter", .bool(postFilter)),
        ])
    }
}

extension DenoiseStage {
    /// ``json`` for the fingerprint: a spectral stage without the neural engine's keys, so that the fingerprints
    /// of spectral presets written before the neural engine existed still match (batch resume does not redo them).
    var fingerprintJSON: JSONValue {
        guard engine == .spectral, case .object(let pairs) = json else { return json }
        return .object(pairs.filter { !["engine", "neuralMode", "postFilter"].contains($0.0) })
    }
}

extension LoudnessStage: Decodable {
    static let keys = ["targetLoudnessLufs", "truePeakCeilingDbtp", "truePeakHandling", "dialogueGating"]

    /// Decodes the JSON form (keys as the properties; `truePeakHandling` is `limit` or `lowerGain`). Missing keys
    /// take the defaults; unknown keys are refused.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Self.keys)
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        func key(_ name: String) -> AnyCodingKey { AnyCodingKey(stringValue: name) }
        self = LoudnessStage()
        targetLoudness = try c.decodeIfPresent(Double.self, forKey: key("targetLoudnessLufs")) ?? targetLoudness
        truePeakCeiling = try c.decodeIfPresent(Double.self, forKey: key("truePeakCeilingDbtp")) ?? truePeakCeiling
        if let text = try c.decodeIfPresent(String.self, forKey: key("truePeakHandling")) {
            guard let value = TruePeakHandling(rawValue: text) else {
                throw PresetKeyError(message: "loudness.truePeakHandling \"\(text)\": use limit or lowerGain")
            }
            truePeakHandling = value
        }
        dialogueGating = try c.decodeIfPresent(Bool.self, forKey: key("dialogueGating")) ?? dialogueGating
    }

    /// The JSON form, every key present.
    public var json: JSONValue {
        .object([
            ("targetLoudnessLufs", .number(targetLoudness)),
            ("truePeakCeilingDbtp", .number(truePeakCeiling)),
            ("truePeakHandling", .string(truePeakHandling.rawValue)),
            ("dialogueGating", .bool(dialogueGating)),
        ])
    }
}

extension Preset {
    /// The preset as a JSON document with every key present (`null` for a stage that does not run): what
    /// `scrim presets --show` prints, and a template for preset files.
    public var json: JSONValue {
        .object([
            ("name", .string(name)),
            ("summary", .string(summary)),
            ("declip", declip?.json ?? .null),
            ("declick", declick?.json ?? .null),
            ("dehum", dehum?.json ?? .null),
            ("wind", wind?.json ?? .null),
            ("denoise", denoise?.json ?? .null),
            ("loudness", loudness?.json ?? .null),
        ])
    }

    /// A fingerprint of everything that affects the output: the stages' settings (not the name or summary),
    /// the contents of a learned-noise profile file, and Scrim's version. Batch resume redoes an output whose
    /// report carries another fingerprint.
    ///
    /// 16 hex digits of FNV-1a (64-bit) over the canonical JSON; a change detector, not a security hash.
    public var fingerprint: String {
        var text = "scrim \(scrimVersion)\n"
        if let declick { text += "declick " + declick.json.serialized() + "\n" }
        text += (dehum?.json ?? .null).serialized() + "\n"
        text += (denoise?.fingerprintJSON ?? .null).serialized() + "\n"
        text += (loudness?.json ?? .null).serialized() + "\n"
        // Only when present, so presets without the stage keep the fingerprints their outputs were made with.
        if let wind { text += "wind " + wind.json.serialized() + "\n" }
        // Only when present, so presets without it keep their fingerprints (batch resume).
        if let declip { text += "declip " + declip.json.serialized() + "\n" }
        var hash = fnv1a(Array(text.utf8))
        if let profile = denoise?.profile, let data = FileManager.default.contents(atPath: profile) {
            hash = fnv1a(Array(data), seed: hash)
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// FNV-1a, 64-bit (Fowler, Noll, Vo; offset basis 0xcbf29ce484222325, prime 0x100000001b3).
func fnv1a(_ bytes: [UInt8], seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
    var hash = seed
    for byte in bytes {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01b3
    }
    return hash
}
