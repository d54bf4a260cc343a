import Foundation
import Testing
@testable import Scrim

/// The input's per-track quality control through the file jobs: invalid samples counted per track, the warnings a
/// preset job carries, and that every job path measures the input exactly once (the same report whichever pass
/// reads it first).
@Suite struct InputQualityTests {
    /// Three float32 tracks: speech-like tone on 1 with one +Inf, three NaNs on 2, a dead track 3.
    static func writeTake(_ path: String) throws {
        let n = 48_000 * 2
        var one = (0..<n).map { Float(0.25 * sin(2 * Double.pi * 220 * Double($0) / 48_000)) }
        var two = (0..<n).map { Float(0.1 * sin(2 * Double.pi * 330 * Double($0) / 48_000)) }
        one[1000] = .infinity
        for i in [10, 20_000, 90_000] { two[i] = .nan }
        try writeWAV(path, [one, two, [Float](repeating: 0, count: n)], sampleFormat: .float32)
    }

    @Test func analysisCountsInvalidSamplesPerTrack() throws {
        let folder = TemporaryFolder()
        let path = folder.file("take.wav")
        try Self.writeTake(path)
        let analysis = try FileAnalysis(path: path)
        #expect(analysis.nonFiniteSamples == 4)
        #expect(analysis.quality.invalidSamples == [1, 3, 0])
        let warnings = analysis.warnings.map { "\($0.code.name)@\($0.track.map(String.init) ?? "-")" }
        #expect(warnings == ["invalidSamples@1", "invalidSamples@2", "deadTrack@3"], "\(warnings)")
        #expect(analysis.quality.report.tracks[2].isDead && !analysis.quality.report.tracks[0].isDead)
    }

    /// Each preset shape reads the input first in a different pass (detection, the cleanup chain, the loudness
    /// measurement): the same quality report and warnings from each, and the whole-file invalid-sample warning
    /// replaced by the per-track ones.
    @Test(arguments: ["dailies", "denoise-only", "loudness-only", "dehum-fixed"])
    func everyPresetShapeMeasuresTheInput(name: String) throws {
        let folder = TemporaryFolder()
        let path = folder.file("take.wav")
        try Self.writeTake(path)
        let preset: Preset
        switch name {
        case "loudness-only": preset = Preset(name: name, loudness: LoudnessStage())
        case "dehum-fixed": preset = Preset(name: name, dehum: DehumStage(frequency: .fixed(50), harmonics: 3))
        default: preset = try #require(Preset.builtIns.first { $0.name == name })
        }
        let result = try PresetJob.process(input: path, output: folder.file("out.wav"), preset: preset)
        let reference = try FileAnalysis(path: path).quality
        #expect(result.quality.report == reference.report, "\(name)")
        #expect(result.quality.invalidSamples == [1, 3, 0])
        let codes = result.file.warnings.filter { $0.code != .formatChanged && $0.code != .targetMissed }
            .map { "\($0.code.name)@\($0.track.map(String.init) ?? "-")" }
        #expect(codes == ["invalidSamples@1", "invalidSamples@2", "deadTrack@3"], "\(name): \(codes)")
        #expect(result.quality.hum == nil)
        guard case .object(let pairs) = result.reportJSON, let qc = pairs.first(where: { $0.0 == "qc" })?.1 else {
            Issue.record("no qc in the process report")
            return
        }
        #expect(qc == reference.withoutHum.json)
    }
}

extension InputQuality {
    /// The same measurement without the per-track hum (what process and batch report).
    var withoutHum: InputQuality {
        var copy = self
        copy.hum = nil
        return copy
    }
}
