import Foundation
import ScrimCore
import ScrimSpectral

/// Wind reduction for location dialogue: finds wind gusts (bursts of noise-like low-frequency energy) and lowers
/// the low band only while they last, leaving the voice untouched where there is no wind.
///
/// Algorithm, per track and STFT hop (sqrt-Hann, 75 % overlap, bins about 23 Hz wide:
/// ``WindReducerSettings/fftSize(forSampleRate:)``):
/// 1. *Level.* The energy of the wind band (20 Hz to ``WindReducerSettings/bandHertz``) as an RMS level in dBFS.
/// 2. *Floor.* A slow running floor of that level: it follows a fall at once (halfway per hop) and a rise by at
///    most 2 dB per second, so a gust (typically 0.3–3 s) stands out above it by its own rise while steady rumble
///    and room tone become the floor. It starts with the first sound above −75 dBFS and follows the first three
///    hops at once (their frames are still partly the silence before: the file's start, or an earlier stage's
///    latency), so a take that opens on steady traffic does not look like one long gust.
/// 3. *Onset, rise, dominance, level.* A gust is cut only once its onset is latched: the band's broadband level
///    (its median bin's power times its bin count, which a voice's harmonic peaks do not move; smoothed over
///    80 ms) has risen by ``WindReducerSettings/riseDecibels`` within 0.3 s, standing that far above its own
///    slow floor (down at once, up by at most 2 dB/s), with the detection (below) at least one half as it does;
///    the latch holds while the level stays half that above its floor. Wind gusts rise that fast (a gust of 0.4 s
///    takes its first 6 dB in well under 0.1 s); a passing vehicle's swell takes seconds and never
///    latches, however noise-like it is. Then the level above the floor (no detection below
///    ``WindReducerSettings/riseDecibels``, full at twice that); the wind band over the voice band above it (to
///    4 kHz): none at 0 dB, full at +6 dB (wind puts most of its energy low, a voice above 250 Hz); and the band's
///    level: none below −65 dBFS, full at −55 dBFS (a room's low-frequency noise, a breath, light handling).
/// 4. *Noise-likeness.* The spectral flatness (geometric over arithmetic mean; Gray & Markel 1974) of the wind
///    band's power, smoothed over 30 ms and tilted by f² (wind falls off at roughly 12 dB per octave, so the tilt
///    makes its spectrum nearly flat; wind scores 0.6–0.9, a voice's low harmonics, peaks a few 23 Hz bins apart,
///    about 0.1): none below 0.2, full above 0.35; times the fluctuation of the band's spectral shape over one
///    frame (each bin's change in dB less the band's mean change, mean absolute value: about 6 dB for noise, whose
///    bins are independent a frame apart, 1–3 dB for a voice): none below 2.5 dB, full above 4.5 dB, not
///    measured across a level jump of 10 dB or more (a voice setting in after silence). This is what keeps a
///    steady low voice from being taken for wind.
/// 5. *Persistence.* The product of 3 and 4, per hop, is taken as the median of the last 5 hops (53 ms at 48 kHz):
///    an onset or a plosive that looks like wind for a hop or two is ignored.
/// 6. *Coherence* (two or more tracks): the magnitude-squared coherence of the wind band with the most coherent
///    other track (cross-spectra averaged over 150 ms, averaged over the band's bins). Wind is made at each
///    microphone's own capsule and is incoherent between microphones; a voice or rumble that both microphones
///    hear is coherent. The detection is multiplied by 1 below 0.5, by 0 above 0.8.
/// 7. *Cut.* Nothing for a detection under 0.5; from 0.5 to 0.8 the cut grows to the whole rise, at most
///    ``WindReducerSettings/reductionLimitDecibels``, so a gust is taken back to about its floor. Smoothed with a
///    10 ms attack and a 60 ms release (the voice's low end comes back within about 0.2 s of a gust's end and does
///    not pump between gusts), applied in full up to the band's top and tapered to nothing at 1.5 × that (raised
///    cosine in dB). In `linked` mode every track takes the deepest cut any track asks for.
///
/// Limits: a gust already present when the stream starts sets the floor until it ends (the first gust is missed);
/// a gust that builds up over more than about a second from a quiet floor is taken for a swell and not cut (on
/// poly files its low coherence still marks it, but the latch is needed too); a traffic swell with a sudden onset
/// (a truck's engine starting close by) is cut like a gust on mono files; the voice's own low end is lowered with
/// the wind while a gust lasts.
///
/// - Latency: ``latencyFrames`` = fftSize − 2 (2046 at 44.1/48 kHz, 4094 at 96 kHz), compensated by the file
///   pipeline. Where the cut is 0 the output is the STFT round trip of the input (exact to float rounding).
/// - Blocks: any size; bit-identical output for every split. Allocation: only in ``prepare(for:)``.
/// - Not thread-safe: one reducer per stream and task.
public final class WindReducer: AudioProcessor {
    /// The settings the reducer was created with.
    public let settings: WindReducerSettings
    private var processor: STFTProcessor<WindKernel>?
    private var inputFrames = 0
    private var sampleRate = 48_000.0

    /// Creates a reducer; call ``prepare(for:)`` before processing.
    public init(settings: WindReducerSettings = WindReducerSettings()) {
        self.settings = settings
    }

    /// fftSize − 2 after ``prepare(for:)``; 0 before.
    public var latencyFrames: Int { processor?.latencyFrames ?? 0 }

    /// Plans the STFT and allocates all state.
    /// - Throws: ``ScrimError`` `.configuration` for an invalid spec or setting, or a band above a third of the
    ///   sample rate.
    public func prepare(for spec: ProcessSpec) throws {
        processor = nil
        try spec.validate()
        try settings.validate()
        guard settings.bandHertz * 1.5 < spec.sampleRate / 2 else {
            throw ScrimError(.configuration, "wind band \(settings.bandHertz) Hz is too high for "
                             + "\(Int(spec.sampleRate)) Hz audio: use below \(Int(spec.sampleRate / 3)) Hz")
        }
        let fftSize = WindReducerSettings.fftSize(forSampleRate: spec.sampleRate)
        let kernel = WindKernel(settings: settings)
        let stft = STFTProcessor(kernel: kernel, configuration: STFTConfiguration(fftSize: fftSize,
                                                                                  hopSize: fftSize / 4))
        try stft.prepare(for: spec)
        processor = stft
        sampleRate = spec.sampleRate
        inputFrames = 0
    }

    /// Reduces wind in `block` in place (output delayed by ``latencyFrames``). Does not allocate, lock or throw.
    public func process(_ block: AudioBlock) {
        guard let processor else { preconditionFailure("WindReducer.process called before prepare(for:)") }
        inputFrames += block.frameCount
        processor.process(block)
    }

    /// Drains the delayed tail (the input frames counted for the report are not changed).
    public func flush(into block: AudioBlock) {
        guard let processor else { preconditionFailure("WindReducer.flush called before prepare(for:)") }
        processor.flush(into: block)
    }

    /// Clears the stream state and the report, keeping the preparation.
    public func reset() {
        processor?.reset()
        inputFrames = 0
    }

    /// What was found and cut so far (nil before ``prepare(for:)``).
    public var report: WindReductionReport? {
        guard let processor, let context = processor.context else { return nil }
        let kernel = processor.kernel
        let hopSeconds = Double(context.hopSize) / sampleRate
        let duration = Double(inputFrames) / sampleRate
        let tracks = (0..<context.channelCount).map { c -> WindTrackReport in
            let seconds = min(Double(kernel.gustHops[c]) * hopSeconds, duration)
            return WindTrackReport(
                gustShare: duration > 0 ? seconds / duration : 0, gustCount: kernel.gustCount[c],
                gustSeconds: seconds, deepestCutDecibels: Double(kernel.deepestCut[c]),
                averageGustCutDecibels: kernel.gustHops[c] > 0
                    ? Double(kernel.gustCutSum[c]) / Double(kernel.gustHops[c]) : nil)
        }
        return WindReductionReport(settings: settings, fftSize: context.fftSize, hopSize: context.hopSize,
                                   latencyFrames: processor.latencyFrames,
                                   usesCoherence: context.channelCount >= 2, tracks: tracks)
    }
}

/// The per-hop work of ``WindReducer`` (see its algorithm). All state allocated in `prepare`.
final class WindKernel: SpectralKernel {
    let settings: WindReducerSettings

    // Geometry.
    private var channelCount = 0
    private var lowBin = 1
    private var bandBin = 1
    private var taperBin = 1
    private var detectionBins = 1
    /// The bins of the voice band above the wind band (to 4 kHz), for the dominance test (step 3).
    private var voiceBins = 0..<0
    private var levelScale: Float = 1
    private var taper: [Float] = []
    private var tilt: [Float] = []
    // Per-hop constants.
    private var powerSmoothing: Float = 0
    private var coherenceSmoothing: Float = 0
    private var attack: Float = 0
    private var release: Float = 0
    private var floorRise: Float = 0
    private var mergeHops = 0
    private var minimumGustHops = 0
    // Stream state, per channel (and per bin of the wind band).
    private var smoothedPower: [Float] = []
    /// Per channel, bin and the last ``fluctuationLag`` hops: the bin's log power (a ring).
    private var logHistory: [Float] = []
    private var difference: [Float] = []
    /// Per channel, the noise-likeness of the last ``persistenceHops`` hops (a ring), and a scratch for the median.
    private var likenessHistory: [Float] = []
    private var medianScratch: [Float] = []
    private var floorLevel: [Float] = []
    /// Per channel: the wind band's power smoothed over ``onsetSmoothingSeconds`` (mean square), its level in dB
    /// over the last ``onsetHops`` hops (a ring), and whether a gust onset is latched (see step 3 of the reducer).
    private var onsetPower: [Float] = []
    private var bandScratch: [Float] = []
    private var onsetFloor: [Float] = []
    private var onsetRing: [Float] = []
    private var latched: [Bool] = []
    private var onsetHops = 1
    /// The first hop whose frame lies wholly inside the stream (the earlier ones are partly the zeros before it).
    private var firstFullHop = 0
    private var onsetSmoothing: Float = 0
    private var started: [Bool] = []
    private var warmup: [Int] = []
    private var onsetWarmup: [Int] = []
    private var onsetSettleHops = 0
    private var cut: [Float] = []
    private var target: [Float] = []
    private var detection: [Float] = []
    // Coherence: auto-spectra per channel and bin, cross-spectra per pair and bin.
    private var autoPower: [Float] = []
    private var crossReal: [Float] = []
    private var crossImag: [Float] = []
    private var coherence: [Float] = []
    // Report state.
    private(set) var gustHops: [Int] = []
    private(set) var gustCount: [Int] = []
    private(set) var gustCutSum: [Float] = []
    private(set) var deepestCut: [Float] = []
    private var lastGustHop: [Int] = []
    private var runHops: [Int] = []
    private var runCounted: [Bool] = []

    /// Wind-band levels below this (dBFS RMS) are never cut, and the detection is full only 10 dB above it: a
    /// room's low-frequency noise, a breath or handling at this level is no gust worth cutting.
    static let quietestLevel: Float = -65
    /// The floor's largest rise, dB per second (see the reducer's step 2).
    static let floorRiseDecibelsPerSecond: Float = 2
    /// Flatness ramp (see step 4) and coherence ramp (step 5).
    static let flatnessRamp: (Float, Float) = (0.2, 0.35)
    /// Fluctuation ramp in dB (step 4) and the lag it is measured over, hops (4 hops: a whole frame apart, so a
    /// noise bin's two powers are independent).
    static let fluctuationRamp: (Float, Float) = (2.5, 4.5)
    static let fluctuationLag = 4
    /// Band level change over the lag beyond which the fluctuation is not measured, dB.
    static let largestLevelJump: Float = 10
    /// The noise-likeness used is the median of the last 5 hops' (53 ms at 48 kHz): a voice onset or a plosive
    /// looks noise-like for one or two hops and is ignored; a dip within a gust is bridged.
    static let persistenceHops = 5
    static let coherenceRamp: (Float, Float) = (0.5, 0.8)
    /// Dominance ramp, dB (step 3): wind puts more energy below the band's top than the voice puts above it.
    static let dominanceRamp: (Float, Float) = (0, 6)
    /// Decision ramp on the detection (step 6).
    static let decisionRamp: (Float, Float) = (0.5, 0.8)
    /// A gust's onset: the band's level (smoothed over ``onsetSmoothingSeconds``) must rise by the rise setting
    /// within this time (step 3).
    static let onsetSeconds = 0.3
    static let onsetSmoothingSeconds = 0.08

    init(settings: WindReducerSettings) {
        self.settings = settings
    }

    func prepare(context: SpectralContext) throws {
        channelCount = context.channelCount
        let binWidth = context.sampleRate / Double(context.fftSize)
        lowBin = max(1, Int((20 / binWidth).rounded(.up)))
        bandBin = min(context.binCount - 1, max(lowBin + 2, Int(settings.bandHertz / binWidth)))
        taperBin = min(context.binCount - 1, Int((1.5 * settings.bandHertz / binWidth).rounded(.up)))
        detectionBins = bandBin - lowBin + 1
        voiceBins = (bandBin + 1)..<max(bandBin + 2, min(context.binCount, Int(4000 / binWidth) + 1))
        taper = (0...taperBin).map { k -> Float in
            let f = Double(k) * binWidth
            if f <= settings.bandHertz { return 1 }
            let x = (f - settings.bandHertz) / (0.5 * settings.bandHertz)
            return x >= 1 ? 0 : Float(0.5 * (1 + cos(Double.pi * x)))
        }
        tilt = (0..<detectionBins).map { i in Float((lowBin + i) * (lowBin + i)) }
        // A one-sided band's mean square from its bins: 2·Σ|X|² / (N · Σ w²) (Parseval with the analysis window).
        let windowEnergy = context.analysisWindow.reduce(0.0) { $0 + Double($1) * Double($1) }
        levelScale = Float(2 / (Double(context.fftSize) * max(windowEnergy, 1e-12)))
        let hopSeconds = Double(context.hopSize) / context.sampleRate
        powerSmoothing = Float(exp(-hopSeconds / 0.03))
        coherenceSmoothing = Float(exp(-hopSeconds / 0.15))
        attack = Float(1 - exp(-hopSeconds / 0.01))
        release = Float(1 - exp(-hopSeconds / 0.06))
        floorRise = Self.floorRiseDecibelsPerSecond * Float(hopSeconds)
        onsetHops = max(1, Int((Self.onsetSeconds / hopSeconds).rounded()))
        firstFullHop = max(0, context.fftSize / context.hopSize - 1)
        onsetSettleHops = Int((3 * Self.onsetSmoothingSeconds / hopSeconds).rounded(.up))
        onsetSmoothing = Float(exp(-hopSeconds / Self.onsetSmoothingSeconds))
        mergeHops = max(1, Int((0.15 / hopSeconds).rounded()))
        minimumGustHops = max(1, Int((0.03 / hopSeconds).rounded(.up)))
        let c = channelCount
        smoothedPower = [Float](repeating: 0, count: c * detectionBins)
        logHistory = [Float](repeating: 0, count: c * detectionBins * Self.fluctuationLag)
        difference = [Float](repeating: 0, count: detectionBins)
        likenessHistory = [Float](repeating: 0, count: c * Self.persistenceHops)
        medianScratch = [Float](repeating: 0, count: Self.persistenceHops)
        floorLevel = [Float](repeating: 0, count: c)
        onsetPower = [Float](repeating: 0, count: c)
        bandScratch = [Float](repeating: 0, count: detectionBins)
        onsetFloor = [Float](repeating: 0, count: c)
        onsetRing = [Float](repeating: -200, count: c * onsetHops)
        latched = [Bool](repeating: false, count: c)
        warmup = [Int](repeating: 0, count: c)
        onsetWarmup = [Int](repeating: 0, count: c)
        started = [Bool](repeating: false, count: c)
        cut = [Float](repeating: 0, count: c)
        target = [Float](repeating: 0, count: c)
        detection = [Float](repeating: 0, count: c)
        let pairs = c >= 2 ? c * (c - 1) / 2 : 0
        autoPower = [Float](repeating: 0, count: c >= 2 ? c * detectionBins : 0)
        crossReal = [Float](repeating: 0, count: pairs * detectionBins)
        crossImag = [Float](repeating: 0, count: pairs * detectionBins)
        coherence = [Float](repeating: 0, count: c)
        gustHops = [Int](repeating: 0, count: c)
        gustCount = [Int](repeating: 0, count: c)
        gustCutSum = [Float](repeating: 0, count: c)
        deepestCut = [Float](repeating: 0, count: c)
        lastGustHop = [Int](repeating: Int.min / 2, count: c)
        runHops = [Int](repeating: 0, count: c)
        runCounted = [Bool](repeating: false, count: c)
    }

    func reset() {
        for i in smoothedPower.indices { smoothedPower[i] = 0 }
        for i in logHistory.indices { logHistory[i] = 0 }
        for i in likenessHistory.indices { likenessHistory[i] = 0 }
        for i in onsetRing.indices { onsetRing[i] = -200 }
        for i in autoPower.indices { autoPower[i] = 0 }
        for i in crossReal.indices { crossReal[i] = 0; crossImag[i] = 0 }
        for c in 0..<channelCount {
            floorLevel[c] = 0
            onsetPower[c] = 0
            onsetFloor[c] = 0
            latched[c] = false
            warmup[c] = 0
            onsetWarmup[c] = 0
            started[c] = false
            cut[c] = 0
            target[c] = 0
            detection[c] = 0
            coherence[c] = 0
            gustHops[c] = 0
            gustCount[c] = 0
            gustCutSum[c] = 0
            deepestCut[c] = 0
            lastGustHop[c] = Int.min / 2
            runHops[c] = 0
            runCounted[c] = false
        }
    }

    func process(_ frame: SpectralFrame) {
        if channelCount >= 2 { updateCoherence(frame) }
        let limit = Float(settings.reductionLimitDecibels)
        let rise = Float(settings.riseDecibels)
        for c in 0..<channelCount {
            let re = frame.real(c), im = frame.imag(c)
            var band: Float = 0
            let base = c * detectionBins
            var logSum: Float = 0
            var linearSum: Float = 0
            var meanDifference: Float = 0
            let slot = frame.hopIndex % Self.fluctuationLag
            for i in 0..<detectionBins {
                let k = lowBin + i
                let p = re[k] * re[k] + im[k] * im[k]
                band += p
                bandScratch[i] = p
                let history = (base + i) * Self.fluctuationLag + slot
                let logPower = 10 * log10f(p + 1e-30)
                difference[i] = logPower - logHistory[history]
                logHistory[history] = logPower
                meanDifference += difference[i]
                let s = powerSmoothing * smoothedPower[base + i] + (1 - powerSmoothing) * p
                smoothedPower[base + i] = s
                let q = s * tilt[i] + 1e-30
                logSum += logf(q)
                linearSum += q
            }
            let level = 10 * log10f(band * levelScale + 1e-20)
            var voice: Float = 0
            for k in voiceBins { voice += re[k] * re[k] + im[k] * im[k] }
            // Dominance: the wind band over the voice band above it (to 4 kHz), dB.
            let dominance = 10 * log10f((band + 1e-30) / (voice + 1e-30))
            // Step 2: the slow floor.
            if !started[c] {
                // The floor starts with the first sound above −75 dBFS (10 dB under the quietest band level ever
                // cut): an earlier stage's pre-ringing or float dust before its latency's end is not the take.
                if level > Self.quietestLevel - 10 {
                    floorLevel[c] = level
                    started[c] = true
                    warmup[c] = firstFullHop
                    onsetWarmup[c] = firstFullHop + onsetSettleHops
                }
            } else if warmup[c] > 0 {
                // The first frames after the sound starts (the file's start, or the end of an earlier stage's
                // latency, whose zeros come first) are partly silence: the floor follows them at once until a
                // frame lies wholly in the sound (three hops), or a take that opens on steady traffic would look
                // like one long gust from its first second.
                floorLevel[c] = level
                warmup[c] -= 1
            } else if level < floorLevel[c] {
                floorLevel[c] += 0.5 * (level - floorLevel[c])
            } else {
                floorLevel[c] = min(level, floorLevel[c] + floorRise)
            }
            let excess = started[c] ? level - floorLevel[c] : 0
            // The onset latch: a gust is cut only after the band's broadband level smoothed over 80 ms (steady
            // enough that a noise's own fluctuation does not make the rise) has risen by the rise setting within 0.3 s, standing
            // that far above its own slow floor, with the detection at least one half as it does (a voice's
            // onset rises as fast but is not noise-like); it holds while that level stays half as far above its floor. A
            // passing vehicle's swell (seconds to rise) or a slow build-up never latches.
            // The onset is measured on the band's broadband part (its median bin times its bin count): a voice's
            // harmonics are peaks in two or three of the band's bins and do not move it, a gust raises every bin.
            let broadband = sortedMedian(&bandScratch, count: detectionBins) * Float(detectionBins)
            onsetPower[c] = onsetSmoothing * onsetPower[c] + (1 - onsetSmoothing) * broadband * levelScale
            let smoothLevel = 10 * log10f(onsetPower[c] + 1e-20)
            let ringBase = c * onsetHops
            var lowest = smoothLevel
            for i in 0..<onsetHops { lowest = min(lowest, onsetRing[ringBase + i]) }
            onsetRing[ringBase + frame.hopIndex % onsetHops] = smoothLevel
            // The smoothed level's own floor: down at once, up by at most 2 dB/s (the raw floor hugs a noise's dips,
            // so a steady noise would always stand 6-10 dB above it).
            if !started[c] || onsetWarmup[c] > 0 || smoothLevel < onsetFloor[c] {
                // At the start it follows the smoothed level until that has settled (three smoothing times).
                if started[c], onsetWarmup[c] > 0 { onsetWarmup[c] -= 1 }
                onsetFloor[c] = smoothLevel
            } else {
                onsetFloor[c] = min(smoothLevel, onsetFloor[c] + floorRise)
            }
            let smoothExcess = smoothLevel - onsetFloor[c]
            let risen = smoothLevel - lowest >= rise && smoothExcess >= rise
            // Steps 3–5.
            let byRise = ramp(excess, rise, 2 * rise)
            let flatness = expf(logSum / Float(detectionBins)) / (linearSum / Float(detectionBins))
            // The change of the band's spectral shape over a frame: each bin's change in dB less the band's mean
            // change, mean absolute value. A noise bin's power is exponentially distributed and independent a
            // frame apart (mean absolute deviation of the difference about 6 dB); a voice's harmonics hold their
            // shape (about 1 dB; a glide or an onset moves all bins together).
            meanDifference /= Float(detectionBins)
            var fluctuation: Float = 0
            for i in 0..<detectionBins { fluctuation += abs(difference[i] - meanDifference) }
            fluctuation /= Float(detectionBins)
            // A jump of the band's level by 10 dB or more in a frame (a voice setting in after silence) changes the
            // shape from the floor's to the voice's: not a measure of noise-likeness, so not counted as such.
            if abs(meanDifference) >= Self.largestLevelJump { fluctuation = 0 }
            let loudEnough = ramp(level, Self.quietestLevel, Self.quietestLevel + 10)
            // Rise × noise-likeness of this hop, then the median over the last hops (persistence).
            let byDominance = ramp(dominance, Self.dominanceRamp.0, Self.dominanceRamp.1)
            let likeness = byRise * byDominance * loudEnough * ramp(flatness, Self.flatnessRamp.0, Self.flatnessRamp.1)
                * ramp(fluctuation, Self.fluctuationRamp.0, Self.fluctuationRamp.1)
            let ring = c * Self.persistenceHops
            likenessHistory[ring + frame.hopIndex % Self.persistenceHops] = likeness
            for i in 0..<Self.persistenceHops { medianScratch[i] = likenessHistory[ring + i] }
            let byCoherence = channelCount >= 2
                ? 1 - ramp(coherence[c], Self.coherenceRamp.0, Self.coherenceRamp.1) : 1
            let score = sortedMedian(&medianScratch, count: Self.persistenceHops) * byCoherence
            detection[c] = score
            if latched[c] {
                latched[c] = smoothExcess >= 0.5 * rise
            } else {
                latched[c] = risen && score >= Self.decisionRamp.0
            }
            // A weak detection cuts nothing; from one half to 0.8 the cut grows to the whole rise (capped at the
            // limit): a breath or a consonant's low end that half looks like wind is not cut at all.
            target[c] = latched[c] ? ramp(score, Self.decisionRamp.0, Self.decisionRamp.1) * min(limit, max(0, excess)) : 0
        }
        if settings.channelLinking == .linked {
            var deepest: Float = 0
            for c in 0..<channelCount { deepest = max(deepest, target[c]) }
            for c in 0..<channelCount { target[c] = deepest }
        }
        for c in 0..<channelCount {
            let goal = target[c]
            cut[c] += (goal - cut[c]) * (goal > cut[c] ? attack : release)
            if goal < cut[c], cut[c] < 0.05 { cut[c] = 0 }  // the last 0.05 dB of a release: inaudible
            let applied = cut[c]
            deepestCut[c] = max(deepestCut[c], applied)
            noteGust(channel: c, hop: frame.hopIndex, isGust: detection[c] >= 0.5 && target[c] >= 3, cut: applied)
            guard applied > 0 else { continue }
            let re = frame.real(c), im = frame.imag(c)
            let step = -applied * Float(log(10.0) / 20)
            for k in 0...taperBin {
                let gain = expf(step * taper[k])
                re[k] *= gain
                im[k] *= gain
            }
        }
    }

    /// Counts gust hops and gusts (runs of at least 30 ms, joined across gaps under 150 ms).
    private func noteGust(channel c: Int, hop: Int, isGust: Bool, cut applied: Float) {
        guard isGust else { return }
        gustHops[c] += 1
        gustCutSum[c] += applied
        if hop - lastGustHop[c] > mergeHops {
            runHops[c] = 0
            runCounted[c] = false
        }
        runHops[c] += 1
        lastGustHop[c] = hop
        if !runCounted[c], runHops[c] >= minimumGustHops {
            runCounted[c] = true
            gustCount[c] += 1
        }
    }

    /// Step 5: smoothed auto- and cross-spectra over the wind band, and each track's largest band-averaged
    /// magnitude-squared coherence with another track.
    private func updateCoherence(_ frame: SpectralFrame) {
        let a = coherenceSmoothing, b = 1 - coherenceSmoothing
        for c in 0..<channelCount {
            let re = frame.real(c), im = frame.imag(c)
            for i in 0..<detectionBins {
                let k = lowBin + i
                autoPower[c * detectionBins + i] = a * autoPower[c * detectionBins + i]
                    + b * (re[k] * re[k] + im[k] * im[k])
            }
            coherence[c] = 0
        }
        var pair = 0
        for x in 0..<channelCount {
            let xr = frame.real(x), xi = frame.imag(x)
            for y in (x + 1)..<channelCount {
                let yr = frame.real(y), yi = frame.imag(y)
                var sum = 0.0
                for i in 0..<detectionBins {
                    let k = lowBin + i
                    let index = pair * detectionBins + i
                    // X · conj(Y)
                    let cr = a * crossReal[index] + b * (xr[k] * yr[k] + xi[k] * yi[k])
                    let ci = a * crossImag[index] + b * (xi[k] * yr[k] - xr[k] * yi[k])
                    crossReal[index] = cr
                    crossImag[index] = ci
                    // In double precision: at +120 dBFS the squared cross-spectrum would overflow a Float.
                    let denominator = Double(autoPower[x * detectionBins + i]) * Double(autoPower[y * detectionBins + i])
                    let numerator = Double(cr) * Double(cr) + Double(ci) * Double(ci)
                    sum += denominator > 1e-30 ? min(1, numerator / denominator) : 0
                }
                let msc = Float(sum / Double(detectionBins))
                coherence[x] = max(coherence[x], msc)
                coherence[y] = max(coherence[y], msc)
                pair += 1
            }
        }
    }

    @inline(__always)
    private func ramp(_ value: Float, _ low: Float, _ high: Float) -> Float {
        min(1, max(0, (value - low) / (high - low)))
    }
}
