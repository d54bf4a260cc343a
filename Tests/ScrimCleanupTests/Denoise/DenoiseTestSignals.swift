import Foundation
import ScrimCore
@testable import ScrimCleanup

/// SplitMix64 (Steele, Lea & Flood, OOPSLA 2014) with Box–Muller Gaussians: seeded, identical on every run.
struct DenoiseRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func nextUInt64() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    mutating func uniform() -> Double { (Double(nextUInt64() >> 11) + 1) / Double(1 << 53) }

    /// Standard normal (Box–Muller).
    mutating func gaussian() -> Double {
        (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())
    }
}

/// Generated reference signals for the noise-reduction tests.
enum DenoiseSignals {
    /// White Gaussian noise with RMS `rms`.
    static func whiteNoise(frameCount: Int, rms: Double, seed: UInt64) -> [Float] {
        var random = DenoiseRandom(seed: seed)
        return (0..<frameCount).map { _ in Float(rms * random.gaussian()) }
    }

    /// Pink (1/f power) Gaussian noise with RMS `rms`: white noise through Paul Kellet's economy three-pole
    /// pinking filter (coefficients as published on the music-dsp list, 1999; ±0.5 dB from 40 Hz to Nyquist at
    /// 48 kHz), then scaled to the RMS.
    static func pinkNoise(frameCount: Int, rms: Double, seed: UInt64) -> [Float] {
        var random = DenoiseRandom(seed: seed)
        var b0 = 0.0, b1 = 0.0, b2 = 0.0
        var raw = [Double](repeating: 0, count: frameCount)
        for i in 0..<frameCount {
            let white = random.gaussian()
            b0 = 0.99765 * b0 + white * 0.0990460
            b1 = 0.96300 * b1 + white * 0.2965164
            b2 = 0.57000 * b2 + white * 1.0526913
            raw[i] = b0 + b1 + b2 + white * 0.1848
        }
        let measured = (raw.reduce(0) { $0 + $1 * $1 } / Double(max(frameCount, 1))).squareRoot()
        return raw.map { Float($0 * rms / max(measured, 1e-30)) }
    }

    /// A speech-like test signal: a harmonic complex whose f0 glides between 100 and 250 Hz, shaped by three
    /// formant-like resonances (500, 1500, 2500 Hz) and a −6 dB/octave tilt, amplitude-modulated at 4 Hz
    /// (syllables), with 300 ms pauses of digital silence every 1.2 s. RMS over the voiced parts ≈ `rms`.
    static func speechLike(frameCount: Int, sampleRate: Double, rms: Double) -> [Float] {
        var output = [Double](repeating: 0, count: frameCount)
        var phase = 0.0
        let formants: [(centre: Double, bandwidth: Double)] = [(500, 120), (1500, 200), (2500, 300)]
        func envelope(_ f: Double) -> Double {
            var gain = 0.0
            for formant in formants {
                let x = (f - formant.centre) / formant.bandwidth
                gain += 1 / (1 + x * x)
            }
            return (gain + 0.05) * min(1, 200 / f)  // −6 dB/octave above 200 Hz
        }
        for i in 0..<frameCount {
            let t = Double(i) / sampleRate
            let f0 = 175 + 75 * sin(2 * Double.pi * 0.37 * t)  // glides 100…250 Hz
            phase += 2 * Double.pi * f0 / sampleRate
            if phase > 2 * Double.pi * 1000 { phase -= 2 * Double.pi * 1000 }
            let cycle = t.truncatingRemainder(dividingBy: 1.2)
            guard cycle < 0.9 else { continue }  // pause
            let syllable = pow(sin(Double.pi * 4 * cycle / 0.9 * 0.9), 2)  // 4 Hz syllabic envelope
            var sample = 0.0
            var harmonic = 1
            while Double(harmonic) * f0 < 5000 {
                let f = Double(harmonic) * f0
                sample += envelope(f) * sin(Double(harmonic) * phase)
                harmonic += 1
            }
            // Ramp 10 ms in and out of each voiced stretch so pauses start and end without clicks.
            let ramp = min(1, cycle / 0.01, (0.9 - cycle) / 0.01)
            output[i] = sample * syllable * ramp
        }
        let voiced = output.filter { $0 != 0 }
        let measured = (voiced.reduce(0) { $0 + $1 * $1 } / Double(max(voiced.count, 1))).squareRoot()
        return output.map { Float($0 * rms / max(measured, 1e-30)) }
    }

    /// Scale-invariant SDR in dB (Le Roux, Wisdom, Erdogan & Hershey, "SDR – half-baked or well done?",
    /// ICASSP 2019, eq. 4) of `estimate` against `reference`, optionally over `range` only.
    static func siSDR(reference: [Float], estimate: [Float], range: Range<Int>? = nil) -> Double {
        let r = range ?? 0..<reference.count
        var dot = 0.0, energy = 0.0
        for i in r {
            dot += Double(reference[i]) * Double(estimate[i])
            energy += Double(reference[i]) * Double(reference[i])
        }
        let alpha = dot / max(energy, 1e-30)
        var target = 0.0, residual = 0.0
        for i in r {
            let s = alpha * Double(reference[i])
            let e = Double(estimate[i]) - s
            target += s * s
            residual += e * e
        }
        return 10 * log10(target / max(residual, 1e-30))
    }

    /// RMS level in dB re 1.0 over `range`.
    static func levelDecibels(_ x: [Float], range: Range<Int>) -> Double {
        var sum = 0.0
        for i in range { sum += Double(x[i]) * Double(x[i]) }
        return 10 * log10(max(sum / Double(max(range.count, 1)), 1e-300))
    }

    static func add(_ a: [Float], _ b: [Float]) -> [Float] { zip(a, b).map { $0 + $1 } }
}

/// Runs `input` (one array per channel) through a freshly prepared reducer, aligned, in `blockFrames` blocks.
func denoise(_ input: [[Float]], sampleRate: Double = 48000, settings: NoiseReducerSettings = .init(),
             blockFrames: [Int] = [4096]) throws -> (output: [[Float]], report: NoiseReductionReport) {
    let reducer = NoiseReducer(settings: settings)
    let maximum = max(blockFrames.max() ?? 1, 8192)
    try reducer.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: input.count,
                                         maximumBlockFrames: maximum))
    let output = reducer.processAligned(AudioBuffer(channels: input), blockFrames: blockFrames)
    return (output.channelArrays(), reducer.report)
}
