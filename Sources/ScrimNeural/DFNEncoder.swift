import CScrimVector
import ScrimCore

/// DeepFilterNet3's encoder (`enc.onnx`) on Scrim's own kernels, one frame at a time.
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
/// - Input per ``process(featErb:featSpecReal:featSpecImag:)``: one frame of the front end's features
///   (``DFNFrontEnd``): 32 normalised ERB values and the 96 complex features' real and imaginary parts.
/// - Output: the views below, valid while this object lives and overwritten by the next call; ``localSNR`` in dB.
/// - Allocation: all in `init`; `process` and ``reset()`` do not allocate, lock or throw.
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

    private let erbConv0: CausalConvolution
    private let erbConv1: CausalConvolution
    private let erbConv1Pointwise: PointwiseConvolution
    private let erbConv2: CausalConvolution
    private let erbConv2Pointwise: PointwiseConvolution
    private let erbConv3: CausalConvolution
    private let erbConv3Pointwise: PointwiseConvolution
    private let dfConv0: CausalConvolution
    private let dfConv0Pointwise: PointwiseConvolution
    private let dfConv1: CausalConvolution
    private let dfConv1Pointwise: PointwiseConvolution
    private let dfEmbedding: GroupedLinear
    private let linearIn: GroupedLinear
    private let gru: GRULayer
    private let linearOut: GroupedLinear
    private let lsnrWeight: NeuralBuffer
    private let lsnrBias: NeuralBuffer
    private let lsnrScale: Float
    private let lsnrOffset: Float

    private let e0Storage = NeuralBuffer(count: DFNEncoder.channels * 32)
    private let e1Storage = NeuralBuffer(count: DFNEncoder.channels * 16)
    private let e2Storage = NeuralBuffer(count: DFNEncoder.channels * 8)
    private let e3Storage = NeuralBuffer(count: DFNEncoder.channels * 8)
    private let c0Storage = NeuralBuffer(count: DFNEncoder.channels * 96)
    private let embStorage = NeuralBuffer(count: DFNEncoder.embeddingCount)
    private let specFrame = NeuralBuffer(count: 2 * DFNEncoder.dfBinCount)
    private let depthwise = NeuralBuffer(count: DFNEncoder.channels * 96)
    private let c1 = NeuralBuffer(count: DFNEncoder.channels * 48)
    private let c1Last = NeuralBuffer(count: DFNEncoder.channels * 48)
    private let combined = NeuralBuffer(count: DFNEncoder.embeddingCount)
    private let gruInput = NeuralBuffer(count: DFNEncoder.hiddenCount)
    private let gruOutput = NeuralBuffer(count: DFNEncoder.hiddenCount)
    private let lsnrValue = NeuralBuffer(count: 1)

    /// e0, [64][32]: erb_conv0's output (ReLU'd), for the ERB decoder's skip connection.
    public var e0: UnsafeBufferPointer<Float> { e0Storage.view }
    /// e1, [64][16].
    public var e1: UnsafeBufferPointer<Float> { e1Storage.view }
    /// e2, [64][8].
    public var e2: UnsafeBufferPointer<Float> { e2Storage.view }
    /// e3, [64][8].
    public var e3: UnsafeBufferPointer<Float> { e3Storage.view }
    /// c0, [64][96]: df_conv0's output, for the DF decoder.
    public var c0: UnsafeBufferPointer<Float> { c0Storage.view }
    /// emb, 512 values: the GRU embedding both decoders read.
    public var emb: UnsafeBufferPointer<Float> { embStorage.view }
    /// The local SNR estimate of the last frame in dB (−15 … 35 for DeepFilterNet3).
    public var localSNR: Float { lsnrValue.pointer.pointee }

    /// Builds the encoder from a loaded model's `enc.onnx` weights.
    /// - Throws: ``ScrimError`` `.invalidDocument` when a weight is missing or of another shape, or a Conv node's
    ///   group, kernel, strides or pads differ from the structure above.
    public init(model: DeepFilterNetModel) throws(ScrimError) {
        let g = DFNGraphWeights(graph: model.encoder.graph, file: DeepFilterNet3Files.encoder)
        let c = Self.channels
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

        erbConv0 = CausalConvolution(weight: try g.floats("onnx::Conv_282", [c, 1, 3, 3]),
                                     bias: try g.floats("onnx::Conv_283", [c]), inChannels: 1, outChannels: c,
                                     groups: 1, frequencyCount: 32, kernelTime: 3, kernelFrequency: 3,
                                     strideFrequency: 1, padFrequency: 1)
        func depthwise(_ name: String, bins: Int, stride: Int) throws(ScrimError) -> CausalConvolution {
            CausalConvolution(weight: try g.floats(name, [c, 1, 1, 3]), bias: nil, inChannels: c, outChannels: c,
                              groups: c, frequencyCount: bins, kernelTime: 1, kernelFrequency: 3,
                              strideFrequency: stride, padFrequency: 1)
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
        dfConv0 = CausalConvolution(weight: try g.floats("df_conv0.1.weight", [c, 1, 3, 3]), bias: nil,
                                    inChannels: 2, outChannels: c, groups: 2, frequencyCount: 96, kernelTime: 3,
                                    kernelFrequency: 3, strideFrequency: 1, padFrequency: 1)
        dfConv0Pointwise = try pointwise("onnx::Conv_294", "onnx::Conv_295")
        dfConv1 = try depthwise("df_conv1.0.weight", bins: 96, stride: 2)
        dfConv1Pointwise = try pointwise("onnx::Conv_297", "onnx::Conv_298")
        dfEmbedding = GroupedLinear(weight: try g.floats("df_fc_emb.0.weight", [32, 96, 16]), groups: 32,
                                    inCount: 96, outCount: 16)
        linearIn = GroupedLinear(weight: try g.floats("emb_gru.linear_in.0.weight", [16, 32, 16]), groups: 16,
                                 inCount: 32, outCount: 16)
        let h = Self.hiddenCount
        gru = GRULayer(w: try g.floats("/emb_gru/Constant_3_output_0", [1, 3 * h, h]),
                       r: try g.floats("/emb_gru/Constant_4_output_0", [1, 3 * h, h]),
                       b: try g.floats("/emb_gru/Constant_5_output_0", [1, 6 * h]), inputCount: h, hiddenCount: h)
        linearOut = GroupedLinear(weight: try g.floats("emb_gru.linear_out.0.weight", [16, 16, 32]), groups: 16,
                                  inCount: 16, outCount: 32)
        lsnrWeight = NeuralBuffer(try g.floats("onnx::MatMul_337", [Self.embeddingCount, 1]))
        lsnrBias = NeuralBuffer(try g.floats("lsnr_fc.0.bias", [1]))
        lsnrScale = try g.scalar("/Constant_8_output_0")
        lsnrOffset = try g.scalar("/Constant_9_output_0")
    }

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
        let c = Self.channels
        // ERB path.
        erbConv0.process(erb, into: e0Storage.pointer)
        scrim_neural_relu(e0Storage.pointer, Int64(c * 32))
        erbConv1.process(e0Storage.pointer, into: depthwise.pointer)
        erbConv1Pointwise.process(depthwise.pointer, into: e1Storage.pointer, bins: 16)
        scrim_neural_relu(e1Storage.pointer, Int64(c * 16))
        erbConv2.process(e1Storage.pointer, into: depthwise.pointer)
        erbConv2Pointwise.process(depthwise.pointer, into: e2Storage.pointer, bins: 8)
        scrim_neural_relu(e2Storage.pointer, Int64(c * 8))
        erbConv3.process(e2Storage.pointer, into: depthwise.pointer)
        erbConv3Pointwise.process(depthwise.pointer, into: e3Storage.pointer, bins: 8)
        scrim_neural_relu(e3Storage.pointer, Int64(c * 8))
        // Complex path: feat_spec's frame is [2][96], real parts first.
        specFrame.pointer.update(from: re, count: bins)
        (specFrame.pointer + bins).update(from: im, count: bins)
        dfConv0.process(specFrame.pointer, into: depthwise.pointer)
        dfConv0Pointwise.process(depthwise.pointer, into: c0Storage.pointer, bins: 96)
        scrim_neural_relu(c0Storage.pointer, Int64(c * 96))
        dfConv1.process(c0Storage.pointer, into: depthwise.pointer)
        dfConv1Pointwise.process(depthwise.pointer, into: c1.pointer, bins: 48)
        scrim_neural_relu(c1.pointer, Int64(c * 48))
        channelsLast(c1.pointer, into: c1Last.pointer, channels: c, bins: 48)
        dfEmbedding.process(c1Last.pointer, into: combined.pointer)
        scrim_neural_relu(combined.pointer, Int64(Self.embeddingCount))
        // combine: e3 channels-last + cemb (the graph's Add(e3 reshaped, cemb), node 90).
        channelsLast(e3Storage.pointer, into: embStorage.pointer, channels: c, bins: 8)
        scrim_neural_add(combined.pointer, embStorage.pointer, combined.pointer, Int64(Self.embeddingCount))
        // emb_gru (SqueezedGRU_S, df/modules.py:702): linear_in, GRU, linear_out.
        linearIn.process(combined.pointer, into: gruInput.pointer)
        scrim_neural_relu(gruInput.pointer, Int64(Self.hiddenCount))
        gru.process(gruInput.pointer, into: gruOutput.pointer)
        linearOut.process(gruOutput.pointer, into: embStorage.pointer)
        scrim_neural_relu(embStorage.pointer, Int64(Self.embeddingCount))
        // lsnr_fc: Linear(512, 1), sigmoid, then · (lsnr_max − lsnr_min) + lsnr_min.
        scrim_neural_matvec(lsnrValue.pointer, embStorage.pointer, lsnrWeight.pointer, lsnrBias.pointer,
                            Int64(Self.embeddingCount), 1)
        scrim_neural_sigmoid(lsnrValue.pointer, 1)
        lsnrValue.pointer.pointee = lsnrValue.pointer.pointee * lsnrScale + lsnrOffset
    }

    /// Back to a fresh stream: zero convolution histories and GRU state, outputs zero. Does not allocate.
    public func reset() {
        erbConv0.reset()
        erbConv1.reset()
        erbConv2.reset()
        erbConv3.reset()
        dfConv0.reset()
        dfConv1.reset()
        gru.reset()
        e0Storage.zero()
        e1Storage.zero()
        e2Storage.zero()
        e3Storage.zero()
        c0Storage.zero()
        embStorage.zero()
        lsnrValue.zero()
    }
}
