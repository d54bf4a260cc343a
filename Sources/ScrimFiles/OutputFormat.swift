/// The sample format a user asks for with `--bits`.
public enum OutputBits: String, Sendable, Hashable, CaseIterable {
    case sixteen = "16"
    case twentyFour = "24"
    case thirtyTwo = "32"
    case float = "float"

    /// The sample format it names.
    public var sampleFormat: SampleFormat {
        switch self {
        case .sixteen: .pcm16
        case .twentyFour: .pcm24
        case .thirtyTwo: .pcm32
        case .float: .float32
        }
    }
}

/// An output format chosen for a destination, and what had to change on the way (for the report).
public struct OutputFormatChoice: Sendable, Hashable {
    /// What to pass to ``AudioFileWriter``.
    public var format: AudioFileFormat
    /// Each change from the input's format that the user did not ask for, in words ("µ-law cannot be written
    /// after processing: wrote 16-bit PCM …"). Empty when the format is the input's or the one asked for.
    public var notes: [String]
}

/// Which container and sample format an output gets: the container from the destination's extension, the sample
/// format from `--bits` or else the input's, moved to the nearest one the container can hold and reported.
///
/// | extension | container |
/// |---|---|
/// | `.wav`, `.bwf` | WAV (RF64 when it outgrows 4 GiB; an RF64 or BW64 input stays RF64 / BW64) |
/// | `.rf64` | RF64 |
/// | `.w64` | Sony Wave64 |
/// | `.aif`, `.aiff` | AIFF |
/// | `.flac` | FLAC (8, 16 or 24-bit integers only) |
/// | `.caf` | Core Audio Format |
///
/// Any other extension, or none, is refused before any work (``check(path:)``).
public enum OutputFormat {
    /// Lower-case extensions Scrim writes, and the container each gives.
    public static let containersByExtension: [String: AudioContainer] = [
        "wav": .wav, "bwf": .wav, "rf64": .rf64, "w64": .w64, "aif": .aiff, "aiff": .aiff, "flac": .flac,
        "caf": .caf,
    ]

    /// The extensions, sorted, for messages and help.
    public static var extensionList: String {
        containersByExtension.keys.sorted().map { "." + $0 }.joined(separator: ", ")
    }

    /// The container a destination's extension names.
    /// - Throws: ``AudioFileError`` `unsupportedFormat` naming the path for an extension Scrim cannot write or none.
    public static func container(forPath path: String) throws(AudioFileError) -> AudioContainer {
        let name = Temporaries.split(path).name
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else {
            throw AudioFileError(.unsupportedFormat, path: path,
                                 reason: "the output has no extension to say its format; use one of \(extensionList)")
        }
        let ext = name[name.index(after: dot)...].lowercased()
        guard let container = containersByExtension[ext] else {
            throw AudioFileError(.unsupportedFormat, path: path,
                                 reason: "Scrim cannot write .\(ext) files; use one of \(extensionList)")
        }
        return container
    }

    /// Checks a destination's extension before any work (see ``container(forPath:)``).
    public static func check(path: String) throws(AudioFileError) { _ = try container(forPath: path) }

    /// Whether `container` can hold `sampleFormat` (libsndfile's writers; Scrim's own for the RIFF family).
    public static func canHold(_ container: AudioContainer, _ sampleFormat: SampleFormat) -> Bool {
        if case .other = sampleFormat { return false }
        switch container {
        case .wav, .rf64, .bw64, .w64: return sampleFormat != .pcmS8  // 8-bit WAV is unsigned
        case .aiff, .caf: return sampleFormat != .pcmU8  // 8-bit AIFF and CAF are signed
        case .flac: return sampleFormat == .pcmS8 || sampleFormat == .pcm16 || sampleFormat == .pcm24
        case .other: return false
        }
    }

    /// Chooses the format for writing `path` from a file like `input`.
    /// - Parameters:
    ///   - path: the destination (its extension picks the container).
    ///   - input: the input's description (rate, channels, sample format, channel mask).
    ///   - bits: the sample format asked for, or nil for the input's.
    /// - Throws: ``AudioFileError`` `unsupportedFormat` for an extension Scrim cannot write, or a `--bits` the
    ///   container cannot hold (FLAC with 32-bit or float).
    public static func choose(path: String, like input: AudioFileInfo, bits: OutputBits?)
        throws(AudioFileError) -> OutputFormatChoice
    {
        var container = try container(forPath: path)
        if container == .wav && (input.container == .rf64 || input.container == .bw64) { container = input.container }
        var notes: [String] = []
        var sampleFormat: SampleFormat
        if let bits {
            sampleFormat = bits.sampleFormat
            guard canHold(container, sampleFormat) else {
                throw AudioFileError(.unsupportedFormat, path: path,
                                     reason: "\(container) files cannot hold \(sampleFormat) samples "
                                         + "(--bits \(bits.rawValue)); FLAC takes 16 or 24")
            }
        } else {
            sampleFormat = input.sampleFormat
            if case .other(let name) = sampleFormat {
                sampleFormat = nearestPCM(forEncoding: name)
                notes.append("the input's encoding (\(name)) cannot be written after processing: wrote "
                             + "\(sampleFormat) PCM instead (choose with --bits)")
            }
            if !canHold(container, sampleFormat) {
                let wanted = sampleFormat
                sampleFormat = nearest(to: wanted, in: container)
                notes.append("\(container) files cannot hold \(wanted) samples: wrote \(sampleFormat) instead "
                             + "(choose with --bits)")
            }
        }
        let keepsMask = container.isRIFFFamily && input.container.isRIFFFamily
        let format = AudioFileFormat(
            container: container, sampleFormat: sampleFormat, sampleRate: input.sampleRate,
            channelCount: input.channelCount, channelMask: keepsMask ? input.channelMask : nil,
            isExtensible: keepsMask ? input.isExtensible : false)
        return OutputFormatChoice(format: format, notes: notes)
    }

    /// The PCM format nearest to an encoding libsndfile decodes but Scrim does not write: 16-bit for the 8-bit
    /// companded and 4-bit ADPCM / GSM codecs (their decoders give at most 16 significant bits: G.711 µ-law and
    /// A-law decode to 14 and 13 bits, IMA/MS ADPCM and GSM 6.10 to 16), 24-bit for anything else (lossy codecs
    /// such as MPEG, Vorbis and Opus decode to floats; 24 bits keep them far below their own coding noise).
    static func nearestPCM(forEncoding name: String) -> SampleFormat {
        let lower = name.lowercased()
        let sixteen = ["law", "adpcm", "gsm", "g721", "g723", "dpcm", "vox", "nms", "dwvw 12", "dwvw 16"]
        return sixteen.contains { lower.contains($0) } ? .pcm16 : .pcm24
    }

    /// The format nearest to `wanted` that `container` holds: the same size in the other 8-bit flavour, else 24-bit
    /// integers for FLAC (its largest), else 32-bit float.
    static func nearest(to wanted: SampleFormat, in container: AudioContainer) -> SampleFormat {
        let candidates: [SampleFormat]
        switch wanted {
        case .pcmU8: candidates = [.pcmS8, .pcm16]
        case .pcmS8: candidates = [.pcmU8, .pcm16]
        default: candidates = [.pcm24, .float32]
        }
        return candidates.first { canHold(container, $0) } ?? .float32
    }
}
