/// An error from reading or building file metadata (`bext`, iXML, timecode and frame-rate text).
///
/// The ``Code`` is a growable set of kinds (new kinds are added as static members, so switching over it
/// is not exhaustive); ``message`` says in plain words what is wrong with the data; ``byteOffset`` points
/// into the chunk where the problem was found, when there is one place to point at.
public struct MetadataError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of metadata error this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A chunk is shorter than its fixed layout requires.
        public static let truncatedChunk = Code("truncatedChunk")
        /// A chunk that should hold XML does not hold well-formed XML.
        public static let malformedXML = Code("malformedXML")
        /// Well-formed XML whose content is not what the format expects (e.g. the wrong root element).
        public static let unexpectedContent = Code("unexpectedContent")
        /// A single value (a frame rate, a field for a new chunk) is out of range or cannot be read.
        public static let invalidValue = Code("invalidValue")
    }

    public var code: Code
    public var message: String
    /// Offset in bytes into the chunk data where the problem was found, if it has one place.
    public var byteOffset: Int?

    public init(_ code: Code, _ message: String, byteOffset: Int? = nil) {
        self.code = code
        self.message = message
        self.byteOffset = byteOffset
    }

    public var description: String {
        if let byteOffset { return "\(message) (at byte \(byteOffset))" }
        return message
    }
}
