import Foundation
import ScrimCore

/// The hum track a ``HumTrackingRemover`` followed on one channel, ten points a second.
public struct HumTrackReport: Sendable {
    /// The fundamental every 0.1 s from the stream start (Hz); nil where the stretch was too short to track.
    public var fundamentalHertz: [Double?] = []
    /// Lowest and highest tracked fundamental (Hz).
    public var rangeHertz: ClosedRange<Double>? {
        let values = fundamentalHertz.compactMap { $0 }
        guard let low = values.min(), let high = values.max() else { return nil }
        return low...high
    }
    /// The fastest change of the fundamental (Hz per second), over 0.5 s steps of the curve.
    public var fastestRateHertzPerSecond: Double? {
        let step = 5
        var fastest: Double?
        var i = 0
        while i + step < fundamentalHertz.count {
            if let a = fundamentalHertz[i], let b = fundamentalHertz[i + step] {
                fastest = max(fastest ?? 0, abs(b - a) / (Double(step) * 0.1))
            }
            i += 1
        }
        return fastest
    }
    /// Energy subtracted and energy of the input (sums of squares), for the removed-to-input ratio.
    public var removedEnergy: Double = 0
    public var inputEnergy: Double = 0
    /// Harmonics modelled.
    public var harmonicCount: Int = 0
    /// Chunks tracked, and of those the ones where hum was removed.
    public var chunks: Int = 0
    public var chunksRemoved: Int = 0
    /// Sums over the removed chunks of the modelled hum's power and its estimated amplitude-error power.
    public var modelPower: Double = 0
    public var estimatedLeftPower: Double = 0
    /// The estimated hum left (dB re the hum removed): amplitude uncertainty only (``HumTrack/estimatedLeftPower``).
    public var estimatedHumLeftDecibels: Double? {
        modelPower > 0 ? 10 * log10(max(estimatedLeftPower, 1e-30) / modelPower) : nil
    }
    /// What was removed, in dB re the input.
    public var removedDecibels: Double? {
        inputEnergy > 0 && removedEnergy > 0 ? 10 * log10(removedEnergy / inputEnergy) : nil
    }
}

/// Hum removal by ``HumTracker`` as an ``AudioProcessor``: the stream is cut into chunks of ``chunkSeconds``,
/// each tracked with ``overlapSeconds`` of context either side and cross-faded over the middle of the overlap.
///
/// Latency is `chunk + 2·overlap` (32 s at the defaults); a file job compensates it. Every channel is tracked on
/// its own. The output can be the cleaned audio or what was removed (``HumRemoverOutput``).
/// `process` allocates when a chunk is tracked (the tracker's working arrays): it does not meet the contract's
/// no-allocation rule yet.
public final class HumTrackingRemover: AudioProcessor {
    public static let chunkSeconds = 28.0
    public static let overlapSeconds = 2.0

    public let fundamentalHertz: Double
    public let settings: HumTrackerSettings
    public let output: HumRemoverOutput
    public private(set) var latencyFrames = 0
    /// One report per channel, filled as chunks are tracked.
    public private(set) var reports: [HumTrackReport] = []

    private var rate = 48000.0
    private var channels = 0
    private var chunk = 0
    private var overlap = 0
    private var tracker: HumTracker?
    /// Input from stream frame `inputStart`, per channel.
    private var input: [[Float]] = []
    private var inputStart = 0
    private var inputEnd = 0
    /// Finished output from stream frame `outputStart` to `outputEnd`, per channel.
    private var finished: [[Float]] = []
    private var outputStart = 0
    private var outputEnd = 0
    /// The previous chunk's result past `outputEnd`, for the cross-fade.
    private var tail: [[Float]] = []
    /// Next chunk index; its core is [index·chunk, (index+1)·chunk).
    private var chunkIndex = 0
    /// Frames emitted so far (stream position of the output).
    private var emitted = 0
    private var flushed = false

    /// Chunk and overlap lengths in seconds (defaults ``chunkSeconds``, ``overlapSeconds``).
    public let chunkLength: Double
    public let overlapLength: Double

    public init(fundamentalHertz: Double, settings: HumTrackerSettings = HumTrackerSettings(),
                output: HumRemoverOutput = .cleaned, chunkSeconds: Double = HumTrackingRemover.chunkSeconds,
                overlapSeconds: Double = HumTrackingRemover.overlapSeconds) {
        self.fundamentalHertz = fundamentalHertz
        self.settings = settings
        self.output = output
        chunkLength = chunkSeconds
        overlapLength = overlapSeconds
    }

    public func prepare(for spec: ProcessSpec) throws {
        rate = spec.sampleRate
        channels = spec.channelCount
        guard chunkLength >= 1, overlapLength >= 0.1, overlapLength * 2 <= chunkLength else {
            throw ScrimError(.configuration, "hum tracker: chunks of \(chunkLength) s with \(overlapLength) s overlap "
                             + "(use chunks of 1 s or more and an overlap of 0.1 s to half a chunk)")
        }
        chunk = Int((chunkLength * rate).rounded())
        overlap = Int((overlapLength * rate).rounded())
        latencyFrames = chunk + 2 * overlap
        tracker = try HumTracker(sampleRate: rate, referenceHertz: fundamentalHertz, settings: settings)
        reset()
    }

    public func reset() {
        input = Array(repeating: [], count: channels)
        finished = Array(repeating: [], count: channels)
        tail = Array(repeating: [], count: channels)
        for c in 0..<channels {
            input[c].reserveCapacity(chunk + 3 * overlap)
            finished[c].reserveCapacity(chunk + 3 * overlap)
        }
        reports = Array(repeating: HumTrackReport(), count: channels)
        inputStart = 0
        inputEnd = 0
        outputStart = 0
        outputEnd = 0
        chunkIndex = 0
        emitted = 0
        flushed = false
    }

    /// Tracks the chunk whose core starts at chunkIndex·chunk, with the input available up to `inputEnd`.
    private func trackChunk(final: Bool) {
        guard let tracker else { return }
        let coreStart = chunkIndex * chunk
        let windowStart = max(0, coreStart - overlap)
        // A fixed window whatever the block split (the result must not depend on it).
        let windowEnd = final ? inputEnd : min(inputEnd, coreStart + chunk + overlap)
        // Output made final by this chunk: up to the middle of the next overlap, or the end.
        let finalEnd = final ? windowEnd : min(windowEnd, coreStart + chunk + overlap / 2)
        let fadeStart = outputEnd
        let tailCount = tail.first?.count ?? 0
        let fadeEnd = min(outputEnd + tailCount, finalEnd)
        for c in 0..<channels {
            var work = Array(input[c][(windowStart - inputStart)..<(windowEnd - inputStart)])
            let original = work
            let track = work.withUnsafeMutableBufferPointer { tracker.removeHum(from: $0) }
            record(track, channel: c, windowStart: windowStart, from: fadeStart, to: finalEnd, original: original,
                   cleaned: work)
            var result = work
            if output == .residual {
                for i in result.indices { result[i] = original[i] - work[i] }
            }
            // Cross-fade the previous chunk's tail into this one over [fadeStart, fadeEnd).
            let fadeLength = fadeEnd - fadeStart
            for t in fadeStart..<finalEnd {
                let mine = result[t - windowStart]
                var value = mine
                if t < fadeEnd, fadeLength > 0 {
                    let a = (Double(t - fadeStart) + 0.5) / Double(fadeLength)
                    value = Float(a) * mine + Float(1 - a) * tail[c][t - fadeStart]
                }
                finished[c].append(value)
            }
            // Keep this chunk's result past finalEnd for the next cross-fade.
            tail[c] = finalEnd < windowEnd ? Array(result[(finalEnd - windowStart)..<(windowEnd - windowStart)]) : []
        }
        outputEnd = finalEnd
        chunkIndex += 1
        // Drop input before the next window's start.
        let nextWindowStart = max(0, chunkIndex * chunk - overlap)
        if nextWindowStart > inputStart {
            let drop = min(nextWindowStart - inputStart, input.first?.count ?? 0)
            for c in 0..<channels { input[c].removeFirst(drop) }
            inputStart += drop
        }
    }

    private func record(_ track: HumTrack, channel c: Int, windowStart: Int, from: Int, to: Int, original: [Float],
                        cleaned: [Float]) {
        reports[c].harmonicCount = track.harmonicCount
        reports[c].chunks += 1
        if track.tracked {
            reports[c].chunksRemoved += 1
            reports[c].modelPower += track.modelPower
            reports[c].estimatedLeftPower += track.estimatedLeftPower
        }
        for t in from..<to {
            let x = Double(original[t - windowStart]), y = Double(cleaned[t - windowStart])
            reports[c].inputEnergy += x * x
            reports[c].removedEnergy += (x - y) * (x - y)
        }
        // The curve: one point per 0.1 s whose time falls in [from, to).
        let step = rate / 10
        var point = Int((Double(from) / step).rounded(.up))
        var frame = 0
        while Double(point) * step < Double(to) {
            let seconds = Double(point) * step / rate - Double(windowStart) / rate
            var value: Double?
            if track.tracked, !track.frameSeconds.isEmpty {
                while frame + 1 < track.frameSeconds.count && track.frameSeconds[frame + 1] <= seconds { frame += 1 }
                value = track.fundamentalHertz[frame]
            }
            while reports[c].fundamentalHertz.count < point { reports[c].fundamentalHertz.append(nil) }
            if reports[c].fundamentalHertz.count == point { reports[c].fundamentalHertz.append(value) }
            point += 1
        }
    }

    public func process(_ block: AudioBlock) {
        let n = block.frameCount
        for c in 0..<channels {
            let samples = block.channel(c)
            for i in 0..<n { input[c].append(samples[i]) }
        }
        inputEnd += n
        while inputEnd >= (chunkIndex + 1) * chunk + overlap { trackChunk(final: false) }
        emit(into: block)
    }

    /// Writes output frames for stream positions emitted…emitted+frameCount−1 (delayed by the latency).
    private func emit(into block: AudioBlock) {
        let n = block.frameCount
        for i in 0..<n {
            let position = emitted + i - latencyFrames
            for c in 0..<channels {
                let value: Float
                if position >= outputStart && position < outputEnd {
                    value = finished[c][position - outputStart]
                } else {
                    value = 0
                }
                block.channel(c)[i] = value
            }
        }
        emitted += n
        // Drop finished output already emitted.
        let done = emitted - latencyFrames - outputStart
        if done > 0 {
            let drop = min(done, finished.first?.count ?? 0)
            for c in 0..<channels { finished[c].removeFirst(drop) }
            outputStart += drop
        }
    }

    public func flush(into block: AudioBlock) {
        if !flushed {
            flushed = true
            if inputEnd > outputEnd { trackChunk(final: true) }
        }
        emit(into: block)
    }
}
