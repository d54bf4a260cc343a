import Foundation
import Synchronization

/// Settings of a batch run.
public struct BatchOptions: Sendable {
    /// Files processed at once, each on its own thread with its own processors (default: one per core).
    public var jobs: Int
    /// Redo every file, even outputs that are complete and up to date.
    public var force: Bool
    /// Replace outputs Scrim did not write (no report of Scrim's for them, or changed since). Off by default: such
    /// a file is a failed file (`outputExists`), never replaced.
    public var overwrite: Bool
    /// Frames per block.
    public var blockFrames: Int
    /// The sample format asked for with `--bits`; nil keeps each input's (see ``OutputFormat``).
    public var bits: OutputBits?
    /// Channel weights for the loudness stage (`--layout`); nil applies the shared rule per file.
    public var layout: LayoutRequest?
    /// The neural engine's model folder (`--model`); nil looks in `$SCRIM_MODEL_PATH`, then the default folder.
    /// Not part of the fingerprint: every copy of the model is checked against the same pinned digests.
    public var modelFolder: String?
    /// Makes each done file's before/after picture for the day report (``DayReport``), stored beside its report as
    /// `NAME.thumb.png`; nil makes none (the page then says "no picture"). Not part of the fingerprint.
    public var thumbnails: (any ThumbnailProvider)?

    /// What decides whether an output is up to date: the preset's fingerprint, plus `--bits` and `--layout` when
    /// given (changing either redoes the files).
    public func fingerprint(of preset: Preset) -> String {
        var text = preset.fingerprint
        if let bits { text += "+bits=\(bits.rawValue)" }
        switch layout {
        case .none: break
        case .equal: text += "+layout=equal"
        case .fixed(let fixed): text += "+layout=\(fixed.name)"
        }
        return text
    }

    /// Creates options; every parameter has the documented default.
    public init(jobs: Int = ProcessInfo.processInfo.activeProcessorCount, force: Bool = false,
                overwrite: Bool = false, blockFrames: Int = 8192, bits: OutputBits? = nil) {
        self.jobs = max(1, jobs)
        self.force = force
        self.overwrite = overwrite
        self.blockFrames = blockFrames
        self.bits = bits
    }
}

/// What a batch will do with one file.
public enum BatchAction: String, Sendable {
    /// No output yet: process it.
    case process
    /// An output exists but is not known to be complete and current (input or preset changed, no report, an
    /// earlier failure, or `--force`): process it again, replacing the output.
    case redo
    /// The output is complete and up to date: leave it.
    case skip
    /// Something Scrim did not write stands at the output path (no Scrim report for it, or changed since Scrim
    /// wrote it, or not a regular file): the file fails with `outputExists` and nothing is replaced.
    case refuse
}

/// The size and modification time of an input, recorded in its report to tell whether the output is current.
public struct InputStamp: Sendable, Hashable {
    /// Bytes.
    public var size: Int64
    /// Modification time, nanoseconds since 1970.
    public var modifiedNanoseconds: Int64

    /// The stamp of the file at `path`, or nil when it cannot be examined.
    public init?(path: String) {
        guard let stamp = FileSystem.stamp(of: path) else { return nil }
        size = stamp.size
        modifiedNanoseconds = stamp.modifiedNanoseconds
    }

    /// The stamp recorded in a report under `key` (`{"size", "modifiedNanoseconds"}`), if any.
    init?(report: [String: Any], key: String) {
        guard let fields = report[key] as? [String: Any],
              let size = (fields["size"] as? NSNumber)?.int64Value,
              let modified = (fields["modifiedNanoseconds"] as? NSNumber)?.int64Value else { return nil }
        self.size = size
        self.modifiedNanoseconds = modified
    }

    /// `{"size", "modifiedNanoseconds"}`.
    var json: JSONValue { .object([("size", .int(size)), ("modifiedNanoseconds", .int(modifiedNanoseconds))]) }
}

/// How one file of a batch ended.
public struct BatchFileOutcome: Sendable {
    /// How a file ended.
    public enum Status: String, Sendable {
        /// Processed; the output and its report were written.
        case done
        /// Already complete and up to date.
        case skipped
        /// Failed (the error says why); nothing was left at the output path by this attempt.
        case failed
        /// Not started, or stopped, because the batch was interrupted; nothing was left behind.
        case cancelled
    }

    /// The file.
    public var item: BatchItem
    /// Its absolute output path.
    public var output: String
    /// How it ended.
    public var status: Status
    /// Why it was skipped or redone ("up to date", "input changed", …).
    public var reason: String?
    /// The combined ``PresetJobResult`` report, its `process` object (done only).
    public var report: JSONValue?
    /// The output's file report, the `file` object (done only).
    public var fileReport: JSONValue?
    /// Problems that did not stop the file (done only).
    public var warnings: [JobWarning] = []
    /// The error (failed only): `{"code": …, "message": …}`.
    public var error: JSONValue?
    /// The error message for people (failed only).
    public var errorMessage: String?
    /// Length of the input, seconds (0 when its header could not be read).
    public var durationSeconds: Double
    /// Wall-clock seconds spent on the file.
    public var elapsedSeconds: Double

    /// The status in the envelope: `done`, `upToDate` (skipped as current), `failed`, `skipped` (interrupted).
    public var jobStatus: JobStatus {
        switch status {
        case .done: .done
        case .skipped: .upToDate
        case .failed: .failed
        case .cancelled: .skipped
        }
    }

    /// The `file` event: the envelope (``Envelope``), then `reason`, `durationSeconds`, `elapsedSeconds`, and the
    /// `process` and `file` reports (null unless done).
    public var json: JSONValue {
        Envelope.make(command: "batch", input: item.input, output: output, status: jobStatus, error: error,
                      warnings: warnings, event: "file", report: [
                          ("reason", .optional(reason)),
                          // 0 means the header could not be read: unknown, so null.
                          ("durationSeconds", durationSeconds > 0 ? .rounded(durationSeconds, places: 3) : .null),
                          ("elapsedSeconds", .rounded(elapsedSeconds, places: 3)),
                          ("process", report ?? .null),
                          ("file", fileReport ?? .null),
                      ])
    }
}

/// Where a running batch is.
public struct BatchProgress: Sendable {
    /// Files finished (done, skipped or failed).
    public var filesDone: Int
    /// Files in the batch.
    public var filesTotal: Int
    /// Files failed so far.
    public var filesFailed: Int
    /// Seconds of audio processed (files being processed count by their fraction done).
    public var audioSecondsDone: Double
    /// Seconds of audio to process (skipped files excluded).
    public var audioSecondsTotal: Double
    /// Wall-clock seconds since the batch started.
    public var elapsedSeconds: Double

    /// Audio seconds per wall-clock second so far.
    public var realTimeFactor: Double { elapsedSeconds > 0 ? audioSecondsDone / elapsedSeconds : 0 }
    /// Estimated seconds to go (nil until something has been processed).
    public var etaSeconds: Double? {
        guard realTimeFactor > 0 else { return nil }
        return max(0, audioSecondsTotal - audioSecondsDone) / realTimeFactor
    }

    /// The `progress` event of `scrim batch --progress json`.
    public var json: JSONValue {
        Envelope.make(command: "batch", input: nil, output: nil, status: .running, event: "progress", report: [
            ("progress", .object([
                ("filesDone", .int(Int64(filesDone))),
                ("filesTotal", .int(Int64(filesTotal))),
                ("filesFailed", .int(Int64(filesFailed))),
                ("audioSecondsDone", .rounded(audioSecondsDone, places: 1)),
                ("audioSecondsTotal", .rounded(audioSecondsTotal, places: 1)),
                ("elapsedSeconds", .rounded(elapsedSeconds, places: 1)),
                ("realTimeFactor", audioSecondsDone > 0 ? .rounded(realTimeFactor, places: 1) : .null),
                ("etaSeconds", .rounded(etaSeconds, places: 0)),
            ])),
        ])
    }
}

/// Something that happened in a batch, delivered to the caller's event handler one at a time.
public enum BatchEvent: Sendable {
    /// A file is about to be processed.
    case started(BatchItem, output: String)
    /// A file ended (also sent, at the start, for each file skipped as up to date).
    case finished(BatchFileOutcome)
    /// Periodic progress (about twice a second while files are being processed).
    case progress(BatchProgress)
    /// Scrim temporaries left by a killed run were removed from a folder this batch writes into.
    case cleanup(Temporaries.Cleanup)
}

/// How a batch ended.
public struct BatchSummary: Sendable {
    /// Every file's outcome, in plan order.
    public var outcomes: [BatchFileOutcome]
    /// Whether the run was interrupted (files not finished are `cancelled`).
    public var interrupted: Bool
    /// Wall-clock seconds for the batch.
    public var elapsedSeconds: Double
    /// The preset's name.
    public var preset: String
    /// The preset's ``Preset/fingerprint``.
    public var fingerprint: String
    /// Paths under the sources that were not processed, with the reason (``BatchPlan/skipped``).
    public var skippedPaths: [BatchSkip] = []
    /// Scrim temporaries left by killed runs and removed from the folders the batch wrote into.
    public var cleanups: [Temporaries.Cleanup] = []

    /// Outcomes with a given status.
    public func count(_ status: BatchFileOutcome.Status) -> Int { outcomes.filter { $0.status == status }.count }
    /// The files that failed.
    public var failures: [BatchFileOutcome] { outcomes.filter { $0.status == .failed } }
    /// Seconds of audio processed (done files).
    public var audioSeconds: Double {
        outcomes.filter { $0.status == .done }.reduce(0) { $0 + $1.durationSeconds }
    }

    /// The batch report (`--report FILE`, with `outcomes`), and the `summary` event (without): the envelope, then
    /// `summary`.
    /// - Parameter dayReport: `batch --html`'s `dayReport` object, added to the summary when given.
    public func json(includingFiles: Bool, outputFolder: String? = nil, dayReport: JSONValue? = nil) -> JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("preset", .string(preset)),
            ("presetFingerprint", .string(fingerprint)),
            ("files", .int(Int64(outcomes.count))),
            ("done", .int(Int64(count(.done)))),
            ("upToDate", .int(Int64(count(.skipped)))),
            ("failed", .int(Int64(count(.failed)))),
            ("notFinished", .int(Int64(count(.cancelled)))),
            ("interrupted", .bool(interrupted)),
            ("audioSeconds", .rounded(audioSeconds, places: 3)),
            ("elapsedSeconds", .rounded(elapsedSeconds, places: 3)),
            ("realTimeFactor", .rounded(elapsedSeconds > 0 ? audioSeconds / elapsedSeconds : nil, places: 1)),
            ("failures", .array(failures.map { .object([("input", .string(SystemPath.display($0.item.input))),
                                                          ("error", $0.error ?? .null)]) })),
            ("skippedPaths", .array(skippedPaths.map(\.json))),
            ("temporariesRemoved", .object([
                ("files", .int(Int64(cleanups.reduce(0) { $0 + $1.fileCount }))),
                ("bytes", .int(cleanups.reduce(0) { $0 + $1.byteCount })),
            ])),
        ]
        if let dayReport { pairs.append(("dayReport", dayReport)) }
        if includingFiles { pairs.append(("outcomes", .array(outcomes.map(\.json)))) }
        let failed = count(.failed)
        return Envelope.make(
            command: "batch", input: nil, output: outputFolder, status: failed > 0 ? .failed : .done,
            error: failed > 0 ? Envelope.errorObject(code: "someFilesFailed",
                                                     message: "\(failed) of \(outcomes.count) files failed") : nil,
            event: "summary", report: [("summary", .object(pairs))])
    }
}

/// Runs a preset over a ``BatchPlan``: files in parallel on worker threads, resumable, never stopped by one
/// bad file.
///
/// Each worker takes the next file, makes its own processors (``PresetJob``), writes the output atomically
/// (temporary name, then rename; the output folder tree is created as needed) and then the file's report at
/// ``BatchPlan/reportPath(for:)``: the combined report plus the input's size and modification time and the
/// preset fingerprint. An output counts as complete and up to date when it exists and its report records
/// status `done`, the same input size and modification time, and the same fingerprint; such files are skipped
/// unless `force` is set, so a killed batch resumes where it stopped. A failed file gets a report with its
/// error and the batch goes on. When `isCancelled` turns true no new file starts and running ones stop (their
/// temporary files removed); they are reported `cancelled`.
public enum BatchRunner {
    /// What will happen to `item`, and why.
    ///
    /// An existing output is replaced only when Scrim wrote it: its report (``BatchPlan/reportPath(for:)``) records
    /// the output's size and modification time as Scrim left them, and they still match. Anything else at the output
    /// path (a file from elsewhere, a file edited since, a FIFO) is ``BatchAction/refuse``d, unless `overwrite`
    /// (regular files only).
    public static func action(for item: BatchItem, in plan: BatchPlan, fingerprint: String,
                              force: Bool, overwrite: Bool = false) -> (action: BatchAction, reason: String) {
        let output = plan.outputPath(for: item)
        guard let kind = FileSystem.kind(of: output, followingLinks: false) else { return (.process, "no output yet") }
        guard kind == .regular else {
            return (.refuse, "\(kind) stands at the output path; Scrim only ever replaces regular files")
        }
        let report = readReport(plan.reportPath(for: item))
        let owned = report.map { writtenByScrim(output: output, report: $0) } ?? false
        if !owned {
            guard overwrite else {
                return (.refuse, report == nil
                    ? "an output not written by Scrim is there (no Scrim report for it); pass --overwrite to replace it"
                    : "the output was changed since Scrim wrote it; pass --overwrite to replace it")
            }
            return (.redo, "replacing a file Scrim did not write (--overwrite)")
        }
        if force { return (.redo, "forced") }
        guard let report else { return (.redo, "no report for the existing output") }
        guard report["status"] as? String == "done" else { return (.redo, "the last attempt failed") }
        guard let stamp = InputStamp(path: item.input) else { return (.redo, "input unreadable") }
        guard (report["inputSize"] as? NSNumber)?.int64Value == stamp.size,
              (report["inputModifiedNanoseconds"] as? NSNumber)?.int64Value == stamp.modifiedNanoseconds else {
            return (.redo, "input changed")
        }
        guard report["presetFingerprint"] as? String == fingerprint else { return (.redo, "preset changed") }
        return (.skip, "up to date")
    }

    /// A per-file report, if there is a readable one.
    static func readReport(_ path: String) -> [String: Any]? {
        guard let bytes = try? FileSystem.contents(of: path) else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
    }

    /// Whether the file at `output` is the one Scrim wrote, by its report: the output stamp recorded there
    /// matches. A report from before output stamps were recorded counts when its status is `done`.
    static func writtenByScrim(output: String, report: [String: Any]) -> Bool {
        guard report["presetFingerprint"] is String else { return false }
        guard let recorded = InputStamp(report: report, key: "outputStamp") else {
            return report["outputStamp"] == nil && report["status"] as? String == "done"
        }
        return InputStamp(path: output) == recorded
    }

    /// Length in seconds of an input, from its header (0 when it cannot be read).
    public static func duration(of path: String) -> Double {
        guard let reader = try? AudioFileReader(path: path) else { return 0 }
        defer { reader.close() }
        return reader.info.duration
    }

    /// Runs the batch. Blocks until every file has ended; events are delivered one at a time (never
    /// concurrently), from worker threads and from the calling thread.
    /// - Parameters:
    ///   - plan: the files.
    ///   - preset: what to do to each.
    ///   - options: parallelism, force, block size.
    ///   - isCancelled: polled often (every block of every running file); true stops the batch.
    ///   - events: receives ``BatchEvent``s.
    /// - Returns: every file's outcome.
    public static func run(plan: BatchPlan, preset: Preset, options: BatchOptions = BatchOptions(),
                           isCancelled: @escaping @Sendable () -> Bool = { false },
                           events: @escaping @Sendable (BatchEvent) -> Void = { _ in }) -> BatchSummary {
        let clock = ContinuousClock()
        let start = clock.now
        let fingerprint = options.fingerprint(of: preset)
        let state = BatchState(count: plan.items.count, workers: options.jobs, events: events)
        var pending: [(index: Int, reason: String)] = []
        for (index, item) in plan.items.enumerated() {
            let (action, reason) = action(for: item, in: plan, fingerprint: fingerprint, force: options.force,
                                          overwrite: options.overwrite)
            if action == .refuse {
                // No report is written: a report would make the file look like Scrim's on the next run.
                let error = AudioFileError(.outputExists, path: plan.outputPath(for: item), reason: reason)
                state.finish(index, BatchFileOutcome(
                    item: item, output: plan.outputPath(for: item), status: .failed, reason: reason,
                    error: Envelope.error(error), errorMessage: "\(error)",
                    durationSeconds: duration(of: item.input), elapsedSeconds: 0), counts: false)
            } else if action == .skip {
                state.finish(index, BatchFileOutcome(
                    item: item, output: plan.outputPath(for: item), status: .skipped, reason: reason,
                    durationSeconds: duration(of: item.input), elapsedSeconds: 0), counts: false)
            } else {
                pending.append((index, reason))
            }
        }
        let work = pending
        let durations = work.map { duration(of: plan.items[$0.index].input) }
        state.setTotal(audioSeconds: durations.reduce(0, +))
        let queue = WorkQueue(count: work.count)
        let group = DispatchGroup()
        for worker in 0..<min(options.jobs, max(1, work.count)) {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                while !isCancelled(), let next = queue.take() {
                    let (index, reason) = work[next]
                    processOne(plan.items[index], index: index, reason: reason, duration: durations[next],
                               worker: worker, plan: plan, preset: preset, fingerprint: fingerprint,
                               options: options, isCancelled: isCancelled, state: state)
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        while group.wait(timeout: .now() + 0.5) == .timedOut {
            state.emitProgress(elapsed: seconds(clock.now - start))
        }
        state.emitProgress(elapsed: seconds(clock.now - start))
        var outcomes = state.outcomes
        for (index, item) in plan.items.enumerated() where outcomes[index] == nil {
            outcomes[index] = BatchFileOutcome(item: item, output: plan.outputPath(for: item), status: .cancelled,
                                               reason: "not started", durationSeconds: 0, elapsedSeconds: 0)
        }
        return BatchSummary(outcomes: outcomes.compactMap { $0 }, interrupted: isCancelled(),
                            elapsedSeconds: seconds(clock.now - start), preset: preset.name,
                            fingerprint: fingerprint, skippedPaths: plan.skipped, cleanups: state.cleanups)
    }

    private static func processOne(
        _ item: BatchItem, index: Int, reason: String, duration: Double, worker: Int, plan: BatchPlan,
        preset: Preset, fingerprint: String, options: BatchOptions, isCancelled: @escaping @Sendable () -> Bool,
        state: BatchState
    ) {
        let clock = ContinuousClock()
        let start = clock.now
        let output = plan.outputPath(for: item)
        state.send(.started(item, output: output))
        state.setInFlight(worker: worker, audioSeconds: 0)
        var outcome = BatchFileOutcome(item: item, output: output, status: .done, reason: reason,
                                       durationSeconds: duration, elapsedSeconds: 0)
        let reportPath = plan.reportPath(for: item)
        // The output Scrim wrote before, if it is still there as Scrim left it: a failed redo keeps it Scrim's.
        let previous = readReport(reportPath).flatMap { report in
            writtenByScrim(output: output, report: report) ? InputStamp(path: output) : nil
        }
        var stored = StoredReportExtras(item: item, output: output)
        do {
            let stamp = InputStamp(path: item.input)
            try createFolder(for: output)
            state.removeStaleTemporaries(in: Temporaries.split(output).folder)
            let result = try PresetJob.process(
                input: item.input, output: output, preset: preset,
                options: PresetJobOptions(blockFrames: options.blockFrames, overwrite: true, bits: options.bits,
                                          layout: options.layout, modelFolder: options.modelFolder),
                isCancelled: isCancelled,
                progress: { fraction in state.setInFlight(worker: worker, audioSeconds: fraction * duration) })
            outcome.report = result.reportJSON
            outcome.fileReport = result.file.json
            outcome.warnings = result.file.warnings
            outcome.durationSeconds = result.file.input.duration
            stored.metadata = StoredReportExtras.metadataJSON(info: result.file.input)
            stored.durationSeconds = result.file.input.duration
            if let provider = options.thumbnails {
                stored.storeThumbnail(provider: provider, reportPath: reportPath, input: item.input, output: output,
                                      isCancelled: isCancelled)
            } else {
                // A picture of an earlier output must not stand beside this one.
                StoredReportExtras.removeThumbnail(reportPath: reportPath)
            }
            stored.elapsedSeconds = seconds(clock.now - start)
            writeReport(reportPath, status: "done", stamp: stamp, outputStamp: InputStamp(path: output),
                        fingerprint: fingerprint, body: ("report", result.json), extras: stored, state: state)
        } catch let error as ScrimError where error.code == .cancelled {
            outcome.status = .cancelled
            outcome.reason = "interrupted"
        } catch {
            outcome.status = .failed
            // Every message names the file: a file error does already, a processing error gets its name in front.
            let named: any Error = error is AudioFileError ? error
                : ScrimError((error as? ScrimError)?.code ?? .invalidState,
                             "\(AudioFileError(.readFailed, path: item.input, reason: "").fileName): \(error)")
            outcome.error = Envelope.error(named)
            outcome.errorMessage = "\(named)"
            if let reader = try? AudioFileReader(path: item.input) {
                stored.metadata = StoredReportExtras.metadataJSON(info: reader.info)
                stored.durationSeconds = reader.info.duration
                reader.close()
            }
            // A stale picture of an earlier success must not stand beside a failure.
            StoredReportExtras.removeThumbnail(reportPath: reportPath)
            stored.elapsedSeconds = seconds(clock.now - start)
            writeReport(reportPath, status: "failed", stamp: InputStamp(path: item.input), outputStamp: previous,
                        fingerprint: fingerprint, body: ("error", Envelope.error(named)), extras: stored,
                        state: state)
        }
        outcome.elapsedSeconds = seconds(clock.now - start)
        state.setInFlight(worker: worker, audioSeconds: 0)
        state.finish(index, outcome, counts: outcome.status == .done || outcome.status == .failed)
    }

    /// Creates the folders above `path`.
    /// - Throws: ``AudioFileError`` `writeFailed` naming `path` and the folder (e.g. a file stands where it should be).
    static func createFolder(for path: String) throws {
        let folder = Temporaries.split(path).folder
        guard !folder.isEmpty else { return }
        try FileSystem.createDirectories(folder, for: path)
    }

    /// Writes a per-file report atomically; a report that cannot be written is not fatal (the output stands, and
    /// the next run refuses to replace it, since nothing says Scrim wrote it, until `--overwrite`).
    /// - Parameter outputStamp: the output as Scrim left it (nil when there is none of Scrim's).
    /// - Parameter extras: what the day report reads (``StoredReportExtras``), after `body`.
    static func writeReport(_ path: String, status: String, stamp: InputStamp?, outputStamp: InputStamp?,
                            fingerprint: String, body: (String, JSONValue), extras: StoredReportExtras? = nil,
                            state: BatchState? = nil) {
        let document = JSONValue.object([
            ("status", .string(status)),
            ("inputSize", stamp.map { .int($0.size) } ?? .null),
            ("inputModifiedNanoseconds", stamp.map { .int($0.modifiedNanoseconds) } ?? .null),
            ("outputStamp", outputStamp?.json ?? .null),
            ("presetFingerprint", .string(fingerprint)),
            ("scrimVersion", .string(scrimVersion)),
            body,
        ] + (extras?.pairs ?? []))
        do {
            try createFolder(for: path)
            state?.removeStaleTemporaries(in: Temporaries.split(path).folder)
            try FileSystem.writeAtomically(Array((document.serialized(pretty: true) + "\n").utf8), to: path,
                                           overwrite: true)
        } catch {
            // Deliberately ignored: see above.
        }
    }
}

/// Hands out work indices to worker threads.
final class WorkQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private let count: Int
    init(count: Int) { self.count = count }
    func take() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }
}

/// The shared state of a running batch: outcomes, progress, and serialised event delivery.
final class BatchState: @unchecked Sendable {
    private let lock = NSLock()
    private let events: @Sendable (BatchEvent) -> Void
    private(set) var outcomes: [BatchFileOutcome?]
    /// Per worker: audio done in its current file, in microseconds. Atomic so that the progress callback, which
    /// runs inside a file job's analysis path once per block, never takes a lock.
    private let inFlight: [WorkerProgress]
    private var filesDone = 0
    private var filesFailed = 0
    private var audioDone = 0.0
    private var audioTotal = 0.0

    init(count: Int, workers: Int, events: @escaping @Sendable (BatchEvent) -> Void) {
        outcomes = Array(repeating: nil, count: count)
        inFlight = (0..<max(1, workers)).map { _ in WorkerProgress() }
        self.events = events
    }

    func setTotal(audioSeconds: Double) {
        lock.lock()
        audioTotal = audioSeconds
        lock.unlock()
    }

    func setInFlight(worker: Int, audioSeconds: Double) {
        inFlight[worker].microseconds.store(Int64(audioSeconds * 1e6), ordering: .relaxed)
    }

    /// Records an outcome and sends it. `counts`: whether its audio counts as processed work.
    func finish(_ index: Int, _ outcome: BatchFileOutcome, counts: Bool) {
        lock.lock()
        defer { lock.unlock() }
        outcomes[index] = outcome
        if outcome.status != .cancelled { filesDone += 1 }
        if outcome.status == .failed { filesFailed += 1 }
        if counts { audioDone += outcome.durationSeconds }
        events(.finished(outcome))
    }

    func send(_ event: BatchEvent) {
        lock.lock()
        defer { lock.unlock() }
        events(event)
    }

    /// Folders already searched for stale temporaries in this run.
    private var cleanedFolders = Set<String>()
    /// What the searches removed.
    private(set) var cleanups: [Temporaries.Cleanup] = []

    /// Removes the temporaries a killed run left in `folder`, the first time this batch writes there; reports
    /// what it removed as a ``BatchEvent/cleanup(_:)`` event.
    func removeStaleTemporaries(in folder: String) {
        lock.lock()
        let first = cleanedFolders.insert(folder).inserted
        lock.unlock()
        guard first else { return }
        let cleanup = Temporaries.removeStale(in: folder)
        guard !cleanup.isEmpty else { return }
        lock.lock()
        defer { lock.unlock() }
        cleanups.append(cleanup)
        events(.cleanup(cleanup))
    }

    func emitProgress(elapsed: Double) {
        lock.lock()
        defer { lock.unlock() }
        let progress = BatchProgress(
            filesDone: filesDone, filesTotal: outcomes.count, filesFailed: filesFailed,
            audioSecondsDone: min(audioTotal, audioDone + inFlight.reduce(0) {
                $0 + Double($1.microseconds.load(ordering: .relaxed)) * 1e-6
            }), audioSecondsTotal: audioTotal,
            elapsedSeconds: elapsed)
        events(.progress(progress))
    }
}

/// One worker's progress through its current file.
final class WorkerProgress: Sendable {
    let microseconds = Atomic<Int64>(0)
}
