import ScrimCore

/// The settings of a ``NoiseReducer``: how much to reduce, where the noise estimate comes from, what to output.
///
/// Codable (camelCase keys) so presets and reports can carry them. Defaults are what `scrim denoise` uses with
/// no options: adaptive tracking, 24 dB reduction limit, cleaned output, channels processed independently,
/// FFT size chosen from the sample rate.
public struct NoiseReducerSettings: Codable, Sendable, Hashable {
    /// Where the noise estimate comes from.
    public enum Mode: Codable, Sendable, Hashable {
        /// Tracks the noise continuously from the signal itself (speech-presence-weighted recursive averaging,
        /// Gerkmann & Hendriks 2012), so noise that changes or starts mid-take is followed. No profile needed.
        case adaptive
        /// Uses a fixed, previously measured noise spectrum (from a range of the file or a room-tone file).
        case learned(NoiseProfile)

        /// "adaptive" or "learned", as reports spell it.
        public var name: String {
            switch self {
            case .adaptive: "adaptive"
            case .learned: "learned"
            }
        }
    }

    /// What the processor outputs.
    public enum Output: String, Codable, Sendable, Hashable, CaseIterable {
        /// The cleaned signal.
        case cleaned
        /// What was removed (input minus cleaned, exactly, both delayed by the latency), to audition.
        case residual
        /// The input, delayed by the latency (noise is still estimated and reported).
        case bypass
    }

    /// How channels share a gain.
    public enum ChannelLinking: String, Codable, Sendable, Hashable, CaseIterable {
        /// Each channel gets its own noise estimate and gains (poly files with unrelated microphones).
        case independent
        /// One noise estimate and one gain per band (bin, or bins above 8 kHz) for all channels, from their mean
        /// power: keeps a stereo or M/S image and the relative level of coincident microphones.
        case linked
    }

    /// The deepest cut, in dB (0…40, default ``defaultReductionDecibels``): the lowest gain floor
    /// G_min = 10^(−reduction/20) of OM-LSA. Noise is lowered by at most this much, leaving natural room tone
    /// instead of gated silence; in frequency bins that carry the voice (long-term SNR above about 10 dB) the
    /// floor is raised toward 15 dB of cut, so the voice keeps its body. 0 makes the processor an exact delay.
    public var reductionDecibels: Double
    /// Adaptive (default) or learned from a profile.
    public var mode: Mode
    /// Cleaned (default), residual or bypass.
    public var output: Output
    /// Independent (default) or linked channels.
    public var channelLinking: ChannelLinking
    /// FFT size override (a power of two, 256…16384), or nil (default) for ``fftSize(forSampleRate:)``.
    /// The hop is always fftSize/4 (75 % overlap).
    public var fftSize: Int?
    /// Whether a speech-like background (babble, crowd walla) eases the reduction limit to 4–10 dB while it lasts
    /// (default true; in adaptive and learned mode; reported in ``NoiseReductionReport/babbleGuardShare``). Off
    /// keeps the full limit everywhere: more of the walla goes, and more of the dialogue's consonants with it.
    public var babbleGuard: Bool

    /// Creates settings; every parameter has the documented default.
    public init(reductionDecibels: Double = NoiseReducerSettings.defaultReductionDecibels, mode: Mode = .adaptive,
                output: Output = .cleaned, channelLinking: ChannelLinking = .independent, fftSize: Int? = nil,
                babbleGuard: Bool = true) {
        self.reductionDecibels = reductionDecibels
        self.mode = mode
        self.output = output
        self.channelLinking = channelLinking
        self.fftSize = fftSize
        self.babbleGuard = babbleGuard
    }

    private enum CodingKeys: String, CodingKey {
        case reductionDecibels, mode, output, channelLinking, fftSize, babbleGuard
    }

    /// Decodes settings; `babbleGuard` may be absent (settings saved before it existed) and then defaults to true.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        reductionDecibels = try container.decode(Double.self, forKey: .reductionDecibels)
        mode = try container.decode(Mode.self, forKey: .mode)
        output = try container.decode(Output.self, forKey: .output)
        channelLinking = try container.decode(ChannelLinking.self, forKey: .channelLinking)
        fftSize = try container.decodeIfPresent(Int.self, forKey: .fftSize)
        babbleGuard = try container.decodeIfPresent(Bool.self, forKey: .babbleGuard) ?? true
    }

    /// The default reduction limit, 24 dB: the deepest cut, reached only in bins where speech is weak against
    /// the noise; voice-carrying bins are cut at most about 15 dB (editors' usual 10–15 dB). On the quality corpus
    /// (Benchmarks/quality, adaptive mode) a uniform 12 dB gave SI-SDR improvements of 6.5/6.6/6.2/4.7 dB at
    /// 0/5/10/20 dB SNR and a uniform 15 dB 7.3/7.2/6.7/4.9; a uniform 18–25 dB helped at low SNR but lowered
    /// PESQ at 20 dB. The per-bin limit up to 24 dB gave 8.3/8.0/7.1/5.0 dB and PESQ-WB +0.08/+0.12/+0.11/+0.01
    /// over the uniform 15 dB.
    public static let defaultReductionDecibels: Double = 24

    /// Accepted range of ``reductionDecibels``.
    public static let reductionRange: ClosedRange<Double> = 0...40

    /// The default FFT size for a sample rate: the largest power of two whose frame lasts at most 46.5 ms
    /// (2048 at 44.1 and 48 kHz — 46.4 and 42.7 ms —, 4096 at 88.2 and 96 kHz, 512 at 16 kHz), so frames last
    /// 23–46.5 ms.
    ///
    /// Why: speech is close to stationary over 20–40 ms, the range speech enhancement works in (Ephraim & Malah
    /// 1984 and Cohen 2003 use 32 ms at 8–16 kHz; Loizou, "Speech Enhancement", 2nd ed., 2013, §5.1). Within that
    /// range the longer frame won on the quality corpus (Benchmarks/quality, 48 kHz: 2048 beat 1024 by about 1 dB
    /// of SI-SDR improvement in every SNR bucket): it resolves the harmonics of low voices (23 Hz bins) so the
    /// gaps between them can be cut, and its spectra vary less from hop to hop, which means less musical noise.
    /// Longer frames would smear consonant onsets (pre-echo). The hop is a quarter frame (75 % overlap):
    /// sqrt-Hann analysis and synthesis then overlap-add to a constant, and gain changes between hops are
    /// interpolated smoothly enough that no frame-rate modulation is heard; 50 % would halve the cost but makes
    /// gain steps audible.
    /// - Parameter sampleRate: hertz.
    /// - Returns: a power of two from 256 to 16384.
    public static func fftSize(forSampleRate sampleRate: Double) -> Int {
        var size = 256
        while Double(size * 2) <= 0.0465 * sampleRate, size < 16384 { size *= 2 }
        return size
    }

    /// Throws ``ScrimError`` `.configuration` with a fix when a setting is out of range.
    public func validate() throws(ScrimError) {
        guard reductionDecibels.isFinite, Self.reductionRange.contains(reductionDecibels) else {
            throw ScrimError(.configuration,
                             "reduction of \(reductionDecibels) dB is out of range: use 0 to 40 dB (default 24)")
        }
        if let fftSize {
            guard fftSize >= 256, fftSize <= 16384, fftSize & (fftSize - 1) == 0 else {
                throw ScrimError(.configuration,
                                 "FFT size \(fftSize) is not usable: use a power of two from 256 to 16384, e.g. 1024")
            }
        }
        if case .learned(let profile) = mode {
            do throws(ScrimError) {
                try profile.validate()
            } catch {
                throw ScrimError(.configuration, "the noise profile cannot be used: \(error.message)")
            }
        }
    }
}
