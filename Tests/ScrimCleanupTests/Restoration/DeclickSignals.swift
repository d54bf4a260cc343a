import Foundation

/// Generated speech-like signals and clicks for the de-click tests (seeded, no files).
enum DeclickSignals {
    /// A deterministic generator (the loudness tests' SplitMix64 ``SeededGenerator``), so every run builds the
    /// same signals.
    struct Random {
        var generator: SeededGenerator
        init(seed: UInt64) { generator = SeededGenerator(seed: seed) }
        mutating func next() -> UInt64 { generator.next() }
        /// Uniform in [0, 1).
        mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
        /// Standard normal (Box–Muller).
        mutating func normal() -> Double {
            let u = max(uniform(), 1e-300)
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * uniform())
        }
    }

    /// Filters `input` through a cascade of two-pole resonators (formants) at `formants` hertz with
    /// `bandwidths` hertz, at `sampleRate`.
    static func formantFilter(_ input: [Double], sampleRate: Double, formants: [Double] = [700, 1220, 2600],
                              bandwidths: [Double] = [130, 70, 160]) -> [Double] {
        var signal = input
        for (f, bw) in zip(formants, bandwidths) {
            let r = exp(-Double.pi * bw / sampleRate)
            let a1 = 2 * r * cos(2 * .pi * f / sampleRate)
            let a2 = -r * r
            let gain = 1 - r  // rough normalisation; levels are set afterwards
            var y1 = 0.0, y2 = 0.0
            for i in signal.indices {
                let y = gain * signal[i] + a1 * y1 + a2 * y2
                y2 = y1
                y1 = y
                signal[i] = y
            }
        }
        return signal
    }

    /// A voiced vowel: an impulse train (sharp glottal pulses, one sample each) at `pitchHertz` with ±`jitter`
    /// relative period jitter, through three formants, from `start` to `end` seconds of a `seconds`-long signal,
    /// with 5 ms linear onset and offset ramps of the excitation, scaled to peak `peak`.
    static func vowel(seconds: Double, sampleRate: Double, pitchHertz: Double, start: Double, end: Double,
                      peak: Double = 0.5, jitter: Double = 0.01, seed: UInt64 = 1) -> [Float] {
        let n = Int(seconds * sampleRate)
        var excitation = [Double](repeating: 0, count: n)
        var random = Random(seed: seed)
        var t = start * sampleRate
        while t < end * sampleRate {
            let i = Int(t)
            if i >= 0 && i < n {
                let fromStart = (t / sampleRate - start) / 0.005
                let toEnd = (end - t / sampleRate) / 0.005
                excitation[i] = min(1, fromStart + 0.2, toEnd)
            }
            t += sampleRate / pitchHertz * (1 + jitter * (2 * random.uniform() - 1))
        }
        let y = formantFilter(excitation, sampleRate: sampleRate)
        return scaled(y, peak: peak)
    }

    /// A plosive burst: white noise starting abruptly at `start` seconds after silence, decaying exponentially
    /// with time constant `decaySeconds`, high-passed (first difference) for a bright burst, scaled to peak `peak`.
    static func plosive(seconds: Double, sampleRate: Double, start: Double, decaySeconds: Double,
                        peak: Double = 0.5, seed: UInt64 = 2) -> [Float] {
        let n = Int(seconds * sampleRate)
        var random = Random(seed: seed)
        var y = [Double](repeating: 0, count: n)
        var previous = 0.0
        for i in Int(start * sampleRate)..<n {
            let age = Double(i) / sampleRate - start
            let v = random.normal() * exp(-age / decaySeconds)
            y[i] = v - 0.5 * previous
            previous = v
        }
        return scaled(y, peak: peak)
    }

    /// A fricative: white noise through a resonator at 5 kHz (or 0.3 × sampleRate if lower), rising linearly
    /// over `riseSeconds` from `start`, held to `end`, scaled to peak `peak`.
    static func fricative(seconds: Double, sampleRate: Double, start: Double, riseSeconds: Double, end: Double,
                          peak: Double = 0.3, seed: UInt64 = 3) -> [Float] {
        let n = Int(seconds * sampleRate)
        var random = Random(seed: seed)
        var noise = [Double](repeating: 0, count: n)
        for i in Int(start * sampleRate)..<min(n, Int(end * sampleRate)) {
            let age = Double(i) / sampleRate - start
            noise[i] = random.normal() * min(1, age / riseSeconds)
        }
        let y = formantFilter(noise, sampleRate: sampleRate, formants: [min(5000, 0.3 * sampleRate)],
                              bandwidths: [1500])
        return scaled(y, peak: peak)
    }

    static func scaled(_ y: [Double], peak: Double) -> [Float] {
        let largest = y.map { abs($0) }.max() ?? 0
        guard largest > 0 else { return y.map { Float($0) } }
        return y.map { Float($0 * peak / largest) }
    }

    /// A click shape of `lengthSeconds` with peak amplitude `amplitude`: a single-sample spike when it is
    /// shorter than two samples, else a damped oscillation (mouth-click-like: 3.5 kHz or 0.3 × sampleRate,
    /// decaying to 1 % over the length) with a random sign.
    static func click(lengthSeconds: Double, amplitude: Double, sampleRate: Double, seed: UInt64) -> [Float] {
        let m = max(1, Int((lengthSeconds * sampleRate).rounded()))
        var random = Random(seed: seed)
        let sign: Double = random.uniform() < 0.5 ? -1 : 1
        guard m > 1 else { return [Float(sign * amplitude)] }
        let f = min(3500, 0.3 * sampleRate) * (0.8 + 0.4 * random.uniform())
        let phase = 2 * Double.pi * random.uniform()
        var y = [Double](repeating: 0, count: m)
        for i in 0..<m {
            let t = Double(i) / Double(m)
            y[i] = exp(-4.6 * t) * sin(2 * .pi * f * Double(i) / sampleRate + phase)
        }
        let largest = y.map { abs($0) }.max() ?? 1
        return y.map { Float(sign * amplitude * $0 / largest) }
    }

    /// `signal` with `click` added at `position`.
    static func adding(_ click: [Float], to signal: [Float], at position: Int) -> [Float] {
        var out = signal
        for (i, v) in click.enumerated() where position + i < out.count { out[position + i] += v }
        return out
    }

    /// Scale-invariant SDR of `estimate` against `reference` over `range`, in dB (Le Roux et al., "SDR —
    /// half-baked or well done?", ICASSP 2019). +∞ becomes 300 dB.
    static func siSDR(_ estimate: [Float], _ reference: [Float], _ range: Range<Int>? = nil) -> Double {
        let r = range ?? 0..<reference.count
        var dot = 0.0, energy = 0.0
        for i in r {
            dot += Double(estimate[i]) * Double(reference[i])
            energy += Double(reference[i]) * Double(reference[i])
        }
        guard energy > 0 else { return 0 }
        let alpha = dot / energy
        var target = 0.0, error = 0.0
        for i in r {
            let s = alpha * Double(reference[i])
            target += s * s
            let e = Double(estimate[i]) - s
            error += e * e
        }
        guard error > 0 else { return 300 }
        return min(300, 10 * log10(target / error))
    }

    /// Largest absolute difference between two signals.
    static func maximumDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    static func sum(_ a: [Float], _ b: [Float]) -> [Float] { zip(a, b).map { $0 + $1 } }
}
