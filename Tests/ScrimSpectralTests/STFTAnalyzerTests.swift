import Foundation
import ScrimCore
import Testing
@testable import ScrimSpectral

@Suite struct STFTAnalyzerTests {
    static let configuration = STFTConfiguration(fftSize: 512, hopSize: 128, analysisWindow: .hann)

    func analyze(_ input: [[Float]], blockFrames: [Int], finish: Bool = true) throws -> RecordingKernel {
        let kernel = RecordingKernel()
        let analyzer = STFTAnalyzer(kernel: kernel, configuration: Self.configuration)
        try analyzer.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: input.count, maximumBlockFrames: 4096))
        let buffer = AudioBuffer(channels: input)
        var position = 0
        var index = 0
        while position < buffer.frameCount {
            let n = min(blockFrames[index % blockFrames.count], buffer.frameCount - position)
            buffer.withBlock { analyzer.analyze($0.slice(from: position, count: n)) }
            position += n
            index += 1
        }
        if finish { analyzer.finish() }
        #expect(analyzer.hopCount == kernel.hops.count)
        return kernel
    }

    /// Each hop's spectrum equals a RealFFT of the Hann-windowed frame starting at `startFrame`, with zeros
    /// outside the stream; after `finish()` every frame overlapping the stream has been seen.
    @Test func spectraMatchDirectFFTOfWindowedFrames() throws {
        let n = Self.configuration.fftSize
        let hop = Self.configuration.hopSize
        let frameCount = 2000
        let x = Signals.fullScaleMix(frameCount: frameCount, sampleRate: 48_000, seed: 21)
        let kernel = try analyze([x], blockFrames: [333])
        // Hop m is analysed when stream frame (m + 1)·hop − 1 arrives; finish() feeds fftSize − 1 zeros.
        #expect(kernel.hops.count == (frameCount + n - 1) / hop)
        #expect(kernel.hops.last.map { $0.startFrame + n > frameCount - 1 && $0.startFrame <= frameCount - 1 } == true)
        let fft = try RealFFT(fftSize: n)
        let window = WindowShape.hann.samples(length: n)
        for hop in kernel.hops {
            for i in 0..<n {
                let t = hop.startFrame + i
                fft.input[i] = (0..<frameCount).contains(t) ? x[t] * window[i] : 0
            }
            fft.forward()
            // Same plan, same input values: bit-identical.
            #expect(hop.real[0] == Array(fft.real) && hop.imag[0] == Array(fft.imag), "hop \(hop.hopIndex)")
        }
    }

    @Test func analysisDoesNotModifyTheBlock() throws {
        let x = Signals.noise(frameCount: 1500, seed: 4)
        let analyzer = STFTAnalyzer(kernel: LowPassKernel(cutoffHertz: 100), configuration: Self.configuration)
        try analyzer.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 1, maximumBlockFrames: 1500))
        let buffer = AudioBuffer(channels: [x])
        buffer.withBlock { analyzer.analyze($0) }
        #expect(Array(buffer.channel(0)) == x)
    }

    @Test func blockSplitDoesNotChangeTheAnalysis() throws {
        let input = [Signals.noise(frameCount: 3000, seed: 1), Signals.noise(frameCount: 3000, seed: 2)]
        let whole = try analyze(input, blockFrames: [3000]).hops
        #expect(try analyze(input, blockFrames: [1]).hops == whole)
        #expect(try analyze(input, blockFrames: [7, 333, 1]).hops == whole)
    }

    @Test func finishIsIdempotentAndResetStartsOver() throws {
        let x = Signals.noise(frameCount: 1000, seed: 8)
        let kernel = RecordingKernel()
        let analyzer = STFTAnalyzer(kernel: kernel, configuration: Self.configuration)
        try analyzer.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 1, maximumBlockFrames: 1000))
        let buffer = AudioBuffer(channels: [x])
        buffer.withBlock { analyzer.analyze($0) }
        analyzer.finish()
        let first = kernel.hops
        analyzer.finish()
        #expect(kernel.hops == first)
        analyzer.reset()
        #expect(kernel.hops.isEmpty && analyzer.hopCount == 0)
        buffer.withBlock { analyzer.analyze($0) }
        analyzer.finish()
        #expect(kernel.hops == first)
    }

    /// The analyzer frames the stream exactly as the processor does, so a profile it learns lines up with
    /// what a processor's kernel sees. (The processor's flush drains only latencyFrames, so it may stop a
    /// hop earlier at the end; compare the hops both saw.)
    @Test func framingMatchesTheProcessor() throws {
        let x = Signals.noise(frameCount: 2500, seed: 13)
        let analyzed = try analyze([x], blockFrames: [256]).hops
        let processed = RecordingKernel()
        _ = try runProcessor(processed, configuration: Self.configuration, input: [x], blockFrames: [100])
        let common = min(analyzed.count, processed.hops.count)
        #expect(common >= analyzed.count - 1)
        #expect(Array(analyzed.prefix(common)) == Array(processed.hops.prefix(common)))
    }
}
