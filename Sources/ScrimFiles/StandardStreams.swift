#if canImport(Glibc)
import Glibc
#endif

/// Audio through standard input and output (`-` on the command line).
///
/// **Input.** Standard input is copied to an unnamed temporary file (`O_TMPFILE` in `$TMPDIR`, so nothing is left
/// behind even after SIGKILL) and read from there by its `/proc/self/fd/N` path: every command, also the two-pass
/// ones, reads it like a file, and memory stays bounded. A WAV or RF64 stream may not know its length when its
/// header is sent (a data size of 0 or 0xFFFFFFFF, or one larger than what follows, as streaming writers put):
/// the copy's header is then completed with the size that arrived. FLAC streams need nothing.
///
/// **Output.** A command writes the file as usual to a Scrim temporary in `$TMPDIR` (``Temporaries``), then copies
/// it to standard output (``copy(_:to:)``): the WAV header has its true sizes, and an error writing the pipe is an
/// error, never a silent short file.
public enum StandardStreams {
    /// The name used for standard input or output in messages.
    public static let displayName = "(standard input)"

    /// The folder for temporaries: `$TMPDIR` or `/tmp`.
    public static var temporaryFolder: String {
        if let value = getenv("TMPDIR"), value.pointee != 0 { return String(cString: value) }
        return "/tmp"
    }

    /// Copies all of standard input into an unnamed temporary file and completes an unknown WAV/RF64 data size.
    /// - Returns: a path that reads the copy (`/proc/self/fd/N`) and its descriptor (keep it open while reading).
    /// - Throws: ``AudioFileError`` naming standard input: nothing arrived, the temporary folder is full, …
    public static func spoolStandardInput() throws(AudioFileError) -> (path: String, descriptor: Int32) {
        let folder = temporaryFolder
        // O_TMPFILE is a macro Swift does not import: __O_TMPFILE (octal 020000000 on Linux's generic and x86 ABIs)
        // combined with O_DIRECTORY.
        let temporaryFileFlag = Int32(0o20000000) | O_DIRECTORY
        var fd = SystemPath.withCString(folder) { open($0, temporaryFileFlag | O_RDWR | O_CLOEXEC, 0o600) }
        if fd < 0 {
            // No O_TMPFILE on this file system: a named temporary, unlinked at once.
            let path = Temporaries.path(beside: folder + "/stdin", kind: "stdin")
            fd = SystemPath.withCString(path) { open($0, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
            if fd < 0 {
                throw AudioFileError(errno: errno, path: displayName, action: "write", fallback: .writeFailed)
            }
            _ = SystemPath.withCString(path) { unlink($0) }
        }
        let file = PosixFile(descriptor: fd)
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var total: UInt64 = 0
        while true {
            let n = read(STDIN_FILENO, buffer, chunk)
            if n < 0 {
                if errno == EINTR { continue }
                let number = errno
                file.close()
                throw AudioFileError(errno: number, path: displayName, action: "read", fallback: .readFailed)
            }
            if n == 0 { break }
            if let failure = file.write(buffer, count: n) {
                file.close()
                var error = AudioFileError(errno: failure, path: displayName, action: "write", fallback: .writeFailed)
                error.reason = "cannot keep a copy of standard input in \(folder): " + error.reason
                throw error
            }
            total += UInt64(n)
        }
        guard total > 0 else {
            file.close()
            throw AudioFileError(.notAudio, path: displayName, reason: "nothing arrived on standard input")
        }
        do throws(AudioFileError) {
            try completeStreamHeader(file, size: total)
        } catch {
            file.close()
            throw error
        }
        return ("/proc/self/fd/\(fd)", fd)
    }

    /// Writes the data size a streaming WAV/RF64 writer could not know into its header: the bytes that follow the
    /// `data` chunk header, when the stored size is 0, 0xFFFFFFFF or more than that. Other files are left alone.
    static func completeStreamHeader(_ file: PosixFile, size: UInt64) throws(AudioFileError) {
        guard case .success(let head) = file.readBytes(count: 12, at: 0), head.count == 12 else { return }
        let form = RIFFChunk.string(fromID: Array(head[0..<4]))
        guard ["RIFF", "RF64", "BW64"].contains(form), RIFFChunk.string(fromID: Array(head[8..<12])) == "WAVE" else {
            return
        }
        var position: UInt64 = 12
        var ds64PayloadOffset: UInt64?
        while position + 8 <= size {
            guard case .success(let header) = file.readBytes(count: 8, at: position), header.count == 8 else { return }
            let id = RIFFChunk.string(fromID: Array(header[0..<4]))
            let stored = UInt64(header.uint32LE(at: 4))
            let payload = position + 8
            if id == "ds64" { ds64PayloadOffset = payload }
            if id == "data" {
                let present = size - payload
                if form == "RIFF" {
                    guard stored == 0 || stored == 0xFFFF_FFFF || stored > present else { return }
                    guard present < 0xFFFF_FFFF else {
                        throw AudioFileError(
                            .unsupportedFormat, path: displayName,
                            reason: "a WAV stream of over 4 GiB without its sizes cannot be read; send RF64 or FLAC")
                    }
                    var bytes: [UInt8] = []
                    bytes.appendLE(UInt32(present))
                    _ = file.write(bytes, at: position + 4)
                } else if let ds64 = ds64PayloadOffset,
                          case .success(let table) = file.readBytes(count: 16, at: ds64), table.count == 16 {
                    let declared = table.uint64LE(at: 8)
                    guard declared == 0 || declared == UInt64.max || declared > present else { return }
                    var bytes: [UInt8] = []
                    bytes.appendLE(present)
                    _ = file.write(bytes, at: ds64 + 8)
                }
                return
            }
            guard stored != 0xFFFF_FFFF else { return }
            position = payload + stored + (stored & 1)
        }
    }

    /// Copies the file at `path` to the descriptor `output` (standard output), then removes the file.
    /// - Throws: ``AudioFileError`` naming standard output: a closed pipe (EPIPE), a full disk, …
    public static func copy(_ path: String, to output: Int32) throws(AudioFileError) {
        defer { _ = SystemPath.withCString(path) { unlink($0) } }
        let source: PosixFile
        switch PosixFile.openForReading(path) {
        case .success(let file): source = file
        case .failure(let failure):
            throw AudioFileError(errno: failure.number, path: path, action: "read", fallback: .readFailed)
        }
        defer { source.close() }
        let sink = PosixFile(descriptor: output)
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var offset: UInt64 = 0
        while true {
            let got: Int
            switch source.read(into: buffer, count: chunk, at: offset) {
            case .success(let n): got = n
            case .failure(let failure):
                throw AudioFileError(errno: failure.number, path: path, action: "read", fallback: .readFailed)
            }
            if got == 0 { break }
            if let failure = sink.write(buffer, count: got) {
                var error = AudioFileError(errno: failure, path: "(standard output)", action: "write",
                                           fallback: .writeFailed)
                if failure == EPIPE { error.reason = "the reader of standard output went away (broken pipe)" }
                throw error
            }
            offset += UInt64(got)
        }
    }
}
