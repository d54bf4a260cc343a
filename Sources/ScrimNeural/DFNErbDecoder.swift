import CScrimVector
import ScrimCore

/// DeepFilterNet3's ERB-gain decoder (`erb_dec.onnx`) on Scrim's own kernels, one frame at a time.
///
/// DeepFilterNet's `ErbDecoder` (DeepFilterNet d375b2d8, DeepFilterNet/df/deepfilternet3.py:188-254) as the
/// exported graph computes it (batch norms folded into biases; node numbers of `erb_dec.onnx`). Per frame:
///
/// | step | graph nodes | operation | output |
/// |---|---|---|---|
/// | emb_gru.linear_in | 17-27 | grouped linear 16 groups 32 → 16, ReLU | [256] |
/// | emb_gru | 36-54 | two GRU layers 256 → 256 (linear_before_reset = 1, zero initial state) | [256] |
/// | emb_gru.linear_out | 55-76 | grouped linear 16 groups 16 → 32, ReLU; viewed [8][64], to [64][8] | [64][8] |
/// | conv3p, convt3 | 84-89 | ReLU(dw 1×1 of e3 + bias) + emb; dw Conv 1×3; 1×1 Conv + bias; ReLU | [64][8] |
/// | conv2p, convt2 | 90-95 | ReLU(dw 1×1 of e2) + that; dw ConvTranspose (below); 1×1 + bias; ReLU | [64][16] |
/// | conv1p, convt1 | 96-101 | the same with e1 | [64][32] |
/// | conv0p, conv0_out | 102-106 | ReLU(dw 1×1 of e0) + that; Conv 1×3, 64 → 1, + bias; sigmoid | m [32] |
///
/// dw: depthwise (group = 64). The transposed convolutions: kernel 1×3, frequency stride 2, pads 1, output_padding
/// 1, so F → 2F (`scrim_neural_conv_transpose_depthwise`).
///
/// No layer looks back in time except the GRUs (all kernels are 1 frame long), so frame by frame equals the
/// whole-sequence graph.
///
/// - Output: ``mask``, 32 ERB gains in (0, 1), valid while this object lives and overwritten by the next call.
/// - Allocation: all in `init`; ``process(emb:e3:e2:e1:e0:)`` and ``reset()`` do not allocate, lock or throw.
/// - Threading: not `Sendable`; one stream, one task at a time.
public final class DFNErbDecoder {
    private static let c = DFNEncoder.channels

    private let linearIn: GroupedLinear
    private let gru1: GRULayer
    private let gru2: GRULayer
    private let linearOut: GroupedLinear
    private let pathway3: CausalConvolution
    private let pathway2: CausalConvolution
    private let pathway1: CausalConvolution
    private let pathway0: CausalConvolution
    private let convt3: CausalConvolution
    private let convt3Pointwise: PointwiseConvolution
    private let convt2Weight: NeuralBuffer
    private let convt2Pointwise: PointwiseConvolution
    private let convt1Weight: NeuralBuffer
    private let convt1Pointwise: PointwiseConvolution
    private let output: CausalConvolution

    private let hiddenA = NeuralBuffer(count: DFNEncoder.hiddenCount)
    private let hiddenB = NeuralBuffer(count: DFNEncoder.hiddenCount)
    private let embLast = NeuralBuffer(count: DFNEncoder.embeddingCount)
    private let pathway = NeuralBuffer(count: c * 32)
    private let sum = NeuralBuffer(count: c * 32)
    private let depthwise = NeuralBuffer(count: c * 32)
    private let level = NeuralBuffer(count: c * 32)
    private let maskStorage = NeuralBuffer(count: DFNEncoder.erbBandCount)

    /// The last frame's ERB gains, 32 values in (0, 1) (the graph's `m` [1, 1, S, 32] for one frame).
    public var mask: UnsafeBufferPointer<Float> { maskStorage.view }

    /// Builds the decoder from a loaded model's `erb_dec.onnx` weights.
    /// - Throws: ``ScrimError`` `.invalidDocument` when a weight is missing or of another shape, or a convolution's
    ///   attributes differ from the structure above.
    public init(model: DeepFilterNetModel) throws(ScrimError) {
        let g = DFNGraphWeights(graph: model.erbDecoder.graph, file: DeepFilterNet3Files.erbDecoder)
        let c = Self.c, h = DFNEncoder.hiddenCount
        for name in ["onnx::Conv_288", "onnx::Conv_294", "onnx::Conv_300", "onnx::Conv_306"] {
            try g.checkConvolution(name, group: c, kernel: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0])
        }
        for name in ["onnx::Conv_291", "onnx::Conv_297", "onnx::Conv_303"] {
            try g.checkConvolution(name, group: 1, kernel: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0])
        }
        try g.checkConvolution("convt3.0.weight", group: c, kernel: [1, 3], strides: [1, 1], pads: [0, 1, 0, 1])
        try g.checkConvolution("onnx::Conv_309", group: 1, kernel: [1, 3], strides: [1, 1], pads: [0, 1, 0, 1])
        for name in ["convt2.0.weight", "convt1.0.weight"] {
            try g.checkConvolution(name, opType: "ConvTranspose", group: c, kernel: [1, 3], strides: [1, 2],
                                   pads: [0, 1, 0, 1])
            let node = g.graph.nodes.first {
                $0.opType == "ConvTranspose" && $0.inputs.count > 1 && $0.inputs[1] == name
            }
            guard node?.attribute(named: "output_padding")?.ints == [0, 1] else {
                throw ScrimError(.invalidDocument, "\(g.file): the ConvTranspose of \(name) has output_padding "
                                    + "\(node?.attribute(named: "output_padding")?.ints ?? []), expected [0, 1]")
            }
        }

        linearIn = GroupedLinear(weight: try g.floats("emb_gru.linear_in.0.weight", [16, 32, 16]), groups: 16,
                                 inCount: 32, outCount: 16)
        gru1 = GRULayer(w: try g.floats("/emb_gru/Constant_3_output_0", [1, 3 * h, h]),
                        r: try g.floats("/emb_gru/Constant_4_output_0", [1, 3 * h, h]),
                        b: try g.floats("/emb_gru/Constant_5_output_0", [1, 6 * h]), inputCount: h, hiddenCount: h)
        gru2 = GRULayer(w: try g.floats("/emb_gru/Constant_9_output_0", [1, 3 * h, h]),
                        r: try g.floats("/emb_gru/Constant_10_output_0", [1, 3 * h, h]),
                        b: try g.floats("/emb_gru/Constant_11_output_0", [1, 6 * h]), inputCount: h, hiddenCount: h)
        linearOut = GroupedLinear(weight: try g.floats("emb_gru.linear_out.0.weight", [16, 16, 32]), groups: 16,
                                  inCount: 16, outCount: 32)
        func pathwayConvolution(_ weight: String, _ bias: String, bins: Int) throws(ScrimError)
            -> CausalConvolution
        {
            CausalConvolution(weight: try g.floats(weight, [c, 1, 1, 1]), bias: try g.floats(bias, [c]),
                              inChannels: c, outChannels: c, groups: c, frequencyCount: bins, kernelTime: 1,
                              kernelFrequency: 1, strideFrequency: 1, padFrequency: 0)
        }
        func pointwise(_ weight: String, _ bias: String) throws(ScrimError) -> PointwiseConvolution {
            PointwiseConvolution(weight: try g.floats(weight, [c, c, 1, 1]), bias: try g.floats(bias, [c]),
                                 inChannels: c, outChannels: c)
        }
        pathway3 = try pathwayConvolution("onnx::Conv_288", "onnx::Conv_289", bins: 8)
        pathway2 = try pathwayConvolution("onnx::Conv_294", "onnx::Conv_295", bins: 8)
        pathway1 = try pathwayConvolution("onnx::Conv_300", "onnx::Conv_301", bins: 16)
        pathway0 = try pathwayConvolution("onnx::Conv_306", "onnx::Conv_307", bins: 32)
        convt3 = CausalConvolution(weight: try g.floats("convt3.0.weight", [c, 1, 1, 3]), bias: nil, inChannels: c,
                                   outChannels: c, groups: c, frequencyCount: 8, kernelTime: 1, kernelFrequency: 3,
                                   strideFrequency: 1, padFrequency: 1)
        convt3Pointwise = try pointwise("onnx::Conv_291", "onnx::Conv_292")
        convt2Weight = NeuralBuffer(try g.floats("convt2.0.weight", [c, 1, 1, 3]))
        convt2Pointwise = try pointwise("onnx::Conv_297", "onnx::Conv_298")
        convt1Weight = NeuralBuffer(try g.floats("convt1.0.weight", [c, 1, 1, 3]))
        convt1Pointwise = try pointwise("onnx::Conv_303", "onnx::Conv_304")
        output = CausalConvolution(weight: try g.floats("onnx::Conv_309", [1, c, 1, 3]),
                                   bias: try g.floats("onnx::Conv_310", [1]), inChannels: c, outChannels: 1,
                                   groups: 1, frequencyCount: 32, kernelTime: 1, kernelFrequency: 3,
                                   strideFrequency: 1, padFrequency: 1)
    }

    /// Decodes one frame's ERB gains from the encoder's outputs of the same frame.
    /// - Parameters: emb: 512 values; e3, e2: [64][8]; e1: [64][16]; e0: [64][32] (``DFNEncoder``'s views).
    /// - Precondition: those counts. Does not allocate, lock or throw.
    public func process(emb: UnsafeBufferPointer<Float>, e3: UnsafeBufferPointer<Float>,
                        e2: UnsafeBufferPointer<Float>, e1: UnsafeBufferPointer<Float>,
                        e0: UnsafeBufferPointer<Float>) {
        let c = Self.c
        precondition(emb.count == DFNEncoder.embeddingCount && e3.count == c * 8 && e2.count == c * 8
                         && e1.count == c * 16 && e0.count == c * 32,
                     "DFNErbDecoder.process: counts \(emb.count), \(e3.count), \(e2.count), \(e1.count), \(e0.count)")
        guard let emb = emb.baseAddress, let e3 = e3.baseAddress, let e2 = e2.baseAddress,
              let e1 = e1.baseAddress, let e0 = e0.baseAddress else { return }
        linearIn.process(emb, into: hiddenA.pointer)
        scrim_neural_relu(hiddenA.pointer, Int64(DFNEncoder.hiddenCount))
        gru1.process(hiddenA.pointer, into: hiddenB.pointer)
        gru2.process(hiddenB.pointer, into: hiddenA.pointer)
        linearOut.process(hiddenA.pointer, into: embLast.pointer)
        scrim_neural_relu(embLast.pointer, Int64(DFNEncoder.embeddingCount))
        // emb.view(b, t, 8, 64).permute(0, 3, 1, 2): channels-last [8][64] to [64][8].
        for f in 0..<8 {
            for ch in 0..<c { level.pointer[ch * 8 + f] = embLast.pointer[f * c + ch] }
        }
        // e3 ← convt3(conv3p(e3) + emb).
        stage(pathway3, e3, bins: 8)
        convt3.process(sum.pointer, into: depthwise.pointer)
        convt3Pointwise.process(depthwise.pointer, into: level.pointer, bins: 8)
        scrim_neural_relu(level.pointer, Int64(c * 8))
        // e2 ← convt2(conv2p(e2) + e3): 8 → 16 bins.
        stage(pathway2, e2, bins: 8)
        scrim_neural_conv_transpose_depthwise(depthwise.pointer, sum.pointer, convt2Weight.pointer, Int64(c), 8, 16,
                                              3, 2, 1)
        convt2Pointwise.process(depthwise.pointer, into: level.pointer, bins: 16)
        scrim_neural_relu(level.pointer, Int64(c * 16))
        // e1 ← convt1(conv1p(e1) + e2): 16 → 32 bins.
        stage(pathway1, e1, bins: 16)
        scrim_neural_conv_transpose_depthwise(depthwise.pointer, sum.pointer, convt1Weight.pointer, Int64(c), 16,
                                              32, 3, 2, 1)
        convt1Pointwise.process(depthwise.pointer, into: level.pointer, bins: 32)
        scrim_neural_relu(level.pointer, Int64(c * 32))
        // m ← sigmoid(conv0_out(conv0p(e0) + e1)).
        stage(pathway0, e0, bins: 32)
        output.process(sum.pointer, into: maskStorage.pointer)
        scrim_neural_sigmoid(maskStorage.pointer, Int64(DFNEncoder.erbBandCount))
    }

    /// sum ← ReLU(pathway(skip)) + level, [64][bins] (the graph's Relu then Add, e.g. nodes 84-86).
    private func stage(_ pathwayLayer: CausalConvolution, _ skip: UnsafePointer<Float>, bins: Int) {
        pathwayLayer.process(skip, into: pathway.pointer)
        scrim_neural_relu(pathway.pointer, Int64(Self.c * bins))
        scrim_neural_add(sum.pointer, pathway.pointer, level.pointer, Int64(Self.c * bins))
    }

    /// Back to a fresh stream: zero GRU states and mask. Does not allocate.
    public func reset() {
        gru1.reset()
        gru2.reset()
        maskStorage.zero()
    }
}
