import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Nothing lost, nothing half-written: what Scrim refuses to replace, what it never skips in silence, what it
/// cleans up, and the output's container.
@Suite struct SafetyTests {
    /// A short 16-bit mono WAV (0.5 s of a quiet sine) at `path`.
    func take(_ path: String, frames: Int = 24_000) throws {
        try writeShortWAV(to: path, frames: frames, amplitude: 0.05)
    }

    /// Frames in a WAV written by Scrim or by `wavBytes` (the `data` chunk's size over the block align).
    func frameCount(_ path: String) throws -> Int {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var position = 12
        var blockAlign = 0
        while position + 8 <= bytes.count {
            let id = String(decoding: bytes[position..<position + 4], as: UTF8.self)
            let size = Int(bytes[position + 4]) | Int(bytes[position + 5]) << 8 | Int(bytes[position + 6]) << 16
                | Int(bytes[position + 7]) << 24
            if id == "fmt " { blockAlign = Int(bytes[position + 20]) | Int(bytes[position + 21]) << 8 }
            if id == "data" { return blockAlign > 0 ? size / blockAlign : -1 }
            position += 8 + size + (size & 1)
        }
        return -1
    }

    @Test func batchNeverReplacesAFileItDidNotWrite() throws {
        let folder = TemporaryFolder()
        let input = folder.file("in")
        let output = folder.file("out")
        try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: output + "/in", withIntermediateDirectories: true)
        try take(input + "/a.wav")
        try take(input + "/b.wav")
        // The DIT's original offload copy, sitting where an output would go.
        let original = Data("the original recording".utf8)
        try original.write(to: URL(fileURLWithPath: output + "/in/a.wav"))

        let dry = try CLI.run(["batch", input, "-o", output, "--preset", "denoise-only", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("refuse") && dry.stdout.contains("not written by Scrim"), "\(dry.stdout)")

        let run = try CLI.run(["batch", input, "-o", output, "--preset", "denoise-only", "--progress", "none"])
        #expect(run.status == 1, "a refused file is a failed file")
        #expect(run.stdout.contains("not written by Scrim; pass --overwrite") || run.stdout.contains("--overwrite"),
                "\(run.stdout)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: output + "/in/a.wav")) == original, "left as it was")
        #expect(try frameCount(output + "/in/b.wav") == 24_000, "the other file is done")
        // The refusal leaves no report that would make the file look like Scrim's on the next run.
        let again = try CLI.run(["batch", input, "-o", output, "--preset", "denoise-only", "--progress", "none"])
        #expect(again.status == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: output + "/in/a.wav")) == original)

        // A file Scrim wrote and someone changed since is not Scrim's any more.
        try Data("edited by hand".utf8).write(to: URL(fileURLWithPath: output + "/in/b.wav"))
        let edited = try CLI.run(["batch", input, "-o", output, "--preset", "denoise-only", "--force",
                                  "--progress", "none"])
        #expect(edited.status == 1)
        #expect(edited.stdout.contains("changed since Scrim wrote it"), "\(edited.stdout)")

        let replaced = try CLI.run(["batch", input, "-o", output, "--preset", "denoise-only", "--overwrite",
                                    "--progress", "none"])
        #expect(replaced.status == 0, "\(replaced.stdout)\(replaced.stderr)")
        #expect(try frameCount(output + "/in/a.wav") == 24_000)
        #expect(try frameCount(output + "/in/b.wav") == 24_000)
    }

    @Test func batchReportsEveryPathItDoesNotProcess() throws {
        let folder = TemporaryFolder()
        let input = folder.file("card")
        try FileManager.default.createDirectory(atPath: input + "/sub", withIntermediateDirectories: true)
        try take(input + "/good.wav")
        // A take named in Latin-1 by an old recorder: processed, shown escaped.
        let raw = Array(input.utf8) + Array("/take".utf8) + [0xE9] + Array(".wav".utf8) + [0]
        let rawPath = raw.map { CChar(bitPattern: $0) }
        try take(folder.file("latin1.wav"))
        #expect(rename(folder.file("latin1.wav"), rawPath) == 0)
        try Data("notes".utf8).write(to: URL(fileURLWithPath: input + "/notes.txt"))
        #expect(mkfifo(input + "/pipe.wav", 0o644) == 0)
        #expect(symlink(input + "/missing.wav", input + "/dangling.wav") == 0)
        #expect(symlink(input + "/loop.wav", input + "/loop.wav") == 0)
        try Data().write(to: URL(fileURLWithPath: input + "/._good.wav"))
        try FileManager.default.createDirectory(atPath: input + "/x.wav", withIntermediateDirectories: true)
        try take(input + "/x.wav/inside.wav")

        let output = folder.file("out")
        let result = try CLI.run(["batch", input, "-o", output, "--preset", "denoise-only", "--json",
                                  "--report", folder.file("report.json")])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let events = try CLI.jsonLines(result.stdout)
        let skipped = events.filter { $0["event"] as? String == "skippedPath" }
        let reasons = Dictionary(uniqueKeysWithValues: skipped.compactMap { event -> (String, String)? in
            guard let path = event["input"] as? String, let reason = event["reason"] as? String else { return nil }
            let warnings = CLI.warnings(event)
            #expect(event["status"] as? String == "skipped" && warnings.count == 1
                    && warnings.first?.code == "skippedPath" && warnings.first?.message == reason
                    && warnings.first?.track == nil)
            return (String(path.split(separator: "/").last ?? ""), reason)
        })
        #expect(reasons.count == skipped.count, "every skipped path names its input and reason: \(skipped)")
        #expect(reasons["notes.txt"]?.contains("not an audio file") == true, "\(reasons)")
        #expect(reasons["pipe.wav"]?.contains("FIFO") == true)
        #expect(reasons["dangling.wav"]?.contains("dangling") == true)
        #expect(reasons["loop.wav"]?.contains("loop") == true)
        #expect(reasons["._good.wav"] == "hidden")
        let done = events.filter { $0["event"] as? String == "file" }.compactMap { $0["input"] as? String }
        #expect(done.count == 3, "good.wav, the Latin-1 take and x.wav/inside.wav: \(done)")
        #expect(done.contains { $0.hasSuffix("take\\xE9.wav") }, "shown escaped: \(done)")
        // On disk the output keeps the byte itself.
        let outputs = try FileManager.default.subpathsOfDirectory(atPath: output + "/card")
        #expect(outputs.contains("x.wav/inside.wav"))
        let report = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: folder.file("report.json")))) as? [String: Any])
        #expect((try CLI.report(report, "summary")["skippedPaths"] as? [Any])?.count == 5)
    }

    @Test(arguments: [["no-such-folder"], ["EMPTY"], ["SELF"]])
    func aSourceWithNothingToDoIsAUsageError(sources: [String]) throws {
        let folder = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.file("empty"), withIntermediateDirectories: true)
        try take(folder.file("self.wav"))
        let resolved = sources.map { source -> String in
            switch source {
            case "EMPTY": folder.file("empty")
            case "SELF": folder.path
            default: folder.file(source)
            }
        }
        // SELF: the folder batched into itself holds nothing but its own output folder.
        let output = sources == ["SELF"] ? folder.path : folder.file("out")
        if sources == ["SELF"] { try FileManager.default.removeItem(atPath: folder.file("self.wav")) }
        let result = try CLI.run(["batch"] + resolved + ["-o", output, "--preset", "denoise-only"])
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("out")), "nothing done")
    }

    @Test func staleTemporariesOfAKilledRunAreRemovedAndReported() throws {
        let folder = TemporaryFolder()
        try take(folder.file("in.wav"))
        // What a SIGKILLed run leaves: its output's temporary, named with this host's tag and a pid that is gone.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let tag = try hostTag()
        let stale = ".out.wav.scrim-\(tag)-\(child.processIdentifier)-0123456789abcdef.tmp"
        try Data(count: 5000).write(to: URL(fileURLWithPath: folder.file(stale)))
        let result = try CLI.run(["denoise", folder.file("in.wav"), "-o", folder.file("out.wav")])
        #expect(result.status == 0)
        #expect(result.stderr.contains("removed 1 temporary file"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file(stale)))
    }

    /// The host tag the binary puts in temporary names: FNV-1a of the host name, computed here independently
    /// (if the binary disagreed, the stale file would stay and the test would fail).
    func hostTag() throws -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, 255)
        var hash: UInt32 = 0x811C_9DC5
        for byte in buffer.prefix(while: { $0 != 0 }) {
            hash ^= UInt32(UInt8(bitPattern: byte))
            hash = hash &* 0x0100_0193
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    @Test func theExtensionPicksTheContainerAndAnUnwritableOneIsAUsageError() throws {
        let folder = TemporaryFolder()
        try take(folder.file("in.wav"))
        let flac = try CLI.run(["denoise", folder.file("in.wav"), "-o", folder.file("out.flac")])
        #expect(flac.status == 0, "\(flac.stderr)")
        let head = try FileHandle(forReadingFrom: URL(fileURLWithPath: folder.file("out.flac"))).readData(ofLength: 4)
        #expect(head == Data("fLaC".utf8))
        for name in ["out.mp3", "out"] {
            let refused = try CLI.run(["denoise", folder.file("in.wav"), "-o", folder.file(name)])
            #expect(refused.status == 2, "\(name): \(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: folder.file(name)))
        }
        let bits = try CLI.run(["dehum", folder.file("in.wav"), "-o", folder.file("float.wav"), "--bits", "float",
                                "--json"])
        #expect(bits.status == 0, "\(bits.stderr)")
        #expect(bits.stdout.contains("\"sampleFormat\":\"float32\""), "\(bits.stdout)")
    }

    @Test func aCodecInputIsWrittenAsNearestPCMAndSaysSo() throws {
        let folder = TemporaryFolder()
        // G.711 µ-law, 8 kHz mono: 4000 frames of the code for zero.
        var bytes = Array("RIFF".utf8) + le32(4 + 26 + 12 + 8 + 4000) + Array("WAVE".utf8)
        bytes += Array("fmt ".utf8) + le32(18) + le16(7) + le16(1) + le32(8000) + le32(8000) + le16(1) + le16(8)
        bytes += le16(0)
        bytes += Array("fact".utf8) + le32(4) + le32(4000)
        bytes += Array("data".utf8) + le32(4000) + [UInt8](repeating: 0xFF, count: 4000)
        try Data(bytes).write(to: URL(fileURLWithPath: folder.file("ulaw.wav")))
        let result = try CLI.run(["dehum", folder.file("ulaw.wav"), "-o", folder.file("out.wav"), "--frequency", "60"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("16-bit PCM"), "the change of format is said: \(result.stdout)")
        #expect(try frameCount(folder.file("out.wav")) == 4000)
    }

    func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }

    @Test func standardInputAndOutputCarryAWholeWAV() throws {
        let folder = TemporaryFolder()
        try take(folder.file("in.wav"), frames: 48_000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["denoise", "-", "-o", "-"]
        process.currentDirectoryURL = URL(fileURLWithPath: folder.path)
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: folder.file("in.wav")))
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let audio = out.fileHandleForReading.readDataToEndOfFile()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        try audio.write(to: URL(fileURLWithPath: folder.file("piped.wav")))
        #expect(try frameCount(folder.file("piped.wav")) == 48_000)
        #expect(text.contains("(standard input) -> (standard output)"), "the report goes to stderr: \(text)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("-")), "no file named -")
    }

    @Test func aStreamOfUnknownLengthIsRead() throws {
        let folder = TemporaryFolder()
        try take(folder.file("in.wav"), frames: 10_000)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.file("in.wav"))))
        // What a streaming writer sends: no sizes.
        bytes.replaceSubrange(4..<8, with: [0xFF, 0xFF, 0xFF, 0xFF])
        bytes.replaceSubrange(40..<44, with: [0xFF, 0xFF, 0xFF, 0xFF])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["info", "-", "--json"]
        let input = Pipe(), out = Pipe()
        process.standardInput = input
        process.standardOutput = out
        try process.run()
        input.fileHandleForWriting.write(Data(bytes))
        try input.fileHandleForWriting.close()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(text.contains("\"frameCount\":10000"), "\(text)")
    }

    @Test func aFullStandardOutputIsAnError() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["info", CLI.sample("take_quiet.wav"), "--json"]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/full"))
        let err = Pipe()
        process.standardError = err
        try process.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1, "\(text)")
        #expect(text.contains("standard output"))
    }

    @Test func sigtermStopsADenoiseWithNothingLeft() throws {
        let folder = TemporaryFolder()
        try take(folder.file("in.wav"), frames: 48_000)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: folder.file("in.wav")))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["denoise", "-", "-o", folder.file("out.wav")]
        let input = Pipe(), err = Pipe()
        process.standardInput = input
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Half the file arrives, then the signal, then the rest: the job starts already asked to stop.
        input.fileHandleForWriting.write(bytes.prefix(bytes.count / 2))
        usleep(200_000)
        process.terminate()
        input.fileHandleForWriting.write(bytes.dropFirst(bytes.count / 2))
        try input.fileHandleForWriting.close()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 143, "\(text)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["in.wav"], "nothing partial")
    }

    @Test func aHugeLearnRangeIsAnErrorNotATrap() throws {
        let folder = TemporaryFolder()
        try take(folder.file("in.wav"))
        // A range reaching past the end is a usage error that gives the file's length (not cut, not a trap).
        let result = try CLI.run(["denoise", folder.file("in.wav"), "-o", folder.file("out.wav"), "--learn", "0-1e18"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("in.wav") && result.stderr.contains("0.500 s"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("out.wav")))
        let outside = try CLI.run(["denoise", folder.file("in.wav"), "-o", folder.file("o2.wav"),
                                   "--learn", "1e17-1e18"])
        #expect(outside.status == 2)
        #expect(outside.stderr.contains("in.wav"), "\(outside.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("o2.wav")))
        // The whole file as the range is inside it.
        let whole = try CLI.run(["denoise", folder.file("in.wav"), "-o", folder.file("o3.wav"), "--learn", "0-0.5"])
        #expect(whole.status == 0, "\(whole.stderr)")
        #expect(try frameCount(folder.file("o3.wav")) == 24_000)
    }

    @Test func aLongNameGetsATemporaryThatFits() throws {
        let folder = TemporaryFolder()
        try take(folder.file("in.wav"))
        let name = String(repeating: "n", count: 251) + ".wav"  // 255 bytes: NAME_MAX
        let result = try CLI.run(["process", folder.file("in.wav"), "-o", folder.file(name),
                                  "--preset", "denoise-only"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try frameCount(folder.file(name)) == 24_000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 2)
    }

    @Test func overwriteNeverReplacesAFIFO() throws {
        let folder = TemporaryFolder()
        try take(folder.file("in.wav"))
        #expect(mkfifo(folder.file("out.wav"), 0o644) == 0)
        let result = try CLI.run(["denoise", folder.file("in.wav"), "-o", folder.file("out.wav"), "--overwrite"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("FIFO"), "\(result.stderr)")
        var status = stat()
        #expect(lstat(folder.file("out.wav"), &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)
    }
}
