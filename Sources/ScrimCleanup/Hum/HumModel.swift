import Foundation
import ScrimCore
import ScrimSpectral

/// The state shared by ``HumRemover``'s two passes: per-frame harmonic fits and frequency measurements in a
/// ring indexed by hop, the frequency tracker, and the fitting and subtraction arithmetic.
///
/// Conventions. Spectra are referenced to the frame centre: X̃[k] = (−1)^k · X[k] for the FFT bin X[k] of a frame
/// (FFT origin at its first sample, centre at fftSize/2). A harmonic near the frame is modelled as
/// s(n) = 2·Re(B·e^{iω(n − N/2)}), whose centre-referenced spectrum is B·W̃(k − δ) (``HannLobe``) around bin
/// δ = ωN/2π; its negative-frequency image is at least 2·δ bins away (≥ 30 bins for 45 Hz at 48 kHz, where W̃ is
/// below −100 dB) and is neglected. B's phase is the harmonic's phase at the frame centre.
/// Allocates in `init`; every other method is allocation-free.
final class HumModel {
    let fftSize: Int
    let hopSize: Int
    let binCount: Int
    let sampleRate: Double
    let channelCount: Int
    let lookaheadHops: Int
    let harmonics: [Int]
    let nominalHertz: Double
    let maximumDriftHertz: Double
    let output: HumRemoverOutput
    let lobe: HannLobe
    /// Σ j²·w(j)² / Σ w(j)² of the analysis window (j from its centre, in samples²): how much a level's
    /// curvature across the frame leaks into a plain lobe fit (see ``robustLevel``).
    let curvatureLeak: Double

    /// Bins each side of a harmonic used for fitting: the Hann main lobe is ±2 bins; ±3 takes in > 99.99 % of
    /// the lobe's energy.
    static let fitHalfWidth = 3
    /// Bins each side of a harmonic that are subtracted: W̃ at 9 bins is below −70 dB of its peak
    /// (|W̃(δ)|/W̃(0) ≈ 1/(π·δ·(δ² − 1))), so the neglected tail is under −70 dB.
    static let subtractHalfWidth = 8
    /// Frames of fits and measurements kept: 2 × lookahead behind, one hop of slack ahead, plus the
    /// predictor's history (``predictionHistory``).
    let ringSize: Int
    /// Half-weight distance, in hops, of the frequency measurements that give a frame its frequency: a straight
    /// line is fitted to those within ±lookahead hops, weighted 1/(1 + (Δ/6)⁴) in their distance Δ (6 hops, 1 s
    /// at 48 kHz: the clean measurements of pauses a second away outvote the noisier ones of the speech between;
    /// chosen on the quality corpus over 3, where the track wandered ±0.015 Hz under a voice on the harmonics).
    /// Wider tapers scored better on the corpus, whose drift is a straight line (with ``intervalJumpHertz`` at
    /// 0.1 Hz; hum left in pauses over the 35 files / SI-SDR improvement, whole and trimmed takes): 6 hops
    /// −52.7 dB / 30.6 / 19.5 dB, 9 hops −53.0 / 30.8 / 19.6, 12 hops −52.9 / 30.7 / 19.6. They follow a
    /// wobbling drift worse, though. On `samples/hum_take.wav` (±0.1 Hz over periods of 2.3 and 6.5 s), the hum
    /// left net of the input's other content, mean over half-second windows, went from −24.4 dB at 6 hops to
    /// −21.6 dB at 9. A generator's frequency wobbles like that, so 6 stays.
    static let frequencyTaperHops = 6.0
    /// How far, in hertz, an interval's measurement may jump from the prediction before it counts less: its weight
    /// is divided by 1 + (jump / this)². Mains frequency moves by hundredths of a hertz per second, so a larger jump
    /// is mostly a voice's harmonics moving through the lobes. The weights are relative, so hum that starts off
    /// the prediction is still followed. Chosen on the quality corpus with the 6-hop taper (the same measures as
    /// ``frequencyTaperHops``): 0.025 Hz −52.6 dB / 30.3 / 19.4 dB, 0.05 Hz −52.4 / 30.5 / 19.5, 0.1 Hz −52.7 /
    /// 30.6 / 19.5. On `samples/hum_take.wav`'s wobbling drift, 0.05 and 0.1 Hz leave the same (−24.4 and
    /// −24.3 dB).
    static let intervalJumpHertz = 0.1
    /// ``robustLevel`` weights each frame's fit by how cleanly it stands above what is not hum: by
    /// min(1, cleanShortfall / (1 − purity)), so with 10⁻⁴ a fit whose lobe is 20 dB above the rest counts a
    /// hundredth of one 40 dB above it (inverse-variance weighting: speech under a harmonic biases the fit in
    /// proportion). ``HumRemover/steadyLevelCleanShortfall`` (10⁻⁴; on the quality corpus 10⁻³ and 10⁻⁵ were
    /// worse), or ``HumRemover/varyingLevelCleanShortfall`` for a hum whose level changes.
    let cleanShortfall: Double
    /// ``robustLevel``'s local correction: frames whose log-deviation from the smooth model is under about this
    /// (nepers and radians together; 0.15 ≈ 1.3 dB or 9°) count as hum alone (chosen on the quality corpus: the
    /// swell's model error is under 0.05, a voice on a harmonic mostly over 0.3).
    static let localAgreement = 0.15
    /// Spread (standard deviation) of the local correction's Gaussian weight in hops (1.5: 0.26 s at 48 kHz, so
    /// the frame itself and its neighbours dominate).
    static let localSpreadHops = 1.5
    /// Ridge of the local correction, in units of one clean frame's weight.
    static let localRidge = 0.05
    /// The least confidence an interval's frequency measurement needs to be kept (see ``measureInterval``).
    /// Chosen on the quality corpus (hum left in pauses over the 35 de-hum files / mean SI-SDR improvement on
    /// the trimmed takes, `Benchmarks/quality/dehum_trimmed.py`): 0.05 −51.4 dB / 18.2 dB, 0.02 −51.6 / 18.5,
    /// 0.005 −52.4 / 19.5, 0.002 −52.4 / 19.5, 0 −52.3 / 19.6. Whole takes' SI-SDR improvement is unchanged
    /// (30.5 dB); the swell files gain most in pauses (−35.7 → −42.0 dB).
    static let minimumIntervalConfidence = 0.005
    /// Frequency measurements the causal predictor fits (about 1.4 s at 48 kHz).
    static let predictionHistory = 8
    /// Per-hop forgetting factor of the causal predictor.
    static let predictionForgetting = 0.8
    // Ring storage, slot = frame % ringSize. Fits: [slot][channel][harmonic].
    private let fitReal: UnsafeMutablePointer<Float>
    private let fitImag: UnsafeMutablePointer<Float>
    private let fitPurity: UnsafeMutablePointer<Float>
    /// Purity counting a level that changes linearly through the frame as hum too (see ``fit``).
    private let fitRampPurity: UnsafeMutablePointer<Float>
    /// What ``robustLevel`` needs of each fit that does not depend on the frame it is carried to, computed once
    /// when the fit is stored: log |fit| (−∞ for a zero fit), its phase, purity⁴ and the cleanness weight
    /// min(1, ``cleanShortfall`` / (1 − ramp purity)).
    private let fitLog: UnsafeMutablePointer<Double>
    private let fitPhase: UnsafeMutablePointer<Double>
    private let fitPurity4: UnsafeMutablePointer<Double>
    private let fitClean: UnsafeMutablePointer<Double>
    private let stateReal: UnsafeMutablePointer<Float>
    private let stateImag: UnsafeMutablePointer<Float>
    private let stateValid: UnsafeMutablePointer<Bool>
    /// How far the tracked state rests on clean fits, 0…1: a new state starts at ``firstConfirmation``, each update
    /// adds its ``confirmation``'s share of what is missing (t ← t + confirmation·(1 − t)). A take that starts on
    /// a word starts its states on voiced fits, which coast unconfirmed; the state is subtracted scaled by its
    /// trust, so an unconfirmed one takes out little (confirmed ones, as after a hum-only lead-in, are 1).
    /// On the quality corpus's trimmed takes: mean SI-SDR improvement 16.1 dB with it, 14.9 dB without.
    private let stateTrust: UnsafeMutablePointer<Float>
    private let frameFull: UnsafeMutablePointer<Bool>
    private let framePredictedHertz: UnsafeMutablePointer<Double>
    private let intervalHertz: UnsafeMutablePointer<Double>
    private let intervalWeight: UnsafeMutablePointer<Double>
    /// Scratch for ``measureInterval``, one entry per harmonic and channel: each one's frequency offset (Hz),
    /// weight, and phase change per hertz of offset over a hop (radians).
    private let harmonicOffset: UnsafeMutablePointer<Double>
    private let harmonicWeight: UnsafeMutablePointer<Double>
    private let harmonicRadiansPerHertz: UnsafeMutablePointer<Double>
    /// The estimation pass's spectra of the last ``spectrumSlots`` frames, [slot][channel][bin], handed to the
    /// subtraction pass (which sees the same frames lookaheadHops later) instead of transforming them again.
    private let storedReal: UnsafeMutablePointer<Float>
    private let storedImag: UnsafeMutablePointer<Float>
    let spectrumSlots: Int
    /// Copy of a spectrum for residual output.
    private let spectrumCopy: UnsafeMutablePointer<Float>
    /// Scratch for ``robustLevel``, one entry per frame of the ±lookahead window: the fits carried to the
    /// window's centre (re, im), their log-magnitudes and phases, prior and current weights.
    private let windowReal: UnsafeMutablePointer<Double>
    private let windowImag: UnsafeMutablePointer<Double>
    private let windowLog: UnsafeMutablePointer<Double>
    private let windowPhase: UnsafeMutablePointer<Double>
    private let windowPrior: UnsafeMutablePointer<Double>
    private let windowWeight: UnsafeMutablePointer<Double>
    private let windowClean: UnsafeMutablePointer<Double>
    /// Each harmonic's amplitude in the hum's profile (``HumRemoverConfiguration/harmonicProfileDecibels``), in
    /// fit units (half the peak amplitude), or 0 where the profile does not give it.
    private let profile: UnsafeMutablePointer<Float>
    /// Harmonics with a profile amplitude.
    private let profileCount: Int
    /// Scratch for ``profileGain``, one entry per harmonic.
    private let ratioScratch: UnsafeMutablePointer<Float>
    /// exp(−d²/(2·``localSpreadHops``²)) for d = −lookahead…lookahead.
    private let localKernel: UnsafeMutablePointer<Double>
    /// ``levelCap``'s factor at |d| = 0…lookahead hops from the frame: 10^((``capMarginDecibels`` +
    /// ``capGrowthDecibelsPerHop``·|d|)/20), as Float (computed once: it was a `pow` per frame and harmonic).
    private let capFactor: UnsafeMutablePointer<Float>

    /// Newest frame fitted by the estimation pass (−1 before any).
    private(set) var lastEstimated = -1
    /// Stream frame at which input ends (Int.max until the remover is flushed).
    var endFrame = Int.max
    /// The frequency used for the latest subtracted frame.
    private(set) var lastSubtractionHertz: Double?

    init(configuration: HumRemoverConfiguration, sampleRate: Double, channelCount: Int, fftSize: Int, hopSize: Int,
         lookaheadHops: Int) {
        self.fftSize = fftSize
        self.hopSize = hopSize
        self.binCount = fftSize / 2 + 1
        self.sampleRate = sampleRate
        self.channelCount = channelCount
        self.lookaheadHops = lookaheadHops
        self.nominalHertz = configuration.fundamentalHertz
        self.maximumDriftHertz = configuration.maximumDriftHertz
        self.output = configuration.output
        cleanShortfall = configuration.levelVaries ? HumRemover.varyingLevelCleanShortfall
            : HumRemover.steadyLevelCleanShortfall
        let top = min(configuration.maximumFrequencyHertz, 0.45 * sampleRate)
        let highestF0 = configuration.fundamentalHertz + configuration.maximumDriftHertz
        let binHertz = sampleRate / Double(fftSize)
        let candidates = configuration.harmonicNumbers.map { Array(Set($0)).sorted() }
            ?? Array(1...max(1, Int(top / max(configuration.fundamentalHertz, 1))))
        harmonics = candidates.filter { h in
            // The limit applies at the starting fundamental (a harmonic just under it stays in when the hum
            // drifts up); the FFT's range at the highest reachable one.
            let f = Double(h) * configuration.fundamentalHertz
            let lowBin = Double(h) * (configuration.fundamentalHertz - configuration.maximumDriftHertz) / binHertz
            return f <= top && lowBin - Double(Self.subtractHalfWidth) >= 1
                && Double(h) * highestF0 / binHertz + Double(Self.subtractHalfWidth) <= Double(fftSize / 2 - 1)
        }
        lobe = HannLobe(fftSize: fftSize, extentBins: Self.subtractHalfWidth + 1)
        let harmonicCount = max(harmonics.count, 1)
        profile = .allocate(capacity: harmonicCount)
        profile.initialize(repeating: 0, count: harmonicCount)
        ratioScratch = .allocate(capacity: harmonicCount)
        ratioScratch.initialize(repeating: 0, count: harmonicCount)
        var profiled = 0
        for (index, h) in harmonics.enumerated() {
            if let level = configuration.harmonicProfileDecibels?[h], level.isFinite {
                // A peak amplitude A is 2|B| in the fit's units (s(n) = 2·Re(B·e^{iωn})).
                profile[index] = Float(0.5 * pow(10, level / 20))
                profiled += 1
            }
        }
        profileCount = profiled
        var moment = 0.0, energy = 0.0
        for n in 0..<fftSize {
            let w = 0.5 - 0.5 * cos(2 * Double.pi * Double(n) / Double(fftSize))
            let j = Double(n - fftSize / 2)
            moment += j * j * w * w
            energy += w * w
        }
        curvatureLeak = moment / energy
        ringSize = 2 * lookaheadHops + 2 + Self.predictionHistory
        let fitCount = ringSize * channelCount * max(harmonics.count, 1)
        fitReal = .allocate(capacity: fitCount)
        fitImag = .allocate(capacity: fitCount)
        fitPurity = .allocate(capacity: fitCount)
        fitRampPurity = .allocate(capacity: fitCount)
        fitLog = .allocate(capacity: fitCount)
        fitPhase = .allocate(capacity: fitCount)
        fitPurity4 = .allocate(capacity: fitCount)
        fitClean = .allocate(capacity: fitCount)
        stateReal = .allocate(capacity: fitCount)
        stateImag = .allocate(capacity: fitCount)
        stateValid = .allocate(capacity: fitCount)
        stateTrust = .allocate(capacity: fitCount)
        frameFull = .allocate(capacity: ringSize)
        framePredictedHertz = .allocate(capacity: ringSize)
        intervalHertz = .allocate(capacity: ringSize)
        intervalWeight = .allocate(capacity: ringSize)
        spectrumCopy = .allocate(capacity: 2 * binCount)
        spectrumSlots = lookaheadHops + 2
        storedReal = .allocate(capacity: spectrumSlots * channelCount * binCount)
        storedImag = .allocate(capacity: spectrumSlots * channelCount * binCount)
        storedReal.initialize(repeating: 0, count: spectrumSlots * channelCount * binCount)
        storedImag.initialize(repeating: 0, count: spectrumSlots * channelCount * binCount)
        let perFrame = channelCount * max(harmonics.count, 1)
        harmonicOffset = .allocate(capacity: perFrame)
        harmonicWeight = .allocate(capacity: perFrame)
        harmonicRadiansPerHertz = .allocate(capacity: perFrame)
        for buffer in [harmonicOffset, harmonicWeight, harmonicRadiansPerHertz] {
            buffer.initialize(repeating: 0, count: perFrame)
        }
        let windowCount = 2 * lookaheadHops + 1
        windowReal = .allocate(capacity: windowCount)
        windowImag = .allocate(capacity: windowCount)
        windowLog = .allocate(capacity: windowCount)
        windowPhase = .allocate(capacity: windowCount)
        windowPrior = .allocate(capacity: windowCount)
        windowWeight = .allocate(capacity: windowCount)
        windowClean = .allocate(capacity: windowCount)
        localKernel = .allocate(capacity: windowCount)
        for w in 0..<windowCount {
            let d = Double(w - lookaheadHops)
            (localKernel + w).initialize(to: exp(-0.5 * d * d / (Self.localSpreadHops * Self.localSpreadHops)))
        }
        for buffer in [windowReal, windowImag, windowLog, windowPhase, windowPrior, windowWeight, windowClean] {
            buffer.initialize(repeating: 0, count: windowCount)
        }
        capFactor = .allocate(capacity: lookaheadHops + 1)
        for d in 0...lookaheadHops {
            let allowance = Self.capMarginDecibels + Self.capGrowthDecibelsPerHop * Double(d)
            (capFactor + d).initialize(to: Float(pow(10, allowance / 20)))
        }
        fitReal.initialize(repeating: 0, count: fitCount)
        fitImag.initialize(repeating: 0, count: fitCount)
        fitPurity.initialize(repeating: 0, count: fitCount)
        fitRampPurity.initialize(repeating: 0, count: fitCount)
        fitLog.initialize(repeating: -.infinity, count: fitCount)
        fitPhase.initialize(repeating: 0, count: fitCount)
        fitPurity4.initialize(repeating: 0, count: fitCount)
        fitClean.initialize(repeating: 0, count: fitCount)
        stateReal.initialize(repeating: 0, count: fitCount)
        stateImag.initialize(repeating: 0, count: fitCount)
        stateValid.initialize(repeating: false, count: fitCount)
        stateTrust.initialize(repeating: 0, count: fitCount)
        frameFull.initialize(repeating: false, count: ringSize)
        framePredictedHertz.initialize(repeating: nominalHertz, count: ringSize)
        intervalHertz.initialize(repeating: nominalHertz, count: ringSize)
        intervalWeight.initialize(repeating: 0, count: ringSize)
        spectrumCopy.initialize(repeating: 0, count: 2 * binCount)
    }

    deinit {
        fitReal.deallocate(); fitImag.deallocate(); fitPurity.deallocate(); fitRampPurity.deallocate()
        fitLog.deallocate(); fitPhase.deallocate(); fitPurity4.deallocate(); fitClean.deallocate()
        stateReal.deallocate(); stateImag.deallocate(); stateValid.deallocate(); stateTrust.deallocate()
        frameFull.deallocate(); framePredictedHertz.deallocate()
        intervalHertz.deallocate(); intervalWeight.deallocate()
        spectrumCopy.deallocate()
        storedReal.deallocate(); storedImag.deallocate()
        for buffer in [harmonicOffset, harmonicWeight, harmonicRadiansPerHertz] { buffer.deallocate() }
        localKernel.deallocate()
        capFactor.deallocate()
        profile.deallocate(); ratioScratch.deallocate()
        for buffer in [windowReal, windowImag, windowLog, windowPhase, windowPrior, windowWeight, windowClean] {
            buffer.deallocate()
        }
    }

    func reset() {
        lastEstimated = -1
        endFrame = Int.max
        lastSubtractionHertz = nil
        frameFull.update(repeating: false, count: ringSize)
        stateValid.update(repeating: false, count: ringSize * channelCount * max(harmonics.count, 1))
        stateTrust.update(repeating: 0, count: ringSize * channelCount * max(harmonics.count, 1))
        intervalWeight.update(repeating: 0, count: ringSize)
        framePredictedHertz.update(repeating: nominalHertz, count: ringSize)
    }

    // MARK: fitting

    /// Linear extrapolation of a harmonic's tracked state to frame `content` from the two nearest whole frames
    /// before it (at the end of a stream) or after it (at the start): (level re, im, change per sample re, im),
    /// at `content`'s centre phase, or nil when there are no two such frames.
    private func extrapolate(to content: Int, channel c: Int, index: Int, harmonic h: Int, hertz: Double)
        -> (Float, Float, Float, Float)? {
        let hc = harmonics.count
        var near = -1, far = -1
        for side in stride(from: -1, through: 1, by: 2) {
            var d = 1
            while d < ringSize {
                let candidate = content + side * d
                guard isStored(candidate) else { break }
                if frameFull[candidate % ringSize], isStored(candidate + side),
                   frameFull[(candidate + side) % ringSize] {
                    near = candidate
                    far = candidate + side
                    break
                }
                d += 1
            }
            if near >= 0 { break }
        }
        guard near >= 0 else { return nil }
        let n = ((near % ringSize) * channelCount + c) * hc + index
        let f = ((far % ringSize) * channelCount + c) * hc + index
        guard stateValid[n], stateValid[f] else { return nil }
        let radiansPerFrame = 2 * Double.pi * Double(h) * hertz * Double(hopSize) / sampleRate
        let (nRe, nIm) = Self.rotate(stateReal[n], stateImag[n], radiansPerFrame * Double(content - near))
        let (fRe, fIm) = Self.rotate(stateReal[f], stateImag[f], radiansPerFrame * Double(content - far))
        let steps = Float(content - near)
        // Change per hop, oriented forward in time.
        let direction: Float = far > near ? 1 : -1
        let perHopRe = (fRe - nRe) * direction, perHopIm = (fIm - nIm) * direction
        let trust = stateTrust[n]
        let levelRe = (nRe + perHopRe * steps) * trust, levelIm = (nIm + perHopIm * steps) * trust
        let scale = trust / Float(hopSize)
        return (levelRe, levelIm, perHopRe * scale, perHopIm * scale)
    }

    /// Least-squares fit of B·W̃(k − δ) + C·W̃′(k − δ) to the centre-referenced bins around δ = `binPosition`
    /// (W̃′ = dW̃/dδ: the lobe of a level changing linearly across the frame, see ``subtractLobe``), returning B
    /// and the share of those bins' energy the two terms explain (1 for a sinusoid whose level rises or falls
    /// steadily through the frame, near 0 for broadband content). W̃ is even and W̃′ odd about δ, so the two
    /// terms are nearly orthogonal and B is the level at the frame centre whether or not the level moves.
    @inline(__always)
    private func fit(real: UnsafeMutableBufferPointer<Float>, imag: UnsafeMutableBufferPointer<Float>,
                     binPosition: Double) -> (Float, Float, Float, Float) {
        let centre = Int(binPosition.rounded())
        let step = 1 / Double(HannLobe.stepsPerBin)
        var sLL: Float = 0, sLD: Float = 0, sDD: Float = 0
        var yLRe: Float = 0, yLIm: Float = 0, yDRe: Float = 0, yDIm: Float = 0, energy: Float = 0
        for k in (centre - Self.fitHalfWidth)...(centre + Self.fitHalfWidth) {
            let d = Double(k) - binPosition
            let l = lobe.value(atOffset: d)
            let dl = lobe.value(atOffset: d + step) - lobe.value(atOffset: d - step)
            let sign: Float = (k & 1) == 0 ? 1 : -1
            let re = sign * real[k], im = sign * imag[k]
            sLL += l * l; sLD += l * dl; sDD += dl * dl
            yLRe += re * l; yLIm += im * l
            yDRe += re * dl; yDIm += im * dl
            energy += re * re + im * im
        }
        guard sLL > 0 else { return (0, 0, 0, 0) }
        var bRe = yLRe / sLL, bIm = yLIm / sLL
        let explained = bRe * yLRe + bIm * yLIm
        var explainedWithRamp = explained
        let det = sLL * sDD - sLD * sLD
        if det > 1e-6 * sLL * sDD {
            bRe = (sDD * yLRe - sLD * yDRe) / det
            bIm = (sDD * yLIm - sLD * yDIm) / det
            let cRe = (sLL * yDRe - sLD * yLRe) / det, cIm = (sLL * yDIm - sLD * yLIm) / det
            explainedWithRamp = bRe * yLRe + cRe * yDRe + bIm * yLIm + cIm * yDIm
        }
        // Broadband content near the harmonic: mean energy of the bins just outside the lobe (4…7 bins away),
        // where a stationary sinusoid leaves less than −50 dB of its peak.
        var background: Float = 0
        for d in (Self.fitHalfWidth + 1)...(Self.fitHalfWidth + 4) {
            let below = centre - d, above = centre + d
            background += real[below] * real[below] + imag[below] * imag[below]
            background += real[above] * real[above] + imag[above] * imag[above]
        }
        background *= Float(2 * Self.fitHalfWidth + 1) / 8
        let total = max(energy, explained) + background
        guard total > 0 else { return (bRe, bIm, 0, 0) }
        return (bRe, bIm, explained / total, min(1, explainedWithRamp / total))
    }

    /// Subtracts the lobe of 2·Re((B + B′·j + Q·j²)·e^{iωj}), j = n − N/2, from the frame's bins around δ: the
    /// level B at the frame centre, its change B′ per sample and its curvature Q per sample² (a swell's bend, or
    /// the phase curvature of a drifting frequency: e^{iπκj²} ≈ 1 + iπκj² for a sweep of κ cycles/sample²). The
    /// ramp's centre-referenced transform is Σⱼ j·wⱼ·e^{−iθj} = i·dW̃/dθ = i·(N/2π)·dW̃/dδ, the curvature's
    /// −d²W̃/dθ² = −(N/2π)²·d²W̃/dδ², both taken from the table by central differences (steps of 1/512 and 1/16
    /// bin: the second difference needs the wider step to stay above the table's float rounding).
    @inline(__always)
    private func subtractLobe(real: UnsafeMutableBufferPointer<Float>, imag: UnsafeMutableBufferPointer<Float>,
                              binPosition: Double, bRe: Float, bIm: Float, slopeRe: Float, slopeIm: Float,
                              curveRe: Float = 0, curveIm: Float = 0) {
        let centre = Int(binPosition.rounded())
        let step = 1 / Double(HannLobe.stepsPerBin)
        let rampScale = Float(Double(fftSize) / (2 * Double.pi) / (2 * step))
        let hasRamp = slopeRe != 0 || slopeIm != 0
        let hasCurve = curveRe != 0 || curveIm != 0
        let curveStep = 1.0 / 16
        let radiansPerBin = Double(fftSize) / (2 * Double.pi)
        let curveScale = Float(-radiansPerBin * radiansPerBin / (curveStep * curveStep))
        for k in (centre - Self.subtractHalfWidth)...(centre + Self.subtractHalfWidth) {
            let d = Double(k) - binPosition
            let l = lobe.value(atOffset: d)
            var mRe = l * bRe, mIm = l * bIm
            if hasRamp {
                let derivative = (lobe.value(atOffset: d + step) - lobe.value(atOffset: d - step)) * rampScale
                mRe -= derivative * slopeIm
                mIm += derivative * slopeRe
            }
            if hasCurve {
                let second = (lobe.value(atOffset: d + curveStep) - 2 * l + lobe.value(atOffset: d - curveStep))
                    * curveScale
                mRe += second * curveRe
                mIm += second * curveIm
            }
            if (k & 1) == 0 {
                real[k] -= mRe
                imag[k] -= mIm
            } else {
                real[k] += mRe
                imag[k] += mIm
            }
        }
    }

    /// The phase curvature of harmonic `h` on a track whose frequency changes by `slope` hertz a hop, as the
    /// coefficient c of j² (per sample²) in e^{icj²} ≈ 1 + icj²: π·h·(slope / hop seconds) / sampleRate².
    @inline(__always)
    private func chirp(harmonic h: Int, slope: Double) -> Double {
        Double.pi * Double(h) * slope * sampleRate / Double(hopSize) / (sampleRate * sampleRate)
    }

    private func binPosition(harmonic: Int, hertz: Double) -> Double {
        Double(harmonic) * hertz * Double(fftSize) / sampleRate
    }

    private func isFull(startFrame: Int) -> Bool {
        startFrame >= 0 && (endFrame == Int.max || startFrame + fftSize <= endFrame)
    }

    private func isStored(_ frame: Int) -> Bool {
        frame >= 0 && frame <= lastEstimated && frame > lastEstimated - ringSize
    }

    private func clampHertz(_ f: Double) -> Double {
        min(max(f, nominalHertz - maximumDriftHertz), nominalHertz + maximumDriftHertz)
    }

    // MARK: frequency regression

    /// Weighted straight-line fit to interval measurements `first...last` (interval j lies between frames j − 1
    /// and j, at time j − ½), evaluated at frame time `at`; `forgetting` < 1 weights older intervals less.
    /// Returns (value, slope per hop), or nil without usable measurements. A small ridge on the slope
    /// (2 % of the total weight) keeps it finite with few points.
    private func regression(first: Int, last: Int, at time: Double, forgetting: Double = 1,
                            taperHops: Double = .infinity) -> (Double, Double)? {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, sy = 0.0, sty = 0.0
        var age = 0.0
        var j = last
        while j >= first {
            if isStored(j) {
                let t = Double(j) - 0.5 - time
                let u = t / taperHops
                let w = intervalWeight[j % ringSize] * pow(forgetting, age) / (1 + u * u * u * u)
                if w > 0 {
                    let y = intervalHertz[j % ringSize]
                    s0 += w; s1 += w * t; s2 += w * t * t; sy += w * y; sty += w * t * y
                }
            }
            age += 1
            j -= 1
        }
        guard s0 > 1e-9 else { return nil }
        let ridge = 0.02 * s0
        let det = s0 * (s2 + ridge) - s1 * s1
        guard det > 1e-12 * s0 * s0 else { return (sy / s0, 0) }
        let slope = (s0 * sty - s1 * sy) / det
        return ((sy - slope * s1) / s0, slope)
    }

    // MARK: the estimation pass

    /// Fits every harmonic of frame `frame.hopIndex` at the predicted frequency, stores the fits and measures the
    /// fundamental over the interval since the previous frame.
    func estimate(_ frame: SpectralFrame) {
        let j = frame.hopIndex
        let stored = (j % spectrumSlots) * channelCount * binCount
        for c in 0..<channelCount {
            guard let re = frame.real(c).baseAddress, let im = frame.imag(c).baseAddress else { continue }
            (storedReal + stored + c * binCount).update(from: re, count: binCount)
            (storedImag + stored + c * binCount).update(from: im, count: binCount)
        }
        let slot = j % ringSize
        let predicted: Double
        if let (value, _) = regression(first: j - Self.predictionHistory, last: j - 1, at: Double(j),
                                       forgetting: Self.predictionForgetting) {
            predicted = clampHertz(value)
        } else if isStored(j - 1) {
            predicted = framePredictedHertz[(j - 1) % ringSize]
        } else {
            predicted = nominalHertz
        }
        let full = isFull(startFrame: frame.startFrame)
        let hc = harmonics.count
        for c in 0..<channelCount {
            let re = frame.real(c), im = frame.imag(c)
            let base = (slot * channelCount + c) * hc
            for (index, h) in harmonics.enumerated() {
                let position = binPosition(harmonic: h, hertz: predicted)
                let (bRe, bIm, purity, rampPurity) = fit(real: re, imag: im, binPosition: position)
                fitReal[base + index] = bRe
                fitImag[base + index] = bIm
                fitPurity[base + index] = full ? purity : 0
                fitRampPurity[base + index] = full ? rampPurity : 0
                let re = Double(bRe), im = Double(bIm)
                let magnitude = (re * re + im * im).squareRoot()
                fitLog[base + index] = magnitude > 0 ? log(magnitude) : -.infinity
                fitPhase[base + index] = magnitude > 0 ? atan2(im, re) : 0
                var p = Double(fitPurity[base + index])
                p *= p
                fitPurity4[base + index] = p * p
                fitClean[base + index] = min(1, cleanShortfall
                                            / max(1 - Double(fitRampPurity[base + index]), 1e-12))
            }
        }
        frameFull[slot] = full
        framePredictedHertz[slot] = predicted
        intervalWeight[slot] = 0
        let previous = j - 1
        if full, isStored(previous), frameFull[previous % ringSize] {
            measureInterval(frame: j, predicted: predicted)
        }
        updateStates(frame: j, predicted: predicted)
        lastEstimated = j
    }

    /// The tracked hum of each harmonic: the previous frame's state carried along the track for one hop,
    /// moved toward this frame's fit by purity⁴ (1 where the lobe is clean hum, near 0 where speech covers it,
    /// so the state coasts through speech on the hum measured in the pauses around it).
    private func updateStates(frame j: Int, predicted: Double) {
        let slot = j % ringSize
        let hc = harmonics.count
        let previous = j - 1
        let hasPrevious = isStored(previous)
        let previousSlot = hasPrevious ? previous % ringSize : slot
        let hertz = intervalWeight[slot] > 0
            ? intervalHertz[slot] : 0.5 * (predicted + framePredictedHertz[previousSlot])
        let cyclesPerHop = hertz * Double(hopSize) / sampleRate
        for c in 0..<channelCount {
            for (index, h) in harmonics.enumerated() {
                let i = (slot * channelCount + c) * hc + index
                let p = (previousSlot * channelCount + c) * hc + index
                let purity = fitPurity[i]
                if hasPrevious && stateValid[p] {
                    let angle = 2 * Double.pi * Double(h) * cyclesPerHop
                    let cosA = cos(angle), sinA = sin(angle)
                    let (pRe, pIm) = Self.rotate(stateReal[p], stateImag[p], cos: cosA, sin: sinA)
                    let (qRe, qIm) = Self.rotate(fitReal[p], fitImag[p], cos: cosA, sin: sinA)
                    let gain = Self.trackingGain(purity, fit: (fitReal[i], fitImag[i]), predicted: (pRe, pIm),
                                                 previousFit: (qRe, qIm))
                    stateReal[i] = pRe + gain * (fitReal[i] - pRe)
                    stateImag[i] = pIm + gain * (fitImag[i] - pIm)
                    stateValid[i] = true
                    stateTrust[i] = stateTrust[p] + Self.confirmation(gain) * (1 - stateTrust[p])
                } else if purity > 0 {
                    stateReal[i] = fitReal[i]
                    stateImag[i] = fitImag[i]
                    stateValid[i] = true
                    stateTrust[i] = Self.firstConfirmation(purity)
                } else {
                    stateValid[i] = false
                }
            }
        }
    }

    /// How far a frame's fit moves the tracked state: purity¹⁶ (a lobe that is not one clean sinusoid barely
    /// counts), divided by 1 + (d / 0.3)², where d is the fit's relative distance from the predicted state or from
    /// the previous frame's fit carried one hop, whichever is smaller. A level that swells by 10 % a hop passes
    /// (gain 0.9); a voice's harmonic landing on the hum's, which makes the fit jump several-fold and move from
    /// frame to frame, is held off (gain < 0.01); a real change of level, consistent over two frames, is taken.
    @inline(__always)
    static func trackingGain(_ purity: Float, fit: (Float, Float), predicted: (Float, Float),
                             previousFit: (Float, Float)) -> Float {
        var g = purity * purity
        g *= g
        g *= g
        g *= g
        let magnitude = fit.0 * fit.0 + fit.1 * fit.1
        let reference = predicted.0 * predicted.0 + predicted.1 * predicted.1
        guard reference > 0, magnitude > 0 else { return g }
        let dState = ((fit.0 - predicted.0) * (fit.0 - predicted.0) + (fit.1 - predicted.1) * (fit.1 - predicted.1))
            / reference
        let dPrevious = ((fit.0 - previousFit.0) * (fit.0 - previousFit.0)
            + (fit.1 - previousFit.1) * (fit.1 - previousFit.1)) / magnitude
        return g / (1 + min(dState, dPrevious) / 0.09)
    }

    @inline(__always)
    static func rotate(_ re: Float, _ im: Float, _ angle: Double) -> (Float, Float) {
        rotate(re, im, cos: cos(angle), sin: sin(angle))
    }

    @inline(__always)
    static func rotate(_ re: Float, _ im: Float, cos c: Double, sin s: Double) -> (Float, Float) {
        (Float(Double(re) * c - Double(im) * s), Float(Double(re) * s + Double(im) * c))
    }

    /// Phase advance of each harmonic from frame j − 1 to j, unwrapped from the lowest harmonic up (each
    /// harmonic's expected advance comes from the estimate so far, so a 0.3 Hz error at the start is resolved by
    /// the low harmonics before the high ones are used), combined with weights h²·min(|B_j|·|B_j−1|, |S|²)·purity²
    /// (S: the harmonic's tracked hum level, which coasts through speech), then reweighted three times by
    /// 1/(1 + (φ/0.3)²) on each harmonic's phase disagreement φ (radians over the hop) with the combined value, so
    /// a voice's harmonic sitting on a hum harmonic, steady enough to look sinusoidal, is outvoted by the clean
    /// ones. The interval's confidence is the agreeing weight over Σ h²·|S|²: the share of the hum (weighted as
    /// the frequency estimate weights it) that was measured cleanly, so one clean harmonic between a voice's
    /// harmonics still tracks the frequency through speech.
    private func measureInterval(frame j: Int, predicted: Double) {
        let slot = j % ringSize
        let previousSlot = (j - 1) % ringSize
        let reference = 0.5 * (predicted + framePredictedHertz[previousSlot])
        let hopSeconds = Double(hopSize) / sampleRate
        let hc = harmonics.count
        var sumWeight = 0.0, sumWeightedOffset = 0.0, sumExpected = 0.0
        var offset = 0.0
        var count = 0
        for (index, h) in harmonics.enumerated() {
            let hd = Double(h)
            let expected = 2 * Double.pi * hd * reference * hopSeconds
            for c in 0..<channelCount {
                let a = (slot * channelCount + c) * hc + index
                let b = (previousSlot * channelCount + c) * hc + index
                let zRe = Double(fitReal[a]) * Double(fitReal[b]) + Double(fitImag[a]) * Double(fitImag[b])
                let zIm = Double(fitImag[a]) * Double(fitReal[b]) - Double(fitReal[a]) * Double(fitImag[b])
                let magnitude = (zRe * zRe + zIm * zIm).squareRoot()
                guard magnitude > 0 else { continue }
                let hum = stateValid[b]
                    ? Double(stateReal[b]) * Double(stateReal[b]) + Double(stateImag[b]) * Double(stateImag[b])
                    : magnitude
                sumExpected += hd * hd * hum
                let quality = Double(fitPurity[a]) * Double(fitPurity[b])
                let weight = hd * hd * min(magnitude, hum) * quality * quality
                guard weight > 0 else { continue }
                let predictedPhase = 2 * Double.pi * hd * offset * hopSeconds
                var residual = atan2(zIm, zRe) - expected - predictedPhase
                residual -= 2 * Double.pi * (residual / (2 * Double.pi)).rounded()
                let hertzOffset = (predictedPhase + residual) / (2 * Double.pi * hd * hopSeconds)
                sumWeight += weight
                sumWeightedOffset += weight * hertzOffset
                offset = sumWeightedOffset / sumWeight
                harmonicOffset[count] = hertzOffset
                harmonicWeight[count] = weight
                harmonicRadiansPerHertz[count] = 2 * Double.pi * hd * hopSeconds
                count += 1
            }
        }
        guard sumExpected > 0, sumWeight > 0 else { return }
        var agreeing = sumWeight
        for _ in 0..<3 {
            var sw = 0.0, swo = 0.0
            for i in 0..<count {
                let scale = harmonicRadiansPerHertz[i]
                let disagreement = Self.wrap((harmonicOffset[i] - offset) * scale)
                let r = disagreement / 0.3
                let w = harmonicWeight[i] / (1 + r * r)
                sw += w
                swo += w * (offset + disagreement / scale)
            }
            guard sw > 0 else { return }
            offset = swo / sw
            agreeing = sw
        }
        let confidence = min(1, agreeing / sumExpected)
        // The interval's weight is its confidence squared, so a low-confidence interval counts only where no
        // better one is in reach. Under a voice that is often the best there is. A take that starts on a word
        // and never pauses for two whole frames gets no confidence above 0.05 for seconds, and the track
        // stayed at its starting frequency. Its intervals read the drift to a few hundredths of a hertz all the
        // same (0.001–0.009 confidence). Below ``minimumIntervalConfidence`` the lobes are taken as not hum.
        guard confidence >= Self.minimumIntervalConfidence else { return }
        intervalHertz[slot] = clampHertz(reference + offset)
        // A jump from the prediction of more than ``intervalJumpHertz`` is mostly a voice's harmonics moving
        // through the lobes: it counts less.
        let jump = offset / Self.intervalJumpHertz
        intervalWeight[slot] = confidence * confidence / (1 + jump * jump)
    }

    // MARK: interpolation across speech

    /// Solves the symmetric system [[a00, a01, a02], [a01, a11, a12], [a02, a12, a22]]·x = (y0, y1, y2) by
    /// Cramer's rule; nil when it is (nearly) singular.
    @inline(__always)
    private static func solve3(_ a00: Double, _ a01: Double, _ a02: Double, _ a11: Double, _ a12: Double,
                               _ a22: Double, _ y0: Double, _ y1: Double, _ y2: Double) -> (Double, Double, Double)? {
        let c00 = a11 * a22 - a12 * a12
        let c01 = a02 * a12 - a01 * a22
        let c02 = a01 * a12 - a02 * a11
        let det = a00 * c00 + a01 * c01 + a02 * c02
        guard abs(det) > 1e-12 * a00 * a11 * a22, det.isFinite else { return nil }
        let c11 = a00 * a22 - a02 * a02
        let c12 = a01 * a02 - a00 * a12
        let c22 = a00 * a11 - a01 * a01
        return ((c00 * y0 + c01 * y1 + c02 * y2) / det,
                (c01 * y0 + c11 * y1 + c12 * y2) / det,
                (c02 * y0 + c12 * y1 + c22 * y2) / det)
    }

    /// Wraps an angle into (−π, π].
    @inline(__always)
    private static func wrap(_ angle: Double) -> Double {
        // Rounded to nearest by adding and subtracting 1.5·2⁵² (exact below 2⁵¹ turns; ties go to even rather
        // than away from zero, which moves an angle of exactly ±π to the other end): x86-64's baseline has no
        // rounding instruction and `rounded()` was a libm call per frame and iteration.
        let magic: Double = 6_755_399_441_055_744
        let turns = angle * (1 / (2 * Double.pi))
        return angle - 2 * Double.pi * ((turns + magic) - magic)
    }

    /// The hum of harmonic `h` at frame `m`'s centre, from the fits of the whole frames within ±lookahead hops
    /// that look like hum alone: (level re, im, change per sample re, im), or nil when fewer than about two
    /// frames' worth of weight qualify (then the caller coasts on the tracked state).
    ///
    /// Each fit is carried to `m`'s centre along the track (frequency `hertz` at `m`, changing by `slope` hertz
    /// a hop), so hum alone gives nearly the same complex value in every frame, while a harmonic that speech
    /// covers is louder (or, partly cancelled, quieter) and of another phase. The model is a complex exponential
    /// in time, log B(t) = α + β·t + γ·t² (t in hops from `m`): Re β and Re γ follow a level that swells or
    /// fades, Im β and Im γ this harmonic's residual frequency error and its change. It is fitted to the
    /// log-magnitudes and phases by weighted least squares, reweighted three times by 1/(1 + (r/c)²) on each
    /// frame's distance r from the fit (c shrinking 0.15 → 0.08 → 0.05; 0.05 ≈ 0.4 dB or 3° of deviation halves
    /// a frame's weight), then corrected locally (see below). The prior weight of a frame is its purity⁴ (how
    /// sinusoidal the lobe is), a taper 1 − (Δ/(L + 1))² in its distance Δ from `m`, and its cleanness
    /// min(1, ``cleanShortfall`` / (1 − ramp purity)). The fit starts from the cleanest frame whose neighbours in
    /// the complex plane carry the most weight: hum alone agrees with itself from frame to frame, a voice on the
    /// harmonic does not, so a long stretch of speech does not become the reference. Frames in speech thus get
    /// little weight and the hum is interpolated across them from the frames on both sides (for a steady hum;
    /// for one whose level changes, frames under speech that are 20 dB clean count fully). Does not allocate.
    private func robustLevel(content m: Int, channel c: Int, index: Int, harmonic h: Int, hertz: Double,
                             slope: Double) -> (Float, Float, Float, Float, Float, Float)? {
        let hc = harmonics.count
        let L = lookaheadHops
        let hopSeconds = Double(hopSize) / sampleRate
        let hd = Double(h)
        var anyValid = false
        // Phase advance of the harmonic from m's centre to frame m + d's, a·d + b·d², as a unit phasor stepped
        // along d (its step e^{i(a + b(2d + 1))} turns by e^{2ib} each hop), three cos/sin pairs in all.
        let a = 2 * Double.pi * hd * hopSeconds * hertz, b = Double.pi * hd * hopSeconds * slope
        let start = -Double(L)
        var cosA = cos(a * start + b * start * start), sinA = sin(a * start + b * start * start)
        var stepCos = cos(a + b * (2 * start + 1)), stepSin = sin(a + b * (2 * start + 1))
        let turnCos = cos(2 * b), turnSin = sin(2 * b)
        for d in -L...L {
            let w = d + L
            windowPrior[w] = 0
            let j = m + d
            let (rotationCos, rotationSin) = (cosA, sinA)
            (cosA, sinA) = (cosA * stepCos - sinA * stepSin, cosA * stepSin + sinA * stepCos)
            (stepCos, stepSin) = (stepCos * turnCos - stepSin * turnSin, stepCos * turnSin + stepSin * turnCos)
            guard isStored(j), frameFull[j % ringSize] else { continue }
            let i = ((j % ringSize) * channelCount + c) * hc + index
            let logMagnitude = fitLog[i]
            guard logMagnitude > -.infinity else { continue }
            let re = Double(fitReal[i]), im = Double(fitImag[i])
            let dd = Double(d)
            windowReal[w] = re * rotationCos + im * rotationSin
            windowImag[w] = im * rotationCos - re * rotationSin
            windowLog[w] = logMagnitude
            // The carried fit's phase: the fit's own less the advance (was atan2 of the carried fit, per frame
            // and harmonic, and equal to it to rounding; the wrap keeps atan2's range).
            windowPhase[w] = Self.wrap(fitPhase[i] - (a * dd + b * dd * dd))
            let taper = 1 - (dd / Double(L + 1)) * (dd / Double(L + 1))
            windowClean[w] = fitClean[i]
            windowPrior[w] = fitPurity4[i] * taper * windowClean[w]
            if windowPrior[w] > 0 { anyValid = true }
        }
        guard anyValid else { return nil }
        var taperSum = 0.0
        for d in -L...L {
            let dd = Double(d)
            taperSum += 1 - (dd / Double(L + 1)) * (dd / Double(L + 1))
        }
        // Starting point: of the four frames with the most prior weight (the cleanest), the one whose carried fit
        // has the most prior weight within 15 % of it (hum alone agrees with itself from frame to frame; a voice on
        // the harmonic does not). Four, not all: the cleanest frames sit in the hum's cluster whenever it has one,
        // and scoring every frame against every other was a tenth of the remover's time.
        var c0 = -1, c1 = -1, c2 = -1, c3 = -1
        for w in 0...(2 * L) where windowPrior[w] > 0 {
            let p = windowPrior[w]
            if c0 < 0 || p > windowPrior[c0] {
                (c0, c1, c2, c3) = (w, c0, c1, c2)
            } else if c1 < 0 || p > windowPrior[c1] {
                (c1, c2, c3) = (w, c1, c2)
            } else if c2 < 0 || p > windowPrior[c2] {
                (c2, c3) = (w, c2)
            } else if c3 < 0 || p > windowPrior[c3] {
                c3 = w
            }
        }
        var best = -1
        var bestScore = 0.0
        for k in 0..<4 {
            let w = k == 0 ? c0 : (k == 1 ? c1 : (k == 2 ? c2 : c3))
            guard w >= 0 else { continue }
            let reference = windowReal[w] * windowReal[w] + windowImag[w] * windowImag[w]
            let spread = 1 / (0.0225 * reference)
            var score = 0.0
            for v in 0...(2 * L) where windowPrior[v] > 0 {
                let dRe = windowReal[v] - windowReal[w], dIm = windowImag[v] - windowImag[w]
                score += windowPrior[v] / (1 + (dRe * dRe + dIm * dIm) * spread)
            }
            if score > bestScore {
                bestScore = score
                best = w
            }
        }
        guard best >= 0 else { return nil }
        // Membership of that cluster weights the starting phase step per hop.
        let bestReference = windowReal[best] * windowReal[best] + windowImag[best] * windowImag[best]
        let bestSpread = 1 / (0.0225 * bestReference)
        for w in 0...(2 * L) where windowPrior[w] > 0 {
            let dRe = windowReal[w] - windowReal[best], dIm = windowImag[w] - windowImag[best]
            windowWeight[w] = windowPrior[w] / (1 + (dRe * dRe + dIm * dIm) * bestSpread)
        }
        // Σ weight·e^{i(φ[w + 1] − φ[w])}, from the carried fits themselves: x[w + 1]·conj(x[w]) / |…|.
        var stepRe = 0.0, stepIm = 0.0
        for w in 0..<(2 * L) where windowPrior[w] > 0 && windowPrior[w + 1] > 0 {
            let weight = (windowWeight[w] * windowWeight[w + 1]).squareRoot()
            let x0 = windowReal[w], y0 = windowImag[w], x1 = windowReal[w + 1], y1 = windowImag[w + 1]
            let scale = weight / ((x0 * x0 + y0 * y0) * (x1 * x1 + y1 * y1)).squareRoot()
            stepRe += scale * (x1 * x0 + y1 * y0)
            stepIm += scale * (y1 * x0 - x1 * y0)
        }
        var betaIm = (stepRe != 0 || stepIm != 0) ? atan2(stepIm, stepRe) : 0
        let bestTime = Double(best - L)
        var alphaRe = windowLog[best]
        var alphaIm = windowPhase[best] - betaIm * bestTime
        var betaRe = 0.0
        var gammaRe = 0.0, gammaIm = 0.0
        var weightSum = 0.0
        for iteration in 0..<3 {
            let scale = iteration == 0 ? 0.15 : (iteration == 1 ? 0.08 : 0.05)
            let inverseSquare = 1 / (scale * scale)
            // Normal equations of the weighted fit of α + β·t + γ·t² (moments s0…s4 of t).
            var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0
            var yR0 = 0.0, yR1 = 0.0, yR2 = 0.0, yI0 = 0.0, yI1 = 0.0, yI2 = 0.0
            var unscaled = 0.0
            for d in -L...L where windowPrior[d + L] > 0 {
                let w = d + L
                let t = Double(d), t2 = t * t
                let rRe = windowLog[w] - (alphaRe + betaRe * t + gammaRe * t2)
                let modelIm = alphaIm + betaIm * t + gammaIm * t2
                let rIm = Self.wrap(windowPhase[w] - modelIm)
                let weight = windowPrior[w] / (1 + (rRe * rRe + rIm * rIm) * inverseSquare)
                windowWeight[w] = weight
                if iteration == 2 { unscaled += weight / windowClean[w] }
                let yIm = modelIm + rIm
                s0 += weight; s1 += weight * t; s2 += weight * t2; s3 += weight * t2 * t; s4 += weight * t2 * t2
                yR0 += weight * windowLog[w]; yR1 += weight * t * windowLog[w]; yR2 += weight * t2 * windowLog[w]
                yI0 += weight * yIm; yI1 += weight * t * yIm; yI2 += weight * t2 * yIm
            }
            guard s0 > 0 else { return nil }
            weightSum = unscaled
            // Ridges keep the slope (5 % of the weight, in hop² units) and the curvature (the whole weight, in
            // hop⁴ units) finite when the weight sits on one side or on a few neighbouring frames.
            let a11 = s2 + 0.05 * s0, a22 = s4 + s0
            guard let (aR, bR, cR) = Self.solve3(s0, s1, s2, a11, s3, a22, yR0, yR1, yR2),
                  let (aI, bI, cI) = Self.solve3(s0, s1, s2, a11, s3, a22, yI0, yI1, yI2) else { return nil }
            alphaRe = aR; betaRe = bR; gammaRe = cR
            alphaIm = aI; betaIm = bI; gammaIm = cI
        }
        // Under about two whole frames of clean weight (relative to the taper), there is nothing to interpolate.
        guard weightSum > 0.02 * taperSum else { return nil }
        // Local correction. The smooth model cannot follow every swell (a level that rises and falls by 20 dB over
        // a few seconds leaves it 0.1–0.4 dB off, −30 dB of residual) nor every wobble of the frequency, but the
        // fits of the frames nearest `m` that agree with it (within about ``localAgreement`` nepers/radians:
        // hum alone, not a voice on the harmonic) can: their complex log-deviations from the model are fitted by a
        // parabola in time (level, slope and bend: a swell's curvature changes faster than the window's parabola
        // follows), weighted by purity⁴, cleanness, agreement and a Gaussian of ``localSpreadHops`` hops around
        // `m`, with a ridge (``localRidge``, in units of one clean frame's weight) on each coefficient that pulls
        // the correction to zero where no clean frame is near.
        var l0 = 0.0, l1 = 0.0, l2 = 0.0, l3 = 0.0, l4 = 0.0
        var dRe0 = 0.0, dRe1 = 0.0, dRe2 = 0.0, dIm0 = 0.0, dIm1 = 0.0, dIm2 = 0.0
        for d in -L...L where windowPrior[d + L] > 0 {
            let w = d + L
            let t = Double(d), t2 = t * t
            let taper = 1 - (t / Double(L + 1)) * (t / Double(L + 1))
            let rRe = windowLog[w] - (alphaRe + betaRe * t + gammaRe * t2)
            let rIm = Self.wrap(windowPhase[w] - (alphaIm + betaIm * t + gammaIm * t2))
            let u = (rRe * rRe + rIm * rIm) * (1 / (Self.localAgreement * Self.localAgreement))
            let kernel = localKernel[w]
            let weight = windowPrior[w] / taper * kernel / (1 + u * u)
            l0 += weight; l1 += weight * t; l2 += weight * t2; l3 += weight * t2 * t; l4 += weight * t2 * t2
            dRe0 += weight * rRe; dRe1 += weight * t * rRe; dRe2 += weight * t2 * rRe
            dIm0 += weight * rIm; dIm1 += weight * t * rIm; dIm2 += weight * t2 * rIm
        }
        let ridge = Self.localRidge
        if let (aR, bR, cR) = Self.solve3(l0 + ridge, l1, l2, l2 + ridge, l3, l4 + ridge, dRe0, dRe1, dRe2),
           let (aI, bI, cI) = Self.solve3(l0 + ridge, l1, l2, l2 + ridge, l3, l4 + ridge, dIm0, dIm1, dIm2) {
            alphaRe += aR; betaRe += bR; gammaRe += cR
            alphaIm += aI; betaIm += bI; gammaIm += cI
        }
        let magnitude = exp(alphaRe)
        let bRe = magnitude * cos(alphaIm), bIm = magnitude * sin(alphaIm)
        // d/dt of e^{α + βt} at t = 0 is β·B per hop.
        let perSample = 1 / Double(hopSize)
        let sRe = (betaRe * bRe - betaIm * bIm) * perSample
        let sIm = (betaRe * bIm + betaIm * bRe) * perSample
        // The second-order term of e^{βt + γt²}, (β²/2 + γ)·t², per sample², plus the track's own chirp.
        let kRe = (0.5 * (betaRe * betaRe - betaIm * betaIm) + gammaRe) * perSample * perSample
        let kIm = (betaRe * betaIm + gammaIm) * perSample * perSample + chirp(harmonic: h, slope: slope)
        // The frames' fits were of a plain lobe, which the curvature's lobe (even, like it) leaks into: a fit
        // reads B·(1 + K·μ) for curvature K per sample², μ = Σ j²w² / Σ w². Undo that.
        let dRe = 1 + kRe * curvatureLeak, dIm = kIm * curvatureLeak
        let dd = dRe * dRe + dIm * dIm
        func undo(_ re: Double, _ im: Double) -> (Float, Float) {
            (Float((re * dRe + im * dIm) / dd), Float((im * dRe - re * dIm) / dd))
        }
        let qRe = kRe * bRe - kIm * bIm, qIm = kRe * bIm + kIm * bRe
        let (b0, b1) = undo(bRe, bIm), (s0, s1) = undo(sRe, sIm), (q0, q1) = undo(qRe, qIm)
        return (b0, b1, s0, s1, q0, q1)
    }

    // MARK: the level cap

    /// How much one frame confirms a tracked state: the fourth root of its tracking gain (purity⁴ for a clean
    /// lobe that agrees with the state). Chosen on the quality corpus (mean SI-SDR improvement on the cut files):
    /// the gain itself 15.7 dB, its square root 16.0, its fourth root 16.1 (whole files 23.8 alike).
    @inline(__always)
    static func confirmation(_ gain: Float) -> Float { gain.squareRoot().squareRoot() }

    /// The confirmation of a state started from a fit of this purity: that of the tracking gain's base
    /// (purity¹⁶), purity⁴.
    @inline(__always)
    static func firstConfirmation(_ purity: Float) -> Float {
        let square = purity * purity
        return square * square
    }

    /// Decibels a harmonic's hum may exceed a frame's fit by, at that frame (``levelCap``): speech adds to a
    /// harmonic's lobe far more often than it cancels it, so a fit bounds the hum from above, up to this margin
    /// for partial cancellation and fitting error. Chosen on the quality corpus (35 de-hum files, whole and with
    /// the first 0.98 s cut; mean SI-SDR improvement whole/cut, before the profile cap and the state's trust were
    /// added): 3 dB with the third bound 23.7/14.9 dB; 2 dB
    /// with the second 22.7/15.6 (losing up to 8 dB on the cleanest whole files); 6 dB 23.5/14.7; no cap
    /// 23.3/8.5.
    static let capMarginDecibels = 3.0
    /// Further decibels allowed per hop of distance from that frame, so a swelling hum is not held down
    /// (1.5 dB a hop, 8.8 dB/s at 48 kHz; chosen on the quality corpus with the margin: 1 dB a hop with a 5 dB
    /// margin gave 23.7/14.8 dB).
    static let capGrowthDecibelsPerHop = 1.5

    /// An upper bound on the hum amplitude of harmonic `index` at frame `m`: the third smallest, over
    /// the whole frames within ±lookahead hops, of |fit| raised by ``capMarginDecibels`` +
    /// ``capGrowthDecibelsPerHop`` per hop of distance (the third, so two frames where speech cancels the hum do
    /// not set it). Without hum-only frames near the start of a take (one
    /// trimmed to its first word), the tracked state starts from a voiced frame's fit and coasts on it, and the
    /// interpolation can settle on a steady vowel harmonic, so the voice's own harmonic would be subtracted
    /// (measured: −15 dB SI-SDR against the input); the fits of the quieter frames around bound that. Infinity
    /// when fewer than three frames qualify. Does not allocate.
    private func levelCap(content m: Int, channel c: Int, index: Int) -> Float {
        let hc = harmonics.count
        let L = lookaheadHops
        var smallest = Float.infinity, second = Float.infinity, third = Float.infinity
        for d in -L...L {
            let j = m + d
            guard isStored(j), frameFull[j % ringSize] else { continue }
            let i = ((j % ringSize) * channelCount + c) * hc + index
            let magnitude = (fitReal[i] * fitReal[i] + fitImag[i] * fitImag[i]).squareRoot()
            let bound = magnitude * capFactor[abs(d)]
            if bound < smallest {
                third = second
                second = smallest
                smallest = bound
            } else if bound < second {
                third = second
                second = bound
            } else if bound < third {
                third = bound
            }
        }
        return third
    }

    /// Decibels a harmonic's hum may exceed its profile scaled to the frame's hum level (``profileGain``):
    /// the level is read off the median harmonic, so this covers how far the others sit above it and the
    /// profile's own error. Chosen on the quality corpus (35 de-hum files whole / with the first 0.98 s cut, mean
    /// SI-SDR improvement, dB): 4 dB 23.75/15.71, 6 dB 23.71/15.67, 8 dB 23.72/15.65, none 23.74/15.72 — the
    /// corpus's voices rarely sit on a hum harmonic for seconds, the unit test's vowel does; the lower quartile
    /// over the harmonics instead of the median lost 9 dB on a trimmed swell (few significant harmonics).
    /// The cap needs a true profile: while the detector measured a drifting hum's steady levels bin by bin, the
    /// profile put its high harmonics up to 6 dB low and the hum left in the drifting files' pauses rose from
    /// −54.9 to −37.3 dB (8 and 12 dB margins gave −47.9 and −52.2 dB but let the trimmed vowel of
    /// `voiceHarmonicsSurviveWithoutLeadIn` be subtracted); measured along the track (HumDetector.steadyLobe) it
    /// is back to −54.9 dB at 4 dB.
    static let profileMarginDecibels = 4.0

    /// The hum's level at frame `j` relative to its profile: the median, over the profiled harmonics, of
    /// |fit| ÷ profile amplitude (a voice adds to some harmonics' lobes, not to most). Nil for a frame not stored
    /// or not whole, or with fewer than four profiled harmonics. Does not allocate.
    private func profileGain(frame j: Int, channel c: Int) -> Float? {
        guard profileCount >= 4, isStored(j), frameFull[j % ringSize] else { return nil }
        let hc = harmonics.count
        let base = ((j % ringSize) * channelCount + c) * hc
        var n = 0
        for index in 0..<hc where profile[index] > 0 {
            let re = fitReal[base + index], im = fitImag[base + index]
            let ratio = (re * re + im * im).squareRoot() / profile[index]
            // Insertion into the sorted prefix.
            var k = n
            while k > 0 && ratioScratch[k - 1] > ratio {
                ratioScratch[k] = ratioScratch[k - 1]
                k -= 1
            }
            ratioScratch[k] = ratio
            n += 1
        }
        return ratioScratch[(n - 1) / 2]
    }

    /// The factor (≤ 1) that brings the complex level (re, im) down to at most `cap` in magnitude.
    @inline(__always)
    private static func capGain(_ re: Float, _ im: Float, cap: Float) -> Float {
        let magnitude = (re * re + im * im).squareRoot()
        return magnitude > cap ? cap / magnitude : 1
    }

    // MARK: the subtraction pass

    /// Writes frame `content`'s spectra, kept by the estimation pass, into `frame` (zeros for a frame before the
    /// stream, which the delay line fills with zeros).
    func restoreSpectrum(into frame: SpectralFrame, content: Int) {
        let available = content >= 0 && content <= lastEstimated && content > lastEstimated - spectrumSlots
        let stored = available ? (content % spectrumSlots) * channelCount * binCount : 0
        for c in 0..<channelCount {
            guard let re = frame.real(c).baseAddress, let im = frame.imag(c).baseAddress else { continue }
            if available {
                re.update(from: storedReal + stored + c * binCount, count: binCount)
                im.update(from: storedImag + stored + c * binCount, count: binCount)
            } else {
                re.update(repeating: 0, count: binCount)
                im.update(repeating: 0, count: binCount)
            }
        }
    }

    /// Fits, blends and subtracts the harmonics of the frame `content` (whose estimation-pass fits are stored),
    /// using the spectra in `frame`.
    func subtract(_ frame: SpectralFrame, content: Int) {
        guard isStored(content) else { return }
        let slot = content % ringSize
        let hertz: Double
        let slope: Double
        if let (value, perHop) = regression(first: content - lookaheadHops + 1, last: content + lookaheadHops,
                                            at: Double(content), taperHops: Self.frequencyTaperHops) {
            hertz = clampHertz(value)
            slope = perHop
        } else {
            hertz = framePredictedHertz[slot]
            slope = 0
        }
        lastSubtractionHertz = hertz
        let full = frameFull[slot]
        let hc = harmonics.count
        let hopSeconds = Double(hopSize) / sampleRate
        for c in 0..<channelCount {
            let re = frame.real(c), im = frame.imag(c)
            if output == .residual {
                for k in 0..<binCount {
                    spectrumCopy[k] = re[k]
                    spectrumCopy[binCount + k] = im[k]
                }
            }
            // The hum's level against its profile, from this frame or the nearest whole one.
            var gain: Float?
            for step in 0..<5 where gain == nil {
                // 0, +1, −1, +2, −2.
                let d = (step + 1) / 2 * (step % 2 == 1 ? 1 : -1)
                gain = profileGain(frame: content + d, channel: c)
            }
            let profileScale = Float(pow(10, Self.profileMarginDecibels / 20))
            for (index, h) in harmonics.enumerated() {
                let position = binPosition(harmonic: h, hertz: hertz)
                let cyclesPerHop = hertz * hopSeconds
                var bRe: Float, bIm: Float
                var trust: Float = 1
                var cap = levelCap(content: content, channel: c, index: index)
                if let gain, profile[index] > 0 { cap = min(cap, profile[index] * gain * profileScale) }
                if let (rRe, rIm, sRe, sIm, qRe, qIm) = robustLevel(content: content, channel: c, index: index,
                                                                   harmonic: h, hertz: hertz, slope: slope) {
                    let g = Self.capGain(rRe, rIm, cap: cap)
                    subtractLobe(real: re, imag: im, binPosition: position, bRe: g * rRe, bIm: g * rIm,
                                 slopeRe: g * sRe, slopeIm: g * sIm, curveRe: g * qRe, curveIm: g * qIm)
                    continue
                } else if full {
                    // The tracked state of the previous frame, carried one hop along the track.
                    var predicted: (Float, Float)?
                    var previousFit: (Float, Float)?
                    var previousTrust: Float = 0
                    let previous = content - 1
                    if isStored(previous) {
                        let p = ((previous % ringSize) * channelCount + c) * hc + index
                        if stateValid[p] {
                            previousTrust = stateTrust[p]
                            let angle = 2 * Double.pi * Double(h) * (cyclesPerHop - 0.5 * slope * hopSeconds)
                            predicted = Self.rotate(stateReal[p], stateImag[p], angle)
                            previousFit = Self.rotate(fitReal[p], fitImag[p], angle)
                        }
                    }
                    let (fRe, fIm, purity, _) = fit(real: re, imag: im, binPosition: position)
                    if let (pRe, pIm) = predicted {
                        let gain = Self.trackingGain(purity, fit: (fRe, fIm), predicted: (pRe, pIm),
                                                     previousFit: previousFit ?? (pRe, pIm))
                        bRe = pRe + gain * (fRe - pRe)
                        bIm = pIm + gain * (fIm - pIm)
                        trust = previousTrust + Self.confirmation(gain) * (1 - previousTrust)
                    } else {
                        bRe = fRe
                        bIm = fIm
                        trust = Self.firstConfirmation(purity)
                    }
                } else {
                    // A frame reaching before the stream or past its end: extrapolate the two nearest whole frames'
                    // states on one side along the track, level and change of level.
                    guard let (eRe, eIm, sRe, sIm) = extrapolate(to: content, channel: c, index: index,
                                                                 harmonic: h, hertz: hertz) else { continue }
                    let g = Self.capGain(eRe, eIm, cap: cap)
                    subtractLobe(real: re, imag: im, binPosition: position, bRe: g * eRe, bIm: g * eIm,
                                 slopeRe: g * sRe, slopeIm: g * sIm)
                    continue
                }
                // The level's change per sample, from the tracked states one hop either side carried to this
                // frame's centre (zero at the stream's edges).
                var slopeRe: Float = 0, slopeIm: Float = 0
                let hd = Double(h)
                var beforeState: (Float, Float)?, afterState: (Float, Float)?
                if isStored(content - 1) {
                    let b = (((content - 1) % ringSize) * channelCount + c) * hc + index
                    if stateValid[b] {
                        beforeState = Self.rotate(stateReal[b], stateImag[b],
                                                  2 * Double.pi * hd * (hertz - 0.5 * slope) * hopSeconds)
                    }
                }
                if isStored(content + 1) {
                    let a = (((content + 1) % ringSize) * channelCount + c) * hc + index
                    if stateValid[a] {
                        afterState = Self.rotate(stateReal[a], stateImag[a],
                                                 -2 * Double.pi * hd * (hertz + 0.5 * slope) * hopSeconds)
                    }
                }
                let perSample = 1 / Float(hopSize)
                switch (beforeState, afterState) {
                case let ((bRe0, bIm0)?, (aRe0, aIm0)?):
                    slopeRe = (aRe0 - bRe0) * perSample / 2
                    slopeIm = (aIm0 - bIm0) * perSample / 2
                case let (nil, (aRe0, aIm0)?):
                    slopeRe = (aRe0 - bRe) * perSample
                    slopeIm = (aIm0 - bIm) * perSample
                case let ((bRe0, bIm0)?, nil):
                    slopeRe = (bRe - bRe0) * perSample
                    slopeIm = (bIm - bIm0) * perSample
                case (nil, nil):
                    break
                }
                let curve = Float(chirp(harmonic: h, slope: slope))
                let g = Self.capGain(trust * bRe, trust * bIm, cap: cap) * trust
                bRe *= g; bIm *= g; slopeRe *= g; slopeIm *= g
                subtractLobe(real: re, imag: im, binPosition: position, bRe: bRe, bIm: bIm,
                             slopeRe: slopeRe, slopeIm: slopeIm, curveRe: -bIm * curve, curveIm: bRe * curve)
            }
            if output == .residual {
                for k in 0..<binCount {
                    re[k] = spectrumCopy[k] - re[k]
                    im[k] = spectrumCopy[binCount + k] - im[k]
                }
            }
        }
    }
}

/// The estimation pass of ``HumRemover``: fits and frequency measurements, frames ahead of the subtraction.
final class HumEstimationKernel: SpectralKernel {
    let model: HumModel
    init(model: HumModel) { self.model = model }
    func prepare(context: SpectralContext) {}
    func process(_ frame: SpectralFrame) { model.estimate(frame) }
    /// The remover resets the shared model itself.
    func reset() {}
}

/// The subtraction pass of ``HumRemover``: runs on the input delayed by `lookaheadHops` hops, taking each
/// frame's spectra from the estimation pass (the same samples, transformed `lookaheadHops` hops earlier).
final class HumSubtractionKernel: SpectralKernel {
    let model: HumModel
    init(model: HumModel) { self.model = model }
    func prepare(context: SpectralContext) {}
    var suppliesSpectrum: Bool { true }
    func process(_ frame: SpectralFrame) {
        let content = frame.hopIndex - model.lookaheadHops
        model.restoreSpectrum(into: frame, content: content)
        model.subtract(frame, content: content)
    }
    func reset() {}
}
