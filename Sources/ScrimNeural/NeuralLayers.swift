import CScrimVector
import ScrimCore

/// Float storage allocated once and zeroed, freed with the object: the layers' weights, states and activations.
///
/// - Threading: not `Sendable`; the owner's discipline applies. Nothing here allocates after `init`.
final class NeuralBuffer {
    /// The first float; valid for ``count`` floats while this object lives.
    let pointer: UnsafeMutablePointer<Float>
    /// Number of floats.
    let count: Int

    /// `count` zeros.
    init(count: Int) {
        precondition(count >= 0, "NeuralBuffer count \(count) is negative")
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    /// A copy of `values`.
    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return }
            pointer.update(from: base, count: values.count)
        }
    }

    deinit { pointer.deallocate() }

    /// Sets every float to 0.
    func zero() { pointer.update(repeating: 0, count: count) }

    /// A read-only view of the floats.
    var view: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: pointer, count: count) }
}

/// Reads one DeepFilterNet3 graph's weights by name, checking shapes and the Conv nodes' attributes against the
/// structure the layers are written for.
struct DFNGraphWeights {
    let graph: ONNXGraph
    let file: String

    /// The float tensor `name` (an initializer or a Constant node's value), which must have `shape`.
    func tensor(_ name: String, _ shape: [Int]) throws(ScrimError) -> ONNXTensor {
        guard let tensor = graph.tensor(named: name), tensor.dataType == ONNXTensor.DataType.float,
              tensor.floats.count == tensor.elementCount
        else {
            throw ScrimError(.invalidDocument, "\(file) has no float tensor \(name)")
        }
        guard tensor.dims == shape else {
            throw ScrimError(.invalidDocument, "\(file): \(name) has shape \(tensor.dims), expected \(shape)")
        }
        return tensor
    }

    /// The values of `tensor(name, shape)`.
    func floats(_ name: String, _ shape: [Int]) throws(ScrimError) -> [Float] {
        try tensor(name, shape).floats
    }

    /// The one float of a scalar Constant.
    func scalar(_ name: String) throws(ScrimError) -> Float {
        let t = try tensor(name, [])
        guard let value = t.floats.first else { throw ScrimError(.invalidDocument, "\(file): \(name) is empty") }
        return value
    }

    /// Checks that the `opType` node whose weight input is `weight` has these attributes (ONNX Conv /
    /// ConvTranspose: `group`, `kernel_shape`, `strides`, `pads` as [t_begin, f_begin, t_end, f_end]).
    func checkConvolution(_ weight: String, opType: String = "Conv", group: Int, kernel: [Int], strides: [Int],
                          pads: [Int]) throws(ScrimError) {
        guard let node = graph.nodes.first(where: { $0.opType == opType && $0.inputs.count > 1
                                                    && $0.inputs[1] == weight })
        else {
            throw ScrimError(.invalidDocument, "\(file) has no \(opType) node with weight \(weight)")
        }
        let found = (Int(node.attribute(named: "group")?.int ?? 1),
                     node.attribute(named: "kernel_shape")?.ints?.map(Int.init) ?? [],
                     node.attribute(named: "strides")?.ints?.map(Int.init) ?? [1, 1],
                     node.attribute(named: "pads")?.ints?.map(Int.init) ?? [0, 0, 0, 0])
        guard found.0 == group, found.1 == kernel, found.2 == strides, found.3 == pads else {
            throw ScrimError(.invalidDocument,
                             "\(file): \(opType) \(node.name) has group \(found.0), kernel \(found.1), strides "
                                 + "\(found.2), pads \(found.3); expected \(group), \(kernel), \(strides), \(pads)")
        }
    }
}

/// Integers allocated once and zeroed, freed with the object: the batch's frame lists.
///
/// - Threading: not `Sendable`; the owner's discipline applies. Nothing here allocates after `init`.
final class NeuralIndexBuffer {
    /// The first integer; valid for ``count`` integers while this object lives.
    let pointer: UnsafeMutablePointer<Int>
    /// Number of integers.
    let count: Int

    /// `count` zeros.
    init(count: Int) {
        precondition(count >= 0, "NeuralIndexBuffer count \(count) is negative")
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }
}

/// Where the frames of a batch are: frame j at `base + stride · indices[j]` (or `base + stride · j` without
/// indices). Lets a decoder read only the frames it runs on (those the local SNR selects) straight from the
/// encoder's batch storage. A borrowed view: valid while the storage it points into lives and is not rewritten.
struct NeuralFrames {
    let base: UnsafePointer<Float>
    let stride: Int
    let indices: UnsafePointer<Int>?

    /// Frame j's first float.
    @inline(__always)
    subscript(_ j: Int) -> UnsafePointer<Float> { base + stride * (indices.map { $0[j] } ?? j) }

    /// Frames laid out one after another, `stride` floats apart.
    init(_ base: UnsafePointer<Float>, stride: Int, indices: UnsafePointer<Int>? = nil) {
        self.base = base
        self.stride = stride
        self.indices = indices
    }
}

/// The weights of a 2-D convolution over [time][frequency] (`scrim_neural_conv2d`), immutable once built, shared
/// by every channel's layer.
struct ConvolutionWeights {
    let shape: scrim_conv2d_shape
    let weight: NeuralBuffer
    let bias: NeuralBuffer?
    /// Output bins per channel.
    let outputCount: Int

    /// - Parameters:
    ///   - weight: ONNX Conv `W`, [outChannels][inChannels/groups][kT][kF].
    ///   - bias: ONNX Conv `B` (outChannels values) or nil.
    init(weight: [Float], bias: [Float]?, inChannels: Int, outChannels: Int, groups: Int, frequencyCount: Int,
         kernelTime: Int, kernelFrequency: Int, strideFrequency: Int, padFrequency: Int) {
        precondition(weight.count == outChannels * inChannels / groups * kernelTime * kernelFrequency,
                     "convolution weight has \(weight.count) values")
        precondition(kernelTime >= 1 && kernelTime <= Int(SCRIM_CONV2D_MAX_KERNEL_TIME),
                     "convolution kernel of \(kernelTime) frames")
        shape = scrim_conv2d_shape(inChannels: Int64(inChannels), outChannels: Int64(outChannels),
                                   groups: Int64(groups), frequencyCount: Int64(frequencyCount),
                                   kernelTime: Int64(kernelTime), kernelFrequency: Int64(kernelFrequency),
                                   strideFrequency: Int64(strideFrequency), padFrequency: Int64(padFrequency))
        self.weight = NeuralBuffer(weight)
        self.bias = bias.map { NeuralBuffer($0) }
        outputCount = (frequencyCount + 2 * padFrequency - kernelFrequency) / strideFrequency + 1
    }

    /// Input floats per frame, inChannels·F.
    var inputFrameCount: Int { Int(shape.inChannels * shape.frequencyCount) }
    /// Output floats per frame, outChannels·outputCount.
    var outputFrameCount: Int { Int(shape.outChannels) * outputCount }
    /// Frames the kernel spans in time.
    var kernelTime: Int { Int(shape.kernelTime) }
    /// Floats of the weights.
    var floatCount: Int { weight.count + (bias?.count ?? 0) }

    /// One output frame of a kernel one frame long: `input` [inChannels][F] → `output` [outChannels][outputCount].
    /// Does not allocate.
    func apply(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        precondition(shape.kernelTime == 1, "apply(_:into:) is for kernels one frame long")
        withUnsafePointer(to: shape) { shapePointer in
            scrim_neural_conv2d(output, input, weight.pointer, bias?.pointer, shapePointer)
        }
    }
}

/// A 2-D convolution over [time][frequency], causal in time (`scrim_neural_conv2d_frames`), run over a batch of
/// frames: shared weights, and per stream the last kernelTime − 1 input frames.
///
/// The graphs pad kernelTime − 1 zero frames before the sequence (DeepFilterNet df/modules.py:45-48,
/// `Conv2dNormAct`, lookahead 0), so a fresh layer's history is zeros and frame t of the stream equals frame t of
/// the whole-sequence graph. In frequency it pads `padFrequency` zero bins on each side. Each output frame is the
/// kernel's sum over the same input frames in the same order whatever the batch split, so batches of any size give
/// the bits of frame-by-frame calls.
struct CausalConvolution {
    let weights: ConvolutionWeights
    /// The last kernelTime − 1 input frames, [kT − 1][inChannels][F], oldest first.
    let history: NeuralBuffer
    /// The window's frame pointers handed to the kernel (kernelTime of them).
    private let window: UnsafeMutablePointer<UnsafePointer<Float>?>
    private let windowOwner: NeuralPointerStorage

    init(weights: ConvolutionWeights) {
        self.weights = weights
        history = NeuralBuffer(count: (weights.kernelTime - 1) * weights.inputFrameCount)
        windowOwner = NeuralPointerStorage(count: weights.kernelTime)
        window = windowOwner.pointer
    }

    /// Output frames for input frames 0 ..< count of `input`: output frame j at `output + j · outputStride`, from
    /// input frames j − kT + 1 … j (earlier ones from the history); then keeps the last kT − 1 input frames as the
    /// history. Does not allocate.
    func process(count: Int, input: NeuralFrames, into output: UnsafeMutablePointer<Float>, outputStride: Int) {
        for j in 0..<count { frame(j, of: input, into: output + j * outputStride) }
        advance(count: count, input: input)
    }

    /// Output frame j of a batch whose frames are `input` (frames before 0 from the history), without moving the
    /// history: call ``advance(count:input:)`` once the batch's frames are done. Does not allocate.
    func frame(_ j: Int, of input: NeuralFrames, into output: UnsafeMutablePointer<Float>) {
        let kt = weights.kernelTime, frame = weights.inputFrameCount
        let past = kt - 1
        for dt in 0..<kt {
            let source = j - past + dt
            window[dt] = source < 0 ? UnsafePointer(history.pointer + (past + source) * frame) : input[source]
        }
        withUnsafePointer(to: weights.shape) { shapePointer in
            scrim_neural_conv2d_frames(output, window, weights.weight.pointer, weights.bias?.pointer, shapePointer)
        }
    }

    /// Keeps the last kT − 1 frames of (history, input frames 0 ..< count) as the history. Does not allocate.
    func advance(count: Int, input: NeuralFrames) {
        let past = weights.kernelTime - 1, frame = weights.inputFrameCount
        guard past > 0, count > 0 else { return }
        let kept = max(past - count, 0)
        if kept > 0 { history.pointer.update(from: history.pointer + count * frame, count: kept * frame) }
        for slot in kept..<past {
            (history.pointer + slot * frame).update(from: input[count - past + slot], count: frame)
        }
    }

    /// Clears the time history (a fresh stream).
    func reset() { history.zero() }
}

/// Storage for a few pointers, freed with the object.
final class NeuralPointerStorage {
    let pointer: UnsafeMutablePointer<UnsafePointer<Float>?>

    init(count: Int) {
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: nil, count: max(count, 1))
    }

    deinit { pointer.deallocate() }
}

/// A 1×1 convolution with bias: out[o][f] = b[o] + Σᵢ W[o][i]·in[i][f] (`scrim_neural_matmul`), already a
/// matrix–matrix product per frame. Weights only: shared by every channel.
struct PointwiseConvolution {
    let weight: NeuralBuffer
    let bias: NeuralBuffer
    let inChannels: Int
    let outChannels: Int

    /// - Parameters: weight: ONNX Conv `W` [outChannels][inChannels][1][1]; bias: outChannels values.
    init(weight: [Float], bias: [Float], inChannels: Int, outChannels: Int) {
        precondition(weight.count == inChannels * outChannels && bias.count == outChannels,
                     "pointwise weight \(weight.count), bias \(bias.count)")
        self.weight = NeuralBuffer(weight)
        self.bias = NeuralBuffer(bias)
        self.inChannels = inChannels
        self.outChannels = outChannels
    }

    /// Floats of the weights.
    var floatCount: Int { weight.count + bias.count }

    /// `input` [inChannels][bins] → `output` [outChannels][bins]. Does not allocate.
    func process(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, bins: Int) {
        scrim_neural_matmul(output, weight.pointer, input, bias.pointer, Int64(outChannels), Int64(inChannels),
                            Int64(bins))
    }
}

/// DeepFilterNet's grouped linear layer (`GroupedLinearEinsum`, df/modules.py:741; the graphs' Einsum
/// btgi,gih->btgh, no bias): the input split into `groups` groups of `inCount`, each through its own
/// [inCount][outCount] matrix. Weights only: shared by every channel.
struct GroupedLinear {
    let weight: NeuralBuffer
    let groups: Int
    let inCount: Int
    let outCount: Int

    /// - Parameter weight: the Einsum initializer [groups][inCount][outCount] as stored.
    init(weight: [Float], groups: Int, inCount: Int, outCount: Int) {
        precondition(weight.count == groups * inCount * outCount, "grouped linear weight has \(weight.count)")
        self.weight = NeuralBuffer(weight)
        self.groups = groups
        self.inCount = inCount
        self.outCount = outCount
    }

    /// Floats of the weights.
    var floatCount: Int { weight.count }

    /// `count` frames at once (`scrim_neural_grouped_linear_frames`, the bits of frame-by-frame
    /// `scrim_neural_grouped_linear`): `input` [count][groups·inCount] → `output` [count][groups·outCount].
    /// Does not allocate.
    func process(count: Int, _ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        scrim_neural_grouped_linear_frames(output, input, weight.pointer, Int64(count), Int64(groups),
                                           Int64(inCount), Int64(outCount))
    }
}

/// The weights of one ONNX GRU layer (forward, linear_before_reset = 1, gates z, r, h), transposed and cut into
/// column panels for the kernels (`scrim_neural_pack_panels`: each product reads its weights front to back, about
/// twice as fast from cache as rows 3H floats apart); shared by every channel.
struct GRUWeights {
    /// W transposed, [inputCount][3·hiddenCount], in panels.
    let wPacked: NeuralBuffer
    /// R transposed, [hiddenCount][3·hiddenCount], in panels.
    let rPacked: NeuralBuffer
    /// ONNX B: Wb then Rb, 6·hiddenCount.
    let bias: NeuralBuffer
    let inputCount: Int
    let hiddenCount: Int

    /// - Parameters: w: ONNX W [1][3H][inputCount]; r: ONNX R [1][3H][H]; b: ONNX B [1][6H].
    init(w: [Float], r: [Float], b: [Float], inputCount: Int, hiddenCount: Int) {
        let h3 = 3 * hiddenCount
        precondition(w.count == h3 * inputCount && r.count == h3 * hiddenCount && b.count == 2 * h3,
                     "GRU weights \(w.count), \(r.count), \(b.count)")
        func packedTranspose(_ m: [Float], rows: Int, columns: Int) -> NeuralBuffer {
            var t = [Float](repeating: 0, count: m.count)
            for i in 0..<rows {
                for j in 0..<columns { t[j * rows + i] = m[i * columns + j] }
            }
            let packed = NeuralBuffer(count: m.count)
            scrim_neural_pack_panels(packed.pointer, t, Int64(columns), Int64(rows))
            return packed
        }
        wPacked = packedTranspose(w, rows: h3, columns: inputCount)
        rPacked = packedTranspose(r, rows: h3, columns: hiddenCount)
        bias = NeuralBuffer(b)
        self.inputCount = inputCount
        self.hiddenCount = hiddenCount
    }

    /// Floats of the weights.
    var floatCount: Int { wPacked.count + rPacked.count + bias.count }
}

/// One GRU layer's stream: shared weights and this stream's hidden state (zero at the start, as the graphs'
/// `initial_h`, ConstantOfShape 0). A batch runs the input products x·Wᵀ of all its frames as one matrix product
/// per panel (`scrim_neural_linear_frames`) and only h·Rᵀ and the gates frame by frame (`scrim_neural_gru_sequence`);
/// the bits equal `scrim_neural_gru_step` frame by frame.
struct GRULayer {
    let weights: GRUWeights
    let hidden: NeuralBuffer
    let scratch: NeuralBuffer

    init(weights: GRUWeights) {
        self.weights = weights
        hidden = NeuralBuffer(count: weights.hiddenCount)
        scratch = NeuralBuffer(count: 3 * weights.hiddenCount)
    }

    /// `count` steps: `input` [count][inputCount] → `output` [count][hiddenCount] (the hidden state after each
    /// frame). `gates`: scratch for count·3·hiddenCount floats. Does not allocate.
    func process(count: Int, _ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
                 gates: UnsafeMutablePointer<Float>) {
        let h = weights.hiddenCount, h3 = 3 * h, k = weights.inputCount, panel = Int(SCRIM_NEURAL_PANEL)
        for p0 in stride(from: 0, to: h3, by: panel) {
            scrim_neural_linear_frames(gates + p0, Int64(h3), input, Int64(k), weights.wPacked.pointer + p0 * k,
                                       weights.bias.pointer + p0, Int64(count), Int64(k), Int64(min(panel, h3 - p0)))
        }
        scrim_neural_gru_sequence(hidden.pointer, output, Int64(h), gates, Int64(h3), weights.rPacked.pointer,
                                  weights.bias.pointer + h3, scratch.pointer, Int64(count), Int64(h))
    }

    /// Zero hidden state (a fresh stream).
    func reset() { hidden.zero() }
}

/// dst[f·channels + c] = src[c·bins + f]: a [channels][bins] plane to the graphs' channels-last order
/// (`permute(0, 2, 3, 1)` then `flatten`).
@inline(__always)
func channelsLast(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, channels: Int, bins: Int) {
    for c in 0..<channels {
        for f in 0..<bins { dst[f * channels + c] = src[c * bins + f] }
    }
}
