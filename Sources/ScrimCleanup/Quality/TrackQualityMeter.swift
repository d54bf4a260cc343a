import Foundation
import ScrimCore

/// What ``TrackQualityMeter`` measured on one track (channel) of a stream.
///
/// Levels are relative to full scale (1.0 = 0 dBFS); −∞ for a track of digital silence.
public struct TrackQuality: Sendable, Equatable {
    /// The largest |sample|, dBFS.
    public var samplePeak: DecibelsFullScale
    /// The largest |sample| or inter-sample value (ITU-R BS.1770-4 Annex 2, ``TruePeakInterpolator``), dBTP; nil
    /// when the meter was made without it (a ``LoudnessMeter`` beside it already measures it per channel).
    public var truePeak: DecibelsTruePeak?
    /// RMS over the whole track, dBFS.
    public var rms: DecibelsFullScale
    /// |mean| over the whole track (the DC offset), dBFS.
    public var dcOffset: DecibelsFullScale
    /// RMS of the quietest 0.5 s window (0.1 s steps) that is not digital silence, dBFS; nil when the track has no
    /// such window (shorter than 0.5 s, or all zero).
    public var noiseFloor: DecibelsFullScale?
    /// Every sample is exactly 0 (after invalid samples were zeroed).
    public var isDead: Bool
    /// Runs of ≥ ``TrackQualityMeter/minimumClipRunFrames`` equal samples at the clip level (both polarities).
    public var clippedRunCount: Int
    /// Frames in those runs.
    public var clippedFrameCount: Int
    /// The magnitude the clipped runs flatten at, dBFS (nil when there are none). Below 0 dBFS for a converter or a
    /// limiter that clipped short of full scale.
    public var clipLevel: DecibelsFullScale?
    /// Frames measured.
    public var frameCount: Int
}

/// Two tracks that carry the same signal in opposite polarity (``TrackQualityMeter``).
public struct PolarityInversion: Sendable, Equatable {
    /// The tracks, 0-based, `first < second`.
    public var first: Int
    public var second: Int
    /// The correlation coefficient over the 0.1 s windows where both tracks are at speech level (−1 … 1).
    public var correlation: Double
    /// Seconds of those windows.
    public var measuredSeconds: Double
}

/// Everything ``TrackQualityMeter/finish()`` reports.
public struct TrackQualityReport: Sendable, Equatable {
    /// One entry per channel, in channel order.
    public var tracks: [TrackQuality]
    /// Pairs of tracks found in opposite polarity.
    public var polarityInversions: [PolarityInversion]
}

/// Per-track quality control in one streaming pass: sample and true peak, clipping (at full scale or below it),
/// DC offset, dead or silent tracks, per-track noise floor, and pairs of tracks in opposite polarity.
///
/// **Clipping.** A *plateau* is a run of at least ``minimumClipRunFrames`` (3) consecutive equal samples. Two equal
/// samples occur at any crest that the sample grid straddles; three need the crest to be flatter than one
/// quantisation step over two sample periods, which an unclipped signal does only where it is quiet in steps (a
/// crest of m steps and θ = 2π·f/fs radians per sample deviates m·θ²/2 steps one sample away: at 120 Hz, 48 kHz,
/// under one step for m < 8000, i.e. under −12 dBFS in 16-bit and −60 dBFS in 24-bit). This is the run length
/// Audacity's "Find Clipping" starts from. Only plateaus that can be a ceiling count:
/// - the waveform must *arrive at or leave* the plateau by more than ``minimumClipEdgeSteps`` (8) quantisation
///   steps. A quantised crest is left by one or two steps: once three samples round alike (m·θ²/2 < 1 step), the
///   samples two away deviate by under 4 steps, 5 with the rounding. A clipped waveform crosses the ceiling on its
///   way up or down with the slope of the cut-off crest (for a 150 Hz crest clipped 0.1 dB under its top, about 80
///   steps per sample in 16-bit, 20 000 in 24-bit), so one of its two edges is that steep but for chance alignments
///   of both. This keeps quiet quantised dialogue at any level out, and digital silence (0) never counts;
/// - their magnitude is within ``ceilingWindowDecibels`` (1 dB) of the track's sample peak — a clip level is where
///   the track stops, though a limiter may let a few samples past;
/// - they last at most ``maximumClipRunSeconds`` (50 ms): longer flat stretches are held values or constant DC,
///   not a waveform cut off at a ceiling.
/// The clip level is the magnitude (in 0.01 dB bins, so +1.0 and −1.0 in 24-bit fall together) with the most
/// plateau frames among those; the runs and frames reported are the plateaus within one bin of it. A full-scale
/// square wave *is* flat-topped: its every half period is a plateau at its peak and it is reported as clipped — no
/// sample-based test can tell it from a clipped sine.
///
/// **Bounded memory.** The plateau magnitudes are kept in a table of ``plateauTableSize`` bins per track; when it
/// is full, bins that have fallen out of the window under the running peak are dropped first (they can no longer
/// qualify), then the bin with the fewest frames.
///
/// **Polarity.** For every pair of tracks the meter sums x·y, x² and y² over the 0.1 s windows in which both tracks
/// have an RMS of at least ``speechLevelDecibels`` (−50 dBFS: dialogue, not room tone). A pair whose correlation
/// coefficient is ``inversionCorrelation`` (−0.8) or lower over at least ``minimumPolaritySeconds`` (1 s) is
/// reported. Two tracks of one microphone (a split or a safety track at another gain) give −1 when one of them is
/// inverted; two microphones on one voice are decorrelated by their different paths, and only a source narrow in
/// frequency, with the microphones half a wavelength apart, could look inverted — hence a threshold far from 0.
/// Costs n(n−1)/2 multiply-adds per frame for n tracks.
///
/// Results do not depend on how the stream is split into blocks (the windows are counted in frames from the start).
/// `prepare` allocates; `analyze` and `reset` do not. Not thread-safe.
public final class TrackQualityMeter: AudioAnalyzer {
    /// Shortest run of equal samples that counts as a plateau (see the type's notes).
    public static let minimumClipRunFrames = 3
    /// Longest run that counts as clipping, seconds.
    public static let maximumClipRunSeconds = 0.05
    /// Plateaus count only within this many dB under the track's sample peak.
    public static let ceilingWindowDecibels = 1.0
    /// A plateau counts only if the waveform arrives at it or leaves it by more than this many quantisation steps.
    public static let minimumClipEdgeSteps: Float = 8
    /// Plateau-magnitude bins kept per track.
    public static let plateauTableSize = 32
    /// Length of the noise floor window, seconds, and of the sub-windows it slides by.
    public static let noiseFloorSeconds = 0.5
    public static let subWindowSeconds = 0.1
    /// RMS a 0.1 s window of both tracks needs to count for the polarity test, dBFS.
    public static let speechLevelDecibels = -50.0
    /// Correlation at or below which a pair is reported as inverted.
    public static let inversionCorrelation = -0.8
    /// Speech-level seconds a pair needs before it is judged.
    public static let minimumPolaritySeconds = 1.0

    /// The quantisation step of the source, as a fraction of full scale (2^−(bits−1)); floating-point sources are
    /// treated as 24-bit.
    public let quantizationStep: Float

    private var channelCount = 0
    private var sampleRate = 48_000.0
    private var subWindowFrames = 4800
    private var subWindowsPerFloor = 5
    private var maximumRunFrames = 2400
    private var interpolator: TruePeakInterpolator?

    // Per channel.
    private var samplePeak: [Float] = []
    private var sum: [Double] = []
    private var sumSquares: [Double] = []
    private var invalidCounts: [Int] = []
    private var runValue: [Float] = []
    private var runLength: [Int] = []
    /// |first sample of the run − the sample before it|.
    private var runEntry: [Float] = []
    private var subEnergy: [Double] = []
    /// Ring of the last `subWindowsPerFloor` sub-window energies, channel-major.
    private var ring: [Double] = []
    private var lowestFloorEnergy: [Double] = []
    // Plateau tables, channel-major: bin key (0.01 dB), runs, frames, largest magnitude.
    private var tableKey: [Int32] = []
    private var tableRuns: [Int] = []
    private var tableFrames: [Int] = []
    private var tableMagnitude: [Float] = []
    private var tableCount: [Int] = []
    // Pairs, in the order (0,1), (0,2) … (1,2) …: this sub-window's Σxy, and the totals over speech windows.
    private var pairCross: [Double] = []
    private var pairTotalCross: [Double] = []
    private var pairTotalA: [Double] = []
    private var pairTotalB: [Double] = []
    private var pairFrames: [Int] = []

    private var framesInSubWindow = 0
    private var subWindowsDone = 0
    private var totalFrames = 0

    /// Whether the meter measures each track's true peak (most of its cost: the 4× interpolation at 48 kHz).
    public let measuresTruePeak: Bool

    /// Creates a meter.
    /// - Parameters:
    ///   - bitsPerSample: the source's integer sample width (16, 24, 32), or nil for floating point (treated as
    ///     24-bit for the edge test).
    ///   - measuresTruePeak: false leaves ``TrackQuality/truePeak`` nil, for a caller whose ``LoudnessMeter``
    ///     measures it per channel in the same pass (``LoudnessMeter/channelTruePeaks``).
    public init(bitsPerSample: Int? = nil, measuresTruePeak: Bool = true) {
        let bits = min(32, max(8, bitsPerSample ?? 24))
        quantizationStep = Float(pow(2.0, -Double(bits - 1)))
        self.measuresTruePeak = measuresTruePeak
    }

    public func prepare(for spec: ProcessSpec) throws {
        let n = spec.channelCount
        channelCount = n
        sampleRate = spec.sampleRate
        subWindowFrames = max(1, Int((Self.subWindowSeconds * sampleRate).rounded()))
        subWindowsPerFloor = Int((Self.noiseFloorSeconds / Self.subWindowSeconds).rounded())
        maximumRunFrames = max(Self.minimumClipRunFrames, Int(Self.maximumClipRunSeconds * sampleRate))
        interpolator = measuresTruePeak ? TruePeakInterpolator(sampleRate: sampleRate, channelCount: n) : nil
        samplePeak = Array(repeating: 0, count: n)
        sum = Array(repeating: 0, count: n)
        sumSquares = Array(repeating: 0, count: n)
        invalidCounts = Array(repeating: 0, count: n)
        runValue = Array(repeating: .nan, count: n)
        runLength = Array(repeating: 0, count: n)
        runEntry = Array(repeating: 0, count: n)
        subEnergy = Array(repeating: 0, count: n)
        ring = Array(repeating: 0, count: n * subWindowsPerFloor)
        lowestFloorEnergy = Array(repeating: .infinity, count: n)
        let table = n * Self.plateauTableSize
        tableKey = Array(repeating: 0, count: table)
        tableRuns = Array(repeating: 0, count: table)
        tableFrames = Array(repeating: 0, count: table)
        tableMagnitude = Array(repeating: 0, count: table)
        tableCount = Array(repeating: 0, count: n)
        let pairs = n * (n - 1) / 2
        pairCross = Array(repeating: 0, count: pairs)
        pairTotalCross = Array(repeating: 0, count: pairs)
        pairTotalA = Array(repeating: 0, count: pairs)
        pairTotalB = Array(repeating: 0, count: pairs)
        pairFrames = Array(repeating: 0, count: pairs)
        reset()
    }

    public func reset() {
        interpolator?.reset()
        for c in 0..<channelCount {
            samplePeak[c] = 0
            sum[c] = 0
            sumSquares[c] = 0
            invalidCounts[c] = 0
            runValue[c] = .nan
            runLength[c] = 0
            runEntry[c] = 0
            subEnergy[c] = 0
            lowestFloorEnergy[c] = .infinity
            tableCount[c] = 0
        }
        for i in 0..<ring.count { ring[i] = 0 }
        for i in 0..<pairCross.count {
            pairCross[i] = 0
            pairTotalCross[i] = 0
            pairTotalA[i] = 0
            pairTotalB[i] = 0
            pairFrames[i] = 0
        }
        framesInSubWindow = 0
        subWindowsDone = 0
        totalFrames = 0
    }

    /// Counts invalid samples (NaN, ±Inf, beyond ±10⁶) that the caller zeroed in `channel` before feeding the block.
    public func noteInvalidSamples(channel: Int, count: Int) {
        guard channel >= 0 && channel < channelCount else { return }
        invalidCounts[channel] += count
    }

    /// Invalid samples noted per channel (``noteInvalidSamples(channel:count:)``).
    public var invalidSampleCounts: [Int] { invalidCounts }

    public func analyze(_ block: AudioBlock) {
        precondition(block.channelCount == channelCount,
                     "block has \(block.channelCount) channels, the meter was prepared for \(channelCount)")
        var offset = 0
        while offset < block.frameCount {
            let n = min(block.frameCount - offset, subWindowFrames - framesInSubWindow)
            analyzeSegment(block, offset: offset, count: n)
            offset += n
            framesInSubWindow += n
            totalFrames += n
            if framesInSubWindow == subWindowFrames { endSubWindow() }
        }
    }

    private func analyzeSegment(_ block: AudioBlock, offset: Int, count n: Int) {
        for c in 0..<channelCount {
            guard let base = block.channel(c).baseAddress else { continue }
            let p = UnsafePointer(base + offset)
            let peak = interpolator?.accumulatePeak(channel: c, samples: p, count: n)
                ?? PeakScan.magnitudeMax(p, count: n)
            if peak > samplePeak[c] { samplePeak[c] = peak }
            let (s, s2) = Self.sums(p, count: n)
            sum[c] += Double(s)
            sumSquares[c] += Double(s2)
            subEnergy[c] += Double(s2)
            // Runs of equal samples.
            var value = runValue[c]
            var length = runLength[c]
            var entry = runEntry[c]
            for i in 0..<n {
                let x = p[i]
                if x == value {
                    length += 1
                } else {
                    let step = abs(x - value)
                    if length >= Self.minimumClipRunFrames {
                        endRun(channel: c, value: value, length: length, edge: max(entry, step))
                    }
                    value = x
                    length = 1
                    entry = step.isNaN ? 0 : step
                }
            }
            runValue[c] = value
            runLength[c] = length
            runEntry[c] = entry
        }
        // Σxy for every pair.
        guard channelCount > 1 else { return }
        var pair = 0
        for a in 0..<(channelCount - 1) {
            guard let pa = block.channel(a).baseAddress else { pair += channelCount - 1 - a; continue }
            for b in (a + 1)..<channelCount {
                if let pb = block.channel(b).baseAddress {
                    pairCross[pair] += Double(Self.dot(pa + offset, pb + offset, count: n))
                }
                pair += 1
            }
        }
    }

    /// (Σx, Σx²) over `count` samples, in eight lanes (the order of the additions differs from a scalar loop's by
    /// Float rounding only). No allocation.
    @inline(__always)
    static func sums(_ p: UnsafePointer<Float>, count n: Int) -> (Float, Float) {
        let raw = UnsafeRawPointer(p)
        var s = SIMD8<Float>(repeating: 0), s2 = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= n {
            let x = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            s += x
            s2 += x * x
            i += 8
        }
        var total = s.sum(), squares = s2.sum()
        while i < n {
            total += p[i]
            squares += p[i] * p[i]
            i += 1
        }
        return (total, squares)
    }

    /// Σ a·b over `count` samples, in two eight-lane accumulators. No allocation.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var acc0 = SIMD8<Float>(repeating: 0), acc1 = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 16 <= n {
            acc0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            acc1 += ra.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self)
            i += 16
        }
        var total = (acc0 + acc1).sum()
        while i < n {
            total += a[i] * b[i]
            i += 1
        }
        return total
    }

    /// A run of `length` ≥ 3 samples equal to `value` ended: keep it if it can be a ceiling.
    private func endRun(channel c: Int, value: Float, length: Int, edge: Float) {
        let magnitude = abs(value)
        guard length <= maximumRunFrames, magnitude > 0, edge > Self.minimumClipEdgeSteps * quantizationStep,
              Double(magnitude) >= Double(samplePeak[c]) * amplitude(fromDecibels: -Self.ceilingWindowDecibels)
        else { return }
        let key = Int32((decibels(fromAmplitude: Double(magnitude)) * 100).rounded())
        let base = c * Self.plateauTableSize
        let used = tableCount[c]
        for i in base..<(base + used) where tableKey[i] == key {
            tableRuns[i] += 1
            tableFrames[i] += length
            tableMagnitude[i] = max(tableMagnitude[i], magnitude)
            return
        }
        var slot = base + used
        if used == Self.plateauTableSize {
            // Full: reuse a bin that fell out of the window, else the one with the fewest frames.
            let floor = Double(samplePeak[c]) * amplitude(fromDecibels: -Self.ceilingWindowDecibels)
            slot = base
            var fewest = Int.max
            for i in base..<(base + used) {
                if Double(tableMagnitude[i]) < floor { slot = i; break }
                if tableFrames[i] < fewest {
                    fewest = tableFrames[i]
                    slot = i
                }
            }
        } else {
            tableCount[c] = used + 1
        }
        tableKey[slot] = key
        tableRuns[slot] = 1
        tableFrames[slot] = length
        tableMagnitude[slot] = magnitude
    }

    private func endSubWindow() {
        let frames = Double(framesInSubWindow)
        let speech = power(fromDecibels: Self.speechLevelDecibels) * frames
        var pair = 0
        for a in 0..<channelCount {
            for b in (a + 1)..<max(a + 1, channelCount) {
                if subEnergy[a] >= speech && subEnergy[b] >= speech {
                    pairTotalCross[pair] += pairCross[pair]
                    pairTotalA[pair] += subEnergy[a]
                    pairTotalB[pair] += subEnergy[b]
                    pairFrames[pair] += framesInSubWindow
                }
                pairCross[pair] = 0
                pair += 1
            }
        }
        let slot = subWindowsDone % subWindowsPerFloor
        subWindowsDone += 1
        for c in 0..<channelCount {
            ring[c * subWindowsPerFloor + slot] = subEnergy[c]
            subEnergy[c] = 0
            if subWindowsDone >= subWindowsPerFloor {
                var energy = 0.0
                for k in 0..<subWindowsPerFloor { energy += ring[c * subWindowsPerFloor + k] }
                if energy > 0 && energy < lowestFloorEnergy[c] { lowestFloorEnergy[c] = energy }
            }
        }
        framesInSubWindow = 0
    }

    /// The measurement so far (call after the last block; it closes the runs still open without changing the
    /// state, so feeding more blocks afterwards continues correctly only if no run was open).
    public func finish() -> TrackQualityReport {
        var tracks: [TrackQuality] = []
        for c in 0..<channelCount {
            if runLength[c] >= Self.minimumClipRunFrames {
                // The stream ends on the plateau: only its entry is known.
                endRun(channel: c, value: runValue[c], length: runLength[c], edge: runEntry[c])
                runLength[c] = 0
                runValue[c] = .nan
            }
            let peak = Double(samplePeak[c])
            var truePeak: Double?
            if let interpolator {
                truePeak = max(peak, Double(interpolator.peaks[c]), Double(interpolator.tailPeak(channel: c)))
            }
            let count = Double(max(totalFrames, 1))
            let floorFrames = Double(subWindowFrames * subWindowsPerFloor)
            let floorEnergy = lowestFloorEnergy[c]
            // The clip level: the bin with the most plateau frames within the window under the final peak.
            let base = c * Self.plateauTableSize
            let window = peak * amplitude(fromDecibels: -Self.ceilingWindowDecibels)
            var best: Int?
            for i in base..<(base + tableCount[c]) where Double(tableMagnitude[i]) >= window {
                if best == nil || tableFrames[i] > tableFrames[best ?? i] { best = i }
            }
            var runs = 0
            var frames = 0
            var level: Float = 0
            if let best {
                for i in base..<(base + tableCount[c]) where abs(tableKey[i] - tableKey[best]) <= 1 {
                    runs += tableRuns[i]
                    frames += tableFrames[i]
                    level = max(level, tableMagnitude[i])
                }
            }
            tracks.append(TrackQuality(
                samplePeak: decibels(fromAmplitude: peak),
                truePeak: truePeak.map { decibels(fromAmplitude: $0) },
                rms: decibels(fromPower: sumSquares[c] / count),
                dcOffset: decibels(fromAmplitude: abs(sum[c]) / count),
                noiseFloor: floorEnergy.isFinite ? decibels(fromPower: floorEnergy / floorFrames) : nil,
                isDead: samplePeak[c] == 0,
                clippedRunCount: runs, clippedFrameCount: frames,
                clipLevel: runs > 0 ? decibels(fromAmplitude: Double(level)) : nil,
                frameCount: totalFrames))
        }
        var inversions: [PolarityInversion] = []
        var pair = 0
        for a in 0..<channelCount {
            for b in (a + 1)..<max(a + 1, channelCount) {
                let seconds = Double(pairFrames[pair]) / sampleRate
                let denominator = (pairTotalA[pair] * pairTotalB[pair]).squareRoot()
                if seconds >= Self.minimumPolaritySeconds, denominator > 0 {
                    let r = pairTotalCross[pair] / denominator
                    if r <= Self.inversionCorrelation {
                        inversions.append(PolarityInversion(first: a, second: b, correlation: r,
                                                            measuredSeconds: seconds))
                    }
                }
                pair += 1
            }
        }
        return TrackQualityReport(tracks: tracks, polarityInversions: inversions)
    }
}
