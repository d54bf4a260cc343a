import ScrimCore

/// One harmonic of a detected hum.
public struct HumHarmonic: Sendable, Hashable {
    /// Harmonic number (1 = the fundamental).
    public var number: Int
    /// Measured frequency in hertz (from the interpolated spectral peak).
    public var frequencyHertz: Double
    /// Peak amplitude in dBFS (a full-scale sine is 0 dBFS), averaged over the stream and the channels.
    public var levelDecibelsFullScale: DecibelsFullScale
    /// Peak height above the local spectral floor, in dB.
    public var prominenceDecibels: Decibels
}

/// One point of a hum's frequency track.
public struct HumTrackPoint: Sendable, Hashable {
    /// Centre of the segment in seconds from the stream start.
    public var timeSeconds: Double
    /// Fundamental in hertz over the segment, or nil where it could not be measured.
    public var fundamentalHertz: Double?
}

/// What ``HumDetector`` found: a locked harmonic series, or no hum.
public struct HumDetection: Sendable, Hashable {
    /// Whether a hum was found (at least two significant harmonics at integer multiples, present through
    /// most of the stream).
    public var isPresent: Bool
    /// The fundamental in hertz (the best candidate in the search range even when ``isPresent`` is false, or
    /// nil for silence).
    public var fundamentalHertz: Double?
    /// The significant harmonics, lowest first (empty when no hum).
    public var harmonics: [HumHarmonic]
    /// Power of the significant harmonics relative to the signal's total power, in dB (−∞ without hum).
    public var humToSignalDecibels: Decibels
    /// The fundamental over time, about 64 to 128 equal segments (fewer for short streams).
    public var track: [HumTrackPoint]
    /// Fraction of track segments in which the hum was seen, 0…1.
    public var presenceFraction: Double

    /// Lowest and highest fundamental on the track in hertz, or nil without a track.
    public var trackRangeHertz: ClosedRange<Double>? {
        let values = track.compactMap(\.fundamentalHertz)
        guard let low = values.min(), let high = values.max() else { return nil }
        return low...high
    }

    /// The detection of nothing (silence, too short a stream).
    public static let none = HumDetection(isPresent: false, fundamentalHertz: nil, harmonics: [],
                                          humToSignalDecibels: -.infinity, track: [], presenceFraction: 0)
}
