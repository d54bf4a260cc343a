import Foundation
import ScrimCore

/// DeepFilterNet3 on one channel, one hop (480 samples, 10 ms at 48 kHz) or a batch of hops at a time, as libDF's
/// `DfTract::process` runs it hop by hop (DeepFilterNet d375b2d8, libDF/src/tract.rs:509-642):
///
/// 1. Silence skip (tract.rs:513-525): a hop with mean square < 10⁻⁷ counts up a counter (any other hop sets it
///    to 0); once it is above 5 the hop's output is zeros and nothing else runs: no state moves. The counter is
///    also set to 0 whenever ERB gains were applied, and counts up when they were skipped (tract.rs:579, 582); so
///    with thresholds that always apply gains (libDF's C API: −15/35/35, capi.rs:27-34) it never skips.
/// 2. ``DFNFrontEnd``: the hop's spectrum, ERB and complex features (tract.rs:531-542, 445-458).
/// 3. ``DFNEncoder`` on this hop's features, with no delay of its own: the `conv_lookahead` of 2 frames (DfNet's
///    `pad_feat`, which shifts the features two frames earlier in training) is realised by applying this hop's
///    network outputs to the spectrum two hops old: libDF keeps `df_order + conv_lookahead` = 7 spectra in
///    `rolling_spec_buf_y` and gains `rolling_spec_buf_y[df_order − 1]` (tract.rs:404-407, 531, 541, 551-555),
///    and the deep filter's 5 taps run over `rolling_spec_buf_x`, the last `max(df_order, lookahead)` = 5 noisy
///    spectra (tract.rs:408-411, 588-597, 724-767), so the newest two frames are the filter's lookahead.
/// 4. Stages by local SNR (`apply_stages`, tract.rs:658-672): lsnr < ``Settings/minimumThreshold``: gains all zero,
///    no deep filter; lsnr > ``Settings/maximumERBThreshold``: nothing (the frame passes as it is); lsnr >
///    ``Settings/maximumDFThreshold``: ERB gains only; otherwise ``DFNErbDecoder`` and ``DFNDfDecoder`` both.
/// 5. ``DFNBackEnd``: gains on the spectrum two hops old, deep filter over bins 0 ..< 96, the post-filter when
///    gains came from the decoder and β > 0, the attenuation-limit mix, synthesis (tract.rs:551-640).
///
/// Batches (``process(hops:count:into:localSNRs:)``, when a whole file or a long block is at hand): the front end
/// runs hop by hop, then the encoder over all the batch's hops (its linear layers and the GRU's input products as
/// matrix products across hops, only the recurrent h·Rᵀ hop by hop), then each decoder over the hops whose local SNR
/// selects it, then the back end hop by hop. Every output is computed by the same sums in the same order as hop by
/// hop, so the output is bit-identical to ``process(_:into:)`` called once per hop (which is a batch of one). The
/// silence skip (step 1) depends on whether earlier hops got gains, so a batch ends early at a quiet hop whose fate
/// hangs on hops not yet decoded; the next batch starts there.
///
/// - Latency: ``latencyFrames`` = 1440 samples (30 ms): the 960-point frame's overlap (480) plus two hops of
///   lookahead (libDF/src/bin/enhance_wav.rs:134-135).
/// - Allocation: all in `init`. The weights (about 8.5 MB) live in a ``DeepFilterNet3Weights`` that any number of
///   networks share; each network holds its state and scratch, about 200 KB plus about 87 KB per hop of
///   ``maximumBatch`` (1.6 MB at the default 16; ``stateByteCount``). ``process(_:into:)``,
///   ``process(hops:count:into:localSNRs:)`` and ``reset()`` do not allocate, lock or throw.
/// - Threading: not `Sendable`; one channel's stream, one task at a time. Use one per channel, over one shared
///   ``DeepFilterNet3Weights``.
public final class DeepFilterNet3 {
    /// libDF's runtime parameters (`RuntimeParams`, tract.rs:117-193).
    public struct Settings: Sendable, Equatable {
        /// Below this local SNR (dB) the frame is taken for noise only: zero gains (`min_db_thresh`).
        public var minimumThreshold: Float
        /// Above this local SNR (dB) the frame is left as it is (`max_db_erb_thresh`).
        public var maximumERBThreshold: Float
        /// Above this local SNR (dB) the deep filter is skipped (`max_db_df_thresh`).
        public var maximumDFThreshold: Float
        /// Post-filter strength β (0 = off, libDF's default; 0.02 its usual value when on).
        public var postFilterBeta: Float
        /// Attenuation limit in dB (nil or ≥ 100: no limit); the output mixes back 10^(−limit/20) of the noisy
        /// signal (tract.rs:288-297, 625-629).
        public var attenuationLimit: Float?

        /// Defaults: libDF's C API values (``libDFCAPI``).
        public init(minimumThreshold: Float = -15, maximumERBThreshold: Float = 35, maximumDFThreshold: Float = 35,
                    postFilterBeta: Float = 0, attenuationLimit: Float? = nil) {
            self.minimumThreshold = minimumThreshold
            self.maximumERBThreshold = maximumERBThreshold
            self.maximumDFThreshold = maximumDFThreshold
            self.postFilterBeta = postFilterBeta
            self.attenuationLimit = attenuationLimit
        }

        /// libDF's C API (`df_create`, capi.rs:27-34): thresholds −15/35/35, no post-filter (β = 0), mask
        /// reduction MAX (the identity for one channel), attenuation limit as given (100 = none).
        public static let libDFCAPI = Settings()

        /// libDF's `RuntimeParams::default` (tract.rs:176-187): thresholds −10/30/20, post-filter off.
        public static let libDFDefault = Settings(minimumThreshold: -10, maximumERBThreshold: 30,
                                                  maximumDFThreshold: 20)
    }

    /// The signal parameters (DeepFilterNet3's).
    public let parameters: DFNSignalParameters
    /// The runtime settings.
    public let settings: Settings
    /// The shared weights.
    public let weights: DeepFilterNet3Weights
    /// Hops one ``process(hops:count:into:localSNRs:)`` step runs together at most (longer calls go in steps).
    public let maximumBatch: Int
    /// Samples per ``process(_:into:)`` call (480).
    public var hopSize: Int { parameters.hopSize }
    /// Delay from input to output in samples (1440).
    public var latencyFrames: Int { backEnd.latencyFrames }
    /// The last hop's local SNR estimate in dB (−15 … 35); −15 for a skipped silent hop (tract.rs:524).
    public private(set) var localSNR: Float = 0

    /// The batch size ``init(model:settings:)`` picks (measured in Benchmarks/neural/README.md, "Speed").
    public static let defaultMaximumBatch = 16

    private let frontEnd: DFNFrontEnd
    private let encoder: DFNEncoder
    private let erbDecoder: DFNErbDecoder
    private let dfDecoder: DFNDfDecoder
    private let backEnd: DFNBackEnd
    private let zeroGains: NeuralBuffer
    /// libDF's `atten_lim` as a linear amplitude, nil for none.
    private let noisyMix: Float?
    private var skipCounter = 0

    /// Per hop of a batch: its kind (skipped, passed through, network) and, for network hops, its encoder frame.
    private let hopKinds: NeuralIndexBuffer
    /// Per encoder frame of a batch: the spectrum [2][binCount] (real parts, then imaginary) the back end needs.
    private let spectra: NeuralBuffer
    /// Encoder frames the ERB decoder runs on, and the DF decoder, in order.
    private let erbFrames: NeuralIndexBuffer
    private let dfFrames: NeuralIndexBuffer
    /// One hop's local SNR for ``process(_:into:)``.
    private let singleLocalSNR = NeuralBuffer(count: 1)

    private static let skippedHop = -1
    private static let passedHop = -2

    /// Builds the network from a loaded model, with its own copy of the weights (use
    /// ``init(weights:settings:maximumBatch:)`` to share one copy between channels).
    /// - Throws: ``ScrimError`` `.invalidDocument` when the graphs do not have the expected structure,
    ///   `.configuration` when the model's signal parameters are not DeepFilterNet3's STFT or FFTW cannot plan.
    public convenience init(model: DeepFilterNetModel, settings: Settings = .libDFCAPI) throws(ScrimError) {
        try self.init(weights: DeepFilterNet3Weights(model: model), settings: settings)
    }

    /// One channel's network over shared weights.
    /// - Parameters:
    ///   - weights: read once per model, shared by any number of networks.
    ///   - settings: libDF's runtime parameters.
    ///   - maximumBatch: hops run together by ``process(hops:count:into:localSNRs:)`` (≥ 1); the batch storage
    ///     grows by about 87 KB per hop. ``defaultMaximumBatch`` by default.
    /// - Throws: ``ScrimError`` `.configuration` when FFTW cannot plan.
    public init(weights: DeepFilterNet3Weights, settings: Settings = .libDFCAPI,
                maximumBatch: Int = DeepFilterNet3.defaultMaximumBatch) throws(ScrimError) {
        precondition(maximumBatch >= 1, "DeepFilterNet3 maximumBatch \(maximumBatch) must be at least 1")
        let parameters = weights.parameters
        self.parameters = parameters
        self.settings = settings
        self.weights = weights
        self.maximumBatch = maximumBatch
        frontEnd = try DFNFrontEnd(parameters: parameters)
        encoder = DFNEncoder(weights: weights.encoder, maximumBatch: maximumBatch)
        erbDecoder = DFNErbDecoder(weights: weights.erbDecoder, maximumBatch: maximumBatch)
        dfDecoder = DFNDfDecoder(weights: weights.dfDecoder, maximumBatch: maximumBatch)
        backEnd = try DFNBackEnd(parameters: parameters)
        zeroGains = NeuralBuffer(count: parameters.erbBandCount)
        hopKinds = NeuralIndexBuffer(count: maximumBatch)
        spectra = NeuralBuffer(count: maximumBatch * 2 * parameters.binCount)
        erbFrames = NeuralIndexBuffer(count: maximumBatch)
        dfFrames = NeuralIndexBuffer(count: maximumBatch)
        if let limit = settings.attenuationLimit, abs(limit) < 100 {
            // tract.rs:288-297: below 0.01 dB libDF passes the input through unchanged (mix 1).
            noisyMix = abs(limit) < 0.01 ? 1 : powf(10, -abs(limit) / 20)
        } else {
            noisyMix = nil
        }
    }

    /// Bytes this network holds beyond the shared weights: the encoder's and decoders' state, batch storage and
    /// scratch and the batch's spectra (the front and back ends' FFT buffers, a few tens of KB, not counted).
    public var stateByteCount: Int {
        (encoder.stateFloatCount + erbDecoder.stateFloatCount + dfDecoder.stateFloatCount + spectra.count
            + zeroGains.count) * MemoryLayout<Float>.size
            + (hopKinds.count + erbFrames.count + dfFrames.count) * MemoryLayout<Int>.size
    }

    /// Back to a fresh stream (libDF's `init` and fresh `DFState`s). Does not allocate.
    public func reset() {
        frontEnd.reset()
        encoder.reset()
        erbDecoder.reset()
        dfDecoder.reset()
        backEnd.reset()
        skipCounter = 0
        localSNR = 0
    }

    /// Enhances one hop (a batch of one: ``process(hops:count:into:localSNRs:)`` with count 1).
    /// - Parameters:
    ///   - hop: ``hopSize`` input samples, full scale ±1.
    ///   - output: ``hopSize`` samples of enhanced audio, ``latencyFrames`` behind the input.
    /// - Returns: the hop's local SNR estimate in dB.
    /// - Precondition: both counts are ``hopSize``. Does not allocate, lock or throw.
    @discardableResult
    public func process(_ hop: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) -> Float {
        precondition(hop.count == hopSize && output.count == hopSize,
                     "DeepFilterNet3.process needs \(hopSize) samples in and out, got \(hop.count), \(output.count)")
        process(hops: hop, count: 1, into: output, localSNRs: singleLocalSNR.pointer)
        return localSNR
    }

    /// Enhances `count` consecutive hops, bit-identical to ``process(_:into:)`` called on each in turn, running up
    /// to ``maximumBatch`` hops' network layers together (see the type's notes).
    /// - Parameters:
    ///   - hops: count·``hopSize`` input samples, hop after hop, full scale ±1.
    ///   - count: hops (any number ≥ 0; more than ``maximumBatch`` run in steps).
    ///   - output: count·``hopSize`` samples of enhanced audio, ``latencyFrames`` behind the input (may not
    ///     overlap `hops`).
    ///   - localSNRs: `count` floats: each hop's local SNR estimate in dB (as ``process(_:into:)`` returns).
    /// - Precondition: the counts above. Does not allocate, lock or throw.
    public func process(hops: UnsafeBufferPointer<Float>, count: Int, into output: UnsafeMutableBufferPointer<Float>,
                        localSNRs: UnsafeMutablePointer<Float>) {
        let hop = hopSize
        precondition(count >= 0 && hops.count == count * hop && output.count == count * hop,
                     "DeepFilterNet3.process(hops:) needs \(count)·\(hop) samples in and out, got \(hops.count), "
                         + "\(output.count)")
        guard count > 0, let input = hops.baseAddress, let out = output.baseAddress else { return }
        var done = 0
        while done < count {
            done += step(input + done * hop, count: min(count - done, maximumBatch), output: out + done * hop,
                         localSNRs: localSNRs + done)
        }
    }

    /// tract.rs:513-525: whether the hop's mean square (`rms` there) is below 10⁻⁷.
    @inline(__always)
    private func isQuiet(_ hop: UnsafePointer<Float>) -> Bool {
        var energy: Float = 0
        for i in 0..<hopSize { energy += hop[i] * hop[i] }
        return energy / Float(hopSize) < 1e-7
    }

    /// One batch from the first of `available` hops: plans which hops the network runs on, runs the layers over
    /// them, and writes the outputs of the hops it took. Returns how many hops it took (≥ 1).
    private func step(_ input: UnsafePointer<Float>, count available: Int, output: UnsafeMutablePointer<Float>,
                      localSNRs: UnsafeMutablePointer<Float>) -> Int {
        let hop = hopSize, bins = parameters.binCount
        // Plan. The silence counter is known exactly at the start; after a network hop it is 0 if the hop gets
        // gains, one more otherwise, so it is tracked as a range [low, high] until the hops are decoded. A quiet
        // hop is skipped when the counter passes 5 (tract.rs:513-525); if that depends on the range, stop here.
        var low = skipCounter, high = skipCounter
        var taken = 0, frames = 0
        while taken < available {
            let quiet = isQuiet(input + taken * hop)
            let (afterLow, afterHigh) = quiet ? (low + 1, high + 1) : (0, 0)
            if afterLow > 5 {
                hopKinds.pointer[taken] = Self.skippedHop
                (low, high) = (afterLow, afterHigh)
            } else if afterHigh <= 5 {
                frontEnd.analyze(UnsafeBufferPointer(start: input + taken * hop, count: hop))
                if noisyMix == 1 {
                    hopKinds.pointer[taken] = Self.passedHop
                    (low, high) = (afterLow, afterHigh)
                } else {
                    hopKinds.pointer[taken] = frames
                    copyFeatures(frame: frames)
                    let spectrum = spectra.pointer + frames * 2 * bins
                    _ = UnsafeMutableBufferPointer(start: spectrum, count: bins)
                        .update(fromContentsOf: frontEnd.spectrumReal)
                    _ = UnsafeMutableBufferPointer(start: spectrum + bins, count: bins)
                        .update(fromContentsOf: frontEnd.spectrumImag)
                    frames += 1
                    (low, high) = (0, afterHigh + 1)
                }
            } else {
                break  // taken > 0: at the first hop low == high
            }
            taken += 1
        }
        // The network over the batch's frames: the encoder on all, each decoder on the frames it is due.
        var erbCount = 0, dfCount = 0
        if frames > 0 {
            encoder.process(count: frames)
            for f in 0..<frames {
                let stages = stages(encoder.localSNR(f))
                if stages.gains {
                    erbFrames.pointer[erbCount] = f
                    erbCount += 1
                }
                if stages.deepFilter {
                    dfFrames.pointer[dfCount] = f
                    dfCount += 1
                }
            }
            let e = encoder
            if erbCount > 0 {
                let indices = UnsafePointer(erbFrames.pointer)
                erbDecoder.process(count: erbCount,
                                   emb: NeuralFrames(e.embStorage.pointer, stride: DFNEncoder.embeddingCount,
                                                     indices: indices),
                                   e3: NeuralFrames(e.e3Storage.pointer, stride: DFNEncoder.e3Count, indices: indices),
                                   e2: NeuralFrames(e.e2Storage.pointer, stride: DFNEncoder.e2Count, indices: indices),
                                   e1: NeuralFrames(e.e1Storage.pointer, stride: DFNEncoder.e1Count, indices: indices),
                                   e0: NeuralFrames(e.e0Storage.pointer, stride: DFNEncoder.e0Count, indices: indices))
            }
            if dfCount > 0 {
                let indices = UnsafePointer(dfFrames.pointer)
                dfDecoder.process(count: dfCount,
                                  emb: NeuralFrames(e.embStorage.pointer, stride: DFNEncoder.embeddingCount,
                                                    indices: indices),
                                  c0: NeuralFrames(e.c0Storage.pointer, stride: DFNEncoder.c0Count, indices: indices))
            }
        }
        // Outputs, hop by hop in order, with the exact silence counter.
        var erbIndex = 0, dfIndex = 0
        for j in 0..<taken {
            let hopInput = input + j * hop, hopOutput = UnsafeMutableBufferPointer(start: output + j * hop, count: hop)
            if isQuiet(hopInput) {
                skipCounter += 1
            } else {
                skipCounter = 0
            }
            let kind = hopKinds.pointer[j]
            if kind == Self.skippedHop {
                precondition(skipCounter > 5, "DeepFilterNet3: planned skip at counter \(skipCounter)")
                hopOutput.update(repeating: 0)
                localSNR = -15
            } else if kind == Self.passedHop {
                // tract.rs:543-546: the analysis ran (its state moved), the input is passed through undelayed.
                (output + j * hop).update(from: hopInput, count: hop)
                localSNR = 35
            } else {
                precondition(skipCounter <= 5, "DeepFilterNet3: planned network hop at counter \(skipCounter)")
                let lsnr = encoder.localSNR(kind)
                localSNR = lsnr
                let stages = stages(lsnr)
                var gains: UnsafeBufferPointer<Float>?
                if stages.gains {
                    gains = UnsafeBufferPointer(start: erbDecoder.mask(erbIndex), count: parameters.erbBandCount)
                    erbIndex += 1
                } else if stages.zeros {
                    gains = zeroGains.view
                }
                var coefficients: UnsafeBufferPointer<Float>?
                if stages.deepFilter {
                    coefficients = UnsafeBufferPointer(start: dfDecoder.coefficients(dfIndex),
                                                       count: DFNDfDecoder.coefficientCount)
                    dfIndex += 1
                }
                // tract.rs:556-583.
                if gains != nil {
                    skipCounter = 0
                } else {
                    skipCounter += 1
                }
                let spectrum = UnsafePointer(spectra.pointer + kind * 2 * bins)
                backEnd.process(spectrumReal: UnsafeBufferPointer(start: spectrum, count: bins),
                                spectrumImag: UnsafeBufferPointer(start: spectrum + bins, count: bins), gains: gains,
                                coefficients: coefficients, postFilterBeta: stages.gains ? settings.postFilterBeta : 0,
                                noisyMix: noisyMix, output: hopOutput)
            }
            localSNRs[j] = localSNR
        }
        return taken
    }

    /// The front end's features of the hop just analysed into the encoder's batch slot `frame`.
    private func copyFeatures(frame: Int) {
        let bins = DFNEncoder.dfBinCount
        guard let erb = frontEnd.erbFeatures.baseAddress, let re = frontEnd.complexFeatureReal.baseAddress,
              let im = frontEnd.complexFeatureImag.baseAddress else { return }
        encoder.erbInput(frame).update(from: erb, count: DFNEncoder.erbBandCount)
        encoder.specInput(frame).update(from: re, count: bins)
        (encoder.specInput(frame) + bins).update(from: im, count: bins)
    }

    /// apply_stages, tract.rs:658-672: lsnr < minimum: zero gains, no deep filter; > maximum ERB: nothing (the frame
    /// passes as it is); > maximum DF: ERB gains only; otherwise both.
    private func stages(_ lsnr: Float) -> (gains: Bool, zeros: Bool, deepFilter: Bool) {
        if lsnr < settings.minimumThreshold { return (false, true, false) }
        if lsnr > settings.maximumERBThreshold { return (false, false, false) }
        if lsnr > settings.maximumDFThreshold { return (true, false, false) }
        return (true, false, true)
    }
}
