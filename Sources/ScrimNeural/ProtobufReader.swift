import ScrimCore

/// A minimal reader of the protocol buffers wire format: enough to walk an ONNX model, nothing more.
///
/// The format (https://protobuf.dev/programming-guides/encoding/) is a sequence of fields, each a varint key
/// `(field number << 3) | wire type` followed by a value whose size the wire type gives: 0 varint, 1 eight bytes,
/// 2 a varint length then that many bytes (strings, bytes, sub-messages, packed repeated scalars), 5 four bytes.
/// Groups (wire types 3 and 4, deprecated since proto2 and unused by ONNX) and the undefined types 6 and 7 are
/// refused. There is no schema here: the caller asks for the next field, looks at its number and decodes the value
/// as the type it expects, which throws when the wire type does not fit; fields it does not know it just skips.
///
/// Every read is bounds-checked against the message it belongs to: malformed input (a truncated varint, a length
/// past the end, a varint of more than ten bytes, field number 0) throws ``ScrimError`` with code
/// `.invalidDocument`, and never traps, because model files are user-supplied. Length-delimited values are slices
/// of the same storage (no copy) until decoded.
///
/// - Threading: a value type with a read position; copies are independent and may be used from any task.
public struct ProtobufReader: Sendable {
    /// The bytes of this message; indices are those of the underlying buffer.
    public let bytes: ArraySlice<UInt8>
    /// Index of the next unread byte.
    public private(set) var position: Int

    /// A reader over a whole buffer.
    public init(_ bytes: [UInt8]) {
        self.init(bytes[...])
    }

    /// A reader over one message inside a larger buffer (for example a length-delimited field's value).
    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    /// True when every byte of the message has been read.
    public var isAtEnd: Bool { position >= bytes.endIndex }

    /// Reads the next field's key and value, or returns nil at the end of the message.
    /// - Throws: ``ScrimError`` (`.invalidDocument`) for a truncated or malformed field.
    public mutating func nextField() throws(ScrimError) -> ProtobufField? {
        if isAtEnd { return nil }
        let keyOffset = position
        let key = try readVarint()
        let number = key >> 3
        guard number >= 1, number <= ProtobufField.maximumNumber else {
            throw Self.malformed("field number \(number) out of range", at: keyOffset)
        }
        let fieldNumber = Int(number)
        switch key & 7 {
        case 0:
            return ProtobufField(number: fieldNumber, value: .varint(try readVarint()))
        case 1:
            return ProtobufField(number: fieldNumber, value: .fixed64(try readFixed64()))
        case 2:
            let lengthOffset = position
            let length = try readVarint()
            guard length <= UInt64(bytes.endIndex - position) else {
                throw Self.malformed(
                    "length \(length) runs past the end of the message (\(bytes.endIndex - position) bytes left)",
                    at: lengthOffset)
            }
            let end = position + Int(length)
            let value = bytes[position..<end]
            position = end
            return ProtobufField(number: fieldNumber, value: .lengthDelimited(value))
        case 5:
            return ProtobufField(number: fieldNumber, value: .fixed32(try readFixed32()))
        case 3, 4:
            throw Self.malformed("field \(fieldNumber) uses a group (wire type \(key & 7)), which is not supported",
                                 at: keyOffset)
        default:
            throw Self.malformed("field \(fieldNumber) has the undefined wire type \(key & 7)", at: keyOffset)
        }
    }

    /// Reads a base-128 varint (at most ten bytes, the tenth holding only the top bit of 64).
    /// - Throws: ``ScrimError`` (`.invalidDocument`) when the varint is truncated or longer than 64 bits.
    public mutating func readVarint() throws(ScrimError) -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.endIndex else { throw Self.malformed("truncated varint", at: start) }
            let byte = bytes[position]
            position += 1
            if shift == 63 && byte > 1 { throw Self.malformed("varint longer than 64 bits", at: start) }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// Reads four little-endian bytes.
    /// - Throws: ``ScrimError`` (`.invalidDocument`) when fewer than four bytes are left.
    public mutating func readFixed32() throws(ScrimError) -> UInt32 {
        guard bytes.endIndex - position >= 4 else { throw Self.malformed("truncated 32-bit value", at: position) }
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(bytes[position + i]) << (8 * UInt32(i)) }
        position += 4
        return value
    }

    /// Reads eight little-endian bytes.
    /// - Throws: ``ScrimError`` (`.invalidDocument`) when fewer than eight bytes are left.
    public mutating func readFixed64() throws(ScrimError) -> UInt64 {
        guard bytes.endIndex - position >= 8 else { throw Self.malformed("truncated 64-bit value", at: position) }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += 8
        return value
    }

    static func malformed(_ what: String, at offset: Int) -> ScrimError {
        ScrimError(.invalidDocument, "malformed protobuf: \(what) at byte \(offset)")
    }
}

/// One field of a protobuf message: its number and its undecoded value.
///
/// The accessors decode the value as a particular protobuf type and throw ``ScrimError`` (`.invalidDocument`) when
/// the wire type does not fit that type, so a file that puts, say, a varint where a string belongs is refused with
/// the field named rather than misread.
public struct ProtobufField: Sendable {
    /// The largest field number protobuf allows, 2^29 − 1.
    public static let maximumNumber: UInt64 = (1 << 29) - 1

    /// A field's value as it was on the wire.
    public enum Value: Sendable {
        /// Wire type 0.
        case varint(UInt64)
        /// Wire type 1, little-endian.
        case fixed64(UInt64)
        /// Wire type 2: the bytes (a slice of the message's storage).
        case lengthDelimited(ArraySlice<UInt8>)
        /// Wire type 5, little-endian.
        case fixed32(UInt32)

        var wireTypeName: String {
            switch self {
            case .varint: "varint"
            case .fixed64: "64-bit"
            case .lengthDelimited: "length-delimited"
            case .fixed32: "32-bit"
            }
        }
    }

    /// The field number (1 … 2^29 − 1).
    public let number: Int
    /// The value.
    public let value: Value

    public init(number: Int, value: Value) {
        self.number = number
        self.value = value
    }

    private func wrongType(_ expected: String) -> ScrimError {
        ScrimError(.invalidDocument,
                   "malformed protobuf: field \(number) is \(value.wireTypeName) where \(expected) was expected")
    }

    /// The value as an unsigned varint (`uint64`, `uint32`, `bool`, `enum`).
    public func uint64() throws(ScrimError) -> UInt64 {
        guard case .varint(let v) = value else { throw wrongType("a varint") }
        return v
    }

    /// The value as `int64` (a varint, two's complement: negative numbers take ten bytes).
    public func int64() throws(ScrimError) -> Int64 {
        Int64(bitPattern: try uint64())
    }

    /// The value as `int32`: a varint whose low 32 bits are the number (negative ones are sign-extended to 64).
    /// - Throws: also when the varint does not hold a 32-bit value.
    public func int32() throws(ScrimError) -> Int32 {
        let wide = try int64()
        guard let narrow = Int32(exactly: wide) else {
            throw ScrimError(.invalidDocument, "malformed protobuf: field \(number) holds \(wide), not an int32")
        }
        return narrow
    }

    /// The value as `float` (wire type 5, IEEE 754 single precision).
    public func float() throws(ScrimError) -> Float {
        guard case .fixed32(let bits) = value else { throw wrongType("a 32-bit float") }
        return Float(bitPattern: bits)
    }

    /// The value as `bytes` or an embedded message: a slice of the message's storage.
    public func bytes() throws(ScrimError) -> ArraySlice<UInt8> {
        guard case .lengthDelimited(let slice) = value else { throw wrongType("a length-delimited value") }
        return slice
    }

    /// The value as a `string`; invalid UTF-8 is replaced (ONNX names are ASCII in practice).
    public func string() throws(ScrimError) -> String {
        String(decoding: try bytes(), as: UTF8.self)
    }

    /// A reader over the embedded message this field holds.
    public func message() throws(ScrimError) -> ProtobufReader {
        ProtobufReader(try bytes())
    }

    /// Appends a repeated `int64` field's values: one varint, or a packed run of them.
    public func appendInt64s(to values: inout [Int64]) throws(ScrimError) {
        switch value {
        case .varint(let v):
            values.append(Int64(bitPattern: v))
        case .lengthDelimited(let slice):
            var reader = ProtobufReader(slice)
            while !reader.isAtEnd { values.append(Int64(bitPattern: try reader.readVarint())) }
        default:
            throw wrongType("an int64 or a packed run of them")
        }
    }

    /// Appends a repeated `int32` field's values: one varint, or a packed run of them.
    public func appendInt32s(to values: inout [Int32]) throws(ScrimError) {
        var wide: [Int64] = []
        try appendInt64s(to: &wide)
        for v in wide {
            guard let narrow = Int32(exactly: v) else {
                throw ScrimError(.invalidDocument, "malformed protobuf: field \(number) holds \(v), not an int32")
            }
            values.append(narrow)
        }
    }

    /// Appends a repeated `float` field's values: one 32-bit value, or a packed run of them.
    public func appendFloats(to values: inout [Float]) throws(ScrimError) {
        switch value {
        case .fixed32(let bits):
            values.append(Float(bitPattern: bits))
        case .lengthDelimited(let slice):
            guard slice.count % 4 == 0 else {
                throw ScrimError(.invalidDocument,
                                 "malformed protobuf: packed floats in field \(number) take \(slice.count) bytes, "
                                     + "not a multiple of 4")
            }
            values.reserveCapacity(values.count + slice.count / 4)
            appendLittleEndianFloats(slice, to: &values)
        default:
            throw wrongType("a float or a packed run of them")
        }
    }
}

/// Appends `bytes.count / 4` little-endian IEEE 754 singles (any trailing bytes are ignored; callers check).
func appendLittleEndianFloats(_ bytes: ArraySlice<UInt8>, to values: inout [Float]) {
    var i = bytes.startIndex
    while bytes.endIndex - i >= 4 {
        let bits = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16
            | UInt32(bytes[i + 3]) << 24
        values.append(Float(bitPattern: bits))
        i += 4
    }
}

/// Appends `bytes.count / 8` little-endian two's-complement 64-bit integers (trailing bytes are ignored).
func appendLittleEndianInt64s(_ bytes: ArraySlice<UInt8>, to values: inout [Int64]) {
    var i = bytes.startIndex
    while bytes.endIndex - i >= 8 {
        var bits: UInt64 = 0
        for k in 0..<8 { bits |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
        values.append(Int64(bitPattern: bits))
        i += 8
    }
}
