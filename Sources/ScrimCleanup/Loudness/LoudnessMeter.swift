import Foundation
import ScrimCore

/// A streaming loudness and peak meter: ITU-R BS.1770-4 with the EBU Tech 3341 ("EBU Mode") and Tech 3342
/// (loudness range) conventions.
///
/// What it measures:
/// - **Momentary** loudness over a 400 ms window and **short-term** over 3 s, both updated every 100 ms
///   (Tech 3341 asks for at least 10 Hz). A window counts only once it is complete: until 400 ms (3 s) of audio
///   has been seen the current value and its maximum are −∞.
/// - **Integrated** loudness over 400 ms gating blocks with 75 % overlap (one every 100 ms), absolute gate
///   −70 LUFS, relative gate −10 LU (BS.1770-4 §5.1).
/// - **Loudness range** from the 3 s short-term values every 100 ms, absolute gate −70 LUFS, relative gate
///   −20 LU, 95th minus 10th percentile (Tech 3342).
/// - **Sample peak** and **true peak** (BS.1770-4 Annex 2: ⌈192 kHz / fs⌉× over-sampling), per channel and
///   overall. True peak is the expensive part; turn it off with `measureTruePeak: false`.
/// - Optionally, **dialogue loudness**: integrated loudness over the blocks a ``DialogueDetector`` judges to be
///   speech, and the fraction of blocks that were.
///
/// Filters run in `Double`. Sub-block k (100 ms) ends at frame ⌊k·fs/10⌋, so any sample rate from 8 to 192 kHz
/// works, including ones that are not multiples of 10. Integrated loudness and loudness range keep fixed-size
/// histograms (see ``LoudnessHistogram``; error well under 0.01 LU), so memory does not grow with the stream.
/// Results never depend on how the stream is split into blocks. `prepare` allocates; `analyze` and `reset` do
/// not allocate, lock or throw; the result accessors may allocate. Not thread-safe: one meter per stream.
public final class LoudnessMeter: AudioAnalyzer {
    /// Momentary window in 100 ms sub-blocks (400 ms).
    static let momentarySubBlocks = 4
    /// Short-term window in 100 ms sub-blocks (3 s).
    static let shortTermSubBlocks = 30
    /// BS.1770-4 relative gate for integrated loudness, LU.
    public static let integratedRelativeGate: LoudnessUnits = -10
    /// EBU Tech 3342 relative gate for loudness range, LU.
    public static let rangeRelativeGate: LoudnessUnits = -20
    /// Sample rates the meter takes, in hertz: every rate Scrim reads. The K-weighting is derived at the stream's
    /// rate (``KWeighting``) and the true-peak over-sampling is ⌈192 kHz / fs⌉ (1 from 192 kHz); checked on the
    /// 1 kHz reference tone from 8 to 768 kHz in LoudnessMeterTests.
    public static let supportedSampleRates: ClosedRange<Double> = 8_000...768_000

    /// The channel layout, or `nil` to derive it from the channel count at `prepare`.
    public let requestedLayout: ChannelLayout?
    /// Whether true peak is measured.
    public let measureTruePeak: Bool
    /// Whether the dialogue gate runs.
    public let dialogueGating: Bool

    /// The layout in use (valid after ``prepare(for:)``).
    public private(set) var channelLayout = ChannelLayout.mono
    private var spec: ProcessSpec?
    private var sampleRate = 48_000.0
    private var weights: [Double] = []
    private var preFilter = KWeighting.preFilter(sampleRate: 48_000)
    private var highPass = KWeighting.highPass(sampleRate: 48_000)
    /// Per channel: pre-filter z1, z2, high-pass z1, z2.
    private var filterState: [Double] = []
    /// The channels with a non-zero weight, in order (the others are not filtered).
    private var activeChannels: [Int] = []
    /// Per channel: Σ y² over the current sub-block.
    private var channelEnergy: [Double] = []

    private var framesMeasured = 0
    private var subBlockCount = 0
    private var lastBoundary = 0
    private var nextBoundary = 0
    /// Ring of the last 30 sub-blocks: weighted energy Σ Gi·Σy² and frame count.
    private var ringEnergy: [Double] = []
    private var ringFrames: [Int] = []

    private(set) var integratedHistogram = LoudnessHistogram()
    private(set) var rangeHistogram = LoudnessHistogram()
    private(set) var dialogueHistogram = LoudnessHistogram()
    private var detector: DialogueDetector?
    private var blocksAboveGate = 0
    private var speechBlocks = 0

    private var momentaryPower = 0.0
    private var shortTermPower = 0.0
    private var maxMomentaryPower = 0.0
    private var maxShortTermPower = 0.0
    private var hasMomentary = false
    private var hasShortTerm = false

    private var channelSamplePeak: [Float] = []
    private var interpolator: TruePeakInterpolator?

    /// Creates a meter.
    /// - Parameters:
    ///   - layout: channel weights; `nil` derives them from the channel count (``ChannelLayout/init(channelCount:)``).
    ///   - measureTruePeak: measure true peak (costs about as much as the rest of the meter).
    ///   - dialogueGating: also measure dialogue-gated loudness (see ``DialogueDetector``).
    public init(layout: ChannelLayout? = nil, measureTruePeak: Bool = true, dialogueGating: Bool = false) {
        requestedLayout = layout
        self.measureTruePeak = measureTruePeak
        self.dialogueGating = dialogueGating
    }

    /// Allocates for `spec`. Throws `.configuration` if the spec is invalid, the sample rate is outside
    /// 8–768 kHz, or the layout's channel count differs from the spec's.
    public func prepare(for spec: ProcessSpec) throws {
        try spec.validate()
        guard Self.supportedSampleRates.contains(spec.sampleRate) else {
            throw ScrimError(.configuration, "loudness metering supports 8 kHz to 768 kHz; the stream is "
                + "\(spec.sampleRate) Hz: resample it first")
        }
        let layout = requestedLayout ?? ChannelLayout(channelCount: spec.channelCount)
        guard layout.channelCount == spec.channelCount else {
            throw ScrimError(.configuration, "channel layout \(layout.name) has \(layout.channelCount) channels "
                + "but the stream has \(spec.channelCount): give a layout that matches")
        }
        self.spec = spec
        channelLayout = layout
        sampleRate = spec.sampleRate
        weights = layout.weights
        activeChannels = weights.indices.filter { weights[$0] > 0 }
        preFilter = KWeighting.preFilter(sampleRate: sampleRate)
        highPass = KWeighting.highPass(sampleRate: sampleRate)
        filterState = Array(repeating: 0, count: 4 * spec.channelCount)
        channelEnergy = Array(repeating: 0, count: spec.channelCount)
        ringEnergy = Array(repeating: 0, count: Self.shortTermSubBlocks)
        ringFrames = Array(repeating: 0, count: Self.shortTermSubBlocks)
        integratedHistogram = LoudnessHistogram(keepsQuietBlocks: true)
        rangeHistogram = LoudnessHistogram()
        dialogueHistogram = LoudnessHistogram(keepsQuietBlocks: dialogueGating)
        detector = dialogueGating ? DialogueDetector(sampleRate: sampleRate, weights: weights) : nil
        channelSamplePeak = Array(repeating: 0, count: spec.channelCount)
        interpolator = measureTruePeak
            ? TruePeakInterpolator(sampleRate: sampleRate, channelCount: spec.channelCount) : nil
        reset()
    }

    /// Clears the measurement, keeping the preparation.
    public func reset() {
        for i in filterState.indices { filterState[i] = 0 }
        for i in channelEnergy.indices { channelEnergy[i] = 0 }
        for i in ringEnergy.indices {
            ringEnergy[i] = 0
            ringFrames[i] = 0
        }
        for i in channelSamplePeak.indices { channelSamplePeak[i] = 0 }
        framesMeasured = 0
        subBlockCount = 0
        lastBoundary = 0
        nextBoundary = boundary(1)
        integratedHistogram.reset()
        rangeHistogram.reset()
        dialogueHistogram.reset()
        detector?.reset()
        blocksAboveGate = 0
        speechBlocks = 0
        momentaryPower = 0
        shortTermPower = 0
        maxMomentaryPower = 0
        maxShortTermPower = 0
        hasMomentary = false
        hasShortTerm = false
        interpolator?.reset()
    }

    /// The frame at which 100 ms sub-block `k` ends: ⌊k·fs/10⌋.
    @inline(__always)
    private func boundary(_ k: Int) -> Int { Int((Double(k) * sampleRate / 10).rounded(.down)) }

    /// Adds `block` to the measurement. Any frame count; the channel count must match the spec.
    public func analyze(_ block: AudioBlock) {
        guard let spec else { preconditionFailure("LoudnessMeter.analyze before prepare(for:)") }
        precondition(block.channelCount == spec.channelCount,
                     "block has \(block.channelCount) channels, the meter was prepared for \(spec.channelCount)")
        var offset = 0
        while offset < block.frameCount {
            let n = min(nextBoundary - framesMeasured, block.frameCount - offset)
            filterSegment(block, offset: offset, count: n)
            detector?.analyze(block, offset: offset, count: n)
            framesMeasured += n
            offset += n
            if framesMeasured == nextBoundary { endSubBlock() }
        }
        for c in 0..<block.channelCount {
            let samples = block.channel(c)
            guard let base = samples.baseAddress else { continue }
            // The interpolator finds the sample peak as it scans its chunks; without it, the same vector scan.
            let peak = interpolator?.accumulatePeak(channel: c, samples: base, count: samples.count)
                ?? PeakScan.magnitudeMax(base, count: samples.count)
            if peak > channelSamplePeak[c] { channelSamplePeak[c] = peak }
        }
    }

    /// K-weights frames `offset ..< offset + count` of every weighted channel and adds Σ y² to ``channelEnergy``.
    ///
    /// Each biquad's recursion is a chain of dependent multiply-adds, so one channel alone leaves most of the
    /// core idle; the channels are therefore filtered two at a time in one loop (``filterPair``). Every channel
    /// keeps exactly its own arithmetic, in the same order, so the result is bit-identical to filtering each
    /// channel alone (the tests compare against that plain loop).
    private func filterSegment(_ block: AudioBlock, offset: Int, count: Int) {
        let active = activeChannels
        var k = 0
        while k + 1 < active.count {
            filterPair(block, active[k], active[k + 1], offset: offset, count: count)
            k += 2
        }
        if k < active.count { filterOne(block, active[k], offset: offset, count: count) }
    }

    /// One channel of ``filterSegment(_:offset:count:)``.
    private func filterOne(_ block: AudioBlock, _ c: Int, offset: Int, count: Int) {
        guard let base = block.channel(c).baseAddress else { return }
        let pre = preFilter
        let hp = highPass
        let x = base + offset
        filterState.withUnsafeMutableBufferPointer { state in
            var s1 = state[4 * c], s2 = state[4 * c + 1], t1 = state[4 * c + 2], t2 = state[4 * c + 3]
            // Summing into the running total (not a per-call partial sum) keeps the result bit-identical
            // for any block split.
            var sum = channelEnergy[c]
            for i in 0..<count {
                let input = Double(x[i])
                let y = pre.b0 * input + s1
                s1 = pre.b1 * input - pre.a1 * y + s2
                s2 = pre.b2 * input - pre.a2 * y
                let z = hp.b0 * y + t1
                t1 = hp.b1 * y - hp.a1 * z + t2
                t2 = hp.b2 * y - hp.a2 * z
                sum += z * z
            }
            state[4 * c] = s1
            state[4 * c + 1] = s2
            state[4 * c + 2] = t1
            state[4 * c + 3] = t2
            channelEnergy[c] = sum
        }
    }

    /// Channels `a` and `b` of ``filterSegment(_:offset:count:)`` in one loop: two independent recursions that
    /// the processor overlaps. Each channel's statements are those of ``filterOne(_:_:offset:count:)``.
    private func filterPair(_ block: AudioBlock, _ a: Int, _ b: Int, offset: Int, count: Int) {
        guard let baseA = block.channel(a).baseAddress, let baseB = block.channel(b).baseAddress else {
            filterOne(block, a, offset: offset, count: count)
            filterOne(block, b, offset: offset, count: count)
            return
        }
        let pre = preFilter
        let hp = highPass
        let xa = baseA + offset
        let xb = baseB + offset
        filterState.withUnsafeMutableBufferPointer { state in
            var s1a = state[4 * a], s2a = state[4 * a + 1], t1a = state[4 * a + 2], t2a = state[4 * a + 3]
            var s1b = state[4 * b], s2b = state[4 * b + 1], t1b = state[4 * b + 2], t2b = state[4 * b + 3]
            var sumA = channelEnergy[a]
            var sumB = channelEnergy[b]
            for i in 0..<count {
                let inA = Double(xa[i])
                let inB = Double(xb[i])
                let ya = pre.b0 * inA + s1a
                let yb = pre.b0 * inB + s1b
                s1a = pre.b1 * inA - pre.a1 * ya + s2a
                s1b = pre.b1 * inB - pre.a1 * yb + s2b
                s2a = pre.b2 * inA - pre.a2 * ya
                s2b = pre.b2 * inB - pre.a2 * yb
                let za = hp.b0 * ya + t1a
                let zb = hp.b0 * yb + t1b
                t1a = hp.b1 * ya - hp.a1 * za + t2a
                t1b = hp.b1 * yb - hp.a1 * zb + t2b
                t2a = hp.b2 * ya - hp.a2 * za
                t2b = hp.b2 * yb - hp.a2 * zb
                sumA += za * za
                sumB += zb * zb
            }
            state[4 * a] = s1a
            state[4 * a + 1] = s2a
            state[4 * a + 2] = t1a
            state[4 * a + 3] = t2a
            state[4 * b] = s1b
            state[4 * b + 1] = s2b
            state[4 * b + 2] = t1b
            state[4 * b + 3] = t2b
            channelEnergy[a] = sumA
            channelEnergy[b] = sumB
        }
    }

    private func endSubBlock() {
        var energy = 0.0
        for c in channelEnergy.indices {
            energy += weights[c] * channelEnergy[c]
            channelEnergy[c] = 0
        }
        let slot = subBlockCount % Self.shortTermSubBlocks
        ringEnergy[slot] = energy
        ringFrames[slot] = nextBoundary - lastBoundary
        subBlockCount += 1
        lastBoundary = nextBoundary
        nextBoundary = boundary(subBlockCount + 1)
        detector?.endSubBlock()

        if subBlockCount >= Self.momentarySubBlocks {
            let power = windowPower(subBlocks: Self.momentarySubBlocks)
            momentaryPower = power
            maxMomentaryPower = hasMomentary ? max(maxMomentaryPower, power) : power
            hasMomentary = true
            if integratedHistogram.add(power: power) {
                blocksAboveGate += 1
                if let detector, detector.isSpeechBlock() {
                    speechBlocks += 1
                    dialogueHistogram.add(power: power)
                }
            } else if let detector, detector.isSpeechBlock() {
                // Below the absolute gate: kept only for solving a gain (LoudnessGainSolver).
                dialogueHistogram.addQuiet(power: power)
            }
        }
        if subBlockCount >= Self.shortTermSubBlocks {
            let power = windowPower(subBlocks: Self.shortTermSubBlocks)
            shortTermPower = power
            maxShortTermPower = hasShortTerm ? max(maxShortTermPower, power) : power
            hasShortTerm = true
            rangeHistogram.add(power: power)
        }
    }

    /// Weighted mean-square power Σ Gi·zi over the last `subBlocks` sub-blocks.
    private func windowPower(subBlocks: Int) -> Double {
        var energy = 0.0
        var frames = 0
        for back in 1...subBlocks {
            let slot = (subBlockCount - back) % Self.shortTermSubBlocks
            energy += ringEnergy[slot]
            frames += ringFrames[slot]
        }
        return frames > 0 ? energy / Double(frames) : 0
    }

    // MARK: Results

    private static func loudness(_ power: Double, valid: Bool) -> LUFS {
        valid && power > 0 ? LoudnessHistogram.loudness(ofPower: power) : -.infinity
    }

    /// Integrated loudness, LUFS (−∞ for silence or when no block passes the gates).
    public var integratedLoudness: LUFS {
        integratedHistogram.gatedLoudness(relativeGate: Self.integratedRelativeGate).loudness
    }

    /// Loudness range, LU (EBU Tech 3342); 0 with no short-term values above the gates.
    public var loudnessRange: LoudnessUnits {
        rangeHistogram.loudnessRange(relativeGate: Self.rangeRelativeGate, low: 0.10, high: 0.95)
    }

    /// Momentary loudness of the last complete 400 ms window, LUFS (−∞ before the first).
    public var momentaryLoudness: LUFS { Self.loudness(momentaryPower, valid: hasMomentary) }
    /// Short-term loudness of the last complete 3 s window, LUFS (−∞ before the first).
    public var shortTermLoudness: LUFS { Self.loudness(shortTermPower, valid: hasShortTerm) }
    /// Largest momentary loudness so far, LUFS.
    public var maxMomentaryLoudness: LUFS { Self.loudness(maxMomentaryPower, valid: hasMomentary) }
    /// Largest short-term loudness so far, LUFS.
    public var maxShortTermLoudness: LUFS { Self.loudness(maxShortTermPower, valid: hasShortTerm) }

    /// Sample peak per channel, dBFS.
    public var channelSamplePeaks: [DecibelsFullScale] {
        channelSamplePeak.map { decibels(fromAmplitude: Double($0)) }
    }
    /// Largest sample peak, dBFS (−∞ for silence).
    public var samplePeak: DecibelsFullScale { channelSamplePeaks.max() ?? -.infinity }

    /// True peak per channel, dBTP (empty when true peak is not measured). Includes the inter-sample values
    /// after the last frame, with silence assumed beyond it.
    public var channelTruePeaks: [DecibelsTruePeak] {
        guard let interpolator else { return [] }
        return channelSamplePeak.indices.map { c in
            let peak = max(channelSamplePeak[c], interpolator.peaks[c], interpolator.tailPeak(channel: c))
            return decibels(fromAmplitude: Double(peak))
        }
    }
    /// Largest true peak, dBTP (−∞ for silence or when not measured).
    public var truePeak: DecibelsTruePeak { channelTruePeaks.max() ?? -.infinity }

    /// Dialogue-gated integrated loudness, LUFS (−∞ when the gate is off or found no speech).
    public var dialogueLoudness: LUFS {
        dialogueHistogram.gatedLoudness(relativeGate: Self.integratedRelativeGate).loudness
    }
    /// Fraction of the blocks above the absolute gate judged to be speech (0 when the gate is off).
    public var speechFraction: Double {
        blocksAboveGate > 0 ? Double(speechBlocks) / Double(blocksAboveGate) : 0
    }

    /// Frames analysed so far (per channel).
    public var frameCount: Int { framesMeasured }

    /// Solves for the gain that brings what was measured onto a loudness target, gates included (see
    /// ``LoudnessGainSolver``): over the dialogue blocks when the dialogue gate is on and found speech (as
    /// ``LoudnessMeasurement/normalizationLoudness``), else over all blocks.
    public var gainSolver: LoudnessGainSolver {
        let dialogue = dialogueGating && dialogueLoudness.isFinite
        return LoudnessGainSolver(histogram: dialogue ? dialogueHistogram : integratedHistogram,
                                  relativeGate: Self.integratedRelativeGate)
    }

    /// All results as one value.
    public var measurement: LoudnessMeasurement {
        let gated = integratedHistogram.gatedLoudness(relativeGate: Self.integratedRelativeGate)
        let truePeaks = channelTruePeaks
        return LoudnessMeasurement(
            integratedLoudness: gated.loudness, relativeGateThreshold: gated.threshold,
            loudnessRange: loudnessRange, maxMomentaryLoudness: maxMomentaryLoudness,
            maxShortTermLoudness: maxShortTermLoudness, momentaryLoudness: momentaryLoudness,
            shortTermLoudness: shortTermLoudness, samplePeak: samplePeak,
            truePeak: truePeaks.max() ?? -.infinity, channelSamplePeaks: channelSamplePeaks,
            channelTruePeaks: truePeaks, truePeakMeasured: measureTruePeak, dialogueLoudness: dialogueLoudness,
            speechFraction: speechFraction, dialogueGated: dialogueGating, frameCount: framesMeasured,
            sampleRate: sampleRate, channelLayout: channelLayout)
    }
}
