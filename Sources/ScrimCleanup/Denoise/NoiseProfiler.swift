import ScrimCore
import ScrimSpectral

/// Measures a ``NoiseProfile`` from a stream: from a given range of frames, or from the quietest stretch found
/// automatically.
///
/// Uses an ``STFTAnalyzer`` with the framing ``NoiseReducer`` would use at this sample rate (or a given FFT
/// size), so a profile matches the reducer without resampling. Only STFT frames that lie entirely inside the
/// stream (and, for a range, inside the range) count.
///
/// Lifecycle: ``prepare(for:)``, ``analyze(_:)`` for each block (any split gives the same profile), then
/// ``profile()``; ``reset()`` for a new stream. `analyze` and `reset` do not allocate, lock or throw.
/// Memory for ``Selection/quietest(durationFrames:)``: one spectrum per hop of the duration per channel.
public final class NoiseProfiler: AudioAnalyzer {
    /// Which part of the stream is noise.
    public enum Selection: Sendable, Hashable {
        /// Stream frames `range` (frame = one sample per channel, from 0), e.g. a pre-roll of room tone.
        case frames(Range<Int>)
        /// The stretch of `durationFrames` frames with the least energy over all channels, found while
        /// analysing (a sliding window of whole hops). If the stream is shorter, all of it.
        case quietest(durationFrames: Int)
        /// The whole stream (a room-tone file).
        case all
    }

    /// The selection given at creation.
    public let selection: Selection
    /// The FFT size override, or nil for ``NoiseReducerSettings/fftSize(forSampleRate:)``.
    public let fftSize: Int?

    private var analyzer: STFTAnalyzer<ProfileKernel>?

    /// Creates a profiler; call ``prepare(for:)`` before analysing.
    /// - Parameters:
    ///   - selection: the part of the stream to measure.
    ///   - fftSize: FFT size (power of two 256…16384) or nil for the reducer's default at the sample rate.
    public init(selection: Selection, fftSize: Int? = nil) {
        self.selection = selection
        self.fftSize = fftSize
    }

    /// Plans the STFT and allocates the accumulators.
    /// - Throws: ``ScrimError`` `.configuration` for an invalid spec, FFT size, or an empty range/duration.
    public func prepare(for spec: ProcessSpec) throws {
        analyzer = nil
        try spec.validate()
        let size = fftSize ?? NoiseReducerSettings.fftSize(forSampleRate: spec.sampleRate)
        guard size >= 256, size <= 16384, size & (size - 1) == 0 else {
            throw ScrimError(.configuration, "FFT size \(size) is not usable: use a power of two from 256 to 16384")
        }
        let hop = size / 4
        var windowHops = 0
        switch selection {
        case .frames(let range):
            guard range.lowerBound >= 0, range.count >= size else {
                throw ScrimError(.configuration, "the noise range \(range) must start at frame 0 or later and "
                    + "span at least one FFT frame (\(size) frames, \(Double(size) / spec.sampleRate) s)")
            }
        case .quietest(let durationFrames):
            guard durationFrames >= size else {
                throw ScrimError(.configuration, "the quietest-stretch duration of \(durationFrames) frames must "
                    + "be at least one FFT frame (\(size) frames)")
            }
            windowHops = (durationFrames - size) / hop + 1
        case .all:
            break
        }
        let kernel = ProfileKernel(selection: selection, windowHops: windowHops)
        let stft = STFTAnalyzer(kernel: kernel, configuration: STFTConfiguration(fftSize: size, hopSize: hop))
        try stft.prepare(for: spec)
        analyzer = stft
    }

    /// Adds `block` to the measurement (not modified; non-finite samples count as zero power).
    public func analyze(_ block: AudioBlock) {
        guard let analyzer else { preconditionFailure("NoiseProfiler.analyze called before prepare(for:)") }
        analyzer.analyze(block)
    }

    /// Clears the measurement.
    public func reset() {
        analyzer?.reset()
    }

    /// The measured profile (call after the last block; allocates).
    /// - Throws: ``ScrimError`` `.invalidInput` when no whole STFT frame fell inside the selection (the stream
    ///   or the range is shorter than one FFT frame, or the range lies past the end).
    public func profile() throws(ScrimError) -> NoiseProfile {
        guard let analyzer, let context = analyzer.context else {
            throw ScrimError(.invalidState, "NoiseProfiler.profile() called before prepare(for:)")
        }
        let kernel = analyzer.kernel
        guard let (powers, count) = kernel.result() else {
            throw ScrimError(.invalidInput, "no whole \(context.fftSize)-frame STFT frame lies inside the "
                + "selected noise (\(selection)); choose a longer range of room tone")
        }
        let energy = context.analysisWindow.reduce(Float(0)) { $0 + $1 * $1 }
        let normalised = powers.map { row in row.map { $0 / energy } }
        return NoiseProfile(sampleRate: context.sampleRate, fftSize: context.fftSize, hopSize: context.hopSize,
                            frameCount: count, noisePower: normalised)
    }
}

/// Accumulates bin powers of the selected frames (or keeps the quietest window of hops).
final class ProfileKernel: SpectralKernel {
    let selection: NoiseProfiler.Selection
    let windowHops: Int

    private var fftSize = 0
    private var binCount = 0
    private var channelCount = 0
    private var rowCount = 0
    /// Running sum of bin powers per channel (Double against drift over hours).
    private var sum: UnsafeMutablePointer<Double>
    private var sumCount = 0
    /// Quietest mode: ring of the last `windowHops` hop spectra (Float), per-hop energies, best sum so far.
    private var ring: UnsafeMutablePointer<Float>
    private var ringEnergy: UnsafeMutablePointer<Double>
    private var best: UnsafeMutablePointer<Double>
    private var bestEnergy = Double.infinity
    private var bestCount = 0
    private var windowEnergy = 0.0
    private var ringFill = 0
    private var ringNext = 0
    /// Whole frames seen (for a stream shorter than the window).
    private var all: UnsafeMutablePointer<Double>
    private var allCount = 0

    init(selection: NoiseProfiler.Selection, windowHops: Int) {
        self.selection = selection
        self.windowHops = windowHops
        sum = .allocate(capacity: 1)
        ring = .allocate(capacity: 1)
        ringEnergy = .allocate(capacity: 1)
        best = .allocate(capacity: 1)
        all = .allocate(capacity: 1)
    }

    deinit {
        sum.deallocate()
        ring.deallocate()
        ringEnergy.deallocate()
        best.deallocate()
        all.deallocate()
    }

    func prepare(context: SpectralContext) {
        fftSize = context.fftSize
        binCount = context.binCount
        channelCount = context.channelCount
        rowCount = binCount * channelCount
        sum.deallocate()
        ring.deallocate()
        ringEnergy.deallocate()
        best.deallocate()
        all.deallocate()
        sum = .allocate(capacity: rowCount)
        best = .allocate(capacity: rowCount)
        all = .allocate(capacity: rowCount)
        ring = .allocate(capacity: max(windowHops, 1) * rowCount)
        ringEnergy = .allocate(capacity: max(windowHops, 1))
        reset()
    }

    func reset() {
        sum.initialize(repeating: 0, count: rowCount)
        best.initialize(repeating: 0, count: rowCount)
        all.initialize(repeating: 0, count: rowCount)
        ring.initialize(repeating: 0, count: max(windowHops, 1) * rowCount)
        ringEnergy.initialize(repeating: 0, count: max(windowHops, 1))
        sumCount = 0
        bestEnergy = .infinity
        bestCount = 0
        windowEnergy = 0
        ringFill = 0
        ringNext = 0
        allCount = 0
    }

    func process(_ frame: SpectralFrame) {
        // Frames reaching before the stream are skipped; the analyzer's finish() (frames past the end) is never
        // called by NoiseProfiler, so every frame seen here ends inside the stream.
        guard frame.startFrame >= 0 else { return }
        let start = frame.startFrame
        switch selection {
        case .frames(let range):
            guard start >= range.lowerBound, start + fftSize <= range.upperBound else { return }
            accumulate(frame, into: sum)
            sumCount += 1
        case .all:
            accumulate(frame, into: sum)
            sumCount += 1
        case .quietest:
            accumulate(frame, into: all)
            allCount += 1
            pushQuietest(frame)
        }
    }

    private func accumulate(_ frame: SpectralFrame, into target: UnsafeMutablePointer<Double>) {
        for c in 0..<channelCount {
            let re = frame.realBasePointer(c), im = frame.imagBasePointer(c)
            let row = target + c * binCount
            for k in 0..<binCount {
                let value = re[k] * re[k] + im[k] * im[k]
                row[k] += value.isFinite ? Double(value) : 0
            }
        }
    }

    /// Sliding window of the last `windowHops` hops: subtract the hop leaving, add the new one, and keep a copy
    /// of the window's sum whenever its energy is the lowest so far.
    private func pushQuietest(_ frame: SpectralFrame) {
        let slot = ring + ringNext * rowCount
        if ringFill == windowHops {
            for i in 0..<rowCount { sum[i] -= Double(slot[i]) }
            windowEnergy -= ringEnergy[ringNext]
        }
        var energy = 0.0
        for c in 0..<channelCount {
            let re = frame.realBasePointer(c), im = frame.imagBasePointer(c)
            let row = slot + c * binCount
            var rowEnergy: Float = 0
            for k in 0..<binCount {
                let value = re[k] * re[k] + im[k] * im[k]
                let finite = value.isFinite ? value : 0
                row[k] = finite
                rowEnergy += finite
            }
            energy += Double(rowEnergy)
        }
        for i in 0..<rowCount { sum[i] += Double(slot[i]) }
        ringEnergy[ringNext] = energy
        windowEnergy += energy
        ringNext = (ringNext + 1) % windowHops
        ringFill = min(ringFill + 1, windowHops)
        if ringFill == windowHops, windowEnergy < bestEnergy {
            bestEnergy = windowEnergy
            best.update(from: sum, count: rowCount)
            bestCount = windowHops
        }
    }

    /// The mean bin powers per channel and the number of frames averaged, or nil when no frame counted.
    func result() -> ([[Float]], Int)? {
        let source: UnsafeMutablePointer<Double>
        let count: Int
        switch selection {
        case .frames, .all:
            (source, count) = (sum, sumCount)
        case .quietest:
            (source, count) = bestCount > 0 ? (best, bestCount) : (all, allCount)
        }
        guard count > 0 else { return nil }
        let rows = (0..<channelCount).map { c in
            (0..<binCount).map { k in Float(max(source[c * binCount + k], 0) / Double(count)) }
        }
        return (rows, count)
    }
}
