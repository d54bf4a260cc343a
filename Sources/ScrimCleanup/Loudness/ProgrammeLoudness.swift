import ScrimCore

/// The loudness of several streams taken as one programme: BS.1770-4 gating over all their blocks together.
///
/// Averaging the integrated loudness of several files (in LUFS or in power) is wrong: the relative gate
/// (−10 LU under the mean of *all* blocks) must see every block of the programme, and a long quiet file weighs
/// more than a short loud one. This type merges the meters' gating histograms (see ``LoudnessHistogram``): the
/// block counts and power sums add exactly, so the result is what one meter would report for the files played
/// back to back, except for the few 400 ms blocks (and 3 s short-term windows) that would straddle the joins
/// and are not formed here.
///
/// Memory: three histograms (≈ 480 kB) whatever the number of streams; ``add(_:)`` does not keep the meter.
/// Not thread-safe (a value type: use one per task).
public struct ProgrammeLoudness: Sendable {
    private var integratedHistogram = LoudnessHistogram()
    private var rangeHistogram = LoudnessHistogram()
    private var dialogueHistogram = LoudnessHistogram()
    private var speechBlocks = 0.0
    private var blocksAboveGate = 0.0

    /// Number of streams added.
    public private(set) var streamCount = 0
    /// Total duration of the streams added, seconds.
    public private(set) var durationSeconds = 0.0
    /// Largest sample peak over all streams, dBFS (−∞ when empty or silent).
    public private(set) var samplePeak: DecibelsFullScale = -.infinity
    /// Largest true peak over all streams, dBTP (−∞ when empty, silent or not measured).
    public private(set) var truePeak: DecibelsTruePeak = -.infinity
    /// Largest momentary loudness over all streams, LUFS.
    public private(set) var maxMomentaryLoudness: LUFS = -.infinity
    /// Largest short-term loudness over all streams, LUFS.
    public private(set) var maxShortTermLoudness: LUFS = -.infinity

    /// Creates an empty programme.
    public init() {}

    /// Adds a finished meter's blocks. The meter is read, not kept; it may be reset or released afterwards.
    /// Allocates nothing beyond what the meter's result accessors allocate.
    public mutating func add(_ meter: LoudnessMeter) {
        integratedHistogram.merge(meter.integratedHistogram)
        rangeHistogram.merge(meter.rangeHistogram)
        dialogueHistogram.merge(meter.dialogueHistogram)
        let fraction = meter.speechFraction
        blocksAboveGate += Double(meter.integratedHistogram.blockCount)
        speechBlocks += fraction * Double(meter.integratedHistogram.blockCount)
        streamCount += 1
        let measurement = meter.measurement
        durationSeconds += measurement.durationSeconds
        samplePeak = max(samplePeak, measurement.samplePeak)
        truePeak = max(truePeak, measurement.truePeak)
        maxMomentaryLoudness = max(maxMomentaryLoudness, measurement.maxMomentaryLoudness)
        maxShortTermLoudness = max(maxShortTermLoudness, measurement.maxShortTermLoudness)
    }

    /// Integrated loudness of the programme, LUFS: BS.1770-4 gating over every stream's 400 ms blocks
    /// (−∞ when nothing passes the gates).
    public var integratedLoudness: LUFS {
        integratedHistogram.gatedLoudness(relativeGate: LoudnessMeter.integratedRelativeGate).loudness
    }

    /// Relative gate of the programme's integrated loudness, LUFS.
    public var relativeGateThreshold: LUFS {
        integratedHistogram.gatedLoudness(relativeGate: LoudnessMeter.integratedRelativeGate).threshold
    }

    /// Loudness range of the programme (EBU Tech 3342 over every stream's short-term values), LU.
    public var loudnessRange: LoudnessUnits {
        rangeHistogram.loudnessRange(relativeGate: LoudnessMeter.rangeRelativeGate, low: 0.10, high: 0.95)
    }

    /// Dialogue-gated integrated loudness over every stream's speech blocks, LUFS (−∞ when no meter gated on
    /// dialogue or none found speech).
    public var dialogueLoudness: LUFS {
        dialogueHistogram.gatedLoudness(relativeGate: LoudnessMeter.integratedRelativeGate).loudness
    }

    /// Fraction of the programme's blocks above the absolute gate judged speech (0 without dialogue gating).
    public var speechFraction: Double { blocksAboveGate > 0 ? speechBlocks / blocksAboveGate : 0 }
}
