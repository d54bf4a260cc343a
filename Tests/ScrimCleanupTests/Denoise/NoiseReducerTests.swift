import CScrimVector
import Foundation
import ScrimCore
import Testing
@testable import ScrimCleanup

/// Behaviour of ``NoiseReducer`` on generated signals (48 kHz unless stated). Thresholds are set below the
/// values measured when the tests were written (noted beside each), with margins that absorb platform FFT
/// rounding but not a regression of the algorithm.
@Suite struct NoiseReducerTests {
    static let rate = 48000.0
    /// 4 s: a 1 s noise-only lead-in, then speech-like signal with pauses.
    static let frameCount = 192_000
    static let leadIn = 48000

    static func speechWithLeadIn(rms: Double = 0.05) -> [Float] {
        let speech = DenoiseSignals.speechLike(frameCount: frameCount - leadIn, sampleRate: rate, rms: rms)
        return [Float](repeating: 0, count: leadIn) + speech
    }

    /// The SNR over the whole file: noise RMS chosen from the speech's voiced RMS.
    static func noisy(_ clean: [Float], noise: [Float]) -> [Float] { DenoiseSignals.add(clean, noise) }

    /// The kernel's bands (``NoiseReductionKernel/pairedBandsHertz``): single bins up to 8 kHz, pairs up to
    /// 12 kHz, fours above, the Nyquist bin alone; whole groups only, for every FFT size the reducer allows at
    /// common and odd sample rates.
    @Test(arguments: [8000.0, 16000, 22050, 44100, 48000, 88200, 96000, 192_000])
    func bandsGroupBinsByFrequency(rate: Double) {
        for fftSize in [256, 512, 1024, 2048, 4096, 8192, 16384] {
            let bins = fftSize / 2 + 1, last = bins - 1
            let binHertz = rate / Double(fftSize)
            let layout = NoiseReductionKernel.bandLayout(binCount: bins, binHertz: binHertz)
            let (singles, pairs, quads) = (Int(layout.singlesEnd), Int(layout.pairsEnd), Int(layout.quadsEnd))
            let context = "\(rate) Hz, \(fftSize) points: \(singles), \(pairs), \(quads)"
            #expect(layout.binCount == Int64(bins))
            #expect(0 < singles && singles <= pairs && pairs <= quads && quads <= last, "\(context)")
            #expect((pairs - singles) % 2 == 0 && (quads - pairs) % 4 == 0, "\(context)")
            // Each edge is the bin at or just below its frequency (or Nyquist), less what does not make a whole
            // group: under one pair short of the 12 kHz edge, under four bins short of Nyquist.
            let pairsFrom = min(Int(NoiseReductionKernel.pairedBandsHertz / binHertz), last)
            let foursFrom = max(min(Int(NoiseReductionKernel.quadBandsHertz / binHertz), last), singles)
            #expect(singles == max(pairsFrom, 1), "\(context)")
            #expect(foursFrom - pairs < 2 && last - quads < 4, "\(context)")
            // The band count the kernel allocates for is exactly what pooling writes: all of it, nothing past it.
            var layoutCopy = layout
            let count = NoiseReductionKernel.bandCount(layout)
            var pooled = [Float](repeating: .nan, count: count + 4)
            scrim_vector_pool_bands(&pooled, [Float](repeating: 1, count: bins), &layoutCopy)
            #expect(pooled.prefix(count).allSatisfy { $0 == 1 } && pooled.suffix(4).allSatisfy(\.isNaN), "\(context)")
            if rate == 48000, fftSize == 2048 {
                #expect((singles, pairs, quads, count) == (341, 511, 1023, 556))  // 8 kHz is bin 341.3
            }
        }
    }

    @Test func stationaryWhiteNoiseGainsSISDR() throws {
        // Speech-like at 0.05 RMS (−26 dBFS) in white noise at 0.0158 RMS (−36 dBFS): 10 dB SNR on the voice.
        let clean = Self.speechWithLeadIn()
        let noise = DenoiseSignals.whiteNoise(frameCount: Self.frameCount, rms: 0.0158, seed: 1)
        let input = Self.noisy(clean, noise: noise)
        let (output, report) = try denoise([input])
        let before = DenoiseSignals.siSDR(reference: clean, estimate: input)
        let after = DenoiseSignals.siSDR(reference: clean, estimate: output[0])
        // Measured: +10.5 dB at the default 15 dB limit; 6 dB is a clear, safe floor.
        #expect(after - before >= 6, "SI-SDR \(before) → \(after) dB")
        #expect(report.mode == "adaptive")
        #expect(report.frames > 0)
    }

    @Test(arguments: ["adaptive", "learned"])
    func learnedAndAdaptiveBothImprovePinkNoise(mode: String) throws {
        let clean = Self.speechWithLeadIn()
        let noise = DenoiseSignals.pinkNoise(frameCount: Self.frameCount, rms: 0.028, seed: 2)  // 5 dB SNR
        let input = Self.noisy(clean, noise: noise)
        var settings = NoiseReducerSettings()
        if mode == "learned" {
            let profiler = NoiseProfiler(selection: .frames(0..<Self.leadIn))
            try profiler.prepare(for: ProcessSpec(sampleRate: Self.rate, channelCount: 1, maximumBlockFrames: 4096))
            AudioBuffer(channels: [input]).withBlock { profiler.analyze($0) }
            settings.mode = .learned(try profiler.profile())
        }
        let (output, report) = try denoise([input], settings: settings)
        let gain = DenoiseSignals.siSDR(reference: clean, estimate: output[0])
            - DenoiseSignals.siSDR(reference: clean, estimate: input)
        // Measured: adaptive +7.3 dB, learned +8.5 dB. 4 dB leaves margin for FFT rounding, not for a regression.
        #expect(gain >= 4, "\(mode): SI-SDR gain \(gain) dB")
        #expect(report.mode == mode)
    }

    @Test func pureNoiseIsReducedByAboutTheLimit() throws {
        for reduction in [6.0, 12.0, 20.0] {
            let noise = DenoiseSignals.whiteNoise(frameCount: 96000, rms: 0.01, seed: 3)
            let (output, report) = try denoise([noise], settings: NoiseReducerSettings(reductionDecibels: reduction))
            // Skip the first 0.5 s (the tracker's 200 ms start-up and the DD smoother settling).
            let range = 24000..<96000
            let cut = DenoiseSignals.levelDecibels(noise, range: range)
                - DenoiseSignals.levelDecibels(output[0], range: range)
            // The floor G_min is reached where speech presence → 0; noise peaks that look like speech keep a
            // little more: measured 5.97 dB for 6, 11.6 for 12, 17.6 for 20. Within 3 dB of the limit, never over.
            #expect(cut <= reduction + 0.5 && cut >= reduction - 3, "limit \(reduction) dB, cut \(cut) dB")
            // The report's estimated floor matches the true noise level (−40 dBFS) within 1.5 dB (measured
            // −40.6: the tracker's small low bias), and the after-level is about the limit lower.
            let before = try #require(report.noiseFloorBeforeDecibelsFS)
            let after = try #require(report.noiseFloorAfterDecibelsFS)
            #expect(abs(before - -40) <= 1.5, "floor before \(before) dBFS")
            #expect(before - after <= reduction + 0.5 && before - after >= reduction - 3, "after \(after)")
        }
    }

    @Test func silenceStaysSilent() throws {
        let silence = [Float](repeating: 0, count: 48000)
        let (output, report) = try denoise([silence])
        #expect(output[0].allSatisfy { $0 == 0 })
        #expect(report.noiseFloorBeforeDecibelsFS == NoiseReductionReport.levelFloorDecibelsFS)
        #expect(report.averageReductionDecibels == nil)  // no frame above −120 dBFS
    }

    @Test func cleanSignalPassesNearlyUnchanged() throws {
        // No noise but a 24-bit-like dither floor at −110 dBFS (otherwise the noise estimate is exactly zero
        // and the test would be trivial): the voice is 84 dB above it, so nothing audible may change.
        let clean = DenoiseSignals.add(Self.speechWithLeadIn(),
                                       DenoiseSignals.whiteNoise(frameCount: Self.frameCount, rms: 3.2e-6, seed: 13))
        let (output, _) = try denoise([clean])
        let fidelity = DenoiseSignals.siSDR(reference: clean, estimate: output[0])
        // Required by the issue: ≥ 25 dB. Measured 83 dB.
        #expect(fidelity >= 25, "SI-SDR of the processed clean signal: \(fidelity) dB")
    }

    @Test(arguments: [[4096], [1], [7, 512, 1000], [2047, 3]])
    func anyBlockSplitGivesTheSameOutput(blocks: [Int]) throws {
        let input = DenoiseSignals.add(
            DenoiseSignals.speechLike(frameCount: 24000, sampleRate: Self.rate, rms: 0.05),
            DenoiseSignals.whiteNoise(frameCount: 24000, rms: 0.01, seed: 4))
        let reference = try denoise([input], blockFrames: [4096]).output
        let split = try denoise([input], blockFrames: blocks).output
        #expect(split == reference)  // bit-identical
    }

    @Test(arguments: [44100.0, 48000.0, 96000.0])
    func impulseComesOutAtTheSameSample(sampleRate: Double) throws {
        // After the tracker's 200 ms start-up (which takes whatever it hears as noise).
        let position = Int(sampleRate / 2) + 345
        var input = [Float](repeating: 0, count: Int(sampleRate))
        input[position] = 0.5
        let (output, _) = try denoise([input], sampleRate: sampleRate)
        let peak = output[0].indices.max { abs(output[0][$0]) < abs(output[0][$1]) }
        #expect(peak == position)
        // An impulse in silence is all "speech" to the estimator: it passes at nearly full level.
        #expect(abs(output[0][position]) > 0.4, "\(output[0][position])")
    }

    @Test func latencyIsReportedFromTheFFTSize() throws {
        let reducer = NoiseReducer()
        try reducer.prepare(for: ProcessSpec(sampleRate: 48000, channelCount: 1, maximumBlockFrames: 512))
        #expect(reducer.configuration?.fftSize == 2048)
        #expect(reducer.configuration?.hopSize == 512)
        #expect(reducer.latencyFrames == 2046)
        #expect(NoiseReducerSettings.fftSize(forSampleRate: 44100) == 2048)
        #expect(NoiseReducerSettings.fftSize(forSampleRate: 96000) == 4096)
        #expect(NoiseReducerSettings.fftSize(forSampleRate: 16000) == 512)
    }

    @Test(arguments: [1, 2, 8])
    func independentChannelsMatchMonoProcessing(channelCount: Int) throws {
        let channels = (0..<channelCount).map { c in
            DenoiseSignals.add(DenoiseSignals.speechLike(frameCount: 24000, sampleRate: Self.rate, rms: 0.05),
                               DenoiseSignals.whiteNoise(frameCount: 24000, rms: 0.005 * Double(c + 1),
                                                         seed: UInt64(10 + c)))
        }
        let together = try denoise(channels).output
        for c in 0..<channelCount {
            let alone = try denoise([channels[c]]).output[0]
            #expect(together[c] == alone, "channel \(c) of \(channelCount)")
        }
    }

    @Test(arguments: [2, 8])
    func linkedChannelsShareOneGain(channelCount: Int) throws {
        // Identical channels: the linked gain equals the mono gain; scaled copies keep their level ratio.
        let mono = DenoiseSignals.add(DenoiseSignals.speechLike(frameCount: 24000, sampleRate: Self.rate, rms: 0.05),
                                      DenoiseSignals.whiteNoise(frameCount: 24000, rms: 0.01, seed: 5))
        let channels = (0..<channelCount).map { c in mono.map { $0 * (c == 0 ? 1 : 0.5) } }
        let settings = NoiseReducerSettings(channelLinking: .linked)
        let linked = try denoise(channels, settings: settings).output
        for c in 1..<channelCount {
            // Same gains on every channel → output ratio exactly the input ratio (up to Float rounding:
            // 1e-6 relative to the 0.1 peak level).
            let difference = zip(linked[0], linked[c]).reduce(Float(0)) { max($0, abs($1.0 * 0.5 - $1.1)) }
            #expect(difference < 1e-6, "channel \(c): \(difference)")
        }
        #expect(try denoise([mono]).output[0] != linked[0])  // the quieter channels changed the shared estimate
    }

    @Test func residualPlusCleanedIsTheInput() throws {
        let input = DenoiseSignals.add(DenoiseSignals.speechLike(frameCount: 24000, sampleRate: Self.rate, rms: 0.05),
                                       DenoiseSignals.pinkNoise(frameCount: 24000, rms: 0.01, seed: 6))
        let cleaned = try denoise([input]).output[0]
        let residual = try denoise([input], settings: NoiseReducerSettings(output: .residual)).output[0]
        let bypass = try denoise([input], settings: NoiseReducerSettings(output: .bypass)).output[0]
        // STFT round trip is exact up to Float rounding: measured ≤ 3e-8 on a 0.2 peak signal; 1e-6 allows for
        // other FFT back ends.
        #expect(DenoiseSignals.maxDifference(DenoiseSignals.add(cleaned, residual), input) < 1e-6)
        #expect(DenoiseSignals.maxDifference(bypass, input) < 1e-6)
        #expect(DenoiseSignals.levelDecibels(residual, range: 0..<24000) > -60)  // something was removed
    }

    @Test func zeroReductionIsTransparent() throws {
        let input = DenoiseSignals.whiteNoise(frameCount: 24000, rms: 0.1, seed: 7)
        let output = try denoise([input], settings: NoiseReducerSettings(reductionDecibels: 0)).output[0]
        #expect(DenoiseSignals.maxDifference(output, input) < 1e-6)
    }

    @Test func hostileInputGivesFiniteOutput() throws {
        var input = DenoiseSignals.whiteNoise(frameCount: 48000, rms: 0.01, seed: 8)
        for i in 0..<6000 { input[i] = (i / 24) % 2 == 0 ? 1 : -1 }  // full-scale 1 kHz square wave
        for i in 6000..<12000 { input[i] = 0.9 }  // DC
        input[20000] = .nan
        input[20001] = .infinity
        input[20002] = -.infinity
        input[30000] = 3e30  // finite but absurd
        let (output, report) = try denoise([input], blockFrames: [333])
        #expect(output[0].allSatisfy { $0.isFinite })
        #expect(report.invalidSamplesZeroed == 3)
        #expect(report.outOfRangeSamplesClamped == 1)
        let json = try JSONEncoder().encode(report)
        #expect(!json.isEmpty)
    }

    @Test func resetEqualsAFreshReducer() throws {
        let input = DenoiseSignals.add(DenoiseSignals.speechLike(frameCount: 24000, sampleRate: Self.rate, rms: 0.05),
                                       DenoiseSignals.whiteNoise(frameCount: 24000, rms: 0.01, seed: 9))
        let reducer = NoiseReducer()
        try reducer.prepare(for: ProcessSpec(sampleRate: Self.rate, channelCount: 1, maximumBlockFrames: 4096))
        let buffer = AudioBuffer(channels: [input])
        let first = reducer.processAligned(buffer, blockFrames: [4096]).channelArrays()
        let firstReport = reducer.report
        reducer.reset()
        let second = reducer.processAligned(buffer, blockFrames: [4096]).channelArrays()
        #expect(first == second)
        #expect(reducer.report == firstReport)
    }

    @Test func adaptiveModeFollowsNoiseThatStartsMidTake() throws {
        // Quiet room (−60 dBFS) for 2 s, then an "air conditioner" (pink, −35 dBFS) switches on for 6 s.
        let quiet = DenoiseSignals.whiteNoise(frameCount: 96000, rms: 0.001, seed: 11)
        let loud = DenoiseSignals.pinkNoise(frameCount: 288_000, rms: 0.0178, seed: 12)
        let input = quiet + loud
        let (output, _) = try denoise([input])
        // The minimum-statistics window is 3 s: from about 3.5 s after the switch the new noise is learned and
        // must be reduced by most of the 15 dB limit. Measured 10.6 dB (the part just after 3.5 s is still
        // settling); 7.5 dB fails if the new noise is not learned (then the cut is < 1 dB).
        let range = 96000 + 168_000..<384_000
        let cut = DenoiseSignals.levelDecibels(input, range: range)
            - DenoiseSignals.levelDecibels(output[0], range: range)
        #expect(cut >= 7.5, "reduction of the new noise: \(cut) dB")
    }

    @Test func reductionLimitIsShallowerWhereTheVoiceIs() throws {
        // The per-bin limit (NoiseReductionKernel.limitTargetDecibels): a bin whose 1.5 s mean a priori SNR is
        // high keeps the lower bound of 15 dB of cut; a bin where only noise ever is gets the user's 24 dB.
        // A 1 kHz tone (−23 dBFS, about +37 dB over the noise in its bins) pulses 250 ms off / 250 ms on over
        // white noise at −40 dBFS; in the tone's off-times the noise at 1 kHz ± 15 Hz (the tone's two bins) and
        // far from it (5–5.5 kHz) is compared before and after. Rule: 15 dB near the tone (its bins' mean ξ is
        // about +35 dB, and 25 − 35 < 15), 24 dB far away (mean ξ near ξ_min = −25 dB, and 25 + 25 > 24); noise
        // peaks that look like speech keep a little more (see pureNoiseIsReducedByAboutTheLimit). Measured 14.9
        // and 20.1 dB. The bounds fail if the limit is uniform (near ≈ far) or the per-bin rule is gone.
        let frameCount = 288_000
        let noise = DenoiseSignals.whiteNoise(frameCount: frameCount, rms: 0.01, seed: 21)
        var input = noise
        for i in 0..<frameCount where (i / 12000) % 2 == 1 {
            input[i] += Float(0.1 * sin(2 * Double.pi * 1000 * Double(i) / Self.rate))
        }
        let (output, _) = try denoise([input])
        var near = (before: 0.0, after: 0.0), far = (before: 0.0, after: 0.0)
        // (It starts off: the first 200 ms initialise the noise estimate and are taken as noise.) Off-times after
        // the first 2 s (the 1.5 s mean settles): skip 80 ms after the switch-off (window and smoother tails) and
        // 40 ms before the switch-on; 6.67 Hz DFT resolution over the 130 ms left.
        for start in stride(from: 96000, to: frameCount, by: 24000) {
            let segment = (start + 3840)..<(start + 12000 - 1920)
            near.before += Self.bandPower(noise, segment, 985...1015)
            near.after += Self.bandPower(output[0], segment, 985...1015)
            far.before += Self.bandPower(noise, segment, 5000...5500)
            far.after += Self.bandPower(output[0], segment, 5000...5500)
        }
        let nearCut = 10 * log10(near.before / near.after), farCut = 10 * log10(far.before / far.after)
        #expect(nearCut >= 12 && nearCut <= 18.5, "cut next to the voice-like tone: \(nearCut) dB")
        #expect(farCut >= 18.5 && farCut <= 24.5, "cut where only noise is: \(farCut) dB")
        #expect(farCut - nearCut >= 3, "near \(nearCut) dB, far \(farCut) dB")
    }

    /// Power of `x[range]` (Hann-windowed) summed over the DFT frequencies in `band` (Hz), at 1/duration spacing.
    static func bandPower(_ x: [Float], _ range: Range<Int>, _ band: ClosedRange<Double>) -> Double {
        let n = range.count
        let spacing = rate / Double(n)
        var total = 0.0
        var f = (band.lowerBound / spacing).rounded(.up) * spacing
        while f <= band.upperBound {
            var re = 0.0, im = 0.0
            let step = 2 * Double.pi * f / rate
            for (j, i) in range.enumerated() {
                let w = 0.5 - 0.5 * cos(2 * Double.pi * Double(j) / Double(n))
                let v = w * Double(x[i])
                re += v * cos(step * Double(j))
                im -= v * sin(step * Double(j))
            }
            total += re * re + im * im
            f += spacing
        }
        return total
    }

    @Test func invalidSettingsThrowAtPrepare() {
        let spec = ProcessSpec(sampleRate: 48000, channelCount: 1, maximumBlockFrames: 512)
        #expect(throws: ScrimError.self) { try NoiseReducer(settings: .init(reductionDecibels: 41)).prepare(for: spec) }
        #expect(throws: ScrimError.self) {
            try NoiseReducer(settings: .init(reductionDecibels: .nan)).prepare(for: spec)
        }
        #expect(throws: ScrimError.self) { try NoiseReducer(settings: .init(fftSize: 1000)).prepare(for: spec) }
    }
}

extension DenoiseSignals {
    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }
}
