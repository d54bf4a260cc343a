import Foundation
import ScrimCore
import Testing
@testable import ScrimFiles

@Suite struct WriterSafetyTests {
    static let format = AudioFileFormat(container: .wav, sampleFormat: .pcm24, sampleRate: 48_000, channelCount: 2)

    @Test(arguments: [AudioContainer.wav, .flac])
    func destinationAppearsOnlyWhenFinished(_ container: AudioContainer) throws {
        let folder = TemporaryFolder()
        let path = folder.file("out")
        var format = Self.format
        format.container = container
        let writer = try AudioFileWriter(path: path, format: format)
        let buffer = AudioBuffer(channels: noise(channelCount: 2, frameCount: 1_000, seed: 1))
        try writer.write(buffer.unsafeBlock)
        // While writing, only the hidden temporary file exists, next to the destination.
        let temporaryName = String(writer.temporaryPath.split(separator: "/").last ?? "")
        #expect(folder.contents() == [temporaryName])
        #expect(temporaryName.hasPrefix(".out.scrim-\(Temporaries.hostTag)-\(getpid())-")
                && temporaryName.hasSuffix(".tmp"))
        #expect(Temporaries.owner(ofName: temporaryName) == getpid())
        try writer.finish()
        #expect(folder.contents() == ["out"])
    }

    @Test func cancelLeavesNothing() throws {
        let folder = TemporaryFolder()
        let writer = try AudioFileWriter(path: folder.file("out.wav"), format: Self.format)
        let buffer = AudioBuffer(channels: noise(channelCount: 2, frameCount: 100, seed: 2))
        try writer.write(buffer.unsafeBlock)
        writer.cancel()
        #expect(folder.contents().isEmpty)
        #expect(throws: AudioFileError.self) { try writer.write(buffer.unsafeBlock) }
        #expect(throws: AudioFileError.self) { try writer.finish() }
        #expect(folder.contents().isEmpty)
    }

    @Test func releasingWithoutFinishLeavesNothing() throws {
        let folder = TemporaryFolder()
        do {
            let writer = try AudioFileWriter(path: folder.file("out.aiff"),
                                             format: AudioFileFormat(container: .aiff, sampleFormat: .pcm16,
                                                                     sampleRate: 44_100, channelCount: 1))
            let buffer = AudioBuffer(channels: [[0.1, 0.2, 0.3]])
            try writer.write(buffer.unsafeBlock)
            #expect(folder.contents().count == 1)
        }
        #expect(folder.contents().isEmpty)
    }

    @Test func unsupportedFormatThrowsAndLeavesNothing() {
        let folder = TemporaryFolder()
        let format = AudioFileFormat(container: .flac, sampleFormat: .float32, sampleRate: 48_000, channelCount: 2)
        #expect {
            try AudioFileWriter(path: folder.file("out.flac"), format: format)
        } throws: { error in
            (error as? AudioFileError)?.code == .unsupportedFormat
                && (error as? AudioFileError)?.description.hasPrefix("out.flac: ") == true
        }
        #expect(folder.contents().isEmpty)
    }

    @Test func existingDestinationIsRefusedUnlessAsked() throws {
        let folder = TemporaryFolder()
        let path = folder.write(Array("keep me".utf8), to: "out.wav")
        #expect {
            try AudioFileWriter(path: path, format: Self.format)
        } throws: { error in
            (error as? AudioFileError)?.code == .outputExists
        }
        #expect(readBytes(path) == Array("keep me".utf8))

        let writer = try AudioFileWriter(path: path, format: Self.format,
                                         options: .init(overwritesExisting: true))
        let buffer = AudioBuffer(channels: noise(channelCount: 2, frameCount: 10, seed: 3))
        try writer.write(buffer.unsafeBlock)
        try writer.finish()
        #expect(try AudioFileReader(path: path).info.frameCount == 10)
        #expect(folder.contents() == ["out.wav"])
    }

    /// A file that appears at the destination while writing is neither replaced nor left with a stray temp file.
    @Test func destinationAppearingMeanwhileIsKept() throws {
        let folder = TemporaryFolder()
        let path = folder.file("out.wav")
        let writer = try AudioFileWriter(path: path, format: Self.format)
        let buffer = AudioBuffer(channels: noise(channelCount: 2, frameCount: 10, seed: 3))
        try writer.write(buffer.unsafeBlock)
        _ = folder.write(Array("someone else".utf8), to: "out.wav")
        #expect {
            try writer.finish()
        } throws: { error in
            (error as? AudioFileError)?.code == .outputExists
        }
        #expect(readBytes(path) == Array("someone else".utf8))
        #expect(folder.contents() == ["out.wav"])
    }

    @Test func missingDestinationFolder() {
        let folder = TemporaryFolder()
        #expect {
            try AudioFileWriter(path: folder.file("nowhere/out.wav"), format: Self.format)
        } throws: { error in
            (error as? AudioFileError)?.code == .fileNotFound
        }
    }

    @Test func sameFileIsRecognisedThroughAnotherPath() throws {
        let folder = TemporaryFolder()
        let path = folder.write([1, 2, 3], to: "a.wav")
        let other = folder.write([1, 2, 3], to: "b.wav")
        try FileManager.default.createDirectory(atPath: folder.file("sub"), withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: folder.file("link.wav"), withDestinationPath: path)
        #expect(AudioFileWriter.isSameFile(path, folder.file("sub/../a.wav")))
        #expect(AudioFileWriter.isSameFile(path, folder.file("link.wav")))
        #expect(!AudioFileWriter.isSameFile(path, other))
        #expect(!AudioFileWriter.isSameFile(path, folder.file("missing.wav")))
    }

    /// Streaming: reading and writing a file many times the block size keeps the same fixed buffers.
    @Test func memoryStaysBoundedByTheBlock() throws {
        let folder = TemporaryFolder()
        let frameCount = AudioFileReader.scratchFrameCount * 12 + 5
        let input = folder.file("long.wav")
        let writer = try AudioFileWriter(path: input, format: Self.format)
        let block = AudioBuffer(channels: noise(channelCount: 2, frameCount: 3_000, seed: 9))
        var written = 0
        while written < frameCount {
            let n = min(3_000, frameCount - written)
            try writer.write(block.unsafeBlock.slice(from: 0, count: n))
            written += n
        }
        #expect(writer.blockFrameCount == 65_536)
        try writer.finish()

        let reader = try AudioFileReader(path: input)
        let scratchBytes = reader.scratchByteCount
        // One Float scratch and, for 24-bit PCM (decoded by Scrim), one of raw bytes: 4 + 3 bytes per sample.
        #expect(scratchBytes == AudioFileReader.scratchFrameCount * 2 * (4 + 3))
        let buffer = AudioBuffer(channelCount: 2, capacity: 1_024)
        let first = buffer.channel(0).baseAddress
        var total = 0
        while try reader.read(into: buffer) > 0 { total += buffer.frameCount }
        #expect(total == frameCount)
        #expect(reader.scratchByteCount == scratchBytes)
        #expect(buffer.channel(0).baseAddress == first)
        // The file itself is 12× the reader's scratch: nothing was sized by the file.
        #expect(frameCount > 12 * AudioFileReader.scratchFrameCount)
    }
}
