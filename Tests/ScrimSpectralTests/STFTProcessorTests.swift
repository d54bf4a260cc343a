import Foundation
import ScrimCore
import Testing
@testable import ScrimSpectral

@Suite struct STFTProcessorTests {
    struct ReconstructionCase: CustomTestStringConvertible, Sendable {
        var fftSize: Int
        var overlapFactor: Int  // fftSize / hopSize: 2 = 50 %, 4 = 75 %, 8 = 87.5 %
        var sampleRate: Double
        var testDescription: String { "\(fftSize)/\(fftSize / overlapFactor) @ \(Int(sampleRate)) Hz" }
    }

    static let reconstructionCases: [ReconstructionCase] = [256, 512, 1024, 2048, 4096, 8192].flatMap { n in
        [2, 4, 8].flatMap { r in
            [44_100.0, 48_000, 96_000].map { ReconstructionCase(fftSize: n, overlapFactor: r, sampleRate: $0) }
        }
    }

    /// Identity kernel: output == input. Error budget: the forward and inverse FFTs add ≲ 8·u·log₂N·‖frame‖₂/√N
    /// per sample (see RealFFTTests), ≈ 4e-6 for N = 8192 and a full-scale frame; the windows' WOLA sum is 1
    /// within 2e-6 (WindowTests). 1e-5 of full scale is the brief's requirement and covers both.
    @Test(arguments: reconstructionCases)
    func identityReconstructsExactly(_ c: ReconstructionCase) throws {
        let frameCount = Int(0.2 * c.sampleRate)  // 0.2 s, and at least 2 frames of the largest FFT
        let input = Signals.fullScaleMix(frameCount: frameCount, sampleRate: c.sampleRate, seed: UInt64(c.fftSize))
        let configuration = STFTConfiguration(fftSize: c.fftSize, hopSize: c.fftSize / c.overlapFactor)
        let output = try runProcessor(IdentityKernel(), configuration: configuration, sampleRate: c.sampleRate,
                                      input: [input], blockFrames: [1000])
        #expect(output[0].count == frameCount)
        let error = Signals.maxAbsDifference(output[0], input)
        #expect(error <= 1e-5, "max error \(error)")
        // The stream's first and last samples (±1) come back too.
        #expect(abs(output[0][0] - 1) <= 1e-5 && abs(output[0][frameCount - 1] + 1) <= 1e-5)
    }

    static let latencyConfigurations: [STFTConfiguration] = [
        STFTConfiguration(fftSize: 2048, hopSize: 512),  // sqrt-Hann pair: z = 1
        STFTConfiguration(fftSize: 256, hopSize: 128, analysisWindow: .hann, synthesisWindow: .rectangular),
        STFTConfiguration(fftSize: 512, hopSize: 64, analysisWindow: .hamming, synthesisWindow: .hamming),
        STFTConfiguration(fftSize: 64, hopSize: 64, analysisWindow: .rectangular, synthesisWindow: .rectangular),
        STFTConfiguration(fftSize: 1000, hopSize: 300, analysisWindow: .hann, synthesisWindow: .sqrtHann),
    ]

    @Test(arguments: latencyConfigurations)
    func latencyIsFFTSizeMinusOneMinusLeadingSynthesisZeros(configuration: STFTConfiguration) {
        let processor = STFTProcessor(kernel: IdentityKernel(), configuration: configuration)
        let leadingZero = configuration.synthesisWindow == .hann || configuration.synthesisWindow == .sqrtHann
        #expect(processor.latencyFrames == configuration.fftSize - 1 - (leadingZero ? 1 : 0))
    }

    /// The raw (uncompensated) output of an impulse at frame 0 is an impulse at exactly `latencyFrames`:
    /// the reported latency is the processor's true delay, neither more nor less.
    @Test(arguments: latencyConfigurations)
    func rawImpulseAppearsAtLatency(configuration: STFTConfiguration) throws {
        let processor = STFTProcessor(kernel: IdentityKernel(), configuration: configuration)
        try processor.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 1, maximumBlockFrames: 8192))
        let frameCount = 3 * configuration.fftSize
        let buffer = AudioBuffer(channelCount: 1, capacity: frameCount)
        buffer.channel(0)[0] = 1
        buffer.withBlock { processor.process($0) }
        let out = buffer.channel(0)
        let peak = try #require(out.indices.max { abs(out[$0]) < abs(out[$1]) })
        #expect(peak == processor.latencyFrames)
        #expect(abs(out[peak] - 1) <= 1e-5)
        // Everything else is FFT rounding only (well below 1e-5 of the impulse).
        for i in out.indices where i != peak { #expect(abs(out[i]) <= 1e-5, "frame \(i): \(out[i])") }
    }

    @Test(arguments: latencyConfigurations)
    func alignedImpulseStaysPut(configuration: STFTConfiguration) throws {
        let frameCount = 3000
        for k in [0, 1, configuration.hopSize - 1, 1777, frameCount - 1] {
            var impulse = [Float](repeating: 0, count: frameCount)
            impulse[k] = 1
            let output = try runProcessor(IdentityKernel(), configuration: configuration, input: [impulse],
                                          blockFrames: [256, 3])[0]
            #expect(output.count == frameCount)
            let peak = try #require(output.indices.max { abs(output[$0]) < abs(output[$1]) })
            #expect(peak == k, "impulse at \(k) came out at \(peak)")
            #expect(abs(output[k] - 1) <= 1e-5)
        }
    }

    static let splits: [[Int]] = [[1], [7, 333, 1], [4800]]

    /// Any block split gives bit-identical output, with a stateful multichannel kernel.
    @Test(arguments: [STFTConfiguration(fftSize: 512, hopSize: 128), STFTConfiguration(fftSize: 1024, hopSize: 384,
        analysisWindow: .hann, synthesisWindow: .sqrtHann)])
    func blockSplitDoesNotChangeOutput(configuration: STFTConfiguration) throws {
        let frameCount = 4800
        let input = [Signals.fullScaleMix(frameCount: frameCount, sampleRate: 48_000, seed: 1),
                     Signals.noise(frameCount: frameCount, seed: 2, amplitude: 0.25)]
        let outputs = try Self.splits.map {
            try runProcessor(LinkedSmoothingKernel(), configuration: configuration, input: input, blockFrames: $0)
        }
        #expect(outputs[0] == outputs[1])
        #expect(outputs[0] == outputs[2])
        // The kernel did something (the invariance is not a trivial identity).
        #expect(Signals.maxAbsDifference(outputs[0][0], input[0]) > 0.01)
    }

    @Test func resetEqualsFreshProcessor() throws {
        let configuration = STFTConfiguration(fftSize: 1024, hopSize: 256)
        let spec = ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 512)
        let first = AudioBuffer(channels: [Signals.noise(frameCount: 3333, seed: 5),
                                           Signals.noise(frameCount: 3333, seed: 6)])
        let second = AudioBuffer(channels: [Signals.fullScaleMix(frameCount: 4000, sampleRate: 48_000, seed: 7),
                                            Signals.noise(frameCount: 4000, seed: 8, amplitude: 0.1)])
        let used = STFTProcessor(kernel: LinkedSmoothingKernel(), configuration: configuration)
        try used.prepare(for: spec)
        _ = used.processAligned(first, blockFrames: [512, 100])
        #expect(used.hopCount > 0)
        used.reset()
        #expect(used.hopCount == 0)
        let afterReset = used.processAligned(second, blockFrames: [512])

        let fresh = STFTProcessor(kernel: LinkedSmoothingKernel(), configuration: configuration)
        try fresh.prepare(for: spec)
        let expected = fresh.processAligned(second, blockFrames: [512])
        #expect(afterReset.channelArrays() == expected.channelArrays())

        // Without reset the stateful kernel and the history make it differ, so the check above can fail.
        let notReset = STFTProcessor(kernel: LinkedSmoothingKernel(), configuration: configuration)
        try notReset.prepare(for: spec)
        _ = notReset.processAligned(first, blockFrames: [512, 100])
        #expect(notReset.processAligned(second, blockFrames: [512]).channelArrays() != expected.channelArrays())
    }

    @Test(arguments: [1, 2, 8])
    func channelsAreIndependent(channelCount: Int) throws {
        let frameCount = 6000
        let configuration = STFTConfiguration(fftSize: 1024, hopSize: 256)
        let input = (0..<channelCount).map {
            Signals.fullScaleMix(frameCount: frameCount, sampleRate: 48_000, seed: 100 + UInt64($0))
        }
        // Identity: every channel returns itself.
        let identity = try runProcessor(IdentityKernel(), configuration: configuration, input: input,
                                        blockFrames: [700])
        for c in 0..<channelCount {
            #expect(Signals.maxAbsDifference(identity[c], input[c]) <= 1e-5, "channel \(c)")
        }
        // A per-channel kernel gives each channel exactly what it gives that channel alone (no cross-talk).
        let together = try runProcessor(LowPassKernel(cutoffHertz: 3000), configuration: configuration,
                                        input: input, blockFrames: [700])
        for c in 0..<channelCount {
            let alone = try runProcessor(LowPassKernel(cutoffHertz: 3000), configuration: configuration,
                                         input: [input[c]], blockFrames: [700])
            #expect(together[c] == alone[0], "channel \(c)")
        }
        // Signal in the last channel only: every other channel stays exactly zero.
        var lastOnly = [[Float]](repeating: [Float](repeating: 0, count: frameCount), count: channelCount)
        lastOnly[channelCount - 1] = input[0]
        let isolated = try runProcessor(LinkedSmoothingKernel(), configuration: configuration, input: lastOnly,
                                        blockFrames: [700])
        for c in 0..<(channelCount - 1) { #expect(isolated[c].allSatisfy { $0 == 0 }, "channel \(c)") }
        #expect(Signals.rms(isolated[channelCount - 1][...]) > 0.1)
    }

    /// A brick-wall low-pass at 4 kHz: 8 kHz is removed (> 40 dB), 1 kHz passes (within 0.1 dB).
    /// Levels are measured away from the ends so the start-up and tail transients are excluded.
    @Test(arguments: [STFTConfiguration(fftSize: 2048, hopSize: 512), STFTConfiguration(fftSize: 512, hopSize: 64)])
    func kernelChangesTheOutput(configuration: STFTConfiguration) throws {
        let sampleRate = 48_000.0
        let frameCount = 24_000
        let steady = configuration.fftSize..<(frameCount - configuration.fftSize)
        func gainDecibels(_ frequency: Double) throws -> Double {
            let input = Signals.sine(frameCount: frameCount, frequency: frequency, sampleRate: sampleRate,
                                     amplitude: 0.5)
            let output = try runProcessor(LowPassKernel(cutoffHertz: 4000), configuration: configuration,
                                          sampleRate: sampleRate, input: [input], blockFrames: [480])[0]
            return decibels(fromAmplitude: Signals.rms(output[steady]) / Signals.rms(input[steady]))
        }
        let stop = try gainDecibels(8000)
        let pass = try gainDecibels(1000)
        #expect(stop < -40, "8 kHz at \(stop) dB")
        #expect(abs(pass) < 0.1, "1 kHz at \(pass) dB")
    }

    @Test(arguments: [
        STFTConfiguration(fftSize: 1023, hopSize: 256),
        STFTConfiguration(fftSize: 8, hopSize: 4),
        STFTConfiguration(fftSize: 131_072, hopSize: 1024),
        STFTConfiguration(fftSize: 1024, hopSize: 0),
        STFTConfiguration(fftSize: 1024, hopSize: 2048),
        STFTConfiguration(fftSize: 1024, hopSize: 1024),  // sqrt-Hann does not overlap-add at hop = fftSize
    ])
    func badConfigurationsThrowFromPrepare(configuration: STFTConfiguration) {
        let processor = STFTProcessor(kernel: IdentityKernel(), configuration: configuration)
        let spec = ProcessSpec(sampleRate: 48_000, channelCount: 1, maximumBlockFrames: 512)
        do {
            try processor.prepare(for: spec)
            Issue.record("prepare accepted \(configuration)")
        } catch let error as ScrimError {
            #expect(error.code == .configuration)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func badSpecThrows() {
        let configuration = STFTConfiguration(fftSize: 256, hopSize: 64)
        let processor = STFTProcessor(kernel: IdentityKernel(), configuration: configuration)
        #expect(throws: ScrimError.self) {
            try processor.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 0, maximumBlockFrames: 512))
        }
    }

    @Test func contextDescribesTheSTFT() throws {
        let kernel = RecordingKernel()
        let processor = STFTProcessor(kernel: kernel, configuration: STFTConfiguration(fftSize: 1024, hopSize: 256))
        try processor.prepare(for: ProcessSpec(sampleRate: 44_100, channelCount: 3, maximumBlockFrames: 64))
        let context = try #require(kernel.preparedContext)
        #expect(context == processor.context)
        #expect(context.fftSize == 1024 && context.hopSize == 256 && context.binCount == 513)
        #expect(context.sampleRate == 44_100 && context.channelCount == 3)
        #expect(context.analysisWindow == WindowShape.sqrtHann.samples(length: 1024))
        #expect(context.frequency(ofBin: 512) == 22_050)
        #expect(context.bin(nearest: 1000) == 23)  // 1000 · 1024 / 44100 = 23.2
    }

    @Test func hopIndicesAndStartFramesFollowTheGrid() throws {
        let kernel = RecordingKernel()
        let configuration = STFTConfiguration(fftSize: 256, hopSize: 64)
        _ = try runProcessor(kernel, configuration: configuration, input: [Signals.noise(frameCount: 1000, seed: 9)],
                             blockFrames: [100])
        #expect(kernel.hops.map(\.hopIndex) == Array(0..<kernel.hops.count))
        #expect(kernel.hops.map(\.startFrame) == kernel.hops.indices.map { $0 * 64 + 64 - 256 })
        // Every frame overlapping the stream was processed: the last starts at or after frame 1000 − 64.
        #expect((kernel.hops.last?.startFrame ?? 0) > 1000 - 64 - 1)
    }
}

/// Supplies each hop's spectra itself: those of the same frames taken by an ``STFTAnalyzer`` run first over the
/// same input (kept in order), or zeros when `zeros` is set.
private final class SuppliedSpectrumKernel: SpectralKernel {
    var spectra: [[Float]] = []
    let zeros: Bool
    init(zeros: Bool) { self.zeros = zeros }
    var suppliesSpectrum: Bool { true }
    func prepare(context: SpectralContext) {}
    func process(_ frame: SpectralFrame) {
        let re = frame.real(0), im = frame.imag(0)
        for k in 0..<frame.binCount {
            re[k] = zeros ? 0 : spectra[frame.hopIndex][k]
            im[k] = zeros ? 0 : spectra[frame.hopIndex][frame.binCount + k]
        }
    }
    func reset() {}
}

/// Copies every hop's spectra (real then imaginary) for ``SuppliedSpectrumKernel``.
private final class SpectrumCopyKernel: SpectralKernel {
    var spectra: [[Float]] = []
    func prepare(context: SpectralContext) {}
    func process(_ frame: SpectralFrame) { spectra.append(Array(frame.real(0)) + Array(frame.imag(0))) }
    func reset() { spectra.removeAll() }
}

@Suite struct SuppliedSpectrumTests {
    /// A kernel that supplies the spectra gets no transform of its own: zeros in, silence out, whatever the
    /// input; and the analyzer's spectra of the same frames, handed back, reconstruct the input as the processor's
    /// own would (same frames, same FFT plan: bit for bit).
    @Test func kernelSuppliedSpectraReplaceTheTransform() throws {
        let configuration = STFTConfiguration(fftSize: 512, hopSize: 128)
        let input = Signals.noise(frameCount: 4000, seed: 9, amplitude: 0.5)
        let silent = try runProcessor(SuppliedSpectrumKernel(zeros: true), configuration: configuration,
                                      sampleRate: 48_000, input: [input], blockFrames: [300])
        #expect(silent[0].allSatisfy { $0 == 0 })

        let copier = SpectrumCopyKernel()
        let analyzer = STFTAnalyzer(kernel: copier, configuration: configuration)
        try analyzer.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 1, maximumBlockFrames: 8192))
        let padded = AudioBuffer(channels: [input + [Float](repeating: 0, count: 2 * configuration.fftSize)])
        padded.withBlock { analyzer.analyze($0) }
        let supplied = SuppliedSpectrumKernel(zeros: false)
        supplied.spectra = copier.spectra
        let fromCopies = try runProcessor(supplied, configuration: configuration, sampleRate: 48_000,
                                          input: [input], blockFrames: [300])
        let own = try runProcessor(IdentityKernel(), configuration: configuration, sampleRate: 48_000,
                                   input: [input], blockFrames: [300])
        #expect(fromCopies == own)
    }
}
