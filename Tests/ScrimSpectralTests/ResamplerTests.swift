import Foundation
import ScrimCore
import Testing
@testable import ScrimSpectral

// MARK: - Test processors and measurement helpers

/// Output = input × gain, delayed by `delayFrames`: a stateful inner processor with a known latency.
final class DelayGainProcessor: AudioProcessor {
    let delayFrames: Int
    let gain: Float
    private var history: [[Float]] = []
    private var position = 0
    init(delayFrames: Int, gain: Float = 1) {
        self.delayFrames = delayFrames
        self.gain = gain
    }
    var latencyFrames: Int { delayFrames }
    func prepare(for spec: ProcessSpec) throws {
        history = Array(repeating: Array(repeating: 0, count: max(1, delayFrames)), count: spec.channelCount)
        position = 0
    }
    func process(_ block: AudioBlock) {
        for c in 0..<block.channelCount {
            let samples = block.channel(c)
            var p = position
            for i in 0..<block.frameCount {
                let x = samples[i] * gain
                if delayFrames == 0 {
                    samples[i] = x
                } else {
                    samples[i] = history[c][p]
                    history[c][p] = x
                    p = (p + 1) % delayFrames
                }
            }
        }
        if delayFrames > 0 { position = (position + block.frameCount) % delayFrames }
    }
    func reset() {
        for c in history.indices { history[c] = Array(repeating: 0, count: history[c].count) }
        position = 0
    }
}

enum ResamplerMeasure {
    /// Runs a whole signal through a fresh resampler in blocks of the given sizes (cycled) and returns all output.
    static func resample(_ channels: [[Float]], from inputRate: Double, to outputRate: Double,
                         quality: Resampler.Quality = .high, blockFrames: [Int] = [4096]) throws -> [[Float]] {
        let resampler = try Resampler(inputRate: inputRate, outputRate: outputRate, channelCount: channels.count,
                                      quality: quality)
        let input = AudioBuffer(channels: channels)
        var output = Array(repeating: [Float](), count: channels.count)
        var offset = 0
        var index = 0
        while offset < input.frameCount {
            let count = min(blockFrames[index % blockFrames.count], input.frameCount - offset)
            index += 1
            input.withBlock { block in
                resampler.process(block.slice(from: offset, count: count)) { out in
                    for c in 0..<out.channelCount { output[c].append(contentsOf: out.channel(c)) }
                }
            }
            offset += count
        }
        return output
    }

    /// Least-squares fit of a·cos(ωn) + b·sin(ωn) to x[range] (double precision): amplitude and the phase φ of
    /// A·sin(ωn + φ).
    static func fitSine(_ x: [Float], frequency: Double, sampleRate: Double,
                        range: Range<Int>) -> (amplitude: Double, phase: Double) {
        let w = 2 * Double.pi * frequency / sampleRate
        var cc = 0.0, ss = 0.0, cs = 0.0, xc = 0.0, xs = 0.0
        for n in range {
            let c = cos(w * Double(n)), s = sin(w * Double(n)), v = Double(x[n])
            cc += c * c; ss += s * s; cs += c * s; xc += v * c; xs += v * s
        }
        let det = cc * ss - cs * cs
        let a = (xc * ss - xs * cs) / det  // cos coefficient
        let b = (xs * cc - xc * cs) / det  // sin coefficient
        return ((a * a + b * b).squareRoot(), atan2(a, b))
    }

    /// Amplitude of the component at `frequency` in x[range], from a Kaiser-windowed (β = 20, sidelobes below
    /// −180 dB) DFT at that frequency, scaled so a sine of amplitude A reads A.
    static func componentAmplitude(_ x: [Float], frequency: Double, sampleRate: Double, range: Range<Int>) -> Double {
        let count = range.count
        let w = 2 * Double.pi * frequency / sampleRate
        var re = 0.0, im = 0.0, windowSum = 0.0
        for (k, n) in range.enumerated() {
            let r = 2 * Double(k) / Double(count - 1) - 1
            let window = besselI0(20 * (max(0, 1 - r * r)).squareRoot())
            windowSum += window
            re += window * Double(x[n]) * cos(w * Double(n))
            im -= window * Double(x[n]) * sin(w * Double(n))
        }
        return 2 * (re * re + im * im).squareRoot() / windowSum
    }

    /// The modified Bessel function I₀ by its power series (converges for the arguments used here, ≤ 20).
    static func besselI0(_ x: Double) -> Double {
        var sum = 1.0, term = 1.0, k = 1.0
        while term > 1e-17 * sum {
            term *= (x / (2 * k)) * (x / (2 * k))
            sum += term
            k += 1
        }
        return sum
    }

    /// `frequency` folded into 0…rate/2.
    static func fold(_ frequency: Double, _ rate: Double) -> Double {
        let f = frequency.truncatingRemainder(dividingBy: rate)
        let g = f < 0 ? f + rate : f
        return g > rate / 2 ? rate - g : g
    }

    /// A sum of sines at the given frequencies (seeded random phases), each of amplitude `amplitude`, faded in and
    /// out with 2048-frame raised-cosine ramps so the signal has no edges.
    static func sines(frameCount: Int, frequencies: [Double], sampleRate: Double, amplitude: Double,
                      seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        let phases = frequencies.map { _ in Double.random(in: 0..<(2 * Double.pi), using: &generator) }
        let ramp = 2048
        return (0..<frameCount).map { n in
            var v = 0.0
            for (f, p) in zip(frequencies, phases) { v += sin(2 * Double.pi * f * Double(n) / sampleRate + p) }
            let edge = min(n, frameCount - 1 - n)
            let fade = edge >= ramp ? 1 : 0.5 - 0.5 * cos(Double.pi * Double(edge) / Double(ramp))
            return Float(amplitude * v * fade)
        }
    }

    static func decibels(_ ratio: Double) -> Double { 20 * log10(max(ratio, 1e-30)) }
}

struct RatePair: CustomTestStringConvertible, Sendable {
    var input: Double
    var output: Double
    var quality: Resampler.Quality = .high
    var testDescription: String { "\(Int(input)) → \(Int(output)) Hz \(quality)" }
}

// MARK: - Resampler

@Suite struct ResamplerTests {
    static let pairs: [RatePair] = [
        (44_100, 48_000), (48_000, 44_100), (96_000, 48_000), (48_000, 96_000),
        (32_000, 48_000), (48_000, 32_000), (22_050, 48_000), (48_000, 22_050),
    ].map { RatePair(input: $0.0, output: $0.1) } + [
        RatePair(input: 44_100, output: 48_000, quality: .veryHigh),
        RatePair(input: 48_000, output: 44_100, quality: .veryHigh),
    ]

    /// Gain and phase of 24 sines from 100 Hz to 0.9 × the lower Nyquist frequency. Passband ripple (largest minus
    /// smallest gain) must stay under 0.1 dB (the brief; libsoxr's HQ recipe promises at most 0.01 dB of roll-off
    /// at 91.3 % of Nyquist; measured 0.007 dB for 44.1 ↔ 48 kHz, 3e-6 dB for 32 and 96 kHz), and the fitted phase
    /// must put every sine where libsoxr's alignment says (output frame m = input time m / outputRate) to within
    /// 0.05 output frames (measured 4e-6).
    @Test(arguments: pairs)
    func passbandIsFlatAndAligned(_ pair: RatePair) throws {
        let edge = 0.9 * min(pair.input, pair.output) / 2
        let frequencies = (0..<24).map { 100 + (edge - 100) * Double($0) / 23 }
        let frameCount = Int(pair.input / 4)
        var gains: [Double] = []
        var worstDelay = 0.0
        for f in frequencies {
            let x = (0..<frameCount).map { Float(0.5 * sin(2 * Double.pi * f * Double($0) / pair.input)) }
            let y = try ResamplerMeasure.resample([x], from: pair.input, to: pair.output, quality: pair.quality)[0]
            // Away from both ends (the start's onset, and the end still inside libsoxr).
            let range = Int(pair.output / 40)..<(y.count - Int(pair.output / 40))
            let fit = ResamplerMeasure.fitSine(y, frequency: f, sampleRate: pair.output, range: range)
            gains.append(ResamplerMeasure.decibels(fit.amplitude / 0.5))
            // Phase 0 expected; a delay of d output frames would show as −2πf·d/outputRate.
            var phase = fit.phase
            if phase > Double.pi { phase -= 2 * Double.pi }
            worstDelay = max(worstDelay, abs(-phase * pair.output / (2 * Double.pi * f)))
        }
        let ripple = (gains.max() ?? 0) - (gains.min() ?? 0)
        let worstGain = gains.map { abs($0) }.max() ?? 0
        print("passband \(pair.testDescription): ripple \(ripple) dB, worst gain \(worstGain) dB, "
              + "worst delay \(worstDelay) frames")
        #expect(ripple < 0.1, "passband ripple \(ripple) dB")
        #expect(worstGain < 0.05, "gain error \(worstGain) dB")
        #expect(worstDelay < 0.05, "alignment off by \(worstDelay) output frames")
    }

    /// Every spurious component (an alias or image: the tone's frequency plus any multiple of the input rate,
    /// folded into the output band, other than the tone itself) must be at least 100 dB below the tone. libsoxr's HQ
    /// recipe designs its filters for (20 + 1) × 6.02 ≈ 126 dB (20 bits plus one for pass and stop, `cr.c`); 100 dB
    /// leaves room for single-precision arithmetic and for this measurement (Kaiser β = 20 window, float input).
    /// Tones: 0.3 and 0.9 of the lower Nyquist frequency, and, when downsampling, tones above the output's Nyquist
    /// frequency that must vanish (their aliases land in or near the passband).
    @Test(arguments: pairs)
    func aliasesAndImagesAreRejected(_ pair: RatePair) throws {
        let lowerNyquist = min(pair.input, pair.output) / 2
        var tones = [0.3 * lowerNyquist, 0.9 * lowerNyquist]
        if pair.input > pair.output {
            tones += [1.02, 1.2, 1.6, 1.9].map { $0 * pair.output / 2 }.filter { $0 < 0.98 * pair.input / 2 }
        }
        let frameCount = Int(pair.input / 2)
        var worst = -Double.infinity
        for f in tones {
            let x = (0..<frameCount).map { Float(0.5 * sin(2 * Double.pi * f * Double($0) / pair.input)) }
            let y = try ResamplerMeasure.resample([x], from: pair.input, to: pair.output, quality: pair.quality)[0]
            let range = Int(pair.output / 20)..<(y.count - Int(pair.output / 20))
            var spurious = Set<Int>()
            for k in -4...4 {
                let g = ResamplerMeasure.fold(f + Double(k) * pair.input, pair.output)
                let isTone = f < pair.output / 2 && abs(g - f) < 50
                if !isTone && g > 50 && g < pair.output / 2 - 50 { spurious.insert(Int(g.rounded())) }
            }
            for g in spurious {
                let level = ResamplerMeasure.componentAmplitude(y, frequency: Double(g), sampleRate: pair.output,
                                                                range: range)
                worst = max(worst, ResamplerMeasure.decibels(level / 0.5))
            }
        }
        print("stopband \(pair.testDescription): worst spurious component \(worst) dB")
        #expect(worst <= -100, "a spurious component is only \(-worst) dB down")
    }

    /// libsoxr is fed the same chunks whatever the split, so the output is bit-identical.
    @Test(arguments: [[1], [17], [4096], [1 << 20], [1, 7, 512, 3]])
    func anySplitGivesIdenticalOutput(_ blockFrames: [Int]) throws {
        let x = Signals.fullScaleMix(frameCount: 30_000, sampleRate: 44_100, seed: 5)
        let y = Signals.fullScaleMix(frameCount: 30_000, sampleRate: 44_100, seed: 6)
        let whole = try ResamplerMeasure.resample([x, y], from: 44_100, to: 48_000, blockFrames: [1 << 20])
        let split = try ResamplerMeasure.resample([x, y], from: 44_100, to: 48_000, blockFrames: blockFrames)
        #expect(split == whole)
        #expect(whole[0].count > 30_000 * 160 / 147 - 2000, "output \(whole[0].count) frames")
    }

    /// `reset()` after a stream behaves exactly like a new resampler.
    @Test func resetEqualsFresh() throws {
        let a = Signals.fullScaleMix(frameCount: 20_000, sampleRate: 48_000, seed: 1)
        let b = Signals.fullScaleMix(frameCount: 20_000, sampleRate: 48_000, seed: 2)
        let resampler = try Resampler(inputRate: 48_000, outputRate: 44_100, channelCount: 1)
        func run(_ x: [Float]) -> [Float] {
            var out: [Float] = []
            AudioBuffer(channels: [x]).withBlock { block in
                resampler.process(block) { out.append(contentsOf: $0.channel(0)) }
            }
            return out
        }
        let fresh = run(b)
        resampler.reset()
        _ = run(a)
        resampler.reset()
        #expect(run(b) == fresh)
    }

    @Test func rejectsFractionalAndOutOfRangeRates() {
        #expect(throws: ScrimError.self) { try Resampler(inputRate: 44_100.5, outputRate: 48_000, channelCount: 1) }
        #expect(throws: ScrimError.self) { try Resampler(inputRate: 0, outputRate: 48_000, channelCount: 1) }
        #expect(throws: ScrimError.self) { try Resampler(inputRate: 48_000, outputRate: 48_000, channelCount: 0) }
    }

    /// The pre-roll is a whole number of rate periods and yields a whole number of output frames.
    @Test func prerollIsWholePeriods() {
        for (i, o) in [(44_100, 48_000), (48_000, 44_100), (11_025, 48_000), (44_056, 48_000), (8000, 768_000)] {
            let p = Resampler.preroll(inputRate: i, outputRate: o)
            #expect(p.input * o == p.output * i, "\(i) → \(o): \(p.input) → \(p.output)")
            #expect(p.input >= 1 << 16 || p.input >= (1 << 22) - i, "\(i) → \(o): pre-roll \(p.input)")
        }
    }

    /// NaN in, NaN out for a while, then finite again: one NaN spreads through libsoxr's block convolution to a
    /// bounded stretch of output (measured: a few thousand frames), never to the rest of the stream.
    @Test func nanSpreadsLocallyThenClears() throws {
        var x = Signals.fullScaleMix(frameCount: 96_000, sampleRate: 48_000, seed: 9)
        x[10_000] = .nan
        let y = try ResamplerMeasure.resample([x], from: 48_000, to: 44_100)[0]
        let bad = y.indices.filter { !y[$0].isFinite }
        print("NaN at input frame 10000 (output ≈ 9187): \(bad.count) non-finite output frames, "
              + "\(bad.first ?? -1)…\(bad.last ?? -1)")
        #expect(!bad.isEmpty)
        #expect(bad.count < 20_000, "\(bad.count) non-finite frames")
        #expect((bad.last ?? 0) < 40_000, "non-finite output up to frame \(bad.last ?? 0)")
        #expect(y[50_000...].allSatisfy { $0.isFinite })
    }
}

// MARK: - ResamplingProcessor

@Suite struct ResamplingProcessorTests {
    static let outerRates: [Double] = [44_100, 96_000, 32_000, 22_050]

    static func prepared(_ inner: any AudioProcessor, rate: Double, channels: Int = 1,
                         maximumBlockFrames: Int = 4096) throws -> ResamplingProcessor {
        let processor = ResamplingProcessor(inner: inner, innerSampleRate: 48_000)
        try processor.prepare(for: ProcessSpec(sampleRate: rate, channelCount: channels,
                                               maximumBlockFrames: maximumBlockFrames))
        return processor
    }

    /// The latency formula: Q + (L + P)·R/F whole, P < F/gcd(R, F); here with an inner latency of 100 frames that
    /// needs padding at every rate but 96 kHz.
    @Test(arguments: outerRates)
    func latencyIsWholeAndPadded(_ rate: Double) throws {
        let p = try Self.prepared(DelayGainProcessor(delayFrames: 100), rate: rate)
        let r = Int(rate)
        let step = 48_000 / greatestCommonDivisor(r, 48_000)
        #expect(p.innerLatencyFrames == 100)
        #expect(p.innerPaddingFrames < step && (100 + p.innerPaddingFrames) % step == 0)
        #expect(p.latencyFrames == p.bufferingFrames + (100 + p.innerPaddingFrames) * r / 48_000)
        print("\(r) Hz: L = 100, P = \(p.innerPaddingFrames), Q = \(p.bufferingFrames), "
              + "latency \(p.latencyFrames) frames")
    }

    /// Cross-correlation of the raw output with the input peaks at `latencyFrames`, to within 0.25 frame (parabolic
    /// interpolation of the peak); the signal is 40 sines up to 0.8 × the lower Nyquist frequency (so the round
    /// trip's sinc-shaped passband keeps all of it), through an inner delay of 100 frames at 48 kHz.
    @Test(arguments: outerRates)
    func crossCorrelationPeaksAtLatency(_ rate: Double) throws {
        let p = try Self.prepared(DelayGainProcessor(delayFrames: 100), rate: rate)
        let top = 0.8 * min(rate, 48_000) / 2
        var generator = SeededGenerator(seed: 11)
        let frequencies = (0..<40).map { _ in Double.random(in: 50...top, using: &generator) }
        let frameCount = Int(rate / 2) + p.latencyFrames
        let x = ResamplerMeasure.sines(frameCount: frameCount, frequencies: frequencies, sampleRate: rate,
                                       amplitude: 0.02, seed: 12)
        let buffer = AudioBuffer(channels: [x])
        buffer.withBlock { block in
            var offset = 0
            while offset < frameCount {
                let n = min(1000, frameCount - offset)
                p.process(block.slice(from: offset, count: n))
                offset += n
            }
        }
        let y = buffer.channelArrays()[0]
        func correlation(_ lag: Int) -> Double {
            var sum = 0.0
            for n in 0..<(frameCount - lag) { sum += Double(x[n]) * Double(y[n + lag]) }
            return sum
        }
        let lags = (p.latencyFrames - 8)...(p.latencyFrames + 8)
        let values = lags.map(correlation)
        guard let best = values.indices.max(by: { values[$0] < values[$1] }), best > 0, best < values.count - 1
        else {
            Issue.record("correlation peak at the edge of \(lags)")
            return
        }
        let (a, b, c) = (values[best - 1], values[best], values[best + 1])
        let peak = Double(lags.lowerBound + best) + 0.5 * (a - c) / (a - 2 * b + c)
        print("\(Int(rate)) Hz: correlation peak at \(peak) frames, latencyFrames \(p.latencyFrames)")
        #expect(abs(peak - Double(p.latencyFrames)) <= 0.25, "peak \(peak) vs latency \(p.latencyFrames)")
        #expect(p.underrunFrames == 0)
    }

    /// Round trip 44.1 → 48 → 44.1 kHz (identity inner), aligned by `processAligned`: error energy below −60 dB of
    /// the signal's. Budget: −60 dB is a 0.1 % amplitude error, i.e. 0.0087 dB of gain or 0.0004 frame of delay at
    /// the top tone (0.8 × 22.05 kHz); the passband test measures both far smaller (≤ 0.007 dB per pass, 4e-6
    /// frame, and the round trip's delay is whole by construction). Measured: −95 dB at 44.1 and 22.05 kHz (the
    /// HQ filters' roll-off near 0.8 × Nyquist, twice), −130 dB at 32 and 96 kHz.
    @Test(arguments: [44_100.0, 22_050, 32_000, 96_000])
    func roundTripReturnsTheSignal(_ rate: Double) throws {
        let p = try Self.prepared(DelayGainProcessor(delayFrames: 0), rate: rate)
        let top = 0.8 * min(rate, 48_000) / 2
        var generator = SeededGenerator(seed: 21)
        let frequencies = (0..<30).map { _ in Double.random(in: 20...top, using: &generator) }
        let x = ResamplerMeasure.sines(frameCount: Int(rate), frequencies: frequencies, sampleRate: rate,
                                       amplitude: 0.03, seed: 22)
        let y = p.processAligned(AudioBuffer(channels: [x]), blockFrames: [512]).channelArrays()[0]
        var signal = 0.0, error = 0.0
        for n in x.indices {
            signal += Double(x[n]) * Double(x[n])
            error += (Double(y[n]) - Double(x[n])) * (Double(y[n]) - Double(x[n]))
        }
        let ratio = 10 * log10(error / signal)
        print("round trip \(Int(rate)) → 48000 → \(Int(rate)): error energy \(ratio) dB")
        #expect(ratio < -60, "round-trip error \(ratio) dB")
        #expect(p.underrunFrames == 0)
    }

    /// Any block split — 1, 17, 4096 frames, the whole signal, or a mix — gives bit-identical output.
    @Test(arguments: [44_100.0, 22_050, 96_000, 48_000])
    func anySplitGivesIdenticalOutput(_ rate: Double) throws {
        let frameCount = 30_000
        let x = Signals.fullScaleMix(frameCount: frameCount, sampleRate: rate, seed: 31)
        let z = Signals.fullScaleMix(frameCount: frameCount, sampleRate: rate, seed: 32)
        let input = AudioBuffer(channels: [x, z])
        var outputs: [[[Float]]] = []
        for split in [[frameCount], [1], [17], [4096], [1, 7, 512, 3]] {
            let p = try Self.prepared(DelayGainProcessor(delayFrames: 100, gain: 0.5), rate: rate, channels: 2,
                                      maximumBlockFrames: frameCount)
            outputs.append(p.processAligned(input, blockFrames: split).channelArrays())
            #expect(p.underrunFrames == 0)
        }
        for (i, o) in outputs.enumerated().dropFirst() { #expect(o == outputs[0], "split \(i) differs") }
    }

    /// `reset()` equals a freshly prepared processor (inner state included), bit for bit.
    @Test(arguments: [44_100.0, 32_000])
    func resetEqualsFresh(_ rate: Double) throws {
        let a = AudioBuffer(channels: [Signals.fullScaleMix(frameCount: 20_000, sampleRate: rate, seed: 41)])
        let b = AudioBuffer(channels: [Signals.fullScaleMix(frameCount: 20_000, sampleRate: rate, seed: 42)])
        let p = try Self.prepared(DelayGainProcessor(delayFrames: 333), rate: rate)
        let fresh = p.processAligned(b, blockFrames: [700]).channelArrays()
        p.reset()
        _ = p.processAligned(a, blockFrames: [700])
        p.reset()
        #expect(p.processAligned(b, blockFrames: [700]).channelArrays() == fresh)
    }

    /// Channels do not leak into each other: each channel of a 3-channel stream equals that signal run alone, and a
    /// silent channel stays exactly silent.
    @Test func channelsAreIndependent() throws {
        let a = Signals.fullScaleMix(frameCount: 20_000, sampleRate: 44_100, seed: 51)
        let b = Signals.fullScaleMix(frameCount: 20_000, sampleRate: 44_100, seed: 52)
        let silent = [Float](repeating: 0, count: 20_000)
        let multi = try Self.prepared(DelayGainProcessor(delayFrames: 10), rate: 44_100, channels: 3)
        let out = multi.processAligned(AudioBuffer(channels: [a, silent, b]), blockFrames: [999]).channelArrays()
        let mono = try Self.prepared(DelayGainProcessor(delayFrames: 10), rate: 44_100)
        let aAlone = mono.processAligned(AudioBuffer(channels: [a]), blockFrames: [999]).channelArrays()[0]
        mono.reset()
        let bAlone = mono.processAligned(AudioBuffer(channels: [b]), blockFrames: [999]).channelArrays()[0]
        #expect(out[0] == aAlone)
        #expect(out[1].allSatisfy { $0 == 0 })
        #expect(out[2] == bAlone)
    }

    /// At the inner rate nothing is resampled: the output and latency are the inner processor's own.
    @Test func sameRateBypasses() throws {
        let x = Signals.fullScaleMix(frameCount: 10_000, sampleRate: 48_000, seed: 61)
        let p = try Self.prepared(DelayGainProcessor(delayFrames: 77, gain: 0.25), rate: 48_000)
        #expect(p.isBypassed && p.latencyFrames == 77)
        let direct = DelayGainProcessor(delayFrames: 77, gain: 0.25)
        try direct.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 1, maximumBlockFrames: 4096))
        let input = AudioBuffer(channels: [x])
        #expect(p.processAligned(input, blockFrames: [300]).channelArrays()
                    == direct.processAligned(input, blockFrames: [300]).channelArrays())
    }

    /// An impulse comes out at `latencyFrames` (its largest sample there, band-limited ringing around it).
    @Test(arguments: outerRates)
    func impulseComesOutAtLatency(_ rate: Double) throws {
        let p = try Self.prepared(DelayGainProcessor(delayFrames: 100), rate: rate)
        let frameCount = p.latencyFrames + 8000
        var x = [Float](repeating: 0, count: frameCount)
        x[3000] = 1
        let buffer = AudioBuffer(channels: [x])
        buffer.withBlock { p.process($0) }
        let y = buffer.channelArrays()[0]
        let peak = y.indices.max(by: { abs(y[$0]) < abs(y[$1]) }) ?? -1
        #expect(peak == 3000 + p.latencyFrames, "peak at \(peak), expected \(3000 + p.latencyFrames)")
    }

    /// NaN in the input: non-finite output for a bounded stretch, finite afterwards (documented behaviour; Scrim's
    /// chains zero invalid samples before processors).
    @Test func nanClearsAfterAWhile() throws {
        var x = Signals.fullScaleMix(frameCount: 88_200, sampleRate: 44_100, seed: 71)
        x[5000] = .nan
        let p = try Self.prepared(DelayGainProcessor(delayFrames: 0), rate: 44_100)
        let y = p.processAligned(AudioBuffer(channels: [x]), blockFrames: [1024]).channelArrays()[0]
        let bad = y.indices.filter { !y[$0].isFinite }
        print("ResamplingProcessor: NaN at 5000 → \(bad.count) non-finite frames, "
              + "\(bad.first ?? -1)…\(bad.last ?? -1)")
        #expect(bad.count < 20_000)
        #expect(y[40_000...].allSatisfy { $0.isFinite })
    }
}

