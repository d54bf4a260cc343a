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
    let relativeGate: LoudnessUnits
    /// Loudness of the lower edge of bin 0.
    private let lowestLoudness: LUFS
    /// Per bin: the count and power of the blocks in it; and from each bin to the top, their running sums (one more
    /// entry, 0), so that the blocks above any threshold cost O(1) to count: the solver evaluates the loudness
    /// dozens of times.
    private let counts: [Double]
    private let powers: [Double]
    private let countsFrom: [Double]
    private let powersFrom: [Double]

    init(histogram: LoudnessHistogram, relativeGate: LoudnessUnits) {
        self.relativeGate = relativeGate
        let bins = histogram.allBins()
        lowestLoudness = bins.lowestLoudness
        counts = bins.counts
        powers = bins.powers
        var countSums = [Double](repeating: 0, count: bins.counts.count + 1)
        var powerSums = [Double](repeating: 0, count: bins.powers.count + 1)
        for i in stride(from: bins.counts.count - 1, through: 0, by: -1) {
            countSums[i] = countSums[i + 1] + bins.counts[i]
            powerSums[i] = powerSums[i + 1] + bins.powers[i]
        }
        countsFrom = countSums
        powersFrom = powerSums
    }

    /// Count and power of the blocks louder than `threshold` (LUFS, before any gain), splitting the threshold's bin
    /// in proportion, as ``LoudnessHistogram/blocks(above:)`` does.
    private func blocks(above threshold: LUFS) -> (count: Double, power: Double) {
        let position = (threshold - lowestLoudness) / LoudnessHistogram.binWidth
        guard position > 0 else { return (countsFrom[0], powersFrom[0]) }
        guard position < Double(counts.count) else { return (0, 0) }
        let first = Int(position)
        let kept = 1 - (position - Double(first))
        return (countsFrom[first + 1] + counts[first] * kept, powersFrom[first + 1] + powers[first] * kept)
    }

    /// The loudness, LUFS, the measured signal will have after a gain of `gain` dB (−∞ when nothing passes the
    /// gates): BS.1770-4 §5.1 with every block moved by `gain` LU and the absolute gate still at −70 LUFS (see
    /// ``LoudnessHistogram/gatedLoudness(afterGain:relativeGate:)``, which this equals to rounding).
    public func loudness(afterGain gain: Decibels) -> LUFS {
        let absolute = LoudnessHistogram.lowestLoudness - gain
        let above = blocks(above: absolute)
        guard above.count > 0, above.power > 0 else { return -.infinity }
        let threshold = max(absolute, LoudnessHistogram.loudness(ofPower: above.power / above.count) + relativeGate)
        let kept = blocks(above: threshold)
        guard kept.count > 0, kept.power > 0 else { return -.infinity }
        return LoudnessHistogram.loudness(ofPower: kept.power / kept.count) + gain
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
