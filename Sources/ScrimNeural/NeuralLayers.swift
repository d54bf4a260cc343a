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

/// A 2-D convolution over [time][frequency], causal in time, run one frame at a time (`scrim_neural_conv2d`).
///
/// The graphs pad kernelTime − 1 zero frames before the sequence (DeepFilterNet df/modules.py:45-48,
/// `Conv2dNormAct`, lookahead 0), so a fresh layer's history is zeros and frame t of the stream equals frame t of
/// the whole-sequence graph. In frequency it pads `padFrequency` zero bins on each side.
struct CausalConvolution {
    let shape: scrim_conv2d_shape
    let weight: NeuralBuffer
    let bias: NeuralBuffer?
    /// The last kernelTime input frames, [kT][inChannels][F], oldest first.
    let history: NeuralBuffer
    /// Output bins per channel.
    let outputCount: Int

    /// - Parameters:
    ///   - weight: ONNX Conv `W`, [outChannels][inChannels/groups][kT][kF].
    ///   - bias: ONNX Conv `B` (outChannels values) or nil.
    init(weight: [Float], bias: [Float]?, inChannels: Int, outChannels: Int, groups: Int, frequencyCount: Int,
         kernelTime: Int, kernelFrequency: Int, strideFrequency: Int, padFrequency: Int) {
        precondition(weight.count == outChannels * inChannels / groups * kernelTime * kernelFrequency,
                     "convolution weight has \(weight.count) values")
        shape = scrim_conv2d_shape(inChannels: Int64(inChannels), outChannels: Int64(outChannels),
                                   groups: Int64(groups), frequencyCount: Int64(frequencyCount),
                                   kernelTime: Int64(kernelTime), kernelFrequency: Int64(kernelFrequency),
                                   strideFrequency: Int64(strideFrequency), padFrequency: Int64(padFrequency))
        self.weight = NeuralBuffer(weight)
        self.bias = bias.map { NeuralBuffer($0) }
        history = NeuralBuffer(count: kernelTime * inChannels * frequencyCount)
        outputCount = (frequencyCount + 2 * padFrequency - kernelFrequency) / strideFrequency + 1
    }

    /// Input floats per frame, inChannels·F.
    var inputFrameCount: Int { Int(shape.inChannels * shape.frequencyCount) }
    /// Output floats per frame, outChannels·outputCount.
    var outputFrameCount: Int { Int(shape.outChannels) * outputCount }

    /// One frame: `input` [inChannels][F] → `output` [outChannels][outputCount]. Does not allocate.
    func process(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        let frame = inputFrameCount
        let kt = Int(shape.kernelTime)
        if kt > 1 {
            history.pointer.update(from: history.pointer + frame, count: (kt - 1) * frame)
        }
        (history.pointer + (kt - 1) * frame).update(from: input, count: frame)
        withUnsafePointer(to: shape) { shapePointer in
            scrim_neural_conv2d(output, history.pointer, weight.pointer, bias?.pointer, shapePointer)
        }
    }

    /// Clears the time history (a fresh stream).
    func reset() { history.zero() }
}

/// A 1×1 convolution with bias: out[o][f] = b[o] + Σᵢ W[o][i]·in[i][f] (`scrim_neural_matmul`).
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

    /// `input` [inChannels][bins] → `output` [outChannels][bins]. Does not allocate.
    func process(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, bins: Int) {
        scrim_neural_matmul(output, weight.pointer, input, bias.pointer, Int64(outChannels), Int64(inChannels),
                            Int64(bins))
    }
}

/// DeepFilterNet's grouped linear layer (`GroupedLinearEinsum`, df/modules.py:741; the graphs' Einsum
/// btgi,gih->btgh, no bias): the input split into `groups` groups of `inCount`, each through its own
/// [inCount][outCount] matrix (`scrim_neural_grouped_linear`).
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

    /// `input` (groups·inCount) → `output` (groups·outCount). Does not allocate.
    func process(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        scrim_neural_grouped_linear(output, input, weight.pointer, Int64(groups), Int64(inCount), Int64(outCount))
    }
}

/// One ONNX GRU layer (forward, linear_before_reset = 1, gates z, r, h), run one frame at a time
/// (`scrim_neural_gru_step`); the hidden state starts at zero, as the graphs' `initial_h` (ConstantOfShape 0).
struct GRULayer {
    /// W transposed, [inputCount][3·hiddenCount].
    let wT: NeuralBuffer
    /// R transposed, [hiddenCount][3·hiddenCount].
    let rT: NeuralBuffer
    /// ONNX B: Wb then Rb, 6·hiddenCount.
    let bias: NeuralBuffer
    let hidden: NeuralBuffer
    let scratch: NeuralBuffer
    let inputCount: Int
    let hiddenCount: Int

    /// - Parameters: w: ONNX W [1][3H][inputCount]; r: ONNX R [1][3H][H]; b: ONNX B [1][6H].
    init(w: [Float], r: [Float], b: [Float], inputCount: Int, hiddenCount: Int) {
        let h3 = 3 * hiddenCount
        precondition(w.count == h3 * inputCount && r.count == h3 * hiddenCount && b.count == 2 * h3,
                     "GRU weights \(w.count), \(r.count), \(b.count)")
        func transposed(_ m: [Float], rows: Int, columns: Int) -> [Float] {
            var t = [Float](repeating: 0, count: m.count)
            for i in 0..<rows {
                for j in 0..<columns { t[j * rows + i] = m[i * columns + j] }
            }
            return t
        }
        wT = NeuralBuffer(transposed(w, rows: h3, columns: inputCount))
        rT = NeuralBuffer(transposed(r, rows: h3, columns: hiddenCount))
        bias = NeuralBuffer(b)
        hidden = NeuralBuffer(count: hiddenCount)
        scratch = NeuralBuffer(count: 2 * h3)
        self.inputCount = inputCount
        self.hiddenCount = hiddenCount
    }

    /// One step: `input` (inputCount) updates the hidden state, which is copied to `output` (hiddenCount).
    func process(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        scrim_neural_gru_step(hidden.pointer, input, wT.pointer, rT.pointer, bias.pointer, scratch.pointer,
                              Int64(inputCount), Int64(hiddenCount))
        output.update(from: hidden.pointer, count: hiddenCount)
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
