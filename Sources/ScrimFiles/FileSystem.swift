#if canImport(Glibc)
import Glibc
#endif

/// What stands at a path.
public enum FileKind: Sendable, Hashable, CustomStringConvertible {
    case regular, directory, symbolicLink, fifo, characterDevice, blockDevice, socket, other

    init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .symbolicLink
        case S_IFIFO: self = .fifo
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        case S_IFSOCK: self = .socket
        default: self = .other
        }
    }

    public var description: String {
        switch self {
        case .regular: "a regular file"
        case .directory: "a folder"
        case .symbolicLink: "a symbolic link"
        case .fifo: "a FIFO (named pipe)"
        case .characterDevice: "a character device"
        case .blockDevice: "a block device"
        case .socket: "a socket"
        case .other: "not a regular file"
        }
    }
}

/// The few file-system operations Scrim needs, on byte-exact paths (``SystemPath``) and with errors that name the
/// file. Foundation's `FileManager` is not used for users' paths: it cannot name a file whose name is not UTF-8.
public enum FileSystem {
    /// What stands at `path`, or nil when nothing does (or it cannot be examined).
    /// - Parameter followingLinks: `stat` (the link's target) rather than `lstat` (the link itself).
    public static func kind(of path: String, followingLinks: Bool = true) -> FileKind? {
        var status = stat()
        let result = SystemPath.withCString(path) { followingLinks ? stat($0, &status) : lstat($0, &status) }
        return result == 0 ? FileKind(mode: status.st_mode) : nil
    }

    /// Whether anything (even a dangling symbolic link) stands at `path`.
    public static func exists(_ path: String) -> Bool { kind(of: path, followingLinks: false) != nil }

    /// Size in bytes and modification time in nanoseconds since 1970 of the file at `path` (links followed).
    public static func stamp(of path: String) -> (size: Int64, modifiedNanoseconds: Int64)? {
        var status = stat()
        guard SystemPath.withCString(path, { stat($0, &status) }) == 0 else { return nil }
        return (Int64(status.st_size),
                Int64(status.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(status.st_mtim.tv_nsec))
    }

    /// Creates `path` and any missing folders above it.
    /// - Throws: ``AudioFileError`` `writeFailed` / `permissionDenied` naming `reportedPath` (the file the folder
    ///   is for) when a folder cannot be made or a non-folder stands in the way.
    public static func createDirectories(_ path: String, for reportedPath: String) throws(AudioFileError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + component
            if let kind = kind(of: prefix) {
                guard kind == .directory else {
                    throw AudioFileError(.writeFailed, path: reportedPath,
                                         reason: "cannot create the output folder \(SystemPath.display(prefix)): "
                                             + "\(kind) stands there")
                }
                continue
            }
            if SystemPath.withCString(prefix, { mkdir($0, 0o777) }) != 0 && errno != EEXIST {
                let number = errno
                var error = AudioFileError(errno: number, path: reportedPath, action: "write", fallback: .writeFailed)
                error.reason = "cannot create the output folder \(SystemPath.display(prefix)): " + error.reason
                throw error
            }
        }
    }

    /// The whole content of a (small) file.
    /// - Throws: ``AudioFileError`` naming `path`: missing, unreadable, not a regular file, or over `maximumBytes`.
    public static func contents(of path: String, maximumBytes: Int = 64 << 20) throws(AudioFileError) -> [UInt8] {
        guard let kind = kind(of: path) else {
            throw AudioFileError(errno: errno, path: path, action: "read", fallback: .readFailed)
        }
        guard kind == .regular else {
            throw AudioFileError(.notAFile, path: path, reason: "this is \(kind), not a file Scrim can read")
        }
        let file: PosixFile
        switch PosixFile.openForReading(path) {
        case .success(let opened): file = opened
        case .failure(let failure):
            throw AudioFileError(errno: failure.number, path: path, action: "read", fallback: .readFailed)
        }
        defer { file.close() }
        let size: UInt64
        switch file.size() {
        case .success(let value): size = value
        case .failure(let failure):
            throw AudioFileError(errno: failure.number, path: path, action: "read", fallback: .readFailed)
        }
        guard size <= UInt64(maximumBytes) else {
            throw AudioFileError(.chunkTooLarge, path: path,
                                 reason: "the file is \(size) bytes, more than the \(maximumBytes) Scrim reads here")
        }
        switch file.readBytes(count: Int(size), at: 0) {
        case .success(let bytes): return bytes
        case .failure(let failure):
            throw AudioFileError(errno: failure.number, path: path, action: "read", fallback: .readFailed)
        }
    }

    /// Writes a small file (a report, a profile) so that it appears whole or not at all: a Scrim temporary beside
    /// it (``Temporaries``), `fsync`, then rename.
    /// - Parameters:
    ///   - bytes: the content.
    ///   - path: the destination; its folder must exist.
    ///   - overwrite: replace an existing regular file. Only regular files are ever replaced.
    /// - Throws: ``AudioFileError`` naming `path` (never the temporary); nothing is left behind on error.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, overwrite: Bool) throws(AudioFileError) {
        try checkReplaceable(path, overwrite: overwrite)
        let temporary = Temporaries.path(beside: path, kind: "")
        let fd = SystemPath.withCString(temporary) { open($0, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
        if fd < 0 { throw AudioFileError(errno: errno, path: path, action: "write", fallback: .writeFailed) }
        let file = PosixFile(descriptor: fd)
        var failure = file.write(bytes)
        if failure == nil && fsync(fd) != 0 { failure = errno }
        file.close()
        if let failure {
            _ = SystemPath.withCString(temporary) { unlink($0) }
            throw AudioFileError(errno: failure, path: path, action: "write", fallback: .writeFailed)
        }
        let renamed = SystemPath.withCString(temporary) { from in
            SystemPath.withCString(path) { to in overwrite ? rename(from, to) : link(from, to) }
        }
        let number = errno
        _ = SystemPath.withCString(temporary) { unlink($0) }
        if renamed != 0 {
            if number == EEXIST {
                throw AudioFileError(.outputExists, path: path,
                                     reason: "the destination appeared while writing; it was left as it was")
            }
            if !overwrite && (number == EPERM || number == ENOTSUP || number == EOPNOTSUPP) {
                // No hard links on this file system (exFAT, FAT): check, then rename.
                guard !exists(path) else {
                    throw AudioFileError(.outputExists, path: path,
                                         reason: "the destination appeared while writing; it was left as it was")
                }
                try writeAtomically(bytes, to: path, overwrite: true)
                return
            }
            throw AudioFileError(errno: number, path: path, action: "write", fallback: .writeFailed)
        }
    }

    /// Refuses a destination Scrim may not replace: a folder, a FIFO, a device, a socket or a symbolic link
    /// always; an existing regular file unless `overwrite`.
    /// - Throws: ``AudioFileError`` `notAFile` or `outputExists` naming `path`.
    public static func checkReplaceable(_ path: String, overwrite: Bool) throws(AudioFileError) {
        guard let kind = kind(of: path, followingLinks: false) else { return }
        guard kind == .regular else {
            throw AudioFileError(.notAFile, path: path,
                                 reason: "the destination is \(kind); Scrim only ever replaces regular files")
        }
        if !overwrite {
            throw AudioFileError(.outputExists, path: path,
                                 reason: "the destination already exists (Scrim does not overwrite unless asked)")
        }
    }

    /// The names in a folder (without `.` and `..`), unsorted.
    /// - Returns: the names, or the `errno` of `opendir`/`readdir`.
    public static func entries(of folder: String) -> Result<[String], SystemErrno> {
        guard let directory = SystemPath.withCString(folder, { opendir($0) }) else {
            return .failure(SystemErrno(number: errno))
        }
        defer { closedir(directory) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { return .failure(SystemErrno(number: errno)) }
                break
            }
            let name = withUnsafePointer(to: entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: 256) { SystemPath.string(fromCString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return .success(names)
    }

    /// The system's text for an `errno`.
    public static func message(_ number: Int32) -> String { String(cString: strerror(number)) }
}

extension SystemErrno {
    /// The system's text for the number.
    public var message: String { FileSystem.message(number) }
}
