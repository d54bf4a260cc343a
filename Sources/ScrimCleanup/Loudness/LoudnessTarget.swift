import ScrimCore

/// A delivery loudness target: integrated loudness and true-peak ceiling.
///
/// | preset | loudness | ceiling | source |
/// |---|---|---|---|
/// | ``ebuR128`` | −23 LUFS | −1 dBTP | EBU R 128 (2020) |
/// | ``atscA85`` | −24 LKFS | −2 dBTP | ATSC A/85:2013 |
/// | ``streaming`` | −14 LUFS | −1 dBTP | common music-streaming reference level |
/// | ``podcast`` | −16 LUFS | −1 dBTP | common podcast recommendation (e.g. AES TD1004 for stereo) |
public enum LoudnessTarget: Sendable, Hashable, Codable, CustomStringConvertible {
    case ebuR128
    case atscA85
    case streaming
    case podcast
    case custom(loudness: LUFS, truePeakCeiling: DecibelsTruePeak)

    /// The target integrated loudness, LUFS.
    public var loudness: LUFS {
        switch self {
        case .ebuR128: -23
        case .atscA85: -24
        case .streaming: -14
        case .podcast: -16
        case .custom(let loudness, _): loudness
        }
    }

    /// The true-peak ceiling, dBTP.
    public var truePeakCeiling: DecibelsTruePeak {
        switch self {
        case .ebuR128, .streaming, .podcast: -1
        case .atscA85: -2
        case .custom(_, let ceiling): ceiling
        }
    }

    /// A short name ("ebu-r128", "atsc-a85", "streaming", "podcast", "custom").
    public var name: String {
        switch self {
        case .ebuR128: "ebu-r128"
        case .atscA85: "atsc-a85"
        case .streaming: "streaming"
        case .podcast: "podcast"
        case .custom: "custom"
        }
    }

    public var description: String {
        let l = (loudness * 10).rounded() / 10
        let c = (truePeakCeiling * 10).rounded() / 10
        return "\(name) (\(l) LUFS, ceiling \(c) dBTP)"
    }
}

/// What to do when the normalising gain would push the true peak over the ceiling.
public enum TruePeakHandling: String, Sendable, Hashable, Codable, CaseIterable {
    /// Apply the full gain and catch the peaks with a ``TruePeakLimiter`` (default).
    case limit
    /// Reduce the gain so the measured true peak lands on the ceiling; report the shortfall.
    case lowerGain
}
