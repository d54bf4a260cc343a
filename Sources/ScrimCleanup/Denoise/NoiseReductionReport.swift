import ScrimCore

/// What a ``NoiseReducer`` did to a stream: the mode, the noise floor it estimated and left, and how much it cut.
///
/// Levels are RMS levels in dBFS (1.0 = 0 dBFS; a full-scale sine is −3.01 dBFS on this scale), floored at
/// −200 dBFS so that digital silence stays a finite number in JSON. Codable with camelCase keys.
public struct NoiseReductionReport: Codable, Sendable, Hashable {
    /// "adaptive" or "learned".
    public var mode: String
    /// "cleaned", "residual" or "bypass".
    public var output: String
    /// "independent" or "linked".
    public var channelLinking: String
    /// The reduction limit in dB.
    public var reductionLimitDecibels: Double
    /// FFT size and hop used, in frames.
    public var fftSize: Int
    public var hopSize: Int
    /// The processor's latency in frames (compensated by the file pipeline).
    public var latencyFrames: Int
    /// STFT frames (hops) processed.
    public var frames: Int
    /// Estimated noise floor of the input: the noise estimate (learned profile or adaptive tracker) converted
    /// to a time-domain RMS level by Parseval, power-averaged over frames and channels. nil before any frame.
    public var noiseFloorBeforeDecibelsFS: DecibelsFullScale?
    /// The same estimate after the gains: each bin's noise power times its applied gain squared (for the
    /// cleaned output; in residual and bypass modes the gains the cleaned output would have had).
    public var noiseFloorAfterDecibelsFS: DecibelsFullScale?
    /// Mean over frames (and groups of linked channels) of the frame's reduction, 10·log10(Σ|Y|²/Σ|G·Y|²), in
    /// dB; frames quieter than −120 dBFS are not counted. nil when none counted.
    public var averageReductionDecibels: Decibels?
    /// The largest frame reduction in dB (≤ the limit). nil when no frame counted.
    public var maximumReductionDecibels: Decibels?
    /// NaN and ±Inf input samples replaced by 0 before processing.
    public var invalidSamplesZeroed: Int
    /// Finite input samples beyond ±10⁶ (+120 dBFS) clamped there before processing (they would overflow
    /// single-precision spectra).
    public var outOfRangeSamplesClamped: Int
    /// The babble guard (``NoiseReducerSettings/babbleGuard``; see the reducer's documentation): the share of
    /// frames (0…1, sampled every 4th hop, over channel groups: each channel, or one group when linked) in which
    /// a speech-like background eased the reduction limit by more than a tenth of the way to its eased limit
    /// (4–10 dB; nothing is eased when the user's limit is already that shallow). nil when the guard is off or
    /// cannot run (frames outside 23–100 ms, e.g. a short `fftSize`; sample rates below about 2.5 kHz).
    public var babbleGuardShare: Double?
    /// The lowest reduction limit the babble guard eased to, in dB. nil when the guard is off or never eased.
    public var babbleGuardLowestLimitDecibels: Decibels?

    /// The floor used for levels: −200 dBFS.
    public static let levelFloorDecibelsFS: DecibelsFullScale = -200
}
