import ScrimCore

/// The Broadcast Wave `bext` chunk (EBU Tech 3285 version 2, 2011): description, originator, origination
/// date and time, the `TimeReference` that places the file on the time-of-day line, the UMID, the EBU R 128
/// loudness figures and the coding history.
///
/// Layout of the chunk data (all integers little-endian; text fields ASCII, NUL-padded):
///
/// | offset | bytes | field |
/// |---|---|---|
/// | 0 | 256 | Description |
/// | 256 | 32 | Originator |
/// | 288 | 32 | OriginatorReference |
/// | 320 | 10 | OriginationDate, "yyyy-mm-dd" |
/// | 330 | 8 | OriginationTime, "hh:mm:ss" |
/// | 338 | 4 + 4 | TimeReference, low then high 32 bits: sample frames since midnight |
/// | 346 | 2 | Version |
/// | 348 | 64 | UMID (SMPTE ST 330), version ≥ 1 |
/// | 412 | 5 × 2 | LoudnessValue, LoudnessRange, MaxTruePeakLevel, MaxMomentaryLoudness, MaxShortTermLoudness |
/// | 422 | 180 | Reserved (zero) |
/// | 602 | rest | CodingHistory: ASCII lines, each ended by CR LF |
///
/// Every version (0, 1, 2) has the same 602-byte fixed part; earlier versions only reserved the bytes that
/// later versions use. The value is immutable; ``rawBytes`` keeps the chunk exactly as read so it can pass
/// through a file untouched, and ``appendingCodingHistory(_:)`` changes nothing but the history.
public struct BroadcastExtension: Sendable, Equatable {
    /// Size in bytes of the fixed part that precedes the coding history (Tech 3285: 256 + 32 + 32 + 10 + 8 +
    /// 4 + 4 + 2 + 64 + 10 + 180).
    public static let fixedPartByteCount = 602

    /// The loudness value that means "not being used" (Tech 3285 v2, p. 13: "If any of the loudness parameters
    /// are not being used then their 16-bit integer values shall be set to 7FFFh, which is a value outside the
    /// range of the parameter values").
    public static let loudnessNotSet: Int16 = 0x7FFF

    /// Free description, up to 256 bytes.
    public let description: String
    /// Name of the originator or producer (recorder model, software), up to 32 bytes.
    public let originator: String
    /// Unambiguous reference allocated by the originating organisation (EBU R 99 USID), up to 32 bytes.
    public let originatorReference: String
    /// Date of creation as written, normally "yyyy-mm-dd" (10 bytes).
    public let originationDate: String
    /// Time of creation as written, normally "hh:mm:ss" (8 bytes).
    public let originationTime: String
    /// Sample frames since midnight (local time of day) at the first sample of the file.
    public let timeReference: UInt64
    /// BWF version: 0, 1 (adds the UMID) or 2 (adds loudness).
    public let version: UInt16
    /// The 64-byte UMID field (SMPTE ST 330; a basic UMID uses the first 32 bytes, the rest zero).
    public let umid: [UInt8]
    /// Integrated loudness in LUFS; nil if the version is below 2 or the field holds 0x7FFF (not set).
    public let loudnessValue: LUFS?
    /// Loudness range in LU (EBU Tech 3342); nil if below version 2 or not set.
    public let loudnessRange: LoudnessUnits?
    /// Maximum true-peak level in dBTP; nil if below version 2 or not set.
    public let maxTruePeakLevel: DecibelsTruePeak?
    /// Highest momentary loudness (400 ms) in LUFS; nil if below version 2 or not set.
    public let maxMomentaryLoudness: LUFS?
    /// Highest short-term loudness (3 s) in LUFS; nil if below version 2 or not set.
    public let maxShortTermLoudness: LUFS?
    /// The 180 reserved bytes as read (zero in a conforming file).
    public let reserved: [UInt8]
    /// The coding history: lines ended by CR LF, cut at the first NUL (padding is not part of it).
    public let codingHistory: String
    /// The chunk data exactly as read (without the 8-byte chunk header or RIFF pad byte), for byte-identical
    /// passthrough.
    public let rawBytes: [UInt8]

    /// Reads a `bext` chunk.
    ///
    /// Text fields end at their first NUL byte; bytes that are not valid UTF-8 (the spec says ASCII, some
    /// writers use Latin-1) become U+FFFD rather than failing. Chunks of any size from 602 bytes up, even or
    /// odd, are accepted; the RIFF pad byte after an odd chunk is not part of `chunkData`.
    ///
    /// - Parameter chunkData: the chunk's data bytes (the `ckSize` bytes after the chunk header).
    /// - Throws: ``MetadataError`` (`truncatedChunk`) if the data is shorter than the 602-byte fixed part,
    ///   which every version of Tech 3285 requires.
    public init(chunkData: [UInt8]) throws(MetadataError) {
        guard chunkData.count >= Self.fixedPartByteCount else {
            throw MetadataError(
                .truncatedChunk,
                "The bext chunk holds \(chunkData.count) bytes; EBU Tech 3285 needs at least "
                    + "\(Self.fixedPartByteCount) (its fixed fields) before the coding history"
            )
        }
        let bytes = chunkData
        func text(_ offset: Int, _ length: Int) -> String {
            Self.decodeText(bytes[offset..<(offset + length)])
        }
        func uint16(_ offset: Int) -> UInt16 { UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8 }
        func uint32(_ offset: Int) -> UInt32 {
            (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
        }
        description = text(0, 256)
        originator = text(256, 32)
        originatorReference = text(288, 32)
        originationDate = text(320, 10)
        originationTime = text(330, 8)
        timeReference = UInt64(uint32(338)) | UInt64(uint32(342)) << 32
        let version = uint16(346)
        self.version = version
        umid = Array(bytes[348..<412])
        func loudness(_ offset: Int) -> Double? {
            let raw = Int16(bitPattern: uint16(offset))
            guard version >= 2, raw != BroadcastExtension.loudnessNotSet else { return nil }
            return Double(raw) / 100  // stored as round(100 × value)
        }
        loudnessValue = loudness(412)
        loudnessRange = loudness(414)
        maxTruePeakLevel = loudness(416)
        maxMomentaryLoudness = loudness(418)
        maxShortTermLoudness = loudness(420)
        reserved = Array(bytes[422..<602])
        codingHistory = Self.decodeText(bytes[602...])
        rawBytes = bytes
    }

    /// Builds a new `bext` chunk from its fields (for writing a fresh file, tests and sample generation).
    ///
    /// Text is written as UTF-8 (plain ASCII in the spec's sense when you pass ASCII) and NUL-padded to its
    /// field's size; a field that fills its size exactly has no NUL, as the spec allows. Loudness figures
    /// are stored as round(100 × value); nil is stored as 0x7FFF ("not being used"). Below version 2 the
    /// loudness bytes are reserved and written as zero, and below version 1 so is the UMID.
    ///
    /// - Parameters:
    ///   - description: up to 256 bytes.
    ///   - originator: up to 32 bytes.
    ///   - originatorReference: up to 32 bytes.
    ///   - originationDate: up to 10 bytes, "yyyy-mm-dd".
    ///   - originationTime: up to 8 bytes, "hh:mm:ss".
    ///   - timeReference: sample frames since midnight.
    ///   - version: 0, 1 or 2 (default 2).
    ///   - umid: empty (all zero) or up to 64 bytes, zero-padded to 64.
    ///   - loudnessValue, loudnessRange, maxTruePeakLevel, maxMomentaryLoudness, maxShortTermLoudness: LUFS,
    ///     LU, dBTP, LUFS, LUFS; each in −327.68 … 327.66 or nil.
    ///   - codingHistory: lines each ended by CR LF (see
    ///     ``codingHistoryLine(sampleRate:bitsPerSample:channelCount:software:)``).
    /// - Throws: ``MetadataError`` (`invalidValue`) if a text field is longer than its size, the UMID is over
    ///   64 bytes, a loudness value is out of range or not finite, or loudness is given with a version below 2.
    public init(
        description: String = "",
        originator: String = "",
        originatorReference: String = "",
        originationDate: String = "",
        originationTime: String = "",
        timeReference: UInt64 = 0,
        version: UInt16 = 2,
        umid: [UInt8] = [],
        loudnessValue: LUFS? = nil,
        loudnessRange: LoudnessUnits? = nil,
        maxTruePeakLevel: DecibelsTruePeak? = nil,
        maxMomentaryLoudness: LUFS? = nil,
        maxShortTermLoudness: LUFS? = nil,
        codingHistory: String = ""
    ) throws(MetadataError) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.fixedPartByteCount + codingHistory.utf8.count)
        func appendText(_ value: String, _ size: Int, _ name: String) throws(MetadataError) {
            let utf8 = Array(value.utf8)
            guard utf8.count <= size else {
                throw MetadataError(.invalidValue, "bext \(name) is \(utf8.count) bytes; the field holds \(size)")
            }
            bytes += utf8
            bytes += [UInt8](repeating: 0, count: size - utf8.count)
        }
        func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
        }
        try appendText(description, 256, "Description")
        try appendText(originator, 32, "Originator")
        try appendText(originatorReference, 32, "OriginatorReference")
        try appendText(originationDate, 10, "OriginationDate")
        try appendText(originationTime, 8, "OriginationTime")
        appendLittleEndian(UInt32(truncatingIfNeeded: timeReference))
        appendLittleEndian(UInt32(truncatingIfNeeded: timeReference >> 32))
        appendLittleEndian(version)
        guard umid.count <= 64 else {
            throw MetadataError(.invalidValue, "The UMID is \(umid.count) bytes; the bext field holds 64")
        }
        bytes += version >= 1 ? umid + [UInt8](repeating: 0, count: 64 - umid.count) : [UInt8](repeating: 0, count: 64)
        let loudness: [(Double?, String)] = [
            (loudnessValue, "LoudnessValue"), (loudnessRange, "LoudnessRange"),
            (maxTruePeakLevel, "MaxTruePeakLevel"), (maxMomentaryLoudness, "MaxMomentaryLoudness"),
            (maxShortTermLoudness, "MaxShortTermLoudness"),
        ]
        for (value, name) in loudness {
            guard version >= 2 else {
                if value != nil {
                    throw MetadataError(.invalidValue, "bext \(name) needs version 2 or later; version is \(version)")
                }
                appendLittleEndian(Int16(0))
                continue
            }
            guard let value else {
                appendLittleEndian(Self.loudnessNotSet)
                continue
            }
            let hundredths = (value * 100).rounded()
            // 0x7FFF (327.67) is the "not set" marker, so the largest storable value is 327.66.
            guard hundredths.isFinite, hundredths >= Double(Int16.min), hundredths < Double(Self.loudnessNotSet) else {
                throw MetadataError(.invalidValue, "bext \(name) \(value) is outside −327.68 … 327.66")
            }
            appendLittleEndian(Int16(hundredths))
        }
        bytes += [UInt8](repeating: 0, count: 180)
        bytes += Array(codingHistory.utf8)
        try self.init(chunkData: bytes)
    }

    /// The chunk data encoded from the fields: text NUL-padded, loudness as round(100 × value) or 0x7FFF,
    /// ``reserved`` as read, then the coding history with no padding.
    ///
    /// For a value built with the field initializer this equals ``rawBytes``; for a chunk read from a file it
    /// can differ where the file had bytes after a field's NUL, loudness bytes below version 2, or padding
    /// after the coding history. Use ``rawBytes`` for passthrough.
    public func serialized() -> [UInt8] {
        var bytes = Array(rawBytes[0..<Self.fixedPartByteCount])
        func put(_ value: String, at offset: Int, size: Int) {
            let utf8 = Array(value.utf8.prefix(size))
            for index in 0..<size { bytes[offset + index] = index < utf8.count ? utf8[index] : 0 }
        }
        put(description, at: 0, size: 256)
        put(originator, at: 256, size: 32)
        put(originatorReference, at: 288, size: 32)
        put(originationDate, at: 320, size: 10)
        put(originationTime, at: 330, size: 8)
        let loudness = [loudnessValue, loudnessRange, maxTruePeakLevel, maxMomentaryLoudness, maxShortTermLoudness]
        for (index, value) in loudness.enumerated() {
            let raw: Int16 = version < 2 ? 0 : value.map { Int16(($0 * 100).rounded()) } ?? Self.loudnessNotSet
            let bits = UInt16(bitPattern: raw)
            bytes[412 + 2 * index] = UInt8(truncatingIfNeeded: bits)
            bytes[413 + 2 * index] = UInt8(truncatingIfNeeded: bits >> 8)
        }
        return bytes + Array(codingHistory.utf8)
    }

    /// The chunk data with one line added to the coding history, and nothing else changed.
    ///
    /// The history is first cut at its first NUL (NUL padding, and anything after it, is not part of the
    /// history); if it is not empty and does not already end in a line break, CR LF is added (just LF after
    /// a lone CR; a history ending in a bare LF is left as it is). Then `line` and CR LF are appended.
    /// CR, LF and NUL inside `line` would break the line structure and are replaced by spaces; a trailing
    /// CR LF on `line` is dropped rather than doubled.
    ///
    /// - Parameter line: one coding-history line, without its CR LF, e.g. from
    ///   ``codingHistoryLine(sampleRate:bitsPerSample:channelCount:software:)``.
    /// - Returns: new chunk data; the caller writes it with a new chunk size (and a pad byte if odd).
    public func appendingCodingHistory(_ line: String) -> [UInt8] {
        let fixedPart = rawBytes[0..<Self.fixedPartByteCount]
        var history = Array(rawBytes[Self.fixedPartByteCount...])
        if let firstNUL = history.firstIndex(of: 0) { history.removeSubrange(firstNUL...) }
        let carriageReturn = UInt8(ascii: "\r")
        let lineFeed = UInt8(ascii: "\n")
        switch history.last {
        case nil, lineFeed?: break
        case carriageReturn?: history.append(lineFeed)
        default: history += [carriageReturn, lineFeed]
        }
        var newLine = Array(line.utf8)
        while let last = newLine.last, last == carriageReturn || last == lineFeed { newLine.removeLast() }
        for index in newLine.indices where [carriageReturn, lineFeed, 0].contains(newLine[index]) {
            newLine[index] = UInt8(ascii: " ")
        }
        return Array(fixedPart) + history + newLine + [carriageReturn, lineFeed]
    }

    /// A coding-history line in the EBU R 98 format, e.g. "A=PCM,F=48000,W=24,M=mono,T=Scrim 0.1.0".
    ///
    /// R 98 defines the fields A= (coding algorithm), F= (sampling frequency, Hz), W= (word length, bits),
    /// M= (mode: mono, stereo, dual-mono, joint-stereo) and T= (free text, which "should contain no
    /// commas"). R 98 has no mode for more than two channels; for those this writes "M=<n>chn" (e.g.
    /// "M=8chn"), the form libsndfile uses when it generates a line, so the channel count is not lost.
    /// Commas in `software` become semicolons and CR, LF or NUL become spaces.
    ///
    /// - Parameters:
    ///   - sampleRate: in Hz (> 0).
    ///   - bitsPerSample: word length of the stored samples (> 0), e.g. 24, or 32 for float.
    ///   - channelCount: channels in the file (> 0).
    ///   - software: the T= text, e.g. "Scrim 0.1.0 denoise".
    /// - Returns: the line without its CR LF.
    /// - Precondition: sampleRate, bitsPerSample and channelCount are > 0.
    public static func codingHistoryLine(
        sampleRate: Int, bitsPerSample: Int, channelCount: Int, software: String
    ) -> String {
        precondition(
            sampleRate > 0 && bitsPerSample > 0 && channelCount > 0,
            "codingHistoryLine needs positive values; got sampleRate \(sampleRate), "
                + "bitsPerSample \(bitsPerSample), channelCount \(channelCount)"
        )
        let mode: String
        switch channelCount {
        case 1: mode = "mono"
        case 2: mode = "stereo"
        default: mode = "\(channelCount)chn"
        }
        var text = ""
        for character in software {
            switch character {
            case ",": text.append(";")
            case "\r", "\n", "\r\n", "\0": text.append(" ")
            default: text.append(character)
            }
        }
        return "A=PCM,F=\(sampleRate),W=\(bitsPerSample),M=\(mode),T=\(text)"
    }

    /// Bytes up to the first NUL, decoded as UTF-8 with invalid sequences replaced (never fails).
    static func decodeText(_ bytes: ArraySlice<UInt8>) -> String {
        let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
        return String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
    }
}
