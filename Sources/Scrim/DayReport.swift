import Foundation

/// The HTML report of a shoot day: every file a batch wrote into one output folder, read back from what the batch
/// stored there (`OUTDIR/.scrim/reports`, `OUTDIR/.scrim/batches`), rendered as one self-contained page.
///
/// `scrim batch … --html FILE` and `scrim report OUTDIR --html FILE` both build it with ``load(outputFolder:)``, so
/// they show the same rows. The page needs nothing but itself (no network, no external script, font or style; a
/// Content-Security-Policy forbids any fetch): a summary (files done, up to date, failed; hours of audio; × real
/// time of the last run; warnings by kind), then one row per file (scene, take, tape and track names from iXML,
/// timecode, duration, loudness, hum, noise floor, gain and limiter, warnings and failures, the before/after
/// picture). Columns sort on a click; a check box keeps only the files with problems. Pictures are kept as data in
/// a JSON block and made into images only when their row comes near the viewport, so a page of 1,000 files opens
/// at once. Every string that comes from a file or a report goes through ``escape(_:)``.
public struct DayReport: Sendable {
    /// How a file stands in the report.
    public enum Status: String, Sendable, CaseIterable {
        /// Processed (by the last run that touched it).
        case done
        /// Complete and current: the last run left it as it was.
        case upToDate
        /// Failed; ``Row/error`` says why.
        case failed
        /// Stopped by an interrupt before it finished; nothing was written.
        case notFinished

        /// As people read it.
        public var label: String {
            switch self {
            case .done: "done"
            case .upToDate: "up to date"
            case .failed: "failed"
            case .notFinished: "not finished"
            }
        }
    }

    /// A problem that did not stop a file. Read from a warning string (code `other`) or from an object
    /// `{"code", "message", "track"}`.
    public struct Warning: Sendable, Equatable {
        /// A short camelCase kind (`clipping`, `deadTrack`, `dcOffset`, `invalidSamples`, …; `other` for a
        /// warning given as plain text).
        public var code: String
        /// What is wrong, for people.
        public var message: String
        /// The track concerned, as the warning gives it (a number or a name), if any.
        public var track: String?

        public init(code: String, message: String, track: String? = nil) {
            self.code = code
            self.message = message
            self.track = track
        }

        /// Reads one element of a report's `warnings` (a string, or an object with `code`, `message`, `track`);
        /// nil for anything else.
        public init?(json: Any) {
            if let text = json as? String {
                self.init(code: "other", message: text)
                return
            }
            guard let object = json as? [String: Any] else { return nil }
            let code = (object["code"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? "other"
            let message = object["message"] as? String ?? ""
            var track: String?
            if let name = object["track"] as? String {
                track = name
            } else if let number = object["track"] as? NSNumber {
                track = number.stringValue
            }
            self.init(code: code, message: message, track: track)
        }
    }

    /// One file.
    public struct Row: Sendable {
        /// The output's path under the output folder (non-UTF-8 bytes as `\xNN`).
        public var relativeOutput: String
        /// The input's path, as the batch was given it.
        public var input: String?
        public var status: Status
        /// Why the last run (re)did or skipped it (`no output yet`, `up to date`, `input changed`, …).
        public var reason: String?
        /// When its stored report was written (`2026-12-07T02:43:06Z`).
        public var finishedAt: String?
        public var project: String?
        public var scene: String?
        public var take: String?
        public var tape: String?
        public var circled: Bool?
        /// iXML track names, one per channel (nil where a track has none).
        public var trackNames: [String?] = []
        public var channelCount: Int?
        public var sampleRate: Int?
        /// Start timecode `HH:MM:SS:FF`, and its rate (`24000/1001`).
        public var timecode: String?
        public var timecodeRate: String?
        /// The input's length, seconds.
        public var durationSeconds: Double?
        /// Wall-clock seconds the batch spent on it.
        public var elapsedSeconds: Double?
        /// The loudness the gain was solved from (after de-hum and denoise, before the gain), LUFS.
        public var loudnessBeforeLufs: Double?
        /// The output's loudness measured the same way, LUFS.
        public var loudnessAfterLufs: Double?
        /// Whether the loudness is the dialogue's (dialogue-gated) rather than the programme's.
        public var dialogueGated: Bool?
        public var gainDb: Double?
        /// Whether the true-peak limiter reduced any frame, and how much of the file.
        public var limiterEngaged: Bool?
        public var limitedPercent: Double?
        public var deepestReductionDb: Double?
        public var truePeakAfterDbtp: Double?
        /// The de-hum stage ran (nil: no de-hum stage, or nothing known).
        public var dehumRan: Bool = false
        /// A hum was found (detection), its fundamental, and the harmonics removed.
        public var humFound: Bool?
        public var humHz: Double?
        public var humHarmonicsRemoved: Int?
        /// Denoise's noise floor estimate before and after, dBFS.
        public var noiseFloorBeforeDbfs: Double?
        public var noiseFloorAfterDbfs: Double?
        public var warnings: [Warning] = []
        /// The failure: `code` and `message`.
        public var error: (code: String, message: String)?
        /// The stored before/after picture (PNG bytes).
        public var picture: [UInt8]?
        /// Why there is no picture, when the batch tried to make one.
        public var pictureProblem: String?

        public init(relativeOutput: String, status: Status) {
            self.relativeOutput = relativeOutput
            self.status = status
        }

        /// Failed, not finished, or with warnings: kept by the page's "only files with problems".
        public var hasProblems: Bool { status == .failed || status == .notFinished || !warnings.isEmpty }
    }

    /// What the page's summary says.
    public struct Summary: Sendable, Equatable {
        public var files = 0
        public var done = 0
        public var upToDate = 0
        public var failed = 0
        public var notFinished = 0
        /// Seconds of audio in the files done or up to date.
        public var audioSeconds = 0.0
        /// Warnings by code, most frequent first (ties by code).
        public var warningsByCode: [(code: String, count: Int)] = []
        /// Files with a problem (``Row/hasProblems``).
        public var filesWithProblems = 0

        public static func == (lhs: Summary, rhs: Summary) -> Bool {
            lhs.files == rhs.files && lhs.done == rhs.done && lhs.upToDate == rhs.upToDate
                && lhs.failed == rhs.failed && lhs.notFinished == rhs.notFinished && lhs.audioSeconds == rhs.audioSeconds
                && lhs.filesWithProblems == rhs.filesWithProblems
                && lhs.warningsByCode.map(\.code) == rhs.warningsByCode.map(\.code)
                && lhs.warningsByCode.map(\.count) == rhs.warningsByCode.map(\.count)
        }
    }

    /// The last batch run (or runs, one per shard) recorded in the folder.
    public struct LastRun: Sendable {
        /// When the (latest) run finished.
        public var finishedAt: String?
        /// Seconds of audio processed and wall-clock seconds, summed over the records.
        public var audioSeconds: Double
        public var elapsedSeconds: Double
        /// Presets named by the records.
        public var presets: [String]
        /// Audio seconds per wall-clock second (nil when nothing was processed).
        public var realTimeFactor: Double? { elapsedSeconds > 0 && audioSeconds > 0 ? audioSeconds / elapsedSeconds : nil }
    }

    /// The output folder the report is about.
    public var outputFolder: String
    /// The rows, sorted by output path.
    public var rows: [Row]
    /// The batch records read (nil when there was none).
    public var lastRun: LastRun?
    /// Stored files that could not be read (each a path and the reason); shown on the page.
    public var problems: [String] = []
    /// When the page was made (UTC).
    public var generatedAt: String

    /// Builds a report from rows (tests, other front ends).
    public init(outputFolder: String, rows: [Row], lastRun: LastRun? = nil, problems: [String] = [],
                generatedAt: Date = Date()) {
        self.outputFolder = outputFolder
        self.rows = rows
        self.lastRun = lastRun
        self.problems = problems
        self.generatedAt = StoredReportExtras.timestamp(generatedAt)
    }

    /// `scrim report --json`'s `report` object and `batch --html`'s `dayReport`: `files`, `done`, `upToDate`,
    /// `failed`, `notFinished`, `filesWithProblems`, `audioSeconds`, `realTimeFactor` (the last run's; null without
    /// a batch record or when it processed nothing), `warningsByCode` (`code`, `count`), `pictures` (rows with one).
    public var summaryJSON: JSONValue {
        let summary = summary
        return .object([
            ("files", .int(Int64(summary.files))),
            ("done", .int(Int64(summary.done))),
            ("upToDate", .int(Int64(summary.upToDate))),
            ("failed", .int(Int64(summary.failed))),
            ("notFinished", .int(Int64(summary.notFinished))),
            ("filesWithProblems", .int(Int64(summary.filesWithProblems))),
            ("audioSeconds", .rounded(summary.audioSeconds, places: 3)),
            ("realTimeFactor", .rounded(lastRun?.realTimeFactor, places: 1)),
            ("warningsByCode", .array(summary.warningsByCode.map {
                .object([("code", .string($0.code)), ("count", .int(Int64($0.count)))])
            })),
            ("pictures", .int(Int64(rows.filter { $0.picture != nil }.count))),
        ])
    }

    /// The summary of ``rows``.
    public var summary: Summary {
        var summary = Summary()
        var counts: [String: Int] = [:]
        for row in rows {
            summary.files += 1
            switch row.status {
            case .done: summary.done += 1
            case .upToDate: summary.upToDate += 1
            case .failed: summary.failed += 1
            case .notFinished: summary.notFinished += 1
            }
            if row.status == .done || row.status == .upToDate { summary.audioSeconds += row.durationSeconds ?? 0 }
            if row.hasProblems { summary.filesWithProblems += 1 }
            for warning in row.warnings { counts[warning.code, default: 0] += 1 }
        }
        summary.warningsByCode = counts.map { (code: $0.key, count: $0.value) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.code < $1.code }
        return summary
    }

    // MARK: - Reading a folder

    /// Reads what batches stored in `outputFolder`: every per-file report under `.scrim/reports` (with its picture)
    /// and every batch record under `.scrim/batches`.
    ///
    /// A file's row comes from its stored report; a batch record that names the file and finished after that
    /// report was written sets its status (`upToDate`: the run left it as it was) and, for a file refused before
    /// any work (`outputExists`: no report is stored for it) or not finished, adds the row. Stored files that cannot
    /// be read are listed in ``problems``, never skipped in silence.
    /// - Throws: ``ScrimError`` `.configuration` when the folder does not exist or is not a folder, or holds no
    ///   stored report and no batch record (the message says to run `scrim batch … -o FOLDER` first).
    public static func load(outputFolder: String) throws -> DayReport {
        guard let kind = FileSystem.kind(of: outputFolder) else {
            throw ScrimError(.configuration, "\(SystemPath.display(outputFolder)): no such folder")
        }
        guard kind == .directory else {
            throw ScrimError(.configuration, "\(SystemPath.display(outputFolder)) is \(kind), not a batch's output "
                             + "folder")
        }
        let base = outputFolder.count > 1 && outputFolder.hasSuffix("/") ? String(outputFolder.dropLast())
            : outputFolder
        var problems: [String] = []
        var rows: [String: Row] = [:]
        let reportsFolder = base + "/" + BatchPlan.reportFolderName
        var reportFiles: [String] = []
        if FileSystem.kind(of: reportsFolder) == .directory {
            collect(folder: reportsFolder, relative: "", suffix: ".json", into: &reportFiles, problems: &problems)
        }
        for relative in reportFiles.sorted() {
            let path = reportsFolder + "/" + relative
            do {
                let document = try readObject(path)
                var row = try Self.row(stored: document, relativeOutput: String(relative.dropLast(5)))
                if document["thumbnail"] is String {
                    // Always beside the report under its own name (the stored name shows a non-UTF-8 byte as \xNN).
                    let picturePath = StoredReportExtras.thumbnailPath(reportPath: path)
                    do {
                        row.picture = try FileSystem.contents(of: picturePath, maximumBytes: 8 << 20)
                    } catch {
                        problems.append("\(SystemPath.display(picturePath)): \(error.reason)")
                    }
                }
                rows[row.relativeOutput] = row
            } catch {
                problems.append("\(SystemPath.display(path)): \(error)")
            }
        }
        var records: [[String: Any]] = []
        let recordsFolder = base + "/" + BatchRecord.folderName
        if FileSystem.kind(of: recordsFolder) == .directory, case .success(let names) = FileSystem.entries(of: recordsFolder) {
            for name in names.sorted() where name.hasSuffix(".json") && !name.hasPrefix(".") {
                do {
                    records.append(try readObject(recordsFolder + "/" + name))
                } catch {
                    problems.append("\(SystemPath.display(recordsFolder + "/" + name)): \(error)")
                }
            }
        }
        records.sort { ($0["finishedAt"] as? String ?? "") < ($1["finishedAt"] as? String ?? "") }
        if rows.isEmpty && records.isEmpty {
            throw ScrimError(.configuration, "\(SystemPath.display(outputFolder)) holds no Scrim batch reports "
                             + "(nothing in \(BatchPlan.reportFolderName) or \(BatchRecord.folderName)): run "
                             + "scrim batch … -o \(SystemPath.display(outputFolder)) first")
        }
        var lastRun: LastRun?
        for record in records {
            let finished = record["finishedAt"] as? String ?? ""
            var run = lastRun ?? LastRun(finishedAt: nil, audioSeconds: 0, elapsedSeconds: 0, presets: [])
            run.finishedAt = max(run.finishedAt ?? "", finished)
            run.audioSeconds += number(record["audioSeconds"]) ?? 0
            run.elapsedSeconds += number(record["elapsedSeconds"]) ?? 0
            if let preset = record["preset"] as? String, !run.presets.contains(preset) { run.presets.append(preset) }
            lastRun = run
            for case let outcome as [String: Any] in record["outcomes"] as? [Any] ?? [] {
                guard let relative = outcome["relativeOutput"] as? String,
                      let status = outcome["status"] as? String else { continue }
                let stored = rows[relative]
                // A stored report written after this run knows better.
                if let stored, let written = stored.finishedAt, written > finished { continue }
                var row: Row
                switch status {
                case "upToDate":
                    guard var current = stored, current.status == .done else { continue }
                    current.status = .upToDate
                    row = current
                case "failed":
                    row = stored ?? Row(relativeOutput: relative, status: .failed)
                    row.status = .failed
                    if let error = outcome["error"] as? [String: Any] {
                        row.error = (error["code"] as? String ?? "error", error["message"] as? String ?? "")
                    }
                case "skipped":
                    // Interrupted before it finished: an older result, if any, still stands.
                    row = stored ?? Row(relativeOutput: relative, status: .notFinished)
                default:
                    guard let current = stored else { continue }
                    row = current
                }
                if let reason = outcome["reason"] as? String { row.reason = reason }
                if row.input == nil { row.input = outcome["input"] as? String }
                if row.durationSeconds == nil { row.durationSeconds = number(outcome["durationSeconds"]) }
                rows[relative] = row
            }
        }
        return DayReport(outputFolder: base, rows: rows.values.sorted { $0.relativeOutput < $1.relativeOutput },
                         lastRun: lastRun, problems: problems)
    }

    /// The row a stored per-file report describes.
    static func row(stored document: [String: Any], relativeOutput fallback: String) throws -> Row {
        guard let status = document["status"] as? String, status == "done" || status == "failed" else {
            throw ScrimError(.invalidDocument, "not a Scrim batch report (no status done or failed)")
        }
        let relative = document["relativeOutput"] as? String ?? SystemPath.display(fallback)
        var row = Row(relativeOutput: relative, status: status == "done" ? .done : .failed)
        let envelope = document["report"] as? [String: Any]
        let process = envelope?["process"] as? [String: Any]
        let file = envelope?["file"] as? [String: Any]
        row.input = document["input"] as? String ?? envelope?["input"] as? String
        row.finishedAt = document["finishedAt"] as? String
        if let metadata = document["metadata"] as? [String: Any] {
            row.project = metadata["project"] as? String
            row.scene = metadata["scene"] as? String
            row.take = metadata["take"] as? String
            row.tape = metadata["tape"] as? String
            row.circled = metadata["circled"] as? Bool
            row.trackNames = (metadata["trackNames"] as? [Any] ?? []).map { $0 as? String }
            row.channelCount = number(metadata["channelCount"]).map { Int($0) }
            row.sampleRate = number(metadata["sampleRate"]).map { Int($0) }
            row.timecode = metadata["timecode"] as? String
            row.timecodeRate = metadata["timecodeRate"] as? String
            row.durationSeconds = number(metadata["durationSeconds"])
        }
        row.durationSeconds = number(document["durationSeconds"]) ?? number(file?["durationSeconds"])
            ?? row.durationSeconds
        row.elapsedSeconds = number(document["elapsedSeconds"]) ?? number(process?["elapsedSeconds"])
        if let loudness = process?["loudness"] as? [String: Any] {
            row.loudnessBeforeLufs = number(loudness["measuredLoudnessLufs"])
            row.loudnessAfterLufs = number(loudness["afterLoudnessLufs"])
            row.dialogueGated = loudness["dialogueGating"] as? Bool
            row.gainDb = number(loudness["gainDb"])
            row.truePeakAfterDbtp = number(loudness["afterTruePeakDbtp"])
            if let limiter = loudness["limiter"] as? [String: Any] {
                row.limiterEngaged = limiter["engaged"] as? Bool
                row.limitedPercent = number(limiter["limitedPercent"])
                row.deepestReductionDb = number(limiter["deepestReductionDb"])
            }
        }
        if let dehum = process?["dehum"] as? [String: Any] {
            row.dehumRan = true
            let detection = dehum["detection"] as? [String: Any]
            let removed = (dehum["removedHarmonics"] as? [Any])?.count
            row.humHarmonicsRemoved = removed
            row.humHz = number(dehum["removedFundamentalHz"])
            if let detection {
                row.humFound = detection["present"] as? Bool
                if row.humHz == nil, row.humFound == true { row.humHz = number(detection["fundamentalHz"]) }
            } else {
                // A fixed frequency: nothing was searched for; it was removed when harmonics were.
                row.humFound = (removed ?? 0) > 0
            }
        }
        if let denoise = process?["denoise"] as? [String: Any] {
            row.noiseFloorBeforeDbfs = number(denoise["noiseFloorBeforeDbfs"])
            row.noiseFloorAfterDbfs = number(denoise["noiseFloorAfterDbfs"])
        }
        row.warnings = (envelope?["warnings"] as? [Any] ?? []).compactMap(Warning.init(json:))
        if let error = document["error"] as? [String: Any] {
            row.error = (error["code"] as? String ?? "error", error["message"] as? String ?? "")
        }
        row.pictureProblem = document["thumbnailProblem"] as? String
        return row
    }

    /// Every `*suffix` file below `folder` (relative paths); unreadable folders go to `problems`.
    private static func collect(folder: String, relative: String, suffix: String, into files: inout [String],
                                problems: inout [String]) {
        switch FileSystem.entries(of: folder) {
        case .failure(let failure):
            problems.append("\(SystemPath.display(folder)): cannot read this folder (\(failure.message))")
        case .success(let names):
            for name in names where !name.hasPrefix(".") {
                let path = folder + "/" + name
                let key = relative.isEmpty ? name : relative + "/" + name
                switch FileSystem.kind(of: path, followingLinks: false) {
                case .directory: collect(folder: path, relative: key, suffix: suffix, into: &files, problems: &problems)
                case .regular where name.hasSuffix(suffix): files.append(key)
                default: break
                }
            }
        }
    }

    /// A JSON object from a small file.
    private static func readObject(_ path: String) throws -> [String: Any] {
        let bytes = try FileSystem.contents(of: path, maximumBytes: 16 << 20)
        guard let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw ScrimError(.invalidDocument, "not a JSON object")
        }
        return object
    }

    /// A JSON number as a Double (nil for null, strings and anything else; on Linux a JSON number 0 or 1 also reads
    /// as a Bool, so booleans cannot be told apart here: only number keys are read with it).
    static func number(_ value: Any?) -> Double? {
        guard let value, let number = value as? NSNumber else { return nil }
        let double = number.doubleValue
        return double.isFinite ? double : nil
    }
}

// MARK: - Writing the page

extension DayReport {
    /// The tag every day report carries in its `<head>`: a file that has it was written by Scrim and may be
    /// replaced by the next report; any other file at the destination is refused unless `--overwrite`.
    public static let generatorMarker = "<meta name=\"generator\" content=\"Scrim day report\">"

    /// Checks a destination for the page before any work: the extension (`.html` or `.htm`), and what stands
    /// there (nothing, or a regular file that is a Scrim day report, or any regular file with `overwrite`).
    /// - Throws: ``ScrimError`` `.configuration` for the extension or a folder that does not exist;
    ///   ``AudioFileError`` `notAFile` (a folder, a FIFO, a link) or `outputExists` (a file Scrim did not write)
    ///   naming the path.
    public static func checkDestination(_ path: String, overwrite: Bool) throws {
        let name = Temporaries.split(path).name.lowercased()
        guard name.hasSuffix(".html") || name.hasSuffix(".htm"), name != ".html", name != ".htm" else {
            throw ScrimError(.configuration, "\(SystemPath.display(path)): the day report is an HTML page; name it "
                             + "NAME.html or NAME.htm")
        }
        let folder = Temporaries.split(path).folder
        if !folder.isEmpty, FileSystem.kind(of: folder) != .directory {
            throw ScrimError(.configuration, "\(SystemPath.display(path)): the folder \(SystemPath.display(folder)) "
                             + "does not exist")
        }
        guard let kind = FileSystem.kind(of: path, followingLinks: false) else { return }
        guard kind == .regular else {
            throw AudioFileError(.notAFile, path: path,
                                 reason: "the destination is \(kind); Scrim only ever replaces regular files")
        }
        if overwrite || isScrimReport(path) { return }
        throw AudioFileError(.outputExists, path: path, reason: "a file Scrim did not write is there (it is not a "
                             + "Scrim day report); pass --overwrite to replace it, or choose another name")
    }

    /// Whether the file at `path` is a day report Scrim wrote (its first 4 KiB hold ``generatorMarker``).
    public static func isScrimReport(_ path: String) -> Bool {
        let fd = SystemPath.withCString(path) { open($0, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 4096)
        let count = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        return String(decoding: head.prefix(count), as: UTF8.self).contains(generatorMarker)
    }

    /// Writes the page atomically (a temporary beside it, then rename), after ``checkDestination(_:overwrite:)``.
    /// - Throws: as ``checkDestination(_:overwrite:)``, and ``AudioFileError`` when it cannot be written.
    public func write(to path: String, overwrite: Bool) throws {
        try Self.checkDestination(path, overwrite: overwrite)
        try FileSystem.writeAtomically(Array(html().utf8), to: path, overwrite: true)
    }

    /// Text for HTML: `&`, `<`, `>`, `"` and `'` as character references, a path's non-UTF-8 bytes as `\xNN`
    /// (``SystemPath/display(_:)``). Safe in element content and in quoted attribute values. Every string the
    /// page shows goes through here.
    public static func escape(_ text: String) -> String {
        let shown = SystemPath.display(text)
        guard shown.contains(where: { "&<>\"'".contains($0) }) else { return shown }
        var out = ""
        out.reserveCapacity(shown.utf8.count + 16)
        for character in shown {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// JSON text safe inside a `<script>` element: `<`, `>` and `&` as `\u003c`, `\u003e`, `\u0026` (so neither
    /// `</script>` nor `<!--` can appear), U+2028 and U+2029 as `\u2028`, `\u2029`. Those characters can only
    /// occur inside JSON strings, where the escapes mean the same characters.
    public static func scriptJSON(_ value: JSONValue) -> String { scriptJSON(text: value.serialized()) }

    /// ``scriptJSON(_:)`` for JSON text already serialised.
    static func scriptJSON(text: String) -> String {
        // Fast path (a page's pictures are megabytes of base64): none of the five characters is there. U+2028 and
        // U+2029 are E2 80 A8 / E2 80 A9 in UTF-8.
        guard text.utf8.contains(where: { $0 == 0x3C || $0 == 0x3E || $0 == 0x26 || $0 == 0xE2 }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "<": out.append(contentsOf: "\\u003c".unicodeScalars)
            case ">": out.append(contentsOf: "\\u003e".unicodeScalars)
            case "&": out.append(contentsOf: "\\u0026".unicodeScalars)
            case "\u{2028}": out.append(contentsOf: "\\u2028".unicodeScalars)
            case "\u{2029}": out.append(contentsOf: "\\u2029".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// The columns, in order: heading, sort type (`text`, `num`, or nil: not sortable), and a tooltip.
    static let columns: [(title: String, sort: String?, help: String)] = [
        ("#", "num", "order by output path"),
        ("File", "text", "the output's path under the output folder; hover for the input"),
        ("Status", "text", "done, up to date (left as it was by the last run), failed, not finished"),
        ("Scene", "text", "iXML SCENE"),
        ("Take", "text", "iXML TAKE (● circled)"),
        ("Tape", "text", "iXML TAPE"),
        ("Tracks", "text", "iXML track names, one per channel"),
        ("Timecode", "text", "start timecode from bext TimeReference and the iXML rate"),
        ("Duration", "num", "length of the input"),
        ("Loudness LUFS", "num", "before the gain (after de-hum and denoise) → the output; sorted by the output"),
        ("Hum", "num", "the mains hum found and the harmonics removed; sorted by frequency"),
        ("Noise dBFS", "num", "denoise's noise floor estimate before → after; sorted by after"),
        ("Gain / limiter", "num", "the loudness stage's gain, and whether the true-peak limiter touched the file"),
        ("Warnings / failure", "num", "problems that did not stop the file, or why it failed; sorted by count"),
        ("Before / after", nil, "the stored spectrogram picture"),
    ]

    /// The page: one self-contained HTML document.
    public func html() -> String {
        let summary = summary
        /// Data URIs (`data:image/png;base64,…`: ASCII letters, digits, `+/=:;,`; nothing JSON must escape).
        var pictures: [String] = []
        var out = ""
        out.reserveCapacity(4096 + rows.count * 1500 + rows.reduce(0) { $0 + ($1.picture?.count ?? 0) * 4 / 3 })
        let folderName = Temporaries.split(outputFolder).name
        out += """
            <!DOCTYPE html>
            <html lang="en"><head>
            <meta charset="utf-8">
            \(Self.generatorMarker)
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; \
            style-src 'unsafe-inline'; script-src 'unsafe-inline'">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Scrim day report: \(Self.escape(folderName))</title>
            <script>\(Self.errorScript)</script>
            <style>\(Self.style)</style>
            </head><body>
            <header><h1>Day report: \(Self.escape(folderName))</h1>
            <p class="where">\(Self.escape(outputFolder)) · made \(Self.escape(generatedAt)) by Scrim \
            \(Self.escape(scrimVersion))</p></header>
            <pre id="scrim-errors" hidden></pre>

            """
        out += summaryHTML(summary)
        out += "<div class=\"controls\"><label><input type=\"checkbox\" id=\"only-problems\"> only files with "
            + "problems (\(summary.filesWithProblems))</label> <span id=\"shown\">\(rows.count) of \(rows.count) "
            + "files shown</span></div>\n"
        out += "<table id=\"files\"><thead><tr>"
        for (index, column) in Self.columns.enumerated() {
            if let sort = column.sort {
                out += "<th data-col=\"\(index)\" data-type=\"\(sort)\" title=\"\(Self.escape(column.help))\" "
                    + "aria-sort=\"none\"><button type=\"button\">\(Self.escape(column.title))</button></th>"
            } else {
                out += "<th title=\"\(Self.escape(column.help))\">\(Self.escape(column.title))</th>"
            }
        }
        out += "</tr></thead>\n<tbody>\n"
        for (index, row) in rows.enumerated() {
            out += rowHTML(row, index: index, pictures: &pictures)
        }
        out += "</tbody></table>\n"
        if rows.isEmpty { out += "<p class=\"empty\">No files.</p>\n" }
        // The page's script first, so that the rows work before the pictures' data (the bulk of a large page) has
        // been read; the pictures are made once the whole document is in.
        out += "<script>" + Self.pageScript + "</script>\n<script type=\"application/json\" id=\"scrim-pictures\">"
        out += Self.scriptJSON(text: "[" + pictures.map { "\"" + $0 + "\"" }.joined(separator: ",") + "]")
        out += "</script>\n</body></html>\n"
        return out
    }

    private func summaryHTML(_ summary: Summary) -> String {
        var out = "<section class=\"summary\" id=\"summary\">\n<div class=\"counts\">"
        func count(_ value: Int, _ label: String, _ key: String) {
            out += "<div class=\"count \(key)\" data-count=\"\(key)\"><b>\(value)</b> \(label)</div>"
        }
        count(summary.files, "files", "files")
        count(summary.done, "done", "done")
        count(summary.upToDate, "up to date", "upToDate")
        count(summary.failed, "failed", "failed")
        if summary.notFinished > 0 { count(summary.notFinished, "not finished", "notFinished") }
        out += "</div>\n<p class=\"audio\">" + String(format: "%.2f h", summary.audioSeconds / 3600)
            + " of audio (" + Self.clock(summary.audioSeconds) + ")"
        if let run = lastRun {
            if let factor = run.realTimeFactor {
                out += " · last run " + String(format: "%.0f× real time", factor) + " ("
                    + Self.clock(run.audioSeconds) + " of audio processed in " + Self.clock(run.elapsedSeconds) + ")"
            } else {
                out += " · last run processed no audio"
            }
            if let finished = run.finishedAt, !finished.isEmpty { out += ", finished " + Self.escape(finished) }
            if !run.presets.isEmpty {
                out += " · preset " + run.presets.map(Self.escape).joined(separator: ", ")
            }
        } else {
            out += " · no batch record in this folder (× real time unknown)"
        }
        out += "</p>\n<div class=\"kinds\"><span>Warnings by kind:</span> "
        if summary.warningsByCode.isEmpty {
            out += "<span class=\"none\">none</span>"
        } else {
            out += summary.warningsByCode.map {
                "<span class=\"kind\" data-code=\"\(Self.escape($0.code))\">\(Self.escape($0.code)) <b>\($0.count)</b>"
                    + "</span>"
            }.joined(separator: " ")
        }
        out += "</div>\n"
        if !problems.isEmpty {
            out += "<details class=\"problems\" open><summary>\(problems.count) stored file"
                + (problems.count == 1 ? "" : "s") + " could not be read</summary><ul>"
                + problems.map { "<li>\(Self.escape($0))</li>" }.joined() + "</ul></details>\n"
        }
        return out + "</section>\n"
    }

    private func rowHTML(_ row: Row, index: Int, pictures: inout [String]) -> String {
        /// A cell: `text` escaped (a dash when nil), then `suffix` (markup made here, never from a file).
        func cell(_ text: String?, sort: String? = nil, classes: String? = nil, suffix: String = "") -> String {
            var out = "<td"
            if let classes { out += " class=\"\(classes)\"" }
            if let sort { out += " data-v=\"\(Self.escape(sort))\"" }
            return out + ">" + (text.map(Self.escape) ?? "<span class=\"na\">–</span>") + suffix + "</td>"
        }
        func db(_ value: Double?) -> String? { value.map { String(format: "%.1f", $0) } }
        func arrow(_ before: Double?, _ after: Double?) -> String? {
            guard before != nil || after != nil else { return nil }
            return (db(before) ?? "–") + " → " + (db(after) ?? "–")
        }
        var out = "<tr class=\"\(row.status.rawValue)\(row.hasProblems ? " problem" : "")\" data-status=\""
            + row.status.rawValue + "\">"
        out += "<td data-v=\"\(index)\">\(index + 1)</td>"
        out += "<td class=\"file\"" + (row.input.map { " title=\"\(Self.escape($0))\"" } ?? "") + ">"
            + Self.escape(row.relativeOutput) + "</td>"
        out += "<td class=\"status\"" + (row.reason.map { " title=\"last run: \(Self.escape($0))\"" } ?? "") + ">"
            + Self.escape(row.status.label) + "</td>"
        out += cell(row.scene)
        out += "<td data-v=\"\(Self.escape(row.take ?? ""))\">" + (row.take.map(Self.escape) ?? "<span class=\"na\">–</span>")
            + (row.circled == true ? " <span class=\"circled\" title=\"circled\">●</span>" : "") + "</td>"
        out += cell(row.tape)
        let tracks = row.trackNames.enumerated().compactMap { item in item.element.map { "\(item.offset + 1) \($0)" } }
        out += "<td class=\"tracks\">" + (tracks.isEmpty
            ? (row.channelCount.map { "<span class=\"na\">\($0) ch, no names</span>" } ?? "<span class=\"na\">–</span>")
            : tracks.map { "<span>\(Self.escape($0))</span>" }.joined()) + "</td>"
        out += "<td class=\"tc\">" + (row.timecode.map(Self.escape) ?? "<span class=\"na\">–</span>")
            + (row.timecodeRate.map { "<br><small>@ \(Self.escape($0))</small>" } ?? "") + "</td>"
        out += cell(row.durationSeconds.map(Self.clock), sort: row.durationSeconds.map { String($0) })
        out += cell(arrow(row.loudnessBeforeLufs, row.loudnessAfterLufs), sort: row.loudnessAfterLufs.map { String($0) },
                    classes: "pair", suffix: row.dialogueGated == true ? "<br><small>dialogue</small>" : "")
        let hum: String?
        if !row.dehumRan {
            hum = nil
        } else if row.humFound == true || (row.humHarmonicsRemoved ?? 0) > 0 {
            hum = (row.humHz.map { String(format: "%.2f Hz", $0) } ?? "found")
                + (row.humHarmonicsRemoved.map { ", \($0) harmonic\($0 == 1 ? "" : "s") removed" } ?? "")
        } else {
            hum = row.status == .failed ? nil : "none found"
        }
        out += cell(hum, sort: row.humHz.map { String($0) })
        out += cell(arrow(row.noiseFloorBeforeDbfs, row.noiseFloorAfterDbfs),
                    sort: row.noiseFloorAfterDbfs.map { String($0) }, classes: "pair")
        var gain: String?
        if let value = row.gainDb {
            gain = String(format: "%+.1f", value) + "\u{00A0}dB"
            if row.limiterEngaged == true {
                gain? += ", limiter on " + String(format: "%.2f %%", row.limitedPercent ?? 0) + " of frames"
                    + (row.deepestReductionDb.map { String(format: ", deepest %.1f dB", $0) } ?? "")
            } else if row.limiterEngaged == false {
                gain? += ", limiter idle"
            }
        }
        out += cell(gain, sort: row.gainDb.map { String($0) }, classes: row.limiterEngaged == true ? "limited" : nil)
        out += "<td class=\"issues\" data-v=\"\((row.error == nil ? 0 : 1000) + row.warnings.count)\">"
        if let error = row.error {
            out += "<div class=\"fail\"><b>\(Self.escape(error.code))</b> \(Self.escape(error.message))</div>"
        }
        if !row.warnings.isEmpty {
            out += "<ul class=\"warnings\">"
            for warning in row.warnings {
                out += "<li class=\"warning\" data-code=\"\(Self.escape(warning.code))\"><b>\(Self.escape(warning.code))"
                    + "</b>" + (warning.track.map { " <i>track \(Self.escape($0))</i>" } ?? "") + " "
                    + Self.escape(warning.message) + "</li>"
            }
            out += "</ul>"
        }
        if row.error == nil && row.warnings.isEmpty { out += "<span class=\"na\">none</span>" }
        out += "</td>"
        if let picture = row.picture {
            out += "<td class=\"pic\" data-pic=\"\(pictures.count)\">loading…</td>"
            pictures.append("data:image/png;base64," + Data(picture).base64EncodedString())
        } else {
            out += "<td class=\"pic\"><span class=\"nopic\""
                + (row.pictureProblem.map { " title=\"\(Self.escape($0))\"" } ?? "") + ">no picture</span></td>"
        }
        return out + "</tr>\n"
    }

    /// Seconds as `h:mm:ss` or `m:ss`.
    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let whole = Int(seconds.rounded())
        let h = whole / 3600, m = (whole / 60) % 60, s = whole % 60
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }

    /// Runs first: records any script error or unhandled rejection in the page itself (`data-errors` on `<html>`
    /// and the `#scrim-errors` box), so a test and a person both see it.
    static let errorScript = """
        (function () {
          "use strict";
          var root = document.documentElement, seen = [];
          function note(text) {
            seen.push(String(text));
            root.setAttribute("data-errors", String(seen.length));
            var box = document.getElementById("scrim-errors");
            if (box) { box.textContent = "Page errors:\\n" + seen.join("\\n"); box.hidden = false; }
          }
          root.setAttribute("data-errors", "0");
          window.addEventListener("error", function (event) {
            note((event.message || "error") + " (" + (event.filename || "") + ":" + (event.lineno || 0) + ")");
          });
          window.addEventListener("unhandledrejection", function (event) {
            var reason = event.reason;
            note("unhandled rejection: " + (reason && reason.message ? reason.message : reason));
          });
        })();
        """

    /// Sorting, the problem filter and the lazy pictures.
    static let pageScript = """
        (function () {
          "use strict";
          var root = document.documentElement;
          var table = document.getElementById("files");
          var body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows);
          var heads = table.tHead.rows[0].cells;
          var current = { col: -1, dir: 1 };
          function value(row, col, type) {
            var cell = row.cells[col];
            var raw = cell.getAttribute("data-v");
            if (type === "num") {
              var number = raw === null || raw === "" ? NaN : parseFloat(raw);
              return number;
            }
            return (raw !== null ? raw : cell.textContent).toLowerCase();
          }
          function sortBy(col, type) {
            var dir = current.col === col ? -current.dir : 1;
            current = { col: col, dir: dir };
            var keyed = rows.map(function (row, index) { return { row: row, key: value(row, col, type), index: index }; });
            keyed.sort(function (a, b) {
              var x = a.key, y = b.key;
              var xMissing = type === "num" ? isNaN(x) : x === "" || x === "\\u2013";
              var yMissing = type === "num" ? isNaN(y) : y === "" || y === "\\u2013";
              if (xMissing !== yMissing) { return xMissing ? 1 : -1; }
              if (!xMissing && x !== y) { return (x < y ? -1 : 1) * dir; }
              return a.index - b.index;
            });
            var fragment = document.createDocumentFragment();
            keyed.forEach(function (item) { fragment.appendChild(item.row); });
            body.appendChild(fragment);
            for (var i = 0; i < heads.length; i++) {
              if (heads[i].hasAttribute("data-type")) {
                heads[i].setAttribute("aria-sort", i === col ? (dir > 0 ? "ascending" : "descending") : "none");
              }
            }
          }
          Array.prototype.forEach.call(heads, function (head, col) {
            var type = head.getAttribute("data-type");
            if (!type) { return; }
            head.querySelector("button").addEventListener("click", function () { sortBy(col, type); });
          });
          var only = document.getElementById("only-problems");
          var shown = document.getElementById("shown");
          function filter() {
            table.classList.toggle("only-problems", only.checked);
            var count = only.checked ? body.querySelectorAll("tr.problem").length : rows.length;
            shown.textContent = count + " of " + rows.length + " files shown";
          }
          only.addEventListener("change", filter);
          var pictures = [];
          var made = 0;
          function show(cell) {
            var index = parseInt(cell.getAttribute("data-pic"), 10);
            cell.removeAttribute("data-pic");
            var image = document.createElement("img");
            image.alt = "spectrogram before and after";
            image.src = pictures[index];
            cell.textContent = "";
            cell.appendChild(image);
            made += 1;
            root.setAttribute("data-pictures-shown", String(made));
          }
          function loadPictures() {
            var started = performance.now();
            pictures = JSON.parse(document.getElementById("scrim-pictures").textContent);
            root.setAttribute("data-pictures-parse-ms", (performance.now() - started).toFixed(0));
            var waiting = Array.prototype.slice.call(document.querySelectorAll("td[data-pic]"));
            // The pictures already in (or near) the first screen are shown at once; the observer does the rest.
            var reach = window.innerHeight + 600;
            while (waiting.length > 0 && waiting[0].getBoundingClientRect().top < reach) { show(waiting.shift()); }
            if ("IntersectionObserver" in window) {
              var observer = new IntersectionObserver(function (entries) {
                entries.forEach(function (entry) {
                  if (entry.isIntersecting) { observer.unobserve(entry.target); show(entry.target); }
                });
              }, { rootMargin: "600px 0px" });
              waiting.forEach(function (cell) { observer.observe(cell); });
            } else {
              waiting.forEach(show);
            }
            root.setAttribute("data-pictures", String(pictures.length));
            root.setAttribute("data-pictures-shown", String(made));
            root.setAttribute("data-ready-ms", performance.now().toFixed(0));
            root.setAttribute("data-ready", "1");
          }
          // A link can open the page filtered and sorted: #problems, #sort=COLUMN (ascending) or #sort=-COLUMN.
          location.hash.replace(/^#/, "").split("&").forEach(function (part) {
            if (part === "problems") { only.checked = true; filter(); }
            var match = /^sort=(-?)([0-9]+)$/.exec(part);
            var head = match ? heads[parseInt(match[2], 10)] : null;
            if (head && head.hasAttribute("data-type")) {
              var col = parseInt(match[2], 10);
              current = { col: match[1] ? col : -1, dir: 1 };
              sortBy(col, head.getAttribute("data-type"));
            }
          });
          root.setAttribute("data-rows", String(rows.length));
          // The rows sort and filter from here on; the pictures' data follows this script in the page.
          root.setAttribute("data-rows-ready-ms", performance.now().toFixed(0));
          if (document.readyState === "loading") {
            document.addEventListener("DOMContentLoaded", loadPictures);
          } else {
            loadPictures();
          }
        })();
        """

    static let style = """
        :root { color-scheme: light; --line: #d9dce1; --muted: #6b7280; --bad: #b42318; --warn: #9a6700; }
        * { box-sizing: border-box; }
        body { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 16px 32px;
          color: #111827; background: #fff; }
        h1 { font-size: 20px; margin: 16px 0 2px; }
        .where { color: var(--muted); margin: 0 0 12px; word-break: break-all; }
        #scrim-errors { background: #fde8e8; color: var(--bad); padding: 8px; white-space: pre-wrap; }
        .summary { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; margin-bottom: 10px; }
        .counts { display: flex; gap: 18px; flex-wrap: wrap; font-size: 15px; }
        .count b { font-size: 22px; }
        .count.failed b { color: var(--bad); }
        .audio { margin: 6px 0; }
        .kinds .kind { display: inline-block; border: 1px solid var(--line); border-radius: 10px; padding: 0 8px;
          margin: 2px 2px 0 0; background: #fff8e6; }
        .kinds .none, .na { color: var(--muted); }
        .problems { color: var(--bad); }
        .controls { margin: 8px 0; }
        #shown { color: var(--muted); margin-left: 12px; }
        table { border-collapse: collapse; width: 100%; }
        th, td { border-bottom: 1px solid var(--line); padding: 4px 5px; text-align: left; vertical-align: top; }
        thead th { position: sticky; top: 0; background: #f3f4f6; z-index: 1; }
        th button { font: inherit; font-weight: 600; border: 0; background: none; padding: 0; cursor: pointer; }
        th[aria-sort="ascending"] button::after { content: " \\25B2"; }
        th[aria-sort="descending"] button::after { content: " \\25BC"; }
        td.file { word-break: break-all; min-width: 9em; }
        td.issues { min-width: 12em; }
        td.pair { white-space: nowrap; }
        td.tracks span { display: block; white-space: nowrap; }
        tr.failed td { background: #fdf1f0; }
        tr.notFinished td { background: #f5f5f5; }
        .fail { color: var(--bad); }
        ul.warnings { margin: 0; padding-left: 1.1em; color: var(--warn); }
        .circled { color: #c2410c; }
        td.limited { color: var(--warn); }
        td.pic { width: 210px; min-width: 210px; height: 70px; color: var(--muted); }
        td.pic img { display: block; max-width: 200px; height: auto; }
        table.only-problems tbody tr:not(.problem) { display: none; }
        small { color: var(--muted); }
        """
}
