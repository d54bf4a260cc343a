import ScrimCore

/// Neural noise reduction with DeepFilterNet3 as a Scrim ``AudioProcessor``: one ``DeepFilterNet3`` per channel,
/// fed hop by hop (480 frames) from blocks of any size.
///
/// - Sample rate: 48 kHz only for now (the model's rate; ``prepare(for:)`` refuses others with a
///   `.configuration` error rather than resampling).
/// - Latency: ``latencyFrames`` = the network's 1440 frames (30 ms, libDF's figure) + one hop (480) = 1920
///   frames (40 ms). The extra hop is the least any block split allows: a hop's output depends on all of its
///   480 input frames (the 960-point analysis frame ends with them), so with blocks of one frame the first
///   output frame of a hop can only be written once the hop's last input frame has arrived, 479 frames later;
///   this processor rounds that up to a whole hop. Within it, output frame n is the network's output frame
///   n − 480, i.e. input frame n − 1920.
/// - Block split: input frames are gathered into hops and output frames taken from the previous hop's output at
///   the same position, so the result is bit-identical for any split.
/// - Allocation: the networks and buffers in ``prepare(for:)``; ``process(_:)``, ``flush(into:)`` and ``reset()``
///   do not allocate, lock or throw.
/// - Threading: not `Sendable`; one stream, one task at a time.
public final class NeuralNoiseReducer: AudioProcessor {
    /// The model whose weights every channel's network copies.
    public let model: DeepFilterNetModel
    /// libDF runtime settings (thresholds, post-filter, attenuation limit); default libDF's C API.
    public let settings: DeepFilterNet3.Settings
    /// The only sample rate accepted (the model's, 48 000 Hz).
    public var sampleRate: Int { model.config.sampleRate }
    /// Frames per network step (480).
    public var hopSize: Int { model.config.hopSize }

    /// 1920 frames after ``prepare(for:)`` (the network's 1440 + one hop), 0 before.
    public private(set) var latencyFrames: Int = 0

    private var networks: [DeepFilterNet3] = []
    /// Per channel `hopSize` input frames being gathered, channel c at c·hopSize.
    private var pending = NeuralBuffer(count: 0)
    /// Per channel the last hop's network output, read out while the next hop is gathered.
    private var ready = NeuralBuffer(count: 0)
    /// Frames of the current hop gathered so far (the same for every channel).
    private var position = 0

    /// - Parameters:
    ///   - model: a loaded DeepFilterNet3 model (``DeepFilterNetModel``).
    ///   - settings: libDF's runtime parameters; ``DeepFilterNet3/Settings/libDFCAPI`` by default.
    public init(model: DeepFilterNetModel, settings: DeepFilterNet3.Settings = .libDFCAPI) {
        self.model = model
        self.settings = settings
    }

    /// Builds one network per channel and the hop buffers.
    /// - Throws: ``ScrimError`` `.configuration` when the spec is out of range or its sample rate is not the
    ///   model's 48 kHz; `.invalidDocument` when the model's graphs do not have DeepFilterNet3's structure.
    public func prepare(for spec: ProcessSpec) throws {
        try spec.validate()
        guard spec.sampleRate == Double(sampleRate) else {
            throw ScrimError(.configuration,
                             "neural noise reduction (DeepFilterNet3) runs at \(sampleRate) Hz only, the input is "
                                 + "\(spec.sampleRate) Hz: resample to \(sampleRate) Hz first")
        }
        var built: [DeepFilterNet3] = []
        for _ in 0..<spec.channelCount { built.append(try DeepFilterNet3(model: model, settings: settings)) }
        networks = built
        pending = NeuralBuffer(count: spec.channelCount * hopSize)
        ready = NeuralBuffer(count: spec.channelCount * hopSize)
        latencyFrames = (built.first?.latencyFrames ?? 0) + hopSize
        position = 0
    }

    /// Processes `block` in place; output frame n is input frame n − ``latencyFrames`` enhanced.
    /// - Precondition: prepared, and `block.channelCount` is the spec's. Does not allocate, lock or throw.
    public func process(_ block: AudioBlock) {
        precondition(block.channelCount == networks.count,
                     "NeuralNoiseReducer prepared for \(networks.count) channels, got \(block.channelCount)")
        let hop = hopSize
        var offset = 0
        while offset < block.frameCount {
            let count = min(hop - position, block.frameCount - offset)
            for c in 0..<networks.count {
                let samples = block.channel(c)
                let input = pending.pointer + c * hop + position
                let output = ready.pointer + c * hop + position
                for i in 0..<count {
                    let x = samples[offset + i]
                    samples[offset + i] = output[i]
                    input[i] = x
                }
            }
            position += count
            offset += count
            if position == hop {
                for (c, network) in networks.enumerated() {
                    network.process(UnsafeBufferPointer(start: pending.pointer + c * hop, count: hop),
                                    into: UnsafeMutableBufferPointer(start: ready.pointer + c * hop, count: hop))
                }
                position = 0
            }
        }
    }

    /// Back to a freshly prepared state. Does not allocate.
    public func reset() {
        for network in networks { network.reset() }
        pending.zero()
        ready.zero()
        position = 0
    }
}
