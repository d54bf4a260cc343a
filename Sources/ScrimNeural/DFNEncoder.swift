import CScrimVector
import ScrimCore

/// DeepFilterNet3's encoder (`enc.onnx`) on Scrim's own kernels, one frame or a batch of frames at a time.
///
/// The structure is DeepFilterNet's `Encoder` (DeepFilterNet d375b2d8, DeepFilterNet/df/deepfilternet3.py:100-185)
/// as the exported graph computes it (batch norms folded into the convolutions' biases; node numbers of
/// `enc.onnx`). C = 64 channels; shapes per frame, channels first:
///
/// | step | graph nodes | operation | output |
/// |---|---|---|---|
/// | erb_conv0 | 16-18 | Conv 3×3 t × f, 1 → 64, pad 2 frames before, 1 bin per side, bias, ReLU | e0 [64][32] |
/// | erb_conv1 | 19-21 | depthwise Conv 1×3, freq stride 2; 1×1 Conv 64 → 64 + bias; ReLU | e1 [64][16] |
/// | erb_conv2 | 22-24 | the same, stride 2 | e2 [64][8] |
/// | erb_conv3 | 25-27 | the same, stride 1 | e3 [64][8] |
/// | df_conv0 | 44-47 | Conv 3×3, 2 → 64 in 2 groups, pad as erb_conv0, no bias; 1×1 Conv + bias; ReLU | c0 [64][96] |
/// | df_conv1 | 48-50 | depthwise Conv 1×3, stride 2; 1×1 Conv + bias; ReLU | c1 [64][48] |
/// | df_fc_emb | 51-80 | c1 channels-last (3072) → grouped linear, 32 groups 96 → 16, ReLU | cemb [512] |
/// | combine | 81-90 | e3 channels-last (512) + cemb | [512] |
/// | emb_gru.linear_in | 91-111 | grouped linear 16 groups 32 → 16, ReLU | [256] |
/// | emb_gru | 112-126 | GRU 256 → 256 (linear_before_reset = 1, zero initial state) | [256] |
/// | emb_gru.linear_out | 127-147 | grouped linear 16 groups 16 → 32, ReLU | emb [512] |
/// | lsnr_fc | 148-154 | sigmoid(emb · w + b) · 50 − 15 (the graph's constants) | lsnr, dB |
///
/// The graph is causal: its convolutions pad two zero frames before the sequence and none after
/// (`Conv2dNormAct`, df/modules.py:45-48) and its GRU runs forward from zero, so frame t depends only on frames
/// 0…t; running a prefix of the sequence through onnxruntime gives the same prefix of outputs exactly
/// (Benchmarks/neural/network_reference.py). The lookahead of DeepFilterNet (`conv_lookahead` = 2) is not in
/// the graph: the caller delays its features (DfNet `pad_feat`, df/deepfilternet3.py:359, 409-410).
///
/// Batches (``DeepFilterNet3/process(hops:count:into:localSNRs:)``): the convolutions run frame by frame (their
/// weights are small and stay in cache), everything that does not look back in time beyond them (df_fc_emb,
/// linear_in, the GRU's input products x·Wᵀ, linear_out, lsnr_fc) runs as one matrix product over the batch's
/// frames, and only the GRU's h·Rᵀ and gates go frame by frame. Each output is the same sum in the same order as
/// frame by frame, so any batch split gives the same bits.
///
/// - Input per ``process(featErb:featSpecReal:featSpecImag:)``: one frame of the front end's features
///   (``DFNFrontEnd``): 32 normalised ERB values and the 96 complex features' real and imaginary parts.
/// - Output: the views below (the last frame processed), valid while this object lives and overwritten by the
///   next call; ``localSNR`` in dB.
/// - Allocation: all in `init` (weights shared through ``DeepFilterNet3Weights``; per stream the batch storage,
///   about 63 KB per frame of the maximum batch); `process` and ``reset()`` do not allocate, lock or throw.
/// - Threading: not `Sendable`; one stream, one task at a time.
public final class DFNEncoder {
    /// Channels of every convolution (`conv_ch`).
    public static let channels = 64
    /// ERB bands of feat_erb.
    public static let erbBandCount = 32
    /// Complex bins of feat_spec.
    public static let dfBinCount = 96
    /// The embedding's length (emb, 512 = 64 channels × 8 bins).
    public static let embeddingCount = 512
    /// The GRU's hidden size.
    public static let hiddenCount = 256

    /// Floats per frame of each output: e0 [64][32], e1 [64][16], e2 and e3 [64][8], c0 [64][96].
    static let e0Count = channels * 32, e1Count = channels * 16, e2Count = channels * 8, e3Count = channels * 8
    static let c0Count = channels * 96
    /// Floats per frame of c1 channels-last (df_fc_emb's input).
    static let c1Count = channels * 48

    /// `enc.onnx`'s weights, immutable once built (shared by every channel through ``DeepFilterNet3Weights``).
    struct Weights {
        let erbConv0: ConvolutionWeights
        let erbConv1: ConvolutionWeights
        let erbConv1Pointwise: PointwiseConvolution
        let erbConv2: ConvolutionWeights
        let erbConv2Pointwise: PointwiseConvolution
        let erbConv3: ConvolutionWeights
        let erbConv3Pointwise: PointwiseConvolution
        let dfConv0: ConvolutionWeights
        let dfConv0Pointwise: PointwiseConvolution
        let dfConv1: ConvolutionWeights
        let dfConv1Pointwise: PointwiseConvolution
        let dfEmbedding: GroupedLinear
        let linearIn: GroupedLinear
        let gru: GRUWeights
        let linearOut: GroupedLinear
        let lsnrWeight: NeuralBuffer
        let lsnrBias: NeuralBuffer
        let lsnrScale: Float
        let lsnrOffset: Float

        /// Reads and checks `enc.onnx`'s weights.
        init(model: DeepFilterNetModel) throws(ScrimError) {
            let g = DFNGraphWeights(graph: model.encoder.graph, file: DeepFilterNet3Files.encoder)
            let c = DFNEncoder.channels
            let same = [0, 1, 0, 1]
            try g.checkConvolution("onnx::Conv_282", group: 1, kernel: [3, 3], strides: [1, 1], pads: same)
            try g.checkConvolution("df_conv0.1.weight", group: 2, kernel: [3, 3], strides: [1, 1], pads: same)
            for (name, stride) in [("erb_conv1.0.weight", 2), ("erb_conv2.0.weight", 2), ("erb_conv3.0.weight", 1),
                                   ("df_conv1.0.weight", 2)] {
                try g.checkConvolution(name, group: c, kernel: [1, 3], strides: [1, stride], pads: same)
            }
            for name in ["onnx::Conv_285", "onnx::Conv_288", "onnx::Conv_291", "onnx::Conv_294", "onnx::Conv_297"] {
                try g.checkConvolution(name, group: 1, kernel: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0])
            }

            erbConv0 = ConvolutionWeights(weight: try g.floats("onnx::Conv_282", [c, 1, 3, 3]),
                                          bias: try g.floats("onnx::Conv_283", [c]), inChannels: 1, outChannels: c,
                                          groups: 1, frequencyCount: 32, kernelTime: 3, kernelFrequency: 3,
                                          strideFrequency: 1, padFrequency: 1)
            func depthwise(_ name: String, bins: Int, stride: Int) throws(ScrimError) -> ConvolutionWeights {
                ConvolutionWeights(weight: try g.floats(name, [c, 1, 1, 3]), bias: nil, inChannels: c,
                                   outChannels: c, groups: c, frequencyCount: bins, kernelTime: 1,
                                   kernelFrequency: 3, strideFrequency: stride, padFrequency: 1)
            }
            func pointwise(_ weight: String, _ bias: String) throws(ScrimError) -> PointwiseConvolution {
                PointwiseConvolution(weight: try g.floats(weight, [c, c, 1, 1]), bias: try g.floats(bias, [c]),
                                     inChannels: c, outChannels: c)
            }
            erbConv1 = try depthwise("erb_conv1.0.weight", bins: 32, stride: 2)
            erbConv1Pointwise = try pointwise("onnx::Conv_285", "onnx::Conv_286")
            erbConv2 = try depthwise("erb_conv2.0.weight", bins: 16, stride: 2)
            erbConv2Pointwise = try pointwise("onnx::Conv_288", "onnx::Conv_289")
            erbConv3 = try depthwise("erb_conv3.0.weight", bins: 8, stride: 1)
            erbConv3Pointwise = try pointwise("onnx::Conv_291", "onnx::Conv_292")
            dfConv0 = ConvolutionWeights(weight: try g.floats("df_conv0.1.weight", [c, 1, 3, 3]), bias: nil,
                                         inChannels: 2, outChannels: c, groups: 2, frequencyCount: 96,
                                         kernelTime: 3, kernelFrequency: 3, strideFrequency: 1, padFrequency: 1)
            dfConv0Pointwise = try pointwise("onnx::Conv_294", "onnx::Conv_295")
            dfConv1 = try depthwise("df_conv1.0.weight", bins: 96, stride: 2)
            dfConv1Pointwise = try pointwise("onnx::Conv_297", "onnx::Conv_298")
            dfEmbedding = GroupedLinear(weight: try g.floats("df_fc_emb.0.weight", [32, 96, 16]), groups: 32,
                                        inCount: 96, outCount: 16)
            linearIn = GroupedLinear(weight: try g.floats("emb_gru.linear_in.0.weight", [16, 32, 16]), groups: 16,
                                     inCount: 32, outCount: 16)
            let h = DFNEncoder.hiddenCount
            gru = GRUWeights(w: try g.floats("/emb_gru/Constant_3_output_0", [1, 3 * h, h]),
                             r: try g.floats("/emb_gru/Constant_4_output_0", [1, 3 * h, h]),
                             b: try g.floats("/emb_gru/Constant_5_output_0", [1, 6 * h]), inputCount: h,
                             hiddenCount: h)
            linearOut = GroupedLinear(weight: try g.floats("emb_gru.linear_out.0.weight", [16, 16, 32]),
                                      groups: 16, inCount: 16, outCount: 32)
            lsnrWeight = NeuralBuffer(try g.floats("onnx::MatMul_337", [DFNEncoder.embeddingCount, 1]))
            lsnrBias = NeuralBuffer(try g.floats("lsnr_fc.0.bias", [1]))
            lsnrScale = try g.scalar("/Constant_8_output_0")
            lsnrOffset = try g.scalar("/Constant_9_output_0")
        }

        /// Floats of all weights.
        var floatCount: Int {
            let convolutions = [erbConv0, erbConv1, erbConv2, erbConv3, dfConv0, dfConv1].map(\.floatCount)
            let pointwise = [erbConv1Pointwise, erbConv2Pointwise, erbConv3Pointwise, dfConv0Pointwise,
                             dfConv1Pointwise].map(\.floatCount)
            return convolutions.reduce(0, +) + pointwise.reduce(0, +) + dfEmbedding.floatCount + linearIn.floatCount
                + gru.floatCount + linearOut.floatCount + lsnrWeight.count + lsnrBias.count
        }
    }

    /// Frames one ``process(count:)`` call takes at most.
    let maximumBatch: Int
    private let weights: Weights
    private let erbConv0: CausalConvolution
    private let dfConv0: CausalConvolution
    private let gru: GRULayer

    // Batch storage, frame j at j · (floats per frame).
    private let featErbStorage: NeuralBuffer
    private let featSpecStorage: NeuralBuffer
    let e0Storage: NeuralBuffer
    let e1Storage: NeuralBuffer
    let e2Storage: NeuralBuffer
    let e3Storage: NeuralBuffer
    let c0Storage: NeuralBuffer
    let embStorage: NeuralBuffer
    private let lsnrStorage: NeuralBuffer
    private let c1Last: NeuralBuffer
    private let combined: NeuralBuffer
    private let gruInput: NeuralBuffer
    private let gruOutput: NeuralBuffer
    private let gates: NeuralBuffer
    // One frame's scratch.
    private let depthwise = NeuralBuffer(count: DFNEncoder.c0Count)
    private let c1 = NeuralBuffer(count: DFNEncoder.c1Count)
    /// The frame the public views show (the last one processed).
    private var lastFrame = 0

    /// e0, [64][32]: erb_conv0's output (ReLU'd), for the ERB decoder's skip connection.
    public var e0: UnsafeBufferPointer<Float> { view(e0Storage, Self.e0Count) }
    /// e1, [64][16].
    public var e1: UnsafeBufferPointer<Float> { view(e1Storage, Self.e1Count) }
    /// e2, [64][8].
    public var e2: UnsafeBufferPointer<Float> { view(e2Storage, Self.e2Count) }
    /// e3, [64][8].
    public var e3: UnsafeBufferPointer<Float> { view(e3Storage, Self.e3Count) }
    /// c0, [64][96]: df_conv0's output, for the DF decoder.
    public var c0: UnsafeBufferPointer<Float> { view(c0Storage, Self.c0Count) }
    /// emb, 512 values: the GRU embedding both decoders read.
    public var emb: UnsafeBufferPointer<Float> { view(embStorage, Self.embeddingCount) }
    /// The local SNR estimate of the last frame in dB (−15 … 35 for DeepFilterNet3).
    public var localSNR: Float { lsnrStorage.pointer[lastFrame] }

    private func view(_ storage: NeuralBuffer, _ perFrame: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: storage.pointer + lastFrame * perFrame, count: perFrame)
    }

    /// Builds the encoder from a loaded model's `enc.onnx` weights (its own copy; ``DeepFilterNet3`` shares one
    /// through ``DeepFilterNet3Weights``).
    /// - Throws: ``ScrimError`` `.invalidDocument` when a weight is missing or of another shape, or a Conv node's
    ///   group, kernel, strides or pads differ from the structure above.
    public convenience init(model: DeepFilterNetModel) throws(ScrimError) {
        self.init(weights: try Weights(model: model), maximumBatch: 1)
    }

    /// A stream over shared weights, taking up to `maximumBatch` frames per ``process(count:)``.
    init(weights: Weights, maximumBatch: Int) {
        precondition(maximumBatch >= 1, "DFNEncoder maximumBatch \(maximumBatch)")
        self.weights = weights
        self.maximumBatch = maximumBatch
        erbConv0 = CausalConvolution(weights: weights.erbConv0)
        dfConv0 = CausalConvolution(weights: weights.dfConv0)
        gru = GRULayer(weights: weights.gru)
        let n = maximumBatch
        featErbStorage = NeuralBuffer(count: n * Self.erbBandCount)
        featSpecStorage = NeuralBuffer(count: n * 2 * Self.dfBinCount)
        e0Storage = NeuralBuffer(count: n * Self.e0Count)
        e1Storage = NeuralBuffer(count: n * Self.e1Count)
        e2Storage = NeuralBuffer(count: n * Self.e2Count)
        e3Storage = NeuralBuffer(count: n * Self.e3Count)
        c0Storage = NeuralBuffer(count: n * Self.c0Count)
        embStorage = NeuralBuffer(count: n * Self.embeddingCount)
        lsnrStorage = NeuralBuffer(count: n)
        c1Last = NeuralBuffer(count: n * Self.c1Count)
        combined = NeuralBuffer(count: n * Self.embeddingCount)
        gruInput = NeuralBuffer(count: n * Self.hiddenCount)
        gruOutput = NeuralBuffer(count: n * Self.hiddenCount)
        gates = NeuralBuffer(count: n * 3 * Self.hiddenCount)
    }

    /// Floats of per-stream storage (state, batch storage and scratch), for memory estimates.
    var stateFloatCount: Int {
        [featErbStorage, featSpecStorage, e0Storage, e1Storage, e2Storage, e3Storage, c0Storage, embStorage,
         lsnrStorage, c1Last, combined, gruInput, gruOutput, gates, depthwise, c1, erbConv0.history,
         dfConv0.history, gru.hidden, gru.scratch].map(\.count).reduce(0, +)
    }

    /// Where frame j's 32 ERB features go before ``process(count:)``.
    func erbInput(_ j: Int) -> UnsafeMutablePointer<Float> { featErbStorage.pointer + j * Self.erbBandCount }
    /// Where frame j's complex features go: 96 real parts, then 96 imaginary parts (feat_spec's [2][96]).
    func specInput(_ j: Int) -> UnsafeMutablePointer<Float> { featSpecStorage.pointer + j * 2 * Self.dfBinCount }
    /// Frame j's local SNR in dB after ``process(count:)``.
    func localSNR(_ j: Int) -> Float { lsnrStorage.pointer[j] }

    /// Encodes one frame.
    /// - Parameters:
    ///   - featErb: 32 normalised ERB features (``DFNFrontEnd/erbFeatures``).
    ///   - featSpecReal: real parts of the 96 complex features (``DFNFrontEnd/complexFeatureReal``).
    ///   - featSpecImag: their imaginary parts.
    /// - Precondition: the counts above. Does not allocate, lock or throw.
    public func process(featErb: UnsafeBufferPointer<Float>, featSpecReal: UnsafeBufferPointer<Float>,
                        featSpecImag: UnsafeBufferPointer<Float>) {
        let bins = Self.dfBinCount
        precondition(featErb.count == Self.erbBandCount && featSpecReal.count == bins && featSpecImag.count == bins,
                     "DFNEncoder.process: \(featErb.count) ERB and \(featSpecReal.count) + \(featSpecImag.count) "
                         + "complex features, expected \(Self.erbBandCount) and \(bins) + \(bins)")
        guard let erb = featErb.baseAddress, let re = featSpecReal.baseAddress, let im = featSpecImag.baseAddress
        else { return }
        erbInput(0).update(from: erb, count: Self.erbBandCount)
        specInput(0).update(from: re, count: bins)
        (specInput(0) + bins).update(from: im, count: bins)
        process(count: 1)
    }

    /// Encodes frames 0 ..< count of the batch whose features were written at ``erbInput(_:)`` and
    /// ``specInput(_:)``; frame j's outputs are then at j · (floats per frame) of each storage. The same bits as
    /// `count` single-frame calls. Does not allocate, lock or throw.
    func process(count: Int) {
        precondition(count >= 1 && count <= maximumBatch, "DFNEncoder batch of \(count), maximum \(maximumBatch)")
        let c = Self.channels, w = weights
        // Convolutions, frame by frame (causal ones with their history).
        erbConv0.process(count: count, input: NeuralFrames(featErbStorage.pointer, stride: Self.erbBandCount),
                         into: e0Storage.pointer, outputStride: Self.e0Count)
        scrim_neural_relu(e0Storage.pointer, Int64(count * Self.e0Count))
        for j in 0..<count {
            let e0 = e0Storage.pointer + j * Self.e0Count, e1 = e1Storage.pointer + j * Self.e1Count
            let e2 = e2Storage.pointer + j * Self.e2Count, e3 = e3Storage.pointer + j * Self.e3Count
            // ERB path.
            w.erbConv1.apply(e0, into: depthwise.pointer)
            w.erbConv1Pointwise.process(depthwise.pointer, into: e1, bins: 16)
            scrim_neural_relu(e1, Int64(c * 16))
            w.erbConv2.apply(e1, into: depthwise.pointer)
            w.erbConv2Pointwise.process(depthwise.pointer, into: e2, bins: 8)
            scrim_neural_relu(e2, Int64(c * 8))
            w.erbConv3.apply(e2, into: depthwise.pointer)
            w.erbConv3Pointwise.process(depthwise.pointer, into: e3, bins: 8)
            scrim_neural_relu(e3, Int64(c * 8))
        }
        let spec = NeuralFrames(featSpecStorage.pointer, stride: 2 * Self.dfBinCount)
        for j in 0..<count {
            // Complex path: df_conv0 into one frame of scratch, pointwise, ReLU.
            let c0 = c0Storage.pointer + j * Self.c0Count
            dfConv0.frame(j, of: spec, into: depthwise.pointer)
            w.dfConv0Pointwise.process(depthwise.pointer, into: c0, bins: 96)
            scrim_neural_relu(c0, Int64(Self.c0Count))
            w.dfConv1.apply(c0, into: depthwise.pointer)
            w.dfConv1Pointwise.process(depthwise.pointer, into: c1.pointer, bins: 48)
            scrim_neural_relu(c1.pointer, Int64(Self.c1Count))
            channelsLast(c1.pointer, into: c1Last.pointer + j * Self.c1Count, channels: c, bins: 48)
            // combine's first operand: e3 channels-last, kept in emb's slot until the GRU path overwrites it.
            channelsLast(e3Storage.pointer + j * Self.e3Count, into: embStorage.pointer + j * Self.embeddingCount,
                         channels: c, bins: 8)
        }
        dfConv0.advance(count: count, input: spec)
        // df_fc_emb over the batch, ReLU; combine: e3 channels-last + cemb (the graph's Add, node 90).
        w.dfEmbedding.process(count: count, c1Last.pointer, into: combined.pointer)
        let embFloats = Int64(count * Self.embeddingCount), hiddenFloats = Int64(count * Self.hiddenCount)
        scrim_neural_relu(combined.pointer, embFloats)
        scrim_neural_add(combined.pointer, embStorage.pointer, combined.pointer, embFloats)
        // emb_gru (SqueezedGRU_S, df/modules.py:702): linear_in, GRU, linear_out, over the batch.
        w.linearIn.process(count: count, combined.pointer, into: gruInput.pointer)
        scrim_neural_relu(gruInput.pointer, hiddenFloats)
        gru.process(count: count, gruInput.pointer, into: gruOutput.pointer, gates: gates.pointer)
        w.linearOut.process(count: count, gruOutput.pointer, into: embStorage.pointer)
        scrim_neural_relu(embStorage.pointer, embFloats)
        // lsnr_fc: Linear(512, 1), sigmoid, then · (lsnr_max − lsnr_min) + lsnr_min.
        scrim_neural_linear_frames(lsnrStorage.pointer, 1, embStorage.pointer, Int64(Self.embeddingCount),
                                   w.lsnrWeight.pointer, w.lsnrBias.pointer, Int64(count),
                                   Int64(Self.embeddingCount), 1)
        scrim_neural_sigmoid(lsnrStorage.pointer, Int64(count))
        for j in 0..<count { lsnrStorage.pointer[j] = lsnrStorage.pointer[j] * w.lsnrScale + w.lsnrOffset }
        lastFrame = count - 1
    }

    /// Back to a fresh stream: zero convolution histories and GRU state, outputs zero. Does not allocate.
    public func reset() {
        erbConv0.reset()
        dfConv0.reset()
        gru.reset()
        e0Storage.zero()
        e1Storage.zero()
        e2Storage.zero()
        e3Storage.zero()
        c0Storage.zero()
        embStorage.zero()
        lsnrStorage.zero()
        lastFrame = 0
    }
}
