import Foundation
import ScrimCore
import Testing
@testable import ScrimFiles

/// One test per way a file can be unreadable: each checks the code and that the message names the file.
@Suite struct ReaderErrorTests {
    /// Opens `path` expecting an error with `code`; checks that the description names the file.
    @discardableResult
    func expectError(_ code: AudioFileError.Code, opening path: String, options: AudioFileReader.Options = .init())
        -> AudioFileError?
    {
        do {
            _ = try AudioFileReader(path: path, options: options)
            Issue.record("opening \(path) should have failed with \(code)")
            return nil
        } catch {
            #expect(error.code == code, "\(error)")
            let name = String(path.split(separator: "/").last ?? "")
            #expect(error.description.hasPrefix(name + ": "), "\(error)")
            #expect(error.path == path)
            return error
        }
    }

    static func wav(channels: UInt16 = 1, sampleRate: UInt32 = 48_000, tag: UInt16 = 1, bits: UInt16 = 16,
                    data: [UInt8]? = nil, declaredDataSize: UInt32? = nil) -> [UInt8]
    {
        var builder = WAVBuilder()
        builder.add("fmt ", WAVBuilder.fmt(tag: tag, channels: channels, sampleRate: sampleRate, bits: bits))
        builder.add("data", data ?? [UInt8](repeating: 0x11, count: 400), declaredSize: declaredDataSize)
        return builder.bytes()
    }

    @Test func missingFile() {
        let folder = TemporaryFolder()
        expectError(.fileNotFound, opening: folder.file("take3.wav"))
    }

    /// chmod 000 does not stop root (CAP_DAC_OVERRIDE), so this runs only for ordinary users.
    @Test(.enabled(if: getuid() != 0, "root reads files whatever their mode"))
    func noPermission() {
        let folder = TemporaryFolder()
        let path = folder.write(Self.wav(), to: "locked.wav")
        chmod(path, 0)
        expectError(.permissionDenied, opening: path)
    }

    /// The errno mapping behind `permissionDenied`, checked directly so that it is tested even as root.
    @Test func permissionErrnoMapsToPermissionDenied() {
        let error = AudioFileError(errno: EACCES, path: "/x/locked.wav", action: "read", fallback: .readFailed)
        #expect(error.code == .permissionDenied)
        #expect(error.description.hasPrefix("locked.wav: no permission to read"))
        #expect(error.libraryMessage == String(cString: strerror(EACCES)))
    }

    @Test func folderInPlaceOfAFile() throws {
        let folder = TemporaryFolder()
        let path = folder.file("take4.wav")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        expectError(.notAFile, opening: path)
    }

    @Test func textFileNamedWav() {
        let folder = TemporaryFolder()
        let path = folder.write(Array("scene 12, take 3: good take\n".utf8), to: "take3.wav")
        let error = expectError(.notAudio, opening: path)
        #expect(error?.libraryMessage?.hasPrefix("libsndfile: ") == true)
    }

    @Test func emptyFile() {
        let folder = TemporaryFolder()
        expectError(.notAudio, opening: folder.write([], to: "empty.wav"))
    }

    @Test func truncatedHeader() {
        let folder = TemporaryFolder()
        // The file stops 10 bytes into the 16-byte fmt chunk.
        let bytes = Array(Self.wav().prefix(12 + 8 + 10))
        let error = expectError(.truncated, opening: folder.write(bytes, to: "cut.wav"))
        #expect(error?.reason.contains("'fmt '") == true)
    }

    @Test func dataChunkClaimsMoreThanTheFileHolds() throws {
        let folder = TemporaryFolder()
        // 16-bit stereo: 4 bytes a frame. 400 bytes present = 100 frames; 4000 declared = 1000 frames.
        let path = folder.write(Self.wav(channels: 2, declaredDataSize: 4_000), to: "short.wav")
        let error = expectError(.truncated, opening: path)
        #expect(error?.reason.contains("1000 frames") == true)
        #expect(error?.reason.contains("only 100 are there") == true)

        // Opted in: the frames that are there are read, and the shortfall is reported.
        let (info, channels) = try readAll(path, options: .init(acceptsTruncatedData: true))
        #expect(info.frameCount == 100)
        #expect(info.missingFrameCount == 900)
        #expect(channels[0].count == 100)
    }

    @Test func zeroFrames() {
        let folder = TemporaryFolder()
        expectError(.noAudioFrames, opening: folder.write(Self.wav(data: []), to: "silent.wav"))
    }

    /// A recorder that lost power leaves the data size at 0 with the audio after it: say so.
    @Test func unfinalisedRecordingIsExplained() {
        let folder = TemporaryFolder()
        let path = folder.write(Self.wav(declaredDataSize: 0), to: "crash.wav")
        let error = expectError(.noAudioFrames, opening: path)
        #expect(error?.reason.contains("never finalised") == true)
    }

    @Test func unknownWaveFormatTag() {
        let folder = TemporaryFolder()
        let error = expectError(.unsupportedFormat, opening: folder.write(Self.wav(tag: 0x1234), to: "odd.wav"))
        #expect(error?.reason.contains("0x1234") == true)
    }

    @Test func junkNamedMp3() {
        let folder = TemporaryFolder()
        var state: UInt32 = 1
        let junk = (0..<3_000).map { _ -> UInt8 in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(state >> 24)
        }
        // Not a frame sync (0xFFE) anywhere near the start: no decoder takes it for audio.
        let bytes = Array("NOTMPEG!".utf8) + junk.map { $0 & 0x7F }
        expectError(.notAudio, opening: folder.write(bytes, to: "song.mp3"))
    }

    @Test func sampleRateZero() {
        let folder = TemporaryFolder()
        let error = expectError(.invalidHeaderValue, opening: folder.write(Self.wav(sampleRate: 0), to: "sr0.wav"))
        #expect(error?.reason.contains("sample rate of 0 Hz") == true)
    }

    /// WAV's channel field is 16-bit, so its largest value stands in for "absurd" there; the AU header's is
    /// 32-bit, which carries 100 000 (libsndfile refuses it; Scrim reports it as an invalid header value).
    @Test func absurdChannelCounts() {
        let folder = TemporaryFolder()
        let wavError = expectError(.invalidHeaderValue,
                                   opening: folder.write(Self.wav(channels: 65_535), to: "many.wav"))
        #expect(wavError?.reason.contains("65535 channels") == true)

        // Sun/NeXT AU: ".snd", data offset, data size, encoding 3 (16-bit), sample rate, channels; big-endian.
        let fields: [UInt32] = [24, 8_000, 3, 48_000, 100_000]
        var au: [UInt8] = []
        for value in fields {
            au += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
        }
        let path = folder.write(Array(".snd".utf8) + au + [UInt8](repeating: 0, count: 8_000), to: "many.au")
        expectError(.invalidHeaderValue, opening: path)
    }

    @Test func sampleRateAbove768kHz() {
        let folder = TemporaryFolder()
        expectError(.invalidHeaderValue, opening: folder.write(Self.wav(sampleRate: 1_000_000), to: "fast.wav"))
    }

    @Test func missingFmtChunk() {
        let folder = TemporaryFolder()
        var builder = WAVBuilder()
        builder.add("data", [UInt8](repeating: 0, count: 100))
        expectError(.corruptHeader, opening: folder.write(builder.bytes(), to: "nofmt.wav"))
    }

    /// A "metadata" chunk larger than 64 MiB is refused, not read into memory. The file is sparse (the chunk's
    /// bytes are never written), so the test stays small on disk.
    @Test func hugeMetadataChunkIsRefused() throws {
        let folder = TemporaryFolder()
        let size = UInt32(RIFFChunk.maximumDataSize + 2)
        var builder = WAVBuilder()
        builder.add("fmt ", WAVBuilder.fmt(channels: 1, sampleRate: 48_000, bits: 16))
        builder.add("blob", [], declaredSize: size)
        let path = folder.write(builder.bytes(), to: "huge.wav")
        #expect(truncate(path, off_t(40 + Int(size) + 108)) == 0)
        let error = expectError(.chunkTooLarge, opening: path)
        #expect(error?.reason.contains("'blob'") == true)
    }
}
