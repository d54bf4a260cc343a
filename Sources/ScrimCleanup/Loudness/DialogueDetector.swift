import Foundation
import ScrimCore

/// A voice-activity decision for each 400 ms gating block, for dialogue-gated integrated loudness.
///
/// Broadcast practice often measures loudness over the passages where someone speaks (ATSC A/85 calls dialogue
/// the "anchor element"; Dolby's Dialogue Intelligence is a proprietary detector for it). This is
/// an open, deliberately simple detector of Scrim's own design. A block counts as speech when all three hold:
///
/// 1. **Speech band dominates:** at least ``minimumBandRatio`` (40 %) of the block's energy lies in the
///    300–3400 Hz telephone band (second-order Butterworth high-pass and low-pass). Voiced speech puts most of
///    its energy there; rumble, HVAC and hiss do not (pink noise puts about 35 % there).
/// 2. **Syllabic modulation:** the band level, taken in 10 ms frames, varies with a standard deviation of at
///    least ``minimumModulationDecibels`` (3 dB) across the 40 frames of the block. Speech is modulated at
///    syllable rate (about 4 Hz) by 10 dB and more; steady noise (≈ 0.8 dB for pink noise in 10 ms frames),
///    hum and line-up tone are not.
/// 3. **Above the noise floor:** the block's band power is at least ``minimumFloorRatioDecibels`` (6 dB) above
///    an adaptive floor, the smallest 100 ms band power of the last ``floorHistorySubBlocks`` (8 s), in the
///    spirit of minimum statistics (R. Martin, "Noise power spectral density estimation based on optimal
///    smoothing and minimum statistics", IEEE Trans. Speech Audio Process., 2001).
///
/// The meter then applies the usual BS.1770 gates (−70 LUFS absolute, −10 LU relative) to the speech blocks
/// only. Limitations: music with vocals and strongly modulated effects may count as speech; whispering or speech
/// buried under louder steady noise may not. The analysis signal is the sum of the channels with non-zero
/// BS.1770 weight (LFE left out). Buffers are allocated in `init`; `analyze` does not allocate.
struct DialogueDetector {
    static let bandLow = 300.0
    static let bandHigh = 3400.0
    static let minimumBandRatio = 0.4
    static let minimumModulationDecibels = 3.0
    static let minimumFloorRatioDecibels = 6.0
    /// 10 ms frames per 400 ms block.
    static let framesPerBlock = 40
    /// 100 ms sub-blocks kept for the noise floor (8 s).
    static let floorHistorySubBlocks = 80

    private let sampleRate: Double
    private let channelIncluded: [Bool]
    private let highPass: BiquadCoefficients
    private let lowPass: BiquadCoefficients
    private var highPassState = BiquadState()
    private var lowPassState = BiquadState()

    /// Absolute index of the next 10 ms frame boundary and of the frame that ends there.
    private var frameIndex = 0
    private var nextFrameBoundary = 0
    private var lastFrameBoundary = 0
    private var position = 0
    private var frameBand = 0.0
    /// Band and full-band energy of the current 100 ms sub-block, and its frame count.
    private var subBlockBand = 0.0
    private var subBlockFull = 0.0
    private var subBlockFrames = 0

    /// Ring of 10 ms band levels (dB), the last ``framesPerBlock``.
    private var frameLevels: [Double]
    private var frameLevelCount = 0
    /// Ring of sub-block (band energy, full energy, frames), the last ``floorHistorySubBlocks``.
    private var subBand: [Double]
    private var subFull: [Double]
    private var subFrames: [Int]
    private var subCount = 0

    init(sampleRate: Double, weights: [Double]) {
        self.sampleRate = sampleRate
        channelIncluded = weights.map { $0 > 0 }
        highPass = .highPass(cutoff: Self.bandLow, q: 0.5.squareRoot(), sampleRate: sampleRate)
        lowPass = .lowPass(cutoff: min(Self.bandHigh, 0.45 * sampleRate), q: 0.5.squareRoot(),
                           sampleRate: sampleRate)
        frameLevels = Array(repeating: 0, count: Self.framesPerBlock)
        subBand = Array(repeating: 0, count: Self.floorHistorySubBlocks)
        subFull = Array(repeating: 0, count: Self.floorHistorySubBlocks)
        subFrames = Array(repeating: 0, count: Self.floorHistorySubBlocks)
        reset()
    }

    mutating func reset() {
        highPassState = BiquadState()
        lowPassState = BiquadState()
        frameIndex = 0
        position = 0
        lastFrameBoundary = 0
        nextFrameBoundary = Self.boundary(1, sampleRate)
        frameBand = 0
        subBlockBand = 0
        subBlockFull = 0
        subBlockFrames = 0
        frameLevelCount = 0
        subCount = 0
    }

    /// Frame index at the end of the k-th 10 ms frame: ⌊k·fs/100⌋ (every 10th is a 100 ms sub-block boundary).
    @inline(__always)
    static func boundary(_ k: Int, _ sampleRate: Double) -> Int {
        Int((Double(k) * sampleRate / 100).rounded(.down))
    }

    /// Adds frames `offset ..< offset + count` of `block`. The caller never crosses a 100 ms boundary in one call.
    mutating func analyze(_ block: AudioBlock, offset: Int, count: Int) {
        var i = 0
        while i < count {
            let n = min(count - i, nextFrameBoundary - position)
            // Per-sample accumulation into the running totals keeps the result bit-identical for any split.
            for j in (offset + i)..<(offset + i + n) {
                var x = 0.0
                for c in 0..<block.channelCount where channelIncluded[c] { x += Double(block.channel(c)[j]) }
                subBlockFull += x * x
                let y = lowPassState.step(highPassState.step(x, highPass), lowPass)
                frameBand += y * y
                subBlockBand += y * y
            }
            subBlockFrames += n
            position += n
            i += n
            if position == nextFrameBoundary { endFrame() }
        }
    }

    private mutating func endFrame() {
        let frames = max(1, nextFrameBoundary - lastFrameBoundary)
        // 1e-12 (−120 dB) keeps digital silence finite.
        frameLevels[frameIndex % Self.framesPerBlock] = 10 * log10(frameBand / Double(frames) + 1e-12)
        frameLevelCount += 1
        frameIndex += 1
        frameBand = 0
        lastFrameBoundary = nextFrameBoundary
        nextFrameBoundary = Self.boundary(frameIndex + 1, sampleRate)
    }

    /// Closes the current 100 ms sub-block (called by the meter at each of its sub-block boundaries).
    mutating func endSubBlock() {
        let slot = subCount % Self.floorHistorySubBlocks
        subBand[slot] = subBlockBand
        subFull[slot] = subBlockFull
        subFrames[slot] = subBlockFrames
        subCount += 1
        subBlockBand = 0
        subBlockFull = 0
        subBlockFrames = 0
    }

    /// Whether the 400 ms block made of the last four sub-blocks is speech (needs at least four sub-blocks).
    func isSpeechBlock() -> Bool {
        guard subCount >= 4, frameLevelCount >= Self.framesPerBlock else { return false }
        var band = 0.0
        var full = 0.0
        var frames = 0
        for back in 1...4 {
            let slot = (subCount - back) % Self.floorHistorySubBlocks
            band += subBand[slot]
            full += subFull[slot]
            frames += subFrames[slot]
        }
        guard full > 0, frames > 0, band / full >= Self.minimumBandRatio else { return false }

        var mean = 0.0
        for level in frameLevels { mean += level }
        mean /= Double(Self.framesPerBlock)
        var variance = 0.0
        for level in frameLevels { variance += (level - mean) * (level - mean) }
        let deviation = (variance / Double(Self.framesPerBlock)).squareRoot()
        guard deviation >= Self.minimumModulationDecibels else { return false }

        var floorPower = Double.infinity
        for back in 1...min(subCount, Self.floorHistorySubBlocks) {
            let slot = (subCount - back) % Self.floorHistorySubBlocks
            if subFrames[slot] > 0 { floorPower = min(floorPower, subBand[slot] / Double(subFrames[slot])) }
        }
        let blockPower = band / Double(frames)
        return blockPower >= floorPower * pow(10, Self.minimumFloorRatioDecibels / 10)
    }
}
