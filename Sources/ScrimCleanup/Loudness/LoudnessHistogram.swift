import Foundation
import ScrimCore

/// A bounded store of gating-block powers for integrated loudness and loudness range.
///
/// BS.1770-4 gating and the EBU Tech 3342 percentiles need every block of a programme; storing them all grows
/// without bound (36,000 blocks an hour). Instead each block's power is added to a bin of
/// ``binWidth`` = 0.01 LU between ``lowestLoudness`` (−70 LUFS, the absolute gate) and ``highestLoudness``
/// (+30 LUFS; louder blocks go to the top bin). Every bin keeps the block count **and the exact sum of the
/// blocks' powers**, so means over whole bins carry no quantisation error at all. Quantisation enters only
///
/// - at a relative gate: the bin that holds the threshold is split in proportion to where the threshold falls
///   in it. Only blocks within 0.01 LU of the threshold can be misjudged; they lie 10 LU (integrated) or 20 LU
///   (range) below the gated mean, so if they are a fraction p of the gated blocks the result moves by less than
///   10·log10(1 + 0.1·p) ≤ 0.43·p LU — under 0.005 LU unless more than 1 % of a programme sits within
///   0.01 LU of its own gate;
/// - in a percentile (loudness range), read as the centre of its bin: at most ±0.005 LU per percentile,
///   ±0.01 LU on the range.
///
/// Both are far inside the ±0.1 LU (Tech 3341) and ±1 LU (Tech 3342) tolerances. Memory: 10,000 bins × 16
/// bytes = 160 kB, whatever the programme length. Adding a block does not allocate.
///
/// **Quiet blocks, for a gain.** With `keepsQuietBlocks`, blocks at or below the absolute gate are kept too, in the
/// same kind of bins from ``quietLowestLoudness`` (−170 LUFS) up to −70 LUFS (another 160 kB). They count in no
/// measurement, but a gain of G dB moves every block by G LU, and a positive gain lifts some of them over the
/// absolute gate, where they lower the relative gate and the gated loudness. ``gatedLoudness(afterGain:relativeGate:)``
/// gives the loudness the gained signal will measure, gates included, so a normaliser can solve for the gain that
/// lands on its target (``LoudnessGainSolver``).
struct LoudnessHistogram: Sendable {
    static let lowestLoudness: LUFS = -70
    static let highestLoudness: LUFS = 30
    static let binWidth: LoudnessUnits = 0.01
    static let binCount = Int(((highestLoudness - lowestLoudness) / binWidth).rounded())
    /// The quietest block kept for gain solving (100 LU under the absolute gate: a gain of up to +100 dB is
    /// solved exactly; quieter blocks than this are digital near-silence).
    static let quietLowestLoudness: LUFS = -170

    private var counts: [Int]
    private var powers: [Double]
    /// Blocks at or below the absolute gate (empty unless `keepsQuietBlocks`), bins of ``binWidth`` from
    /// ``quietLowestLoudness``.
    private var quietCounts: [Int]
    private var quietPowers: [Double]
    /// Number of blocks stored (all above the absolute gate).
    private(set) var blockCount = 0
    /// Sum of the stored blocks' powers.
    private(set) var powerSum = 0.0

    init(keepsQuietBlocks: Bool = false) {
        counts = Array(repeating: 0, count: Self.binCount)
        powers = Array(repeating: 0, count: Self.binCount)
        quietCounts = Array(repeating: 0, count: keepsQuietBlocks ? Self.binCount : 0)
        quietPowers = Array(repeating: 0, count: keepsQuietBlocks ? Self.binCount : 0)
    }

    /// BS.1770-4 eq. (2): the loudness of a weighted mean-square power.
    @inline(__always)
    static func loudness(ofPower power: Double) -> LUFS {
        KWeighting.loudnessOffset + 10 * log10(power)
    }

    /// The power whose loudness is `loudness`.
    @inline(__always)
    static func power(ofLoudness loudness: LUFS) -> Double {
        pow(10, (loudness - KWeighting.loudnessOffset) / 10)
    }

    /// Lower edge (LUFS) of bin `index`.
    @inline(__always)
    static func lowerEdge(ofBin index: Int) -> LUFS { lowestLoudness + Double(index) * binWidth }

    /// Adds a block if it passes the absolute gate (loudness > −70 LUFS, BS.1770-4 §5.1); returns whether it did.
    @discardableResult
    mutating func add(power: Double) -> Bool {
        let loudness = Self.loudness(ofPower: power)
        guard loudness > Self.lowestLoudness, loudness.isFinite else {
            addQuiet(power: power, loudness: loudness)
            return false
        }
        let index = min(Self.binCount - 1, Int((loudness - Self.lowestLoudness) / Self.binWidth))
        counts[index] += 1
        powers[index] += power
        blockCount += 1
        powerSum += power
        return true
    }

    /// Keeps a block at or below the absolute gate (see the type's documentation); quieter than −170 LUFS, or
    /// without `keepsQuietBlocks`, it is dropped.
    mutating func addQuiet(power: Double, loudness: LUFS) {
        guard !quietCounts.isEmpty, loudness > Self.quietLowestLoudness, loudness.isFinite else { return }
        let index = min(Self.binCount - 1, Int((loudness - Self.quietLowestLoudness) / Self.binWidth))
        quietCounts[index] += 1
        quietPowers[index] += power
    }

    /// Keeps a block below the gate when it is one the caller measures, whatever its loudness (the dialogue gate
    /// decides speech on blocks above and below the absolute gate alike).
    mutating func addQuiet(power: Double) {
        addQuiet(power: power, loudness: Self.loudness(ofPower: power))
    }

    /// Adds every block stored in `other` (bin by bin: counts and power sums add exactly).
    mutating func merge(_ other: LoudnessHistogram) {
        for i in counts.indices where other.counts[i] > 0 {
            counts[i] += other.counts[i]
            powers[i] += other.powers[i]
        }
        if quietCounts.count == other.quietCounts.count {
            for i in quietCounts.indices where other.quietCounts[i] > 0 {
                quietCounts[i] += other.quietCounts[i]
                quietPowers[i] += other.quietPowers[i]
            }
        }
        blockCount += other.blockCount
        powerSum += other.powerSum
    }

    mutating func reset() {
        for i in counts.indices {
            counts[i] = 0
            powers[i] = 0
        }
        for i in quietCounts.indices {
            quietCounts[i] = 0
            quietPowers[i] = 0
        }
        blockCount = 0
        powerSum = 0
    }

    /// Count and power sum of the blocks louder than `threshold` (LUFS), splitting the threshold's bin.
    func blocks(above threshold: LUFS) -> (count: Double, power: Double) {
        let position = (threshold - Self.lowestLoudness) / Self.binWidth
        guard position > 0 else { return (Double(blockCount), powerSum) }
        let first = Int(position)
        guard first < Self.binCount else { return (0, 0) }
        let keptFraction = 1 - (position - Double(first))
        var count = Double(counts[first]) * keptFraction
        var power = powers[first] * keptFraction
        for i in (first + 1)..<Self.binCount {
            count += Double(counts[i])
            power += powers[i]
        }
        return (count, power)
    }

    /// BS.1770-4 §5.1 gated loudness: the relative threshold lies `relativeGate` LU (negative) under the
    /// loudness of the mean power of all stored blocks; returns the loudness of the blocks above it and the
    /// threshold. −∞ (never NaN) when nothing passes.
    func gatedLoudness(relativeGate: LoudnessUnits) -> (loudness: LUFS, threshold: LUFS) {
        guard blockCount > 0 else { return (-.infinity, -.infinity) }
        let threshold = Self.loudness(ofPower: powerSum / Double(blockCount)) + relativeGate
        let kept = blocks(above: threshold)
        guard kept.count > 0, kept.power > 0 else { return (-.infinity, threshold) }
        return (Self.loudness(ofPower: kept.power / kept.count), threshold)
    }

    /// The gated loudness (BS.1770-4 §5.1) the stored blocks would measure after a gain of `gain` dB: every block
    /// moves up by `gain` LU, so the absolute gate (−70 LUFS after the gain) falls at −70 − `gain` LUFS among the
    /// stored blocks, quiet ones included; the relative gate is relative, so it does not move with the gain.
    /// Bins that hold a gate are split in proportion, as in ``blocks(above:)``. Without `keepsQuietBlocks` a
    /// positive gain cannot see the blocks it lifts over the absolute gate.
    /// - Returns: the loudness after the gain, LUFS (−∞ when nothing passes).
    func gatedLoudness(afterGain gain: Double, relativeGate: LoudnessUnits) -> LUFS {
        let absolute = Self.lowestLoudness - gain
        let above = allBlocks(above: absolute)
        guard above.count > 0, above.power > 0 else { return -.infinity }
        let threshold = max(absolute, Self.loudness(ofPower: above.power / above.count) + relativeGate)
        let kept = allBlocks(above: threshold)
        guard kept.count > 0, kept.power > 0 else { return -.infinity }
        return Self.loudness(ofPower: kept.power / kept.count) + gain
    }

    /// Every bin from ``quietLowestLoudness`` (quiet bins first, when kept) up to ``highestLoudness``: block counts
    /// and power sums, and the loudness of the first bin's lower edge. For ``LoudnessGainSolver``'s running sums.
    func allBins() -> (counts: [Double], powers: [Double], lowestLoudness: LUFS) {
        let counts = quietCounts.map(Double.init) + self.counts.map(Double.init)
        return (counts, quietPowers + powers, quietCounts.isEmpty ? Self.lowestLoudness : Self.quietLowestLoudness)
    }

    /// Count and power sum of the blocks louder than `threshold`, quiet ones included, splitting the threshold's
    /// bin.
    private func allBlocks(above threshold: LUFS) -> (count: Double, power: Double) {
        if threshold >= Self.lowestLoudness || quietCounts.isEmpty { return blocks(above: threshold) }
        var (count, power) = (Double(blockCount), powerSum)
        let position = (threshold - Self.quietLowestLoudness) / Self.binWidth
        let first = max(0, Int(position.rounded(.down)))
        let keptFraction = position > 0 ? 1 - (position - Double(first)) : 1
        if first < Self.binCount {
            count += Double(quietCounts[first]) * keptFraction
            power += quietPowers[first] * keptFraction
            for i in (first + 1)..<Self.binCount {
                count += Double(quietCounts[i])
                power += quietPowers[i]
            }
        }
        return (count, power)
    }

    /// EBU Tech 3342 loudness range: relative gate at `relativeGate` LU (−20) under the power mean of the stored
    /// (absolute-gated) short-term values, then the difference between the `high` and `low` percentiles
    /// (0.95 and 0.10) of the loudness distribution of what is left. Percentiles use the nearest rank
    /// (rank = round(q·(n − 1)) in the sorted values), read as the centre of its bin. 0 when nothing is stored.
    func loudnessRange(relativeGate: LoudnessUnits, low: Double, high: Double) -> LoudnessUnits {
        guard blockCount > 0 else { return 0 }
        let threshold = Self.loudness(ofPower: powerSum / Double(blockCount)) + relativeGate
        let firstBin = max(0, min(Self.binCount, Int(((threshold - Self.lowestLoudness) / Self.binWidth)
            .rounded(.toNearestOrAwayFromZero))))
        var total = 0
        for i in firstBin..<Self.binCount { total += counts[i] }
        guard total > 0 else { return 0 }
        func percentile(_ q: Double) -> LUFS {
            let rank = Int((q * Double(total - 1)).rounded())
            var seen = 0
            for i in firstBin..<Self.binCount {
                seen += counts[i]
                if seen > rank { return Self.lowerEdge(ofBin: i) + Self.binWidth / 2 }
            }
            return Self.highestLoudness
        }
        return percentile(high) - percentile(low)
    }
}
