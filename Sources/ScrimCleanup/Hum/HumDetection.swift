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
    /// Peak amplitude in dBFS in the quiet part of the stream: from the lower quartile over the detector's time
    /// segments of the power around the harmonic (where speech has mostly dropped away), floor included. Its
    /// differences between harmonics are the hum's spectral shape, which a swell or fade does not change
    /// (``HumRemoverConfiguration/harmonicProfileDecibels``). Defaults to ``levelDecibelsFullScale``.
    public var steadyLevelDecibelsFullScale: DecibelsFullScale

    /// Creates a harmonic record; `steadyLevelDecibelsFullScale` defaults to `levelDecibelsFullScale`.
    public init(number: Int, frequencyHertz: Double, levelDecibelsFullScale: DecibelsFullScale,
                prominenceDecibels: Decibels, steadyLevelDecibelsFullScale: DecibelsFullScale? = nil) {
        self.number = number
        self.frequencyHertz = frequencyHertz
        self.levelDecibelsFullScale = levelDecibelsFullScale
        self.prominenceDecibels = prominenceDecibels
        self.steadyLevelDecibelsFullScale = steadyLevelDecibelsFullScale ?? levelDecibelsFullScale
    }
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
    /// How much the hum's level changes over the stream, in dB: the 90th less the 10th percentile, over the track
    /// segments, of the fundamental's lobe power (a voice puts little energy at 50–60 Hz, so this follows the hum).
    /// A steady hum gives 0–2 dB, a swelling or fading one more (the quality corpus's swell: 17–18 dB). Nil
    /// without hum. It sets the remover's reach (``HumRemover/lookaheadSeconds(for:)``) and whether the remover treats
    /// the level as varying (``HumRemover/levelVaries(for:)``).
    public var levelRangeDecibels: Decibels? = nil

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

extension HumDetection {
    /// The significant harmonics' ``HumHarmonic/steadyLevelDecibelsFullScale`` by harmonic number, for
    /// ``HumRemoverConfiguration/harmonicProfileDecibels`` (empty without a hum).
    public var harmonicProfileDecibels: [Int: DecibelsFullScale] {
        guard isPresent else { return [:] }
        var profile: [Int: DecibelsFullScale] = [:]
        for harmonic in harmonics { profile[harmonic.number] = harmonic.steadyLevelDecibelsFullScale }
        return profile
    }

    /// Where a remover should start tracking: the median of the first three measured points of the ``track``
    /// (the mean of two, the one when there is one; ``fundamentalHertz`` without any), nil without a hum.
    /// The first point alone is off by several hundredths of a hertz when it lies under speech (on the quality
    /// corpus, 59.960 Hz against a true 60.000 in a take that starts on a word). A remover that starts there keeps
    /// that error until its first clean measurement, which such a take may not reach for seconds. The error turns
    /// each harmonic's phase by 2.5° times its number every 0.17 s. With the median, the trimmed de-hum takes
    /// (`Benchmarks/quality/dehum_trimmed.py`: first 0.98 s cut) gain 1.1 dB of SI-SDR improvement on average
    /// (17.1 → 18.2 dB; up to 14 dB on one file), and DEHUM.md's figures for whole takes move by 0.1 dB at most.
    /// The mean over the file does nearly as well on trimmed takes (18.0 dB) but starts a drifting hum off its
    /// first frequency (hum left in the drift files' pauses −57.6 → −55.3 dB).
    public var startingFundamentalHertz: Double? {
        guard isPresent else { return nil }
        let head = track.lazy.compactMap(\.fundamentalHertz).prefix(3).sorted()
        switch head.count {
        case 0: return fundamentalHertz
        case 1: return head[0]
        case 2: return (head[0] + head[1]) / 2
        default: return head[1]
        }
    }

    /// The harmonic numbers a remover should take out for this detection: 1 up to the top of the significant
    /// series, where the series ends at the first gap of more than max(8, top/2) harmonics (an isolated line far
    /// above it is a voice's or a tone's partial that happens to fall near a multiple), raised to at least 1 kHz
    /// (mains hum reaches about that far even where its upper harmonics are too weak to stand out under speech),
    /// plus a sixteenth more (at least one) for harmonics just under the detection threshold, and capped at
    /// `maximumFrequencyHertz`. Empty without a hum. (The margins were chosen on the quality corpus, where the
    /// significant series ends one to four harmonics short of the true one on a third of the files.)
    /// - Parameter maximumFrequencyHertz: highest harmonic frequency to remove, in hertz (default 4000).
    public func harmonicsToRemove(maximumFrequencyHertz: Double = 4000) -> [Int] {
        guard isPresent, let f0 = fundamentalHertz, f0 > 0, !harmonics.isEmpty else { return [] }
        let limit = max(1, Int(maximumFrequencyHertz / f0))
        let numbers = harmonics.map(\.number).sorted()
        var top = numbers[0]
        for number in numbers.dropFirst() {
            if number - top > max(8, top / 2) { break }
            top = number
        }
        top = max(top, Int(1000 / f0))
        top = min(limit, top + max(1, top / 16))
        return Array(1...max(1, top))
    }
}
