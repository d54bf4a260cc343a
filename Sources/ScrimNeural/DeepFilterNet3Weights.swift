import ScrimCore

/// DeepFilterNet3's weights as the layers use them (about 8.5 MB of floats: the three graphs' tensors, the GRU
/// matrices transposed), read and checked once from a ``DeepFilterNetModel`` and shared, read-only, by every
/// channel's ``DeepFilterNet3``; a channel then holds only its state and scratch.
///
/// - Allocation: all in `init`; nothing is written afterwards.
/// - Threading: `Sendable`: immutable after `init` (the float storage is never written again), so any number of
///   networks on any tasks may read it at once.
public final class DeepFilterNet3Weights: @unchecked Sendable {
    /// The model's signal parameters (DeepFilterNet3's, checked).
    public let parameters: DFNSignalParameters
    let encoder: DFNEncoder.Weights
    let erbDecoder: DFNErbDecoder.Weights
    let dfDecoder: DFNDfDecoder.Weights

    /// Reads the three graphs' weights.
    /// - Throws: ``ScrimError`` `.invalidDocument` when the graphs do not have the expected structure,
    ///   `.configuration` when the model's signal parameters are not DeepFilterNet3's.
    public init(model: DeepFilterNetModel) throws(ScrimError) {
        let parameters = DFNSignalParameters(config: model.config)
        guard parameters.erbBandCount == DFNEncoder.erbBandCount, parameters.dfBinCount == DFNEncoder.dfBinCount,
              parameters.dfOrder * 2 == DFNDfDecoder.valuesPerBin
        else {
            throw ScrimError(.configuration, "the model's config.ini (\(parameters.erbBandCount) ERB bands, "
                                 + "\(parameters.dfBinCount) DF bins, order \(parameters.dfOrder)) is not "
                                 + "DeepFilterNet3's (32, 96, 5)")
        }
        self.parameters = parameters
        encoder = try DFNEncoder.Weights(model: model)
        erbDecoder = try DFNErbDecoder.Weights(model: model)
        dfDecoder = try DFNDfDecoder.Weights(model: model)
    }

    /// Bytes of weight storage (shared, counted once however many networks use it).
    public var byteCount: Int {
        (encoder.floatCount + erbDecoder.floatCount + dfDecoder.floatCount) * MemoryLayout<Float>.size
    }
}
