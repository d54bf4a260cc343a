import Foundation
import ScrimCore

/// DeepFilterNet3 on one channel, one hop (480 samples, 10 ms at 48 kHz) at a time, as libDF's `DfTract::process`
/// runs it (DeepFilterNet d375b2d8, libDF/src/tract.rs:509-642):
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
/// - Latency: ``latencyFrames`` = 1440 samples (30 ms): the 960-point frame's overlap (480) plus two hops of
///   lookahead (libDF/src/bin/enhance_wav.rs:134-135).
/// - Allocation: all in `init` (the layers copy the model's weights, about 8.5 MB); ``process(_:into:)`` and
///   ``reset()`` do not allocate, lock or throw.
/// - Threading: not `Sendable`; one channel's stream, one task at a time. Use one per channel.
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
    /// Samples per ``process(_:into:)`` call (480).
    public var hopSize: Int { parameters.hopSize }
    /// Delay from input to output in samples (1440).
    public var latencyFrames: Int { backEnd.latencyFrames }
    /// The last hop's local SNR estimate in dB (−15 … 35); −15 for a skipped silent hop (tract.rs:524).
    public private(set) var localSNR: Float = 0

    private let frontEnd: DFNFrontEnd
    private let encoder: DFNEncoder
    private let erbDecoder: DFNErbDecoder
    private let dfDecoder: DFNDfDecoder
    private let backEnd: DFNBackEnd
    private let zeroGains: NeuralBuffer
    /// libDF's `atten_lim` as a linear amplitude, nil for none.
    private let noisyMix: Float?
    private var skipCounter = 0

    /// Builds the network from a loaded model.
    /// - Throws: ``ScrimError`` `.invalidDocument` when the graphs do not have the expected structure,
    ///   `.configuration` when the model's signal parameters are not DeepFilterNet3's STFT or FFTW cannot plan.
    public init(model: DeepFilterNetModel, settings: Settings = .libDFCAPI) throws(ScrimError) {
        let parameters = DFNSignalParameters(config: model.config)
        guard parameters.erbBandCount == DFNEncoder.erbBandCount, parameters.dfBinCount == DFNEncoder.dfBinCount,
              parameters.dfOrder * 2 == DFNDfDecoder.valuesPerBin
        else {
            throw ScrimError(.configuration, "the model's config.ini (\(parameters.erbBandCount) ERB bands, "
                                 + "\(parameters.dfBinCount) DF bins, order \(parameters.dfOrder)) is not "
                                 + "DeepFilterNet3's (32, 96, 5)")
        }
        self.parameters = parameters
        self.settings = settings
        frontEnd = try DFNFrontEnd(parameters: parameters)
        encoder = try DFNEncoder(model: model)
        erbDecoder = try DFNErbDecoder(model: model)
        dfDecoder = try DFNDfDecoder(model: model)
        backEnd = try DFNBackEnd(parameters: parameters)
        zeroGains = NeuralBuffer(count: parameters.erbBandCount)
        if let limit = settings.attenuationLimit, abs(limit) < 100 {
            // tract.rs:288-297: below 0.01 dB libDF passes the input through unchanged (mix 1).
            noisyMix = abs(limit) < 0.01 ? 1 : powf(10, -abs(limit) / 20)
        } else {
            noisyMix = nil
        }
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

    /// Enhances one hop.
    /// - Parameters:
    ///   - hop: ``hopSize`` input samples, full scale ±1.
    ///   - output: ``hopSize`` samples of enhanced audio, ``latencyFrames`` behind the input.
    /// - Returns: the hop's local SNR estimate in dB.
    /// - Precondition: both counts are ``hopSize``. Does not allocate, lock or throw.
    @discardableResult
    public func process(_ hop: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) -> Float {
        precondition(hop.count == hopSize && output.count == hopSize,
                     "DeepFilterNet3.process needs \(hopSize) samples in and out, got \(hop.count), \(output.count)")
        // tract.rs:513-525: the mean square (`rms` there) of the hop.
        var energy: Float = 0
        for x in hop { energy += x * x }
        if energy / Float(hop.count) < 1e-7 {
            skipCounter += 1
        } else {
            skipCounter = 0
        }
        if skipCounter > 5 {
            output.update(repeating: 0)
            localSNR = -15
            return localSNR
        }
        frontEnd.analyze(hop)
        if noisyMix == 1 {
            // tract.rs:543-546: the analysis ran (its state moved), the input is passed through undelayed.
            _ = output.update(fromContentsOf: hop)
            localSNR = 35
            return localSNR
        }
        encoder.process(featErb: frontEnd.erbFeatures, featSpecReal: frontEnd.complexFeatureReal,
                        featSpecImag: frontEnd.complexFeatureImag)
        let lsnr = encoder.localSNR
        localSNR = lsnr
        // apply_stages, tract.rs:658-672.
        let applyGains: Bool, applyZeros: Bool, applyDF: Bool
        if lsnr < settings.minimumThreshold {
            (applyGains, applyZeros, applyDF) = (false, true, false)
        } else if lsnr > settings.maximumERBThreshold {
            (applyGains, applyZeros, applyDF) = (false, false, false)
        } else if lsnr > settings.maximumDFThreshold {
            (applyGains, applyZeros, applyDF) = (true, false, false)
        } else {
            (applyGains, applyZeros, applyDF) = (true, false, true)
        }
        var gains: UnsafeBufferPointer<Float>?
        if applyGains {
            erbDecoder.process(emb: encoder.emb, e3: encoder.e3, e2: encoder.e2, e1: encoder.e1, e0: encoder.e0)
            gains = erbDecoder.mask
        } else if applyZeros {
            gains = zeroGains.view
        }
        var coefficients: UnsafeBufferPointer<Float>?
        if applyDF {
            dfDecoder.process(emb: encoder.emb, c0: encoder.c0)
            coefficients = dfDecoder.coefficients
        }
        // tract.rs:556-583.
        if gains != nil {
            skipCounter = 0
        } else {
            skipCounter += 1
        }
        backEnd.process(spectrumReal: frontEnd.spectrumReal, spectrumImag: frontEnd.spectrumImag, gains: gains,
                        coefficients: coefficients, postFilterBeta: applyGains ? settings.postFilterBeta : 0,
                        noisyMix: noisyMix, output: output)
        return lsnr
    }
}
