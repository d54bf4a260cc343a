import CScrimVector
import Foundation
import ScrimCore
import ScrimSpectral
import Synchronization

/// Settings of ``HumTracker``. The constants behind them were chosen on the de-hum corpus (71 files, 16 hum types;
/// Benchmarks/quality/HUM-TRACKER.md gives each experiment and its figures).
public struct HumTrackerSettings: Sendable, Hashable {
    /// Highest harmonic frequency modelled (Hz); harmonics above it are left alone.
    public var maximumFrequencyHertz: Double = 4000
    /// Refinement passes after the bootstrap (each: re-demodulate, re-estimate, Kalman/RTS phase smoothing).
    public var refinementPasses: Int = 3
    /// Noise bandwidth of the bootstrap phase-locked loop (Hz).
    public var loopBandwidthHertz: Double = 3.0
    /// Remove nothing unless at least two harmonics keep their phase over the stretch (for a hum the detector did
    /// not confirm).
    public var requireEvidence = false
    /// Creates the default settings.
    public init() {}
}

/// What ``HumTracker`` followed and removed in one stretch of audio.
public struct HumTrack: Sendable {
    /// The fundamental the tracker started from (Hz).
    public var referenceHertz: Double
    /// Harmonics modelled (1…count).
    public var harmonicCount: Int
    /// Frame centres in seconds from the start of the stretch.
    public var frameSeconds: [Double]
    /// The tracked fundamental at each frame centre (Hz).
    public var fundamentalHertz: [Double]
    /// The hum's common level at each frame, relative to its take-long harmonic amplitudes (1 = as estimated).
    public var levelGain: [Double]
    /// Each harmonic's amplitude (peak, linear full scale), harmonic 1 first.
    public var harmonicAmplitudes: [Double]
    /// RMS of what was subtracted and of the input (linear full scale).
    public var removedRMS: Double
    public var inputRMS: Double
    /// Whether hum was removed: false when the stretch was too short to track, or (with
    /// ``HumTrackerSettings/requireEvidence``) when fewer than two harmonics stood out.
    public var tracked: Bool
    /// Harmonics whose frames keep their phase over the stretch (``HumTracker/minimumCoherence``).
    public var significantHarmonics: Int = 0
    /// Mean power of the modelled hum (at level 1) and the estimated power of its amplitude error (linear full scale
    /// squared): the estimated hum left is their ratio.
    public var modelPower: Double = 0
    public var estimatedLeftPower: Double = 0
}

/// A joint-harmonic hum tracker and remover that follows a wobbling generator through speech
/// (issue 19; the design and its measurements are in Benchmarks/quality/HUM-TRACKER.md).
///
/// The hum is modelled as `g(t)·Σₖ Re(Aₖ·e^{jkφ(t)})`: one phase track φ for all harmonics, one complex amplitude
/// per harmonic over the stretch (a long coherent average, so a harmonic under the voice or under noise is still
/// estimated from the whole take), and a slow common level g. Only that model is subtracted; nothing is filtered.
///
/// 1. **Angle-domain demodulation.** The input, decimated to 16-24 kHz, is resampled along the current phase track
///    onto a grid uniform in phase, ``pointsPerPeriod`` points per period, with a Kaiser-windowed sinc low-pass
///    (cut-off 5.1 kHz; the classic "computed order tracking" of rotating-machine analysis). Frames of two periods,
///    hop half a period (10 ms at 50 Hz), Hann-windowed, one real FFT each: harmonic k is bin 2k, and harmonics k±1
///    fall on the Hann window's zeros. A hum that follows φ gives a constant cₖ[m] = Aₖ.
/// 2. **Bootstrap.** A second-order phase-locked loop over the frames (noise bandwidth 3 Hz) whose phase error is a
///    comb maximum-likelihood search over all harmonics (each harmonic's reference phase frozen after a 0.3 s
///    acquisition, weights from phase-invariant magnitude evidence), run forwards and backwards and fused by
///    lock quality; the start frequency offset from lag products.
/// 3. **Refinement.** Per pass: re-demodulate; amplitudes by weighted least squares over the whole stretch (frames
///    where the voice covers a harmonic weigh little), the common level from the same weights (smoothed 0.3 s); a
///    phase-error measurement per frame with its variance; a two-state Kalman filter and RTS smoother whose
///    stiffness is chosen by likelihood, or for a generator that moves a three-state one (the frequency's change a
///    state too: a wobble's crest bridged under a word) when that is likelier; once a pass finds a steady
///    generator, or a smooth one whose measurements stray under the words, the frames where the voice covers the
///    harmonics are trusted less again, so that a word's partials cannot bend the track.
/// 4. **Subtraction** from a one-period table of the modelled waveform, read along φ at every sample.
///
/// Offline: it needs the whole stretch (a file job runs it on chunks). Memory is O(stretch length): the working
/// memory (frames, demodulated spectra, weights, Kalman states, the waveform table) is allocated once, for the
/// stretch length given to ``reserve(samples:)`` (or grown by the first longer stretch), and reused, so
/// ``removeHum(from:)`` on a stretch no longer than that allocates only the arrays of the ``HumTrack`` it returns
/// (``HumTrackingRemover`` reads the track from the working memory instead and allocates nothing).
///
/// Speed (HUM-TRACKER.md, v6 and v7): the resampler reads a copy of the input decimated to 16-24 kHz
/// (``HumDecimator``); from the start of the first refinement pass only the harmonics that stand out are modelled
/// (``harmonicsStandingOut(gain:)``), and when those are few and low enough (mains hum to about 1.3 kHz) the passes
/// after the first read half as many points a period through a shorter kernel (``halfGridAllowed()``); the
/// residual weights' and the amplitudes' loops over the cells run in CScrimVector, across the harmonics in vector
/// lanes; the candidate smoothers run eight to a vector (`scrim_vector_kalman_likelihoods`), and of the 32 phase
/// smoothers a pass compares only the winner runs its backward (RTS) pass. The tracker's discrete choices (stiffness,
/// variance factor, level) can flip on a different rounding of the same arithmetic, which moves single takes by
/// several dB either way (HUM-TRACKER.md); every sum runs in a fixed order, the same in every SIMD clone.
public final class HumTracker {
    public let sampleRate: Double
    public let referenceHertz: Double
    public let settings: HumTrackerSettings
    /// Harmonics modelled at most: 1…harmonicCount.
    public let harmonicCount: Int
    /// Harmonics modelled in the current stretch from the start of its first refinement pass: those up to the
    /// highest that stands out (``harmonicsStandingOut(gain:)``), at least to 1 kHz; all of them before (in the
    /// bootstrap).
    public private(set) var activeHarmonics: Int
    /// A harmonic counts as found when its frames' phases agree this well (mean resultant length, 0…1)...
    public static let minimumCoherence = 0.2
    /// …and its amplitude is at least this (−90 dBFS).
    public static let audibleAmplitude = 3.16e-5
    /// Angle-domain points per period of the fundamental.
    public static let pointsPerPeriod = 256

    private let kernel: SincKernel
    /// The half grid's kernel, FFT and window (``halfGrid``).
    private let halfKernel: SincKernel
    private let halfFFT: RealFFT
    private let halfWindow: [Float]
    /// Whether `demodulate` reads ``pointsPerPeriod``/2 points a period (with ``halfKernel``): set once the
    /// modelled harmonics are few and low enough (``halfGridAllowed()``).
    private(set) var halfGrid = false
    private let decimator: HumDecimator
    /// The input decimated by ``HumDecimator/factor``.
    private var decimated = Scratch<Float>()
    private let fft: RealFFT
    private let window: [Float]
    /// Phase knots every `knotStep` samples.
    private let knotStep: Int
    /// Frames per second (two per period of the reference).
    private let framesPerSecond: Double
    /// The phase stiffness (``phaseStiffnesses``) the last refinement pass chose.
    public private(set) var chosenStiffness = 0.0
    /// The curvature (``phaseCurvatures``) the last refinement pass chose; nil: a two-state track.
    public private(set) var chosenCurvature: Double?
    private let comb: CombSearch
    /// The phase track's and the level's candidate smoothers, and their likelihoods.
    private let phaseCandidates: KalmanCandidates
    private let curvedCandidates: KalmanCandidates
    private let levelCandidates: KalmanCandidates
    private var likelihoods = Scratch<Double>()
    /// The lock quality's smoothing kernel (Gaussian, σ 0.5 s in frames).
    private let qualityKernel: [Double]
    /// Harmonic numbers as Doubles.
    private let kk: [Double]
    /// Size of the one-period waveform table.
    private static let tableSize = 16384

    /// The residual weights' floor: this quantile of a harmonic's local residual power over the frames (the level
    /// of the pauses). The median (with a 0.1 factor) left −48 dB on steady hum under speech with the true phase
    /// given; the 20th percentile −85 dB (HUM-TRACKER.md, v3).
    static let weightFloorQuantile = 0.2
    /// The floor's quantile once the hum is known to be steady in frequency and level (the phase track chose a steady
    /// generator, and the level found in the last pass spans at most ``steadyLevelSpan``): the floor then sits in
    /// the cleanest cells, so a voice's partial near a harmonic weighs down more of its cells, and the track, the
    /// level and the amplitudes, all of which take these weights, lean on the quiet stretches alone. A steady hum
    /// cannot be mistaken there for anything else; a moving one is measured in the voice's frames too and keeps
    /// ``weightFloorQuantile``. On the 103 takes (HUM-TRACKER.md, v10) held-back steady 50 Hz -67.7 -> -87.2 dB,
    /// 60 Hz -64.8 -> -75.4, weak -60.4 -> -77.5; every wobbling type unchanged; `hum_pink` and `hum_noise` 0.1-0.2
    /// dB worse (under stationary noise fewer cells count fully). 0.1 gained 1-2 dB more on steady hum and lost
    /// 0.5 dB under noise; without the level's span as a condition a held-back AM take lost 10 dB.
    static let steadyWeightFloorQuantile = 0.15
    /// The span of a steady level (the level smoother's gain over a stretch, highest less lowest): a 30 % AM spans
    /// 0.6, a steady hum under a voice a few hundredths.
    static let steadyLevelSpan = 0.2
    /// The floor's quantile is taken over every this-many-th frame.
    static let floorFrameStride = 4
    /// The weights against a free level (those of each frame's level and of the phase measurement) treat a local
    /// residual under this many times the floor as the floor's own: only a residual well above the pauses' level
    /// (a voice's partial) weighs a cell down, and chance ups and downs of the noise do not. On the 71 corpus files
    /// (HUM-TRACKER.md, v5) `buzz_wobble` -40.4 -> -48.0 dB (worst -23.0 -> -40.4), `sine_drift` worst -34.6 ->
    /// -43.5, `drift` -48.4 -> -52.0; `swell` worst -47.7 -> -44.5 and one `hum_noise` take -22.4 -> -18.0 (its
    /// track no longer judged steady). 1.5 and 3 did about the same; the amplitudes' own weights were better
    /// without it (`swell` worst -38.9, `midword` -41.7 with it).
    static let levelWeightClamp = 2.0
    /// A level smoother whose chosen process noise is among ``levelProcessNoises``' first this-plus-one (1e-12 to
    /// 1e-9) holds a steady level; AM and swells choose 1e-8 or looser (one slow AM take 1e-9: -49.4 -> -47.8 dB on
    /// its type's mean, worst file unchanged).
    static let steadyLevelIndex = 2
    /// Candidate process noises (level, slope per frame, at 100 frames a second) of the level smoother, chosen with
    /// a variance factor (``varianceScales``) by the likelihood of every frame's level: from a level that stays put
    /// (steady mains under a voice: the voice's frames cannot bend it) to one that follows a 1 Hz, 30 % AM and a
    /// 20 dB swell ((1e-8, 1e-7), the one fixed choice before, HUM-TRACKER.md v4).
    static let levelProcessNoises: [(level: Double, slope: Double)] = [
        (1e-12, 1e-14), (1e-10, 1e-11), (1e-9, 1e-9), (1e-8, 1e-7), (1e-7, 1e-6),
    ]
    /// Process noise of the phase smoother's phase term (rad² per frame at 100 frames a second).
    static let phaseProcessNoise = 1e-7
    /// Candidate stiffnesses of the phase track: process noise of its frequency term ((rad/frame)² per frame at
    /// 100 frames a second). A random-walk generator at 0.25 Hz/√s needs about 2.5e-6; a ±1 Hz, 3 s sine drift
    /// about 2e-6; steady mains 1e-9 or stiffer: with the voice's frames trusted less (``steadyStiffness``), 1e-10
    /// and 1e-11 keep a steady track from bending 8 mrad under a 2 s word (held-back weak take -44.5 -> -52.4 dB;
    /// all 71 corpus files -50.9 -> -52.9, no type worse; HUM-TRACKER.md, v5).
    static let phaseStiffnesses = [1e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4]
    /// The phase smoother's candidates as (phase, frequency) process noises.
    static let phaseNoises = phaseStiffnesses.map { (level: phaseProcessNoise, slope: $0) }
    /// Candidate curvatures of a three-state phase track (phase, frequency, the frequency's change): process noise
    /// of the frequency's change per frame ((rad/frame²)² per frame at 100 frames a second). Across a word, where
    /// the measurements weigh little, a two-state track bridges the frequency with a straight line; a wobble's
    /// crest or trough is curved (±0.3 Hz over 8 s: 0.18 Hz/s²), and a 1 s straight bridge is off by f″T²/8 =
    /// 0.023 Hz, some 50 mrad of phase. The three-state track bridges with the curvature it had on either side.
    /// Chosen against the two-state candidates by the same likelihood, only for a generator that is not steady.
    static let phaseCurvatures = [1e-14, 1e-13, 1e-12, 1e-11, 1e-10, 1e-9, 1e-8]
    /// A generator whose three-state track is chosen with a curvature of at most this moves smoothly: its track is
    /// chosen once more with the voice's frames trusted less (`rSteady`, as a steady generator's), and taken if it
    /// stays within ``bridgeTolerance`` of the first. On the 46 moving takes the wobbles, drifts and buzz wobbles
    /// choose 1e-14 to 1e-10 and the steps 1e-9; trusting the voice's frames less on a step (its change seen only
    /// in them) left -10 dB (HUM-TRACKER.md, v8).
    static let smoothCurvature = 1e-10
    /// Radians of the fundamental by which a smooth generator's second track may differ from its first anywhere: on
    /// the 46 moving takes the wobbles' and drifts' differ by at most 0.029 rad, the steps' (had they been taken
    /// as smooth) by 0.05 to 0.5 (HUM-TRACKER.md, v8).
    static let bridgeTolerance = 0.05
    /// The three-state track's process noises of the phase and the frequency: the frequency moves only through its
    /// change.
    static let curvedPhaseNoise = (level: phaseProcessNoise, slope: 1e-12)
    /// A pass whose chosen stiffness is at most this tracks a steady generator (steady mains and slow drift choose
    /// 1e-9 or 1e-8; a ±0.3 Hz wobble, a step or a walk 1e-7 or looser).
    static let steadyStiffness = 1e-8
    /// Factors tried on the phase measurements' variances (the comb search's errors at low SNR are wider than its
    /// curvature says; under the voice they last many frames, which a larger factor says).
    static let varianceScales = [1.0, 4, 16, 64]

    // MARK: - Working memory

    /// Samples the working memory is sized for.
    public private(set) var reservedSamples = 0
    /// Phase knots (radians of the fundamental) at samples j·knotStep, `knotCount` of them.
    private var knots = Scratch<Double>()
    private var knotCount = 0
    /// The angle-domain signal and each point's time (samples).
    private var points = Scratch<Float>()
    private var pointTimes = Scratch<Double>()
    /// Frame observations cₖ[m] (row m, harmonic k at index k−1), frame centres in samples; `frames` of them.
    private var obsRe = Scratch<Double>()
    private var obsIm = Scratch<Double>()
    private var obsTimes = Scratch<Double>()
    private var frames = 0

    /// Per harmonic: amplitudes, the bootstrap's states, the comb's input, the start offset's lag products.
    private var ampRe = Scratch<Double>(), ampIm = Scratch<Double>(), ampDen = Scratch<Double>()
    private var harmonicScratch = Scratch<Double>()
    /// Per frame: the bootstrap's tracks and qualities (forward, backward), their smoothed qualities, the fused
    /// correction, the level and its times, frame gains, measurements, variances, the Kalman states.
    private var perFrame = Scratch<Double>()
    /// Per cell (frame × harmonic): weights, residual powers, their local means.
    private var weights = Scratch<Double>()
    private var cellPower = Scratch<Double>()
    private var smooth = Scratch<Double>()
    /// One period of the modelled waveform.
    private var table = Scratch<Double>()
    /// The selections' digit counts.
    private var histogram = Scratch<Int>()
    /// The start offset's grid (−1.5…1.5 Hz in 0.005 Hz steps): cos and sin of −k·w per grid point and harmonic,
    /// w the phase a frequency offset turns over the lag (the same for every stretch: computed once).
    private static let offsetGridCount = 601
    private var offsetCosines = Scratch<Double>(), offsetSines = Scratch<Double>()

    /// Per-frame slices of `perFrame` (each `frameCapacity` long).
    private var frameCapacity = 0
    private enum Slot: Int, CaseIterable {
        case forwardD, forwardQ, backwardD, backwardQ, smoothF, smoothB, fused, gain, gainNext, gainTimes,
             rawGain, rawWeight, rawWeightSteady, z, r, rSteady, base, y, scaled, target, column, seconds, fundamental,
             bridge
    }
    private static let slotCount = Slot.allCases.count
    /// Kalman states after the slots: xs, xp (2 per frame), ps, pp (4 per frame) for the two-state smoother; xs, xp
    /// (3 per frame), ps, pp (6 per frame, the distinct entries) for the three-state one.
    private static let kalmanSlots = 18

    @inline(__always) private func slot(_ s: Slot) -> UnsafeMutablePointer<Double> {
        perFrame.base + s.rawValue * frameCapacity
    }

    /// Harmonic-scratch slices (each `harmonicCount` long).
    private enum HarmonicSlot: Int, CaseIterable {
        case aRe, aIm, uRe, uIm, mag, floor, local, rRe, rIm, vRe, vIm, weight, lagRe, lagIm
        /// Phasor scratch (two sets: the demodulation's even and odd frames) and the harmonics' standing-out ratios.
        case cosK, sinK, cosK2, sinK2, ratio
        /// The harmonics' levels and weights, in order of level (``medianGains(into:)``).
        case medianLevel, medianWeight
    }

    @inline(__always) private func hslot(_ s: HarmonicSlot) -> UnsafeMutablePointer<Double> {
        harmonicScratch.base + s.rawValue * harmonicCount
    }

    /// - Throws: ``ScrimError`` `.configuration` for a rate under 8 kHz or a reference outside 20–400 Hz.
    public init(sampleRate: Double, referenceHertz: Double, settings: HumTrackerSettings = HumTrackerSettings())
        throws(ScrimError)
    {
        guard sampleRate >= 8000, sampleRate <= 768_000, referenceHertz >= 20, referenceHertz <= 400 else {
            throw ScrimError(.configuration, "hum tracker: rate \(sampleRate) Hz / fundamental \(referenceHertz) Hz "
                             + "out of range (8-768 kHz, 20-400 Hz)")
        }
        self.sampleRate = sampleRate
        self.referenceHertz = referenceHertz
        self.settings = settings
        let top = min(settings.maximumFrequencyHertz, 0.45 * sampleRate, SincKernel.cutoffHertz - 900)
        harmonicCount = max(1, min(Self.pointsPerPeriod / 2 - 1, Int(top / referenceHertz)))
        activeHarmonics = harmonicCount
        decimator = HumDecimator(sampleRate: sampleRate)
        kernel = SincKernel(sampleRate: decimator.outputRate)
        halfKernel = SincKernel(sampleRate: decimator.outputRate, passHertz: Self.halfGridPassHertz,
                                stopHertz: Self.halfGridStopHertz)
        fft = try RealFFT(fftSize: 2 * Self.pointsPerPeriod, directions: .forward)
        halfFFT = try RealFFT(fftSize: Self.pointsPerPeriod, directions: .forward)
        let n = 2 * Self.pointsPerPeriod
        window = (0..<n).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n))) }
        halfWindow = (0..<(n / 2)).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n / 2))) }
        knotStep = max(1, Int((0.005 * sampleRate).rounded()))
        framesPerSecond = 2 * referenceHertz
        comb = CombSearch(harmonics: harmonicCount)
        phaseCandidates = KalmanCandidates(noises: Self.phaseNoises, scales: Self.varianceScales,
                                           framesPerSecond: framesPerSecond, diffuse: true)
        curvedCandidates = KalmanCandidates(noises: [Self.curvedPhaseNoise], curvatures: Self.phaseCurvatures,
                                            scales: Self.varianceScales, framesPerSecond: framesPerSecond,
                                            diffuse: true)
        levelCandidates = KalmanCandidates(noises: Self.levelProcessNoises, scales: Self.varianceScales,
                                           framesPerSecond: framesPerSecond, diffuse: false)
        likelihoods.ensure(8 * max(phaseCandidates.blocks, curvedCandidates.blocks, levelCandidates.blocks))
        let sigma = 0.5 * framesPerSecond
        let r = Int(3 * sigma) + 1
        qualityKernel = (-r...r).map { exp(-0.5 * pow(Double($0) / sigma, 2)) }
        kk = (1...harmonicCount).map(Double.init)
        harmonicScratch.ensure(HarmonicSlot.allCases.count * harmonicCount)
        ampRe.ensure(harmonicCount)
        ampIm.ensure(harmonicCount)
        ampDen.ensure(harmonicCount)
        table.ensure(Self.tableSize + 1)
        histogram.ensure(256)
        let K = harmonicCount
        offsetCosines.ensure(Self.offsetGridCount * K)
        offsetSines.ensure(Self.offsetGridCount * K)
        let lag = max(1, Int((0.05 * framesPerSecond).rounded()))
        for g in 0..<Self.offsetGridCount {
            let f = -1.5 + 0.005 * Double(g)
            let w = 2 * Double.pi * f * Double(lag) / framesPerSecond
            for k in 0..<K {
                let angle = -Double(k + 1) * w
                offsetCosines[g * K + k] = cos(angle)
                offsetSines[g * K + k] = sin(angle)
            }
        }
    }

    deinit {
        for scratch in [knots, pointTimes, obsRe, obsIm, obsTimes, initialRe, initialIm, initialTimes, ampRe, ampIm,
                        ampDen, harmonicScratch, perFrame,
                        weights, cellPower, smooth, table, likelihoods] {
            scratch.release()
        }
        points.release()
        decimated.release()
        histogram.release()
        offsetCosines.release()
        offsetSines.release()
    }

    /// Sizes the working memory for stretches of up to `samples` samples (a fundamental up to 5 % + 3 Hz above
    /// the reference included), so that tracking them allocates nothing.
    public func reserve(samples: Int) {
        guard samples > reservedSamples else { return }
        reservedSamples = samples
        ensureKnots(samples / knotStep + 2)
        decimated.ensure(decimator.outputCount(samples))
        let periods = Double(samples) / sampleRate * (referenceHertz * 1.05 + 3)
        let pointCount = Int(periods * Double(Self.pointsPerPeriod)) + 2 * Self.pointsPerPeriod
        ensurePoints(pointCount)
        ensureFrames(2 * pointCount / Self.pointsPerPeriod + 2)
    }

    private func ensureKnots(_ count: Int) {
        knots.ensure(count)
    }

    private func ensurePoints(_ count: Int) {
        points.ensure(count)
        pointTimes.ensure(count)
    }

    /// Grows the per-frame and per-cell memory; the per-frame slots keep their values (the level and its times
    /// carry from one pass to the next), the rest is rewritten before use.
    private func ensureFrames(_ count: Int) {
        guard count > frameCapacity else { return }
        let old = frameCapacity
        frameCapacity = count
        let K = harmonicCount
        obsRe.ensure(count * K)
        obsIm.ensure(count * K)
        obsTimes.ensure(count)
        initialRe.ensure(count * initialHarmonics)
        initialIm.ensure(count * initialHarmonics)
        initialTimes.ensure(count)

        var grown = Scratch<Double>()
        grown.ensure((Self.slotCount + Self.kalmanSlots) * count)
        if old > 0 {
            for s in 0..<Self.slotCount { (grown.base + s * count).update(from: perFrame.base + s * old, count: old) }
        }
        perFrame.release()
        perFrame = grown
        weights.ensure(count * K)
        cellPower.ensure(count * K)
        smooth.ensure(count * K)
    }

    // MARK: - Phase knots

    @inline(__always)
    private func phase(at t: Double) -> Double {
        let phase = knots.base
        let u = t / Double(knotStep)
        let j = min(max(0, Int(u.rounded(.down))), knotCount - 2)
        return phase[j] + (phase[j + 1] - phase[j]) * (u - Double(j))
    }

    /// Adds `d` (given at frame times in samples, held at the ends) to every knot.
    private func addToKnots(_ d: UnsafePointer<Double>, at times: UnsafePointer<Double>, count: Int) {
        guard count > 0 else { return }
        let phase = knots.base
        let step = knotStep
        var i = 0
        for j in 0..<knotCount {
            let t = Double(j * step)
            while i + 1 < count && times[i + 1] <= t { i += 1 }
            let value: Double
            if t <= times[0] { value = d[0] }
            else if i + 1 >= count { value = d[count - 1] }
            else {
                let f = (t - times[i]) / max(times[i + 1] - times[i], 1e-9)
                value = d[i] + (d[i + 1] - d[i]) * f
            }
            phase[j] += value
        }
        // φ must keep rising (a positive frequency).
        let least = 1e-6
        for j in 1..<knotCount where phase[j] <= phase[j - 1] + least { phase[j] = phase[j - 1] + least }
    }

    // MARK: - Demodulation

    /// Frame observations cₖ[m] along the knots' phase into `obsRe`/`obsIm`/`obsTimes`; sets `frames` (0 when the
    /// stretch is too short).
    private func demodulate(_ x: UnsafeBufferPointer<Float>, samples n: Int) {
        let P = halfGrid ? Self.pointsPerPeriod / 2 : Self.pointsPerPeriod
        let kernel = halfGrid ? halfKernel : self.kernel
        let fft = halfGrid ? halfFFT : self.fft
        let window = halfGrid ? halfWindow : self.window
        let K = activeHarmonics
        let theta0 = knots[0]
        let endPhase = phase(at: Double(n - 1))
        let pointCount = Int(((endPhase - theta0) / (2 * Double.pi) * Double(P)).rounded(.down)) + 1
        frames = 0
        guard pointCount >= 2 * P + P / 2 else { return }
        ensurePoints(pointCount)
        let frameCount = (pointCount - 2 * P) / (P / 2) + 1
        ensureFrames(frameCount)
        let y = points.base, times = pointTimes.base
        let dTheta = 2 * Double.pi / Double(P)
        let phi = knots.base
        let knotEnd = knotCount
        let step = Double(knotStep)
        // The points' times in samples of the decimated input (``HumDecimator``): the knot interval's inverse span
        // once per interval, not a division per point.
        let factor = Double(decimator.factor)
        let last = Double(n - 1)
        var j = 0
        var inverseSpan = 1 / (phi[1] - phi[0])
        for i in 0..<pointCount {
            let theta = theta0 + Double(i) * dTheta
            if j + 2 < knotEnd && phi[j + 1] <= theta {
                while j + 2 < knotEnd && phi[j + 1] <= theta { j += 1 }
                inverseSpan = 1 / (phi[j + 1] - phi[j])
            }
            let t = (Double(j) + (theta - phi[j]) * inverseSpan) * step
            times[i] = min(t, last)
        }
        // The division apart from the loop above, whose knot search keeps it scalar: here it runs two to a vector
        // (the same quotients; it was a quarter of this function's own time).
        for i in 0..<pointCount { times[i] /= factor }
        kernel.sample(x, at: UnsafePointer(times), count: pointCount, into: y)
        let re = obsRe.base, im = obsIm.base, centres = obsTimes.base
        let scale = 2.0 / Double(P)
        let input = fft.input
        let real = fft.real, imag = fft.imag
        // e^{−jkθ_start}, θ_start = θ0 + m·π: one set of phasors for the even frames, one for the odd.
        let evenCos = hslot(.cosK), evenSin = hslot(.sinK), oddCos = hslot(.cosK2), oddSin = hslot(.sinK2)
        let theta = theta0.truncatingRemainder(dividingBy: 2 * Double.pi)
        scrim_vector_phasors(evenCos, evenSin, Int64(K), cos(theta), sin(theta))
        scrim_vector_phasors(oddCos, oddSin, Int64(K), cos(theta + Double.pi), sin(theta + Double.pi))
        window.withUnsafeBufferPointer { wp in
            for m in 0..<frameCount {
                let start = m * (P / 2)
                scrim_vector_multiply(input.baseAddress, wp.baseAddress, y + start, Int64(2 * P))
                fft.forward()
                centres[m] = times[start + P] * factor
                let c = m % 2 == 0 ? evenCos : oddCos, s = m % 2 == 0 ? evenSin : oddSin
                for k in 0..<K {
                    let xr = Double(real[2 * k + 2]), xi = Double(imag[2 * k + 2])
                    re[m * K + k] = scale * (xr * c[k] + xi * s[k])
                    im[m * K + k] = scale * (xi * c[k] - xr * s[k])
                }
            }
        }
        frames = frameCount
    }

    // MARK: - Bootstrap

    /// Frequency offset (Hz) over the first 0.5 s from lag products; 0 when the best is at the search's edge
    /// (speech, not hum).
    private func startOffset(reversed: Bool) -> Double {
        let K = harmonicCount
        let count = frames
        let re = obsRe.base, im = obsIm.base
        let lag = max(1, Int((0.05 * framesPerSecond).rounded()))
        let usable = min(count, max(lag + 2, Int(0.5 * framesPerSecond)))
        guard usable >= lag + 2 else { return 0 }
        let pr = hslot(.lagRe), pi = hslot(.lagIm)
        pr.update(repeating: 0, count: K)
        pi.update(repeating: 0, count: K)
        for m in lag..<usable {
            let a = reversed ? count - 1 - m : m
            let b = reversed ? count - 1 - (m - lag) : m - lag
            for k in 0..<K {
                let ar = re[a * K + k], ai = im[a * K + k], br = re[b * K + k], bi = -im[b * K + k]
                pr[k] += ar * br - ai * bi
                pi[k] += ar * bi + ai * br
            }
        }
        let gridCount = Self.offsetGridCount
        let cosines = offsetCosines.base, sines = offsetSines.base
        var best = -Double.infinity, bestIndex = 0
        for g in 0..<gridCount {
            var s = 0.0
            let row = g * K
            for k in 0..<K { s += pr[k] * cosines[row + k] - pi[k] * sines[row + k] }
            if s > best { best = s; bestIndex = g }
        }
        if bestIndex < 5 || bestIndex > gridCount - 6 { return 0 }
        return -1.5 + 0.005 * Double(bestIndex)
    }

    /// r = the first `count` harmonics of a row of the observations rotated by e^{-jkδ}.
    @inline(__always)
    private func rotate(_ row: Int, by delta: Double, into rRe: UnsafeMutablePointer<Double>,
                        _ rIm: UnsafeMutablePointer<Double>, count K: Int) {
        let stride = activeHarmonics
        let re = obsRe.base + row * stride, im = obsIm.base + row * stride
        let c = hslot(.cosK), s = hslot(.sinK)
        scrim_vector_phasors(c, s, Int64(K), cos(delta), sin(delta))
        // × e^{−jkδ}
        scrim_vector_hum_rotate(rRe, rIm, re, im, c, s, Int64(K))
    }

    /// The causal joint PLL over the frames (forwards, or over the reversed frames): the phase correction d[m] in
    /// radians of the fundamental (in the order of the frames) into `out`, and the lock quality per frame into
    /// `quality`. The loop hears the harmonics to 1 kHz (``initialHarmonics``): with every harmonic to 4 kHz it took
    /// 12 % of a 10 min take's time, against 5 %, and on the 103 corpus and held-back takes the harmonics above
    /// 1 kHz made the start no better (all 71 corpus files -55.1 -> -55.8 dB without them, the held-back set -52.8
    /// either way; HUM-TRACKER.md, v9). The passes after it use every harmonic.
    private func bootstrap(reversed: Bool, nu0: Double, out: UnsafeMutablePointer<Double>,
                           quality: UnsafeMutablePointer<Double>) {
        let M = frames, K = min(activeHarmonics, initialHarmonics)
        let fps = framesPerSecond
        let tau = 3.0 * fps
        let acquisition = max(3, Int(0.3 * fps))
        let zeta = 0.707
        let wn = 2 * settings.loopBandwidthHertz / (zeta + 1 / (4 * zeta)) / fps
        let kp = 2 * zeta * wn, ki = wn * wn
        let aRe = hslot(.aRe), aIm = hslot(.aIm), uRe = hslot(.uRe), uIm = hslot(.uIm), mag = hslot(.mag)
        let floor = hslot(.floor), local = hslot(.local), rRe = hslot(.rRe), rIm = hslot(.rIm)
        let vRe = hslot(.vRe), vIm = hslot(.vIm), weight = hslot(.weight)
        // The slots are contiguous from aRe to weight (HarmonicSlot's order): all 0, then uRe 1.
        aRe.update(repeating: 0, count: (HarmonicSlot.weight.rawValue + 1) * harmonicCount)
        uRe.update(repeating: 1, count: K)
        var d = 0.0, nu = nu0
        out.update(repeating: 0, count: M)
        quality.update(repeating: 0, count: M)
        let floorRate = 1 / (3.0 * fps)

        for step in 0..<M {
            let row = reversed ? M - 1 - step : step
            d += nu
            rotate(row, by: d, into: rRe, rIm, count: K)
            if step < acquisition {
                let inv = 1 / Double(step + 1)
                for k in 0..<K { aRe[k] += (rRe[k] - aRe[k]) * inv; aIm[k] += (rIm[k] - aIm[k]) * inv }
                if step == acquisition - 1 {
                    for k in 0..<K {
                        mag[k] = (aRe[k] * aRe[k] + aIm[k] * aIm[k]).squareRoot()
                        let s = max(mag[k], 1e-30)
                        uRe[k] = aRe[k] / s; uIm[k] = aIm[k] / s
                        floor[k] = 1e-6 * max(mag[k] * mag[k], 1e-30)
                    }
                }
                out[row] = d
                continue
            }
            // Each harmonic's weight from its magnitude's recent scatter, and v = w r conj(ref), ref = mag u
            // (CScrimVector: the harmonics in vector lanes).
            scrim_vector_hum_bootstrap_weigh(vRe, vIm, weight, local, floor, rRe, rIm, mag, uRe, uIm, floorRate,
                                             Int64(K))
            let err = comb.argmax(vRe, vIm, count: K)
            d += kp * err
            nu += ki * err
            rotate(row, by: d, into: rRe, rIm, count: K)
            // The magnitudes follow the projections; the lock quality Σ w·proj / Σ |w·(proj, quadrature)| (the
            // demodulation's phasor slots, unused here, as scratch).
            quality[row] = scrim_vector_hum_bootstrap_follow(mag, rRe, rIm, uRe, uIm, weight, tau, hslot(.cosK2),
                                                             Int64(K))
            out[row] = d
        }
    }

    // MARK: - Refinement helpers

    /// The element of rank `rank` (0-based, ascending) among `values[0..<count]`, all ≥ +0 and not NaN (which it
    /// reorders): the value a sort (or ``OrderStatistics/select(_:count:rank:)``) would put there, found by radix
    /// selection on the bit patterns, whose order is the numbers' order for non-negative Doubles: per byte from the
    /// top, count the candidates' digits, keep the candidates in the digit bin that holds the rank. Branch-free
    /// passes over a shrinking set instead of quickselect's unpredictable comparisons (the weights' floors are
    /// selected once per harmonic, 13 times a chunk).
    private func selectNonNegative(_ values: UnsafeMutablePointer<Double>, count: Int, rank: Int) -> Double {
        let counts = histogram.base
        var candidates = count
        var rank = rank
        var shift: UInt64 = 56
        while true {
            counts.update(repeating: 0, count: 256)
            for i in 0..<candidates { counts[Int(truncatingIfNeeded: values[i].bitPattern >> shift) & 255] += 1 }
            var digit = 0
            while rank >= counts[digit] {
                rank -= counts[digit]
                digit += 1
            }
            // Keep the candidates with that digit (all share the digits above it).
            var kept = 0
            for i in 0..<candidates {
                let value = values[i]
                values[kept] = value
                kept += Int(truncatingIfNeeded: value.bitPattern >> shift) & 255 == digit ? 1 : 0
            }
            candidates = kept
            if candidates == 1 || shift == 0 { return values[0] }
            shift -= 8
        }
    }

    /// The lock quality smoothed by ``qualityKernel`` (all frames weighing 1).
    private func smoothQuality(_ value: UnsafePointer<Double>, count n: Int, into out: UnsafeMutablePointer<Double>) {
        let r = qualityKernel.count / 2
        qualityKernel.withUnsafeBufferPointer { kernel in
            // Away from the ends every frame sums the whole kernel, in the same order: its sum once.
            var whole = 0.0
            for j in 0..<kernel.count { whole += kernel[j] * 1.0 }
            for i in 0..<n {
                let lo = max(0, i - r), hi = min(n - 1, i + r)
                let interior = lo == i - r && hi == i + r
                var num = 0.0, den = 0.0
                for j in lo...hi {
                    // The weight (1) times the kernel: the kernel itself.
                    let w = kernel[j - i + r] * 1.0
                    num += w * value[j]
                    if !interior { den += w }
                }
                if interior { den = whole }
                out[i] = den > 1e-30 ? num / den : value[i]
            }
        }
    }

    /// Weights 1/(local residual power + a floor), per cell, into `weights`; the floor is a low quantile
    /// (`quantile`) of that harmonic's local residual power over the frames (the level of the pauses), so the quiet
    /// stretches dominate.
    /// `clamp`: a local residual power under `clamp` × the floor counts as that (cells the voice does not cover
    /// weigh the same, however the noise happens to fall in them).
    private func residualWeights(gain: UnsafePointer<Double>, clamp: Double = 0,
                                 quantile: Double = HumTracker.weightFloorQuantile) {
        let M = frames, K = activeHarmonics
        let re = obsRe.base, im = obsIm.base, ar = ampRe.base, ai = ampIm.base
        let power = cellPower.base, smooth = self.smooth.base, out = weights.base
        let floors = hslot(.weight)
        // Each cell's residual power, then its mean over the frames within ±25 ms, summed directly: running sums
        // (a difference of two prefix sums) lost the pauses' residual in the rounding of the take's total, down
        // to 0 or below in the quiet after a loud word, and with it the weights and the level's variances
        // (1e-26 against 1e-10), which then let the level smoother swing from -6.5 to 2.6 under a held vowel.
        // (The cells' loops in CScrimVector: the same operations per cell, across the harmonics in vector lanes.)
        scrim_vector_hum_residual_power(power, re, im, gain, ar, ai, Int64(M), Int64(K))
        let half = max(1, Int((0.05 * framesPerSecond).rounded())) / 2
        scrim_vector_hum_local_means(smooth, power, Int64(M), Int64(K), Int64(half))
        // The floor from every ``floorFrameStride``-th frame: the local means of neighbouring frames share most of
        // their cells (frames overlap four to one, the mean spans five), and the selection was 8 % of the time.
        let column = slot(.column)
        let stride = Self.floorFrameStride
        let sampled = (M + stride - 1) / stride
        let rank = min(sampled - 1, Int(quantile * Double(sampled)))
        for k in 0..<K {
            for i in 0..<sampled { column[i] = smooth[i * stride * K + k] }
            floors[k] = selectNonNegative(column, count: sampled, rank: rank)
        }
        scrim_vector_hum_weights(out, smooth, floors, clamp, Int64(M), Int64(K))
    }

    /// The least-squares level of each frame against the amplitudes, g = Σₖ w Re(c·conj A) / Σₖ w |A|², and its
    /// weight Σₖ w |A|²; into `steady`, when given, the same weight with each term scaled by min(1, 2·w·floor) (the
    /// floors those of the last ``residualWeights(gain:clamp:)``), for a steady level.
    private func frameGains(into gm: UnsafeMutablePointer<Double>, weight gw: UnsafeMutablePointer<Double>,
                            steady: UnsafeMutablePointer<Double>? = nil) {
        let K = activeHarmonics
        let re = obsRe.base, im = obsIm.base, ar = ampRe.base, ai = ampIm.base, weights = self.weights.base
        let floors = hslot(.weight)
        for m in 0..<frames {
            var num = 0.0, den = 0.0, denSteady = 0.0
            for k in 0..<K {
                let w = weights[m * K + k]
                let a2 = ar[k] * ar[k] + ai[k] * ai[k]
                den += w * a2
                num += w * (re[m * K + k] * ar[k] + im[m * K + k] * ai[k])
                if steady != nil { denSteady += w * min(1, 2 * w * floors[k]) * a2 }
            }
            gm[m] = num / max(den, 1e-30)
            gw[m] = den
            steady?[m] = denSteady
        }
    }

    /// Each frame's weighted median of the harmonics' own levels Re(c·conj A)/|A|², weighted w|A|² (the terms of
    /// ``frameGains(into:weight:steady:)``'s mean), into `gm`; frames without weight keep their value.
    private func medianGains(into gm: UnsafeMutablePointer<Double>) {
        let K = activeHarmonics
        let re = obsRe.base, im = obsIm.base, ar = ampRe.base, ai = ampIm.base, weights = self.weights.base
        let level = hslot(.medianLevel), weight = hslot(.medianWeight)
        for m in 0..<frames {
            var total = 0.0
            // Insertion by level (K is at most a few dozen; equal levels keep the order of k).
            for k in 0..<K {
                let a2 = ar[k] * ar[k] + ai[k] * ai[k]
                let value = a2 > 1e-30 ? (re[m * K + k] * ar[k] + im[m * K + k] * ai[k]) / a2 : 0
                let w = a2 > 1e-30 ? weights[m * K + k] * a2 : 0
                total += w
                var j = k
                while j > 0 && level[j - 1] > value {
                    level[j] = level[j - 1]
                    weight[j] = weight[j - 1]
                    j -= 1
                }
                level[j] = value
                weight[j] = w
            }
            guard total > 0 else { continue }
            var sum = 0.0
            for j in 0..<K {
                sum += weight[j]
                if sum >= total / 2 {
                    gm[m] = level[j]
                    break
                }
            }
        }
    }

    /// The harmonics to model from here on: 1 up to a quarter (at least four) past the lowest cut above which the
    /// harmonics, taken together, do not stand out of their own uncertainty, and at least to
    /// ``modelledAtLeastHertz``. Each harmonic's ratio |Aₖ|² / var(Aₖ) (the variance of its weighted mean, as the
    /// estimated hum left computes it) is about exponential with mean 1 where there is no hum; the ratios above a cut
    /// count as none when their sum is under their number plus ``standingOutSigmas`` standard deviations. A block
    /// test, not one harmonic at a time: a lone chance ratio of 4 (odds e⁻⁴ per harmonic) kept every harmonic on
    /// about half the takes, and a ratio of 16 for each dropped the weak top of a buzz (one held-back take −58 ->
    /// −22 dB). A harmonic that does not stand out is estimated from the voice and the noise in its bin, and what
    /// its model subtracts is theirs; every harmonic modelled costs time in every step that follows.
    private func harmonicsStandingOut(gain: UnsafePointer<Double>) -> Int {
        let K = activeHarmonics
        let ar = ampRe.base, ai = ampIm.base
        let ratios = hslot(.ratio)
        for k in 0..<K {
            ratios[k] = (ar[k] * ar[k] + ai[k] * ai[k]) / max(amplitudeVariance(k, gain: gain), 1e-300)
        }
        let lowest = min(K, Int((Self.modelledAtLeastHertz / referenceHertz).rounded(.up)))
        // The tail sums from the top down; the cut is the lowest whose tail (and every shorter one) counts as none.
        var cut = K, tail = 0.0
        for c in stride(from: K - 1, through: lowest, by: -1) {
            tail += ratios[c]
            let count = Double(K - c)
            if tail > count + Self.standingOutSigmas * count.squareRoot() { break }
            cut = c
        }
        if cut >= K { return K }
        return min(K, cut + max(4, (cut + 3) / 4))
    }
    /// The half grid's kernel is flat to within its stop band's level up to this frequency…
    static let halfGridPassHertz = 1600.0
    /// …and its stop band (about −80 dB) starts here.
    static let halfGridStopHertz = 4900.0
    /// Whether the half grid can serve the harmonics now modelled: the highest within the half kernel's pass band
    /// at the track's highest fundamental, and nothing the kernel lets through folds onto them (with
    /// ``pointsPerPeriod``/2 = P points a period, order q folds onto order P − q: the orders that fold onto
    /// harmonics 1…K are P − K and above, which must lie in the stop band at the track's lowest fundamental).
    /// Mains hum modelled to 1.25 kHz qualifies (25 harmonics of 50 Hz: pass band to 1.28 kHz, folds from 5.0 kHz;
    /// 22 of 60 Hz: 1.34 and 6.3 kHz); a buzz to 4 kHz does not.
    private func halfGridAllowed() -> Bool {
        let half = Self.pointsPerPeriod / 2
        let K = activeHarmonics
        guard K < half / 2 else { return false }
        // The fundamental over 20 ms spans of the knots.
        let span = 4
        var lowest = Double.infinity, highest = 0.0
        var j = 0
        while j + span < knotCount {
            let f = (knots[j + span] - knots[j]) / Double(span * knotStep) * sampleRate / (2 * Double.pi)
            lowest = min(lowest, f)
            highest = max(highest, f)
            j += span
        }
        guard highest > 0 else { return false }
        return Double(K) * highest <= Self.halfGridPassHertz
            && Double(half - K) * lowest >= Self.halfGridStopHertz
    }
    /// Keeps harmonics 1...`count` of the frames' observations (rows of `activeHarmonics` become rows of `count`).
    private func keepHarmonics(_ count: Int) {
        guard count < activeHarmonics else { return }
        copyObservations(harmonics: count, into: obsRe.base, obsIm.base)
        activeHarmonics = count
    }

    /// The frames' observations of harmonics 1…`count` (at most ``activeHarmonics``), rows of `count`, into `re`/`im`
    /// (which may be the observations themselves: each row moves to or before where it was).
    private func copyObservations(harmonics count: Int, into re: UnsafeMutablePointer<Double>,
                                  _ im: UnsafeMutablePointer<Double>) {
        let K = activeHarmonics, sourceRe = obsRe.base, sourceIm = obsIm.base
        for m in 0..<frames {
            for k in 0..<count {
                re[m * count + k] = sourceRe[m * K + k]
                im[m * count + k] = sourceIm[m * K + k]
            }
        }
    }
    /// The variance of harmonic k's amplitude (index k, 0-based) as a weighted mean over the frames: the weights
    /// squared, as ``amplitudes(gain:uniform:)`` uses them, frames overlapping four to one.
    private func amplitudeVariance(_ k: Int, gain: UnsafePointer<Double>) -> Double {
        let M = frames, K = activeHarmonics
        let re = obsRe.base, im = obsIm.base, ar = ampRe.base, ai = ampIm.base, weights = self.weights.base
        var sw = 0.0, sw2r = 0.0
        for m in 0..<M {
            let w = weights[m * K + k] * weights[m * K + k]
            let dr = re[m * K + k] - gain[m] * ar[k], di = im[m * K + k] - gain[m] * ai[k]
            sw += w * gain[m] * gain[m]
            sw2r += w * w * gain[m] * gain[m] * (dr * dr + di * di)
        }
        return 4 * sw2r / max(sw * sw, 1e-300)
    }

    /// Harmonics are modelled at least up to this frequency (the mains series the corpus and the held-back set use
    /// reach 1 kHz).
    static let modelledAtLeastHertz = 1000.0
    /// Standard deviations over its mean at which a block of harmonics stands out (``harmonicsStandingOut(gain:)``).
    static let standingOutSigmas = 4.0

    /// Aₖ = Σₘ w g c / Σₘ w g², into `ampRe`/`ampIm`; `uniform`: every weight 1.
    private func amplitudes(gain: UnsafePointer<Double>, uniform: Bool = false) {
        let M = frames, K = activeHarmonics
        let re = obsRe.base, im = obsIm.base, weights = self.weights.base
        let nr = ampRe.base, ni = ampIm.base, den = ampDen.base
        // The weight squared: the quiet frames dominate more (−85 dB left against −62 dB with the weight itself,
        // true phase given, steady hum under speech). The sums in CScrimVector, each harmonic's over the frames in
        // order.
        scrim_vector_hum_amplitude_sums(nr, ni, den, re, im, uniform ? nil : UnsafePointer(weights), gain, Int64(M),
                                        Int64(K))
        for k in 0..<K { let s = max(den[k], 1e-30); nr[k] /= s; ni[k] /= s }
    }

    /// Of the candidate process noises `candidates` and the variance factors ``varianceScales``, the pair under
    /// which the two-state Kalman filter (value, change per frame; the one ``kalmanSmooth`` runs forwards) gives
    /// `z`, with the variances `variance` times the factor, the greatest likelihood (factors outer, candidates
    /// inner, the first of equals kept); nil when no likelihood is greater than -infinity. The candidates' filters
    /// run side by side (`scrim_vector_kalman_likelihoods`, or `scrim_vector_kalman3_likelihoods` for three-state
    /// candidates; eight to a vector, the log taken once per eight frames of the innovation variances' product): the
    /// log per frame and candidate was 8 % of the time. Also returns the winner's log-likelihood.
    private func mostLikely(_ z: UnsafePointer<Double>, variance: UnsafePointer<Double>, count M: Int,
                            candidates: KalmanCandidates) -> (index: Int, scale: Double, logLikelihood: Double)? {
        let out = likelihoods.base
        candidates.q0.withUnsafeBufferPointer { q0 in
            candidates.q1.withUnsafeBufferPointer { q1 in
                candidates.q2.withUnsafeBufferPointer { q2 in
                    candidates.scales.withUnsafeBufferPointer { scales in
                        if candidates.threeStates {
                            scrim_vector_kalman3_likelihoods(out, z, variance, Int64(M), q0.baseAddress,
                                                             q1.baseAddress, q2.baseAddress, scales.baseAddress,
                                                             Int64(candidates.blocks), candidates.p00Start,
                                                             candidates.p11Start, candidates.p22Start)
                        } else {
                            scrim_vector_kalman_likelihoods(out, z, variance, Int64(M), q0.baseAddress,
                                                            q1.baseAddress, scales.baseAddress,
                                                            Int64(candidates.blocks), candidates.p00Start,
                                                            candidates.p11Start)
                        }
                    }
                }
            }
        }
        var best = -Double.infinity
        var choice: (index: Int, scale: Double, logLikelihood: Double)?
        for lane in 0..<candidates.count where out[lane] > best {
            best = out[lane]
            choice = (lane % candidates.noiseCount, candidates.scales[lane], best)
        }
        return choice
    }

    /// Two-state (value, change per frame) Kalman filter and RTS smoother. `q0`, `q1`: process noise of the value
    /// and of its change per frame at 100 frames a second (scaled to the frame rate); `diffuse`: a wide prior (for
    /// a track far from 0). Writes the smoothed values to `values` (which may be `z`).
    private func kalmanSmooth(_ z: UnsafePointer<Double>, variance r: UnsafePointer<Double>, count M: Int,
                              q0 q0At100: Double, q1 q1At100: Double, diffuse: Bool,
                              into values: UnsafeMutablePointer<Double>) {
        let scale = 100 / framesPerSecond
        let q0 = q0At100 * scale
        let q1Scale = scale * scale * scale
        let states = perFrame.base + Self.slotCount * frameCapacity
        let xs = states, xp = states + 2 * frameCapacity
        let ps = states + 4 * frameCapacity, pp = states + 8 * frameCapacity
        var x0 = 0.0, x1 = 0.0
        var p00 = diffuse ? 1e6 : 1.0, p01 = 0.0, p10 = 0.0, p11 = diffuse ? 1.0 : 1e-2
        for m in 0..<M {
            // predict: F = [[1,1],[0,1]]
            x0 += x1
            let q1 = q1At100 * q1Scale
            let a00 = p00 + p01 + p10 + p11 + q0, a01 = p01 + p11, a10 = p10 + p11, a11 = p11 + q1
            p00 = a00; p01 = a01; p10 = a10; p11 = a11
            xp[2 * m] = x0; xp[2 * m + 1] = x1
            pp[4 * m] = p00; pp[4 * m + 1] = p01; pp[4 * m + 2] = p10; pp[4 * m + 3] = p11
            if r[m].isFinite {
                let s = p00 + r[m]
                let k0 = p00 / s, k1 = p10 / s
                let innovation = z[m] - x0
                x0 += k0 * innovation; x1 += k1 * innovation
                let n00 = p00 - k0 * p00, n01 = p01 - k0 * p01, n10 = p10 - k1 * p00, n11 = p11 - k1 * p01
                p00 = n00; p01 = n01; p10 = n10; p11 = n11
            }
            xs[2 * m] = x0; xs[2 * m + 1] = x1
            ps[4 * m] = p00; ps[4 * m + 1] = p01; ps[4 * m + 2] = p10; ps[4 * m + 3] = p11
        }
        if M >= 2 {
            for m in stride(from: M - 2, through: 0, by: -1) {
                // G = Ps[m] Fᵀ inv(Pp[m+1])
                let s00 = ps[4 * m], s01 = ps[4 * m + 1], s10 = ps[4 * m + 2], s11 = ps[4 * m + 3]
                // Ps Fᵀ, Fᵀ = [[1,0],[1,1]]
                let b00 = s00 + s01, b01 = s01, b10 = s10 + s11, b11 = s11
                let q00 = pp[4 * (m + 1)], q01 = pp[4 * (m + 1) + 1], q10 = pp[4 * (m + 1) + 2]
                let q11 = pp[4 * (m + 1) + 3]
                let det = q00 * q11 - q01 * q10
                guard abs(det) > 1e-300 else { continue }
                let i00 = q11 / det, i01 = -q01 / det, i10 = -q10 / det, i11 = q00 / det
                let g00 = b00 * i00 + b01 * i10, g01 = b00 * i01 + b01 * i11
                let g10 = b10 * i00 + b11 * i10, g11 = b10 * i01 + b11 * i11
                let e0 = xs[2 * (m + 1)] - xp[2 * (m + 1)], e1 = xs[2 * (m + 1) + 1] - xp[2 * (m + 1) + 1]
                xs[2 * m] += g00 * e0 + g01 * e1
                xs[2 * m + 1] += g10 * e0 + g11 * e1
                // Ps[m] += G (Ps[m+1] − Pp[m+1]) Gᵀ
                let c00 = ps[4 * (m + 1)] - q00, c01 = ps[4 * (m + 1) + 1] - q01
                let c10 = ps[4 * (m + 1) + 2] - q10, c11 = ps[4 * (m + 1) + 3] - q11
                let h00 = g00 * c00 + g01 * c10, h01 = g00 * c01 + g01 * c11
                let h10 = g10 * c00 + g11 * c10, h11 = g10 * c01 + g11 * c11
                ps[4 * m] += h00 * g00 + h01 * g01
                ps[4 * m + 1] += h00 * g10 + h01 * g11
                ps[4 * m + 2] += h10 * g00 + h11 * g01
                ps[4 * m + 3] += h10 * g10 + h11 * g11
            }
        }
        for m in 0..<M { values[m] = xs[2 * m] }
    }

    /// Three-state (value, change per frame, change of that per frame) Kalman filter and RTS smoother of the phase
    /// track: process noises ``curvedPhaseNoise`` and `q2` at 100 frames a second, the prior of the candidates
    /// whose likelihood chose it (`curvedCandidates`, a wide one). Writes the smoothed values to `values`. Only the
    /// smoothed mean is computed (the RTS gain needs the filtered and the predicted covariances, not the smoothed
    /// ones). The covariances are kept as their six distinct entries.
    private func kalmanSmoothCurved(_ z: UnsafePointer<Double>, variance r: UnsafePointer<Double>, count M: Int,
                                    q2 q2At100: Double, into values: UnsafeMutablePointer<Double>) {
        let scale = 100 / framesPerSecond
        let q0 = Self.curvedPhaseNoise.level * scale
        let q1 = Self.curvedPhaseNoise.slope * scale * scale * scale
        let q2 = q2At100 * pow(scale, 5)
        let states = perFrame.base + Self.slotCount * frameCapacity
        let xs = states, xp = states + 3 * frameCapacity
        let ps = states + 6 * frameCapacity, pp = states + 12 * frameCapacity
        var x0 = 0.0, x1 = 0.0, x2 = 0.0
        var p00 = curvedCandidates.p00Start, p01 = 0.0, p02 = 0.0, p11 = curvedCandidates.p11Start, p12 = 0.0
        var p22 = curvedCandidates.p22Start
        for m in 0..<M {
            // predict: F = [[1, 1, 1/2], [0, 1, 1], [0, 0, 1]]; F P Fᵀ + Q as in scrim_vector_kalman3_likelihoods
            x0 += x1 + 0.5 * x2
            x1 += x2
            let a00 = p00 + p01 + 0.5 * p02, a01 = p01 + p11 + 0.5 * p12, a02 = p02 + p12 + 0.5 * p22
            let a11 = p11 + p12, a12 = p12 + p22
            p00 = a00 + a01 + 0.5 * a02 + q0
            p01 = a01 + a02
            p02 = a02
            p11 = a11 + a12 + q1
            p12 = a12
            p22 = p22 + q2
            xp[3 * m] = x0; xp[3 * m + 1] = x1; xp[3 * m + 2] = x2
            pp[6 * m] = p00; pp[6 * m + 1] = p01; pp[6 * m + 2] = p02
            pp[6 * m + 3] = p11; pp[6 * m + 4] = p12; pp[6 * m + 5] = p22
            if r[m].isFinite {
                let s = p00 + r[m]
                let k0 = p00 / s, k1 = p01 / s, k2 = p02 / s
                let innovation = z[m] - x0
                x0 += k0 * innovation; x1 += k1 * innovation; x2 += k2 * innovation
                let n00 = p00 - k0 * p00, n01 = p01 - k0 * p01, n02 = p02 - k0 * p02
                let n11 = p11 - k1 * p01, n12 = p12 - k1 * p02, n22 = p22 - k2 * p02
                p00 = n00; p01 = n01; p02 = n02; p11 = n11; p12 = n12; p22 = n22
            }
            xs[3 * m] = x0; xs[3 * m + 1] = x1; xs[3 * m + 2] = x2
            ps[6 * m] = p00; ps[6 * m + 1] = p01; ps[6 * m + 2] = p02
            ps[6 * m + 3] = p11; ps[6 * m + 4] = p12; ps[6 * m + 5] = p22
        }
        if M >= 2 {
            for m in stride(from: M - 2, through: 0, by: -1) {
                // v = Pp[m+1]⁻¹ (xs[m+1] − xp[m+1]) by Cholesky (Pp = L Lᵀ), then xs[m] += Ps[m] Fᵀ v.
                let n = m + 1
                let a = pp[6 * n], b = pp[6 * n + 1], c = pp[6 * n + 2]
                let d = pp[6 * n + 3], e = pp[6 * n + 4], f = pp[6 * n + 5]
                let l00s = a
                guard l00s > 0 else { continue }
                let l00 = l00s.squareRoot()
                let l10 = b / l00, l20 = c / l00
                let l11s = d - l10 * l10
                guard l11s > 0 else { continue }
                let l11 = l11s.squareRoot()
                let l21 = (e - l20 * l10) / l11
                let l22s = f - l20 * l20 - l21 * l21
                guard l22s > 0 else { continue }
                let l22 = l22s.squareRoot()
                let e0 = xs[3 * n] - xp[3 * n], e1 = xs[3 * n + 1] - xp[3 * n + 1], e2 = xs[3 * n + 2] - xp[3 * n + 2]
                // L w = e, then Lᵀ v = w.
                let w0 = e0 / l00
                let w1 = (e1 - l10 * w0) / l11
                let w2 = (e2 - l20 * w0 - l21 * w1) / l22
                let v2 = w2 / l22
                let v1 = (w1 - l21 * v2) / l11
                let v0 = (w0 - l10 * v1 - l20 * v2) / l00
                // (Ps Fᵀ) v = Ps (Fᵀ v), with Fᵀ v = (v0, v0 + v1, v0/2 + v1 + v2) and Ps symmetric.
                let s00 = ps[6 * m], s01 = ps[6 * m + 1], s02 = ps[6 * m + 2]
                let s11 = ps[6 * m + 3], s12 = ps[6 * m + 4], s22 = ps[6 * m + 5]
                let t0 = v0, t1 = v0 + v1, t2 = 0.5 * v0 + v1 + v2
                xs[3 * m] += s00 * t0 + s01 * t1 + s02 * t2
                xs[3 * m + 1] += s01 * t0 + s11 * t1 + s12 * t2
                xs[3 * m + 2] += s02 * t0 + s12 * t1 + s22 * t2
            }
        }
        for m in 0..<M { values[m] = xs[3 * m] }
    }

    /// `values` at `times` (both `count` long), linearly interpolated to `newTimes` (`newCount` long), held at
    /// the ends.
    private static func interpolate(_ values: UnsafePointer<Double>, at times: UnsafePointer<Double>, count: Int,
                                    to newTimes: UnsafePointer<Double>, count newCount: Int,
                                    into out: UnsafeMutablePointer<Double>) {
        guard count > 0 else { out.update(repeating: 1, count: newCount); return }
        var i = 0
        for n in 0..<newCount {
            let t = newTimes[n]
            if t <= times[0] { out[n] = values[0]; continue }
            while i + 1 < count && times[i + 1] <= t { i += 1 }
            if i + 1 >= count { out[n] = values[count - 1]; continue }
            let f = (t - times[i]) / max(times[i + 1] - times[i], 1e-9)
            out[n] = values[i] + (values[i + 1] - values[i]) * f
        }
    }

    // MARK: - The whole job

    /// Tracks the hum in `x` and subtracts it in place. Returns what was followed and removed.
    public func removeHum(from x: UnsafeMutableBufferPointer<Float>) -> HumTrack {
        var track = removeHumKeepingTrack(from: x)
        guard track.tracked else { return track }
        let count = trackedFrames
        track.frameSeconds = Array(UnsafeBufferPointer(start: slot(.seconds), count: count))
        track.fundamentalHertz = Array(UnsafeBufferPointer(start: slot(.fundamental), count: count))
        track.levelGain = Array(UnsafeBufferPointer(start: slot(.gain), count: count))
        track.harmonicAmplitudes = (0..<activeHarmonics).map {
            (ampRe[$0] * ampRe[$0] + ampIm[$0] * ampIm[$0]).squareRoot()
        }
        return track
    }

    /// Frames of the last stretch tracked (0 when it was not): the track's curve is ``trackedFrameSeconds`` and
    /// ``trackedFundamentalHertz``, valid until the next stretch.
    private(set) var trackedFrames = 0
    /// Frame centres of the last stretch tracked (seconds from its start).
    var trackedFrameSeconds: UnsafeBufferPointer<Double> {
        UnsafeBufferPointer(start: slot(.seconds), count: trackedFrames)
    }
    /// The tracked fundamental at each frame centre (Hz).
    var trackedFundamentalHertz: UnsafeBufferPointer<Double> {
        UnsafeBufferPointer(start: slot(.fundamental), count: trackedFrames)
    }

    /// Whether the harmonics other than the one with the largest z², taken together, keep their phase: their z²
    /// sum (about Gamma(K − 1) where no hum is) over K − 1 + ``othersStandingOutSigmas`` standard deviations. With
    /// one harmonic significant on its own, this is the second piece of evidence the rule of two asks for: a hum
    /// under noise whose harmonics past the first are each too weak to count alone (a 50 Hz hum 10 dB under pink
    /// noise: the 2nd and 3rd at z = 3.4 and 3.7 against 4), which a lone tone on a harmonic of the mains cannot
    /// give.
    private func othersStandOut(_ zSquared: UnsafePointer<Double>, count K: Int) -> Bool {
        guard K >= 2 else { return false }
        var total = 0.0, largest = 0.0
        for k in 0..<K {
            total += zSquared[k]
            largest = max(largest, zSquared[k])
        }
        let others = Double(K - 1)
        return total - largest > others + Self.othersStandingOutSigmas * others.squareRoot()
    }

    /// Standard deviations over their mean at which the other harmonics stand out (``othersStandOut(_:count:)``).
    static let othersStandingOutSigmas = 4.0

    /// The resampler's input: a decimated copy of `x` (``HumDecimator``: a third or less of the taps per read), or
    /// `x` itself.
    private func decimatedInput(_ x: UnsafeMutableBufferPointer<Float>) -> UnsafeBufferPointer<Float> {
        guard decimator.factor > 1 else { return UnsafeBufferPointer(x) }
        let count = decimator.outputCount(x.count)
        decimator.decimate(UnsafeBufferPointer(x), into: decimated.base, count: count)
        return UnsafeBufferPointer(start: decimated.base, count: count)
    }

    /// The reference line's observations of harmonics 1…``initialHarmonics`` (to 1 kHz), kept from the first
    /// attempt's first demodulation for ``coherentOffset()`` when evidence is required.
    private var initialRe = Scratch<Double>()
    private var initialIm = Scratch<Double>()
    private var initialTimes = Scratch<Double>()
    private var initialFrames = 0
    private var initialHarmonics: Int { max(1, min(harmonicCount, Int(Self.modelledAtLeastHertz / referenceHertz))) }

    private func keepInitialObservations() {
        let kept = min(initialHarmonics, activeHarmonics)
        copyObservations(harmonics: kept, into: initialRe.base, initialIm.base)
        initialTimes.base.update(from: obsTimes.base, count: frames)
        initialFrames = kept == initialHarmonics ? frames : 0
    }

    /// The offset from the reference (Hz, within ±1.5) of the fundamental whose harmonics to 1 kHz the stretch holds
    /// most coherently, when it stands out (nil otherwise, or when it is within 0.02 Hz of the reference), from the
    /// first attempt's observations on the reference's straight line: S(δ) = Σₖ |Σₘ cₖ[m] e^{−j2πkδtₘ}|² /
    /// Σₘ |cₖ[m]|² over every eighth frame (frames overlap four to one; every eighth keeps the search at about 7 %
    /// of a hum-free stretch's time), first over harmonics 1-4 on a grid half their coherence width apart, then over
    /// all of them around the best point. It stands out when the best coarse S is over ``coherentPeakRatio`` times
    /// the grid's median: on the 103 clean speech stems of the de-hum corpus and held-back set the ratio reached
    /// 4.0, on two minutes of them 6.0; on a 50 Hz hum 10 dB under pink noise (`u1_hum_pink_96k`) 12.3.
    private func coherentOffset() -> Double? {
        let M = initialFrames, K = initialHarmonics
        guard M >= 8 else { return nil }
        let re = initialRe.base, im = initialIm.base, times = initialTimes.base
        let stride = 8
        let power = hslot(.mag)
        for k in 0..<K {
            var sum = 0.0
            for m in Swift.stride(from: 0, to: M, by: stride) {
                sum += re[m * K + k] * re[m * K + k] + im[m * K + k] * im[m * K + k]
            }
            power[k] = max(sum, 1e-300)
        }
        let seconds = (times[M - 1] - times[0]) / sampleRate
        guard seconds > 0 else { return nil }
        let frameStep = (times[M - 1] - times[0]) / Double(M - 1) / sampleRate * Double(stride)
        /// S(δ) over harmonics 1…`count`, by a rotating phasor per harmonic (the frames are evenly spaced on the
        /// straight line).
        func score(_ delta: Double, harmonics count: Int) -> Double {
            var total = 0.0
            for k in 0..<count {
                let w = -2 * Double.pi * Double(k + 1) * delta
                let startAngle = w * times[0] / sampleRate
                var cr = cos(startAngle), ci = sin(startAngle)
                let sr = cos(w * frameStep), si = sin(w * frameStep)
                var sumRe = 0.0, sumIm = 0.0
                for m in Swift.stride(from: 0, to: M, by: stride) {
                    let a = re[m * K + k], b = im[m * K + k]
                    sumRe += a * cr - b * ci
                    sumIm += a * ci + b * cr
                    let next = cr * sr - ci * si
                    ci = cr * si + ci * sr
                    cr = next
                }
                total += (sumRe * sumRe + sumIm * sumIm) / power[k]
            }
            return total
        }
        let low = min(K, 4)
        // (At most one grid point per frame: the scores live in a per-frame slot.)
        let coarseStep = max(min(0.02, 0.5 / (Double(low) * seconds)), 3.0 / Double(M - 1))
        let count = Int((3.0 / coarseStep).rounded(.down)) + 1
        let scores = slot(.column)
        var best = -Double.infinity, bestIndex = 0
        for g in 0..<count {
            scores[g] = score(-1.5 + coarseStep * Double(g), harmonics: low)
            if scores[g] > best { best = scores[g]; bestIndex = g }
        }
        let median = selectNonNegative(scores, count: count, rank: count / 2)
        guard best > Self.coherentPeakRatio * median else { return nil }
        let centre = -1.5 + coarseStep * Double(bestIndex)
        var fine = centre, fineBest = -Double.infinity
        for i in -10...10 {
            let delta = centre + coarseStep * Double(i) / 10
            let value = score(delta, harmonics: K)
            if value > fineBest { fineBest = value; fine = delta }
        }
        return abs(fine) >= 0.02 ? fine : nil
    }

    /// How far over the grid's median the best coherent score must stand (``coherentOffset()``).
    static let coherentPeakRatio = 9.0

    /// ``removeHum(from:)`` without the per-frame arrays of the ``HumTrack`` (its `frameSeconds`,
    /// `fundamentalHertz`, `levelGain` and `harmonicAmplitudes` are empty; the curve is in ``trackedFrameSeconds``
    /// and ``trackedFundamentalHertz``): allocates nothing on a stretch within ``reserve(samples:)``.
    func removeHumKeepingTrack(from x: UnsafeMutableBufferPointer<Float>) -> HumTrack {
        let n = x.count
        reserve(samples: n)
        // Eight partial sums side by side (one sum after another was 1 % of the time on a long take).
        var lanes = SIMD8<Double>()
        var i = 0
        while i + 8 <= n {
            var block = SIMD8<Float>()
            for lane in 0..<8 { block[lane] = x[i + lane] }
            let wide = SIMD8<Double>(block)
            lanes += wide * wide
            i += 8
        }
        var inputEnergy = lanes.sum()
        while i < n { inputEnergy += Double(x[i]) * Double(x[i]); i += 1 }
        let inputRMS = n > 0 ? (inputEnergy / Double(n)).squareRoot() : 0
        // The resampler's input for both attempts (x is untouched by an attempt that finds no evidence).
        let input = decimatedInput(x)
        let first = attempt(x, input: input, inputRMS: inputRMS, offsetHertz: 0)
        // Evidence wanted and none found (nothing was subtracted): the start may have been too far off for a weak
        // hum under noise (the start offset comes from the first 0.5 s). One more attempt from the fundamental that
        // the whole stretch holds coherently, when it holds one (``coherentOffset()``). It changes nothing where the
        // first attempt removed something; where neither finds evidence, nothing is removed still.
        guard failedOnEvidence, let offset = coherentOffset() else { return first }
        let second = attempt(x, input: input, inputRMS: inputRMS, offsetHertz: offset)
        return second.tracked ? second : first
    }

    /// Set by ``attempt(_:input:inputRMS:offsetHertz:)``: no harmonics kept their phase and evidence was required
    /// (nothing was removed).
    private var failedOnEvidence = false

    /// One tracking of `x` (within ``reserve(samples:)``), read through `input` (``decimatedInput(_:)``), the phase
    /// starting on a straight line at the reference plus `offsetHertz`.
    private func attempt(_ x: UnsafeMutableBufferPointer<Float>, input: UnsafeBufferPointer<Float>, inputRMS: Double,
                         offsetHertz: Double) -> HumTrack {
        let n = x.count
        failedOnEvidence = false
        activeHarmonics = harmonicCount
        let rate = sampleRate
        trackedFrames = 0
        halfGrid = false
        var untouched = HumTrack(referenceHertz: referenceHertz, harmonicCount: harmonicCount, frameSeconds: [],
                                 fundamentalHertz: [], levelGain: [], harmonicAmplitudes: [], removedRMS: 0,
                                 inputRMS: inputRMS, tracked: false)
        knotCount = n / knotStep + 2
        ensureKnots(knotCount)
        let omega = 2 * Double.pi * (referenceHertz + offsetHertz) / rate
        for j in 0..<knotCount { knots[j] = omega * Double(j * knotStep) }
        demodulate(input, samples: n)
        guard frames >= 8 else { return untouched }
        if settings.requireEvidence && offsetHertz == 0 { keepInitialObservations() }
        let fps = framesPerSecond

        // Bootstrap, forwards and backwards, fused by lock quality.
        let nuF = 2 * Double.pi * startOffset(reversed: false) / fps
        // Run on the reversed frames the loop follows the same phase (stored in forward order, up to a constant);
        // the start offset is measured in reversed time, where the hum's offset has the opposite sign.
        let nuB = 2 * Double.pi * startOffset(reversed: true) / fps
        let forwardD = slot(.forwardD), forwardQ = slot(.forwardQ)
        let backwardD = slot(.backwardD), backwardQ = slot(.backwardQ)
        bootstrap(reversed: false, nu0: nuF, out: forwardD, quality: forwardQ)
        bootstrap(reversed: true, nu0: nuB, out: backwardD, quality: backwardQ)
        let qf = slot(.smoothF), qb = slot(.smoothB)
        smoothQuality(forwardQ, count: frames, into: qf)
        smoothQuality(backwardQ, count: frames, into: qb)
        let d = slot(.fused)
        d[0] = 0
        for m in 1..<frames {
            let wf = pow(min(max(qf[m], 1e-3), 1), 4), wb = pow(min(max(qb[m], 1e-3), 1), 4)
            let incF = forwardD[m] - forwardD[m - 1], incB = backwardD[m] - backwardD[m - 1]
            d[m] = d[m - 1] + (wf * incF + wb * incB) / (wf + wb)
        }
        addToKnots(d, at: obsTimes.base, count: frames)

        // The level lives in the `gain` slot, at the times in the `gainTimes` slot (`gainCount` frames).
        var gainCount = frames
        slot(.gain).update(repeating: 1, count: frames)
        slot(.gainTimes).update(from: obsTimes.base, count: frames)
        /// The level moved onto the frames `demodulate` has just measured (in the `gain` slot, which it returns).
        func gainOnFrames() -> UnsafeMutablePointer<Double> {
            // (Slots are looked up after `demodulate`: frames beyond the reserve move them.)
            let M = frames
            Self.interpolate(slot(.gain), at: slot(.gainTimes), count: gainCount, to: obsTimes.base, count: M,
                             into: slot(.gainNext))
            let gain = slot(.gain)
            gain.update(from: slot(.gainNext), count: M)
            slot(.gainTimes).update(from: obsTimes.base, count: M)
            gainCount = M
            return gain
        }
        ampRe.base.update(repeating: 0, count: harmonicCount)
        ampIm.base.update(repeating: 0, count: harmonicCount)
        // Set by the first pass that finds a steady generator, and kept by the passes after it: on 103 corpus and
        // held-back takes no later pass found anything else, and where one did (a steady 50 Hz hum 20 dB under a
        // 120 Hz vowel held for 2 s) the comb had locked onto the voice's partials and the track slid ±3 Hz.
        var steadyGenerator = false
        /// Whether the last pass's level spans at most ``steadyLevelSpan``.
        var steadyLevel = false
        /// The residual weights' floor quantile (``steadyWeightFloorQuantile``).
        var floorQuantile: Double {
            steadyGenerator && steadyLevel ? Self.steadyWeightFloorQuantile : Self.weightFloorQuantile
        }
        for pass in 0..<max(0, settings.refinementPasses) {
            demodulate(input, samples: n)
            guard frames >= 8 else { return untouched }
            let M = frames
            let gain = gainOnFrames()
            amplitudes(gain: gain, uniform: true)
            if pass == 0 {
                // Which harmonics stand out, before the first pass's work (every step after this one costs per
                // harmonic): two rounds of weights and amplitudes from amplitudes of zero, so that the quiet
                // frames weigh most from the start (one round from the plain mean left the mean's bias in a
                // take's silences, and every harmonic looked as if it stood out).
                ampRe.base.update(repeating: 0, count: activeHarmonics)
                ampIm.base.update(repeating: 0, count: activeHarmonics)
                for _ in 0..<2 {
                    residualWeights(gain: gain)
                    amplitudes(gain: gain)
                }
                keepHarmonics(harmonicsStandingOut(gain: gain))
                amplitudes(gain: gain, uniform: true)
                halfGrid = halfGridAllowed()
            }
            let K = activeHarmonics
            let rawGain = slot(.rawGain), rawWeight = slot(.rawWeight)
            for iteration in 0..<2 {
                residualWeights(gain: gain, quantile: floorQuantile)
                amplitudes(gain: gain)
                // The level per frame, then weights against a model free to take that level: a level change is
                // not mistaken for the voice (only a mismatch between harmonics is).
                frameGains(into: rawGain, weight: rawWeight)
                // The first time, the level that the most harmonics agree on rather than their weighted mean. The
                // level starts at 1 everywhere, so under a swell the first weights are those of a wrong model; the
                // strongest harmonic, clear of the voice while the others are covered, then carried the words'
                // level alone, the weights settled on that (each harmonic's mismatch counted as voice), and the
                // take kept a level 11 % low under the words and a fundamental 13 % high in the pauses
                // (`u1_swell` -24.9 dB). From the first time on the mean again: the median every time cost about
                // 1 dB on most types (HUM-TRACKER.md, v8).
                if pass == 0 && iteration == 0 { medianGains(into: rawGain) }
                residualWeights(gain: rawGain, clamp: Self.levelWeightClamp, quantile: floorQuantile)
                frameGains(into: rawGain, weight: rawWeight, steady: slot(.rawWeightSteady))
                // A (level, slope) Kalman smoother: measurement variance 1/(2·Σw|A|²) per frame, so frames where
                // the voice covers the hum count little and clean stretches are followed closely. How freely the
                // level moves, and how far the variances are to be trusted, is chosen by the likelihood of every
                // frame's level, as the phase track's stiffness is below.
                for m in 0..<M {
                    rawGain[m] = rawGain[m] - 1
                    rawWeight[m] = 1 / max(2 * rawWeight[m], 1e-30)
                }
                let scaled = slot(.scaled)
                var levelVariance = UnsafePointer(rawWeight)
                var level = mostLikely(rawGain, variance: rawWeight, count: M, candidates: levelCandidates)
                    ?? (0, Self.varianceScales[0], 0)
                // A steady level (one of the three stiffest): the voice's frames are trusted less again and the
                // choice made anew, as for a steady generator's phase below. The level that follows an AM or a
                // swell is chosen looser and keeps its variances (scaled for every level: AM -53.9 -> -39.2 dB).
                // Held-back steady 50 Hz worst file -46.5 -> -59.7 dB, the worst hum_noise take -18.0 -> -25.2
                // (HUM-TRACKER.md, v5).
                if level.index <= Self.steadyLevelIndex {
                    let steady = slot(.rawWeightSteady)
                    for m in 0..<M { steady[m] = 1 / max(2 * steady[m], 1e-30) }
                    levelVariance = UnsafePointer(steady)
                    level = mostLikely(rawGain, variance: steady, count: M, candidates: levelCandidates)
                        ?? (0, Self.varianceScales[0], 0)
                }
                let levelNoise = Self.levelProcessNoises[level.index]
                for m in 0..<M { scaled[m] = levelVariance[m] * level.scale }
                kalmanSmooth(rawGain, variance: scaled, count: M, q0: levelNoise.level, q1: levelNoise.slope,
                             diffuse: false, into: gain)
                var lowest = Double.infinity, highest = -Double.infinity
                for m in 0..<M {
                    gain[m] = 1 + gain[m]
                    lowest = min(lowest, gain[m])
                    highest = max(highest, gain[m])
                }
                steadyLevel = highest - lowest <= Self.steadyLevelSpan
                amplitudes(gain: gain)
            }
            // Each frame's phase error by the comb search, as in the bootstrap (a high harmonic whose k·error wraps
            // still votes for the right error), and its variance 1/(2·Σ w k²|gA|²); for a steady generator (below)
            // also the variance with each cell's term scaled by min(1, 2·w·floor), the share of that cell's residual
            // the pauses account for: a harmonic the voice covers counts for as little again.
            let z = slot(.z), r = slot(.r), rSteady = slot(.rSteady)
            let vRe = hslot(.vRe), vIm = hslot(.vIm)
            let floors = hslot(.weight)
            let re = obsRe.base, im = obsIm.base, ar = ampRe.base, ai = ampIm.base, weights = self.weights.base
            kk.withUnsafeBufferPointer { kk in
                for m in 0..<M {
                    var den = 0.0, denSteady = 0.0
                    let g = gain[m]
                    for k in 0..<K {
                        let w = weights[m * K + k]
                        let mr = g * ar[k], mi = g * ai[k]
                        let term = w * kk[k] * kk[k] * (mr * mr + mi * mi)
                        den += term
                        denSteady += term * min(1, 2 * w * floors[k])
                        vRe[k] = w * (re[m * K + k] * mr + im[m * K + k] * mi)
                        vIm[k] = w * (im[m * K + k] * mr - re[m * K + k] * mi)
                    }
                    z[m] = comb.argmax(vRe, vIm, count: K)
                    r[m] = 1 / max(2 * den, 1e-30)
                    rSteady[m] = 1 / max(2 * denSteady, 1e-30)
                }
            }
            // Smooth the whole track (its deviation from the reference's straight line plus this pass's
            // measurement), so the model's stiffness holds for the track itself. How stiff, and how far the
            // variances are to be trusted, is chosen jointly by the likelihood of all the measurements: the voice's
            // frames, whose errors last many frames, are explained by a larger variance factor rather than by a
            // loose track, and a generator's step under a word by a looser track. (Counting only the clean frames,
            // as before, chose the stiffest track on 2 of 4 step takes: -19 and -23 dB left; HUM-TRACKER.md, v4.)
            // A steady generator gets a track that speech cannot bend; a wobbling one a loose track.
            let base = slot(.base), y = slot(.y), times = obsTimes.base
            for m in 0..<M {
                base[m] = phase(at: times[m]) - omega * times[m]
                y[m] = base[m] + z[m]
            }
            let scaled = slot(.scaled)
            /// A smooth generator's second three-state track: its curvature and variance factor with the voice's frames
            /// trusted less (`rSteady`).
            var smooth: (curvature: Double, scale: Double)?
            /// The (stiffness, variance factor) of greatest likelihood with the variances `variance` (nil: none is a
            /// number, the track is left as it is); with `curved`, and unless the stiffness chosen holds a steady
            /// generator, the three-state tracks (``phaseCurvatures``) compete too, and when one of them wins with a
            /// curvature of at most ``smoothCurvature`` and a variance factor over 1 (the measurements stray further
            /// than their variances say: a voice pulls them), `smooth` is chosen as well. With a factor of 1 the
            /// voice's frames are as good as they claim: a ±0.3 Hz, 4 s wobble under two synthetic vowels kept
            /// -52 dB with them and lost the track without them (-28 dB; `wobblingGeneratorUnderSpeech`).
            func choose(_ variance: UnsafeMutablePointer<Double>, curved: Bool) -> Double? {
                guard let best = mostLikely(y, variance: variance, count: M, candidates: phaseCandidates)
                else { return nil }
                chosenStiffness = Self.phaseStiffnesses[best.index]
                chosenCurvature = nil
                smooth = nil
                if curved && chosenStiffness > Self.steadyStiffness,
                   let bent = mostLikely(y, variance: variance, count: M, candidates: curvedCandidates),
                   bent.logLikelihood > best.logLikelihood
                {
                    chosenCurvature = Self.phaseCurvatures[bent.index]
                    if Self.phaseCurvatures[bent.index] <= Self.smoothCurvature, bent.scale > 1,
                       let trusted = mostLikely(y, variance: rSteady, count: M, candidates: curvedCandidates)
                    {
                        smooth = (Self.phaseCurvatures[trusted.index], trusted.scale)
                    }
                    return bent.scale
                }
                return best.scale
            }
            var variance = r
            var bestScale = steadyGenerator ? nil : choose(r, curved: true)
            // A steady generator (the stiffness chosen is at most ``steadyStiffness``): the voice's frames are
            // trusted less again (`rSteady`), and the stiffness and factor chosen anew with those variances. The
            // likelihood cannot make this choice itself: a voice's partials pull the measured phase for as long as
            // a word, and a track that follows them explains them as well as a hum that moves would. Under a
            // steady hum the track then stays where the pauses put it (all 71 corpus files -45.7 -> -50.9 dB,
            // weak -53.6 -> -65.5, mains50 -57.4 -> -70.8; HUM-TRACKER.md, v5). A wobble, a step or a walk is
            // chosen a looser track and keeps the variances as they were: through a 3.5 s sentence the voice's
            // frames are all a wobble's track has (-31.7 -> -20.1 dB on a held-back take when they were trusted
            // less), and a step under a word is seen only in them (step -50.1 -> -27.2).
            if steadyGenerator || chosenStiffness <= Self.steadyStiffness {
                steadyGenerator = true
                variance = rSteady
                bestScale = choose(rSteady, curved: false)
            }
            // Only the winner's smoothed track is needed.
            if let scale = bestScale {
                for m in 0..<M { scaled[m] = variance[m] * scale }
                let target = slot(.target)
                if let curvature = chosenCurvature {
                    kalmanSmoothCurved(y, variance: scaled, count: M, q2: curvature, into: target)
                    // A smooth generator: the track with the voice's frames trusted less, unless it strays more
                    // than ``bridgeTolerance`` from the one that trusts them (a step under a word, which only the
                    // voice's frames show).
                    if let second = smooth {
                        let bridge = slot(.bridge)
                        for m in 0..<M { scaled[m] = rSteady[m] * second.scale }
                        kalmanSmoothCurved(y, variance: scaled, count: M, q2: second.curvature, into: bridge)
                        var stray = 0.0
                        for m in 0..<M { stray = max(stray, abs(bridge[m] - target[m])) }
                        if stray <= Self.bridgeTolerance {
                            target.update(from: bridge, count: M)
                            chosenCurvature = second.curvature
                        }
                    }
                } else {
                    kalmanSmooth(y, variance: scaled, count: M, q0: Self.phaseProcessNoise, q1: chosenStiffness,
                                 diffuse: true, into: target)
                }
                for m in 0..<M { target[m] = target[m] - base[m] }
                addToKnots(target, at: times, count: M)
            }
        }
        demodulate(input, samples: n)
        guard frames >= 8 else { return untouched }
        let M = frames, K = activeHarmonics
        untouched.harmonicCount = K
        let gain = gainOnFrames()
        residualWeights(gain: gain, quantile: floorQuantile)
        amplitudes(gain: gain)
        let re = obsRe.base, im = obsIm.base, ar = ampRe.base, ai = ampIm.base
        // The evidence: how consistently each harmonic's frames point where its amplitude points (the mean
        // resultant length of the phase differences, frames below 1e-6 ignored). A hum keeps its phase in every
        // frame it dominates; a voice or noise does not.
        var significant = 0
        // Each harmonic's z² (its resultant squared times the independent frames, about exponential with mean 1
        // where no hum is), for the test over the harmonics together below.
        let zSquared = hslot(.ratio)
        zSquared.update(repeating: 0, count: K)
        for k in 0..<K {
            let aR = ar[k], aI = ai[k]
            let a = (aR * aR + aI * aI).squareRoot()
            guard a > Self.audibleAmplitude else { continue }
            var sumRe = 0.0, sumIm = 0.0, counted = 0
            for m in 0..<M {
                let cr = re[m * K + k], ci = im[m * K + k]
                let magnitude = (cr * cr + ci * ci).squareRoot()
                guard magnitude > 1e-6 else { continue }
                // c · conj(A) / (|c| |A|)
                sumRe += (cr * aR + ci * aI) / (magnitude * a)
                sumIm += (ci * aR - cr * aI) / (magnitude * a)
                counted += 1
            }
            guard counted > 0 else { continue }
            let resultant = (sumRe * sumRe + sumIm * sumIm).squareRoot() / Double(counted)
            // Random phases give resultant·√(n/4) about Rayleigh(1/√2) (frames overlap four to one): above 4 that
            // has odds of e⁻¹⁶.
            zSquared[k] = resultant * resultant * Double(counted) / 4
            if resultant >= Self.minimumCoherence && resultant * (Double(counted) / 4).squareRoot() >= 4 {
                significant += 1
            }
        }
        untouched.significantHarmonics = significant
        if settings.requireEvidence && significant < 2 && !(significant == 1 && othersStandOut(zSquared, count: K)) {
            failedOnEvidence = true
            return untouched
        }
        // The estimated hum left by the amplitudes' own uncertainty: Σₖ var(Aₖ) over Σₖ |Aₖ|², with var(Aₖ) that of
        // a weighted mean (the weights squared, as the amplitudes use them; frames overlap four to one). Errors of
        // the phase track are not in it.
        var leftPower = 0.0, modelPower = 0.0
        for k in 0..<K {
            leftPower += amplitudeVariance(k, gain: gain)
            modelPower += ar[k] * ar[k] + ai[k] * ai[k]
        }
        untouched.modelPower = modelPower / 2
        untouched.estimatedLeftPower = min(leftPower, modelPower) / 2

        // One period of the modelled waveform, read along φ at every sample.
        let tableSize = Self.tableSize
        let tab = table.base
        tab.update(repeating: 0, count: tableSize + 1)
        // Re(Aₖ e^{jkθ}) along the table by a rotating phasor per harmonic, renormalised every 256 steps; four
        // harmonics' phasors turn side by side (SIMD lanes, each lane the same operations as one phasor alone) and
        // each entry adds their terms in the order of k, as the one-harmonic-at-a-time loop below does.
        var first = 0
        while first + 4 <= K {
            var sr = SIMD4<Double>(), si = SIMD4<Double>(), aRe = SIMD4<Double>(), aIm = SIMD4<Double>()
            for lane in 0..<4 {
                let step = kk[first + lane] * 2 * Double.pi / Double(tableSize)
                sr[lane] = cos(step)
                si[lane] = sin(step)
                aRe[lane] = ar[first + lane]
                aIm[lane] = ai[first + lane]
            }
            var cr = SIMD4<Double>(repeating: 1), ci = SIMD4<Double>(repeating: 0)
            for i in 0...tableSize {
                let term = aRe * cr - aIm * ci
                var entry = tab[i]
                entry += term[0]
                entry += term[1]
                entry += term[2]
                entry += term[3]
                tab[i] = entry
                let nr = cr * sr - ci * si
                ci = cr * si + ci * sr
                cr = nr
                if i & 255 == 255 {
                    for lane in 0..<4 {
                        let angle = kk[first + lane] * 2 * Double.pi * Double(i + 1) / Double(tableSize)
                        cr[lane] = cos(angle)
                        ci[lane] = sin(angle)
                    }
                }
            }
            first += 4
        }
        for k in first..<K {
            let step = kk[k] * 2 * Double.pi / Double(tableSize)
            let sr = cos(step), si = sin(step)
            var cr = 1.0, ci = 0.0
            let aRe = ar[k], aIm = ai[k]
            for i in 0...tableSize {
                tab[i] += aRe * cr - aIm * ci
                let nr = cr * sr - ci * si
                ci = cr * si + ci * sr
                cr = nr
                if i & 255 == 255 {
                    let angle = kk[k] * 2 * Double.pi * Double(i + 1) / Double(tableSize)
                    cr = cos(angle)
                    ci = sin(angle)
                }
            }
        }
        var removedEnergy = 0.0
        var frame = 0
        let times = obsTimes.base
        let twoPi = 2 * Double.pi
        let phi = knots.base
        let size = Double(tableSize)
        var s = 0
        var j = 0
        while s < n {
            // One knot interval: the phase rises linearly, so the table position does too (wrapped once per
            // interval, then by subtraction).
            let end = min(n, (j + 1) * knotStep)
            var wrapped = phi[j].truncatingRemainder(dividingBy: twoPi)
            if wrapped < 0 { wrapped += twoPi }
            var u = wrapped / twoPi * size
            let du = (phi[j + 1] - phi[j]) / Double(knotStep) / twoPi * size
            while s < end {
                // A run of samples within one knot interval and one frame interval: the level is linear in time
                // there, its slope divided once per run (the frames' times are sample positions within the
                // stretch, so the run's end is a whole sample inside it).
                let t0 = Double(s)
                while frame + 1 < M && times[frame + 1] <= t0 { frame += 1 }
                let level: Double, slope: Double, origin: Double
                var runEnd = end
                if t0 <= times[0] {
                    level = gain[0]; slope = 0; origin = t0
                    runEnd = min(end, Int(min(Double(n), times[0].rounded(.down))) + 1)
                } else if frame + 1 >= M {
                    level = gain[M - 1]; slope = 0; origin = t0
                } else {
                    level = gain[frame]; origin = times[frame]
                    slope = (gain[frame + 1] - gain[frame]) / (times[frame + 1] - times[frame])
                    runEnd = min(end, Int(min(Double(n), times[frame + 1].rounded(.up))))
                }
                while s < runEnd {
                    let i = min(Int(u), tableSize - 1)
                    let value = tab[i] + (tab[i + 1] - tab[i]) * (u - Double(i))
                    let hum = (level + slope * (Double(s) - origin)) * value
                    removedEnergy += hum * hum
                    x[s] = Float(Double(x[s]) - hum)
                    u += du
                    while u >= size { u -= size }
                    s += 1
                }
            }
            j += 1
        }
        untouched.tracked = true
        untouched.removedRMS = (removedEnergy / Double(n)).squareRoot()
        let seconds = slot(.seconds), fundamental = slot(.fundamental)
        // The fundamental at each frame: the track's mean over ±10 ms (the issue's 20 ms resolution). Over ±5 ms
        // (one knot each side) the track's frame-to-frame jitter of a few mrad read as ±0.05 Hz from one frame
        // to the next (0.1 Hz at worst under a word; HUM-TRACKER.md, v6).
        let h = 2 * Double(knotStep)
        for m in 0..<M {
            let t = times[m]
            seconds[m] = t / rate
            let a = phase(at: max(0, t - h)), b = phase(at: min(Double(n - 1), t + h))
            let dt = min(Double(n - 1), t + h) - max(0, t - h)
            fundamental[m] = dt > 0 ? (b - a) / dt * rate / twoPi : referenceHertz
        }
        trackedFrames = M
        return untouched
    }
}

/// Working memory on raw storage: no copy-on-write or exclusivity checks in the hot loops, and no allocation
/// once big enough. `ensure` grows it (contents not kept); the owner calls `release`.
struct Scratch<T> {
    private(set) var base: UnsafeMutablePointer<T>
    private(set) var capacity = 0

    init() {
        base = UnsafeMutablePointer<T>.allocate(capacity: 1)
    }

    mutating func ensure(_ count: Int) {
        guard count > capacity else { return }
        base.deallocate()
        base = UnsafeMutablePointer<T>.allocate(capacity: count)
        capacity = count
    }

    subscript(i: Int) -> T {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }

    func release() { base.deallocate() }
}

/// The candidate smoothers ``HumTracker`` compares by likelihood: every (variance factor, process noise) pair,
/// factors outer, as lanes of `scrim_vector_kalman_likelihoods` (process noises scaled to the frame rate; padded to
/// whole vectors with copies of the first candidate, which are never chosen over it).
struct KalmanCandidates {
    let noiseCount: Int
    let count: Int
    let blocks: Int
    /// Process noises per lane; `q2` is empty for two-state filters.
    let q0: [Double], q1: [Double], q2: [Double], scales: [Double]
    let p00Start: Double, p11Start: Double, p22Start: Double
    var threeStates: Bool { !q2.isEmpty }

    /// Two-state candidates (value, change per frame), or with `curvatures` three-state ones (value, change, change
    /// of the change), one per curvature process noise, each with the first of `noises`.
    init(noises: [(level: Double, slope: Double)], curvatures: [Double] = [], scales factors: [Double],
         framesPerSecond: Double, diffuse: Bool) {
        let three = !curvatures.isEmpty
        noiseCount = three ? curvatures.count : noises.count
        count = noiseCount * factors.count
        blocks = (count + 7) / 8
        let scale = 100 / framesPerSecond
        var q0 = [Double](), q1 = [Double](), q2 = [Double](), scales = [Double]()
        for factor in factors {
            for i in 0..<noiseCount {
                let noise = three ? noises[0] : noises[i]
                q0.append(noise.level * scale)
                q1.append(noise.slope * (scale * scale * scale))
                // A change of the change per frame scales with the frame length squared: its variance's growth
                // per frame with the fifth power.
                if three { q2.append(curvatures[i] * pow(scale, 5)) }
                scales.append(factor)
            }
        }
        while q0.count < 8 * blocks {
            q0.append(q0[0])
            q1.append(q1[0])
            if three { q2.append(q2[0]) }
            scales.append(scales[0])
        }
        self.q0 = q0
        self.q1 = q1
        self.q2 = q2
        self.scales = scales
        p00Start = diffuse ? 1e6 : 1.0
        p11Start = diffuse ? 1.0 : 1e-2
        p22Start = 1e-2
    }
}

/// The comb search of the bootstrap's phase error: argmax over δ ∈ [−0.5, 0.5] rad of Re Σₖ vₖ e^{−jkδ}
/// (a 0.02 rad grid from a table, then 0.004 rad around the best, then a parabola).
///
/// The grid's 51 sums run eight grid points at a time (SIMD lanes, `scrim_vector_comb_scores`), each lane summing
/// over k in order: the same sums, one rounding after another, as one grid point at a time.
private final class CombSearch {
    let K: Int
    static let coarseCount = 51
    static let blocks = (coarseCount + 7) / 8
    /// cos(kδ) and −sin(kδ) for block b, harmonic k, at [b·K + k−1], lanes = grid points b·8…b·8+7 (0 past 51).
    let tableRe: UnsafeMutablePointer<SIMD8<Double>>
    let tableIm: UnsafeMutablePointer<SIMD8<Double>>
    let scores: UnsafeMutablePointer<Double>
    /// cos(kδ), sin(kδ) of the Newton steps.
    let cosK: UnsafeMutablePointer<Double>
    let sinK: UnsafeMutablePointer<Double>

    static func coarse(_ g: Int) -> Double { -0.5 + 0.02 * Double(g) }

    init(harmonics: Int) {
        K = harmonics
        tableRe = .allocate(capacity: Self.blocks * harmonics)
        tableIm = .allocate(capacity: Self.blocks * harmonics)
        scores = .allocate(capacity: Self.blocks * 8)
        cosK = .allocate(capacity: harmonics)
        sinK = .allocate(capacity: harmonics)
        for b in 0..<Self.blocks {
            for k in 1...harmonics {
                var re = SIMD8<Double>(repeating: 0), im = SIMD8<Double>(repeating: 0)
                for lane in 0..<8 where b * 8 + lane < Self.coarseCount {
                    let delta = Self.coarse(b * 8 + lane)
                    re[lane] = cos(Double(k) * delta)
                    im[lane] = -sin(Double(k) * delta)
                }
                (tableRe + b * harmonics + k - 1).initialize(to: re)
                (tableIm + b * harmonics + k - 1).initialize(to: im)
            }
        }
    }

    deinit {
        tableRe.deallocate()
        tableIm.deallocate()
        scores.deallocate()
        cosK.deallocate()
        sinK.deallocate()
    }

    /// The best δ for harmonics 1…`count` (at most the table's).
    func argmax(_ vRe: UnsafeMutablePointer<Double>, _ vIm: UnsafeMutablePointer<Double>, count: Int) -> Double {
        let K = min(count, self.K)
        // The grid's sums in CScrimVector (cloned per x86-64 level; each lane in order, as one sum at a time).
        scrim_vector_comb_scores(scores, vRe, vIm, UnsafeRawPointer(tableRe).assumingMemoryBound(to: Double.self),
                                 UnsafeRawPointer(tableIm).assumingMemoryBound(to: Double.self), Int64(K),
                                 Int64(self.K), Int64(Self.blocks))
        var best = -Double.infinity, bestIndex = 0
        for g in 0..<Self.coarseCount where scores[g] > best {
            best = scores[g]
            bestIndex = g
        }
        let centre = Self.coarse(bestIndex)
        // A parabola through the best grid point and its neighbours, then two Newton steps on
        // S'(δ) = Σₖ k·(vIm cos kδ − vRe sin kδ), S''(δ) = −Σₖ k²·(vRe cos kδ + vIm sin kδ), kept within one coarse
        // step of the best grid point.
        var delta = centre
        if bestIndex > 0 && bestIndex < Self.coarseCount - 1 {
            let y0 = scores[bestIndex - 1], y1 = scores[bestIndex], y2 = scores[bestIndex + 1]
            let den = y0 - 2 * y1 + y2
            if den < 0 { delta += 0.5 * 0.02 * (y0 - y2) / den }
        }
        for _ in 0..<2 {
            scrim_vector_phasors(cosK, sinK, Int64(K), cos(delta), sin(delta))
            var first = 0.0, second = 0.0
            for k in 0..<K {
                let cr = cosK[k], ci = sinK[k]
                let kk = Double(k + 1)
                first += kk * (vIm[k] * cr - vRe[k] * ci)
                second -= kk * kk * (vRe[k] * cr + vIm[k] * ci)
            }
            guard second < 0 else { break }
            delta = min(max(delta - first / second, centre - 0.02), centre + 0.02)
        }
        return min(max(delta, -0.5), 0.5)
    }
}

/// The angle-domain resampler's input at a lower rate: a linear-phase Kaiser low-pass (100 dB: pass band flat to
/// within about 1e-5 up to the resampler's 5.1 kHz cut-off, stop band from the new rate less 5.1 kHz, so nothing
/// folds under 5.1 kHz), keeping every `factor`-th sample; sample j of the output is at input sample j·factor (no
/// delay). The factor brings the rate down to 16-24 kHz (1 under 32 kHz): at 48 kHz the resampler's reads take 44
/// taps instead of 128, five times per chunk, for one decimation (55 taps at a third of the rate; 109 at 96 kHz, 25
/// at 44.1 kHz).
struct HumDecimator {
    let factor: Int
    let outputRate: Double
    let half: Int
    /// 2·half + 1 of them.
    let taps: [Float]

    init(sampleRate: Double) {
        factor = max(1, Int(sampleRate / 16000))
        outputRate = sampleRate / Double(factor)
        guard factor > 1 else {
            half = 0
            taps = [1]
            return
        }
        let attenuation = 100.0
        let beta = 0.1102 * (attenuation - 8.7)
        let pass = SincKernel.cutoffHertz, stop = outputRate - SincKernel.cutoffHertz
        let transition = 2 * Double.pi * (stop - pass) / sampleRate
        // Kaiser's estimate of the length for this attenuation and transition.
        let half = Int(((attenuation - 7.95) / (2.285 * transition) / 2).rounded(.up))
        self.half = half
        let fc = 0.5 / Double(factor)
        let norm = SincKernel.bessel0(beta)
        var row = [Double](repeating: 0, count: 2 * half + 1)
        var sum = 0.0
        for i in 0...(2 * half) {
            let tau = Double(i - half)
            let u = tau / Double(half)
            let arg = 2 * fc * tau
            let sinc = abs(arg) < 1e-12 ? 1.0 : sin(Double.pi * arg) / (Double.pi * arg)
            row[i] = 2 * fc * sinc * SincKernel.bessel0(beta * max(0, 1 - u * u).squareRoot()) / norm
            sum += row[i]
        }
        taps = row.map { Float($0 / sum) }
    }

    /// Output samples for `n` input samples.
    func outputCount(_ n: Int) -> Int { n > 0 ? (n - 1) / factor + 1 : 0 }

    func decimate(_ x: UnsafeBufferPointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        guard let xp = x.baseAddress else { return }
        taps.withUnsafeBufferPointer { tp in
            guard let t = tp.baseAddress else { return }
            scrim_vector_fir_decimate(y, Int64(count), xp, Int64(x.count), t, Int64(half), Int64(factor))
        }
    }
}

/// A Kaiser-windowed sinc low-pass read at any fractional time: the angle-domain resampler's kernel, at the
/// decimated rate (``HumDecimator``). Cut-off 5.1 kHz, half-width 64 samples at 48 kHz scaled with the rate (22 at
/// 16 kHz), β = 8 (stop band about −80 dB; transition about 5.0/N of the rate for N taps, so flat to about 4.15 kHz
/// at every rate); 1024 phases per sample, the nearest taken.
struct SincKernel {
    static let cutoffHertz = 5100.0
    let halfWidth: Int
    let phases = 1024
    let taps: [Float]
    /// Tap tables by sample rate (one takes about 5 ms to build at 48 kHz, and every file's tracker needs one);
    /// a few rates kept.
    private static let cache = Mutex<[CacheKey: [Float]]>([:])
    private struct CacheKey: Hashable {
        let rate: Double
        let cutoff: Double
    }

    init(sampleRate: Double) {
        self.init(sampleRate: sampleRate, cutoffHertz: Self.cutoffHertz,
                  halfWidth: max(8, Int((64 * sampleRate / 48000).rounded(.up))))
    }

    /// A kernel flat to `passHertz` with its stop band from `stopHertz`: the cut-off halfway, half-width
    /// 2.5·rate / (stop − pass) (the transition of a Kaiser window of β = 8 over N taps is about 5.0/N of the rate).
    init(sampleRate: Double, passHertz: Double, stopHertz: Double) {
        self.init(sampleRate: sampleRate, cutoffHertz: (passHertz + stopHertz) / 2,
                  halfWidth: max(8, Int((2.5 * sampleRate / (stopHertz - passHertz)).rounded(.up))))
    }

    private init(sampleRate: Double, cutoffHertz: Double, halfWidth w: Int) {
        halfWidth = w
        let key = CacheKey(rate: sampleRate, cutoff: cutoffHertz)
        if let cached = Self.cache.withLock({ $0[key] }) {
            taps = cached
            return
        }
        let beta = 8.0
        let fc = min(cutoffHertz, 0.45 * sampleRate) / sampleRate
        let norm = Self.bessel0(beta)
        var t = [Float](repeating: 0, count: (phases + 1) * 2 * w)
        for p in 0...phases {
            let frac = Double(p) / Double(phases)
            var row = [Double](repeating: 0, count: 2 * w)
            var sum = 0.0
            for j in 0..<(2 * w) {
                let tau = frac + Double(w - 1 - j)
                let u = tau / Double(w)
                guard abs(u) < 1 else { continue }
                let arg = 2 * fc * tau
                let sinc = abs(arg) < 1e-12 ? 1.0 : sin(Double.pi * arg) / (Double.pi * arg)
                row[j] = 2 * fc * sinc * Self.bessel0(beta * (1 - u * u).squareRoot()) / norm
                sum += row[j]
            }
            for j in 0..<(2 * w) { t[p * 2 * w + j] = Float(row[j] / sum) }
        }
        taps = t
        Self.cache.withLock { cache in
            if cache.count >= 8 { cache.removeAll() }
            cache[key] = t
        }
    }

    /// The modified Bessel function I₀ by its series, until its terms no longer change the sum (at most 40 terms;
    /// about 25 for the windows' β of 8 to 10).
    static func bessel0(_ x: Double) -> Double {
        var sum = 1.0, term = 1.0
        for i in 1..<40 {
            term *= (x / (2 * Double(i))) * (x / (2 * Double(i)))
            sum += term
            if term < sum * 1e-17 { break }
        }
        return sum
    }

    /// The reads at `times` (samples of `x`) into `y` (`scrim_vector_sinc_reads` in CScrimVector).
    func sample(_ x: UnsafeBufferPointer<Float>, at times: UnsafePointer<Double>, count: Int,
                into y: UnsafeMutablePointer<Float>) {
        guard let xp = x.baseAddress else {
            y.update(repeating: 0, count: count)
            return
        }
        taps.withUnsafeBufferPointer { tp in
            guard let taps = tp.baseAddress else { return }
            scrim_vector_sinc_reads(y, times, Int64(count), taps, Int64(phases), Int64(halfWidth), xp,
                                    Int64(x.count))
        }
    }
}
