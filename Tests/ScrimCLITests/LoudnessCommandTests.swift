import Foundation
import Testing

/// `scrim loudness`, `scrim normalize` and `scrim match` on the built binary and the real samples.
///
/// Loudness tolerances are the issue's ±0.1 LU (also EBU Tech 3341's meter tolerance). Every "after" figure is
/// checked by measuring the written file again with `scrim loudness`, not only by reading the report.
@Suite struct LoudnessCommandTests {
    static let measurementKeys = ["integratedLoudnessLufs", "loudnessRangeLu", "truePeakDbtp", "samplePeakDbfs",
                                  "maxMomentaryLoudnessLufs", "maxShortTermLoudnessLufs"]

    /// Measures files with `scrim loudness --json` and returns the per-file `loudness` reports (programme line
    /// dropped).
    func measure(_ paths: [String], _ extra: [String] = []) throws -> [[String: Any]] {
        let result = try CLI.run(["loudness", "--json"] + extra + paths)
        #expect(result.status == 0, "\(result.stderr)")
        return try CLI.jsonLines(result.stdout).filter { $0["programme"] == nil }.map { try CLI.report($0, "loudness") }
    }

    /// The `normalize` report and the `file` report of `scrim normalize --json`'s line.
    func normalized(_ result: CLIResult) throws -> (report: [String: Any], file: [String: Any]) {
        let line = try #require(try CLI.jsonLines(result.stdout).first)
        #expect(line["command"] as? String == "normalize" && line["status"] as? String == "done")
        return (try CLI.report(line, "normalize"), try CLI.report(line, "file"))
    }

    func number(_ object: [String: Any]?, _ key: String) throws -> Double {
        try #require(object?[key] as? Double ?? (object?[key] as? Int).map(Double.init), "\(key)")
    }

    @Test func loudnessReportsEveryKeyAndTheProgramme() throws {
        let result = try CLI.run(["loudness", "--json", CLI.sample("take_quiet.wav"), CLI.sample("take_loud.wav")])
        #expect(result.status == 0)
        let envelopes = try CLI.jsonLines(result.stdout)
        #expect(envelopes.count == 3)
        #expect(envelopes.allSatisfy { $0["command"] as? String == "loudness" && $0["status"] as? String == "done" })
        #expect(envelopes.prefix(2).map { $0["input"] as? String }
            == [CLI.sample("take_quiet.wav"), CLI.sample("take_loud.wav")])
        let lines = try envelopes.prefix(2).map { try CLI.report($0, "loudness") }
        // The programme line: no input, its figures under `programme`.
        #expect(envelopes[2]["input"] is NSNull && envelopes[2]["loudness"] == nil)
        let programme = try CLI.report(envelopes[2], "programme")
        for line in lines + [programme] {
            for key in Self.measurementKeys { #expect(line[key] is Double, "\(key)") }
        }
        #expect(abs(try number(lines[0], "integratedLoudnessLufs") + 32) <= 0.1)
        #expect(abs(try number(lines[1], "integratedLoudnessLufs") + 18) <= 0.1)
        #expect(programme["fileCount"] as? Int == 2)
        // Gated over both takes' blocks: most of the quiet take falls under the relative gate (≈ −33 LUFS), so
        // the programme sits near the loud take, far from the −25 LUFS an average of the two would give.
        let integrated = try number(programme, "integratedLoudnessLufs")
        #expect(integrated > -21 && integrated < -18, "\(integrated)")
        #expect(try number(programme, "truePeakDbtp") == number(lines[1], "truePeakDbtp"))

        let text = try CLI.run(["loudness", CLI.sample("take_quiet.wav"), CLI.sample("take_loud.wav")])
        let rows = text.stdout.split(separator: "\n").map(String.init)
        #expect(rows.count == 5, "heading, units, two files, programme")
        #expect(rows[2].contains("take_quiet.wav") && rows[2].contains("-32.0"))
        #expect(rows.last?.hasPrefix("programme (2 files)") == true)
        // Aligned columns: every row's integrated-loudness figure ends where the heading "integrated" ends.
        let heading = rows[0]
        let column = try #require(heading.range(of: "integrated"))
        let end = heading.distance(from: heading.startIndex, to: column.upperBound)
        for row in rows.dropFirst() {
            let characters = Array(row)
            #expect(characters.count > end && characters[end - 1] != " " && characters[end] == " ", "\(row)")
        }
    }

    @Test func loudnessDialogueAddsSpeechFigures() throws {
        let line = try #require(try measure([CLI.sample("dialogue_roomtone.wav")], ["--dialogue"]).first)
        #expect(line["dialogueGated"] as? Bool == true)
        #expect(line["dialogueLoudnessLufs"] is Double)
        let fraction = try number(line, "speechFraction")
        #expect(fraction > 0 && fraction <= 1)
    }

    /// Done-when: each sample normalised lands within ±0.1 LU of the target and under the ceiling (re-measured).
    @Test(arguments: ["dialogue_roomtone.wav", "hum_take.wav", "take_quiet.wav", "take_loud.wav", "poly_bwf_4ch.wav"])
    func normalizeLandsOnTarget(name: String) throws {
        let folder = TemporaryFolder()
        let output = folder.file(name)
        let result = try CLI.run(["normalize", "--json", CLI.sample(name), "-o", output])
        #expect(result.status == 0, "\(result.stderr)")
        let (report, file) = try normalized(result)
        #expect(try CLI.jsonLines(result.stdout).first?["output"] as? String == output)
        let limiter = try #require(report["limiter"] as? [String: Any])
        #expect(limiter["engaged"] as? Bool == false, "the samples need no limiting for EBU R 128")
        let after = try #require(try measure([output]).first)
        #expect(abs(try number(after, "integratedLoudnessLufs") + 23) <= 0.1)
        #expect(try number(after, "truePeakDbtp") <= -1 + 0.002)  // 0.002 dB: 24-bit rounding of the output
        #expect(abs(try number(report, "errorLu")) <= 0.1)
        #expect(file["frameCount"] as? Int == after["frameCount"] as? Int)
    }

    /// `--dialogue`: the speech blocks' loudness is brought to the target. The voice-activity gate's three tests
    /// (band ratio, modulation, distance from its floor) are all scale-free, so the output's speech blocks are the
    /// input's and its dialogue loudness lands on the target within the same 0.1 LU.
    @Test func normalizeDialogueLoudness() throws {
        let folder = TemporaryFolder()
        let output = folder.file("d.wav")
        let result = try CLI.run(["normalize", "--json", "--dialogue", CLI.sample("dialogue_roomtone.wav"),
                                  "-o", output])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try normalized(result).report
        let before = try #require(report["before"] as? [String: Any])
        let dialogue = try number(before, "dialogueLoudnessLufs")
        #expect(abs(try number(report, "gainDb") - (-23 - dialogue)) < 0.002)
        let after = try #require(try measure([output], ["--dialogue"]).first)
        #expect(abs(try number(after, "dialogueLoudnessLufs") + 23) <= 0.1)
        #expect(abs(try number(report, "errorLu")) <= 0.1)
    }

    /// The limiter is in the path only when the first pass predicts a peak near the ceiling, and the text says so.
    @Test func limiterIsArmedOnlyWhenNeeded() throws {
        let folder = TemporaryFolder()
        let calm = try CLI.run(["normalize", "--json", CLI.sample("take_quiet.wav"), "-o", folder.file("a.wav")])
        let a = try #require(try normalized(calm).report["limiter"] as? [String: Any])
        #expect(a["armed"] as? Bool == false)
        #expect(try normalized(calm).file["latencyFramesCompensated"] as? Int == 0)
        let hot = try CLI.run(["normalize", "--json", CLI.sample("take_loud.wav"), "-o", folder.file("b.wav"),
                               "--preset", "streaming"])
        let b = try #require(try normalized(hot).report["limiter"] as? [String: Any])
        #expect(b["armed"] as? Bool == true && b["engaged"] as? Bool == true)
        let text = try CLI.run(["normalize", CLI.sample("take_quiet.wav"), "-o", folder.file("c.wav")])
        #expect(text.stdout.contains("limiter   not needed"))
    }

    @Test func presetsAndExplicitTargets() throws {
        let folder = TemporaryFolder()
        let cases: [([String], Double, Double)] = [
            (["--preset", "atsc-a85"], -24, -2), (["--preset", "podcast"], -16, -1),
            (["--target", "-20", "--true-peak", "-3"], -20, -3), (["--preset", "streaming", "--target=-15"], -15, -1),
        ]
        for (index, (flags, target, ceiling)) in cases.enumerated() {
            let output = folder.file("out\(index).wav")
            let result = try CLI.run(["normalize", "--json", CLI.sample("take_quiet.wav"), "-o", output] + flags)
            #expect(result.status == 0, "\(flags): \(result.stderr)")
            let report = try normalized(result).report
            let goal = try #require(report["target"] as? [String: Any])
            #expect(try number(goal, "targetLoudnessLufs") == target)
            #expect(goal["truePeakCeilingDbtp"] == nil, "the ceiling is given once, beside the target")
            #expect(try number(report, "truePeakCeilingDbtp") == ceiling)
            let after = try #require(try measure([output]).first)
            #expect(abs(try number(after, "integratedLoudnessLufs") - target) <= 0.1, "\(flags)")
            #expect(try number(after, "truePeakDbtp") <= ceiling + 0.002)
        }
    }

    /// The loud take to −14 LUFS needs +4 dB over a −2.8 dBTP peak: the limiter engages and says so by default;
    /// --no-limiter lowers the gain and reports the shortfall (gain + shortfall = the full gain).
    @Test func limiterReportAndNoLimiterShortfall() throws {
        let folder = TemporaryFolder()
        let input = CLI.sample("take_loud.wav")
        let limited = try CLI.run(["normalize", "--json", input, "-o", folder.file("a.wav"), "--preset", "streaming"])
        let a = try normalized(limited).report
        let limiter = try #require(a["limiter"] as? [String: Any])
        #expect(limiter["engaged"] as? Bool == true)
        #expect((limiter["limitedFrames"] as? Int ?? 0) > 0)
        #expect(try number(limiter, "deepestReductionDb") > 0)
        #expect(try number(try measure([folder.file("a.wav")]).first, "truePeakDbtp") <= -1 + 0.002)

        let lowered = try CLI.run(["normalize", "--json", input, "-o", folder.file("b.wav"), "--preset", "streaming",
                                   "--no-limiter"])
        #expect(lowered.status == 0)
        let b = try normalized(lowered).report
        #expect(b["truePeakHandling"] as? String == "lowerGain")
        let shortfall = try number(b, "shortfallLu")
        #expect(shortfall > 1)
        #expect(abs(try number(b, "gainDb") + shortfall - number(a, "gainDb")) < 0.002)
        let after = try #require(try measure([folder.file("b.wav")]).first)
        #expect(abs(try number(after, "integratedLoudnessLufs") - (-14 - shortfall)) <= 0.1)
        #expect(try number(after, "truePeakDbtp") <= -1 + 0.002)
        let text = try CLI.run(["normalize", input, "-o", folder.file("c.wav"), "--preset", "streaming",
                                "--no-limiter"])
        #expect(text.stdout.contains("LU short of the target"))
    }

    @Test func measuredRoundTripSkipsTheFirstPass() throws {
        let folder = TemporaryFolder()
        let input = CLI.sample("hum_take.wav")
        let measurement = try CLI.run(["loudness", "--json", CLI.sample("take_quiet.wav"), input])
        try Data(measurement.stdout.utf8).write(to: URL(fileURLWithPath: folder.file("m.jsonl")))
        let reused = try CLI.run(["normalize", "--json", input, "-o", folder.file("r.wav"),
                                  "--measured", folder.file("m.jsonl")])
        #expect(reused.status == 0, "\(reused.stderr)")
        let fresh = try CLI.run(["normalize", "--json", input, "-o", folder.file("f.wav")])
        let r = try normalized(reused).report
        let f = try normalized(fresh).report
        #expect(r["measurement"] as? String == "reused")
        #expect(f["measurement"] as? String == "firstPass")
        // The JSON keeps levels to 0.001, so the gains agree to that.
        #expect(abs(try number(r, "gainDb") - number(f, "gainDb")) <= 0.001)
        #expect(abs(try number(try measure([folder.file("r.wav")]).first, "integratedLoudnessLufs") + 23) <= 0.1)
    }

    @Test func measuredFromAnotherFileIsRefused() throws {
        let folder = TemporaryFolder()
        let loud = try CLI.run(["loudness", "--json", CLI.sample("take_loud.wav")])
        try Data(loud.stdout.utf8).write(to: URL(fileURLWithPath: folder.file("loud.json")))
        let wrong = try CLI.run(["normalize", CLI.sample("take_quiet.wav"), "-o", folder.file("x.wav"),
                                 "--measured", folder.file("loud.json")])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("does not describe"))
        #expect(!FileManager.default.fileExists(atPath: folder.file("x.wav")))

        // Same file name, different content length: the frame count gives it away.
        let copy = folder.file("take_loud.wav")
        try writeShortWAV(to: copy, frames: 4800)
        let mismatch = try CLI.run(["normalize", copy, "-o", folder.file("y.wav"),
                                    "--measured", folder.file("loud.json")])
        #expect(mismatch.status == 2)
        #expect(mismatch.stderr.contains("216000 frames measured, the file has 4800"))

        let missing = try CLI.run(["normalize", CLI.sample("take_loud.wav"), "-o", folder.file("z.wav"),
                                   "--measured", folder.file("nope.json")])
        #expect(missing.status == 2)
    }

    /// Done-when: the quiet and loud takes matched together land within 0.1 LU of each other (re-measured).
    @Test func matchTogetherBringsTakesWithinATenthOfAnLU() throws {
        let folder = TemporaryFolder()
        let outdir = folder.file("matched/day1")
        let result = try CLI.run(["match", "--json", "--together", CLI.sample("take_quiet.wav"),
                                  CLI.sample("take_loud.wav"), "-o", outdir])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try CLI.jsonLines(result.stdout)
        #expect(lines.count == 3)
        let last = try #require(lines.last)
        #expect(last["command"] as? String == "match" && last["status"] as? String == "done")
        #expect(last["input"] is NSNull && last["output"] as? String == outdir && last["error"] is NSNull)
        let summary = try CLI.report(last, "matchSummary")
        #expect(summary["mode"] as? String == "together")
        #expect(summary["fileCount"] as? Int == 2 && summary["failedCount"] as? Int == 0)
        #expect(abs(try number(summary, "referenceLoudnessLufs") + 25) <= 0.1, "median of −32 and −18")
        for (line, name) in zip(lines.dropLast(), ["take_quiet.wav", "take_loud.wav"]) {
            #expect(line["status"] as? String == "done" && line["output"] as? String == outdir + "/" + name)
            let take = try CLI.report(line, "match")
            #expect((take["limiter"] as? [String: Any])?["engaged"] as? Bool == false)
            #expect(take["after"] is [String: Any] && take["gainDb"] is Double)
            #expect(try CLI.report(line, "file")["frameCount"] as? Int == 216_000)
        }
        let after = try measure([outdir + "/take_quiet.wav", outdir + "/take_loud.wav"])
        let levels = try after.map { try number($0, "integratedLoudnessLufs") }
        #expect(levels.count == 2 && abs(levels[0] - levels[1]) <= 0.1, "\(levels)")
        #expect(try number(summary, "spreadAfterLu") <= 0.1)
        #expect(try number(summary, "spreadBeforeLu") > 13)

        let text = try CLI.run(["match", "--together", CLI.sample("take_quiet.wav"), CLI.sample("take_loud.wav"),
                                "-o", folder.file("text"), "--dialogue"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("median of 2 takes"))
        #expect(text.stdout.contains("spread"))
    }

    @Test func matchToReference() throws {
        let folder = TemporaryFolder()
        let result = try CLI.run(["match", "--json", "--reference", CLI.sample("take_quiet.wav"),
                                  CLI.sample("take_loud.wav"), CLI.sample("hum_take.wav"), "-o", folder.path])
        #expect(result.status == 0, "\(result.stderr)")
        let reference = try #require(try measure([CLI.sample("take_quiet.wav")]).first)
        let target = try number(reference, "integratedLoudnessLufs")
        for name in ["take_loud.wav", "hum_take.wav"] {
            let after = try #require(try measure([folder.file(name)]).first)
            #expect(abs(try number(after, "integratedLoudnessLufs") - target) <= 0.1, "\(name)")
        }
    }

    @Test func badFilesExitOneAndTheOthersAreStillProcessed() throws {
        let folder = TemporaryFolder()
        let text = folder.file("notes.wav")
        try Data("not audio\n".utf8).write(to: URL(fileURLWithPath: text))
        let loudness = try CLI.run(["loudness", "--json", text, CLI.sample("take_quiet.wav")])
        #expect(loudness.status == 1)
        let lines = try CLI.jsonLines(loudness.stdout)
        #expect(lines.count == 2)
        #expect((lines[0]["error"] as? [String: Any])?["code"] as? String == "notAudio")
        #expect(lines[0]["status"] as? String == "failed" && lines[0]["input"] as? String == text)
        #expect(try CLI.report(lines[1], "loudness")["integratedLoudnessLufs"] is Double)

        let match = try CLI.run(["match", "--together", CLI.sample("take_quiet.wav"), text,
                                 CLI.sample("take_loud.wav"), "-o", folder.file("out")])
        #expect(match.status == 1)
        #expect(match.stderr.contains("notes.wav"))
        #expect(FileManager.default.fileExists(atPath: folder.file("out/take_quiet.wav")))
        #expect(FileManager.default.fileExists(atPath: folder.file("out/take_loud.wav")))
        #expect(!FileManager.default.fileExists(atPath: folder.file("out/notes.wav")))
        // With --json the failed take is a failure line and the summary says some files failed.
        let matchJSON = try CLI.run(["match", "--json", "--together", CLI.sample("take_quiet.wav"), text,
                                     CLI.sample("take_loud.wav"), "-o", folder.file("json")])
        #expect(matchJSON.status == 1)
        let matchLines = try CLI.jsonLines(matchJSON.stdout)
        let failure = try #require(matchLines.first { $0["input"] as? String == text })
        #expect(failure["status"] as? String == "failed")
        #expect((failure["error"] as? [String: Any])?["code"] as? String == "notAudio")
        let summary = try #require(matchLines.last)
        #expect(summary["status"] as? String == "failed")
        #expect((summary["error"] as? [String: Any])?["code"] as? String == "someFilesFailed")
        #expect(try CLI.report(summary, "matchSummary")["failedCount"] as? Int == 1)

        let normalize = try CLI.run(["normalize", text, "-o", folder.file("n.wav")])
        #expect(normalize.status == 1)
        #expect(!FileManager.default.fileExists(atPath: folder.file("n.wav")))
    }

    @Test func outputsAreNotOverwrittenUnlessAsked() throws {
        let folder = TemporaryFolder()
        let args = ["normalize", CLI.sample("take_quiet.wav"), "-o", folder.file("o.wav")]
        #expect(try CLI.run(args).status == 0)
        let again = try CLI.run(args + ["--json"])
        #expect(again.status == 1)
        let line = try #require(try CLI.jsonLines(again.stdout).first)
        #expect((line["error"] as? [String: Any])?["code"] as? String == "outputExists")
        #expect(try CLI.run(args + ["--overwrite"]).status == 0)
    }

    @Test func silenceIsReportedAndGetsNoGain() throws {
        let folder = TemporaryFolder()
        try writeShortWAV(to: folder.file("silence.wav"), frames: 48_000, amplitude: 0)
        let result = try CLI.run(["normalize", "--json", folder.file("silence.wav"), "-o", folder.file("o.wav")])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try normalized(result).report
        #expect(try number(report, "gainDb") == 0)
        #expect((report["note"] as? String)?.contains("silent") == true)
    }

    @Test func usageErrorsExitWithTwo() throws {
        let folder = TemporaryFolder()
        let quiet = CLI.sample("take_quiet.wav"), loud = CLI.sample("take_loud.wav")
        let out = folder.file("x")
        let cases: [[String]] = [
            ["loudness"],
            ["loudness", "--layout", "quad", quiet],
            ["normalize", quiet],
            ["normalize", quiet, "-o", out, "--preset", "loud"],
            ["normalize", quiet, "-o", out, "--target", "5"],
            ["normalize", quiet, "-o", out, "--true-peak", "banana"],
            ["match", quiet, loud, "-o", out],
            ["match", "--together", "--reference", quiet, loud, "-o", out],
            ["match", "--together", quiet, "-o", out],
            ["match", "--together", quiet, folder.file("take_quiet.wav"), "-o", out],
            ["match", "--together", quiet, loud],
            // The old output flags are gone: one -o/--output for every command.
            ["normalize", quiet, "--out", out],
            ["match", "--together", quiet, loud, "--output-dir", out],
        ]
        for arguments in cases {
            let result = try CLI.run(arguments)
            #expect(result.status == 2, "\(arguments): \(result.status) \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
        let old = try CLI.run(["normalize", quiet, "--out", out])
        #expect(old.stderr.contains("-o/--output"), "the error names the new flag: \(old.stderr)")
    }

    @Test func layoutOverrideThatDoesNotFitIsAFileError() throws {
        let result = try CLI.run(["loudness", "--layout", "5.1", CLI.sample("take_quiet.wav")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("5.1"))
    }
}

/// A 16-bit mono 48 kHz WAV of a 1 kHz sine (or silence), written byte by byte.
func writeShortWAV(to path: String, frames: Int, amplitude: Double = 0.1) throws {
    var bytes: [UInt8] = []
    func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    bytes += Array("RIFF".utf8); u32(UInt32(36 + 2 * frames)); bytes += Array("WAVEfmt ".utf8)
    u32(16); u16(1); u16(1); u32(48_000); u32(96_000); u16(2); u16(16)
    bytes += Array("data".utf8); u32(UInt32(2 * frames))
    for i in 0..<frames {
        let x = amplitude * sin(2 * Double.pi * 1000 * Double(i) / 48_000)
        u16(UInt16(bitPattern: Int16((x * 32_767).rounded())))
    }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}
