import CScrimVector
import ScrimCore

/// DeepFilterNet3's deep-filter decoder (`df_dec.onnx`) on Scrim's own kernels, one frame at a time.
///
/// DeepFilterNet's `DfDecoder` (DeepFilterNet d375b2d8, DeepFilterNet/df/deepfilternet3.py:257-331) as the exported
/// graph computes it (node numbers of `df_dec.onnx`, read with the ONNX reader's node list). Per frame:
///
/// | step | graph nodes | operation | output |
/// |---|---|---|---|
/// | df_gru.linear_in | 6-21 | emb as 8 groups of 64 → grouped linear 64 → 32 each, ReLU | [256] |
/// | df_gru | 22-43 | two GRU layers 256 → 256 (linear_before_reset = 1, zero initial state); no linear_out | [256] |
/// | df_skip | 44-59 | emb as 16 groups of 32 → grouped linear 32 → 16 each (no activation), added | [256] |
/// | df_convp | 60-80 | c0 [64][96], 4 zero frames before; Conv 5×1 (t × f), 64 → 10 in 2 groups | [10][96] |
/// | | | then 1×1 Conv 10 → 10 + bias; ReLU; channels-last | [96][10] |
/// | df_out | 84-111 | the sum as 16 groups of 16 → grouped linear 16 → 60 each, tanh; viewed [96][10] | [96][10] |
/// | coefs | 112 | df_out + df_convp | [96][10] |
/// | df_fc_a | 81-83 | sigmoid(sum · w + b) (graph output `235`; libDF does not use it) | [1] |
///
/// The only layers looking back in time are df_convp's convolution (4 earlier frames of c0, zeros before the
/// stream, as the graph's Pad) and the GRUs, so frame by frame equals the whole-sequence graph.
///
/// - Output: ``coefficients``, 960 floats [96 bins][5 taps][re, im] (the graph's `coefs` [1, S, 96, 10] for one
///   frame, the layout ``DFNBackEnd`` takes), and ``alpha`` (`235`), valid while this object lives and overwritten
///   by the next call.
/// - Allocation: all in `init`; ``process(emb:c0:)`` and ``reset()`` do not allocate, lock or throw.
/// - Threading: not `Sendable`; one stream, one task at a time.
public final class DFNDfDecoder {
    /// Deep-filter bins (`nb_df`).
    public static let binCount = 96
    /// Floats per bin: df_order 5 taps × (re, im).
    public static let valuesPerBin = 10
    /// Floats per frame of ``coefficients``, 960.
    public static let coefficientCount = binCount * valuesPerBin
    /// The convolution path's channels (2·df_order).
    private static let convChannels = 10

    private let linearIn: GroupedLinear
    private let gru1: GRULayer
    private let gru2: GRULayer
    private let skip: GroupedLinear
    private let linearOut: GroupedLinear
    private let convp: CausalConvolution
    private let convpPointwise: PointwiseConvolution
    private let alphaWeight: NeuralBuffer
    private let alphaBias: NeuralBuffer

    private let hiddenA = NeuralBuffer(count: DFNEncoder.hiddenCount)
    private let hiddenB = NeuralBuffer(count: DFNEncoder.hiddenCount)
    private let skipOutput = NeuralBuffer(count: DFNEncoder.hiddenCount)
    private let convOutput = NeuralBuffer(count: DFNDfDecoder.coefficientCount)
    private let pointwiseOutput = NeuralBuffer(count: DFNDfDecoder.coefficientCount)
    private let convLast = NeuralBuffer(count: DFNDfDecoder.coefficientCount)
    private let coefficientStorage = NeuralBuffer(count: DFNDfDecoder.coefficientCount)
    private let alphaValue = NeuralBuffer(count: 1)

    /// The last frame's deep-filter coefficients, 960 floats [96][5][2] (bin, tap, re/im): df_out's tanh part
    /// plus the ReLU'd convolution path.
    public var coefficients: UnsafeBufferPointer<Float> { coefficientStorage.view }
    /// The last frame's `df_fc_a` output (graph output `235`), in (0, 1).
    public var alpha: Float { alphaValue.pointer.pointee }

    /// Builds the decoder from a loaded model's `df_dec.onnx` weights.
    /// - Throws: ``ScrimError`` `.invalidDocument` when a weight is missing or of another shape, or a convolution's
    ///   attributes or the time padding differ from the structure above.
    public init(model: DeepFilterNetModel) throws(ScrimError) {
        let g = DFNGraphWeights(graph: model.dfDecoder.graph, file: DeepFilterNet3Files.dfDecoder)
        let c = DFNEncoder.channels, h = DFNEncoder.hiddenCount, k = Self.convChannels
        try g.checkConvolution("df_convp.1.weight", group: 2, kernel: [5, 1], strides: [1, 1], pads: [0, 0, 0, 0])
        try g.checkConvolution("onnx::Conv_268", group: 1, kernel: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0])
        // The Pad before df_convp: its pads come from this constant (t_begin = 4), reordered by nodes 62-74.
        guard g.graph.tensor(named: "/df_convp/df_convp.0/Constant_1_output_0")?.int64s == [0, 0, 4, 0] else {
            throw ScrimError(.invalidDocument, "\(g.file): df_convp's time padding is not [0, 0, 4, 0]")
        }
        linearIn = GroupedLinear(weight: try g.floats("df_gru.linear_in.0.weight", [8, 64, 32]), groups: 8,
                                 inCount: 64, outCount: 32)
        gru1 = GRULayer(w: try g.floats("onnx::GRU_291", [1, 3 * h, h]),
                        r: try g.floats("onnx::GRU_292", [1, 3 * h, h]),
                        b: try g.floats("onnx::GRU_293", [1, 6 * h]), inputCount: h, hiddenCount: h)
        gru2 = GRULayer(w: try g.floats("onnx::GRU_311", [1, 3 * h, h]),
                        r: try g.floats("onnx::GRU_312", [1, 3 * h, h]),
                        b: try g.floats("onnx::GRU_313", [1, 6 * h]), inputCount: h, hiddenCount: h)
        skip = GroupedLinear(weight: try g.floats("df_skip.weight", [16, 32, 16]), groups: 16, inCount: 32,
                             outCount: 16)
        linearOut = GroupedLinear(weight: try g.floats("df_out.0.weight", [16, 16, 60]), groups: 16, inCount: 16,
                                  outCount: 60)
        convp = CausalConvolution(weight: try g.floats("df_convp.1.weight", [k, c / 2, 5, 1]), bias: nil,
                                  inChannels: c, outChannels: k, groups: 2, frequencyCount: Self.binCount,
                                  kernelTime: 5, kernelFrequency: 1, strideFrequency: 1, padFrequency: 0)
        convpPointwise = PointwiseConvolution(weight: try g.floats("onnx::Conv_268", [k, k, 1, 1]),
                                              bias: try g.floats("onnx::Conv_269", [k]), inChannels: k,
                                              outChannels: k)
        alphaWeight = NeuralBuffer(try g.floats("onnx::MatMul_321", [h, 1]))
        alphaBias = NeuralBuffer(try g.floats("df_fc_a.0.bias", [1]))
    }

    /// Decodes one frame's deep-filter coefficients from the encoder's outputs of the same frame.
    /// - Parameters: emb: 512 values; c0: [64][96] (``DFNEncoder``'s views).
    /// - Precondition: those counts. Does not allocate, lock or throw.
    public func process(emb: UnsafeBufferPointer<Float>, c0: UnsafeBufferPointer<Float>) {
        let h = DFNEncoder.hiddenCount
        precondition(emb.count == DFNEncoder.embeddingCount && c0.count == DFNEncoder.channels * Self.binCount,
                     "DFNDfDecoder.process: counts \(emb.count), \(c0.count)")
        guard let emb = emb.baseAddress, let c0 = c0.baseAddress else { return }
        // df_gru: linear_in, ReLU, two GRUs (nodes 6-43).
        linearIn.process(emb, into: hiddenA.pointer)
        scrim_neural_relu(hiddenA.pointer, Int64(h))
        gru1.process(hiddenA.pointer, into: hiddenB.pointer)
        gru2.process(hiddenB.pointer, into: hiddenA.pointer)
        // + df_skip(emb) (nodes 44-59).
        skip.process(emb, into: skipOutput.pointer)
        scrim_neural_add(hiddenA.pointer, hiddenA.pointer, skipOutput.pointer, Int64(h))
        // df_fc_a (nodes 81-83).
        scrim_neural_matvec(alphaValue.pointer, hiddenA.pointer, alphaWeight.pointer, alphaBias.pointer, Int64(h), 1)
        scrim_neural_sigmoid(alphaValue.pointer, 1)
        // df_out: grouped linear, tanh (nodes 84-111).
        linearOut.process(hiddenA.pointer, into: coefficientStorage.pointer)
        scrim_neural_tanh(coefficientStorage.pointer, Int64(Self.coefficientCount))
        // df_convp on c0 (nodes 60-80), channels-last, then added (node 112).
        convp.process(c0, into: convOutput.pointer)
        convpPointwise.process(convOutput.pointer, into: pointwiseOutput.pointer, bins: Self.binCount)
        scrim_neural_relu(pointwiseOutput.pointer, Int64(Self.coefficientCount))
        channelsLast(pointwiseOutput.pointer, into: convLast.pointer, channels: Self.convChannels,
                     bins: Self.binCount)
        scrim_neural_add(coefficientStorage.pointer, coefficientStorage.pointer, convLast.pointer,
                         Int64(Self.coefficientCount))
    }

    /// Back to a fresh stream: zero GRU states, convolution history and outputs. Does not allocate.
    public func reset() {
        gru1.reset()
        gru2.reset()
        convp.reset()
        coefficientStorage.zero()
        alphaValue.zero()
    }
}
