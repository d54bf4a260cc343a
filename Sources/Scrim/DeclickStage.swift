import Foundation

/// De-click settings of a preset: what ``Declicker`` removes (mouth clicks, crackle, digital ticks). In the chain
/// it runs after de-clip and before de-hum (a click would otherwise reach the hum tracker and the denoiser's
/// noise estimate as a broadband burst).
///
/// JSON (every key optional): `{"thresholdRatio": 10, "maximumClickMs": 5, "write": "cleaned"}`.
public struct DeclickStage: Sendable, Hashable {
    /// Detection threshold over the local prediction-error level (4…100, default 10).
    public var thresholdRatio: Double
    /// Longest click repaired, in milliseconds (0.05…10, default 5).
    public var maximumClickMilliseconds: Double
    /// Cleaned audio or the removed clicks.
    public var output: DeclickerOutput

    public init(thresholdRatio: Double = Declicker.defaultThresholdRatio, maximumClickMilliseconds: Double = 5,
                output: DeclickerOutput = .cleaned) {
        self.thresholdRatio = thresholdRatio
        self.maximumClickMilliseconds = maximumClickMilliseconds
        self.output = output
    }

    /// The declicker's settings.
    public var configuration: DeclickerConfiguration {
        DeclickerConfiguration(thresholdRatio: thresholdRatio, maximumClickMilliseconds: maximumClickMilliseconds,
                               output: output)
    }

    /// Throws ``ScrimError`` `.configuration` with a fix when a setting is out of range.
    public func validate() throws(ScrimError) {
        guard thresholdRatio.isFinite, (4...100).contains(thresholdRatio) else {
            throw ScrimError(.configuration, "declick.thresholdRatio \(thresholdRatio): use 4 to 100, e.g. 10")
        }
        guard maximumClickMilliseconds.isFinite, (0.05...10).contains(maximumClickMilliseconds) else {
            throw ScrimError(.configuration,
                             "declick.maximumClickMs \(maximumClickMilliseconds): use 0.05 to 10 ms, e.g. 5")
        }
    }

    /// The stage as a preset document's `declick` object (every key).
    public var json: JSONValue {
        .object([
            ("thresholdRatio", .finite(thresholdRatio)),
            ("maximumClickMs", .finite(maximumClickMilliseconds)),
            ("write", .string(output.rawValue)),
        ])
    }
}

extension DeclickStage: Decodable {
    static let keys = ["thresholdRatio", "maximumClickMs", "write"]

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Self.keys)
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        func key(_ name: String) -> AnyCodingKey { AnyCodingKey(stringValue: name) }
        let defaults = DeclickStage()
        var output = defaults.output
        if let text = try c.decodeIfPresent(String.self, forKey: key("write")) {
            guard let value = DeclickerOutput(rawValue: text) else {
                throw PresetKeyError(message: "declick.write \"\(text)\": use cleaned or residual")
            }
            output = value
        }
        self.init(thresholdRatio: try c.decodeIfPresent(Double.self, forKey: key("thresholdRatio"))
                      ?? defaults.thresholdRatio,
                  maximumClickMilliseconds: try c.decodeIfPresent(Double.self, forKey: key("maximumClickMs"))
                      ?? defaults.maximumClickMilliseconds,
                  output: output)
    }
}

extension DeclickReport {
    /// One track's (or all tracks') de-click figures, as `scrim declick --json` and `process` report them.
    public func jsonPairs(sampleRate: Double) -> [(String, JSONValue)] {
        [
            ("clicksRemoved", .int(Int64(clicksRemoved))),
            ("removedSeconds", .rounded(removedSeconds(sampleRate: sampleRate), places: 6)),
            ("strongestClickDbfs", .rounded(strongestClickDecibelsFS, places: 2)),
            ("longEventsLeft", .int(Int64(longEventsLeft))),
            ("speechImpulsesKept", .int(Int64(speechImpulsesKept))),
        ]
    }

    /// The `declick` object of a report: the settings, the totals over `tracks` and one entry per track.
    public static func json(configuration: DeclickerConfiguration, tracks: [DeclickReport],
                            sampleRate: Double) -> JSONValue {
        var total = DeclickReport()
        for track in tracks { total.merge(track) }
        return .object([
            ("write", .string(configuration.output.rawValue)),
            ("thresholdRatio", .rounded(configuration.thresholdRatio, places: 2)),
            ("maximumClickMs", .rounded(configuration.maximumClickMilliseconds, places: 3)),
        ] + total.jsonPairs(sampleRate: sampleRate) + [
            ("track", .array(tracks.enumerated().map { index, report in
                .object([("track", .int(Int64(index + 1)))] + report.jsonPairs(sampleRate: sampleRate))
            })),
        ])
    }
}

/// What the de-click stage of a ``PresetJob`` did: its settings and one report per track.
public struct DeclickStageResult: Sendable {
    /// The declicker's settings.
    public var configuration: DeclickerConfiguration
    /// One report per track.
    public var tracks: [DeclickReport]

    public init(configuration: DeclickerConfiguration, tracks: [DeclickReport]) {
        self.configuration = configuration
        self.tracks = tracks
    }

    /// The figures of a declicker that has run.
    public init(declicker: Declicker) {
        self.init(configuration: declicker.configuration, tracks: declicker.channelReports)
    }
}
