import CScrimVector
import ScrimCore

/// DeepFilterNet3's deep-filter decoder (`df_dec.onnx`) on Scrim's own kernels, one frame or a batch of
/// frames at a time.
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
/// stream, as the graph's Pad) and the GRUs, so frame by frame equals the whole-sequence graph. A batch runs
/// linear_in, the GRUs' input products, df_skip, df_fc_a and df_out as matrix products over its frames (only h·Rᵀ
/// and the gates go frame by frame) and df_convp frame by frame, with the bits of frame-by-frame calls. libDF runs
/// this decoder only on frames whose local SNR asks for the deep filter (tract.rs:658-672), so its GRU state and
/// df_convp's history move on those frames alone: a batch's frames are those frames, wherever they lie.
///
/// - Output: ``coefficients``, 960 floats [96 bins][5 taps][re, im] (the graph's `coefs` [1, S, 96, 10] for one
///   frame, the layout ``DFNBackEnd`` takes), and ``alpha`` (`235`), valid while this object lives and overwritten
///   by the next call.
/// - Allocation: all in `init` (weights shared through ``DeepFilterNet3Weights``; per stream about 12 KB per frame
///   of the maximum batch and 96 KB of df_convp history); ``process(emb:c0:)`` and ``reset()`` do not allocate,
///   lock or throw.
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

    /// `df_dec.onnx`'s weights, immutable once built (shared by every channel through ``DeepFilterNet3Weights``).
    struct Weights {
        let linearIn: GroupedLinear
        let gru1: GRUWeights
        let gru2: GRUWeights
        let skip: GroupedLinear
        let linearOut: GroupedLinear
        let convp: ConvolutionWeights
        let convpPointwise: PointwiseConvolution
        let alphaWeight: NeuralBuffer
        let alphaBias: NeuralBuffer

        /// Reads and checks `df_dec.onnx`'s weights.
        init(model: DeepFilterNetModel) throws(ScrimError) {
            let g = DFNGraphWeights(graph: model.dfDecoder.graph, file: DeepFilterNet3Files.dfDecoder)
            let c = DFNEncoder.channels, h = DFNEncoder.hiddenCount, k = DFNDfDecoder.convChannels
            try g.checkConvolution("df_convp.1.weight", group: 2, kernel: [5, 1], strides: [1, 1],
                                   pads: [0, 0, 0, 0])
            try g.checkConvolution("onnx::Conv_268", group: 1, kernel: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0])
            // The Pad before df_convp: its pads come from this constant (t_begin = 4), reordered by nodes 62-74.
            guard g.graph.tensor(named: "/df_convp/df_convp.0/Constant_1_output_0")?.int64s == [0, 0, 4, 0] else {
                throw ScrimError(.invalidDocument, "\(g.file): df_convp's time padding is not [0, 0, 4, 0]")
            }
            linearIn = GroupedLinear(weight: try g.floats("df_gru.linear_in.0.weight", [8, 64, 32]), groups: 8,
                                     inCount: 64, outCount: 32)
            gru1 = GRUWeights(w: try g.floats("onnx::GRU_291", [1, 3 * h, h]),
                              r: try g.floats("onnx::GRU_292", [1, 3 * h, h]),
                              b: try g.floats("onnx::GRU_293", [1, 6 * h]), inputCount: h, hiddenCount: h)
            gru2 = GRUWeights(w: try g.floats("onnx::GRU_311", [1, 3 * h, h]),
                              r: try g.floats("onnx::GRU_312", [1, 3 * h, h]),
                              b: try g.floats("onnx::GRU_313", [1, 6 * h]), inputCount: h, hiddenCount: h)
            skip = GroupedLinear(weight: try g.floats("df_skip.weight", [16, 32, 16]), groups: 16, inCount: 32,
                                 outCount: 16)
            linearOut = GroupedLinear(weight: try g.floats("df_out.0.weight", [16, 16, 60]), groups: 16,
                                      inCount: 16, outCount: 60)
            convp = ConvolutionWeights(weight: try g.floats("df_convp.1.weight", [k, c / 2, 5, 1]), bias: nil,
                                       inChannels: c, outChannels: k, groups: 2, frequencyCount: DFNDfDecoder.binCount,
                                       kernelTime: 5, kernelFrequency: 1, strideFrequency: 1, padFrequency: 0)
            convpPointwise = PointwiseConvolution(weight: try g.floats("onnx::Conv_268", [k, k, 1, 1]),
                                                  bias: try g.floats("onnx::Conv_269", [k]), inChannels: k,
                                                  outChannels: k)
            alphaWeight = NeuralBuffer(try g.floats("onnx::MatMul_321", [h, 1]))
            alphaBias = NeuralBuffer(try g.floats("df_fc_a.0.bias", [1]))
        }

        /// Floats of all weights.
        var floatCount: Int {
            linearIn.floatCount + gru1.floatCount + gru2.floatCount + skip.floatCount + linearOut.floatCount
                + convp.floatCount + convpPointwise.floatCount + alphaWeight.count + alphaBias.count
        }
    }

    /// Frames one batch takes at most.
    let maximumBatch: Int
    private let weights: Weights
    private let gru1: GRULayer
    private let gru2: GRULayer
    private let convp: CausalConvolution

    // Batch storage, frame j at j · (floats per frame).
    private let embBatch: NeuralBuffer
    private let hiddenA: NeuralBuffer
    private let hiddenB: NeuralBuffer
    private let gates: NeuralBuffer
    private let skipOutput: NeuralBuffer
    private let coefficientStorage: NeuralBuffer
    private let alphaStorage: NeuralBuffer
    // One frame's scratch.
    private let convOutput = NeuralBuffer(count: DFNDfDecoder.coefficientCount)
    private let pointwiseOutput = NeuralBuffer(count: DFNDfDecoder.coefficientCount)
    private let convLast = NeuralBuffer(count: DFNDfDecoder.coefficientCount)
    private var lastFrame = 0

    /// The last frame's deep-filter coefficients, 960 floats [96][5][2] (bin, tap, re/im): df_out's tanh part
    /// plus the ReLU'd convolution path.
    public var coefficients: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: coefficients(lastFrame), count: Self.coefficientCount)
    }
    /// The last frame's `df_fc_a` output (graph output `235`), in (0, 1).
    public var alpha: Float { alphaStorage.pointer[lastFrame] }

    /// Frame j's coefficients after a batch.
    func coefficients(_ j: Int) -> UnsafePointer<Float> {
        UnsafePointer(coefficientStorage.pointer + j * Self.coefficientCount)
    }

    /// Builds the decoder from a loaded model's `df_dec.onnx` weights (its own copy).
    /// - Throws: ``ScrimError`` `.invalidDocument` when a weight is missing or of another shape, or a convolution's
    ///   attributes or the time padding differ from the structure above.
    public convenience init(model: DeepFilterNetModel) throws(ScrimError) {
        self.init(weights: try Weights(model: model), maximumBatch: 1)
    }

    /// A stream over shared weights, taking up to `maximumBatch` frames per batch.
    init(weights: Weights, maximumBatch: Int) {
        precondition(maximumBatch >= 1, "DFNDfDecoder maximumBatch \(maximumBatch)")
        self.weights = weights
        self.maximumBatch = maximumBatch
        gru1 = GRULayer(weights: weights.gru1)
        gru2 = GRULayer(weights: weights.gru2)
        convp = CausalConvolution(weights: weights.convp)
        let n = maximumBatch, h = DFNEncoder.hiddenCount
        embBatch = NeuralBuffer(count: n * DFNEncoder.embeddingCount)
        hiddenA = NeuralBuffer(count: n * h)
        hiddenB = NeuralBuffer(count: n * h)
        gates = NeuralBuffer(count: n * 3 * h)
        skipOutput = NeuralBuffer(count: n * h)
        coefficientStorage = NeuralBuffer(count: n * Self.coefficientCount)
        alphaStorage = NeuralBuffer(count: n)
    }

    /// Floats of per-stream storage (state, batch storage and scratch), for memory estimates.
    var stateFloatCount: Int {
        [embBatch, hiddenA, hiddenB, gates, skipOutput, coefficientStorage, alphaStorage, convOutput,
         pointwiseOutput, convLast, convp.history, gru1.hidden, gru1.scratch, gru2.hidden, gru2.scratch]
            .map(\.count).reduce(0, +)
    }

    /// Decodes one frame's deep-filter coefficients from the encoder's outputs of the same frame.
    /// - Parameters: emb: 512 values; c0: [64][96] (``DFNEncoder``'s views).
    /// - Precondition: those counts. Does not allocate, lock or throw.
    public func process(emb: UnsafeBufferPointer<Float>, c0: UnsafeBufferPointer<Float>) {
        precondition(emb.count == DFNEncoder.embeddingCount && c0.count == DFNEncoder.channels * Self.binCount,
                     "DFNDfDecoder.process: counts \(emb.count), \(c0.count)")
        guard let emb = emb.baseAddress, let c0 = c0.baseAddress else { return }
        process(count: 1, emb: NeuralFrames(emb, stride: 0), c0: NeuralFrames(c0, stride: 0))
    }

    /// Decodes `count` frames whose encoder outputs are frames 0 ..< count of the views given (emb 512 floats, c0
    /// [64][96] each); frame j's coefficients are then at ``coefficients(_:)``. The same bits as `count`
    /// single-frame calls. Does not allocate, lock or throw.
    func process(count: Int, emb: NeuralFrames, c0: NeuralFrames) {
        precondition(count >= 1 && count <= maximumBatch, "DFNDfDecoder batch of \(count), maximum \(maximumBatch)")
        let w = weights, h = DFNEncoder.hiddenCount, embCount = DFNEncoder.embeddingCount
        let coefficientFloats = Int64(count * Self.coefficientCount)
        for j in 0..<count { (embBatch.pointer + j * embCount).update(from: emb[j], count: embCount) }
        // df_gru: linear_in, ReLU, two GRUs (nodes 6-43).
        w.linearIn.process(count: count, embBatch.pointer, into: hiddenA.pointer)
        scrim_neural_relu(hiddenA.pointer, Int64(count * h))
        gru1.process(count: count, hiddenA.pointer, into: hiddenB.pointer, gates: gates.pointer)
        gru2.process(count: count, hiddenB.pointer, into: hiddenA.pointer, gates: gates.pointer)
        // + df_skip(emb) (nodes 44-59).
        w.skip.process(count: count, embBatch.pointer, into: skipOutput.pointer)
        scrim_neural_add(hiddenA.pointer, hiddenA.pointer, skipOutput.pointer, Int64(count * h))
        // df_fc_a (nodes 81-83).
        scrim_neural_linear_frames(alphaStorage.pointer, 1, hiddenA.pointer, Int64(h), w.alphaWeight.pointer,
                                   w.alphaBias.pointer, Int64(count), Int64(h), 1)
        scrim_neural_sigmoid(alphaStorage.pointer, Int64(count))
        // df_out: grouped linear, tanh (nodes 84-111).
        w.linearOut.process(count: count, hiddenA.pointer, into: coefficientStorage.pointer)
        scrim_neural_tanh(coefficientStorage.pointer, coefficientFloats)
        // df_convp on c0 (nodes 60-80), channels-last, then added (node 112).
        for j in 0..<count {
            let coefficients = coefficientStorage.pointer + j * Self.coefficientCount
            convp.frame(j, of: c0, into: convOutput.pointer)
            w.convpPointwise.process(convOutput.pointer, into: pointwiseOutput.pointer, bins: Self.binCount)
            scrim_neural_relu(pointwiseOutput.pointer, Int64(Self.coefficientCount))
            channelsLast(pointwiseOutput.pointer, into: convLast.pointer, channels: Self.convChannels,
                         bins: Self.binCount)
            scrim_neural_add(coefficients, coefficients, convLast.pointer, Int64(Self.coefficientCount))
        }
        convp.advance(count: count, input: c0)
        lastFrame = count - 1
    }

    /// Back to a fresh stream: zero GRU states, convolution history and outputs. Does not allocate.
    public func reset() {
        gru1.reset()
        gru2.reset()
        convp.reset()
        coefficientStorage.zero()
        alphaStorage.zero()
        lastFrame = 0
    }
}
