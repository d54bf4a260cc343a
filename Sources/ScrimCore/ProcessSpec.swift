/// What a processor or analyzer is prepared for: the stream it will see.
///
/// A processor is prepared once for a spec, then fed blocks of any size from 1 up to
/// ``maximumBlockFrames`` frames. A *frame* is one sample per channel.
public struct ProcessSpec: Sendable, Hashable, CustomStringConvertible {
    /// Sample rate in hertz (frames per second).
    public var sampleRate: Double
    /// Number of channels in every block.
    public var channelCount: Int
    /// The largest block, in frames, that `process` will be given.
    public var maximumBlockFrames: Int

    /// Creates a spec.
    /// - Parameters:
    ///   - sampleRate: frames per second, > 0.
    ///   - channelCount: channels per block, ≥ 1.
    ///   - maximumBlockFrames: largest block in frames, ≥ 1.
    public init(sampleRate: Double, channelCount: Int, maximumBlockFrames: Int) {
        self.sampleRate = sampleRate
        self.channelCount = channelCount
        self.maximumBlockFrames = maximumBlockFrames
    }

    /// Throws a configuration error unless every field is in range.
    ///
    /// Sample rates from 1 Hz to 768 kHz, 1 to 1024 channels and blocks of 1 to 2^24 frames are accepted;
    /// the bounds exist to catch corrupt headers and unit mistakes, not to limit real material.
    public func validate() throws(ScrimError) {
        guard sampleRate.isFinite, sampleRate >= 1, sampleRate <= 768_000 else {
            throw ScrimError(.configuration, "sample rate \(sampleRate) Hz is out of range (1 Hz to 768 kHz)")
        }
        guard channelCount >= 1, channelCount <= 1024 else {
            throw ScrimError(.configuration, "channel count \(channelCount) is out of range (1 to 1024)")
        }
        guard maximumBlockFrames >= 1, maximumBlockFrames <= 1 << 24 else {
            throw ScrimError(
                .configuration, "maximum block of \(maximumBlockFrames) frames is out of range (1 to 16777216)")
        }
    }

    public var description: String {
        "\(Int(sampleRate.rounded())) Hz, \(channelCount) ch, blocks ≤ \(maximumBlockFrames) frames"
    }
}
