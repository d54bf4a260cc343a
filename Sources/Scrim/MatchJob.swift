import Foundation
import ScrimFiles

/// One matched take of `scrim match` (and of the C API's `scrim_match_buffers`): its first-pass measurement, the
/// gain pass, and whether it was silent (no gain).
public struct MatchedTake: Sendable {
    public var take: LoudnessFileMeasurement
    public var gain: LoudnessGainResult
    public var silent: Bool

    public init(take: LoudnessFileMeasurement, gain: LoudnessGainResult, silent: Bool) {
        self.take = take
        self.gain = gain
        self.silent = silent
    }

    /// The take's `scrim match --json` line: the envelope with `match` (referenceLoudnessLufs, silent, before, then
    /// the gain pass's keys as normalize's) and `file`.
    public func json(referenceLoudness: LUFS?) -> JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("referenceLoudnessLufs", .rounded(referenceLoudness, places: 3)),
            ("silent", .bool(silent)),
            ("before", take.json),
        ]
        pairs += gain.jsonPairs
        return Envelope.make(command: "match", input: take.path, output: gain.file.outputPath, status: .done,
                             warnings: gain.file.warnings,
                             report: [("match", .object(pairs)), ("file", gain.file.json)])
    }
}

/// The decisions of `scrim match` that the CLI and the C API share: each take's gain plan and the summary line.
/// The passes themselves are ``LoudnessJob/measure(input:options:)`` and ``LoudnessJob/applyGain``.
public enum MatchJob {
    /// The gain plan of take `index` (one static gain, limited or lowered to keep the true-peak ceiling).
    ///
    /// The matcher's gain is reference − measured; solved against the take's own gates it lands on the reference
    /// also when the gain lifts room tone over the absolute gate.
    public static func plan(take: LoudnessFileMeasurement, index: Int, matched: LevelMatcher.LevelMatch,
                            truePeakCeiling: DecibelsTruePeak, handling: TruePeakHandling) -> NormalizationPlan {
        var gainDecibels = matched.gainsDecibels[index]
        let measured = take.measurement.normalizationLoudness
        if measured.isFinite, let reference = matched.referenceLoudness, !matched.skippedIndices.contains(index),
           let solved = take.gainSolver?.gain(toReach: reference, from: gainDecibels) {
            gainDecibels = solved
        }
        var plan = NormalizationPlan(gainDecibels: gainDecibels, truePeakCeiling: truePeakCeiling,
                                     measuredTruePeak: take.measurement.truePeak, handling: handling)
        if measured.isFinite {
            plan.measuredLoudness = measured
            plan.targetLoudness = matched.referenceLoudness
            plan.predictedLoudness = take.gainSolver?.loudness(afterGain: plan.gainDecibels)
                ?? measured + plan.gainDecibels
        }
        return plan
    }

    /// The `matchSummary` object: mode, reference, referenceLoudnessLufs, dialogue, fileCount, failedCount and the
    /// loudness spread before and after (measured on the outputs; null without a take that has a loudness).
    public static func summary(reference: String?, matched: LevelMatcher.LevelMatch, dialogue: Bool,
                               takes: [MatchedTake], failedCount: Int) -> JSONValue {
        let before = takes.map(\.take.measurement.normalizationLoudness).filter(\.isFinite)
        let after = takes.filter { !$0.silent }.map(\.gain.afterLoudness).filter(\.isFinite)
        let spreadBefore: Double? = before.isEmpty ? nil : (before.max() ?? 0) - (before.min() ?? 0)
        let spreadAfter: Double? = after.isEmpty ? nil : (after.max() ?? 0) - (after.min() ?? 0)
        return .object([
            ("mode", .string(reference == nil ? "together" : "reference")),
            ("reference", .optional(reference)),
            ("referenceLoudnessLufs", .rounded(matched.referenceLoudness, places: 3)),
            ("dialogue", .bool(dialogue)),
            ("fileCount", .int(Int64(takes.count))),
            ("failedCount", .int(Int64(failedCount))),
            ("spreadBeforeLu", .rounded(spreadBefore, places: 3)),
            ("spreadAfterLu", .rounded(spreadAfter, places: 3)),
        ])
    }
}
