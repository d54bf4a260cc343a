import Foundation
import Testing
@testable import Scrim

/// A pure delay: the simplest processor with latency, so alignment can be checked exactly (output == input).
final class Delay: AudioProcessor {
    let latencyFrames: Int
    private var line: [[Float]] = []
    private var position = 0
    init(_ latencyFrames: Int) { self.latencyFrames = latencyFrames }
    func prepare(for spec: ProcessSpec) throws {
        line = Array(repeating: Array(repeating: 0, count: latencyFrames), count: spec.channelCount)
    }
    func process(_ block: AudioBlock) {
        guard latencyFrames > 0 else { return }
        for i in 0..<block.frameCount {
            for c in 0..<block.channelCount {
                let x = block.channel(c)[i]
                block.channel(c)[i] = line[c][position]
                line[c][position] = x
            }
            position = (position + 1) % latencyFrames
        }
    }
    func reset() { position = 0 }
}

final class FailingPreparation: AudioProcessor {
    var latencyFrames: Int { 0 }
    func prepare(for spec: ProcessSpec) throws { throw ScrimError(.configuration, "refused on purpose") }
    func process(_ block: AudioBlock) {}
    func reset() {}
}

/// A temporary folder removed when the test ends.
final class TemporaryFolder {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "scrim-tests-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { path + "/" + name }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Writes a 4-channel, 24-bit poly BWF with bext (TimeReference), iXML and an unknown odd-sized chunk, holding
/// a distinct ramp-plus-sine per channel on the 24-bit grid (so the round trip can be compared exactly).
func makePolyBWF(at path: String, frames: Int, sampleRate: Int = 48_000) throws -> [[Float]] {
    let channels = (0..<4).map { c in
        (0..<frames).map { i -> Float in
            let x = 0.5 * sin(Double(i) * 0.01 * Double(c + 1)) + 0.001 * Double(c)
            return Float((x * 8_388_608).rounded() / 8_388_608)
        }
    }
    let bext = try BroadcastExtension(
        description: "sSCENE=12A\r\nsTAKE=4\r\n", originator: "Scrim tests", originationDate: "2026-11-23",
        originationTime: "10:00:00", timeReference: 10 * 3600 * UInt64(sampleRate), version: 1,
        codingHistory: "A=PCM,F=48000,W=24,M=mono,T=recorder\r\n")
    let ixml = Array("""
        <?xml version="1.0" encoding="UTF-8"?><BWFXML><IXML_VERSION>1.61</IXML_VERSION><SCENE>12A</SCENE>\
        <TAKE>4</TAKE><SPEED><TIMECODE_RATE>25/1</TIMECODE_RATE><TIMECODE_FLAG>NDF</TIMECODE_FLAG></SPEED>\
        <TRACK_LIST><TRACK_COUNT>4</TRACK_COUNT>\
        <TRACK><CHANNEL_INDEX>1</CHANNEL_INDEX><INTERLEAVE_INDEX>1</INTERLEAVE_INDEX><NAME>BOOM</NAME></TRACK>\
        <TRACK><CHANNEL_INDEX>2</CHANNEL_INDEX><INTERLEAVE_INDEX>2</INTERLEAVE_INDEX><NAME>LAV 1</NAME></TRACK>\
        </TRACK_LIST></BWFXML>
        """.utf8)
    let chunks = [
        RIFFChunk(id: "bext", data: bext.serialized()),
        RIFFChunk(id: "iXML", data: ixml),
        RIFFChunk(id: "zzzz", data: [1, 2, 3], placement: .beforeData),
        RIFFChunk(id: "tail", data: Array("after data".utf8), placement: .afterData),
    ]
    let format = AudioFileFormat(container: .wav, sampleFormat: .pcm24, sampleRate: sampleRate, channelCount: 4)
    let writer = try AudioFileWriter(path: path, format: format, chunks: chunks)
    let buffer = AudioBuffer(channels: channels)
    try buffer.withBlock { try writer.write($0) }
    try writer.finish()
    return channels
}

func readAll(_ path: String) throws -> (AudioFileInfo, [[Float]]) {
    let reader = try AudioFileReader(path: path)
    let info = reader.info
    var channels = Array(repeating: [Float](), count: info.channelCount)
    let buffer = AudioBuffer(channelCount: info.channelCount, capacity: 1000)
    while try reader.read(into: buffer) > 0 {
        for c in 0..<info.channelCount { channels[c] += buffer.channel(c) }
    }
    return (info, channels)
}

@Suite struct FileJobTests {
    @Test(arguments: [0, 1, 2046, 20_000])
    func outputIsAlignedAndMetadataPassesThrough(latency: Int) throws {
        let folder = TemporaryFolder()
        let input = folder.file("in.wav"), output = folder.file("out.wav")
        let original = try makePolyBWF(at: input, frames: 12_345)
        let inputBytes = try Data(contentsOf: URL(fileURLWithPath: input))
        var options = FileJobOptions(blockFrames: 1000)
        options.codingHistoryText = "Scrim test"
        let result = try FileJob.process(input: input, output: output, options: options) { _ in Delay(latency) }

        #expect(result.frameCount == 12_345)
        #expect(result.latencyFrames == latency)
        let (inInfo, _) = try readAll(input)
        let (outInfo, samples) = try readAll(output)
        #expect(samples == original, "a delay compensated by the pipeline must give back the input exactly")
        #expect(outInfo.sampleFormat == .pcm24 && outInfo.sampleRate == 48_000 && outInfo.channelCount == 4)
        // Every chunk except bext identical and in order; bext identical up to one appended history line.
        #expect(outInfo.chunks.map(\.id) == inInfo.chunks.map(\.id))
        for (a, b) in zip(inInfo.chunks, outInfo.chunks) where a.id != "bext" {
            #expect(a == b, "chunk \(a.id) changed")
        }
        let before = try #require(inInfo.chunks.first { $0.id == "bext" })
        let after = try #require(outInfo.chunks.first { $0.id == "bext" })
        #expect(Array(after.data.prefix(before.data.count)) == before.data)
        let parsed = try BroadcastExtension(chunkData: after.data)
        #expect(parsed.timeReference == 10 * 3600 * 48_000)
        #expect(parsed.codingHistory == "A=PCM,F=48000,W=24,M=mono,T=recorder\r\n"
                + "A=PCM,F=48000,W=24,M=4chn,T=Scrim test\r\n")
        #expect(result.codingHistoryLine != nil)
        // The input was never written.
        #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == inputBytes)
    }

    @Test func failedPreparationLeavesNothingBehind() throws {
        let folder = TemporaryFolder()
        let input = folder.file("in.wav"), output = folder.file("out.wav")
        _ = try makePolyBWF(at: input, frames: 100)
        #expect(throws: ScrimError.self) {
            try FileJob.process(input: input, output: output) { _ in FailingPreparation() }
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(names == ["in.wav"])
    }

    @Test func cancellationLeavesNothingBehind() throws {
        let folder = TemporaryFolder()
        let input = folder.file("in.wav"), output = folder.file("out.wav")
        _ = try makePolyBWF(at: input, frames: 50_000)
        var polls = 0
        #expect(throws: ScrimError.self) {
            try FileJob.process(input: input, output: output, options: FileJobOptions(blockFrames: 1024),
                                isCancelled: { polls += 1; return polls > 3 }) { _ in Delay(10) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["in.wav"])
    }

    @Test func outputOntoInputIsRefused() throws {
        let folder = TemporaryFolder()
        let input = folder.file("in.wav")
        _ = try makePolyBWF(at: input, frames: 100)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: input))
        #expect(throws: AudioFileError.self) {
            try FileJob.process(input: input, output: folder.path + "/./in.wav") { _ in Delay(0) }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == bytes)
    }

    @Test func existingOutputIsNotOverwrittenUnlessAsked() throws {
        let folder = TemporaryFolder()
        let input = folder.file("in.wav"), output = folder.file("out.wav")
        _ = try makePolyBWF(at: input, frames: 100)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: output))
        #expect(throws: AudioFileError.self) {
            try FileJob.process(input: input, output: output) { _ in Delay(0) }
        }
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "keep me")
        _ = try FileJob.process(input: input, output: output, options: FileJobOptions(overwrite: true)) { _ in
            Delay(0)
        }
        #expect(try readAll(output).0.frameCount == 100)
    }

    @Test func productionMetadataDecodesTimecodeAndTracks() throws {
        let folder = TemporaryFolder()
        let input = folder.file("in.wav")
        _ = try makePolyBWF(at: input, frames: 100)
        let inspection = try FileInspection(path: input)
        #expect(inspection.metadata.timecode?.description == "10:00:00:00")
        #expect(inspection.metadata.trackName(forChannel: 0) == "BOOM")
        #expect(inspection.metadata.trackName(forChannel: 1) == "LAV 1")
        #expect(inspection.metadata.ixml?.scene == "12A")
        #expect(inspection.json["timecode"] == .string("10:00:00:00"))
        #expect(inspection.json["scene"] == .string("12A"))
        // Peak of channel 3 (index 3): 0.5 + 0.003, on the 24-bit grid; within one 24-bit step.
        #expect(abs(Double(inspection.channelPeaks[3]) - 0.503) < 1e-3)
    }
}

/// Counts frames and sums channel 0, to check what an output analyzer sees.
final class FrameCounter: AudioAnalyzer {
    var frames = 0
    var sum = 0.0
    func prepare(for spec: ProcessSpec) throws {}
    func analyze(_ block: AudioBlock) {
        frames += block.frameCount
        for x in block.channel(0) { sum += Double(x) }
    }
    func reset() { frames = 0; sum = 0 }
}

@Suite struct FileJobPassesTests {
    @Test func outputAnalyzersSeeExactlyTheAlignedOutput() throws {
        let folder = TemporaryFolder()
        let input = folder.file("in.wav"), output = folder.file("out.wav")
        let original = try makePolyBWF(at: input, frames: 9_999)
        let counter = FrameCounter()
        _ = try FileJob.process(input: input, output: output, options: FileJobOptions(blockFrames: 512),
                                outputAnalyzers: [counter]) { _ in Delay(700) }
        #expect(counter.frames == 9_999)
        // The delay is compensated, so the analyzer sees the input itself: same sum to float rounding.
        let expected = original[0].reduce(0.0) { $0 + Double($1) }
        #expect(abs(counter.sum - expected) < 1e-9 * Double(original[0].count))
    }

    @Test func intermediateFilesCanDropMetadataAndChangeFormat() throws {
        let folder = TemporaryFolder()
        let input = folder.file("in.wav"), output = folder.file("mid.wav")
        _ = try makePolyBWF(at: input, frames: 1_000)
        let info = try AudioFileReader(path: input).info
        var format = info.format
        format.sampleFormat = .float32
        let result = try FileJob.process(
            input: input, output: output,
            options: FileJobOptions(codingHistoryText: nil, outputFormat: format, chunks: [])) { _ in Delay(3) }
        #expect(result.codingHistoryLine == nil)
        let (outInfo, _) = try readAll(output)
        #expect(outInfo.sampleFormat == .float32)
        #expect(outInfo.chunks.allSatisfy { $0.id != "bext" && $0.id != "iXML" })
    }
}
