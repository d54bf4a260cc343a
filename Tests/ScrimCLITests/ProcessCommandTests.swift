import Foundation
import Testing

/// A minimal RIFF/WAVE file: 16-bit PCM or 32-bit float, `sample(channel, frame)` in −1…1 (or non-finite).
func wavBytes(channels: Int, frames: Int, float: Bool = false, sampleRate: Int = 48_000,
              sample: (Int, Int) -> Float) -> Data {
    let bytesPerSample = float ? 4 : 2
    var data = Data()
    func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { data.append(contentsOf: $0) } }
    func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { data.append(contentsOf: $0) } }
    let dataSize = frames * channels * bytesPerSample
    data.append(contentsOf: Array("RIFF".utf8)); u32(36 + dataSize); data.append(contentsOf: Array("WAVE".utf8))
    data.append(contentsOf: Array("fmt ".utf8)); u32(16); u16(float ? 3 : 1); u16(channels); u32(sampleRate)
    u32(sampleRate * channels * bytesPerSample); u16(channels * bytesPerSample); u16(bytesPerSample * 8)
    data.append(contentsOf: Array("data".utf8)); u32(dataSize)
    for frame in 0..<frames {
        for channel in 0..<channels {
            let x = sample(channel, frame)
            if float {
                withUnsafeBytes(of: x.bitPattern.littleEndian) { data.append(contentsOf: $0) }
            } else {
                let v = Int16(max(-32768, min(32767, (x * 32768).rounded())))
                withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) }
            }
        }
    }
    return data
}

extension TemporaryFolder {
    /// Writes `text` to a file in the folder and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        try Data(text.utf8).write(to: URL(fileURLWithPath: file(name)))
        return file(name)
    }

    /// Files below the folder, relative, sorted (hidden ones included).
    func tree(_ sub: String = "") -> [String] {
        let root = sub.isEmpty ? path : file(sub)
        return (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { relative in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isFolder)
                && !isFolder.boolValue
        }.sorted()
    }
}

@Suite struct ProcessCommandTests {
    @Test func processWritesTheCombinedReport() throws {
        let folder = TemporaryFolder()
        let preset = try folder.write("hum-level.json", #"{"dehum": {}, "loudness": {"targetLoudnessLufs": -20}}"#)
        let output = folder.file("out.wav")
        let result = try CLI.run(["process", CLI.sample("hum_take.wav"), "-o", output, "--preset", preset, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(try CLI.jsonLines(result.stdout).first)
        #expect(line["command"] as? String == "process" && line["status"] as? String == "done")
        #expect(line["input"] as? String == CLI.sample("hum_take.wav") && line["output"] as? String == output)
        let report = try CLI.report(line, "process")
        #expect(report["preset"] as? String == "hum-level")
        #expect(report["stages"] as? [String] == ["dehum", "loudness"])
        let dehum = try #require(report["dehum"] as? [String: Any])
        // samples/README.md: the hum sample carries 60 Hz mains hum.
        #expect(abs((dehum["removedFundamentalHz"] as? Double ?? 0) - 60) < 0.5)
        let loudness = try #require(report["loudness"] as? [String: Any])
        #expect(abs((loudness["afterLoudnessLufs"] as? Double ?? 0) - -20) < 0.1)
        let file = try CLI.report(line, "file")
        #expect(file["frameCount"] as? Int == 432_000)
        #expect(folder.tree() == ["hum-level.json", "out.wav"])

        // Without --json: one line per stage, and an existing output is refused without --overwrite.
        let again = try CLI.run(["process", CLI.sample("hum_take.wav"), "-o", output, "--preset", preset])
        #expect(again.status == 1)
        #expect(again.stderr.contains("exists"))
        let text = try CLI.run(["process", CLI.sample("hum_take.wav"), "-o", output, "--preset", preset,
                                "--overwrite"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("hum") && text.stdout.contains("loudness") && text.stdout.contains("-20.0 LUFS"))
    }

    @Test func dailiesOnTheDialogueSampleReportsEveryStage() throws {
        let folder = TemporaryFolder()
        let result = try CLI.run(["process", CLI.sample("dialogue_roomtone.wav"), "-o", folder.file("o.wav"),
                                  "--preset", "dailies", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try CLI.report(try CLI.jsonLines(result.stdout).first, "process")
        #expect(report["stages"] as? [String] == ["dehum", "denoise", "loudness"])
        let denoise = try #require(report["denoise"] as? [String: Any])
        let before = try #require(denoise["noiseFloorBeforeDbfs"] as? Double)
        let after = try #require(denoise["noiseFloorAfterDbfs"] as? Double)
        #expect(after < before - 3)
        // Room tone is steady: the babble guard is on and idle.
        #expect(denoise["babbleGuardShare"] as? Double == 0 && denoise["babbleGuardLowestLimitDb"] is NSNull)
        let loudness = try #require(report["loudness"] as? [String: Any])
        #expect(loudness["dialogueGating"] as? Bool == true)
        // Dialogue-gated match: the dialogue of the output is at the target (limiter idle on this sample).
        #expect(abs((loudness["afterLoudnessLufs"] as? Double ?? 0) - -23) < 0.2)
        #expect(folder.tree() == ["o.wav"])
    }

    @Test func aPresetWithAnUnknownKeyIsAUsageError() throws {
        let folder = TemporaryFolder()
        let preset = try folder.write("typo.json", #"{"loudness": {"target": -23}}"#)
        let result = try CLI.run(["process", CLI.sample("take_quiet.wav"), "-o", folder.file("o.wav"),
                                  "--preset", preset])
        #expect(result.status == 2)
        #expect(result.stderr.contains("loudness.target") && result.stderr.contains("typo.json"))
        #expect(folder.tree() == ["typo.json"])
    }

    /// Disk full, simulated with a file-size limit: the write fails with EFBIG (scrim ignores SIGXFSZ), the
    /// job fails with exit 1 and leaves neither a temporary file nor an intermediate.
    @Test func aWriteFailingPartWayLeavesNothing() throws {
        let folder = TemporaryFolder()
        let preset = try folder.write("p.json", #"{"dehum": {"frequency": 60}, "loudness": {}}"#)
        let output = folder.file("out.wav")
        // 64 blocks of 512 bytes: 32 KB, far less than the 1.3 MB output and 1.7 MB float intermediate.
        let command = "ulimit -f 64; exec '\(CLI.binary)' process '\(CLI.sample("hum_take.wav"))' -o '\(output)' "
            + "--preset '\(preset)' --json"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 1)
        let report = try #require(try CLI.jsonLines(stdout).first)
        let error = try #require(report["error"] as? [String: Any])
        #expect(error["code"] as? String == "writeFailed")
        #expect(report["status"] as? String == "failed" && report["process"] == nil)
        #expect(folder.tree() == ["p.json"])
    }
}

@Suite struct PresetsCommandTests {
    @Test func listsTheBuiltInsWithTheirSettings() throws {
        let text = try CLI.run(["presets"])
        #expect(text.status == 0)
        for name in ["dailies", "broadcast", "podcast", "denoise-only"] { #expect(text.stdout.contains(name)) }
        #expect(text.stdout.contains("-23.0 LUFS (dialogue)"))
        let json = try CLI.run(["presets", "--json"])
        let objects = try CLI.jsonLines(json.stdout).map { try CLI.report($0, "preset") }
        #expect(objects.map { $0["name"] as? String } == ["dailies", "broadcast", "podcast", "denoise-only",
                                                         "dialogue"])
        #expect(objects.allSatisfy { ($0["fingerprint"] as? String)?.count == 16 })
    }

    @Test func showPrintsATemplateThatLoadsBack() throws {
        let folder = TemporaryFolder()
        let shown = try CLI.run(["presets", "--show", "podcast"])
        #expect(shown.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
        #expect((object["loudness"] as? [String: Any])?["targetLoudnessLufs"] as? Double == -16)
        // A built-in's copy is named NAME-custom, and stderr says so.
        #expect(object["name"] as? String == "podcast-custom")
        #expect(shown.stderr.contains("podcast-custom"), "\(shown.stderr)")
        let path = try folder.write("mine.json", shown.stdout)
        let again = try CLI.run(["presets", "--show", path])
        #expect(again.stdout == shown.stdout)
        #expect(try CLI.run(["presets", "--show", "nope"]).status == 2)
    }
}
