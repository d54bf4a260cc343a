import Foundation
import Testing

@Suite struct DehumCommandTests {
    /// `scrim dehum` reports the remover's choices for the hum sample (steady 60 Hz mains hum, samples/README.md):
    /// the 2.5 s reach and a level treated as steady, in JSON (`lookaheadSeconds`, `levelVaries`) and in text.
    @Test func reportsTheReachAndWhetherTheLevelVaries() throws {
        let folder = TemporaryFolder()
        let output = folder.file("out.wav")
        let result = try CLI.run(["dehum", CLI.sample("hum_take.wav"), "-o", output, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(try CLI.jsonLines(result.stdout).first)
        #expect(line["command"] as? String == "dehum" && line["status"] as? String == "done")
        #expect(line["output"] as? String == output)
        let report = try CLI.report(line, "dehum")
        #expect(try CLI.report(line, "file")["frameCount"] as? Int == 432_000)
        #expect(report["lookaheadSeconds"] as? Double == 2.5)
        #expect(report["levelVaries"] as? Bool == false)
        let detection = try #require(report["detection"] as? [String: Any])
        let range = try #require(detection["levelRangeDb"] as? Double)
        #expect(range < 6, "the sample's steady hum reads a level range of \(range) dB")

        let text = try CLI.run(["dehum", CLI.sample("hum_take.wav"), "-o", output, "--overwrite"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("hum under speech from 2.5 s either side; level varies"))
        #expect(!text.stdout.contains("followed under speech"))
    }
}
