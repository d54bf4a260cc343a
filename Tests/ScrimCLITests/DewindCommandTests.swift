import Foundation
import Testing

/// `scrim dewind` end to end on generated float WAVs: gusts found and reported, clean speech left as it is.
@Suite struct DewindCommandTests {
    static let rate = 48_000

    /// A 32-bit float WAV of `channels` (planar), written byte by byte.
    static func writeFloatWAV(to path: String, channels: [[Float]]) throws {
        let frames = channels[0].count, count = channels.count
        var bytes: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        let dataBytes = 4 * frames * count
        bytes += Array("RIFF".utf8); u32(UInt32(36 + dataBytes)); bytes += Array("WAVEfmt ".utf8)
        u32(16); u16(3); u16(UInt16(count)); u32(UInt32(rate)); u32(UInt32(rate * 4 * count)); u16(UInt16(4 * count))
        u16(32)
        bytes += Array("data".utf8); u32(UInt32(dataBytes))
        for i in 0..<frames { for c in 0..<count { u32(channels[c][i].bitPattern) } }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// The samples of a 32-bit float WAV (the `data` chunk found by walking the chunks), planar.
    static func readFloatWAV(_ path: String, channelCount: Int) throws -> [[Float]] {
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        func u32(_ at: Int) -> UInt32 {
            UInt32(data[at]) | UInt32(data[at + 1]) << 8 | UInt32(data[at + 2]) << 16 | UInt32(data[at + 3]) << 24
        }
        var offset = 12
        while offset + 8 <= data.count {
            let size = Int(u32(offset + 4))
            if String(decoding: data[offset..<offset + 4], as: UTF8.self) == "data" {
                let frames = size / (4 * channelCount)
                var out = [[Float]](repeating: [Float](repeating: 0, count: frames), count: channelCount)
                for i in 0..<frames {
                    for c in 0..<channelCount {
                        out[c][i] = Float(bitPattern: u32(offset + 8 + 4 * (i * channelCount + c)))
                    }
                }
                return out
            }
            offset += 8 + size + (size & 1)
        }
        throw CocoaError(.fileReadCorruptFile)
    }

    /// Speech-like syllables on a 120 Hz fundamental (harmonics at 1/h, peak about −14 dBFS) after 0.5 s of
    /// silence, 4 per second.
    static func speech(seconds: Double) -> [Float] {
        let n = Int(Double(rate) * seconds)
        var phase = 0.0
        return (0..<n).map { i in
            let t = Double(i) / Double(rate)
            phase += 2 * Double.pi * 120 * (1 + 0.08 * sin(2 * Double.pi * 0.7 * t)) / Double(rate)
            let local = (t - 0.5).truncatingRemainder(dividingBy: 0.25)
            let envelope = t < 0.5 || local > 0.18 ? 0 : pow(sin(Double.pi * local / 0.18), 2)
            var v = 0.0
            for h in 1...30 { v += sin(Double(h) * phase) / Double(h) }
            return Float(0.05 * envelope * v)
        }
    }

    /// `frames` of white noise (a linear congruential generator) through two one-pole low-passes at `corner` Hz,
    /// scaled to `decibels` dBFS RMS.
    static func lowNoise(frames n: Int, corner: Double, decibels: Double, seed: UInt64) -> [Double] {
        var state = seed
        let a = exp(-2 * Double.pi * corner / Double(rate))
        var s1 = 0.0, s2 = 0.0
        let noise = (0..<n).map { _ -> Double in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            s1 = a * s1 + (1 - a) * (Double(Int64(bitPattern: state >> 11) - (1 << 52)) / Double(1 << 52))
            s2 = a * s2 + (1 - a) * s1
            return s2
        }
        let rms = (noise.reduce(0) { $0 + $1 * $1 } / Double(n)).squareRoot()
        return noise.map { $0 / rms * pow(10, decibels / 20) }
    }

    /// Two 1 s gusts (sin² envelopes at 1.5 and 3.5 s) of noise low-passed at 60 Hz (two one-pole sections),
    /// −15 dBFS RMS under the envelope's peak.
    static func gusts(seconds: Double, seed: UInt64) -> [Float] {
        let n = Int(Double(rate) * seconds)
        let noise = lowNoise(frames: n, corner: 60, decibels: -15, seed: seed)
        return (0..<n).map { i in
            let t = Double(i) / Double(rate)
            for start in [1.5, 3.5] where t >= start && t < start + 1 {
                return Float(noise[i] * pow(sin(Double.pi * (t - start)), 2))
            }
            return 0
        }
    }

    /// Mono, wind reducer only: two gusts, about 2 × (0.5…1) s of 6 s in gusts, a deep cut; the text says so.
    @Test func findsGustsAndSaysSo() throws {
        let folder = TemporaryFolder()
        let input = folder.file("windy.wav")
        let clean = Self.speech(seconds: 6)
        try Self.writeFloatWAV(to: input, channels: [zip(clean, Self.gusts(seconds: 6, seed: 3)).map { $0 + $1 }])
        let result = try CLI.run(["dewind", input, "-o", folder.file("out.wav"), "--highpass", "off", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(try CLI.jsonLines(result.stdout).first)
        let report = try CLI.report(line, "wind")
        #expect(report["highpass"] is NSNull)
        let wind = try #require(report["wind"] as? [String: Any])
        let track = try #require((wind["track"] as? [[String: Any]])?.first)
        #expect(track["gusts"] as? Int == 2)
        let percent = try #require(track["gustPercent"] as? Double)
        #expect(percent > 16 && percent < 34, "gust share \(percent) %")
        #expect((track["deepestCutDb"] as? Double).map { $0 > 15 } == true)

        let text = try CLI.run(["dewind", input, "-o", folder.file("out2.wav")])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains(
            "highpass   80 Hz, 12 dB/octave (Butterworth order 2 magnitude, linear phase: latency 16382 frames"))
        #expect(text.stdout.contains("2 gusts"))
    }

    /// Clean speech on two tracks (the same voice) through the wind reducer alone: no gusts, and each track comes
    /// out as it went in to better than 60 dB SI-SDR (the STFT round trip is exact to float rounding, about
    /// −130 dB).
    @Test func cleanSpeechIsUntouched() throws {
        let folder = TemporaryFolder()
        let input = folder.file("clean.wav")
        let clean = Self.speech(seconds: 4)
        try Self.writeFloatWAV(to: input, channels: [clean, clean.map { $0 * 0.5 }])
        let output = folder.file("out.wav")
        let result = try CLI.run(["dewind", input, "-o", output, "--highpass", "off", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(try CLI.jsonLines(result.stdout).first)
        let wind = try #require(try CLI.report(line, "wind")["wind"] as? [String: Any])
        let tracks = try #require(wind["track"] as? [[String: Any]])
        #expect(tracks.count == 2 && tracks.allSatisfy { $0["gusts"] as? Int == 0 })
        let out = try Self.readFloatWAV(output, channelCount: 2)
        for (c, reference) in [clean, clean.map { $0 * 0.5 }].enumerated() {
            var error = 0.0, energy = 0.0
            for i in reference.indices {
                energy += Double(reference[i]) * Double(reference[i])
                error += pow(Double(out[c][i] - reference[i]), 2)
            }
            #expect(10 * log10(energy / error) > 60, "track \(c + 1)")
        }
    }

    /// A low voice (fundamental gliding 64–76 Hz, under the 80 Hz corner; harmonics at 1/h with a lift near
    /// 500 Hz) with no rumble: `--no-wind` (the auto high-pass alone) finds no rumble and writes the input sample
    /// for sample; the JSON and the text say the high-pass was not applied and why.
    @Test func cleanLowVoiceIsLeftBitIdentical() throws {
        let folder = TemporaryFolder()
        let input = folder.file("low.wav"), output = folder.file("out.wav")
        let n = Self.rate * 4
        var phase = 0.0
        let voice = (0..<n).map { i -> Float in
            let t = Double(i) / Double(Self.rate)
            phase += 2 * Double.pi * 70 * (1 + 0.08 * sin(2 * Double.pi * 0.7 * t)) / Double(Self.rate)
            let local = (t - 0.5).truncatingRemainder(dividingBy: 0.25)
            let envelope = t < 0.5 || local > 0.18 ? 0 : pow(sin(Double.pi * local / 0.18), 2)
            var v = 0.0
            for h in 1...50 {
                let f = 70.0 * Double(h)
                v += (1 + 8 * exp(-pow((f - 500) / 150, 2))) / Double(h) * sin(Double(h) * phase)
            }
            return Float(0.02 * envelope * v)
        }
        try Self.writeFloatWAV(to: input, channels: [voice])
        let result = try CLI.run(["dewind", input, "-o", output, "--no-wind", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(try CLI.jsonLines(result.stdout).first)
        let highpass = try #require(try CLI.report(line, "wind")["highpass"] as? [String: Any])
        #expect(highpass["applied"] as? Bool == false && highpass["mode"] as? String == "auto")
        let track = try #require(((highpass["detection"] as? [String: Any])?["track"] as? [[String: Any]])?.first)
        #expect(track["rumbleFound"] as? Bool == false && track["highpassApplied"] as? Bool == false)
        #expect(try Self.readFloatWAV(output, channelCount: 1) == [voice])
        let text = try CLI.run(["dewind", input, "-o", folder.file("out2.wav"), "--no-wind"])
        #expect(text.stdout.contains("high-pass not applied"), "\(text.stdout)")
    }

    /// Speech with steady rumble (noise low-passed at 40 Hz, −35 dBFS): found and filtered; the text names the
    /// level in the pauses. `--highpass always` filters without measuring; `--highpass 100` is the older form of
    /// `--highpass always --corner 100`.
    @Test func rumbleIsFoundAndFilteredAndCanBeForced() throws {
        let folder = TemporaryFolder()
        let input = folder.file("rumble.wav")
        let noise = Self.lowNoise(frames: Self.rate * 4, corner: 40, decibels: -35, seed: 17)
        let take = zip(Self.speech(seconds: 4), noise).map { $0 + Float($1) }
        try Self.writeFloatWAV(to: input, channels: [take])
        let result = try CLI.run(["dewind", input, "-o", folder.file("a.wav"), "--no-wind", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(try CLI.jsonLines(result.stdout).first)
        let highpass = try #require(try CLI.report(line, "wind")["highpass"] as? [String: Any])
        #expect(highpass["applied"] as? Bool == true && highpass["decision"] as? String == "detected")
        let text = try CLI.run(["dewind", input, "-o", folder.file("b.wav"), "--no-wind"])
        #expect(text.stdout.contains("rumble     found:") && text.stdout.contains("high-pass applied"),
                "\(text.stdout)")
        for args in [["--highpass", "always"], ["--highpass", "100"]] {
            let forced = try CLI.run(["dewind", input, "-o", folder.file("c.wav"), "--overwrite", "--no-wind",
                                      "--json"] + args)
            let l = try #require(try CLI.jsonLines(forced.stdout).first)
            let h = try #require(try CLI.report(l, "wind")["highpass"] as? [String: Any])
            #expect(h["decision"] as? String == "always" && h["detection"] is NSNull, "\(args)")
        }
        for bad in [["--highpass", "sometimes"], ["--highpass", "100", "--corner", "90"],
                    ["--highpass", "off", "--corner", "90"]] {
            let refused = try CLI.run(["dewind", input, "-o", folder.file("d.wav")] + bad)
            #expect(refused.status == 2, "\(bad)")
        }
    }

    @Test func refusesAStageThatDoesNothing() throws {
        let result = try CLI.run(["dewind", "in.wav", "-o", "out.wav", "--highpass", "off", "--no-wind"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("nothing to do"))
    }
}
