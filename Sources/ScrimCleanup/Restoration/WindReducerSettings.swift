import Foundation
import ScrimCore

/// Settings of a ``WindReducer``.
public struct WindReducerSettings: Sendable, Hashable {
    /// How the tracks of a poly file are treated.
    public enum ChannelLinking: String, Sendable, Hashable, CaseIterable {
        /// Each track its own detection and cut (default: poly tracks are separate microphones, and wind hits
        /// them separately). The low-band coherence between tracks still helps each track's detection.
        case independent
        /// One cut for all tracks (the deepest any track asks for), for a stereo pair whose image must hold.
        case linked
    }

    /// Top of the wind band in hertz (default 250): gusts are detected from the energy between 20 Hz and here,
    /// and cut fully up to here, tapering to no cut at 1.5 × this (a raised cosine). 100…1000 Hz.
    public var bandHertz: Double
    /// The deepest cut in dB (default 24), 0…60.
    public var reductionLimitDecibels: Double
    /// How far the wind band must rise above its slow running floor before a gust is considered, in dB (default
    /// 6); the detection is full at twice this. 3…30 dB.
    public var riseDecibels: Double
    /// `independent` (default) or `linked`.
    public var channelLinking: ChannelLinking

    /// Creates settings; the parameters have the documented defaults.
    public init(bandHertz: Double = 250, reductionLimitDecibels: Double = 24, riseDecibels: Double = 6,
                channelLinking: ChannelLinking = .independent) {
        self.bandHertz = bandHertz
        self.reductionLimitDecibels = reductionLimitDecibels
        self.riseDecibels = riseDecibels
        self.channelLinking = channelLinking
    }

    /// Throws ``ScrimError`` `.configuration` with a fix when a setting is out of range.
    public func validate() throws(ScrimError) {
        guard bandHertz.isFinite, (100...1000).contains(bandHertz) else {
            throw ScrimError(.configuration, "wind band \(bandHertz) Hz: use 100 to 1000 Hz, e.g. 250")
        }
        guard reductionLimitDecibels.isFinite, (0...60).contains(reductionLimitDecibels) else {
            throw ScrimError(.configuration, "wind reduction limit \(reductionLimitDecibels) dB: use 0 to 60 dB, "
                             + "e.g. 24")
        }
        guard riseDecibels.isFinite, (3...30).contains(riseDecibels) else {
            throw ScrimError(.configuration, "wind rise \(riseDecibels) dB: use 3 to 30 dB, e.g. 6")
        }
    }

    /// The FFT size for `sampleRate`: the power of two nearest 43 ms (2048 at 44.1 and 48 kHz, 4096 at 96 kHz),
    /// so bins are about 23 Hz wide at every rate: fine enough to see a voice's low harmonics as peaks.
    public static func fftSize(forSampleRate sampleRate: Double) -> Int {
        let target = max(256, sampleRate * 0.043)
        let exponent = (log2(target)).rounded()
        return 1 << Int(min(max(exponent, 8), 15))
    }
}

/// What a ``WindReducer`` found and did on one track.
public struct WindTrackReport: Sendable, Hashable {
    /// Share of the take (0…1) in gusts: hops whose wind detection was at least one half and whose cut target was
    /// at least 3 dB, times the hop, over the input's duration.
    public var gustShare: Double
    /// Gusts: runs of gust hops at least 30 ms long (gaps under 150 ms join runs).
    public var gustCount: Int
    /// Seconds in gusts (``gustShare`` × the duration).
    public var gustSeconds: Double
    /// The deepest cut applied in the wind band, dB (0 when nothing was cut).
    public var deepestCutDecibels: Double
    /// The mean cut over the gust hops, dB (nil without gusts).
    public var averageGustCutDecibels: Double?

    /// Creates a report.
    public init(gustShare: Double, gustCount: Int, gustSeconds: Double, deepestCutDecibels: Double,
                averageGustCutDecibels: Double?) {
        self.gustShare = gustShare
        self.gustCount = gustCount
        self.gustSeconds = gustSeconds
        self.deepestCutDecibels = deepestCutDecibels
        self.averageGustCutDecibels = averageGustCutDecibels
    }
}

/// What a ``WindReducer`` did to a stream.
public struct WindReductionReport: Sendable, Hashable {
    /// The settings used.
    public var settings: WindReducerSettings
    /// FFT size and hop, frames.
    public var fftSize: Int
    public var hopSize: Int
    /// The reducer's latency in frames (compensated by the file pipeline).
    public var latencyFrames: Int
    /// Whether the low-band coherence between tracks took part in the detection (two or more tracks).
    public var usesCoherence: Bool
    /// Per track, in the file's order.
    public var tracks: [WindTrackReport]
}
