import Foundation
import ScrimCore
import ScrimSpectral

/// A spectrogram baked onto a picture's grid: `columnCount` columns (time) by the axis's rows (log frequency),
/// one level per cell in dBFS, per track.
public struct Spectrogram: Sendable {
    /// The frequency rows.
    public var axis: LogFrequencyAxis
    /// Time columns; column c covers frames [c·F/C, (c+1)·F/C) of an F-frame stream.
    public var columnCount: Int
    /// One grid per track (or one for a mix): `levels[track][column · rowCount + row]`, dBFS (a full-scale sine
    /// reads 0), row 0 the lowest frequency. −200 where nothing was measured.
    public var levels: [[Float]]

    public init(axis: LogFrequencyAxis, columnCount: Int, levels: [[Float]]) {
        self.axis = axis
        self.columnCount = columnCount
        self.levels = levels
    }

    /// The level of one cell.
    @inline(__always)
    public func level(track: Int, column: Int, row: Int) -> Float {
        levels[track][column * axis.rowCount + row]
    }

    /// The highest level of every grid (−200 when empty).
    public var maximumLevel: Float { levels.lazy.compactMap { $0.max() }.max() ?? Self.floorDecibels }

    /// The level written where there is no energy (and below which nothing is shown).
    public static let floorDecibels: Float = -200
}

/// Builds a ``Spectrogram`` from a stream of audio blocks, with a cost bounded by the picture, not the stream: each
/// time column gets up to ``maximumTransformsPerColumn`` windowed FFTs spread over its span (their powers averaged),
/// never more, so a 2-hour file costs as many transforms as a 2-minute one and only the file's reading grows.
///
/// Transform: a periodic Blackman–Harris window (−92 dB side lobes, Harris 1978; the main lobe ±4 bins) of
/// ``fftSize(sampleRate:)`` samples (about 170 ms: 8192 at 44.1/48 kHz, 5.9 Hz bins, enough to part 50 Hz hum
/// harmonics at the bottom of the log axis). Levels are scaled so that a full-scale sine at a bin centre reads
/// 0 dBFS: |X|² · 4 / (Σw)². A row takes the highest bin inside it (tones keep their level where a row spans many
/// bins) or, where a row is narrower than a bin, the power interpolated linearly between the two nearest bins.
///
/// Layout: per track (``Tracks/separate(maximum:)``: the first `maximum` channels, each its own grid), one grid
/// of the channels' mean power (``Tracks/mixed``), or a before/after comparison (``Tracks/comparison``): the
/// stream's first half of channels is the input, the second half the output, and three grids come out — the
/// input's, the output's and the difference's (input − output) mean power. The difference costs no transform of its
/// own: the FFT is linear, so its spectrum is X_in − X_out.
///
/// Lifecycle as an ``AudioAnalyzer``: `prepare` plans the FFT and allocates (a ring of `fftSize` samples per track
/// and the grids: columns × rows floats per track); `analyze` does not allocate. The stream must bring
/// `frameCount` frames (fewer leave the last columns at the floor; more are ignored). Not thread-safe.
public final class SpectrogramAnalyzer: AudioAnalyzer {
    /// How channels map to grids.
    public enum Tracks: Sendable, Hashable {
        /// One grid per channel, for at most `maximum` channels (the rest are not shown).
        case separate(maximum: Int)
        /// One grid: the mean power of all channels.
        case mixed
        /// Three grids from 2·C channels (C input, then C output): input, output, input − output; mean power.
        case comparison
    }

    /// Transforms averaged per column at most (by default).
    public static let maximumTransformsPerColumn = 4

    /// The transform length at `sampleRate`: the power of two nearest above 0.17 s (8192 at 44.1 and 48 kHz,
    /// 16384 at 96 kHz), within 256…65536.
    public static func fftSize(sampleRate: Double) -> Int {
        var size = 256
        while Double(size) < 0.17 * sampleRate && size < 65536 { size *= 2 }
        return size
    }

    public let frameCount: Int
    public let columnCount: Int
    public let rowCount: Int
    public let tracks: Tracks
    /// Transforms averaged per column at most.
    public let transformLimit: Int

    private var axis = LogFrequencyAxis(highestHertz: 24_000, rowCount: 1)
    private var fft: RealFFT?
    private var window: [Float] = []
    private var size = 0
    private var gridCount = 0
    private var channelCount = 0
    /// The rings, one after another: ring c is `rings[c · size ..< (c + 1) · size]`.
    private var rings: [Float] = []
    private var ringCount = 0
    private var ringIndex = 0
    private var position = 0
    private var transformsPerColumn = 1
    /// The next window to take: its index over all columns (column · transformsPerColumn + j) and its end frame.
    private var nextWindow = 0
    private var nextEnd = 0
    private var columnPower: [[Float]] = []
    private var grids: [[Float]] = []
    private var rowLow: [Int] = []
    private var rowHigh: [Int] = []
    private var rowInterpolation: [Float] = []
    private var scale: Float = 1
    /// The input's spectrum kept for the difference (comparison).
    private var savedReal: [Float] = []
    private var savedImag: [Float] = []

    /// - Parameters:
    ///   - frameCount: frames the stream will bring (the file's frame count).
    ///   - columnCount: time columns (the panel's width in pixels).
    ///   - rowCount: frequency rows (the panel's height in pixels).
    ///   - tracks: per channel, mixed, or a comparison.
    ///   - transformLimit: transforms averaged per column at most (1…``maximumTransformsPerColumn``).
    public init(frameCount: Int, columnCount: Int, rowCount: Int, tracks: Tracks,
                transformLimit: Int = SpectrogramAnalyzer.maximumTransformsPerColumn) {
        self.frameCount = max(0, frameCount)
        self.columnCount = max(1, columnCount)
        self.rowCount = max(1, rowCount)
        self.tracks = tracks
        self.transformLimit = min(Self.maximumTransformsPerColumn, max(1, transformLimit))
    }

    public func prepare(for spec: ProcessSpec) throws {
        try spec.validate()
        size = Self.fftSize(sampleRate: spec.sampleRate)
        fft = try RealFFT(fftSize: size, directions: .forward)
        window = WindowShape.blackmanHarris.samples(length: size)
        let windowSum = window.reduce(0) { $0 + Double($1) }
        scale = Float(4 / (windowSum * windowSum))
        channelCount = spec.channelCount
        switch tracks {
        case .separate(let maximum): gridCount = max(1, min(maximum, spec.channelCount))
        case .mixed: gridCount = 1
        case .comparison:
            guard spec.channelCount % 2 == 0 else {
                throw ScrimError(.configuration, "a comparison spectrogram needs input and output channels in equal "
                                 + "numbers; got \(spec.channelCount) channels")
            }
            gridCount = 3
        }
        axis = LogFrequencyAxis(sampleRate: spec.sampleRate, rowCount: rowCount)
        let binCount = size / 2 + 1
        let binsPerHertz = Double(size) / spec.sampleRate
        rowLow = []
        rowHigh = []
        rowInterpolation = []
        for r in 0..<rowCount {
            let lo = axis.hertz(atPosition: Double(r)) * binsPerHertz
            let hi = axis.hertz(atPosition: Double(r + 1)) * binsPerHertz
            let first = Int(lo.rounded(.up)), last = min(binCount - 1, Int(hi.rounded(.down)))
            if first <= last && hi - lo >= 1 {
                rowLow.append(first)
                rowHigh.append(last)
                rowInterpolation.append(-1)
            } else {
                // Narrower than a bin: interpolate at the row's geometric centre.
                let centre = min(Double(binCount - 1), axis.hertz(atPosition: Double(r) + 0.5) * binsPerHertz)
                let below = min(binCount - 2, Int(centre))
                rowLow.append(below)
                rowHigh.append(below + 1)
                rowInterpolation.append(Float(centre - Double(below)))
            }
        }
        let ringCount: Int
        switch tracks {
        case .separate: ringCount = gridCount
        case .mixed, .comparison: ringCount = channelCount
        }
        savedReal = [Float](repeating: 0, count: binCount)
        savedImag = [Float](repeating: 0, count: binCount)
        self.ringCount = ringCount
        rings = [Float](repeating: 0, count: ringCount * size)
        columnPower = [[Float]](repeating: [Float](repeating: 0, count: binCount), count: gridCount)
        grids = [[Float]](repeating: [Float](repeating: Spectrogram.floorDecibels, count: columnCount * rowCount),
                          count: gridCount)
        let span = Double(frameCount) / Double(columnCount)
        transformsPerColumn = max(1, min(transformLimit, Int(span / Double(size))))
        reset()
    }

    public func reset() {
        drainWorker()
        // Whole-array fills (an element loop on a class's arrays pays an exclusivity check per element).
        rings.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        for g in grids.indices {
            grids[g].withUnsafeMutableBufferPointer { $0.update(repeating: Spectrogram.floorDecibels) }
        }
        for g in columnPower.indices { columnPower[g].withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        ringIndex = 0
        position = 0
        nextWindow = 0
        nextEnd = windowEnd(0)
    }

    /// The frame just after window `index`: centred in its share of its column, kept inside the stream when the
    /// stream is longer than a window (else it ends at the stream's end, the ring's zeros before it).
    private func windowEnd(_ index: Int) -> Int {
        guard frameCount > 0 else { return 0 }
        let total = columnCount * transformsPerColumn
        let centre = (Double(index) + 0.5) * Double(frameCount) / Double(total)
        let end = Int(centre.rounded()) + size / 2
        return min(max(end, min(size, frameCount)), frameCount)
    }

    public func analyze(_ block: AudioBlock) {
        guard fft != nil else { return }
        var offset = 0
        while offset < block.frameCount {
            let total = columnCount * transformsPerColumn
            guard nextWindow < total else { return }
            // Frames more than a window before the next window's end are never transformed: skip them uncopied
            // (the `size` frames before the end refill the ring whatever its write index).
            let skip = min(block.frameCount - offset, max(0, nextEnd - size - position))
            offset += skip
            position += skip
            let take = min(block.frameCount - offset, max(0, nextEnd - position))
            if take > 0 {
                push(block, from: offset, count: take)
                offset += take
                position += take
            }
            while nextWindow < total && position >= nextEnd {
                transform()
                nextWindow += 1
                if nextWindow < total { nextEnd = windowEnd(nextWindow) }
            }
        }
    }

    /// The transform length chosen at `prepare` (0 before).
    public var transformFrames: Int { size }

    /// The frames each transform will take, in order (after `prepare`): for a caller that reads only these from a
    /// seekable file and hands them to ``analyzeNextWindow(_:)``, instead of streaming every frame through
    /// ``analyze(_:)``. Windows that start before frame 0 (a stream shorter than a window) start at 0.
    public var windowRanges: [Range<Int>] {
        guard fft != nil else { return [] }
        return (0..<(columnCount * transformsPerColumn)).map { index in
            let end = windowEnd(index)
            return max(0, end - size)..<end
        }
    }

    /// Takes the frames of the next window (``windowRanges``, in order) and transforms them: the same result as
    /// streaming the whole file through ``analyze(_:)``. Does not allocate.
    /// - Precondition: `block` holds the window's frames (at most ``transformFrames``).
    public func analyzeNextWindow(_ block: AudioBlock) {
        guard fft != nil, nextWindow < columnCount * transformsPerColumn else { return }
        precondition(block.frameCount <= size, "a window of \(block.frameCount) frames for a \(size)-point transform")
        // Zeros before a short window (a stream shorter than the transform), then the frames, oldest first.
        let size = size
        rings.withUnsafeMutableBufferPointer { r in
            guard let all = r.baseAddress else { return }
            for c in 0..<ringCount {
                guard let source = block.channel(c).baseAddress else { continue }
                let base = all + c * size
                let pad = size - block.frameCount
                base.update(repeating: 0, count: pad)
                (base + pad).update(from: source, count: block.frameCount)
            }
        }
        ringIndex = 0
        position = nextEnd
        transform()
        nextWindow += 1
        if nextWindow < columnCount * transformsPerColumn { nextEnd = windowEnd(nextWindow) }
    }

    /// Copies frames into the rings (the last `size` frames of each channel), newest at `ringIndex − 1`: at most two
    /// contiguous copies per channel.
    private func push(_ block: AudioBlock, from start: Int, count: Int) {
        ringIndex = push(block, from: start, count: count, rings: 0..<ringCount, ringIndex: ringIndex)
    }

    /// Copies frames of `block`'s channels 0… into `rings` (in order) at `ringIndex`; returns the new write index.
    private func push(_ block: AudioBlock, from start: Int, count: Int, rings: Range<Int>, ringIndex: Int) -> Int {
        // Only the last `size` frames of a long run matter.
        let skip = max(0, count - size)
        let n = count - skip
        let first = min(n, size - ringIndex), size = size
        self.rings.withUnsafeMutableBufferPointer { r in
            guard let all = r.baseAddress else { return }
            for c in rings {
                guard let source = block.channel(c - rings.lowerBound).baseAddress else { continue }
                let base = all + c * size
                (base + ringIndex).update(from: source + start + skip, count: first)
                if n > first { base.update(from: source + start + skip + first, count: n - first) }
            }
        }
        return (ringIndex + n) % size
    }

    /// One windowed FFT of the rings, added to the column's powers; the column is written out after its last one.
    private func transform() {
        guard let fft else { return }
        let binCount = size / 2 + 1
        let real = fft.real, imag = fft.imag
        /// Windows ring `c` (oldest sample first) into the FFT's input and transforms it.
        let start = ringIndex, length = size, input = fft.input
        func forward(_ c: Int) {
            rings.withUnsafeBufferPointer { all in
                window.withUnsafeBufferPointer { w in
                    guard let base = all.baseAddress else { return }
                    let r = base + c * length
                    let head = length - start
                    for i in 0..<head { input[i] = r[start + i] * w[i] }
                    for i in 0..<start { input[head + i] = r[i] * w[head + i] }
                }
            }
            fft.forward()
        }
        func accumulate(_ grid: Int) {
            columnPower[grid].withUnsafeMutableBufferPointer { p in
                for k in 0..<binCount { p[k] += real[k] * real[k] + imag[k] * imag[k] }
            }
        }
        var averaged = 1
        switch tracks {
        case .separate:
            for c in 0..<gridCount {
                forward(c)
                accumulate(c)
            }
        case .mixed:
            for c in 0..<channelCount {
                forward(c)
                accumulate(0)
            }
            averaged = channelCount
        case .comparison:
            let half = channelCount / 2
            savedReal.withUnsafeMutableBufferPointer { keptReal in
                savedImag.withUnsafeMutableBufferPointer { keptImag in
                    for c in 0..<half {
                        forward(c)
                        accumulate(0)
                        for k in 0..<binCount {
                            keptReal[k] = real[k]
                            keptImag[k] = imag[k]
                        }
                        forward(half + c)
                        accumulate(1)
                        columnPower[2].withUnsafeMutableBufferPointer { p in
                            for k in 0..<binCount {
                                let dr = keptReal[k] - real[k], di = keptImag[k] - imag[k]
                                p[k] += dr * dr + di * di
                            }
                        }
                    }
                }
            }
            averaged = half
        }
        guard (nextWindow + 1) % transformsPerColumn == 0 else { return }
        finishColumn(nextWindow / transformsPerColumn, averaged: averaged)
    }

    /// Writes a column's rows from the powers accumulated for it, and clears the accumulators.
    private func finishColumn(_ column: Int, averaged: Int) {
        let factor = scale / Float(transformsPerColumn * averaged)
        let rows = rowCount
        for g in 0..<gridCount {
            let low = rowLow, high = rowHigh, interpolation = rowInterpolation
            columnPower[g].withUnsafeMutableBufferPointer { p in
                grids[g].withUnsafeMutableBufferPointer { out in
                    for r in 0..<rows {
                        let power: Float
                        let t = interpolation[r]
                        if t < 0 {
                            var m: Float = 0
                            // `>` rather than `max`, whose NaN rules keep the loop from vectorizing.
                            for k in low[r]...high[r] { m = p[k] > m ? p[k] : m }
                            power = m
                        } else {
                            power = p[low[r]] * (1 - t) + p[high[r]] * t
                        }
                        let value = power * factor
                        out[column * rows + r] = value > 1e-20 ? 10 * log10(value) : Spectrogram.floorDecibels
                    }
                    for k in 0..<p.count { p[k] = 0 }
                }
            }
        }
    }

    // MARK: - Two streams: a job's input and output, in the job's own pass

    /// Prepares a comparison (``Tracks/comparison``) fed as two streams of `channelCount` channels each — the job's
    /// input blocks (``analyzeInput(_:)``) and its sample-aligned output blocks (``analyzeOutput(_:)``), the output
    /// lagging the input by up to `leadFrames` — instead of one stream of 2·C channels. The same windows and the
    /// same grids as the one-stream path: each window's input spectrum is taken when the input has passed the
    /// window and held (complex, per channel) until the output has passed it too, then the three panels' powers
    /// are added from the two spectra.
    ///
    /// Memory: the rings (2·C × ``transformFrames`` floats) and the held spectra, as many as there are window ends in
    /// `leadFrames + 1` frames; when those would take more than `maximumHeldBytes` (a stream of a few seconds with
    /// hundreds of columns, whose windows overlap), nothing is allocated for them and `false` is returned: feed the
    /// one-stream path instead.
    /// - Parameters:
    ///   - leadFrames: how far the input may run ahead of the output (the processor's latency plus one block).
    ///   - concurrent: transform on a second thread (``StreamWorker``): the calling thread only copies each
    ///     finished window into a queue, the worker windows, transforms and adds it up in the same order, so the
    ///     grids are identical to the bit; call ``finishStreams()`` before reading ``spectrogram``.
    /// - Returns: whether the two-stream path is ready.
    /// - Throws: ``ScrimError`` `.configuration` when the analyzer is not a comparison or the spec is invalid.
    public func prepareStreams(sampleRate: Double, channelCount: Int, leadFrames: Int, maximumBlockFrames: Int,
                               maximumHeldBytes: Int = 16 << 20, concurrent: Bool = false) throws -> Bool {
        stopWorker()
        guard tracks == .comparison else {
            throw ScrimError(.configuration, "two streams are for a comparison spectrogram")
        }
        try prepare(for: ProcessSpec(sampleRate: sampleRate, channelCount: 2 * channelCount,
                                     maximumBlockFrames: maximumBlockFrames))
        let total = columnCount * transformsPerColumn
        let ends = (0..<total).map(windowEnd)
        var most = 0, j = 0
        for i in 0..<total {
            if j < i { j = i }
            while j + 1 < total && ends[j + 1] <= ends[i] + max(0, leadFrames) + 1 { j += 1 }
            most = max(most, j - i + 1)
        }
        let slotFloats = channelCount * 2 * (size / 2 + 1)
        let slots = most + 1
        guard slots.multipliedReportingOverflow(by: slotFloats * MemoryLayout<Float>.size).partialValue
                <= maximumHeldBytes else {
            held = []
            heldCapacity = 0
            return false
        }
        held = [Float](repeating: 0, count: slots * slotFloats)
        heldCapacity = slots
        resetStreams()
        if concurrent {
            startWorker()
            // Direct mode needs every window to start at or after frame 0 and after the previous one's end.
            direct = (0..<total).allSatisfy { i in ends[i] - size >= (i == 0 ? 0 : ends[i - 1]) }
        } else {
            direct = false
        }
        return true
    }

    /// Starts the two streams again (after ``prepareStreams(sampleRate:channelCount:leadFrames:maximumBlockFrames:maximumHeldBytes:)``).
    public func resetStreams() {
        drainWorker()
        for slot in [inputSide.slot, outputSide.slot] where slot >= 0 { worker?.release(slot) }
        reset()
        inputSide = StreamSide(nextEnd: windowEnd(0))
        outputSide = StreamSide(nextEnd: windowEnd(0))
        heldFirst = 0
        heldCount = 0
        incomplete = false
    }

    /// True when a window's input spectrum could not be held (the output lagged further than promised) or the
    /// output passed a window the input had not: the grids are then incomplete, draw from the files instead.
    /// (Waits for a concurrent worker to finish the windows handed to it.)
    public var streamsIncomplete: Bool {
        drainWorker()
        return incomplete
    }

    private var incomplete = false
    /// The second thread of a concurrent two-stream comparison (nil on the one-thread path).
    private var worker: SpectrogramStreamWorker?

    deinit { stopWorker() }

    private func startWorker() {
        let made = SpectrogramStreamWorker(analyzer: self, slotFloats: channelCount / 2 * size)
        worker = made
        made.start()
    }

    /// Waits until the worker has transformed every window handed to it.
    private func drainWorker() { worker?.drain() }

    /// Ends the worker's thread (after the windows handed to it).
    private func stopWorker() {
        worker?.stop()
        worker = nil
    }

    /// Waits for the windows handed to a concurrent worker and ends its thread: the grids are then complete. Not
    /// needed before reading (``spectrogram`` and ``streamsIncomplete`` wait too); frees the thread early.
    public func finishStreams() {
        stopWorker()
    }

    /// The worker's transform of one window, on the worker's thread (the same work as the one-thread path, in the
    /// same order).
    fileprivate func workerTransform(output: Bool, window: Int, ringIndex: Int, sources: UnsafePointer<Float>) {
        let side = StreamSide(ringIndex: ringIndex, position: 0, nextWindow: window, nextEnd: 0)
        if output { outputTransform(side, sources) } else { inputTransform(side, sources) }
    }

    /// Where one of the two streams is: its rings' write index, frames seen, its next window and that window's end.
    private struct StreamSide {
        var ringIndex = 0
        var position = 0
        var nextWindow = 0
        var nextEnd: Int
        /// The worker's slot this side is filling (direct mode), or −1.
        var slot = -1
    }

    /// Concurrent and no two windows overlap (every stream longer than its windows put end to end, the usual
    /// case): each side's frames go straight into a worker slot for its current window, with no ring and no copy
    /// of the ring (half the job thread's copying).
    private var direct = false

    private var inputSide = StreamSide(nextEnd: 0)
    private var outputSide = StreamSide(nextEnd: 0)
    /// Held input spectra, a queue of `heldCapacity` slots: per channel the real parts then the imaginary ones.
    private var held: [Float] = []
    private var heldCapacity = 0
    private var heldFirst = 0
    private var heldCount = 0

    /// The job's input block (after invalid samples are zeroed, before the processor). Does not allocate.
    public func analyzeInput(_ block: AudioBlock) {
        feed(block, output: false)
    }

    /// The job's output block, sample-aligned with the input (as written). Does not allocate.
    public func analyzeOutput(_ block: AudioBlock) {
        feed(block, output: true)
    }

    private func feed(_ block: AudioBlock, output: Bool) {
        guard fft != nil, heldCapacity > 0 else { return }
        let half = channelCount / 2
        let firstRing = output ? half : 0
        var side = output ? outputSide : inputSide
        let total = columnCount * transformsPerColumn
        var offset = 0
        if direct, let worker {
            let size = size
            while offset < block.frameCount && side.nextWindow < total {
                let start = side.nextEnd - size
                let skip = min(block.frameCount - offset, max(0, start - side.position))
                offset += skip
                side.position += skip
                let take = min(block.frameCount - offset, max(0, side.nextEnd - side.position))
                if take > 0 {
                    if side.slot < 0 { side.slot = worker.acquire() }
                    worker.write(slot: side.slot, at: side.position - start, block: block, from: offset, count: take,
                                 channels: half, stride: size)
                    offset += take
                    side.position += take
                }
                while side.nextWindow < total && side.position >= side.nextEnd {
                    if side.slot < 0 { side.slot = worker.acquire() }  // not reached: windows have frames
                    worker.submit(slot: side.slot, output: output, window: side.nextWindow, ringIndex: 0)
                    side.slot = -1
                    side.nextWindow += 1
                    if side.nextWindow < total { side.nextEnd = windowEnd(side.nextWindow) }
                }
            }
            if output { outputSide = side } else { inputSide = side }
            return
        }
        while offset < block.frameCount && side.nextWindow < total {
            let skip = min(block.frameCount - offset, max(0, side.nextEnd - size - side.position))
            offset += skip
            side.position += skip
            let take = min(block.frameCount - offset, max(0, side.nextEnd - side.position))
            if take > 0 {
                side.ringIndex = push(block, from: offset, count: take, rings: firstRing..<(firstRing + half),
                                      ringIndex: side.ringIndex)
                offset += take
                side.position += take
            }
            while side.nextWindow < total && side.position >= side.nextEnd {
                let current = side, size = size
                rings.withUnsafeBufferPointer { all in
                    guard let base = all.baseAddress else { return }
                    let sources = base + firstRing * size
                    if let worker {
                        worker.enqueue(output: output, window: current.nextWindow, ringIndex: current.ringIndex,
                                       sources: sources)
                    } else if output {
                        outputTransform(current, sources)
                    } else {
                        inputTransform(current, sources)
                    }
                }
                side.nextWindow += 1
                if side.nextWindow < total { side.nextEnd = windowEnd(side.nextWindow) }
            }
        }
        if output { outputSide = side } else { inputSide = side }
    }

    /// Windows a ring of ``transformFrames`` samples (oldest at `start`) into the FFT's input and transforms it.
    private func forward(_ r: UnsafePointer<Float>, start: Int) {
        guard let fft else { return }
        let input = fft.input, length = size
        window.withUnsafeBufferPointer { w in
            let head = length - start
            for i in 0..<head { input[i] = r[start + i] * w[i] }
            for i in 0..<start { input[head + i] = r[i] * w[head + i] }
        }
        fft.forward()
    }


    /// The input's spectra of a window, kept in the next free slot.
    private func inputTransform(_ side: StreamSide, _ sources: UnsafePointer<Float>) {
        guard let fft else { return }
        guard heldCount < heldCapacity else {
            incomplete = true
            return
        }
        let half = channelCount / 2, binCount = size / 2 + 1
        let slot = (heldFirst + heldCount) % heldCapacity
        let real = fft.real, imag = fft.imag
        held.withUnsafeMutableBufferPointer { h in
            guard let base = h.baseAddress, let real = real.baseAddress, let imag = imag.baseAddress else { return }
            for c in 0..<half {
                forward(sources + c * size, start: side.ringIndex)
                let kept = base + (slot * half + c) * 2 * binCount
                kept.update(from: real, count: binCount)
                (kept + binCount).update(from: imag, count: binCount)
            }
        }
        heldCount += 1
    }

    /// The output's spectra of a window, with the input's held for it: the three panels' powers, and the column
    /// written out after its last window.
    private func outputTransform(_ side: StreamSide, _ sources: UnsafePointer<Float>) {
        guard let fft else { return }
        guard heldCount > 0, !incomplete else {
            incomplete = true
            return
        }
        let half = channelCount / 2, binCount = size / 2 + 1
        let slot = heldFirst
        let real = fft.real, imag = fft.imag
        held.withUnsafeBufferPointer { h in
            guard let base = h.baseAddress else { return }
            for c in 0..<half {
                forward(sources + c * size, start: side.ringIndex)
                let keptReal = base + (slot * half + c) * 2 * binCount, keptImag = keptReal + binCount
                // One grid's accumulator at a time (Swift's exclusivity rules: one access to `columnPower` each).
                columnPower[0].withUnsafeMutableBufferPointer { p in
                    for k in 0..<binCount { p[k] += keptReal[k] * keptReal[k] + keptImag[k] * keptImag[k] }
                }
                columnPower[1].withUnsafeMutableBufferPointer { p in
                    for k in 0..<binCount { p[k] += real[k] * real[k] + imag[k] * imag[k] }
                }
                columnPower[2].withUnsafeMutableBufferPointer { p in
                    for k in 0..<binCount {
                        let dr = keptReal[k] - real[k], di = keptImag[k] - imag[k]
                        p[k] += dr * dr + di * di
                    }
                }
            }
        }
        heldFirst = (heldFirst + 1) % heldCapacity
        heldCount -= 1
        guard (side.nextWindow + 1) % transformsPerColumn == 0 else { return }
        finishColumn(side.nextWindow / transformsPerColumn, averaged: half)
    }

    /// The grids measured (columns not reached stay at the floor). Waits for a concurrent worker's windows.
    public var spectrogram: Spectrogram {
        drainWorker()
        return Spectrogram(axis: axis, columnCount: columnCount, levels: grids)
    }
}

/// The second thread of a concurrent two-stream comparison (``SpectrogramAnalyzer/prepareStreams(sampleRate:channelCount:leadFrames:maximumBlockFrames:maximumHeldBytes:concurrent:)``):
/// a queue of `capacity` windows. The job's thread copies each finished window's rings into the next free slot
/// (``enqueue(output:window:ringIndex:sources:)``, waiting only when all slots are taken) and the worker windows,
/// transforms and adds them up in the order they came, so the grids are the same as on one thread. The worker is
/// woken when half the slots are full (or to drain or stop), and then empties the queue: one wake-up per
/// `capacity / 2` windows, not one per window (a wake-up per window cost more CPU than it saved). Everything the
/// worker touches in the analyzer (the FFT, the held spectra, the column powers, the grids) is touched by nobody
/// else until ``drain()`` has returned: the lock orders the two threads' accesses. Nothing is allocated per window.
final class SpectrogramStreamWorker: @unchecked Sendable {
    private struct Item {
        var output = false
        var window = 0
        var ringIndex = 0
        var slot = 0
    }

    private unowned(unsafe) let analyzer: SpectrogramAnalyzer
    private let condition = NSCondition()
    private let capacity: Int
    private let wakeAt: Int
    private let slotFloats: Int
    private let slots: UnsafeMutablePointer<Float>
    /// Slots no one holds (a stack), and the windows handed over, oldest first (a ring of `capacity`).
    private var free: [Int]
    private var items: [Item]
    /// The oldest window not yet finished, and how many are queued or being transformed.
    private var first = 0
    private var count = 0
    private var stopping = false
    private var draining = 0
    private var running = false

    /// - Parameter maximumBytes: the slots' memory at most (the capacity shrinks for many tracks, to 4 at least).
    init(analyzer: SpectrogramAnalyzer, slotFloats: Int, maximumBytes: Int = 8 << 20) {
        self.analyzer = analyzer
        self.slotFloats = max(1, slotFloats)
        // 64 windows of one track at 48 kHz take 2 MB; more tracks, fewer slots. Each wake-up of the worker costs
        // the job's thread tens of microseconds in the kernel (measured: 6 ms over 156 wake-ups on a 10-minute
        // file), so the queue is made as long as the memory allows.
        capacity = min(64, max(4, maximumBytes / (self.slotFloats * MemoryLayout<Float>.size)))
        // At most two slots are held by the two streams while they fill, so half the capacity is always
        // reachable by the queue: the worker wakes before the producer can run out of free slots.
        wakeAt = capacity / 2
        slots = .allocate(capacity: capacity * self.slotFloats)
        slots.initialize(repeating: 0, count: capacity * self.slotFloats)
        free = Array((0..<capacity).reversed())
        items = [Item](repeating: Item(), count: capacity)
    }

    deinit { slots.deallocate() }

    func start() {
        condition.lock()
        running = true
        condition.unlock()
        let thread = Thread { [self] in run() }
        thread.name = "scrim.spectrogram"
        thread.start()
    }

    /// A free slot for the caller to fill (waits, waking the worker, while every slot is taken).
    func acquire() -> Int {
        condition.lock()
        while free.isEmpty {
            condition.broadcast()
            condition.wait()
        }
        let slot = free.removeLast()
        condition.unlock()
        return slot
    }

    /// Gives back a slot that was acquired and not submitted.
    func release(_ slot: Int) {
        condition.lock()
        free.append(slot)
        condition.broadcast()
        condition.unlock()
    }

    /// Copies `count` frames from `from` of `block`'s first `channels` channels into an acquired slot at frame
    /// `at`, channel c at `c · stride`. The slot is the caller's until submitted: no lock.
    func write(slot: Int, at: Int, block: AudioBlock, from: Int, count: Int, channels: Int, stride: Int) {
        let base = slots + slot * slotFloats + at
        for c in 0..<channels {
            guard let source = block.channel(c).baseAddress else { continue }
            (base + c * stride).update(from: source + from, count: count)
        }
    }

    /// Hands a filled slot to the worker as the next window.
    func submit(slot: Int, output: Bool, window: Int, ringIndex: Int) {
        condition.lock()
        items[(first + count) % capacity] = Item(output: output, window: window, ringIndex: ringIndex, slot: slot)
        count += 1
        if count == wakeAt { condition.broadcast() }
        condition.unlock()
    }

    /// Copies a window's rings (`slotFloats` floats from `sources`) into a free slot and hands it over.
    func enqueue(output: Bool, window: Int, ringIndex: Int, sources: UnsafePointer<Float>) {
        let slot = acquire()
        (slots + slot * slotFloats).update(from: sources, count: slotFloats)
        submit(slot: slot, output: output, window: window, ringIndex: ringIndex)
    }

    /// Waits until every window handed over has been transformed.
    func drain() {
        condition.lock()
        draining += 1
        condition.broadcast()
        while count > 0 && running { condition.wait() }
        draining -= 1
        condition.unlock()
    }

    /// Finishes the queued windows, then ends the thread; returns when it has.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }

    private func run() {
        condition.lock()
        while true {
            while count < wakeAt && !(count > 0 && (stopping || draining > 0)) && !(count == 0 && stopping) {
                condition.wait()
            }
            if count == 0 { break }  // stopping, nothing left
            while count > 0 {
                let item = items[first]
                condition.unlock()
                analyzer.workerTransform(output: item.output, window: item.window, ringIndex: item.ringIndex,
                                         sources: slots + item.slot * slotFloats)
                condition.lock()
                first = (first + 1) % capacity
                count -= 1
                free.append(item.slot)
                if free.count == 1 { condition.broadcast() }
            }
            condition.broadcast()
        }
        running = false
        condition.broadcast()
        condition.unlock()
    }
}
