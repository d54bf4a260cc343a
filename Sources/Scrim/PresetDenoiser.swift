import Foundation

/// The denoise stage of a preset, made for one file: a ``NoiseReducer`` configured from a ``DenoiseStage``.
final class PresetDenoiser {
    let reducer: NoiseReducer
    var processor: any AudioProcessor { reducer }

    /// Builds the reducer; reads the learned-noise profile file when the stage names one.
    /// - Throws: ``ScrimError`` `.configuration` for settings out of range, `.invalidDocument` for a profile file
    ///   that cannot be read or is not a noise profile (the message names the file).
    init(stage: DenoiseStage) throws {
        var settings = try stage.noiseReducerSettings()
        if stage.mode == .learned, let path = stage.profile {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ScrimError(.invalidDocument, "cannot read the noise profile \(path)")
            }
            do {
                settings.mode = .learned(try NoiseProfile.decode(jsonData: data))
            } catch {
                throw ScrimError(.invalidDocument, "noise profile \(path): \(error.message)",
                                 underlying: error.underlying)
            }
        }
        try settings.validate()
        reducer = NoiseReducer(settings: settings)
    }
}

extension DenoiseStage {
    /// The reducer settings for this stage, adaptive mode (a learned profile is read by the job).
    /// - Throws: ``ScrimError`` `.configuration` for an unknown output or channel-linking name.
    public func noiseReducerSettings() throws(ScrimError) -> NoiseReducerSettings {
        guard let output = NoiseReducerSettings.Output(rawValue: output) else {
            throw ScrimError(.configuration, "denoise.output \"\(output)\": use cleaned, residual or bypass")
        }
        guard let linking = NoiseReducerSettings.ChannelLinking(rawValue: channelLinking) else {
            throw ScrimError(.configuration,
                             "denoise.channelLinking \"\(channelLinking)\": use independent or linked")
        }
        return NoiseReducerSettings(reductionDecibels: reductionDecibels, mode: .adaptive, output: output,
                                    channelLinking: linking, fftSize: fftSize, babbleGuard: babbleGuard)
    }
}

extension NoiseReductionReport {
    /// The report as JSON, the `denoise` object of `scrim denoise --json` and of `scrim process --json`.
    /// - Parameter noiseSource: where the noise estimate came from ("adaptive", "profile FILE", "learned from …").
    public func json(noiseSource: String) -> JSONValue {
        .object([
            ("mode", .string(mode)),
            ("noiseSource", .string(noiseSource)),
            ("write", .string(output)),
            ("channelLinking", .string(channelLinking)),
            ("reductionLimitDb", .rounded(reductionLimitDecibels, places: 2)),
            ("fftSize", .int(Int64(fftSize))),
            ("hopSize", .int(Int64(hopSize))),
            ("frames", .int(Int64(frames))),
            ("noiseFloorBeforeDbfs", .rounded(noiseFloorBeforeDecibelsFS.audible, places: 2)),
            ("noiseFloorAfterDbfs", .rounded(noiseFloorAfterDecibelsFS.audible, places: 2)),
            ("averageReductionDb", .rounded(averageReductionDecibels, places: 2)),
            ("maximumReductionDb", .rounded(maximumReductionDecibels, places: 2)),
            ("babbleGuardShare", .rounded(babbleGuardShare, places: 3)),
            ("babbleGuardLowestLimitDb", .rounded(babbleGuardLowestLimitDecibels, places: 2)),
        ])
    }
}

extension Preset {
    /// The preset's stages as one streaming ``ProcessorChain`` (de-hum → denoise → loudness), for callers that
    /// push blocks themselves. Prepare it for the stream before use.
    ///
    /// What a file job learns in its earlier passes is passed in here:
    /// - De-hum with `frequency` `auto` needs `detectedHum` (from a ``HumDetector`` run over the material, e.g.
    ///   its first minutes); without one, or when no hum was found, the chain has no de-hum stage. A fixed
    ///   frequency needs nothing.
    /// - Loudness needs `measuredLoudness` (a ``LoudnessMeter``'s measurement of what reaches the stage, i.e.
    ///   after de-hum and denoise); the stage is then a ``LoudnessNormalizer`` applying one static gain (and the
    ///   limiter). Without a measurement the chain has no loudness stage: meter its output and choose the gain
    ///   yourself — Scrim never rides the gain like an AGC.
    /// - Parameters:
    ///   - detectedHum: a hum detection for `auto` de-hum.
    ///   - measuredLoudness: the loudness of the cleaned material.
    /// - Returns: a new chain with new processors (one chain per stream).
    /// - Throws: ``ScrimError`` for settings out of range or an unreadable learned-noise profile.
    public func makeChain(detectedHum: HumDetection? = nil, measuredLoudness: LoudnessMeasurement? = nil)
        throws -> ProcessorChain {
        try validate()
        var stages: [any AudioProcessor] = []
        if let configuration = dehum?.removerConfiguration(detected: detectedHum) {
            stages.append(HumRemover(configuration: configuration))
        }
        if let denoise { stages.append(try PresetDenoiser(stage: denoise).reducer) }
        if let loudness, let measuredLoudness {
            stages.append(LoudnessNormalizer(measurement: measuredLoudness, target: loudness.target,
                                             handling: loudness.truePeakHandling))
        }
        return ProcessorChain(stages)
    }
}

extension Optional where Wrapped == Double {
    /// The level for JSON: nil for digital silence (the noise reducer's report floors levels at −200 dBFS, which is
    /// no measurement of anything), as `analyze` and `profile` report it.
    public var audible: Double? {
        guard let value = self, value > -199.9 else { return nil }
        return value
    }
}
