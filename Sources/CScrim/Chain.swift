import Foundation
import Scrim

/// The object behind `scrim_chain *`: a preset's stages as a streaming chain, prepared for one stream.
final class CChain {
    let preset: Preset
    let chain: ProcessorChain
    let spec: ProcessSpec
    /// Channel pointer table reused for every block (no allocation per call).
    let table: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    /// Stages of the preset that a streaming chain cannot run, with the reason (reported, never silent).
    let omitted: [(String, String)]
    var framesProcessed = 0

    init(preset: Preset, spec: ProcessSpec) throws {
        self.preset = preset
        self.spec = spec
        // ABI 2: stages that cannot stream are refused, never dropped (issue 21).
        let refused = Self.unstreamable(preset)
        if !refused.isEmpty {
            throw CAPIError(status: .unsupported, message: "preset \"\(preset.name)\" has stages that cannot "
                            + "stream: " + refused.map { "\($0.stage) (\($0.reason))" }.joined(separator: "; ")
                            + ". Run the whole preset on a whole buffer with scrim_process_buffer (or on a file with "
                            + "scrim_process_file), or give scrim_chain_create a preset without them")
        }
        omitted = []
        chain = try preset.makeChain()
        try chain.prepare(for: spec)
        table = .allocate(capacity: spec.channelCount)
        view = ViewScratch(spec)
    }

    /// The view functions' gather/scatter scratch.
    let view: ViewScratch

    deinit { table.deallocate() }

    /// The stages of `preset` a streaming chain cannot run, with the reason (empty: the preset streams).
    static func unstreamable(_ preset: Preset) -> [(stage: String, reason: String)] {
        var found: [(stage: String, reason: String)] = []
        // A fixed-frequency de-hum streams with the classic remover whatever its engine (the tracker works on 28 s
        // chunks); the chain's report says so ("engine": "classic").
        if let dehum = preset.dehum, case .auto = dehum.frequency {
            found.append(("dehum", "automatic hum detection needs a pass over the whole take first; a fixed "
                          + "\"frequencyHz\" streams"))
        }
        if preset.loudness != nil {
            found.append(("loudness", "loudness normalisation needs the programme's measured loudness (two passes); "
                          + "meter the output with scrim_meter_* and apply your gain"))
        }
        return found
    }

    var report: JSONValue {
        var stages: [JSONValue] = []
        for stage in chain.stages {
            if let reducer = stage as? NoiseReducer {
                let r = reducer.report
                stages.append(.object([
                    ("stage", .string("denoise")),
                    ("engine", .string("spectral")),
                    ("mode", .string(r.mode)),
                    ("reductionLimitDb", .finite(r.reductionLimitDecibels)),
                    ("noiseFloorBeforeDbfs", .rounded(r.noiseFloorBeforeDecibelsFS, places: 2)),
                    ("noiseFloorAfterDbfs", .rounded(r.noiseFloorAfterDecibelsFS, places: 2)),
                    ("averageReductionDb", .rounded(r.averageReductionDecibels, places: 2)),
                    ("babbleGuardShare", .rounded(r.babbleGuardShare, places: 3)),
                    ("babbleGuardLowestLimitDb", .rounded(r.babbleGuardLowestLimitDecibels, places: 2)),
                ]))
            } else if let neural = stage as? NeuralNoiseReducer {
                let r = neural.report
                stages.append(.object([
                    ("stage", .string("denoise")),
                    ("engine", .string("neural")),
                    ("neuralMode", .string(r.mode)),
                    ("reductionLimitDb", .rounded(r.reductionLimitDecibels, places: 2)),
                    ("noiseFloorBeforeDbfs", .rounded(r.noiseFloorBeforeDecibelsFS, places: 2)),
                    ("noiseFloorAfterDbfs", .rounded(r.noiseFloorAfterDecibelsFS, places: 2)),
                    ("averageReductionDb", .rounded(r.averageReductionDecibels, places: 2)),
                    ("localSnrMedianDb", .rounded(r.localSNRMedianDecibels, places: 2)),
                    ("speechShare", .rounded(r.speechShare, places: 3)),
                    ("neuralEnsemble", .optional(r.ensemble)),
                    ("mixBackShare", .rounded(r.mixBackShare, places: 3)),
                ]))
            } else if let declipper = stage as? Declipper {
                // The streaming declipper learns each track's level from the stream (Preset.makeChain).
                let tracks: [JSONValue] = declipper.report.enumerated().map { index, r in
                    .object([
                        ("track", .int(Int64(index + 1))),
                        ("kind", .string(r.kind.rawValue)),
                        ("clipLevelDbfs", .rounded(r.clipLevelDecibelsFS, places: 2)),
                        ("runsRestored", .int(Int64(r.runsRestored))),
                        ("runsLeft", .int(Int64(r.runsLeft))),
                        ("restoredPeakDbfs", .rounded(r.restoredPeakDecibelsFS, places: 2)),
                    ])
                }
                stages.append(.object([("stage", .string("declip")), ("tracks", .array(tracks))]))
            } else if let declicker = stage as? Declicker {
                stages.append(.object([("stage", .string("declick"))] + declicker.report.jsonPairs(
                    sampleRate: spec.sampleRate)))
            } else if let reducer = stage as? WindReducer, let r = reducer.report {
                stages.append(.object([
                    ("stage", .string("wind")),
                    ("gustPercent", .array(r.tracks.map { .rounded($0.gustShare * 100, places: 2) })),
                    ("gusts", .array(r.tracks.map { .int(Int64($0.gustCount)) })),
                    ("deepestCutDb", .array(r.tracks.map { .rounded($0.deepestCutDecibels, places: 2) })),
                ]))
            } else if let filter = stage as? RumbleFilter {
                // A stream cannot be read ahead: the preset's `highpassMode` auto runs the filter as always.
                stages.append(.object([("stage", .string("highpass")), ("cornerHz", .finite(filter.settings.cornerHertz)),
                                       ("slopeDbPerOctave", .int(Int64(filter.settings.slopeDecibelsPerOctave))),
                                       ("mode", .string(preset.wind?.highpassMode.rawValue ?? "always")),
                                       ("decision", .string(preset.wind?.highpassMode == .auto ? "streaming"
                                                                : "always"))]))
            } else if stage is HumRemover {
                stages.append(.object([("stage", .string("dehum")), ("engine", .string("classic"))]))
            } else {
                stages.append(.object([("stage", .string(String(describing: type(of: stage))))]))
            }
        }
        return .object([
            ("preset", .string(preset.name)),
            ("sampleRate", .finite(spec.sampleRate)),
            ("channelCount", .int(Int64(spec.channelCount))),
            ("latencyFrames", .int(Int64(chain.latencyFrames))),
            ("framesProcessed", .int(Int64(framesProcessed))),
            ("invalidSamplesZeroed", .int(Int64(chain.invalidSamplesZeroed))),
            ("stages", .array(stages)),
            ("omittedStages", .array(omitted.map { .object([("stage", .string($0.0)), ("reason", .string($0.1))]) })),
        ])
    }
}

/// Resolves a preset argument: JSON text (first non-space character `{`) or a built-in name.
func resolvePreset(_ text: String) throws -> Preset {
    if text.drop(while: { $0.isWhitespace }).first == "{" {
        do {
            return try Preset.decode(Data(text.utf8), source: "preset JSON")
        } catch {
            throw CAPIError(status: .configuration, message: "\(error)")
        }
    }
    guard let preset = Preset.builtIn(named: text) else {
        throw CAPIError(status: .unknownPreset, message: "unknown preset \"\(text)\"; built-in presets: "
                        + Preset.builtIns.map(\.name).joined(separator: ", "))
    }
    return preset
}

func chainObject(_ handle: OpaquePointer?) throws -> CChain {
    guard let handle else { throw CAPIError(status: .invalidArgument, message: "chain is NULL") }
    return Unmanaged<CChain>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
}

@_cdecl("scrim_chain_create")
public func scrim_chain_create(
    _ preset: UnsafePointer<CChar>?, _ sampleRate: Double, _ channelCount: Int32, _ maximumBlockFrames: Int32,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    entryPoint {
        guard let out else { throw CAPIError(status: .invalidArgument, message: "out_chain is NULL") }
        out.pointee = nil
        let text = try requireString(preset, "preset")
        let spec = ProcessSpec(sampleRate: sampleRate, channelCount: Int(channelCount),
                               maximumBlockFrames: Int(maximumBlockFrames))
        try validate(spec)
        let object = try CChain(preset: try resolvePreset(text), spec: spec)
        out.pointee = OpaquePointer(Unmanaged.passRetained(object).toOpaque())
    }
}

@_cdecl("scrim_chain_destroy")
public func scrim_chain_destroy(_ handle: OpaquePointer?) {
    guard let handle else { return }
    Unmanaged<CChain>.fromOpaque(UnsafeRawPointer(handle)).release()
}

/// Validates a block from C and hands it to `body` as an ``AudioBlock`` (nothing for 0 frames).
private func withChainBlock(
    _ handle: OpaquePointer?, _ channels: UnsafePointer<UnsafeMutablePointer<Float>?>?, _ channelCount: Int32,
    _ frameCount: Int32, _ body: (CChain, AudioBlock) -> Void
) -> Int32 {
    entryPoint {
        let object = try chainObject(handle)
        try fillTable(object.table, from: channels.map { UnsafeRawPointer($0) }, channelCount: channelCount,
                      frameCount: frameCount, spec: object.spec)
        guard frameCount > 0 else { return }
        body(object, AudioBlock(channels: object.table, channelCount: object.spec.channelCount,
                                frameCount: Int(frameCount)))
    }
}

@_cdecl("scrim_chain_process")
public func scrim_chain_process(
    _ handle: OpaquePointer?, _ channels: UnsafePointer<UnsafeMutablePointer<Float>?>?, _ channelCount: Int32,
    _ frameCount: Int32
) -> Int32 {
    withChainBlock(handle, channels, channelCount, frameCount) { object, block in
        object.chain.process(block)
        object.framesProcessed += block.frameCount
    }
}

@_cdecl("scrim_chain_flush")
public func scrim_chain_flush(
    _ handle: OpaquePointer?, _ channels: UnsafePointer<UnsafeMutablePointer<Float>?>?, _ channelCount: Int32,
    _ frameCount: Int32
) -> Int32 {
    withChainBlock(handle, channels, channelCount, frameCount) { object, block in object.chain.flush(into: block) }
}

@_cdecl("scrim_chain_latency")
public func scrim_chain_latency(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    entryPoint {
        let object = try chainObject(handle)
        guard let out else { throw CAPIError(status: .invalidArgument, message: "out_frames is NULL") }
        out.pointee = Int64(object.chain.latencyFrames)
    }
}

@_cdecl("scrim_chain_reset")
public func scrim_chain_reset(_ handle: OpaquePointer?) -> Int32 {
    entryPoint {
        let object = try chainObject(handle)
        object.chain.reset()
        object.framesProcessed = 0
    }
}

@_cdecl("scrim_chain_report_json")
public func scrim_chain_report_json(
    _ handle: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    entryPoint {
        let object = try chainObject(handle)
        guard let out else { throw CAPIError(status: .invalidArgument, message: "out_json is NULL") }
        handOut(object.report.serialized(), to: out)
    }
}

@_cdecl("scrim_process_file")
public func scrim_process_file(
    _ input: UnsafePointer<CChar>?, _ output: UnsafePointer<CChar>?, _ preset: UnsafePointer<CChar>?,
    _ overwrite: Int32, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    out?.pointee = nil
    return entryPoint {
        let input = try requireString(input, "input")
        let output = try requireString(output, "output")
        let resolved = try resolvePreset(try requireString(preset, "preset"))
        // The same rules as the CLI: the extension picks the container (an unwritable one fails before any work),
        // and temporaries a killed run left beside the output are removed and reported.
        try OutputFormat.check(path: output)
        let folder = Temporaries.split(output).folder
        let cleanup = Temporaries.removeStale(in: folder.isEmpty ? "." : folder)
        let result = try PresetJob.process(input: input, output: output, preset: resolved,
                                           options: PresetJobOptions(overwrite: overwrite != 0))
        var report = result.json
        if case .object(var fields) = report {
            fields.append(("temporariesRemoved", .object([("files", .int(Int64(cleanup.fileCount))),
                                                          ("bytes", .int(cleanup.byteCount))])))
            report = .object(fields)
        }
        handOut(report.serialized(), to: out)
    }
}
