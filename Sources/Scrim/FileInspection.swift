import ScrimFiles

/// Everything `scrim info` reports about one file: format, length, production metadata and sample peaks.
public struct FileInspection: Sendable {
    public var path: String
    public var info: AudioFileInfo
    public var metadata: ProductionMetadata
    /// Sample peak per channel, as a linear magnitude (1.0 = full scale).
    public var channelPeaks: [Float]
    /// Non-finite samples (NaN, ±Inf) found in the file (float formats only can hold them).
    public var nonFiniteSampleCount: Int

    /// Opens `path`, reads every frame block by block (memory bounded by the block, not the file) and
    /// collects the peaks.
    /// - Parameters:
    ///   - path: the file.
    ///   - fallbackRate: timecode rate to use when the file's iXML gives none.
    ///   - blockFrames: frames per read.
    /// - Throws: ``AudioFileError`` when the file cannot be opened or read.
    /// - Parameter progress: called once per block with the frames read and the file's frame count.
    public init(path: String, fallbackRate: FrameRate? = nil, blockFrames: Int = 8192,
                progress: ((Int, Int) -> Void)? = nil) throws(AudioFileError) {
        let reader = try AudioFileReader(path: path)
        defer { reader.close() }
        self.path = path
        info = reader.info
        metadata = ProductionMetadata(info: reader.info, fallbackRate: fallbackRate)
        let buffer = AudioBuffer(channelCount: info.channelCount, capacity: blockFrames)
        var peaks = [Float](repeating: 0, count: info.channelCount)
        var nonFinite = 0
        while try reader.read(into: buffer) > 0 {
            progress?(reader.position, info.frameCount)
            for c in 0..<info.channelCount {
                var peak = peaks[c]
                for x in buffer.channel(c) {
                    if x.isFinite { peak = max(peak, abs(x)) } else { nonFinite += 1 }
                }
                peaks[c] = peak
            }
        }
        channelPeaks = peaks
        nonFiniteSampleCount = nonFinite
    }

    /// The largest sample peak over all channels in dBFS (−∞ for digital silence).
    public var samplePeak: DecibelsFullScale {
        decibels(fromAmplitude: Double(channelPeaks.max() ?? 0))
    }

    /// The report as JSON (keys documented in Sources/scrim/README.md).
    /// What deserves a person's attention: metadata that could not be read, invalid samples.
    public var warnings: [JobWarning] {
        var list = JobWarning.reading(info) + metadata.problems.map { JobWarning(.metadataUnreadable, $0) }
        if nonFiniteSampleCount > 0 {
            list.append(JobWarning(.invalidSamples,
                                   "\(nonFiniteSampleCount) invalid samples (NaN, ±Inf or beyond ±1e6), measured as 0"))
        }
        return list
    }

    public var json: JSONValue {
        let bext = metadata.broadcastExtension
        let ixml = metadata.ixml
        var pairs: [(String, JSONValue)] = [
            ("path", .string(path)),
            ("container", .string(info.container.description)),
            ("broadcastWave", .bool(info.isBroadcastWave)),
            ("sampleFormat", .string(info.sampleFormat.jsonName)),
            ("sampleRate", .int(Int64(info.sampleRate))),
            ("channelCount", .int(Int64(info.channelCount))),
            ("frameCount", .int(Int64(info.frameCount))),
            ("durationSeconds", .rounded(info.duration, places: 6)),
            ("channelMask", info.channelMask.map { .int(Int64($0)) } ?? .null),
            ("timecode", .optional(metadata.timecode?.description)),
            ("timecodeRate", .optional(metadata.timecodeRate?.description)),
            ("timecodeRateFromFile", .bool(metadata.timecodeRateFromFile)),
            ("dropFrame", .bool(metadata.dropFrame)),
            ("timeReferenceSamples", metadata.timeReference.map { .int(Int64(clamping: $0)) } ?? .null),
            ("timeOfDay", .optional(metadata.timeOfDay(sampleRate: info.sampleRate))),
            ("project", .optional(ixml?.project)),
            ("scene", .optional(ixml?.scene)),
            ("take", .optional(ixml?.take)),
            ("tape", .optional(ixml?.tape)),
            ("note", .optional(ixml?.note)),
            ("circled", ixml?.circled.map { .bool($0) } ?? .null),
            ("trackNames", .array((0..<info.channelCount).map { .optional(metadata.trackName(forChannel: $0)) })),
        ]
        if let bext {
            pairs.append(("bext", .object([
                ("description", .string(bext.description)),
                ("originator", .string(bext.originator)),
                ("originatorReference", .string(bext.originatorReference)),
                ("originationDate", .string(bext.originationDate)),
                ("originationTime", .string(bext.originationTime)),
                ("version", .int(Int64(bext.version))),
                ("codingHistory", .string(bext.codingHistory)),
            ])))
        } else {
            pairs.append(("bext", .null))
        }
        pairs += [
            ("chunks", .array(info.chunks.map { .string($0.id) })),
            ("samplePeakDbfs", .rounded(samplePeak, places: 2)),
            ("channelPeaksDbfs", .array(channelPeaks.map { .rounded(decibels(fromAmplitude: Double($0)), places: 2) })),
            ("invalidSamplesZeroed", .int(Int64(nonFiniteSampleCount))),
            ("metadataProblems", .array((info.readWarnings + metadata.problems).map { .string($0) })),
        ]
        return .object(pairs)
    }
}

extension SampleFormat {
    /// Stable identifier used in JSON: pcm8u, pcm8, pcm16, pcm24, pcm32, float32, float64, or libsndfile's name.
    public var jsonName: String {
        switch self {
        case .pcmU8: "pcm8u"
        case .pcmS8: "pcm8"
        case .pcm16: "pcm16"
        case .pcm24: "pcm24"
        case .pcm32: "pcm32"
        case .float32: "float32"
        case .float64: "float64"
        case .other(let name): name
        }
    }
}
