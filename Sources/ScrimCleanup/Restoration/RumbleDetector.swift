import Foundation
import ScrimCore
import ScrimSpectral

/// What a ``RumbleDetector`` measured on one track.
public struct RumbleTrackDetection: Sendable, Hashable {
    /// Whether the track has rumble: ``lowBandReVoiceDecibels`` at or above ``RumbleDetector/thresholdDecibels``.
    public var found: Bool
    /// The energy below the corner that the voice does not explain (per frame, the low band's power — a quarter of
    /// the corner up to the corner — beyond a tenth of the voice band's, twice the corner to 4 kHz), summed over the
    /// take, over the take's energy in the voice band, dB. −∞ (null in JSON) when there is none.
    public var lowBandReVoiceDecibels: Double
    /// The low band's mean level over the frames with such energy (mostly the pauses), dBFS RMS; nil when there is
    /// no such frame.
    public var lowBandInPausesDecibelsFS: Double?
    /// Share of the take's frames (0…1) with such energy and a low band above −120 dBFS (digital silence is not
    /// counted).
    public var pauseShare: Double

    /// Creates a detection.
    public init(found: Bool, lowBandReVoiceDecibels: Double, lowBandInPausesDecibelsFS: Double?, pauseShare: Double) {
        self.found = found
        self.lowBandReVoiceDecibels = lowBandReVoiceDecibels
        self.lowBandInPausesDecibelsFS = lowBandInPausesDecibelsFS
        self.pauseShare = pauseShare
    }
}

/// Finds rumble below a high-pass corner before the high-pass runs, so that a clean take is left alone: the
/// analysis pass of `scrim dewind` and of a preset's `wind` stage with `highpassMode` `auto`.
///
/// Per track and STFT frame (Hann, about 0.17 s: 8192 points at 44.1/48 kHz, 16384 at 96 kHz, bins under 6 Hz;
/// half overlap), two band powers:
/// - *low*: from a quarter of the corner up to the corner (20–80 Hz for 80 Hz: the two octaves the filter takes
///   most from);
/// - *voice*: from twice the corner to 4 kHz (160 Hz–4 kHz: a voice's harmonics and formants).
///
/// Rumble, wind and handling noise are broadband below the corner; a voice's energy there is its fundamental (a
/// low male voice's dips under 80 Hz), a tone three or four bins wide. So the low band's *broadband* power is
/// taken as its median bin's power times its bin count, which a tone leaves where the noise between the bins is
/// (a mains hum's fundamental 24 dB under the dialogue is not rumble; a much louder tone leaks into the bins
/// around it through the Hann window's sidelobes and counts);
/// and of that, the part beyond a tenth of the voice band's power (``voiceLowShare``, −10 dB: a voice's breath
/// and plosives put some broadband energy low too, but on the 21 voices of the benchmark corpus, espeak-ng, flite
/// and two real ones, the whole low band stays 25–43 dB under the voice band in the median voiced frame) is
/// energy the voice does not explain. The measure is that energy summed over the take, over the take's
/// voice-band energy, in dB (``RumbleTrackDetection/lowBandReVoiceDecibels``); the report also gives the low
/// band's mean level in the frames that have such energy (the pauses, mostly) and their share of the take.
///
/// Threshold −28 dB (``thresholdDecibels``): what the filter would take from the voice itself. An 80 Hz,
/// 12 dB/octave high-pass on the clean corpus leaves SI-SDR 28 dB on average (21 dB at worst): it removes voice
/// energy about 28 dB under the voice, so rumble energy under that is less than the filter would cost the voice;
/// it is also at the edge of hearing (the hearing threshold at 50 Hz is about 44 dB SPL, ISO 226:2003, against
/// dialogue played at 75–80 dB SPL). Measured on the benchmark corpus (Benchmarks/quality/WIND.md, Detection):
/// 84 clean files (24 voices including three at 62–72 Hz fundamentals, 44.1/48/96 kHz) −35.4 dB at most (the real
/// voices' own breath and handling thumps), the 60 rumble and gust files −19.9 dB at least: 7.6 and 8.1 dB of
/// margin.
///
/// `finish()` must be called at the end of the stream before reading ``detections``.
/// ``analyze(_:)`` does not allocate. Not thread-safe.
public final class RumbleDetector: AudioAnalyzer {
    /// The corner the detection is for, Hz.
    public let cornerHertz: Double
    /// Low-band energy not explained by the voice, re the voice band's, at and above which a track has rumble, dB.
    public static let thresholdDecibels = -28.0
    /// The share of its voice-band power a voice may put below the corner in a frame (−10 dB): the rest of a
    /// frame's low band is not explained by the voice.
    public static let voiceLowShare = 0.1
    private var analyzer: STFTAnalyzer<RumbleDetectorKernel>?

    /// Creates a detector for a high-pass at `cornerHertz`.
    public init(cornerHertz: Double = 80) {
        self.cornerHertz = cornerHertz
    }

    /// The FFT size for `sampleRate`: the power of two nearest 0.17 s (8192 at 44.1/48 kHz, 16384 at 96 kHz).
    public static func fftSize(forSampleRate sampleRate: Double) -> Int {
        1 << Int(min(max(log2(max(sampleRate * 0.17, 256)).rounded(), 8), 16))
    }

    /// Plans the STFT and allocates the state.
    /// - Throws: ``ScrimError`` `.configuration` for an invalid spec, or a corner too high for the rate.
    public func prepare(for spec: ProcessSpec) throws {
        try spec.validate()
        guard cornerHertz.isFinite, cornerHertz > 0, cornerHertz < 0.45 * spec.sampleRate else {
            throw ScrimError(.configuration, "rumble detection at \(cornerHertz) Hz needs a corner under "
                             + "\(Int(0.45 * spec.sampleRate)) Hz for \(Int(spec.sampleRate)) Hz audio")
        }
        let size = Self.fftSize(forSampleRate: spec.sampleRate)
        let made = STFTAnalyzer(kernel: RumbleDetectorKernel(cornerHertz: cornerHertz),
                                configuration: STFTConfiguration(fftSize: size, hopSize: size / 2,
                                                                 analysisWindow: .hann))
        try made.prepare(for: spec)
        analyzer = made
    }

    public func analyze(_ block: AudioBlock) {
        guard let analyzer else { preconditionFailure("RumbleDetector.analyze called before prepare(for:)") }
        analyzer.analyze(block)
    }

    /// Analyses the last frames; call once at the end of the stream.
    public func finish() { analyzer?.finish() }

    public func reset() { analyzer?.reset() }

    /// Per track, what was measured (empty before ``prepare(for:)``).
    public var detections: [RumbleTrackDetection] {
        guard let kernel = analyzer?.kernel else { return [] }
        return (0..<kernel.channelCount).map { c in
            let unexplained = kernel.unexplainedLow[c]
            let ratio = unexplained > 0 && kernel.voiceTotal[c] > 0
                ? 10 * log10(unexplained / kernel.voiceTotal[c])
                : (unexplained > 0 ? Double.infinity : -Double.infinity)
            let level = kernel.pauseHops[c] > 0
                ? 10 * log10(kernel.pauseLow[c] / Double(kernel.pauseHops[c]) + 1e-30) : nil
            let share = kernel.hops > 0 ? Double(kernel.pauseHops[c]) / Double(kernel.hops) : 0
            return RumbleTrackDetection(found: ratio >= Self.thresholdDecibels, lowBandReVoiceDecibels: ratio,
                                        lowBandInPausesDecibelsFS: level, pauseShare: share)
        }
    }
}

/// The detector's per-hop measurement (see ``RumbleDetector``).
final class RumbleDetectorKernel: SpectralKernel {
    let cornerHertz: Double
    private(set) var channelCount = 0
    private var lowBins = 1..<2
    private var voiceBins = 2..<3
    private var scale = 1.0
    private(set) var hops = 0
    /// Per channel: the low band's power beyond ``RumbleDetector/voiceLowShare`` of the voice band's, summed; the
    /// voice band's power summed over all frames (mean-square units); the count of frames with such power and a low
    /// band above −120 dBFS, and their low band's power summed.
    private(set) var unexplainedLow: [Double] = []
    private(set) var voiceTotal: [Double] = []
    private(set) var pauseHops: [Int] = []
    private(set) var pauseLow: [Double] = []
    private var sorted: [Float] = []

    init(cornerHertz: Double) {
        self.cornerHertz = cornerHertz
    }

    func prepare(context: SpectralContext) throws {
        channelCount = context.channelCount
        let binWidth = context.sampleRate / Double(context.fftSize)
        let low = max(1, Int((cornerHertz / 4 / binWidth).rounded(.up)))
        let high = max(low + 1, Int(cornerHertz / binWidth) + 1)
        lowBins = low..<min(high, context.binCount)
        let voiceLow = min(context.binCount - 1, Int((2 * cornerHertz / binWidth).rounded(.up)))
        let voiceHigh = min(context.binCount, Int(max(4000, 4 * cornerHertz) / binWidth) + 1)
        voiceBins = voiceLow..<max(voiceLow + 1, voiceHigh)
        // A one-sided band's mean square from its bins: 2·Σ|X|² / (N · Σ w²) (Parseval with the analysis window).
        let windowEnergy = context.analysisWindow.reduce(0.0) { $0 + Double($1) * Double($1) }
        scale = 2 / (Double(context.fftSize) * max(windowEnergy, 1e-12))
        unexplainedLow = [Double](repeating: 0, count: channelCount)
        voiceTotal = [Double](repeating: 0, count: channelCount)
        pauseHops = [Int](repeating: 0, count: channelCount)
        pauseLow = [Double](repeating: 0, count: channelCount)
        sorted = [Float](repeating: 0, count: lowBins.count)
        hops = 0
    }

    func process(_ frame: SpectralFrame) {
        hops += 1
        for c in 0..<channelCount {
            let re = frame.real(c), im = frame.imag(c)
            var low: Float = 0, voice: Float = 0
            var i = 0
            for k in lowBins {
                let p = re[k] * re[k] + im[k] * im[k]
                low += p
                sorted[i] = p
                i += 1
            }
            for k in voiceBins { voice += re[k] * re[k] + im[k] * im[k] }
            // The broadband part of the low band: its median bin times its bin count. A tone (a voice's
            // fundamental under the corner, a mains hum) fills three or four bins of the band's ten or more and
            // leaves the median where the noise between them is.
            let broadband = Double(sortedMedian(&sorted, count: i)) * Double(i) * scale
            let lowPower = Double(low) * scale, voicePower = Double(voice) * scale
            voiceTotal[c] += voicePower
            let excess = broadband - RumbleDetector.voiceLowShare * voicePower
            if excess > 0 {
                unexplainedLow[c] += excess
                if lowPower > 1e-12 {
                    pauseHops[c] += 1
                    pauseLow[c] += lowPower
                }
            }
        }
    }

    func reset() {
        hops = 0
        for c in 0..<channelCount {
            unexplainedLow[c] = 0
            voiceTotal[c] = 0
            pauseHops[c] = 0
            pauseLow[c] = 0
        }
    }
}

/// The median of `values[0..<count]` (the upper one of an even count; 0 for none), sorting that part in place by
/// insertion: for the few to few tens of values the rumble detector and the wind reducer take it of, per hop.
/// Does not allocate.
func sortedMedian(_ values: inout [Float], count: Int) -> Float {
    guard count > 0 else { return 0 }
    for i in 1..<count {
        let v = values[i]
        var j = i - 1
        while j >= 0, values[j] > v {
            values[j + 1] = values[j]
            j -= 1
        }
        values[j + 1] = v
    }
    return values[count / 2]
}
