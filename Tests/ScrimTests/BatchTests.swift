import Foundation
import Testing
@testable import Scrim

/// Creates `path`'s folders and a small valid WAV there (a 1 kHz tone, `seconds` long).
func makeTone(_ path: String, seconds: Double = 0.5, amplitude: Float = 0.1) throws {
    try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                            withIntermediateDirectories: true)
    let frames = Int(seconds * 48_000)
    try writeWAV(path, [(0..<frames).map { amplitude * Float(sin(2 * Double.pi * 1000 * Double($0) / 48_000)) }])
}

/// A cheap preset for batch mechanics: measure and gain (no limiter latency), two passes.
let levelPreset = Preset(name: "level", loudness: LoudnessStage(targetLoudness: -30, truePeakHandling: .lowerGain))

/// Collects events from the runner's threads.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [BatchEvent] = []
    func add(_ event: BatchEvent) {
        lock.lock()
        events.append(event)
        lock.unlock()
    }
    var all: [BatchEvent] {
        lock.lock()
        defer { lock.unlock() }
        return events
    }
}

/// Every file below `folder`, relative, sorted (hidden ones included).
func tree(_ folder: String) -> [String] {
    (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []).filter { path in
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isFolder)
            && !isFolder.boolValue
    }.sorted()
}

@Suite struct BatchPlanTests {
    @Test func foldersAreMirroredAndHiddenOrNonAudioFilesSkipped() throws {
        let folder = TemporaryFolder()
        let card = folder.file("CARD01")
        try makeTone(card + "/day1/A001.wav")
        try makeTone(card + "/day1/sub/A002.WAV")
        try makeTone(card + "/.hidden/A003.wav")
        try makeTone(card + "/._A004.wav")
        try Data("notes".utf8).write(to: URL(fileURLWithPath: card + "/day1/notes.txt"))
        try makeTone(folder.file("single.wav"))
        let plan = try BatchPlan(inputs: [card, folder.file("single.wav")], outputFolder: folder.file("out"))
        #expect(plan.items.map(\.relativeOutput) == ["CARD01/day1/A001.wav", "CARD01/day1/sub/A002.WAV",
                                                     "single.wav"])
        let first = try #require(plan.items.first)
        #expect(plan.outputPath(for: first) == folder.file("out") + "/CARD01/day1/A001.wav")
        #expect(plan.reportPath(for: first) == folder.file("out") + "/.scrim/reports/CARD01/day1/A001.wav.json")
    }

    @Test func theOutputFolderInsideAnInputFolderIsNotTakenAsInput() throws {
        let folder = TemporaryFolder()
        try makeTone(folder.file("in/a.wav"))
        try makeTone(folder.file("in/out/in/a.wav"))  // an earlier run's output
        let plan = try BatchPlan(inputs: [folder.file("in")], outputFolder: folder.file("in/out"))
        #expect(plan.items.map(\.relativeOutput) == ["in/a.wav"])
    }

    @Test func globsExpandAndDuplicatesCollapse() throws {
        let folder = TemporaryFolder()
        for name in ["a.wav", "b.wav", "c.flac.txt"] { try makeTone(folder.file(name)) }
        let plan = try BatchPlan(inputs: [folder.file("*.wav"), folder.file("a.wav"), folder.file("./b.wav")],
                                 outputFolder: folder.file("out"))
        #expect(plan.items.map(\.relativeOutput) == ["a.wav", "b.wav"])
        #expect(throws: ScrimError.self) {
            _ = try BatchPlan(inputs: [folder.file("*.aiff")], outputFolder: folder.file("out"))
        }
    }

    @Test func twoInputsForOneOutputAreRefused() throws {
        let folder = TemporaryFolder()
        try makeTone(folder.file("x/take.wav"))
        try makeTone(folder.file("y/take.wav"))
        do {
            _ = try BatchPlan(inputs: [folder.file("x/take.wav"), folder.file("y/take.wav")],
                              outputFolder: folder.file("out"))
            Issue.record("a name collision was accepted")
        } catch let error as ScrimError {
            #expect(error.message.contains("take.wav") && error.message.contains("separate folders"))
        }
    }

    @Test func manifestEntriesAreRelativeToTheManifestAndKeepTheirPath() throws {
        let folder = TemporaryFolder()
        try makeTone(folder.file("media/day1/a.wav"))
        try makeTone(folder.file("media/day2/a.wav"))
        let manifest = folder.file("media/list.txt")
        try Data("# day one\nday1/a.wav\n\n   day2/a.wav  \nday1/a.wav\n".utf8)
            .write(to: URL(fileURLWithPath: manifest))
        let plan = try BatchPlan(inputs: [], manifest: manifest, outputFolder: folder.file("out"))
        #expect(plan.items.map(\.relativeOutput) == ["day1/a.wav", "day2/a.wav"])
        #expect(plan.items.map(\.input) == [folder.file("media/day1/a.wav"), folder.file("media/day2/a.wav")]
            .map { URL(fileURLWithPath: $0).standardizedFileURL.path })
    }

    @Test(arguments: [1, 2, 3, 7])
    func shardsAreDisjointCompleteAndIndependentOfInputOrder(count: Int) throws {
        let folder = TemporaryFolder()
        let names = (0..<10).map { "f\($0).wav" }
        for name in names { try makeTone(folder.file(name), seconds: 0.01) }
        let plan = try BatchPlan(inputs: names.map(folder.file), outputFolder: folder.file("out"))
        let reversed = try BatchPlan(inputs: names.reversed().map(folder.file), outputFolder: folder.file("out"))
        var union: [String] = []
        for index in 0..<count {
            let shard = plan.shard(index: index, count: count).items.map(\.input)
            #expect(shard == reversed.shard(index: index, count: count).items.map(\.input))
            union += shard
        }
        #expect(union.sorted() == plan.items.map(\.input))
        #expect(Set(union).count == union.count)
    }
}

@Suite struct BatchRunnerTests {
    @Test func runsInParallelThenResumesSkippingCompleteOutputs() throws {
        let folder = TemporaryFolder()
        for i in 0..<5 { try makeTone(folder.file("in/t\(i).wav"), amplitude: 0.05 * Float(i + 1)) }
        let plan = try BatchPlan(inputs: [folder.file("in")], outputFolder: folder.file("out"))
        let log = EventLog()
        let first = BatchRunner.run(plan: plan, preset: levelPreset, options: BatchOptions(jobs: 2),
                                    events: log.add)
        #expect(first.count(.done) == 5 && first.failures.isEmpty && !first.interrupted)
        #expect(tree(folder.file("out")) == (0..<5).map { ".scrim/reports/in/t\($0).wav.json" }
            + (0..<5).map { "in/t\($0).wav" })
        let started = log.all.filter { if case .started = $0 { return true } else { return false } }.count
        #expect(started == 5)
        // Every output reached the target: the per-file reports hold the measured loudness.
        for outcome in first.outcomes {
            guard case .number(let after)? = outcome.report?["loudness"]?["afterLoudnessLufs"] else {
                Issue.record("no afterLoudness in \(outcome.json.serialized())")
                continue
            }
            #expect(abs(after - -30) < 0.05)
        }

        let second = BatchRunner.run(plan: plan, preset: levelPreset, options: BatchOptions(jobs: 2))
        #expect(second.count(.skipped) == 5 && second.count(.done) == 0)

        // A changed input and a changed preset are redone; --force redoes everything.
        try FileManager.default.removeItem(atPath: folder.file("in/t3.wav"))
        try makeTone(folder.file("in/t3.wav"), amplitude: 0.3)
        #expect(BatchRunner.action(for: plan.items[3], in: plan, fingerprint: levelPreset.fingerprint,
                                   force: false).reason == "input changed")
        let third = BatchRunner.run(plan: plan, preset: levelPreset, options: BatchOptions(jobs: 2))
        #expect(third.count(.done) == 1 && third.outcomes[3].status == .done)
        var louder = levelPreset
        louder.loudness?.targetLoudness = -20
        #expect(BatchRunner.run(plan: plan, preset: louder, options: BatchOptions(jobs: 1)).count(.done) == 5)
        #expect(BatchRunner.run(plan: plan, preset: louder, options: BatchOptions(force: true)).count(.done) == 5)
    }

    @Test func aBadFileFailsAloneAndLeavesAFailureReport() throws {
        let folder = TemporaryFolder()
        try makeTone(folder.file("in/good1.wav"))
        try Data("this is not audio".utf8).write(to: URL(fileURLWithPath: folder.file("in/bad.wav")))
        try makeTone(folder.file("in/good2.wav"))
        let plan = try BatchPlan(inputs: [folder.file("in")], outputFolder: folder.file("out"))
        let summary = BatchRunner.run(plan: plan, preset: levelPreset, options: BatchOptions(jobs: 1))
        #expect(summary.count(.done) == 2 && summary.count(.failed) == 1)
        #expect(summary.failures.first?.item.input.hasSuffix("bad.wav") == true)
        #expect(!FileManager.default.fileExists(atPath: folder.file("out/in/bad.wav")))
        let report = try String(contentsOfFile: folder.file("out/.scrim/reports/in/bad.wav.json"), encoding: .utf8)
        #expect(report.contains("\"failed\"") && report.contains("notAudio"))
        // The failed file is retried by the next run; the good ones are skipped.
        let again = BatchRunner.run(plan: plan, preset: levelPreset)
        #expect(again.count(.skipped) == 2 && again.count(.failed) == 1)
    }

    @Test func anUnwritableOutputFolderFailsOnlyItsFiles() throws {
        let folder = TemporaryFolder()
        try makeTone(folder.file("in/blocked/a.wav"))
        try makeTone(folder.file("in/free/b.wav"))
        try FileManager.default.createDirectory(atPath: folder.file("out/in"), withIntermediateDirectories: true)
        // A file where the output folder `out/in/blocked` must go (root ignores permissions; this it cannot).
        try Data("in the way".utf8).write(to: URL(fileURLWithPath: folder.file("out/in/blocked")))
        let plan = try BatchPlan(inputs: [folder.file("in")], outputFolder: folder.file("out"))
        let summary = BatchRunner.run(plan: plan, preset: levelPreset)
        #expect(summary.count(.done) == 1 && summary.count(.failed) == 1)
        #expect(summary.failures.first?.errorMessage?.contains("output folder") == true)
        #expect(FileManager.default.fileExists(atPath: folder.file("out/in/free/b.wav")))
    }

    @Test func cancellingStopsNewFilesAndLeavesNoPartialOutput() throws {
        let folder = TemporaryFolder()
        for i in 0..<4 { try makeTone(folder.file("in/t\(i).wav"), seconds: 2) }
        let plan = try BatchPlan(inputs: [folder.file("in")], outputFolder: folder.file("out"))
        let stop = StopAfterBlocks(limit: 30)
        let summary = BatchRunner.run(plan: plan, preset: levelPreset, options: BatchOptions(jobs: 1),
                                      isCancelled: { stop.poll() })
        #expect(summary.interrupted)
        // 2 s at 8192-frame blocks is 12 blocks a pass, 2 passes: the first file finishes, the second is stopped.
        #expect(summary.count(.done) == 1)
        #expect(summary.count(.cancelled) == 3)
        #expect(tree(folder.file("out")) == [".scrim/reports/in/t0.wav.json", "in/t0.wav"])
        let resumed = BatchRunner.run(plan: plan, preset: levelPreset)
        #expect(resumed.count(.skipped) == 1 && resumed.count(.done) == 3)
    }
}

/// Returns true from the `limit`-th poll on.
final class StopAfterBlocks: @unchecked Sendable {
    private let lock = NSLock()
    private var polls = 0
    let limit: Int
    init(limit: Int) { self.limit = limit }
    func poll() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        polls += 1
        return polls >= limit
    }
}
