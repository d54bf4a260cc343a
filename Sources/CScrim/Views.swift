import Foundation
import Scrim

// `scrim_audio_view` (include/scrim.h, "Audio views"): a caller's samples in any layout (planar, interleaved,
// strided) and sample type (float32, float64), read and written in place by the view functions, so that a caller
// holding interleaved or float64 samples (numpy arrays as soundfile returns them) needs no copy of its own.
// Everything Scrim works on stays planar float32: samples are gathered into planar float32 on the way in (float64
// rounded to nearest, as a C cast or numpy's astype does) and scattered back on the way out (float32 to float64
// is exact), so a view call gives bit for bit what the planar call gives on the same float32 samples.

/// Mirrors `scrim_sample_type`.
enum CSampleType: Int32 {
    case float32 = 1
    case float64 = 2

    var size: Int { self == .float32 ? 4 : 8 }
}

/// Most channels a view may have (as the whole-buffer functions and the chain).
private let maximumViewChannels = 64

/// A checked `scrim_audio_view` (its fields read at the header's fixed offsets: data 0, frame_count 8,
/// frame_stride 16, channel_stride 24, channel_count 32, sample_type 36; 40 bytes).
struct CView {
    let data: UnsafeMutableRawPointer
    let type: CSampleType
    let channelCount: Int
    let frameCount: Int
    /// Samples (not bytes) between consecutive frames of one channel.
    let frameStride: Int
    /// Samples between the same frame of consecutive channels.
    let channelStride: Int
    /// The argument's name in messages ("input", "output", "inputs[3]").
    let name: String
    /// The lowest and highest byte addresses the view touches (inclusive of the last sample's bytes).
    let lowest: UInt
    let highest: UInt

    /// Reads and checks a view argument.
    /// - Parameter writable: the view is written: its samples must not overlap one another.
    /// - Throws: `CAPIError` `.invalidArgument` naming the argument and the field.
    init(_ pointer: UnsafeRawPointer?, name: String, writable: Bool) throws {
        guard let pointer else { throw CAPIError(status: .invalidArgument, message: "\(name) is NULL") }
        self.name = name
        let rawType = pointer.loadUnaligned(fromByteOffset: 36, as: Int32.self)
        guard let type = CSampleType(rawValue: rawType) else {
            throw CAPIError(status: .invalidArgument, message: "\(name).sample_type \(rawType): use "
                            + "SCRIM_SAMPLE_FLOAT32 (1) or SCRIM_SAMPLE_FLOAT64 (2)")
        }
        self.type = type
        let channels = pointer.loadUnaligned(fromByteOffset: 32, as: Int32.self)
        guard channels >= 1, Int(channels) <= maximumViewChannels else {
            throw CAPIError(status: .invalidArgument,
                            message: "\(name).channel_count \(channels): use 1 to \(maximumViewChannels)")
        }
        channelCount = Int(channels)
        let frames = pointer.loadUnaligned(fromByteOffset: 8, as: Int64.self)
        guard frames >= 0 else {
            throw CAPIError(status: .invalidArgument, message: "\(name).frame_count \(frames) is negative")
        }
        frameCount = Int(frames)
        let fStride = pointer.loadUnaligned(fromByteOffset: 16, as: Int64.self)
        let cStride = pointer.loadUnaligned(fromByteOffset: 24, as: Int64.self)
        // Strides bounded so that no offset computation can overflow (2^40 samples = 8 TiB of float64).
        let limit: Int64 = 1 << 40
        guard fStride.magnitude <= limit.magnitude, cStride.magnitude <= limit.magnitude, frames <= limit else {
            throw CAPIError(status: .invalidArgument, message: "\(name): frame_stride \(fStride), channel_stride "
                            + "\(cStride) or frame_count \(frames) beyond 2^40")
        }
        frameStride = Int(fStride)
        channelStride = Int(cStride)
        guard let data = pointer.loadUnaligned(fromByteOffset: 0, as: UnsafeMutableRawPointer?.self) else {
            throw CAPIError(status: .invalidArgument, message: "\(name).data is NULL")
        }
        guard UInt(bitPattern: data) % UInt(type.size) == 0 else {
            throw CAPIError(status: .invalidArgument, message: "\(name).data is not aligned to its \(type.size)-byte "
                            + "samples")
        }
        self.data = data
        if writable && !Self.samplesAreDistinct(frames: frameCount, channels: channelCount, frameStride: frameStride,
                                                channelStride: channelStride) {
            throw CAPIError(status: .invalidArgument, message: "\(name): frame_stride \(frameStride) and "
                            + "channel_stride \(channelStride) make samples of \(frameCount) frames × "
                            + "\(channelCount) channels overlap (an output needs a place for every sample)")
        }
        // Extent in bytes (no overflow: strides and counts are below 2^40, channels below 2^7).
        let lastFrame = max(frameCount - 1, 0)
        let frameSpan = frameStride * lastFrame, channelSpan = channelStride * (channelCount - 1)
        let low = (min(frameSpan, 0) + min(channelSpan, 0)) * type.size
        let high = (max(frameSpan, 0) + max(channelSpan, 0)) * type.size + type.size - 1
        let base = Int(bitPattern: data)
        let (lowAddress, lowOverflow) = base.addingReportingOverflow(low)
        let (highAddress, highOverflow) = base.addingReportingOverflow(high)
        guard !lowOverflow, !highOverflow, lowAddress > 0 else {
            throw CAPIError(status: .invalidArgument, message: "\(name): the strides reach outside the address space")
        }
        lowest = UInt(bitPattern: lowAddress)
        highest = UInt(bitPattern: highAddress)
    }

    /// Whether (channel, frame) → channel·cs + frame·fs is one-to-one (a sufficient test: one dimension's whole
    /// span fits between two steps of the other).
    private static func samplesAreDistinct(frames: Int, channels: Int, frameStride: Int, channelStride: Int) -> Bool {
        let f = abs(frameStride), c = abs(channelStride)
        let framesSpan = f * max(frames - 1, 0), channelsSpan = c * (channels - 1)
        if channels == 1 { return frames <= 1 || f >= 1 }
        if frames <= 1 { return c >= 1 }
        guard f >= 1, c >= 1 else { return false }
        return channelsSpan < f || framesSpan < c
    }

    /// The same samples as `other` (the same view: in place).
    func isSame(as other: CView) -> Bool {
        data == other.data && type == other.type && channelCount == other.channelCount
            && frameCount == other.frameCount && frameStride == other.frameStride
            && channelStride == other.channelStride
    }

    /// Whether the two views' address ranges meet.
    func overlaps(_ other: CView) -> Bool { lowest <= other.highest && other.lowest <= highest }

    /// One contiguous float32 run per channel (the planar layout Scrim works on): its channels can be used in
    /// place.
    var isPlanarFloat32: Bool { type == .float32 && (frameStride == 1 || frameCount <= 1) }

    /// The address of channel `c`'s frame `frame`, as float32 (only for `isPlanarFloat32` views).
    func float32Channel(_ c: Int, frame: Int = 0) -> UnsafeMutablePointer<Float> {
        data.assumingMemoryBound(to: Float.self) + (c * channelStride + frame * frameStride)
    }

    /// Copies frames `start ..< start + count` of every channel into `table[c][0 ..< count]` as float32, and
    /// returns whether they were all finite after the conversion (a float64 beyond float32's range is not).
    func gather(into table: UnsafePointer<UnsafeMutablePointer<Float>>, from start: Int, count: Int) -> Bool {
        var exponentsAllOnes: UInt32 = 0
        for c in 0..<channelCount {
            let destination = table[c]
            let offset = c * channelStride + start * frameStride
            switch type {
            case .float32:
                let source = data.assumingMemoryBound(to: Float.self) + offset
                if frameStride == 1 {
                    destination.update(from: source, count: count)
                    for i in 0..<count { exponentsAllOnes |= Self.infOrNaNBit(destination[i]) }
                } else {
                    for i in 0..<count {
                        let value = source[i * frameStride]
                        destination[i] = value
                        exponentsAllOnes |= Self.infOrNaNBit(value)
                    }
                }
            case .float64:
                let source = data.assumingMemoryBound(to: Double.self) + offset
                for i in 0..<count {
                    let value = Float(source[i * frameStride])
                    destination[i] = value
                    exponentsAllOnes |= Self.infOrNaNBit(value)
                }
            }
        }
        return exponentsAllOnes == 0
    }

    /// Copies `table[c][0 ..< count]` into frames `start ..< start + count` of every channel (float32 to float64 is
    /// exact).
    func scatter(from table: UnsafePointer<UnsafeMutablePointer<Float>>, to start: Int, count: Int) {
        for c in 0..<channelCount {
            let source = table[c]
            let offset = c * channelStride + start * frameStride
            switch type {
            case .float32:
                let destination = data.assumingMemoryBound(to: Float.self) + offset
                if frameStride == 1 {
                    destination.update(from: source, count: count)
                } else {
                    for i in 0..<count { destination[i * frameStride] = source[i] }
                }
            case .float64:
                let destination = data.assumingMemoryBound(to: Double.self) + offset
                for i in 0..<count { destination[i * frameStride] = Double(source[i]) }
            }
        }
    }

    /// Whether every sample is finite as float32 (checked without copying).
    func allFinite(from start: Int = 0, count: Int? = nil) -> Bool {
        let count = count ?? frameCount - start
        var exponentsAllOnes: UInt32 = 0
        for c in 0..<channelCount {
            let offset = c * channelStride + start * frameStride
            switch type {
            case .float32:
                let source = data.assumingMemoryBound(to: Float.self) + offset
                for i in 0..<count { exponentsAllOnes |= Self.infOrNaNBit(source[i * frameStride]) }
            case .float64:
                let source = data.assumingMemoryBound(to: Double.self) + offset
                for i in 0..<count { exponentsAllOnes |= Self.infOrNaNBit(Float(source[i * frameStride])) }
            }
        }
        return exponentsAllOnes == 0
    }

    /// The error for the first sample that is not finite as float32, in channel order then frame order (the
    /// order the planar functions and the binding's own check used), with how many there are; nil when none.
    func nonFiniteError() -> CAPIError? {
        var first: (channel: Int, frame: Int, value: Double)?
        var count = 0
        for c in 0..<channelCount {
            for i in 0..<frameCount {
                let offset = c * channelStride + i * frameStride
                let value = type == .float32 ? Double(data.assumingMemoryBound(to: Float.self)[offset])
                    : data.assumingMemoryBound(to: Double.self)[offset]
                if !Float(value).isFinite {
                    count += 1
                    if first == nil { first = (c, i, value) }
                }
            }
        }
        guard let first else { return nil }
        let what = first.value.isFinite ? "a sample beyond float32's range (\(first.value))"
            : "a non-finite sample (\(first.value))"
        return CAPIError(status: .invalidArgument, message: "\(name) has \(what) at frame \(first.frame) of channel "
                         + "\(first.channel) (0-based; NaN, Inf, or beyond float32's range); \(count) such sample"
                         + (count == 1 ? "" : "s") + " in all")
    }

    /// 0x8000_0000 when the float's exponent bits are all ones (NaN or ±Inf), else 0; branch-free.
    @inline(__always)
    static func infOrNaNBit(_ value: Float) -> UInt32 {
        (value.bitPattern & 0x7F80_0000 &+ 0x0080_0000) & 0x8000_0000
    }
}

/// Checks an input view and its output view for a whole-buffer call: same shape, output writable, the two either
/// the same view (in place) or apart.
func checkViewPair(input: CView, output: CView) throws {
    guard output.channelCount == input.channelCount, output.frameCount == input.frameCount else {
        throw CAPIError(status: .invalidArgument, message: "\(output.name) is \(output.frameCount) frames × "
                        + "\(output.channelCount) channels, \(input.name) \(input.frameCount) × "
                        + "\(input.channelCount): they must match")
    }
    if !output.isSame(as: input) && output.overlaps(input) {
        throw CAPIError(status: .invalidArgument, message: "\(output.name) overlaps \(input.name) without being the "
                        + "same view: give the same view (in place) or separate memory")
    }
}

/// A whole buffer given as views: the input (only read) and, for the functions that change audio, the output.
struct CViewBuffer: BufferIO {
    let input: CView
    let output: CView?
    let sampleRate: Int
    var frameCount: Int { input.frameCount }
    var channelCount: Int { input.channelCount }

    /// Reads and checks the arguments of a view function (the same rules as the planar functions: 1 ≤ frames,
    /// 1–64 channels, the sample rate; samples finite, checked while the input is read).
    init(input inputPointer: UnsafeRawPointer?, output outputPointer: UnsafeRawPointer?, hasOutput: Bool,
         sampleRate: Double, inputName: String = "input", outputName: String = "output") throws {
        let input = try CView(inputPointer, name: inputName, writable: false)
        guard input.frameCount != 0 else {
            throw CAPIError(status: .invalidArgument, message: "0 frames: \(inputName).frame_count must be at least 1")
        }
        if hasOutput {
            let output = try CView(outputPointer, name: outputName, writable: true)
            try checkViewPair(input: input, output: output)
            self.output = output
        } else {
            output = nil
        }
        self.input = input
        self.sampleRate = try checkSampleRate(sampleRate)
    }

    func writeFloatWAV(to path: String) throws {
        let format = AudioFileFormat(container: .wav, sampleFormat: .float32, sampleRate: sampleRate,
                                     channelCount: channelCount)
        if input.isPlanarFloat32 {
            // The caller's channels written as they are, after the planar functions' check.
            if let failure = input.nonFiniteErrorIfAny() { throw failure }
            let table = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: channelCount)
            defer { table.deallocate() }
            for c in 0..<channelCount { table[c] = input.float32Channel(c) }
            try writeBlocks(format: format, to: path, frameCount: frameCount) { start, count in
                AudioBlock(channels: table, channelCount: channelCount, frameOffset: start, frameCount: count)
            }
            return
        }
        let scratch = AudioBuffer(channelCount: channelCount, capacity: min(bufferStep, frameCount))
        let table = scratchTable(scratch)
        defer { table.deallocate() }
        try writeBlocks(format: format, to: path, frameCount: frameCount) { start, count in
            // The finiteness check rides on the copy; the full scan (for the message) only on failure.
            guard input.gather(into: table, from: start, count: count) else {
                throw input.nonFiniteError() ?? CAPIError(status: .internal, message: "internal error: a non-finite "
                                                          + "sample seen, then not found")
            }
            return AudioBlock(channels: table, channelCount: channelCount, frameCount: count)
        }
    }

    func readBack(from path: String) throws {
        guard let output else { return }
        try readBlocks(from: path, frameCount: frameCount, channelCount: channelCount) { table, start, count in
            output.scatter(from: table, to: start, count: count)
        }
    }

    func passThrough(from path: String) throws {
        guard let output, !output.isSame(as: input) else { return }
        try readBack(from: path)
    }
}

extension CView {
    /// `nonFiniteError()` only when a quick pass finds something (the usual case costs one read).
    func nonFiniteErrorIfAny() -> CAPIError? { allFinite() ? nil : nonFiniteError() }
}

/// A new table of `buffer`'s channel pointers (the caller deallocates it; `buffer` must outlive it).
func scratchTable(_ buffer: AudioBuffer) -> UnsafeMutablePointer<UnsafeMutablePointer<Float>> {
    let table = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: buffer.channelCount)
    let block = buffer.unsafeBlock
    for c in 0..<buffer.channelCount {
        // A buffer's channels always have storage (at least 16 floats each): baseAddress is never nil.
        guard let start = block.channel(c).baseAddress else { preconditionFailure("AudioBuffer without storage") }
        table[c] = start
    }
    return table
}

// ---- The whole-buffer functions on views (out of place) ----------------------------------------------------------

/// Size of `scrim_audio_view` in bytes (the stride of the arrays scrim_match_views takes).
let viewSize = 40

public typealias COutString = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?

/// Runs a whole-buffer view function's body on its checked arguments (the out-parameter reset first).
private func viewCall(_ input: UnsafeRawPointer?, _ output: UnsafeRawPointer?, hasOutput: Bool = true,
                      _ sampleRate: Double, _ out: COutString, _ body: (CViewBuffer) throws -> Void) -> Int32 {
    out?.pointee = nil
    return entryPoint {
        try body(try CViewBuffer(input: input, output: output, hasOutput: hasOutput, sampleRate: sampleRate))
    }
}

@_cdecl("scrim_denoise_view")
public func scrim_denoise_view(
    _ input: UnsafeRawPointer?, _ output: UnsafeRawPointer?, _ sampleRate: Double, _ options: UnsafePointer<CChar>?,
    _ out: COutString
) -> Int32 {
    viewCall(input, output, sampleRate, out) {
        try denoiseBuffer($0, options: options, out: out, function: "scrim_denoise_view")
    }
}

@_cdecl("scrim_dehum_view")
public func scrim_dehum_view(
    _ input: UnsafeRawPointer?, _ output: UnsafeRawPointer?, _ sampleRate: Double, _ options: UnsafePointer<CChar>?,
    _ out: COutString
) -> Int32 {
    viewCall(input, output, sampleRate, out) {
        try dehumBuffer($0, options: options, out: out, function: "scrim_dehum_view")
    }
}

@_cdecl("scrim_normalize_view")
public func scrim_normalize_view(
    _ input: UnsafeRawPointer?, _ output: UnsafeRawPointer?, _ sampleRate: Double, _ options: UnsafePointer<CChar>?,
    _ out: COutString
) -> Int32 {
    viewCall(input, output, sampleRate, out) {
        try normalizeBuffer($0, options: options, out: out, function: "scrim_normalize_view")
    }
}

@_cdecl("scrim_analyze_view")
public func scrim_analyze_view(
    _ input: UnsafeRawPointer?, _ sampleRate: Double, _ options: UnsafePointer<CChar>?, _ out: COutString
) -> Int32 {
    viewCall(input, nil, hasOutput: false, sampleRate, out) {
        try analyzeBuffer($0, options: options, out: out, function: "scrim_analyze_view")
    }
}

@_cdecl("scrim_process_view")
public func scrim_process_view(
    _ preset: UnsafePointer<CChar>?, _ input: UnsafeRawPointer?, _ output: UnsafeRawPointer?, _ sampleRate: Double,
    _ out: COutString
) -> Int32 {
    // The preset is resolved first, as scrim_process_buffer does (an unknown name before a bad buffer).
    out?.pointee = nil
    return entryPoint {
        let resolved = try resolvePreset(try requireString(preset, "preset"))
        let buffer = try CViewBuffer(input: input, output: output, hasOutput: true, sampleRate: sampleRate)
        try processBuffer(buffer, preset: resolved, out: out)
    }
}

@_cdecl("scrim_match_views")
public func scrim_match_views(
    _ inputs: UnsafeRawPointer?, _ outputs: UnsafeRawPointer?, _ takeCount: Int32, _ sampleRate: Double,
    _ options: UnsafePointer<CChar>?, _ out: COutString
) -> Int32 {
    out?.pointee = nil
    return entryPoint {
        let function = "scrim_match_views"
        guard let inputs else { throw CAPIError(status: .invalidArgument, message: "inputs is NULL") }
        guard let outputs else { throw CAPIError(status: .invalidArgument, message: "outputs is NULL") }
        guard takeCount >= 1, takeCount <= 4096 else {
            throw CAPIError(status: .invalidArgument, message: "take_count \(takeCount): use 1 to 4096")
        }
        var buffers: [CViewBuffer] = []
        for t in 0..<Int(takeCount) {
            let buffer = try CViewBuffer(input: inputs + t * viewSize, output: outputs + t * viewSize,
                                         hasOutput: true, sampleRate: sampleRate, inputName: "inputs[\(t)]",
                                         outputName: "outputs[\(t)]")
            if let first = buffers.first, buffer.channelCount != first.channelCount {
                throw CAPIError(status: .invalidArgument, message: "inputs[\(t)] has \(buffer.channelCount) "
                                + "channels, inputs[0] \(first.channelCount): every take needs the same count")
            }
            // No output may overlap another take's input or output (the same view as its own input is in place).
            for (u, other) in buffers.enumerated() {
                if let output = buffer.output, let otherOutput = other.output,
                   output.overlaps(other.input) || output.overlaps(otherOutput)
                    || otherOutput.overlaps(buffer.input) {
                    throw CAPIError(status: .invalidArgument, message: "takes \(u) and \(t) overlap in memory")
                }
            }
            buffers.append(buffer)
        }
        try matchBuffers(buffers, channelCount: buffers[0].channelCount, options: options, out: out,
                         function: function)
    }
}

// ---- Streaming objects on views ----------------------------------------------------------------------------------

/// A streaming object's planar float32 scratch for its view functions (samples gathered from the caller's layout and
/// type, processed, scattered back), made with the object so that the view calls do not allocate.
final class ViewScratch {
    /// Frames it holds (``viewPieceFrames(_:)``).
    let frames: Int
    let buffer: AudioBuffer
    /// Its channel pointers.
    let table: UnsafeMutablePointer<UnsafeMutablePointer<Float>>

    init(_ spec: ProcessSpec) {
        frames = viewPieceFrames(spec)
        buffer = AudioBuffer(channelCount: spec.channelCount, capacity: frames)
        table = scratchTable(buffer)
    }

    deinit { table.deallocate() }
}

/// Frames of a streaming object's view scratch: its largest block, at most 8192 frames or 1 MB of samples if that
/// is more (2 MB at 64 channels, 1 MB for stereo).
func viewPieceFrames(_ spec: ProcessSpec) -> Int {
    min(spec.maximumBlockFrames, max(8192, (1 << 18) / spec.channelCount))
}

/// Checks a streaming block's view against the object's channel count (any frame count, 0 included).
private func streamView(_ pointer: UnsafeRawPointer?, name: String, writable: Bool, spec: ProcessSpec) throws -> CView {
    let view = try CView(pointer, name: name, writable: writable)
    guard view.channelCount == spec.channelCount else {
        throw CAPIError(status: .invalidArgument, message: "\(name).channel_count \(view.channelCount) does not "
                        + "match the object's \(spec.channelCount)")
    }
    return view
}

/// Refuses a block with a sample that is not finite (as float32) before any of it is used: checked in a pass of
/// its own when the block spans several pieces; a one-piece block is checked while it is gathered.
private func refuseNonFinite(_ view: CView, pieceFrames: Int) throws {
    if view.frameCount > pieceFrames || view.isPlanarFloat32, let failure = view.nonFiniteErrorIfAny() {
        throw failure
    }
}

private func nonFiniteFailure(_ view: CView) -> CAPIError {
    view.nonFiniteError() ?? CAPIError(status: .internal, message: "internal error: a non-finite sample seen, then "
                                       + "not found")
}

@_cdecl("scrim_chain_process_view")
public func scrim_chain_process_view(_ handle: OpaquePointer?, _ input: UnsafeRawPointer?,
                                     _ output: UnsafeRawPointer?) -> Int32 {
    entryPoint {
        let object = try chainObject(handle)
        let spec = object.spec
        let source = try streamView(input, name: "input", writable: false, spec: spec)
        let destination = try streamView(output, name: "output", writable: true, spec: spec)
        try checkViewPair(input: source, output: destination)
        let frames = source.frameCount
        guard frames > 0 else { return }
        if source.isPlanarFloat32 && destination.isSame(as: source) {
            // In place on the caller's planar float32 channels, as scrim_chain_process.
            try refuseNonFinite(source, pieceFrames: object.view.frames)
            for c in 0..<spec.channelCount { object.table[c] = source.float32Channel(c) }
            var start = 0
            while start < frames {
                let count = min(spec.maximumBlockFrames, frames - start)
                object.chain.process(AudioBlock(channels: object.table, channelCount: spec.channelCount,
                                                frameOffset: start, frameCount: count))
                object.framesProcessed += count
                start += count
            }
            return
        }
        try refuseNonFinite(source, pieceFrames: object.view.frames)
        var start = 0
        while start < frames {
            let count = min(object.view.frames, frames - start)
            guard source.gather(into: object.view.table, from: start, count: count) else {
                throw nonFiniteFailure(source)  // only a one-piece block gets here: nothing processed yet
            }
            object.chain.process(AudioBlock(channels: object.view.table, channelCount: spec.channelCount,
                                            frameCount: count))
            object.framesProcessed += count
            destination.scatter(from: object.view.table, to: start, count: count)
            start += count
        }
    }
}

@_cdecl("scrim_chain_flush_view")
public func scrim_chain_flush_view(_ handle: OpaquePointer?, _ output: UnsafeRawPointer?) -> Int32 {
    entryPoint {
        let object = try chainObject(handle)
        let destination = try streamView(output, name: "output", writable: true, spec: object.spec)
        var start = 0
        while start < destination.frameCount {
            let count = min(object.view.frames, destination.frameCount - start)
            object.chain.flush(into: AudioBlock(channels: object.view.table, channelCount: object.spec.channelCount,
                                                frameCount: count))
            destination.scatter(from: object.view.table, to: start, count: count)
            start += count
        }
    }
}

@_cdecl("scrim_meter_add_view")
public func scrim_meter_add_view(_ handle: OpaquePointer?, _ block: UnsafeRawPointer?) -> Int32 {
    entryPoint {
        guard let handle else { throw CAPIError(status: .invalidArgument, message: "meter is NULL") }
        let object = Unmanaged<CMeter>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
        let spec = object.spec
        let source = try streamView(block, name: "block", writable: false, spec: spec)
        let frames = source.frameCount
        guard frames > 0 else { return }
        try refuseNonFinite(source, pieceFrames: object.view.frames)
        if source.isPlanarFloat32 {
            // Read in place, in pieces of the meter's largest block.
            for c in 0..<spec.channelCount { object.table[c] = source.float32Channel(c) }
            var start = 0
            while start < frames {
                let count = min(spec.maximumBlockFrames, frames - start)
                object.meter.analyze(AudioBlock(channels: object.table, channelCount: spec.channelCount,
                                                frameOffset: start, frameCount: count))
                start += count
            }
            return
        }
        var start = 0
        while start < frames {
            let count = min(object.view.frames, frames - start)
            guard source.gather(into: object.view.table, from: start, count: count) else {
                throw nonFiniteFailure(source)
            }
            object.meter.analyze(AudioBlock(channels: object.view.table, channelCount: spec.channelCount,
                                            frameCount: count))
            start += count
        }
    }
}
