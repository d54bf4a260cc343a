import Foundation
import ScrimCore
@testable import ScrimSpectral

/// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014):
/// a tiny seeded generator so test signals are identical on every run and platform.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Signals {
    /// Uniform noise in −amplitude…amplitude.
    static func noise(frameCount: Int, seed: UInt64, amplitude: Float = 1) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0..<frameCount).map { _ in Float.random(in: -amplitude...amplitude, using: &generator) }
    }

    /// A sine of `frequency` Hz, computed in double precision.
    static func sine(frameCount: Int, frequency: Double, sampleRate: Double, amplitude: Double = 1,
                     phase: Double = 0) -> [Float] {
        (0..<frameCount).map { Float(amplitude * sin(2 * Double.pi * frequency * Double($0) / sampleRate + phase)) }
    }

    /// A full-scale test signal: noise plus two sines, hard-limited to ±1, with full-scale samples at the very
    /// first and last frames so the edges of the stream are exercised.
    static func fullScaleMix(frameCount: Int, sampleRate: Double, seed: UInt64) -> [Float] {
        let noise = noise(frameCount: frameCount, seed: seed, amplitude: 0.5)
        let low = sine(frameCount: frameCount, frequency: 997, sampleRate: sampleRate, amplitude: 0.3)
        let high = sine(frameCount: frameCount, frequency: 7919, sampleRate: sampleRate, amplitude: 0.2)
        var mix = (0..<frameCount).map { max(-1, min(1, noise[$0] + low[$0] + high[$0])) }
        mix[0] = 1
        mix[frameCount - 1] = -1
        return mix
    }

    static func rms(_ x: ArraySlice<Float>) -> Double {
        guard !x.isEmpty else { return 0 }
        return (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(x.count)).squareRoot()
    }

    static func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "\(a.count) vs \(b.count)")
        return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }
}

/// The textbook DFT in double precision, O(N²): the reference the FFT is checked against.
func naiveDFT(_ x: [Float]) -> (real: [Double], imag: [Double]) {
    let n = x.count
    var real = [Double](repeating: 0, count: n / 2 + 1)
    var imag = [Double](repeating: 0, count: n / 2 + 1)
    for k in 0...(n / 2) {
        var re = 0.0
        var im = 0.0
        for t in 0..<n {
            // Reduce k·t mod n first so the angle stays small and exact.
            let angle = -2 * Double.pi * Double((k * t) % n) / Double(n)
            re += Double(x[t]) * cos(angle)
            im += Double(x[t]) * sin(angle)
        }
        real[k] = re
        imag[k] = im
    }
    return (real, imag)
}

/// Zeroes every bin above `cutoffHertz` in every channel: a brick-wall low-pass.
final class LowPassKernel: SpectralKernel {
    let cutoffHertz: Double
    private var firstRemovedBin = 0
    init(cutoffHertz: Double) { self.cutoffHertz = cutoffHertz }
    func prepare(context: SpectralContext) {
        firstRemovedBin = min(context.binCount, Int((cutoffHertz * Double(context.fftSize) / context.sampleRate)) + 1)
    }
    func process(_ frame: SpectralFrame) {
        for c in 0..<frame.channelCount {
            let re = frame.real(c)
            let im = frame.imag(c)
            for k in firstRemovedBin..<frame.binCount {
                re[k] = 0
                im[k] = 0
            }
        }
    }
    func reset() {}
}

/// A stateful kernel that links channels: each hop it scales all channels by one gain that depends on the
/// smoothed energy of all channels so far (like a linked stereo reducer). Its output depends on history,
/// so it tells whether `reset()` really clears state.
final class LinkedSmoothingKernel: SpectralKernel {
    private var smoothedEnergy: Double = 0
    func prepare(context: SpectralContext) {}
    func process(_ frame: SpectralFrame) {
        var energy = 0.0
        for c in 0..<frame.channelCount {
            let re = frame.real(c)
            let im = frame.imag(c)
            for k in 0..<frame.binCount { energy += Double(re[k] * re[k] + im[k] * im[k]) }
        }
        smoothedEnergy = 0.9 * smoothedEnergy + 0.1 * energy
        let gain = Float(1 / (1 + smoothedEnergy.squareRoot() / 1000))
        for c in 0..<frame.channelCount {
            let re = frame.real(c)
            let im = frame.imag(c)
            for k in 0..<frame.binCount {
                re[k] *= gain
                im[k] *= gain
            }
        }
    }
    func reset() { smoothedEnergy = 0 }
}

/// Records every spectrum it sees (allocates in `process`; a test instrument only).
final class RecordingKernel: SpectralKernel {
    struct Hop: Equatable {
        var hopIndex: Int
        var startFrame: Int
        var real: [[Float]]
        var imag: [[Float]]
    }
    private(set) var hops: [Hop] = []
    private(set) var preparedContext: SpectralContext?
    func prepare(context: SpectralContext) { preparedContext = context }
    func process(_ frame: SpectralFrame) {
        hops.append(Hop(hopIndex: frame.hopIndex, startFrame: frame.startFrame,
                        real: (0..<frame.channelCount).map { Array(frame.real($0)) },
                        imag: (0..<frame.channelCount).map { Array(frame.imag($0)) }))
    }
    func reset() { hops.removeAll() }
}

/// Runs `input` through a fresh STFT processor and returns the aligned output channels.
func runProcessor<K: SpectralKernel>(
    _ kernel: K, configuration: STFTConfiguration, sampleRate: Double = 48_000, input: [[Float]],
    blockFrames: [Int] = [512]
) throws -> [[Float]] {
    let processor = STFTProcessor(kernel: kernel, configuration: configuration)
    try processor.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: input.count,
                                           maximumBlockFrames: max(blockFrames.max() ?? 1, 1)))
    return processor.processAligned(AudioBuffer(channels: input), blockFrames: blockFrames).channelArrays()
}
