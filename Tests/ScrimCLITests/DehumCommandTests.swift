import Foundation
import Testing

@Suite struct DehumCommandTests {
    /// `scrim dehum --engine classic` reports the remover's choices for the hum sample (steady 60 Hz mains hum,
    /// samples/README.md): the 2.5 s reach and a level treated as steady, in JSON (`lookaheadSeconds`,
    /// `levelVaries`) and in text.
    @Test func reportsTheReachAndWhetherTheLevelVaries() throws {
        let folder = TemporaryFolder()
        let output = folder.file("out.wav")
        let result = try CLI.run(["dehum", CLI.sample("hum_take.wav"), "-o", output, "--engine", "classic", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(try CLI.jsonLines(result.stdout).first)
        #expect(line["command"] as? String == "dehum" && line["status"] as? String == "done")
        #expect(line["output"] as? String == output)
        let report = try CLI.report(line, "dehum")
        #expect(try CLI.report(line, "file")["frameCount"] as? Int == 432_000)
        #expect(report["lookaheadSeconds"] as? Double == 2.5)
        #expect(report["levelVaries"] as? Bool == false)
        #expect(report["engine"] as? String == "classic")
        #expect(report["track"] is NSNull)
        let detection = try #require(report["detection"] as? [String: Any])
        let range = try #require(detection["levelRangeDb"] as? Double)
        #expect(range < 6, "the sample's steady hum reads a level range of \(range) dB")

        let text = try CLI.run(["dehum", CLI.sample("hum_take.wav"), "-o", output, "--overwrite", "--engine",
                                "classic"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("hum under speech from 2.5 s either side; level varies"))
        #expect(!text.stdout.contains("followed under speech"))
    }

    /// The default engine, the tracker, reports its track for the hum sample (9 s, 60 Hz mains hum that the
    /// detector sees between 59.7 and 60.3 Hz): one entry for the one audio track, the fundamental ten points a
    /// second (90 points, every one within 59-61 Hz), its range inside that, what was removed (the detector puts
    /// the sample's hum 3.1 dB under the signal, so −3.1 dB re the input, ±1.5 dB for what the two measures count
    /// differently) and the estimated hum left (the amplitudes' own uncertainty over 9 s of steady hum: far under
    /// −30 dB); the text says the same.
    @Test func trackerReportsItsTrack() throws {
        let folder = TemporaryFolder()
        let output = folder.file("out.wav")
        let result = try CLI.run(["dehum", CLI.sample("hum_take.wav"), "-o", output, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(try CLI.jsonLines(result.stdout).first)
        let report = try CLI.report(line, "dehum")
        #expect(report["engine"] as? String == "tracker")
        #expect(report["lookaheadSeconds"] is NSNull)
        let tracks = try #require(report["track"] as? [[String: Any]])
        #expect(tracks.count == 1)
        let track = try #require(tracks.first)
        #expect(track["track"] as? Int == 1 && track["pointsPerSecond"] as? Int == 10)
        let curve = try #require(track["fundamentalHz"] as? [Any])
        #expect(curve.count == 90, "\(curve.count) points")
        let values = curve.compactMap { $0 as? Double }
        #expect(values.count == 90 && values.allSatisfy { $0 > 59 && $0 < 61 }, "\(values)")
        let range = try #require(track["rangeHz"] as? [Double])
        #expect(range.count == 2 && range[0] <= range[1] && range[0] > 59 && range[1] < 61)
        #expect((track["fastestRateHzPerSecond"] as? Double).map { $0 >= 0 } == true)
        #expect(track["chunksRemoved"] as? Int == 1 && track["chunks"] as? Int == 1)
        let removedDb = try #require(track["removedDb"] as? Double)
        #expect(removedDb < -1.5 && removedDb > -6, "removed \(removedDb) dB")
        let left = try #require(track["estimatedHumLeftDb"] as? Double)
        #expect(left < -30, "estimated hum left \(left) dB")

        let text = try CLI.run(["dehum", CLI.sample("hum_take.wav"), "-o", output, "--overwrite"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("on one phase track, f0 "), "\(text.stdout)")
        #expect(text.stdout.contains("estimated hum left"))
    }
}
