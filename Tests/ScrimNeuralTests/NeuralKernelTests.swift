import CScrimVector
import Foundation
import Testing

/// CScrimVector's neural kernels (scrim_neural.h): each fast loop against its plain reference loop, bit for bit,
/// and the reference against the definition computed here in double precision.
///
/// Tolerance of the double-precision comparisons: a float32 sum of K products, taken in order, is within
/// K·ε·Σ|terms| of the exact value (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., §3.1; ε =
/// 2⁻²⁴); with the sizes here (K ≤ 256) that is ≤ 1.6·10⁻⁵·Σ|terms|, so each output is checked against
/// 2·10⁻⁵·Σ|terms| + 10⁻⁶.
@Suite struct NeuralKernelTests {
    /// xorshift32, uniform in [−1, 1).
    struct Noise {
        var state: UInt32
        mutating func next() -> Float {
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            return Float(state >> 8) / 8_388_608 - 1
        }
        mutating func values(_ count: Int) -> [Float] { (0..<count).map { _ in next() } }
    }

    static func bits(_ x: [Float]) -> [UInt32] { x.map(\.bitPattern) }

    static func expectClose(_ actual: [Float], _ exact: [Double], _ magnitude: [Double],
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == exact.count, sourceLocation: sourceLocation)
        var worst = 0.0
        for i in actual.indices {
            let allowed = 2e-5 * magnitude[i] + 1e-6
            worst = max(worst, abs(Double(actual[i]) - exact[i]) / allowed)
        }
        #expect(worst <= 1, "worst error is \(worst) of the allowed", sourceLocation: sourceLocation)
    }

    @Test(arguments: [(1, 1), (7, 5), (32, 32), (96, 16), (256, 768), (512, 1), (33, 65)])
    func matvecMatchesReferenceAndDefinition(k: Int, n: Int) {
        var noise = Noise(state: UInt32(1 + k * 31 + n))
        let x = noise.values(k), w = noise.values(k * n), bias = noise.values(n)
        for withBias in [false, true] {
            var fast = [Float](repeating: .nan, count: n), reference = fast
            let b: [Float]? = withBias ? bias : nil
            b.withOptionalPointer { bp in
                scrim_neural_matvec(&fast, x, w, bp, Int64(k), Int64(n))
                scrim_neural_matvec_reference(&reference, x, w, bp, Int64(k), Int64(n))
            }
            #expect(Self.bits(fast) == Self.bits(reference))
            var exact = [Double](repeating: 0, count: n), magnitude = exact
            for j in 0..<n {
                exact[j] = withBias ? Double(bias[j]) : 0
                magnitude[j] = abs(exact[j])
                for i in 0..<k {
                    exact[j] += Double(x[i]) * Double(w[i * n + j])
                    magnitude[j] += abs(Double(x[i]) * Double(w[i * n + j]))
                }
            }
            Self.expectClose(reference, exact, magnitude)
        }
    }

    @Test(arguments: [(64, 64, 96), (64, 64, 8), (10, 10, 3), (3, 5, 1)])
    func matmulMatchesReferenceAndDefinition(m: Int, k: Int, n: Int) {
        var noise = Noise(state: UInt32(7 + m * k + n))
        let w = noise.values(m * k), input = noise.values(k * n), bias = noise.values(m)
        var fast = [Float](repeating: .nan, count: m * n), reference = fast
        scrim_neural_matmul(&fast, w, input, bias, Int64(m), Int64(k), Int64(n))
        scrim_neural_matmul_reference(&reference, w, input, bias, Int64(m), Int64(k), Int64(n))
        #expect(Self.bits(fast) == Self.bits(reference))
        var exact = [Double](repeating: 0, count: m * n), magnitude = exact
        for o in 0..<m {
            for f in 0..<n {
                var s = Double(bias[o]), a = abs(s)
                for i in 0..<k {
                    s += Double(w[o * k + i]) * Double(input[i * n + f])
                    a += abs(Double(w[o * k + i]) * Double(input[i * n + f]))
                }
                exact[o * n + f] = s
                magnitude[o * n + f] = a
            }
        }
        Self.expectClose(reference, exact, magnitude)
    }

    /// The batch form: each frame's outputs are scrim_neural_matvec's bits for that frame (frame counts around the
    /// 8-frame block, strides wider than the rows), the reference is the same, and both meet the definition.
    @Test(arguments: [(1, 256, 768), (7, 96, 16), (8, 256, 1), (13, 256, 768), (17, 16, 60), (9, 33, 65)])
    func linearFramesEqualMatvecPerFrameAndDefinition(frames: Int, k: Int, n: Int) {
        var noise = Noise(state: UInt32(17 + frames * k + n))
        let xStride = k + 3, yStride = n + 5
        let x = noise.values(frames * xStride), w = noise.values(k * n), bias = noise.values(n)
        for withBias in [false, true] {
            let b: [Float]? = withBias ? bias : nil
            var fast = [Float](repeating: .nan, count: frames * yStride), reference = fast, perFrame = fast
            b.withOptionalPointer { bp in
                scrim_neural_linear_frames(&fast, Int64(yStride), x, Int64(xStride), w, bp, Int64(frames), Int64(k),
                                           Int64(n))
                scrim_neural_linear_frames_reference(&reference, Int64(yStride), x, Int64(xStride), w, bp,
                                                     Int64(frames), Int64(k), Int64(n))
                perFrame.withUnsafeMutableBufferPointer { y in
                    x.withUnsafeBufferPointer { xs in
                        for t in 0..<frames {
                            scrim_neural_matvec(y.baseAddress.unsafelyUnwrapped + t * yStride,
                                                xs.baseAddress.unsafelyUnwrapped + t * xStride, w, bp, Int64(k),
                                                Int64(n))
                        }
                    }
                }
            }
            #expect(Self.bits(fast) == Self.bits(reference))
            #expect(Self.bits(fast) == Self.bits(perFrame))
            var exact = [Double](), magnitude = [Double](), computed = [Float]()
            for t in 0..<frames {
                for j in 0..<n {
                    var sum = withBias ? Double(bias[j]) : 0, mag = abs(sum)
                    for i in 0..<k {
                        let term = Double(x[t * xStride + i]) * Double(w[i * n + j])
                        sum += term
                        mag += abs(term)
                    }
                    exact.append(sum)
                    magnitude.append(mag)
                    computed.append(reference[t * yStride + j])
                }
            }
            // K ≤ 256 here, so the suite's bound (K·2⁻²⁴ ≤ 1.6·10⁻⁵ of Σ|terms|, checked at 2·10⁻⁵) applies.
            Self.expectClose(computed, exact, magnitude)
        }
    }

    /// Column panels: every element lands where the layout says, and a product over the panels (one
    /// scrim_neural_linear_frames call per panel) gives the bits of the product on the unpacked matrix.
    @Test(arguments: [(256, 768), (3, 9), (40, 120), (7, 300)])
    func panelsHoldTheMatrixAndKeepTheProductsBits(rows: Int, columns: Int) {
        var noise = Noise(state: UInt32(29 + rows * columns))
        let m = noise.values(rows * columns), panel = Int(SCRIM_NEURAL_PANEL)
        var packed = [Float](repeating: .nan, count: m.count)
        scrim_neural_pack_panels(&packed, m, Int64(rows), Int64(columns))
        var misplaced = 0
        for i in 0..<rows {
            for j in 0..<columns {
                let p0 = j / panel * panel, width = min(panel, columns - p0)
                if packed[p0 * rows + i * width + j - p0] != m[i * columns + j] { misplaced += 1 }
            }
        }
        #expect(misplaced == 0)
        let frames = 11
        let x = noise.values(frames * rows), bias = noise.values(columns)
        var plain = [Float](repeating: .nan, count: frames * columns), panels = plain
        scrim_neural_linear_frames(&plain, Int64(columns), x, Int64(rows), m, bias, Int64(frames), Int64(rows),
                                   Int64(columns))
        panels.withUnsafeMutableBufferPointer { y in
            packed.withUnsafeBufferPointer { w in
                bias.withUnsafeBufferPointer { b in
                    for p0 in stride(from: 0, to: columns, by: panel) {
                        scrim_neural_linear_frames(y.baseAddress.unsafelyUnwrapped + p0, Int64(columns), x,
                                                   Int64(rows), w.baseAddress.unsafelyUnwrapped + p0 * rows,
                                                   b.baseAddress.unsafelyUnwrapped + p0, Int64(frames), Int64(rows),
                                                   Int64(min(panel, columns - p0)))
                    }
                }
            }
        }
        #expect(Self.bits(panels) == Self.bits(plain))
    }

    /// The grouped batch form: each frame's outputs are scrim_neural_grouped_linear's bits for that frame.
    @Test(arguments: [(1, 32, 96, 16), (13, 16, 32, 16), (8, 8, 64, 32), (5, 16, 16, 60)])
    func groupedLinearFramesEqualGroupedLinearPerFrame(frames: Int, groups: Int, inCount: Int, outCount: Int) {
        var noise = Noise(state: UInt32(19 + frames * groups * inCount + outCount))
        let x = noise.values(frames * groups * inCount), w = noise.values(groups * inCount * outCount)
        let perFrameOut = groups * outCount, perFrameIn = groups * inCount
        var fast = [Float](repeating: .nan, count: frames * perFrameOut), reference = fast, perFrame = fast
        scrim_neural_grouped_linear_frames(&fast, x, w, Int64(frames), Int64(groups), Int64(inCount),
                                           Int64(outCount))
        scrim_neural_grouped_linear_frames_reference(&reference, x, w, Int64(frames), Int64(groups), Int64(inCount),
                                                     Int64(outCount))
        for t in 0..<frames {
            var y = [Float](repeating: .nan, count: perFrameOut)
            scrim_neural_grouped_linear(&y, Array(x[(t * perFrameIn)..<((t + 1) * perFrameIn)]), w, Int64(groups),
                                        Int64(inCount), Int64(outCount))
            perFrame.replaceSubrange((t * perFrameOut)..<((t + 1) * perFrameOut), with: y)
        }
        #expect(Self.bits(fast) == Self.bits(reference))
        #expect(Self.bits(fast) == Self.bits(perFrame))
        // The reference is frame by frame scrim_neural_grouped_linear_reference, checked against the Einsum in
        // groupedLinearMatchesReferenceAndEinsum.
    }

    /// The GRU over a sequence with precomputed input products equals scrim_neural_gru_step frame by frame, its
    /// reference, and the ONNX equations in double precision.
    @Test(arguments: [(1, 256, 256), (11, 256, 256), (6, 5, 3), (9, 64, 40)])
    func gruSequenceEqualsStepsAndONNXEquations(frames: Int, inputCount: Int, hiddenCount: Int) {
        let h3 = 3 * hiddenCount, H = hiddenCount
        var noise = Noise(state: UInt32(23 + frames + inputCount + hiddenCount))
        let scale = 1 / Float(inputCount).squareRoot()
        let wT = noise.values(inputCount * h3).map { $0 * scale }
        let rT = noise.values(hiddenCount * h3).map { $0 * scale }
        let bias = noise.values(2 * h3).map { $0 * 0.5 }
        let start = noise.values(hiddenCount).map { $0 * 0.9 }
        let x = noise.values(frames * inputCount).map { $0 * 2 }
        var gx = [Float](repeating: .nan, count: frames * h3)
        scrim_neural_linear_frames(&gx, Int64(h3), x, Int64(inputCount), wT, bias, Int64(frames), Int64(inputCount),
                                   Int64(h3))
        var hFast = start, hReference = start, hStep = start
        var outFast = [Float](repeating: .nan, count: frames * H), outReference = outFast, outStep = outFast
        var scratch = [Float](repeating: 0, count: 2 * h3)
        var packed = [Float](repeating: .nan, count: rT.count)
        scrim_neural_pack_panels(&packed, rT, Int64(H), Int64(h3))
        scrim_neural_gru_sequence(&hFast, &outFast, Int64(H), gx, Int64(h3), packed, Array(bias[h3...]), &scratch,
                                  Int64(frames), Int64(H))
        scrim_neural_gru_sequence_reference(&hReference, &outReference, Int64(H), gx, Int64(h3), packed,
                                            Array(bias[h3...]), &scratch, Int64(frames), Int64(H))
        for t in 0..<frames {
            scrim_neural_gru_step(&hStep, Array(x[(t * inputCount)..<((t + 1) * inputCount)]), wT, rT, bias,
                                  &scratch, Int64(inputCount), Int64(H))
            outStep.replaceSubrange((t * H)..<((t + 1) * H), with: hStep)
        }
        #expect(Self.bits(outFast) == Self.bits(outReference) && Self.bits(hFast) == Self.bits(hReference))
        #expect(Self.bits(outFast) == Self.bits(outStep))
        // ONNX GRU (linear_before_reset = 1) in double precision with libm's exp and tanh.
        var exactHidden = start.map(Double.init)
        var worst = 0.0
        func sigmoid(_ v: Double) -> Double { 1 / (1 + Foundation.exp(-v)) }
        for t in 0..<frames {
            var gxe = [Double](repeating: 0, count: h3), ghe = gxe
            for j in 0..<h3 {
                gxe[j] = Double(bias[j])
                ghe[j] = Double(bias[h3 + j])
                for i in 0..<inputCount { gxe[j] += Double(x[t * inputCount + i]) * Double(wT[i * h3 + j]) }
                for i in 0..<H { ghe[j] += exactHidden[i] * Double(rT[i * h3 + j]) }
            }
            exactHidden = (0..<H).map { j in
                let z = sigmoid(gxe[j] + ghe[j])
                let r = sigmoid(gxe[H + j] + ghe[H + j])
                let n = Foundation.tanh(gxe[2 * H + j] + r * ghe[2 * H + j])
                return (1 - z) * n + z * exactHidden[j]
            }
            for j in 0..<H { worst = max(worst, abs(Double(outReference[t * H + j]) - exactHidden[j])) }
        }
        // As gruStepMatchesReferenceAndONNXEquations: outputs in (−1, 1), float32 sums of ≤ 512 terms of size
        // ≤ 2·scale per step (≤ 3·10⁻⁶ each, by the bound above with random signs), the activations within 3·10⁻⁷,
        // and the state's error carried on with a factor below 1 (z ∈ (0, 1)) over ≤ 11 steps: 2·10⁻⁵.
        #expect(worst < 2e-5, "GRU sequence differs from the ONNX equations by \(worst)")
    }

    /// The graphs' Einsum btgi,gih->btgh for one frame.
    @Test(arguments: [(32, 96, 16), (16, 32, 16), (16, 16, 32), (8, 64, 32), (16, 16, 60)])
    func groupedLinearMatchesReferenceAndEinsum(groups: Int, inCount: Int, outCount: Int) {
        var noise = Noise(state: UInt32(3 + groups * inCount * outCount))
        let x = noise.values(groups * inCount), w = noise.values(groups * inCount * outCount)
        var fast = [Float](repeating: .nan, count: groups * outCount), reference = fast
        scrim_neural_grouped_linear(&fast, x, w, Int64(groups), Int64(inCount), Int64(outCount))
        scrim_neural_grouped_linear_reference(&reference, x, w, Int64(groups), Int64(inCount), Int64(outCount))
        #expect(Self.bits(fast) == Self.bits(reference))
        var exact = [Double](repeating: 0, count: groups * outCount), magnitude = exact
        for g in 0..<groups {
            for h in 0..<outCount {
                for i in 0..<inCount {
                    let term = Double(x[g * inCount + i]) * Double(w[(g * inCount + i) * outCount + h])
                    exact[g * outCount + h] += term
                    magnitude[g * outCount + h] += abs(term)
                }
            }
        }
        Self.expectClose(reference, exact, magnitude)
    }

    /// (inChannels, outChannels, groups, F, kT, kF, stride, pad): the encoder's and decoders' convolutions (the
    /// depthwise ones take their own loops: kF 3 stride 2, kF 3 over 8 bins, kF 1) and odd shapes (an interior whose
    /// last register block overlaps the one before, depthwise shapes outside those loops).
    static let convolutionShapes: [[Int]] = [
        [1, 64, 1, 32, 3, 3, 1, 1], [2, 64, 2, 96, 3, 3, 1, 1], [64, 64, 64, 32, 1, 3, 2, 1],
        [64, 64, 64, 16, 1, 3, 2, 1], [64, 64, 64, 8, 1, 3, 1, 1], [64, 64, 64, 96, 1, 3, 2, 1],
        [32, 10, 2, 96, 5, 1, 1, 0], [4, 6, 2, 7, 2, 5, 3, 2],
        [64, 64, 64, 8, 1, 1, 1, 0], [64, 64, 64, 16, 1, 1, 1, 0], [64, 64, 64, 32, 1, 1, 1, 0],
        [64, 1, 1, 32, 1, 3, 1, 1], [2, 6, 1, 40, 2, 3, 1, 1], [2, 6, 1, 13, 2, 3, 1, 1],
        [4, 4, 4, 17, 1, 3, 2, 1], [3, 3, 3, 12, 1, 3, 1, 1], [5, 5, 5, 10, 1, 1, 1, 0],
    ]

    /// The depthwise loops and the register blocks without a bias, and with biases of −0 over zero inputs (a sum
    /// that starts at −0 must stay −0 when the terms are −0): the fast loops keep the reference's bits.
    @Test(arguments: convolutionShapes)
    func conv2dKeepsTheReferenceBitsWithoutBiasAndWithSignedZeros(_ s: [Int]) {
        let (cin, cout, groups, bins, kt, kf, stride, pad) = (s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7])
        var shape = scrim_conv2d_shape(inChannels: Int64(cin), outChannels: Int64(cout), groups: Int64(groups),
                                       frequencyCount: Int64(bins), kernelTime: Int64(kt),
                                       kernelFrequency: Int64(kf), strideFrequency: Int64(stride),
                                       padFrequency: Int64(pad))
        let q = Int(scrim_neural_conv2d_output_count(&shape))
        var noise = Noise(state: UInt32(29 + cin * cout + bins * kf))
        // Every third input a zero, weights of both signs, so many products are ±0.
        let input = noise.values(kt * cin * bins).enumerated().map { $0.offset % 3 == 0 ? 0 : $0.element }
        let w = noise.values(cout * cin / groups * kt * kf)
        let negativeZeros = [Float](repeating: -0.0, count: cout)
        for bias in [nil, negativeZeros] as [[Float]?] {
            var fast = [Float](repeating: .nan, count: cout * q), reference = fast
            if let bias {
                scrim_neural_conv2d(&fast, input, w, bias, &shape)
                scrim_neural_conv2d_reference(&reference, input, w, bias, &shape)
            } else {
                scrim_neural_conv2d(&fast, input, w, nil, &shape)
                scrim_neural_conv2d_reference(&reference, input, w, nil, &shape)
            }
            #expect(Self.bits(fast) == Self.bits(reference))
        }
    }

    @Test(arguments: convolutionShapes)
    func conv2dMatchesReferenceAndZeroPaddedDefinition(_ s: [Int]) {
        let (cin, cout, groups, bins, kt, kf, stride, pad) = (s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7])
        var shape = scrim_conv2d_shape(inChannels: Int64(cin), outChannels: Int64(cout), groups: Int64(groups),
                                       frequencyCount: Int64(bins), kernelTime: Int64(kt),
                                       kernelFrequency: Int64(kf), strideFrequency: Int64(stride),
                                       padFrequency: Int64(pad))
        let q = Int(scrim_neural_conv2d_output_count(&shape))
        #expect(q == (bins + 2 * pad - kf) / stride + 1)
        var noise = Noise(state: UInt32(11 + cin * cout + bins * kt))
        let input = noise.values(kt * cin * bins), w = noise.values(cout * cin / groups * kt * kf)
        let bias = noise.values(cout)
        var fast = [Float](repeating: .nan, count: cout * q), reference = fast
        scrim_neural_conv2d(&fast, input, w, bias, &shape)
        scrim_neural_conv2d_reference(&reference, input, w, bias, &shape)
        #expect(Self.bits(fast) == Self.bits(reference))
        // The frames form, with the kT frames given one by one (here pointers into the same contiguous input).
        var framesFast = [Float](repeating: .nan, count: cout * q), framesReference = framesFast
        input.withUnsafeBufferPointer { source in
            let base = source.baseAddress.unsafelyUnwrapped
            let frames: [UnsafePointer<Float>?] = (0..<kt).map { base + $0 * cin * bins }
            scrim_neural_conv2d_frames(&framesFast, frames, w, bias, &shape)
            scrim_neural_conv2d_frames_reference(&framesReference, frames, w, bias, &shape)
        }
        #expect(Self.bits(framesFast) == Self.bits(fast) && Self.bits(framesReference) == Self.bits(fast))
        // The definition: pad the input with explicit zeros, then slide the kernel.
        let padded = bins + 2 * pad
        var x = [Double](repeating: 0, count: kt * cin * padded)
        for t in 0..<kt {
            for c in 0..<cin {
                for f in 0..<bins { x[(t * cin + c) * padded + f + pad] = Double(input[(t * cin + c) * bins + f]) }
            }
        }
        let cpg = cin / groups, opg = cout / groups
        var exact = [Double](repeating: 0, count: cout * q), magnitude = exact
        for o in 0..<cout {
            for p in 0..<q {
                var sum = Double(bias[o]), mag = abs(sum)
                for c in 0..<cpg {
                    for t in 0..<kt {
                        for d in 0..<kf {
                            let term = Double(w[((o * cpg + c) * kt + t) * kf + d])
                                * x[(t * cin + (o / opg) * cpg + c) * padded + p * stride + d]
                            sum += term
                            mag += abs(term)
                        }
                    }
                }
                exact[o * q + p] = sum
                magnitude[o * q + p] = mag
            }
        }
        Self.expectClose(reference, exact, magnitude)
    }

    /// erb_dec's ConvTranspose: kernel 1×3, stride 2, pads 1, output_padding 1 (8 → 16 and 16 → 32 bins, and 24 →
    /// 48: the vector loop for this shape over several blocks), that shape without output_padding or over 5 bins
    /// (the general loop), and odd shapes.
    @Test(arguments: [(8, 2, 1, 3, 1), (16, 2, 1, 3, 1), (24, 2, 1, 3, 1), (8, 2, 1, 3, 0), (5, 2, 1, 3, 1),
                      (5, 3, 2, 4, 0), (6, 1, 1, 3, 0)])
    func transposedConvolutionMatchesReferenceAndScatter(inCount: Int, stride: Int, pad: Int, kernel: Int,
                                                         outputPadding: Int) {
        let channels = 64
        let outCount = (inCount - 1) * stride - 2 * pad + kernel + outputPadding
        var noise = Noise(state: UInt32(5 + inCount * stride + kernel))
        let input = noise.values(channels * inCount), w = noise.values(channels * kernel)
        var fast = [Float](repeating: .nan, count: channels * outCount), reference = fast
        scrim_neural_conv_transpose_depthwise(&fast, input, w, Int64(channels), Int64(inCount), Int64(outCount),
                                              Int64(kernel), Int64(stride), Int64(pad))
        scrim_neural_conv_transpose_depthwise_reference(&reference, input, w, Int64(channels), Int64(inCount),
                                                        Int64(outCount), Int64(kernel), Int64(stride), Int64(pad))
        #expect(Self.bits(fast) == Self.bits(reference))
        // ONNX ConvTranspose: the full output (inCount − 1)·stride + kernel, cropped by pad at the start; bins
        // past the full output (output_padding) stay 0.
        var exact = [Double](repeating: 0, count: channels * outCount), magnitude = exact
        for c in 0..<channels {
            for p in 0..<inCount {
                for d in 0..<kernel {
                    let o = p * stride + d - pad
                    guard o >= 0, o < outCount else { continue }
                    let term = Double(w[c * kernel + d]) * Double(input[c * inCount + p])
                    exact[c * outCount + o] += term
                    magnitude[c * outCount + o] += abs(term)
                }
            }
        }
        Self.expectClose(reference, exact, magnitude)
    }

    /// The ONNX GRU equations (linear_before_reset = 1) in double precision with libm's exp and tanh.
    @Test(arguments: [(256, 256), (5, 3), (64, 40)])
    func gruStepMatchesReferenceAndONNXEquations(inputCount: Int, hiddenCount: Int) {
        let h3 = 3 * hiddenCount
        var noise = Noise(state: UInt32(13 + inputCount + hiddenCount))
        let scale = 1 / Float(inputCount).squareRoot()
        let wT = noise.values(inputCount * h3).map { $0 * scale }
        let rT = noise.values(hiddenCount * h3).map { $0 * scale }
        let bias = noise.values(2 * h3).map { $0 * 0.5 }
        var hidden = noise.values(hiddenCount).map { $0 * 0.9 }
        var exactHidden = hidden.map(Double.init)
        var fastHidden = hidden, scratch = [Float](repeating: 0, count: 2 * h3), scratch2 = scratch
        for _ in 0..<4 {
            let x = noise.values(inputCount).map { $0 * 2 }
            scrim_neural_gru_step(&fastHidden, x, wT, rT, bias, &scratch, Int64(inputCount), Int64(hiddenCount))
            scrim_neural_gru_step_reference(&hidden, x, wT, rT, bias, &scratch2, Int64(inputCount),
                                            Int64(hiddenCount))
            #expect(Self.bits(fastHidden) == Self.bits(hidden))
            var gx = [Double](repeating: 0, count: h3), gh = gx
            for j in 0..<h3 {
                gx[j] = Double(bias[j])
                gh[j] = Double(bias[h3 + j])
                for i in 0..<inputCount { gx[j] += Double(x[i]) * Double(wT[i * h3 + j]) }
                for i in 0..<hiddenCount { gh[j] += exactHidden[i] * Double(rT[i * h3 + j]) }
            }
            func sigmoid(_ v: Double) -> Double { 1 / (1 + Foundation.exp(-v)) }
            let H = hiddenCount
            exactHidden = (0..<H).map { j in
                let z = sigmoid(gx[j] + gh[j])
                let r = sigmoid(gx[H + j] + gh[H + j])
                let n = Foundation.tanh(gx[2 * H + j] + r * gh[2 * H + j])
                return (1 - z) * n + z * exactHidden[j]
            }
            // Outputs are in (−1, 1); float32 sums of ≤ 512 terms of size ≤ 2·scale, four steps deep.
            let worst = zip(hidden, exactHidden).map { abs(Double($0) - $1) }.max() ?? 0
            #expect(worst < 2e-5, "GRU step differs from the ONNX equations by \(worst)")
        }
    }

    @Test func activationsAgreeWithLibm() {
        var x: [Float] = stride(from: -100.0, through: 100.0, by: 0.0137).map { Float($0) }
        x += [0, -0.0, 1e-8, -1e-8, 1e-30, 87, -87, 88, 89, -89, 1000, -1000]
        var e = [Float](repeating: 0, count: x.count)
        scrim_neural_exp(&e, x, Int64(x.count))
        for (v, r) in zip(x, e) {
            let clamped = min(max(Double(v), -87), 88)
            let relative = abs(Double(r) / Foundation.exp(clamped) - 1)
            #expect(relative < 2.5e-7, "exp(\(v)) = \(r), relative error \(relative)")
        }
        var s = x, t = x, relu = x
        scrim_neural_sigmoid(&s, Int64(x.count))
        scrim_neural_tanh(&t, Int64(x.count))
        scrim_neural_relu(&relu, Int64(x.count))
        for i in x.indices {
            let v = Double(x[i])
            let exactSigmoid = 1 / (1 + Foundation.exp(-v))
            // Relative where the value is not tiny: sigmoid's 1/(1 + e) keeps e's relative error.
            #expect(abs(Double(s[i]) - exactSigmoid) <= 4e-7 * exactSigmoid + 1e-37, "sigmoid(\(v)) = \(s[i])")
            #expect(abs(Double(t[i]) - Foundation.tanh(v)) <= 3e-7, "tanh(\(v)) = \(t[i])")
            #expect(relu[i] == max(x[i], 0))
        }
        #expect(t.allSatisfy { abs($0) <= 1 } && s.allSatisfy { $0 >= 0 && $0 <= 1 })
        var a: [Float] = [1, 2, 3], b: [Float] = [0.5, -2, 1e-8]
        scrim_neural_add(&a, a, b, 3)
        #expect(a == [1.5, 0, 3])
        b = [.nan]
        scrim_neural_relu(&b, 1)
        #expect(b[0].isNaN)
    }
}

extension Optional where Wrapped == [Float] {
    /// The array's base address, or nil, for a C function's optional pointer.
    func withOptionalPointer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let array): array.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: body(nil)
        }
    }
}
