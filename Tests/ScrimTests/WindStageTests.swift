import Foundation
import Testing
@testable import Scrim

/// The preset key `wind`: decoding, validation, the fingerprint, and the stage in a preset job.
@Suite struct WindStageTests {
    @Test func decodesWithDefaultsAndRoundTrips() throws {
        let preset = try Preset.decode(Data(#"{"wind": {"highpassHz": 70, "slopeDbPerOctave": 24}, "denoise": {}}"#.utf8))
        let wind = try #require(preset.wind)
        #expect(wind.highpassHertz == 70 && wind.slopeDecibelsPerOctave == 24)
        #expect(wind.reduceWind && wind.reductionDecibels == 24 && wind.bandHertz == 250)
        #expect(wind.channelLinking == .independent)
        #expect(preset.stageNames == ["wind", "denoise"])
        let again = try Preset.decode(Data(preset.json.serialized().utf8))
        #expect(again == preset)
        let off = try Preset.decode(Data(#"{"wind": {"highpassHz": null}}"#.utf8))
        #expect(off.wind?.highpassHertz == nil && off.wind?.reduceWind == true)
    }

    @Test(arguments: [
        (#"{"wind": {"slope": 12}}"#, "wind.slope"),
        (#"{"wind": {"slopeDbPerOctave": 10}}"#, "slopeDbPerOctave"),
        (#"{"wind": {"highpassHz": 5}}"#, "highpassHz"),
        (#"{"wind": {"highpassHz": null, "reduceWind": false}}"#, "does nothing"),
        (#"{"wind": {"reductionLimitDb": 80}}"#, "reductionLimitDb"),
        (#"{"wind": {"channelLinking": "both"}}"#, "channelLinking"),
    ])
    func badSettingsAreRefusedNamingTheKey(text: String, named: String) {
        do {
            _ = try Preset.decode(Data(text.utf8), source: "p.json")
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.message.contains(named) && error.message.contains("p.json"), "\(error.message)")
        }
    }

    /// A preset without the stage keeps the fingerprint its outputs were made with (the pre-wind formula, so a
    /// batch resume does not redo them); adding the stage changes it.
    @Test(arguments: Preset.builtIns.map(\.name))
    func fingerprintsWithoutTheStageAreUnchanged(name: String) throws {
        var preset = try #require(Preset.builtIn(named: name))
        var text = "scrim \(scrimVersion)\n"
        text += (preset.dehum?.json ?? .null).serialized() + "\n"
        text += (preset.denoise?.fingerprintJSON ?? .null).serialized() + "\n"
        text += (preset.loudness?.json ?? .null).serialized() + "\n"
        let hex = String(fnv1a(Array(text.utf8)), radix: 16)
        #expect(preset.fingerprint == String(repeating: "0", count: 16 - hex.count) + hex)
        let before = preset.fingerprint
        preset.wind = WindStage()
        #expect(preset.fingerprint != before)
    }

    /// A preset job with the stage: the gusts of a generated windy take are found and reported, the output keeps
    /// the input's length, and the report says the stage ran (JSON `process.wind`). The gust (noise low-passed at
    /// 60 Hz) stands well above the steady 220 Hz tone in the wind band even after the 80 Hz high-pass (about
    /// 15 dB at its peak; 8 times the noise, 9.5 dB less, left it within the rise threshold of the tone).
    @Test func presetJobRunsTheStageAndReportsIt() throws {
        let folder = TemporaryFolder()
        let input = folder.file("windy.wav"), output = folder.file("out.wav")
        let rate = 48_000, frames = rate * 5
        var state: UInt64 = 11
        let a = exp(-2 * Double.pi * 60 / Double(rate))
        var s1 = 0.0, s2 = 0.0
        let take = (0..<frames).map { i -> Float in
            let t = Double(i) / Double(rate)
            state = state &* 6364136223846793005 &+ 1442695040888963407
            s1 = a * s1 + (1 - a) * (Double(Int64(bitPattern: state >> 11) - (1 << 52)) / Double(1 << 52))
            s2 = a * s2 + (1 - a) * s1
            let gust = t >= 1.5 && t < 3 ? pow(sin(Double.pi * (t - 1.5) / 1.5), 2) : 0
            let voice = 0.05 * sin(2 * Double.pi * 220 * t) * (t > 0.5 ? 1 : 0)
            return Float(voice + 24 * s2 * gust)
        }
        try writeWAV(input, [take], sampleFormat: .float32)
        let preset = Preset(name: "exteriors", loudness: nil)
        var withWind = preset
        withWind.wind = WindStage(highpassHertz: 80, slopeDecibelsPerOctave: 12)
        let result = try PresetJob.process(input: input, output: output, preset: withWind)
        let wind = try #require(result.wind)
        #expect(wind.highpass?.order == 2)
        let track = try #require(wind.wind?.tracks.first)
        #expect(track.gustCount == 1 && track.deepestCutDecibels > 15)
        #expect(result.file.frameCount == frames)
        #expect(result.file.latencyFrames == wind.latencyFrames)
        #expect(withWind.stageNames == ["wind"])
        #expect(result.reportJSON.serialized().contains("gustPercent"))
        // With a loudness stage (cleanup into an intermediate, then the gain pass) the stage's latency is counted
        // too, beside the true-peak limiter's look-ahead (63 frames at 48 kHz; under 100).
        withWind.loudness = LoudnessStage()
        let twoPass = try PresetJob.process(input: input, output: folder.file("out2.wav"), preset: withWind)
        let extra = twoPass.file.latencyFrames - wind.latencyFrames
        #expect(extra >= 0 && extra < 100 && twoPass.file.frameCount == frames, "\(twoPass.file.latencyFrames)")
    }
}

/// The `auto` high-pass through the preset stage: the decision per track and channel mode, the preset key, and a
/// clean take left alone by a preset job.
@Suite struct WindStageHighpassModeTests {
    static func detection(_ found: Bool) -> RumbleTrackDetection {
        RumbleTrackDetection(found: found, lowBandReVoiceDecibels: found ? -12 : -45,
                             lowBandInPausesDecibelsFS: -40, pauseShare: 0.3)
    }

    @Test func decisionFollowsTheDetectionAndTheChannelMode() throws {
        let stage = WindStage()
        #expect(stage.highpassMode == .auto && stage.detectsRumble)
        let none = stage.makeProcessors(rumble: [Self.detection(false), Self.detection(false)])
        #expect(none.rumble == nil && none.decision == .detected)
        let some = stage.makeProcessors(rumble: [Self.detection(false), Self.detection(true)])
        #expect(some.rumble?.tracks == [false, true])
        var linked = stage
        linked.channelLinking = .linked
        let all = linked.makeProcessors(rumble: [Self.detection(false), Self.detection(true)])
        #expect(all.rumble != nil && all.rumble?.tracks == nil)
        // A stream (no detection) and `always` filter every track.
        #expect(stage.makeProcessors().rumble != nil && stage.makeProcessors().decision == .streaming)
        var always = stage
        always.highpassMode = .always
        #expect(!always.detectsRumble && always.makeProcessors(rumble: nil).decision == .always)
        let result = none.result(sampleRate: 48_000)
        let json = result.json.serialized()
        #expect(json.contains(#""applied":false"#) && json.contains(#""rumbleFound":false"#), "\(json)")
        #expect(result.lines.contains { $0.contains("high-pass not applied") })
    }

    @Test func presetKeyDecodesAndIsRefusedWhenWrong() throws {
        let preset = try Preset.decode(Data(#"{"wind": {"highpassMode": "always"}}"#.utf8))
        #expect(preset.wind?.highpassMode == .always)
        #expect(try Preset.decode(Data(#"{"wind": {}}"#.utf8)).wind?.highpassMode == .auto)
        #expect(try Preset.decode(Data(preset.json.serialized().utf8)) == preset)
        do {
            _ = try Preset.decode(Data(#"{"wind": {"highpassMode": "sometimes"}}"#.utf8), source: "p.json")
            Issue.record("accepted")
        } catch {
            #expect(error.message.contains("highpassMode"), "\(error.message)")
        }
    }

    /// A clean take (a 110 Hz voice-like tone train, no low noise) through a preset with the high-pass alone: the
    /// detection pass finds no rumble, nothing runs, the output is the input sample for sample, and the report and
    /// pass count say so.
    @Test func presetJobLeavesACleanTakeAlone() throws {
        let folder = TemporaryFolder()
        let input = folder.file("clean.wav"), output = folder.file("out.wav")
        let rate = 48_000, frames = rate * 3
        let take = (0..<frames).map { i -> Float in
            let t = Double(i) / Double(rate)
            let local = t.truncatingRemainder(dividingBy: 0.25)
            let envelope = local > 0.18 ? 0 : pow(sin(Double.pi * local / 0.18), 2)
            var v = 0.0
            for h in 1...20 { v += sin(2 * Double.pi * 110 * Double(h) * t) / Double(h) }
            return Float(0.05 * envelope * v)
        }
        try writeWAV(input, [take], sampleFormat: .float32)
        var preset = Preset(name: "clean", loudness: nil)
        preset.wind = WindStage(reduceWind: false)
        let result = try PresetJob.process(input: input, output: output, preset: preset)
        let highpass = try #require(result.wind?.highpass)
        #expect(!highpass.applied && highpass.decision == .detected)
        #expect(highpass.detections?.first?.found == false)
        #expect(result.passes == 2)
        #expect(try readAll(output).1 == [take])
    }
}
