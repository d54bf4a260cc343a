/// Which loudspeaker each channel feeds, as far as loudness is concerned: one BS.1770 weight per channel.
///
/// ITU-R BS.1770-4 sums the mean squares of the K-weighted channels with weights Gi (Table 3): 1.0 for left,
/// right and centre, 1.41 (+1.5 dB) for the left and right surrounds, and the LFE channel is left out. The
/// presets follow the WAVE channel order (the order of the `dwChannelMask` bits):
///
/// | layout | channels | weights |
/// |---|---|---|
/// | mono | C | 1 |
/// | stereo | L R | 1 1 |
/// | 5.0 | L R C Ls Rs | 1 1 1 1.41 1.41 |
/// | 5.1 | L R C LFE Ls Rs | 1 1 1 0 1.41 1.41 |
/// | 7.1 | L R C LFE Lb Rb Ls Rs | 1 1 1 0 1.41 1.41 1.41 1.41 |
///
/// For 7.1 all four surrounds get 1.41. (BS.1770-4 Table 4, for advanced layouts, would give 1.0 to
/// loudspeakers beyond ±120° azimuth; broadcast meters commonly weight every surround of 7.1 at 1.41, and so
/// does Scrim.) Any other channel count without a mask weights every channel 1.0.
public struct ChannelLayout: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A short name ("stereo", "5.1", "mask 0x63F", "4 channels").
    public var name: String
    /// The BS.1770 weight of each channel, in channel order (0 excludes a channel, e.g. LFE).
    public var weights: [Double]

    /// Number of channels.
    public var channelCount: Int { weights.count }

    /// Creates a layout from explicit weights (each ≥ 0).
    public init(name: String, weights: [Double]) {
        precondition(!weights.isEmpty && weights.allSatisfy { $0 >= 0 && $0.isFinite },
                     "channel weights must be finite and ≥ 0, got \(weights)")
        self.name = name
        self.weights = weights
    }

    /// The BS.1770-4 Table 3 surround weight, 1.41 (≈ +1.5 dB).
    public static let surroundWeight = 1.41

    public static let mono = ChannelLayout(name: "mono", weights: [1])
    public static let stereo = ChannelLayout(name: "stereo", weights: [1, 1])
    public static let surround50 = ChannelLayout(name: "5.0", weights: [1, 1, 1, surroundWeight, surroundWeight])
    public static let surround51 = ChannelLayout(name: "5.1", weights: [1, 1, 1, 0, surroundWeight, surroundWeight])
    public static let surround71 = ChannelLayout(
        name: "7.1", weights: [1, 1, 1, 0, surroundWeight, surroundWeight, surroundWeight, surroundWeight])

    /// Every channel weighted 1.0: microphones rather than loudspeakers (a production poly file's boom and lavs),
    /// named "equal".
    public static func equal(channelCount: Int) -> ChannelLayout {
        ChannelLayout(name: "equal", weights: Array(repeating: 1, count: max(1, channelCount)))
    }

    /// The layout implied by a channel count alone: 1 mono, 2 stereo, 5 → 5.0, 6 → 5.1, 8 → 7.1 (WAVE order);
    /// any other count weights every channel 1.0.
    public init(channelCount: Int) {
        precondition(channelCount >= 1, "channelCount \(channelCount)")
        switch channelCount {
        case 1: self = .mono
        case 2: self = .stereo
        case 5: self = .surround50
        case 6: self = .surround51
        case 8: self = .surround71
        default: self.init(name: "\(channelCount) channels", weights: Array(repeating: 1, count: channelCount))
        }
    }

    /// The layout described by a WAVE_FORMAT_EXTENSIBLE `dwChannelMask`.
    ///
    /// Channels appear in the file in the order of the mask's set bits, lowest first. Weights per speaker bit:
    /// LOW_FREQUENCY (0x8) 0; BACK_LEFT/RIGHT (0x10, 0x20) and SIDE_LEFT/RIGHT (0x200, 0x400) 1.41; all others
    /// (front, front-of-centre, back centre, height) 1.0. If the mask has fewer set bits than `channelCount`,
    /// the extra channels weigh 1.0; if it has more, the surplus bits are ignored. A mask of 0 ("no speaker
    /// positions") falls back to ``init(channelCount:)``.
    /// - Parameters:
    ///   - channelMask: the dwChannelMask bits.
    ///   - channelCount: the number of channels in the stream (≥ 1).
    public init(channelMask: UInt32, channelCount: Int) {
        precondition(channelCount >= 1, "channelCount \(channelCount)")
        guard channelMask != 0 else {
            self.init(channelCount: channelCount)
            return
        }
        var weights: [Double] = []
        for bit in 0..<32 where channelMask & (1 << UInt32(bit)) != 0 && weights.count < channelCount {
            switch 1 << UInt32(bit) {
            case 0x8: weights.append(0)
            case 0x10, 0x20, 0x200, 0x400: weights.append(Self.surroundWeight)
            default: weights.append(1)
            }
        }
        while weights.count < channelCount { weights.append(1) }
        let known: [UInt32: String] = [0x4: "mono", 0x3: "stereo", 0x37: "5.0", 0x607: "5.0", 0x3F: "5.1",
                                       0x60F: "5.1", 0x63F: "7.1"]
        let hex = String(channelMask, radix: 16, uppercase: true)
        let name = channelMask.nonzeroBitCount == channelCount ? known[channelMask] : nil
        self.init(name: name ?? "mask 0x\(hex)", weights: weights)
    }

    public var description: String { "\(name) \(weights)" }
}
