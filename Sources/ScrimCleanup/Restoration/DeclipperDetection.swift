import Foundation
import ScrimCore

/// How one channel was found to be clipped, and where ``Declipper`` should treat its samples as damaged.
public struct ClipLevels: Sendable, Hashable {
    /// The kind of clipping.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// No clipping found: the channel passes through untouched.
        case none
        /// Peaks flattened at one level (full scale, or a converter or limiter ceiling below it).
        case hard
        /// A saturating curve: the amplitude histogram piles up just under the peak.
        case soft
    }

    public var kind: Kind
    /// The positive threshold (linear, > 0): positive samples at or above it are clipped. nil: the positive
    /// polarity is not clipped.
    public var positive: Float?
    /// The negative threshold as a magnitude (linear, > 0): samples at or below −negative are clipped. nil: the
    /// negative polarity is not clipped.
    public var negative: Float?
    /// For soft clipping: the saturating curve found, which ``Declipper`` inverts (nil: reported, left unchanged).
    public var curve: SaturationCurve?

    /// Creates levels.
    public init(kind: Kind, positive: Float?, negative: Float?, curve: SaturationCurve? = nil) {
        self.kind = kind
        self.positive = positive
        self.negative = negative
        self.curve = curve
    }

    /// No clipping.
    public static let none = ClipLevels(kind: .none, positive: nil, negative: nil)

    /// Hard clipping at `level` (linear, > 0) on both polarities.
    public static func hard(_ level: Float) -> ClipLevels { ClipLevels(kind: .hard, positive: level, negative: level) }

    /// The higher of the two thresholds in dBFS (nil when neither polarity is clipped).
    public var levelDecibelsFS: DecibelsFullScale? {
        let level = max(positive ?? 0, negative ?? 0)
        return level > 0 ? decibels(fromAmplitude: Double(level)) : nil
    }
}

/// What ``ClipDetector`` found in one channel.
public struct ClipDetection: Sendable, Hashable {
    /// Where the declipper should work (kind and thresholds).
    public var levels: ClipLevels
    /// The channel's sample peak, in dBFS (nil for digital silence).
    public var peakDecibelsFS: DecibelsFullScale?
    /// Runs of two or more consecutive samples sitting exactly at the positive and the negative peak.
    public var flatRunsAtPeak: Int
    /// Samples at or beyond the thresholds (0 when none): the clipped samples the declipper will rebuild.
    public var clippedFrames: Int
    /// For soft clipping: the density of samples per unit of amplitude in the top 1 dB under the peak relative to
    /// the density 6–12 dB under it (a saturating curve piles samples up under its ceiling; speech thins out
    /// there). nil when the channel is hard-clipped or silent.
    public var pileUpRatio: Double?
}

/// Finds clipping per channel, in one pass over a stream: hard clipping at any flat level and soft clipping.
///
/// Hard clipping. Per channel and polarity the detector follows the peak and counts the runs of two or more
/// consecutive samples that sit at it (within 10⁻⁶ relative: a converter or limiter ceiling repeats one value
/// exactly). A polarity is hard-clipped when its peak carries at least ``minimumFlatRuns`` such runs, or, when both
/// polarities peak at the same level (within 0.01 dB: a symmetric ceiling), when the two together carry that many
/// and it carries one: natural audio reaches its maximum once, a ceiling at every loud peak. (Speech clipped 1 dB
/// over at 44.1 kHz gave two runs a polarity and was missed before the two were counted together.) Single samples at
/// the peak do not count: a steady tone whose period is a whole number of samples (1 kHz at 48 kHz) hits the same peak
/// value every cycle. Known limit: a loud low-frequency tone in 16-bit (50 Hz near full scale) has runs of equal
/// samples at its peak from quantisation alone and is called clipped; its "rebuild" then changes it by about one
/// quantisation step. Both polarities are judged separately (converters clip asymmetrically: +32767/32768 and −1 in
/// 16-bit), so either may be clipped alone, at its own level — full scale or any ceiling below it.
///
/// Soft clipping. A saturating curve (tanh, a tape or preamp curve) leaves no flat run; instead it squeezes
/// the loud samples into a band under its ceiling, so the amplitude histogram piles up just under the peak,
/// where speech and music thin out (their peak is a rare event). The detector keeps a histogram of |x| in
/// 0.1 dB bins and compares the density per unit amplitude in the top 1 dB with that 6–12 dB under the peak
/// (``ClipDetection/pileUpRatio``): from ``softPileUpRatio`` on the channel is soft-clipped (unless it looks
/// like a steady tone, ``tonalShare``), and the declipper's threshold (the *knee*) is put at the emptiest
/// histogram bin between 6 dB and 0.5 dB under the peak — where the pile-up starts. Measured in numpy (espeak
/// speech, a 10-harmonic buzz, Gaussian noise; x → tanh(g·x) for a drive g of 1–15 dB over the peak): clean speech
/// 0.002, clean buzz 0.12, Gaussian 0.002; speech through tanh 6 dB over 0.05, 10 dB 0.26, 15 dB 0.95. So the
/// detector finds a saturating curve driven about 10 dB or more into speech and misses milder ones (they change
/// the waveform less, SI-SDR above 20 dB); a steady sine cannot be told from a saturated one by its histogram
/// (ratio 4), hence the tone guard.
///
/// Soft clipping, by the curve. The histogram only sees a curve driven about 10 dB or more into speech; the curve
/// search sees one from 1 dB over. The detector keeps each channel's ``reservoirFrames`` loudest frames of
/// ``frameLength`` samples (on a grid fixed from the stream's first sample, so the choice does not depend on the
/// block sizes) and, in ``finish()``, hands them to ``SaturationCurveEstimator``: a curve found makes the channel
/// soft-clipped with that curve (``ClipLevels/curve``, inverted by ``Declipper``), its knee as the threshold. It is
/// tried first; the pile-up test only decides when no curve is found (then: reported, left unchanged). On a
/// hard-clipped channel whose flat samples are at most 0.1 % of the samples heard, the search runs too: a float file
/// driven hard through a curve reaches the curve's float ceiling on a few samples.
///
/// - Allocation: in ``prepare(for:)`` (48 frames of 1024 samples per channel for the curve search);
///   ``analyze(_:)`` does not allocate; ``finish()`` does. Threading: not thread-safe.
public final class ClipDetector: AudioAnalyzer {
    /// Runs of ≥ 2 samples at the peak that make a polarity hard-clipped.
    public static let minimumFlatRuns = 3
    /// The pile-up ratio above which a channel counts as soft-clipped: 0.2.
    public static let softPileUpRatio = 0.2
    /// The share of the samples within 30 dB of the peak that lie in its top 1 dB from which a channel counts as
    /// a steady tone, not as soft-clipped: 0.25 (a sine has 0.31 there, its arcsine distribution piles up at
    /// the peak like a saturating curve; speech has under 0.01, speech through tanh 15 dB over 0.09).
    public static let tonalShare = 0.25
    /// Peaks below this level (dBFS) are never called clipped: −40 dBFS.
    public static let quietestClipDecibelsFS: DecibelsFullScale = -40

    static let binsPerDecibel = 10
    static let histogramFloorDecibels = -60.0
    static let histogramBins = 900   // −60…+30 dBFS

    private struct Polarity {
        var peak: Float = 0
        var samplesAtPeak = 0
        var runsAtPeak = 0
        var run = 0
    }

    private var positive: [Polarity] = []
    private var negative: [Polarity] = []
    private var histogram: [Int] = []
    private var channelCount = 0
    /// The loudest frames per channel (``reservoirFrames`` of ``frameLength`` on a grid fixed from the stream's
    /// first sample), for the curve search; `current` is the frame being filled.
    private var reservoir: [Float] = []
    private var reservoirPeaks: [Float] = []
    private var current: [Float] = []
    private var currentPeak: [Float] = []
    private var currentFill: [Int] = []

    /// Frames kept per channel for the soft-clipping curve search: 48 (the numpy prototype's figure).
    static let reservoirFrames = 48
    /// Their length: 1024 samples (21 ms at 48 kHz).
    static let frameLength = 1024

    public init() {}

    public func prepare(for spec: ProcessSpec) throws {
        try spec.validate()
        channelCount = spec.channelCount
        positive = Array(repeating: Polarity(), count: channelCount)
        negative = Array(repeating: Polarity(), count: channelCount)
        histogram = Array(repeating: 0, count: channelCount * Self.histogramBins)
        reservoir = Array(repeating: 0, count: channelCount * Self.reservoirFrames * Self.frameLength)
        reservoirPeaks = Array(repeating: 0, count: channelCount * Self.reservoirFrames)
        current = Array(repeating: 0, count: channelCount * Self.frameLength)
        currentPeak = Array(repeating: 0, count: channelCount)
        currentFill = Array(repeating: 0, count: channelCount)
    }

    public func reset() {
        for c in 0..<channelCount {
            positive[c] = Polarity()
            negative[c] = Polarity()
        }
        for i in histogram.indices { histogram[i] = 0 }
        for i in reservoirPeaks.indices { reservoirPeaks[i] = 0 }
        for c in 0..<channelCount {
            currentPeak[c] = 0
            currentFill[c] = 0
        }
    }

    /// A frame is full: it replaces the quietest frame kept when it is louder.
    private func keepFrame(channel c: Int) {
        let k = Self.reservoirFrames
        let length = Self.frameLength
        let peak = currentPeak[c]
        var quietest = 0
        for slot in 1..<k where reservoirPeaks[c * k + slot] < reservoirPeaks[c * k + quietest] { quietest = slot }
        guard peak > reservoirPeaks[c * k + quietest] else { return }
        reservoirPeaks[c * k + quietest] = peak
        let target = (c * k + quietest) * length
        reservoir.withUnsafeMutableBufferPointer { kept in
            current.withUnsafeBufferPointer { frame in
                for i in 0..<length { kept[target + i] = frame[c * length + i] }
            }
        }
    }

    /// One sample into a polarity's peak follower: `magnitude` is |x| when x has this polarity, else 0.
    @inline(__always)
    private static func update(_ state: inout Polarity, magnitude: Float) {
        guard magnitude > 0 else {
            state.run = 0
            return
        }
        let tolerance = state.peak * 1e-6
        if magnitude > state.peak + tolerance {
            state.peak = magnitude
            state.samplesAtPeak = 1
            state.runsAtPeak = 0
            state.run = 1
        } else if magnitude >= state.peak - tolerance {
            state.samplesAtPeak += 1
            state.run += 1
            if state.run == 2 { state.runsAtPeak += 1 }
        } else {
            state.run = 0
        }
    }

    public func analyze(_ block: AudioBlock) {
        precondition(block.channelCount == channelCount,
                     "block has \(block.channelCount) channels, ClipDetector prepared for \(channelCount)")
        let bins = Self.histogramBins
        let scale = Float(20 * Self.binsPerDecibel)
        let offset = Float(-Self.histogramFloorDecibels * Double(Self.binsPerDecibel))
        histogram.withUnsafeMutableBufferPointer { counts in
            for c in 0..<channelCount {
                var up = positive[c]
                var down = negative[c]
                let samples = block.channel(c)
                for x in samples {
                    let magnitude = abs(x)
                    Self.update(&up, magnitude: x > 0 ? magnitude : 0)
                    Self.update(&down, magnitude: x < 0 ? magnitude : 0)
                    if magnitude > 0 {
                        let position = scale * log10(magnitude) + offset
                        if position >= 0 {
                            let bin = min(bins - 1, Int(position))
                            counts[c * bins + bin] += 1
                        }
                    }
                }
                positive[c] = up
                negative[c] = down
            }
        }
        let length = Self.frameLength
        for c in 0..<channelCount {
            let samples = block.channel(c)
            var index = 0
            while index < samples.count {
                var fill = currentFill[c]
                var peak = currentPeak[c]
                let take = min(length - fill, samples.count - index)
                current.withUnsafeMutableBufferPointer { frame in
                    for i in 0..<take {
                        let x = samples[index + i]
                        frame[c * length + fill + i] = x
                        peak = max(peak, abs(x))
                    }
                }
                fill += take
                index += take
                currentPeak[c] = peak
                currentFill[c] = fill
                if fill == length {
                    keepFrame(channel: c)
                    currentFill[c] = 0
                    currentPeak[c] = 0
                }
            }
        }
    }

    /// What was found, per channel. Call after the last ``analyze(_:)``.
    public func finish() -> [ClipDetection] {
        (0..<channelCount).map { channel(at: $0) }
    }

    private func channel(at c: Int) -> ClipDetection {
        let up = positive[c]
        let down = negative[c]
        let peak = max(up.peak, down.peak)
        guard peak > 0 else {
            return ClipDetection(levels: .none, peakDecibelsFS: nil, flatRunsAtPeak: 0, clippedFrames: 0,
                                 pileUpRatio: nil)
        }
        let peakDecibels = decibels(fromAmplitude: Double(peak))
        let loudEnough = peakDecibels >= Self.quietestClipDecibelsFS
        // A symmetric ceiling (both polarities' peaks within 0.01 dB): their runs count together.
        let symmetric = abs(up.peak - down.peak) <= 0.0012 * peak
        let together = up.runsAtPeak + down.runsAtPeak
        func clipped(_ p: Polarity) -> Bool {
            guard loudEnough, p.peak > 0, p.peak >= peak * 0.5 else { return false }
            return p.runsAtPeak >= Self.minimumFlatRuns
                || (symmetric && p.runsAtPeak >= 1 && together >= Self.minimumFlatRuns)
        }
        let runs = up.runsAtPeak + down.runsAtPeak
        // Soft clipping: density per unit amplitude in the top 1 dB against 3–6 dB under the peak.
        let bins = Self.histogramBins
        let perDecibel = Double(Self.binsPerDecibel)
        let peakBin = min(bins - 1, Int((peakDecibels - Self.histogramFloorDecibels) * perDecibel))
        func count(_ fromDecibels: Double, _ toDecibels: Double) -> (Int, Double) {
            // Bins from `fromDecibels` to `toDecibels` under the peak (fromDecibels > toDecibels ≥ 0).
            let low = max(0, peakBin - Int(fromDecibels * perDecibel))
            let high = max(0, peakBin - Int(toDecibels * perDecibel))
            var total = 0
            for b in low...high { total += histogram[c * bins + b] }
            let width = Double(peak) * (amplitude(fromDecibels: -toDecibels) - amplitude(fromDecibels: -fromDecibels))
            return (total, width)
        }
        // Soft clipping by the curve search on the loudest frames (finds a saturating curve from 1 dB over).
        func softByCurve() -> ClipDetection? {
            guard loudEnough else { return nil }
            let k = Self.reservoirFrames
            let length = Self.frameLength
            var frames: [[Float]] = []
            for slot in 0..<k where reservoirPeaks[c * k + slot] > 0 {
                let from = (c * k + slot) * length
                frames.append(Array(reservoir[from..<(from + length)]))
            }
            guard let curve = SaturationCurveEstimator.estimate(frames: frames, peak: peak) else { return nil }
            let knee = curve.knee
            let kneeDecibels = decibels(fromAmplitude: Double(knee))
            let firstBin = max(0, min(bins - 1, Int(((kneeDecibels - Self.histogramFloorDecibels) * perDecibel)
                .rounded(.up))))
            var above = 0
            for b in firstBin..<bins { above += histogram[c * bins + b] }
            let (top, topWidth) = count(1, 0)
            let (below, belowWidth) = count(12, 6)
            let ratio = below > 0 ? (Double(top) / topWidth) / (Double(below) / belowWidth) : (top > 0 ? 100 : 0)
            return ClipDetection(levels: ClipLevels(kind: .soft, positive: knee, negative: knee, curve: curve),
                                 peakDecibelsFS: peakDecibels, flatRunsAtPeak: runs, clippedFrames: above,
                                 pileUpRatio: ratio)
        }
        if clipped(up) || clipped(down) {
            let levels = ClipLevels(kind: .hard, positive: clipped(up) ? up.peak : nil,
                                    negative: clipped(down) ? down.peak : nil)
            let count = (clipped(up) ? up.samplesAtPeak : 0) + (clipped(down) ? down.samplesAtPeak : 0)
            // A saturating curve in float can reach its ceiling's float value on a few samples: flat runs at the
            // peak, though the curve, not a ceiling, shaped the take (the real voice through tanh 15 dB over: 5
            // runs). When the flat samples are at most 0.1 % of the samples heard (-60 dBFS and up), the curve
            // search runs too, and a curve found wins when the flat samples are under 5 % of those above its knee.
            let heard = (0..<bins).reduce(0) { $0 + histogram[c * bins + $1] }
            if count * 1000 <= heard, let soft = softByCurve(), count * 20 < soft.clippedFrames {
                return soft
            }
            return ClipDetection(levels: levels, peakDecibelsFS: peakDecibels, flatRunsAtPeak: runs,
                                 clippedFrames: count, pileUpRatio: nil)
        }
        if let soft = softByCurve() { return soft }
        let (top, topWidth) = count(1, 0)
        let (below, belowWidth) = count(12, 6)
        let (active, _) = count(30, 0)
        let ratio = below > 0 ? (Double(top) / topWidth) / (Double(below) / belowWidth) : (top > 0 ? 100 : 0)
        let tonal = Double(top) >= Self.tonalShare * Double(max(active, 1))
        guard loudEnough, ratio >= Self.softPileUpRatio, !tonal, top >= 64 else {
            return ClipDetection(levels: .none, peakDecibelsFS: peakDecibels, flatRunsAtPeak: runs, clippedFrames: 0,
                                 pileUpRatio: ratio)
        }
        // The knee: the emptiest bin (per unit amplitude) 6…0.5 dB under the peak.
        let first = max(0, peakBin - Int(6 * perDecibel))
        let last = max(first, peakBin - Int(0.5 * perDecibel))
        var kneeBin = first
        var lowest = Double.infinity
        for b in first...last {
            let level = Self.histogramFloorDecibels + Double(b) / perDecibel
            let density = Double(histogram[c * bins + b]) / amplitude(fromDecibels: level)
            if density < lowest {
                lowest = density
                kneeBin = b
            }
        }
        let knee = Float(amplitude(fromDecibels: Self.histogramFloorDecibels + Double(kneeBin + 1) / perDecibel))
        var above = 0
        for b in (kneeBin + 1)..<bins { above += histogram[c * bins + b] }
        return ClipDetection(levels: ClipLevels(kind: .soft, positive: knee, negative: knee),
                             peakDecibelsFS: peakDecibels, flatRunsAtPeak: runs, clippedFrames: above,
                             pileUpRatio: ratio)
    }
}
