import Foundation
import Testing
import ScrimCore
@testable import ScrimCleanup

/// The joint-harmonic tracker (issue 19): a hum whose fundamental wobbles, steps, or sits weak, modulated or under
/// noise, beneath a voice. Every signal is generated here; "hum left" is the power of (output − everything that is
/// not hum) over the hum's own power, in dB: with the exact non-hum part known, only the hum counts.
@Suite("HumTracker")
struct HumTrackerTests {
    static let sampleRate = 16000.0
    static let seconds = 8.0
    static var frameCount: Int { Int(seconds * sampleRate) }

    /// Hum with fundamental `f0(t)` and level `level(t)`: mains-like harmonics 1…`count` (1/h, even ones halved),
    /// phases 0.7·h rad.
    static func hum(fundamental f0: (Double) -> Double, level: (Double) -> Double = { _ in 1 }, count: Int = 20,
                    amplitude: Double = 0.02) -> [Float] {
        let amplitudes = HumSignals.mainsAmplitudes(count: count, fundamentalAmplitude: amplitude)
        var phase = 0.0
        return (0..<frameCount).map { n in
            let t = Double(n) / sampleRate
            var v = 0.0
            for (i, a) in amplitudes.enumerated() { v += a * cos(Double(i + 1) * phase + 0.7 * Double(i + 1)) }
            phase += 2 * Double.pi * f0(t) / sampleRate
            return Float(v * level(t))
        }
    }

    /// Two words of a 120 Hz (±2 % vibrato) vowel with 20 harmonics: 1.5–3.5 s and 4.5–6.5 s.
    static func voice(amplitude: Double = 0.1) -> [Float] {
        let first = HumRemoverTests.vowel(frameCount: frameCount, from: 1.5, to: 3.5, pitchHertz: 120, harmonics: 20,
                                          amplitude: amplitude)
        let second = HumRemoverTests.vowel(frameCount: frameCount, from: 4.5, to: 6.5, pitchHertz: 135,
                                           harmonics: 20, amplitude: amplitude)
        return HumSignals.sum(first, second)
    }

    /// Steady hum at `reference` Hz (``hum(fundamental:level:count:amplitude:)``), scaled to `decibels` dB under the
    /// power of `voice` over the take.
    static func steadyHum(_ reference: Double, decibels: Double, under voice: [Float]) -> [Float] {
        let hum = Self.hum(fundamental: { _ in reference })
        let ratio = HumSignals.power(voice, 0..<frameCount) / HumSignals.power(hum, 0..<frameCount)
        let scale = Float((ratio * pow(10, -decibels / 10)).squareRoot())
        return hum.map { $0 * scale }
    }

    /// Runs the tracker on `input` (whole, as one stretch) and returns the output.
    func track(_ input: [Float], reference: Double, settings: HumTrackerSettings = HumTrackerSettings()) throws
        -> (output: [Float], track: HumTrack)
    {
        let tracker = try HumTracker(sampleRate: Self.sampleRate, referenceHertz: reference, settings: settings)
        var work = input
        let track = work.withUnsafeMutableBufferPointer { tracker.removeHum(from: $0) }
        return (work, track)
    }

    /// Hum left in dB: (output − rest) against the hum, over the whole take.
    func humLeft(_ output: [Float], rest: [Float], hum: [Float]) -> Double {
        HumSignals.errorDecibels(output, rest, reference: hum, 0..<output.count)
    }

    /// A generator wobbling ±0.3 Hz around 60 Hz with a 4 s period (harmonic 20 moves ±6 Hz at up to 9 Hz/s),
    /// under two words. The frame-wise tracker left −3 dB on such a wobble (issue 19); the target is −35 dB on the
    /// corpus; this take is clean apart from the voice, so ≤ −35 dB is required here too. The tracked
    /// fundamental stays within 0.02 Hz of the truth (the accuracy) between 1 s and 7 s (measured: −52.1 dB,
    /// 0.003 Hz RMS, 0.02 Hz at worst).
    @Test func wobblingGeneratorUnderSpeech() throws {
        let f0: (Double) -> Double = { 60 + 0.3 * sin(2 * Double.pi * $0 / 4) }
        let hum = Self.hum(fundamental: f0)
        let voice = Self.voice()
        let (out, track) = try self.track(HumSignals.sum(hum, voice), reference: 60)
        let left = humLeft(out, rest: voice, hum: hum)
        #expect(left < -35, "hum left \(left) dB")
        #expect(track.tracked)
        var worst = 0.0, sum = 0.0, count = 0.0
        for (time, hertz) in zip(track.frameSeconds, track.fundamentalHertz) where time > 1 && time < 7 {
            // The frame's fundamental is the track's mean over ±10 ms: the sine's curvature there is negligible.
            worst = max(worst, abs(hertz - f0(time)))
            sum += (hertz - f0(time)) * (hertz - f0(time))
            count += 1
        }
        let rms = (sum / max(count, 1)).squareRoot()
        #expect(rms < 0.02 && worst < 0.1, "f0 off by \(rms) Hz RMS, up to \(worst) Hz")
    }

    /// A word whose pitch glides linearly from `from` to `to` Hz (40 harmonics, 1/h amplitudes, 50 ms ramps).
    static func glide(from start: Double, to end: Double, pitch: (from: Double, to: Double), amplitude: Double = 0.1)
        -> [Float]
    {
        var out = [Float](repeating: 0, count: frameCount)
        var phase = 0.0
        for i in Int(start * sampleRate)..<Int(end * sampleRate) {
            let t = Double(i) / sampleRate
            let f = pitch.from + (pitch.to - pitch.from) * (t - start) / (end - start)
            phase += 2 * Double.pi * f / sampleRate
            var v = 0.0
            for h in 1...40 { v += amplitude / Double(h) * sin(Double(h) * phase) }
            out[i] = Float(v * min(1, min(t - start, end - t) / 0.05))
        }
        return out
    }

    /// A generator at the trough of its wobble under a word: 60 Hz − 0.3 Hz·cos(2π(t − 4)/8) (lowest at 4 s, its
    /// frequency curving at 0.18 Hz/s² there), under a 3 s word over the trough whose pitch glides 100 -> 160 Hz,
    /// so that its partials sweep across the hum's, and a second word gliding back (6-7.5 s). Across a word a
    /// two-state track (phase, frequency) bridges the frequency with a straight line; the three-state track
    /// (HUM-TRACKER.md, v8) bends with the curvature on either side, and is chosen here by likelihood. Measured:
    /// −45.6 dB; −35.8 dB with the three-state candidates left out. Required: ≤ −40 dB, and the three-state track
    /// chosen.
    @Test func wobbleTroughUnderGlidingWords() throws {
        let f0: (Double) -> Double = { 60 - 0.3 * cos(2 * Double.pi * ($0 - 4) / 8) }
        let hum = Self.hum(fundamental: f0)
        let voice = HumSignals.sum(Self.glide(from: 2.5, to: 5.5, pitch: (100, 160)),
                                   Self.glide(from: 6, to: 7.5, pitch: (160, 100)))
        let tracker = try HumTracker(sampleRate: Self.sampleRate, referenceHertz: 60)
        var out = HumSignals.sum(hum, voice)
        _ = out.withUnsafeMutableBufferPointer { tracker.removeHum(from: $0) }
        let left = humLeft(out, rest: voice, hum: hum)
        #expect(left < -40, "hum left \(left) dB")
        #expect(tracker.chosenCurvature != nil, "two-state track chosen (stiffness \(tracker.chosenStiffness))")
    }

    /// A generator's load change: 50 Hz stepping to 50.3 Hz within 0.5 s (raised cosine) at 4 s, under two words
    /// (the second word covers the step). The target for moving hum is ≤ −35 dB; the tracker leaves −46.0 dB
    /// here (its stiffness chosen by the likelihood of all frames; −35 to −38 dB when only the pauses counted).
    /// Required: ≤ −40 dB, 5 dB of margin for a different rounding of the track's choices.
    @Test func stepUnderSpeech() throws {
        let f0: (Double) -> Double = { t in
            let u = min(max((t - 4) / 0.5, 0), 1)
            return 50 + 0.3 * (0.5 - 0.5 * cos(Double.pi * u))
        }
        let hum = Self.hum(fundamental: f0)
        let voice = Self.voice()
        let (out, _) = try self.track(HumSignals.sum(hum, voice), reference: 50)
        let left = humLeft(out, rest: voice, hum: hum)
        #expect(left < -40, "hum left \(left) dB")
    }

    /// Weak hum: steady 60 Hz, its power 25 dB under the voice's over the take. The issue asks ≤ −45 dB of steady
    /// hum; the tracker leaves −64.8 dB here (a build of HUM-TRACKER.md v6 that differed only in the order of the
    /// resampler's sums left −47.4 dB, with the same choices: under a voice 25 dB over the hum the weighted amplitudes
    /// move that much with rounding; −51.8 dB before a steady track trusted the voice's frames less, −41.3 dB before
    /// the track's and the level's freedom were chosen on all frames). Required: ≤ −45 dB, the figure.
    @Test func weakHumUnderSpeech() throws {
        let voice = Self.voice()
        let hum = Self.steadyHum(60, decibels: 25, under: voice)
        let (out, _) = try self.track(HumSignals.sum(hum, voice), reference: 60)
        let left = humLeft(out, rest: voice, hum: hum)
        #expect(left < -45, "hum left \(left) dB")
    }

    /// A steady generator 20 dB under two held vowels (120 and 135 Hz, ±2 % vibrato: the 120 Hz vowel's partials sit
    /// on every 12th harmonic of 50 Hz and every 2nd of 60 Hz for 2 s). A steady track trusts the voice's frames
    /// less again (HUM-TRACKER.md, v5), and the residual weights are summed directly, not as differences of running
    /// sums (whose rounding left the pauses' weights at 1e-26 and let the level swing from -6.5 to 2.6 under the
    /// 50 Hz take). Measured: 50 Hz -92.4 dB, 60 Hz -69.2 dB; before, -12.8 and -43.1 dB. Required: -55 dB, 10 dB
    /// past the issue's -45 dB for steady hum and 15 dB short of the smaller measured figure.
    @Test(arguments: [50.0, 60.0]) func steadyHumUnderHeldVowels(reference: Double) throws {
        let voice = Self.voice()
        let hum = Self.steadyHum(reference, decibels: 20, under: voice)
        let (out, track) = try self.track(HumSignals.sum(hum, voice), reference: reference)
        let left = humLeft(out, rest: voice, hum: hum)
        #expect(left < -55, "hum left \(left) dB")
        let lowest = track.fundamentalHertz.min() ?? 0, highest = track.fundamentalHertz.max() ?? 0
        #expect(highest - lowest < 0.05, "steady hum tracked over \(lowest)…\(highest) Hz")
    }

    /// Running speech: words with gliding pitch (20 harmonics at amplitude/h, ±2 % vibrato at 5.5 Hz, 30 ms ramps)
    /// one after another with short gaps, `words` as (start, end, starting pitch, ending pitch) in seconds and hertz.
    static func runningSpeech(_ words: [(Double, Double, Double, Double)], amplitude: Double = 0.1) -> [Float] {
        var out = [Float](repeating: 0, count: frameCount)
        for (start, end, from, to) in words {
            var phase = 0.0
            for i in Int(start * sampleRate)..<min(frameCount, Int(end * sampleRate)) {
                let t = Double(i) / sampleRate
                let glide = from + (to - from) * (t - start) / (end - start)
                let pitch = glide * (1 + 0.02 * sin(2 * Double.pi * 5.5 * t))
                phase += 2 * Double.pi * pitch / sampleRate
                var v = 0.0
                for h in 1...20 { v += amplitude / Double(h) * sin(Double(h) * phase) }
                out[i] += Float(v * min(1, min(t - start, end - t) / 0.03))
            }
        }
        return out
    }

    /// A steady generator 20 dB under running speech: seven words with gliding pitch (100-150 Hz) fill 7 s of the
    /// 8 s take, so every harmonic to 1 kHz has a voice partial crossing it for most of the take and the pauses are
    /// 0.1-0.3 s long. Once the track and the level are steady, the residual weights' floor is the 15th percentile
    /// of the cells instead of the 20th, and the quiet cells carry the estimate (HumTracker.steadyWeightFloorQuantile).
    /// Measured: 50 Hz -45.1 dB, 60 Hz -48.3 dB; with the 20th percentile throughout, -39.8 and -11.9 dB. Required:
    /// -42 dB, 3 dB short of the smaller measured figure (the tracker's discrete choices move single takes by a few
    /// dB, HUM-TRACKER.md) and 2 dB past the 20th percentile's better one.
    @Test(arguments: [50.0, 60.0]) func steadyHumUnderRunningSpeech(reference: Double) throws {
        let words: [(Double, Double, Double, Double)] = [
            (0.3, 1.2, 110, 140), (1.35, 2.4, 150, 105), (2.5, 3.3, 120, 125), (3.45, 4.6, 100, 135),
            (4.7, 5.5, 140, 118), (5.65, 6.8, 108, 112), (6.95, 7.8, 130, 100),
        ]
        let voice = Self.runningSpeech(words)
        let hum = Self.steadyHum(reference, decibels: 20, under: voice)
        let (out, track) = try self.track(HumSignals.sum(hum, voice), reference: reference)
        let left = humLeft(out, rest: voice, hum: hum)
        #expect(track.tracked)
        #expect(left < -42, "\(reference) Hz: hum left \(left) dB")
    }

    /// Amplitude modulation: 30 % at 0.7 Hz on steady 50 Hz hum, under two words. The common level follows it:
    /// ≤ −35 dB (a take-long amplitude alone would leave about 20·log10(0.3/√2) = −13.5 dB; measured −55.4 dB).
    @Test func amplitudeModulatedHum() throws {
        let hum = Self.hum(fundamental: { _ in 50 }, level: { 1 + 0.3 * sin(2 * Double.pi * 0.7 * $0) })
        let voice = Self.voice()
        let (out, track) = try self.track(HumSignals.sum(hum, voice), reference: 50)
        let left = humLeft(out, rest: voice, hum: hum)
        #expect(left < -35, "hum left \(left) dB")
        // The level curve swings by about ±30 % (frames at the modulation's peaks and troughs).
        let gains = track.levelGain.sorted()
        let low = gains[gains.count / 20], high = gains[gains.count * 19 / 20]
        #expect(high / low > 1.6 && high / low < 2.2, "level range \(low)…\(high)")
    }

    /// Hum under white noise: the noise is not hum and stays. Steady 60 Hz hum (fundamental 0.02) under noise
    /// of RMS 0.01 (uniform, peak 0.0173): per 40 ms frame the noise in a harmonic's bin is about as strong as the
    /// 10th harmonic, and over 8 s the coherent average gains about 10·log10(8 s × 100 frames / 4 overlap) = 23 dB,
    /// so the amplitudes' error sits near −40 dB re the hum; the phase track's error in the noise comes on top
    /// (measured −35.1 dB in all; −31.4 dB when every harmonic to 4 kHz was modelled, before HUM-TRACKER.md v6: the
    /// harmonics that do not stand out of the noise are no longer estimated from it); ≤ −27 dB leaves room for a
    /// different rounding of the track's choices (HUM-TRACKER.md, v3, sensitivity); the classic remover leaves
    /// −19 dB on the corpus's hum_noise. What is removed beyond the hum (output against the noise + voice) is no more
    /// than the hum left allows: the noise's power comes through within 0.1 dB.
    @Test func humUnderNoiseKeepsTheNoise() throws {
        let hum = Self.hum(fundamental: { _ in 60 })
        let noise = HumSignals.whiteNoise(frameCount: Self.frameCount, amplitude: 0.0173, seed: 11)
        let voice = Self.voice()
        let rest = HumSignals.sum(noise, voice)
        let (out, _) = try self.track(HumSignals.sum(hum, rest), reference: 60)
        let left = humLeft(out, rest: rest, hum: hum)
        #expect(left < -27, "hum left \(left) dB")
        let kept = 10 * log10(HumSignals.power(out, 0..<Self.frameCount) / HumSignals.power(rest, 0..<Self.frameCount))
        #expect(abs(kept) < 0.1, "output power \(kept) dB re noise + voice")
    }

    /// The 120 Hz vowel test: a vowel whose harmonics sit on 60 Hz hum's even harmonics (120 Hz pitch, ±2 %
    /// vibrato) keeps them: each of its first five harmonics comes out within 0.5 dB of its own level (measured by
    /// correlation with its known waveform over the vowel), and the error against the vowel is 30 dB under it.
    @Test func vowelOnTheHumHarmonicsSurvives() throws {
        let n = Self.frameCount
        let hum = Self.hum(fundamental: { _ in 60 })
        let (vowel, phases) = HumSignals.vowelWithPhases(frameCount: n, sampleRate: Self.sampleRate, from: 2, to: 6,
                                                         rampIn: true)
        let start = Int(2 * Self.sampleRate), end = Int(6 * Self.sampleRate)
        let (out, _) = try self.track(HumSignals.sum(hum, vowel), reference: 60)
        let range = (start + 800)..<(end - 800)
        func level(_ x: [Float], harmonic h: Int) -> Double {
            HumSignals.harmonicLevel(x, phases: phases, harmonic: h, range)
        }
        for h in 1...5 {
            let change = level(out, harmonic: h) - level(vowel, harmonic: h)
            #expect(abs(change) < 0.5, "vowel harmonic \(h) changed by \(change) dB")
        }
        let error = HumSignals.errorDecibels(out, vowel, reference: vowel, range)
        #expect(error < -30, "error against the vowel \(error) dB")
    }

    /// Without hum, and with `requireEvidence` (an unconfirmed candidate), nothing is removed: the voice and noise
    /// come out bit for bit.
    /// A steady 50 Hz hum 14 dB under pink noise (its fundamental, where the noise is strongest, under it too), the
    /// tracker started 0.25 Hz off (an unconfirmed detector candidate, so evidence is required). Only the
    /// fundamental keeps its phase well enough to count on its own (z ≥ 4); the other harmonics do, taken together.
    /// The rule of two harmonics alone removed nothing here (0 dB left: the code before, measured); one harmonic
    /// and the others together find the hum: at least 10 dB of it removed (measured −14.8 dB left).
    @Test func weakHumUnderPinkNoiseFromAnOffCandidate() throws {
        let hum = Self.hum(fundamental: { _ in 50 })
        let noise = HumSignals.pinkNoise(frameCount: Self.frameCount, rms: 0.08, seed: 23, sampleRate: Self.sampleRate)
        let rest = HumSignals.sum(noise, Self.voice())
        var settings = HumTrackerSettings()
        settings.requireEvidence = true
        let (out, track) = try self.track(HumSignals.sum(hum, rest), reference: 49.75, settings: settings)
        #expect(track.tracked)
        let left = humLeft(out, rest: rest, hum: hum)
        #expect(left < -10, "hum left \(left) dB")
    }

    /// Tones that are not hum stay: a lone 1 kHz tone (harmonic 20 of 50 Hz) and a lone 151 Hz one (harmonic 3 of
    /// 50.33 Hz) under the two words, evidence required. Each keeps its phase on one harmonic only and the rest do
    /// not stand out together, so the first attempt removes nothing; the coherent search then finds something to
    /// try again from (the words' steady vowels: −0.81 Hz, measured), and the second attempt removes nothing
    /// either.
    @Test(arguments: [1000.0, 151.0]) func loneToneIsNotHum(hertz: Double) throws {
        let tone = (0..<Self.frameCount).map { Float(0.01 * cos(2 * Double.pi * hertz * Double($0) / Self.sampleRate)) }
        let input = HumSignals.sum(HumSignals.sum(Self.voice(), tone),
                                   HumSignals.whiteNoise(frameCount: Self.frameCount, amplitude: 0.003, seed: 5))
        var settings = HumTrackerSettings()
        settings.requireEvidence = true
        let (out, track) = try self.track(input, reference: 50, settings: settings)
        #expect(!track.tracked)
        #expect(out == input)
    }

    @Test func noHumNoChange() throws {
        let input = HumSignals.sum(Self.voice(), HumSignals.whiteNoise(frameCount: Self.frameCount, amplitude: 0.003,
                                                                        seed: 3))
        var settings = HumTrackerSettings()
        settings.requireEvidence = true
        let (out, track) = try self.track(input, reference: 60, settings: settings)
        #expect(!track.tracked)
        #expect(out == input)
    }

    /// The working memory is kept between stretches (issue 19 item 4): a tracker that has run on a longer stretch,
    /// or a shorter one (so that it grows), gives on the next exactly what a new tracker gives, sample for sample.
    @Test func reusedTrackerMatchesANewOne() throws {
        let f0: (Double) -> Double = { 50 + 0.2 * sin(2 * Double.pi * $0 / 3) }
        let input = HumSignals.sum(Self.hum(fundamental: f0), Self.voice())
        let third = Self.frameCount / 3
        func fresh(_ stretch: [Float]) throws -> ([Float], HumTrack) {
            var work = stretch
            let tracker = try HumTracker(sampleRate: Self.sampleRate, referenceHertz: 50)
            let track = work.withUnsafeMutableBufferPointer { tracker.removeHum(from: $0) }
            return (work, track)
        }
        let tracker = try HumTracker(sampleRate: Self.sampleRate, referenceHertz: 50)
        for (first, second) in [(input, Array(input[third...])), (Array(input[..<third]), input)] {
            var before = first
            _ = before.withUnsafeMutableBufferPointer { tracker.removeHum(from: $0) }
            var again = second
            let track = again.withUnsafeMutableBufferPointer { tracker.removeHum(from: $0) }
            let (expected, expectedTrack) = try fresh(second)
            #expect(track.tracked && expectedTrack.tracked)
            #expect(again == expected, "reused tracker's output differs from a new tracker's")
            #expect(track.fundamentalHertz == expectedTrack.fundamentalHertz)
            #expect(track.levelGain == expectedTrack.levelGain)
        }
    }

    /// The processor: chunks of 3 s with 1 s overlap over the 8 s wobble give the same hum left as one stretch
    /// within 3 dB (each chunk has less to average) and still ≤ −30 dB; the output is aligned (latency
    /// compensated: same length, the voice in place) and any block split gives the same samples; reset equals a
    /// fresh processor; the residual output is what was removed.
    @Test func processorContract() throws {
        let hum = Self.hum(fundamental: { 60 + 0.3 * sin(2 * Double.pi * $0 / 4) })
        let voice = Self.voice()
        let input = HumSignals.sum(hum, voice)
        func run(_ blocks: [Int], output: HumRemoverOutput = .cleaned) throws -> [Float] {
            let remover = HumTrackingRemover(fundamentalHertz: 60, output: output, chunkSeconds: 3, overlapSeconds: 1)
            try remover.prepare(for: ProcessSpec(sampleRate: Self.sampleRate, channelCount: 1,
                                                 maximumBlockFrames: blocks.max() ?? 1))
            return remover.processAligned(AudioBuffer(channels: [input]), blockFrames: blocks).channelArrays()[0]
        }
        let a = try run([4096])
        #expect(a.count == input.count)
        let left = humLeft(a, rest: voice, hum: hum)
        let (whole, _) = try self.track(input, reference: 60)
        let wholeLeft = humLeft(whole, rest: voice, hum: hum)
        #expect(left < -30 && left < wholeLeft + 3, "chunked \(left) dB, one stretch \(wholeLeft) dB")
        let b = try run([1, 777, 5000, 64])
        #expect(a == b)
        let residual = try run([4096], output: .residual)
        let sum = zip(a, residual).map { $0 + $1 }
        #expect(HumSignals.errorDecibels(sum, input, reference: input, 0..<input.count) < -100)

        let remover = HumTrackingRemover(fundamentalHertz: 60, chunkSeconds: 3, overlapSeconds: 1)
        try remover.prepare(for: ProcessSpec(sampleRate: Self.sampleRate, channelCount: 2, maximumBlockFrames: 999))
        let stereo = AudioBuffer(channels: [input, input.map { -$0 }])
        let first = remover.processAligned(stereo, blockFrames: [999]).channelArrays()
        let reports = remover.reports
        remover.reset()
        let second = remover.processAligned(stereo, blockFrames: [999]).channelArrays()
        #expect(first == second)
        #expect(first[0] == a && first[1] == a.map { -$0 })
        // The report: three chunks, all removed, a curve of 80 points around 60 Hz whose range spans the wobble.
        #expect(reports.count == 2 && reports[0].chunks == 3 && reports[0].chunksRemoved == 3)
        #expect(reports[0].fundamentalHertz.count == 80)
        let range = try #require(reports[0].rangeHertz)
        #expect(range.lowerBound < 59.75 && range.lowerBound > 59.6 && range.upperBound > 60.25
                && range.upperBound < 60.4, "range \(range)")
    }

    /// Settings that cannot work are refused.
    /// The resampler's decimator at 48, 96 and 44.1 kHz (to 16, 16 and 22.05 kHz): tones in the hum's band (50 Hz to
    /// 3.9 kHz) come through within 1e-4 of their value at the kept sample (no delay; the design's pass-band ripple is
    /// 1.3e-5 at 48 kHz and the float rounding of about 55 products near 1e-6, so 1e-4 is a margin of seven), and a
    /// tone that would fold onto 4 kHz is at least 90 dB down (the Kaiser design's 100 dB stop band begins 1.1 kHz
    /// below it; its float taps give −102 dB there). Measured: at most 1.8e-5 off (3.9 kHz at 44.1 kHz).
    @Test(arguments: [48000.0, 96000.0, 44100.0]) func decimatorKeepsTheBandAndStopsTheFold(rate: Double) {
        let decimator = HumDecimator(sampleRate: rate)
        #expect(decimator.factor == Int(rate / 16000))
        #expect(decimator.outputRate >= 16000 && decimator.outputRate < 24000)
        let n = Int(rate / 2)
        func decimated(_ hertz: Double) -> [Float] {
            let x = (0..<n).map { Float(cos(2 * Double.pi * hertz * Double($0) / rate + 0.3)) }
            let count = decimator.outputCount(n)
            var y = [Float](repeating: 0, count: count)
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    if let base = yp.baseAddress { decimator.decimate(xp, into: base, count: count) }
                }
            }
            return y
        }
        // Away from the ends, where the filter runs past the input.
        let edge = decimator.half / decimator.factor + 1
        let inside = edge..<(decimator.outputCount(n) - edge)
        for hertz in [50.0, 1000, 2500, 3900] {
            let y = decimated(hertz)
            var worst = 0.0
            for j in inside {
                let expected = cos(2 * Double.pi * hertz * Double(j * decimator.factor) / rate + 0.3)
                worst = max(worst, abs(Double(y[j]) - expected))
            }
            #expect(worst < 1e-4, "\(hertz) Hz at \(rate) Hz: off by \(worst)")
        }
        let fold = decimated(decimator.outputRate - 4000)
        let power = inside.reduce(0.0) { $0 + Double(fold[$1]) * Double(fold[$1]) } / Double(inside.count)
        let decibels = 10 * log10(power / 0.5)
        #expect(decibels < -90, "the tone folding onto 4 kHz at \(rate) Hz: \(decibels) dB")
    }

    /// The half grid's kernel (flat to 1.6 kHz, stop band from 4.9 kHz) at the decimated rates (16 kHz from 48 and
    /// 96 kHz, 22.05 kHz from 44.1 kHz), read at fractional times: tones in the pass band come through within 1e-3
    /// (the nearest of 1024 kernel phases puts a read up to 1/2048 sample off, 3e-4 of a 1.6 kHz tone at 16 kHz, plus
    /// the Kaiser design's ripple of about 1e-4 and float rounding: a margin of about two), and tones in the stop band
    /// (what would fold onto the modelled harmonics) are at least 70 dB down (β = 8 gives about 80 dB). Measured:
    /// at most 3.4e-4 off (1.6 kHz at 16 kHz), the stop band at least 81.0 dB down.
    @Test(arguments: [16000.0, 22050.0]) func halfGridKernelKeepsTheHarmonicsAndStopsTheFold(rate: Double) {
        let kernel = SincKernel(sampleRate: rate, passHertz: HumTracker.halfGridPassHertz,
                                stopHertz: HumTracker.halfGridStopHertz)
        let n = Int(rate / 2)
        let edge = kernel.halfWidth + 2
        let times = stride(from: Double(edge) + 0.37, to: Double(n - edge), by: 0.71).map { $0 }
        func read(_ hertz: Double) -> [Float] {
            let x = (0..<n).map { Float(cos(2 * Double.pi * hertz * Double($0) / rate + 0.3)) }
            var y = [Float](repeating: 0, count: times.count)
            x.withUnsafeBufferPointer { xp in
                times.withUnsafeBufferPointer { tp in
                    y.withUnsafeMutableBufferPointer { yp in
                        if let t = tp.baseAddress, let base = yp.baseAddress {
                            kernel.sample(xp, at: t, count: times.count, into: base)
                        }
                    }
                }
            }
            return y
        }
        for hertz in [50.0, 500, 1000, 1600] {
            let y = read(hertz)
            var worst = 0.0
            for (i, t) in times.enumerated() {
                worst = max(worst, abs(Double(y[i]) - cos(2 * Double.pi * hertz * t / rate + 0.3)))
            }
            #expect(worst < 1e-3, "\(hertz) Hz at \(rate) Hz: off by \(worst)")
        }
        for hertz in [4900.0, 6000, 7500] {
            let y = read(hertz)
            let power = y.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(y.count)
            let decibels = 10 * log10(power / 0.5)
            #expect(decibels < -70, "\(hertz) Hz at \(rate) Hz: \(decibels) dB")
        }
    }

    /// At 48 kHz (the resampler reading the decimated copy) the tracker starts from every harmonic to 4 kHz (66 at
    /// 60 Hz) and from the first pass on models only those that stand out of their uncertainty, at least to 1 kHz:
    /// mains harmonics to 1.2 kHz (20) under the two words keep 17 to fewer than 66 (the cut plus a quarter);
    /// odd harmonics to 3.9 kHz keep 65 or 66. Either way the hum left is the issue's −35 dB or less (the wobble's
    /// target; steady hum here, so the smaller figure is no stretch). Measured: 25 modelled, −76.9 dB; buzz 66,
    /// −76.9 dB.
    @Test(arguments: [false, true]) func harmonicsModelledAt48k(buzz: Bool) throws {
        let rate = 48000.0
        let n = Int(8 * rate)
        let amplitudes: [Double] = buzz
            ? (1...65).map { $0 % 2 == 1 ? 0.02 / Double($0).squareRoot() : 0 }
            : HumSignals.mainsAmplitudes(count: 20, fundamentalAmplitude: 0.02)
        let hum = HumSignals.hum(frameCount: n, sampleRate: rate, startHertz: 60, amplitudes: amplitudes)
        // Two words and a recording's noise floor (white, −85 dBFS RMS): without any noise the harmonics where
        // there is neither hum nor voice hold nothing but rounding, whose ratios to their uncertainty mean nothing.
        let voice = HumSignals.sum(HumSignals.sum(
            HumSignals.vowelWithPhases(frameCount: n, sampleRate: rate, from: 1.5, to: 3.5, rampIn: true).samples,
            HumSignals.vowelWithPhases(frameCount: n, sampleRate: rate, from: 4.5, to: 6.5, rampIn: true).samples),
            HumSignals.whiteNoise(frameCount: n, amplitude: 1e-4, seed: 19))
        let tracker = try HumTracker(sampleRate: rate, referenceHertz: 60)
        #expect(tracker.harmonicCount == 66)
        var work = HumSignals.sum(hum, voice)
        let track = work.withUnsafeMutableBufferPointer { tracker.removeHum(from: $0) }
        #expect(track.tracked)
        if buzz {
            #expect(track.harmonicCount >= 65, "modelled \(track.harmonicCount)")
        } else {
            #expect(track.harmonicCount >= 17 && track.harmonicCount < 66, "modelled \(track.harmonicCount)")
        }
        // Mains harmonics to at most 1.6 kHz (26 of 60 Hz) are read on the half grid; a buzz to 4 kHz is not.
        #expect(tracker.halfGrid == (track.harmonicCount <= 26), "modelled \(track.harmonicCount)")
        #expect(tracker.halfGrid != buzz)
        let left = HumSignals.errorDecibels(work, voice, reference: hum, 0..<n)
        #expect(left < -35, "hum left \(left) dB")
    }

    /// The report's harmonic count is the most any chunk modelled: a buzz to 3.9 kHz for the first 4.5 s (every
    /// harmonic to 4 kHz stands out: 66 at 60 Hz) and mains hum to 1.2 kHz over a −85 dBFS noise floor after it (17 up
    /// to fewer than 66), in 3 s chunks. The last chunk models fewer than the first; the report says 66.
    @Test func reportCountsTheMostHarmonicsModelled() throws {
        let n = Self.frameCount
        let half = n * 9 / 16
        let buzz = HumSignals.hum(frameCount: n, sampleRate: Self.sampleRate, startHertz: 60,
                                  amplitudes: (1...65).map { $0 % 2 == 1 ? 0.02 / Double($0).squareRoot() : 0 })
        let mains = HumSignals.hum(frameCount: n, sampleRate: Self.sampleRate, startHertz: 60,
                                   amplitudes: HumSignals.mainsAmplitudes(count: 20, fundamentalAmplitude: 0.02))
        let floor = HumSignals.whiteNoise(frameCount: n, amplitude: 1e-4, seed: 23)
        let input = (0..<n).map { ($0 < half ? buzz[$0] : mains[$0]) + floor[$0] }
        let remover = HumTrackingRemover(fundamentalHertz: 60, chunkSeconds: 3, overlapSeconds: 1)
        try remover.prepare(for: ProcessSpec(sampleRate: Self.sampleRate, channelCount: 1, maximumBlockFrames: 4096))
        _ = remover.processAligned(AudioBuffer(channels: [input]), blockFrames: [4096])
        let report = try #require(remover.reports.first)
        #expect(report.chunks == 3 && report.chunksRemoved == 3)
        #expect(report.harmonicCount == 66, "reported \(report.harmonicCount)")
        // The last chunk alone (mains over the floor) models fewer.
        let tracker = try HumTracker(sampleRate: Self.sampleRate, referenceHertz: 60)
        var last = Array(input[(n - Int(3 * Self.sampleRate))...])
        let track = last.withUnsafeMutableBufferPointer { tracker.removeHum(from: $0) }
        #expect(track.harmonicCount >= 17 && track.harmonicCount < 66, "the last 3 s alone: \(track.harmonicCount)")
    }

    @Test func configurationErrors() {
        #expect(throws: ScrimError.self) { try HumTracker(sampleRate: 4000, referenceHertz: 50) }
        #expect(throws: ScrimError.self) { try HumTracker(sampleRate: 48000, referenceHertz: 5) }
        let remover = HumTrackingRemover(fundamentalHertz: 50, chunkSeconds: 2, overlapSeconds: 1.5)
        #expect(throws: (any Error).self) {
            try remover.prepare(for: ProcessSpec(sampleRate: 48000, channelCount: 1, maximumBlockFrames: 64))
        }
    }
}
