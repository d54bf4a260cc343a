import Foundation
import ScrimCore
import Testing
@testable import ScrimNeural

@Suite(.enabled(if: DeepFilterNet3Files.isInstalled(),
                "the DeepFilterNet3 model is not installed (scripts/fetch-model.sh)"))
struct NeuralNoiseReducerTests {
    static let model: DeepFilterNetModel? = try? DeepFilterNetModel()
    /// The plain network (libDF's C API), for the tests that compare with ``DeepFilterNet3`` directly.
    static let reference = NeuralNoiseReducerSettings(mode: .reference)

    /// Two channels of the libDF fixture's input (the second reversed and halved), `hops` hops long.
    static func stereo(hops: Int) throws -> [[Float]] {
        let input = Array(try DFNLibDFFixture.load().input.suffix(480 * hops))
        return [input, input.reversed().map { $0 * 0.5 }]
    }

    /// Runs `reducer` over `channels` in blocks of the given sizes (cycled), returning the output.
    static func run(_ reducer: NeuralNoiseReducer, _ channels: [[Float]], blockSizes: [Int]) -> [[Float]] {
        let buffer = AudioBuffer(channels: channels)
        let total = channels[0].count
        buffer.withBlock { block in
            var start = 0, k = 0
            while start < total {
                let count = min(blockSizes[k % blockSizes.count], total - start)
                reducer.process(block.slice(from: start, count: count))
                start += count
                k += 1
            }
        }
        return buffer.channelArrays()
    }

    /// Other rates go through the resamplers and come out aligned: with an attenuation limit of 1 dB the output is
    /// mostly (0.89 of) the delayed input, so the input–output cross-correlation peaks at exactly `latencyFrames`
    /// (checked against the neighbouring lags and a hop either side); and the result does not depend on the split.
    @Test(arguments: [44_100.0, 96_000, 32_000])
    func otherRatesAreResampledAndStayAligned(rate: Double) throws {
        let model = try #require(Self.model)
        let input = Array(try Self.stereo(hops: 40)[0])
        let reducer = NeuralNoiseReducer(model: model, networkSettings: .init(attenuationLimit: 1))
        try reducer.prepare(for: ProcessSpec(sampleRate: rate, channelCount: 1, maximumBlockFrames: 1000))
        let l = reducer.latencyFrames
        #expect(l > 1920, "the resamplers add delay: \(l)")
        let y = Self.run(reducer, [input], blockSizes: [1000])[0]
        func correlation(_ lag: Int) -> Double {
            (lag..<input.count).reduce(0.0) { $0 + Double(y[$1]) * Double(input[$1 - lag]) }
        }
        let candidates = [l - 480, l - 2, l - 1, l, l + 1, l + 2, l + 480]
        let best = candidates.max { correlation($0) < correlation($1) }
        #expect(best == l, "\(rate) Hz: best lag \(best ?? -1), latency \(l)")
        #expect(reducer.report.streamSampleRate == rate && reducer.report.networkSampleRate == 48_000)
        let split = NeuralNoiseReducer(model: model, networkSettings: .init(attenuationLimit: 1))
        try split.prepare(for: ProcessSpec(sampleRate: rate, channelCount: 1, maximumBlockFrames: 1000))
        #expect(Self.run(split, [input], blockSizes: [1, 333, 17, 1000]) == [y])
    }

    /// Any split gives the same bits: one block of everything, single frames for a while, and odd sizes.
    @Test func resultDoesNotDependOnTheBlockSplit() throws {
        let model = try #require(Self.model)
        let input = try Self.stereo(hops: 24)
        let total = input[0].count
        let whole = NeuralNoiseReducer(model: model, settings: Self.reference)
        try whole.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: total))
        let reference = Self.run(whole, input, blockSizes: [total])
        let split = NeuralNoiseReducer(model: model, settings: Self.reference)
        try split.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 1024))
        var sizes = [Int](repeating: 1, count: 700)
        var state: UInt32 = 12_345
        for _ in 0..<60 {
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            sizes.append(Int(state % 1024) + 1)
        }
        #expect(Self.run(split, input, blockSizes: sizes) == reference)
        #expect(reference[0].contains { $0 != 0 } && reference[1].contains { $0 != 0 })
    }

    @Test func resetEqualsFresh() throws {
        let model = try #require(Self.model)
        let input = try Self.stereo(hops: 16)
        let spec = ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 700)
        let fresh = NeuralNoiseReducer(model: model, settings: Self.reference)
        try fresh.prepare(for: spec)
        let first = Self.run(fresh, input, blockSizes: [333, 700, 1])
        let reused = NeuralNoiseReducer(model: model, settings: Self.reference)
        try reused.prepare(for: spec)
        _ = Self.run(reused, try Self.stereo(hops: 9).map { $0.map { -$0 } }, blockSizes: [77])
        reused.reset()
        #expect(Self.run(reused, input, blockSizes: [333, 700, 1]) == first)
    }

    /// Latency: silence in gives silence out; each channel's output is its own ``DeepFilterNet3``'s output one hop
    /// later, bit for bit (and that network is libDF's, 1440 behind, see DeepFilterNet3Tests); and with an
    /// attenuation limit of 1 dB (output ≈ 0.89 × the noisy input, delayed, + 0.11 × the enhanced signal) the
    /// input comes out at exactly ``NeuralNoiseReducer/latencyFrames``.
    @Test func latencyIsReportedAndExact() throws {
        let model = try #require(Self.model)
        let spec = ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 512)
        let reducer = NeuralNoiseReducer(model: model, settings: Self.reference)
        try reducer.prepare(for: spec)
        #expect(reducer.latencyFrames == 1920)
        let silent = Self.run(reducer, [[Float]](repeating: [Float](repeating: 0, count: 480 * 12), count: 2),
                              blockSizes: [512])
        #expect(silent.allSatisfy { $0.allSatisfy { $0 == 0 } })

        reducer.reset()
        let input = try Self.stereo(hops: 20)
        let output = Self.run(reducer, input, blockSizes: [100, 512])
        for c in 0..<2 {
            let network = try DeepFilterNet3(model: model)
            let (direct, _) = DeepFilterNet3Tests.run(network, input[c])
            #expect(Array(output[c][480...]) == Array(direct[..<(direct.count - 480)]), "channel \(c)")
            #expect(output[c][..<480].allSatisfy { $0 == 0 })
        }

        let limited = NeuralNoiseReducer(model: model, networkSettings: .init(attenuationLimit: 1))
        try limited.prepare(for: spec)
        let mixed = Self.run(limited, input, blockSizes: [512])
        let x = input[0], y = mixed[0], l = limited.latencyFrames
        func correlation(_ lag: Int) -> Double {
            (lag..<x.count).reduce(0.0) { $0 + Double(y[$1]) * Double(x[$1 - lag]) }
        }
        let candidates = [l - 480, l - 2, l - 1, l, l + 1, l + 2, l + 480]
        let best = candidates.max { correlation($0) < correlation($1) }
        #expect(best == l, "best lag \(best ?? -1)")
        // The delayed input explains most of the output: residual well below the mix's 0.11 of the enhanced part.
        let gain = Float(pow(10.0, -1.0 / 20))
        var residual = 0.0, energy = 0.0
        for n in l..<x.count {
            residual += Double(y[n] - gain * x[n - l]) * Double(y[n] - gain * x[n - l])
            energy += Double(y[n]) * Double(y[n])
        }
        #expect(residual < 0.05 * energy, "residual \(residual) of \(energy)")
    }

    @Test func flushDrainsTheTail() throws {
        let model = try #require(Self.model)
        let reducer = NeuralNoiseReducer(model: model, settings: Self.reference)
        try reducer.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 4096))
        let input = try Self.stereo(hops: 10)
        let body = Self.run(reducer, input, blockSizes: [4096])
        let tail = AudioBuffer(channelCount: 2, capacity: reducer.latencyFrames)
        tail.withBlock { reducer.flush(into: $0) }
        // The same as running the input followed by latencyFrames of silence.
        let reference = NeuralNoiseReducer(model: model, settings: Self.reference)
        try reference.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 4096))
        let padded = input.map { $0 + [Float](repeating: 0, count: reducer.latencyFrames) }
        let whole = Self.run(reference, padded, blockSizes: [4096])
        for c in 0..<2 { #expect(body[c] + tail.channelArrays()[c] == whole[c]) }
        #expect(tail.channelArrays()[0].contains { $0 != 0 })
    }

    /// Bypass is the input delayed by exactly the latency, bit for bit; residual + cleaned is that delayed input to
    /// float rounding (|error| ≤ 2⁻²³·(|x| + |y|) per sample, one subtraction and one addition: 1e-6 of the 0.3
    /// peak is far above that bound and far below any audible difference); all three modes report the same.
    @Test func writeModesLineUp() throws {
        let model = try #require(Self.model)
        let input = try Self.stereo(hops: 20)
        let spec = ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 1000)
        var outputs: [NeuralNoiseReducerSettings.Output: [[Float]]] = [:]
        var reports: [NeuralNoiseReducerSettings.Output: NeuralNoiseReductionReport] = [:]
        for kind in NeuralNoiseReducerSettings.Output.allCases {
            let reducer = NeuralNoiseReducer(model: model, settings: .init(output: kind, mode: .reference))
            try reducer.prepare(for: spec)
            outputs[kind] = Self.run(reducer, input, blockSizes: [1000, 37])
            reports[kind] = reducer.report
        }
        let latency = 1920
        for c in 0..<2 {
            let bypass = try #require(outputs[.bypass])[c]
            #expect(Array(bypass[latency...]) == Array(input[c][..<(input[c].count - latency)]))
            #expect(bypass[..<latency].allSatisfy { $0 == 0 })
            let cleaned = try #require(outputs[.cleaned])[c], residual = try #require(outputs[.residual])[c]
            let worst = zip(zip(cleaned, residual), bypass).map { abs($0.0 + $0.1 - $1) }.max() ?? 1
            #expect(worst < 1e-6, "channel \(c): cleaned + residual differs from bypass by \(worst)")
            #expect(residual.contains { abs($0) > 1e-3 }, "the network removed nothing")
        }
        let cleanedReport = try #require(reports[.cleaned])
        #expect(reports[.residual]?.averageReductionDecibels == cleanedReport.averageReductionDecibels)
        #expect(reports[.bypass]?.localSNRMedianDecibels == cleanedReport.localSNRMedianDecibels)
        #expect(reports[.residual]?.output == "residual")
    }

    /// The report on a take of 1 s of white noise at −40 dBFS RMS, then 1 s of the same noise under the fixture's
    /// harmonic "voice": the pause is heard as noise (local SNR at the network's −15 dB floor), so the noise floor
    /// before is the noise's level (−40 dBFS within 1 dB: the hops counted as noise are all noise-only, give or
    /// take the hops at the edge of the voice) and the cut in it is deep; the percentiles are ordered, within the
    /// network's −15…35 dB, and the speech share is that of the voiced half (0.5 within 0.15: onset and decay hops
    /// may go either way). NaN and infinities are zeroed and counted.
    @Test func reportDescribesTheTake() throws {
        let model = try #require(Self.model)
        let fixture = try DFNLibDFFixture.load().input
        var state: UInt32 = 2_463_534_242
        func white() -> Float {
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            return Float(state) / Float(UInt32.max) * 2 - 1
        }
        // Uniform noise in ±a has RMS a/√3: a = √3 · 10^(−40/20).
        let amplitude = Float(3.0.squareRoot() * 0.01)
        var take = (0..<96_000).map { _ in white() * amplitude }
        let voice = Array(fixture.suffix(48_000))
        for i in 0..<48_000 { take[48_000 + i] += voice[i] }
        take[100] = .nan
        take[200] = .infinity
        let reducer = NeuralNoiseReducer(model: model, settings: .init(mode: .reference))
        try reducer.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 1, maximumBlockFrames: 4096))
        let output = Self.run(reducer, [take], blockSizes: [4096])
        #expect(output[0].allSatisfy { $0.isFinite })
        let report = reducer.report
        #expect(report.invalidSamplesZeroed == 2)
        #expect(report.frames == 200)
        let before = try #require(report.noiseFloorBeforeDecibelsFS)
        let after = try #require(report.noiseFloorAfterDecibelsFS)
        #expect(abs(before + 40) < 1, "noise floor before \(before)")
        #expect(after < before - 20, "noise floor after \(after)")
        let p10 = try #require(report.localSNRPercentile10Decibels)
        let median = try #require(report.localSNRMedianDecibels)
        let p90 = try #require(report.localSNRPercentile90Decibels)
        #expect(-15 <= p10 && p10 <= median && median <= p90 && p90 <= 35)
        let share = try #require(report.speechShare)
        #expect(abs(share - 0.5) < 0.15, "speech share \(share)")
        let average = try #require(report.averageReductionDecibels)
        let deepest = try #require(report.maximumReductionDecibels)
        #expect(average > 3 && deepest >= average)
    }

    /// Dialogue mode (the default): 2880 frames of latency (the network's 1920 + a hop for the ensemble's half-hop
    /// shift + a hop for the refiner's STFT), any split bit-identical, reset equal to fresh, bypass exactly the input
    /// delayed by the latency; and it differs from the reference network (the ensemble alone changes every hop).
    @Test func dialogueModeKeepsTheContract() throws {
        let model = try #require(Self.model)
        let input = try Self.stereo(hops: 30)
        let total = input[0].count
        let whole = NeuralNoiseReducer(model: model)
        try whole.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: total))
        #expect(whole.latencyFrames == 2880)
        let reference = Self.run(whole, input, blockSizes: [total])
        let split = NeuralNoiseReducer(model: model)
        try split.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 1024))
        #expect(Self.run(split, input, blockSizes: [1, 479, 17, 1024, 960, 3]) == reference)
        split.reset()
        #expect(Self.run(split, input, blockSizes: [700]) == reference)
        #expect(reference[0][..<2880].allSatisfy { $0 == 0 })
        #expect(reference[0][2880...].contains { $0 != 0 })

        let plain = NeuralNoiseReducer(model: model, settings: Self.reference)
        try plain.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: total))
        let network = Self.run(plain, input, blockSizes: [total])
        // Line the two up (2880 against 1920) and compare: different, but the same signal to within a few dB.
        let a = Array(reference[0][2880...]), b = Array(network[0][1920..<(total - 960)])
        var difference = 0.0, energy = 0.0
        for (x, y) in zip(a, b) {
            difference += Double(x - y) * Double(x - y)
            energy += Double(y) * Double(y)
        }
        #expect(difference > 1e-6 * energy, "dialogue mode equals the network")
        #expect(difference < 0.5 * energy, "dialogue mode is not the network's signal: \(difference / energy)")

        let bypass = NeuralNoiseReducer(model: model, settings: .init(output: .bypass))
        try bypass.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 1000))
        let passed = Self.run(bypass, input, blockSizes: [1000])
        #expect(Array(passed[1][2880...]) == Array(input[1][..<(total - 2880)]))
    }
}
