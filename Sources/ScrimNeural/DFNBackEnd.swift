import Foundation
import ScrimCore
import ScrimSpectral

/// DeepFilterNet's per-frame back end: given each hop's noisy spectrum (from ``DFNFrontEnd``) and the network's
/// outputs for that hop, applies the ERB gains and the deep filter to the right frames and synthesises one hop of
/// enhanced audio, as libDF's `DfTract::process` does (DeepFilterNet d375b2d8, libDF/src/tract.rs:509-642, with
/// `df` at 724-767 and `frame_synthesis`, libDF/src/lib.rs:396-427), with libDF's optional post-filter and
/// attenuation-limit mix; the skipping of silent or clean frames is the caller's (``DeepFilterNet3``).
///
/// Alignment (DeepFilterNet3: df_order 5, df_lookahead 2, conv_lookahead 2): the network's outputs at hop t
/// belong to the frame `convLookahead` hops old (libDF's `rolling_spec_buf_y[df_order − 1]` of `df_order +
/// conv_lookahead` frames, tract.rs:404-407, 551-555). Its spectrum times the ERB gains (each gain on all bins
/// of its band, lib.rs:314-326) is the enhanced spectrum; then, if coefficients are given, bins 0 ..< dfBinCount
/// are replaced by the deep filter over the *noisy* spectra of the last `max(dfOrder, lookahead)` frames
/// (`rolling_spec_buf_x`): Y[f] = Σᵢ X_{t−(n−1−i)}[f] · C[f, i] (complex), i = 0 ..< dfOrder, n = 5, so tap 2
/// is the frame the gains went on, taps 3 and 4 the two later ones. So the ERB gains do not act on the DF
/// bins whenever the deep filter runs (tract.rs:586-597, 743-744).
///
/// Coefficient layout: the `df_dec` graph's output `coefs` is [1, S, 96, 10] (DfDecoder.forward,
/// DeepFilterNet/df/deepfilternet3.py:328-331), the 10 being (tap, re/im) as libDF reshapes it to
/// [ch, nb_df, df_order, 2] (tract.rs:499). So for one hop: `coefficients[(f·dfOrder + i)·2 + 0]` is the real part
/// and `+ 1` the imaginary part of tap i at bin f; `dfBinCount·dfOrder·2` = 960 floats.
///
/// Synthesis: an unnormalised inverse real FFT (the imaginary parts of DC and Nyquist ignored, as `realfft` does
/// after reporting them, lib.rs:398-405), times the window, overlap-added with the previous frame's tail; no
/// scaling here, since the analysis applied `wnorm` (so analysis then synthesis is Σ w² = 1 per sample).
///
/// - Latency: ``latencyFrames`` = `fftSize − hopSize + lookahead·hopSize` samples (1440 = 30 ms for
///   DeepFilterNet3, libDF's own figure in libDF/src/bin/enhance_wav.rs:134-135): with all-ones gains and the
///   identity filter the output is the input delayed by exactly that, to single-precision rounding.
/// - Allocation: everything in `init`; ``process(spectrumReal:spectrumImag:gains:coefficients:output:)`` and
///   ``reset()`` do not allocate, lock or throw.
/// - Threading: not `Sendable`; one task at a time.
public final class DFNBackEnd {
    /// The parameters this back end was made with.
    public let parameters: DFNSignalParameters
    /// The ERB band widths in bins (sum `binCount`), as ``DFNFrontEnd``'s.
    public let erbWidths: [Int]
    /// The synthesis window (libDF's Vorbis window, the analysis window too).
    public let window: [Float]
    /// Delay from input to output in samples (frames of one channel): `fftSize − hopSize + lookahead·hopSize`.
    public var latencyFrames: Int {
        parameters.fftSize - parameters.hopSize + parameters.lookahead * parameters.hopSize
    }
    /// Floats in one hop's coefficients: `dfBinCount · dfOrder · 2` (960 for DeepFilterNet3).
    public var coefficientCount: Int { parameters.dfBinCount * parameters.dfOrder * 2 }

    private let fft: RealFFT
    /// The noisy spectra of the last `depth` hops; slot `head` holds the newest.
    private let ringReal: UnsafeMutableBufferPointer<Float>
    private let ringImag: UnsafeMutableBufferPointer<Float>
    private let depth: Int
    private var head = 0
    /// The frames the deep filter reads (libDF's `rolling_spec_buf_x` length): tap i is `filterFrames − 1 − i` old.
    private let filterFrames: Int
    /// libDF's `synthesis_mem`: the tail of the previous frames, `fftSize − hopSize` samples.
    private let tail: UnsafeMutableBufferPointer<Float>

    /// Makes a back end and plans its inverse FFT.
    /// - Parameter parameters: the model's signal parameters (default DeepFilterNet3's).
    /// - Throws: ``ScrimError`` `.configuration` when the parameters are out of range or FFTW cannot plan.
    public init(parameters: DFNSignalParameters = .deepFilterNet3) throws(ScrimError) {
        try parameters.validate()
        self.parameters = parameters
        erbWidths = parameters.erbWidths
        window = DFNTables.vorbisWindow(fftSize: parameters.fftSize)
        fft = try RealFFT(fftSize: parameters.fftSize, directions: .inverse)
        filterFrames = max(parameters.dfOrder, parameters.lookahead)  // tract.rs:323, 408-411
        depth = max(filterFrames, parameters.convLookahead + 1)
        ringReal = .allocate(capacity: depth * parameters.binCount)
        ringImag = .allocate(capacity: depth * parameters.binCount)
        tail = .allocate(capacity: parameters.fftSize - parameters.hopSize)
        reset()
    }

    deinit {
        ringReal.deallocate()
        ringImag.deallocate()
        tail.deallocate()
    }

    /// Back to the state of a fresh back end: all past spectra and the overlap-add tail zero (libDF's `init`,
    /// tract.rs:400-411, and `DFState::reset`). Does not allocate.
    public func reset() {
        ringReal.update(repeating: 0)
        ringImag.update(repeating: 0)
        tail.update(repeating: 0)
        head = 0
    }

    /// Takes one hop's noisy spectrum and the network's outputs for that hop; writes one hop of enhanced audio.
    ///
    /// - Parameters:
    ///   - spectrumReal: the hop's spectrum from ``DFNFrontEnd`` (real parts, `binCount` bins, its scaling).
    ///   - spectrumImag: imaginary parts, `binCount` bins.
    ///   - gains: `erbBandCount` ERB gains (linear amplitude, the `erb_dec` output), or nil to leave the frame
    ///     ungained (libDF when the local SNR says the frame is clean).
    ///   - coefficients: ``coefficientCount`` deep-filter coefficients in `df_dec`'s layout [dfBinCount, dfOrder,
    ///     re/im], or nil to skip the deep filter (the gained spectrum is kept in all bins).
    ///   - output: `hopSize` samples of enhanced audio, ``latencyFrames`` behind the input.
    /// - Precondition: the counts above. Does not allocate, lock or throw.
    public func process(spectrumReal: UnsafeBufferPointer<Float>, spectrumImag: UnsafeBufferPointer<Float>,
                        gains: UnsafeBufferPointer<Float>?, coefficients: UnsafeBufferPointer<Float>?,
                        output: UnsafeMutableBufferPointer<Float>) {
        process(spectrumReal: spectrumReal, spectrumImag: spectrumImag, gains: gains, coefficients: coefficients,
                postFilterBeta: 0, noisyMix: nil, output: output)
    }

    /// ``process(spectrumReal:spectrumImag:gains:coefficients:output:)`` with libDF's two last spectral steps
    /// (tract.rs:616-629), in its order, before the synthesis:
    /// - `postFilterBeta` > 0: libDF's post-filter (`post_filter`, lib.rs:446-471) on the enhanced frame against the
    ///   noisy frame it came from (the one the gains went on), over whole groups of 4 bins (bins 0 ..< 480 for 481
    ///   bins: the last bin is left as it is, as `chunks_exact(4)`); libDF runs it only on frames whose ERB gains
    ///   came from the decoder, so pass 0 for the others.
    /// - `noisyMix` (libDF's `atten_lim`, a linear amplitude l = 10^(−limit/20)): enhanced·(1 − l) + l·noisy, the
    ///   noisy frame again being the one the gains went on; nil for no limit.
    ///
    /// libDF's noisy frame for both is `rolling_spec_buf_x[max(lookahead, df_order) − lookahead − 1]`, `lookahead`
    /// hops old (tract.rs:599-608); this uses the `convLookahead`-old one, the same frame whenever conv_lookahead ≥
    /// df_lookahead (DeepFilterNet3: both 2).
    /// - Precondition: as the other `process`. Does not allocate, lock or throw.
    public func process(spectrumReal: UnsafeBufferPointer<Float>, spectrumImag: UnsafeBufferPointer<Float>,
                        gains: UnsafeBufferPointer<Float>?, coefficients: UnsafeBufferPointer<Float>?,
                        postFilterBeta: Float, noisyMix: Float?, output: UnsafeMutableBufferPointer<Float>) {
        let bins = parameters.binCount
        let dfBins = parameters.dfBinCount
        let order = parameters.dfOrder
        precondition(spectrumReal.count == bins && spectrumImag.count == bins,
                     "DFNBackEnd.process needs \(bins) bins, got \(spectrumReal.count) and \(spectrumImag.count)")
        precondition(gains.map { $0.count == parameters.erbBandCount } ?? true,
                     "DFNBackEnd.process needs \(parameters.erbBandCount) gains, got \(gains?.count ?? 0)")
        precondition(coefficients.map { $0.count == coefficientCount } ?? true,
                     "DFNBackEnd.process needs \(coefficientCount) coefficients, got \(coefficients?.count ?? 0)")
        precondition(output.count == parameters.hopSize,
                     "DFNBackEnd.process writes \(parameters.hopSize) samples, got room for \(output.count)")

        head = (head + 1) % depth
        let newest = head * bins
        for k in 0..<bins {
            ringReal[newest + k] = spectrumReal[k]
            ringImag[newest + k] = spectrumImag[k]
        }

        // The frame convLookahead hops old, times the gains (tract.rs:551-578; lib.rs:314-326).
        let real = fft.real
        let imag = fft.imag
        let current = slot(age: parameters.convLookahead)
        for k in 0..<bins {
            real[k] = ringReal[current + k]
            imag[k] = ringImag[current + k]
        }
        if let gains {
            var start = 0
            for band in erbWidths.indices {  // indices, not enumerated(): no allocation in debug builds
                let width = erbWidths[band]
                let gain = gains[band]
                for k in start..<(start + width) {
                    real[k] *= gain
                    imag[k] *= gain
                }
                start += width
            }
        }

        // The deep filter on the noisy frames (tract.rs:724-767): zero the DF bins, then add tap by tap.
        if let coefficients {
            for k in 0..<dfBins {
                real[k] = 0
                imag[k] = 0
            }
            for tap in 0..<order {
                let frame = slot(age: filterFrames - 1 - tap)
                for k in 0..<dfBins {
                    let sr = ringReal[frame + k]
                    let si = ringImag[frame + k]
                    let cr = coefficients[(k * order + tap) * 2]
                    let ci = coefficients[(k * order + tap) * 2 + 1]
                    real[k] += sr * cr - si * ci
                    imag[k] += sr * ci + si * cr
                }
            }
        }

        // Post-filter and attenuation limit against the noisy frame the gains went on (tract.rs:599-629).
        if postFilterBeta > 0 {
            applyPostFilter(real: real, imag: imag, noisy: current, beta: postFilterBeta)
        }
        if let noisyMix {
            for k in 0..<bins {
                real[k] = real[k] * (1 - noisyMix) + noisyMix * ringReal[current + k]
                imag[k] = imag[k] * (1 - noisyMix) + noisyMix * ringImag[current + k]
            }
        }

        // Synthesis (lib.rs:396-427): inverse FFT (scaled by fftSize, as realfft's), window, overlap-add.
        fft.inverse()
        let frame = fft.output
        let hopSize = parameters.hopSize
        let kept = parameters.fftSize - hopSize
        for i in 0..<hopSize {
            output[i] = frame[i] * window[i] + tail[i]
        }
        for i in 0..<kept {
            let carried = i + hopSize < kept ? tail[i + hopSize] : 0
            tail[i] = carried + frame[hopSize + i] * window[hopSize + i]
        }
    }

    /// libDF's `post_filter` (lib.rs:446-471): per bin g = clamp(|enh|/(|noisy| + 1e−12), 1e−12, 1),
    /// g' = g·sin(πg/2), enh ·= ((1 + β)·g / (1 + β·(g/g')²)) / g; whole groups of 4 bins only.
    private func applyPostFilter(real: UnsafeMutableBufferPointer<Float>, imag: UnsafeMutableBufferPointer<Float>,
                                 noisy: Int, beta: Float) {
        let eps: Float = 1e-12
        let betaPlusOne = beta + 1
        for k in 0..<(parameters.binCount / 4 * 4) {
            // Complex32::norm is hypot (num-complex).
            let g = max(min(hypot(real[k], imag[k]) / (hypot(ringReal[noisy + k], ringImag[noisy + k]) + eps), 1), eps)
            let gSin = g * sin(g * Float.pi / 2)
            let ratio = g / gSin
            let factor = (betaPlusOne * g / (1 + beta * ratio * ratio)) / g
            real[k] *= factor
            imag[k] *= factor
        }
    }

    /// Start index in the ring of the spectrum `age` hops old (0 = the newest).
    @inline(__always)
    private func slot(age: Int) -> Int {
        ((head - age) % depth + depth) % depth * parameters.binCount
    }
}
