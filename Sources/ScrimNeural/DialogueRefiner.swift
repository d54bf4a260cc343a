import Foundation
import ScrimCore
import ScrimSpectral

/// Scrim's dialogue refinement after DeepFilterNet3 (issue 18, item 6; specified and measured in
/// Benchmarks/quality/NEURAL.md, numpy reference `post()` in Benchmarks/quality/neural_post.py): put part of the noisy
/// signal back in the time-frequency bins where the voice stands clear of the noise, and only while the take's
/// long-term SNR is high, because there the network removes speech with the noise (at 20 dB SNR its error exceeds
/// the input's noise between 250 Hz and 4 kHz).
///
/// On its own 960-point STFT (libDF's Vorbis window, hop 480, unscaled forward transform), per channel, frame t:
///
///     D = X − Y (the removed signal), d2 = |D|², x2 = |X|², y2 = |Y|²
///     P(t, k) = αₚ P(t−1, k) + (1 − αₚ) d2(t, k),  P(0) = d2(0)                         αₚ = e^(−0.25)   (40 ms)
///     λ(t, k) = max(B · min(P(t', k), t' = t−99 … t), 10⁻²⁰)                            B = 10^(3/10)    (1 s)
///     w(t, k) = ξ / (ξ + ξ₀),  ξ = max(x2 − λ, 0) / λ                                    ξ₀ = 10^(20/10)
///     EY(t) = αᵨ EY(t−1) + (1 − αᵨ) Σₖ y2,  ED likewise with d2 (first frame: its own sums)   αᵨ = e^(−0.005) (2 s)
///     g(t) = clamp((10·log10(EY / ED) − 6) / (16 − 6), 0, 1)
///     Z = Y + g · w · (X − Y)
///
/// X is the noisy input and Y the network's output, aligned with it. The output is the inverse STFT of Z, windowed
/// and overlap-added: frame t covers hops t − 1 and t, so each ``process(noisy:enhanced:output:)`` call returns the
/// previous hop, final (one hop, 480 frames, of latency).
///
/// Whole-file mode adds the guard (NEURAL.md step 5): with γ = clamp((−10 − ρ_file) / 6, 0, 1) from the take's
/// kept-to-removed ratio ρ_file (``analyze(noisy:enhanced:)`` over the whole take first, ``fileRatioDecibels``),
/// w ← w + γ (1 − w): when the network throws away far more than it keeps over the whole take (it has locked onto
/// the wrong talkers: babble), the output eases towards the input.
///
/// - Allocation: everything in `init`; ``process(noisy:enhanced:output:)``, ``analyze(noisy:enhanced:)`` and
///   ``reset()`` do not allocate.
/// - Threading: not `Sendable`; one channel, one task at a time.
public final class DialogueRefiner {
    /// ξ₀, the a-priori SNR (power ratio) at which a bin gets half of the noisy signal back: 20 dB.
    static let halfMixSNR: Float = 100
    /// B, the bias of the minimum-statistics noise floor: 3 dB.
    static let noiseBias: Float = powf(10, 0.3)
    /// Frames over which the noise floor is the minimum of the smoothed removed power: 100 (1 s).
    static let minimumFrames = 100
    /// αₚ: the removed power's smoothing per hop, a 40 ms time constant.
    static let powerSmoothing: Float = expf(-0.25)
    /// αᵨ: the long-term kept and removed energies' smoothing per hop, a 2 s time constant.
    static let energySmoothing = exp(-0.005)
    /// The gate is shut below this kept-to-removed ratio (dB) and fully open above ``gateOpenDecibels``.
    static let gateShutDecibels = 6.0
    static let gateOpenDecibels = 16.0
    /// The guard starts at this whole-take kept-to-removed ratio (dB) and is full at ``guardFullDecibels``.
    public static let guardStartDecibels = -10.0
    public static let guardFullDecibels = -16.0

    /// The guard's strength γ for a whole-take kept-to-removed ratio in dB (0 above −10 dB, 1 below −16 dB).
    public static func guardStrength(fileRatioDecibels ratio: Double) -> Float {
        Float(min(max((guardStartDecibels - ratio) / (guardStartDecibels - guardFullDecibels), 0), 1))
    }

    let hopSize: Int
    let binCount: Int
    private let fft: RealFFT
    private let window: [Float]
    private let previousNoisy: NeuralBuffer
    private let previousEnhanced: NeuralBuffer
    private let tail: NeuralBuffer
    private let noisyReal: NeuralBuffer
    private let noisyImag: NeuralBuffer
    private let smoothed: NeuralBuffer
    private let floorScratch: NeuralBuffer
    /// The last ``minimumFrames`` smoothed removed-power vectors, slot `ringHead` the newest.
    private let ring: NeuralBuffer
    private var ringHead = 0
    private var framesSeen = 0
    private var keptEnergy = 0.0
    private var removedEnergy = 0.0
    /// The last frame's gate g (0…1).
    public private(set) var gate: Float = 0
    /// Frames whose gate was open (g > 0) since ``reset()``.
    public private(set) var openFrames = 0
    /// Frames refined since ``reset()``.
    public var frames: Int { framesSeen }
    /// The guard's strength γ (0…1, whole-file mode; 0 by default).
    public var guardStrength: Float = 0
    /// Σ |Y|² and Σ |X − Y|² over the frames given to ``analyze(noisy:enhanced:)``.
    public private(set) var analyzedKept = 0.0
    public private(set) var analyzedRemoved = 0.0
    /// 10·log10 of their ratio (each floored at 10⁻²⁰): ρ_file for the guard.
    public var fileRatioDecibels: Double {
        10 * log10(max(analyzedKept, 1e-20) / max(analyzedRemoved, 1e-20))
    }

    /// - Parameter parameters: the network's signal parameters (960-point frames, hop 480).
    public init(parameters: DFNSignalParameters = .deepFilterNet3) throws(ScrimError) {
        try parameters.validate()
        hopSize = parameters.hopSize
        binCount = parameters.binCount
        precondition(parameters.fftSize == 2 * hopSize, "DialogueRefiner needs frames of two hops")
        fft = try RealFFT(fftSize: parameters.fftSize, directions: .both)
        window = DFNTables.vorbisWindow(fftSize: parameters.fftSize)
        previousNoisy = NeuralBuffer(count: hopSize)
        previousEnhanced = NeuralBuffer(count: hopSize)
        tail = NeuralBuffer(count: hopSize)
        noisyReal = NeuralBuffer(count: binCount)
        noisyImag = NeuralBuffer(count: binCount)
        smoothed = NeuralBuffer(count: binCount)
        floorScratch = NeuralBuffer(count: binCount)
        ring = NeuralBuffer(count: Self.minimumFrames * binCount)
    }

    /// Back to the state before the first frame (the guard's strength and the analysed sums are kept). Does not
    /// allocate.
    public func reset() {
        previousNoisy.zero()
        previousEnhanced.zero()
        tail.zero()
        smoothed.zero()
        ring.zero()
        ringHead = 0
        framesSeen = 0
        keptEnergy = 0
        removedEnergy = 0
        gate = 0
        openFrames = 0
    }

    /// Whole-file mode's first look: adds frame t's Σ|Y|² and Σ|X − Y|² (the same frames as ``process``) to
    /// ``analyzedKept`` / ``analyzedRemoved``. Feed every hop of the take, then one hop of zeros (the frame that
    /// holds the last hop in its first half). Shares the frame memory with ``process``: ``reset()`` between the two.
    public func analyze(noisy: UnsafePointer<Float>, enhanced: UnsafePointer<Float>) {
        transform(noisy: noisy, enhanced: enhanced)
        let real = fft.real, imag = fft.imag
        let xr = noisyReal.pointer, xi = noisyImag.pointer
        var kept = 0.0, removed = 0.0
        for k in 0..<binCount {
            let dr = xr[k] - real[k], di = xi[k] - imag[k]
            kept += Double(real[k] * real[k] + imag[k] * imag[k])
            removed += Double(dr * dr + di * di)
        }
        analyzedKept += kept
        analyzedRemoved += removed
    }

    /// X and Y of the frame (previous hop, this hop) into noisyReal/noisyImag and fft.real/fft.imag; remembers the
    /// hops for the next frame.
    private func transform(noisy: UnsafePointer<Float>, enhanced: UnsafePointer<Float>) {
        let hop = hopSize
        let bins = binCount
        let input = fft.input
        for i in 0..<hop {
            input[i] = previousNoisy.pointer[i] * window[i]
            input[hop + i] = noisy[i] * window[hop + i]
        }
        fft.forward()
        noisyReal.pointer.update(from: fft.real.baseAddress.unsafelyUnwrapped, count: bins)
        noisyImag.pointer.update(from: fft.imag.baseAddress.unsafelyUnwrapped, count: bins)
        for i in 0..<hop {
            input[i] = previousEnhanced.pointer[i] * window[i]
            input[hop + i] = enhanced[i] * window[hop + i]
        }
        fft.forward()
        previousNoisy.pointer.update(from: noisy, count: hop)
        previousEnhanced.pointer.update(from: enhanced, count: hop)
    }

    /// Takes the next hop of the noisy input and of the network's output aligned with it; writes the refined
    /// previous hop (zeros for the first call's).
    /// - Precondition: each pointer covers ``hopSize`` floats; `output` may alias neither input.
    public func process(noisy: UnsafePointer<Float>, enhanced: UnsafePointer<Float>,
                        output: UnsafeMutablePointer<Float>) {
        let hop = hopSize
        let bins = binCount
        transform(noisy: noisy, enhanced: enhanced)
        let real = fft.real, imag = fft.imag
        let xr = noisyReal.pointer, xi = noisyImag.pointer
        let first = framesSeen == 0
        ringHead = (ringHead + 1) % Self.minimumFrames
        let newest = ring.pointer + ringHead * bins
        let alpha = Self.powerSmoothing
        var kept = 0.0, removed = 0.0
        for k in 0..<bins {
            let dr = xr[k] - real[k], di = xi[k] - imag[k]
            let d2 = dr * dr + di * di
            kept += Double(real[k] * real[k] + imag[k] * imag[k])
            removed += Double(d2)
            let p = first ? d2 : alpha * smoothed.pointer[k] + (1 - alpha) * d2
            smoothed.pointer[k] = p
            newest[k] = p
        }
        framesSeen += 1
        let beta = Self.energySmoothing
        if first {
            keptEnergy = kept
            removedEnergy = removed
        } else {
            keptEnergy = beta * keptEnergy + (1 - beta) * kept
            removedEnergy = beta * removedEnergy + (1 - beta) * removed
        }
        let ratio = 10 * log10(max(keptEnergy, 1e-20) / max(removedEnergy, 1e-20))
        let g = Float(min(max((ratio - Self.gateShutDecibels) / (Self.gateOpenDecibels - Self.gateShutDecibels), 0),
                          1))
        gate = g
        if g > 0 { openFrames += 1 }
        let strength = guardStrength
        if g > 0 || strength > 0 {
            // The floor: the least smoothed removed power over the last `frames` frames (slot by slot, so the
            // inner loop runs over contiguous bins).
            let floor = floorScratch.pointer
            floor.update(from: newest, count: bins)
            let frames = min(framesSeen, Self.minimumFrames)
            for age in 1..<max(frames, 1) {
                let slot = ring.pointer + (ringHead - age + Self.minimumFrames) % Self.minimumFrames * bins
                for k in 0..<bins { floor[k] = min(floor[k], slot[k]) }
            }
            for k in 0..<bins {
                let lambda = max(Self.noiseBias * floor[k], 1e-20)
                let x2 = xr[k] * xr[k] + xi[k] * xi[k]
                let excess = max(x2 - lambda, 0)
                let mix = g * excess / (excess + Self.halfMixSNR * lambda)
                let w = mix + strength * (1 - mix)
                real[k] += w * (xr[k] - real[k])
                imag[k] += w * (xi[k] - imag[k])
            }
        }
        // Synthesis: the exact inverse (RealFFT's is scaled by fftSize), windowed, overlap-added.
        fft.inverse()
        let frame = fft.output
        let scale = 1 / Float(2 * hop)
        for i in 0..<hop {
            output[i] = tail.pointer[i] + frame[i] * scale * window[i]
            tail.pointer[i] = frame[hop + i] * scale * window[hop + i]
        }
    }
}
