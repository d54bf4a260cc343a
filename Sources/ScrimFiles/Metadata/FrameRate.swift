/// A picture frame rate as an exact fraction of frames per second (e.g. 24000/1001 for "23.976").
///
/// The fraction is kept in lowest terms, so `FrameRate(numerator: 48000, denominator: 2002)` equals
/// ``fps23_976``. Used to turn a BWF `TimeReference` (samples since midnight) into a ``Timecode``.
public struct FrameRate: Sendable, Hashable, CustomStringConvertible {
    /// Frames, in lowest terms with ``denominator``.
    public let numerator: Int
    /// Seconds, in lowest terms with ``numerator``.
    public let denominator: Int

    /// Largest numerator or denominator accepted, so timecode arithmetic cannot overflow.
    public static let maximumTerm = 1_000_000_000

    /// Creates a frame rate of `numerator / denominator` frames per second, reduced to lowest terms.
    ///
    /// - Parameters:
    ///   - numerator: frames; 1 ... ``maximumTerm``.
    ///   - denominator: seconds; 1 ... ``maximumTerm``.
    /// - Precondition: both terms are in range and the rate is 1 ... 1000 fps (use ``init(parsing:)`` for
    ///   text from files, which throws instead).
    public init(numerator: Int, denominator: Int) {
        precondition(
            (1...Self.maximumTerm).contains(numerator) && (1...Self.maximumTerm).contains(denominator)
                && numerator >= denominator && numerator <= 1000 * denominator,
            "FrameRate needs 1 ≤ numerator, denominator ≤ \(Self.maximumTerm) and 1 ≤ fps ≤ 1000; "
                + "got \(numerator)/\(denominator)"
        )
        let divisor = Self.greatestCommonDivisor(numerator, denominator)
        self.numerator = numerator / divisor
        self.denominator = denominator / divisor
    }

    /// Reads a frame rate written as a fraction ("24000/1001", "25/1", "25") or a decimal ("29.97", "23.976").
    ///
    /// Decimals within 0.01 fps of an NTSC-family rate n × 1000/1001 (n a whole number of frames) are taken
    /// as that exact fraction, so "23.976", "23.98" and "29.97" give 24000/1001 and 30000/1001; other
    /// decimals are taken exactly ("12.5" is 25/2). Leading and trailing white space is ignored.
    ///
    /// - Parameter text: the rate as written, e.g. iXML `SPEED/TIMECODE_RATE`.
    /// - Throws: ``MetadataError`` (`invalidValue`) if the text is not a rate between 1 and 1000 fps.
    public init(parsing text: String) throws(MetadataError) {
        let trimmed = Self.trimmingWhitespace(text)
        let failure = MetadataError(
            .invalidValue, "\"\(text)\" is not a frame rate between 1 and 1000 frames per second"
        )
        if let slash = trimmed.firstIndex(of: "/") {
            guard let top = Self.parseWholeNumber(trimmed[..<slash]),
                  let bottom = Self.parseWholeNumber(trimmed[trimmed.index(after: slash)...]),
                  top > 0, bottom > 0, top <= Self.maximumTerm, bottom <= Self.maximumTerm,
                  top >= bottom, top <= 1000 * bottom
            else { throw failure }
            self.init(numerator: top, denominator: bottom)
            return
        }
        guard let (digits, scale) = Self.parseDecimal(trimmed[...]) else { throw failure }
        // digits / 10^scale, with scale ≤ 6 and digits ≤ 10^9 (checked by parseDecimal).
        var powerOfTen = 1
        for _ in 0..<scale { powerOfTen *= 10 }
        guard digits >= powerOfTen, digits <= 1000 * powerOfTen else { throw failure }
        let value = Double(digits) / Double(powerOfTen)
        let nominal = Int(value.rounded())
        let ntsc = Double(nominal) * 1000 / 1001
        if value != Double(nominal), abs(value - ntsc) < 0.01 {
            self.init(numerator: nominal * 1000, denominator: 1001)
        } else {
            self.init(numerator: digits, denominator: powerOfTen)
        }
    }

    /// Frames per second as a floating-point number (23.976023… for 24000/1001).
    public var fps: Double { Double(numerator) / Double(denominator) }

    /// The whole number of frames per second that timecode counts with: 24 for 23.976, 30 for 29.97,
    /// 60 for 59.94; the rate itself for whole rates. Never less than 1.
    public var nominalFramesPerSecond: Int { max(1, Int(fps.rounded())) }

    /// True for the NTSC-family rates n × 1000/1001 (23.976, 29.97, 47.952, 59.94, …).
    public var isNTSCFractional: Bool { denominator == 1001 }

    /// "24000/1001", "25/1": the form iXML `TIMECODE_RATE` uses.
    public var description: String { "\(numerator)/\(denominator)" }

    public static let fps23_976 = FrameRate(numerator: 24000, denominator: 1001)
    public static let fps24 = FrameRate(numerator: 24, denominator: 1)
    public static let fps25 = FrameRate(numerator: 25, denominator: 1)
    public static let fps29_97 = FrameRate(numerator: 30000, denominator: 1001)
    public static let fps30 = FrameRate(numerator: 30, denominator: 1)
    public static let fps47_952 = FrameRate(numerator: 48000, denominator: 1001)
    public static let fps48 = FrameRate(numerator: 48, denominator: 1)
    public static let fps50 = FrameRate(numerator: 50, denominator: 1)
    public static let fps59_94 = FrameRate(numerator: 60000, denominator: 1001)
    public static let fps60 = FrameRate(numerator: 60, denominator: 1)

    // MARK: - Parsing helpers

    static func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }

    static func trimmingWhitespace(_ text: String) -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = text.firstIndex(where: { !isSpace($0) }),
              let last = text.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return text[first...last]
    }

    /// A run of 1 to 10 ASCII digits, no sign, as an Int (nil otherwise).
    static func parseWholeNumber(_ text: Substring) -> Int? {
        let trimmed = trimmingWhitespace(String(text))
        guard !trimmed.isEmpty, trimmed.utf8.count <= 10 else { return nil }
        var value = 0
        for byte in trimmed.utf8 {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    /// "29.97" → (2997, 2). At most 6 digits after the point and 10 digits in all.
    static func parseDecimal(_ text: Substring) -> (digits: Int, scale: Int)? {
        var digits = 0
        var digitCount = 0
        var scale = 0
        var seenPoint = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard !seenPoint else { return nil }
                seenPoint = true
                continue
            }
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            digitCount += 1
            if seenPoint { scale += 1 }
            guard digitCount <= 10, scale <= 6 else { return nil }
            digits = digits * 10 + Int(byte - 0x30)
        }
        guard digitCount > 0 else { return nil }
        return (digits, scale)
    }
}
