import Foundation
import ScrimCore
import Testing
@testable import ScrimCleanup

/// The meter's fast paths against plain reference loops written here: the vector peak scan, the K-weighting that
/// filters two channels per loop, and the sample peak the true-peak interpolator returns. Each fast path keeps
/// every value's arithmetic (or, for a maximum, computes an order-independent result), so all comparisons are
/// exact.
@Suite struct LoudnessFastPathTests {
    /// The plain scan the vector one replaces: `peak = max(peak, abs(x))`, sample by sample.
    static func plainMagnitudeMax(_ samples: ArraySlice<Float>, initial: Float = 0) -> Float {
        var peak = initial
        for x in samples { peak = max(peak, abs(x)) }
        return peak
    }

    /// Lengths around the vector widths (8 lanes × 4 accumulators) and unaligned starts; NaN, ±∞ and −0 mixed
    /// in: the vector scan must give the scalar loop's value bit for bit.
    @Test(arguments: [false, true])
    func peakScanMatchesScalarLoop(withSpecialValues: Bool) {
        var rng = SeededGenerator(seed: 11)
        var samples = (0..<1200).map { _ in Float(rng.uniform()) }
        if withSpecialValues {
            for i in stride(from: 5, to: samples.count, by: 97) { samples[i] = .nan }
            samples[40] = -0.0
            samples[700] = -.infinity
        }
        samples.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return }
            for start in [0, 1, 3, 7] {
                for count in [0, 1, 7, 8, 31, 32, 33, 63, 64, 65, 100, 1000, 1193] where start + count <= p.count {
                    for initial: Float in [0, 0.5, 2] {
                        let fast = PeakScan.magnitudeMax(base + start, count: count, initial: initial)
                        let plain = Self.plainMagnitudeMax(samples[start..<(start + count)], initial: initial)
                        #expect(fast.bitPattern == plain.bitPattern,
                                "start \(start), count \(count), initial \(initial): \(fast) vs \(plain)")
                    }
                }
            }
        }
    }

    /// The peak of all-negative input is found (|x| of the most negative sample), and silence gives +0.
    @Test func peakScanNegativeAndSilence() {
        let negative = (0..<100).map { -Float($0) / 100 }
        let zeros = [Float](repeating: -0.0, count: 77)
        negative.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return }
            #expect(PeakScan.magnitudeMax(base, count: p.count) == 0.99)
        }
        zeros.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return }
            #expect(PeakScan.magnitudeMax(base, count: p.count).bitPattern == Float(0).bitPattern)
        }
    }

    /// Plain per-channel K-weighting: each channel alone through ``BiquadState`` (the same statements, in the same
    /// order, as the meter's loops), Σ z² per 100 ms sub-block ending at ⌊k·fs/10⌋, then Σ Gi·Ei over channels.
    static func plainSubBlockEnergies(_ channels: [[Float]], weights: [Double], sampleRate: Double)
        -> [(energy: Double, frames: Int)] {
        let pre = KWeighting.preFilter(sampleRate: sampleRate)
        let hp = KWeighting.highPass(sampleRate: sampleRate)
        let frameCount = channels[0].count
        var boundaries: [Int] = [0]
        var k = 1
        while true {
            let end = Int((Double(k) * sampleRate / 10).rounded(.down))
            if end > frameCount { break }
            boundaries.append(end)
            k += 1
        }
        var perChannel: [[Double]] = []
        for samples in channels {
            var first = BiquadState()
            var second = BiquadState()
            var energies: [Double] = []
            for b in 1..<boundaries.count {
                var sum = 0.0
                for i in boundaries[b - 1]..<boundaries[b] {
                    let z = second.step(first.step(Double(samples[i]), pre), hp)
                    sum += z * z
                }
                energies.append(sum)
            }
            perChannel.append(energies)
        }
        return (1..<boundaries.count).map { b in
            var energy = 0.0
            for c in channels.indices { energy += weights[c] * perChannel[c][b - 1] }
            return (energy, boundaries[b] - boundaries[b - 1])
        }
    }

    /// Weighted mean-square power of the window of `length` sub-blocks ending at sub-block `end` (exclusive),
    /// summed newest first as the meter does.
    static func windowPower(_ blocks: [(energy: Double, frames: Int)], end: Int, length: Int) -> Double {
        var energy = 0.0
        var frames = 0
        for back in 1...length {
            energy += blocks[end - back].energy
            frames += blocks[end - back].frames
        }
        return energy / Double(frames)
    }

    /// Mono (one channel alone), stereo (one pair) and 5.1 (two pairs, one channel alone, LFE skipped), fed in
    /// uneven blocks: momentary, short-term and their maxima equal the plain loop's bit for bit.
    @Test(arguments: [ChannelLayout.mono, .stereo, .surround51])
    func kWeightingPairsMatchPlainLoop(layout: ChannelLayout) throws {
        let sampleRate = 48_000.0
        let frameCount = Int(3.45 * sampleRate)
        var rng = SeededGenerator(seed: 5)
        let channels: [[Float]] = (0..<layout.channelCount).map { c in
            let frequency = 0.013 * Double(c + 1)
            let noise = 0.05 * Double(c + 1)
            return (0..<frameCount).map { (i: Int) -> Float in
                let tone: Double = 0.2 * sin(Double(i) * frequency)
                return Float(tone + noise * rng.uniform())
            }
        }
        let meter = LoudnessMeter(layout: layout, measureTruePeak: false)
        try meter.prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: layout.channelCount,
                                           maximumBlockFrames: 4800))
        LoudnessSignals.feed(AudioBuffer(channels: channels), to: meter, split: [1000, 37, 4096, 4800])

        let blocks = Self.plainSubBlockEnergies(channels, weights: layout.weights, sampleRate: sampleRate)
        #expect(blocks.count == 34)
        let momentary = (4...blocks.count).map { Self.windowPower(blocks, end: $0, length: 4) }
        let shortTerm = (30...blocks.count).map { Self.windowPower(blocks, end: $0, length: 30) }
        func lufs(_ power: Double) -> LUFS { LoudnessHistogram.loudness(ofPower: power) }
        #expect(meter.momentaryLoudness == lufs(momentary[momentary.count - 1]))
        #expect(meter.shortTermLoudness == lufs(shortTerm[shortTerm.count - 1]))
        #expect(meter.maxMomentaryLoudness == lufs(momentary.max() ?? 0))
        #expect(meter.maxShortTermLoudness == lufs(shortTerm.max() ?? 0))
        #expect(meter.momentaryLoudness.isFinite && meter.shortTermLoudness.isFinite)
    }

    /// The sample peak the interpolator returns equals the plain scan of what it was fed, for any split (including
    /// a chunk boundary inside a block) and at 192 kHz, where there is nothing to interpolate.
    @Test(arguments: [48_000.0, 192_000])
    func interpolatorReturnsSamplePeak(sampleRate: Double) {
        var rng = SeededGenerator(seed: 9)
        let samples = (0..<5000).map { i in Float(0.4 * sin(Double(i) * 0.7) + 0.2 * rng.uniform()) }
        let interpolator = TruePeakInterpolator(sampleRate: sampleRate, channelCount: 1)
        samples.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return }
            var start = 0
            for count in [3, 1500, 2048, 1449] {
                let returned = interpolator.accumulatePeak(channel: 0, samples: base + start, count: count)
                let plain = Self.plainMagnitudeMax(samples[start..<(start + count)])
                #expect(returned.bitPattern == plain.bitPattern, "block at \(start): \(returned) vs \(plain)")
                start += count
            }
            #expect(start == p.count)
        }
    }

    /// Chunks whose window cannot beat the sample peak seen so far are skipped; the true peak read as
    /// max(sample peak, peaks, tail) must not change. An early spike (0.9) sets the floor; then a sine at fs/4 and
    /// 45° (samples at ±0.707·A, true peak A) either stays under the spike (A = 0.5) or rises over it (A = 1).
    /// Reference: the plain per-frame dot products (``TruePeakInterpolator/framePeaks``). The two sum the 24
    /// Float taps in different orders: each errs by at most about 24 · 2⁻²⁴ · Σ|c·x| ≈ 2.3e-6 of the peak
    /// (Σ|c| < 1.6), so they must agree within 3e-6 relative.
    @Test(arguments: [Float(0.5), 1.0])
    func skippingUnderTheSamplePeakKeepsTheTruePeak(amplitude: Float) {
        var samples = [Float](repeating: 0, count: 9000)
        samples[100] = 0.9
        for i in 3000..<7000 {
            samples[i] = amplitude * Float(sin(Double.pi / 2 * Double(i) + Double.pi / 4))
        }
        let fast = TruePeakInterpolator(sampleRate: 48_000, channelCount: 1)
        let plain = TruePeakInterpolator(sampleRate: 48_000, channelCount: 1)
        var reference: Float = 0
        var samplePeak: Float = 0
        samples.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return }
            var done = 0
            for count in [500, 2500, 3000, 3000] {
                samplePeak = max(samplePeak, fast.accumulatePeak(channel: 0, samples: base + done, count: count))
                done += count
            }
            var out = [Float](repeating: 0, count: TruePeakInterpolator.chunkFrames)
            done = 0
            while done < p.count {
                let n = min(TruePeakInterpolator.chunkFrames, p.count - done)
                out.withUnsafeMutableBufferPointer { o in
                    guard let ob = o.baseAddress else { return }
                    ob.update(repeating: 0, count: n)
                    plain.framePeaks(channel: 0, samples: base + done, count: n, into: ob)
                }
                reference = max(reference, out[0..<n].max() ?? 0)
                done += n
            }
        }
        let truePeak = max(samplePeak, fast.peaks[0], fast.tailPeak(channel: 0))
        #expect(abs(truePeak - reference) <= 3e-6 * reference, "\(truePeak) vs \(reference)")
        // The case is the one meant: the sine's true peak lies under the spike, or over it.
        #expect(amplitude < 0.9 ? reference == 0.9 : reference > 0.99)
    }
}
