import Foundation
import Scrim

// Shared machinery of the C API: status codes, the per-thread last error, strings handed to C.

/// Mirrors `scrim_status` in include/scrim.h.
enum CStatus: Int32 {
    case ok = 0
    case invalidArgument = 1
    case unknownPreset = 2
    case configuration = 3
    case file = 4
    case unsupported = 5
    case `internal` = 6
    case model = 7
}

/// An error raised inside a C entry point, carrying the status to return.
struct CAPIError: Error {
    var status: CStatus
    var message: String
}

/// The calling thread's last error message, kept as a NUL-terminated C string owned by the thread.
/// `scrim_last_error` returns a pointer into it, valid until the thread's next Scrim call (documented).
final class LastError {
    private var storage: UnsafeMutablePointer<CChar>?

    func set(_ message: String) {
        free(storage)
        storage = strdup(message)
    }

    func clear() { set("") }

    var pointer: UnsafePointer<CChar>? { storage.map { UnsafePointer($0) } }

    deinit { free(storage) }
}

/// One `LastError` per thread (thread-local storage through Foundation's thread dictionary).
func lastError() -> LastError {
    let key = "org.scrim.capi.lastError"
    let dictionary = Thread.current.threadDictionary
    if let existing = dictionary[key] as? LastError { return existing }
    let created = LastError()
    created.clear()
    dictionary[key] = created
    return created
}

/// Runs a C entry point's body: clears the thread's last error, maps thrown errors to a status and a message.
func entryPoint(_ body: () throws -> Void) -> Int32 {
    let last = lastError()
    last.clear()
    do {
        try body()
        return CStatus.ok.rawValue
    } catch let failure as CAPIError {
        last.set(failure.message)
        return failure.status.rawValue
    } catch let failure as AudioFileError {
        last.set(failure.description)
        return CStatus.file.rawValue
    } catch let failure as ScrimError {
        last.set(failure.description)
        switch failure.code {
        case .configuration, .invalidDocument: return CStatus.configuration.rawValue
        case .invalidInput: return CStatus.invalidArgument.rawValue
        case .modelNotFound: return CStatus.model.rawValue
        default: return CStatus.internal.rawValue
        }
    } catch {
        last.set("\(error)")
        return CStatus.internal.rawValue
    }
}

/// Copies a Swift string to a malloc'd C string for an out parameter (freed by `scrim_string_free`).
func handOut(_ text: String, to out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) {
    guard let out else { return }
    out.pointee = strdup(text)
}

/// Reads a required C string argument.
func requireString(_ pointer: UnsafePointer<CChar>?, _ name: String) throws -> String {
    guard let pointer else { throw CAPIError(status: .invalidArgument, message: "\(name) is NULL") }
    // Paths are bytes: a name that is not UTF-8 is kept exactly (SystemPath).
    return SystemPath.string(fromCString: pointer)
}
