import Foundation
import Testing

/// One weighting rule for every loudness-using command: a production poly file (iXML, no channel mask) is weighed
/// track by track, equally, never as 5.1.
@Suite struct LayoutRuleTests {
    /// A 6-track 16-bit 48 kHz BWF-style poly file (iXML names MIX L, MIX R, BOOM, LAV 1–3) with a 1 kHz tone at
    /// `amplitude` on track 4 (LAV 1) only: as 5.1, track 4 would be the LFE and the take would read −∞.
    static func polyTake(at path: String, seconds: Double = 6, amplitude: Double = 0.05) throws {
        let frames = Int(48_000 * seconds)
        var bytes: [UInt8] = []
        func u32(_ v: Int) { bytes += (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        func u16(_ v: Int) { bytes += (0..<2).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        let names = ["MIX L", "MIX R", "BOOM", "LAV 1", "LAV 2", "LAV 3"]
        var ixml = "<BWFXML><TRACK_LIST><TRACK_COUNT>6</TRACK_COUNT>"
        for (i, name) in names.enumerated() {
            ixml += "<TRACK><CHANNEL_INDEX>\(i + 1)</CHANNEL_INDEX><NAME>\(name)</NAME></TRACK>"
        }
        ixml += "</TRACK_LIST></BWFXML>"
        var ixmlBytes = Array(ixml.utf8)
        if ixmlBytes.count % 2 == 1 { ixmlBytes.append(0) }
        let dataSize = frames * 6 * 2
        bytes += Array("RIFF".utf8); u32(4 + 24 + 8 + ixmlBytes.count + 8 + dataSize); bytes += Array("WAVE".utf8)
        bytes += Array("fmt ".utf8); u32(16); u16(1); u16(6); u32(48_000); u32(48_000 * 12); u16(12); u16(16)
        bytes += Array("iXML".utf8); u32(ixmlBytes.count); bytes += ixmlBytes
        bytes += Array("data".utf8); u32(dataSize)
        for i in 0..<frames {
            let x = Int((amplitude * sin(2 * Double.pi * 1000 * Double(i) / 48_000) * 32_767).rounded())
            for channel in 0..<6 { u16(channel == 3 ? x & 0xFFFF : 0) }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// The report under `key` in the first JSON line of `text`.
    func object(_ text: String, _ key: String) throws -> [String: Any] {
        try CLI.report(try CLI.jsonLines(text).first, key)
    }

    @Test func everyCommandWeighsAPolyFileEqually() throws {
        let folder = TemporaryFolder()
        let take = folder.file("poly.wav")
        try Self.polyTake(at: take)
        // 0.05 amplitude 1 kHz in one channel: −3.01 + 20·log10(0.05) ≈ −29.0 LUFS with weight 1.
        let loudness = try object(try CLI.run(["loudness", take, "--json"]).stdout, "loudness")
        let measured = try #require(loudness["integratedLoudnessLufs"] as? Double)
        #expect(abs(measured - -29.0) < 0.1, "\(measured)")
        #expect((loudness["channelLayout"] as? [String: Any])?["name"] as? String == "equal")

        let normalize = try CLI.run(["normalize", take, "--output", folder.file("n.wav"), "--json"])
        #expect(normalize.status == 0, "\(normalize.stderr)")
        let normalized = try object(normalize.stdout, "normalize")
        let before = try #require((normalized["before"] as? [String: Any])?["integratedLoudnessLufs"] as? Double)
        #expect(abs(before - measured) < 0.001, "normalize measures what loudness measures")
        let after = try #require((normalized["after"] as? [String: Any])?["integratedLoudnessLufs"] as? Double)
        #expect(abs(after - -23) < 0.01)

        let process = try CLI.run(["process", take, "-o", folder.file("p.wav"), "--preset", "broadcast", "--json"])
        #expect(process.status == 0, "\(process.stderr)")
        let stage = try #require(try object(process.stdout, "process")["loudness"] as? [String: Any])
        let layout = try #require(stage["layout"] as? [String: Any], "\(stage["layout"] ?? "-")")
        #expect(layout["name"] as? String == "equal", "\(layout)")
        #expect(layout["weights"] as? [Double] == [1, 1, 1, 1, 1, 1], "\(layout)")

        // Asked for 5.1, the same file reads as silent (the tone is on the LFE): the flag is honoured and said.
        let surround = try object(try CLI.run(["loudness", take, "--json", "--layout", "5.1"]).stdout, "loudness")
        #expect(surround["integratedLoudnessLufs"] is NSNull)
        let text = try CLI.run(["loudness", take]).stdout
        #expect(text.contains("equal"), "the layout is printed: \(text)")
    }

    @Test func equalOnAnyFile() throws {
        let folder = TemporaryFolder()
        try writeShortWAV(to: folder.file("mono.wav"), frames: 96_000, amplitude: 0.1)
        let run = try CLI.run(["loudness", folder.file("mono.wav"), "--json", "--layout", "equal"])
        let result = try object(run.stdout, "loudness")
        #expect((result["channelLayout"] as? [String: Any])?["name"] as? String == "equal")
    }
}
