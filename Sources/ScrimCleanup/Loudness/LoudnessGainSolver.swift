import ScrimCore

/// Solves for the gain that brings a measured signal onto a loudness target, gates included.
///
/// A static gain of G dB moves every gating block by G LU, but BS.1770-4's absolute gate stays at −70 LUFS: a
/// positive gain lifts quiet blocks (room tone in pauses) over it, and they lower the relative gate and the gated
/// loudness. "Target − measured" then misses: a −40 LUFS take given +17 dB measures −23.07 LUFS, not −23. The
/// solver keeps the first pass's block powers (``LoudnessHistogram``, quiet blocks down to −170 LUFS included), so
/// the loudness after any gain is known exactly (to the histogram's 0.01 LU bins, split at the gates), and finds the
/// gain whose result is the target.
///
/// Made by ``LoudnessMeter/gainSolver``; a value (copies the meter's histograms), safe to send across tasks.
public struct LoudnessGainSolver: Sendable {
    let histogram: LoudnessHistogram
    let relativeGate: LoudnessUnits

    /// The loudness, LUFS, the measured signal will have after a gain of `gain` dB (−∞ when nothing passes the
    /// gates).
    public func loudness(afterGain gain: Decibels) -> LUFS {
        histogram.gatedLoudness(afterGain: gain, relativeGate: relativeGate)
    }

    /// The gain, dB, after which the signal measures `target`, within `tolerance` LU; nil when the signal has no
    /// loudness (nothing above the gates at any gain tried).
    ///
    /// Fixed-point iteration G ← G + (target − L(G)) from `guess` (L(G) − G changes only as blocks cross the
    /// absolute gate, so it converges in a few steps), then bisection between the last two estimates if it has
    /// not settled in 12 steps. L is continuous in G (gate bins are split in proportion) and rises with G overall.
    public func gain(toReach target: LUFS, from guess: Decibels, tolerance: LoudnessUnits = 0.0005) -> Decibels? {
        guard target.isFinite, guess.isFinite else { return nil }
        var gain = guess
        var previous = guess
        for _ in 0..<12 {
            let reached = loudness(afterGain: gain)
            guard reached.isFinite else { return nil }
            let error = target - reached
            if abs(error) <= tolerance { return gain }
            previous = gain
            gain += error
        }
        // Bisection on a bracket around the last two estimates, widened until it brackets the target.
        var low = min(gain, previous) - 0.5
        var high = max(gain, previous) + 0.5
        for _ in 0..<40 where !(loudness(afterGain: low) <= target && loudness(afterGain: high) >= target) {
            low -= 1
            high += 1
        }
        for _ in 0..<60 {
            let middle = (low + high) / 2
            let reached = loudness(afterGain: middle)
            if abs(target - reached) <= tolerance { return middle }
            if reached < target { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }
}
