import ScrimFiles

/// What a production recording says about itself: BWF `bext` and `iXML` fields, decoded for people and reports.
///
/// Built from the raw chunks in ``AudioFileInfo/chunks``; decoding never fails the file: a chunk that cannot be
/// decoded is named in ``problems`` and the rest is still shown.
public struct ProductionMetadata: Sendable {
    /// The decoded `bext` chunk (EBU Tech 3285), if present and readable.
    public var broadcastExtension: BroadcastExtension?
    /// The decoded `iXML` chunk, if present and readable.
    public var ixml: IXMLMetadata?
    /// Samples since midnight of the first frame (`bext` TimeReference, else iXML's timestamp).
    public var timeReference: UInt64?
    /// The timecode frame rate: from iXML `SPEED/TIMECODE_RATE`, else the caller's fallback.
    public var timecodeRate: FrameRate?
    /// Whether ``timecodeRate`` came from the file (`true`) or from the caller's fallback (`false`).
    public var timecodeRateFromFile: Bool
    /// Drop-frame counting (iXML `TIMECODE_FLAG` = DF).
    public var dropFrame: Bool
    /// The start timecode, when a time reference and a frame rate are known.
    public var timecode: Timecode?
    /// Chunks that were present but could not be decoded, with the reason.
    public var problems: [String]

    /// Decodes the metadata of a file.
    /// - Parameters:
    ///   - info: the file's description from ``AudioFileReader``.
    ///   - fallbackRate: the frame rate to use when iXML gives none (nil: no timecode without iXML).
    public init(info: AudioFileInfo, fallbackRate: FrameRate? = nil) {
        problems = []
        broadcastExtension = nil
        ixml = nil
        for chunk in info.chunks {
            switch chunk.id {
            case "bext" where broadcastExtension == nil:
                do { broadcastExtension = try BroadcastExtension(chunkData: chunk.data) } catch {
                    problems.append("bext chunk unreadable: \(error)")
                }
            case "iXML" where ixml == nil:
                do { ixml = try IXMLMetadata(xml: chunk.data) } catch {
                    problems.append("iXML chunk unreadable: \(error)")
                }
            default:
                break
            }
        }
        timeReference = broadcastExtension?.timeReference ?? ixml?.timestampSamplesSinceMidnight
        if let rate = ixml?.timecodeRate {
            timecodeRate = rate
            timecodeRateFromFile = true
        } else {
            timecodeRate = fallbackRate
            timecodeRateFromFile = false
        }
        dropFrame = ixml?.timecodeDropFrame ?? false
        if let reference = timeReference, let rate = timecodeRate, info.sampleRate > 0 {
            timecode = Timecode(samplesSinceMidnight: reference, sampleRate: Double(info.sampleRate), rate: rate,
                                dropFrame: dropFrame)
        } else {
            timecode = nil
        }
    }

    /// Time of day of the first frame as HH:MM:SS.mmm (from the time reference; no frame rate needed).
    public func timeOfDay(sampleRate: Int) -> String? {
        guard let reference = timeReference, sampleRate > 0 else { return nil }
        // Seconds and the fraction apart: `reference` comes from the file (up to 2^64 − 1) and must not overflow.
        let rate = UInt64(sampleRate)
        let ms = (reference % rate) * 1000 / rate
        let totalSeconds = (reference / rate) % 86_400
        let h = totalSeconds / 3600, m = (totalSeconds / 60) % 60, s = totalSeconds % 60
        return pad2(h) + ":" + pad2(m) + ":" + pad2(s) + "." + pad3(ms)
    }

    /// Track name of a channel (0-based) from iXML, if any.
    public func trackName(forChannel channel: Int) -> String? {
        ixml?.trackName(forChannel: channel)
    }
}

private func pad2(_ v: UInt64) -> String { v < 10 ? "0\(v)" : "\(v)" }
private func pad3(_ v: UInt64) -> String { v < 10 ? "00\(v)" : v < 100 ? "0\(v)" : "\(v)" }
