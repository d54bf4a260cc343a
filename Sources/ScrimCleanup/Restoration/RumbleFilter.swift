import Foundation
import ScrimCore
import ScrimSpectral

/// The phase response of a ``RumbleFilter``.
public enum RumblePhase: String, Sendable, Hashable, CaseIterable {
    /// Zero phase after the compensated latency: the Butterworth magnitude applied as a real gain per bin on an STFT
    /// with about 3 Hz bins (16384 points at 44.1/48 kHz, 32768 at 96 kHz; sqrt-Hann windows, half overlap). Nothing moves in time (the voice's
    /// waveform is kept, only its low end is lowered); costs a latency of fftSize − 2 frames (compensated) and,
    /// like every linear-phase filter, rings symmetrically around a transient below the corner.
    case linear
    /// Minimum phase: the IIR biquad cascade itself. No latency; the phase turns by N × 90° at the corner.
    case minimum
}

/// Settings of a ``RumbleFilter``: the corner frequency and the slope of a Butterworth high-pass.
public struct RumbleFilterSettings: Sendable, Hashable {
    /// Corner frequency in hertz, where the response is −3.01 dB (default 80 Hz: below a male voice's lowest
    /// fundamental, above most traffic, handling and stand rumble). 10…1000 Hz, and below 0.45 × the sample rate.
    public var cornerHertz: Double
    /// Slope in dB per octave, a multiple of 6 from 6 to 48 (default 12: a second-order Butterworth). The filter's
    /// order is slope / 6.
    public var slopeDecibelsPerOctave: Int

    /// `linear` (default) or `minimum` (see ``RumblePhase``).
    public var phase: RumblePhase

    /// The slopes accepted (dB per octave): 6, 12, …, 48.
    public static let slopes = Array(stride(from: 6, through: 48, by: 6))

    /// Creates settings; the parameters have the documented defaults.
    public init(cornerHertz: Double = 80, slopeDecibelsPerOctave: Int = 12, phase: RumblePhase = .linear) {
        self.cornerHertz = cornerHertz
        self.slopeDecibelsPerOctave = slopeDecibelsPerOctave
        self.phase = phase
    }

    /// The linear-phase STFT's size for `sampleRate`: the power of two nearest 0.34 s (16384 at 44.1/48 kHz, 32768
    /// at 96 kHz): bins under 3 Hz, fine enough to sample the response within the first octave below a 40 Hz
    /// corner. At most 65536 (the largest FFT Scrim plans; bins of 3 Hz up to 192 kHz, 12 Hz at 768 kHz).
    public static func linearPhaseFFTSize(forSampleRate sampleRate: Double) -> Int {
        1 << Int(min(max(log2(max(sampleRate * 0.34, 256)).rounded(), 8), 16))
    }

    /// The Butterworth order, slope / 6.
    public var order: Int { slopeDecibelsPerOctave / 6 }

    /// Throws ``ScrimError`` `.configuration` with a fix when a setting is out of range (the corner against the
    /// sample rate is checked by ``RumbleFilter/prepare(for:)``).
    public func validate() throws(ScrimError) {
        guard cornerHertz.isFinite, (10...1000).contains(cornerHertz) else {
            throw ScrimError(.configuration, "high-pass corner \(cornerHertz) Hz: use 10 to 1000 Hz, e.g. 80")
        }
        guard Self.slopes.contains(slopeDecibelsPerOctave) else {
            throw ScrimError(.configuration, "high-pass slope \(slopeDecibelsPerOctave) dB/octave: use a multiple "
                             + "of 6 from 6 to 48, e.g. 12 or 24")
        }
    }
}

/// One second-order (or first-order, b2 = a2 = 0) section, a0 normalised to 1.
struct RumbleBiquad: Sendable, Hashable {
    var b0, b1, b2, a1, a2: Double

    /// The section's complex response at `omega` radians per sample: (real, imaginary).
    func response(omega: Double) -> (Double, Double) {
        // H = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2), z^-1 = e^{-iω}.
        let c1 = cos(omega), s1 = -sin(omega), c2 = cos(2 * omega), s2 = -sin(2 * omega)
        let nr = b0 + b1 * c1 + b2 * c2, ni = b1 * s1 + b2 * s2
        let dr = 1 + a1 * c1 + a2 * c2, di = a1 * s1 + a2 * s2
        let d = dr * dr + di * di
        return ((nr * dr + ni * di) / d, (ni * dr - nr * di) / d)
    }
}

/// A rumble filter: a Butterworth high-pass of order 1 to 8 (6 to 48 dB per octave) as a cascade of biquads, to
/// take traffic, handling, stand and air-conditioning rumble out below the voice.
///
/// Design: the analog Butterworth prototype's pole pairs (section Q = 1 / (2 sin((2k+1)π / 2N)), k = 0 ..< N/2,
/// plus a first-order section for odd N; Butterworth 1930) mapped by the bilinear transform pre-warped at the
/// corner (the biquad forms of R. Bristow-Johnson's "Audio EQ Cookbook"), so the digital response is exactly
/// |H(f)|² = 1 / (1 + (tan(π f_c / f_s) / tan(π f / f_s))^(2N)): −3.01 dB at the corner and, within an octave of
/// it, very nearly 6·N dB per octave further down.
///
/// - Phase (``RumbleFilterSettings/phase``): `linear` (default) applies the same magnitude as a zero-phase gain
///   per bin on an STFT (``RumblePhase/linear``), with a latency of fftSize − 2 frames that the pipeline compensates;
///   the waveform above the corner is kept exactly, which matters to anything that compares waveforms (SI-SDR, a
///   later phase-aligned mix of two microphones). `minimum` is the IIR cascade: nothing is delayed as a whole
///   (``latencyFrames`` 0); the phase turns by N × 90° at the corner and the group delay peaks just above the
///   corner and falls off above it (``minimumPhaseGroupDelaySeconds(atHertz:)``; for 80 Hz and 12 dB/octave:
///   about 2.8 ms at 80 Hz, 0.8 ms at 160 Hz, 0.02 ms at 1 kHz). Dialogue's fundamentals above the corner move by
///   well under a period, and transients keep their sharpness (no pre-ringing).
/// - State in double precision (transposed direct form II), so a corner of 10 Hz at 96 kHz stays exact.
/// - Blocks: any size; the result is identical for every block split (a sample-by-sample recursion).
/// - Allocation: only in ``prepare(for:)``; ``process(_:)`` and ``reset()`` do not allocate, lock or throw.
///   Not thread-safe: one filter per stream.
public final class RumbleFilter: AudioProcessor {
    /// The settings the filter was created with.
    public let settings: RumbleFilterSettings
    /// 0 for minimum phase (an IIR filter has no bulk delay); the STFT's fftSize − 2 for linear phase (after
    /// ``prepare(for:)``).
    public var latencyFrames: Int { linear?.latencyFrames ?? 0 }
    /// The linear-phase STFT (nil for minimum phase).
    private var linear: STFTProcessor<RumbleGainKernel>?

    /// The tracks filtered, or nil for every track (see ``init(settings:tracks:)``).
    public let tracks: [Bool]?
    private(set) var sections: [RumbleBiquad] = []
    private var sampleRate = 48_000.0
    private var channelCount = 0
    /// Per channel and section: the two state variables of transposed direct form II.
    private var state: [Double] = []

    /// Creates a filter; call ``prepare(for:)`` before processing.
    /// - Parameter tracks: which tracks to filter (true) and which to pass through (false), one per channel; nil
    ///   (default) filters every track. A track passed through in linear phase goes through the same STFT (so
    ///   every track keeps the same latency) with a gain of one: its output is the input to float rounding.
    public init(settings: RumbleFilterSettings = RumbleFilterSettings(), tracks: [Bool]? = nil) {
        self.settings = settings
        self.tracks = tracks
    }

    /// Whether channel `c` is filtered.
    @inline(__always)
    public func filters(channel c: Int) -> Bool {
        guard let tracks else { return true }
        return c < tracks.count ? tracks[c] : false
    }

    /// Designs the sections for the spec's sample rate and allocates the state.
    /// - Throws: ``ScrimError`` `.configuration` for an invalid spec or setting, or a corner at or above 0.45 × the
    ///   sample rate.
    public func prepare(for spec: ProcessSpec) throws {
        try spec.validate()
        try settings.validate()
        guard settings.cornerHertz < 0.45 * spec.sampleRate else {
            throw ScrimError(.configuration, "high-pass corner \(settings.cornerHertz) Hz is too high for "
                             + "\(Int(spec.sampleRate)) Hz audio: use below \(Int(0.45 * spec.sampleRate)) Hz")
        }
        if let tracks, tracks.count != spec.channelCount {
            throw ScrimError(.configuration, "high-pass track selection has \(tracks.count) entries for "
                             + "\(spec.channelCount) channels")
        }
        sampleRate = spec.sampleRate
        channelCount = spec.channelCount
        sections = Self.design(cornerHertz: settings.cornerHertz, order: settings.order, sampleRate: spec.sampleRate)
        state = [Double](repeating: 0, count: channelCount * sections.count * 2)
        linear = nil
        if settings.phase == .linear {
            let fftSize = RumbleFilterSettings.linearPhaseFFTSize(forSampleRate: spec.sampleRate)
            let kernel = RumbleGainKernel(settings: settings, tracks: tracks)
            // Half overlap: sqrt-Hann analysis and synthesis sum to one at hop N/2, and a fixed, smooth gain needs no
            // more (it is the cheapest exact WOLA: two transforms per N/2 frames).
            let stft = STFTProcessor(kernel: kernel, configuration: STFTConfiguration(fftSize: fftSize,
                                                                                      hopSize: fftSize / 2))
            try stft.prepare(for: spec)
            linear = stft
        }
    }

    /// The biquad cascade of an order-`order` Butterworth high-pass at `cornerHertz` (see the type's design note).
    static func design(cornerHertz: Double, order: Int, sampleRate: Double) -> [RumbleBiquad] {
        let omega = 2 * Double.pi * cornerHertz / sampleRate
        var sections: [RumbleBiquad] = []
        for k in 0..<(order / 2) {
            let q = 1 / (2 * sin(Double(2 * k + 1) * Double.pi / Double(2 * order)))
            let alpha = sin(omega) / (2 * q)
            let cosine = cos(omega)
            let a0 = 1 + alpha
            sections.append(RumbleBiquad(b0: (1 + cosine) / 2 / a0, b1: -(1 + cosine) / a0, b2: (1 + cosine) / 2 / a0,
                                         a1: -2 * cosine / a0, a2: (1 - alpha) / a0))
        }
        if order % 2 == 1 {
            // First order: H(s) = s / (s + 1) with s = (1/K)(1 − z⁻¹)/(1 + z⁻¹), K = tan(ω/2).
            let k = tan(omega / 2)
            let b0 = 1 / (1 + k)
            sections.append(RumbleBiquad(b0: b0, b1: -b0, b2: 0, a1: (k - 1) / (k + 1), a2: 0))
        }
        return sections
    }

    /// The designed magnitude response at `hertz` in dB (from the sections; valid after ``prepare(for:)``).
    public func magnitudeDecibels(atHertz hertz: Double) -> Double {
        let omega = 2 * Double.pi * hertz / sampleRate
        var total = 0.0
        for section in sections {
            let (re, im) = section.response(omega: omega)
            total += 10 * log10(re * re + im * im)
        }
        return total
    }

    /// The group delay at `hertz` in seconds after the pipeline's latency compensation: 0 for linear phase; for
    /// minimum phase −dφ/dω of the designed response, by a central difference of the phase of each section (valid
    /// after ``prepare(for:)``).
    public func groupDelaySeconds(atHertz hertz: Double) -> Double {
        if settings.phase == .linear { return 0 }
        return minimumPhaseGroupDelaySeconds(atHertz: hertz)
    }

    /// The IIR cascade's group delay at `hertz`, seconds (what `minimum` phase has; valid after ``prepare(for:)``).
    public func minimumPhaseGroupDelaySeconds(atHertz hertz: Double) -> Double {
        let omega = 2 * Double.pi * hertz / sampleRate
        let step = 1e-5 * max(omega, 1e-4)
        var samples = 0.0
        for section in sections {
            let (r1, i1) = section.response(omega: omega - step)
            let (r2, i2) = section.response(omega: omega + step)
            // The phase difference of the two points, wrapped: arg(H2 · conj(H1)).
            let dphi = atan2(i2 * r1 - r2 * i1, r2 * r1 + i2 * i1)
            samples += -dphi / (2 * step)
        }
        return samples / sampleRate
    }

    /// Filters `block` in place. Does not allocate, lock or throw.
    public func process(_ block: AudioBlock) {
        if let linear {
            linear.process(block)
            return
        }
        precondition(block.channelCount == channelCount,
                     "RumbleFilter prepared for \(channelCount) channels, got \(block.channelCount)")
        let sectionCount = sections.count
        sections.withUnsafeBufferPointer { coefficients in
            state.withUnsafeMutableBufferPointer { state in
                for c in 0..<channelCount where filters(channel: c) {
                    let samples = block.channel(c)
                    guard let x = samples.baseAddress else { continue }
                    for s in 0..<sectionCount {
                        let q = coefficients[s]
                        let base = (c * sectionCount + s) * 2
                        var z1 = state[base], z2 = state[base + 1]
                        for n in 0..<block.frameCount {
                            let input = Double(x[n])
                            let output = q.b0 * input + z1
                            z1 = q.b1 * input - q.a1 * output + z2
                            z2 = q.b2 * input - q.a2 * output
                            x[n] = Float(output)
                        }
                        // Denormals would slow the recursion to a crawl in long silences: flush tiny states to 0.
                        state[base] = abs(z1) < 1e-30 ? 0 : z1
                        state[base + 1] = abs(z2) < 1e-30 ? 0 : z2
                    }
                }
            }
        }
    }

    /// Linear phase: drains the STFT's delayed tail. Minimum phase: nothing is delayed, so `block` is cleared.
    public func flush(into block: AudioBlock) {
        if let linear {
            linear.flush(into: block)
            return
        }
        block.clear()
    }

    /// Clears the filter state, keeping the design.
    public func reset() {
        linear?.reset()
        for i in state.indices { state[i] = 0 }
    }
}

/// The linear-phase rumble filter's per-hop work: every bin times the design's magnitude there (a real gain, so the
/// phase is untouched), |H(f)| = 1 / sqrt(1 + (tan(π f_c / f_s) / tan(π f / f_s))^(2N)), 0 at DC.
final class RumbleGainKernel: SpectralKernel {
    let settings: RumbleFilterSettings
    let tracks: [Bool]?
    private var gains: [Float] = []
    /// Bins from here up have a gain within 1e-7 of 1 and are left as they are.
    private var lastBin = 0

    init(settings: RumbleFilterSettings, tracks: [Bool]?) {
        self.settings = settings
        self.tracks = tracks
    }

    func prepare(context: SpectralContext) throws {
        let k = tan(Double.pi * settings.cornerHertz / context.sampleRate)
        gains = (0..<context.binCount).map { bin in
            guard bin > 0 else { return 0 }
            let f = min(context.frequency(ofBin: bin), context.sampleRate * 0.4999)
            let ratio = k / tan(Double.pi * f / context.sampleRate)
            return Float(1 / (1 + pow(ratio, Double(2 * settings.order))).squareRoot())
        }
        lastBin = (gains.lastIndex { $0 < 1 - 1e-7 } ?? 0) + 1
    }

    func process(_ frame: SpectralFrame) {
        for c in 0..<frame.channelCount {
            if let tracks, c >= tracks.count || !tracks[c] { continue }
            let re = frame.real(c), im = frame.imag(c)
            for k in 0..<min(lastBin, frame.binCount) {
                re[k] *= gains[k]
                im[k] *= gains[k]
            }
        }
    }

    func reset() {}
}
