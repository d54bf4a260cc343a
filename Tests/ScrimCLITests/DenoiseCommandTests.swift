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
        let report = try #require(try CLI.jsonLines(on.stdout).first)
        #expect(report["babbleGuardShare"] as? Double == 0)
        #expect(report["babbleGuardLowestLimitDb"] is NSNull)
        // Off: the report says so (null share) and the text line names it.
        let off = try CLI.run(["denoise", input, "-o", folder.file("off.wav"), "--json", "--no-babble-guard"])
        #expect(off.status == 0, "\(off.stderr)")
        let offReport = try #require(try CLI.jsonLines(off.stdout).first)
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
}
