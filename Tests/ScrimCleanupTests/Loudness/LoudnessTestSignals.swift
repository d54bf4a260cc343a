import Foundation
import ScrimCore
@testable import ScrimCleanup

/// Seeded generator (SplitMix64) so every noise signal is reproducible.
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
    /// Uniform in −1 … 1.
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 52) - 1 }
}

/// Reference signals for the loudness tests, all generated here.
enum LoudnessSignals {
    /// One step of a tone sequence: peak level in dBFS and duration in seconds.
    struct Tone {
        var level: DecibelsFullScale
        var seconds: Double
    }

    /// A phase-continuous sine at `frequency` through a sequence of levels (the EBU Tech 3341/3342 signals).
    static func toneSequence(_ tones: [Tone], frequency: Double = 1000, sampleRate: Double = 48_000,
                             phaseDegrees: Double = 0) -> [Float] {
        var out: [Float] = []
        var n = 0
        for tone in tones {
            let a = amplitude(fromDecibels: tone.level)
            let count = Int((tone.seconds * sampleRate).rounded())
            out.reserveCapacity(out.count + count)
            for _ in 0..<count {
                let phase = 2 * Double.pi * frequency * Double(n) / sampleRate + phaseDegrees * .pi / 180
                out.append(Float(a * sin(phase)))
                n += 1
            }
        }
        return out
    }

    /// `tones` repeated `times` times.
    static func repeated(_ times: Int, _ tones: [Tone]) -> [Tone] {
        Array((0..<times).map { _ in tones }.joined())
    }

    /// Raised-cosine fade-in and fade-out of `seconds` at each end (in place).
    static func fade(_ samples: inout [Float], seconds: Double, sampleRate: Double) {
        let n = min(samples.count / 2, Int(seconds * sampleRate))
        for i in 0..<n {
            let g = Float(0.5 - 0.5 * cos(Double.pi * Double(i) / Double(n)))
            samples[i] *= g
            samples[samples.count - 1 - i] *= g
        }
    }

    /// Pink-ish noise by the Voss–McCartney method: 16 white rows, row k refreshed every 2^k samples, summed
    /// (≈ −3 dB/octave from a few hertz up). Scaled to an RMS of 1 before `gain`.
    static func pinkNoise(frameCount: Int, seed: UInt64, gain: Double = 1) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        var rows = (0..<16).map { _ in rng.uniform() }
        var sum = rows.reduce(0, +)
        var raw = [Double](repeating: 0, count: frameCount)
        for i in 0..<frameCount {
            // The row to refresh is the number of trailing zeros of the counter (one row per sample).
            let k = min(15, (i + 1).trailingZeroBitCount)
            let fresh = rng.uniform()
            sum += fresh - rows[k]
            rows[k] = fresh
            raw[i] = sum + rng.uniform()
        }
        let rms = (raw.reduce(0) { $0 + $1 * $1 } / Double(max(1, frameCount))).squareRoot()
        return raw.map { Float($0 / rms * gain) }
    }

    /// Copies of `samples` in `channelCount` channels.
    static func buffer(_ samples: [Float], channelCount: Int) -> AudioBuffer {
        AudioBuffer(channels: Array(repeating: samples, count: channelCount))
    }

    /// Runs `buffer` through a prepared meter in blocks of the sizes in `split` (cycled), calling `afterBlock`
    /// after each block.
    static func feed(_ buffer: AudioBuffer, to meter: LoudnessMeter, split: [Int],
                     afterBlock: (LoudnessMeter) -> Void = { _ in }) {
        buffer.withBlock { whole in
            var position = 0
            var index = 0
            while position < whole.frameCount {
                let n = min(split[index % split.count], whole.frameCount - position)
                meter.analyze(whole.slice(from: position, count: n))
                afterBlock(meter)
                position += n
                index += 1
            }
        }
    }

    /// A prepared meter that has measured `buffer`.
    static func measure(_ buffer: AudioBuffer, sampleRate: Double = 48_000, layout: ChannelLayout? = nil,
                        truePeak: Bool = false, dialogue: Bool = false, split: [Int] = [4096]) throws -> LoudnessMeter {
        let meter = LoudnessMeter(layout: layout, measureTruePeak: truePeak, dialogueGating: dialogue)
        try meter.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: buffer.channelCount,
                                           maximumBlockFrames: 4096))
        feed(buffer, to: meter, split: split)
        return meter
    }
}
