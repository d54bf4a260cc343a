import Foundation
import Testing
@testable import Scrim

@Suite struct PresetTests {
    @Test(arguments: Preset.builtIns.map(\.name))
    func builtInsRoundTripThroughTheirJSON(name: String) throws {
        let preset = try #require(Preset.builtIn(named: name))
        let text = preset.json.serialized(pretty: true)
        let decoded = try Preset.decode(Data(text.utf8))
        #expect(decoded == preset)
        #expect(decoded.fingerprint == preset.fingerprint)
    }

    @Test func builtInsHaveTheDocumentedSettings() throws {
        let dailies = try #require(Preset.builtIn(named: "dailies"))
        #expect(dailies.dehum?.frequency == .auto)
        #expect(dailies.denoise?.mode == .adaptive)
        #expect(dailies.loudness?.targetLoudness == -23)
        #expect(dailies.loudness?.dialogueGating == true)
        let broadcast = try #require(Preset.builtIn(named: "broadcast"))
        #expect(broadcast.loudness?.targetLoudness == -23 && broadcast.loudness?.truePeakCeiling == -1)
        #expect(broadcast.dehum != nil && broadcast.denoise != nil)
        let podcast = try #require(Preset.builtIn(named: "podcast"))
        #expect(podcast.loudness?.targetLoudness == -16 && podcast.loudness?.truePeakCeiling == -1)
        #expect((podcast.denoise?.reductionDecibels ?? 0) > (broadcast.denoise?.reductionDecibels ?? 0))
        let denoiseOnly = try #require(Preset.builtIn(named: "denoise-only"))
        #expect(denoiseOnly.stageNames == ["denoise"])
    }

    @Test func missingKeysTakeDefaultsAndFrequencyMayBeANumber() throws {
        let preset = try Preset.decode(Data(#"{"dehum": {"frequency": 60, "harmonics": 5}, "loudness": {}}"#.utf8),
                                       fallbackName: "mine")
        #expect(preset.name == "mine")
        #expect(preset.dehum?.frequency == .fixed(60))
        #expect(preset.dehum?.harmonics == 5)
        #expect(preset.dehum?.maximumFrequencyHertz == 4000)
        #expect(preset.denoise == nil)
        #expect(preset.loudness == LoudnessStage())
        #expect(preset.stageNames == ["dehum", "loudness"])
    }

    @Test func theBabbleGuardIsOnUnlessThePresetTurnsItOff() throws {
        let plain = try Preset.decode(Data(#"{"denoise": {}}"#.utf8), fallbackName: "plain")
        #expect(plain.denoise?.babbleGuard == true)
        #expect(try plain.denoise?.noiseReducerSettings().babbleGuard == true)
        let off = try Preset.decode(Data(#"{"denoise": {"babbleGuard": false}}"#.utf8), fallbackName: "off")
        #expect(off.denoise?.babbleGuard == false)
        #expect(try off.denoise?.noiseReducerSettings().babbleGuard == false)
        #expect(off.fingerprint != plain.fingerprint)
    }

    @Test func unknownKeysAreRefusedNamingTheKeyAndTheFile() throws {
        let folder = TemporaryFolder()
        let path = folder.file("typo.json")
        try Data(#"{"denoise": {"reductionDB": 6}}"#.utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try Preset.load(path: path)
            Issue.record("a preset with an unknown key was accepted")
        } catch let error as ScrimError {
            #expect(error.code == .invalidDocument)
            #expect(error.message.contains("\"denoise.reductionDB\""))
            #expect(error.message.contains(path))
            #expect(error.message.contains("reductionLimitDb"))  // the known keys are listed
        }
        #expect(throws: ScrimError.self) { try Preset.decode(Data(#"{"limiter": true}"#.utf8)) }
    }

    @Test func wrongTypesAndOutOfRangeValuesNameTheKey() {
        func message(_ text: String) -> String {
            do {
                _ = try Preset.decode(Data(text.utf8), source: "p.json")
                return ""
            } catch {
                return error.message
            }
        }
        #expect(message(#"{"loudness": {"targetLoudnessLufs": "loud"}}"#).contains("loudness.targetLoudness"))
        #expect(message(#"{"loudness": {"targetLoudnessLufs": 5}}"#).contains("loudness.targetLoudness"))
        #expect(message(#"{"denoise": {"reductionDb": 80}}"#).contains("denoise.reductionDb"))
        #expect(message(#"{"denoise": {"mode": "learned"}}"#).contains("denoise.profile"))
        #expect(message(#"{"dehum": {"frequency": "fifty"}}"#).contains("dehum.frequency"))
        #expect(message(#"{"loudness": {"truePeakHandling": "clip"}}"#).contains("limit or lowerGain"))
        #expect(message("{not json").contains("p.json"))
    }

    @Test func fingerprintFollowsTheSettingsNotTheName() throws {
        var a = try #require(Preset.builtIn(named: "broadcast"))
        var b = a
        b.name = "renamed"
        b.summary = "other words"
        #expect(a.fingerprint == b.fingerprint)
        #expect(a.fingerprint.count == 16)
        b.denoise?.reductionDecibels = 11
        #expect(a.fingerprint != b.fingerprint)
        a.loudness?.dialogueGating = true
        #expect(a.fingerprint != (try #require(Preset.builtIn(named: "broadcast"))).fingerprint)
    }

    @Test func resolveFindsBuiltInsAndFilesAndExplainsUnknownNames() throws {
        #expect(try Preset.resolve("podcast").name == "podcast")
        do {
            _ = try Preset.resolve("dayliez")
            Issue.record("an unknown preset name was accepted")
        } catch let error as ScrimError {
            #expect(error.message.contains("dailies") && error.message.contains("denoise-only"))
        }
        let folder = TemporaryFolder()
        let path = folder.file("night.json")
        try Data(#"{"denoise": {"profile": "tone.json"}}"#.utf8).write(to: URL(fileURLWithPath: path))
        let preset = try Preset.resolve(path)
        #expect(preset.name == "night")
        #expect(preset.denoise?.mode == .learned)
        // A relative profile path is taken relative to the preset file's folder.
        #expect(preset.denoise?.profile == URL(fileURLWithPath: folder.file("tone.json")).standardizedFileURL.path)
    }

    /// A detection's level range sets the remover's reach and whether it treats the level as varying, through
    /// `removerConfiguration(detected:)`: above 6 dB (the corpus's swell reads 17.9 dB) 1.5 s and varying, below
    /// it (a steady hum reads 0.1–1.5 dB) 2.5 s and steady. A fixed frequency runs no detection (nil) and keeps
    /// the steady settings.
    @Test func detectedLevelRangeSetsTheReachAndWhetherTheLevelVaries() throws {
        var detection = HumDetection.none
        detection.isPresent = true
        detection.fundamentalHertz = 50
        let stage = DehumStage(frequency: .auto)
        detection.levelRangeDecibels = 17.9
        let swelling = try #require(stage.removerConfiguration(detected: detection))
        #expect(swelling.levelVaries && swelling.lookaheadSeconds == HumRemover.swellLookaheadSeconds)
        detection.levelRangeDecibels = 0.7
        let steady = try #require(stage.removerConfiguration(detected: detection))
        #expect(!steady.levelVaries && steady.lookaheadSeconds == HumRemover.lookaheadSeconds)
        let fixed = try #require(DehumStage(frequency: .fixed(50)).removerConfiguration(detected: nil))
        #expect(!fixed.levelVaries && fixed.lookaheadSeconds == HumRemover.lookaheadSeconds)
    }

    /// `denoise.engine` picks the network; its keys decode, the neural default limit applies when none is given,
    /// and settings that belong to the other engine are refused with the key named.
    @Test func theEngineKeyChoosesTheNeuralReducer() throws {
        let plain = try Preset.decode(Data(#"{"denoise": {"engine": "neural"}}"#.utf8))
        let stage = try #require(plain.denoise)
        #expect(stage.engine == .neural && stage.neuralMode == .dialogue && !stage.postFilter)
        #expect(stage.reductionDecibels == DenoiseStage.neuralDefaultReductionDecibels)
        #expect(stage.neuralSettings.effectiveLimitDecibels == NeuralNoiseReducerSettings.defaultReductionDecibels)
        let tuned = try Preset.decode(Data(#"""
            {"denoise": {"engine": "neural", "reductionLimitDb": 18, "neuralMode": "reference", "postFilter": true,
                         "write": "residual"}}
            """#.utf8))
        let settings = try #require(tuned.denoise?.neuralSettings)
        #expect(settings == NeuralNoiseReducerSettings(reductionLimitDecibels: 18, output: .residual, postFilter: true,
                                                       mode: .reference))
        #expect(tuned.fingerprint != plain.fingerprint)
        let refused = [
            (#"{"denoise": {"engine": "magic"}}"#, "denoise.engine"),
            (#"{"denoise": {"engine": "neural", "profile": "room.json"}}"#, "denoise.profile"),
            (#"{"denoise": {"engine": "neural", "fftSize": 1024}}"#, "denoise.fftSize"),
            (#"{"denoise": {"engine": "neural", "channelLinking": "linked"}}"#, "denoise.channelLinking"),
            (#"{"denoise": {"engine": "neural", "reductionLimitDb": 101}}"#, "denoise.reductionLimitDb"),
            (#"{"denoise": {"postFilter": true}}"#, "denoise.neuralMode and denoise.postFilter"),
            (#"{"denoise": {"reductionLimitDb": 60}}"#, "denoise.reductionLimitDb"),
        ]
        for (text, key) in refused {
            do {
                _ = try Preset.decode(Data(text.utf8), source: "p.json")
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.code == .invalidDocument)
                #expect(error.message.contains(key) && error.message.contains("p.json"), "\(error.message)")
            }
        }
    }

    /// A spectral stage's fingerprint does not depend on the neural keys (written or not), so batch outputs made
    /// before the neural engine existed stay up to date.
    @Test func spectralFingerprintsIgnoreTheNeuralKeys() throws {
        let plain = try Preset.decode(Data(#"{"denoise": {"reductionLimitDb": 12}}"#.utf8))
        let explicit = try Preset.decode(Data(#"""
            {"denoise": {"reductionLimitDb": 12, "engine": "spectral", "neuralMode": "dialogue", "postFilter": false}}
            """#.utf8))
        #expect(plain.fingerprint == explicit.fingerprint)
        guard case .object(let pairs) = try #require(plain.denoise).fingerprintJSON else {
            Issue.record("not an object")
            return
        }
        #expect(!pairs.contains { $0.0 == "engine" || $0.0 == "neuralMode" || $0.0 == "postFilter" })
        var neural = try #require(plain.denoise)
        neural.engine = .neural
        #expect(neural.fingerprintJSON == neural.json)
    }

    @Test func theDialoguePresetRunsTheNetwork() throws {
        let dialogue = try #require(Preset.builtIn(named: "dialogue"))
        #expect(dialogue == Preset.dialogue)
        #expect(dialogue.stageNames == ["dehum", "denoise", "loudness"])
        #expect(dialogue.dehum?.frequency == .auto)
        #expect(dialogue.denoise?.engine == .neural && dialogue.denoise?.neuralMode == .dialogue)
        #expect(dialogue.loudness?.dialogueGating == true && dialogue.loudness?.targetLoudness == -23)
        #expect(Preset.dailies.denoise?.engine == .spectral, "dailies stays on the faster spectral engine")
    }
}
