import Foundation

/// The denoise stage of a preset: builds the noise reducer from a ``DenoiseStage`` and reports what it did.
final class PresetDenoiser {
    let processor: any AudioProcessor
    var reportJSON: JSONValue? { nil }

    init(stage: DenoiseStage) throws {
        throw ScrimError(.configuration, "noise reduction is not part of this build yet")
    }
}
