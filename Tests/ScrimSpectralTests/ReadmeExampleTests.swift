import ScrimCore
import Testing
import ScrimSpectral

/// The kernel from Sources/ScrimSpectral/README.md, verbatim, so the example keeps compiling and working.
final class LinkedGate: SpectralKernel {  // mutes hops below about −54 dBFS, one decision for all channels
    private var threshold: Float = 0
    func prepare(context: SpectralContext) { threshold = 1e-6 * Float(context.fftSize * context.fftSize) }
    func process(_ frame: SpectralFrame) {
        var energy: Float = 0
        for c in 0..<frame.channelCount {
            let re = frame.real(c), im = frame.imag(c)
            for k in 0..<frame.binCount { energy += re[k] * re[k] + im[k] * im[k] }
        }
        guard energy < threshold else { return }
        for c in 0..<frame.channelCount { frame.real(c).update(repeating: 0); frame.imag(c).update(repeating: 0) }
    }
    func reset() {}
}

@Suite struct ReadmeExampleTests {
    /// With sqrt-Hann, Σ|X|² over the half spectrum of white noise of rms σ is ≈ fftSize²·σ²/4, so the
    /// threshold 1e-6·fftSize² sits at σ ≈ 2e-3 (−54 dBFS): noise at −80 dBFS is muted, at −20 dBFS it passes.
    @Test func gateMutesQuietAndPassesLoud() throws {
        let configuration = STFTConfiguration(fftSize: 2048, hopSize: 512)
        let frameCount = 48_000
        let quiet = Signals.noise(frameCount: frameCount, seed: 1, amplitude: 1.7e-4)  // rms 1e-4: −80 dBFS
        let loud = Signals.noise(frameCount: frameCount, seed: 2, amplitude: 0.17)     // rms 0.1: −20 dBFS
        let out = try runProcessor(LinkedGate(), configuration: configuration, input: [quiet, loud])
        // Channels are linked: the loud channel keeps both open.
        #expect(Signals.maxAbsDifference(out[0], quiet) <= 1e-5 && Signals.maxAbsDifference(out[1], loud) <= 1e-5)
        let alone = try runProcessor(LinkedGate(), configuration: configuration, input: [quiet])
        let steady = 2048..<(frameCount - 2048)
        #expect(alone[0][steady].allSatisfy { $0 == 0 })
    }
}
