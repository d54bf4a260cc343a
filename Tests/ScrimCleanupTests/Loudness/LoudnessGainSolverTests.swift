import ScrimCore
import Testing
@testable import ScrimCleanup

/// Normalising onto the target: the gain is solved against the gated measurement, so blocks that a gain lifts
/// over the −70 LUFS absolute gate are counted (BS.1770-4 §5.1).
@Suite struct LoudnessGainSolverTests {
    /// A take built to make "target − measured" miss: a loud part, a part a little under the first pass's relative
    /// gate, and a long pause just under the absolute gate. After the gain the pause passes the absolute gate,
    /// drags the relative gate down, and lets the middle part in (see LoudnessGainSolver). Levels are a 1 kHz
    /// sine's peak in dBFS (mono, K-weighted ≈ −3 + 0.7 dB → loudness ≈ level − 2.3 LUFS, not needed exactly).
    static func gatedTake(loud: Double, middle: Double, pause: Double) -> [Float] {
        LoudnessSignals.toneSequence([.init(level: loud, seconds: 2), .init(level: middle, seconds: 2),
                                      .init(level: pause, seconds: 36)])
    }

    /// Applies `gain` dB and measures again with a fresh meter: the loudness the output really has.
    static func measureAfter(_ samples: [Float], gain: Double) throws -> LUFS {
        let factor = Float(amplitude(fromDecibels: gain))
        let meter = try LoudnessSignals.measure(LoudnessSignals.buffer(samples.map { $0 * factor }, channelCount: 1))
        return meter.integratedLoudness
    }

    @Test(arguments: [(loud: -37.0, middle: -51.0, pause: -69.0, target: -23.0),
                      (loud: -45.0, middle: -59.0, pause: -74.0, target: -16.0),
                      (loud: -30.0, middle: -44.0, pause: -72.0, target: -31.0),
                      (loud: -20.0, middle: -30.0, pause: -40.0, target: -23.0)])
    func solvedGainLandsOnTarget(loud: Double, middle: Double, pause: Double, target: Double) throws {
        let take = Self.gatedTake(loud: loud, middle: middle, pause: pause)
        let meter = try LoudnessSignals.measure(LoudnessSignals.buffer(take, channelCount: 1))
        let measured = meter.integratedLoudness
        let solver = meter.gainSolver
        let naive = target - measured
        let solved = try #require(solver.gain(toReach: target, from: naive))
        // The solver predicts the second meter to within the histogram's bin splitting (< 0.005 LU, see
        // LoudnessHistogram), and the output measures the target within 0.01 LU (the bound).
        let after = try Self.measureAfter(take, gain: solved)
        #expect(abs(solver.loudness(afterGain: solved) - after) < 0.005, "predicted vs measured")
        #expect(abs(after - target) < 0.01, "solved: \(after) LUFS for target \(target)")
        // The same prediction for the naive gain agrees with what the naive gain really gives.
        let naiveAfter = try Self.measureAfter(take, gain: naive)
        #expect(abs(solver.loudness(afterGain: naive) - naiveAfter) < 0.005)
    }

    @Test func theNaiveGainMissesOnTheDesignedTake() throws {
        // The point of the solver: on this take "target − measured" lands well off target (measured 2.8 LU low
        // by Scrim and FFmpeg's ebur128 on the same construction), so the test above can fail.
        let take = Self.gatedTake(loud: -37, middle: -51, pause: -69)
        let meter = try LoudnessSignals.measure(LoudnessSignals.buffer(take, channelCount: 1))
        let naiveAfter = try Self.measureAfter(take, gain: -23 - meter.integratedLoudness)
        #expect(abs(naiveAfter - -23) > 1)
    }

    @Test func aNegativeGainPushesBlocksUnderTheGateAndIsSolvedToo() throws {
        // Loud take with quiet passages just above −70 LUFS: lowering it by 20 dB drops them under the gate.
        let take = LoudnessSignals.toneSequence([.init(level: -10, seconds: 3), .init(level: -55, seconds: 20)])
        let meter = try LoudnessSignals.measure(LoudnessSignals.buffer(take, channelCount: 1))
        let target = -31.0
        let solved = try #require(meter.gainSolver.gain(toReach: target, from: target - meter.integratedLoudness))
        #expect(abs(try Self.measureAfter(take, gain: solved) - target) < 0.01)
    }

    @Test func runningSumsAgreeWithTheHistogramsOwnGating() throws {
        // The solver counts blocks with running sums; the histogram walks its bins. Same blocks, same splits.
        let take = Self.gatedTake(loud: -37, middle: -51, pause: -69)
        let meter = try LoudnessSignals.measure(LoudnessSignals.buffer(take, channelCount: 1))
        let solver = meter.gainSolver
        for gain in [-40.0, -12.5, 0, 3.3, 17, 40, 95] {
            let walked = meter.integratedHistogram.gatedLoudness(afterGain: gain,
                                                                 relativeGate: LoudnessMeter.integratedRelativeGate)
            let summed = solver.loudness(afterGain: gain)
            #expect(walked.isFinite == summed.isFinite)
            if walked.isFinite { #expect(abs(walked - summed) < 1e-9, "gain \(gain): \(walked) vs \(summed)") }
        }
        #expect(abs(solver.loudness(afterGain: 0) - meter.integratedLoudness) < 1e-9)
    }

    @Test func silenceHasNoGain() throws {
        let meter = try LoudnessSignals.measure(LoudnessSignals.buffer([Float](repeating: 0, count: 48_000),
                                                                       channelCount: 1))
        #expect(meter.gainSolver.gain(toReach: -23, from: 0) == nil)
    }

    @Test func thePlanUsesTheSolver() throws {
        let take = Self.gatedTake(loud: -37, middle: -51, pause: -69)
        let meter = try LoudnessSignals.measure(LoudnessSignals.buffer(take, channelCount: 1), truePeak: true)
        let plan = NormalizationPlan(measurement: meter.measurement, target: .ebuR128, solver: meter.gainSolver)
        #expect(abs(try Self.measureAfter(take, gain: plan.gainDecibels) - -23) < 0.01)
        #expect(abs((plan.predictedLoudness ?? 0) - -23) < 0.001)
        let plain = NormalizationPlan(measurement: meter.measurement, target: .ebuR128)
        #expect(abs(plain.gainDecibels - plan.gainDecibels) > 1, "without a solver: target − measured")
    }
}
