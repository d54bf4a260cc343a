import Foundation
import ScrimCore

/// Reference signals for the hum tests, generated here (seeded, deterministic).
enum HumSignals {
    /// A small linear congruential generator (Knuth MMIX constants) so noise is the same on every run.
    struct Noise {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) - (1 << 52)) / Float(1 << 52)
        }
    }

    /// Hum with harmonic amplitudes `amplitudes[h-1]` (peak, linear), fundamental f(t) = start + (end − start)·t/T,
    /// phases 0.7·h rad.
    static func hum(frameCount: Int, sampleRate: Double, startHertz: Double, endHertz: Double? = nil,
                    amplitudes: [Double]) -> [Float] {
        let end = endHertz ?? startHertz
        var phase = 0.0
        var out = [Float](repeating: 0, count: frameCount)
        for n in 0..<frameCount {
            var v = 0.0
            for (i, a) in amplitudes.enumerated() where a != 0 {
                v += a * cos(Double(i + 1) * phase + 0.7 * Double(i + 1))
            }
            out[n] = Float(v)
            let f = startHertz + (end - startHertz) * Double(n) / Double(frameCount)
            phase += 2 * Double.pi * f / sampleRate
            if phase > 2 * Double.pi * 1000 { phase -= 2 * Double.pi * 1000 }
        }
        return out
    }

    /// `hum` swelling from −20 dB to 0 dB and back over its length (sin² in dB, as the quality corpus's `swell`).
    static func swelling(_ hum: [Float]) -> [Float] {
        let n = hum.count
        return (0..<n).map { i -> Float in
            let s = sin(Double.pi * Double(i) / Double(n))
            return hum[i] * Float(pow(10, (-20 + 20 * s * s) / 20))
        }
    }

    /// Mains-like harmonic amplitudes: 1/h, even harmonics a further half, scaled so the fundamental is `level`.
    static func mainsAmplitudes(count: Int, fundamentalAmplitude: Double) -> [Double] {
        (1...count).map { h in fundamentalAmplitude / Double(h) * (h % 2 == 0 ? 0.5 : 1) }
    }

    static func whiteNoise(frameCount: Int, amplitude: Float, seed: UInt64) -> [Float] {
        var noise = Noise(state: seed)
        return (0..<frameCount).map { _ in amplitude * noise.next() }
    }

    /// Pink-ish noise (power falling about 3 dB an octave from 20 Hz up): white noise through seven one-pole low-passes
    /// whose corners are spaced in octaves of four, weighted so each passes the same power per octave (a sum of
    /// first-order sections approximating 1/f; the usual construction), scaled to RMS `rms`.
    static func pinkNoise(frameCount: Int, rms: Float, seed: UInt64, sampleRate: Double) -> [Float] {
        var noise = Noise(state: seed)
        let corners = (0..<7).map { 20 * pow(4.0, Double($0)) }.filter { $0 < sampleRate / 2 }
        let poles = corners.map { exp(-2 * Double.pi * $0 / sampleRate) }
        var states = [Double](repeating: 0, count: poles.count)
        var out = [Double](repeating: 0, count: frameCount)
        for n in 0..<frameCount {
            let w = Double(noise.next())
            var v = 0.0
            for i in 0..<poles.count {
                states[i] = poles[i] * states[i] + (1 - poles[i]) * w
                // A section's low-frequency power is flat up to its corner: scaling by √corner gives every octave
                // about the same power.
                v += states[i] * corners[i].squareRoot()
            }
            out[n] = v
        }
        let mean = out.reduce(0.0) { $0 + $1 * $1 } / Double(max(frameCount, 1))
        let scale = Double(rms) / max(mean.squareRoot(), 1e-30)
        return out.map { Float($0 * scale) }
    }

    static func sum(_ a: [Float], _ b: [Float]) -> [Float] { zip(a, b).map { $0 + $1 } }

    /// Mean power of `x` over `range`.
    static func power(_ x: [Float], _ range: Range<Int>) -> Double {
        var s = 0.0
        for i in range { s += Double(x[i]) * Double(x[i]) }
        return s / Double(max(range.count, 1))
    }

    /// Power of a − b over `range`, in dB relative to the power of `reference` over the same range.
    static func errorDecibels(_ a: [Float], _ b: [Float], reference: [Float], _ range: Range<Int>) -> Double {
        let difference = zip(a, b).map { $0 - $1 }
        return 10 * log10(power(difference, range) / power(reference, range))
    }

    /// The 120 Hz vowel of the voice-keeping tests: 20 harmonics of amplitude 0.05/h on a pitch with ±2 % vibrato at
    /// 5.5 Hz, from `start` to `end` seconds, 50 ms ramps (out only, or in and out); also its phase at each sample.
    static func vowelWithPhases(frameCount n: Int, sampleRate: Double, from start: Double, to end: Double,
                                rampIn: Bool) -> (samples: [Float], phases: [Double]) {
        var vowel = [Float](repeating: 0, count: n)
        var phases = [Double](repeating: 0, count: n)
        var phase = 0.0
        for i in Int(start * sampleRate)..<Int(end * sampleRate) {
            let t = Double(i) / sampleRate
            phases[i] = phase
            var v = 0.0
            for h in 1...20 { v += 0.05 / Double(h) * sin(Double(h) * phase) }
            vowel[i] = Float(v * min(1, (rampIn ? min(t - start, end - t) : end - t) / 0.05))
            phase += 2 * Double.pi * 120 * (1 + 0.02 * sin(2 * Double.pi * 5.5 * t)) / sampleRate
        }
        return (vowel, phases)
    }

    /// The level (dB, arbitrary reference) of `x`'s component along harmonic `h` of `phases` over `range`: its
    /// correlation with that harmonic's known waveform.
    static func harmonicLevel(_ x: [Float], phases: [Double], harmonic h: Int, _ range: Range<Int>) -> Double {
        var re = 0.0, im = 0.0
        for i in range {
            re += Double(x[i]) * sin(Double(h) * phases[i])
            im += Double(x[i]) * cos(Double(h) * phases[i])
        }
        return 10 * log10(re * re + im * im)
    }
}
