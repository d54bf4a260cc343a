import Foundation
import Testing

/// A cheap preset for batch mechanics (measure, then gain without a limiter).
let levelPresetJSON = #"{"name": "level", "loudness": {"targetLoudnessLufs": -30, "truePeakHandling": "lowerGain"}}"#

/// Names in a tree that are temporary files or intermediates (none may survive a job).
func temporaryNames(_ names: [String]) -> [String] {
    names.filter { $0.contains(".scrim-") || $0.hasSuffix(".tmp") }
}

@Suite struct BatchCommandTests {
    /// Corrupt, truncated, non-audio, zero-length, 65-channel and NaN files among good ones: the bad files fail
    /// alone (listed at the end, exit 1), the NaN file is processed with its samples zeroed and reported.
    @Test func badFilesFailAloneAndAreListedAtTheEnd() throws {
        let folder = TemporaryFolder()
        let input = folder.file("in")
        try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
        for name in ["take_quiet.wav", "take_loud.wav"] {
            try FileManager.default.copyItem(atPath: CLI.sample(name), toPath: input + "/" + name)
        }
        let loud = try Data(contentsOf: URL(fileURLWithPath: CLI.sample("take_loud.wav")))
        try loud.prefix(100_000).write(to: URL(fileURLWithPath: input + "/truncated.wav"))
        var corrupt = loud.prefix(64)
        corrupt.replaceSubrange(20..<36, with: [UInt8](repeating: 0xFF, count: 16))  // the fmt chunk's fields
        try corrupt.write(to: URL(fileURLWithPath: input + "/corrupt.wav"))
        try Data("Scene 12A, take 4: boom only.\n".utf8).write(to: URL(fileURLWithPath: input + "/notes.wav"))
        try Data().write(to: URL(fileURLWithPath: input + "/empty.wav"))
        try wavBytes(channels: 65, frames: 4_800) { c, i in 0.01 * Float(c % 7) * Float(sin(Double(i) * 0.1)) }
            .write(to: URL(fileURLWithPath: input + "/wide.wav"))
        try wavBytes(channels: 2, frames: 48_000, float: true) { c, i in
            i == 1_000 ? .nan : (i == 2_000 && c == 1 ? -.infinity : 0.2 * Float(sin(Double(i) * 0.05)))
        }.write(to: URL(fileURLWithPath: input + "/nan.wav"))
        let preset = try folder.write("level.json", levelPresetJSON)
        let report = folder.file("report.json")
        let result = try CLI.run(["batch", input, "-o", folder.file("out"), "--preset", preset, "--jobs", "2",
                                  "--progress", "none", "--report", report])
        #expect(result.status == 1, "\(result.stderr)")
        let failedList = try #require(result.stdout.components(separatedBy: "Failed:\n").last)
        for name in ["truncated.wav", "corrupt.wav", "notes.wav", "empty.wav", "wide.wav"] {
            #expect(failedList.contains(name), "\(name) not listed as failed in \(result.stdout)")
        }
        #expect(result.stdout.contains("8 files: 3 done, 0 up to date, 5 failed"))
        let document = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
        #expect(document["event"] as? String == "summary" && document["status"] as? String == "failed")
        #expect((document["error"] as? [String: Any])?["code"] as? String == "someFilesFailed")
        let object = try CLI.report(document, "summary")
        #expect(object["done"] as? Int == 3 && object["failed"] as? Int == 5)
        let outcomes = try #require(object["outcomes"] as? [[String: Any]])
        #expect(outcomes.count == 8 && outcomes.allSatisfy { $0["event"] as? String == "file" })
        let nan = try #require(outcomes.first { ($0["input"] as? String)?.hasSuffix("nan.wav") == true })
        #expect(nan["status"] as? String == "done" && nan["process"] is [String: Any])
        let nanFile = nan["file"] as? [String: Any]
        #expect(nanFile?["invalidSamplesZeroed"] as? Int == 3)
        let wide = try #require(outcomes.first { ($0["input"] as? String)?.hasSuffix("wide.wav") == true })
        #expect(wide["status"] as? String == "failed" && wide["process"] is NSNull && wide["file"] is NSNull)
        let wideError = (wide["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(wideError.contains("65 channels") && wideError.contains("64"))
        let written = folder.tree("out")
        #expect(written.filter { !$0.hasPrefix(".scrim/") } == ["in/nan.wav", "in/take_loud.wav", "in/take_quiet.wav"])
        #expect(temporaryNames(written).isEmpty)
        // Inputs were not touched.
        #expect(folder.tree("in").count == 8)
    }

    @Test func jsonProgressThenAResumeSkipsEverythingAndDryRunWritesNothing() throws {
        let folder = TemporaryFolder()
        let preset = try folder.write("level.json", levelPresetJSON)
        let inputs = ["take_quiet.wav", "take_loud.wav", "dialogue_roomtone.wav"].map(CLI.sample)
        let out = folder.file("out")
        let first = try CLI.run(["batch"] + inputs + ["-o", out, "--preset", preset, "--progress", "json"])
        #expect(first.status == 0, "\(first.stderr)")
        let events = try CLI.jsonLines(first.stdout)
        #expect(events.first?["event"] as? String == "start")
        #expect(try CLI.report(events.first, "start")["files"] as? Int == 3)
        #expect(events.first?["output"] as? String == out)
        #expect(events.last?["event"] as? String == "summary")
        let files = events.filter { $0["event"] as? String == "file" }
        #expect(files.count == 3 && files.allSatisfy { $0["status"] as? String == "done" })
        #expect(events.filter { $0["event"] as? String == "started" }.count == 3)
        #expect(events.contains {
            $0["event"] as? String == "progress" && ($0["progress"] as? [String: Any])?["filesTotal"] as? Int == 3
        })
        #expect(try CLI.report(events.last, "summary")["done"] as? Int == 3)
        let before = folder.tree("out")
        #expect(before.filter { $0.hasPrefix(".scrim/reports/") }.count == 3)
        // Each stored report holds the `scrim process --json` envelope and the output's stamp.
        let stored = try #require(before.first { $0.hasPrefix(".scrim/reports/") })
        let record = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: out + "/" + stored))) as? [String: Any])
        let envelope = try #require(record["report"] as? [String: Any])
        #expect(envelope["command"] as? String == "process" && envelope["status"] as? String == "done")
        #expect(try CLI.report(envelope, "process")["preset"] as? String == "level")
        #expect(envelope["file"] is [String: Any] && record["outputStamp"] is [String: Any])

        let dry = try CLI.run(["batch"] + inputs + ["-o", out, "--preset", preset, "--dry-run"])
        #expect(dry.status == 0)
        #expect(dry.stdout.contains("3 files: 0 to process, 0 to redo, 3 up to date"))
        let second = try CLI.run(["batch"] + inputs + ["-o", out, "--preset", preset, "--progress", "json"])
        #expect(second.status == 0)
        let secondEvents = try CLI.jsonLines(second.stdout)
        #expect(try CLI.report(secondEvents.last, "summary")["upToDate"] as? Int == 3)
        #expect(secondEvents.filter { $0["event"] as? String == "file" }.map { $0["status"] as? String }
            == ["upToDate", "upToDate", "upToDate"])
        #expect(folder.tree("out") == before)

        // Another preset: everything is redone (the dry run says so and why).
        let other = try CLI.run(["batch"] + inputs + ["-o", out, "--preset", "denoise-only", "--dry-run",
                                                      "--progress", "json"])
        let plan = try CLI.jsonLines(other.stdout).filter { $0["event"] as? String == "plan" }
        #expect(plan.count == 3 && plan.allSatisfy {
            ($0["plan"] as? [String: Any])?["action"] as? String == "redo"
                && ($0["plan"] as? [String: Any])?["reason"] as? String == "preset changed"
        })
    }

    @Test func shardsOfAManifestSplitTheFilesDeterministically() throws {
        let folder = TemporaryFolder()
        var lines = ["# dailies, day 1", ""]
        for i in 0..<5 {
            try FileManager.default.createDirectory(atPath: folder.file("media/roll\(i)"),
                                                    withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: CLI.sample("take_quiet.wav"),
                                             toPath: folder.file("media/roll\(i)/take.wav"))
            lines.append("roll\(i)/take.wav")
        }
        let manifest = try folder.write("media/manifest.txt", lines.joined(separator: "\n"))
        var seen: [String] = []
        for index in 0..<2 {
            let result = try CLI.run(["batch", "--manifest", manifest, "--shard", "\(index)/2", "-o",
                                      folder.file("out"), "--dry-run", "--progress", "json"])
            #expect(result.status == 0, "\(result.stderr)")
            let plan = try CLI.jsonLines(result.stdout).filter { $0["event"] as? String == "plan" }
            seen += plan.compactMap { $0["output"] as? String }
        }
        #expect(seen.count == 5)
        #expect(Set(seen) == Set((0..<5).map { folder.file("out") + "/roll\($0)/take.wav" }))
        #expect(seen.prefix(3).map { URL(fileURLWithPath: $0).deletingLastPathComponent().lastPathComponent }
            == ["roll0", "roll2", "roll4"])
    }

    @Test(arguments: [["--shard", "2/2"], ["--jobs", "0"], ["--shard", "x"], []])
    func usageErrorsExitTwo(extra: [String]) throws {
        let folder = TemporaryFolder()
        let inputs = extra.isEmpty ? [] : [CLI.sample("take_quiet.wav")]
        let result = try CLI.run(["batch"] + inputs + ["-o", folder.file("out")] + extra)
        #expect(result.status == 2)
        #expect(!FileManager.default.fileExists(atPath: folder.file("out")))
    }

    @Test func aGlobMatchingNothingIsAUsageError() throws {
        let folder = TemporaryFolder()
        let result = try CLI.run(["batch", folder.file("*.wav"), "-o", folder.file("out")])
        #expect(result.status == 2)
        #expect(result.stderr.contains("no file matches"))
    }

    /// SIGINT mid-batch: running files stop, nothing partial is left, exit 130; a re-run completes the rest.
    @Test func anInterruptStopsCleanlyAndARerunCompletesTheRest() throws {
        let folder = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        for i in 0..<6 {
            try FileManager.default.copyItem(atPath: CLI.sample("hum_take.wav"), toPath: folder.file("in/t\(i).wav"))
        }
        // De-hum at a fixed frequency plus loudness: three passes, long enough to interrupt mid-file.
        let preset = try folder.write("p.json", #"{"dehum": {"frequency": 60}, "loudness": {}}"#)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["batch", folder.file("in"), "-o", folder.file("out"), "--preset", preset, "--jobs", "1",
                             "--progress", "json"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try process.run()
        // Wait for the first finished file, then for the next one to start, and interrupt it.
        var text = ""
        let reader = out.fileHandleForReading
        while text.components(separatedBy: "\"event\":\"started\"").count < 3 {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        process.interrupt()
        text += String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let events = try CLI.jsonLines(text)
        #expect(events.last?["event"] as? String == "summary")
        let summary = try CLI.report(events.last, "summary")
        #expect(summary["interrupted"] as? Bool == true)
        let done = summary["done"] as? Int ?? -1
        #expect(done >= 1 && done < 6)
        let written = folder.tree("out")
        #expect(temporaryNames(written).isEmpty)
        #expect(written.filter { !$0.hasPrefix(".scrim/") }.count == done)

        let rerun = try CLI.run(["batch", folder.file("in"), "-o", folder.file("out"), "--preset", preset,
                                 "--progress", "json"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let final = try CLI.report(try CLI.jsonLines(rerun.stdout).last, "summary")
        #expect(final["upToDate"] as? Int == done)
        #expect(final["done"] as? Int == 6 - done)
        #expect(folder.tree("out").filter { !$0.hasPrefix(".scrim/") }.count == 6)
        #expect(temporaryNames(folder.tree("out")).isEmpty)
    }
}
