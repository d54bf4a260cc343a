/// How one command's work on one input ended, as every JSON line says it.
public enum JobStatus: String, Sendable {
    /// The work was done (an output written, or a measurement made).
    case done
    /// It failed; `error` says why, and nothing was left at the output path.
    case failed
    /// Not processed, for the reason given (an interrupt, a path that is not audio).
    case skipped
    /// `scrim batch`: the output is complete and current; nothing to do.
    case upToDate
    /// `scrim batch`'s `start`, `started` and `progress` events: under way.
    case running
}

/// The one JSON shape every command prints, one object per line, and every `scrim batch` event:
///
/// ```json
/// {"command": "denoise", "input": "a.wav", "output": "b.wav", "status": "done", "error": null,
///  "warnings": [], "denoise": {…}, "file": {…}}
/// ```
///
/// `command`, `input` (a path, or null), `output` (a path, or null), `status` (``JobStatus``), `error`
/// (`{"code", "message"}` or null) and `warnings` (``JobWarning``: `{"code", "message", "track"}`) always come first and always exist; the command's
/// report follows under its fixed keys (Sources/scrim/README.md, and a JSON Schema per command in
/// Sources/scrim/schemas). Paths are shown as ``SystemPath/display(_:)`` writes them.
public enum Envelope {
    /// An envelope around `report`.
    /// - Parameters:
    ///   - event: for `scrim batch`, the event name, written first.
    public static func make(command: String, input: String?, output: String?, status: JobStatus,
                            error: JSONValue? = nil, warnings: [JobWarning] = [], event: String? = nil,
                            report: [(String, JSONValue)] = []) -> JSONValue {
        var pairs: [(String, JSONValue)] = []
        if let event { pairs.append(("event", .string(event))) }
        pairs += [
            ("command", .string(command)),
            ("input", input.map { .string(SystemPath.display($0)) } ?? .null),
            ("output", output.map { .string(SystemPath.display($0)) } ?? .null),
            ("status", .string(status.rawValue)),
            ("error", error ?? .null),
            ("warnings", .array(warnings.map(\.json))),
        ]
        return .object(pairs + report)
    }

    /// `{"code", "message"}` for an error: the code of an ``AudioFileError`` or ``ScrimError``, else `error`.
    public static func error(_ error: any Error) -> JSONValue {
        if let fileError = error as? AudioFileError {
            return errorObject(code: fileError.code.name, message: fileError.description)
        }
        if let scrimError = error as? ScrimError {
            return errorObject(code: scrimError.code.name, message: scrimError.description)
        }
        return errorObject(code: "error", message: "\(error)")
    }

    /// `{"code", "message"}`.
    public static func errorObject(code: String, message: String) -> JSONValue {
        .object([("code", .string(code)), ("message", .string(message))])
    }

    /// The envelope of a failure: status `failed`, the error, nothing else.
    public static func failure(command: String, input: String?, output: String?, error: any Error,
                               event: String? = nil) -> JSONValue {
        make(command: command, input: input, output: output, status: .failed, error: Self.error(error), event: event)
    }
}

extension JSONValue {
    /// The object's pairs without `keys` (for reports whose paths now live in the envelope).
    public func removing(_ keys: Set<String>) -> [(String, JSONValue)] {
        guard case .object(let pairs) = self else { return [] }
        return pairs.filter { !keys.contains($0.0) }
    }
}
