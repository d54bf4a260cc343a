/// One `TRACK` of an iXML `TRACK_LIST`: how a recorder labelled one channel of the file.
public struct IXMLTrack: Sendable, Equatable {
    /// `CHANNEL_INDEX`: the recorder's track (input) number, 1-based.
    public let channelIndex: Int?
    /// `INTERLEAVE_INDEX`: the channel's position in this file, 1-based.
    public let interleaveIndex: Int?
    /// `NAME`: the track's name, e.g. "Boom" or "Lav 1".
    public let name: String?
    /// `FUNCTION`: a role from the iXML function dictionary, e.g. "LEFT", "M-MID_SIDE", "L-MIX".
    public let function: String?

    public init(channelIndex: Int? = nil, interleaveIndex: Int? = nil, name: String? = nil, function: String? = nil) {
        self.channelIndex = channelIndex
        self.interleaveIndex = interleaveIndex
        self.name = name
        self.function = function
    }
}

/// The production fields of an iXML chunk (iXML specification v2.x, root element `BWFXML`): project, scene,
/// take, tape (sound roll), note, circled, the timecode rate and drop-frame flag, and the track names.
///
/// All iXML parameters are optional ("Readers must not assume that any particular parameters exist"), so
/// every field is optional; a value that is present but empty or unreadable (a `TIMECODE_RATE` of "abc")
/// reads as nil rather than failing the whole chunk. Text values are trimmed of surrounding white space.
/// Element names are matched ignoring ASCII case. ``rawBytes`` keeps the chunk exactly as read for
/// passthrough.
public struct IXMLMetadata: Sendable, Equatable {
    /// `IXML_VERSION`, e.g. "2.10".
    public let ixmlVersion: String?
    /// `PROJECT`: the production's name.
    public let project: String?
    /// `SCENE`: scene or slate, e.g. "32A".
    public let scene: String?
    /// `TAKE`: take number within the scene.
    public let take: String?
    /// `TAPE`: the sound roll.
    public let tape: String?
    /// `NOTE` (the top-level one): the sound recordist's note on the take.
    public let note: String?
    /// `CIRCLED`: "TRUE" or "FALSE" (also accepts "1"/"0", "YES"/"NO"); nil if absent or other.
    public let circled: Bool?
    /// `SPEED/TIMECODE_RATE`, e.g. "24000/1001", "25/1" (decimals like "29.97" are accepted too).
    public let timecodeRate: FrameRate?
    /// `SPEED/TIMECODE_FLAG`: true for "DF", false for "NDF"; nil if absent or other.
    public let timecodeDropFrame: Bool?
    /// `SPEED/FILE_SAMPLE_RATE` in Hz, the sample rate the file is stamped with (> 0).
    public let fileSampleRate: Double?
    /// `SPEED/TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI` and `_LO` combined, when both are present: the same
    /// quantity as the bext `TimeReference`, at `SPEED/TIMESTAMP_SAMPLE_RATE`.
    public let timestampSamplesSinceMidnight: UInt64?
    /// `TRACK_LIST/TRACK` entries in document order.
    public let tracks: [IXMLTrack]
    /// The chunk data exactly as read, for byte-identical passthrough.
    public let rawBytes: [UInt8]

    private let root: XMLElementNode

    /// Reads an iXML chunk.
    ///
    /// Accepts a UTF-8 or UTF-16 byte-order mark, the `<?xml …?>` declaration, comments, CDATA, the five
    /// predefined entities and numeric character references, and NUL or white-space padding after the root
    /// element (recorders pad the chunk so it can be edited in place). Attributes are skipped.
    ///
    /// - Parameter xml: the chunk's data bytes.
    /// - Throws: ``MetadataError``: `malformedXML` if the bytes are not well-formed XML (with the byte offset
    ///   of the problem), `unexpectedContent` if the root element is not `BWFXML`.
    public init(xml: [UInt8]) throws(MetadataError) {
        let root = try XMLScanner.parse(xml)
        guard root.name.uppercased() == "BWFXML" else {
            throw MetadataError(
                .unexpectedContent, "This is XML but not iXML: the root element is <\(root.name)>, not <BWFXML>"
            )
        }
        self.root = root
        self.rawBytes = xml
        func text(_ element: XMLElementNode?) -> String? {
            guard let element else { return nil }
            let trimmed = FrameRate.trimmingWhitespace(element.text)
            return trimmed.isEmpty ? nil : String(trimmed)
        }
        func integer(_ element: XMLElementNode?) -> Int? {
            text(element).flatMap { FrameRate.parseWholeNumber($0[...]) }
        }
        ixmlVersion = text(root.child("IXML_VERSION"))
        project = text(root.child("PROJECT"))
        scene = text(root.child("SCENE"))
        take = text(root.child("TAKE"))
        tape = text(root.child("TAPE"))
        note = text(root.child("NOTE"))
        switch text(root.child("CIRCLED"))?.uppercased() {
        case "TRUE"?, "1"?, "YES"?: circled = true
        case "FALSE"?, "0"?, "NO"?: circled = false
        default: circled = nil
        }
        let speed = root.child("SPEED")
        timecodeRate = text(speed?.child("TIMECODE_RATE")).flatMap { try? FrameRate(parsing: $0) }
        switch text(speed?.child("TIMECODE_FLAG"))?.uppercased() {
        case "DF"?: timecodeDropFrame = true
        case "NDF"?: timecodeDropFrame = false
        default: timecodeDropFrame = nil
        }
        fileSampleRate = text(speed?.child("FILE_SAMPLE_RATE"))
            .flatMap { Double($0) }
            .flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        if let high = integer(speed?.child("TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI")),
           let low = integer(speed?.child("TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO")),
           high <= Int(UInt32.max), low <= Int(UInt32.max)
        {
            timestampSamplesSinceMidnight = UInt64(high) << 32 | UInt64(low)
        } else {
            timestampSamplesSinceMidnight = nil
        }
        tracks = (root.child("TRACK_LIST")?.children("TRACK") ?? []).map { track in
            IXMLTrack(
                channelIndex: integer(track.child("CHANNEL_INDEX")),
                interleaveIndex: integer(track.child("INTERLEAVE_INDEX")),
                name: text(track.child("NAME")),
                function: text(track.child("FUNCTION"))
            )
        }
    }

    /// The name a recorder gave to one channel of the file.
    ///
    /// Found by `INTERLEAVE_INDEX` (channel + 1). If no track in the list has an interleave index, the
    /// list's order is taken as the file's channel order (the first `TRACK` is channel 0).
    ///
    /// - Parameter channel: the channel in the file, 0-based (as in ScrimCore's `AudioBuffer`).
    /// - Returns: the track's `NAME`, or nil if there is no such track or it has no name.
    public func trackName(forChannel channel: Int) -> String? {
        guard channel >= 0 else { return nil }
        if tracks.contains(where: { $0.interleaveIndex != nil }) {
            return tracks.first { $0.interleaveIndex == channel + 1 }?.name
        }
        return channel < tracks.count ? tracks[channel].name : nil
    }

    /// The trimmed text of the element at `path` below `BWFXML` (e.g. `["SPEED", "NOTE"]`,
    /// `["USER", "LOCATION"]`), following the first match at each step; nil if absent or empty.
    public func value(atPath path: [String]) -> String? {
        var element: XMLElementNode? = root
        for name in path { element = element?.child(name) }
        guard let element else { return nil }
        let trimmed = FrameRate.trimmingWhitespace(element.text)
        return trimmed.isEmpty ? nil : String(trimmed)
    }
}
