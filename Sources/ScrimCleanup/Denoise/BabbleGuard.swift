import Foundation

/// Detects a speech-like background (babble, crowd walla) under the dialogue and eases the noise reducer's
/// reduction limit while it lasts. Part of ``NoiseReductionKernel``; reported in ``NoiseReductionReport``.
///
/// Why: a single-channel spectral gain cannot tell the take's voice from the voices behind it. Under babble the
/// noise estimate follows the crowd's syllables, the gains move with them, and the cut takes the dialogue's own
/// consonants with it (Loizou & Kim, "Reasons why current speech-enhancement algorithms do not improve speech
/// intelligibility", IEEE TASLP 19(1), 2011). On the quality corpus (Benchmarks/quality, adaptive mode, babble
/// at 0–20 dB SNR) the full 24 dB limit left babble's STOI at 0.7985 against the untouched input's 0.8085. A
/// uniform limit of 12, 9, 6 or 4 dB gave 0.8048, 0.8077, 0.8100 and 0.8108; under every other noise type the
/// full limit is worth several dB of SI-SDR. Where the harm lies: applying the reducer's gains to one region only
/// (the input elsewhere), babble at 0 and 5 dB SNR lost 0.009 of STOI from 2–4 kHz, 0.004 from 1–2 kHz, 0.002
/// from 0.5–1 kHz and gained 0.002 below 0.5 kHz. Splitting the gains' effect (the same gains applied to the
/// speech and to the babble apart): the babble's reduction alone raised STOI by 0.098 and the speech's
/// distortion alone lowered it by 0.076, where under pink noise the figures were 0.194 and 0.095. The cut does
/// as much damage to the voice under babble and half the good.
///
/// How: the steadiness of the floor on a syllable's time scale. For every hop, the power of six third-octave
/// bands from 1 to 4 kHz. Every quarter second, per band, the spread between the 10th and 30th percentiles of
/// the last half second of those powers, in dB; the median over the bands is that window's spread. In the quiet
/// part of a window a steady noise (hiss, air conditioning, traffic, fans) varies little: a third-octave band of
/// Gaussian noise summed over a 43 ms frame has many degrees of freedom. Babble dips and rises with its talkers'
/// syllables and never settles. On the corpus (2048-point frames at 48 kHz), the lower quartile of the windows'
/// spreads was 3.0–3.9 dB for every babble file and 0.8–2.1 dB for every other (white, pink, brown, HVAC,
/// traffic, bursts, at 0–20 dB SNR).
/// - Only windows at the floor count: the window's level (the median over the bands of its 10th percentile) must
///   be within ``floorMarginDecibels`` of the lowest window level so far (which rises slowly, so a noise that
///   grows is followed). Without this, windows full of the take's own speech counted, and brown and traffic
///   noise at 20 dB SNR engaged the guard on 22–45 % of their frames.
/// - The evidence is the lower quartile of the last ``historyWindows`` floor windows (3 s of them; the least
///   of them until four have been seen), leaving out those whose level the floor has since fallen away from (a
///   take that starts on a word: its first windows are speech).
/// - The engagement rises from 0 at ``onsetDecibels`` to 1 at ``fullDecibels``, smoothed with a 0.3 s time
///   constant. At engagement e the limit in dB is (1 − e)·limit + e·eased, never deeper than the user's own;
///   eased is 4 dB at a low overall SNR and 10 dB at a high one (``easedLimit(highSNRPosition:)``).
///
/// The eased limit, chosen on the corpus (babble STOI against the input's 0.8085; PESQ-WB at 20 dB SNR against
/// noisereduce's 2.693, the best peer there): 6 dB throughout 0.8100 / 2.690 (babble at 20 dB SNR lost 0.03–0.12
/// of PESQ-WB, where the walla in the pauses is what is heard); 6 → 12 dB 0.8084 / 2.701; 4 → 10 dB 0.8097 /
/// 2.698; 3 → 10 and 2 → 10 dB 0.8099 / 2.698. Easing only where the overall SNR, averaged over 3 or 10 s, was
/// below 8–14 dB scored 0.8070 / 2.702: the corpus's takes are 6 s long and the SNR under babble reads 5–15 dB
/// high. Easing only in 0.5–4.5 kHz scored 0.8068 / 2.692. With the guard, nothing changed under the other noise
/// types (no file engaged); takes with the lead-in cut off (starting on a word) engaged on some brown, traffic, HVAC
/// and bursts files at 10–20 dB SNR until the first pause, which changed SI-SDR improvement by −0.06 to +0.17 dB and
/// PESQ-WB by at most −0.015 per SNR bucket, and raised their babble STOI difference from −0.0164 to −0.0027.
///
/// Streaming and split-invariant (it sees the STFT's hops, whatever the block size); per group of channels
/// (each channel, or all of them when linked). Nothing allocates after
/// ``prepare(binHertz:binCount:hopSeconds:groupCount:)``.
final class BabbleGuard {
    // MARK: Constants

    /// Third-octave band edges, 1 to 4 kHz (ANSI S1.11 base-two bands, rounded).
    static let bandEdgesHertz: [Double] = (0...6).map { 1000 * pow(2, Double($0) / 3) }
    /// Length of a window of band powers, and the step between windows (half of it).
    static let windowSeconds = 0.5
    /// The spread is the distance between these quantiles of a window's band powers.
    static let lowQuantile = 0.1
    static let highQuantile = 0.3
    /// Windows kept for the evidence (3 s at a quarter second each), and the quantile of their spreads used.
    static let historyWindows = 12
    static let historyQuantile = 0.25
    /// Spread (dB) at which the guard starts to engage, and at which it is fully engaged. The corpus's steady
    /// noises reached 2.1 dB at most (traffic at 20 dB SNR), babble 3.0 dB at least (at 20 dB SNR).
    static let onsetDecibels: Float = 2.4
    static let fullDecibels: Float = 3.0
    /// The reduction limit when fully engaged: `easedLimitDecibels` where the overall SNR is low, rising by
    /// `easedLimitHighSNRSpanDecibels` to 10 dB where it is high (the kernel's high-SNR position, overall SNR
    /// 5 → 15 dB). See the type's documentation for the measurements behind both.
    static let easedLimitDecibels: Float = 4
    static let easedLimitHighSNRSpanDecibels: Float = 6

    /// The eased reduction limit in dB at a high-SNR position (0…1).
    static func easedLimit(highSNRPosition: Float) -> Float {
        easedLimitDecibels + easedLimitHighSNRSpanDecibels * min(max(highSNRPosition, 0), 1)
    }
    /// Time constant of the engagement's smoothing, so the limit glides instead of stepping.
    static let engagementSeconds = 0.3
    /// Only windows at the floor count: a window's level (the median over the bands of its 10th-percentile
    /// power) must be within `floorMarginDecibels` of the floor, the lowest window level so far, which rises by
    /// `floorRiseDecibelsPerSecond` so a noise that grows is followed (10 dB in 20 s).
    static let floorMarginDecibels: Float = 3
    static let floorRiseDecibelsPerSecond: Float = 0.5

    // MARK: Prepared state

    /// Bin ranges of the bands that fit below Nyquist (edges into the bins; empty when none does).
    private var edges: [Int] = []
    private var bandCount: Int { max(edges.count - 1, 0) }
    private var windowHops = 0
    private var stepHops = 1
    private var groupCount = 0
    private var engagementAlpha: Float = 0
    /// Per group × band × window hop: log₂ band power, a ring indexed by hop.
    private var levels: UnsafeMutablePointer<Float>
    /// Per group: the last `historyWindows` floor windows' spreads, then their levels, in dB (a ring).
    private var history: UnsafeMutablePointer<Float>
    /// Scratch for sorting (max(windowHops, historyWindows, band count) floats).
    private var scratch: UnsafeMutablePointer<Float>
    private var spreads: UnsafeMutablePointer<Float>
    private var lows: UnsafeMutablePointer<Float>
    private var storage: UnsafeMutablePointer<Float>
    private var historyCount: [Int] = []
    private var target: [Float] = []
    private var floorLevel: [Float] = []
    private var floorRise: Float = 0
    /// Per group: the current engagement, 0…1.
    private(set) var engagement: [Float] = []
    private var hop = 0

    // MARK: Statistics

    /// Group-hops seen, and those in which the guard was engaged by more than ``reportedEngagement``.
    private(set) var observedHops = 0
    private(set) var engagedHops = 0
    /// Engagement that counts as "engaged" in the statistics (the limit eased by a tenth of the way).
    static let reportedEngagement: Float = 0.1

    init() {
        storage = UnsafeMutablePointer<Float>.allocate(capacity: 1)
        storage.initialize(to: 0)
        (levels, history, scratch, spreads, lows) = (storage, storage, storage, storage, storage)
    }

    deinit {
        storage.deallocate()
    }

    func prepare(binHertz: Double, binCount: Int, hopSeconds: Double, groupCount: Int) {
        edges = []
        for hertz in Self.bandEdgesHertz {
            let bin = Int((hertz / binHertz).rounded())
            guard bin < binCount else { break }
            if let last = edges.last, bin <= last { continue }
            edges.append(bin)
        }
        if edges.count < 2 { edges = [] }
        self.groupCount = groupCount
        windowHops = max(4, Int((Self.windowSeconds / hopSeconds).rounded()))
        stepHops = max(1, windowHops / 2)
        floorRise = Self.floorRiseDecibelsPerSecond * Float(Double(stepHops) * hopSeconds)
        engagementAlpha = Float(exp(-hopSeconds / Self.engagementSeconds))
        let bands = max(bandCount, 1)
        let levelCount = groupCount * bands * windowHops
        let historyCount = groupCount * 2 * Self.historyWindows
        let scratchCount = max(windowHops, Self.historyWindows)
        storage.deallocate()
        let capacity = levelCount + historyCount + scratchCount + 2 * bands
        storage = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        storage.initialize(repeating: 0, count: capacity)
        levels = storage
        history = levels + levelCount
        scratch = history + historyCount
        spreads = scratch + scratchCount
        lows = spreads + bands
        self.historyCount = Array(repeating: 0, count: groupCount)
        target = Array(repeating: 0, count: groupCount)
        floorLevel = Array(repeating: .infinity, count: groupCount)
        engagement = Array(repeating: 0, count: groupCount)
        reset()
    }

    func reset() {
        for group in 0..<groupCount {
            historyCount[group] = 0
            target[group] = 0
            floorLevel[group] = .infinity
            engagement[group] = 0
        }
        hop = 0
        observedHops = 0
        engagedHops = 0
    }

    /// Takes one hop's bin powers for `group` (scaled by `scale` for the partial first hops) and updates its
    /// engagement. Call once per group per hop, then ``advance()``.
    func observe(group: Int, binPower: UnsafePointer<Float>, scale: Float) {
        let bands = bandCount
        guard bands > 0 else { return }
        let slot = hop % windowHops
        let ring = levels + group * bands * windowHops
        for j in 0..<bands {
            var sum: Float = 0
            for k in edges[j]..<edges[j + 1] { sum += binPower[k] }
            ring[j * windowHops + slot] = DenoiseMath.fastLog2(max(sum * scale, 1e-30))
        }
        let filled = hop + 1
        if filled >= windowHops && (filled - windowHops) % stepHops == 0 {
            target[group] = evaluate(group: group, ring: ring)
        }
        let e = engagementAlpha * engagement[group] + (1 - engagementAlpha) * target[group]
        engagement[group] = e
        observedHops += 1
        if e > Self.reportedEngagement { engagedHops += 1 }
    }

    /// Call once per hop after every group's ``observe(group:binPower:scale:)``.
    func advance() {
        hop += 1
    }

    /// This window's spread into the group's history; the new target engagement from the history's quantile.
    private func evaluate(group: Int, ring: UnsafeMutablePointer<Float>) -> Float {
        let bands = bandCount
        // log₂ power to dB.
        let decibelsPerOctave = Float(10 * log10(2.0))
        for j in 0..<bands {
            (scratch).update(from: ring + j * windowHops, count: windowHops)
            Self.sort(scratch, count: windowHops)
            let low = scratch[Self.index(Self.lowQuantile, windowHops)]
            let high = scratch[Self.index(Self.highQuantile, windowHops)]
            spreads[j] = (high - low) * decibelsPerOctave
            lows[j] = low * decibelsPerOctave
        }
        Self.sort(lows, count: bands)
        let level = Self.median(lows, count: bands)
        let floor = min(floorLevel[group] + floorRise, level)
        floorLevel[group] = floor
        guard level <= floor + Self.floorMarginDecibels else { return target[group] }
        Self.sort(spreads, count: bands)
        let spread = Self.median(spreads, count: bands)
        // The history holds each floor window's spread and level; a window whose level the floor has since
        // fallen away from (a take that starts on a word: the first windows are speech) no longer counts.
        let row = history + group * 2 * Self.historyWindows
        let slot = historyCount[group] % Self.historyWindows
        row[slot] = spread
        row[Self.historyWindows + slot] = level
        historyCount[group] += 1
        var count = 0
        for i in 0..<min(historyCount[group], Self.historyWindows)
        where row[Self.historyWindows + i] <= floor + Self.floorMarginDecibels {
            scratch[count] = row[i]
            count += 1
        }
        Self.sort(scratch, count: count)
        let evidence = scratch[Self.index(Self.historyQuantile, count)]
        return min(max((evidence - Self.onsetDecibels) / (Self.fullDecibels - Self.onsetDecibels), 0), 1)
    }

    /// The median of `count` sorted values.
    static func median(_ values: UnsafeMutablePointer<Float>, count: Int) -> Float {
        count % 2 == 1 ? values[count / 2] : 0.5 * (values[count / 2 - 1] + values[count / 2])
    }

    /// The element index of quantile `q` among `count` sorted values (rounded down: the lower neighbour).
    static func index(_ q: Double, _ count: Int) -> Int {
        min(max(Int(q * Double(count - 1)), 0), count - 1)
    }

    /// Insertion sort in place (a few dozen floats, a few times a second; no allocation).
    static func sort(_ values: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 1 else { return }
        for i in 1..<count {
            let v = values[i]
            var j = i - 1
            while j >= 0 && values[j] > v {
                values[j + 1] = values[j]
                j -= 1
            }
            values[j + 1] = v
        }
    }
}
