import Foundation
import ScrimCore
import Testing
@testable import ScrimFiles

#if canImport(Glibc)
import Glibc
#endif

/// Headers that used to trap or to read silently wrong: each is refused with a named error, or read exactly.
@Suite struct MalformedInputTests {
    let folder = TemporaryFolder()

    /// A mono 16-bit 48 kHz `fmt ` and `count` frames of a ramp.
    func pcm16Data(frames count: Int) -> [UInt8] {
        (0..<count).flatMap { WAVBuilder.le16(UInt16(truncatingIfNeeded: $0 * 7)) }
    }

    /// The error opening `bytes` throws, failing the test when it opens.
    func openingError(_ bytes: [UInt8], name: String, options: AudioFileReader.Options = .init())
        -> AudioFileError?
    {
        let path = folder.write(bytes, to: name)
        do {
            _ = try AudioFileReader(path: path, options: options)
            Issue.record("\(name) should have been refused")
            return nil
        } catch {
            #expect(error.description.hasPrefix(name + ": "), "the message names the file: \(error)")
            return error
        }
    }

    /// An RF64 whose ds64 announces 2^64 − 1 data bytes, holding `frames` frames of `bits`-bit mono.
    func hugeRF64(bits: UInt16, frames: Int) -> [UInt8] {
        var rf64 = WAVBuilder(formID: "RF64")
        rf64.add("ds64", WAVBuilder.le64(0) + WAVBuilder.le64(UInt64.max) + WAVBuilder.le64(0) + WAVBuilder.le32(0))
        rf64.add("fmt ", WAVBuilder.fmt(tag: 1, channels: 1, sampleRate: 48_000, bits: bits))
        rf64.add("data", [UInt8](repeating: 0x80, count: frames * Int(bits) / 8), declaredSize: 0xFFFF_FFFF)
        return rf64.bytes(riffSize: 0xFFFF_FFFF)
    }

    @Test func ds64DataSizeOfAllOnesIsAnErrorNotATrap() throws {
        // 8-bit: 2^64 − 1 frames do not fit in Int (this trapped with "Not enough bits").
        let eight = openingError(hugeRF64(bits: 8, frames: 100), name: "huge8.wav")
        #expect(eight?.code == .invalidHeaderValue)
        // 16-bit: 2^63 − 1 frames fit, and the file is plainly cut short.
        let sixteen = openingError(hugeRF64(bits: 16, frames: 100), name: "huge16.wav")
        #expect(sixteen?.code == .truncated)
        let (info, _) = try readAll(folder.file("huge16.wav"), options: .init(acceptsTruncatedData: true))
        #expect(info.frameCount == 100)
    }

    @Test func ds64TableLengthIsNotTrusted() throws {
        // A table length of 2^32 − 1 with no entries: read at once (the walk used to loop four billion times).
        var rf64 = WAVBuilder(formID: "RF64")
        let samples = pcm16Data(frames: 50)
        rf64.add("ds64", WAVBuilder.le64(0) + WAVBuilder.le64(UInt64(samples.count)) + WAVBuilder.le64(50)
                 + WAVBuilder.le32(0xFFFF_FFFF))
        rf64.add("fmt ", WAVBuilder.fmt(channels: 1, sampleRate: 48_000, bits: 16))
        rf64.add("data", samples, declaredSize: 0xFFFF_FFFF)
        let path = folder.write(rf64.bytes(riffSize: 0xFFFF_FFFF), to: "table.wav")
        let (info, channels) = try readAll(path)
        #expect(info.frameCount == 50)
        #expect(channels[0].count == 50)
    }

    @Test func twoDataChunksAreRefused() {
        var wav = WAVBuilder()
        wav.add("fmt ", WAVBuilder.fmt(channels: 1, sampleRate: 48_000, bits: 16))
        wav.add("data", pcm16Data(frames: 10))
        wav.add("data", pcm16Data(frames: 20))
        let error = openingError(wav.bytes(), name: "twice.wav")
        #expect(error?.code == .corruptHeader)
        #expect(error?.reason.contains("two 'data' chunks") == true)
    }

    @Test func twoFormatChunksAreRefused() {
        var wav = WAVBuilder()
        wav.add("fmt ", WAVBuilder.fmt(channels: 2, sampleRate: 48_000, bits: 16))
        wav.add("fmt ", WAVBuilder.fmt(channels: 1, sampleRate: 44_100, bits: 16))
        wav.add("data", pcm16Data(frames: 20))
        let error = openingError(wav.bytes(), name: "twofmt.wav")
        #expect(error?.code == .corruptHeader)
    }

    @Test func garbageAfterTheAudioIsIgnoredAndSaid() throws {
        // 1,000 bytes appended after a complete file (a copy tool's padding): the first four read as a chunk ID,
        // the next four as a size of over a gigabyte.
        var wav = WAVBuilder()
        wav.add("fmt ", WAVBuilder.fmt(channels: 1, sampleRate: 48_000, bits: 16))
        wav.add("data", pcm16Data(frames: 100))
        wav.add("LIST", Array("INFOtest".utf8))
        var bytes = wav.bytes()
        bytes += Array("DDDD".utf8) + WAVBuilder.le32(0x4444_4444) + [UInt8](repeating: 0x44, count: 992)
        let path = folder.write(bytes, to: "trailing.wav")
        let (info, channels) = try readAll(path)
        #expect(info.frameCount == 100 && channels[0].count == 100)
        #expect(info.chunks.map(\.id).contains("LIST"), "the intact chunk after the audio is kept")
        #expect(info.readWarnings.count == 1 && info.readWarnings[0].contains("not passed through"))
        // Before the audio, the same damage still refuses the file: nothing could be trusted after it.
        var early = WAVBuilder()
        early.add("fmt ", WAVBuilder.fmt(channels: 1, sampleRate: 48_000, bits: 16))
        early.add("DDDD", [1, 2, 3, 4], declaredSize: 0x4444_4444)
        let error = openingError(early.bytes(), name: "early.wav")
        #expect(error?.code == .chunkTooLarge || error?.code == .truncated)
    }

    @Test(arguments: [(blockAlign: UInt16(4), bits: UInt16(16)), (blockAlign: 3, bits: 16), (blockAlign: 2, bits: 0)])
    func blockAlignMustAgreeWithChannelsAndBits(blockAlign: UInt16, bits: UInt16) {
        // Mono: a frame is one sample of bits/8 bytes; any other block align would miscount every frame.
        var fmt = WAVBuilder.fmt(channels: 1, sampleRate: 48_000, bits: bits)
        fmt.replaceSubrange(12..<14, with: WAVBuilder.le16(blockAlign))
        var wav = WAVBuilder()
        wav.add("fmt ", fmt)
        wav.add("data", pcm16Data(frames: 12))
        let error = openingError(wav.bytes(), name: "align\(blockAlign)-\(bits).wav")
        #expect(error?.code == .invalidHeaderValue)
    }

    /// IMA ADPCM (WAVE tag 0x11): 4-bit codes in blocks of `blockAlign` bytes, each holding
    /// (blockAlign − 4·channels)·8 / (4·channels) + 1 frames (Microsoft's IMA ADPCM layout; 505 for 256-byte mono
    /// blocks). A block of all-zero bytes decodes to silence.
    @Test func imaADPCMFramesAreFramesNotBlocks() throws {
        let blockCount = 12
        let samplesPerBlock: UInt16 = 505
        var fmt = WAVBuilder.le16(0x11) + WAVBuilder.le16(1) + WAVBuilder.le32(8000) + WAVBuilder.le32(4055)
        fmt += WAVBuilder.le16(256) + WAVBuilder.le16(4) + WAVBuilder.le16(2) + WAVBuilder.le16(samplesPerBlock)
        var wav = WAVBuilder()
        wav.add("fmt ", fmt)
        wav.add("fact", WAVBuilder.le32(UInt32(blockCount) * UInt32(samplesPerBlock)))
        wav.add("data", [UInt8](repeating: 0, count: 256 * blockCount))
        let path = folder.write(wav.bytes(), to: "ima.wav")
        let (info, channels) = try readAll(path)
        #expect(info.frameCount == blockCount * Int(samplesPerBlock), "was 12 (blocks counted as frames)")
        #expect(channels[0].count == info.frameCount)
        if case .other = info.sampleFormat {} else { Issue.record("IMA ADPCM is not a writable sample format") }
    }

    @Test func imaADPCMCutShortIsRefusedUnlessAsked() throws {
        var fmt = WAVBuilder.le16(0x11) + WAVBuilder.le16(1) + WAVBuilder.le32(8000) + WAVBuilder.le32(4055)
        fmt += WAVBuilder.le16(256) + WAVBuilder.le16(4) + WAVBuilder.le16(2) + WAVBuilder.le16(505)
        var wav = WAVBuilder()
        wav.add("fmt ", fmt)
        wav.add("data", [UInt8](repeating: 0, count: 256 * 4), declaredSize: 256 * 8)
        let error = openingError(wav.bytes(), name: "ima-cut.wav")
        #expect(error?.code == .truncated)
        let (info, _) = try readAll(folder.file("ima-cut.wav"), options: .init(acceptsTruncatedData: true))
        #expect(info.frameCount == 4 * 505)
        #expect(info.missingFrameCount == 4 * 505, "estimated from the bytes missing")
    }

    @Test func muLawFramesAreBytesPerChannel() throws {
        // G.711 µ-law (tag 7): one byte per sample; 0xFF is the code for zero.
        var fmt = WAVBuilder.le16(7) + WAVBuilder.le16(2) + WAVBuilder.le32(8000) + WAVBuilder.le32(16000)
        fmt += WAVBuilder.le16(2) + WAVBuilder.le16(8) + WAVBuilder.le16(0)
        var wav = WAVBuilder()
        wav.add("fmt ", fmt)
        wav.add("fact", WAVBuilder.le32(300))
        wav.add("data", [UInt8](repeating: 0xFF, count: 600))
        let (info, channels) = try readAll(folder.write(wav.bytes(), to: "ulaw.wav"))
        #expect(info.frameCount == 300)
        #expect(channels[1].allSatisfy { $0 == 0 })
    }

    @Test func declaredSizeBeyondIntIsRefusedInPlainRIFFToo() {
        // A plain RIFF's sizes are 32-bit and always fit; the refusal path is for 64-bit ones. Here a data size
        // larger than the file is truncation, named with frame counts.
        var wav = WAVBuilder()
        wav.add("fmt ", WAVBuilder.fmt(channels: 1, sampleRate: 48_000, bits: 16))
        wav.add("data", pcm16Data(frames: 10), declaredSize: 0xFFFF_FFF0)
        let error = openingError(wav.bytes(), name: "lying.wav")
        #expect(error?.code == .truncated)
        #expect(error?.reason.contains("frames") == true)
    }
}

/// The output's container follows its extension; the sample format the input's, moved only where the container
/// cannot hold it, and then said.
@Suite struct OutputFormatTests {
    func input(_ sampleFormat: SampleFormat, container: AudioContainer = .wav) -> AudioFileInfo {
        AudioFileInfo(container: container, sampleFormat: sampleFormat, sampleRate: 48_000, channelCount: 2,
                      frameCount: 10, missingFrameCount: 0, channelMask: 3, isExtensible: true, chunks: [])
    }

    @Test(arguments: [("a.wav", AudioContainer.wav), ("a.BWF", .wav), ("a.rf64", .rf64), ("a.w64", .w64),
                      ("a.aif", .aiff), ("a.aiff", .aiff), ("a.flac", .flac), ("a.caf", .caf)])
    func extensionPicksTheContainer(name: String, container: AudioContainer) throws {
        let choice = try OutputFormat.choose(path: "/x/" + name, like: input(.pcm24), bits: nil)
        #expect(choice.format.container == container)
        #expect(choice.format.sampleFormat == .pcm24)
        #expect(choice.notes.isEmpty)
    }

    @Test(arguments: ["a.mp3", "a.ogg", "a", "a.", ".wav", "dir.wav/a.txt"])
    func unwritableExtensionsAreRefused(name: String) {
        #expect(throws: AudioFileError.self) { try OutputFormat.check(path: name) }
    }

    @Test func anRF64InputStaysRF64InAWavName() throws {
        let choice = try OutputFormat.choose(path: "a.wav", like: input(.pcm24, container: .rf64), bits: nil)
        #expect(choice.format.container == .rf64)
    }

    @Test func codecsBecomeTheNearestPCMAndSaySo() throws {
        let ulaw = try OutputFormat.choose(path: "a.wav", like: input(.other("U-Law")), bits: nil)
        #expect(ulaw.format.sampleFormat == .pcm16)
        #expect(ulaw.notes.count == 1 && ulaw.notes[0].contains("U-Law"))
        let mp3 = try OutputFormat.choose(path: "a.wav", like: input(.other("MPEG Layer III")), bits: nil)
        #expect(mp3.format.sampleFormat == .pcm24)
    }

    @Test func flacTakesAtMost24BitIntegers() throws {
        let float = try OutputFormat.choose(path: "a.flac", like: input(.float32), bits: nil)
        #expect(float.format.sampleFormat == .pcm24)
        #expect(float.notes.count == 1)
        #expect(throws: AudioFileError.self) {
            try OutputFormat.choose(path: "a.flac", like: input(.pcm16), bits: .float)
        }
        let asked = try OutputFormat.choose(path: "a.flac", like: input(.float32), bits: .sixteen)
        #expect(asked.format.sampleFormat == .pcm16)
        #expect(asked.notes.isEmpty, "what was asked for is not a change to report")
    }

    @Test func eightBitFlavoursFollowTheContainer() throws {
        let aiff = try OutputFormat.choose(path: "a.aiff", like: input(.pcmU8), bits: nil)
        #expect(aiff.format.sampleFormat == .pcmS8)
        let wav = try OutputFormat.choose(path: "a.wav", like: input(.pcmS8, container: .aiff), bits: nil)
        #expect(wav.format.sampleFormat == .pcmU8)
        #expect(wav.format.isExtensible == false, "an AIFF's layout does not become a WAV channel mask")
    }

    @Test func flacOutputDropsRIFFChunksAndSaysSo() throws {
        // Written through the writer: bext cannot go into FLAC; it is listed, never silently lost.
        let folder = TemporaryFolder()
        let path = folder.file("out.flac")
        let format = try OutputFormat.choose(path: path, like: input(.pcm16), bits: nil).format
        let writer = try AudioFileWriter(path: path, format: format,
                                         chunks: [RIFFChunk(id: "bext", data: [UInt8](repeating: 0, count: 602))])
        let buffer = AudioBuffer(channelCount: 2, capacity: 16)
        buffer.frameCount = 16
        try buffer.withBlock { try writer.write($0) }
        try writer.finish()
        #expect(writer.droppedChunkIDs == ["bext"])
        #expect(try AudioFileReader(path: path).info.container == .flac)
    }
}

/// Paths are bytes; temporaries are Scrim's own and found again after a crash.
@Suite struct PathAndTemporaryTests {
    @Test func nonUTF8NamesRoundTrip() {
        let raw: [UInt8] = Array("take".utf8) + [0xE9, 0xFF, 0xC3] + Array(".wav".utf8)
        let path = SystemPath.string(fromBytes: raw)
        #expect(SystemPath.bytes(path) == raw)
        #expect(SystemPath.display(path) == "take\\xE9\\xFF\\xC3.wav")
        #expect(SystemPath.byteCount(path) == raw.count)
    }

    @Test func aRealPrivateUseScalarStaysUnambiguous() {
        // U+10FFE9 written in UTF-8 (F4 8F BF A9) is not the escape of byte E9.
        let raw: [UInt8] = [0x61, 0xF4, 0x8F, 0xBF, 0xA9]
        let path = SystemPath.string(fromBytes: raw)
        #expect(SystemPath.bytes(path) == raw)
        #expect(SystemPath.string(fromBytes: [0x61, 0xE9]) != path)
    }

    @Test func validUTF8IsUnchanged() {
        let name = "Szene 3 — Take 2 ñ 🎬.wav"
        #expect(SystemPath.string(fromBytes: Array(name.utf8)) == name)
        #expect(SystemPath.needsUnescaping(name) == false)
    }

    @Test func aFileWithANonUTF8NameIsWrittenAndRead() throws {
        let folder = TemporaryFolder()
        let name = SystemPath.string(fromBytes: Array("take".utf8) + [0xE9] + Array(".wav".utf8))
        let path = folder.file(name)
        _ = try writeFile(path, format: AudioFileFormat(container: .wav, sampleFormat: .pcm16, sampleRate: 48_000,
                                                    channelCount: 1),
                      channels: [[Float](repeating: 0.25, count: 100)])
        // The name on disk is the byte E9, not its UTF-8 escape.
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(names.count == 1)
        guard case .success(let found) = FileSystem.entries(of: folder.path) else {
            Issue.record("listing failed")
            return
        }
        #expect(found == [name])
        #expect(try AudioFileReader(path: path).info.frameCount == 100)
    }

    @Test func temporaryNamesFitNameMaxWhateverTheDestination() {
        for length in [1, 100, 200, 250, 254, 255] {
            let name = String(repeating: "é", count: length / 2) + String(repeating: "a", count: length % 2)
            let path = Temporaries.path(beside: "/folder/" + name, kind: "pass")
            let temporary = String(path.dropFirst("/folder/".count))
            #expect(SystemPath.byteCount(temporary) <= 255, "\(length): \(temporary.utf8.count) bytes")
            #expect(Temporaries.owner(ofName: temporary) == getpid())
            #expect(temporary.unicodeScalars.allSatisfy { $0 != "\u{FFFD}" }, "cut between characters")
        }
    }

    @Test func ownerIsParsedOnlyFromScrimNames() {
        let tag = Temporaries.hostTag
        #expect(Temporaries.owner(ofName: ".a.wav.scrim-\(tag)-123-0123456789abcdef.tmp") == 123)
        #expect(Temporaries.owner(ofName: ".a.wav.scrim-\(tag)-123-pass0123456789abcdef.tmp") == 123)
        #expect(Temporaries.owner(ofName: ".a.scrim-\(tag)-1-pass0123456789abcdef.tmp.scrim-\(tag)-77-"
                                  + "0123456789abcdef.tmp") == 77, "a temporary's own temporary: the last marker")
        #expect(Temporaries.owner(ofName: ".a.wav.scrim-00000000-123-0123456789abcdef.tmp") == nil
                || tag == "00000000", "another host's")
        #expect(Temporaries.owner(ofName: "a.wav.scrim-\(tag)-123-0123456789abcdef.tmp") == nil, "not hidden")
        #expect(Temporaries.owner(ofName: ".a.wav.scrim-\(tag)-123-0123456789abcdeg.tmp") == nil, "not hex")
        #expect(Temporaries.owner(ofName: ".a.wav.scrim-\(tag)-x-0123456789abcdef.tmp") == nil)
        #expect(Temporaries.owner(ofName: ".notes.tmp") == nil)
    }

    @Test func staleTemporariesOfDeadProcessesAreRemovedAndNothingElse() throws {
        let folder = TemporaryFolder()
        // A pid that surely no longer runs: a child that has exited and been reaped.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let dead = child.processIdentifier
        let tag = Temporaries.hostTag
        let stale = ".take.wav.scrim-\(tag)-\(dead)-0123456789abcdef.tmp"
        let staleFolder = ".x.scrim-\(tag)-\(dead)-0123456789abcdef.tmp"
        let alive = ".take.wav.scrim-\(tag)-1-0123456789abcdef.tmp"  // pid 1 always runs
        let mine = ".take.wav.scrim-\(tag)-\(getpid())-0123456789abcdef.tmp"
        let other = ".take.wav.scrim-\(tag == "ffffffff" ? "fffffffe" : "ffffffff")-\(dead)-0123456789abcdef.tmp"
        for name in [stale, alive, mine, other, "take.wav", ".hidden.tmp"] {
            folder.write([UInt8](repeating: 1, count: 1000), to: name)
        }
        try FileManager.default.createDirectory(atPath: folder.file(staleFolder), withIntermediateDirectories: false)
        let cleanup = Temporaries.removeStale(in: folder.path)
        #expect(cleanup.fileCount == 1)
        #expect(cleanup.byteCount == 1000)
        #expect(Set(folder.contents()) == Set([alive, mine, other, "take.wav", ".hidden.tmp", staleFolder]))
    }

    @Test func onlyRegularFilesAreEverReplaced() throws {
        let folder = TemporaryFolder()
        let fifo = folder.file("pipe.wav")
        #expect(mkfifo(fifo, 0o644) == 0)
        let link = folder.file("link.wav")
        folder.write([1, 2, 3], to: "target.wav")
        #expect(symlink(folder.file("target.wav"), link) == 0)
        let format = AudioFileFormat(container: .wav, sampleFormat: .pcm16, sampleRate: 48_000, channelCount: 1)
        for path in [fifo, link, folder.path] {
            do {
                _ = try AudioFileWriter(path: path, format: format, options: .init(overwritesExisting: true))
                Issue.record("\(path) must not be replaced")
            } catch {
                #expect(error.code == .notAFile, "\(error)")
            }
        }
        #expect(FileSystem.kind(of: fifo, followingLinks: false) == .fifo)
        #expect(readBytes(folder.file("target.wav")) == [1, 2, 3])
        #expect(folder.contents().filter { $0.contains(".scrim-") }.isEmpty, "no temporary left")
    }

    @Test func writeAtomicallyRefusesAndReplaces() throws {
        let folder = TemporaryFolder()
        let path = folder.file("report.json")
        try FileSystem.writeAtomically(Array("one".utf8), to: path, overwrite: false)
        #expect(throws: AudioFileError.self) {
            try FileSystem.writeAtomically(Array("two".utf8), to: path, overwrite: false)
        }
        try FileSystem.writeAtomically(Array("three".utf8), to: path, overwrite: true)
        #expect(readBytes(path) == Array("three".utf8))
        #expect(folder.contents() == ["report.json"])
    }
}

/// A WAV or RF64 stream that did not know its length gets it from what arrived.
@Suite struct StreamHeaderTests {
    @Test(arguments: [UInt32(0), 0xFFFF_FFFF, 0x7FFF_F000])
    func unknownDataSizeIsCompleted(stored: UInt32) throws {
        let folder = TemporaryFolder()
        var wav = WAVBuilder()
        wav.add("fmt ", WAVBuilder.fmt(channels: 1, sampleRate: 48_000, bits: 16))
        wav.add("data", (0..<300).flatMap { WAVBuilder.le16(UInt16($0)) }, declaredSize: stored)
        let path = folder.write(wav.bytes(riffSize: 0xFFFF_FFFF), to: "stream.wav")
        let fd = open(path, O_RDWR)
        #expect(fd >= 0)
        let file = PosixFile(descriptor: fd)
        try StandardStreams.completeStreamHeader(file, size: UInt64(readBytes(path).count))
        file.close()
        #expect(try readAll(path).info.frameCount == 300)
    }

    @Test func aKnownSizeIsLeftAlone() throws {
        let folder = TemporaryFolder()
        var wav = WAVBuilder()
        wav.add("fmt ", WAVBuilder.fmt(channels: 1, sampleRate: 48_000, bits: 16))
        wav.add("data", (0..<300).flatMap { WAVBuilder.le16(UInt16($0)) })
        wav.add("LIST", Array("INFOxxxx".utf8))
        let bytes = wav.bytes()
        let path = folder.write(bytes, to: "file.wav")
        let fd = open(path, O_RDWR)
        let file = PosixFile(descriptor: fd)
        try StandardStreams.completeStreamHeader(file, size: UInt64(bytes.count))
        file.close()
        #expect(readBytes(path) == bytes)
    }
}
