import Scrim

/// The object behind `scrim_meter *`: a loudness meter and its spec.
final class CMeter {
    let meter: LoudnessMeter
    let spec: ProcessSpec
    /// Channel pointer table reused for every block (no allocation per call).
    let table: UnsafeMutablePointer<UnsafeMutablePointer<Float>>

    init(meter: LoudnessMeter, spec: ProcessSpec) {
        self.meter = meter
        self.spec = spec
        table = .allocate(capacity: spec.channelCount)
        view = ViewScratch(spec)
    }

    /// The view functions' gather/scatter scratch.
    let view: ViewScratch

    deinit { table.deallocate() }
}

@_cdecl("scrim_meter_create")
public func scrim_meter_create(
    _ sampleRate: Double, _ channelCount: Int32, _ maximumBlockFrames: Int32, _ truePeak: Int32,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    // The layout implied by the channel count ("auto").
    scrim_meter_create_with_layout(sampleRate, channelCount, maximumBlockFrames, truePeak, nil, out)
}

@_cdecl("scrim_meter_create_with_layout")
public func scrim_meter_create_with_layout(
    _ sampleRate: Double, _ channelCount: Int32, _ maximumBlockFrames: Int32, _ truePeak: Int32,
    _ layout: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    entryPoint {
        guard let out else { throw CAPIError(status: .invalidArgument, message: "out_meter is NULL") }
        out.pointee = nil
        let spec = ProcessSpec(sampleRate: sampleRate, channelCount: Int(channelCount),
                               maximumBlockFrames: Int(maximumBlockFrames))
        try validate(spec)
        let name = layout.map { String(cString: $0) } ?? "auto"
        let weights: ChannelLayout
        switch name {
        case "auto": weights = ChannelLayout(channelCount: spec.channelCount)
        case "equal": weights = .equal(channelCount: spec.channelCount)
        default:
            guard let named = namedLayout(name) else {
                throw CAPIError(status: .invalidArgument,
                                message: "layout \(name): use auto, equal, mono, stereo, 5.0, 5.1 or 7.1")
            }
            weights = named
        }
        guard weights.channelCount == spec.channelCount else {
            throw CAPIError(status: .invalidArgument,
                            message: "layout \(name) has \(weights.channelCount) channels, the stream "
                                + "\(spec.channelCount)")
        }
        let meter = LoudnessMeter(layout: weights, measureTruePeak: truePeak != 0)
        try meter.prepare(for: spec)
        let object = CMeter(meter: meter, spec: spec)
        out.pointee = OpaquePointer(Unmanaged.passRetained(object).toOpaque())
    }
}

@_cdecl("scrim_meter_add")
public func scrim_meter_add(
    _ handle: OpaquePointer?, _ channels: UnsafePointer<UnsafePointer<Float>?>?, _ channelCount: Int32,
    _ frameCount: Int32
) -> Int32 {
    entryPoint {
        guard let handle else { throw CAPIError(status: .invalidArgument, message: "meter is NULL") }
        let object = Unmanaged<CMeter>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
        try fillTable(object.table, from: channels.map { UnsafeRawPointer($0) }, channelCount: channelCount,
                      frameCount: frameCount, spec: object.spec)
        object.meter.analyze(AudioBlock(channels: object.table, channelCount: object.spec.channelCount,
                                        frameCount: Int(frameCount)))
    }
}

@_cdecl("scrim_meter_result_json")
public func scrim_meter_result_json(
    _ handle: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    entryPoint {
        guard let handle else { throw CAPIError(status: .invalidArgument, message: "meter is NULL") }
        guard let out else { throw CAPIError(status: .invalidArgument, message: "out_json is NULL") }
        let object = Unmanaged<CMeter>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
        handOut(LoudnessJob.json(object.meter.measurement).serialized(), to: out)
    }
}

@_cdecl("scrim_meter_destroy")
public func scrim_meter_destroy(_ handle: OpaquePointer?) {
    guard let handle else { return }
    Unmanaged<CMeter>.fromOpaque(UnsafeRawPointer(handle)).release()
}

@_cdecl("scrim_measure_file_loudness")
public func scrim_measure_file_loudness(
    _ path: UnsafePointer<CChar>?, _ dialogue: Int32, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    entryPoint {
        let path = try requireString(path, "path")
        guard let out else { throw CAPIError(status: .invalidArgument, message: "out_json is NULL") }
        out.pointee = nil
        let measured = try LoudnessJob.measure(input: path,
                                               options: LoudnessJobOptions(dialogueGating: dialogue != 0))
        handOut(measured.envelope.serialized(), to: out)
    }
}

/// Checks a spec against the C API's documented ranges.
func validate(_ spec: ProcessSpec) throws {
    guard spec.sampleRate.isFinite, spec.sampleRate >= 8_000, spec.sampleRate <= 192_000 else {
        throw CAPIError(status: .invalidArgument, message: "sample_rate \(spec.sampleRate) Hz: use 8000 to 192000")
    }
    guard spec.channelCount >= 1, spec.channelCount <= 64 else {
        throw CAPIError(status: .invalidArgument, message: "channel_count \(spec.channelCount): use 1 to 64")
    }
    guard spec.maximumBlockFrames >= 1, spec.maximumBlockFrames <= 1 << 20 else {
        throw CAPIError(status: .invalidArgument,
                        message: "max_block_frames \(spec.maximumBlockFrames): use 1 to 1048576")
    }
}

/// Validates a planar block from C and copies its channel pointers into `table`.
func fillTable(
    _ table: UnsafeMutablePointer<UnsafeMutablePointer<Float>>, from channels: UnsafeRawPointer?,
    channelCount: Int32, frameCount: Int32, spec: ProcessSpec
) throws {
    guard let channels else { throw CAPIError(status: .invalidArgument, message: "channels is NULL") }
    guard Int(channelCount) == spec.channelCount else {
        throw CAPIError(status: .invalidArgument,
                        message: "channel_count \(channelCount) does not match the object's \(spec.channelCount)")
    }
    guard frameCount >= 0, Int(frameCount) <= spec.maximumBlockFrames else {
        throw CAPIError(status: .invalidArgument,
                        message: "frame_count \(frameCount) outside 0...\(spec.maximumBlockFrames) (max_block_frames)")
    }
    let pointers = channels.assumingMemoryBound(to: UnsafeMutablePointer<Float>?.self)
    for c in 0..<spec.channelCount {
        guard let channel = pointers[c] else {
            throw CAPIError(status: .invalidArgument, message: "channel \(c) pointer is NULL")
        }
        table[c] = channel
    }
}
