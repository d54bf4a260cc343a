/// The container an audio file is stored in.
///
/// The RIFF family (``wav``, ``rf64``, ``bw64``) is parsed and written by Scrim itself so that every chunk passes
/// through byte for byte; the others are read and written through libsndfile.
public enum AudioContainer: Sendable, Hashable, CustomStringConvertible {
    /// RIFF/WAVE (Microsoft WAV), including Broadcast Wave (EBU Tech 3285) files with a `bext` chunk.
    case wav
    /// RF64 (EBU Tech 3306): RIFF/WAVE with 64-bit sizes in a `ds64` chunk, for files beyond 4 GiB.
    case rf64
    /// BW64 (ITU-R BS.2088): RF64's layout under the form ID `BW64`, used by ADM / immersive audio files.
    case bw64
    /// Sony Wave64 (Sonic Foundry): GUID-named chunks with 64-bit sizes.
    case w64
    /// AIFF or AIFF-C (Apple, big-endian).
    case aiff
    /// FLAC (lossless compressed).
    case flac
    /// Core Audio Format (Apple).
    case caf
    /// Any other container libsndfile reads (named by libsndfile's format name).
    case other(String)

    /// Whether Scrim parses and writes the file's RIFF chunks itself (WAV, RF64, BW64).
    public var isRIFFFamily: Bool {
        switch self {
        case .wav, .rf64, .bw64: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .wav: "WAV"
        case .rf64: "RF64"
        case .bw64: "BW64"
        case .w64: "W64"
        case .aiff: "AIFF"
        case .flac: "FLAC"
        case .caf: "CAF"
        case .other(let name): name
        }
    }
}

/// How samples are encoded in a file.
///
/// Reading always yields `Float` (integers scaled by 1/2^(bits−1), so 24-bit and 16-bit values are exact);
/// writing supports the PCM and floating-point cases, each container allowing the subset libsndfile or the
/// RIFF specification allows (e.g. FLAC holds only 8/16/24-bit integers).
public enum SampleFormat: Sendable, Hashable, CustomStringConvertible {
    /// 8-bit unsigned integer (WAV's 8-bit format; 128 is silence).
    case pcmU8
    /// 8-bit signed integer (AIFF's, FLAC's and CAF's 8-bit format).
    case pcmS8
    /// 16-bit signed integer.
    case pcm16
    /// 24-bit signed integer.
    case pcm24
    /// 32-bit signed integer.
    case pcm32
    /// 32-bit IEEE 754 float.
    case float32
    /// 64-bit IEEE 754 float.
    case float64
    /// Any other encoding libsndfile decodes (A-law, µ-law, ADPCM, MPEG, …): readable, not writable.
    case other(String)

    /// Bits per sample as stored (nil for ``other(_:)``).
    public var bitsPerSample: Int? {
        switch self {
        case .pcmU8, .pcmS8: 8
        case .pcm16: 16
        case .pcm24: 24
        case .pcm32, .float32: 32
        case .float64: 64
        case .other: nil
        }
    }

    /// Whether samples are integers (and so clip at full scale when written).
    public var isInteger: Bool {
        switch self {
        case .pcmU8, .pcmS8, .pcm16, .pcm24, .pcm32: true
        default: false
        }
    }

    /// Whether samples are IEEE floats.
    public var isFloat: Bool { self == .float32 || self == .float64 }

    public var description: String {
        switch self {
        case .pcmU8: "8-bit unsigned"
        case .pcmS8: "8-bit"
        case .pcm16: "16-bit"
        case .pcm24: "24-bit"
        case .pcm32: "32-bit"
        case .float32: "32-bit float"
        case .float64: "64-bit float"
        case .other(let name): name
        }
    }
}

/// A metadata chunk of a RIFF-family file, kept as raw bytes so that it passes through unchanged.
///
/// Scrim does not interpret chunk contents here: `bext` (EBU Tech 3285), `iXML`, `LIST`, `cue `, `axml`,
/// `chna` and unknown chunks are all just an ID and bytes. ``placement`` records whether the chunk stood before
/// or after the `data` chunk, so a writer can put it back in the same place.
public struct RIFFChunk: Sendable, Hashable, CustomStringConvertible {
    /// Where a chunk stands relative to the `data` chunk.
    public enum Placement: Sendable, Hashable {
        /// Between the `RIFF` header and `data` (where `fmt `, `bext` and most metadata live).
        case beforeData
        /// After the sample data (some recorders append `iXML` or `LIST` there).
        case afterData
    }

    /// The largest chunk payload Scrim keeps in memory: 64 MiB. Real metadata (bext, iXML, cue lists, even
    /// embedded artwork) is far smaller; a larger "metadata" chunk is refused with
    /// ``AudioFileError/Code/chunkTooLarge`` rather than silently dropped or read into unbounded memory.
    public static let maximumDataSize = 64 << 20

    /// The four-character chunk ID, one `Character` per byte (bytes 0x80–0xFF map to U+0080–U+00FF, so any ID
    /// found in a file round-trips exactly).
    public var id: String
    /// The chunk payload, without the 8-byte header and without the pad byte of an odd-sized chunk.
    public var data: [UInt8]
    /// Whether the chunk stood before or after `data`.
    public var placement: Placement

    /// Creates a chunk.
    /// - Parameters:
    ///   - id: exactly four characters, each U+0000…U+00FF (checked when the chunk is written).
    ///   - data: the payload.
    ///   - placement: before (default) or after the `data` chunk.
    public init(id: String, data: [UInt8], placement: Placement = .beforeData) {
        self.id = id
        self.data = data
        self.placement = placement
    }

    /// Creates a chunk from the four ID bytes found in a file.
    init(idBytes: [UInt8], data: [UInt8], placement: Placement) {
        self.init(id: RIFFChunk.string(fromID: idBytes), data: data, placement: placement)
    }

    /// The ID as the four bytes written to a file, or nil if ``id`` is not four characters in U+0000…U+00FF.
    var idBytes: [UInt8]? {
        let scalars = Array(id.unicodeScalars)
        guard scalars.count == 4, scalars.allSatisfy({ $0.value <= 0xFF }) else { return nil }
        return scalars.map { UInt8($0.value) }
    }

    static func string(fromID bytes: [UInt8]) -> String {
        String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    public var description: String {
        "'\(id)' (\(data.count) bytes, \(placement == .beforeData ? "before" : "after") data)"
    }
}

/// The format of a file to write: container, sample encoding, rate, channels and WAV channel layout.
public struct AudioFileFormat: Sendable, Hashable, CustomStringConvertible {
    /// The container. ``AudioContainer/wav`` is written as RF64 automatically when it would exceed 4 GiB.
    public var container: AudioContainer
    /// The sample encoding.
    public var sampleFormat: SampleFormat
    /// Frames per second (1…768 000).
    public var sampleRate: Int
    /// Channels per frame (1…1024).
    public var channelCount: Int
    /// The WAVE_FORMAT_EXTENSIBLE speaker mask (`dwChannelMask`); used only when ``isExtensible`` is true.
    /// nil writes 0 (no speaker assignment), which is what multitrack recorders use for iso tracks.
    public var channelMask: UInt32?
    /// Whether a RIFF-family `fmt ` chunk is written as WAVE_FORMAT_EXTENSIBLE (0xFFFE) rather than
    /// PCM (1) / IEEE float (3). Ignored for other containers.
    public var isExtensible: Bool

    /// Creates a format.
    /// - Parameters:
    ///   - container: the container to write.
    ///   - sampleFormat: the sample encoding.
    ///   - sampleRate: frames per second.
    ///   - channelCount: channels per frame.
    ///   - channelMask: WAVE_FORMAT_EXTENSIBLE speaker mask (RIFF family only).
    ///   - isExtensible: write WAVE_FORMAT_EXTENSIBLE (RIFF family only).
    public init(
        container: AudioContainer, sampleFormat: SampleFormat, sampleRate: Int, channelCount: Int,
        channelMask: UInt32? = nil, isExtensible: Bool = false
    ) {
        self.container = container
        self.sampleFormat = sampleFormat
        self.sampleRate = sampleRate
        self.channelCount = channelCount
        self.channelMask = channelMask
        self.isExtensible = isExtensible
    }

    public var description: String {
        "\(container) \(sampleFormat), \(sampleRate) Hz, \(channelCount) ch"
            + (isExtensible ? ", extensible" : "")
    }
}

/// What an audio file holds: format, length and (for RIFF-family files) its chunks.
public struct AudioFileInfo: Sendable, Hashable {
    /// The container.
    public var container: AudioContainer
    /// How samples are encoded.
    public var sampleFormat: SampleFormat
    /// Frames per second.
    public var sampleRate: Int
    /// Channels per frame.
    public var channelCount: Int
    /// Frames the reader will deliver (one frame = one sample per channel).
    public var frameCount: Int
    /// Frames the header announced but the file does not hold (non-zero only for a truncated file opened
    /// with ``AudioFileReader/Options/acceptsTruncatedData``).
    public var missingFrameCount: Int
    /// The WAVE_FORMAT_EXTENSIBLE speaker mask, when the `fmt ` chunk is extensible.
    public var channelMask: UInt32?
    /// Whether the `fmt ` chunk is WAVE_FORMAT_EXTENSIBLE (0xFFFE).
    public var isExtensible: Bool
    /// For RIFF-family files, every chunk except `data`, in file order (including `fmt `, `ds64`, `JUNK` and
    /// `fact`, which a writer regenerates). Empty for other containers.
    public var chunks: [RIFFChunk]
    /// Damage found while opening that did not stop the audio from being read (bytes after the audio that are not
    /// chunks), in words; every command reports them as warnings.
    public var readWarnings: [String] = []

    /// Length in seconds (``frameCount`` / ``sampleRate``).
    public var duration: Double { sampleRate > 0 ? Double(frameCount) / Double(sampleRate) : 0 }

    /// Whether the file is a Broadcast Wave file (EBU Tech 3285): a RIFF-family file with a `bext` chunk.
    public var isBroadcastWave: Bool { container.isRIFFFamily && chunks.contains { $0.id == "bext" } }

    /// The format to pass to ``AudioFileWriter`` to write a file like this one.
    public var format: AudioFileFormat {
        AudioFileFormat(container: container, sampleFormat: sampleFormat, sampleRate: sampleRate,
                        channelCount: channelCount, channelMask: channelMask, isExtensible: isExtensible)
    }
}
