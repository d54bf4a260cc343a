#if canImport(Glibc)
import Glibc
#endif

/// The names of Scrim's temporary files, and the removal of those a killed run left behind.
///
/// Every temporary Scrim makes (an output being written, an intermediate pass, a report) is a hidden file beside its
/// destination, named
///
///     .<destination name, shortened>.scrim-<host>-<pid>-<kind><16 hex digits>.tmp
///
/// where `<host>` is 8 hex digits of a hash of the host name (so a worker on another machine sharing the folder is
/// never mistaken for a dead process here) and `<pid>` the writing process. The whole name fits in NAME_MAX (255
/// bytes) whatever the destination's name: the destination's part is cut, at a character boundary, to leave room.
///
/// A process killed with SIGKILL cannot remove its temporaries. The next Scrim command that writes into the same
/// folder removes them (``removeStale(in:)``): only regular files named exactly so, made on this host, whose process
/// no longer exists. Nothing else is ever touched.
public enum Temporaries {
    /// The longest file name Linux file systems take (NAME_MAX), in bytes.
    public static let maximumNameBytes = 255

    /// This host's tag: FNV-1a (32-bit) of the host name, as 8 hex digits.
    public static let hostTag: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        let name: [UInt8] = gethostname(&buffer, buffer.count - 1) == 0
            ? buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) } : []
        var hash: UInt32 = 0x811C_9DC5
        for byte in name {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }()

    /// A fresh temporary path in `destination`'s folder.
    /// - Parameters:
    ///   - destination: the file the temporary stands for.
    ///   - kind: a short word told apart in the name (`""` for an output being written, `"pass"` for an
    ///     intermediate pass); letters only.
    ///   - audioExtension: adds `.wav` after `.tmp`, for a temporary whose format follows its extension (audio
    ///     bound for standard output).
    public static func path(beside destination: String, kind: String, audioExtension: Bool = false) -> String {
        let (folder, name) = split(destination)
        let suffix = ".scrim-\(hostTag)-\(getpid())-\(kind)"
            + hex16(UInt64.random(in: 0...UInt64.max)) + (audioExtension ? ".tmp.wav" : ".tmp")
        let room = maximumNameBytes - 1 - suffix.utf8.count
        return folder + "." + prefix(of: name, bytes: room) + suffix
    }

    /// The process that made a temporary with this file name on this host, or nil when the name is not one of
    /// Scrim's (see the type's documentation) or was made on another host.
    public static func owner(ofName name: String) -> pid_t? {
        guard name.hasPrefix("."), name.hasSuffix(".tmp") || name.hasSuffix(".tmp.wav") else { return nil }
        let characters = Array(name.dropLast(name.hasSuffix(".tmp") ? 4 : 8))
        let marker = Array(".scrim-")
        guard characters.count > marker.count,
              let start = stride(from: characters.count - marker.count, through: 1, by: -1).first(where: {
                  Array(characters[$0..<$0 + marker.count]) == marker
              }) else { return nil }
        let fields = characters[(start + marker.count)...].split(separator: "-", maxSplits: 2,
                                                                 omittingEmptySubsequences: false)
        guard fields.count == 3, String(fields[0]) == hostTag, let pid = pid_t(String(fields[1])), pid > 0,
              fields[2].count >= 16 else { return nil }
        let random = fields[2].suffix(16)
        let kind = fields[2].dropLast(16)
        guard random.allSatisfy({ "0123456789abcdef".contains($0) }),
              kind.allSatisfy({ ("a"..."z").contains($0) }) else { return nil }
        return pid
    }

    /// What ``removeStale(in:)`` removed.
    public struct Cleanup: Sendable, Hashable {
        /// The folder searched.
        public var folder: String
        /// Temporaries removed.
        public var fileCount: Int
        /// Their total size in bytes.
        public var byteCount: Int64
        /// Whether anything was removed.
        public var isEmpty: Bool { fileCount == 0 }
    }

    /// Removes the temporaries in `folder` (not below it) left by Scrim processes on this host that no longer exist.
    /// A process that still runs (or whose pid is now someone else's) keeps its files. Errors are ignored: at worst
    /// a stale temporary stays until the next run.
    /// - Returns: how many files and bytes were removed.
    @discardableResult
    public static func removeStale(in folder: String) -> Cleanup {
        var cleanup = Cleanup(folder: folder, fileCount: 0, byteCount: 0)
        guard case .success(let names) = FileSystem.entries(of: folder.isEmpty ? "." : folder) else {
            return cleanup
        }
        let me = getpid()
        for name in names {
            guard let pid = owner(ofName: name), pid != me, kill(pid, 0) != 0, errno == ESRCH else { continue }
            let path = (folder.isEmpty ? "." : folder) + (folder.hasSuffix("/") ? "" : "/") + name
            var status = stat()
            guard SystemPath.withCString(path, { lstat($0, &status) }) == 0,
                  status.st_mode & S_IFMT == S_IFREG else { continue }
            if SystemPath.withCString(path, { unlink($0) }) == 0 {
                cleanup.fileCount += 1
                cleanup.byteCount += Int64(status.st_size)
            }
        }
        return cleanup
    }

    /// Splits a path into its folder (with trailing slash, or empty) and file name.
    public static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        return (String(path[...slash]), String(path[path.index(after: slash)...]))
    }

    /// The longest leading part of `name` that takes at most `bytes` bytes in the file system, cut between
    /// characters.
    static func prefix(of name: String, bytes: Int) -> String {
        guard SystemPath.byteCount(name) > bytes else { return name }
        var result = String.UnicodeScalarView()
        var used = 0
        for scalar in name.unicodeScalars {
            let size = SystemPath.byteCount(String(scalar))
            if used + size > bytes { break }
            result.append(scalar)
            used += size
        }
        return String(result)
    }

    static func hex16(_ value: UInt64) -> String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
