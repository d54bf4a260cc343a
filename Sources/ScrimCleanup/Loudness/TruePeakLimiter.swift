import Foundation
import ScrimCore

/// A look-ahead peak limiter that keeps the **true peak** (BS.1770-4 Annex 2) under a ceiling, with one gain
/// shared by all channels.
///
/// How it works, per frame:
/// 1. The true peak of each inter-sample interval is found with the meter's polyphase interpolator
///    (``TruePeakInterpolator``, ⌈192 kHz / fs⌉× over-sampling), as the largest of the two samples' magnitudes and
///    the interpolated values between them, over all channels.
/// 2. The gain sample k needs is g(k) = min(1, ceiling / peak of the intervals on either side of k).
/// 3. A running minimum of g over ``attackFrames`` + 2·``guardFrames`` frames looks ahead (and behind by the guard)
///    so the gain is already down when a peak arrives; the guard keeps it flat across the interpolation kernel's
///    main lobe around the peak, so the inter-sample value scales with the same gain as its neighbours.
/// 4. Release: the gain recovers towards 1 exponentially with time constant ``releaseSeconds`` and snaps to exactly
///    1 once within 1e-4 of it (a 0.0009 dB step, far below audibility, which then goes through the smoothing of
///    step 5), never rising above the running minimum. From 6 dB of reduction that takes 8.5 time constants.
/// 5. A moving average over ``attackFrames`` smooths the attack into a ramp. Every term of the average is at most
///    the gain needed at the current frame, so the average is too.
///
/// The result is a gain that never exceeds what each sample needs; the residual overshoot of the true peak comes
/// only from the far taps of the interpolation kernel seeing slightly different gains (a few hundredths of a dB
/// on the test signals). When the signal stays under the ceiling the gain is exactly 1 and the output is exactly
/// the input delayed by ``latencyFrames`` (attack + guard + interpolator delay − 1; 63 frames, 1.3 ms, at 48 kHz).
///
/// `prepare` allocates; `process`, `flush` and `reset` do not allocate, lock or throw. The output never depends on
/// the block split. Not thread-safe.
public final class TruePeakLimiter: AudioProcessor {
    /// The ceiling, dBTP.
    public let ceiling: DecibelsTruePeak
    /// Release time constant, seconds.
    public let releaseSeconds: Double
    /// Attack (look-ahead ramp) duration, seconds.
    public let attackSeconds: Double
    /// Frames the gain is held flat on either side of a peak (the interpolation kernel's main lobe).
    static let guardFrames = 4

    /// Attack ramp in frames (valid after `prepare`).
    public private(set) var attackFrames = 1
    /// Delay between input and output, frames (valid after `prepare`).
    public private(set) var latencyFrames = 0
    /// Output frames whose gain was below 1 since `prepare` or `reset`.
    public private(set) var limitedFrames = 0
    /// The deepest gain reduction applied, dB (≥ 0; 0 when the limiter never engaged).
    public private(set) var deepestReductionDecibels: Decibels = 0
    /// Whether any frame was limited.
    public var engaged: Bool { limitedFrames > 0 }

    private var channelCount = 0
    private var ceilingAmplitude: Float = 1
    private var releaseFactor = 0.0
    private var interpolator: TruePeakInterpolator?
    private var peakScratch: UnsafeMutablePointer<Float>?
    /// Audio delay line: channelCount × latencyFrames, and its position.
    private var delayLine: UnsafeMutablePointer<Float>?
    private var delayPosition = 0
    /// Running minimum of the required gain: a monotonic deque of (frame index, gain).
    private var dequeIndex: UnsafeMutablePointer<Int>?
    private var dequeGain: UnsafeMutablePointer<Float>?
    private var dequeCapacity = 0
    private var dequeHead = 0
    private var dequeCount = 0
    private var minimumWindow = 1
    /// Moving average of the released gain over the attack.
    private var averageRing: UnsafeMutablePointer<Double>?
    private var averagePosition = 0
    private var averageSum = 0.0
    private var averageBelowOne = 0
    private var previousPeak: Float = 0
    private var releasedGain = 1.0
    private var frameIndex = 0

    /// Creates a limiter.
    /// - Parameters:
    ///   - ceiling: the true-peak ceiling, dBTP (e.g. −1).
    ///   - attackSeconds: look-ahead ramp, seconds (default 1 ms; at least 8 frames are used).
    ///   - releaseSeconds: release time constant, seconds (default 50 ms).
    public init(ceiling: DecibelsTruePeak = -1, attackSeconds: Double = 0.001, releaseSeconds: Double = 0.05) {
        precondition(ceiling.isFinite && ceiling <= 6, "ceiling \(ceiling) dBTP")
        precondition(attackSeconds > 0 && attackSeconds <= 0.1, "attackSeconds \(attackSeconds)")
        precondition(releaseSeconds > 0 && releaseSeconds <= 10, "releaseSeconds \(releaseSeconds)")
        self.ceiling = ceiling
        self.attackSeconds = attackSeconds
        self.releaseSeconds = releaseSeconds
    }

    deinit { deallocate() }

    private func deallocate() {
        peakScratch?.deallocate()
        delayLine?.deallocate()
        dequeIndex?.deallocate()
        dequeGain?.deallocate()
        averageRing?.deallocate()
    }

    public func prepare(for spec: ProcessSpec) throws {
        try spec.validate()
        guard LoudnessMeter.supportedSampleRates.contains(spec.sampleRate) else {
            throw ScrimError(.configuration, "the true-peak limiter supports 8 kHz to 768 kHz; the stream is "
                + "\(spec.sampleRate) Hz")
        }
        deallocate()
        channelCount = spec.channelCount
        let interpolator = TruePeakInterpolator(sampleRate: spec.sampleRate, channelCount: spec.channelCount)
        self.interpolator = interpolator
        attackFrames = max(8, Int((attackSeconds * spec.sampleRate).rounded()))
        minimumWindow = attackFrames + 2 * Self.guardFrames
        latencyFrames = attackFrames - 1 + Self.guardFrames + interpolator.delayFrames
        ceilingAmplitude = Float(amplitude(fromDecibels: ceiling))
        releaseFactor = exp(-1 / (releaseSeconds * spec.sampleRate))
        peakScratch = .allocate(capacity: TruePeakInterpolator.chunkFrames)
        delayLine = .allocate(capacity: max(1, latencyFrames * channelCount))
        dequeCapacity = minimumWindow + 1
        dequeIndex = .allocate(capacity: dequeCapacity)
        dequeGain = .allocate(capacity: dequeCapacity)
        averageRing = .allocate(capacity: attackFrames)
        reset()
    }

    public func reset() {
        interpolator?.reset()
        delayLine?.initialize(repeating: 0, count: max(1, latencyFrames * channelCount))
        averageRing?.initialize(repeating: 1, count: attackFrames)
        delayPosition = 0
        dequeHead = 0
        dequeCount = 0
        averagePosition = 0
        averageSum = Double(attackFrames)
        averageBelowOne = 0
        previousPeak = 0
        releasedGain = 1
        frameIndex = 0
        limitedFrames = 0
        deepestReductionDecibels = 0
    }

    public func process(_ block: AudioBlock) {
        guard let interpolator, let peaks = peakScratch, let delay = delayLine,
              let dequeIndex, let dequeGain, let ring = averageRing else {
            preconditionFailure("TruePeakLimiter.process before prepare(for:)")
        }
        precondition(block.channelCount == channelCount,
                     "block has \(block.channelCount) channels, the limiter was prepared for \(channelCount)")
        var offset = 0
        while offset < block.frameCount {
            let n = min(TruePeakInterpolator.chunkFrames, block.frameCount - offset)
            peaks.update(repeating: 0, count: n)
            for c in 0..<channelCount {
                guard let base = block.channel(c).baseAddress else { continue }
                interpolator.framePeaks(channel: c, samples: base + offset, count: n, into: peaks)
            }
            for i in 0..<n {
                // Gain needed by the sample between the interval that just completed and the one before it.
                let peak = max(peaks[i], previousPeak)
                previousPeak = peaks[i]
                let needed: Float = peak > ceilingAmplitude ? ceilingAmplitude / peak : 1

                // Running minimum over the last `minimumWindow` required gains.
                while dequeCount > 0 && dequeGain[(dequeHead + dequeCount - 1) % dequeCapacity] >= needed {
                    dequeCount -= 1
                }
                let slot = (dequeHead + dequeCount) % dequeCapacity
                dequeIndex[slot] = frameIndex
                dequeGain[slot] = needed
                dequeCount += 1
                if dequeIndex[dequeHead] <= frameIndex - minimumWindow {
                    dequeHead = (dequeHead + 1) % dequeCapacity
                    dequeCount -= 1
                }
                let held = Double(dequeGain[dequeHead])
                frameIndex += 1

                // Release towards 1, never above the held minimum.
                var released = 1 - (1 - releasedGain) * releaseFactor
                if 1 - released < 1e-4 { released = 1 }
                releasedGain = min(held, released)

                // Moving average over the attack.
                let old = ring[averagePosition]
                if old < 1 { averageBelowOne -= 1 }
                if releasedGain < 1 { averageBelowOne += 1 }
                ring[averagePosition] = releasedGain
                averagePosition = averagePosition + 1 == attackFrames ? 0 : averagePosition + 1
                let gain: Double
                if averageBelowOne == 0 {
                    averageSum = Double(attackFrames)
                    gain = 1
                } else {
                    averageSum += releasedGain - old
                    gain = min(1, averageSum / Double(attackFrames))
                }

                // Delay the audio and apply the gain.
                let frame = offset + i
                let g = Float(gain)
                // Count only output frames that carry the stream (the first `latencyFrames` carry the delay
                // line's initial silence, which the pipeline drops to keep files aligned).
                if gain < 1 && frameIndex > latencyFrames {
                    limitedFrames += 1
                    deepestReductionDecibels = max(deepestReductionDecibels, -decibels(fromAmplitude: gain))
                }
                if latencyFrames > 0 {
                    for c in 0..<channelCount {
                        let samples = block.channel(c)
                        let cell = delay + c * latencyFrames + delayPosition
                        let delayed = cell.pointee
                        cell.pointee = samples[frame]
                        samples[frame] = gain < 1 ? delayed * g : delayed
                    }
                } else if gain < 1 {
                    for c in 0..<channelCount { block.channel(c)[frame] *= g }
                }
                if latencyFrames > 0 { delayPosition = delayPosition + 1 == latencyFrames ? 0 : delayPosition + 1 }
            }
            offset += n
        }
    }
}
