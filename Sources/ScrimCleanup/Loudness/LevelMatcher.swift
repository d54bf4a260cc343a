import ScrimCore

/// Gains that bring several takes to a common loudness (`scrim match`).
///
/// All functions are pure and cheap; silent takes (loudness −∞ or NaN) take no part in the reference and get no
/// gain (0 dB), and are listed in ``LevelMatch/skippedIndices``.
public enum LevelMatcher {
    /// The outcome of matching: one gain per take.
    public struct LevelMatch: Sendable, Hashable, Codable {
        /// The loudness every take is brought to, LUFS (`nil` when every take is silent).
        public var referenceLoudness: LUFS?
        /// Gain per take, dB, in input order (0 for skipped takes).
        public var gainsDecibels: [Decibels]
        /// Takes that were silent and left alone.
        public var skippedIndices: [Int]
    }

    /// The median of the finite loudness values (mean of the middle two for an even count), or `nil` if none.
    public static func medianLoudness(_ loudness: [LUFS]) -> LUFS? {
        let finite = loudness.filter { $0.isFinite }.sorted()
        guard !finite.isEmpty else { return nil }
        let mid = finite.count / 2
        return finite.count % 2 == 1 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2
    }

    /// Gains that bring every take to `reference` LUFS.
    public static func match(_ loudness: [LUFS], to reference: LUFS) -> LevelMatch {
        precondition(reference.isFinite, "reference loudness \(reference)")
        var gains: [Decibels] = []
        var skipped: [Int] = []
        for (index, value) in loudness.enumerated() {
            if value.isFinite {
                gains.append(reference - value)
            } else {
                gains.append(0)
                skipped.append(index)
            }
        }
        return LevelMatch(referenceLoudness: reference, gainsDecibels: gains, skippedIndices: skipped)
    }

    /// Gains that bring every take to the takes' median loudness (`scrim match --together`).
    public static func matchTogether(_ loudness: [LUFS]) -> LevelMatch {
        guard let median = medianLoudness(loudness) else {
            return LevelMatch(referenceLoudness: nil, gainsDecibels: loudness.map { _ in 0 },
                              skippedIndices: Array(loudness.indices))
        }
        return match(loudness, to: median)
    }

    /// Same as ``matchTogether(_:)`` for meter measurements (their ``LoudnessMeasurement/normalizationLoudness``).
    public static func matchTogether(_ measurements: [LoudnessMeasurement]) -> LevelMatch {
        matchTogether(measurements.map(\.normalizationLoudness))
    }

    /// The gain that brings `take` to the loudness of `reference`, dB; `nil` if either is silent.
    public static func gain(from take: LoudnessMeasurement, toMatch reference: LoudnessMeasurement) -> Decibels? {
        let a = take.normalizationLoudness
        let b = reference.normalizationLoudness
        guard a.isFinite, b.isFinite else { return nil }
        return b - a
    }
}
