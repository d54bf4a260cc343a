import Foundation

/// De-clip settings of a preset: the first stage of the chain (de-clip, de-click, de-hum, rumble/wind, denoise,
/// loudness), so that every later stage sees the rebuilt peaks rather than the flat tops.
///
/// In `process` and `batch` a ``ClipDetector`` pass finds each track's clip levels first, as in `scrim declip`;
/// the C API's streaming chains (``Preset/makeChain(detectedHum:measuredLoudness:modelFolder:)``) cannot read ahead
/// and learn the level from the stream instead (a run of three equal samples at −20 dBFS or above; ``Declipper``).
/// The rebuilt peaks rise above the clip level. In a chain the audio stays in floating point until it is written,
/// so a later loudness stage sets the level (and its limiter catches the peaks); without one, `gainDb` lowers the
/// output by a fixed amount, and the file report counts any samples the output format still clips
/// (`scrim declip --gain auto` measures the peaks first and needs no guess).
public struct DeclipStage: Sendable, Hashable {
    /// A static gain on the de-clipped audio, in dB (−40…0; default 0).
    public var gainDecibels: Double
    /// The longest clipped run rebuilt, in milliseconds (0.5…20; default 5); longer runs are left and counted.
    public var maximumRunMilliseconds: Double

    /// Creates the stage.
    public init(gainDecibels: Double = 0, maximumRunMilliseconds: Double = 5) {
        self.gainDecibels = gainDecibels
        self.maximumRunMilliseconds = maximumRunMilliseconds
    }

    /// The declipper's settings for `levels` (from a ``ClipDetector``), or for learning from the stream (nil).
    public func configuration(levels: [ClipLevels]?) -> DeclipperConfiguration {
        DeclipperConfiguration(levels: levels, gainDecibels: gainDecibels,
                               maximumRunSeconds: maximumRunMilliseconds / 1000)
    }

    /// Throws ``ScrimError`` `.configuration` with a fix when a setting is out of range.
    public func validate() throws(ScrimError) {
        guard gainDecibels.isFinite, gainDecibels >= -40, gainDecibels <= 0 else {
            throw ScrimError(.configuration, "declip.gainDb \(gainDecibels): use -40 to 0 dB")
        }
        guard maximumRunMilliseconds.isFinite, maximumRunMilliseconds >= 0.5, maximumRunMilliseconds <= 20 else {
            throw ScrimError(.configuration, "declip.maximumRunMs \(maximumRunMilliseconds): use 0.5 to 20 ms")
        }
    }

    /// The JSON form, every key present.
    public var json: JSONValue {
        .object([("gainDb", .number(gainDecibels)), ("maximumRunMs", .number(maximumRunMilliseconds))])
    }
}

extension DeclipStage: Decodable {
    static let keys = ["gainDb", "maximumRunMs"]

    /// Decodes the JSON form; missing keys take the defaults, unknown keys are refused.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Self.keys)
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        self = DeclipStage()
        gainDecibels = try c.decodeIfPresent(Double.self, forKey: AnyCodingKey(stringValue: "gainDb")) ?? gainDecibels
        maximumRunMilliseconds = try c.decodeIfPresent(Double.self, forKey: AnyCodingKey(stringValue: "maximumRunMs"))
            ?? maximumRunMilliseconds
    }
}

/// What the de-clip stage of a preset job found and did.
public struct DeclipStageResult: Sendable {
    /// The detector's findings per track.
    public var detections: [ClipDetection]
    /// The declipper's report per track.
    public var channels: [DeclipperChannelReport]
    /// The stage's static gain in dB.
    public var gainDecibels: Double
    /// The AR order used.
    public var order: Int
    /// The sample rate, for durations.
    public var sampleRate: Double

    /// The `declip` object of `scrim process --json` (the same keys as `scrim declip --json`'s).
    public var json: JSONValue {
        DeclipJobResult.reportJSON(detections: detections, channels: channels, gainDecibels: gainDecibels,
                                   mode: "fixed", order: order, sampleRate: sampleRate)
    }
}
