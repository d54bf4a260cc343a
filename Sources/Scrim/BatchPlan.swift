import Foundation

/// One file of a batch: where it is read from and where, under the output folder, its result goes.
public struct BatchItem: Sendable, Hashable {
    /// The input path (absolute, standardised).
    public var input: String
    /// The output's path relative to the output folder (the input's place in the tree it came from).
    public var relativeOutput: String

    /// Creates an item.
    public init(input: String, relativeOutput: String) {
        self.input = input
        self.relativeOutput = relativeOutput
    }
}

/// A path found under a batch's sources that is not processed, and why (reported, never skipped in silence).
public struct BatchSkip: Sendable, Hashable {
    /// The path (absolute; non-UTF-8 bytes escaped as ``SystemPath`` does).
    public var path: String
    /// Why it is not processed, in plain words.
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// `{"path", "reason"}`.
    public var json: JSONValue {
        .object([("path", .string(SystemPath.display(path))), ("reason", .string(reason))])
    }
}

/// Which files a batch processes and where each output goes; deterministic for a given set of inputs.
///
/// Inputs are files, folders (searched recursively for audio files; the structure is mirrored under the output
/// folder as `FOLDER/sub/…/name`), glob patterns (`*`, `?`, `[…]`, expanded by Scrim when the shell has not), and
/// manifests (one path per line, relative to the manifest's folder; `#` comments and blank lines are ignored; an
/// entry keeps its relative path under the output folder). The same file given twice is processed once. Two
/// different inputs that would write the same output are refused.
///
/// Nothing found under a folder is passed over in silence: every entry is either planned or listed in ``skipped``
/// with its reason (hidden, not an audio file name, a FIFO or device, a dangling link or a link loop, a link to a
/// folder, an unreadable folder, the output folder itself). File names are bytes: a name that is not UTF-8 is
/// planned like any other (``SystemPath``). An output whose extension Scrim cannot write (an `.mp3` named on the
/// command line) is given `.wav`.
public struct BatchPlan: Sendable {
    /// The output folder (absolute, standardised).
    public var outputFolder: String
    /// The files, sorted by input path.
    public var items: [BatchItem]
    /// Paths found under the sources and not processed, with the reason, sorted by path.
    public var skipped: [BatchSkip]

    /// File name extensions (lower case) searched for in folders. Files named explicitly are taken whatever
    /// their extension.
    public static let audioExtensions: Set<String> = ["wav", "bwf", "rf64", "w64", "aif", "aiff", "aifc", "flac",
                                                      "caf"]
    /// The hidden folder under the output folder where per-file reports are kept (`.scrim/reports/…`).
    public static let reportFolderName = ".scrim/reports"

    /// Resolves inputs and a manifest into a plan.
    /// - Parameters:
    ///   - inputs: files, folders and glob patterns.
    ///   - manifest: optional manifest file path.
    ///   - outputFolder: where outputs go (need not exist yet).
    /// - Throws: ``ScrimError`` `.configuration` (a usage error: nothing is done) for a source that does not
    ///   exist, a glob that matches nothing, an unreadable manifest, sources that hold no audio file at all, or two
    ///   inputs mapping to the same output (the message names them).
    public init(inputs: [String], manifest: String? = nil, outputFolder: String) throws {
        let out = Self.absolute(outputFolder)
        self.outputFolder = out
        var walk = Walk(outputFolder: out)
        let here = Self.currentFolder
        for entry in inputs {
            try walk.resolve(entry, relativeTo: here, keepPath: false)
        }
        if let manifest {
            let folder = Temporaries.split(Self.absolute(manifest)).folder
            for entry in try Self.manifestEntries(manifest) {
                try walk.resolve(entry, relativeTo: folder.isEmpty ? "/" : String(folder.dropLast()), keepPath: true)
            }
        }
        var seen = Set<String>()
        var unique: [BatchItem] = []
        for item in walk.items where seen.insert(Self.identity(item.input)).inserted { unique.append(item) }
        unique.sort { $0.input < $1.input }
        var byOutput: [String: String] = [:]
        for item in unique {
            if let other = byOutput[item.relativeOutput] {
                throw ScrimError(.configuration, "\(SystemPath.display(other)) and \(SystemPath.display(item.input)) "
                                 + "would both be written to \(SystemPath.display(item.relativeOutput)) under "
                                 + "\(SystemPath.display(out)): give them separate folders")
            }
            byOutput[item.relativeOutput] = item.input
        }
        skipped = walk.skipped.sorted { $0.path < $1.path }
        guard !unique.isEmpty else {
            var message = "no audio files to process in " + (inputs + (manifest.map { [$0] } ?? []))
                .map(SystemPath.display).joined(separator: ", ")
            if !skipped.isEmpty {
                message += " (\(skipped.count) path\(skipped.count == 1 ? "" : "s") skipped: "
                    + skipped.prefix(5).map { "\(SystemPath.display($0.path)): \($0.reason)" }.joined(separator: "; ")
                    + (skipped.count > 5 ? "; …" : "") + ")"
            }
            throw ScrimError(.configuration, message)
        }
        items = unique
    }

    /// The audio files named by `entries` for a command that reads files (`analyze`, `loudness`, `info`): each
    /// folder searched recursively as a batch does (every other path under it listed in `skipped` with its reason);
    /// files, `-`, paths that do not exist and folders with no audio file are kept as given (reading them reports
    /// what is wrong), in order.
    public static func expandingFolders(_ entries: [String]) -> (files: [String], skipped: [BatchSkip]) {
        var files: [String] = []
        var skipped: [BatchSkip] = []
        for entry in entries {
            guard entry != "-", FileSystem.kind(of: entry) == .directory else {
                files.append(entry)
                continue
            }
            var walk = Walk(outputFolder: "")
            walk.walk(folder: entry.hasSuffix("/") && entry.count > 1 ? String(entry.dropLast()) : entry, key: "")
            // A folder with no audio stays as given, so that reading it fails with a message naming it.
            files += walk.items.isEmpty ? [entry] : walk.items.map(\.input).sorted()
            skipped += walk.skipped
        }
        return (files, skipped)
    }

    /// Keeps every `count`-th file starting at `index` (0-based) of the sorted list: a deterministic share for
    /// worker `index` of `count` (e.g. a Kubernetes Indexed Job's `JOB_COMPLETION_INDEX`). Shards are disjoint
    /// and together cover the plan. Skipped paths are reported by shard 0 only.
    public func shard(index: Int, count: Int) -> BatchPlan {
        precondition(count >= 1 && index >= 0 && index < count, "shard \(index)/\(count)")
        var copy = self
        copy.items = items.enumerated().filter { $0.offset % count == index }.map(\.element)
        if index != 0 { copy.skipped = [] }
        return copy
    }

    /// The absolute output path of `item`.
    public func outputPath(for item: BatchItem) -> String { outputFolder + "/" + item.relativeOutput }

    /// The absolute path of `item`'s JSON report (`OUTDIR/.scrim/reports/<relative output>.json`).
    public func reportPath(for item: BatchItem) -> String {
        outputFolder + "/" + Self.reportFolderName + "/" + item.relativeOutput + ".json"
    }

    /// The paths in a manifest file: one per line, `#` comments and blank lines skipped, surrounding spaces
    /// trimmed.
    public static func manifestEntries(_ path: String) throws -> [String] {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.contents(of: path)
        } catch {
            throw ScrimError(.configuration, "cannot read manifest \(SystemPath.display(path))",
                             underlying: error.reason)
        }
        return bytes.split(whereSeparator: { $0 == 0x0A || $0 == 0x0D }).compactMap { line in
            let trimmed = SystemPath.string(fromBytes: line).trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty || trimmed.hasPrefix("#") ? nil : trimmed
        }
    }

    /// The walk over the sources: what is planned and what is skipped.
    struct Walk {
        let outputFolder: String
        var items: [BatchItem] = []
        var skipped: [BatchSkip] = []

        init(outputFolder: String) { self.outputFolder = outputFolder }

        /// Expands one input into items.
        /// - Parameter keepPath: a manifest entry keeps its relative path under the output folder; a command-line
        ///   file keeps only its name, a command-line folder its own name and the tree below it.
        mutating func resolve(_ entry: String, relativeTo base: String, keepPath: Bool) throws {
            let path = BatchPlan.normalized(entry.hasPrefix("/") ? entry : base + "/" + entry)
            if !FileSystem.exists(path), entry.contains(where: { "*?[".contains($0) }) {
                let matches = BatchPlan.glob(path)
                guard !matches.isEmpty else {
                    throw ScrimError(.configuration, "no file matches \(SystemPath.display(entry))")
                }
                for match in matches {
                    let relative = keepPath && match.hasPrefix(base + "/") ? String(match.dropFirst(base.count + 1))
                        : match
                    try resolve(relative, relativeTo: base, keepPath: keepPath)
                }
                return
            }
            let key = keepPath ? BatchPlan.mirroredPath(entry) : Temporaries.split(path).name
            guard let linkKind = FileSystem.kind(of: path, followingLinks: false) else {
                throw ScrimError(.configuration, "\(SystemPath.display(entry)): no such file or folder")
            }
            let kind = FileSystem.kind(of: path)
            if linkKind == .symbolicLink && kind == nil {
                throw ScrimError(.configuration, "\(SystemPath.display(entry)): " + BatchPlan.brokenLinkReason(path))
            }
            if kind == .directory {
                if path == outputFolder {
                    throw ScrimError(.configuration, "\(SystemPath.display(entry)) is the output folder itself")
                }
                walk(folder: path, key: key)
                return
            }
            // A file named explicitly is taken whatever it is; reading it says what is wrong.
            items.append(BatchItem(input: path, relativeOutput: BatchPlan.writableName(key)))
        }

        /// Every entry below `folder`, planned or skipped.
        mutating func walk(folder: String, key: String) {
            let names: [String]
            switch FileSystem.entries(of: folder) {
            case .success(let found): names = found.sorted()
            case .failure(let failure):
                skipped.append(BatchSkip(path: folder, reason: "cannot read this folder (\(failure.message))"))
                return
            }
            for name in names {
                let path = folder + "/" + name
                if path == outputFolder {
                    skipped.append(BatchSkip(path: path, reason: "the output folder itself"))
                    continue
                }
                if name.hasPrefix(".") {
                    skipped.append(BatchSkip(path: path, reason: "hidden"))
                    continue
                }
                guard let linkKind = FileSystem.kind(of: path, followingLinks: false) else {
                    skipped.append(BatchSkip(path: path, reason: "vanished while the folder was read"))
                    continue
                }
                var kind = linkKind
                if linkKind == .symbolicLink {
                    guard let target = FileSystem.kind(of: path) else {
                        skipped.append(BatchSkip(path: path, reason: BatchPlan.brokenLinkReason(path)))
                        continue
                    }
                    if target == .directory {
                        skipped.append(BatchSkip(path: path, reason: "a symbolic link to a folder (not followed; "
                                                 + "name the folder itself to process it)"))
                        continue
                    }
                    kind = target
                }
                switch kind {
                case .directory:
                    walk(folder: path, key: key + "/" + name)
                case .regular:
                    let ext = BatchPlan.pathExtension(name)
                    if BatchPlan.audioExtensions.contains(ext) {
                        items.append(BatchItem(input: path, relativeOutput: BatchPlan.writableName(key + "/" + name)))
                    } else {
                        skipped.append(BatchSkip(path: path, reason: ext.isEmpty ? "not an audio file name (no "
                                                 + "extension)" : "not an audio file name (.\(ext))"))
                    }
                default:
                    skipped.append(BatchSkip(path: path, reason: "\(kind), not a regular file"))
                }
            }
        }
    }

    /// Why a symbolic link leads nowhere: a loop, or a target that does not exist.
    static func brokenLinkReason(_ path: String) -> String {
        var status = stat()
        _ = SystemPath.withCString(path) { stat($0, &status) }
        return errno == ELOOP ? "a symbolic link loop" : "a dangling symbolic link (its target does not exist)"
    }

    /// The extension of a file name, lower case, without the dot ("" when there is none).
    static func pathExtension(_ name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return name[name.index(after: dot)...].lowercased()
    }

    /// `name` with `.wav` in place of an extension Scrim cannot write.
    static func writableName(_ name: String) -> String {
        let ext = pathExtension(name)
        guard OutputFormat.containersByExtension[ext] == nil else { return name }
        return (ext.isEmpty ? name : String(name.dropLast(ext.count + 1))) + ".wav"
    }

    /// A manifest entry's place under the output folder: its path with `.`/`..` components and any leading `/`
    /// removed.
    static func mirroredPath(_ entry: String) -> String {
        writableName(entry.split(separator: "/").filter { $0 != "." && $0 != ".." && !$0.isEmpty }
            .joined(separator: "/"))
    }

    /// The working folder.
    static var currentFolder: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return FileManager.default.currentDirectoryPath }
        return buffer.withUnsafeBufferPointer { pointer in
            pointer.baseAddress.map { SystemPath.string(fromCString: $0) } ?? "/"
        }
    }

    /// An absolute, standardised path (`.` and `..` resolved by name, as the shell does).
    static func absolute(_ path: String) -> String {
        normalized(path.hasPrefix("/") ? path : currentFolder + "/" + path)
    }

    /// `path` (absolute) with empty, `.` and `..` components resolved.
    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            if component == "." { continue }
            if component == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(component)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The file's identity for de-duplication (symlinks resolved).
    static func identity(_ path: String) -> String {
        guard let resolved = SystemPath.withCString(path, { realpath($0, nil) }) else { return path }
        defer { free(resolved) }
        return SystemPath.string(fromCString: resolved)
    }

    /// Paths matching a glob pattern (glob(3)), sorted.
    static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard SystemPath.withCString(pattern, { Glibc.glob($0, 0, nil, &result) }) == 0 else { return [] }
        var paths: [String] = []
        for i in 0..<Int(result.gl_pathc) {
            if let cString = result.gl_pathv[i] { paths.append(SystemPath.string(fromCString: cString)) }
        }
        return paths.sorted()
    }
}
