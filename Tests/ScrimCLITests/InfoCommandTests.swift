import Foundation
import Testing

@Suite struct InfoCommandTests {
    /// The poly sample's metadata as samples/README.md documents it (written by samples/make_samples.py).
    @Test func polySampleShowsTimecodeAndIXML() throws {
        let result = try CLI.run(["info", "--json", CLI.sample("poly_bwf_4ch.wav")])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(try CLI.jsonLines(result.stdout).first)
        #expect(line["command"] as? String == "info" && line["status"] as? String == "done")
        #expect(line["input"] as? String == CLI.sample("poly_bwf_4ch.wav") && line["output"] is NSNull)
        let object = try CLI.report(line, "info")
        #expect(object["path"] == nil, "the path is the envelope's input")
        #expect(object["timecode"] as? String == "14:23:05:12")
        #expect(object["timecodeRate"] as? String == "24000/1001")
        #expect(object["timeReferenceSamples"] as? Int == 2_488_189_704)
        #expect(object["scene"] as? String == "42A")
        #expect(object["take"] as? String == "3")
        #expect(object["trackNames"] as? [String] == ["BOOM", "LAV A", "LAV B", "MIX"])
        #expect(object["channelCount"] as? Int == 4)
        #expect(object["sampleFormat"] as? String == "pcm24")
        #expect(object["sampleRate"] as? Int == 48_000)
        #expect(object["frameCount"] as? Int == 432_000)
    }

    @Test func everySampleIsReadable() throws {
        let names = ["dialogue_roomtone.wav", "hum_take.wav", "take_quiet.wav", "take_loud.wav", "poly_bwf_4ch.wav"]
        let result = try CLI.run(["info", "--json"] + names.map(CLI.sample))
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try CLI.jsonLines(result.stdout)
        #expect(lines.count == names.count)
        for line in lines {
            #expect(line["status"] as? String == "done" && line["error"] is NSNull)
            let object = try CLI.report(line, "info")
            #expect(object["sampleRate"] as? Int == 48_000)
            let peak = try #require(object["samplePeakDbfs"] as? Double)
            #expect(peak < 0 && peak > -40, "samples are normal production levels")
        }
    }

    @Test func hummingSampleWithoutIXMLGivesTimeOfDayAndHonoursFps() throws {
        let plain = try CLI.run(["info", "--json", CLI.sample("hum_take.wav")])
        let object = try CLI.report(try CLI.jsonLines(plain.stdout).first, "info")
        #expect(object["timecode"] is NSNull, "no rate in the file: no guessed timecode")
        #expect(object["timeOfDay"] as? String == "11:03:19.760")
        let withRate = try CLI.run(["info", "--json", "--fps", "24000/1001", CLI.sample("hum_take.wav")])
        let rated = try CLI.report(try CLI.jsonLines(withRate.stdout).first, "info")
        #expect(rated["timecode"] as? String == "11:02:40:00")
        #expect(rated["timecodeRateFromFile"] as? Bool == false)
    }

    @Test func badFileIsReportedAndOthersStillShown() throws {
        let folder = TemporaryFolder()
        let text = folder.file("notes.wav")
        try Data("this is not audio\n".utf8).write(to: URL(fileURLWithPath: text))
        let result = try CLI.run(["info", "--json", text, CLI.sample("take_quiet.wav"), folder.file("missing.wav")])
        #expect(result.status == 1)
        let objects = try CLI.jsonLines(result.stdout)
        #expect(objects.count == 3)
        let first = try #require(objects[0]["error"] as? [String: Any])
        #expect(first["code"] as? String == "notAudio")
        #expect((first["message"] as? String)?.contains("notes.wav") == true)
        #expect(objects[0]["status"] as? String == "failed" && objects[0]["input"] as? String == text)
        #expect(objects[0]["info"] == nil)
        #expect(objects[1]["error"] is NSNull && objects[1]["status"] as? String == "done")
        #expect(try CLI.report(objects[1], "info")["frameCount"] as? Int == 216_000)
        let third = try #require(objects[2]["error"] as? [String: Any])
        #expect(third["code"] as? String == "fileNotFound")
        #expect(objects[2]["status"] as? String == "failed")
        #expect(objects[2]["input"] as? String == folder.file("missing.wav"))

        let human = try CLI.run(["info", text, CLI.sample("take_quiet.wav")])
        #expect(human.status == 1)
        #expect(human.stderr.contains("notes.wav"))
        #expect(human.stdout.contains("take_quiet.wav"))
    }

    @Test func usageErrorsExitWithTwo() throws {
        #expect(try CLI.run(["info"]).status == 2)
        #expect(try CLI.run(["info", "--no-such-flag", CLI.sample("take_quiet.wav")]).status == 2)
        #expect(try CLI.run(["info", "--fps", "banana", CLI.sample("take_quiet.wav")]).status == 2)
        #expect(try CLI.run(["frobnicate"]).status == 2)
        // Under --json a usage error is one failure envelope on stdout.
        let json = try CLI.run(["info", "--json", "--no-such-flag", CLI.sample("take_quiet.wav")])
        #expect(json.status == 2)
        let line = try #require(try CLI.jsonLines(json.stdout).first)
        #expect(line["status"] as? String == "failed")
        #expect((line["error"] as? [String: Any])?["code"] as? String == "usage")
    }
}
