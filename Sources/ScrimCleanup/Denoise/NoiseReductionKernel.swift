import CScrimVector
import Foundation
import ScrimCore
import ScrimSpectral

/// The per-hop work of ``NoiseReducer``: noise tracking, OM-LSA gains, application, statistics.
///
/// Per group (one channel, or all channels when linked) and band k (a bin below 8 kHz, two or four bins above:
/// ``pairedBandsHertz``), with Y the bin, P = |Y|² (mean over the group's channels and over the band's bins) and
/// λ the noise power estimate:
/// 1. Noise (adaptive mode): speech-presence-weighted recursive averaging (Gerkmann & Hendriks 2012), started
///    from the mean of the first 200 ms, with a minimum-statistics lower bound (Martin 2001) so noise that
///    switches on mid-take is learned, and for the first 3 s an upper bound from the same minima so speech in
///    the first 200 ms is not kept as noise (``startupCeiling``). Learned mode: λ is the profile's power, fixed.
/// 2. A posteriori SNR γ = P/λ; a priori SNR ξ by the decision-directed rule (Ephraim & Malah 1984, eq. 51)
///    ξ = α·|Â_prev|²/λ + (1 − α)·max(γ − 1, 0), floored at ξ_min, with Â_prev = G·Y of the previous hop (the
///    OM-LSA gain, as in Ephraim & Malah; Cohen 2003 uses G_H1 there: the corpus scores were the same within
///    0.05 dB, and this saves one exponential per bin; at high SNR it is the gain before the smoothing of step 4,
///    which acts on the output only).
/// 3. Speech-present gain G_H1 = ξ/(1+ξ)·exp(½E₁(v)), v = γξ/(1+ξ) (MMSE-LSA, Ephraim & Malah 1985, eq. 20);
///    speech presence probability p = 1 / (1 + q/(1−q)·(1+ξ)·e^(−v)) (Cohen & Berdugo 2001, eq. 8; Cohen 2003);
///    OM-LSA gain G = G_H1^p · G_min^(1−p) (Cohen 2003, eq. 7; Cohen & Berdugo 2001, eq. 4), G_min per band
///    from the reduction limit, deeper where the band's long-term SNR is low (``limitTargetDecibels``). The
///    decision-directed weight eases off when the overall SNR is high (``decisionDirectedWeightHighSNR``).
///    Under a speech-like background the user's limit is eased toward 4–10 dB first (``BabbleGuard``, which
///    watches the group's bin powers every hop, in both modes).
/// 4. Musical-noise control: the decision-directed ξ (a slow, smoothed
///    SNR, Cappé 1994), the ξ_min floor, the gain floor G_min (residual noise stays as a quieter, steady room
///    tone instead of isolated tones), and a noise estimate that starts from a mean rather than one noisy
///    periodogram. A 3-band gain smoother (¼, ½, ¼) at every SNR cost 0.5–1.5 dB of SI-SDR improvement in every
///    SNR bucket on the quality corpus, for +0.02 PESQ at 20 dB only; it is mixed in only where the overall SNR
///    is high (``highSNRGainSmoothing``).
/// 5. Output Y·G (cleaned), Y·(1 − G) (residual, so cleaned + residual = input exactly), or Y (bypass), with each
///    band's G applied to all of its bins.
///
/// The per-band loops of steps 1–5 run in C (`CScrimVector`, cloned for SSE2, AVX2 and AVX-512 and picked when
/// the library loads; no fused multiply-adds and no reassociation, so the results do not depend on the CPU's
/// clone; the loops do what the Swift ones they replaced did, in the same order, except that the floors' SNR
/// total and the statistics are summed in 16 partial sums; pooling into bands, expanding back and the bands'
/// weights in the sums came after the move to C).
/// They call no library functions (the ``DenoiseMath`` approximations); nothing allocates after
/// ``prepare(context:)``.
final class NoiseReductionKernel: SpectralKernel {
    // MARK: Constants (each with its source)

    /// Hop duration, in seconds, that the recursive-averaging constants below are quoted for: Gerkmann &
    /// Hendriks 2012 use 32 ms frames with 50 % overlap at 16 kHz, i.e. 16 ms hops. Constants are converted to
    /// this stream's hop as α^(hop/16 ms), which keeps their time constants.
    static let referenceHopSeconds = 0.016
    /// Noise-power smoothing per 16 ms hop. Gerkmann & Hendriks ("Unbiased MMSE-based noise power estimation
    /// with low complexity and low tracking delay", IEEE TASLP 20(4), 2012, §IV) use α_pow = 0.8 (time constant
    /// 72 ms); here 0.95 (312 ms), chosen on the quality corpus: at 75 % overlap the faster constant let speech
    /// leak into the estimate (about 1 dB less SI-SDR improvement on every noise type), while 0.95 still
    /// follows a noise that starts or swells within about a second.
    static let noiseSmoothing = 0.95
    /// Smoothing of the speech presence probability used against stagnation, per 16 ms hop, and its threshold
    /// 0.99 (Gerkmann & Hendriks 2012, §III-C, use 0.9; 0.95 here, tuned with ``noiseSmoothing`` on the quality
    /// corpus: the guard then engages after about 1.4 s of uninterrupted "speech" in a bin, which is how a
    /// noise that switches on mid-take is recognised and followed, without leaking sustained vowels into the
    /// estimate at high SNR, where 0.9 lost 0.3 dB).
    static let presenceSmoothing = 0.95
    static let stagnationThreshold: Float = 0.99
    /// The fixed a priori SNR assumed under speech presence, ξ_H1 = 15 dB, with equal priors P(H0) = P(H1)
    /// (Gerkmann & Hendriks 2012, §III-B: the value that minimises the estimator's bias in their experiments).
    static let trackerSpeechSNR: Float = 31.622_776
    /// Decision-directed weight per 8 ms hop. Cohen 2003 ("Noise spectrum estimation in adverse environments:
    /// improved minima controlled recursive averaging", IEEE TSAP 11(5), Table I) and Cohen & Berdugo 2001 use
    /// α = 0.92 at 8 ms hops; Ephraim & Malah 1984 recommend 0.98. 0.96 won on the quality corpus (+0.3 dB
    /// SI-SDR improvement over 0.92 at 0–10 dB SNR). Converted to this hop like the constants above.
    static let decisionDirectedWeight = 0.96
    static let decisionDirectedHopSeconds = 0.008
    /// Lower bound of the a priori SNR, ξ_min = −25 dB (Cohen & Berdugo 2001, Table I; Cohen 2003). It limits
    /// how far isolated noise peaks can drive ξ down and up again from hop to hop, the root of musical noise
    /// (Cappé, "Elimination of the musical noise phenomenon with the Ephraim and Malah noise suppressor", IEEE
    /// TSAP 2(2), 1994).
    static let aprioriSNRFloor: Float = 0.003_162_3
    /// A priori speech absence probability q used in the speech presence probability. Cohen 2003 estimates it
    /// per bin and caps it at 0.9 (noise-only bins sit near the cap); Ephraim & Malah 1984 use 0.2–0.5. Chosen
    /// on the quality corpus (Benchmarks/quality, adaptive mode). First a fixed 0.8: with 0.5 pure noise was cut
    /// only 7–9 dB of a 12 dB limit (p ≈ ½ in noise), and 0.8–0.9 gave the best SI-SDR and PESQ in every SNR
    /// bucket then. Then 0.8 falling to 0.7 at high overall SNR, on the ramp of ``decisionDirectedWeightHighSNR``
    /// (figures there); a per-bin version of that ramp (from each bin's own mean ξ) gained a third as much, and a
    /// short-term, local prior (IMCRA's q̂, Cohen 2003) lowered PESQ by 0.1 at 20 dB. Since the high-SNR gain
    /// smoothing and the bands above 8 kHz, 0.7 throughout scores better than that ramp (at 0/5/10/20 dB SNR:
    /// SI-SDR improvement +0.01/+0.02/+0.02/+0.01 dB, PESQ-WB +0.020/−0.002/−0.001/+0.002, STOI
    /// +0.0020/+0.0012/+0.0007/+0.0001; babble over all SNRs, STOI 0.7974 → 0.7985); 0.75 gained 0.016 PESQ-WB at
    /// 0 dB and less STOI, 0.65 +0.011 PESQ-WB at 0 dB and −0.007 at 5 dB.
    static let speechAbsencePrior: Float = 0.7
    /// At a high overall SNR (the mean over bins of the 1.5 s mean ξ, see ``limitSmoothingSeconds``; it follows
    /// the input SNR within a few dB on the quality corpus), the decision-directed weight falls from 0.96 to
    /// 0.94, linearly in dB between 5 and 15 dB: where noise is quiet against the voice, a lower weight follows
    /// onsets faster, and keeping weak speech intact matters more than the last decibels of noise (the same
    /// direction as an over-subtraction factor that falls with the SNR: Berouti, Schwartz & Makhoul,
    /// "Enhancement of speech corrupted by acoustic noise", ICASSP 1979). Until ``speechAbsencePrior`` became 0.7
    /// throughout, the prior fell from 0.8 to 0.7 on the same ramp; chosen then on the quality corpus
    /// (Benchmarks/quality, adaptive mode) against the fixed 0.8 and 0.96: at 20 dB SNR PESQ-WB 2.669 → 2.684,
    /// STOI 0.9800 → 0.9811 (the input's is 0.9808), SI-SDR improvement 5.00 → 5.21 dB; at 0/5/10 dB PESQ −0.005
    /// or less, SI-SDR −0.07 dB or less; 0.6 and 0.93 at high SNR scored 2.685 at 20 dB but lost 0.004–0.007
    /// below it (before the start-up ceiling, which cost 0.01 PESQ at 20 dB). The weight alone, measured again
    /// with the prior at 0.7 throughout and the bands (PESQ-WB at 0/5/10/20 dB SNR; STOI and SI-SDR improvement at
    /// 20 dB): no ramp (0.96 throughout) 1.270/1.513/1.864/2.698, STOI 0.9804, below the input's 0.9808, 4.34 dB;
    /// 0.94 1.287/1.511/1.854/2.702, 0.9812, 4.52 dB; 0.92 1.261/1.505/1.848/2.702, 0.9816, 4.62 dB.
    static let decisionDirectedWeightHighSNR = 0.94
    /// At a high overall SNR (the same position between ``highSNRLowDecibels`` and ``highSNRHighDecibels``), the
    /// gains are also smoothed across frequency, (¼, ½, ¼) over neighbouring bands (23 Hz apart at 48 kHz below
    /// 8 kHz, 47 or 94 Hz above), mixed in up to this share: a smoothing of the gains across frequency against
    /// musical noise (one of the controls issue #4 names; Cappé 1994 for why isolated gain changes are heard).
    /// Mixed in at every SNR it had cost 0.5–1.5 dB of SI-SDR improvement in every bucket (see step 4 above), so
    /// only where the noise is quiet against the voice. (The figures below were measured before the bands.)
    /// Chosen on the quality corpus (Benchmarks/quality, adaptive mode; 20 dB SNR, PESQ-WB / STOI / SI-SDR
    /// improvement): none 2.674 / 0.9812 / 5.18 dB, 0.5 2.696 / 0.9811 / 4.69, 0.6 2.699 / 0.9811 / 4.51,
    /// 0.7 2.703 / 0.9810 / 4.32, 1 2.711 / 0.9806 / 3.65 (below the input's STOI, 0.9808). With 0.6, at 0/5/10 dB
    /// SNR PESQ +0.003/+0.006/+0.012 and SI-SDR improvement −0.06/−0.09/−0.17 dB. Tried and not kept: smoothing
    /// only where the gain is near its floor (2.680), only raising gains (2.679), clipping single-bin peaks to
    /// their neighbours (2.657), a 5-bin (1, 2, 3, 2, 1) smoother (0.3: 2.694 / 0.9812; 0.4: 2.698 / 0.9811).
    /// Its cost falls unevenly by noise (whole corpus, all SNRs): SI-SDR improvement −0.68 dB under traffic, −0.41
    /// brown, −0.31 HVAC, −0.03 to −0.16 for the rest, −0.25 dB overall, for PESQ +0.01 to +0.04.
    static let highSNRGainSmoothing: Float = 0.6
    static let highSNRLowDecibels = 5.0
    static let highSNRHighDecibels = 15.0
    /// ξ values above this (40 dB) count as 40 dB in the overall SNR, so one strong harmonic does not decide it.
    static let overallSNRClip: Float = 10_000
    /// Minimum-statistics safety net (Martin, "Noise power spectral density estimation based on optimal
    /// smoothing and minimum statistics", IEEE TSAP 9(5), 2001): the minimum of the smoothed power over the last
    /// `minimumWindowSeconds`, kept in 8 sub-windows (his U = 8) so it costs one compare per bin per hop.
    /// The recursive tracker above cannot rise through power that looks like speech (its stagnation guard
    /// rarely engages at 75 % overlap), so a noise that switches on mid-take (an air conditioner) would never be
    /// learned; but every bin of real dialogue drops to the noise somewhere within a few seconds. When that
    /// minimum is more than `minimumMargin` above λ, λ is raised to it. Window 3 s (Martin uses 1.5 s; the
    /// corpus's synthetic speech holds low harmonics longer, and 1.5–2.5 s windows cost 0.5–2 dB of SI-SDR at
    /// 20 dB SNR there); no bias factor (Martin's is > 1) because this is only a lower bound.
    static let minimumWindowSeconds = 3.0
    static let minimumSubwindows = 8
    /// Time constant of the power smoothing under the minimum (30 ms, about three hops at 48 kHz: short, so
    /// brief pauses between words reach the minimum).
    static let minimumSmoothingSeconds = 0.03
    /// λ is raised only when the window minimum exceeds it by this factor (3 dB).
    static let minimumMargin: Float = 2
    /// Until the minimum-statistics window has filled (the first 3 s), λ is also held at most 15 dB above the
    /// lowest 30 ms-smoothed power seen so far in its bin. A take trimmed to start on a word puts speech into the
    /// initial mean below; the tracker then reads later speech at that level as noise (γ ≈ 1) and the
    /// overestimate persists. With the ceiling, the first pauses pull λ down. On the quality corpus with the
    /// 0.95 s noise lead-in cut off, SI-SDR improvement went from +6.2/+2.2/−4.8 dB to +6.9/+5.4/+2.8 dB at
    /// 0/10/20 dB SNR; on the corpus with its lead-in it cost 0.1 dB at 0 dB SNR and 0.01 PESQ at 20 dB. 10 dB
    /// bound more often where λ was right (the minimum of a 30 ms-smoothed periodogram over a second lies 10–13 dB
    /// below its mean) and cost 0.3 dB; 20 dB (100×) kept only a third of the gain on trimmed takes.
    static let startupCeiling: Float = 30
    /// The first 200 ms of the stream initialise λ as the plain mean of the periodograms, as Gerkmann & Hendriks
    /// 2012 initialise from the first frames assuming they hold noise. A single periodogram is too noisy: its
    /// low bins would look like speech to the tracker and stay under-estimated (twinkling) until the minimum
    /// statistics catch them; a mean that wrongly contains speech instead falls within ~0.3 s, because the
    /// tracker follows power that is below its estimate at its full speed.
    static let initialSeconds = 0.2
    /// Per-band reduction limit (per bin below 8 kHz, see ``pairedBandsHertz``). The user's limit
    /// (``NoiseReducerSettings/reductionDecibels``, default 24 dB) is the deepest cut; each band's own limit is
    /// `limitTargetDecibels` minus its long-term mean a priori SNR (ξ averaged over `limitSmoothingSeconds`,
    /// speech pauses included), but never less than `limitLowerDecibels` and never more than the user's. Bands
    /// where speech is rare or weak against the noise (the top octaves in white noise, the bass under traffic)
    /// are cut deeper, bands that carry the voice keep the 15 dB that suited them. This is the frequency-dependent
    /// form of a reduction that follows the SNR: residual noise is least masked, and most audible, where the
    /// speech is weakest (the masking argument of Virag, "Single channel speech enhancement based on masking
    /// properties of the human auditory system", IEEE TSAP 7(2), 1999). Constants chosen on the quality corpus
    /// (Benchmarks/quality, adaptive mode): against a fixed 15 dB, a 24 dB user limit with T = 25 dB, bound 15 dB
    /// and 1.5 s raised PESQ-WB by 0.08/0.12/0.11/0.01 and SI-SDR improvement by 1.0/0.7/0.5/0.1 dB at 0/5/10/20 dB
    /// SNR; T = 30 dB or a bound of 12 or 18 dB scored lower; one limit per hop from the recent segmental SNR
    /// gained about two thirds as much at 0–10 dB SNR and lost at 20 dB.
    static let limitTargetDecibels = 25.0
    static let limitLowerDecibels = 15.0
    static let limitSmoothingSeconds = 1.5
    /// The per-band floors are recomputed from the mean ξ every 4th hop (every 43 ms at 48 kHz, against the
    /// mean's 1.5 s): it saves a logarithm and an exponential per band per hop; scores were unchanged (±0.005).
    static let limitUpdateHops = 4
    /// Smallest mean ξ used in the limit rule (−60 dB; ξ itself never goes below ξ_min = −25 dB after a hop).
    static let meanSNRFloor: Float = 1e-6
    /// Above `pairedBandsHertz` the kernel works on bands of two bins, above `quadBandsHertz` on bands of four
    /// (47 and 94 Hz at 48 kHz with 2048-point frames; the Nyquist bin, and the up to three bins the fours leave
    /// below it, stay alone): noise tracking, gains and the rest run once per band on the band's mean power, and
    /// each band's gain is applied to all of its bins.
    /// The ear's auditory filters are far wider there (equivalent rectangular bandwidth about 0.9 kHz at 8 kHz
    /// and 1.3 kHz at 12 kHz: ERB = 24.7·(4.37·f/kHz + 1) Hz, Glasberg & Moore, "Derivation of auditory filter
    /// shapes from notched-noise data", Hearing Research 47, 1990), and above 8 kHz speech carries fricatives
    /// and breath, not resolved harmonics. At 48 kHz it leaves 556 bands for 1025 bins, and the reducer went
    /// from 2.6× to about 1.7× the bare STFT round trip in the benchmark package (issue #4 asks for 2×).
    /// The tracker's and minimum statistics' constants were tuned on single-bin periodograms; a band's mean
    /// power varies less, which cost nothing measurable on the corpus. Measured on the quality corpus
    /// (Benchmarks/quality, adaptive mode; per SNR bucket at 0/5/10/20 dB): SI-SDR improvement
    /// +0.06/+0.03/+0.02/0.00 dB (by noise type up to +0.19 dB, white), PESQ-WB 0.000/0.000/0.000/+0.001, STOI
    /// unchanged to 0.0001; learned mode unchanged to 0.01 dB. Pairs from 6 kHz (513 bands) cost 0.005 PESQ-WB at
    /// 0 dB SNR: the wide-band speech band that PESQ-WB scores ends at 8 kHz, so it stays at full resolution.
    static let pairedBandsHertz = 8000.0
    static let quadBandsHertz = 12000.0
    /// log₂ 10, to turn dB of amplitude into log₂: log₂ g = dB / 20 · log₂ 10.
    static let log2Ten = Float(log2(10.0))
    /// Smallest noise power, relative to a full-scale frame power: keeps divisions finite in digital silence.
    static let noiseFloorPower: Float = 1e-30
    /// Largest a posteriori SNR used (80 dB): beyond it nothing changes (G ≈ 1) and Float stays finite.
    static let posteriorSNRLimit: Float = 1e8


    // MARK: Settings

    let gainFloor: Float
    let output: NoiseReducerSettings.Output
    let linked: Bool
    let learnedProfile: NoiseProfile?
    /// Whether the ``BabbleGuard`` may ease the reduction limit under a speech-like background.
    let babbleGuardEnabled: Bool

    // MARK: Prepared state

    private(set) var context: SpectralContext?
    private var binCount = 0
    /// Bands (see ``pairedBandsHertz``): their number, their layout over the bins, their widths in bins.
    private var bandCount = 0
    private var layout = scrim_band_layout(singlesEnd: 0, pairsEnd: 0, quadsEnd: 0, binCount: 0)
    private var bandWidths: UnsafeMutablePointer<Float>
    private var groupCount = 0
    private var channelCount = 0
    private var windowEnergy: Float = 1
    private var noiseAlpha: Float = 0
    private var presenceAlpha: Float = 0
    private var ddAlpha: Float = 0
    private var minimumAlpha: Float = 0
    private var initialHops = 1
    private var subwindowHops = 1
    private var subwindowPosition = 0
    private var subwindowIndex = 0
    private var subwindowsFilled = 0
    /// Per partial first hop (startFrame < 0): the factor that scales its power up to a full frame's.
    private var partialScale: [Float] = []

    /// One allocation holding every row below (replaced in `prepare`).
    private var storage: UnsafeMutablePointer<Float>
    /// Rows that hold stream state (cleared by `reset`): the first `stateRows·groupCount` rows of `storage`.
    private var stateCount = 0
    /// Per group × band (every row below holds bands, except `binPower` and `binGain`): noise power λ, smoothed
    /// speech presence, previous |Â|² (for decision-directed ξ).
    private var noise: UnsafeMutablePointer<Float>
    private var presence: UnsafeMutablePointer<Float>
    private var previousAmplitude: UnsafeMutablePointer<Float>
    /// Per group × band: minimum statistics (smoothed power, current sub-window minimum, window minimum) and
    /// `minimumSubwindows` rows of stored sub-window minima.
    private var smoothedPower: UnsafeMutablePointer<Float>
    private var currentMinimum: UnsafeMutablePointer<Float>
    private var windowMinimum: UnsafeMutablePointer<Float>
    private var subwindowMinima: UnsafeMutablePointer<Float>
    /// Per group × band: mean a priori SNR ξ over about ``limitSmoothingSeconds`` (for the per-band limit).
    private var longSNR: UnsafeMutablePointer<Float>
    /// Per group × band: the band's gain floor G_min as log₂ and linear, refreshed every ``limitUpdateHops`` hops.
    private var floorLog2: UnsafeMutablePointer<Float>
    private var floorLinear: UnsafeMutablePointer<Float>
    private var longAlpha: Float = 0
    /// Per group: where the recent overall SNR lies between ``highSNRLowDecibels`` (0) and
    /// ``highSNRHighDecibels`` (1); it moves the decision-directed weight and the gain smoothing.
    private var highSNRPosition: [Float] = []
    private var ddAlphaHigh: Float = 0
    private var binTargetLog2: Float = 0
    private var binLowerLog2: Float = 0
    /// Per group × band: the learned noise power in this STFT's scaling (learned mode).
    private var learned: UnsafeMutablePointer<Float>
    /// Scratch, one band row each (`binPower` and `binGain`: one bin row each).
    private var power: UnsafeMutablePointer<Float>
    private var binPower: UnsafeMutablePointer<Float>
    private var binGain: UnsafeMutablePointer<Float>
    /// `scrim_vector_gains`' scratch, then (its contents spent) `scrim_vector_smooth_gains`'.
    private var work: UnsafeMutablePointer<Float>
    private var ratio: UnsafeMutablePointer<Float>
    private var gain: UnsafeMutablePointer<Float>
    private var applied: UnsafeMutablePointer<Float>
    private var initialized = false
    /// Speech-like background detection (see ``BabbleGuard``), and the user's gain floor as log₂.
    let babbleGuard = BabbleGuard()
    private var log2UserFloor: Float = 0

    // MARK: Statistics (read by the reducer's report)

    private(set) var hopCount = 0
    private(set) var statisticCount = 0
    private(set) var noiseBeforeSum = 0.0
    private(set) var noiseAfterSum = 0.0
    private(set) var reductionCount = 0
    private(set) var reductionSum = 0.0
    private(set) var reductionMaximum = 0.0
    /// Floor updates (per group, every ``limitUpdateHops`` hops) with the babble guard running, those in which
    /// it eased the limit (engagement above ``BabbleGuard/reportedEngagement`` and the user's limit deeper than
    /// the eased one), and the lowest limit (dB) it eased to (+∞ when it never did).
    private(set) var babbleUpdates = 0
    private(set) var babbleEasedUpdates = 0
    private(set) var lowestEasedLimit = Double.infinity

    init(gainFloor: Float, output: NoiseReducerSettings.Output, linked: Bool, learnedProfile: NoiseProfile?,
         babbleGuard: Bool = true) {
        self.gainFloor = gainFloor
        babbleGuardEnabled = babbleGuard
        self.output = output
        self.linked = linked
        self.learnedProfile = learnedProfile
        storage = UnsafeMutablePointer<Float>.allocate(capacity: 1)
        storage.initialize(to: 0)
        (noise, presence, previousAmplitude, learned) = (storage, storage, storage, storage)
        (smoothedPower, currentMinimum, windowMinimum, subwindowMinima) = (storage, storage, storage, storage)
        (longSNR, floorLog2, floorLinear) = (storage, storage, storage)
        (power, work, ratio, gain, applied) = (storage, storage, storage, storage, storage)
        (binPower, binGain, bandWidths) = (storage, storage, storage)
    }

    deinit {
        storage.deallocate()
    }

    func prepare(context: SpectralContext) throws {
        self.context = context
        binCount = context.binCount
        channelCount = context.channelCount
        groupCount = linked ? 1 : context.channelCount
        let window = context.analysisWindow
        windowEnergy = window.reduce(0) { $0 + $1 * $1 }
        let hopSeconds = Double(context.hopSize) / context.sampleRate
        noiseAlpha = Float(pow(Self.noiseSmoothing, hopSeconds / Self.referenceHopSeconds))
        presenceAlpha = Float(pow(Self.presenceSmoothing, hopSeconds / Self.referenceHopSeconds))
        ddAlpha = Float(pow(Self.decisionDirectedWeight, hopSeconds / Self.decisionDirectedHopSeconds))
        ddAlphaHigh = Float(pow(Self.decisionDirectedWeightHighSNR,
                                hopSeconds / Self.decisionDirectedHopSeconds))
        highSNRPosition = Array(repeating: 0, count: groupCount)

        // Hop m (m < fftSize/hop − 1) starts before the stream; only window samples from −startFrame on see data.
        partialScale = []
        var start = context.hopSize - context.fftSize
        while start < 0 {
            var covered: Float = 0
            for n in (-start)..<context.fftSize { covered += window[n] * window[n] }
            partialScale.append(covered > 0 ? windowEnergy / covered : 0)
            start += context.hopSize
        }

        layout = Self.bandLayout(binCount: binCount, binHertz: context.sampleRate / Double(context.fftSize))
        log2UserFloor = DenoiseMath.fastLog2(gainFloor)
        bandCount = Self.bandCount(layout)
        let bands = bandCount
        storage.deallocate()
        initialHops = max(1, Int((Self.initialSeconds / hopSeconds).rounded()))
        longAlpha = Float(exp(-hopSeconds / Self.limitSmoothingSeconds))
        // The limit rule in log₂ of power ratios (dB/10·log₂10).
        binTargetLog2 = Float(Self.limitTargetDecibels / 10 * log2(10.0))
        binLowerLog2 = Float(Self.limitLowerDecibels / 10 * log2(10.0))
        minimumAlpha = Float(exp(-hopSeconds / Self.minimumSmoothingSeconds))
        let windowHops = Self.minimumWindowSeconds / hopSeconds
        subwindowHops = max(1, Int((windowHops / Double(Self.minimumSubwindows)).rounded()))
        let stateRows = 9 + Self.minimumSubwindows
        let rows = (stateRows + 1) * groupCount + 6
        let capacity = rows * bands + 2 * binCount
        let base = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        base.initialize(repeating: 0, count: capacity)
        storage = base
        let row = groupCount * bands
        stateCount = stateRows * row
        noise = base
        presence = base + row
        previousAmplitude = base + 2 * row
        smoothedPower = base + 3 * row
        currentMinimum = base + 4 * row
        windowMinimum = base + 5 * row
        subwindowMinima = base + 6 * row
        longSNR = base + (6 + Self.minimumSubwindows) * row
        floorLog2 = longSNR + row
        floorLinear = floorLog2 + row
        learned = base + stateRows * row
        power = learned + row
        work = power + bands
        ratio = work + bands
        gain = ratio + bands
        applied = gain + bands
        bandWidths = applied + bands
        binPower = bandWidths + bands
        binGain = binPower + binCount
        for b in 0..<bands { bandWidths[b] = 1 }
        (bandWidths + Int(layout.singlesEnd)).update(repeating: 2, count: Int(layout.pairsEnd - layout.singlesEnd) / 2)
        (bandWidths + Int(layout.singlesEnd) + Int(layout.pairsEnd - layout.singlesEnd) / 2)
            .update(repeating: 4, count: Int(layout.quadsEnd - layout.pairsEnd) / 4)

        babbleGuard.prepare(binHertz: context.sampleRate / Double(context.fftSize), binCount: binCount,
                            hopSeconds: hopSeconds, frameSeconds: Double(context.fftSize) / context.sampleRate,
                            groupCount: groupCount)
        if let profile = learnedProfile {
            let fitted = profile.resampled(fftSize: context.fftSize, sampleRate: context.sampleRate)
            let mean = fitted.channelMeanPower()
            for group in 0..<groupCount {
                let source = (!linked && fitted.channelCount == channelCount) ? fitted.noisePower[group] : mean
                for k in 0..<binCount { binPower[k] = source[k] * windowEnergy }
                let row = learned + group * bands
                scrim_vector_pool_bands(row, binPower, &layout)
                for b in 0..<bands { row[b] = max(row[b], Self.noiseFloorPower) }
            }
        }
        reset()
    }

    /// Bins below ``pairedBandsHertz`` alone, then pairs up to ``quadBandsHertz``, then fours, and the last bin
    /// (Nyquist) alone, so DC and Nyquist are bands of their own. Each edge is the bin at or just below its
    /// frequency (at 48 kHz bin 341, 7.99 kHz, starts the pairs); where a span does not divide into whole groups,
    /// its end moves down (at most three bins below Nyquist stay single). Starting the pairs at bin 342 instead
    /// (and the fours at 512) scored 0.005 lower in PESQ-WB at 0 dB SNR on the quality corpus, within its noise.
    static func bandLayout(binCount: Int, binHertz: Double) -> scrim_band_layout {
        let last = binCount - 1
        let singles = min(max(Int(pairedBandsHertz / binHertz), 1), last)
        let pairTarget = min(max(Int(quadBandsHertz / binHertz), singles), last)
        let pairs = singles + (pairTarget - singles) / 2 * 2
        let quads = pairs + (last - pairs) / 4 * 4
        return scrim_band_layout(singlesEnd: Int64(singles), pairsEnd: Int64(pairs), quadsEnd: Int64(quads),
                                 binCount: Int64(binCount))
    }

    /// The number of bands in `layout`: one per single bin, one per pair, one per four.
    static func bandCount(_ layout: scrim_band_layout) -> Int {
        Int(layout.singlesEnd + (layout.pairsEnd - layout.singlesEnd) / 2 + (layout.quadsEnd - layout.pairsEnd) / 4
            + (layout.binCount - layout.quadsEnd))
    }

    func reset() {
        storage.update(repeating: 0, count: stateCount)
        let row = groupCount * bandCount
        currentMinimum.update(repeating: .greatestFiniteMagnitude, count: row)
        subwindowMinima.update(repeating: .greatestFiniteMagnitude, count: Self.minimumSubwindows * row)
        for group in 0..<groupCount { highSNRPosition[group] = 0 }
        subwindowPosition = 0
        subwindowIndex = 0
        subwindowsFilled = 0
        initialized = false
        babbleGuard.reset()
        hopCount = 0
        statisticCount = 0
        noiseBeforeSum = 0
        noiseAfterSum = 0
        reductionCount = 0
        reductionSum = 0
        reductionMaximum = 0
        babbleUpdates = 0
        babbleEasedUpdates = 0
        lowestEasedLimit = .infinity
    }

    func process(_ frame: SpectralFrame) {
        let bins = binCount, bands = bandCount
        let channelsPerGroup = linked ? channelCount : 1
        let partialIndex = frame.hopIndex
        let trackScale: Float = partialIndex < partialScale.count ? partialScale[partialIndex] : 1
        for group in 0..<groupCount {
            // 1. Power, averaged over the group's channels, pooled into bands.
            let first = linked ? 0 : group
            scrim_vector_power(binPower, frame.realBasePointer(first), frame.imagBasePointer(first), Int64(bins), 0)
            if channelsPerGroup > 1 {
                for c in 1..<channelsPerGroup {
                    scrim_vector_power(binPower, frame.realBasePointer(c), frame.imagBasePointer(c), Int64(bins), 1)
                }
                scrim_vector_scale(binPower, 1 / Float(channelsPerGroup), Int64(bins))
            }
            scrim_vector_pool_bands(power, binPower, &layout)
            if babbleGuardEnabled {
                babbleGuard.observe(group: group, binPower: binPower, scale: trackScale)
            }
            let lambda = noise + group * bands
            if learnedProfile != nil {
                lambda.update(from: learned + group * bands, count: bands)
            } else {
                track(lambda: lambda, presence: presence + group * bands, scale: trackScale)
                trackMinimum(lambda: lambda, group: group, scale: trackScale)
            }
            let offset = group * bands
            if hopCount % Self.limitUpdateHops == 0 {
                updateFloors(mean: longSNR + offset, log2Floor: floorLog2 + offset, linear: floorLinear + offset,
                             group: group)
            }
            computeGains(lambda: lambda, previous: previousAmplitude + offset, longSNR: longSNR + offset,
                         log2Floors: floorLog2 + offset, linearFloors: floorLinear + offset,
                         highSNR: highSNRPosition[group])
            scrim_vector_smooth_gains(applied, work, Int64(bands),
                                      Self.highSNRGainSmoothing * highSNRPosition[group])
            accumulateStatistics(lambda: lambda)
            scrim_vector_expand_bands(binGain, applied, &layout)
            apply(to: frame, firstChannel: first, channelCount: channelsPerGroup)
        }
        if learnedProfile == nil { advanceSubwindow() }
        if babbleGuardEnabled { babbleGuard.advance() }
        initialized = true
        hopCount += 1
    }

    /// Minimum statistics (see ``minimumWindowSeconds``): smooth the power, keep the running sub-window minimum,
    /// and once the window has filled raise λ to the window minimum where it is `minimumMargin` above λ.
    @inline(__always)
    private func trackMinimum(lambda: UnsafeMutablePointer<Float>, group: Int, scale: Float) {
        let bands = bandCount
        let p = power
        let smoothed = smoothedPower + group * bands
        let current = currentMinimum + group * bands
        let window = windowMinimum + group * bands
        let a = initialized ? minimumAlpha : 0
        let startup = subwindowsFilled < Self.minimumSubwindows
        // Start-up: λ at most `startupCeiling` × the lowest smoothed power seen so far. Afterwards the bound
        // reads only the stored window minimum, not this hop's.
        var parameters = scrim_minimum_params(
            scale: scale, a: a, b: 1 - a, bound: startup ? Self.startupCeiling : Self.minimumMargin,
            floor: Self.noiseFloorPower, startup: startup ? 1 : 0, filled: subwindowsFilled > 0 ? 1 : 0)
        scrim_vector_track_minimum(lambda, smoothed, current, window, p, Int64(bands), &parameters)
    }

    /// Ends a sub-window every `subwindowHops` hops: stores its minima and recomputes the window minima.
    private func advanceSubwindow() {
        subwindowPosition += 1
        guard subwindowPosition >= subwindowHops else { return }
        subwindowPosition = 0
        let row = groupCount * bandCount
        (subwindowMinima + subwindowIndex * row).update(from: currentMinimum, count: row)
        currentMinimum.update(repeating: .greatestFiniteMagnitude, count: row)
        subwindowIndex = (subwindowIndex + 1) % Self.minimumSubwindows
        subwindowsFilled = min(subwindowsFilled + 1, Self.minimumSubwindows)
        windowMinimum.update(from: subwindowMinima, count: row)
        for u in 1..<Self.minimumSubwindows {
            let other = subwindowMinima + u * row
            for i in 0..<row { windowMinimum[i] = min(windowMinimum[i], other[i]) }
        }
    }

    /// Noise tracking by speech-presence-weighted recursive averaging (Gerkmann & Hendriks 2012, eqs. 7–11):
    /// P(H1|y) = 1/(1 + (1+ξ_H1)·exp(−(|y|²/λ)·ξ_H1/(1+ξ_H1))), held ≤ 0.99 while its smoothed value exceeds
    /// 0.99 (against stagnation); E|N|² = (1 − P(H1|y))·|y|² + P(H1|y)·λ; λ ← α·λ + (1 − α)·E|N|².
    /// `scale` lifts the power of frames that start before the stream to a full frame's.
    @inline(__always)
    private func track(lambda: UnsafeMutablePointer<Float>, presence: UnsafeMutablePointer<Float>, scale: Float) {
        let bands = bandCount
        let p = power
        if hopCount < initialHops {
            let weight = 1 / Float(hopCount + 1), keep = 1 - weight
            for k in 0..<bands { lambda[k] = max(keep * lambda[k] + weight * p[k] * scale, Self.noiseFloorPower) }
            return
        }
        let snr = Self.trackerSpeechSNR
        var parameters = scrim_tracker_params(
            scale: scale, exponentScale: -DenoiseMath.log2e * snr / (1 + snr), priorRatio: 1 + snr,
            alpha: noiseAlpha, beta: 1 - noiseAlpha, presenceAlpha: presenceAlpha, presenceBeta: 1 - presenceAlpha,
            threshold: Self.stagnationThreshold, posteriorLimit: Self.posteriorSNRLimit, floor: Self.noiseFloorPower)
        scrim_vector_track(lambda, presence, p, Int64(bands), &parameters)
    }

    /// Per-bin limit (see ``limitTargetDecibels``): T − mean ξ, at least the lower bound, at most the user's
    /// limit; as a log₂ amplitude gain −½·(limit as log₂ power), and linear.
    @inline(__always)
    private func updateFloors(mean: UnsafeMutablePointer<Float>, log2Floor: UnsafeMutablePointer<Float>,
                              linear: UnsafeMutablePointer<Float>, group: Int) {
        // The user's floor, eased toward the babble guard's by its engagement (a glide in dB); the eased limit
        // follows the overall SNR position of the previous update.
        var userFloor = log2UserFloor
        if babbleGuardEnabled && babbleGuard.isActive {
            babbleUpdates += 1
            let engagement = babbleGuard.engagement(group)
            let limit = BabbleGuard.easedLimit(highSNRPosition: highSNRPosition[group])
            let eased = -limit / 20 * Self.log2Ten
            if engagement > 0 && eased > log2UserFloor {
                userFloor = log2UserFloor + engagement * (eased - log2UserFloor)
                if engagement > BabbleGuard.reportedEngagement {
                    babbleEasedUpdates += 1
                    lowestEasedLimit = min(lowestEasedLimit, Double(-userFloor * 20 / Self.log2Ten))
                }
            }
        }
        let total = scrim_vector_floors(mean, bandWidths, log2Floor, linear, Int64(bandCount), binTargetLog2,
                                        binLowerLog2, userFloor, Self.meanSNRFloor, Self.overallSNRClip)
        // The overall SNR: the bins' mean ξ, averaged over the bins (a power ratio), in dB.
        let overall = 10 * log10(max(total / Float(binCount), Self.meanSNRFloor))
        let low = Self.highSNRLowDecibels, high = Self.highSNRHighDecibels
        highSNRPosition[group] = Float(min(max((Double(overall) - low) / (high - low), 0), 1))
    }

    /// OM-LSA gains into `applied` (floored at G_min), and |Â|² = G²·|Y|² into `previous` for the next hop.
    @inline(__always)
    private func computeGains(lambda: UnsafeMutablePointer<Float>, previous: UnsafeMutablePointer<Float>,
                              longSNR xiMean: UnsafeMutablePointer<Float>, log2Floors: UnsafeMutablePointer<Float>,
                              linearFloors: UnsafeMutablePointer<Float>, highSNR position: Float) {
        // The first hop has no previous estimate: ξ from γ alone (α = 0).
        let alpha: Float = initialized ? ddAlpha + (ddAlphaHigh - ddAlpha) * position : 0
        let absencePrior = Self.speechAbsencePrior
        var parameters = LogSpectralAmplitudeTable.shared.gainParameters
        parameters.alpha = alpha
        parameters.beta = 1 - alpha
        parameters.xiMin = Self.aprioriSNRFloor
        parameters.gammaMax = Self.posteriorSNRLimit
        parameters.priorRatio = absencePrior / (1 - absencePrior)
        parameters.log2e = DenoiseMath.log2e
        parameters.longAlpha = longAlpha
        parameters.longBeta = 1 - longAlpha
        // Pass 1: ξ, ξ/(1+ξ), v. Pass 2 (table): log₂ G_H1 = log₂(ξ/(1+ξ)) + ½E₁(v)·log₂e, capped at 0 (G_H1 ≤ 1).
        // Pass 3: speech presence, OM-LSA mix in the log domain, |Â|² = G²·|Y|² for the next hop, the long-term
        // mean ξ behind the per-band limit (``updateFloors``), and the floor at this band's G_min (G_H1 alone can
        // fall below it where p ≈ 1 and ξ is small).
        scrim_vector_gains(power, lambda, previous, xiMean, log2Floors, linearFloors, work, ratio, gain, applied,
                           Int64(bandCount), &parameters)
    }

    /// Adds this hop's noise before/after and reduction to the statistics (a few sums and one log per hop).
    @inline(__always)
    private func accumulateStatistics(lambda: UnsafeMutablePointer<Float>) {
        let bands = bandCount
        let p = power, s = applied, w = bandWidths
        // Partial sums of λ, λG², P and PG² over the bands, each weighted by its bins (Float addition is not
        // reassociated by the compiler, so a plain loop would run one dependent add per band).
        var sums = SIMD16<Float>()
        withUnsafeMutableBytes(of: &sums) { raw in
            scrim_vector_statistics(lambda, p, s, w, Int64(bands), raw.baseAddress.unsafelyUnwrapped
                .assumingMemoryBound(to: Float.self))
        }
        let noiseBefore = sums.lowHalf.lowHalf.sum(), noiseAfter = sums.lowHalf.highHalf.sum()
        let input = sums.highHalf.lowHalf.sum(), kept = sums.highHalf.highHalf.sum()
        // Parseval on the one-sided spectrum: DC and Nyquist count once, the rest twice (band 0 is the DC bin
        // alone and the last band the Nyquist bin alone, see ``bandLayout``).
        func twoSided(_ sum: Float, _ a: Float, _ b: Float) -> Double { Double(2 * sum - a - b) }
        let last = bands - 1
        let g0 = s[0] * s[0], gl = s[last] * s[last]
        let scale = 1 / (Double(windowEnergy) * Double(2 * (binCount - 1)))
        noiseBeforeSum += twoSided(noiseBefore, lambda[0], lambda[last]) * scale
        noiseAfterSum += twoSided(noiseAfter, lambda[0] * g0, lambda[last] * gl) * scale
        statisticCount += 1
        let inputPower = twoSided(input, p[0], p[last]) * scale
        let keptPower = twoSided(kept, p[0] * g0, p[last] * gl) * scale
        if inputPower > 1e-12, keptPower > 0 {
            let reduction = 10 * log10(inputPower / keptPower)
            reductionSum += reduction
            reductionMaximum = max(reductionMaximum, reduction)
            reductionCount += 1
        }
    }

    @inline(__always)
    private func apply(to frame: SpectralFrame, firstChannel: Int, channelCount count: Int) {
        let bins = binCount
        let s = binGain
        switch output {
        case .bypass:
            return
        case .cleaned:
            for c in firstChannel..<(firstChannel + count) {
                scrim_vector_apply_gain(frame.realBasePointer(c), frame.imagBasePointer(c), s, Int64(bins))
            }
        case .residual:
            for c in firstChannel..<(firstChannel + count) {
                scrim_vector_apply_residual(frame.realBasePointer(c), frame.imagBasePointer(c), s, Int64(bins))
            }
        }
    }
}

extension SpectralFrame {
    /// Base pointer of channel `c`'s real parts (the buffer view without its bounds-checked wrapper).
    @inline(__always)
    func realBasePointer(_ c: Int) -> UnsafeMutablePointer<Float> {
        real(c).baseAddress.unsafelyUnwrapped
    }

    /// Base pointer of channel `c`'s imaginary parts.
    @inline(__always)
    func imagBasePointer(_ c: Int) -> UnsafeMutablePointer<Float> {
        imag(c).baseAddress.unsafelyUnwrapped
    }
}
