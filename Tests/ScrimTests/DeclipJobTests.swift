import Foundation
import Testing
@testable import Scrim

/// A 24-bit WAV of `channels` (values beyond ±1 are clipped by the writer, as a recorder would).
private func writeWAV24(_ channels: [[Float]], to path: String, sampleRate: Int = 48_000) throws {
    let format = AudioFileFormat(container: .wav, sampleFormat: .pcm24, sampleRate: sampleRate,
                                 channelCount: channels.count)
    let writer = try AudioFileWriter(path: path, format: format)
    let buffer = AudioBuffer(channels: channels)
    try buffer.withBlock { try writer.write($0) }
    try writer.finish()
}

/// A buzzy 150 Hz tone (harmonics 1…10 at 1/h) with a slow swell, peaking at `peak`.
private func buzz(frameCount: Int, sampleRate: Double, peak: Double) -> [Float] {
    var raw = [Double](repeating: 0, count: frameCount)
    for i in 0..<frameCount {
        let t = Double(i) / sampleRate
        var sum = 0.0
        for h in 1...10 { sum += sin(2 * Double.pi * 150 * Double(h) * t + 0.7 * Double(h * h)) / Double(h) }
        raw[i] = sum * (0.8 + 0.2 * sin(2 * Double.pi * 2 * t))
    }
    let largest = raw.reduce(0) { max($0, abs($1)) }
    return raw.map { Float($0 * peak / largest) }
}

@Suite struct DeclipJobTests {
    /// Track 1 clipped at 0 dBFS (4 dB over), track 2 clean: with --gain auto the job lowers the whole file by the
    /// rebuilt peak's excess (≈ −4 dB, the rebuilt peak lands at or under 0 dBFS), track 1's peaks are rebuilt
    /// in place and track 2 is only scaled by the gain, sample-aligned.
    @Test func autoGainAndAlignment() throws {
        let folder = TemporaryFolder()
        let n = 48_000
        let original = buzz(frameCount: n, sampleRate: 48_000, peak: Double(amplitude(fromDecibels: 4)))
        let clean = buzz(frameCount: n, sampleRate: 48_000, peak: 0.3).map { -$0 }
        let input = folder.file("in.wav")
        try writeWAV24([original.map { min(1, max(-1, $0)) }, clean], to: input)
        let (_, written) = try readAll(input)
        let result = try DeclipJob.process(input: input, output: folder.file("out.wav"))
        #expect(result.channels[0].kind == .hard)
        #expect(result.channels[1].kind == .none)
        #expect(result.passes == 3)
        // The rebuilt peak is +4 dBFS within 0.3 dB (the original's; DeclipperTests bound the rebuild far tighter).
        let peak = result.channels[0].restoredPeakDecibelsFS ?? 0
        #expect(abs(peak - 4) < 0.3, "rebuilt peak \(peak) dBFS")
        #expect(result.gainDecibels <= -peak + 1e-9 && result.gainDecibels > -peak - 0.011)
        let (info, output) = try readAll(folder.file("out.wav"))
        #expect(info.frameCount == n)
        #expect(result.file.clippedSamples == 0)
        // Track 2: the input times the gain, within the 24-bit step (2⁻²³ ≈ 1.2e-7) plus rounding.
        let gain = Float(amplitude(fromDecibels: result.gainDecibels))
        let worst = zip(output[1], written[1]).map { abs($0 - $1 * gain) }.max() ?? 1
        #expect(worst < 3e-7, "track 2 off by \(worst)")
        // Track 1 against the unclipped original (scaled): far closer than the clipped input.
        var before = 0.0, after = 0.0, energy = 0.0
        for i in 0..<n {
            let reference = Double(original[i] * gain)
            before += pow(Double(written[0][i] * gain) - reference, 2)
            after += pow(Double(output[0][i]) - reference, 2)
            energy += reference * reference
        }
        #expect(10 * log10(after / energy) < 10 * log10(before / energy) - 30)
    }

    /// Clean input: nothing detected, two passes, the output equals the input sample for sample.
    @Test func cleanInputPassesThrough() throws {
        let folder = TemporaryFolder()
        let clean = buzz(frameCount: 30_000, sampleRate: 48_000, peak: 0.7)
        let input = folder.file("in.wav")
        try writeWAV24([clean], to: input)
        let result = try DeclipJob.process(input: input, output: folder.file("out.wav"))
        #expect(result.passes == 2 && result.gainDecibels == 0)
        #expect(try readAll(folder.file("out.wav")).1 == readAll(input).1)
    }

    /// The preset key: decoded, validated, first in the stage order; presets without it keep their fingerprint;
    /// the streaming chain puts a ``Declipper`` first.
    @Test func presetStage() throws {
        let preset = try Preset.decode(Data(#"{"declip": {"gainDb": -2}, "dehum": {"frequencyHz": 50}}"#.utf8))
        #expect(preset.declip == DeclipStage(gainDecibels: -2))
        #expect(preset.stageNames == ["declip", "dehum"])
        var without = preset
        without.declip = nil
        let plain = try Preset.decode(Data(#"{"dehum": {"frequencyHz": 50}}"#.utf8))
        #expect(without.fingerprint == plain.fingerprint)
        #expect(preset.fingerprint != plain.fingerprint)
        #expect(throws: ScrimError.self) { try Preset.decode(Data(#"{"declip": {"gainDb": 3}}"#.utf8)) }
        #expect(throws: ScrimError.self) { try Preset.decode(Data(#"{"declip": {"gain": -3}}"#.utf8)) }
        let chain = try preset.makeChain()
        #expect(chain.stages.first is Declipper)
    }

    /// `process` with a declip stage: the detection pass finds the clip, the report carries it, output aligned.
    @Test func presetJobRunsTheStage() throws {
        let folder = TemporaryFolder()
        let n = 48_000
        let original = buzz(frameCount: n, sampleRate: 48_000, peak: Double(amplitude(fromDecibels: 3)))
        let input = folder.file("in.wav")
        try writeWAV24([original.map { min(0.5, max(-0.5, $0 * 0.5)) }], to: input)
        let preset = Preset(name: "t", declip: DeclipStage())
        let result = try PresetJob.process(input: input, output: folder.file("out.wav"), preset: preset,
                                           options: PresetJobOptions(outputSampleFormat: .float32))
        let declip = try #require(result.declip)
        #expect(declip.channels[0].kind == .hard)
        #expect(declip.channels[0].runsRestored > 100)
        let (info, output) = try readAll(folder.file("out.wav"))
        #expect(info.frameCount == n)
        var error = 0.0, energy = 0.0
        for i in 0..<n {
            let reference = Double(original[i] * 0.5)
            error += pow(Double(output[0][i]) - reference, 2)
            energy += reference * reference
        }
        #expect(10 * log10(error / energy) < -40, "rebuilt against the original")
    }
}
