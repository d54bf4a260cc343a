import Foundation
import Testing

/// Runs the built `scrim` binary (it sits beside the test bundle in the build folder) and captures its output.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum CLI {
    /// The package root (two levels above this file's folder).
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func sample(_ name: String) -> String { packageRoot + "/samples/" + name }

    static var binary: String {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent().appendingPathComponent("scrim").path
    }

    static func run(_ arguments: [String]) throws -> CLIResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so a large output cannot fill the pipe and block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                         stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Parses each non-empty stdout line as a JSON object.
    static func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try #require(object as? [String: Any])
        }
    }

    /// The `warnings` of one JSON line as (code, message, track); a warning that is not such an object is returned
    /// with the code "<malformed>" so that a test looking for a code fails.
    static func warnings(_ line: [String: Any]?) -> [(code: String, message: String, track: Int?)] {
        (line?["warnings"] as? [Any] ?? []).map { item in
            guard let warning = item as? [String: Any], let code = warning["code"] as? String,
                  let message = warning["message"] as? String, warning.keys.contains("track") else {
                return ("<malformed>", "\(item)", nil)
            }
            return (code, message, warning["track"] as? Int)
        }
    }

    /// The report under `key` in one JSON line: every line is an envelope (`command`, `input`, `output`, `status`,
    /// `error`, `warnings`) with the command's report under a fixed key.
    static func report(_ line: [String: Any]?, _ key: String) throws -> [String: Any] {
        try #require(line?[key] as? [String: Any], "no \(key) report in \(line ?? [:])")
    }
}

/// A temporary folder removed when the value is released.
final class TemporaryFolder {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "scrim-cli-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { path + "/" + name }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}
