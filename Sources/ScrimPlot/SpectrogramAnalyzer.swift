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
/// Layout: per track (``Tracks/separate(maximum:)``: the first `maximum` channels, each its own grid) or one grid
/// of the channels' mean power (``Tracks/mixed``).
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
    }

    /// Transforms averaged per column at most.
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

    private var axis = LogFrequencyAxis(highestHertz: 24_000, rowCount: 1)
    private var fft: RealFFT?
    private var window: [Float] = []
    private var size = 0
    private var gridCount = 0
    private var channelCount = 0
    private var ring: [[Float]] = []
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

    /// - Parameters:
    ///   - frameCount: frames the stream will bring (the file's frame count).
    ///   - columnCount: time columns (the panel's width in pixels).
    ///   - rowCount: frequency rows (the panel's height in pixels).
    ///   - tracks: per channel or mixed.
    public init(frameCount: Int, columnCount: Int, rowCount: Int, tracks: Tracks) {
        self.frameCount = max(0, frameCount)
        self.columnCount = max(1, columnCount)
        self.rowCount = max(1, rowCount)
        self.tracks = tracks
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
        let ringCount = tracks == .mixed ? channelCount : gridCount
        ring = [[Float]](repeating: [Float](repeating: 0, count: size), count: ringCount)
        columnPower = [[Float]](repeating: [Float](repeating: 0, count: binCount), count: gridCount)
        grids = [[Float]](repeating: [Float](repeating: Spectrogram.floorDecibels, count: columnCount * rowCount),
                          count: gridCount)
        let span = Double(frameCount) / Double(columnCount)
        transformsPerColumn = max(1, min(Self.maximumTransformsPerColumn, Int(span / Double(size))))
        reset()
    }

    public func reset() {
        for c in ring.indices { for i in ring[c].indices { ring[c][i] = 0 } }
        for g in grids.indices { for i in grids[g].indices { grids[g][i] = Spectrogram.floorDecibels } }
        for g in columnPower.indices { for i in columnPower[g].indices { columnPower[g][i] = 0 } }
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

    /// Copies frames into the rings (the last `size` frames of each channel), newest at `ringIndex − 1`.
    private func push(_ block: AudioBlock, from start: Int, count: Int) {
        // Only the last `size` frames of a long run matter.
        let skip = max(0, count - size)
        for c in ring.indices {
            let samples = block.channel(c)
            var index = ringIndex
            ring[c].withUnsafeMutableBufferPointer { r in
                for i in (start + skip)..<(start + count) {
                    r[index] = samples[i]
                    index += 1
                    if index == size { index = 0 }
                }
            }
        }
        ringIndex = (ringIndex + count - skip) % size
    }

    /// One windowed FFT of the rings, added to the column's powers; the column is written out after its last one.
    private func transform() {
        guard let fft else { return }
        let binCount = size / 2 + 1
        let tracksToShow: Int
        switch tracks {
        case .separate: tracksToShow = gridCount
        case .mixed: tracksToShow = channelCount
        }
        for c in 0..<tracksToShow {
            let grid = gridCount == 1 ? 0 : c
            ring[c].withUnsafeBufferPointer { r in
                let start = ringIndex
                for i in 0..<size {
                    var j = start + i
                    if j >= size { j -= size }
                    fft.input[i] = r[j] * window[i]
                }
            }
            fft.forward()
            columnPower[grid].withUnsafeMutableBufferPointer { p in
                for k in 0..<binCount { p[k] += fft.real[k] * fft.real[k] + fft.imag[k] * fft.imag[k] }
            }
        }
        guard (nextWindow + 1) % transformsPerColumn == 0 else { return }
        let column = nextWindow / transformsPerColumn
        let divisor = Float(transformsPerColumn * (gridCount == 1 ? tracksToShow : 1))
        let factor = scale / divisor
        for g in 0..<gridCount {
            columnPower[g].withUnsafeMutableBufferPointer { p in
                grids[g].withUnsafeMutableBufferPointer { out in
                    for r in 0..<rowCount {
                        let power: Float
                        let t = rowInterpolation[r]
                        if t < 0 {
                            var m: Float = 0
                            for k in rowLow[r]...rowHigh[r] { m = max(m, p[k]) }
                            power = m
                        } else {
                            power = p[rowLow[r]] * (1 - t) + p[rowHigh[r]] * t
                        }
                        let value = power * factor
                        out[column * rowCount + r] = value > 1e-20 ? 10 * log10(value) : Spectrogram.floorDecibels
                    }
                    for k in 0..<p.count { p[k] = 0 }
                }
            }
        }
    }

    /// The grids measured (columns not reached stay at the floor).
    public var spectrogram: Spectrogram {
        Spectrogram(axis: axis, columnCount: columnCount, levels: grids)
    }
}
