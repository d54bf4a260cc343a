import Foundation
import ScrimCore
import ScrimSpectral

/// What ``HumRemover`` writes out.
public enum HumRemoverOutput: String, Sendable, Hashable, CaseIterable {
    /// The input with the hum taken out.
    case cleaned
    /// What was taken out (input − cleaned), to listen to what the remover removed.
    case residual
}

/// Settings of a ``HumRemover``.
public struct HumRemoverConfiguration: Sendable, Hashable {
    /// The hum's fundamental in hertz at the start of the stream (e.g. from ``HumDetection``); the remover
    /// tracks drift from there, within ±``maximumDriftHertz``.
    public var fundamentalHertz: Double
    /// Harmonic numbers to remove (1 = the fundamental), or nil for every harmonic up to
    /// ``maximumFrequencyHertz``. Harmonics above ``maximumFrequencyHertz`` or 0.45 × the sample rate are
    /// skipped.
    public var harmonicNumbers: [Int]?
    /// Highest harmonic frequency removed, in hertz (default 4000).
    public var maximumFrequencyHertz: Double
    /// How far the tracked fundamental may wander from ``fundamentalHertz``, in hertz (default 1).
    public var maximumDriftHertz: Double
    /// Cleaned audio or the removed hum.
    public var output: HumRemoverOutput

    /// Creates a configuration.
    /// - Parameters:
    ///   - fundamentalHertz: starting fundamental in hertz (> 0), e.g. 50, 60 or a detected value.
    ///   - harmonicNumbers: harmonics to remove, or nil for all up to `maximumFrequencyHertz`.
    ///   - maximumFrequencyHertz: highest harmonic frequency in hertz (default 4000).
    ///   - maximumDriftHertz: tracking range around `fundamentalHertz` in hertz (default 1).
    ///   - output: cleaned audio (default) or the removed hum.
    public init(fundamentalHertz: Double, harmonicNumbers: [Int]? = nil, maximumFrequencyHertz: Double = 4000,
                maximumDriftHertz: Double = 1, output: HumRemoverOutput = .cleaned) {
        self.fundamentalHertz = fundamentalHertz
        self.harmonicNumbers = harmonicNumbers
        self.maximumFrequencyHertz = maximumFrequencyHertz
        self.maximumDriftHertz = maximumDriftHertz
        self.output = output
    }
}

/// Removes mains hum and buzz — a fundamental and its harmonics — by tracking each harmonic as a sinusoid with a
/// slowly varying complex envelope and subtracting it, so the voice's own low harmonics a few hertz away survive.
///
/// Method (complex demodulation; see ``HumEnvelopeTracker`` for the knot-rate stages):
/// 1. *Demodulate and decimate.* Each harmonic k is shifted to 0 Hz by a recursive oscillator at k times the
///    nominal fundamental (re-anchored from double precision every knot) and averaged with a triangular window of
///    two hum periods (D = round(sampleRate / fundamental) frames, a Fejér kernel), one complex value per D frames:
///    a *knot*. The kernel has double zeros at every multiple of sampleRate / D, so the other harmonics (and the
///    image at −2k·f) vanish to below −80 dB for drifts up to ±0.5 Hz.
/// 2. *Track and smooth* at the knot rate (about 50–60 per second): the fundamental's drift from the harmonics'
///    phase advances, then per harmonic a robust zero-phase envelope (level-weighted, then bisquare-weighted
///    local fits), which skips stretches where a voice's harmonic sits on the hum's and interpolates the hum
///    through them from the hum-only stretches around.
/// 3. *Resynthesise and subtract.* Per frame, the sum over harmonics of 2·Re(ĥₖ(t)·e^{ik(ω·t + θ(t))}) with the
///    envelope ĥₖ and the drift phase θ interpolated linearly between knots (a recursive oscillator per harmonic),
///    subtracted from the input delayed by ``latencyFrames``.
///
/// - Latency: ``latencyFrames`` = (lookahead knots + 2) × D: the envelope at a frame is fitted over about 2.2 s
///   either side of it (≈ 2.3 s, 110 000 frames at 48 kHz). Output is sample-aligned once the caller compensates
///   the latency (``AudioProcessor/processAligned(_:blockFrames:)``, FileJob). ``flush(into:)`` marks the end of
///   the stream and drains it; use it (not zeros through `process`): knots past the end are not used.
/// - Channels: the drift is tracked once for all channels (hum is common to a poly file's tracks); envelopes are
///   fitted per channel.
/// - Streaming: blocks of any size; the output does not depend on the split. Streams shorter than 2·D frames are
///   passed through unchanged (no knot is wholly inside them).
/// - Cost: per frame and harmonic about a dozen float operations, vectorised 8 harmonics at a time.
/// - Allocation: in ``prepare(for:)`` only; `process`, `flush` and `reset` do not allocate, lock or throw.
/// - Threading: not thread-safe; one remover per stream.
public final class HumRemover: AudioProcessor {
    /// The settings.
    public let configuration: HumRemoverConfiguration

    /// Delay in frames between input and output; valid after ``prepare(for:)``.
    public private(set) var latencyFrames: Int = 0
    /// Harmonic numbers being removed; valid after ``prepare(for:)``.
    public private(set) var harmonicNumbers: [Int] = []
    /// Frames per knot (one hum period, rounded); valid after ``prepare(for:)``.
    public private(set) var decimationFrames: Int = 0
    /// The tracked fundamental in hertz at the most recently subtracted knot (nil before any).
    public var trackedFundamentalHertz: Double? {
        guard let tracker, synthesisKnot >= 0 else { return nil }
        return nominalHertz + tracker.driftAdvance(knot: synthesisKnot) * sampleRate
            / (2 * Double.pi * Double(decimationFrames))
    }

    private var tracker: HumEnvelopeTracker?
    private var sampleRate = 0.0
    private var nominalHertz = 0.0
    private var channelCount = 0
    private var groups = 0
    private var paddedCount = 0
    // Analysis: oscillator (shared by the channels) and two accumulators per channel.
    private var analysisRe: UnsafeMutablePointer<SIMD8<Float>>?
    private var analysisIm: UnsafeMutablePointer<SIMD8<Float>>?
    private var analysisStepRe: UnsafeMutablePointer<SIMD8<Float>>?
    private var analysisStepIm: UnsafeMutablePointer<SIMD8<Float>>?
    private var currentRe: UnsafeMutablePointer<SIMD8<Float>>?
    private var currentIm: UnsafeMutablePointer<SIMD8<Float>>?
    private var nextRe: UnsafeMutablePointer<SIMD8<Float>>?
    private var nextIm: UnsafeMutablePointer<SIMD8<Float>>?
    // Synthesis: oscillator and per-channel envelope with its per-frame increment.
    private var synthesisRe: UnsafeMutablePointer<SIMD8<Float>>?
    private var synthesisIm: UnsafeMutablePointer<SIMD8<Float>>?
    private var synthesisStepRe: UnsafeMutablePointer<SIMD8<Float>>?
    private var synthesisStepIm: UnsafeMutablePointer<SIMD8<Float>>?
    private var envelopeRe: UnsafeMutablePointer<SIMD8<Float>>?
    private var envelopeIm: UnsafeMutablePointer<SIMD8<Float>>?
    private var envelopeStepRe: UnsafeMutablePointer<SIMD8<Float>>?
    private var envelopeStepIm: UnsafeMutablePointer<SIMD8<Float>>?
    /// Phasor powers e^{ikα} for k = 0…highest harmonic (scratch for anchoring oscillators).
    private var powersRe: UnsafeMutablePointer<Double>?
    private var powersIm: UnsafeMutablePointer<Double>?
    private var knotRe: UnsafeMutablePointer<Float>?
    private var knotIm: UnsafeMutablePointer<Float>?
    private var delay: UnsafeMutablePointer<Float>?
    private var delayFrames = 0
    private var delayPosition = 0
    // Stream position.
    private var inputFrame = 0
    private var endFrame = Int.max
    private var synthesisKnot = -1

    /// Creates a remover; call ``prepare(for:)`` before processing.
    public init(configuration: HumRemoverConfiguration) {
        self.configuration = configuration
    }

    deinit { deallocate() }

    private func deallocate() {
        for p in [analysisRe, analysisIm, analysisStepRe, analysisStepIm, currentRe, currentIm, nextRe, nextIm,
                  synthesisRe, synthesisIm, synthesisStepRe, synthesisStepIm, envelopeRe, envelopeIm,
                  envelopeStepRe, envelopeStepIm] { p?.deallocate() }
        powersRe?.deallocate(); powersIm?.deallocate()
        knotRe?.deallocate(); knotIm?.deallocate()
        delay?.deallocate()
    }

    /// Allocates all state.
    /// - Throws: ``ScrimError`` `.configuration` for an invalid spec, a fundamental outside 1 Hz…sampleRate/4,
    ///   a negative drift, harmonic numbers below 1, or when no harmonic fits below the frequency limit.
    public func prepare(for spec: ProcessSpec) throws {
        try spec.validate()
        let f0 = configuration.fundamentalHertz
        guard f0.isFinite, f0 >= 1, f0 <= spec.sampleRate / 4 else {
            throw ScrimError(.configuration, "hum fundamental \(f0) Hz is out of range: use 1 Hz to a quarter "
                             + "of the sample rate, e.g. 50 or 60")
        }
        guard configuration.maximumDriftHertz.isFinite, configuration.maximumDriftHertz >= 0,
              configuration.maximumDriftHertz < f0 / 4 else {
            throw ScrimError(.configuration, "maximum drift \(configuration.maximumDriftHertz) Hz must be from 0 to "
                             + "a quarter of the fundamental, e.g. 1")
        }
        if let numbers = configuration.harmonicNumbers, numbers.contains(where: { $0 < 1 }) {
            throw ScrimError(.configuration, "harmonic numbers must be 1 or more, got \(numbers)")
        }
        let top = min(configuration.maximumFrequencyHertz, 0.45 * spec.sampleRate)
        let candidates = configuration.harmonicNumbers ?? Array(1...max(1, Int(top / f0)))
        let numbers = Array(Set(candidates.filter { Double($0) * f0 <= top })).sorted()
        guard !numbers.isEmpty else {
            throw ScrimError(.configuration, "no harmonic of \(f0) Hz lies below \(top) Hz; "
                             + "raise the frequency limit or check the fundamental")
        }
        deallocate()
        sampleRate = spec.sampleRate
        nominalHertz = f0
        channelCount = spec.channelCount
        harmonicNumbers = numbers
        let d = max(4, Int((spec.sampleRate / f0).rounded()))
        decimationFrames = d
        let tracker = HumEnvelopeTracker(harmonics: numbers, channelCount: channelCount,
                                         knotRate: spec.sampleRate / Double(d), decimationFrames: d,
                                         maximumDriftHertz: configuration.maximumDriftHertz)
        self.tracker = tracker
        groups = (numbers.count + 7) / 8
        paddedCount = groups * 8
        func vectors(_ count: Int) -> UnsafeMutablePointer<SIMD8<Float>> {
            let p = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: count)
            p.initialize(repeating: .zero, count: count)
            return p
        }
        analysisRe = vectors(groups); analysisIm = vectors(groups)
        analysisStepRe = vectors(groups); analysisStepIm = vectors(groups)
        synthesisRe = vectors(groups); synthesisIm = vectors(groups)
        synthesisStepRe = vectors(groups); synthesisStepIm = vectors(groups)
        let perChannel = groups * channelCount
        currentRe = vectors(perChannel); currentIm = vectors(perChannel)
        nextRe = vectors(perChannel); nextIm = vectors(perChannel)
        envelopeRe = vectors(perChannel); envelopeIm = vectors(perChannel)
        envelopeStepRe = vectors(perChannel); envelopeStepIm = vectors(perChannel)
        let highest = (numbers.last ?? 1) + 1
        powersRe = .allocate(capacity: highest); powersIm = .allocate(capacity: highest)
        powersRe?.initialize(repeating: 0, count: highest); powersIm?.initialize(repeating: 0, count: highest)
        knotRe = .allocate(capacity: paddedCount * channelCount)
        knotIm = .allocate(capacity: paddedCount * channelCount)
        knotRe?.initialize(repeating: 0, count: paddedCount * channelCount)
        knotIm?.initialize(repeating: 0, count: paddedCount * channelCount)
        latencyFrames = (tracker.lookaheadKnots + 2) * d
        delayFrames = latencyFrames
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: delayFrames * channelCount)
        storage.initialize(repeating: 0, count: delayFrames * channelCount)
        delay = storage
        reset()
    }

    /// Clears all stream state, keeping the preparation. Does not allocate.
    public func reset() {
        guard let tracker else { return }
        tracker.reset()
        for p in [currentRe, currentIm, nextRe, nextIm, envelopeRe, envelopeIm, envelopeStepRe, envelopeStepIm] {
            p?.update(repeating: .zero, count: groups * channelCount)
        }
        delay?.update(repeating: 0, count: delayFrames * channelCount)
        delayPosition = 0
        inputFrame = 0
        endFrame = Int.max
        synthesisKnot = -1
        anchorAnalysis(knot: 0)
    }

    /// Sets `powers[k]` = e^{ik·angle} for k = 0…highest, by repeated multiplication in double precision.
    private func fillPowers(angle: Double) {
        guard let powersRe, let powersIm else { return }
        let c = cos(angle), s = sin(angle)
        powersRe[0] = 1
        powersIm[0] = 0
        let highest = harmonicNumbers.last ?? 1
        for k in 1...highest {
            powersRe[k] = powersRe[k - 1] * c - powersIm[k - 1] * s
            powersIm[k] = powersRe[k - 1] * s + powersIm[k - 1] * c
        }
    }

    /// Copies `powers[k]` for the harmonics into SIMD lanes (unused lanes zero).
    private func scatterPowers(re: UnsafeMutablePointer<SIMD8<Float>>, im: UnsafeMutablePointer<SIMD8<Float>>) {
        guard let powersRe, let powersIm else { return }
        let fr = UnsafeMutableRawPointer(re).assumingMemoryBound(to: Float.self)
        let fi = UnsafeMutableRawPointer(im).assumingMemoryBound(to: Float.self)
        for i in 0..<paddedCount {
            if i < harmonicNumbers.count {
                fr[i] = Float(powersRe[harmonicNumbers[i]])
                fi[i] = Float(powersIm[harmonicNumbers[i]])
            } else {
                fr[i] = 0
                fi[i] = 0
            }
        }
    }

    /// The nominal phase of the fundamental at the start of knot interval `knot` (frame knot·D), in radians.
    private func nominalPhase(knot: Int) -> Double {
        let cycles = nominalHertz * Double(knot) * Double(decimationFrames) / sampleRate
        return 2 * Double.pi * (cycles - cycles.rounded(.down))
    }

    private func anchorAnalysis(knot: Int) {
        guard let analysisRe, let analysisIm, let analysisStepRe, let analysisStepIm else { return }
        fillPowers(angle: nominalPhase(knot: knot))
        scatterPowers(re: analysisRe, im: analysisIm)
        fillPowers(angle: 2 * Double.pi * nominalHertz / sampleRate)
        scatterPowers(re: analysisStepRe, im: analysisStepIm)
    }

    /// Loads knots `knot` and `knot + 1` for synthesising frames knot·D ..< (knot + 1)·D.
    private func anchorSynthesis(knot: Int) {
        guard let tracker, let synthesisRe, let synthesisIm, let synthesisStepRe, let synthesisStepIm,
              let envelopeRe, let envelopeIm, let envelopeStepRe, let envelopeStepIm else { return }
        synthesisKnot = knot
        let theta0 = tracker.driftPhase(knot: knot), theta1 = tracker.driftPhase(knot: knot + 1)
        fillPowers(angle: nominalPhase(knot: knot) + theta0)
        scatterPowers(re: synthesisRe, im: synthesisIm)
        fillPowers(angle: 2 * Double.pi * nominalHertz / sampleRate + (theta1 - theta0) / Double(decimationFrames))
        scatterPowers(re: synthesisStepRe, im: synthesisStepIm)
        let perFrame = 1 / Float(decimationFrames)
        for c in 0..<channelCount {
            let er = UnsafeMutableRawPointer(envelopeRe + c * groups).assumingMemoryBound(to: Float.self)
            let ei = UnsafeMutableRawPointer(envelopeIm + c * groups).assumingMemoryBound(to: Float.self)
            let sr = UnsafeMutableRawPointer(envelopeStepRe + c * groups).assumingMemoryBound(to: Float.self)
            let si = UnsafeMutableRawPointer(envelopeStepIm + c * groups).assumingMemoryBound(to: Float.self)
            for h in 0..<harmonicNumbers.count {
                let (aRe, aIm) = tracker.envelope(knot: knot, channel: c, harmonic: h)
                let (bRe, bIm) = tracker.envelope(knot: knot + 1, channel: c, harmonic: h)
                // 2·Re(ĥ·e^{iΦ}) is the hum; the factor 2 goes into the envelope.
                er[h] = 2 * aRe
                ei[h] = 2 * aIm
                sr[h] = 2 * (bRe - aRe) * perFrame
                si[h] = 2 * (bIm - aIm) * perFrame
            }
        }
    }

    /// Removes the hum from `block` in place (output delayed by ``latencyFrames``). Does not allocate.
    public func process(_ block: AudioBlock) {
        guard let tracker, let delay, let analysisRe, let analysisIm, let analysisStepRe, let analysisStepIm,
              let currentRe, let currentIm, let nextRe, let nextIm, let synthesisRe, let synthesisIm,
              let synthesisStepRe, let synthesisStepIm, let envelopeRe, let envelopeIm, let envelopeStepRe,
              let envelopeStepIm, let knotRe, let knotIm else {
            preconditionFailure("HumRemover.process called before prepare(for:)")
        }
        precondition(block.channelCount == channelCount,
                     "block has \(block.channelCount) channels, HumRemover prepared for \(channelCount)")
        let d = decimationFrames
        let g = groups
        let inverseD = 1 / Float(d)
        let residualOutput = configuration.output == .residual
        var offset = 0
        while offset < block.frameCount {
            let position = inputFrame % d
            let run = min(d - position, block.frameCount - offset)
            let outputFrame = inputFrame - latencyFrames
            if position == 0 && outputFrame >= 0 { anchorSynthesis(knot: outputFrame / d) }
            let synthesising = outputFrame >= 0
            for i in 0..<run {
                let t = Float(position + i) * inverseD
                for c in 0..<channelCount {
                    let samples = block.channel(c)
                    let x = samples[offset + i]
                    // Analysis: this frame weighs 1 − t in the current knot and t in the next.
                    let xc = SIMD8<Float>(repeating: x * (1 - t)), xn = SIMD8<Float>(repeating: x * t)
                    let cr = currentRe + c * g, ci = currentIm + c * g, nr = nextRe + c * g, ni = nextIm + c * g
                    for j in 0..<g {
                        let oRe = analysisRe[j], oIm = analysisIm[j]
                        cr[j] += xc * oRe
                        ci[j] -= xc * oIm
                        nr[j] += xn * oRe
                        ni[j] -= xn * oIm
                    }
                    // Delay line and synthesis.
                    let line = delay + c * delayFrames
                    let delayed = line[delayPosition]
                    line[delayPosition] = x
                    var out = delayed
                    if synthesising {
                        let er = envelopeRe + c * g, ei = envelopeIm + c * g
                        let sr = envelopeStepRe + c * g, si = envelopeStepIm + c * g
                        var sum = SIMD8<Float>.zero
                        for j in 0..<g {
                            sum += er[j] * synthesisRe[j] - ei[j] * synthesisIm[j]
                            er[j] += sr[j]
                            ei[j] += si[j]
                        }
                        let hum = sum.sum()
                        out = residualOutput ? hum : delayed - hum
                    } else if residualOutput {
                        out = 0
                    }
                    samples[offset + i] = out
                }
                delayPosition += 1
                if delayPosition == delayFrames { delayPosition = 0 }
                for j in 0..<g {
                    let re = analysisRe[j], im = analysisIm[j], sRe = analysisStepRe[j], sIm = analysisStepIm[j]
                    analysisRe[j] = re * sRe - im * sIm
                    analysisIm[j] = re * sIm + im * sRe
                }
                if synthesising {
                    for j in 0..<g {
                        let re = synthesisRe[j], im = synthesisIm[j]
                        let sRe = synthesisStepRe[j], sIm = synthesisStepIm[j]
                        synthesisRe[j] = re * sRe - im * sIm
                        synthesisIm[j] = re * sIm + im * sRe
                    }
                }
            }
            inputFrame += run
            offset += run
            if inputFrame % d == 0 {
                // Knot m = inputFrame / d − 1 is complete: its triangle spans frames (m − 1)·D ..< (m + 1)·D.
                let knot = inputFrame / d - 1
                for c in 0..<channelCount {
                    let kr = UnsafeMutableRawPointer(currentRe + c * g).assumingMemoryBound(to: Float.self)
                    let ki = UnsafeMutableRawPointer(currentIm + c * g).assumingMemoryBound(to: Float.self)
                    for h in 0..<paddedCount {
                        knotRe[c * paddedCount + h] = kr[h] * inverseD
                        knotIm[c * paddedCount + h] = ki[h] * inverseD
                    }
                    for j in 0..<g {
                        currentRe[c * g + j] = nextRe[c * g + j]
                        currentIm[c * g + j] = nextIm[c * g + j]
                        nextRe[c * g + j] = .zero
                        nextIm[c * g + j] = .zero
                    }
                }
                let isValid = knot >= 1 && (knot + 1) * d <= endFrame
                tracker.arrive(re: knotRe, im: knotIm, stride: paddedCount, isValid: isValid)
                anchorAnalysis(knot: knot + 1)
            }
        }
    }

    /// Marks the end of the stream (on the first call) and writes the next `block.frameCount` frames of the
    /// delayed output. Call with consecutive blocks totalling ``latencyFrames`` frames. Does not allocate.
    public func flush(into block: AudioBlock) {
        if endFrame == Int.max { endFrame = inputFrame }
        block.clear()
        process(block)
    }
}
