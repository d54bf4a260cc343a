import Foundation
import ScrimCore
import ScrimSpectral

/// Neural noise reduction with DeepFilterNet3 as a Scrim ``AudioProcessor``: one network state per channel (a
/// poly file's tracks are separate voices), fed hop by hop (480 frames at 48 kHz) from blocks of any size.
///
/// - Sample rate: the network runs at 48 kHz; a stream at any other rate goes through a ``ResamplingProcessor``
///   (libsoxr, high quality, both ways), sample-aligned, with the resamplers' delay in ``latencyFrames``.
/// - Latency: at 48 kHz ``latencyFrames`` = 1920 frames (40 ms): the network's 1440 (30 ms, libDF's figure) + one
///   hop, the least any block split allows (see `DeepFilterNet3Stream`); at other rates the resampling round trip
///   adds its own (about 3600 frames in all at 44.1 kHz).
/// - Block split: bit-identical for any split (at any rate).
/// - Controls (``NeuralNoiseReducerSettings``): the reduction limit (libDF's attenuation limit), the post-filter,
///   cleaned / residual / bypass (residual and bypass use the input delayed to the output, so all three line up),
///   and the mode: ``NeuralNoiseReducerSettings/Mode/reference`` is libDF's C API (its tests hold it to −60 dB of
///   libdeepfilter; measured −117 dB).
/// - Report (``report``): noise floor before and after over the hops heard as noise, average and deepest cut,
///   the network's local SNR (median, 10th and 90th percentile), the share of hops heard as speech.
/// - Invalid samples (NaN, ±Inf) are replaced by 0 and counted before anything else sees them.
/// - Allocation: the networks and buffers in ``prepare(for:)``; ``process(_:)`` and ``flush(into:)`` do not
///   allocate, lock or throw; ``reset()`` does not either at 48 kHz (at other rates libsoxr rebuilds its streams,
///   see ``ResamplingProcessor/reset()``).
/// - Threading: not `Sendable`; one stream, one task at a time.
public final class NeuralNoiseReducer: AudioProcessor {
    /// The model whose weights every channel's network uses.
    public let model: DeepFilterNetModel
    /// The controls.
    public let settings: NeuralNoiseReducerSettings
    /// libDF runtime settings derived from ``settings`` (thresholds, post-filter, attenuation limit).
    public let networkSettings: DeepFilterNet3.Settings
    /// The rate the network runs at (the model's, 48 000 Hz).
    public var sampleRate: Int { model.config.sampleRate }
    /// Frames per network step at the network's rate (480).
    public var hopSize: Int { model.config.hopSize }

    /// A hop whose local SNR estimate is at least this (dB) counts as speech in the report; below it, as noise
    /// only. DeepFilterNet3's estimate spans −15…35 dB and sits at its floor, −15 dB, in pauses of every noise
    /// type of the quality corpus; 0 dB is the middle ground between a pause and a word at 0 dB SNR.
    public static let speechThresholdDecibels: Float = 0

    /// Delay from input to output in stream frames after ``prepare(for:)`` (1920 at 48 kHz), 0 before.
    public private(set) var latencyFrames: Int = 0

    /// Called once per channel and network hop (10 ms at 48 kHz, counted from 0 at the start of the stream) with
    /// the network's local SNR for that input hop, dB; set before ``prepare(for:)``. For whole-file jobs that need
    /// the network's judgement per hop (Scrim's whole-file dialogue mode); it must not allocate or block.
    public var hopObserver: ((_ channel: Int, _ hop: Int, _ localSNR: Float) -> Void)?

    private var core: DeepFilterNet3Stream?
    private var stage: (any AudioProcessor)?
    /// The weights, shared by every channel (and by every reducer given the same object).
    private var weights: DeepFilterNet3Weights?
    private var streamRate = 48_000.0
    private var invalidSamples = 0

    /// - Parameters:
    ///   - model: a loaded DeepFilterNet3 model (``DeepFilterNetModel``).
    ///   - settings: the controls (default: dialogue mode, the default limit, post-filter off, cleaned).
    public init(model: DeepFilterNetModel, settings: NeuralNoiseReducerSettings = NeuralNoiseReducerSettings()) {
        self.model = model
        self.settings = settings
        networkSettings = settings.networkSettings
    }

    /// A reducer on weights already built (``DeepFilterNet3Weights``, 8.5 MB), so that many reducers — a batch's
    /// files, a C API client's chains — share one copy.
    public convenience init(model: DeepFilterNetModel, weights: DeepFilterNet3Weights,
                            settings: NeuralNoiseReducerSettings = NeuralNoiseReducerSettings()) {
        self.init(model: model, settings: settings)
        self.weights = weights
    }

    /// The plain network with libDF's runtime parameters as given (the thresholds too), cleaned output: what the
    /// reference tests drive.
    public init(model: DeepFilterNetModel, networkSettings: DeepFilterNet3.Settings) {
        self.model = model
        settings = NeuralNoiseReducerSettings(reductionLimitDecibels: networkSettings.attenuationLimit.map(Double.init),
                                              postFilter: networkSettings.postFilterBeta > 0, mode: .reference)
        self.networkSettings = networkSettings
    }

    /// Builds one network per channel, the hop buffers and, for a stream not at 48 kHz, the resamplers.
    /// - Throws: ``ScrimError`` `.configuration` when the spec or settings are out of range (or libsoxr refuses the
    ///   rate); `.invalidDocument` when the model's graphs do not have DeepFilterNet3's structure.
    public func prepare(for spec: ProcessSpec) throws {
        try spec.validate()
        try settings.validate()
        let shared = try weights ?? DeepFilterNet3Weights(model: model)
        weights = shared
        let made = DeepFilterNet3Stream(model: model, weights: shared, settings: settings,
                                        networkSettings: networkSettings)
        made.hopObserver = hopObserver
        let outer: any AudioProcessor
        if spec.sampleRate == Double(sampleRate) {
            try made.prepare(for: spec)
            outer = made
        } else {
            let resampling = ResamplingProcessor(inner: made, innerSampleRate: Double(sampleRate))
            try resampling.prepare(for: spec)
            outer = resampling
        }
        core = made
        stage = outer
        streamRate = spec.sampleRate
        latencyFrames = outer.latencyFrames
        invalidSamples = 0
    }

    /// Processes `block` in place; output frame n is input frame n − ``latencyFrames`` enhanced.
    /// - Precondition: prepared, and `block.channelCount` is the spec's. Does not allocate, lock or throw.
    public func process(_ block: AudioBlock) {
        guard let stage else { preconditionFailure("NeuralNoiseReducer.process before prepare(for:)") }
        for c in 0..<block.channelCount {
            let samples = block.channel(c)
            for i in 0..<block.frameCount where !samples[i].isFinite {
                samples[i] = 0
                invalidSamples += 1
            }
        }
        stage.process(block)
    }

    /// Writes the delayed tail (the last ``latencyFrames`` frames of output).
    public func flush(into block: AudioBlock) {
        guard let stage else { preconditionFailure("NeuralNoiseReducer.flush before prepare(for:)") }
        stage.flush(into: block)
    }

    /// Back to a freshly prepared state.
    public func reset() {
        stage?.reset()
        invalidSamples = 0
    }

    /// What the reducer did since ``prepare(for:)`` or ``reset()``.
    public var report: NeuralNoiseReductionReport {
        guard let core else {
            return NeuralNoiseReductionReport(
                mode: settings.mode.rawValue, output: settings.output.rawValue,
                reductionLimitDecibels: settings.effectiveLimitDecibels, postFilter: settings.postFilter,
                networkSampleRate: sampleRate, streamSampleRate: streamRate, latencyFrames: 0, frames: 0,
                invalidSamplesZeroed: 0)
        }
        var report = core.report
        report.streamSampleRate = streamRate
        report.latencyFrames = latencyFrames
        report.invalidSamplesZeroed = invalidSamples
        return report
    }
}

/// The 48 kHz core of ``NeuralNoiseReducer``: one ``DeepFilterNet3`` state per channel fed hop by hop (480
/// frames) from blocks of any size, the write mode and the report. See ``NeuralNoiseReducer`` for the contract.
///
/// Latency 1920 frames: the network's 1440 (30 ms, libDF's figure) + one hop. The extra hop is the least any block
/// split allows: a hop's output depends on all of its 480 input frames (the 960-point analysis frame ends with
/// them), so with blocks of one frame the first output frame of a hop can only be written once the hop's last
/// input frame has arrived, 479 frames later; this rounds that up to a whole hop. Within it, output frame n is the
/// network's output frame n − 480, i.e. input frame n − 1920. Every hop a block completes is run before the block's
/// output is written, and each output frame is taken from the output of the hop before the one its input frame
/// falls in, at the same position: bit-identical for any split.
final class DeepFilterNet3Stream: AudioProcessor {
    /// The model whose weights every channel's network uses.
    let model: DeepFilterNetModel
    /// The controls.
    let settings: NeuralNoiseReducerSettings
    /// libDF runtime settings derived from ``settings`` (thresholds, post-filter, attenuation limit).
    let networkSettings: DeepFilterNet3.Settings
    /// The only sample rate accepted (the model's, 48 000 Hz).
    var sampleRate: Int { model.config.sampleRate }
    /// Frames per network step (480).
    var hopSize: Int { model.config.hopSize }

    /// A hop whose local SNR estimate is at least this (dB) counts as speech in the report; below it, as noise
    /// only. DeepFilterNet3's estimate spans −15…35 dB and sits at its floor, −15 dB, in pauses of every noise
    /// type of the quality corpus; 0 dB is the middle ground between a pause and a word at 0 dB SNR.
    static var speechThresholdDecibels: Float { NeuralNoiseReducer.speechThresholdDecibels }
    /// Hops gathered at most before the networks run them; the staging buffers are this many hops per channel.
    static let hopsPerBatch = 32

    /// 1920 frames after ``prepare(for:)`` (the network's 1440 + one hop), 0 before.
    private(set) var latencyFrames: Int = 0

    private var networks: [DeepFilterNet3] = []
    private var channelCount = 0
    /// Per channel, `hopsPerBatch` hops of input: hop 0 is the one being gathered (`position` frames so far).
    private var stage = NeuralBuffer(count: 0)
    /// Per channel, the network's (and the controls') output for the staged hops that completed.
    private var produced = NeuralBuffer(count: 0)
    /// Per channel, the output of the last completed hop before the stage, read while hop 0 is gathered.
    private var ready = NeuralBuffer(count: 0)
    /// Per channel, the `delayHops` hops of input before the stage (the noisy frames the output lines up with).
    private var history = NeuralBuffer(count: 0)
    /// Output hops lag input hops by this many: the network's 1440 / 480 = 3, and in dialogue mode two more (one
    /// for the ensemble's half-hop shift, one for the refiner's STFT).
    private var delayHops = 0
    /// The network's own lag in hops (3).
    private var networkHops = 0
    /// The share of refined frames whose gate was open.
    private var mixBackShare: Double? {
        let frames = refiners.map(\.frames).reduce(0, +)
        return frames > 0 ? Double(refiners.map(\.openFrames).reduce(0, +)) / Double(frames) : nil
    }
    /// Dialogue mode: the refinement runs (ensemble of two networks half a hop apart, then ``DialogueRefiner``).
    private var refines = false
    /// Dialogue mode, per channel: the second network, fed the input 240 frames later.
    private var shiftedNetworks: [DeepFilterNet3] = []
    private var refiners: [DialogueRefiner] = []
    /// Dialogue mode, per channel × `hopsPerBatch` hops: the first network's output, the second's input and output.
    private var networkOutput = NeuralBuffer(count: 0)
    private var shiftedInput = NeuralBuffer(count: 0)
    private var shiftedOutput = NeuralBuffer(count: 0)
    /// Dialogue mode, per channel: the first network's previous output hop, the second half of the second's previous
    /// output hop, and the last half hop of input (the start of the second network's next hop).
    private var previousOutput = NeuralBuffer(count: 0)
    private var previousShiftedHalf = NeuralBuffer(count: 0)
    private var inputCarry = NeuralBuffer(count: 0)
    /// One hop of the ensemble's output.
    private var ensemble = NeuralBuffer(count: 0)
    /// Hops completed since the stream began.
    private var hopsSeen = 0
    /// ``NeuralNoiseReducer/hopObserver``.
    var hopObserver: ((Int, Int, Float) -> Void)?
    private var position = 0
    private var stats = Statistics()
    /// The networks' local SNR per staged hop, one channel at a time (the second network's, unused, apart).
    private var localSNRs = NeuralBuffer(count: 0)
    private var shiftedLocalSNRs = NeuralBuffer(count: 0)

    /// The weights every channel's network reads (one copy for all channels).
    let weights: DeepFilterNet3Weights

    init(model: DeepFilterNetModel, weights: DeepFilterNet3Weights, settings: NeuralNoiseReducerSettings,
         networkSettings: DeepFilterNet3.Settings) {
        self.model = model
        self.weights = weights
        self.settings = settings
        self.networkSettings = networkSettings
    }

    /// Builds one network per channel and the hop buffers.
    /// - Throws: ``ScrimError`` `.configuration` when the spec or settings are out of range or the spec's sample
    ///   rate is not the model's 48 kHz; `.invalidDocument` when the model's graphs do not have DeepFilterNet3's
    ///   structure.
    func prepare(for spec: ProcessSpec) throws {
        try spec.validate()
        try settings.validate()
        guard spec.sampleRate == Double(sampleRate) else {
            throw ScrimError(.configuration,
                             "neural noise reduction (DeepFilterNet3) runs at \(sampleRate) Hz only, the input is "
                                 + "\(spec.sampleRate) Hz: resample to \(sampleRate) Hz first")
        }
        var built: [DeepFilterNet3] = []
        for _ in 0..<spec.channelCount {
            built.append(try DeepFilterNet3(weights: weights, settings: networkSettings,
                                            maximumBatch: DeepFilterNet3.defaultMaximumBatch))
        }
        networks = built
        channelCount = spec.channelCount
        let networkLatency = built.first?.latencyFrames ?? 0
        guard networkLatency % hopSize == 0 else {
            throw ScrimError(.configuration, "the network's latency (\(networkLatency) frames) is not a whole number "
                                 + "of \(hopSize)-frame hops")
        }
        networkHops = networkLatency / hopSize
        refines = settings.mode == .dialogue
        delayHops = networkHops + (refines ? 2 : 0)
        let capacity = channelCount * Self.hopsPerBatch * hopSize
        if refines {
            var second: [DeepFilterNet3] = [], post: [DialogueRefiner] = []
            for _ in 0..<spec.channelCount {
                second.append(try DeepFilterNet3(weights: weights, settings: networkSettings,
                                                 maximumBatch: DeepFilterNet3.defaultMaximumBatch))
                post.append(try DialogueRefiner(parameters: weights.parameters))
            }
            shiftedNetworks = second
            refiners = post
            networkOutput = NeuralBuffer(count: capacity)
            shiftedInput = NeuralBuffer(count: capacity)
            shiftedOutput = NeuralBuffer(count: capacity)
            previousOutput = NeuralBuffer(count: channelCount * hopSize)
            previousShiftedHalf = NeuralBuffer(count: channelCount * hopSize / 2)
            inputCarry = NeuralBuffer(count: channelCount * hopSize / 2)
            ensemble = NeuralBuffer(count: hopSize)
        } else {
            shiftedNetworks = []
            refiners = []
        }
        stage = NeuralBuffer(count: channelCount * Self.hopsPerBatch * hopSize)
        produced = NeuralBuffer(count: channelCount * Self.hopsPerBatch * hopSize)
        ready = NeuralBuffer(count: channelCount * hopSize)
        history = NeuralBuffer(count: channelCount * delayHops * hopSize)
        localSNRs = NeuralBuffer(count: Self.hopsPerBatch)
        shiftedLocalSNRs = NeuralBuffer(count: Self.hopsPerBatch)
        latencyFrames = delayHops * hopSize + hopSize
        resetState()
    }

    /// Processes `block` in place; output frame n is input frame n − ``latencyFrames`` enhanced.
    /// - Precondition: prepared, and `block.channelCount` is the spec's. Does not allocate, lock or throw.
    func process(_ block: AudioBlock) {
        precondition(block.channelCount == channelCount,
                     "NeuralNoiseReducer prepared for \(channelCount) channels, got \(block.channelCount)")
        let hop = hopSize
        let capacity = Self.hopsPerBatch * hop
        var offset = 0
        while offset < block.frameCount {
            let take = min(block.frameCount - offset, capacity - position)
            // 1. The block's frames into the stage (after the frames of hop 0 gathered so far).
            for c in 0..<channelCount {
                let samples = block.channel(c)
                let staged = stage.pointer + c * capacity + position
                for i in 0..<take { staged[i] = samples[offset + i] }
            }
            // 2. Every hop that is now complete through the networks.
            let end = position + take
            let completed = end / hop
            if completed > 0 { runHops(completed) }
            // 3. Output: a frame in staged hop h takes the output of hop h − 1 (hop −1 is `ready`).
            for c in 0..<channelCount {
                let samples = block.channel(c)
                let previous = ready.pointer + c * hop
                let outputs = produced.pointer + c * capacity
                for i in 0..<take {
                    let s = position + i
                    let h = s / hop
                    samples[offset + i] = h == 0 ? previous[s] : outputs[(h - 1) * hop + s % hop]
                }
            }
            // 4. Carry: the last completed hop's output becomes `ready`, the partial hop moves to hop 0, and the
            //    input hops before the new stage start go to `history`.
            if completed > 0 { shift(completed: completed, remainder: end - completed * hop) }
            position = end - completed * hop
            offset += take
        }
    }

    /// Back to a freshly prepared state. Does not allocate.
    func reset() {
        for network in networks + shiftedNetworks { network.reset() }
        for refiner in refiners { refiner.reset() }
        resetState()
    }

    /// What the reducer did since ``prepare(for:)`` or ``reset()``.
    var report: NeuralNoiseReductionReport {
        var report = NeuralNoiseReductionReport(
            mode: settings.mode.rawValue, output: settings.output.rawValue,
            reductionLimitDecibels: networkSettings.attenuationLimit.map(Double.init),
            postFilter: networkSettings.postFilterBeta > 0, networkSampleRate: sampleRate,
            streamSampleRate: Double(sampleRate), latencyFrames: latencyFrames, frames: stats.hops,
            localSNRMedianDecibels: stats.percentile(0.5), localSNRPercentile10Decibels: stats.percentile(0.1),
            localSNRPercentile90Decibels: stats.percentile(0.9),
            speechShare: stats.hops > 0 ? Double(stats.speechHops) / Double(stats.hops) : nil,
            invalidSamplesZeroed: 0, ensemble: refines ? "half-hop" : nil,
            mixBackShare: refines ? mixBackShare : nil)
        stats.sums.apply(to: &report, hopSize: hopSize)
        return report
    }

    // MARK: - Internals

    private func resetState() {
        stage.zero()
        produced.zero()
        ready.zero()
        history.zero()
        networkOutput.zero()
        shiftedInput.zero()
        shiftedOutput.zero()
        previousOutput.zero()
        previousShiftedHalf.zero()
        inputCarry.zero()
        hopsSeen = 0
        position = 0
        stats.reset()
    }

    /// Runs staged hops 0 ..< `count` through each channel's network (as one batch: the layers that do not depend on
    /// the recurrence run over all of them at once, with the same bits as hop by hop), the dialogue refinement and
    /// the controls into `produced`.
    private func runHops(_ count: Int) {
        let hop = hopSize
        let capacity = Self.hopsPerBatch * hop
        for (c, network) in networks.enumerated() {
            let staged = stage.pointer + c * capacity
            let outputs = produced.pointer + c * capacity
            network.process(hops: UnsafeBufferPointer(start: staged, count: count * hop), count: count,
                            into: UnsafeMutableBufferPointer(start: refines ? networkOutput.pointer + c * capacity
                                                                 : outputs, count: count * hop),
                            localSNRs: localSNRs.pointer)
            if let hopObserver {
                for h in 0..<count { hopObserver(c, hopsSeen + h, localSNRs.pointer[h]) }
            }
            if refines {
                refine(channel: c, count: count)
            } else {
                for h in 0..<count {
                    finish(hop: outputs + h * hop, noisy: inputHop(channel: c, stagedHop: h, back: delayHops),
                           localSNR: localSNRs.pointer[h])
                }
            }
        }
        hopsSeen += count
    }

    /// Dialogue mode for one channel's `count` new hops: the second network on the input half a hop later, the
    /// ensemble ½(first + second) lined up (the second's output 240 frames later, so each hop's ensemble waits for
    /// the next hop), then the ``DialogueRefiner`` against the noisy hop it lines up with.
    private func refine(channel c: Int, count: Int) {
        let hop = hopSize
        let half = hop / 2
        let capacity = Self.hopsPerBatch * hop
        let staged = stage.pointer + c * capacity
        let carry = inputCarry.pointer + c * half
        let shiftedIn = shiftedInput.pointer + c * capacity
        for h in 0..<count {
            // The second network's hop h: the last half hop before staged hop h, then its first half.
            let target = shiftedIn + h * hop
            target.update(from: h == 0 ? carry : staged + (h - 1) * hop + half, count: half)
            (target + half).update(from: staged + h * hop, count: half)
        }
        let shiftedOut = shiftedOutput.pointer + c * capacity
        shiftedNetworks[c].process(hops: UnsafeBufferPointer(start: shiftedIn, count: count * hop), count: count,
                                   into: UnsafeMutableBufferPointer(start: shiftedOut, count: count * hop),
                                   localSNRs: shiftedLocalSNRs.pointer)
        let first = networkOutput.pointer + c * capacity
        let previous = previousOutput.pointer + c * hop
        let previousHalf = previousShiftedHalf.pointer + c * half
        let outputs = produced.pointer + c * capacity
        let mixed = ensemble.pointer
        for h in 0..<count {
            // The ensemble for the first network's previous hop (it lines up with input hop H − networkHops − 1).
            let second = shiftedOut + h * hop
            for i in 0..<half { mixed[i] = 0.5 * (previous[i] + previousHalf[i]) }
            for i in half..<hop { mixed[i] = 0.5 * (previous[i] + second[i - half]) }
            previous.update(from: first + h * hop, count: hop)
            previousHalf.update(from: second + half, count: half)
            let out = outputs + h * hop
            if hopsSeen + h > networkHops {
                refiners[c].process(noisy: inputHop(channel: c, stagedHop: h, back: networkHops + 1),
                                    enhanced: mixed, output: out)
                // The refiner's first hop out is the half frame before the stream began: not part of it.
                if hopsSeen + h == networkHops + 1 { out.update(repeating: 0, count: hop) }
            } else {
                out.update(repeating: 0, count: hop)  // before the first input hop reaches the refiner
            }
            finish(hop: out, noisy: inputHop(channel: c, stagedHop: h, back: delayHops),
                   localSNR: localSNRs.pointer[h])
        }
    }

    /// The input hop `back` hops before staged hop `h` (`back` ≤ `delayHops`): from the stage or, before it, from
    /// `history`.
    private func inputHop(channel c: Int, stagedHop h: Int, back: Int) -> UnsafeMutablePointer<Float> {
        let hop = hopSize
        if h >= back { return stage.pointer + c * Self.hopsPerBatch * hop + (h - back) * hop }
        return history.pointer + (c * delayHops + delayHops - back + h) * hop
    }

    /// Statistics of one output hop, then the write mode applied to it in place.
    private func finish(hop out: UnsafeMutablePointer<Float>, noisy: UnsafeMutablePointer<Float>, localSNR: Float) {
        let hop = hopSize
        var energyIn = 0.0, energyOut = 0.0
        for i in 0..<hop {
            energyIn += Double(noisy[i]) * Double(noisy[i])
            energyOut += Double(out[i]) * Double(out[i])
        }
        stats.add(localSNR: localSNR, energyIn: energyIn, energyOut: energyOut, hopSize: hop)
        settings.output.write(cleaned: out, noisy: noisy, into: out, count: hop)
    }

    /// After `completed` staged hops ran: `ready` ← the last one's output, `history` ← the `delayHops` input hops
    /// before the next stage, hop 0 ← the `remainder` frames of the partial hop.
    private func shift(completed: Int, remainder: Int) {
        let hop = hopSize
        let capacity = Self.hopsPerBatch * hop
        for c in 0..<channelCount {
            let staged = stage.pointer + c * capacity
            if refines {
                // The second network's next hop starts with the last half of the last completed input hop.
                (inputCarry.pointer + c * hop / 2).update(from: staged + (completed - 1) * hop + hop / 2,
                                                          count: hop / 2)
            }
            (ready.pointer + c * hop).update(from: produced.pointer + c * capacity + (completed - 1) * hop,
                                             count: hop)
            // The new history is the last `delayHops` input hops ending at hop `completed` (old history + stage).
            let past = history.pointer + c * delayHops * hop
            for k in 0..<delayHops {
                let source = completed - delayHops + k  // an index into the stage; negative: into the old history
                if source >= 0 {
                    (past + k * hop).update(from: staged + source * hop, count: hop)
                } else {
                    (past + k * hop).update(from: past + (delayHops + source) * hop, count: hop)
                }
            }
            if remainder > 0 { staged.update(from: staged + completed * hop, count: remainder) }
        }
    }

    /// Running sums for ``report``; no allocation after `init`.
    private struct Statistics {
        static let histogramLow: Float = -15
        static let histogramStep: Float = 0.05
        static let histogramBins = 1001  // −15 … 35 dB

        var hops = 0
        var speechHops = 0
        var sums = NeuralReductionSums()
        var histogram = [Int](repeating: 0, count: histogramBins)

        mutating func reset() {
            hops = 0
            speechHops = 0
            sums = NeuralReductionSums()
            for i in histogram.indices { histogram[i] = 0 }
        }

        mutating func add(localSNR: Float, energyIn: Double, energyOut: Double, hopSize: Int) {
            hops += 1
            let bin = ((localSNR - Self.histogramLow) / Self.histogramStep).rounded()
            let index = bin.isFinite ? Int(max(0, min(Float(Self.histogramBins - 1), bin))) : 0
            histogram[index] += 1
            let speech = localSNR >= NeuralNoiseReducer.speechThresholdDecibels
            if speech { speechHops += 1 }
            sums.add(energyIn: energyIn, energyOut: energyOut, hopSize: hopSize, noise: !speech)
        }

        /// The `fraction` quantile of the local SNR, dB (the lowest bin whose cumulative count reaches it).
        func percentile(_ fraction: Double) -> Double? {
            guard hops > 0 else { return nil }
            let target = max(1, Int((fraction * Double(hops)).rounded(.up)))
            var cumulative = 0
            for (i, count) in histogram.enumerated() {
                cumulative += count
                if cumulative >= target {
                    return Double(Self.histogramLow + Float(i) * Self.histogramStep)
                }
            }
            return Double(Self.histogramLow + Float(Self.histogramBins - 1) * Self.histogramStep)
        }
    }
}
