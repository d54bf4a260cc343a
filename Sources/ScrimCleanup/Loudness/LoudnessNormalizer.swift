import Foundation
import ScrimCore

/// The decision a ``LoudnessNormalizer`` carries out: one static gain and how the ceiling is kept.
public struct NormalizationPlan: Sendable, Hashable, Codable {
    /// Measured loudness of the input, LUFS (`nil` when silent or unmeasured).
    public var measuredLoudness: LUFS?
    /// Target loudness, LUFS (`nil` when the plan is a plain gain).
    public var targetLoudness: LUFS?
    /// The gain to apply, dB.
    public var gainDecibels: Decibels
    /// Loudness expected after the gain, LUFS (`nil` when the input loudness is unknown).
    public var predictedLoudness: LUFS?
    /// The true-peak ceiling, dBTP.
    public var truePeakCeiling: DecibelsTruePeak
    /// Measured true peak of the input, dBTP (`nil` when unknown or silent).
    public var measuredTruePeak: DecibelsTruePeak?
    /// True peak expected after the gain and before any limiting, dBTP.
    public var predictedTruePeak: DecibelsTruePeak?
    /// How the ceiling is kept.
    public var truePeakHandling: TruePeakHandling
    /// Whether the limiter is expected to act (predicted true peak above the ceiling, `.limit` only).
    public var limiterExpected: Bool
    /// With `.lowerGain`: how far below the target the output will land, LU (0 otherwise).
    public var shortfall: LoudnessUnits
    /// Why the plan is what it is, when that is not obvious (silence, no true peak measured, …).
    public var note: String?

    /// Plans normalisation of a measured input to a target.
    ///
    /// Gain = target − measured (``LoudnessMeasurement/normalizationLoudness``: dialogue loudness when the meter
    /// gated on dialogue). Silence or nothing above the gates → gain 0 dB with a note; never an infinite or NaN
    /// gain. With `.lowerGain` the gain is reduced so that measured true peak + gain = ceiling, and the difference
    /// is the shortfall; if the meter did not measure true peak, the sample peak stands in (noted).
    ///
    /// With a `solver` (the measuring meter's ``LoudnessMeter/gainSolver``), the gain is solved against the gated
    /// measurement instead: the gain after which the blocks, quiet ones lifted over the absolute gate included,
    /// measure the target (within 0.0005 LU of the meter's own result); ``predictedLoudness`` is what they will
    /// measure after the final gain (also when `.lowerGain` lowered it). Without one (a measurement read back from
    /// JSON), gain = target − measured, which can miss by a few hundredths of an LU on quiet takes.
    public init(measurement: LoudnessMeasurement, target: LoudnessTarget, handling: TruePeakHandling = .limit,
                solver: LoudnessGainSolver? = nil) {
        let measured = measurement.normalizationLoudness
        let peak: Double
        var note: String?
        if measurement.truePeakMeasured {
            peak = measurement.truePeak
        } else {
            peak = measurement.samplePeak
            note = "true peak was not measured: the sample peak stands in for it"
        }
        targetLoudness = target.loudness
        truePeakCeiling = target.truePeakCeiling
        truePeakHandling = handling
        measuredTruePeak = peak.isFinite ? peak : nil
        guard measured.isFinite else {
            measuredLoudness = nil
            gainDecibels = 0
            predictedLoudness = nil
            predictedTruePeak = measuredTruePeak
            limiterExpected = false
            shortfall = 0
            self.note = "input is silent or entirely below the −70 LUFS absolute gate: no gain applied"
            return
        }
        measuredLoudness = measured
        var gain = target.loudness - measured
        if let solver, let solved = solver.gain(toReach: target.loudness, from: gain) { gain = solved }
        var lowered = false
        if handling == .lowerGain, peak.isFinite, peak + gain > target.truePeakCeiling {
            gain = target.truePeakCeiling - peak
            lowered = true
        }
        let predicted = solver.map { $0.loudness(afterGain: gain) }.flatMap { $0.isFinite ? $0 : nil }
            ?? measured + gain
        let shortfall = lowered ? max(0, target.loudness - predicted) : 0
        gainDecibels = gain
        predictedLoudness = predicted
        predictedTruePeak = peak.isFinite ? peak + gain : nil
        limiterExpected = handling == .limit && (predictedTruePeak ?? -.infinity) > target.truePeakCeiling
        self.shortfall = shortfall
        self.note = note
    }

    /// A plan for a plain gain (e.g. from ``LevelMatcher``), with the ceiling kept by `handling`.
    /// - Parameters:
    ///   - gainDecibels: the gain, dB (finite).
    ///   - truePeakCeiling: dBTP.
    ///   - measuredTruePeak: the input's true peak if known, dBTP; `.lowerGain` needs it to lower the gain.
    public init(gainDecibels: Decibels, truePeakCeiling: DecibelsTruePeak, measuredTruePeak: DecibelsTruePeak? = nil,
                handling: TruePeakHandling = .limit) {
        precondition(gainDecibels.isFinite, "gain \(gainDecibels) dB")
        measuredLoudness = nil
        targetLoudness = nil
        self.truePeakCeiling = truePeakCeiling
        truePeakHandling = handling
        self.measuredTruePeak = measuredTruePeak.flatMap { $0.isFinite ? $0 : nil }
        var gain = gainDecibels
        var shortfall = 0.0
        if handling == .lowerGain, let peak = self.measuredTruePeak, peak + gain > truePeakCeiling {
            shortfall = gain - (truePeakCeiling - peak)
            gain = truePeakCeiling - peak
        }
        self.gainDecibels = gain
        predictedLoudness = nil
        predictedTruePeak = self.measuredTruePeak.map { $0 + gain }
        limiterExpected = handling == .limit && (predictedTruePeak ?? -.infinity) > truePeakCeiling
        self.shortfall = shortfall
        note = handling == .lowerGain && self.measuredTruePeak == nil
            ? "true peak unknown: the gain could not be lowered to fit the ceiling" : nil
    }
}

/// What a ``LoudnessNormalizer`` did: its plan and what actually happened.
public struct NormalizationReport: Sendable, Hashable, Codable {
    public var plan: NormalizationPlan
    /// Whether the limiter reduced the gain of any frame.
    public var limiterEngaged: Bool
    /// Frames the limiter reduced.
    public var limitedFrames: Int
    /// Deepest limiter gain reduction, dB (0 when it never engaged).
    public var deepestReductionDecibels: Decibels
    /// True peak of the output actually produced, dBTP (`nil` for silent output).
    public var outputTruePeak: DecibelsTruePeak?
}

/// Applies one static gain, chosen from a first-pass measurement, and keeps the true peak under a ceiling.
///
/// Never dynamic: the gain is the plan's, fixed for the whole stream (this is not an AGC). With
/// ``TruePeakHandling/limit`` a ``TruePeakLimiter`` follows the gain and only acts on the peaks that would
/// cross the ceiling (its latency is this processor's ``latencyFrames``; when nothing crosses the ceiling the
/// output is exactly the input × gain, delayed); with ``TruePeakHandling/lowerGain`` the plan already lowered
/// the gain and there is no latency. The output's true peak is measured as it goes (``report``).
///
/// `prepare` allocates; `process`, `flush`, `reset` do not allocate, lock or throw. Not thread-safe.
public final class LoudnessNormalizer: AudioProcessor {
    /// The plan being applied.
    public let plan: NormalizationPlan
    private let limiter: TruePeakLimiter?
    private let gain: Float
    private var outputMeter: TruePeakInterpolator?
    private var outputSamplePeak: Float = 0

    /// Creates a normaliser for a plan.
    /// - Parameter plan: see ``NormalizationPlan``.
    public init(plan: NormalizationPlan) {
        self.plan = plan
        gain = Float(amplitude(fromDecibels: plan.gainDecibels))
        limiter = plan.truePeakHandling == .limit ? TruePeakLimiter(ceiling: plan.truePeakCeiling) : nil
    }

    /// Creates a normaliser that brings `measurement` to `target`.
    public convenience init(measurement: LoudnessMeasurement, target: LoudnessTarget,
                            handling: TruePeakHandling = .limit) {
        self.init(plan: NormalizationPlan(measurement: measurement, target: target, handling: handling))
    }

    /// Delay between input and output, frames (the limiter's look-ahead with `.limit`, else 0).
    public var latencyFrames: Int { limiter?.latencyFrames ?? 0 }

    public func prepare(for spec: ProcessSpec) throws {
        try spec.validate()
        try limiter?.prepare(for: spec)
        guard LoudnessMeter.supportedSampleRates.contains(spec.sampleRate) else {
            throw ScrimError(.configuration, "loudness normalisation supports 8 kHz to 768 kHz; the stream is "
                + "\(spec.sampleRate) Hz")
        }
        outputMeter = TruePeakInterpolator(sampleRate: spec.sampleRate, channelCount: spec.channelCount)
        outputSamplePeak = 0
    }

    public func reset() {
        limiter?.reset()
        outputMeter?.reset()
        outputSamplePeak = 0
    }

    public func process(_ block: AudioBlock) {
        guard let outputMeter else { preconditionFailure("LoudnessNormalizer.process before prepare(for:)") }
        if gain != 1 {
            for c in 0..<block.channelCount {
                let samples = block.channel(c)
                for i in samples.indices { samples[i] *= gain }
            }
        }
        limiter?.process(block)
        for c in 0..<block.channelCount {
            guard let base = block.channel(c).baseAddress else { continue }
            // The interpolator returns the sample peak it found while scanning.
            let peak = outputMeter.accumulatePeak(channel: c, samples: base, count: block.frameCount)
            if peak > outputSamplePeak { outputSamplePeak = peak }
        }
    }

    /// What happened so far (complete after the stream has been flushed).
    public var report: NormalizationReport {
        var peak = outputSamplePeak
        if let outputMeter {
            for c in outputMeter.peaks.indices {
                peak = max(peak, outputMeter.peaks[c], outputMeter.tailPeak(channel: c))
            }
        }
        return NormalizationReport(
            plan: plan, limiterEngaged: limiter?.engaged ?? false, limitedFrames: limiter?.limitedFrames ?? 0,
            deepestReductionDecibels: limiter?.deepestReductionDecibels ?? 0,
            outputTruePeak: peak > 0 ? decibels(fromAmplitude: Double(peak)) : nil)
    }
}
