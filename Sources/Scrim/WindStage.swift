import Foundation

/// Rumble and wind settings (preset key `wind`, `scrim dewind`): a Butterworth high-pass (``RumbleFilter``) and the
/// gust reducer (``WindReducer``), run in that order, after de-hum and before denoise.
public struct WindStage: Sendable, Hashable {
    /// The high-pass corner in hertz (default 80), or nil for no high-pass.
    public var highpassHertz: Double?
    /// The high-pass slope in dB per octave: 6, 12 (default), 18, … 48.
    public var slopeDecibelsPerOctave: Int
    /// The high-pass's phase: `linear` (default) or `minimum` (``RumblePhase``).
    public var highpassPhase: RumblePhase
    /// Whether the gust reducer runs (default true).
    public var reduceWind: Bool
    /// The gust reducer's deepest cut, dB (default 24).
    public var reductionDecibels: Double
    /// Top of the wind band, Hz (default 250).
    public var bandHertz: Double
    /// `independent` (default) or `linked`.
    public var channelLinking: WindReducerSettings.ChannelLinking

    /// Creates settings; every parameter has the documented default.
    public init(highpassHertz: Double? = 80, slopeDecibelsPerOctave: Int = 12, highpassPhase: RumblePhase = .linear,
                reduceWind: Bool = true,
                reductionDecibels: Double = 24, bandHertz: Double = 250,
                channelLinking: WindReducerSettings.ChannelLinking = .independent) {
        self.highpassHertz = highpassHertz
        self.slopeDecibelsPerOctave = slopeDecibelsPerOctave
        self.highpassPhase = highpassPhase
        self.reduceWind = reduceWind
        self.reductionDecibels = reductionDecibels
        self.bandHertz = bandHertz
        self.channelLinking = channelLinking
    }

    /// The high-pass settings, or nil without a high-pass.
    public var rumbleSettings: RumbleFilterSettings? {
        highpassHertz.map {
            RumbleFilterSettings(cornerHertz: $0, slopeDecibelsPerOctave: slopeDecibelsPerOctave, phase: highpassPhase)
        }
    }

    /// The gust reducer's settings, or nil when it does not run.
    public var windSettings: WindReducerSettings? {
        reduceWind ? WindReducerSettings(bandHertz: bandHertz, reductionLimitDecibels: reductionDecibels,
                                         channelLinking: channelLinking) : nil
    }

    /// Throws ``ScrimError`` `.configuration` naming the preset key when a setting is out of range.
    public func validate() throws(ScrimError) {
        if let rumbleSettings {
            do { try rumbleSettings.validate() } catch {
                throw ScrimError(.configuration, "wind.highpassHz / wind.slopeDbPerOctave: \(error.message)")
            }
        } else if !RumbleFilterSettings.slopes.contains(slopeDecibelsPerOctave) {
            throw ScrimError(.configuration, "wind.slopeDbPerOctave \(slopeDecibelsPerOctave): use a multiple of 6 "
                             + "from 6 to 48")
        }
        do { try WindReducerSettings(bandHertz: bandHertz, reductionLimitDecibels: reductionDecibels).validate() } catch {
            throw ScrimError(.configuration, "wind.reductionLimitDb / wind.bandHz: \(error.message)")
        }
        if highpassHertz == nil, !reduceWind {
            throw ScrimError(.configuration, "wind: with highpassHz null and reduceWind false the stage does "
                             + "nothing; remove it (\"wind\": null)")
        }
    }

    /// Fresh processors for one file: the high-pass (if any), then the gust reducer (if it runs).
    public func makeProcessors() -> WindStageProcessors {
        WindStageProcessors(rumble: rumbleSettings.map { RumbleFilter(settings: $0) },
                            wind: windSettings.map { WindReducer(settings: $0) })
    }
}

/// The processors of one ``WindStage`` for one file, kept to read their reports after the run.
public struct WindStageProcessors {
    /// The high-pass, or nil.
    public let rumble: RumbleFilter?
    /// The gust reducer, or nil.
    public let wind: WindReducer?

    /// The stages in chain order (high-pass first: the steady rumble it removes then does not raise the wind
    /// detector's floor).
    public var stages: [any AudioProcessor] {
        (rumble.map { [$0 as any AudioProcessor] } ?? []) + (wind.map { [$0 as any AudioProcessor] } ?? [])
    }

    /// What the stage did, after the run (sample rate for the group delays: the file's).
    public func result(sampleRate: Double) -> WindStageResult {
        WindStageResult(highpass: rumble.map { filter in
            WindStageResult.Highpass(
                cornerHertz: filter.settings.cornerHertz, slopeDecibelsPerOctave: filter.settings.slopeDecibelsPerOctave,
                order: filter.settings.order, phase: filter.settings.phase, latencyFrames: filter.latencyFrames,
                groupDelayAtCornerSeconds: filter.groupDelaySeconds(atHertz: filter.settings.cornerHertz),
                groupDelayAtTwiceCornerSeconds: filter.groupDelaySeconds(atHertz: 2 * filter.settings.cornerHertz),
                groupDelayAt1kHzSeconds: filter.groupDelaySeconds(atHertz: min(1000, sampleRate * 0.45)))
        }, wind: wind?.report)
    }
}

/// What a ``WindStage`` did to one file.
public struct WindStageResult: Sendable {
    /// The high-pass as designed for the file's rate.
    public struct Highpass: Sendable {
        public var cornerHertz: Double
        public var slopeDecibelsPerOctave: Int
        public var order: Int
        public var phase: RumblePhase
        /// Frames (compensated by the pipeline): 0 for minimum phase.
        public var latencyFrames: Int
        /// After the latency's compensation: 0 at every frequency for linear phase.
        public var groupDelayAtCornerSeconds: Double
        public var groupDelayAtTwiceCornerSeconds: Double
        public var groupDelayAt1kHzSeconds: Double
    }

    /// The high-pass, or nil without one.
    public var highpass: Highpass?
    /// The gust reducer's report, or nil when it did not run.
    public var wind: WindReductionReport?

    /// Creates a result.
    public init(highpass: Highpass?, wind: WindReductionReport?) {
        self.highpass = highpass
        self.wind = wind
    }

    /// The stage's latency in frames (the linear-phase high-pass's STFT plus the reducer's), compensated by the
    /// pipeline.
    public var latencyFrames: Int { (highpass?.latencyFrames ?? 0) + (wind?.latencyFrames ?? 0) }

    /// The JSON form (`scrim dewind --json`'s `wind`, `process`'s `wind`; keys in Sources/scrim/README.md).
    public var json: JSONValue {
        .object([
            ("highpass", highpass.map { h in
                .object([
                    ("cornerHz", .rounded(h.cornerHertz, places: 3)),
                    ("slopeDbPerOctave", .int(Int64(h.slopeDecibelsPerOctave))),
                    ("order", .int(Int64(h.order))),
                    ("phase", .string(h.phase.rawValue)),
                    ("latencyFrames", .int(Int64(h.latencyFrames))),
                    ("groupDelayAtCornerMs", .rounded(h.groupDelayAtCornerSeconds * 1000, places: 3)),
                    ("groupDelayAtTwiceCornerMs", .rounded(h.groupDelayAtTwiceCornerSeconds * 1000, places: 3)),
                    ("groupDelayAt1kHzMs", .rounded(h.groupDelayAt1kHzSeconds * 1000, places: 4)),
                ])
            } ?? .null),
            ("wind", wind.map { report in
                .object([
                    ("reductionLimitDb", .number(report.settings.reductionLimitDecibels)),
                    ("bandHz", .number(report.settings.bandHertz)),
                    ("channelLinking", .string(report.settings.channelLinking.rawValue)),
                    ("coherence", .bool(report.usesCoherence)),
                    ("fftSize", .int(Int64(report.fftSize))),
                    ("hopSize", .int(Int64(report.hopSize))),
                    ("latencyFrames", .int(Int64(report.latencyFrames))),
                    ("track", .array(report.tracks.enumerated().map { index, track in
                        .object([
                            ("track", .int(Int64(index + 1))),
                            ("gustPercent", .rounded(track.gustShare * 100, places: 2)),
                            ("gusts", .int(Int64(track.gustCount))),
                            ("gustSeconds", .rounded(track.gustSeconds, places: 3)),
                            ("deepestCutDb", .rounded(track.deepestCutDecibels, places: 2)),
                            ("averageGustCutDb", .rounded(track.averageGustCutDecibels, places: 2)),
                        ])
                    })),
                ])
            } ?? .null),
        ])
    }

    /// Text lines for people (`scrim dewind`, `scrim process`), each starting with two spaces and a label.
    public var lines: [String] {
        var lines: [String] = []
        if let h = highpass {
            if h.phase == .linear {
                lines.append(String(format: "  highpass   %g Hz, %d dB/octave (Butterworth order %d magnitude, linear "
                                    + "phase: latency %d frames, compensated)", h.cornerHertz, h.slopeDecibelsPerOctave,
                                    h.order, h.latencyFrames))
            } else {
                lines.append(String(format: "  highpass   %g Hz, %d dB/octave (Butterworth order %d, minimum phase, no "
                                    + "latency; group delay %.2f ms at the corner, %.2f ms at %g Hz)", h.cornerHertz,
                                    h.slopeDecibelsPerOctave, h.order, h.groupDelayAtCornerSeconds * 1000,
                                    h.groupDelayAtTwiceCornerSeconds * 1000, 2 * h.cornerHertz))
            }
        } else {
            lines.append("  highpass   off")
        }
        guard let wind else {
            lines.append("  wind       off")
            return lines
        }
        for (index, track) in wind.tracks.enumerated() {
            let label = wind.tracks.count > 1
                ? "  track \(index + 1)".padding(toLength: 13, withPad: " ", startingAt: 0) : "  wind       "
            if track.gustCount == 0 && track.deepestCutDecibels < 0.05 {
                lines.append(label + "no gusts found (nothing cut)")
                continue
            }
            var text = label + String(format: "%d gust%@, %.1f %% of the take (%.1f s), deepest cut %.1f dB",
                                      track.gustCount, track.gustCount == 1 ? "" : "s", track.gustShare * 100,
                                      track.gustSeconds, track.deepestCutDecibels)
            if let mean = track.averageGustCutDecibels { text += String(format: ", %.1f dB in gusts on average", mean) }
            lines.append(text + String(format: " below %.0f Hz", wind.settings.bandHertz))
        }
        return lines
    }
}

extension WindStage: Decodable {
    static let keys = ["highpassHz", "slopeDbPerOctave", "highpassPhase", "reduceWind", "reductionLimitDb", "bandHz",
                       "channelLinking"]

    /// Decodes the JSON form (`highpassHz` a number or null for none). Missing keys take the defaults; unknown keys
    /// are refused.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Self.keys)
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        func key(_ name: String) -> AnyCodingKey { AnyCodingKey(stringValue: name) }
        self = WindStage()
        if c.contains(key("highpassHz")) {
            highpassHertz = try c.decodeIfPresent(Double.self, forKey: key("highpassHz"))
        }
        slopeDecibelsPerOctave = try c.decodeIfPresent(Int.self, forKey: key("slopeDbPerOctave"))
            ?? slopeDecibelsPerOctave
        if let text = try c.decodeIfPresent(String.self, forKey: key("highpassPhase")) {
            guard let value = RumblePhase(rawValue: text) else {
                throw PresetKeyError(message: "wind.highpassPhase \"\(text)\": use linear or minimum")
            }
            highpassPhase = value
        }
        reduceWind = try c.decodeIfPresent(Bool.self, forKey: key("reduceWind")) ?? reduceWind
        reductionDecibels = try c.decodeIfPresent(Double.self, forKey: key("reductionLimitDb")) ?? reductionDecibels
        bandHertz = try c.decodeIfPresent(Double.self, forKey: key("bandHz")) ?? bandHertz
        if let text = try c.decodeIfPresent(String.self, forKey: key("channelLinking")) {
            guard let value = WindReducerSettings.ChannelLinking(rawValue: text) else {
                throw PresetKeyError(message: "wind.channelLinking \"\(text)\": use independent or linked")
            }
            channelLinking = value
        }
    }

    /// The JSON form, every key present (a template for preset files).
    public var json: JSONValue {
        .object([
            ("highpassHz", highpassHertz.map { .number($0) } ?? .null),
            ("slopeDbPerOctave", .int(Int64(slopeDecibelsPerOctave))),
            ("highpassPhase", .string(highpassPhase.rawValue)),
            ("reduceWind", .bool(reduceWind)),
            ("reductionLimitDb", .number(reductionDecibels)),
            ("bandHz", .number(bandHertz)),
            ("channelLinking", .string(channelLinking.rawValue)),
        ])
    }
}
