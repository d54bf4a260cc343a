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
    /// Harmonics modelled: the most in any chunk (from its first refinement pass on, a chunk models only the
    /// harmonics that stand out, at least to 1 kHz).
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

    /// Back to a new report, keeping the curve's storage.
    mutating func clear() {
        fundamentalHertz.removeAll(keepingCapacity: true)
        let curve = fundamentalHertz
        self = HumTrackReport()
        fundamentalHertz = curve
    }
}

/// Hum removal by ``HumTracker`` as an ``AudioProcessor``: the stream is cut into chunks of ``chunkSeconds``,
/// each tracked with ``overlapSeconds`` of context either side and cross-faded over the middle of the overlap.
///
/// Latency is `chunk + 2·overlap` (32 s at the defaults); a file job compensates it. Every channel is tracked on
/// its own. The output can be the cleaned audio or what was removed (``HumRemoverOutput``).
/// `prepare` allocates all working memory (per channel: the input since the current window's start, the finished
/// output not yet emitted, the cross-fade tail; shared by the channels, which are tracked one after another: the
/// window and its copy, and the tracker's own working memory, ``HumTracker/reserve(samples:)``), so `process` and
/// `flush` do not allocate; the one exception is the reported f0 curve (ten points a second per channel),
/// reserved for an hour of audio and grown (amortised, a doubling each time) past it.
public final class HumTrackingRemover: AudioProcessor {
    public static let chunkSeconds = 28.0
    public static let overlapSeconds = 2.0
    /// Curve points per channel reserved in `prepare` (an hour at ten a second).
    static let reservedCurvePoints = 36_000

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
    /// Input from stream frame `inputStart` to `inputEnd`, per channel (capacity `inputCapacity`).
    private var input: [Scratch<Float>] = []
    private var inputCapacity = 0
    private var inputStart = 0
    private var inputEnd = 0
    /// Finished output from stream frame `outputStart` to `outputEnd`, per channel, stored from stream frame
    /// `finishedOrigin` (capacity `finishedCapacity`; moved to the front once per chunk).
    private var finished: [Scratch<Float>] = []
    private var finishedCapacity = 0
    private var finishedOrigin = 0
    private var outputStart = 0
    private var outputEnd = 0
    /// The previous chunk's result past `outputEnd`, for the cross-fade (`tailCount` frames per channel).
    private var tail: [Scratch<Float>] = []
    private var tailCount = 0
    /// The window being tracked, shared by the channels (`windowCapacity`); its original is the input, unchanged
    /// until the window is done.
    private var work = Scratch<Float>()
    private var windowCapacity = 0
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

    deinit {
        releaseBuffers()
        // (Not released before: each processor left its 32 s window and a copy of it behind, 12 MB at 48 kHz,
        // which a batch of hundreds of files piled up.)
        work.release()
    }

    private func releaseBuffers() {
        for buffer in input { buffer.release() }
        for buffer in finished { buffer.release() }
        for buffer in tail { buffer.release() }
        input = []
        finished = []
        tail = []
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
        let tracker = try HumTracker(sampleRate: rate, referenceHertz: fundamentalHertz, settings: settings)
        // A window is at most a chunk and both overlaps; the input since the window's start at most that and a
        // block; the finished output not yet emitted at most a chunk, an overlap and a half and a block.
        windowCapacity = chunk + 2 * overlap
        tracker.reserve(samples: windowCapacity)
        self.tracker = tracker
        inputCapacity = windowCapacity + spec.maximumBlockFrames
        finishedCapacity = chunk + 3 * overlap + spec.maximumBlockFrames
        releaseBuffers()
        reports = []
        for _ in 0..<channels {
            var buffer = Scratch<Float>()
            buffer.ensure(inputCapacity)
            input.append(buffer)
            buffer = Scratch<Float>()
            buffer.ensure(finishedCapacity)
            finished.append(buffer)
            buffer = Scratch<Float>()
            buffer.ensure(overlap + 1)
            tail.append(buffer)
        }
        work.ensure(windowCapacity)
        reset()
    }

    /// Clears the stream state; the reports are emptied in place (no allocation after `prepare`).
    public func reset() {
        if reports.count != channels {
            reports = Array(repeating: HumTrackReport(), count: channels)
            for c in 0..<channels { reports[c].fundamentalHertz.reserveCapacity(Self.reservedCurvePoints) }
        }
        for c in 0..<channels { reports[c].clear() }
        inputStart = 0
        inputEnd = 0
        finishedOrigin = 0
        outputStart = 0
        outputEnd = 0
        tailCount = 0
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
        let fadeEnd = min(outputEnd + tailCount, finalEnd)
        let length = windowEnd - windowStart
        // Sizes are bounded in `prepare`; these only guard against a bound being wrong (then they allocate).
        work.ensure(length)
        // The finished output not yet emitted moves to the front, then this chunk's is appended.
        let pending = outputEnd - outputStart
        let needed = pending + (finalEnd - fadeStart)
        for c in 0..<channels {
            let buffer = finished[c].base
            if outputStart > finishedOrigin, pending > 0 {
                memmove(buffer, buffer + (outputStart - finishedOrigin), pending * MemoryLayout<Float>.stride)
            }
            if needed > finishedCapacity {
                var grown = Scratch<Float>()
                grown.ensure(needed)
                grown.base.update(from: buffer, count: pending)
                finished[c].release()
                finished[c] = grown
            }
        }
        finishedOrigin = outputStart
        finishedCapacity = max(finishedCapacity, needed)
        for c in 0..<channels {
            let source = input[c].base + (windowStart - inputStart)
            let cleaned = work.base, before = UnsafePointer(source)
            cleaned.update(from: source, count: length)
            let track = tracker.removeHumKeepingTrack(from: UnsafeMutableBufferPointer(start: cleaned, count: length))
            record(track, channel: c, windowStart: windowStart, from: fadeStart, to: finalEnd, original: before,
                   cleaned: cleaned)
            if output == .residual {
                for i in 0..<length { cleaned[i] = before[i] - cleaned[i] }
            }
            let result = cleaned
            // Cross-fade the previous chunk's tail into this one over [fadeStart, fadeEnd).
            let fadeLength = fadeEnd - fadeStart
            let out = finished[c].base + (fadeStart - finishedOrigin)
            let previous = tail[c].base
            for t in fadeStart..<fadeEnd {
                let a = (Double(t - fadeStart) + 0.5) / Double(fadeLength)
                out[t - fadeStart] = Float(a) * result[t - windowStart] + Float(1 - a) * previous[t - fadeStart]
            }
            if finalEnd > fadeEnd {
                (out + (fadeEnd - fadeStart)).update(from: result + (fadeEnd - windowStart), count: finalEnd - fadeEnd)
            }
            // Keep this chunk's result past finalEnd for the next cross-fade.
            let kept = max(0, windowEnd - finalEnd)
            tail[c].ensure(kept)
            if kept > 0 { tail[c].base.update(from: result + (finalEnd - windowStart), count: kept) }
        }
        tailCount = max(0, windowEnd - finalEnd)
        outputEnd = finalEnd
        chunkIndex += 1
        // Drop input before the next window's start.
        let nextWindowStart = max(0, chunkIndex * chunk - overlap)
        if nextWindowStart > inputStart {
            let stored = inputEnd - inputStart
            let drop = min(nextWindowStart - inputStart, stored)
            for c in 0..<channels where stored > drop {
                memmove(input[c].base, input[c].base + drop, (stored - drop) * MemoryLayout<Float>.stride)
            }
            inputStart += drop
        }
    }

    private func record(_ track: HumTrack, channel c: Int, windowStart: Int, from: Int, to: Int,
                        original: UnsafePointer<Float>, cleaned: UnsafePointer<Float>) {
        reports[c].harmonicCount = max(reports[c].harmonicCount, track.harmonicCount)
        reports[c].chunks += 1
        if track.tracked {
            reports[c].chunksRemoved += 1
            reports[c].modelPower += track.modelPower
            reports[c].estimatedLeftPower += track.estimatedLeftPower
        }
        var inputEnergy = reports[c].inputEnergy, removedEnergy = reports[c].removedEnergy
        for t in from..<to {
            let x = Double(original[t - windowStart]), y = Double(cleaned[t - windowStart])
            inputEnergy += x * x
            removedEnergy += (x - y) * (x - y)
        }
        reports[c].inputEnergy = inputEnergy
        reports[c].removedEnergy = removedEnergy
        // The curve: one point per 0.1 s whose time falls in [from, to).
        let frameSeconds = tracker?.trackedFrameSeconds ?? UnsafeBufferPointer(start: nil, count: 0)
        let fundamentalHertz = tracker?.trackedFundamentalHertz ?? UnsafeBufferPointer(start: nil, count: 0)
        let step = rate / 10
        var point = Int((Double(from) / step).rounded(.up))
        var frame = 0
        while Double(point) * step < Double(to) {
            let seconds = Double(point) * step / rate - Double(windowStart) / rate
            var value: Double?
            if track.tracked, !frameSeconds.isEmpty {
                while frame + 1 < frameSeconds.count && frameSeconds[frame + 1] <= seconds { frame += 1 }
                value = fundamentalHertz[frame]
            }
            while reports[c].fundamentalHertz.count < point { reports[c].fundamentalHertz.append(nil) }
            if reports[c].fundamentalHertz.count == point { reports[c].fundamentalHertz.append(value) }
            point += 1
        }
    }

    public func process(_ block: AudioBlock) {
        let n = block.frameCount
        let stored = inputEnd - inputStart
        if stored + n > inputCapacity {
            // Only a block larger than the prepared maximum gets here (it allocates).
            for c in 0..<channels {
                var grown = Scratch<Float>()
                grown.ensure(stored + n)
                grown.base.update(from: input[c].base, count: stored)
                input[c].release()
                input[c] = grown
            }
            inputCapacity = stored + n
        }
        for c in 0..<channels {
            let samples = block.channel(c)
            guard let source = samples.baseAddress else { continue }
            (input[c].base + stored).update(from: source, count: n)
        }
        inputEnd += n
        while inputEnd >= (chunkIndex + 1) * chunk + overlap { trackChunk(final: false) }
        emit(into: block)
    }

    /// Writes output frames for stream positions emitted…emitted+frameCount−1 (delayed by the latency).
    private func emit(into block: AudioBlock) {
        let n = block.frameCount
        // Positions emitted + i − latency inside [outputStart, outputEnd) come from the finished output, the rest
        // are 0 (the latency's lead-in, and anything past the end).
        let first = min(n, max(0, outputStart - (emitted - latencyFrames)))
        let last = max(first, min(n, outputEnd - (emitted - latencyFrames)))
        for c in 0..<channels {
            let out = block.channel(c)
            let source = finished[c].base
            for i in 0..<first { out[i] = 0 }
            if last > first, let base = out.baseAddress {
                (base + first).update(from: source + (emitted + first - latencyFrames - finishedOrigin),
                                      count: last - first)
            }
            for i in last..<n { out[i] = 0 }
        }
        emitted += n
        // Output already emitted is done with (it stays in the buffer until the next chunk moves the rest).
        let done = emitted - latencyFrames - outputStart
        if done > 0 { outputStart += min(done, outputEnd - outputStart) }
    }

    public func flush(into block: AudioBlock) {
        if !flushed {
            flushed = true
            if inputEnd > outputEnd { trackChunk(final: true) }
        }
        emit(into: block)
    }
}
