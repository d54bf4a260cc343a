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
