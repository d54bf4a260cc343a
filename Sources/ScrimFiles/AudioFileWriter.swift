import CSndFile
import ScrimCore

#if canImport(Glibc)
import Glibc
#endif

/// Writes an audio file block by block from planar `Float`, appearing at its destination only when complete.
///
/// **Atomic output.** Samples go to a temporary file in the destination folder (named by ``Temporaries``:
/// `.<name>.scrim-<host>-<pid>-<random>.tmp`); ``finish()`` closes it, `fsync`s it and renames it onto the
/// destination in one step, so the destination never exists half-written. ``cancel()``, a thrown error, or
/// releasing the writer without ``finish()`` deletes the temporary file: a failed file leaves nothing behind.
/// By default an existing destination is refused (``AudioFileError/Code/outputExists``), also at the moment of
/// the rename. The caller must not write onto its input: check with ``isSameFile(_:_:)``.
///
/// **RIFF family (WAV, BWF, RF64, BW64).** Scrim writes the layout itself, because libsndfile's WAV writer adds
/// its own Coding History, re-pads chunks and its RF64 writer drops `iXML`. The file is laid out as
///
///     RIFF <size> WAVE
///     JUNK (28 bytes)          ← reserved for ds64
///     fmt                      ← PCM (1), IEEE float (3) or WAVE_FORMAT_EXTENSIBLE (0xFFFE)
///     fact                     ← float formats only: frame count
///     <chunks that stood before data, in order, byte for byte; bext through bextTransform>
///     data <samples> [pad]
///     <chunks that stood after data, in order>
///
/// RF64 / JUNK / ds64 (EBU Tech 3306 "MBWF / RF64"; ITU-R BS.2088 for BW64): a RIFF file's sizes are 32-bit,
/// so it cannot exceed 4 GiB. EBU Tech 3306 has a writer reserve a `JUNK` chunk of exactly the `ds64` chunk's
/// size (28 payload bytes: 64-bit RIFF size, 64-bit data size, 64-bit sample count, 32-bit table length) right
/// after the `WAVE` ID. When the file is finished and turns out larger than 4 GiB — or RF64/BW64 was asked for —
/// the writer turns the file into RF64 in place: the form ID becomes `RF64` (or `BW64`) with size 0xFFFFFFFF,
/// the `JUNK` chunk becomes `ds64` holding the real sizes, and the `data` size field becomes 0xFFFFFFFF. No
/// sample moves. A file under 4 GiB stays a plain RIFF/WAVE (and Broadcast Wave, EBU Tech 3285, when it carries
/// `bext`) that every reader understands; the JUNK chunk is skipped by all of them.
///
/// Chunks Scrim owns and regenerates rather than passing through: ``regeneratedChunkIDs`` (`fmt `, `data`,
/// `ds64`, `JUNK`, `fact`). Chunks whose content would be stale after processing are dropped and listed in
/// ``droppedChunkIDs`` (``staleChunkIDs``: `PEAK` peak levels, `MD5 ` audio checksums) so the caller can report
/// them. Chunks are given only at `init`: nothing can be added once samples are written.
///
/// **Other containers (W64, AIFF, FLAC, CAF)** are written through libsndfile with clipping on. They cannot
/// carry RIFF chunks: any chunks given are dropped and listed in ``droppedChunkIDs``.
///
/// **Samples.** Integer formats: round to nearest, clip to the integer range, count clipped samples
/// (``clippedSampleCount``). 16- and 24-bit values read by ``AudioFileReader`` are written back bit for bit.
/// Float formats store values as they are.
///
/// Memory: one preallocated buffer of ``blockFrameCount`` frames; larger blocks are written in pieces.
/// ``write(_:)`` does not allocate. Not thread-safe: use one writer per task.
public final class AudioFileWriter {
    /// Options for creating a file.
    public struct Options: Sendable, Hashable {
        /// Replace an existing destination (atomically). Default false: an existing file is refused.
        public var overwritesExisting: Bool
        /// Creates options.
        /// - Parameter overwritesExisting: replace an existing destination file.
        public init(overwritesExisting: Bool = false) {
            self.overwritesExisting = overwritesExisting
        }
    }

    /// Chunk IDs the RIFF writer generates itself; given chunks with these IDs are ignored (not reported).
    public static let regeneratedChunkIDs: Set<String> = ["fmt ", "data", "ds64", "JUNK", "fact"]
    /// Chunk IDs whose content describes the old samples (peak levels, checksums): dropped and reported.
    public static let staleChunkIDs: Set<String> = ["PEAK", "MD5 ", "md5 "]
    /// Upper bound on frames encoded per system call (the preallocated buffer is at most 4 MiB, see
    /// ``blockFrameCount``).
    static let maximumBufferBytes = 4 << 20

    /// The destination path.
    public let path: String
    /// The format being written.
    public let format: AudioFileFormat
    /// IDs of the given chunks that were not written (stale or unsupported by the container), in given order.
    public let droppedChunkIDs: [String]
    /// Frames encoded per write to the temporary file (fixed at init).
    public let blockFrameCount: Int
    /// Frames written so far.
    public private(set) var frameCount: Int = 0
    /// Integer samples clipped so far (|x| beyond full scale; +1.0 counts, see ``SampleEncoder``).
    public private(set) var clippedSampleCount: Int = 0
    /// NaN samples written as 0 (integer formats only).
    public private(set) var nonFiniteSampleCount: Int = 0
    /// The container actually written: as asked, or ``AudioContainer/rf64`` for a WAV that outgrew 4 GiB.
    /// Final after ``finish()``.
    public private(set) var writtenContainer: AudioContainer
    /// The temporary file's path (exists only between `init` and `finish`/`cancel`).
    public let temporaryPath: String

    /// The RIFF size above which a WAV becomes RF64 (4 GiB − 1, the 32-bit limit; lowered by tests).
    var riffSizeLimit = UInt64(UInt32.max)

    private enum State { case writing, finished, failed }
    private var state = State.writing
    private let options: Options
    private let file: PosixFile
    private let backend: Backend

    private enum Backend {
        case riff(RIFFBackend)
        case sndfile(SndFileBackend)
    }

    /// Creates the temporary file and writes the header (RIFF family) or opens libsndfile on it.
    /// - Parameters:
    ///   - path: the destination; its folder must exist.
    ///   - format: container, sample format, rate, channels, channel mask.
    ///   - chunks: RIFF chunks to pass through (e.g. ``AudioFileInfo/chunks`` of the input), each written at its
    ///     ``RIFFChunk/placement`` in the given order. IDs must be four characters in U+0000…U+00FF.
    ///   - bextTransform: applied to the payload of the `bext` chunk (e.g. to append a Coding History line,
    ///     EBU Tech 3285 and EBU R98); nil passes it unchanged. Not called when there is no `bext` chunk.
    ///   - options: see ``Options``.
    /// - Throws: ``AudioFileError`` `outputExists`, `notAFile`, `permissionDenied`, `fileNotFound` (missing
    ///   folder), `unsupportedFormat`, `invalidHeaderValue` or `writeFailed`. Nothing is left behind.
    public init(
        path: String, format: AudioFileFormat, chunks: [RIFFChunk] = [],
        bextTransform: (([UInt8]) -> [UInt8])? = nil, options: Options = Options()
    ) throws(AudioFileError) {
        self.path = path
        self.format = format
        self.options = options
        self.writtenContainer = format.container

        try RIFFParser.validate(sampleRate: format.sampleRate, channelCount: format.channelCount, path: path)
        guard let bits = format.sampleFormat.bitsPerSample else {
            throw AudioFileError(.unsupportedFormat, path: path,
                                 reason: "Scrim cannot write \(format.sampleFormat) samples")
        }
        let isRIFF = format.container.isRIFFFamily
        if isRIFF && format.sampleFormat == .pcmS8 {
            throw AudioFileError(.unsupportedFormat, path: path,
                                 reason: "WAV stores 8-bit samples unsigned: use the pcmU8 sample format")
        }
        if !isRIFF && SndFile.majorCode(for: format.container) == nil {
            throw AudioFileError(.unsupportedFormat, path: path, reason: "Scrim cannot write \(format.container) files")
        }
        for chunk in chunks {
            precondition(chunk.idBytes != nil, "RIFF chunk ID '\(chunk.id)' is not four characters U+0000…U+00FF")
        }

        // Which chunks are written and which are reported as dropped.
        var kept: [RIFFChunk] = []
        var dropped: [String] = []
        for chunk in chunks where !Self.regeneratedChunkIDs.contains(chunk.id) {
            if !isRIFF || Self.staleChunkIDs.contains(chunk.id) {
                dropped.append(chunk.id)
                continue
            }
            var chunk = chunk
            if chunk.id == "bext", let bextTransform { chunk.data = bextTransform(chunk.data) }
            kept.append(chunk)
        }
        self.droppedChunkIDs = dropped

        let frameBytes = format.channelCount * bits / 8
        self.blockFrameCount = max(1, min(65_536, Self.maximumBufferBytes / frameBytes))

        // The destination: only a regular file may be replaced, and only when asked.
        try FileSystem.checkReplaceable(path, overwrite: options.overwritesExisting)
        let temporaryPath = Temporaries.path(beside: path, kind: "")
        self.temporaryPath = temporaryPath
        let fd = SystemPath.withCString(temporaryPath) { open($0, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
        if fd < 0 {
            let number = errno
            if number == ENOENT {
                throw AudioFileError(.fileNotFound, path: path, reason: "the destination folder does not exist",
                                     libraryMessage: String(cString: strerror(number)))
            }
            throw AudioFileError(errno: number, path: path, action: "write", fallback: .writeFailed)
        }
        let file = PosixFile(descriptor: fd)
        self.file = file
        do throws(AudioFileError) {
            if isRIFF {
                backend = .riff(try RIFFBackend(file: file, format: format, chunks: kept,
                                                 blockFrameCount: blockFrameCount, path: path))
            } else {
                backend = .sndfile(try SndFileBackend(file: file, format: format,
                                                       blockFrameCount: blockFrameCount, path: path))
            }
        } catch {
            file.close()
            _ = SystemPath.withCString(temporaryPath) { unlink($0) }
            throw error
        }
    }

    deinit {
        if state == .writing { discard() }
        switch backend {
        case .riff(let riff): riff.deallocate()
        case .sndfile(let sndfile): sndfile.deallocate()
        }
    }

    /// Appends a block of frames.
    /// - Parameter block: ``AudioFileFormat/channelCount`` channels; any frame count (split internally).
    /// - Throws: ``AudioFileError`` `writeFailed` (disk full, I/O error; the temporary file is then deleted),
    ///   or `invalidState` after ``finish()``, ``cancel()`` or an earlier failure.
    public func write(_ block: AudioBlock) throws(AudioFileError) {
        try requireWriting("write")
        precondition(block.channelCount == format.channelCount,
                     "block has \(block.channelCount) channels, the file \(format.channelCount)")
        var start = 0
        while start < block.frameCount {
            let count = min(blockFrameCount, block.frameCount - start)
            let result: (clipped: Int, nonFinite: Int, failure: Int32?)
            switch backend {
            case .riff(let riff): result = riff.write(block, from: start, frameCount: count)
            case .sndfile(let sndfile): result = sndfile.write(block, from: start, frameCount: count)
            }
            clippedSampleCount += result.clipped
            nonFiniteSampleCount += result.nonFinite
            if let failure = result.failure {
                discard()
                state = .failed
                if case .sndfile(let sndfile) = backend, failure == 0 {
                    throw AudioFileError(.writeFailed, path: path, reason: "writing audio failed",
                                         libraryMessage: sndfile.lastMessage)
                }
                throw AudioFileError(errno: failure, path: path, action: "write", fallback: .writeFailed)
            }
            frameCount += count
            start += count
        }
    }

    /// Completes the file: writes the chunks after `data`, patches sizes (RIFF family, turning into RF64 when
    /// needed), closes and `fsync`s it, and renames it onto the destination.
    /// - Throws: ``AudioFileError`` `writeFailed`, `outputExists` (the destination appeared meanwhile and
    ///   overwriting was not asked for) or `invalidState`. On error nothing is left behind.
    public func finish() throws(AudioFileError) {
        try requireWriting("finish")
        var failure: Int32?
        var libraryText: String?
        switch backend {
        case .riff(let riff):
            let result = riff.finish(riffSizeLimit: riffSizeLimit)
            failure = result.failure
            if result.isRF64 && format.container == .wav { writtenContainer = .rf64 }
        case .sndfile(let sndfile):
            if !sndfile.close() {
                failure = 0
                libraryText = sndfile.lastMessage
            }
        }
        if failure == nil && fsync(file.descriptor) != 0 { failure = errno }
        if let failure {
            discard()
            state = .failed
            if failure == 0 {
                throw AudioFileError(.writeFailed, path: path, reason: "finishing the file failed",
                                     libraryMessage: libraryText)
            }
            throw AudioFileError(errno: failure, path: path, action: "write", fallback: .writeFailed)
        }
        file.close()
        if let error = commit() {
            _ = SystemPath.withCString(temporaryPath) { unlink($0) }
            state = .failed
            throw error
        }
        state = .finished
    }

    /// Abandons the file: closes and deletes the temporary file. The destination is untouched. Safe to call
    /// more than once and after a failure; does nothing after ``finish()``.
    public func cancel() {
        guard state == .writing else { return }
        discard()
        state = .failed
    }

    /// Whether two paths name the same file (same device and inode), following symbolic links.
    /// - Returns: false when either path does not exist.
    public static func isSameFile(_ a: String, _ b: String) -> Bool {
        var first = stat()
        var second = stat()
        guard SystemPath.withCString(a, { stat($0, &first) }) == 0,
              SystemPath.withCString(b, { stat($0, &second) }) == 0 else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }

    // MARK: - Internals

    private func requireWriting(_ action: String) throws(AudioFileError) {
        switch state {
        case .writing: return
        case .finished:
            throw AudioFileError(.invalidState, path: path, reason: "\(action) after the file was finished")
        case .failed:
            throw AudioFileError(.invalidState, path: path, reason: "\(action) after the file was cancelled or failed")
        }
    }

    /// Closes (through libsndfile when it owns the handle) and deletes the temporary file.
    private func discard() {
        if case .sndfile(let sndfile) = backend { _ = sndfile.close() }
        file.close()
        _ = SystemPath.withCString(temporaryPath) { unlink($0) }
    }

    /// Moves the finished temporary file onto the destination.
    ///
    /// Overwriting: `rename(2)`, atomic. Not overwriting: `link(2)` then `unlink(2)` of the temporary name, which
    /// fails with `EEXIST` rather than replace a file that appeared meanwhile; on file systems without hard links
    /// (exFAT, FAT: `EPERM`/`ENOTSUP`) it falls back to a check then `rename(2)`.
    private func commit() -> AudioFileError? {
        let (folder, _) = Self.split(path)
        defer {
            // Make the rename itself durable; failure here only risks the name, never the content.
            let directory = SystemPath.withCString(folder.isEmpty ? "." : folder) {
                open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            }
            if directory >= 0 {
                fsync(directory)
                close(directory)
            }
        }
        let temporaryPath = self.temporaryPath
        func rename(_ from: String, _ to: String) -> Int32 {
            SystemPath.withCString(from) { a in SystemPath.withCString(to) { b in Glibc.rename(a, b) } }
        }
        func link(_ from: String, _ to: String) -> Int32 {
            SystemPath.withCString(from) { a in SystemPath.withCString(to) { b in Glibc.link(a, b) } }
        }
        func unlink(_ path: String) { _ = SystemPath.withCString(path) { Glibc.unlink($0) } }
        if options.overwritesExisting {
            if rename(temporaryPath, path) != 0 {
                return AudioFileError(errno: errno, path: path, action: "write", fallback: .writeFailed)
            }
            return nil
        }
        if link(temporaryPath, path) == 0 {
            unlink(temporaryPath)
            return nil
        }
        let number = errno
        if number == EEXIST {
            return AudioFileError(.outputExists, path: path,
                                  reason: "the destination appeared while writing; it was left as it was")
        }
        guard number == EPERM || number == ENOTSUP || number == EOPNOTSUPP || number == EXDEV else {
            return AudioFileError(errno: number, path: path, action: "write", fallback: .writeFailed)
        }
        if FileSystem.exists(path) {
            return AudioFileError(.outputExists, path: path,
                                  reason: "the destination appeared while writing; it was left as it was")
        }
        if rename(temporaryPath, path) != 0 {
            return AudioFileError(errno: errno, path: path, action: "write", fallback: .writeFailed)
        }
        return nil
    }

    /// Splits a path into its folder (with trailing slash, or empty) and file name.
    static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        return (String(path[...slash]), String(path[path.index(after: slash)...]))
    }
}

@available(*, unavailable)
extension AudioFileWriter: Sendable {}

/// Writes the RIFF/WAVE layout described on ``AudioFileWriter``.
final class RIFFBackend {
    /// Payload size of the reserved JUNK chunk: exactly a ds64 chunk without a table (EBU Tech 3306).
    static let ds64PayloadSize = 28

    let file: PosixFile
    let format: AudioFileFormat
    let encoder: SampleEncoder
    let blockAlign: Int
    let buffer: UnsafeMutableRawPointer
    let afterChunks: [RIFFChunk]
    let factValueOffset: UInt64?
    let dataSizeOffset: UInt64
    let dataStart: UInt64
    var dataByteCount: UInt64 = 0

    init(file: PosixFile, format: AudioFileFormat, chunks: [RIFFChunk], blockFrameCount: Int, path: String)
        throws(AudioFileError)
    {
        self.file = file
        self.format = format
        self.encoder = SampleEncoder(format: format.sampleFormat)
        self.blockAlign = format.channelCount * encoder.bytesPerSample
        self.afterChunks = chunks.filter { $0.placement == .afterData }

        var header: [UInt8] = []
        header.appendASCII("RIFF")
        header.appendLE(UInt32(0))  // patched in finish
        header.appendASCII("WAVE")
        header.appendASCII("JUNK")
        header.appendLE(UInt32(Self.ds64PayloadSize))
        header.append(contentsOf: [UInt8](repeating: 0, count: Self.ds64PayloadSize))
        Self.appendChunk(RIFFChunk(id: "fmt ", data: Self.formatPayload(format, blockAlign: blockAlign)), to: &header)
        if format.sampleFormat.isFloat {
            // A fact chunk is required for non-PCM formats (Microsoft RIFF); it holds the frame count.
            header.appendASCII("fact")
            header.appendLE(UInt32(4))
            factValueOffset = UInt64(header.count)
            header.appendLE(UInt32(0))
        } else {
            factValueOffset = nil
        }
        for chunk in chunks where chunk.placement == .beforeData { Self.appendChunk(chunk, to: &header) }
        header.appendASCII("data")
        dataSizeOffset = UInt64(header.count)
        header.appendLE(UInt32(0))
        dataStart = UInt64(header.count)
        buffer = .allocate(byteCount: blockFrameCount * blockAlign, alignment: 16)
        if let failure = file.write(header) {
            buffer.deallocate()
            throw AudioFileError(errno: failure, path: path, action: "write", fallback: .writeFailed)
        }
    }

    func deallocate() { buffer.deallocate() }

    /// The `fmt ` payload: WAVEFORMAT (16 bytes, PCM), WAVEFORMATEX with cbSize 0 (18 bytes, IEEE float) or
    /// WAVEFORMATEXTENSIBLE (40 bytes) with the channel mask and the PCM or IEEE-float SubFormat GUID.
    static func formatPayload(_ format: AudioFileFormat, blockAlign: Int) -> [UInt8] {
        let bits = format.sampleFormat.bitsPerSample ?? 16
        let tag: UInt16 = format.sampleFormat.isFloat ? 3 : 1
        var payload: [UInt8] = []
        payload.appendLE(format.isExtensible ? UInt16(0xFFFE) : tag)
        payload.appendLE(UInt16(format.channelCount))
        payload.appendLE(UInt32(format.sampleRate))
        payload.appendLE(UInt32(format.sampleRate * blockAlign))
        payload.appendLE(UInt16(blockAlign))
        payload.appendLE(UInt16(bits))
        if format.isExtensible {
            payload.appendLE(UInt16(22))  // cbSize
            payload.appendLE(UInt16(bits))  // wValidBitsPerSample
            payload.appendLE(format.channelMask ?? 0)
            // KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT: {0000000X-0000-0010-8000-00AA00389B71}, little-endian fields.
            payload.appendLE(UInt32(tag))
            payload.appendLE(UInt16(0x0000))
            payload.appendLE(UInt16(0x0010))
            payload.append(contentsOf: [0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71])
        } else if format.sampleFormat.isFloat {
            payload.appendLE(UInt16(0))  // cbSize
        }
        return payload
    }

    /// Appends a chunk header, payload and pad byte (odd sizes) to `bytes`.
    static func appendChunk(_ chunk: RIFFChunk, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: chunk.idBytes ?? Array("JUNK".utf8))
        bytes.appendLE(UInt32(chunk.data.count))
        bytes.append(contentsOf: chunk.data)
        if chunk.data.count % 2 == 1 { bytes.append(0) }
    }

    func write(_ block: AudioBlock, from start: Int, frameCount: Int)
        -> (clipped: Int, nonFinite: Int, failure: Int32?)
    {
        let counts = encoder.encode(block, from: start, frameCount: frameCount, into: buffer)
        let byteCount = frameCount * blockAlign
        let failure = file.write(buffer, count: byteCount)
        if failure == nil { dataByteCount += UInt64(byteCount) }
        return (counts.clipped, counts.nonFinite, failure)
    }

    /// Writes the pad byte and the chunks after `data`, then patches the header; RF64 when the RIFF size would
    /// pass `riffSizeLimit` or RF64/BW64 was asked for.
    func finish(riffSizeLimit: UInt64) -> (failure: Int32?, isRF64: Bool) {
        var tail: [UInt8] = []
        if dataByteCount % 2 == 1 { tail.append(0) }
        for chunk in afterChunks { Self.appendChunk(chunk, to: &tail) }
        if let failure = file.write(tail) { return (failure, false) }
        let fileSize = dataStart + dataByteCount + UInt64(tail.count)
        let riffSize = fileSize - 8
        let frames = dataByteCount / UInt64(blockAlign)
        let isRF64 = format.container != .wav || riffSize > riffSizeLimit || dataByteCount > riffSizeLimit

        var patches: [(UInt64, [UInt8])] = []
        var head: [UInt8] = []
        if isRF64 {
            head.appendASCII(format.container == .bw64 ? "BW64" : "RF64")
            head.appendLE(UInt32.max)
            head.appendASCII("WAVE")
            head.appendASCII("ds64")
            head.appendLE(UInt32(Self.ds64PayloadSize))
            head.appendLE(riffSize)
            head.appendLE(dataByteCount)
            head.appendLE(frames)  // sample count: frames (one sample per channel), EBU Tech 3306
            head.appendLE(UInt32(0))  // table length: no other chunk exceeds 4 GiB (metadata ≤ 64 MiB)
            patches.append((0, head))
            patches.append((dataSizeOffset, bytesLE(UInt32.max)))
        } else {
            patches.append((4, bytesLE(UInt32(riffSize))))
            patches.append((dataSizeOffset, bytesLE(UInt32(dataByteCount))))
        }
        if let factValueOffset {
            patches.append((factValueOffset, bytesLE(UInt32(min(frames, UInt64(UInt32.max))))))
        }
        for (offset, bytes) in patches {
            if let failure = file.write(bytes, at: offset) { return (failure, isRF64) }
        }
        return (nil, isRF64)
    }

    private func bytesLE(_ value: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendLE(value)
        return bytes
    }
}

/// Writes W64, AIFF, FLAC and CAF through libsndfile on the temporary file's descriptor.
final class SndFileBackend {
    let handle: OpaquePointer
    let encoder: SampleEncoder
    let scratch: UnsafeMutablePointer<Float>
    let channelCount: Int
    private var isOpen = true

    init(file: PosixFile, format: AudioFileFormat, blockFrameCount: Int, path: String) throws(AudioFileError) {
        var info = SF_INFO()
        info.samplerate = Int32(format.sampleRate)
        info.channels = Int32(format.channelCount)
        info.format = (SndFile.majorCode(for: format.container) ?? 0)
            | (SndFile.subtypeCode(for: format.sampleFormat) ?? 0)
        guard sf_format_check(&info) != 0 else {
            throw AudioFileError(.unsupportedFormat, path: path,
                                 reason: "\(format.container) files cannot hold \(format.sampleFormat) samples")
        }
        guard let handle = sf_open_fd(file.descriptor, Int32(SFM_WRITE), &info, 0) else {
            throw AudioFileError(.writeFailed, path: path, reason: "could not start the file",
                                 libraryMessage: SndFile.message(nil))
        }
        // Clip instead of wrapping around; libsndfile's clipping converters also scale by 2^(bits−1), the
        // inverse of its read scaling, so integer samples round-trip exactly.
        sf_command(handle, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
        self.handle = handle
        self.encoder = SampleEncoder(format: format.sampleFormat)
        self.channelCount = format.channelCount
        self.scratch = .allocate(capacity: blockFrameCount * format.channelCount)
    }

    func deallocate() { scratch.deallocate() }

    var lastMessage: String { SndFile.message(isOpen ? handle : nil) }

    /// Returns failure 0 for a libsndfile error (see ``lastMessage``).
    func write(_ block: AudioBlock, from start: Int, frameCount: Int)
        -> (clipped: Int, nonFinite: Int, failure: Int32?)
    {
        let counts = encoder.interleave(block, from: start, frameCount: frameCount, into: scratch)
        let written = sf_writef_float(handle, scratch, sf_count_t(frameCount))
        return (counts.clipped, counts.nonFinite, written == sf_count_t(frameCount) ? nil : 0)
    }

    /// Closes the libsndfile handle (writing its header); returns false on error. Idempotent.
    func close() -> Bool {
        guard isOpen else { return true }
        isOpen = false
        return sf_close(handle) == 0
    }
}
