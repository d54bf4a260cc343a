import Foundation

/// Makes the small before/after picture of one processed file that the HTML day report (``DayReport``) shows in
/// its row: PNG bytes, a few hundred pixels wide (the page shows it at its own size; keep it small, the page
/// embeds every picture).
///
/// `scrim batch --html` calls it once per file it processed, after the output is written, on the file's worker
/// thread (so it must be safe to call from several threads at once); the bytes are stored beside the file's
/// report as `OUTDIR/.scrim/reports/<relative output>.thumb.png`, and `scrim report` embeds what is stored.
/// A provider that throws leaves the row without a picture and the reason in the stored report
/// (`thumbnailProblem`); the file itself still counts as done.
public protocol ThumbnailProvider: Sendable {
    /// The picture for one file.
    /// - Parameters:
    ///   - input: the input file (never written).
    ///   - output: the output Scrim just wrote.
    /// - Returns: PNG bytes (they must start with the PNG signature, or they are not stored).
    func thumbnail(input: String, output: String) throws -> [UInt8]
}

/// A ``ThumbnailProvider`` made from a closure (e.g. `ThumbnailClosure { try SomePlot.thumbnail(input: $0,
/// output: $1) }`).
public struct ThumbnailClosure: ThumbnailProvider {
    private let make: @Sendable (_ input: String, _ output: String) throws -> [UInt8]

    /// Wraps `make(input, output)`.
    public init(_ make: @escaping @Sendable (_ input: String, _ output: String) throws -> [UInt8]) {
        self.make = make
    }

    public func thumbnail(input: String, output: String) throws -> [UInt8] { try make(input, output) }
}

/// The keys a batch adds to each stored per-file report (after `report` or `error`) so that the day report can be
/// rebuilt from `OUTDIR/.scrim/reports` alone: `input`, `relativeOutput`, `metadata`, `durationSeconds`,
/// `elapsedSeconds`, `finishedAt`, `thumbnail`, `thumbnailProblem` (Sources/scrim/README.md, "Stored reports").
struct StoredReportExtras {
    var input: String
    var relativeOutput: String
    /// ``metadataJSON(info:)`` of the input, when its header could be read.
    var metadata: JSONValue?
    var durationSeconds: Double?
    var elapsedSeconds: Double?
    /// The picture's file name, relative to the report's folder.
    var thumbnail: String?
    var thumbnailProblem: String?

    init(item: BatchItem, output: String) {
        input = item.input
        relativeOutput = item.relativeOutput
    }

    var pairs: [(String, JSONValue)] {
        [
            ("input", .string(SystemPath.display(input))),
            ("relativeOutput", .string(SystemPath.display(relativeOutput))),
            ("metadata", metadata ?? .null),
            ("durationSeconds", .rounded(durationSeconds, places: 3)),
            ("elapsedSeconds", .rounded(elapsedSeconds, places: 3)),
            ("finishedAt", .string(StoredReportExtras.timestamp(Date()))),
            ("thumbnail", .optional(thumbnail)),
            ("thumbnailProblem", .optional(thumbnailProblem)),
        ]
    }

    /// The picture's path for the report at `reportPath` (`NAME.json` → `NAME.thumb.png`).
    static func thumbnailPath(reportPath: String) -> String {
        (reportPath.hasSuffix(".json") ? String(reportPath.dropLast(5)) : reportPath) + ".thumb.png"
    }

    /// Removes a stored picture (a failed redo must not keep the picture of an earlier success).
    static func removeThumbnail(reportPath: String) {
        let path = thumbnailPath(reportPath: reportPath)
        guard FileSystem.kind(of: path, followingLinks: false) == .regular else { return }
        _ = SystemPath.withCString(path) { unlink($0) }
    }

    /// Asks `provider` for the picture and stores it atomically beside the report; a failure is recorded in
    /// `thumbnailProblem` (and any older picture removed).
    mutating func storeThumbnail(provider: any ThumbnailProvider, reportPath: String, input: String, output: String,
                                 isCancelled: () -> Bool) {
        let path = Self.thumbnailPath(reportPath: reportPath)
        do {
            let bytes = try provider.thumbnail(input: input, output: output)
            guard bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
                throw ScrimError(.invalidState, "the picture is not a PNG")
            }
            try BatchRunner.createFolder(for: path)
            try FileSystem.writeAtomically(bytes, to: path, overwrite: true)
            thumbnail = Temporaries.split(path).name
        } catch {
            Self.removeThumbnail(reportPath: reportPath)
            thumbnailProblem = "\(error)"
        }
    }

    /// What the day report shows of a file's production metadata, from its header: `sampleRate`, `channelCount`,
    /// `durationSeconds`, `timecode`, `timecodeRate`, `timeOfDay`, `project`, `scene`, `take`, `tape`, `circled`,
    /// `trackNames` (as `scrim info --json` names them).
    static func metadataJSON(info: AudioFileInfo) -> JSONValue {
        let metadata = ProductionMetadata(info: info)
        let ixml = metadata.ixml
        return .object([
            ("sampleRate", .int(Int64(info.sampleRate))),
            ("channelCount", .int(Int64(info.channelCount))),
            ("durationSeconds", .rounded(info.duration, places: 3)),
            ("timecode", .optional(metadata.timecode?.description)),
            ("timecodeRate", .optional(metadata.timecodeRate?.description)),
            ("timeOfDay", .optional(metadata.timeOfDay(sampleRate: info.sampleRate))),
            ("project", .optional(ixml?.project)),
            ("scene", .optional(ixml?.scene)),
            ("take", .optional(ixml?.take)),
            ("tape", .optional(ixml?.tape)),
            ("circled", ixml?.circled.map { .bool($0) } ?? .null),
            ("trackNames", .array((0..<info.channelCount).map { .optional(metadata.trackName(forChannel: $0)) })),
        ])
    }

    /// `2026-12-07T02:43:06Z`: UTC, whole seconds.
    static func timestamp(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }
}

/// The record a batch run leaves in `OUTDIR/.scrim/batches/` (`all.json`, or `shard-I-of-N.json` for `--shard`),
/// replaced by the next run of the same shard: how the run ended and each file's status in it. ``DayReport`` reads
/// it for what the per-file reports cannot say: which files were up to date, the files refused before any work
/// (`outputExists`: no per-file report is written for them), and the run's wall-clock time (× real time).
public enum BatchRecord {
    /// The folder under the output folder.
    public static let folderName = ".scrim/batches"

    /// The record's path for a run (`shard`: index and count, or nil for the whole plan).
    public static func path(outputFolder: String, shard: (index: Int, count: Int)?) -> String {
        outputFolder + "/" + folderName + "/"
            + (shard.map { "shard-\($0.index)-of-\($0.count)" } ?? "all") + ".json"
    }

    /// The record as JSON: `finishedAt`, `shard` (`I/N` or null), `scrimVersion`, the summary's counts and times
    /// (`preset`, `presetFingerprint`, `files`, `done`, `upToDate`, `failed`, `notFinished`, `interrupted`,
    /// `audioSeconds`, `elapsedSeconds`, `realTimeFactor`), and `outcomes`: `input`, `relativeOutput`, `status`
    /// (as the `file` event's), `reason`, `error`, `durationSeconds`, per file in plan order.
    public static func json(_ summary: BatchSummary, shard: (index: Int, count: Int)?, finishedAt: Date = Date())
        -> JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("finishedAt", .string(StoredReportExtras.timestamp(finishedAt))),
            ("shard", .optional(shard.map { "\($0.index)/\($0.count)" })),
            ("scrimVersion", .string(scrimVersion)),
        ]
        if case .object(let all)? = summary.json(includingFiles: false)["summary"] {
            let kept: Set<String> = ["preset", "presetFingerprint", "files", "done", "upToDate", "failed",
                                     "notFinished", "interrupted", "audioSeconds", "elapsedSeconds", "realTimeFactor"]
            pairs += all.filter { kept.contains($0.0) }
        }
        pairs.append(("outcomes", .array(summary.outcomes.map { outcome in
            .object([
                ("input", .string(SystemPath.display(outcome.item.input))),
                ("relativeOutput", .string(SystemPath.display(outcome.item.relativeOutput))),
                ("status", .string(outcome.jobStatus.rawValue)),
                ("reason", .optional(outcome.reason)),
                ("error", outcome.error ?? .null),
                ("durationSeconds", outcome.durationSeconds > 0 ? .rounded(outcome.durationSeconds, places: 3)
                    : .null),
            ])
        })))
        return .object(pairs)
    }

    /// Writes the run's record atomically (replacing the last run's of the same shard).
    /// - Throws: ``AudioFileError`` when it cannot be written.
    public static func write(_ summary: BatchSummary, outputFolder: String, shard: (index: Int, count: Int)?)
        throws {
        let path = path(outputFolder: outputFolder, shard: shard)
        try BatchRunner.createFolder(for: path)
        try FileSystem.writeAtomically(Array((json(summary, shard: shard).serialized(pretty: true) + "\n").utf8),
                                       to: path, overwrite: true)
    }
}
