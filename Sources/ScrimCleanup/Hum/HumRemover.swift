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
    /// The hum's spectral shape, each harmonic's level in dBFS by harmonic number (only the differences count),
    /// e.g. ``HumDetection/harmonicProfileDecibels``; nil for none. With four or more of the removed harmonics in
    /// it, each frame's hum level is read off them (fit ÷ profile, median over the harmonics: a voice covers
    /// some harmonics, not most), and no profiled harmonic is taken out above that
    /// level times its profile (plus a margin), so a voice's harmonic on a hum harmonic is not taken for hum where
    /// no hum-only frame is near (a take trimmed to its first word).
    public var harmonicProfileDecibels: [Int: Double]?
    /// How far either side the hum under speech is interpolated from, in seconds, 0.5…5 (default
    /// ``HumRemover/lookaheadSeconds``, 2.5; ``HumRemover/lookaheadSeconds(for:)`` picks it from a detection).
    public var lookaheadSeconds: Double = HumRemover.lookaheadSeconds
    /// The hum's level changes over the take (default false; ``HumRemover/levelVaries(for:)`` reads it off a
    /// detection). The hum-only frames around a stretch of speech then sit at other levels than the hum under
    /// it, so the frames under the speech count for more in the level there (see
    /// ``HumRemover/varyingLevelCleanShortfall``).
    public var levelVaries: Bool = false

    /// Creates a configuration.
    /// - Parameters:
    ///   - fundamentalHertz: starting fundamental in hertz (> 0), e.g. 50, 60 or a detected value.
    ///   - harmonicNumbers: harmonics to remove, or nil for all up to `maximumFrequencyHertz`.
    ///   - maximumFrequencyHertz: highest harmonic frequency in hertz (default 4000).
    ///   - maximumDriftHertz: tracking range around `fundamentalHertz` in hertz (default 1).
    ///   - output: cleaned audio (default) or the removed hum.
    ///   - harmonicProfileDecibels: the hum's level per harmonic number in dBFS (its shape), or nil.
    ///   - lookaheadSeconds: reach either side in seconds (default 2.5).
    ///   - levelVaries: whether the hum's level changes over the take (default false).
    public init(fundamentalHertz: Double, harmonicNumbers: [Int]? = nil, maximumFrequencyHertz: Double = 4000,
                maximumDriftHertz: Double = 1, output: HumRemoverOutput = .cleaned,
                harmonicProfileDecibels: [Int: Double]? = nil,
                lookaheadSeconds: Double = HumRemover.lookaheadSeconds, levelVaries: Bool = false) {
        self.fundamentalHertz = fundamentalHertz
        self.harmonicNumbers = harmonicNumbers
        self.maximumFrequencyHertz = maximumFrequencyHertz
        self.maximumDriftHertz = maximumDriftHertz
        self.output = output
        self.harmonicProfileDecibels = harmonicProfileDecibels
        self.lookaheadSeconds = lookaheadSeconds
        self.levelVaries = levelVaries
    }

    /// Takes from a detection of this hum what it tells the remover: the harmonic profile, whether the level
    /// varies (``HumRemover/levelVaries(for:)``) and the reach that goes with it
    /// (``HumRemover/lookaheadSeconds(for:)``). A detection without hum changes nothing.
    public mutating func adopt(_ detection: HumDetection) {
        guard detection.isPresent else { return }
        harmonicProfileDecibels = detection.harmonicProfileDecibels
        lookaheadSeconds = HumRemover.lookaheadSeconds(for: detection)
        levelVaries = HumRemover.levelVaries(for: detection)
    }
}

/// Removes mains hum and buzz — a fundamental and its harmonics — by tracking each harmonic as a sinusoid and
/// subtracting it, so the voice's own low harmonics a few hertz away survive.
///
/// Method. Two STFTs with the same framing run over the stream: periodic Hann windows of about 0.34 s
/// (`fftSize` = the power of two nearest 0.34 × sampleRate: 16384 at 48 kHz, 2.9 Hz bins) at a hop of half a
/// window. The first (*estimation*) pass sees the input ``lookaheadHops`` hops ahead of the second and, per
/// frame, fits each harmonic's complex amplitude by least squares to the 7 bins around it, using the window's
/// exact transform (``HannLobe``), rates how cleanly the lobe is one sinusoid (its *purity*, and its cleanness
/// counting a steadily rising or falling level as hum too), and measures the phase advance of every harmonic since
/// the previous frame. The advances, unwrapped from the lowest harmonic up, weighted by h², by purity and by the
/// harmonic's tracked hum level, and reweighted against the harmonics that disagree (a voice on a harmonic), give
/// the fundamental's frequency frame by frame, also under speech from the harmonics that stay clean between the
/// voice's. The second (*subtraction*) pass, on the delayed input, reuses the first pass's spectra (no second
/// forward transform) and takes the frequency at each frame from a weighted straight-line fit to the
/// measurements within ±``lookaheadSeconds``, tapered over about 1 s (so linear drift is followed without lag;
/// intervals whose frequency jumps, as a voice moving through the lobes makes it, count little). Each harmonic's
/// level at a frame is then interpolated from the fits of the frames within ±``lookaheadSeconds`` that look like
/// hum alone: the fits are carried along the track to the frame's centre, the densest cluster of agreeing values
/// among the cleanest frames starts a robust (reweighted) fit of a complex exponential with a quadratic exponent
/// in time (a swelling or fading level, a residual frequency error), each frame weighted by its cleanness
/// (inversely to what is not hum in its lobe), and frames where speech covers the harmonic — louder, or of another
/// phase — get no weight, so the hum under a word is interpolated from the pauses either side instead of
/// following the voice; a local parabola through the agreeing frames nearest the frame then corrects the model
/// where a swell bends faster than it follows. Where no frame in reach looks like hum alone, it falls back to a
/// causally tracked state (moved toward each frame's fit where the lobe is one clean sinusoid consistent with it).
/// It then subtracts the lobe (±8 bins) of a sinusoid with that level, the level's change per sample and its
/// curvature (a swell's bend and a drifting frequency's chirp), undoing what that curvature leaked into the plain
/// fits. What is subtracted is capped per harmonic: at the third smallest of the fits within ±``lookaheadSeconds``
/// (each raised by 3 dB plus 1.5 dB a hop of distance, for a swell), and, given a
/// ``HumRemoverConfiguration/harmonicProfileDecibels``, at the profile scaled to the frame's hum level plus 4 dB;
/// a tracked state not yet confirmed by clean fits is scaled down. Without these, a take trimmed to its first word
/// (no hum-only frames near its start) had the voice's own harmonics taken for hum and subtracted.
/// Frames that reach before the stream or past its end are not fitted; the interpolation (or, failing it,
/// the two nearest whole frames' states) is extrapolated to them, so the first and last fractions of a second are
/// cleaned too.
/// The effective analysis bandwidth of a fit is about ±3 Hz around each harmonic.
///
/// - Latency: ``latencyFrames`` = lookaheadHops × hopSize + fftSize − 2 (139262 frames, 2.9 s, at 48 kHz).
///   ``flush(into:)`` marks the end of the stream and drains it; use it (not zeros through `process`).
/// - Channels: the frequency is tracked once for all channels (hum is common to a poly file's tracks);
///   amplitudes and phases are fitted per channel.
/// - Streaming: blocks of any size; the output does not depend on the split. Streams shorter than one
///   window (0.34 s) are passed through unchanged (no frame is wholly inside them).
/// - Allocation: in ``prepare(for:)`` only; `process`, `flush` and `reset` do not allocate, lock or throw.
/// - Threading: not thread-safe; one remover per stream.
public final class HumRemover: AudioProcessor {
    /// The settings.
    public let configuration: HumRemoverConfiguration
    /// How far ahead of the subtraction pass the estimation pass runs by default, in seconds (rounded to whole
    /// hops; ``HumRemoverConfiguration/lookaheadSeconds``): the hum under a stretch of speech is interpolated
    /// from the frames up to this far either side. Chosen on the
    /// quality corpus (35 files, mean SI-SDR improvement over whole files / after their first 0.98 s is cut,
    /// hum left in pauses): 1.5 s 24.4 / 16.0 dB, −49.3 dB; 2.0 s 26.1 dB, −49.9 dB; 2.5 s 29.5 / 17.1 dB,
    /// −51.0 dB; 3.0 s 31.4 dB, −50.9 dB. Steady hum gains the most (mains and buzz +5 to +11 dB); a fast swell
    /// loses (its SI-SDR improvement 16.4 → 11.9 dB at 2.5 s, PESQ 3.20 → 2.86), because a longer reach averages
    /// over a level that changes by 6 dB a second, so a swelling or fading hum gets ``swellLookaheadSeconds``
    /// (with that choice: 30.2 dB over the corpus, swell 16.4 dB). 2.5 s costs about 4 % more time and, for 16
    /// channels, 68 MB of memory instead of 58 MB; the latency is 2.9 s.
    public static let lookaheadSeconds = 2.5
    /// The reach for a hum whose level changes over the take (a detection's
    /// ``HumDetection/levelRangeDecibels`` above ``swellLevelRangeDecibels``): 1.5 s, where the corpus's swell
    /// scored 16.4 dB (11.9 dB at 2.5 s). On the corpus the level range is 0.1–1.5 dB for steady hum and
    /// 17–18 dB for the swell; 6 dB lies well between. Checked again with ``HumRemoverConfiguration/levelVaries``
    /// (swell files: hum left in pauses / SI-SDR improvement): 1.0 s −37.5 dB / 17.3 dB, 1.5 s −35.7 / 18.5,
    /// 2.0 s −36.2 / 18.6, 2.5 s −36.0 / 17.0; 1.5 s kept.
    public static let swellLookaheadSeconds = 1.5
    public static let swellLevelRangeDecibels = 6.0

    /// The reach for a detected hum: ``swellLookaheadSeconds`` when its level range exceeds
    /// ``swellLevelRangeDecibels``, else ``lookaheadSeconds``.
    public static func lookaheadSeconds(for detection: HumDetection) -> Double {
        levelVaries(for: detection) ? swellLookaheadSeconds : lookaheadSeconds
    }

    /// Whether a detected hum's level changes over the take: its ``HumDetection/levelRangeDecibels`` exceeds
    /// ``swellLevelRangeDecibels`` (the same test that picks ``swellLookaheadSeconds``).
    public static func levelVaries(for detection: HumDetection) -> Bool {
        guard let range = detection.levelRangeDecibels else { return false }
        return range > swellLevelRangeDecibels
    }

    /// How cleanly a frame's fit must stand above what is not hum to count fully in the level under speech, as
    /// the shortfall 1 − purity at which it starts to count less (its weight is min(1, shortfall / (1 − purity)),
    /// see ``HumRemoverConfiguration/levelVaries``). For a steady hum, 10⁻⁴ (40 dB): the hum-only frames
    /// seconds away are the best witnesses of the level under speech, and frames whose lobe a voice colours count
    /// in proportion to how little it does (a fit 20 dB clean counts a hundredth).
    public static let steadyLevelCleanShortfall = 1e-4
    /// The same for a hum whose level changes: 10⁻² (20 dB). The hum-only frames around the speech are at
    /// other levels (6 dB a second in the corpus's swell), so the frames under the speech, where the voice
    /// leaves the harmonic 20 dB clean or better, are the better witnesses. Chosen on the quality corpus's five
    /// swell files (hum left in pauses / mean SI-SDR improvement): 10⁻⁴ −31.8 dB / 16.4 dB, 10⁻³ −34.7 / 17.8,
    /// 10⁻² −35.7 / 18.5, 10⁻¹ −35.0 / 18.7, 1 −35.0 / 18.5. On the steady hums 10⁻² would cost 7.5 dB in pauses
    /// and 4.8 dB of SI-SDR improvement (−54.0 → −46.5 dB, 32.5 → 27.7 dB), hence two values.
    public static let varyingLevelCleanShortfall = 1e-2
    /// Hops the estimation pass runs ahead of the subtraction pass; valid after ``prepare(for:)``.
    public private(set) var lookaheadHops = 0

    /// Delay in frames between input and output; valid after ``prepare(for:)``.
    public private(set) var latencyFrames: Int = 0
    /// Harmonic numbers being removed; valid after ``prepare(for:)``.
    public var harmonicNumbers: [Int] { model?.harmonics ?? [] }
    /// FFT length in samples; valid after ``prepare(for:)``.
    public var fftSize: Int { model?.fftSize ?? 0 }
    /// The most recent tracked fundamental in hertz (nil before any frame was fitted).
    public var trackedFundamentalHertz: Double? { model?.lastSubtractionHertz }

    private var model: HumModel?
    private var estimator: STFTAnalyzer<HumEstimationKernel>?
    private var subtractor: STFTProcessor<HumSubtractionKernel>?
    private var delay: UnsafeMutablePointer<Float>?
    private var delayFrames = 0
    private var delayPosition = 0
    private var channelCount = 0
    private var framesConsumed = 0
    private var ended = false

    /// Creates a remover; call ``prepare(for:)`` before processing.
    public init(configuration: HumRemoverConfiguration) {
        self.configuration = configuration
    }

    deinit { delay?.deallocate() }

    /// The FFT size used at `sampleRate`: the power of two nearest 0.34 s, within 1024…65536.
    public static func fftSize(sampleRate: Double) -> Int {
        let target = max(1024, min(65536, sampleRate * 0.34))
        let exponent = (log2(target)).rounded()
        return 1 << Int(exponent)
    }

    /// Plans the FFTs and allocates all state.
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
        let reach = configuration.lookaheadSeconds
        guard reach.isFinite, reach >= 0.5, reach <= 5 else {
            throw ScrimError(.configuration, "hum remover reach \(reach) s must be from 0.5 to 5 s, e.g. 2.5")
        }
        let n = Self.fftSize(sampleRate: spec.sampleRate)
        let hop = n / 2
        lookaheadHops = max(2, Int((reach * spec.sampleRate / Double(hop)).rounded()))
        let model = HumModel(configuration: configuration, sampleRate: spec.sampleRate, channelCount: spec.channelCount,
                             fftSize: n, hopSize: hop, lookaheadHops: lookaheadHops)
        guard !model.harmonics.isEmpty else {
            throw ScrimError(.configuration, "no harmonic of \(f0) Hz lies below "
                             + "\(min(configuration.maximumFrequencyHertz, 0.45 * spec.sampleRate)) Hz; "
                             + "raise the frequency limit or check the fundamental")
        }
        let stft = STFTConfiguration(fftSize: n, hopSize: hop, analysisWindow: .hann, synthesisWindow: .hann)
        let estimator = STFTAnalyzer(kernel: HumEstimationKernel(model: model), configuration: stft)
        let subtractor = STFTProcessor(kernel: HumSubtractionKernel(model: model), configuration: stft)
        // Both passes see chunks of at most one hop (see `process`), so their blocks are bounded by the hop.
        let chunkSpec = ProcessSpec(sampleRate: spec.sampleRate, channelCount: spec.channelCount,
                                    maximumBlockFrames: hop)
        try estimator.prepare(for: chunkSpec)
        try subtractor.prepare(for: chunkSpec)
        delay?.deallocate()
        delayFrames = lookaheadHops * hop
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: delayFrames * spec.channelCount)
        storage.initialize(repeating: 0, count: delayFrames * spec.channelCount)
        delay = storage
        channelCount = spec.channelCount
        self.model = model
        self.estimator = estimator
        self.subtractor = subtractor
        latencyFrames = delayFrames + subtractor.latencyFrames
        delayPosition = 0
        framesConsumed = 0
        ended = false
    }

    /// Removes the hum from `block` in place (output delayed by ``latencyFrames``). Does not allocate.
    public func process(_ block: AudioBlock) {
        guard let model, let estimator, let subtractor, let delay else {
            preconditionFailure("HumRemover.process called before prepare(for:)")
        }
        precondition(block.channelCount == channelCount,
                     "block has \(block.channelCount) channels, HumRemover prepared for \(channelCount)")
        if !ended { framesConsumed += block.frameCount }
        var offset = 0
        while offset < block.frameCount {
            // Chunks of at most one hop keep the estimation pass at most one hop further ahead than needed,
            // which bounds the state it must keep (HumModel.ringSize).
            let count = min(model.hopSize, block.frameCount - offset)
            let chunk = block.slice(from: offset, count: count)
            estimator.analyze(chunk)
            // Swap the chunk with the delay line from delayPosition on, in at most two contiguous runs.
            for c in 0..<channelCount {
                guard let samples = chunk.channel(c).baseAddress else { continue }
                let line = delay + c * delayFrames
                let first = min(count, delayFrames - delayPosition)
                Self.swap(samples, line + delayPosition, count: first)
                Self.swap(samples + first, line, count: count - first)
            }
            delayPosition = (delayPosition + count) % delayFrames
            subtractor.process(chunk)
            offset += count
        }
    }

    /// Exchanges `count` floats between `a` and `b` (which do not overlap).
    @inline(__always)
    private static func swap(_ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let value = a[i]
            a[i] = b[i]
            b[i] = value
        }
    }

    /// Marks the end of the stream (on the first call) and writes the next `block.frameCount` frames of the
    /// delayed output. Call with consecutive blocks totalling ``latencyFrames`` frames. Does not allocate.
    public func flush(into block: AudioBlock) {
        if !ended {
            ended = true
            model?.endFrame = framesConsumed
        }
        block.clear()
        process(block)
    }

    /// Clears all stream state, keeping the preparation. Does not allocate.
    public func reset() {
        estimator?.reset()
        subtractor?.reset()
        if let delay { delay.update(repeating: 0, count: delayFrames * channelCount) }
        delayPosition = 0
        framesConsumed = 0
        ended = false
        model?.reset()
    }
}
