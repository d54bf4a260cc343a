#if canImport(Glibc)
import Glibc
#endif

/// File names on Linux are bytes; Swift strings are Unicode. Scrim carries every path as a `String` in which each
/// byte that is not part of valid UTF-8 is stored as the scalar U+10FF00 + byte (the last 256 code points of
/// Supplementary Private Use Area-B), so that any name a file system holds round-trips exactly: a take named
/// `take\xE9.wav` (Latin-1 from an old recorder) is found, read, written beside and reported.
///
/// A valid UTF-8 name that itself contains one of those 256 code points has each of its four bytes escaped in the
/// same way, so decoding then encoding always gives the original bytes. Strings made by a program (not from the
/// file system) never contain them and pass through unchanged.
///
/// Every system call Scrim makes with a user's path goes through ``withCString(_:_:)``; every path shown to a person
/// or written to JSON goes through ``display(_:)``, which writes an escaped byte as `\xNN`.
public enum SystemPath {
    /// The first of the 256 scalars standing for raw bytes.
    static let escapeBase: UInt32 = 0x10_FF00

    /// The path for a C string from the system (argv, readdir).
    public static func string(fromCString pointer: UnsafePointer<CChar>) -> String {
        let length = strlen(pointer)
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
            string(fromBytes: UnsafeBufferPointer(start: bytes, count: length))
        }
    }

    /// The path for a name's bytes, escaping what is not UTF-8 (see the type's documentation).
    public static func string<Bytes: Collection>(fromBytes bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let array = Array(bytes)
        var scalars = String.UnicodeScalarView()
        var index = 0
        while index < array.count {
            if let (scalar, length) = decodeScalar(array, at: index),
               scalar.value < escapeBase || scalar.value > escapeBase + 0xFF {
                scalars.append(scalar)
                index += length
            } else if let (_, length) = decodeScalar(array, at: index) {
                // A real U+10FFxx in the name: escape its bytes so the string stays unambiguous.
                for offset in 0..<length { scalars.append(escapeScalar(array[index + offset])) }
                index += length
            } else {
                scalars.append(escapeScalar(array[index]))
                index += 1
            }
        }
        return String(scalars)
    }

    /// The bytes a path stands for (without a terminating NUL).
    public static func bytes(_ path: String) -> [UInt8] {
        guard needsUnescaping(path) else { return Array(path.utf8) }
        var result: [UInt8] = []
        for scalar in path.unicodeScalars {
            if scalar.value >= escapeBase && scalar.value <= escapeBase + 0xFF {
                result.append(UInt8(truncatingIfNeeded: scalar.value - escapeBase))
            } else {
                result.append(contentsOf: String(scalar).utf8)
            }
        }
        return result
    }

    /// The number of bytes the path takes in the file system.
    public static func byteCount(_ path: String) -> Int {
        needsUnescaping(path) ? bytes(path).count : path.utf8.count
    }

    /// Calls `body` with the path as the NUL-terminated bytes the system expects.
    public static func withCString<R>(_ path: String, _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        guard needsUnescaping(path) else { return try path.withCString(body) }
        var raw = bytes(path).map { CChar(bitPattern: $0) }
        raw.append(0)
        return try raw.withUnsafeBufferPointer { buffer in
            // A buffer made from a non-empty array always has a base address.
            guard let base = buffer.baseAddress else { return try "".withCString(body) }
            return try body(base)
        }
    }

    /// The path for people and JSON: escaped bytes written as `\xNN`; everything else as it is.
    public static func display(_ path: String) -> String {
        guard needsUnescaping(path) else { return path }
        var text = ""
        for scalar in path.unicodeScalars {
            if scalar.value >= escapeBase && scalar.value <= escapeBase + 0xFF {
                let byte = scalar.value - escapeBase
                text += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
        return text
    }

    /// Whether the string holds escaped bytes.
    public static func needsUnescaping(_ path: String) -> Bool {
        // U+10FF00…U+10FFFF is encoded in UTF-8 as F4 8F BC 80 … F4 8F BF BF.
        var utf8 = path.utf8.makeIterator()
        while let byte = utf8.next() {
            if byte == 0xF4, utf8.next() == 0x8F, let third = utf8.next(), third >= 0xBC { return true }
        }
        return false
    }

    /// Command-line arguments as paths (argv is bytes too): `CommandLine.arguments` would replace what is not
    /// UTF-8 by U+FFFD, and the file could then never be opened.
    public static var arguments: [String] {
        (0..<Int(CommandLine.argc)).compactMap { index in
            CommandLine.unsafeArgv[index].map { string(fromCString: $0) }
        }
    }

    private static func escapeScalar(_ byte: UInt8) -> Unicode.Scalar {
        // escapeBase + 0…255 is a valid scalar (below U+10FFFF, not a surrogate).
        Unicode.Scalar(escapeBase + UInt32(byte)) ?? "?"
    }

    /// Decodes one well-formed UTF-8 scalar at `index` (RFC 3629: no overlong forms, no surrogates, ≤ U+10FFFF).
    private static func decodeScalar(_ bytes: [UInt8], at index: Int) -> (Unicode.Scalar, Int)? {
        let lead = bytes[index]
        let length: Int
        let minimum: UInt32
        var value: UInt32
        switch lead {
        case 0x00...0x7F: return (Unicode.Scalar(lead), 1)
        case 0xC2...0xDF: length = 2; minimum = 0x80; value = UInt32(lead & 0x1F)
        case 0xE0...0xEF: length = 3; minimum = 0x800; value = UInt32(lead & 0x0F)
        case 0xF0...0xF4: length = 4; minimum = 0x1_0000; value = UInt32(lead & 0x07)
        default: return nil
        }
        guard index + length <= bytes.count else { return nil }
        for offset in 1..<length {
            let byte = bytes[index + offset]
            guard byte & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }
}
