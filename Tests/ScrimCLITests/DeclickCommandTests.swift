import Foundation
import Testing

@Suite struct DeclickCommandTests {
    /// Writes 1 s of 48 kHz 16-bit mono: seeded low noise (about −50 dBFS RMS) with three one-sample ticks of
    /// +0.5 (−6.0 dBFS) at 0.25, 0.5 and 0.75 s.
    static func writeTicks(to path: String) throws {
        let frames = 48_000
        var state: UInt32 = 12_345
        var samples = [Int16](repeating: 0, count: frames)
        for i in 0..<frames {
            state = state &* 1_664_525 &+ 1_013_904_223
            samples[i] = Int16(Int(state >> 16) % 201 - 100)   // ±100 of 32768: about −50 dBFS RMS
        }
        for t in [12_000, 24_000, 36_000] { samples[t] = 16_384 }
        var bytes: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        bytes += Array("RIFF".utf8); u32(UInt32(36 + 2 * frames)); bytes += Array("WAVEfmt ".utf8)
        u32(16); u16(1); u16(1); u32(48_000); u32(96_000); u16(2); u16(16)
        bytes += Array("data".utf8); u32(UInt32(2 * frames))
        for s in samples { withUnsafeBytes(of: s.littleEndian) { bytes += $0 } }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// The three ticks are found and removed; the report gives the count, the duration (each tick's gap is the
    /// sample plus 0.1 ms a side: 11 samples, 33 in all, 0.69 ms) and the strongest level (−6.0 dBFS, the tick
    /// less the noise under it: within 0.1 dB); the output keeps the input's length; the text says the same.
    @Test func removesTicksAndReportsThem() throws {
        let folder = TemporaryFolder()
        let input = folder.file("ticks.wav")
        try Self.writeTicks(to: input)
        let result = try CLI.run(["declick", input, "-o", folder.file("out.wav"), "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(try CLI.jsonLines(result.stdout).first)
        #expect(line["command"] as? String == "declick" && line["status"] as? String == "done")
        let report = try CLI.report(line, "declick")
        #expect(report["clicksRemoved"] as? Int == 3)
        let peak = try #require(report["strongestClickDbfs"] as? Double)
        #expect(abs(peak - -6.02) < 0.1, "strongest \(peak) dBFS")
        let seconds = try #require(report["removedSeconds"] as? Double)
        #expect(seconds > 0.00006 && seconds < 0.001, "removed \(seconds) s")
        #expect(try CLI.report(line, "file")["frameCount"] as? Int == 48_000)
        #expect((report["track"] as? [Any])?.count == 1)

        let text = try CLI.run(["declick", input, "-o", folder.file("out2.wav")])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("3 clicks"), "\(text.stdout)")
    }

    /// Bad settings are usage errors (exit 2) naming the option.
    @Test func badOptionsAreUsageErrors() throws {
        let folder = TemporaryFolder()
        let input = folder.file("ticks.wav")
        try Self.writeTicks(to: input)
        let low = try CLI.run(["declick", input, "-o", folder.file("a.wav"), "--threshold", "2"])
        #expect(low.status == 2 && low.stderr.contains("--threshold"))
        let long = try CLI.run(["declick", input, "-o", folder.file("b.wav"), "--max-click", "50"])
        #expect(long.status == 2 && long.stderr.contains("--max-click"))
    }
}
