import Foundation
import Testing

@Suite struct AnalyzeCommandTests {
    /// samples/README.md: hum_take.wav carries 60 Hz hum (±0.1 Hz drift); dialogue_roomtone.wav has no hum and
    /// room tone at −50.0 dBFS RMS. The floor tolerance (±2 dB) allows for the quietest 0.5 s of synthetic pink
    /// room tone sitting a little under its long-term RMS.
    @Test func hearsHumNoiseFloorAndLoudness() throws {
        let result = try CLI.run(["analyze", "--json", CLI.sample("hum_take.wav"), CLI.sample("dialogue_roomtone.wav")])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try CLI.jsonLines(result.stdout)
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0["command"] as? String == "analyze" && $0["status"] as? String == "done" })
        let objects = try lines.map { try CLI.report($0, "analysis") }
        let hum = try #require(objects[0]["hum"] as? [String: Any])
        #expect(hum["present"] as? Bool == true)
        let f0 = try #require(hum["fundamentalHz"] as? Double)
        #expect(abs(f0 - 60) < 0.15)
        // The hum in hum_take.wav is steady, so each strong harmonic's level over the quietest quarter of the file
        // (the remover's cap profile) matches its overall level: within 4 dB above −50 dBFS (measured: within
        // 3.1 dB; weaker harmonics sit near the voice's and noise's level and differ more).
        let harmonics = try #require(hum["harmonics"] as? [[String: Any]])
        let measured = harmonics.compactMap { h -> (Double, Double)? in
            guard let level = h["levelDbfs"] as? Double, let steady = h["steadyLevelDbfs"] as? Double,
                  level > -50 else { return nil }
            return (level, steady)
        }
        #expect(measured.count >= 5)
        for (level, steady) in measured { #expect(abs(level - steady) <= 4, "level \(level), steady \(steady)") }
        let quietHum = try #require(objects[1]["hum"] as? [String: Any])
        #expect(quietHum["present"] as? Bool == false)
        let floor = try #require(objects[1]["noiseFloorDbfs"] as? Double)
        #expect(abs(floor - (-50)) < 2)
        let loudness = try #require(objects[1]["loudness"] as? [String: Any])
        let integrated = try #require(loudness["integratedLoudnessLufs"] as? Double)
        #expect(integrated < -20 && integrated > -40)
    }

    /// Issue 19 item 5: where hum is found, `analyze` reports the tracker's track, and it is the track `scrim
    /// dehum` reports for the same file (the same detection, the same tracker built by DehumStage.tracker, the same
    /// samples): equal key by key, the f0 curve included. No hum, or --no-hum-track: null.
    @Test func humTrackIsDehumsTrack() throws {
        let folder = TemporaryFolder()
        let analysis = try CLI.run(["analyze", "--json", CLI.sample("hum_take.wav"), CLI.sample("dialogue_roomtone.wav")])
        #expect(analysis.status == 0, "\(analysis.stderr)")
        let objects = try CLI.jsonLines(analysis.stdout).map { try CLI.report($0, "analysis") }
        #expect(objects.count == 2)
        let tracks = try #require(objects.first?["humTrack"] as? [[String: Any]])
        let dehum = try CLI.run(["dehum", "--json", CLI.sample("hum_take.wav"), "-o", folder.file("d.wav")])
        #expect(dehum.status == 0, "\(dehum.stderr)")
        let line = try #require(try CLI.jsonLines(dehum.stdout).first)
        let dehumTracks = try #require(try CLI.report(line, "dehum")["track"] as? [[String: Any]])
        #expect(tracks.count == 1 && dehumTracks.count == 1)
        #expect(NSArray(array: tracks).isEqual(NSArray(array: dehumTracks)), "\(tracks) vs \(dehumTracks)")
        #expect(objects.last?["humTrack"] is NSNull)
        let skipped = try CLI.run(["analyze", "--json", "--no-hum-track", CLI.sample("hum_take.wav")])
        let skippedObject = try #require(try CLI.jsonLines(skipped.stdout).first)
        #expect(try CLI.report(skippedObject, "analysis")["humTrack"] is NSNull)
        let text = try CLI.run(["analyze", CLI.sample("hum_take.wav")])
        #expect(text.stdout.contains("hum track  harmonics 1-"), "\(text.stdout)")
        #expect(text.stdout.contains("estimated hum left"))
    }

    @Test func badFileExitsOneAndOthersAreAnalyzed() throws {
        let folder = TemporaryFolder()
        let bad = folder.file("empty.wav")
        #expect(FileManager.default.createFile(atPath: bad, contents: Data()))
        let result = try CLI.run(["analyze", bad, CLI.sample("take_quiet.wav")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("empty.wav"))
        #expect(result.stdout.contains("take_quiet.wav"))
    }
}
