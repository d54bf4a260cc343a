import ScrimCore

/// Everything a ``LoudnessMeter`` measured over a stream, as a value.
///
/// Levels that do not exist (silence, nothing above the gates, true peak not measured) are −∞, never NaN.
/// When encoded, a non-finite level is written as `null` (JSON has no −∞) and `null` decodes back to −∞.
public struct LoudnessMeasurement: Sendable, Hashable, Codable {
    /// Integrated (programme) loudness, BS.1770-4 gated (−70 LUFS absolute, −10 LU relative).
    public var integratedLoudness: LUFS
    /// The relative gate used for ``integratedLoudness`` (−∞ when no block passed the absolute gate).
    public var relativeGateThreshold: LUFS
    /// Loudness range (EBU Tech 3342), LU; 0 when there are no short-term values above the gates.
    public var loudnessRange: LoudnessUnits
    /// Largest momentary loudness (400 ms window, updated every 100 ms).
    public var maxMomentaryLoudness: LUFS
    /// Largest short-term loudness (3 s window, updated every 100 ms).
    public var maxShortTermLoudness: LUFS
    /// Momentary loudness of the last complete 400 ms window.
    public var momentaryLoudness: LUFS
    /// Short-term loudness of the last complete 3 s window.
    public var shortTermLoudness: LUFS
    /// Largest absolute sample value over all channels, dBFS.
    public var samplePeak: DecibelsFullScale
    /// Largest true peak over all channels (BS.1770-4 Annex 2), dBTP; −∞ when not measured.
    public var truePeak: DecibelsTruePeak
    /// Sample peak per channel, dBFS.
    public var channelSamplePeaks: [DecibelsFullScale]
    /// True peak per channel, dBTP (empty when not measured).
    public var channelTruePeaks: [DecibelsTruePeak]
    /// Whether true peak was measured.
    public var truePeakMeasured: Bool
    /// Integrated loudness over the blocks judged to be speech (−∞ when none, or when dialogue gating is off).
    public var dialogueLoudness: LUFS
    /// Fraction (0…1) of the blocks above the absolute gate that were judged speech (0 when gating is off).
    public var speechFraction: Double
    /// Whether the dialogue gate was on.
    public var dialogueGated: Bool
    /// Frames measured (per channel).
    public var frameCount: Int
    /// Sample rate in hertz.
    public var sampleRate: Double
    /// The channel layout and weights used.
    public var channelLayout: ChannelLayout

    /// Duration measured, in seconds.
    public var durationSeconds: Double { sampleRate > 0 ? Double(frameCount) / sampleRate : 0 }

    public init(
        integratedLoudness: LUFS, relativeGateThreshold: LUFS, loudnessRange: LoudnessUnits,
        maxMomentaryLoudness: LUFS, maxShortTermLoudness: LUFS, momentaryLoudness: LUFS, shortTermLoudness: LUFS,
        samplePeak: DecibelsFullScale, truePeak: DecibelsTruePeak, channelSamplePeaks: [DecibelsFullScale],
        channelTruePeaks: [DecibelsTruePeak], truePeakMeasured: Bool, dialogueLoudness: LUFS,
        speechFraction: Double, dialogueGated: Bool, frameCount: Int, sampleRate: Double,
        channelLayout: ChannelLayout
    ) {
        self.integratedLoudness = integratedLoudness
        self.relativeGateThreshold = relativeGateThreshold
        self.loudnessRange = loudnessRange
        self.maxMomentaryLoudness = maxMomentaryLoudness
        self.maxShortTermLoudness = maxShortTermLoudness
        self.momentaryLoudness = momentaryLoudness
        self.shortTermLoudness = shortTermLoudness
        self.samplePeak = samplePeak
        self.truePeak = truePeak
        self.channelSamplePeaks = channelSamplePeaks
        self.channelTruePeaks = channelTruePeaks
        self.truePeakMeasured = truePeakMeasured
        self.dialogueLoudness = dialogueLoudness
        self.speechFraction = speechFraction
        self.dialogueGated = dialogueGated
        self.frameCount = frameCount
        self.sampleRate = sampleRate
        self.channelLayout = channelLayout
    }

    /// The level a loudness normaliser should use: dialogue loudness when the dialogue gate was on and found
    /// speech, else integrated loudness.
    public var normalizationLoudness: LUFS {
        dialogueGated && dialogueLoudness.isFinite ? dialogueLoudness : integratedLoudness
    }

    /// The JSON keys carry their unit (Lufs, Lu, Dbtp, Dbfs), as everywhere in Scrim's JSON.
    private enum CodingKeys: String, CodingKey {
        case integratedLoudness = "integratedLoudnessLufs", relativeGateThreshold = "relativeGateThresholdLufs"
        case loudnessRange = "loudnessRangeLu", maxMomentaryLoudness = "maxMomentaryLoudnessLufs"
        case maxShortTermLoudness = "maxShortTermLoudnessLufs", momentaryLoudness = "momentaryLoudnessLufs"
        case shortTermLoudness = "shortTermLoudnessLufs", samplePeak = "samplePeakDbfs", truePeak = "truePeakDbtp"
        case channelSamplePeaks = "channelSamplePeaksDbfs", channelTruePeaks = "channelTruePeaksDbtp"
        case truePeakMeasured, dialogueLoudness = "dialogueLoudnessLufs", speechFraction, dialogueGated, frameCount
        case sampleRate, channelLayout
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func level(_ key: CodingKeys) throws -> Double {
            try c.decodeIfPresent(Double.self, forKey: key) ?? -.infinity
        }
        func levels(_ key: CodingKeys) throws -> [Double] {
            try c.decode([Double?].self, forKey: key).map { $0 ?? -.infinity }
        }
        integratedLoudness = try level(.integratedLoudness)
        relativeGateThreshold = try level(.relativeGateThreshold)
        loudnessRange = try c.decode(Double.self, forKey: .loudnessRange)
        maxMomentaryLoudness = try level(.maxMomentaryLoudness)
        maxShortTermLoudness = try level(.maxShortTermLoudness)
        momentaryLoudness = try level(.momentaryLoudness)
        shortTermLoudness = try level(.shortTermLoudness)
        samplePeak = try level(.samplePeak)
        truePeak = try level(.truePeak)
        channelSamplePeaks = try levels(.channelSamplePeaks)
        channelTruePeaks = try levels(.channelTruePeaks)
        truePeakMeasured = try c.decode(Bool.self, forKey: .truePeakMeasured)
        dialogueLoudness = try level(.dialogueLoudness)
        speechFraction = try c.decodeIfPresent(Double.self, forKey: .speechFraction) ?? 0
        dialogueGated = try c.decode(Bool.self, forKey: .dialogueGated)
        frameCount = try c.decode(Int.self, forKey: .frameCount)
        sampleRate = try c.decode(Double.self, forKey: .sampleRate)
        channelLayout = try c.decode(ChannelLayout.self, forKey: .channelLayout)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        func level(_ value: Double, _ key: CodingKeys) throws {
            if value.isFinite { try c.encode(value, forKey: key) } else { try c.encodeNil(forKey: key) }
        }
        try level(integratedLoudness, .integratedLoudness)
        try level(relativeGateThreshold, .relativeGateThreshold)
        try c.encode(loudnessRange, forKey: .loudnessRange)
        try level(maxMomentaryLoudness, .maxMomentaryLoudness)
        try level(maxShortTermLoudness, .maxShortTermLoudness)
        try level(momentaryLoudness, .momentaryLoudness)
        try level(shortTermLoudness, .shortTermLoudness)
        try level(samplePeak, .samplePeak)
        try level(truePeak, .truePeak)
        try c.encode(channelSamplePeaks.map { $0.isFinite ? $0 : nil }, forKey: .channelSamplePeaks)
        try c.encode(channelTruePeaks.map { $0.isFinite ? $0 : nil }, forKey: .channelTruePeaks)
        try c.encode(truePeakMeasured, forKey: .truePeakMeasured)
        try level(dialogueLoudness, .dialogueLoudness)
        try c.encode(speechFraction, forKey: .speechFraction)
        try c.encode(dialogueGated, forKey: .dialogueGated)
        try c.encode(frameCount, forKey: .frameCount)
        try c.encode(sampleRate, forKey: .sampleRate)
        try c.encode(channelLayout, forKey: .channelLayout)
    }
}
