import Foundation

/// Scrim's whole-file dialogue mode of the neural engine (issue 18, item 6; Benchmarks/quality/NEURAL.md): the
/// network run forward and on the time-reversed take, the two averaged (their speech estimates agree, their residual
/// noise and artefacts do not), then ``DialogueRefiner`` with the take's guard. Three streamed passes, memory
/// bounded by the block size:
///
/// 1. *Backward*: the input read block by block from its end, each block reversed, through the network (no
///    refinement); the output, aligned, into a hidden float32 intermediate beside the output (reversed time).
/// 2. *Forward*: the network on the input; the first intermediate read backwards, so both outputs line up with the
///    input; their mean into a second intermediate, while each channel's ``DialogueRefiner`` adds up the take's
///    kept-to-removed ratio for the guard and the network's local SNR marks the hops it heard as speech.
/// 3. *Refine*: the input and the mean through the refiner (``FileJob``: format, chunks, alignment, atomic output).
///
/// Both intermediates are Scrim's temporaries (``Temporaries``), removed in every case. At rates other than
/// 48 kHz the network passes resample (``NeuralNoiseReducer``) and the refiner runs its 960/480 frames at the
/// file's rate.
public enum NeuralFileJob {
    /// Runs the whole-file dialogue mode over one file.
    /// - Parameters:
    ///   - input: the file to read (never written); all three passes read it.
    ///   - output: the destination (see ``FileJob/process(input:output:options:isCancelled:outputAnalyzers:makeProcessor:)``).
    ///   - model, weights: the network.
    ///   - settings: the controls (the reduction limit and the post-filter apply to both network passes; the write
    ///     mode to the output).
    ///   - options: the final pass's options (format, chunks, Coding History, overwrite, block size, progress).
    ///   - outputAnalyzers: fed the aligned frames written (as ``FileJob`` does).
    ///   - progress: the fraction done over the three passes (0…1).
    /// - Returns: the final pass's file report and the neural report.
    /// - Throws: ``AudioFileError`` for I/O problems, ``ScrimError`` for settings, model or cancellation.
    public static func process(
        input: String, output: String, model: DeepFilterNetModel, weights: DeepFilterNet3Weights,
        settings: NeuralNoiseReducerSettings, options: FileJobOptions = FileJobOptions(),
        isCancelled: () -> Bool = { false }, outputAnalyzers: [any AudioAnalyzer] = [],
        progress: ((Double) -> Void)? = nil
    ) throws -> (file: FileJobResult, report: NeuralNoiseReductionReport) {
        let clock = ContinuousClock()
        let start = clock.now
        try FileJob.refuseOutput(output, input: input)
        let info: AudioFileInfo
        do {
            let reader = try AudioFileReader(path: input)
            info = reader.info
            reader.close()
        }
        guard info.channelCount <= PresetJob.maximumChannelCount else {
            throw ScrimError(.unsupportedInput, "\(SystemPath.display(input)) has \(info.channelCount) channels; "
                             + "Scrim processes up to \(PresetJob.maximumChannelCount): split the file first")
        }
        try settings.validate()
        let network = NeuralNoiseReducerSettings(reductionLimitDecibels: settings.reductionLimitDecibels,
                                                 output: .cleaned, postFilter: settings.postFilter,
                                                 mode: .reference)
        let backwardPath = Temporaries.path(beside: output, kind: "rev")
        let meanPath = Temporaries.path(beside: output, kind: "ens")
        defer {
            for path in [backwardPath, meanPath] { _ = SystemPath.withCString(path) { unlink($0) } }
        }
        let block = max(1, options.blockFrames)
        let frames = max(1, info.frameCount)
        func cancelled() -> Bool { isCancelled() || options.isCancelled() }

        // 1. Backward.
        var invalid = try backwardPass(input: input, info: info, to: backwardPath, model: model, weights: weights,
                                       settings: network, block: block, isCancelled: cancelled) { done in
            progress?(Double(done) / Double(frames) / 3)
        }

        // 2. Forward, the mean, the guard's sums and the hops heard as speech.
        let forward = try forwardPass(input: input, info: info, backward: backwardPath, to: meanPath, model: model,
                                      weights: weights, settings: network, block: block,
                                      isCancelled: cancelled) { done in
            progress?((1 + Double(done) / Double(frames)) / 3)
        }
        invalid = max(invalid, forward.invalid)

        // 3. Refine into the output.
        let refine = DialoguePass(meanPath: meanPath, guardStrengths: forward.guardStrengths,
                                  speech: forward.speech, write: settings.output)
        var finalOptions = options
        finalOptions.progress = nil
        finalOptions.isCancelled = { false }
        var result: FileJobResult
        do {
            result = try FileJob.process(input: input, output: output, options: finalOptions,
                                         isCancelled: { cancelled() || refine.failure != nil },
                                         outputAnalyzers: outputAnalyzers + [PassProgress(frames: frames) { done in
                                             progress?((2 + Double(done) / Double(frames)) / 3)
                                         }]) { _ in refine }
        } catch {
            // A read error of the intermediate stops the pass as a cancellation; report the error itself.
            if let failure = refine.failure { throw failure }
            throw error
        }
        if let failure = refine.failure { throw failure }
        result.inputPath = input
        result.elapsedSeconds = seconds(clock.now - start)
        result.invalidSamplesZeroed = max(result.invalidSamplesZeroed, invalid)

        var report = forward.report
        report.mode = settings.mode.rawValue
        report.output = settings.output.rawValue
        report.latencyFrames = result.latencyFrames
        report.ensemble = "forward+reverse"
        report.guardStrength = Double(forward.guardStrengths.max() ?? 0)
        report.mixBackShare = refine.frames > 0 ? Double(refine.openFrames) / Double(refine.frames) : nil
        refine.sums.apply(to: &report, hopSize: DialoguePass.hopSize)
        report.invalidSamplesZeroed = invalid
        return (result, report)
    }

    // MARK: - Passes

    /// Pass 1: the input backwards through the network into `path` (float32, reversed time, aligned).
    /// - Returns: the invalid samples zeroed.
    private static func backwardPass(input: String, info: AudioFileInfo, to path: String, model: DeepFilterNetModel,
                                     weights: DeepFilterNet3Weights, settings: NeuralNoiseReducerSettings,
                                     block: Int, isCancelled: () -> Bool,
                                     progress: (Int) -> Void) throws -> Int {
        let reader = try AudioFileReader(path: input)
        defer { reader.close() }
        let channels = info.channelCount
        let reducer = NeuralNoiseReducer(model: model, weights: weights, settings: settings)
        try reducer.prepare(for: ProcessSpec(sampleRate: Double(info.sampleRate), channelCount: channels,
                                             maximumBlockFrames: block))
        let writer = try AudioFileWriter(path: path, format: floatFormat(info),
                                         options: AudioFileWriter.Options(overwritesExisting: true))
        do {
            let buffer = AudioBuffer(channelCount: channels, capacity: block)
            var compensator = LatencyCompensator(latencyFrames: reducer.latencyFrames)
            var invalid = 0
            var end = info.frameCount
            while end > 0 {
                if isCancelled() { throw ScrimError(.cancelled, "cancelled while processing \(input)") }
                let begin = max(0, end - block)
                try reader.seek(toFrame: begin)
                let got = try reader.read(into: buffer)
                guard got >= end - begin else {
                    throw AudioFileError(.truncated, path: input, reason: "the file ends at frame \(begin + got)")
                }
                buffer.frameCount = end - begin
                try buffer.withBlock { b in
                    invalid += b.zeroInvalidSamples()
                    for c in 0..<channels {
                        var samples = b.channel(c)
                        samples.reverse()
                    }
                    reducer.process(b)
                    let range = compensator.alignedRange(ofProcessed: b.frameCount)
                    if !range.isEmpty { try writer.write(b.slice(from: range.lowerBound, count: range.count)) }
                }
                end = begin
                progress(info.frameCount - end)
            }
            var remaining = reducer.latencyFrames
            while remaining > 0 {
                let n = min(remaining, block)
                buffer.frameCount = n
                try buffer.withBlock { b in
                    reducer.flush(into: b)
                    let range = compensator.alignedRange(ofProcessed: n)
                    if !range.isEmpty { try writer.write(b.slice(from: range.lowerBound, count: range.count)) }
                }
                remaining -= n
            }
            try writer.finish()
            return invalid
        } catch {
            writer.cancel()
            throw error
        }
    }

    private struct ForwardResult {
        var report: NeuralNoiseReductionReport
        var guardStrengths: [Float]
        var speech: SpeechHops
        var invalid: Int
    }

    /// Pass 2: the network forward, the backward output read backwards, their mean into `path`; the guard's sums;
    /// the hops heard as speech.
    private static func forwardPass(input: String, info: AudioFileInfo, backward: String, to path: String,
                                    model: DeepFilterNetModel, weights: DeepFilterNet3Weights,
                                    settings: NeuralNoiseReducerSettings, block: Int, isCancelled: () -> Bool,
                                    progress: (Int) -> Void) throws -> ForwardResult {
        let channels = info.channelCount
        let n = info.frameCount
        let rate = Double(info.sampleRate)
        let speech = SpeechHops(channels: channels, hops: Int((Double(n) / rate * 100).rounded(.up)) + 64)
        let reducer = NeuralNoiseReducer(model: model, weights: weights, settings: settings)
        reducer.hopObserver = { channel, hop, localSNR in
            speech.mark(channel: channel, hop: hop, speech: localSNR >= NeuralNoiseReducer.speechThresholdDecibels)
        }
        try reducer.prepare(for: ProcessSpec(sampleRate: rate, channelCount: channels, maximumBlockFrames: block))
        let latency = reducer.latencyFrames
        let networkReader = try AudioFileReader(path: input)
        defer { networkReader.close() }
        let noisyReader = try AudioFileReader(path: input)
        defer { noisyReader.close() }
        let backwardReader = try AudioFileReader(path: backward)
        defer { backwardReader.close() }
        let writer = try AudioFileWriter(path: path, format: floatFormat(info),
                                         options: AudioFileWriter.Options(overwritesExisting: true))
        do {
            var invalid = 0
            let ahead = AudioBuffer(channelCount: channels, capacity: block)
            // Prime the network with the first `latency` frames (zeros past the end), output discarded.
            var primed = 0
            while primed < latency {
                let chunk = min(block, latency - primed)
                try readPadded(networkReader, into: ahead, frames: chunk)
                ahead.withBlock { b in
                    invalid += b.zeroInvalidSamples()
                    reducer.process(b)
                }
                primed += chunk
            }
            let noisy = AudioBuffer(channelCount: channels, capacity: block)
            let reversed = AudioBuffer(channelCount: channels, capacity: block)
            let analyzers = try (0..<channels).map { _ in try HopFeeder() }
            var position = 0
            while position < n {
                if isCancelled() { throw ScrimError(.cancelled, "cancelled while processing \(input)") }
                let count = min(block, n - position)
                // The network's output for this block is the enhanced input [position, position + count).
                try readPadded(networkReader, into: ahead, frames: count)
                try readPadded(noisyReader, into: noisy, frames: count)
                try backwardReader.seek(toFrame: n - position - count)
                let got = try backwardReader.read(into: reversed)
                guard got >= count else {
                    throw AudioFileError(.truncated, path: backward, reason: "an intermediate pass is short")
                }
                reversed.frameCount = count
                try ahead.withBlock { b in
                    invalid += b.zeroInvalidSamples()
                    reducer.process(b)
                    noisy.withBlock { x in _ = x.zeroInvalidSamples() }
                    for c in 0..<channels {
                        let y = b.channel(c), r = reversed.channel(c)
                        // r holds the backward output of frames [n − position − count, n − position), newest last.
                        for i in 0..<count { y[i] = 0.5 * (y[i] + r[count - 1 - i]) }
                        analyzers[c].add(noisy: noisy.channel(c), enhanced: UnsafeBufferPointer(y))
                    }
                    try writer.write(b)
                }
                position += count
                progress(position)
            }
            try writer.finish()
            var strengths: [Float] = []
            for feeder in analyzers {
                feeder.finish()
                strengths.append(DialogueRefiner.guardStrength(fileRatioDecibels: feeder.refiner.fileRatioDecibels))
            }
            return ForwardResult(report: reducer.report, guardStrengths: strengths, speech: speech, invalid: invalid)
        } catch {
            writer.cancel()
            throw error
        }
    }

    /// Reads exactly `frames` frames (zeros past the end of the file) into `buffer`.
    private static func readPadded(_ reader: AudioFileReader, into buffer: AudioBuffer, frames: Int) throws {
        let got = try reader.read(into: buffer)
        buffer.frameCount = buffer.capacity
        if got < buffer.capacity {
            for c in 0..<buffer.channelCount {
                let p = buffer.channel(c)
                for i in got..<buffer.capacity { p[i] = 0 }
            }
        }
        buffer.frameCount = frames
        if frames < got {
            // Read too far: step back so the next read continues from here.
            try reader.seek(toFrame: reader.position - (got - frames))
        }
    }

    private static func floatFormat(_ info: AudioFileInfo) -> AudioFileFormat {
        AudioFileFormat(container: .wav, sampleFormat: .float32, sampleRate: info.sampleRate,
                        channelCount: info.channelCount)
    }
}

/// Per channel, whether the network heard each 10 ms hop as speech (local SNR ≥ 0 dB), one byte a hop.
final class SpeechHops: @unchecked Sendable {
    private var flags: [[UInt8]]
    let hops: Int

    init(channels: Int, hops: Int) {
        self.hops = hops
        flags = [[UInt8]](repeating: [UInt8](repeating: 0, count: hops), count: channels)
    }

    func mark(channel: Int, hop: Int, speech: Bool) {
        guard channel < flags.count, hop >= 0, hop < hops else { return }
        flags[channel][hop] = speech ? 1 : 0
    }

    /// Whether the hop at `seconds` into the take was heard as speech on `channel`.
    func isSpeech(channel: Int, seconds: Double) -> Bool {
        let hop = Int(max(0, seconds * 100))
        guard channel < flags.count, hop < hops else { return false }
        return flags[channel][hop] != 0
    }
}

/// Gathers one channel's noisy and mean frames into hops for ``DialogueRefiner/analyze(noisy:enhanced:)``.
final class HopFeeder {
    let refiner: DialogueRefiner
    private let noisy: UnsafeMutablePointer<Float>
    private let enhanced: UnsafeMutablePointer<Float>
    private let hop = DialoguePass.hopSize
    private var fill = 0

    init() throws {
        refiner = try DialogueRefiner()
        noisy = .allocate(capacity: hop)
        noisy.initialize(repeating: 0, count: hop)
        enhanced = .allocate(capacity: hop)
        enhanced.initialize(repeating: 0, count: hop)
    }

    deinit {
        noisy.deallocate()
        enhanced.deallocate()
    }

    func add(noisy x: UnsafeMutableBufferPointer<Float>, enhanced y: UnsafeBufferPointer<Float>) {
        let count = min(x.count, y.count)
        var offset = 0
        while offset < count {
            let take = min(hop - fill, count - offset)
            for i in 0..<take {
                noisy[fill + i] = x[offset + i]
                enhanced[fill + i] = y[offset + i]
            }
            fill += take
            offset += take
            if fill == hop { flushHop() }
        }
    }

    /// The last partial hop padded with zeros, then one hop of zeros (the frame holding the last hop first).
    func finish() {
        if fill > 0 {
            (noisy + fill).update(repeating: 0, count: hop - fill)
            (enhanced + fill).update(repeating: 0, count: hop - fill)
            flushHop()
        }
        noisy.update(repeating: 0, count: hop)
        enhanced.update(repeating: 0, count: hop)
        flushHop()
    }

    private func flushHop() {
        refiner.analyze(noisy: noisy, enhanced: enhanced)
        fill = 0
    }
}

/// Pass 3's processor: the input with the mean read from the intermediate in step, through each channel's
/// ``DialogueRefiner`` (with its guard), hop by hop. Latency 960 frames (a hop gathered, a hop in the refiner).
/// A read error of the intermediate is kept in ``failure`` (the job then stops and throws it).
final class DialoguePass: AudioProcessor {
    static let hopSize = 480
    let meanPath: String
    let guardStrengths: [Float]
    let speech: SpeechHops
    let write: NeuralNoiseReducerSettings.Output
    private(set) var failure: (any Error)?
    var latencyFrames: Int { 2 * Self.hopSize }

    private var reader: AudioFileReader?
    private var refiners: [DialogueRefiner] = []
    private var mean = AudioBuffer(channelCount: 1, capacity: 1)
    private var channelCount = 0
    /// Per channel one hop each, channel c at c·hopSize: the hop being gathered, the previous input hop, the
    /// refined previous hop, and what is written while the next hop is gathered.
    private var gathered = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var previousNoisy = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var refined = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var ready = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var position = 0
    private var hopsDone = 0
    private var sampleRate = 48_000.0

    /// The report's sums over refined hops.
    private(set) var sums = NeuralReductionSums()
    var frames: Int { refiners.map(\.frames).reduce(0, +) }
    var openFrames: Int { refiners.map(\.openFrames).reduce(0, +) }

    init(meanPath: String, guardStrengths: [Float], speech: SpeechHops, write: NeuralNoiseReducerSettings.Output) {
        self.meanPath = meanPath
        self.guardStrengths = guardStrengths
        self.speech = speech
        self.write = write
    }

    deinit {
        for buffer in [gathered, previousNoisy, refined, ready] { buffer.deallocate() }
    }

    func prepare(for spec: ProcessSpec) throws {
        try spec.validate()
        reader = try AudioFileReader(path: meanPath)
        let channels = spec.channelCount
        refiners = try (0..<channels).map { c in
            let refiner = try DialogueRefiner()
            refiner.guardStrength = c < guardStrengths.count ? guardStrengths[c] : 0
            return refiner
        }
        sampleRate = spec.sampleRate
        channelCount = channels
        mean = AudioBuffer(channelCount: channels, capacity: Self.hopSize)
        let count = channels * Self.hopSize
        for buffer in [gathered, previousNoisy, refined, ready] { buffer.deallocate() }
        gathered = .allocate(capacity: count)
        previousNoisy = .allocate(capacity: count)
        refined = .allocate(capacity: count)
        ready = .allocate(capacity: count)
        for buffer in [gathered, previousNoisy, refined, ready] { buffer.initialize(repeating: 0, count: count) }
        position = 0
        hopsDone = 0
    }

    func process(_ block: AudioBlock) {
        let hop = Self.hopSize
        var offset = 0
        while offset < block.frameCount {
            let take = min(hop - position, block.frameCount - offset)
            for c in 0..<channelCount {
                let samples = block.channel(c)
                let gather = gathered + c * hop + position
                let out = ready + c * hop + position
                for i in 0..<take {
                    let x = samples[offset + i]
                    samples[offset + i] = out[i]
                    gather[i] = x
                }
            }
            position += take
            offset += take
            if position == hop {
                runHop()
                position = 0
            }
        }
    }

    func reset() {
        position = 0
        hopsDone = 0
        for refiner in refiners { refiner.reset() }
    }

    /// One complete hop: the mean's hop from the intermediate, the refiner per channel (the previous hop, refined),
    /// the report's sums, the write mode.
    private func runHop() {
        let hop = Self.hopSize
        var got = 0
        if failure == nil, let reader {
            do {
                got = try reader.read(into: mean)
            } catch {
                failure = error
            }
        }
        mean.frameCount = hop
        for c in 0..<channelCount {
            let m = mean.channel(c)
            for i in got..<hop { m[i] = 0 }
            let x = gathered + c * hop, previous = previousNoisy + c * hop, out = refined + c * hop
            if let mb = m.baseAddress { refiners[c].process(noisy: x, enhanced: UnsafePointer(mb), output: out) }
            // `out` is the previous hop (input hop hopsDone − 1), against `previous`.
            if hopsDone >= 1 {
                var energyIn = 0.0, energyOut = 0.0
                for i in 0..<hop {
                    energyIn += Double(previous[i]) * Double(previous[i])
                    energyOut += Double(out[i]) * Double(out[i])
                }
                let seconds = Double((hopsDone - 1) * hop) / sampleRate
                sums.add(energyIn: energyIn, energyOut: energyOut, hopSize: hop,
                         noise: !speech.isSpeech(channel: c, seconds: seconds))
            }
            let written = ready + c * hop
            write.write(cleaned: out, noisy: previous, into: written, count: hop)
            previous.update(from: x, count: hop)
        }
        hopsDone += 1
    }
}

/// Calls `report` with the frames seen (an analyzer on the final pass, for progress).
final class PassProgress: AudioAnalyzer {
    private let report: (Int) -> Void
    private var seen = 0
    let frames: Int

    init(frames: Int, report: @escaping (Int) -> Void) {
        self.frames = frames
        self.report = report
    }

    func prepare(for spec: ProcessSpec) throws { seen = 0 }
    func analyze(_ block: AudioBlock) {
        seen += block.frameCount
        report(min(seen, frames))
    }
    func reset() { seen = 0 }
}
