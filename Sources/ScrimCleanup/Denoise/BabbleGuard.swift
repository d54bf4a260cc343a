import Foundation
import ScrimCore

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
///   be within ``floorMarginDecibels`` of the lowest window level of the last ``floorSeconds`` (8 s). Without
///   this, windows full of the take's own speech counted, and brown and traffic noise at 20 dB SNR engaged the
///   guard on 22–45 % of their frames. The cost: a walla that starts after a quieter stretch (room tone,
///   dither) is judged only once that stretch is 8 s behind.
/// - Windows near digital silence (``silentPower``) count for nothing, and frames outside
///   ``frameSecondsRange`` do not run the guard at all.
/// - The evidence is the lower quartile of the last ``historyWindows`` floor windows (3 s of them; the least
///   of them until four have been seen), leaving out those whose level is no longer near the floor (a take
///   that starts on a word: its first windows are speech, and the floor falls at the first pause).
/// - The engagement rises from 0 at ``onsetDecibels`` to 1 at ``fullDecibels``, smoothed with a 0.3 s time
///   constant. At engagement e the limit in dB is (1 − e)·limit + e·eased, never deeper than the user's own;
///   eased is 4 dB at a low overall SNR and 10 dB at a high one (``easedLimit(highSNRPosition:)``).
///
/// The eased limit, chosen on the corpus (babble STOI against the input's 0.8085; PESQ-WB at 20 dB SNR against
/// noisereduce's 2.693, the best peer there): 6 dB throughout 0.8100 / 2.690 (babble at 20 dB SNR lost 0.03–0.12
/// of PESQ-WB, where the walla in the pauses is what is heard); 6 → 12 dB 0.8084 / 2.701; 4 → 10 dB 0.8097 /
/// 2.698; 3 → 10 and 2 → 10 dB 0.8099 / 2.698. Easing fully below an overall SNR of 8 dB and not at all above
/// 14 dB scored 0.8070 / 2.702 on the SNR of the moment (it rises under the take's own speech, where the ease
/// matters), 0.8093 / 2.691 on its 3 s average, and as without the gate on a 10 s average (the takes last
/// 6–7.5 s). The overall SNR reads high under babble: 1–5 dB at 0 dB SNR, where pink noise reads −10 to −14 dB.
/// Easing only in 0.5–4.5 kHz scored 0.8068 / 2.692. With the guard, nothing changed under the other noise types
/// (no file engaged). Takes with the lead-in cut off (starting on a word) engaged on some brown, traffic, HVAC
/// and bursts files at 10–20 dB SNR until the first pause; per SNR bucket that changed SI-SDR improvement by
/// −0.06 to +0.17 dB and PESQ-WB by at most −0.015, and babble's STOI against the input's went from −0.0164 to
/// −0.0027.
///
/// Streaming and split-invariant (it sees the STFT's hops, whatever the block size); per group of channels
/// (each channel, or all of them when linked). Nothing allocates after
/// ``prepare(binHertz:binCount:hopSeconds:frameSeconds:groupCount:)``.
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
    /// Engagement from which a floor update counts as eased in the report (a tenth of the way to the eased limit).
    static let reportedEngagement: Float = 0.1
    /// Only windows at the floor count: a window's level (the median over the bands of its 10th-percentile
    /// power) must be within `floorMarginDecibels` of the floor, the lowest window level of the last
    /// `floorSeconds` (a sliding minimum: a walla that starts after room tone or dither is judged once the quieter
    /// stretch is that far behind; digital silence is not a floor, see `silentPower`).
    static let floorMarginDecibels: Float = 3
    static let floorSeconds = 8.0
    /// Band powers below this (white noise at about −240 dBFS, in this STFT's scaling) are digital silence. A
    /// window that holds a silent hop, or a hop whose frame overlapped one, is neither floor nor evidence: a
    /// conformed track's black gaps, and the frames that straddle their edges, would otherwise pull the floor
    /// down and show spreads of tens to hundreds of dB (steady white noise with 0.2 s gaps every second engaged
    /// the guard on 62 % of its frames).
    static let silentPower: Float = 1e-20
    /// Frame durations the thresholds hold for. They were set with 43 ms frames (2048 points at 48 kHz); the
    /// reducer's default framing is 23–46.5 ms at every sample rate. Much shorter frames give each band fewer
    /// degrees of freedom, so steady noise spreads like babble (256-point frames at 48 kHz engaged on white
    /// noise); much longer ones smear the syllables. Outside this range the guard does not run.
    static let frameSecondsRange: ClosedRange<Double> = 0.023...0.1

    // MARK: Prepared state

    /// Whether the guard runs: at least one band fits below Nyquist and the frame is in ``frameSecondsRange``.
    private(set) var isActive = false
    private var bandCount = 0
    private var windowHops = 0
    private var stepHops = 1
    private var floorCount = 1
    /// Hops a frame spans (fftSize / hopSize): a hop this close after a silent one overlapped it.
    private var frameHops = 1
    private var groupCount = 0
    private var engagementAlpha: Float = 0
    /// Band edges in bins (bandCount + 1).
    private var edges: UnsafeMutablePointer<Int>
    /// Per group × band × window hop: log₂ band power, a ring indexed by hop.
    private var levels: UnsafeMutablePointer<Float>
    /// Per group: the last `historyWindows` floor windows' spreads, then their levels, in dB (a ring).
    private var history: UnsafeMutablePointer<Float>
    /// Per group: the last `floorCount` windows' levels in dB (a ring; +∞ where none yet).
    private var floorRing: UnsafeMutablePointer<Float>
    /// Scratch for selection (max(windowHops, historyWindows) floats), and per-band spreads and low levels.
    private var scratch: UnsafeMutablePointer<Float>
    private var spreads: UnsafeMutablePointer<Float>
    private var lows: UnsafeMutablePointer<Float>
    /// Per group: the target and the current engagement (0…1).
    private var target: UnsafeMutablePointer<Float>
    private var current: UnsafeMutablePointer<Float>
    private var storage: UnsafeMutablePointer<Float>
    /// Per group: floor windows pushed into `history`, windows pushed into `floorRing`, and the last hop with a
    /// silent band.
    private var historyCount: UnsafeMutablePointer<Int>
    private var floorWindows: UnsafeMutablePointer<Int>
    private var lastSilent: UnsafeMutablePointer<Int>
    private var counts: UnsafeMutablePointer<Int>
    private var hop = 0

    init() {
        storage = UnsafeMutablePointer<Float>.allocate(capacity: 1)
        storage.initialize(to: 0)
        counts = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        counts.initialize(to: 0)
        (levels, history, floorRing, scratch, spreads, lows, target, current) =
            (storage, storage, storage, storage, storage, storage, storage, storage)
        (edges, historyCount, floorWindows, lastSilent) = (counts, counts, counts, counts)
    }

    deinit {
        storage.deallocate()
        counts.deallocate()
    }

    func prepare(binHertz: Double, binCount: Int, hopSeconds: Double, frameSeconds: Double, groupCount: Int) {
        frameHops = max(1, Int((frameSeconds / hopSeconds).rounded()))
        var bins: [Int] = []
        for hertz in Self.bandEdgesHertz {
            let bin = Int((hertz / binHertz).rounded())
            guard bin < binCount else { break }
            if let last = bins.last, bin <= last { continue }
            bins.append(bin)
        }
        bandCount = max(bins.count - 1, 0)
        isActive = bandCount > 0 && Self.frameSecondsRange.contains(frameSeconds)
        self.groupCount = groupCount
        windowHops = max(4, Int((Self.windowSeconds / hopSeconds).rounded()))
        stepHops = max(1, windowHops / 2)
        floorCount = max(1, Int((Self.floorSeconds / (Double(stepHops) * hopSeconds)).rounded()))
        engagementAlpha = Float(exp(-hopSeconds / Self.engagementSeconds))
        let bands = max(bandCount, 1)
        let levelCount = groupCount * bands * windowHops
        let historyFloats = groupCount * 2 * Self.historyWindows
        let floorFloats = groupCount * floorCount
        let scratchCount = max(windowHops, Self.historyWindows)
        storage.deallocate()
        let capacity = levelCount + historyFloats + floorFloats + scratchCount + 2 * bands + 2 * groupCount
        storage = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        storage.initialize(repeating: 0, count: capacity)
        levels = storage
        history = levels + levelCount
        floorRing = history + historyFloats
        scratch = floorRing + floorFloats
        spreads = scratch + scratchCount
        lows = spreads + bands
        target = lows + bands
        current = target + groupCount
        counts.deallocate()
        let countCapacity = bands + 1 + 3 * groupCount
        counts = UnsafeMutablePointer<Int>.allocate(capacity: countCapacity)
        counts.initialize(repeating: 0, count: countCapacity)
        edges = counts
        for (j, bin) in bins.prefix(bands + 1).enumerated() { edges[j] = bin }
        historyCount = edges + bands + 1
        floorWindows = historyCount + groupCount
        lastSilent = floorWindows + groupCount
        reset()
    }

    func reset() {
        for group in 0..<groupCount {
            historyCount[group] = 0
            floorWindows[group] = 0
            lastSilent[group] = -Int(Int32.max)
            target[group] = 0
            current[group] = 0
        }
        floorRing.update(repeating: .infinity, count: groupCount * floorCount)
        hop = 0
    }

    /// The group's engagement, 0…1 (0 when the guard does not run).
    @inline(__always)
    func engagement(_ group: Int) -> Float { current[group] }

    /// Takes one hop's bin powers for `group` (scaled by `scale` for the partial first hops) and updates its
    /// engagement. Call once per group per hop, then ``advance()``.
    @inline(__always)
    func observe(group: Int, binPower: UnsafePointer<Float>, scale: Float) {
        guard isActive else { return }
        // Locals, so the loop reads no stored property.
        let bands = bandCount, windowHops = self.windowHops, hop = self.hop, edges = self.edges
        let slot = hop % windowHops
        let ring = levels + group * bands * windowHops
        var silent = false
        for j in 0..<bands {
            // Four partial sums (one running sum is a chain of dependent adds, slow for 20–40 bins).
            var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
            var k = edges[j]
            let end = edges[j + 1]
            while k + 4 <= end {
                s0 += binPower[k]
                s1 += binPower[k + 1]
                s2 += binPower[k + 2]
                s3 += binPower[k + 3]
                k += 4
            }
            while k < end {
                s0 += binPower[k]
                k += 1
            }
            let power = ((s0 + s1) + (s2 + s3)) * scale
            silent = silent || power < Self.silentPower
            ring[j * windowHops + slot] = DenoiseMath.fastLog2(max(power, 1e-30))
        }
        if silent { lastSilent[group] = hop }
        let filled = hop + 1
        if filled >= windowHops && (filled - windowHops) % stepHops == 0 {
            target[group] = evaluate(group: group, ring: ring)
        }
        current[group] = engagementAlpha * current[group] + (1 - engagementAlpha) * target[group]
    }

    /// Call once per hop after every group's ``observe(group:binPower:scale:)``.
    @inline(__always)
    func advance() {
        hop += 1
    }

    /// This window's spread into the group's history; the new target engagement from the history's quantile.
    private func evaluate(group: Int, ring: UnsafeMutablePointer<Float>) -> Float {
        let bands = bandCount
        guard hop - lastSilent[group] >= windowHops + frameHops else { return target[group] }
        // log₂ power to dB.
        let decibelsPerOctave = Float(10 * log10(2.0))
        let lowIndex = Self.index(Self.lowQuantile, windowHops), highIndex = Self.index(Self.highQuantile, windowHops)
        let work = UnsafeMutableBufferPointer(start: scratch, count: windowHops)
        for j in 0..<bands {
            // The two order statistics by selection (a full sort of every band's window cost about 3 % of the
            // reducer's time): the higher first, then the lower among the values it left below it.
            work.baseAddress.unsafelyUnwrapped.update(from: ring + j * windowHops, count: windowHops)
            let high = OrderStatistics.select(work, count: windowHops, rank: highIndex)
            let low = OrderStatistics.select(work, count: highIndex + 1, rank: lowIndex)
            spreads[j] = (high - low) * decibelsPerOctave
            lows[j] = low * decibelsPerOctave
        }
        let level = OrderStatistics.median(UnsafeMutableBufferPointer(start: lows, count: bands), count: bands)
        // The floor: the least window level of the last `floorSeconds`, this one included.
        let floors = floorRing + group * floorCount
        floors[floorWindows[group] % floorCount] = level
        floorWindows[group] += 1
        var floor = level
        for i in 0..<floorCount { floor = min(floor, floors[i]) }
        guard level <= floor + Self.floorMarginDecibels else { return target[group] }
        let spread = OrderStatistics.median(UnsafeMutableBufferPointer(start: spreads, count: bands), count: bands)
        // The history holds each floor window's spread and level; a window whose level is no longer near the
        // floor (a take that starts on a word: its first windows are speech, and the floor falls at the first
        // pause) no longer counts.
        let row = history + group * 2 * Self.historyWindows
        let slot = historyCount[group] % Self.historyWindows
        row[slot] = spread
        row[Self.historyWindows + slot] = level
        historyCount[group] += 1
        var count = 0
        for i in 0..<min(historyCount[group], Self.historyWindows)
        where abs(row[Self.historyWindows + i] - floor) <= Self.floorMarginDecibels {
            scratch[count] = row[i]
            count += 1
        }
        guard count > 0 else { return 0 }
        let evidence = OrderStatistics.select(UnsafeMutableBufferPointer(start: scratch, count: count), count: count,
                                              rank: Self.index(Self.historyQuantile, count))
        return min(max((evidence - Self.onsetDecibels) / (Self.fullDecibels - Self.onsetDecibels), 0), 1)
    }

    /// The element index of quantile `q` among `count` (≥ 1) sorted values (rounded down: the lower neighbour).
    static func index(_ q: Double, _ count: Int) -> Int {
        min(max(Int(q * Double(count - 1)), 0), max(count - 1, 0))
    }
}
