import Foundation
import ScrimCore

/// Reference signals for the rumble and wind tests, generated here (seeded, deterministic).
enum WindSignals {
    /// A small linear congruential generator (Knuth MMIX constants): uniform in −1…1.
    struct Noise {
        var state: UInt64
        mutating func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(Int64(bitPattern: state >> 11) - (1 << 52)) / Double(1 << 52)
        }
    }

    /// Speech-like test signal: voiced syllables (a harmonic series on a fundamental that glides ±8 % around
    /// `fundamentalHertz`, harmonic h at 1/h with a formant-like lift near 500 Hz and 1.5 kHz), 4 syllables a
    /// second with pauses, a 0.3 s lead-in of silence, and a −70 dBFS white floor. Peak about −10 dBFS.
    static func speech(frameCount: Int, sampleRate: Double, fundamentalHertz: Double = 120, seed: UInt64 = 1,
                       syllables: Bool = true) -> [Float] {
        var noise = Noise(state: seed)
        var out = [Float](repeating: 0, count: frameCount)
        var phase = 0.0
        let harmonics = Int(min(4000, sampleRate / 2.5) / fundamentalHertz)
        let weights = (1...max(1, harmonics)).map { h -> Double in
            let f = Double(h) * fundamentalHertz
            let formant = 1 + 2 * exp(-pow((f - 500) / 200, 2)) + 1.5 * exp(-pow((f - 1500) / 300, 2))
            return formant / Double(h)
        }
        let norm = 0.1 / weights.reduce(0, +)
        for n in 0..<frameCount {
            let t = Double(n) / sampleRate
            let f0 = fundamentalHertz * (1 + 0.08 * sin(2 * Double.pi * 0.7 * t))
            phase += 2 * Double.pi * f0 / sampleRate
            if phase > 2 * Double.pi * 1e4 { phase -= 2 * Double.pi * 1e4 }
            var envelope = 1.0
            if syllables {
                // 0.25 s syllables: a raised-cosine 0.18 s burst, then 0.07 s of pause; nothing in the lead-in.
                let local = (t - 0.3).truncatingRemainder(dividingBy: 0.25)
                envelope = t < 0.3 || local > 0.18 ? 0 : sin(Double.pi * local / 0.18)
                envelope *= envelope
            }
            var v = 0.0
            if envelope > 0 {
                for (i, w) in weights.enumerated() { v += w * sin(Double(i + 1) * phase + 0.3 * Double(i)) }
            }
            out[n] = Float(norm * envelope * v + 3.2e-4 * noise.next())
        }
        return out
    }

    /// A low male voice: a harmonic series on a fundamental gliding ±8 % around `fundamentalHertz` (65 Hz: 60–70 Hz,
    /// below an 80 Hz corner), harmonic h at 1/h times a vocal-tract lift (formants at 500, 1500 and 2500 Hz, up to
    /// 9, 6 and 4 times), 4 syllables a second after a 0.3 s lead-in, a −70 dBFS white floor. Its fundamental is
    /// the strongest single component under the corner; the harmonics above carry about 10 dB more in all.
    static func lowVoice(frameCount: Int, sampleRate: Double, fundamentalHertz: Double = 65, seed: UInt64 = 5) -> [Float] {
        var noise = Noise(state: seed)
        var phase = 0.0
        let harmonics = Int(min(4000, sampleRate / 2.5) / fundamentalHertz)
        let weights = (1...max(1, harmonics)).map { h -> Double in
            let f = Double(h) * fundamentalHertz
            let lift = 1 + 8 * exp(-pow((f - 500) / 150, 2)) + 5 * exp(-pow((f - 1500) / 250, 2))
                + 3 * exp(-pow((f - 2500) / 300, 2))
            return lift / Double(h)
        }
        let norm = 0.1 / weights.reduce(0, +)
        return (0..<frameCount).map { n in
            let t = Double(n) / sampleRate
            phase += 2 * Double.pi * fundamentalHertz * (1 + 0.08 * sin(2 * Double.pi * 0.7 * t)) / sampleRate
            if phase > 2 * Double.pi * 1e4 { phase -= 2 * Double.pi * 1e4 }
            let local = (t - 0.3).truncatingRemainder(dividingBy: 0.25)
            var envelope = t < 0.3 || local > 0.18 ? 0 : sin(Double.pi * local / 0.18)
            envelope *= envelope
            var v = 0.0
            if envelope > 0 {
                for (i, w) in weights.enumerated() { v += w * sin(Double(i + 1) * phase + 0.3 * Double(i)) }
            }
            return Float(norm * envelope * v + 3.2e-4 * noise.next())
        }
    }

    /// Wind-like noise: white noise through two one-pole low-passes at `cornerHertz` (12 dB per octave above it),
    /// scaled so its RMS over the whole signal before the envelope is `rmsDecibelsFS`, times `envelope`.
    static func lowNoise(frameCount: Int, sampleRate: Double, cornerHertz: Double = 60, rmsDecibelsFS: Double,
                         seed: UInt64) -> [Float] {
        var noise = Noise(state: seed)
        let a = exp(-2 * Double.pi * cornerHertz / sampleRate)
        var s1 = 0.0, s2 = 0.0
        var out = [Double](repeating: 0, count: frameCount)
        for n in 0..<frameCount {
            s1 = a * s1 + (1 - a) * noise.next()
            s2 = a * s2 + (1 - a) * s1
            out[n] = s2
        }
        let rms = sqrt(out.reduce(0) { $0 + $1 * $1 } / Double(max(1, frameCount)))
        let scale = pow(10, rmsDecibelsFS / 20) / max(rms, 1e-30)
        return out.map { Float($0 * scale) }
    }

    /// A gust envelope: raised-cosine bursts of `seconds` starting at each of `starts` (seconds), 0 elsewhere.
    static func gusts(frameCount: Int, sampleRate: Double, starts: [Double], seconds: Double) -> [Float] {
        (0..<frameCount).map { n in
            let t = Double(n) / sampleRate
            for s in starts where t >= s && t < s + seconds {
                let x = sin(Double.pi * (t - s) / seconds)
                return Float(x * x)
            }
            return 0
        }
    }

    static func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    static func product(_ a: [Float], _ b: [Float]) -> [Float] { zip(a, b).map { $0 * $1 } }
    static func sum(_ a: [Float], _ b: [Float]) -> [Float] { zip(a, b).map { $0 + $1 } }

    /// Scale-invariant SDR of `estimate` against `reference`, in dB (Le Roux et al. 2019).
    static func siSDR(_ estimate: [Float], reference: [Float], range: Range<Int>? = nil) -> Double {
        let r = range ?? 0..<reference.count
        var dot = 0.0, energy = 0.0
        for i in r { dot += Double(estimate[i]) * Double(reference[i]); energy += Double(reference[i]) * Double(reference[i]) }
        let alpha = dot / max(energy, 1e-30)
        var target = 0.0, error = 0.0
        for i in r {
            let t = alpha * Double(reference[i])
            target += t * t
            error += (Double(estimate[i]) - t) * (Double(estimate[i]) - t)
        }
        return 10 * log10(target / max(error, 1e-30))
    }

    /// Power below `hertz` in `x[range]` via a fourth-order low-pass run forwards (Butterworth sections from the
    /// rumble filter's design, mirrored), in dB re full scale mean square.
    static func lowBandDecibels(_ x: [Float], sampleRate: Double, hertz: Double, range: Range<Int>) -> Double {
        // Two cascaded one-pole pairs are too gentle; a direct-form low-pass RBJ biquad pair (Q 0.54, 1.31).
        var y = x.map(Double.init)
        for q in [0.5412, 1.3066] {
            let w = 2 * Double.pi * hertz / sampleRate
            let alpha = sin(w) / (2 * q), c = cos(w), a0 = 1 + alpha
            let b0 = (1 - c) / 2 / a0, b1 = (1 - c) / a0, b2 = b0, a1 = -2 * c / a0, a2 = (1 - alpha) / a0
            var x1 = 0.0, x2 = 0.0, y1 = 0.0, y2 = 0.0
            for n in y.indices {
                let v = b0 * y[n] + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
                x2 = x1; x1 = y[n]; y2 = y1; y1 = v
                y[n] = v
            }
        }
        var s = 0.0
        for i in range { s += y[i] * y[i] }
        return 10 * log10(s / Double(max(1, range.count)) + 1e-30)
    }

    /// Runs `processor` over `channels` in blocks cycling through `blocks`, aligned (latency compensated).
    static func run(_ processor: any AudioProcessor, _ channels: [[Float]], sampleRate: Double,
                    blocks: [Int] = [4096]) throws -> [[Float]] {
        try processor.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: channels.count,
                                               maximumBlockFrames: max(blocks.max() ?? 1, 8192)))
        return processor.processAligned(AudioBuffer(channels: channels), blockFrames: blocks).channelArrays()
    }
}
