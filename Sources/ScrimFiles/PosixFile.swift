#if canImport(Glibc)
import Glibc
#endif

/// An `errno` value carried in a `Result`.
public struct SystemErrno: Error, Sendable {
    /// The `errno` value.
    public let number: Int32
}

/// A thin wrapper over a POSIX file descriptor with whole-buffer reads and writes (retrying short transfers and
/// `EINTR`). Internal: errors come back as `errno` values for the caller to turn into ``AudioFileError``.
struct PosixFile {
    let descriptor: Int32

    /// Opens `path` read-only. Returns the descriptor or the `errno`.
    static func openForReading(_ path: String) -> Result<PosixFile, SystemErrno> {
        let fd = SystemPath.withCString(path) { open($0, O_RDONLY | O_CLOEXEC) }
        if fd < 0 { return .failure(SystemErrno(number: errno)) }
        return .success(PosixFile(descriptor: fd))
    }

    /// The file's size in bytes.
    func size() -> Result<UInt64, SystemErrno> {
        var info = stat()
        if fstat(descriptor, &info) != 0 { return .failure(SystemErrno(number: errno)) }
        return .success(UInt64(info.st_size))
    }

    /// Reads up to `count` bytes at `offset` into `destination`; returns how many were read (fewer only at EOF).
    func read(into destination: UnsafeMutableRawPointer, count: Int, at offset: UInt64) -> Result<Int, SystemErrno> {
        var done = 0
        while done < count {
            let n = pread(descriptor, destination + done, count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(SystemErrno(number: errno))
            }
            if n == 0 { break }
            done += n
        }
        return .success(done)
    }

    /// Reads up to `count` bytes at `offset` into a new array (shorter only at EOF).
    func readBytes(count: Int, at offset: UInt64) -> Result<[UInt8], SystemErrno> {
        var bytes = [UInt8](repeating: 0, count: count)
        let result = bytes.withUnsafeMutableBytes { raw -> Result<Int, SystemErrno> in
            guard let base = raw.baseAddress else { return .success(0) }
            return read(into: base, count: count, at: offset)
        }
        switch result {
        case .success(let n):
            if n < count { bytes.removeLast(count - n) }
            return .success(bytes)
        case .failure(let e):
            return .failure(e)
        }
    }

    /// Writes all `count` bytes at the current position.
    func write(_ source: UnsafeRawPointer, count: Int) -> Int32? {
        var done = 0
        while done < count {
            let n = Glibc.write(descriptor, source + done, count - done)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            done += n
        }
        return nil
    }

    /// Writes all of `bytes` at the current position.
    func write(_ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return nil }
            return write(base, count: raw.count)
        }
    }

    /// Writes all of `bytes` at `offset` without moving the current position.
    func write(_ bytes: [UInt8], at offset: UInt64) -> Int32? {
        bytes.withUnsafeBytes { raw -> Int32? in
            guard let base = raw.baseAddress else { return nil }
            var done = 0
            while done < raw.count {
                let n = pwrite(descriptor, base + done, raw.count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                done += n
            }
            return nil
        }
    }

    func close() { _ = Glibc.close(descriptor) }
}

/// Little-endian field access on byte arrays (RIFF is little-endian throughout).
extension Array where Element == UInt8 {
    func uint16LE(at offset: Int) -> UInt16 {
        UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    func uint32LE(at offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16
            | UInt32(self[offset + 3]) << 24
    }

    func uint64LE(at offset: Int) -> UInt64 {
        UInt64(uint32LE(at: offset)) | UInt64(uint32LE(at: offset + 4)) << 32
    }

    mutating func appendLE(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func appendLE(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func appendLE(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func appendASCII(_ text: String) {
        append(contentsOf: text.utf8)
    }
}
