#if canImport(Glibc)
import Glibc
#endif

/// An error reading or writing an audio file: which file, what kind of problem, in plain words.
///
/// ``code`` is a growable set of kinds (new kinds are added as static members, so a `switch` over it is not
/// exhaustive); ``reason`` says what is wrong in words a sound editor understands; ``libraryMessage`` carries
/// libsndfile's own text (`sf_strerror`) or the system's (`strerror`) where there is one.
///
/// ``description`` names the file first, e.g.
/// `take3.wav: not an audio file (libsndfile: File contains data in an unknown format.)`.
public struct AudioFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// A short, stable identifier (for JSON reports and exit-code tables).
        public let name: String
        /// Creates a code. Prefer the static members.
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// Nothing exists at the path.
        public static let fileNotFound = Code("fileNotFound")
        /// The file (or its folder) may not be read or written by this user.
        public static let permissionDenied = Code("permissionDenied")
        /// The path is a folder, a device or something else that is not a regular file.
        public static let notAFile = Code("notAFile")
        /// The file is not audio in any format libsndfile or Scrim recognises.
        public static let notAudio = Code("notAudio")
        /// The file ends before the audio its header announces.
        public static let truncated = Code("truncated")
        /// The header is damaged or inconsistent (chunk sizes, missing `fmt ` or `data`).
        public static let corruptHeader = Code("corruptHeader")
        /// The file is well-formed but holds no audio frames.
        public static let noAudioFrames = Code("noAudioFrames")
        /// The file is audio, but in an encoding or container Scrim cannot read or write.
        public static let unsupportedFormat = Code("unsupportedFormat")
        /// A header field holds an absurd value (sample rate 0, 100 000 channels, …).
        public static let invalidHeaderValue = Code("invalidHeaderValue")
        /// A metadata chunk is larger than Scrim keeps in memory (see ``RIFFChunk/maximumDataSize``).
        public static let chunkTooLarge = Code("chunkTooLarge")
        /// Reading samples failed part-way (I/O error, decoder error).
        public static let readFailed = Code("readFailed")
        /// Writing failed (disk full, I/O error, rename failed).
        public static let writeFailed = Code("writeFailed")
        /// The destination exists and overwriting was not asked for.
        public static let outputExists = Code("outputExists")
        /// The output would overwrite the input (same device and inode). For callers that check with
        /// ``AudioFileWriter/isSameFile(_:_:)`` before creating a writer; the writer itself does not know the input.
        public static let outputIsInput = Code("outputIsInput")
        /// A call came in the wrong order (write after finish, …).
        public static let invalidState = Code("invalidState")
    }

    /// The path as given by the caller.
    public var path: String
    /// What kind of problem this is.
    public var code: Code
    /// What is wrong, in plain words (no file name: ``description`` adds it).
    public var reason: String
    /// libsndfile's or the system's own message, when there is one.
    public var libraryMessage: String?

    /// Creates an error.
    /// - Parameters:
    ///   - code: the kind of problem.
    ///   - path: the file concerned.
    ///   - reason: what is wrong, in plain words.
    ///   - libraryMessage: libsndfile's (`"libsndfile: …"`) or the system's text, if any.
    public init(_ code: Code, path: String, reason: String, libraryMessage: String? = nil) {
        self.code = code
        self.path = path
        self.reason = reason
        self.libraryMessage = libraryMessage
    }

    /// The file's name without its folder (what people recognise in a batch report).
    public var fileName: String {
        guard let slash = path.lastIndex(of: "/") else { return SystemPath.display(path) }
        let name = path[path.index(after: slash)...]
        return SystemPath.display(name.isEmpty ? path : String(name))
    }

    public var description: String {
        if let libraryMessage { return "\(fileName): \(reason) (\(libraryMessage))" }
        return "\(fileName): \(reason)"
    }

    /// Maps a POSIX `errno` from opening, reading or writing `path` to an error.
    /// - Parameters:
    ///   - errno: the error number (`ENOENT`, `EACCES`, …).
    ///   - path: the file concerned.
    ///   - action: what was being done, for the reason text (`"read"`, `"write"`).
    ///   - fallback: the code used for numbers with no specific mapping.
    init(errno number: Int32, path: String, action: String, fallback: Code) {
        let system = String(cString: strerror(number))
        switch number {
        case ENOENT:
            self.init(.fileNotFound, path: path, reason: "no such file", libraryMessage: system)
        case EACCES, EPERM:
            self.init(.permissionDenied, path: path, reason: "no permission to \(action) this file",
                      libraryMessage: system)
        case EISDIR:
            self.init(.notAFile, path: path, reason: "this is a folder, not an audio file", libraryMessage: system)
        case ENOSPC, EDQUOT:
            self.init(.writeFailed, path: path, reason: "the disk is full", libraryMessage: system)
        case EROFS:
            self.init(.permissionDenied, path: path, reason: "the disk is read-only", libraryMessage: system)
        case EFBIG:
            self.init(.writeFailed, path: path, reason: "the file would be larger than this system allows "
                      + "(file size limit, ulimit -f, or the file system's own)", libraryMessage: system)
        case ENAMETOOLONG:
            self.init(fallback, path: path, reason: "the file name is too long for the file system",
                      libraryMessage: system)
        default:
            self.init(fallback, path: path, reason: "could not \(action) the file", libraryMessage: system)
        }
    }
}
