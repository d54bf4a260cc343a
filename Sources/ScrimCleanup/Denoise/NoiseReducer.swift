import CScrimVector
import ScrimCore
import ScrimSpectral

/// Broadband noise reduction for dialogue: lowers steady and slowly changing noise (air conditioning, traffic
/// rumble, hiss, fans) to quieter room tone while keeping the voice, with a reduction limit so the noise is
/// lowered, never gated to silence.
///
/// Algorithm: a streaming STFT (sqrt-Hann, 75 % overlap, ``NoiseReducerSettings/fftSize(forSampleRate:)``) with
/// one gain per bin per hop up to 8 kHz, per pair of bins up to 12 kHz and per four bins above (still far
/// narrower than the ear's auditory filters there; 556 bands for 1025 bins at 48 kHz). The noise spectrum is
/// either tracked continuously (adaptive mode: speech-presence weighted recursive averaging, Gerkmann &
/// Hendriks 2012, with a minimum-statistics lower bound, Martin 2001) or taken from a ``NoiseProfile`` (learned
/// mode). The gain is the optimally-modified log-spectral amplitude estimator (OM-LSA, Cohen & Berdugo 2001;
/// Cohen 2003) built on Ephraim & Malah's MMSE-LSA (1985) with decision-directed a priori SNR (1984), floored
/// per band: at the reduction limit where the band's long-term SNR is low, at about 15 dB of cut where it
/// carries the voice.
///
/// - Babble guard (``NoiseReducerSettings/babbleGuard``, on by default): where the background is speech-like
///   (babble, crowd walla: the floor in the 1–4 kHz third octaves keeps dipping at a syllable's rate instead of
///   holding steady), the reduction limit is eased while it lasts, to 4 dB at low overall SNR and up to 10 dB at
///   high, because a deeper cut takes the dialogue's consonants with the walla. Reported in ``report``
///   (`babbleGuardShare`, `babbleGuardLowestLimitDecibels`).
/// - Start-up: in adaptive mode the first 200 ms are taken as noise to start the estimate (as a pre-roll of
///   room tone usually is); speech there is reduced until the estimate falls back, within about 0.3 s.
/// - Latency: ``latencyFrames`` = fftSize − 2 (2046 at 44.1/48 kHz), known after ``prepare(for:)``; the file
///   pipeline compensates it (as `processAligned` does), so output stays sample-aligned with the input.
/// - Blocks: any size up to the spec's maximum; the output is bit-identical for every split.
/// - Input hygiene: NaN and ±Inf samples are replaced by 0 and finite samples beyond ±10⁶ clamped (both counted
///   in the ``report``) before the STFT, so the output is always finite.
/// - Allocation: all in ``prepare(for:)``; ``process(_:)``, ``flush(into:)`` and ``reset()`` do not allocate,
///   lock or throw. Not thread-safe: one reducer per stream and task.
public final class NoiseReducer: AudioProcessor {
    /// The settings the reducer was created with.
    public let settings: NoiseReducerSettings

    private var processor: STFTProcessor<NoiseReductionKernel>?
    private var nonFiniteCount = 0
    private var clampedCount = 0

    /// Largest finite sample magnitude passed to the STFT (+120 dBFS); see the type's input hygiene.
    public static let sampleLimit: Float = 1e6

    /// Creates a reducer; call ``prepare(for:)`` before processing.
    /// - Parameter settings: reduction limit, mode, output, channel linking, optional FFT size.
    public init(settings: NoiseReducerSettings = NoiseReducerSettings()) {
        self.settings = settings
    }

    /// Delay from input to output in frames (fftSize − 2 for the sqrt-Hann STFT). 0 before ``prepare(for:)``.
    public var latencyFrames: Int { processor?.latencyFrames ?? 0 }

    /// The STFT framing in use, or nil before ``prepare(for:)``.
    public var configuration: STFTConfiguration? { processor?.configuration }

    /// Chooses the FFT size, plans the STFT and allocates all state.
    /// - Throws: ``ScrimError`` `.configuration` for an invalid spec or setting (see
    ///   ``NoiseReducerSettings/validate()``).
    public func prepare(for spec: ProcessSpec) throws {
        processor = nil
        try spec.validate()
        try settings.validate()
        let fftSize = settings.fftSize ?? NoiseReducerSettings.fftSize(forSampleRate: spec.sampleRate)
        let configuration = STFTConfiguration(fftSize: fftSize, hopSize: fftSize / 4)
        let learned: NoiseProfile?
        if case .learned(let profile) = settings.mode { learned = profile } else { learned = nil }
        let kernel = NoiseReductionKernel(
            gainFloor: Float(amplitude(fromDecibels: -settings.reductionDecibels)), output: settings.output,
            linked: settings.channelLinking == .linked, learnedProfile: learned, babbleGuard: settings.babbleGuard)
        let stft = STFTProcessor(kernel: kernel, configuration: configuration)
        try stft.prepare(for: spec)
        processor = stft
        nonFiniteCount = 0
        clampedCount = 0
    }

    /// Reduces noise in `block` in place (output delayed by ``latencyFrames``). Does not allocate, lock or throw.
    public func process(_ block: AudioBlock) {
        guard let processor else { preconditionFailure("NoiseReducer.process called before prepare(for:)") }
        // NaN and ±Inf to 0, finite samples beyond ±sampleLimit clamped, both counted: one pass per channel
        // (`CScrimVector`, as AudioBlock.zeroInvalidSamples followed by a clamp would do).
        var nonFinite: Int64 = 0, clamped: Int64 = 0
        for c in 0..<block.channelCount {
            let samples = block.channel(c)
            guard let base = samples.baseAddress else { continue }
            scrim_vector_sanitize(base, Int64(samples.count), Self.sampleLimit, &nonFinite, &clamped)
        }
        nonFiniteCount += Int(nonFinite)
        clampedCount += Int(clamped)
        processor.process(block)
    }

    /// Writes the last ``latencyFrames`` frames of output into `block` by feeding silence.
    public func flush(into block: AudioBlock) {
        guard let processor else { preconditionFailure("NoiseReducer.flush called before prepare(for:)") }
        block.clear()
        processor.process(block)
    }

    /// Clears the stream state (noise estimate, smoothers, report); behaves like a freshly prepared reducer.
    public func reset() {
        processor?.reset()
        nonFiniteCount = 0
        clampedCount = 0
    }

    /// What the reducer has done since preparation or the last ``reset()`` (allocates a small struct; call it
    /// after the stream, not from the audio path).
    public var report: NoiseReductionReport {
        let kernel = processor?.kernel
        let configuration = processor?.configuration
        func level(_ sum: Double, _ count: Int) -> DecibelsFullScale? {
            guard count > 0 else { return nil }
            let value = decibels(fromPower: sum / Double(count))
            return value.isFinite ? max(value, NoiseReductionReport.levelFloorDecibelsFS)
                : NoiseReductionReport.levelFloorDecibelsFS
        }
        let reductions = kernel?.reductionCount ?? 0
        return NoiseReductionReport(
            mode: settings.mode.name, output: settings.output.rawValue,
            channelLinking: settings.channelLinking.rawValue, reductionLimitDecibels: settings.reductionDecibels,
            fftSize: configuration?.fftSize ?? 0, hopSize: configuration?.hopSize ?? 0,
            latencyFrames: latencyFrames, frames: kernel?.hopCount ?? 0,
            noiseFloorBeforeDecibelsFS: level(kernel?.noiseBeforeSum ?? 0, kernel?.statisticCount ?? 0),
            noiseFloorAfterDecibelsFS: level(kernel?.noiseAfterSum ?? 0, kernel?.statisticCount ?? 0),
            averageReductionDecibels: reductions > 0 ? (kernel?.reductionSum ?? 0) / Double(reductions) : nil,
            maximumReductionDecibels: reductions > 0 ? kernel?.reductionMaximum : nil,
            invalidSamplesZeroed: nonFiniteCount, outOfRangeSamplesClamped: clampedCount,
            babbleGuardShare: babbleShare(kernel), babbleGuardLowestLimitDecibels: babbleLowestLimit(kernel))
    }

    private func babbleShare(_ kernel: NoiseReductionKernel?) -> Double? {
        guard settings.babbleGuard, let kernel, kernel.babbleGuard.isActive else { return nil }
        return kernel.babbleUpdates > 0 ? Double(kernel.babbleEasedUpdates) / Double(kernel.babbleUpdates) : 0
    }

    private func babbleLowestLimit(_ kernel: NoiseReductionKernel?) -> Decibels? {
        guard babbleShare(kernel) != nil, let lowest = kernel?.lowestEasedLimit, lowest.isFinite else { return nil }
        return lowest
    }
}
