import Foundation
import ScrimCore
import Testing
@testable import ScrimFiles

@Suite struct ChunkPassThroughTests {
    static let ixml = Array("<?xml version=\"1.0\"?><BWFXML><SCENE>12A</SCENE><TAKE>3</TAKE></BWFXML>".utf8)
    static let bext = makeBext(description: "sc12A tk3", timeReference: 172_800_000,
                               codingHistory: "A=PCM,F=48000,W=24,M=poly,T=recorder\r\n")

    /// 4 channels, 24-bit, 48 kHz: fmt, bext, iXML, an odd-sized unknown `zzzz`, a stale `PEAK`, data, then an
    /// odd-sized unknown `yyyy` after the data.
    static func polyBWF(frames: Int, formID: String = "RIFF") -> (bytes: [UInt8], samples: [UInt8]) {
        var state: UInt32 = 99
        let channels: [[Int32]] = (0..<4).map { _ in
            (0..<frames).map { _ in
                state = state &* 1_664_525 &+ 1_013_904_223
                return Int32(bitPattern: state) >> 8
            }
        }
        let samples = WAVBuilder.pcm24(channels)
        var builder = WAVBuilder(formID: formID)
        if formID != "RIFF" {
            // ds64: RIFF size (patched below), data size, sample count, table length 0 (EBU Tech 3306).
            builder.add("ds64", WAVBuilder.le64(0) + WAVBuilder.le64(UInt64(samples.count))
                        + WAVBuilder.le64(UInt64(frames)) + WAVBuilder.le32(0))
        }
        builder.add("fmt ", WAVBuilder.fmt(channels: 4, sampleRate: 48_000, bits: 24))
        builder.add("bext", bext)
        builder.add("iXML", ixml)
        builder.add("zzzz", [1, 2, 3, 4, 5, 6, 7])
        // PEAK (a libsndfile/Adobe extension): version 1, timestamp, then (peak value Float32, position) per channel.
        builder.add("PEAK", WAVBuilder.le32(1) + WAVBuilder.le32(0)
                    + (0..<4).flatMap { _ in WAVBuilder.le32(Float(0.5).bitPattern) + WAVBuilder.le32(7) })
        builder.add("data", samples, declaredSize: formID == "RIFF" ? nil : 0xFFFF_FFFF)
        builder.add("yyyy", [0xAB, 0xCD, 0xEF])
        var bytes = builder.bytes(riffSize: formID == "RIFF" ? nil : 0xFFFF_FFFF)
        if formID != "RIFF" {
            // Patch the ds64 RIFF size (offset 20) now that the file size is known.
            let riffSize = WAVBuilder.le64(UInt64(bytes.count - 8))
            for i in 0..<8 { bytes[20 + i] = riffSize[i] }
        }
        return (bytes, samples)
    }

    static func appendHistory(_ bext: [UInt8]) -> [UInt8] {
        bext + Array("A=PCM,F=48000,W=24,M=poly,T=Scrim\r\n".utf8)
    }

    @Test func polyBroadcastWavePassesThroughUnchanged() throws {
        let folder = TemporaryFolder()
        let (bytes, samples) = Self.polyBWF(frames: 3_001)
        let input = folder.write(bytes, to: "sc12A-tk3.wav")

        let (info, channels) = try readAll(input, blockFrames: 1_000)
        #expect(info.container == .wav)
        #expect(info.isBroadcastWave)
        #expect(info.frameCount == 3_001 && info.channelCount == 4 && info.sampleFormat == .pcm24)
        #expect(info.chunks.map(\.id) == ["fmt ", "bext", "iXML", "zzzz", "PEAK", "yyyy"])
        #expect(info.chunks.map(\.placement) == [.beforeData, .beforeData, .beforeData, .beforeData, .beforeData,
                                                 .afterData])
        #expect(info.chunks[3].data == [1, 2, 3, 4, 5, 6, 7])

        let output = folder.file("sc12A-tk3.clean.wav")
        let writer = try writeFile(output, format: info.format, channels: channels, chunks: info.chunks,
                                   bextTransform: Self.appendHistory)
        #expect(writer.droppedChunkIDs == ["PEAK"])
        #expect(writer.writtenContainer == .wav)

        let (again, channelsAgain) = try readAll(output)
        #expect(channelsAgain == channels)
        let expected = passThrough(info.chunks).filter { $0.id != "PEAK" }.map { chunk in
            chunk.id == "bext" ? RIFFChunk(id: "bext", data: Self.appendHistory(chunk.data)) : chunk
        }
        #expect(passThrough(again.chunks) == expected)
        // Regenerated layout: JUNK reserved right after the RIFF header, then fmt.
        #expect(again.chunks.prefix(2).map(\.id) == ["JUNK", "fmt "])
        #expect(again.chunks[0].data == [UInt8](repeating: 0, count: 28))
        // The sample bytes are identical, and the RIFF size field matches the file.
        let written = readBytes(output)
        let range = try #require(dataRange(written))
        #expect(Array(written[range]) == samples)
        #expect(Int(written.uint32LE(at: 4)) == written.count - 8)
    }

    @Test(arguments: ["RF64", "BW64"])
    func sixtyFourBitInputKeepsIXMLAndBext(_ formID: String) throws {
        let folder = TemporaryFolder()
        let (bytes, samples) = Self.polyBWF(frames: 1_500, formID: formID)
        let input = folder.write(bytes, to: "long.wav")
        let (info, channels) = try readAll(input)
        #expect(info.container == (formID == "RF64" ? .rf64 : .bw64))
        #expect(info.frameCount == 1_500)
        #expect(info.chunks.first?.id == "ds64")

        let output = folder.file("long.clean.wav")
        let writer = try writeFile(output, format: info.format, channels: channels, chunks: info.chunks)
        #expect(writer.writtenContainer == info.container)
        let (again, channelsAgain) = try readAll(output)
        #expect(again.container == info.container)
        #expect(channelsAgain == channels)
        #expect(passThrough(again.chunks) == passThrough(info.chunks).filter { $0.id != "PEAK" })
        #expect(again.chunks.contains { $0.id == "iXML" && $0.data == Self.ixml })
        #expect(again.chunks.contains { $0.id == "bext" && $0.data == Self.bext })

        // The file is RF64 in place of the reserved JUNK: form ID, ds64 at byte 12, data size 0xFFFFFFFF.
        let written = readBytes(output)
        #expect(Array(written[0..<4]) == Array(formID.utf8))
        #expect(Array(written[12..<16]) == Array("ds64".utf8))
        #expect(written.uint64LE(at: 28) == UInt64(samples.count))  // ds64 data size
        #expect(written.uint64LE(at: 36) == 1_500)  // ds64 sample count
        #expect(written.uint64LE(at: 20) == UInt64(written.count - 8))  // ds64 RIFF size
    }

    /// Some RF64 writers leave 0 rather than 0xFFFFFFFF in the data chunk's size; ds64 is authoritative.
    @Test func rf64WithZeroDataSizeUsesDs64() throws {
        let folder = TemporaryFolder()
        var (bytes, _) = Self.polyBWF(frames: 600, formID: "RF64")
        let dataHeader = try #require(Self.find("data", in: bytes))
        for i in 0..<4 { bytes[dataHeader + 4 + i] = 0 }
        let (info, channels) = try readAll(folder.write(bytes, to: "zero.wav"))
        #expect(info.frameCount == 600)
        #expect(channels[0].count == 600)
        #expect(info.chunks.last?.id == "yyyy")
    }

    /// A WAV that outgrows the RIFF limit becomes RF64 in place (the limit is lowered here: a 4 GiB test file
    /// would be too slow for a unit test).
    @Test func wavBecomesRF64WhenItOutgrowsTheLimit() throws {
        let folder = TemporaryFolder()
        let path = folder.file("big.wav")
        let signal = noise(channelCount: 2, frameCount: 4_000, seed: 4)
        let writer = try AudioFileWriter(
            path: path, format: AudioFileFormat(container: .wav, sampleFormat: .float32, sampleRate: 48_000,
                                                channelCount: 2),
            chunks: [RIFFChunk(id: "iXML", data: Self.ixml)])
        writer.riffSizeLimit = 10_000
        let buffer = AudioBuffer(channels: signal)
        try writer.write(buffer.unsafeBlock)
        try writer.finish()
        #expect(writer.writtenContainer == .rf64)
        let (info, channels) = try readAll(path)
        #expect(info.container == .rf64)
        #expect(channels == signal)
        #expect(passThrough(info.chunks) == [RIFFChunk(id: "iXML", data: Self.ixml)])
        // The float fact chunk holds the frame count.
        #expect(info.chunks.first { $0.id == "fact" }?.data == WAVBuilder.le32(4_000))
    }

    @Test func otherContainersReportEveryDroppedChunk() throws {
        let folder = TemporaryFolder()
        let (bytes, _) = Self.polyBWF(frames: 100)
        let (info, channels) = try readAll(folder.write(bytes, to: "in.wav"))
        var format = info.format
        format.container = .flac
        let writer = try writeFile(folder.file("out.flac"), format: format, channels: channels, chunks: info.chunks)
        #expect(writer.droppedChunkIDs == ["bext", "iXML", "zzzz", "PEAK", "yyyy"])
    }

    @Test func bextTransformTouchesOnlyBext() throws {
        let folder = TemporaryFolder()
        let chunks = [RIFFChunk(id: "iXML", data: Self.ixml), RIFFChunk(id: "bext", data: Self.bext),
                      RIFFChunk(id: "LIST", data: Array("INFOISFT".utf8), placement: .afterData)]
        let path = folder.file("t.wav")
        var calls = 0
        try writeFile(path, format: AudioFileFormat(container: .wav, sampleFormat: .pcm16, sampleRate: 48_000,
                                                    channelCount: 1),
                      channels: [[0, 0.5, -0.5]], chunks: chunks,
                      bextTransform: { calls += 1; return Self.appendHistory($0) })
        #expect(calls == 1)
        let (info, _) = try readAll(path)
        #expect(passThrough(info.chunks) == [chunks[0], RIFFChunk(id: "bext", data: Self.appendHistory(Self.bext)),
                                              chunks[2]])
    }

    static func find(_ id: String, in bytes: [UInt8]) -> Int? {
        let pattern = Array(id.utf8)
        return (0..<(bytes.count - 4)).first { Array(bytes[$0..<$0 + 4]) == pattern }
    }
}
