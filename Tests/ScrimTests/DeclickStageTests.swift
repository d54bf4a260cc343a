import Foundation
import Testing
@testable import Scrim

/// The `declick` preset stage: its JSON keys, its checks, its place in the chain (before de-hum) and its report.
@Suite struct DeclickStageTests {
    @Test func decodesChecksAndPrints() throws {
        let preset = try Preset.decode(Data(#"{"declick": {"thresholdRatio": 12, "maximumClickMs": 2}}"#.utf8))
        let stage = try #require(preset.declick)
        #expect(stage.thresholdRatio == 12 && stage.maximumClickMilliseconds == 2 && stage.output == .cleaned)
        #expect(preset.stageNames == ["declick"])
        let defaults = try #require(try Preset.decode(Data(#"{"declick": {}}"#.utf8)).declick)
        #expect(defaults == DeclickStage())
        #expect(throws: ScrimError.self) { try Preset.decode(Data(#"{"declick": {"threshold": 12}}"#.utf8)) }
        #expect(throws: ScrimError.self) { try Preset.decode(Data(#"{"declick": {"thresholdRatio": 2}}"#.utf8)) }
        #expect(throws: ScrimError.self) { try Preset.decode(Data(#"{"declick": {"write": "bypass"}}"#.utf8)) }
        // The document prints every key, and reads back the same.
        let text = preset.json.serialized()
        #expect(text.contains(#""declick":{"thresholdRatio":12,"maximumClickMs":2,"write":"cleaned"}"#), "\(text)")
        #expect(try Preset.decode(Data(text.utf8)).declick == stage)
        // A preset without the stage keeps its fingerprint (the stage adds a line only when present).
        let plain = Preset(name: "a", denoise: DenoiseStage())
        var with = plain
        with.declick = DeclickStage()
        #expect(plain.fingerprint != with.fingerprint)
        #expect(Preset.builtIns.allSatisfy { $0.declick == nil }, "built-in presets are unchanged")
    }

    /// A file with three ticks through a preset of de-click then de-hum (the tracker: a pass of its own, which the
    /// declicker must precede): the ticks are gone from the output, the stages are reported in order and the
    /// declick report counts them.
    @Test func runsBeforeDehumAndReports() throws {
        let folder = TemporaryFolder()
        let input = folder.file("ticks.wav"), output = folder.file("out.wav")
        let n = 48_000 * 2
        var x = (0..<n).map { Float(0.05 * sin(2 * Double.pi * 220 * Double($0) / 48_000)) }
        for t in [20_000, 50_000, 80_000] { x[t] += 0.5 }
        try writeWAV(input, [x], sampleFormat: .float32)
        let preset = Preset(name: "t", declick: DeclickStage(), dehum: DehumStage(frequency: .fixed(50)))
        let result = try PresetJob.process(input: input, output: output, preset: preset)
        #expect(preset.stageNames == ["declick", "dehum"])
        let declick = try #require(result.declick)
        #expect(declick.tracks.map(\.clicksRemoved) == [3])
        let (_, channels) = try readAll(output)
        for t in [20_000, 50_000, 80_000] {
            #expect(abs(channels[0][t] - (x[t] - 0.5)) < 0.01, "tick at \(t): \(channels[0][t])")
        }
        let report = result.reportJSON.serialized()
        #expect(report.contains(#""stages":["declick","dehum"]"#))
        #expect(report.contains(#""clicksRemoved":3"#))
    }
}
