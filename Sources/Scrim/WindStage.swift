import Foundation

/// When the rumble high-pass of a ``WindStage`` runs.
public enum HighpassMode: String, Sendable, Hashable, CaseIterable {
    /// Default: a pass over the input first measures the low band the voice does not explain (``RumbleDetector``),
    /// and the high-pass runs only on the tracks where rumble is found (on every track when any is found, with
    /// `linked` channels); a clean take is left as it is. A streaming chain (the C API's `scrim_chain_*`) cannot
    /// read ahead: there `auto` runs the filter as `always` does, and its report says so.
    case auto
    /// The high-pass runs on every track, with no detection pass.
    case always
}

/// Rumble and wind settings (preset key `wind`, `scrim dewind`): a Butterworth high-pass (``RumbleFilter``) and the
/// gust reducer (``WindReducer``), run in that order, after de-hum and before denoise.
public struct WindStage: Sendable, Hashable {
    /// The high-pass corner in hertz (default 80), or nil for no high-pass.
    public var highpassHertz: Double?
    /// The high-pass slope in dB per octave: 6, 12 (default), 18, … 48.
    public var slopeDecibelsPerOctave: Int
    /// The high-pass's phase: `linear` (default) or `minimum` (``RumblePhase``).
    public var highpassPhase: RumblePhase
    /// `auto` (default: only where rumble is found) or `always` (``HighpassMode``).
    public var highpassMode: HighpassMode
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
                channelLinking: WindReducerSettings.ChannelLinking = .independent,
                highpassMode: HighpassMode = .auto) {
        self.highpassMode = highpassMode
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

    /// Whether a file job measures rumble before the output is written (a high-pass in `auto` mode).
    public var detectsRumble: Bool { highpassHertz != nil && highpassMode == .auto }

    /// A detector for this stage's corner (nil when the stage does not detect: ``detectsRumble``).
    public func makeRumbleDetector() -> RumbleDetector? {
        guard detectsRumble, let corner = highpassHertz else { return nil }
        return RumbleDetector(cornerHertz: corner)
    }

    /// Fresh processors for a stream that cannot be read ahead (the C API's chains): the high-pass (if any) on
    /// every track, also in `auto` mode (the report says `streaming`), then the gust reducer (if it runs).
    public func makeProcessors() -> WindStageProcessors { makeProcessors(rumble: nil) }

    /// Fresh processors for one file: the high-pass where it applies, then the gust reducer (if it runs).
    /// - Parameter rumble: the ``RumbleDetector``'s findings per track (`auto` mode). With `independent`
    ///   channels the high-pass runs on the tracks with rumble only; with `linked` channels on every track when any
    ///   has rumble; with none found there is no high-pass at all (the output is the wind reducer's, or the input
    ///   itself). nil in `auto` mode: a stream, filtered as `always`.
    public func makeProcessors(rumble: [RumbleTrackDetection]?) -> WindStageProcessors {
        var filter: RumbleFilter?
        var decision = WindStageProcessors.Decision.always
        if let settings = rumbleSettings {
            if highpassMode == .always {
                filter = RumbleFilter(settings: settings)
            } else if let rumble {
                decision = .detected
                var tracks = rumble.map(\.found)
                if channelLinking == .linked, tracks.contains(true) { tracks = tracks.map { _ in true } }
                if tracks.contains(true) {
                    filter = RumbleFilter(settings: settings, tracks: tracks.allSatisfy { $0 } ? nil : tracks)
                }
            } else {
                decision = .streaming
                filter = RumbleFilter(settings: settings)
            }
        }
        return WindStageProcessors(rumble: filter, wind: windSettings.map { WindReducer(settings: $0) },
                                   rumbleSettings: rumbleSettings, mode: highpassMode, decision: decision,
                                   detections: rumble)
    }
}

/// The processors of one ``WindStage`` for one file, kept to read their reports after the run.
public struct WindStageProcessors {
    /// How the high-pass was decided.
    public enum Decision: String, Sendable, Hashable {
        /// `always`: every track, no detection.
        case always
        /// `auto` on a file: from the detection pass.
        case detected
        /// `auto` on a stream (no look-ahead): every track, as `always`.
        case streaming
    }

    /// The high-pass, or nil (none asked for, or no rumble found).
    public let rumble: RumbleFilter?
    /// The gust reducer, or nil.
    public let wind: WindReducer?
    /// The high-pass asked for (nil: none).
    public let rumbleSettings: RumbleFilterSettings?
    /// The high-pass mode asked for.
    public let mode: HighpassMode
    /// How the high-pass was decided.
    public let decision: Decision
    /// The detection pass's findings per track (nil without one).
    public let detections: [RumbleTrackDetection]?

    /// The stages in chain order (high-pass first: the steady rumble it removes then does not raise the wind
    /// detector's floor).
    public var stages: [any AudioProcessor] {
        (rumble.map { [$0 as any AudioProcessor] } ?? []) + (wind.map { [$0 as any AudioProcessor] } ?? [])
    }

    /// What the stage did, after the run (sample rate for the group delays: the file's).
    public func result(sampleRate: Double) -> WindStageResult {
        let highpass = rumbleSettings.map { settings -> WindStageResult.Highpass in
            let filter = rumble
            let tracks: [Bool]? = detections.map { found in
                found.indices.map { filter?.filters(channel: $0) ?? false }
            }
            return WindStageResult.Highpass(
                cornerHertz: settings.cornerHertz, slopeDecibelsPerOctave: settings.slopeDecibelsPerOctave,
                order: settings.order, phase: settings.phase, latencyFrames: filter?.latencyFrames ?? 0,
                groupDelayAtCornerSeconds: filter?.groupDelaySeconds(atHertz: settings.cornerHertz) ?? 0,
                groupDelayAtTwiceCornerSeconds: filter?.groupDelaySeconds(atHertz: 2 * settings.cornerHertz) ?? 0,
                groupDelayAt1kHzSeconds: filter?.groupDelaySeconds(atHertz: min(1000, sampleRate * 0.45)) ?? 0,
                mode: mode, decision: decision, applied: filter != nil, detections: detections,
                appliedTracks: tracks)
        }
        return WindStageResult(highpass: highpass, wind: wind?.report)
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
        /// `auto` or `always`.
        public var mode: HighpassMode
        /// How it was decided (``WindStageProcessors/Decision``).
        public var decision: WindStageProcessors.Decision
        /// Whether the filter ran on any track (the latency and group delays are 0 when not).
        public var applied: Bool
        /// The detection per track (`auto` on a file; nil otherwise).
        public var detections: [RumbleTrackDetection]?
        /// Per track, whether the filter ran on it (with ``detections``).
        public var appliedTracks: [Bool]?
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
                    ("mode", .string(h.mode.rawValue)),
                    ("decision", .string(h.decision.rawValue)),
                    ("applied", .bool(h.applied)),
                    ("detection", h.detections.map { detections in
                        .object([
                            ("thresholdDb", .number(RumbleDetector.thresholdDecibels)),
                            ("track", .array(detections.enumerated().map { index, d in
                                .object([
                                    ("track", .int(Int64(index + 1))),
                                    ("rumbleFound", .bool(d.found)),
                                    ("highpassApplied", .bool(h.appliedTracks.map { index < $0.count && $0[index] }
                                                              ?? false)),
                                    ("lowBandReVoiceDb", .rounded(d.lowBandReVoiceDecibels, places: 2)),
                                    ("lowBandInPausesDbfs", .rounded(d.lowBandInPausesDecibelsFS, places: 2)),
                                    ("pausePercent", .rounded(d.pauseShare * 100, places: 2)),
                                ])
                            })),
                        ])
                    } ?? .null),
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
        if let h = highpass, !h.applied {
            lines.append(String(format: "  highpass   not applied (%g Hz, %d dB/octave, mode auto): no rumble found",
                                h.cornerHertz, h.slopeDecibelsPerOctave))
        } else if let h = highpass {
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
        if let h = highpass {
            lines += Self.rumbleLines(h)
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

    /// The high-pass decision in words: per track, the rumble found or not and whether the filter ran.
    static func rumbleLines(_ h: Highpass) -> [String] {
        switch h.decision {
        case .always:
            return ["  rumble     not measured (high-pass mode always)"]
        case .streaming:
            return ["  rumble     not measured (a stream cannot be read ahead: high-pass mode auto runs as always)"]
        case .detected:
            break
        }
        let detections = h.detections ?? []
        return detections.enumerated().map { index, d in
            let label = detections.count > 1
                ? "  rumble \(index + 1)".padding(toLength: 13, withPad: " ", startingAt: 0) : "  rumble     "
            let applied = h.appliedTracks.map { index < $0.count && $0[index] } ?? false
            let ratio = d.lowBandReVoiceDecibels.isFinite
                ? String(format: "%.1f dB re the voice", d.lowBandReVoiceDecibels) : "nothing"
            let threshold = String(format: "threshold %.0f dB", RumbleDetector.thresholdDecibels)
            let verdict = applied ? "high-pass applied" : "high-pass not applied"
            if d.found, let level = d.lowBandInPausesDecibelsFS {
                return label + String(format: "found: %.1f dBFS below %g Hz in pauses (%.1f %% of the take), ",
                                      level, h.cornerHertz, d.pauseShare * 100) + "\(ratio) (\(threshold)); \(verdict)"
            }
            let linked = applied ? " (tracks linked)" : ""
            return label + String(format: "none: %@ below %g Hz (%@); %@%@", ratio, h.cornerHertz, threshold,
                                  verdict, linked)
        }
    }
}

extension WindStage: Decodable {
    static let keys = ["highpassHz", "highpassMode", "slopeDbPerOctave", "highpassPhase", "reduceWind",
                       "reductionLimitDb", "bandHz", "channelLinking"]

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
        if let text = try c.decodeIfPresent(String.self, forKey: key("highpassMode")) {
            guard let value = HighpassMode(rawValue: text) else {
                throw PresetKeyError(message: "wind.highpassMode \"\(text)\": use auto or always")
            }
            highpassMode = value
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
            ("highpassMode", .string(highpassMode.rawValue)),
            ("slopeDbPerOctave", .int(Int64(slopeDecibelsPerOctave))),
            ("highpassPhase", .string(highpassPhase.rawValue)),
            ("reduceWind", .bool(reduceWind)),
            ("reductionLimitDb", .number(reductionDecibels)),
            ("bandHz", .number(bandHertz)),
            ("channelLinking", .string(channelLinking.rawValue)),
        ])
    }
}

extension WindStage {
    /// The `auto` high-pass's detection pass: reads `input` once with a ``RumbleDetector`` (and `analyzers`, e.g. a
    /// progress meter) and returns its findings per track; nil when the stage does not detect (``detectsRumble``),
    /// without reading.
    public func detectRumble(
        input: String, blockFrames: Int = 8192, analyzers: [any AudioAnalyzer] = [],
        inputMeter: TrackQualityMeter? = nil, isCancelled: () -> Bool = { false },
        progress: ((_ framesDone: Int, _ frameCount: Int) -> Void)? = nil
    ) throws -> (detections: [RumbleTrackDetection], nonFiniteSamples: Int)? {
        guard let detector = makeRumbleDetector() else { return nil }
        let analysis = try FileJob.analyze(input: input, blockFrames: blockFrames, analyzers: [detector] + analyzers,
                                           inputMeter: inputMeter, isCancelled: isCancelled, progress: progress)
        detector.finish()
        return (detector.detections, analysis.nonFiniteSamples)
    }
}
