import Foundation
import ScrimCore
import Testing
@testable import ScrimCleanup

/// Generated poly takes for the per-track quality meter: exact clip counts at full scale and below it, dead and
/// silent tracks, DC, per-track noise floors, inverted pairs, and the signals that must not be called clipped.
@Suite struct TrackQualityMeterTests {
    static let rate = 48_000.0

    /// A speech-like signal: a 100-180 Hz gliding harmonic series (20 partials, 1/k amplitudes, the partials
    /// near 500 and 1500 Hz raised as formants) under a syllable envelope (3-6 syllables a second, each its own
    /// level within 10 dB), with pauses given as (start, end) seconds; scaled to `peakDecibels` sample peak.
    static func speech(seconds: Double, seed: UInt64, peakDecibels: Double,
                       pauses: [(Double, Double)] = [], partials: Int = 20) -> [Double] {
        var random = SeededGenerator(seed: seed)
        let n = Int(seconds * rate)
        var out = [Double](repeating: 0, count: n)
        var phase = 0.0
        var syllableEnd = 0
        var syllableStart = 0
        var syllableLevel = 1.0
        for i in 0..<n {
            if i >= syllableEnd {
                syllableStart = i
                syllableEnd = i + Int(rate / (3 + 1.5 * (random.uniform() + 1)))
                syllableLevel = pow(10, -0.5 * (random.uniform() + 1))
            }
            let t = Double(i) / rate
            let f0 = 140 + 40 * sin(2 * Double.pi * 0.37 * t)
            phase += 2 * Double.pi * f0 / rate
            var x = 0.0
            for k in 1...partials {
                let f = f0 * Double(k)
                let formant = 1 + 2 * exp(-pow((f - 500) / 150, 2)) + 1.5 * exp(-pow((f - 1500) / 300, 2))
                x += formant / Double(k) * sin(Double(k) * phase)
            }
            let position = Double(i - syllableStart) / Double(syllableEnd - syllableStart)
            let envelope = sin(Double.pi * position)
            out[i] = x * envelope * envelope * syllableLevel
            if pauses.contains(where: { t >= $0.0 && t < $0.1 }) { out[i] = 0 }
        }
        let peak = out.map(abs).max() ?? 1
        let scale = pow(10, peakDecibels / 20) / peak
        return out.map { $0 * scale }
    }

    /// Gaussian-like noise (sum of four uniforms) scaled so its RMS is exactly `rmsDecibels`.
    static func noise(count: Int, seed: UInt64, rmsDecibels: Double) -> [Double] {
        var random = SeededGenerator(seed: seed)
        let raw = (0..<count).map { _ in
            random.uniform() + random.uniform() + random.uniform() + random.uniform()
        }
        let rms = (raw.reduce(0) { $0 + $1 * $1 } / Double(count)).squareRoot()
        let scale = pow(10, rmsDecibels / 20) / rms
        return raw.map { $0 * scale }
    }

    /// Rounds to a `bits`-bit integer grid and clamps to its range, as a PCM file stores it.
    static func quantize(_ x: [Double], bits: Int) -> [Float] {
        let full = pow(2.0, Double(bits - 1))
        return x.map { Float(min(full - 1, max(-full, ($0 * full).rounded())) / full) }
    }

    /// A meter prepared and fed `channels`, in blocks of the sizes in `split` (cycled).
    static func measure(_ channels: [[Float]], bits: Int? = 24, split: [Int] = [8192]) throws -> TrackQualityReport {
        let meter = TrackQualityMeter(bitsPerSample: bits)
        try meter.prepare(for: ProcessSpec(sampleRate: rate, channelCount: channels.count,
                                           maximumBlockFrames: split.max() ?? 8192))
        let buffer = AudioBuffer(channels: channels)
        buffer.withBlock { whole in
            var position = 0
            var index = 0
            while position < whole.frameCount {
                let n = min(split[index % split.count], whole.frameCount - position)
                meter.analyze(whole.slice(from: position, count: n))
                position += n
                index += 1
            }
        }
        return meter.finish()
    }

    /// Runs of `mask` at least `minimum` long: (count, frames).
    static func runs(_ mask: [Bool], minimum: Int = 3) -> (count: Int, frames: Int) {
        var count = 0, frames = 0, length = 0
        for flag in mask + [false] {
            if flag {
                length += 1
            } else {
                if length >= minimum {
                    count += 1
                    frames += length
                }
                length = 0
            }
        }
        return (count, frames)
    }

    /// 40 plateaus of seeded lengths (3-200 frames) at alternately +1 and -1 inserted into speech peaking at
    /// -12 dBFS, 24-bit: exactly 40 runs, exactly their frames, at 0.00 dBFS (+1 stores as 1 - 2^-23, -1 as -1: the
    /// same 0.01 dB bin), whatever the block split.
    @Test(arguments: [[8192], [1], [7, 4096, 333]])
    func fullScaleRunsCountedExactly(split: [Int]) throws {
        var signal = Self.speech(seconds: 8, seed: 1, peakDecibels: -12)
        var random = SeededGenerator(seed: 99)
        var frames = 0
        for k in 0..<40 {
            let length = 3 + Int((random.uniform() + 1) / 2 * 197)
            let start = 4000 + k * 9000
            for i in start..<(start + length) { signal[i] = k % 2 == 0 ? 1 : -1 }
            frames += length
        }
        let report = try Self.measure([Self.quantize(signal, bits: 24)], split: split)
        let track = report.tracks[0]
        #expect(track.clippedRunCount == 40)
        #expect(track.clippedFrameCount == frames)
        #expect(abs((track.clipLevel ?? -99) - 0) < 0.01, "\(String(describing: track.clipLevel))")
        #expect(track.samplePeak == 0)
    }

    /// Speech driven 12 dB into a -3 dBFS ceiling, 24-bit: the runs and frames the generator clipped (runs of 3 or
    /// more), flattened at -3.00 dBFS (the ceiling on the 24-bit grid, 0.01 dB).
    @Test func clippedBelowFullScale() throws {
        let ceiling = pow(10, -3.0 / 20)
        let loud = Self.speech(seconds: 10, seed: 2, peakDecibels: 9)
        let clipped = loud.map { min(ceiling, max(-ceiling, $0)) }
        let expected = Self.runs(loud.map { abs($0) >= ceiling })
        #expect(expected.count > 100, "the generator clips: \(expected)")
        let report = try Self.measure([Self.quantize(clipped, bits: 24)])
        let track = report.tracks[0]
        #expect(track.clippedRunCount == expected.count)
        #expect(track.clippedFrameCount == expected.frames)
        #expect(abs((track.clipLevel ?? 0) - -3) < 0.01, "\(String(describing: track.clipLevel))")
    }

    /// Clean speech-like signals are never called clipped — quiet 16-bit and 24-bit (a muffled voice of 2 partials,
    /// whose crests are round enough that runs of three equal samples occur within 1 dB of its peak: the test
    /// checks that they are there), and loud 16-bit and 24-bit just under full scale (20 partials).
    @Test(arguments: [(16, -30.0, 2), (16, -40.0, 2), (24, -80.0, 2), (16, -0.5, 20), (24, -0.1, 20), (16, -0.5, 2)])
    func cleanSpeechIsNotClipped(bits: Int, peak: Double, partials: Int) throws {
        let samples = Self.quantize(Self.speech(seconds: 10, seed: 3, peakDecibels: peak, partials: partials),
                                    bits: bits)
        let report = try Self.measure([samples], bits: bits)
        #expect(report.tracks[0].clippedRunCount == 0, "\(report.tracks[0])")
        if peak <= -30 {
            // The case the edge test is for: runs of 3 equal samples at the track's own peak level.
            let top = samples.map(abs).max() ?? 0
            var plateaus = 0
            for i in 2..<samples.count where samples[i] == samples[i - 1] && samples[i] == samples[i - 2]
                && abs(samples[i]) >= top * 0.89 {
                plateaus += 1
            }
            #expect(plateaus > 0, "no near-peak plateaus: the test would not test anything")
        }
    }

    /// A full-scale 1 kHz square wave is flat-topped and reported as clipped: every half period (24 frames) is a
    /// run — 2000 runs, every frame of the second.
    @Test func squareWaveIsFlatTopped() throws {
        let square = (0..<48_000).map { i -> Double in (i / 24) % 2 == 0 ? 1 : -1 }
        let track = try Self.measure([Self.quantize(square, bits: 24)]).tracks[0]
        #expect(track.clippedRunCount == 2000)
        #expect(track.clippedFrameCount == 48_000)
    }

    /// Dead (all 0), silent (noise at -95 dBFS RMS, never 0), and a DC offset of +0.02 under speech: the RMS and the
    /// DC as the generated samples have them, within 0.01 dB (the meter sums in Float per 0.1 s and in Double
    /// across: relative error ~1e-6).
    @Test func deadSilentAndDC() throws {
        let n = 5 * 48_000
        let silent = Self.noise(count: n, seed: 4, rmsDecibels: -95)
        let withDC = Self.speech(seconds: 5, seed: 5, peakDecibels: -10).map { $0 + 0.02 }
        let report = try Self.measure([[Float](repeating: 0, count: n), silent.map(Float.init), withDC.map(Float.init)],
                                      bits: nil)
        #expect(report.tracks[0].isDead && report.tracks[0].samplePeak == -.infinity)
        #expect(report.tracks[0].noiseFloor == nil && report.tracks[0].clippedRunCount == 0)
        #expect(!report.tracks[1].isDead)
        let silentRMS = 10 * log10(silent.map(Float.init).reduce(0.0) { $0 + Double($1) * Double($1) } / Double(n))
        #expect(abs(report.tracks[1].rms - silentRMS) < 0.01, "\(report.tracks[1].rms) vs \(silentRMS)")
        let mean = withDC.map(Float.init).reduce(0.0) { $0 + Double($1) } / Double(n)
        #expect(abs(report.tracks[2].dcOffset - 20 * log10(abs(mean))) < 0.01)
        #expect(abs(report.tracks[2].dcOffset - 20 * log10(0.02)) < 0.5, "the offset dominates the mean")
    }

    /// A noisy boom beside a clean lav on one voice: noise at -50 and -70 dBFS RMS under speech with 1.5 s pauses.
    /// Each track's floor is its noise's generated RMS within 0.3 dB: a 0.5 s window holds 24 000 samples, so its
    /// power estimate has a relative spread of √(2/24000) = 0.9 % (0.04 dB); the minimum over the ~10 windows wholly
    /// in pauses sits at most ~2 spreads under the mean (0.08 dB); 0.3 dB leaves room for the noise's
    /// non-Gaussian tails.
    @Test func noiseFloorPerTrack() throws {
        let pauses = [(1.0, 2.5), (5.0, 6.5)]
        let voice = Self.speech(seconds: 8, seed: 6, peakDecibels: -12, pauses: pauses)
        let boomNoise = Self.noise(count: voice.count, seed: 7, rmsDecibels: -50)
        let lavNoise = Self.noise(count: voice.count, seed: 8, rmsDecibels: -70)
        let boom = zip(voice, boomNoise).map { Float($0 + $1) }
        let lav = zip(voice, lavNoise).map { Float($0 * 2 + $1) }
        let report = try Self.measure([boom, lav], bits: nil)
        let boomFloor = try #require(report.tracks[0].noiseFloor)
        let lavFloor = try #require(report.tracks[1].noiseFloor)
        #expect(abs(boomFloor - -50) < 0.3, "boom floor \(boomFloor)")
        #expect(abs(lavFloor - -70) < 0.3, "lav floor \(lavFloor)")
        #expect(abs((boomFloor - lavFloor) - 20) < 0.5)
        #expect(report.polarityInversions.isEmpty, "\(report.polarityInversions)")
    }

    /// Four tracks: a voice, the same voice inverted at -6 dB with its own noise (a split wired the wrong way),
    /// another voice, and the first voice's noise alone: only tracks 0 and 1 are inverted, with a correlation near
    /// -1 (the noise, 40 dB under the voice, costs 1e-4).
    @Test func invertedPairFound() throws {
        let voice = Self.speech(seconds: 6, seed: 9, peakDecibels: -10)
        let other = Self.speech(seconds: 6, seed: 10, peakDecibels: -10)
        let hiss = Self.noise(count: voice.count, seed: 11, rmsDecibels: -70)
        let split = zip(voice, hiss).map { Float(-0.5 * $0 + $1) }
        let report = try Self.measure([voice.map(Float.init), split, other.map(Float.init), hiss.map(Float.init)],
                                      bits: nil)
        #expect(report.polarityInversions.count == 1)
        let pair = try #require(report.polarityInversions.first)
        #expect(pair.first == 0 && pair.second == 1)
        #expect(pair.correlation < -0.99, "\(pair.correlation)")
        #expect(pair.measuredSeconds > 1)
    }

    /// Two microphones on one voice, 0.5, 1 and 2 ms apart (17-69 cm of path): not inverted, though the lag
    /// decorrelates them.
    @Test(arguments: [24, 48, 96])
    func delayedCopiesAreNotInverted(delay: Int) throws {
        let voice = Self.speech(seconds: 6, seed: 12, peakDecibels: -10)
        let later = [Double](repeating: 0, count: delay) + voice.dropLast(delay)
        let report = try Self.measure([voice.map(Float.init), later.map { Float($0 * 0.7) }], bits: nil)
        #expect(report.polarityInversions.isEmpty, "\(report.polarityInversions)")
    }

    /// Per-channel true peak: a sine at fs/4 with a 45° phase has samples at ±0.7071 (-3.01 dBFS) and a true peak of
    /// 0 dBTP, within EBU Tech 3341's true-peak tolerance (+0.2/-0.4 dB; the shared interpolator reads +0.10 here);
    /// a second channel at half level reads 6.02 dB less (within 0.001 dB: the filter is linear).
    @Test func truePeakPerTrack() throws {
        // Faded in over 0.1 s: an abrupt start would ring over the peak in the interpolator.
        let sine = (0..<48_000).map { i in
            sin(Double.pi / 2 * Double(i) + Double.pi / 4) * (i < 4800 ? 0.5 - 0.5 * cos(Double.pi * Double(i) / 4800) : 1)
        }
        let report = try Self.measure([sine.map(Float.init), sine.map { Float($0 / 2) }], bits: nil)
        #expect(abs(report.tracks[0].samplePeak - -3.0103) < 0.001)
        let first = try #require(report.tracks[0].truePeak), second = try #require(report.tracks[1].truePeak)
        #expect(first < 0.2 && first > -0.4, "\(first)")
        #expect(abs(second - (first - 6.0206)) < 0.001)
        // The same as the loudness meter's per-channel true peak (the same interpolator, however the blocks fall).
        let loudness = LoudnessMeter(measureTruePeak: true)
        try loudness.prepare(for: ProcessSpec(sampleRate: Self.rate, channelCount: 2, maximumBlockFrames: 8192))
        AudioBuffer(channels: [sine.map(Float.init), sine.map { Float($0 / 2) }]).withBlock { whole in
            var position = 0
            while position < whole.frameCount {
                let n = min(8192, whole.frameCount - position)
                loudness.analyze(whole.slice(from: position, count: n))
                position += n
            }
        }
        #expect(loudness.channelTruePeaks == [first, second])
        // Without the true peak (a loudness meter beside it measures it), nil.
        let bare = TrackQualityMeter(measuresTruePeak: false)
        try bare.prepare(for: ProcessSpec(sampleRate: Self.rate, channelCount: 1, maximumBlockFrames: 8192))
        AudioBuffer(channels: [sine.map(Float.init)]).withBlock { bare.analyze($0) }
        #expect(bare.finish().tracks[0].truePeak == nil)
    }

    /// The same report whatever the block split (levels within Float rounding of the per-segment sums).
    @Test func blockSplitDoesNotMatter() throws {
        let a = Self.quantize(Self.speech(seconds: 4, seed: 13, peakDecibels: 6).map { min(0.9, max(-0.9, $0)) },
                              bits: 24)
        let b = Self.noise(count: a.count, seed: 14, rmsDecibels: -40).map(Float.init)
        let whole = try Self.measure([a, b], split: [8192])
        for split in [[1], [17, 4800], [4799, 1]] {
            let other = try Self.measure([a, b], split: split)
            for c in 0..<2 {
                let x = whole.tracks[c], y = other.tracks[c]
                #expect(x.clippedRunCount == y.clippedRunCount && x.clippedFrameCount == y.clippedFrameCount)
                #expect(x.samplePeak == y.samplePeak && x.clipLevel == y.clipLevel)
                #expect(x.truePeak == y.truePeak)
                #expect(abs(x.rms - y.rms) < 1e-3 && abs((x.noiseFloor ?? 0) - (y.noiseFloor ?? 0)) < 1e-3)
            }
        }
        #expect(whole.tracks[0].clippedRunCount > 0)
    }
}
