import CScrimVector
import CSndFile
import ScrimCore

#if canImport(Glibc)
import Glibc
#endif

/// Reads an audio file block by block as planar `Float`.
///
/// Opening checks the file before any audio is decoded: missing files, permissions, non-audio, damaged or
/// absurd headers (sample rate 0 or above 768 kHz, 0 or more than 1024 channels — refused even where
/// libsndfile would accept them), empty files and truncation. For RIFF-family files (WAV, BWF, RF64, BW64)
/// Scrim walks the chunks itself (``RIFFChunk``), so ``info`` lists every chunk for pass-through.
///
/// **Truncation.** A file shorter than its header says (a copy cut off, a card pulled mid-write) is refused by
/// default with ``AudioFileError/Code/truncated``, naming how many frames were announced and how many are
/// really there: a DIT would rather see an error than get a silently short take. Pass
/// ``Options/acceptsTruncatedData`` to read the frames that are there instead; ``AudioFileInfo/missingFrameCount``
/// then says how many are missing. For RIFF-family files truncation is detected when opening (the `data` chunk
/// reaches past the end of the file); for other containers, when a read comes up short
/// (``read(into:)`` throws `truncated`).
///
/// Integer samples are scaled by 1/2^(bits−1) (libsndfile's normalisation), so 16- and 24-bit values convert to
/// `Float` exactly and ``AudioFileWriter`` writes them back bit for bit. Float files are read as stored.
///
/// Little-endian 16-, 24- and 32-bit integer PCM in the RIFF family (WAV, RF64, BW64) is read as raw bytes through
/// libsndfile and converted by Scrim's own vectorised loop (`scrim_vector_decode_pcm*` in CScrimVector), which
/// gives libsndfile's values bit for bit (a power-of-two scale): in `scrim dehum` on 60 s of 24-bit mono
/// (the file is read twice) libsndfile took 8 % of the run before, the loop and libsndfile 1.6 % together now
/// (perf). Every other format is decoded by libsndfile.
///
/// Memory: one interleaved scratch of ``scratchFrameCount`` frames (and one of raw bytes for the integer fast
/// path), allocated in `init`; reading never allocates. Not thread-safe: use one reader per task.
public final class AudioFileReader {
    /// Options for opening a file.
    public struct Options: Sendable, Hashable {
        /// Read the frames a truncated file holds instead of refusing it. Default false.
        public var acceptsTruncatedData: Bool
        /// Creates options.
        /// - Parameter acceptsTruncatedData: read what a truncated file holds instead of throwing.
        public init(acceptsTruncatedData: Bool = false) {
            self.acceptsTruncatedData = acceptsTruncatedData
        }
    }

    /// Frames decoded per libsndfile call (the interleaved scratch holds this many frames).
    public static let scratchFrameCount = 4096

    /// The path as given.
    public let path: String
    /// What the file holds.
    public let info: AudioFileInfo
    /// The next frame ``read(into:)`` will deliver.
    public private(set) var position: Int = 0

    private let handle: OpaquePointer
    private let source: VirtualReadSource
    private let scratch: UnsafeMutablePointer<Float>
    /// Bytes per sample of little-endian integer PCM read raw and decoded by Scrim (2, 3 or 4), or nil.
    private let rawSampleBytes: Int?
    /// The raw bytes of one scratch's worth of frames (empty without the fast path).
    private let rawScratch: UnsafeMutableRawPointer
    private var isClosed = false

    /// Bytes of sample memory the reader holds (fixed at init; for tests of bounded memory).
    var scratchByteCount: Int {
        Self.scratchFrameCount * info.channelCount * (MemoryLayout<Float>.stride + (rawSampleBytes ?? 0))
    }

    /// Opens and checks a file.
    /// - Parameters:
    ///   - path: the file to read.
    ///   - options: see ``Options``.
    /// - Throws: ``AudioFileError`` with code `fileNotFound`, `permissionDenied`, `notAFile`, `notAudio`,
    ///   `corruptHeader`, `invalidHeaderValue`, `unsupportedFormat`, `truncated`, `noAudioFrames`,
    ///   `chunkTooLarge` or `readFailed`; its description names the file.
    public init(path: String, options: Options = Options()) throws(AudioFileError) {
        self.path = path
        var status = stat()
        if SystemPath.withCString(path, { stat($0, &status) }) != 0 {
            throw AudioFileError(errno: errno, path: path, action: "read", fallback: .readFailed)
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            let kind = status.st_mode & S_IFMT == S_IFDIR ? "a folder" : "not a regular file"
            throw AudioFileError(.notAFile, path: path, reason: "this is \(kind), not an audio file")
        }
        let file: PosixFile
        switch PosixFile.openForReading(path) {
        case .success(let opened): file = opened
        case .failure(let failure):
            throw AudioFileError(errno: failure.number, path: path, action: "read", fallback: .readFailed)
        }
        var openedHandle: OpaquePointer?
        defer { if openedHandle == nil { file.close() } }

        let fileSize: UInt64
        switch file.size() {
        case .success(let size): fileSize = size
        case .failure(let failure):
            throw AudioFileError(errno: failure.number, path: path, action: "read", fallback: .readFailed)
        }
        guard fileSize > 0 else {
            throw AudioFileError(.notAudio, path: path, reason: "the file is empty (0 bytes)")
        }

        let layout = try RIFFParser.parse(file, fileSize: fileSize, path: path)
        // For linear encodings the frame counts come from the data size (the authority for truncation); for
        // block-coded ones (ADPCM, GSM) libsndfile counts the frames its decoder will deliver, below.
        var riffFrames: (declared: Int, available: Int)?
        if let layout {
            if layout.declaredDataSize == 0 {
                var reason = "the file holds no audio (its data chunk is empty)"
                if layout.dataOffset < fileSize, layout.chunks.allSatisfy({ $0.placement == .beforeData }) {
                    reason += "; \(fileSize - layout.dataOffset) bytes follow it: the recording was probably "
                        + "never finalised (recorder stopped or lost power)"
                }
                throw AudioFileError(.noAudioFrames, path: path, reason: reason)
            }
            if layout.format.bytesPerSample != nil {
                let blockAlign = UInt64(layout.format.blockAlign)
                // The declared size comes from the header (up to 2^64 − 1 in a ds64): checked before conversion.
                guard let declared = Int(exactly: layout.declaredDataSize / blockAlign),
                      let available = Int(exactly: layout.availableDataSize / blockAlign) else {
                    throw AudioFileError(.invalidHeaderValue, path: path,
                                         reason: "the header gives an impossible audio size "
                                             + "(\(layout.declaredDataSize) bytes)")
                }
                riffFrames = (declared, available)
                if available == 0 {
                    throw AudioFileError(.truncated, path: path,
                                         reason: "the file ends before its first frame of audio")
                }
            }
            if layout.availableDataSize < layout.declaredDataSize && !options.acceptsTruncatedData {
                let rate = Double(layout.format.sampleRate)
                let missingBytes = layout.declaredDataSize - layout.availableDataSize
                if let (declared, available) = riffFrames {
                    throw AudioFileError(
                        .truncated, path: path,
                        reason: "the file is cut short: its header announces \(declared) frames "
                            + "(\(Self.seconds(declared, rate))) but only \(available) are there "
                            + "(\(Self.seconds(available, rate))), \(declared - available) missing")
                }
                throw AudioFileError(
                    .truncated, path: path,
                    reason: "the file is cut short: its header announces \(layout.declaredDataSize) bytes of "
                        + "\(layout.format.formatName) audio but only \(layout.availableDataSize) are there "
                        + "(\(missingBytes) missing)")
            }
        }

        let source: VirtualReadSource
        if let layout {
            source = VirtualReadSource(
                file: file, prefix: RIFFParser.decodingHeader(for: layout, dataSize: layout.availableDataSize),
                offset: layout.dataOffset, length: layout.availableDataSize)
        } else {
            source = VirtualReadSource(file: file, prefix: [], offset: 0, length: fileSize)
        }
        var sfInfo = SF_INFO()
        var callbacks = VirtualReadSource.callbacks
        guard let handle = sf_open_virtual(&callbacks, Int32(SFM_READ), &sfInfo,
                                           Unmanaged.passUnretained(source).toOpaque())
        else {
            throw Self.openError(path: path, layout: layout)
        }
        openedHandle = handle
        var initialized = false
        defer { if !initialized { sf_close(handle) } }

        try RIFFParser.validate(sampleRate: Int(sfInfo.samplerate), channelCount: Int(sfInfo.channels), path: path)
        let major = sfInfo.format & SndFile.majorMask
        guard var frameCount = Int(exactly: sfInfo.frames) else {
            throw AudioFileError(.invalidHeaderValue, path: path, reason: "the header gives an impossible length")
        }
        var missing = 0
        if let riffFrames {
            frameCount = min(frameCount, riffFrames.available)
            missing = riffFrames.declared - riffFrames.available
        } else if let layout, layout.availableDataSize < layout.declaredDataSize, layout.availableDataSize > 0 {
            // Block-coded and cut short (read anyway on request): the missing frames in proportion to the bytes.
            let ratio = Double(layout.declaredDataSize) / Double(layout.availableDataSize)
            missing = Int(exactly: (Double(frameCount) * (ratio - 1)).rounded()) ?? 0
        }
        guard frameCount > 0 else {
            throw AudioFileError(.noAudioFrames, path: path, reason: "the file holds no audio frames",
                                 libraryMessage: nil)
        }
        // libsndfile's default, stated for clarity: integers are scaled to ±1 on read.
        sf_command(handle, Int32(SFC_SET_NORM_FLOAT), nil, Int32(SF_TRUE))

        self.info = AudioFileInfo(
            container: layout?.container ?? SndFile.container(major: major),
            sampleFormat: SndFile.sampleFormat(subtype: sfInfo.format & SndFile.subtypeMask),
            sampleRate: Int(sfInfo.samplerate), channelCount: Int(sfInfo.channels), frameCount: frameCount,
            missingFrameCount: missing, channelMask: layout?.format.channelMask,
            isExtensible: layout?.format.isExtensible ?? false, chunks: layout?.chunks ?? [],
            readWarnings: layout?.trailingProblem.map { [$0] } ?? [])
        self.handle = handle
        self.source = source
        self.scratch = .allocate(capacity: Self.scratchFrameCount * Int(sfInfo.channels))
        // The RIFF family's samples are little-endian (the header libsndfile decodes is Scrim's own, from the
        // parsed layout).
        let rawBytes: Int? = switch (layout != nil, info.sampleFormat) {
        case (true, .pcm16): 2
        case (true, .pcm24): 3
        case (true, .pcm32): 4
        default: nil
        }
        rawSampleBytes = rawBytes
        rawScratch = .allocate(byteCount: max(1, Self.scratchFrameCount * Int(sfInfo.channels) * (rawBytes ?? 0)),
                               alignment: 64)
        initialized = true
    }

    deinit {
        close()
        scratch.deallocate()
        rawScratch.deallocate()
    }

    /// Closes the file now (also done by `deinit`). Reading afterwards is a programmer error.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        sf_close(handle)
        source.file.close()
    }

    /// Reads the next frames into `buffer`.
    ///
    /// Fills up to `buffer.capacity` frames from ``position``, sets `buffer.frameCount` to the number read and
    /// advances ``position``. Does not allocate.
    /// - Parameter buffer: a buffer with ``AudioFileInfo/channelCount`` channels.
    /// - Returns: the frames read; 0 at the end of the file.
    /// - Throws: ``AudioFileError`` `truncated` when the file ends before its announced length, `readFailed`
    ///   on an I/O or decoding error.
    @discardableResult
    public func read(into buffer: AudioBuffer) throws(AudioFileError) -> Int {
        precondition(!isClosed, "AudioFileReader.read after close (\(path))")
        precondition(buffer.channelCount == info.channelCount,
                     "buffer has \(buffer.channelCount) channels, \(fileNameForMessages) has \(info.channelCount)")
        let channelCount = info.channelCount
        buffer.frameCount = buffer.capacity
        var filled = 0
        while filled < buffer.capacity && position < info.frameCount {
            let wanted = min(Self.scratchFrameCount, buffer.capacity - filled, info.frameCount - position)
            let got = readFrames(wanted)
            if got <= 0 {
                buffer.frameCount = filled
                let libraryText = sf_error(handle) != 0 ? SndFile.message(handle) : nil
                if libraryText == nil {
                    throw AudioFileError(
                        .truncated, path: path,
                        reason: "the file ends at frame \(position) of the \(info.frameCount) its header announces")
                }
                throw AudioFileError(.readFailed, path: path, reason: "reading audio failed at frame \(position)",
                                     libraryMessage: libraryText)
            }
            if channelCount == 1 {
                buffer.channel(0).baseAddress.map { ($0 + filled).update(from: scratch, count: got) }
            } else {
                for c in 0..<channelCount {
                    guard let destination = buffer.channel(c).baseAddress else { continue }
                    var source = scratch + c
                    for i in filled..<(filled + got) {
                        destination[i] = source.pointee
                        source += channelCount
                    }
                }
            }
            filled += got
            position += got
        }
        buffer.frameCount = filled
        return filled
    }

    /// Reads up to `count` interleaved frames into `scratch`: raw bytes decoded by Scrim for integer PCM in the
    /// RIFF family, libsndfile's float conversion otherwise. Returns the frames read (≤ 0 on failure or at the
    /// end, as libsndfile does).
    private func readFrames(_ count: Int) -> Int {
        guard let bytes = rawSampleBytes else { return Int(sf_readf_float(handle, scratch, sf_count_t(count))) }
        let frameBytes = bytes * info.channelCount
        let gotBytes = Int(sf_read_raw(handle, rawScratch, sf_count_t(count * frameBytes)))
        let frames = gotBytes / frameBytes
        guard frames > 0 else { return 0 }
        let samples = Int64(frames * info.channelCount)
        let source = rawScratch.assumingMemoryBound(to: UInt8.self)
        switch bytes {
        case 2: scrim_vector_decode_pcm16(source, scratch, samples)
        case 3: scrim_vector_decode_pcm24(source, scratch, samples)
        default: scrim_vector_decode_pcm32(source, scratch, samples)
        }
        return frames
    }

    /// Moves the read position.
    /// - Parameter frame: the next frame to read, 0…``AudioFileInfo/frameCount``.
    /// - Throws: ``AudioFileError`` `readFailed` when the format cannot seek there.
    public func seek(toFrame frame: Int) throws(AudioFileError) {
        precondition(!isClosed, "AudioFileReader.seek after close (\(path))")
        precondition(frame >= 0 && frame <= info.frameCount, "seek to frame \(frame) of \(info.frameCount)")
        guard sf_seek(handle, sf_count_t(frame), SEEK_SET) == sf_count_t(frame) else {
            throw AudioFileError(.readFailed, path: path, reason: "could not seek to frame \(frame)",
                                 libraryMessage: SndFile.message(handle))
        }
        position = frame
    }

    private var fileNameForMessages: String {
        AudioFileError(.readFailed, path: path, reason: "").fileName
    }

    private static func seconds(_ frames: Int, _ rate: Double) -> String {
        let value = Double(frames) / rate
        return String(Int(value)) + "." + String(format3(value - Double(Int(value)))) + " s"
    }

    private static func format3(_ fraction: Double) -> String {
        let millis = Int((fraction * 1000).rounded(.down))
        return millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
    }

    /// Turns a failed `sf_open` into an error, using the RIFF layout (when there is one) to be specific.
    private static func openError(path: String, layout: RIFFLayout?) -> AudioFileError {
        let code = sf_error(nil)
        let library = SndFile.message(nil)
        if let layout {
            let tag = layout.format.formatTag
            if tag != 0x0001 && tag != 0x0003 {
                return AudioFileError(.unsupportedFormat, path: path,
                                      reason: "WAVE audio in \(layout.format.formatName), which Scrim cannot decode",
                                      libraryMessage: library)
            }
            return AudioFileError(.corruptHeader, path: path, reason: "the WAVE header is damaged",
                                  libraryMessage: library)
        }
        // libsndfile's finer error numbers are not part of its public header; its texts are stable, so refusals of
        // absurd header values are recognised by them ("Too many channels specified.", "SF_INFO struct incomplete").
        let text = library.lowercased()
        if text.contains("channel") {
            return AudioFileError(.invalidHeaderValue, path: path,
                                  reason: "the header gives an impossible channel count", libraryMessage: library)
        }
        if text.contains("sf_info") || text.contains("sample rate") || text.contains("samplerate") {
            return AudioFileError(.invalidHeaderValue, path: path,
                                  reason: "the header gives an impossible sample rate, channel count or format",
                                  libraryMessage: library)
        }
        switch code {
        case Int32(SF_ERR_UNRECOGNISED_FORMAT):
            return AudioFileError(.notAudio, path: path, reason: "not an audio file", libraryMessage: library)
        case Int32(SF_ERR_UNSUPPORTED_ENCODING):
            return AudioFileError(.unsupportedFormat, path: path, reason: "audio in an encoding Scrim cannot decode",
                                  libraryMessage: library)
        case Int32(SF_ERR_SYSTEM):
            return AudioFileError(.readFailed, path: path, reason: "could not read the file", libraryMessage: library)
        default:
            return AudioFileError(.corruptHeader, path: path, reason: "the audio header is damaged",
                                  libraryMessage: library)
        }
    }
}

@available(*, unavailable)
extension AudioFileReader: Sendable {}
