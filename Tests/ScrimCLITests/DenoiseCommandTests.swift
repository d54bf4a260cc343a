import Foundation
import Testing

/// `scrim denoise`: the babble guard's report and switch (the reducer itself is tested in ScrimCleanupTests).
@Suite struct DenoiseCommandTests {
    @Test func theBabbleGuardIsReportedAndCanBeSwitchedOff() throws {
        let folder = TemporaryFolder()
        let input = CLI.sample("dialogue_roomtone.wav")
        // On: room tone is steady, so the guard is on but never engaged (share 0, no eased limit).
        let on = try CLI.run(["denoise", input, "-o", folder.file("on.wav"), "--json"])
        #expect(on.status == 0, "\(on.stderr)")
        let report = try CLI.report(try CLI.jsonLines(on.stdout).first, "denoise")
        #expect(report["write"] as? String == "cleaned")
        #expect(report["babbleGuardShare"] as? Double == 0)
        #expect(report["babbleGuardLowestLimitDb"] is NSNull)
        // Off: the report says so (null share) and the text line names it.
        let off = try CLI.run(["denoise", input, "-o", folder.file("off.wav"), "--json", "--no-babble-guard"])
        #expect(off.status == 0, "\(off.stderr)")
        let offReport = try CLI.report(try CLI.jsonLines(off.stdout).first, "denoise")
        #expect(offReport["babbleGuardShare"] is NSNull)
        let text = try CLI.run(["denoise", input, "-o", folder.file("text.wav")])
        #expect(text.stdout.contains("babble     guard not engaged"), "\(text.stdout)")
        let textOff = try CLI.run(["denoise", input, "-o", folder.file("text-off.wav"), "--no-babble-guard"])
        #expect(textOff.stdout.contains("babble     guard not running"), "\(textOff.stdout)")
        // Same input, guard idle: the two outputs are the same file content.
        let a = try Data(contentsOf: URL(fileURLWithPath: folder.file("on.wav")))
        let b = try Data(contentsOf: URL(fileURLWithPath: folder.file("off.wav")))
        #expect(a == b)
    }

    /// What to write is `--write`; `--output` is the output file, and its old use is a usage error that says so.
    @Test func writeSelectsTheKindAndOutputIsTheFile() throws {
        let folder = TemporaryFolder()
        let input = CLI.sample("dialogue_roomtone.wav")
        let residual = try CLI.run(["denoise", input, "--output", folder.file("r.wav"), "--write", "residual",
                                    "--json"])
        #expect(residual.status == 0, "\(residual.stderr)")
        let line = try #require(try CLI.jsonLines(residual.stdout).first)
        #expect(line["output"] as? String == folder.file("r.wav"))
        #expect(try CLI.report(line, "denoise")["write"] as? String == "residual")
        let old = try CLI.run(["denoise", input, "-o", folder.file("o.wav"), "--output", "residual"])
        #expect(old.status == 2)
        #expect(old.stderr.contains("--write"), "\(old.stderr)")
        #expect(folder.tree() == ["r.wav"])
    }
}

/// `scrim denoise --engine neural`: the report, the flags that belong to one engine, and a missing model.
@Suite(.enabled(if: NeuralCLI.modelInstalled, "the DeepFilterNet3 model is not installed (scripts/fetch-model.sh)"))
struct NeuralDenoiseCommandTests {
    /// The sample's room tone is heard as noise and lowered; the output keeps the input's length (the 1920 frames
    /// of latency compensated); the local SNR percentiles are ordered inside the network's −15…35 dB.
    @Test func theNeuralEngineReportsWhatItHeard() throws {
        let folder = TemporaryFolder()
        let input = CLI.sample("dialogue_roomtone.wav")
        let result = try CLI.run(["denoise", input, "-o", folder.file("n.wav"), "--engine", "neural", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(try CLI.jsonLines(result.stdout).first)
        let report = try CLI.report(line, "denoise")
        #expect(report["engine"] as? String == "neural")
        #expect(report["neuralMode"] as? String == "dialogue")
        #expect(report["mode"] is NSNull && report["babbleGuardShare"] is NSNull)
        let before = try #require(report["noiseFloorBeforeDbfs"] as? Double)
        let after = try #require(report["noiseFloorAfterDbfs"] as? Double)
        #expect(after < before - 6, "noise floor \(before) -> \(after)")
        let p10 = try #require(report["localSnrPercentile10Db"] as? Double)
        let median = try #require(report["localSnrMedianDb"] as? Double)
        let p90 = try #require(report["localSnrPercentile90Db"] as? Double)
        #expect(-15 <= p10 && p10 <= median && median <= p90 && p90 <= 35)
        let share = try #require(report["speechShare"] as? Double)
        #expect(share > 0.1 && share < 0.9, "the sample talks for part of its 10 s: \(share)")
        let file = try CLI.report(line, "file")
        #expect(file["frameCount"] as? Int == 480_000)
        // Dialogue mode on a file: the network passes are aligned before the last pass, whose refiner holds 960.
        #expect(file["latencyFramesCompensated"] as? Int == 960)
        #expect(report["neuralEnsemble"] as? String == "forward+reverse")
        #expect(report["dialogueGuard"] as? Double == 0, "room tone under speech: no guard")
        let reference = try CLI.run(["denoise", input, "-o", folder.file("r.wav"), "--engine", "neural",
                                     "--neural-mode", "reference", "--json"])
        let plain = try CLI.report(try CLI.jsonLines(reference.stdout).first, "denoise")
        #expect(plain["neuralEnsemble"] is NSNull && plain["mixBackShare"] is NSNull)
        #expect(try CLI.report(try CLI.jsonLines(reference.stdout).first, "file")["latencyFramesCompensated"]
                    as? Int == 1920)
        let text = try CLI.run(["denoise", input, "-o", folder.file("t.wav"), "--engine", "neural",
                                "--reduction", "12", "--write", "residual"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("DeepFilterNet3, dialogue mode, writes residual"), "\(text.stdout)")
        #expect(text.stdout.contains("limit 12.0 dB") && text.stdout.contains("local SNR median"), "\(text.stdout)")
    }

    /// Flags of the other engine are usage errors (exit 2) that name the flag; nothing is written.
    @Test func flagsOfTheOtherEngineAreRefused() throws {
        let folder = TemporaryFolder()
        let input = CLI.sample("dialogue_roomtone.wav")
        let cases: [([String], String)] = [
            (["--engine", "neural", "--learn", "auto"], "--learn"),
            (["--engine", "neural", "--link"], "--link"),
            (["--engine", "neural", "--reduction", "120"], "--reduction"),
            (["--post-filter"], "--post-filter"),
            (["--neural-mode", "reference"], "--neural-mode"),
            (["--model", folder.path], "--model"),
            (["--reduction", "60"], "--reduction"),
        ]
        for (flags, named) in cases {
            let result = try CLI.run(["denoise", input, "-o", folder.file("x.wav")] + flags)
            #expect(result.status == 2, "\(flags): \(result.status)")
            #expect(result.stderr.contains(named), "\(flags): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.file("x.wav")))
    }
}

/// A missing model: a clear error naming the fetch script, exit 1, no output, never the spectral engine. Runs
/// without the model too.
@Suite struct MissingModelTests {
    @Test func aMissingModelIsAnErrorNamingTheFetchScript() throws {
        let folder = TemporaryFolder()
        let input = CLI.sample("dialogue_roomtone.wav")
        let nowhere = folder.file("no-model")
        for arguments in [["denoise", input, "-o", folder.file("a.wav"), "--engine", "neural", "--model", nowhere],
                          ["process", input, "-o", folder.file("b.wav"), "--preset", "dialogue", "--model", nowhere],
                          ["batch", input, "-o", folder.file("out"), "--preset", "dialogue", "--model", nowhere]] {
            let result = try CLI.run(arguments)
            #expect(result.status == 1, "\(arguments[0]): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("scripts/fetch-model.sh"), "\(arguments[0]): \(result.stderr)")
            #expect(result.stderr.contains(nowhere), "\(arguments[0]) names the folder")
        }
        let json = try CLI.run(["denoise", input, "-o", folder.file("c.wav"), "--engine", "neural", "--model",
                                nowhere, "--json"])
        let line = try #require(try CLI.jsonLines(json.stdout).first)
        #expect((line["error"] as? [String: Any])?["code"] as? String == "modelNotFound")
        #expect(FileManager.default.subpaths(atPath: folder.path)?.filter { $0.hasSuffix(".wav") } == [])
    }
}

enum NeuralCLI {
    /// Whether the default model folder ($SCRIM_MODEL_PATH, then ~/.local/share/scrim/models/DeepFilterNet3)
    /// holds the network's files.
    static var modelInstalled: Bool {
        let environment = ProcessInfo.processInfo.environment
        let folder: String
        if let path = environment["SCRIM_MODEL_PATH"], !path.isEmpty {
            folder = path
        } else {
            let data = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
                ?? (NSHomeDirectory() + "/.local/share")
            folder = data + "/scrim/models/DeepFilterNet3"
        }
        return ["enc.onnx", "erb_dec.onnx", "df_dec.onnx", "config.ini"].allSatisfy {
            FileManager.default.fileExists(atPath: folder + "/" + $0)
        }
    }
}
