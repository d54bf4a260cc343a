/// An error from Scrim's DSP or pipeline layers.
///
/// The ``Code`` is a growable set of kinds (new kinds are added as static members, so switching over it
/// is not exhaustive); ``message`` says in plain words what is wrong and, for configuration errors, how to
/// fix it; ``underlying`` carries a lower layer's message where there is one.
public struct ScrimError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of error this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A setting or spec is out of range; thrown from `prepare` or from option parsing.
        public static let configuration = Code("configuration")
        /// Input data cannot be used (wrong channel count, empty, non-finite where that is fatal).
        public static let invalidInput = Code("invalidInput")
        /// A call came in the wrong order (e.g. `process` before `prepare`).
        public static let invalidState = Code("invalidState")
        /// A preset or profile file could not be read or decoded.
        public static let invalidDocument = Code("invalidDocument")
        /// The operation was cancelled.
        public static let cancelled = Code("cancelled")
    }

    public var code: Code
    public var message: String
    public var underlying: String?

    public init(_ code: Code, _ message: String, underlying: String? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        if let underlying { return "\(message) (\(underlying))" }
        return message
    }
}
