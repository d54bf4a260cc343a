import Foundation
import ScrimCore
import Testing
@testable import ScrimCleanup

@Suite struct LoudnessNormalizerTests {
    static let sampleRate = 48_000.0

    /// Stereo pink noise, 10 s, scaled so that it measures `loudness` LUFS (one measurement, one linear scale:
    /// loudness is exactly linear in power).
    static func pink(at loudness: LUFS) throws -> AudioBuffer {
        let raw = LoudnessSignals.pinkNoise(frameCount: 480_000, seed: 21, gain: 0.1)
        let other = LoudnessSignals.pinkNoise(frameCount: 480_000, seed: 22, gain: 0.1)
        let measured = try LoudnessSignals.measure(AudioBuffer(channels: [raw, other])).integratedLoudness
        let g = Float(amplitude(fromDecibels: loudness - measured))
        return AudioBuffer(channels: [raw.map { $0 * g }, other.map { $0 * g }])
    }

    static func normalize(_ input: AudioBuffer, target: LoudnessTarget, handling: TruePeakHandling)
        throws -> (AudioBuffer, LoudnessNormalizer, LoudnessMeasurement) {
        let measurement = try LoudnessSignals.measure(input, truePeak: true).measurement
        let normalizer = LoudnessNormalizer(measurement: measurement, target: target, handling: handling)
        try normalizer.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: input.channelCount,
                                                maximumBlockFrames: 4096))
        return (normalizer.processAligned(input, blockFrames: [4096, 17]), normalizer, measurement)
    }

    /// −30 → −23 LUFS with no limiting needed: the output measures −23 ± 0.1 LU (the meter's tolerance; a static
    /// gain moves loudness exactly, so the only error is the 0.01 LU histogram bound and Float rounding).
    @Test func bringsPinkNoiseToTarget() throws {
        let input = try Self.pink(at: -30)
        let (output, normalizer, _) = try Self.normalize(input, target: .ebuR128, handling: .limit)
        let report = normalizer.report
        #expect(abs(report.plan.gainDecibels - 7) < 0.02)
        #expect(!report.limiterEngaged && report.limitedFrames == 0)
        let after = try LoudnessSignals.measure(output, truePeak: true)
        #expect(abs(after.integratedLoudness - -23) <= 0.1, "\(after.integratedLoudness)")
        #expect(abs((report.outputTruePeak ?? 0) - after.truePeak) < 0.01)
    }

    /// Pushed to −10 LUFS the noise's true peak would land near +3 dBTP: the limiter catches it
    /// (output true peak ≤ ceiling + 0.1 dB) and reports what it did.
    @Test func limiterCatchesOvershoot() throws {
        let input = try Self.pink(at: -24)
        let target = LoudnessTarget.custom(loudness: -10, truePeakCeiling: -1)
        let (output, normalizer, measurement) = try Self.normalize(input, target: target, handling: .limit)
        let report = normalizer.report
        #expect(report.plan.limiterExpected && (report.plan.predictedTruePeak ?? -100) > -1)
        #expect(report.limiterEngaged && report.limitedFrames > 0 && report.deepestReductionDecibels > 0.5)
        let after = try LoudnessSignals.measure(output, truePeak: true)
        #expect(after.truePeak <= -1 + 0.1, "true peak \(after.truePeak)")
        #expect(after.integratedLoudness < -10 + 0.1 && after.integratedLoudness > -12)
        #expect(measurement.truePeak + 14 > -1)
    }

    /// With `.lowerGain` the gain stops where the measured true peak meets the ceiling; the shortfall is reported
    /// and the output loudness is target − shortfall.
    @Test func lowerGainLandsOnTheCeiling() throws {
        let input = try Self.pink(at: -24)
        let target = LoudnessTarget.custom(loudness: -10, truePeakCeiling: -1)
        let (output, normalizer, measurement) = try Self.normalize(input, target: target, handling: .lowerGain)
        let plan = normalizer.report.plan
        #expect(normalizer.latencyFrames == 0 && !normalizer.report.limiterEngaged)
        #expect(plan.shortfall > 0.5)
        #expect(abs(plan.gainDecibels - (-1 - measurement.truePeak)) < 1e-9)
        let after = try LoudnessSignals.measure(output, truePeak: true)
        // The output's true peak is the input's plus the gain, up to Float rounding and the interpolator's
        // sub-0.01 dB differences between runs on scaled data.
        #expect(abs(after.truePeak - -1) < 0.02, "true peak \(after.truePeak)")
        #expect(abs(after.integratedLoudness - (-10 - plan.shortfall)) <= 0.1)
    }

    /// Silence: no gain, a reason, no infinity or NaN anywhere; output stays silent.
    @Test func silenceGetsNoGain() throws {
        let input = AudioBuffer(channelCount: 2, capacity: 48_000)
        let (output, normalizer, _) = try Self.normalize(input, target: .podcast, handling: .limit)
        let plan = normalizer.report.plan
        #expect(plan.gainDecibels == 0 && plan.measuredLoudness == nil && plan.note != nil)
        #expect(output.channel(0).allSatisfy { $0 == 0 })
        let json = String(decoding: try JSONEncoder().encode(normalizer.report), as: UTF8.self)
        #expect(!json.contains("nan") && !json.contains("inf"))
    }

    @Test func presets() {
        #expect(LoudnessTarget.ebuR128.loudness == -23 && LoudnessTarget.ebuR128.truePeakCeiling == -1)
        #expect(LoudnessTarget.atscA85.loudness == -24 && LoudnessTarget.atscA85.truePeakCeiling == -2)
        #expect(LoudnessTarget.streaming.loudness == -14 && LoudnessTarget.streaming.truePeakCeiling == -1)
        #expect(LoudnessTarget.podcast.loudness == -16 && LoudnessTarget.podcast.truePeakCeiling == -1)
        #expect(LoudnessTarget.custom(loudness: -20, truePeakCeiling: -3).truePeakCeiling == -3)
    }

    @Test func plainGainPlan() {
        let lowered = NormalizationPlan(gainDecibels: 6, truePeakCeiling: -1, measuredTruePeak: -4,
                                        handling: .lowerGain)
        #expect(lowered.gainDecibels == 3 && lowered.shortfall == 3 && lowered.predictedTruePeak == -1)
        let limited = NormalizationPlan(gainDecibels: 6, truePeakCeiling: -1, measuredTruePeak: -4)
        #expect(limited.gainDecibels == 6 && limited.limiterExpected && limited.shortfall == 0)
    }
}

@Suite struct LevelMatcherTests {
    @Test func medianAndGains() {
        #expect(LevelMatcher.medianLoudness([-20, -26, -23]) == -23)
        #expect(LevelMatcher.medianLoudness([-20, -26, -22, -24]) == -23)
        #expect(LevelMatcher.medianLoudness([-.infinity]) == nil)
        let match = LevelMatcher.matchTogether([-20, -.infinity, -26, -23])
        #expect(match.referenceLoudness == -23)
        #expect(match.gainsDecibels == [-3, 0, 3, 0])
        #expect(match.skippedIndices == [1])
        let silent = LevelMatcher.matchTogether([-.infinity, -.infinity])
        #expect(silent.referenceLoudness == nil && silent.gainsDecibels == [0, 0])
    }

    @Test func gainToReference() throws {
        func measured(_ level: Double) throws -> LoudnessMeasurement {
            try LoudnessSignals.measure(LoudnessSignals.buffer(
                LoudnessSignals.toneSequence([LoudnessSignals.Tone(level: level, seconds: 2)]), channelCount: 2))
                .measurement
        }
        let gain = LevelMatcher.gain(from: try measured(-30), toMatch: try measured(-21))
        #expect(abs((gain ?? 0) - 9) < 0.01)
        let silent = try LoudnessSignals.measure(AudioBuffer(channelCount: 2, capacity: 48_000)).measurement
        #expect(LevelMatcher.gain(from: silent, toMatch: try measured(-21)) == nil)
    }
}
