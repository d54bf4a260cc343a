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

/// Which files a batch processes and where each output goes; deterministic for a given set of inputs.
///
/// Inputs are files, folders (searched recursively for audio files; hidden files and folders, and the output
/// folder itself, are skipped; the structure is mirrored under the output folder as `FOLDER/sub/…/name`), glob
/// patterns (`*`, `?`, `[…]`, expanded by Scrim when the shell has not), and manifests (one path per line,
/// relative to the manifest's folder; `#` comments and blank lines are ignored; an entry keeps its relative path
/// under the output folder). The same file given twice is processed once. Two different inputs that would
/// write the same output are refused.
public struct BatchPlan: Sendable {
    /// The output folder (absolute, standardised).
    public var outputFolder: String
    /// The files, sorted by input path.
    public var items: [BatchItem]

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
    /// - Throws: ``ScrimError`` `.configuration` for a glob that matches nothing, an unreadable manifest, or two
    ///   inputs mapping to the same output (the message names them).
    public init(inputs: [String], manifest: String? = nil, outputFolder: String) throws {
        let out = Self.absolute(outputFolder)
        self.outputFolder = out
        var found: [BatchItem] = []
        for entry in inputs {
            found += try Self.resolve(entry, relativeTo: FileManager.default.currentDirectoryPath, keepPath: false,
                                      skipping: out)
        }
        if let manifest {
            let folder = URL(fileURLWithPath: Self.absolute(manifest)).deletingLastPathComponent().path
            for entry in try Self.manifestEntries(manifest) {
                found += try Self.resolve(entry, relativeTo: folder, keepPath: true, skipping: out)
            }
        }
        var seen = Set<String>()
        var unique: [BatchItem] = []
        for item in found where seen.insert(Self.identity(item.input)).inserted { unique.append(item) }
        unique.sort { $0.input < $1.input }
        var byOutput: [String: String] = [:]
        for item in unique {
            if let other = byOutput[item.relativeOutput] {
                throw ScrimError(.configuration, "\(other) and \(item.input) would both be written to "
                                 + "\(item.relativeOutput) under \(out): give them separate folders")
            }
            byOutput[item.relativeOutput] = item.input
        }
        items = unique
    }

    /// Keeps every `count`-th file starting at `index` (0-based) of the sorted list: a deterministic share for
    /// worker `index` of `count` (e.g. a Kubernetes Indexed Job's `JOB_COMPLETION_INDEX`). Shards are disjoint
    /// and together cover the plan.
    public func shard(index: Int, count: Int) -> BatchPlan {
        precondition(count >= 1 && index >= 0 && index < count, "shard \(index)/\(count)")
        var copy = self
        copy.items = items.enumerated().filter { $0.offset % count == index }.map(\.element)
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
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ScrimError(.configuration, "cannot read manifest \(path)",
                             underlying: (error as NSError).localizedDescription)
        }
        return text.split(whereSeparator: \.isNewline).compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty || trimmed.hasPrefix("#") ? nil : trimmed
        }
    }

    /// Expands one input into items.
    /// - Parameter keepPath: a manifest entry keeps its relative path under the output folder; a command-line
    ///   file keeps only its name, a command-line folder its own name and the tree below it.
    static func resolve(_ entry: String, relativeTo base: String, keepPath: Bool, skipping outputFolder: String)
        throws -> [BatchItem] {
        let path = entry.hasPrefix("/") ? entry : base + "/" + entry
        var isFolder: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isFolder),
           entry.contains(where: { "*?[".contains($0) }) {
            let matches = glob(path)
            guard !matches.isEmpty else {
                throw ScrimError(.configuration, "no file matches \(entry)")
            }
            return try matches.flatMap { match in
                let relative = keepPath && match.hasPrefix(base + "/") ? String(match.dropFirst(base.count + 1)) : match
                return try resolve(relative, relativeTo: base, keepPath: keepPath, skipping: outputFolder)
            }
        }
        let absolutePath = URL(fileURLWithPath: path).standardizedFileURL.path
        let key = keepPath ? mirroredPath(entry) : URL(fileURLWithPath: absolutePath).lastPathComponent
        guard isFolder.boolValue else {
            // A missing or unreadable file is still planned: it fails alone, reported, and the batch goes on.
            return [BatchItem(input: absolutePath, relativeOutput: key)]
        }
        var items: [BatchItem] = []
        let root = URL(fileURLWithPath: absolutePath)
        guard let walker = FileManager.default.enumerator(
            at: root, includingPropertiesForKeys: [.isRegularFileKey, .isDirectoryKey],
            options: [.skipsHiddenFiles]) else { return [] }
        for case let url as URL in walker {
            let file = url.standardizedFileURL.path
            if file == outputFolder || file.hasPrefix(outputFolder + "/") {
                walker.skipDescendants()
                continue
            }
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true,
                  audioExtensions.contains(url.pathExtension.lowercased()) else { continue }
            let below = String(file.dropFirst(absolutePath.count + 1))
            items.append(BatchItem(input: file, relativeOutput: key + "/" + below))
        }
        return items.sorted { $0.input < $1.input }
    }

    /// A manifest entry's place under the output folder: its path with `.`/`..` components and any leading `/`
    /// removed.
    static func mirroredPath(_ entry: String) -> String {
        entry.split(separator: "/").filter { $0 != "." && $0 != ".." && !$0.isEmpty }.joined(separator: "/")
    }

    /// An absolute, standardised path.
    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return URL(fileURLWithPath: full).standardizedFileURL.path
    }

    /// The file's identity for de-duplication (symlinks resolved).
    static func identity(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    /// Paths matching a glob pattern (glob(3)), sorted.
    static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for i in 0..<Int(result.gl_pathc) {
            if let cString = result.gl_pathv[i] { paths.append(String(cString: cString)) }
        }
        return paths.sorted()
    }
}
