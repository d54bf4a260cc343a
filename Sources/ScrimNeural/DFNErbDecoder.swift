import CScrimVector
import ScrimCore

/// DeepFilterNet3's ERB-gain decoder (`erb_dec.onnx`) on Scrim's own kernels, one frame or a batch of
/// frames at a time.
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
/// whole-sequence graph. A batch runs linear_in, the GRUs' input products and linear_out as matrix products over its
/// frames (only h·Rᵀ and the gates go frame by frame) and the convolutions frame by frame, with the bits of
/// frame-by-frame calls. The frames of a batch need not be consecutive frames of the encoder: libDF runs this decoder
/// only on frames whose local SNR asks for gains (tract.rs:658-672), so its GRU state moves on those frames alone.
///
/// - Output: ``mask``, 32 ERB gains in (0, 1), valid while this object lives and overwritten by the next call.
/// - Allocation: all in `init` (weights shared through ``DeepFilterNet3Weights``; per stream about 9 KB per frame of
///   the maximum batch); ``process(emb:e3:e2:e1:e0:)`` and ``reset()`` do not allocate, lock or throw.
/// - Threading: not `Sendable`; one stream, one task at a time.
public final class DFNErbDecoder {
    private static let c = DFNEncoder.channels

    /// `erb_dec.onnx`'s weights, immutable once built (shared by every channel through ``DeepFilterNet3Weights``).
    struct Weights {
        let linearIn: GroupedLinear
        let gru1: GRUWeights
        let gru2: GRUWeights
        let linearOut: GroupedLinear
        let pathway3: ConvolutionWeights
        let pathway2: ConvolutionWeights
        let pathway1: ConvolutionWeights
        let pathway0: ConvolutionWeights
        let convt3: ConvolutionWeights
        let convt3Pointwise: PointwiseConvolution
        let convt2Weight: NeuralBuffer
        let convt2Pointwise: PointwiseConvolution
        let convt1Weight: NeuralBuffer
        let convt1Pointwise: PointwiseConvolution
        let output: ConvolutionWeights

        /// Reads and checks `erb_dec.onnx`'s weights.
        init(model: DeepFilterNetModel) throws(ScrimError) {
            let g = DFNGraphWeights(graph: model.erbDecoder.graph, file: DeepFilterNet3Files.erbDecoder)
            let c = DFNErbDecoder.c, h = DFNEncoder.hiddenCount
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
            gru1 = GRUWeights(w: try g.floats("/emb_gru/Constant_3_output_0", [1, 3 * h, h]),
                              r: try g.floats("/emb_gru/Constant_4_output_0", [1, 3 * h, h]),
                              b: try g.floats("/emb_gru/Constant_5_output_0", [1, 6 * h]), inputCount: h,
                              hiddenCount: h)
            gru2 = GRUWeights(w: try g.floats("/emb_gru/Constant_9_output_0", [1, 3 * h, h]),
                              r: try g.floats("/emb_gru/Constant_10_output_0", [1, 3 * h, h]),
                              b: try g.floats("/emb_gru/Constant_11_output_0", [1, 6 * h]), inputCount: h,
                              hiddenCount: h)
            linearOut = GroupedLinear(weight: try g.floats("emb_gru.linear_out.0.weight", [16, 16, 32]),
                                      groups: 16, inCount: 16, outCount: 32)
            func pathwayConvolution(_ weight: String, _ bias: String, bins: Int) throws(ScrimError)
                -> ConvolutionWeights
            {
                ConvolutionWeights(weight: try g.floats(weight, [c, 1, 1, 1]), bias: try g.floats(bias, [c]),
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
            convt3 = ConvolutionWeights(weight: try g.floats("convt3.0.weight", [c, 1, 1, 3]), bias: nil,
                                        inChannels: c, outChannels: c, groups: c, frequencyCount: 8, kernelTime: 1,
                                        kernelFrequency: 3, strideFrequency: 1, padFrequency: 1)
            convt3Pointwise = try pointwise("onnx::Conv_291", "onnx::Conv_292")
            convt2Weight = NeuralBuffer(try g.floats("convt2.0.weight", [c, 1, 1, 3]))
            convt2Pointwise = try pointwise("onnx::Conv_297", "onnx::Conv_298")
            convt1Weight = NeuralBuffer(try g.floats("convt1.0.weight", [c, 1, 1, 3]))
            convt1Pointwise = try pointwise("onnx::Conv_303", "onnx::Conv_304")
            output = ConvolutionWeights(weight: try g.floats("onnx::Conv_309", [1, c, 1, 3]),
                                        bias: try g.floats("onnx::Conv_310", [1]), inChannels: c, outChannels: 1,
                                        groups: 1, frequencyCount: 32, kernelTime: 1, kernelFrequency: 3,
                                        strideFrequency: 1, padFrequency: 1)
        }

        /// Floats of all weights.
        var floatCount: Int {
            let convolutions = [pathway3, pathway2, pathway1, pathway0, convt3, output].map(\.floatCount)
            let pointwise = [convt3Pointwise, convt2Pointwise, convt1Pointwise].map(\.floatCount)
            return convolutions.reduce(0, +) + pointwise.reduce(0, +) + linearIn.floatCount + linearOut.floatCount
                + gru1.floatCount + gru2.floatCount + convt2Weight.count + convt1Weight.count
        }
    }

    /// Frames one batch takes at most.
    let maximumBatch: Int
    private let weights: Weights
    private let gru1: GRULayer
    private let gru2: GRULayer

    // Batch storage, frame j at j · (floats per frame).
    private let embBatch: NeuralBuffer
    private let hiddenA: NeuralBuffer
    private let hiddenB: NeuralBuffer
    private let gates: NeuralBuffer
    private let embLast: NeuralBuffer
    private let maskStorage: NeuralBuffer
    // One frame's scratch.
    private let pathway = NeuralBuffer(count: c * 32)
    private let sum = NeuralBuffer(count: c * 32)
    private let depthwise = NeuralBuffer(count: c * 32)
    private let level = NeuralBuffer(count: c * 32)
    private var lastFrame = 0

    /// The last frame's ERB gains, 32 values in (0, 1) (the graph's `m` [1, 1, S, 32] for one frame).
    public var mask: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: mask(lastFrame), count: 32) }

    /// Frame j's gains after a batch.
    func mask(_ j: Int) -> UnsafePointer<Float> { UnsafePointer(maskStorage.pointer + j * DFNEncoder.erbBandCount) }

    /// Builds the decoder from a loaded model's `erb_dec.onnx` weights (its own copy).
    /// - Throws: ``ScrimError`` `.invalidDocument` when a weight is missing or of another shape, or a convolution's
    ///   attributes differ from the structure above.
    public convenience init(model: DeepFilterNetModel) throws(ScrimError) {
        self.init(weights: try Weights(model: model), maximumBatch: 1)
    }

    /// A stream over shared weights, taking up to `maximumBatch` frames per batch.
    init(weights: Weights, maximumBatch: Int) {
        precondition(maximumBatch >= 1, "DFNErbDecoder maximumBatch \(maximumBatch)")
        self.weights = weights
        self.maximumBatch = maximumBatch
        gru1 = GRULayer(weights: weights.gru1)
        gru2 = GRULayer(weights: weights.gru2)
        let n = maximumBatch, h = DFNEncoder.hiddenCount
        embBatch = NeuralBuffer(count: n * DFNEncoder.embeddingCount)
        hiddenA = NeuralBuffer(count: n * h)
        hiddenB = NeuralBuffer(count: n * h)
        gates = NeuralBuffer(count: n * 3 * h)
        embLast = NeuralBuffer(count: n * DFNEncoder.embeddingCount)
        maskStorage = NeuralBuffer(count: n * DFNEncoder.erbBandCount)
    }

    /// Floats of per-stream storage (state, batch storage and scratch), for memory estimates.
    var stateFloatCount: Int {
        [embBatch, hiddenA, hiddenB, gates, embLast, maskStorage, pathway, sum, depthwise, level, gru1.hidden,
         gru1.scratch, gru2.hidden, gru2.scratch].map(\.count).reduce(0, +)
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
        process(count: 1, emb: NeuralFrames(emb, stride: 0), e3: NeuralFrames(e3, stride: 0),
                e2: NeuralFrames(e2, stride: 0), e1: NeuralFrames(e1, stride: 0), e0: NeuralFrames(e0, stride: 0))
    }

    /// Decodes `count` frames whose encoder outputs are frames 0 ..< count of the views given (emb 512 floats,
    /// e3 and e2 [64][8], e1 [64][16], e0 [64][32] each); frame j's gains are then at ``mask(_:)``. The same bits
    /// as `count` single-frame calls. Does not allocate, lock or throw.
    func process(count: Int, emb: NeuralFrames, e3: NeuralFrames, e2: NeuralFrames, e1: NeuralFrames,
                 e0: NeuralFrames) {
        precondition(count >= 1 && count <= maximumBatch, "DFNErbDecoder batch of \(count), maximum \(maximumBatch)")
        let c = Self.c, w = weights, h = DFNEncoder.hiddenCount, embCount = DFNEncoder.embeddingCount
        for j in 0..<count { (embBatch.pointer + j * embCount).update(from: emb[j], count: embCount) }
        w.linearIn.process(count: count, embBatch.pointer, into: hiddenA.pointer)
        scrim_neural_relu(hiddenA.pointer, Int64(count * h))
        gru1.process(count: count, hiddenA.pointer, into: hiddenB.pointer, gates: gates.pointer)
        gru2.process(count: count, hiddenB.pointer, into: hiddenA.pointer, gates: gates.pointer)
        w.linearOut.process(count: count, hiddenA.pointer, into: embLast.pointer)
        scrim_neural_relu(embLast.pointer, Int64(count * embCount))
        for j in 0..<count {
            let embFrame = embLast.pointer + j * embCount
            // emb.view(b, t, 8, 64).permute(0, 3, 1, 2): channels-last [8][64] to [64][8].
            for f in 0..<8 {
                for ch in 0..<c { level.pointer[ch * 8 + f] = embFrame[f * c + ch] }
            }
            // e3 ← convt3(conv3p(e3) + emb).
            stage(w.pathway3, e3[j], bins: 8)
            w.convt3.apply(sum.pointer, into: depthwise.pointer)
            w.convt3Pointwise.process(depthwise.pointer, into: level.pointer, bins: 8)
            scrim_neural_relu(level.pointer, Int64(c * 8))
            // e2 ← convt2(conv2p(e2) + e3): 8 → 16 bins.
            stage(w.pathway2, e2[j], bins: 8)
            scrim_neural_conv_transpose_depthwise(depthwise.pointer, sum.pointer, w.convt2Weight.pointer, Int64(c),
                                                  8, 16, 3, 2, 1)
            w.convt2Pointwise.process(depthwise.pointer, into: level.pointer, bins: 16)
            scrim_neural_relu(level.pointer, Int64(c * 16))
            // e1 ← convt1(conv1p(e1) + e2): 16 → 32 bins.
            stage(w.pathway1, e1[j], bins: 16)
            scrim_neural_conv_transpose_depthwise(depthwise.pointer, sum.pointer, w.convt1Weight.pointer, Int64(c),
                                                  16, 32, 3, 2, 1)
            w.convt1Pointwise.process(depthwise.pointer, into: level.pointer, bins: 32)
            scrim_neural_relu(level.pointer, Int64(c * 32))
            // m ← sigmoid(conv0_out(conv0p(e0) + e1)).
            stage(w.pathway0, e0[j], bins: 32)
            let m = maskStorage.pointer + j * DFNEncoder.erbBandCount
            w.output.apply(sum.pointer, into: m)
            scrim_neural_sigmoid(m, Int64(DFNEncoder.erbBandCount))
        }
        lastFrame = count - 1
    }

    /// sum ← ReLU(pathway(skip)) + level, [64][bins] (the graph's Relu then Add, e.g. nodes 84-86).
    private func stage(_ pathwayLayer: ConvolutionWeights, _ skip: UnsafePointer<Float>, bins: Int) {
        pathwayLayer.apply(skip, into: pathway.pointer)
        scrim_neural_relu(pathway.pointer, Int64(Self.c * bins))
        scrim_neural_add(sum.pointer, pathway.pointer, level.pointer, Int64(Self.c * bins))
    }

    /// Back to a fresh stream: zero GRU states and mask. Does not allocate.
    public func reset() {
        gru1.reset()
        gru2.reset()
        maskStorage.zero()
        lastFrame = 0
    }
}
