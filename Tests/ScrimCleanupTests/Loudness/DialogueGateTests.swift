import Foundation
import ScrimCore
import Testing
@testable import ScrimCleanup

/// The dialogue gate on synthetic "speech": harmonic tones (f0 110–240 Hz, slow glide) shaped by three
/// formant-like resonances (500, 1500, 2500 Hz), amplitude-modulated at a syllabic 4 Hz, in bursts separated by
/// long pauses, over pink-noise room tone.
@Suite struct DialogueGateTests {
    static let sampleRate = 48_000.0
    static let fundamentals: [Double] = [110, 150, 200, 240, 130, 180]
    static let burstSeconds = 2.5
    static let pauseSeconds = 6.0

    /// One speech-like burst with RMS 1.
    static func burst(f0: Double, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        let count = Int(burstSeconds * sampleRate)
        let harmonicCount = Int(4000 / f0)
        let formants: [(Double, Double)] = [(500, 80), (1500, 120), (2500, 160)]
        let amplitudes = (1...harmonicCount).map { k -> Double in
            let f = Double(k) * f0
            return 0.05 + formants.reduce(0) { $0 + 1 / (1 + pow((f - $1.0) / $1.1, 2)).squareRoot() }
        }
        let phases = (0..<harmonicCount).map { _ in Double.pi * rng.uniform() }
        var out = [Double](repeating: 0, count: count)
        var cycles = 0.0
        for i in 0..<count {
            let t = Double(i) / sampleRate
            cycles += f0 * (1 + 0.05 * sin(2 * Double.pi * 0.7 * t)) / sampleRate
            var x = 0.0
            for k in 0..<harmonicCount {
                x += amplitudes[k] * sin(2 * Double.pi * Double(k + 1) * cycles + phases[k])
            }
            let syllable = sin(Double.pi * 4 * t)
            out[i] = x * syllable * syllable
        }
        let rms = (out.reduce(0) { $0 + $1 * $1 } / Double(count)).squareRoot()
        return out.map { Float($0 / rms) }
    }

    /// (speech with pauses and room tone, the speech bursts alone back to back). Speech RMS is −20 dBFS; the
    /// pink noise runs throughout, `noiseDecibels` relative to the speech RMS.
    static func programme(noiseDecibels: Double) -> (mix: AudioBuffer, speechAlone: AudioBuffer) {
        let speechGain = Float(amplitude(fromDecibels: -20))
        let pause = Int(pauseSeconds * sampleRate)
        var speech = [Float](repeating: 0, count: pause)
        var alone: [Float] = []
        for (index, f0) in fundamentals.enumerated() {
            let b = burst(f0: f0, seed: UInt64(index + 1)).map { $0 * speechGain }
            speech += b + [Float](repeating: 0, count: pause)
            alone += b
        }
        let noise = LoudnessSignals.pinkNoise(frameCount: speech.count, seed: 99,
                                              gain: amplitude(fromDecibels: -20 + noiseDecibels))
        let mix = zip(speech, noise).map { $0 + $1 }
        return (LoudnessSignals.buffer(mix, channelCount: 2), LoudnessSignals.buffer(alone, channelCount: 2))
    }

    /// The brief's case: room tone 25 dB under the speech. The dialogue-gated loudness is within 1 LU of the
    /// speech alone, and about 15 s of 57 s (26 %) is judged speech. (Plain BS.1770 integrated loudness is
    /// close as well here: room tone 25 dB down already falls under its −10 LU relative gate.)
    @Test func roomToneIsGatedOut() throws {
        let (mix, alone) = Self.programme(noiseDecibels: -25)
        let reference = try LoudnessSignals.measure(alone).integratedLoudness
        let meter = try LoudnessSignals.measure(mix, dialogue: true)
        #expect(abs(meter.dialogueLoudness - reference) <= 1, "dialogue \(meter.dialogueLoudness) vs \(reference)")
        let totalSeconds = Double(mix.frameCount) / Self.sampleRate
        let speechShare = Double(Self.fundamentals.count) * Self.burstSeconds / totalSeconds
        #expect(abs(meter.speechFraction - speechShare) < 0.08, "speech fraction \(meter.speechFraction)")
    }

    /// A louder bed (pink noise 8 dB under the speech, e.g. ambience between lines) passes BS.1770's relative
    /// gate and drags the integrated loudness several LU under the speech; the dialogue gate does not follow it.
    @Test func noiseBedDoesNotPullDialogueLoudness() throws {
        let (mix, alone) = Self.programme(noiseDecibels: -8)
        let reference = try LoudnessSignals.measure(alone).integratedLoudness
        let meter = try LoudnessSignals.measure(mix, dialogue: true)
        #expect(meter.integratedLoudness < reference - 2.5, "integrated \(meter.integratedLoudness) vs \(reference)")
        #expect(abs(meter.dialogueLoudness - reference) <= 1, "dialogue \(meter.dialogueLoudness) vs \(reference)")
        #expect(meter.speechFraction > 0.15 && meter.speechFraction < 0.4, "speech fraction \(meter.speechFraction)")
    }

    /// Steady signals are not speech: a 1 kHz line-up tone and pink noise give no speech blocks at all.
    @Test func steadySignalsAreNotSpeech() throws {
        let tone = LoudnessSignals.toneSequence([LoudnessSignals.Tone(level: -20, seconds: 10)])
        let noise = LoudnessSignals.pinkNoise(frameCount: tone.count, seed: 5, gain: 0.1)
        for signal in [tone, noise] {
            let meter = try LoudnessSignals.measure(LoudnessSignals.buffer(signal, channelCount: 2), dialogue: true)
            #expect(meter.speechFraction == 0 && meter.dialogueLoudness == -.infinity)
            #expect(meter.integratedLoudness.isFinite)
        }
    }

    /// With the gate off, nothing is reported for dialogue.
    @Test func gateOffReportsNothing() throws {
        let (mix, _) = Self.programme(noiseDecibels: -25)
        let m = try LoudnessSignals.measure(mix).measurement
        #expect(!m.dialogueGated && m.dialogueLoudness == -.infinity && m.speechFraction == 0)
        #expect(m.normalizationLoudness == m.integratedLoudness)
    }
}
