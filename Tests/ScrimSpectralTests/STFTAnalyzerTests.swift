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

    /// Records each hop's bins and whole-spectrum energies.
    final class EnergyKernel: SpectralKernel {
        var bins: [[[Float]]] = []  // [hop][channel][2·bin + 0/1]
        var energies: [[Double?]] = []
        func prepare(context: SpectralContext) {}
        func process(_ frame: SpectralFrame) {
            bins.append((0..<frame.channelCount).map { c in
                zip(frame.real(c), frame.imag(c)).flatMap { [$0, $1] }
            })
            energies.append((0..<frame.channelCount).map { frame.energy($0) })
        }
        func reset() {}
    }

    /// With ``STFTConfiguration/analysisBinLimit`` the kernel gets the first `limit` bins of the full transform
    /// and the full spectrum's energy, for a small limit (300 of 2049 here) and a larger one (1000). Tolerance: FFT rounding is about ε·log₂N relative to the
    /// frame's norm ‖X‖ (6e-8 · 12 ≈ 7e-7); 1e-5·‖X‖/√N per bin and 1e-5 relative on the energy leave room.
    @Test func binLimitGivesTheLowBinsAndTheEnergy() throws {
        let n = 4096
        let input = [Signals.fullScaleMix(frameCount: 20_000, sampleRate: 48_000, seed: 5),
                     Signals.noise(frameCount: 20_000, seed: 6, amplitude: 0.25)]
        func run(limit: Int?) throws -> EnergyKernel {
            let kernel = EnergyKernel()
            let analyzer = STFTAnalyzer(kernel: kernel, configuration: STFTConfiguration(
                fftSize: n, hopSize: n / 2, analysisWindow: .blackmanHarris, analysisBinLimit: limit))
            try analyzer.prepare(for: ProcessSpec(sampleRate: 48_000, channelCount: 2, maximumBlockFrames: 777))
            let buffer = AudioBuffer(channels: input)
            var position = 0
            while position < buffer.frameCount {
                let count = min(777, buffer.frameCount - position)
                buffer.withBlock { analyzer.analyze($0.slice(from: position, count: count)) }
                position += count
            }
            return kernel
        }
        let full = try run(limit: nil)
        #expect(full.energies.allSatisfy { $0.allSatisfy { $0 == nil } })
        for limit in [300, 1000] {
            let limited = try run(limit: limit)
            #expect(limited.bins.count == full.bins.count)
            for (hop, (reference, bins)) in zip(full.bins, limited.bins).enumerated() {
                for c in 0..<2 {
                    let binCount = reference[c].count / 2
                    var energy = 0.0
                    for k in 0..<binCount {
                        let p = Double(reference[c][2 * k]) * Double(reference[c][2 * k])
                            + Double(reference[c][2 * k + 1]) * Double(reference[c][2 * k + 1])
                        energy += k == 0 || k == binCount - 1 ? p : 2 * p
                    }
                    let tolerance = 1e-5 * (energy / Double(n)).squareRoot()
                    #expect(bins[c].count == 2 * limit)
                    let worst = zip(bins[c], reference[c].prefix(2 * limit)).map { abs(Double($0 - $1)) }.max() ?? 0
                    #expect(worst <= tolerance, "limit \(limit) hop \(hop) channel \(c): \(worst) > \(tolerance)")
                    let given = limited.energies[hop][c] ?? -1
                    #expect(abs(given - energy) <= 1e-5 * energy, "energy \(given) against \(energy)")
                }
            }
        }
        #expect(throws: ScrimError.self) {
            try STFTAnalyzer(kernel: EnergyKernel(), configuration: STFTConfiguration(
                fftSize: n, hopSize: n / 2, analysisBinLimit: n)).prepare(for: ProcessSpec(
                    sampleRate: 48_000, channelCount: 1, maximumBlockFrames: 64))
        }
    }
}
