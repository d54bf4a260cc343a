import ScrimFiles

/// A problem that did not stop a job, as every envelope's `warnings` carries it:
/// `{"code": "...", "message": "...", "track": N or null}` — the shape of `error` plus the track.
///
/// `code` is stable and machine-readable (the list is in Sources/scrim/README.md and the envelope schema);
/// `message` is plain words for people, and names the track itself when there is one; `track` is the 1-based
/// track (channel) number the warning is about — track 1 is the file's first channel, as poly recorders and
/// `iXML` number them — or nil for the whole file.
public struct JobWarning: Sendable, Equatable, CustomStringConvertible {
    /// A warning's kind.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        // About the input file.
        /// Bytes after the audio that are not chunks (the file was damaged or cut after its audio).
        public static let trailingData = Code("trailingData")
        /// Metadata (bext, iXML, …) that could not be read.
        public static let metadataUnreadable = Code("metadataUnreadable")
        /// NaN, ±Inf or samples beyond ±10⁶, set to 0 (per track where known).
        public static let invalidSamples = Code("invalidSamples")
        // Per-track quality control (TrackQualityMeter).
        /// Runs of samples flattened at a ceiling (full scale or below it).
        public static let clipping = Code("clipping")
        /// A track of digital silence: every sample is 0.
        public static let deadTrack = Code("deadTrack")
        /// A track whose RMS over the whole take is under ``TrackQualityVerdict/silentTrackDecibels``.
        public static let silentTrack = Code("silentTrack")
        /// A DC offset at or above ``TrackQualityVerdict/dcOffsetDecibels``.
        public static let dcOffset = Code("dcOffset")
        /// Two tracks carrying one signal in opposite polarity (`track` is the second of the pair).
        public static let polarityInverted = Code("polarityInverted")
        // About the output.
        /// The output's encoding or sample format differs from the input's (the container cannot hold it).
        public static let formatChanged = Code("formatChanged")
        /// The input's bext could not be read: passed through unchanged, no Coding History line.
        public static let bextUnreadable = Code("bextUnreadable")
        /// Metadata the output's container cannot carry was not written.
        public static let metadataDropped = Code("metadataDropped")
        /// The limiter pulled the output more than 0.5 LU off its loudness target.
        public static let targetMissed = Code("targetMissed")
        // About the settings.
        /// A noise profile from another channel count or sample rate.
        public static let profileMismatch = Code("profileMismatch")
        /// A noise profile far from the file's own quietest half second.
        public static let profileLevelMismatch = Code("profileLevelMismatch")
        /// A `--learn` range in which the dialogue gate hears speech.
        public static let learnRangeHasSpeech = Code("learnRangeHasSpeech")
        /// `dehum --frequency F`: no hum near F.
        public static let humNotFound = Code("humNotFound")
        /// `dehum --frequency F`: stronger hum found at another frequency.
        public static let humFrequencyMismatch = Code("humFrequencyMismatch")
        // --plot.
        /// What a picture decided: tracks not shown, tracks drawn as their mean, loudness not drawn.
        public static let plotNote = Code("plotNote")
        // scrim report.
        /// A stored report, batch record or folder under `.scrim` that could not be read (the row is missing).
        public static let reportUnreadable = Code("reportUnreadable")
        // scrim batch, info, analyze, loudness over folders.
        /// A path under a folder that is not processed (the reason is the message).
        public static let skippedPath = Code("skippedPath")
    }

    public var code: Code
    /// Plain words; names the track when there is one.
    public var message: String
    /// The 1-based track number, or nil for the whole file.
    public var track: Int?

    public init(_ code: Code, _ message: String, track: Int? = nil) {
        self.code = code
        self.message = message
        self.track = track
    }

    public var description: String { message }

    /// `{"code", "message", "track"}`.
    public var json: JSONValue {
        .object([("code", .string(code.name)), ("message", .string(message)),
                 ("track", track.map { .int(Int64($0)) } ?? .null)])
    }

    /// The warnings for damage found while opening a file (``AudioFileInfo/readWarnings``).
    public static func reading(_ info: AudioFileInfo) -> [JobWarning] {
        info.readWarnings.map { JobWarning(.trailingData, $0) }
    }

    /// The warnings for an output format that had to change (``OutputFormatChoice/notes``).
    public static func formatChanges(_ notes: [String]) -> [JobWarning] {
        notes.map { JobWarning(.formatChanged, $0) }
    }
}
