import CScrimVector
import ScrimCore

extension STFTConfiguration {
    /// Leading samples of the synthesis window that are exactly 0 (1 for the Hann family, else 0), capped at
    /// fftSize − hopSize. A frame adds nothing to those output positions, so they are complete one frame early.
    var synthesisLeadingZeros: Int {
        var count = 0
        while count < fftSize - hopSize, synthesisWindow.value(at: count, length: fftSize) == 0 {
            count += 1
        }
        return count
    }

    /// Latency of ``STFTProcessor`` with this configuration: `fftSize − 1 − z`, z = ``synthesisLeadingZeros``.
    public var latencyFrames: Int { fftSize - 1 - synthesisLeadingZeros }

    /// Throws ``ScrimError`` `.configuration` unless the sizes are usable.
    public func validate() throws(ScrimError) {
        guard RealFFT.supportedSizes.contains(fftSize), fftSize % 2 == 0 else {
            throw ScrimError(.configuration,
                             "FFT size \(fftSize) is not supported: use an even size from 16 to 65536, e.g. 2048")
        }
        guard hopSize >= 1, hopSize <= fftSize else {
            throw ScrimError(.configuration,
                             "hop size \(hopSize) must be from 1 to the FFT size \(fftSize), e.g. \(fftSize / 4)")
        }
    }
}

/// The shared, non-generic STFT machinery behind ``STFTProcessor`` and ``STFTAnalyzer``.
///
/// Frame timing: hop m's FFT frame covers stream frames `t_m … t_m + fftSize − 1` with
/// `t_m = (m + 1)·hopSize − fftSize` (input before the stream is zero). It is analysed as soon as its last
/// sample arrives. With synthesis, the output for input frame i is overlap-add position
/// `z + (i − t_m − fftSize + 1)` of the latest frame m, so output lags input by `fftSize − 1 − z` frames,
/// the least any causal frame-based STFT can do (the first sample of a frame needs the frame's last one).
///
/// Memory (all from FFTW's aligned allocator, in `init`): per channel an input history of fftSize samples
/// (shifted left by hopSize after each hop, i.e. one memmove), an overlap-add accumulator of fftSize samples
/// (shifted while adding), and a split spectrum; one shared FFT scratch (time samples and an interleaved
/// spectrum). Nothing allocates after `init`.
final class STFTEngine {
    let fftSize: Int
    let hopSize: Int
    let binCount: Int
    let channelCount: Int
    let synthesizes: Bool
    /// Synthesis-window leading zeros (see ``STFTConfiguration/synthesisLeadingZeros``).
    let readOffset: Int
    let context: SpectralContext

    private let fft: RealFFT
    private let kernel: any SpectralKernel
    private let storage: UnsafeMutablePointer<Float>
    private let timeStride: Int
    private let binStride: Int
    private let analysisWindow: UnsafeMutablePointer<Float>
    /// WOLA-normalised synthesis window with the inverse FFT's 1/fftSize folded in.
    private let synthesisWindow: UnsafeMutablePointer<Float>
    private let history: UnsafeMutablePointer<Float>
    private let accumulator: UnsafeMutablePointer<Float>
    private let spectraReal: UnsafeMutablePointer<Float>
    private let spectraImag: UnsafeMutablePointer<Float>
    /// The interleaved spectrum ``RealFFT`` transforms through (shared by the channels, one at a time).
    private let packedSpectrum: UnsafeMutablePointer<Float>
    /// False when the kernel writes each hop's spectra itself (``SpectralKernel/suppliesSpectrum``).
    private let analyzes: Bool

    /// Input frames written into the current hop, 0 ..< hopSize.
    private var phase = 0
    /// Hops analysed so far.
    private(set) var hopCount = 0

    init(configuration: STFTConfiguration, spec: ProcessSpec, kernel: any SpectralKernel,
         synthesizes: Bool) throws {
        try spec.validate()
        try configuration.validate()
        fftSize = configuration.fftSize
        hopSize = configuration.hopSize
        binCount = configuration.binCount
        channelCount = spec.channelCount
        self.synthesizes = synthesizes
        self.kernel = kernel
        analyzes = !(synthesizes && kernel.suppliesSpectrum)
        readOffset = configuration.synthesisLeadingZeros

        let analysis = configuration.analysisWindow.samples(length: fftSize)
        let synthesis = synthesizes
            ? try WOLA.normalizedSynthesisWindow(
                analysis: analysis, synthesis: configuration.synthesisWindow.samples(length: fftSize),
                hopSize: hopSize, gain: 1 / Double(fftSize))
            : [Float](repeating: 0, count: fftSize)
        // Only the transforms this engine runs: an analyzer never inverts, a processor whose kernel supplies the
        // spectra never transforms forward.
        var directions: RealFFT.Directions = []
        if analyzes { directions.insert(.forward) }
        if synthesizes { directions.insert(.inverse) }
        fft = try RealFFT(fftSize: fftSize, rigor: configuration.rigor, directions: directions)

        timeStride = FFTWMemory.alignedStride(fftSize)
        binStride = FFTWMemory.alignedStride(binCount)
        let packedStride = FFTWMemory.alignedStride(fft.scratchCount)
        let total = 2 * timeStride + channelCount * (2 * timeStride + 2 * binStride) + packedStride
        storage = try FFTWMemory.allocateFloats(total)
        let analysisStorage = storage
        let synthesisStorage = storage + timeStride
        for n in 0..<fftSize {
            analysisStorage[n] = analysis[n]
            synthesisStorage[n] = synthesis[n]
        }
        analysisWindow = analysisStorage
        synthesisWindow = synthesisStorage
        history = synthesisStorage + timeStride
        accumulator = history + channelCount * timeStride
        spectraReal = accumulator + channelCount * timeStride
        spectraImag = spectraReal + channelCount * binStride
        packedSpectrum = spectraImag + channelCount * binStride

        context = SpectralContext(fftSize: fftSize, hopSize: hopSize, sampleRate: spec.sampleRate,
                                  channelCount: channelCount, analysisWindow: analysis)
        try kernel.prepare(context: context)
    }

    deinit {
        FFTWMemory.free(storage)
    }

    /// Clears history, accumulators and counters, and resets the kernel. Does not allocate.
    func reset() {
        history.update(repeating: 0, count: channelCount * timeStride)
        accumulator.update(repeating: 0, count: channelCount * timeStride)
        phase = 0
        hopCount = 0
        kernel.reset()
    }

    /// Feeds `frameCount` frames of `block` (or zeros when `block` is nil). With synthesis and `block` given,
    /// overwrites the block with the output. Does not allocate, lock or throw.
    func consume(_ block: AudioBlock?, frameCount: Int) {
        if let block {
            precondition(block.channelCount == channelCount,
                         "block has \(block.channelCount) channels, STFT prepared for \(channelCount)")
        }
        let writeBase = fftSize - hopSize
        var offset = 0
        while offset < frameCount {
            let count = min(hopSize - phase, frameCount - offset)
            let completesHop = phase + count == hopSize
            for c in 0..<channelCount {
                let destination = history + c * timeStride + writeBase + phase
                if let block, let source = block.channel(c).baseAddress {
                    destination.update(from: source + offset, count: count)
                } else {
                    destination.update(repeating: 0, count: count)
                }
            }
            if synthesizes, let block {
                // Output for the frames before the hop boundary comes from the accumulator as it is now;
                // the frame that completes the hop reads position readOffset after the new frame is added.
                let before = completesHop ? count - 1 : count
                for c in 0..<channelCount {
                    guard let out = block.channel(c).baseAddress else { continue }
                    (out + offset).update(from: accumulator + c * timeStride + readOffset + phase + 1, count: before)
                }
                if completesHop {
                    runHop()
                    for c in 0..<channelCount {
                        guard let out = block.channel(c).baseAddress else { continue }
                        out[offset + count - 1] = accumulator[c * timeStride + readOffset]
                    }
                }
            } else if completesHop {
                runHop()
            }
            phase = completesHop ? 0 : phase + count
            offset += count
        }
    }

    /// One hop: window and transform every channel (unless the kernel supplies the spectra), call the kernel,
    /// then (with synthesis) inverse transform and overlap-add; finally shift the input history by one hop.
    private func runHop() {
        let n = fftSize
        let scratch = fft.inputPointer
        for c in 0..<channelCount where analyzes {
            let frame = history + c * timeStride
            scrim_vector_multiply(scratch, frame, analysisWindow, Int64(n))
            fft.forward(scratch, real: spectraReal + c * binStride, imag: spectraImag + c * binStride,
                        scratch: packedSpectrum)
        }
        kernel.process(SpectralFrame(
            realBase: spectraReal, imagBase: spectraImag, channelStride: binStride, channelCount: channelCount,
            binCount: binCount, hopIndex: hopCount, startFrame: hopCount * hopSize + hopSize - fftSize))
        if synthesizes {
            let output = fft.outputPointer
            for c in 0..<channelCount {
                fft.inverse(real: spectraReal + c * binStride, imag: spectraImag + c * binStride, output: output,
                            scratch: packedSpectrum)
                // Shift the accumulator by one hop while adding the new frame: acc'[i] = acc[i + hop] + y[i]·s[i].
                scrim_vector_overlap_add(accumulator + c * timeStride, output, synthesisWindow, Int64(hopSize),
                                         Int64(n))
            }
        }
        if hopSize < n {
            for c in 0..<channelCount {
                let frame = history + c * timeStride
                frame.update(from: frame + hopSize, count: n - hopSize)
            }
        }
        hopCount += 1
    }
}
