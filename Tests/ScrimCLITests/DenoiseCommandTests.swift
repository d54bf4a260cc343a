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
