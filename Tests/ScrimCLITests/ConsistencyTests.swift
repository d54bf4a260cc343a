import Foundation
import Testing

/// One CLI: normalisation that lands on target, choices that are said, presets under their own name, progress on
/// a terminal, folders for the reading commands, and the help a user reads.
@Suite struct ConsistencyTests {
    /// A take built so that "target − measured" misses by about 2.8 LU (see LoudnessGainSolverTests): a part at
    /// `loud` dBFS peak, one 14 dB under it (just under the first pass's relative gate) and a long pause just
    /// under the absolute gate, which the gain lifts over it.
    static func gatedTake(at path: String, loud: Double = -37) throws {
        let levels: [(Double, Double)] = [(loud, 2), (loud - 14, 2), (-69, 36)]
        var frames: [Float] = []
        for (level, seconds) in levels {
            let amplitude = Float(pow(10, level / 20))
            let start = frames.count
            for i in 0..<Int(48_000 * seconds) {
                frames.append(amplitude * Float(sin(2 * Double.pi * 997 * Double(start + i) / 48_000)))
            }
        }
        try wavBytes(channels: 1, frames: frames.count, float: true) { _, i in frames[i] }
            .write(to: URL(fileURLWithPath: path))
    }

    func report(_ result: CLIResult, _ key: String) throws -> [String: Any] {
        let line = try #require(try CLI.jsonLines(result.stdout).first)
        return try #require(line[key] as? [String: Any], "no \(key) in \(result.stdout)")
    }

    @Test func normalizeLandsOnTargetWhereBlocksCrossTheAbsoluteGate() throws {
        let folder = TemporaryFolder()
        try Self.gatedTake(at: folder.file("gate.wav"))
        let run = try CLI.run(["normalize", folder.file("gate.wav"), "-o", folder.file("n.wav"), "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let normalize = try report(run, "normalize")
        let after = try #require((normalize["after"] as? [String: Any])?["integratedLoudnessLufs"] as? Double)
        #expect(abs(after - -23) <= 0.01, "landed at \(after)")
        // Measured again from the file by `scrim loudness`: the same 0.01 LU.
        let again = try report(try CLI.run(["loudness", folder.file("n.wav"), "--json"]), "loudness")
        let measured = try #require(again["integratedLoudnessLufs"] as? Double)
        #expect(abs(measured - -23) <= 0.01)
        // match --reference lands the take on the reference's loudness the same way.
        try writeShortWAV(to: folder.file("ref.wav"), frames: 96_000, amplitude: 0.1)
        let refLoudness = try #require(try report(try CLI.run(["loudness", folder.file("ref.wav"), "--json"]),
                                                  "loudness")["integratedLoudnessLufs"] as? Double)
        let match = try CLI.run(["match", folder.file("gate.wav"), "--reference", folder.file("ref.wav"),
                                 "-o", folder.file("matched"), "--json"])
        #expect(match.status == 0, "\(match.stderr)")
        let matched = try report(try CLI.run(["loudness", folder.file("matched/gate.wav"), "--json"]), "loudness")
        #expect(abs((matched["integratedLoudnessLufs"] as? Double ?? 0) - refLoudness) <= 0.01)
    }

    @Test func aLimiterThatPullsTheOutputOffTargetWarnsAndStrictFails() throws {
        let folder = TemporaryFolder()
        try writeShortWAV(to: folder.file("loud.wav"), frames: 96_000, amplitude: 0.5)
        // +14 dB gain against a -3 dBTP ceiling: the limiter has to take most peaks down.
        let arguments = ["normalize", folder.file("loud.wav"), "-o", folder.file("n.wav"), "--target", "-5",
                         "--true-peak", "-3", "--json"]
        let run = try CLI.run(arguments)
        #expect(run.status == 0, "without --strict the miss is a warning")
        let line = try #require(try CLI.jsonLines(run.stdout).first)
        let warnings = CLI.warnings(line)
        #expect(warnings.contains { $0.code == "targetMissed" && $0.message.hasPrefix("off target") }, "\(warnings)")
        let limiter = try #require(try report(run, "normalize")["limiter"] as? [String: Any])
        let percent = try #require(limiter["limitedPercent"] as? Double)
        #expect(percent > 1 && percent <= 100)
        let strict = try CLI.run(arguments + ["--strict", "--overwrite"])
        #expect(strict.status == 1, "--strict: \(strict.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder.file("n.wav")), "the file is still written")
        // Where the limiter is idle, --strict has nothing to say.
        let idle = try CLI.run(["normalize", folder.file("loud.wav"), "-o", folder.file("i.wav"), "--strict"])
        #expect(idle.status == 0)
    }

    @Test func aFilePresetKeepsItsOwnNameEverywhere() throws {
        let folder = TemporaryFolder()
        let template = try CLI.run(["presets", "--show", "dailies"])
        #expect(template.status == 0)
        #expect(template.stdout.contains("\"dailies-custom\""), "the copy is renamed")
        #expect(template.stderr.contains("dailies-custom"), "and the user is told")
        // The user names it "night" and edits it.
        let edited = template.stdout.replacingOccurrences(of: "\"dailies-custom\"", with: "\"night\"")
        try Data(edited.utf8).write(to: URL(fileURLWithPath: folder.file("night.json")))
        try writeShortWAV(to: folder.file("in.wav"), frames: 96_000, amplitude: 0.1)
        let run = try CLI.run(["process", folder.file("in.wav"), "-o", folder.file("out.wav"),
                               "--preset", folder.file("night.json"), "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let process = try report(run, "process")
        #expect(process["preset"] as? String == "night")
        let text = try CLI.run(["process", folder.file("in.wav"), "-o", folder.file("out2.wav"),
                                "--preset", folder.file("night.json")])
        #expect(text.stdout.contains("preset night") && !text.stdout.contains("dailies"), "\(text.stdout)")
        let dry = try CLI.run(["batch", folder.file("in.wav"), "-o", folder.file("b"), "--preset",
                               folder.file("night.json"), "--dry-run"])
        #expect(dry.stdout.contains("preset night"), "\(dry.stdout)")
        // A file without "name" is named after the file.
        let unnamed = edited.replacingOccurrences(of: "\"name\" : \"night\",", with: "")
            .replacingOccurrences(of: "\"name\":\"night\",", with: "")
        try Data(unnamed.utf8).write(to: URL(fileURLWithPath: folder.file("evening.json")))
        let stem = try CLI.run(["process", folder.file("in.wav"), "-o", folder.file("out3.wav"),
                                "--preset", folder.file("evening.json"), "--json"])
        if !unnamed.contains("\"night\"") {
            #expect(try report(stem, "process")["preset"] as? String == "evening")
        }
    }

    @Test func theCodingHistoryNamesThePresetAndItsFingerprint() throws {
        let folder = TemporaryFolder()
        let run = try CLI.run(["process", CLI.sample("poly_bwf_4ch.wav"), "-o", folder.file("out.wav"),
                               "--preset", "denoise-only", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let file = try report(run, "file")
        let history = try #require(file["codingHistoryLine"] as? String)
        let fingerprint = try #require(try report(run, "process")["presetFingerprint"] as? String)
        #expect(history.contains("preset denoise-only") && history.contains(fingerprint), "\(history)")
    }

    @Test func aLearnRangeOfSpeechAndAMismatchedProfileAreSaid() throws {
        let folder = TemporaryFolder()
        let sample = CLI.sample("dialogue_roomtone.wav")
        // 1.5 s of room tone, then two people talking (samples/README.md).
        let roomTone = try CLI.run(["denoise", sample, "-o", folder.file("a.wav"), "--learn", "0-1.4", "--json"])
        #expect((try CLI.jsonLines(roomTone.stdout).first?["warnings"] as? [Any])?.isEmpty == true)
        let speech = try CLI.run(["denoise", sample, "-o", folder.file("b.wav"), "--learn", "5-9", "--json"])
        #expect(speech.status == 0)
        let warnings = CLI.warnings(try CLI.jsonLines(speech.stdout).first)
        #expect(warnings.contains { $0.code == "learnRangeHasSpeech" && $0.message.contains("sounds like dialogue") },
                "\(warnings)")
        // A profile of a 4-track poly file, 30 dB louder than this take's room tone.
        _ = try CLI.run(["profile", CLI.sample("poly_bwf_4ch.wav"), "-o", folder.file("poly.json")])
        let mismatch = try CLI.run(["denoise", CLI.sample("take_quiet.wav"), "-o", folder.file("c.wav"),
                                    "--profile", folder.file("poly.json"), "--json"])
        let said = CLI.warnings(try CLI.jsonLines(mismatch.stdout).first)
        #expect(said.contains { $0.code == "profileMismatch" && $0.message.contains("4 channels") }, "\(said)")
        #expect(said.contains { $0.code == "profileLevelMismatch"
                    && $0.message.contains("above this file's quietest half second") }, "\(said)")
    }

    @Test func dehumAtAFrequencyWithNoHumPassesThroughAndSaysWhatIsThere() throws {
        let folder = TemporaryFolder()
        let clean = try CLI.run(["dehum", CLI.sample("take_quiet.wav"), "-o", folder.file("a.wav"),
                                 "--frequency", "50", "--json"])
        #expect(clean.status == 0)
        let line = try #require(try CLI.jsonLines(clean.stdout).first)
        let first = CLI.warnings(line).first
        #expect(first?.code == "humNotFound" && first?.message.contains("passes through unchanged") == true)
        #expect(((line["dehum"] as? [String: Any])?["removedHarmonics"] as? [Any])?.isEmpty == true)
        // The samples are identical (16-bit in, 16-bit out, nothing done).
        let input = try Data(contentsOf: URL(fileURLWithPath: CLI.sample("take_quiet.wav")))
        let output = try Data(contentsOf: URL(fileURLWithPath: folder.file("a.wav")))
        #expect(input.suffix(10_000) == output.suffix(10_000))
        let forced = try CLI.run(["dehum", CLI.sample("take_quiet.wav"), "-o", folder.file("b.wav"),
                                  "--frequency", "50", "--force", "--json"])
        let removed = ((try CLI.jsonLines(forced.stdout).first?["dehum"] as? [String: Any])?["removedHarmonics"]
            as? [Any]) ?? []
        #expect(!removed.isEmpty, "--force removes anyway")
        // On a 60 Hz take, --frequency 50 is told where the hum really is.
        let wrong = try CLI.run(["dehum", CLI.sample("hum_take.wav"), "-o", folder.file("c.wav"),
                                 "--frequency", "50", "--json"])
        let told = CLI.warnings(try CLI.jsonLines(wrong.stdout).first)
        #expect(told.contains { $0.code == "humFrequencyMismatch"
                    && ($0.message.contains("59.9") || $0.message.contains("60.0")) }, "\(told)")
    }

    @Test func progressShowsOnATerminalOnly() throws {
        let folder = TemporaryFolder()
        // Not a terminal: nothing on stderr but the report's own lines.
        let quiet = try CLI.run(["denoise", CLI.sample("hum_take.wav"), "-o", folder.file("a.wav")])
        #expect(!quiet.stderr.contains("\u{1B}[K") && !quiet.stdout.contains("%"))
        // A terminal (script(1) gives the command a pseudo-terminal), with the one-second delay set to 0.
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qfec", "\(CLI.binary) denoise \(CLI.sample("hum_take.wav")) -o \(folder.file("b.wav"))",
                             "/dev/null"]
        process.environment = ProcessInfo.processInfo.environment.merging(["SCRIM_PROGRESS_AFTER_SECONDS": "0"]) {
            $1
        }
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(text.contains("\u{1B}[K") && text.contains("denoise") && text.contains("%"), "\(text.prefix(300))")
    }

    @Test func readingCommandsTakeFolders() throws {
        let folder = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.file("day/sub"), withIntermediateDirectories: true)
        try writeShortWAV(to: folder.file("day/a.wav"), frames: 48_000)
        try writeShortWAV(to: folder.file("day/sub/b.wav"), frames: 48_000)
        try Data("notes".utf8).write(to: URL(fileURLWithPath: folder.file("day/notes.txt")))
        for command in ["info", "analyze", "loudness"] {
            let run = try CLI.run([command, folder.file("day"), "--json"])
            #expect(run.status == 0, "\(command): \(run.stderr)")
            let lines = try CLI.jsonLines(run.stdout)
            let inputs = lines.filter { $0["status"] as? String == "done" }.compactMap { $0["input"] as? String }
            #expect(inputs.contains { $0.hasSuffix("day/a.wav") } && inputs.contains { $0.hasSuffix("sub/b.wav") },
                    "\(command): \(inputs)")
            #expect(lines.contains { $0["event"] as? String == "skippedPath" && ($0["input"] as? String)?
                .hasSuffix("notes.txt") == true }, "\(command): the other file is listed")
        }
    }

    @Test func helpGivesExitCodesCompletionAndCleanText() throws {
        let help = try CLI.run(["--help"]).stdout
        #expect(help.contains("130") && help.contains("143") && help.contains("completion"))
        let bash = try CLI.run(["--generate-completion-script", "bash"])
        #expect(bash.status == 0 && bash.stdout.contains("scrim"))
        let folder = TemporaryFolder()
        let denoise = try CLI.run(["denoise", CLI.sample("take_quiet.wav"), "-o", folder.file("a.wav")]).stdout
        #expect(!denoise.contains("adaptive (adaptive)") && !denoise.contains("average - dB"), "\(denoise)")
        try Data(count: 0).write(to: URL(fileURLWithPath: folder.file("empty")))
        let silence = folder.file("silence.wav")
        try wavBytes(channels: 1, frames: 48_000) { _, _ in 0 }.write(to: URL(fileURLWithPath: silence))
        let silent = try CLI.run(["denoise", silence, "-o", folder.file("b.wav")]).stdout
        #expect(!silent.contains("-200.0"), "\(silent)")
        let process = try CLI.run(["process", CLI.sample("take_quiet.wav"), "-o", folder.file("c.wav"),
                                   "--preset", "denoise-only"]).stdout
        #expect(process.contains("(1 pass)"), "\(process)")
    }
}
