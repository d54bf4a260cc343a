import Foundation
import Scrim

// The whole-buffer functions of ABI 2 (include/scrim.h, "Whole buffers in memory"). Each runs the very job the
// matching CLI command runs (PresetJob, LoudnessJob, DehumJob, FileAnalysis, FileJob with the noise reducer), on
// the caller's samples written to a private temporary 32-bit float WAV, and reads the output back into the
// caller's buffers; so the audio and the report are the CLI's for the same samples, by construction.

/// A whole buffer handed to a whole-buffer function: written to the job's temporary input WAV, and the job's output
/// read back into the caller's memory. ``CBuffer`` (planar pointers, in place) and ``CViewBuffer`` (views, any layout
/// and sample type, out of place) are the two.
protocol BufferIO {
    var frameCount: Int { get }
    var channelCount: Int { get }
    var sampleRate: Int { get }
    /// Writes the samples as a 32-bit float WAV (checking them where not done before).
    func writeFloatWAV(to path: String) throws
    /// Reads the job's output (same shape) into the caller's output memory.
    func readBack(from path: String) throws
    /// For a take that is only measured (scrim_match_*'s reference): gives the caller's output the samples of
    /// `path` (the take's own input WAV) when the output is other memory than the input.
    func passThrough(from path: String) throws
}

extension BufferIO {
    /// In place: the input is the output, already holding its samples.
    func passThrough(from path: String) throws {}
}

/// Frames per block when a whole buffer is written to or read from its temporary files.
let bufferStep = 1 << 16

/// A whole planar buffer from C, checked against the documented rules.
struct CBuffer: BufferIO {
    let pointers: [UnsafeMutablePointer<Float>]
    let frameCount: Int
    let sampleRate: Int
    var channelCount: Int { pointers.count }
}

/// Largest channel count of the whole-buffer functions (as the streaming chain and the CLI's bound).
private let maximumBufferChannels = 64

/// Checks the common arguments of a whole-buffer call.
/// - Throws: `CAPIError` `.invalidArgument` naming the argument (and, for a non-finite sample, its channel and
///   frame).
func checkBuffer(_ channels: UnsafeRawPointer?, channelCount: Int32, frameCount: Int64,
                 sampleRate: Double, name: String = "channels") throws -> CBuffer {
    guard let channels else { throw CAPIError(status: .invalidArgument, message: "\(name) is NULL") }
    guard channelCount >= 1, Int(channelCount) <= maximumBufferChannels else {
        throw CAPIError(status: .invalidArgument,
                        message: "channel_count \(channelCount): use 1 to \(maximumBufferChannels)")
    }
    guard frameCount != 0 else {
        throw CAPIError(status: .invalidArgument, message: "0 frames: frame_count must be at least 1")
    }
    guard frameCount > 0 else {
        throw CAPIError(status: .invalidArgument, message: "frame_count \(frameCount) is negative")
    }
    let rate = try checkSampleRate(sampleRate)
    let table = channels.assumingMemoryBound(to: UnsafeMutablePointer<Float>?.self)
    var pointers: [UnsafeMutablePointer<Float>] = []
    pointers.reserveCapacity(Int(channelCount))
    for c in 0..<Int(channelCount) {
        guard let pointer = table[c] else {
            throw CAPIError(status: .invalidArgument, message: "\(name)[\(c)] (channel \(c)) pointer is NULL")
        }
        pointers.append(pointer)
    }
    let frames = Int(frameCount)
    for (c, pointer) in pointers.enumerated() {
        for i in 0..<frames where !pointer[i].isFinite {
            throw CAPIError(status: .invalidArgument,
                            message: "\(name): non-finite sample (\(pointer[i])) in channel \(c) at frame \(i)")
        }
    }
    return CBuffer(pointers: pointers, frameCount: frames, sampleRate: rate)
}

/// A sample rate the whole-buffer functions accept: a whole number of Hz from 8000 to 768000 (a WAV file carries
/// whole hertz; the range is what the CLI's jobs accept: the loudness meter's 8–768 kHz).
func checkSampleRate(_ sampleRate: Double) throws -> Int {
    guard sampleRate.isFinite, sampleRate >= 8_000, sampleRate <= 768_000, sampleRate.rounded() == sampleRate else {
        throw CAPIError(status: .invalidArgument,
                        message: "sample_rate \(sampleRate) Hz: use a whole number of Hz from 8000 to 768000")
    }
    return Int(sampleRate)
}

/// A private folder for one call's temporary files, removed with everything in it when released: in $TMPDIR when
/// the caller set it; else in /dev/shm (memory, not disk) when it is a writable folder with room for `bytesNeeded`;
/// else in /tmp.
final class ScratchFolder {
    let path: String

    /// - Parameter bytesNeeded: the most the call's files may take at once (sizes the /dev/shm check).
    init(bytesNeeded: Int) throws {
        var base = "/tmp"
        if let value = getenv("TMPDIR"), value.pointee != 0 {
            base = String(cString: value)
        } else if Self.hasRoom("/dev/shm", bytes: bytesNeeded) {
            base = "/dev/shm"
        }
        var template = Array((base + "/scrim-capi-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let start = buffer.baseAddress else { return false }
            return mkdtemp(start) != nil
        }
        guard made else {
            throw CAPIError(status: .file, message: "cannot create a temporary folder in \(base) for the buffer: "
                            + String(cString: strerror(errno)) + " (set TMPDIR to a writable folder)")
        }
        // mkdtemp filled in the X's; the template is NUL-terminated.
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func file(_ name: String) -> String { path + "/" + name }

    /// Whether `folder` is a writable folder whose file system has `bytes` free for this user.
    static func hasRoom(_ folder: String, bytes: Int) -> Bool {
        guard access(folder, W_OK | X_OK) == 0 else { return false }
        var stats = statvfs()
        guard statvfs(folder, &stats) == 0 else { return false }
        let free = UInt64(stats.f_bavail).multipliedReportingOverflow(by: UInt64(stats.f_frsize))
        return !free.overflow && free.partialValue >= UInt64(max(0, bytes))
    }

    /// The room a call on `frames` × `channels` samples may need: its input and output WAVs and up to three
    /// intermediates of 32-bit samples (`scrim_process_buffer` with every stage), and a megabyte for headers.
    static func bytes(frames: Int, channels: Int, files: Int = 5) -> Int {
        let samples = frames.multipliedReportingOverflow(by: channels)
        let total = samples.partialValue.multipliedReportingOverflow(by: 4 * files)
        return samples.overflow || total.overflow ? Int.max : total.partialValue + (1 << 20)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Writes a 32-bit float WAV (RF64 beyond 4 GiB) from the blocks `block(start, count)` hands out, in steps of
/// ``bufferStep`` frames; a failure (also one thrown by `block`) leaves no file.
func writeBlocks(format: AudioFileFormat, to path: String, frameCount: Int,
                 _ block: (_ start: Int, _ count: Int) throws -> AudioBlock) throws {
    let writer = try AudioFileWriter(path: path, format: format)
    do {
        var start = 0
        while start < frameCount {
            let count = min(bufferStep, frameCount - start)
            try writer.write(try block(start, count))
            start += count
        }
        try writer.finish()
    } catch {
        writer.cancel()
        throw error
    }
}

/// Reads a file the job wrote (it must have the buffer's shape: the jobs are sample-aligned), handing each block
/// to `sink(table, start, count)` as planar float32 channels `table[c][0 ..< count]`.
func readBlocks(from path: String, frameCount: Int, channelCount: Int,
                _ sink: (_ table: UnsafePointer<UnsafeMutablePointer<Float>>, _ start: Int, _ count: Int) -> Void)
    throws {
    let reader = try AudioFileReader(path: path)
    defer { reader.close() }
    guard reader.info.frameCount == frameCount, reader.info.channelCount == channelCount else {
        throw CAPIError(status: .internal, message: "internal alignment error: the job wrote "
                        + "\(reader.info.frameCount) frames × \(reader.info.channelCount) channels for a buffer of "
                        + "\(frameCount) × \(channelCount)")
    }
    let scratch = AudioBuffer(channelCount: channelCount, capacity: bufferStep)
    let table = scratchTable(scratch)
    defer { table.deallocate() }
    var position = 0
    while true {
        let n = try reader.read(into: scratch)
        if n == 0 { break }
        guard position + n <= frameCount else { break }
        sink(table, position, n)
        position += n
    }
}

extension CBuffer {
    /// Writes the buffer as a 32-bit float WAV, exactly its samples.
    func writeFloatWAV(to path: String) throws {
        let format = AudioFileFormat(container: .wav, sampleFormat: .float32, sampleRate: sampleRate,
                                     channelCount: channelCount)
        let table = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: channelCount)
        defer { table.deallocate() }
        for (c, pointer) in pointers.enumerated() { table[c] = pointer }
        try writeBlocks(format: format, to: path, frameCount: frameCount) { start, count in
            AudioBlock(channels: table, channelCount: channelCount, frameOffset: start, frameCount: count)
        }
    }

    /// Reads the job's output back into the caller's channels.
    func readBack(from path: String) throws {
        try readBlocks(from: path, frameCount: frameCount, channelCount: channelCount) { table, start, count in
            for c in 0..<channelCount { (pointers[c] + start).update(from: table[c], count: count) }
        }
    }
}

/// The CLI's envelope for a buffer: `input` and `output` null (there are no files); `plot` null at the end where
/// the command has a --plot option (denoise, dehum, analyze, process), as the CLI prints it without one.
func bufferEnvelope(_ json: JSONValue, plot: Bool) -> JSONValue {
    guard case .object(let pairs) = json else { return json }
    let nulled = pairs.map { $0.0 == "input" || $0.0 == "output" ? ($0.0, JSONValue.null) : $0 }
    return .object(nulled + (plot && !pairs.contains { $0.0 == "plot" } ? [("plot", .null)] : []))
}

/// `options_json`: NULL, "" or a JSON object with only the allowed keys.
struct COptions {
    let values: [String: Any]
    let function: String

    init(_ text: UnsafePointer<CChar>?, allowed: [String], function: String) throws {
        self.function = function
        guard let text, text.pointee != 0 else {
            values = [:]
            return
        }
        let data = Data(String(cString: text).utf8)
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw CAPIError(status: .configuration, message: "\(function): options_json is not valid JSON "
                            + "(\(error.localizedDescription))")
        }
        guard let object = parsed as? [String: Any] else {
            throw CAPIError(status: .configuration, message: "\(function): options_json must be a JSON object")
        }
        for key in object.keys.sorted() where !allowed.contains(key) {
            throw CAPIError(status: .configuration, message: "\(function): unknown option \"\(key)\"; known: "
                            + (allowed.isEmpty ? "none" : allowed.joined(separator: ", ")))
        }
        values = object
    }

    /// Whether `key` is absent or JSON null.
    func isAbsent(_ key: String) -> Bool { values[key] == nil || values[key] is NSNull }

    private func isBoolean(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return value is Bool }
        return String(cString: number.objCType) == "c" || type(of: value) == Bool.self
    }

    func number(_ key: String, in range: ClosedRange<Double>, unit: String) throws -> Double? {
        guard !isAbsent(key), let value = values[key] else { return nil }
        guard !isBoolean(value), let number = (value as? NSNumber)?.doubleValue, number.isFinite,
              range.contains(number) else {
            throw CAPIError(status: .configuration, message: "\(function): option \"\(key)\": \(value) is not a "
                            + "number from \(format(range.lowerBound)) to \(format(range.upperBound)) \(unit)")
        }
        return number
    }

    func bool(_ key: String) throws -> Bool? {
        guard !isAbsent(key), let value = values[key] else { return nil }
        guard isBoolean(value), let flag = value as? Bool else {
            throw CAPIError(status: .configuration, message: "\(function): option \"\(key)\": \(value) is not "
                            + "true or false")
        }
        return flag
    }

    func string(_ key: String, oneOf choices: [String]? = nil) throws -> String? {
        guard !isAbsent(key), let value = values[key] else { return nil }
        guard let text = value as? String, choices.map({ $0.contains(text) }) ?? true else {
            throw CAPIError(status: .configuration, message: "\(function): option \"\(key)\": \(value) is not "
                            + (choices.map { "one of " + $0.joined(separator: ", ") } ?? "a string"))
        }
        return text
    }

    private func format(_ value: Double) -> String {
        value.rounded() == value ? String(Int(value)) : String(value)
    }
}

/// A fixed loudness layout by its name in the C API ("mono", "stereo", "5.0", "5.1", "7.1"), else nil.
func namedLayout(_ name: String) -> ChannelLayout? {
    switch name {
    case "mono": .mono
    case "stereo": .stereo
    case "5.0": .surround50
    case "5.1": .surround51
    case "7.1": .surround71
    default: nil
    }
}

/// The `layout` option: nil for "auto" (the CLI's default rule), else the weights asked for.
func layoutRequest(_ name: String?, channelCount: Int, function: String) throws -> LayoutRequest? {
    guard let name, name != "auto" else { return nil }
    if name == "equal" { return .equal }
    guard let layout = namedLayout(name) else {
        throw CAPIError(status: .configuration, message: "\(function): option \"layout\": \(name): use auto, "
                        + "equal, mono, stereo, 5.0, 5.1 or 7.1")
    }
    guard layout.channelCount == channelCount else {
        throw CAPIError(status: .configuration, message: "\(function): option \"layout\": \(name) has "
                        + "\(layout.channelCount) channels, the buffer \(channelCount)")
    }
    return .fixed(layout)
}

/// Runs `job` on the buffer written to a temporary input WAV, with a temporary output path; when it returns,
/// reads the output back into the buffer (unless `readsBack` is false) and hands out the envelope.
private func runOnBuffer(
    _ buffer: some BufferIO, readsBack: Bool = true, plot: Bool = true,
    out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ job: (_ input: String, _ output: String) throws -> JSONValue
) throws {
    let scratch = try ScratchFolder(bytesNeeded: ScratchFolder.bytes(frames: buffer.frameCount,
                                                                      channels: buffer.channelCount))
    let input = scratch.file("input.wav")
    let output = scratch.file("output.wav")
    try buffer.writeFloatWAV(to: input)
    let report = try job(input, output)
    if readsBack { try buffer.readBack(from: output) }
    handOut(bufferEnvelope(report, plot: plot).serialized(), to: out)
}

/// The planar entry points' common part (as `viewCall` is the views'): clears `out`, checks the channel array and
/// its shape, and runs `body` on the buffer with errors mapped to a status.
private func bufferCall(_ channels: UnsafeRawPointer?, _ channelCount: Int32, _ frameCount: Int64,
                        _ sampleRate: Double, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                        _ body: (CBuffer) throws -> Void) -> Int32 {
    out?.pointee = nil
    return entryPoint {
        try body(try checkBuffer(channels, channelCount: channelCount, frameCount: frameCount,
                                 sampleRate: sampleRate))
    }
}

@_cdecl("scrim_process_buffer")
public func scrim_process_buffer(
    _ preset: UnsafePointer<CChar>?, _ channels: UnsafePointer<UnsafeMutablePointer<Float>?>?,
    _ channelCount: Int32, _ frameCount: Int64, _ sampleRate: Double,
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    out?.pointee = nil
    return entryPoint {
        let resolved = try resolvePreset(try requireString(preset, "preset"))
        let buffer = try checkBuffer(channels.map { UnsafeRawPointer($0) }, channelCount: channelCount,
                                     frameCount: frameCount, sampleRate: sampleRate)
        try processBuffer(buffer, preset: resolved, out: out)
    }
}

/// The body of scrim_process_buffer and scrim_process_view.
func processBuffer(_ buffer: some BufferIO, preset: Preset, out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?)
    throws {
    try runOnBuffer(buffer, out: out) { input, output in
        try PresetJob.process(input: input, output: output, preset: preset, options: PresetJobOptions()).json
    }
}

@_cdecl("scrim_normalize_buffer")
public func scrim_normalize_buffer(
    _ channels: UnsafePointer<UnsafeMutablePointer<Float>?>?, _ channelCount: Int32, _ frameCount: Int64,
    _ sampleRate: Double, _ options: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    bufferCall(UnsafeRawPointer(channels), channelCount, frameCount, sampleRate, out) {
        try normalizeBuffer($0, options: options, out: out)
    }
}

/// The body of scrim_normalize_buffer and scrim_normalize_view.
func normalizeBuffer(_ buffer: some BufferIO, options: UnsafePointer<CChar>?, out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                     function: String = "scrim_normalize_buffer") throws {
    let given = try COptions(options, allowed: ["targetLufs", "truePeakDbtp", "limiter", "layout", "dialogue"],
                             function: function)
    let targetLoudness = try given.number("targetLufs", in: -70...0, unit: "LUFS")
    let ceiling = try given.number("truePeakDbtp", in: -30...0, unit: "dBTP")
    let limiter = try given.bool("limiter") ?? true
    let layout = try layoutRequest(given.string("layout"), channelCount: buffer.channelCount, function: function)
    let dialogue = try given.bool("dialogue") ?? false
    // As `scrim normalize`: the ebu-r128 preset, or a custom target when either figure is given.
    let base = LoudnessTarget.ebuR128
    let target = targetLoudness == nil && ceiling == nil ? base
        : .custom(loudness: targetLoudness ?? base.loudness, truePeakCeiling: ceiling ?? base.truePeakCeiling)
    let fileOptions = FileJobOptions(codingHistoryText: "Scrim \(scrimVersion) normalize")
    try runOnBuffer(buffer, plot: false, out: out) { input, output in
        try LoudnessJob.normalize(input: input, output: output, target: target,
                                  handling: limiter ? .limit : .lowerGain, measured: nil,
                                  options: LoudnessJobOptions(layout: layout, dialogueGating: dialogue,
                                                              file: fileOptions)).json
    }
}

@_cdecl("scrim_analyze_buffer")
public func scrim_analyze_buffer(
    _ channels: UnsafePointer<UnsafePointer<Float>?>?, _ channelCount: Int32, _ frameCount: Int64,
    _ sampleRate: Double, _ options: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    bufferCall(UnsafeRawPointer(channels), channelCount, frameCount, sampleRate, out) {
        try analyzeBuffer($0, options: options, out: out)
    }
}

/// The body of scrim_analyze_buffer and scrim_analyze_view.
func analyzeBuffer(_ buffer: some BufferIO, options: UnsafePointer<CChar>?, out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                   function: String = "scrim_analyze_buffer") throws {
    _ = try COptions(options, allowed: [], function: function)
    // Only read: the buffer is written to the temporary file and never back.
    try runOnBuffer(buffer, readsBack: false, out: out) { input, _ in
        let analysis = try FileAnalysis(path: input)
        return Envelope.make(command: "analyze", input: nil, output: nil, status: .done,
                             warnings: analysis.warnings,
                             report: [("analysis", .object(analysis.json.removing(["path"])))])
    }
}

@_cdecl("scrim_dehum_buffer")
public func scrim_dehum_buffer(
    _ channels: UnsafePointer<UnsafeMutablePointer<Float>?>?, _ channelCount: Int32, _ frameCount: Int64,
    _ sampleRate: Double, _ options: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    bufferCall(UnsafeRawPointer(channels), channelCount, frameCount, sampleRate, out) {
        try dehumBuffer($0, options: options, out: out)
    }
}

/// The body of scrim_dehum_buffer and scrim_dehum_view.
func dehumBuffer(_ buffer: some BufferIO, options: UnsafePointer<CChar>?, out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                 function: String = "scrim_dehum_buffer") throws {
    let given = try COptions(options, allowed: ["frequencyHz", "engine"], function: function)
    let hertz = try given.number("frequencyHz", in: 10...1000, unit: "Hz")
    let engine = try given.string("engine", oneOf: ["tracker", "classic"]) ?? "tracker"
    let settings = DehumJobSettings(fixedHertz: hertz, engine: engine == "classic" ? .classic : .tracker)
    let fileOptions = FileJobOptions(codingHistoryText: "Scrim \(scrimVersion) dehum")
    try runOnBuffer(buffer, out: out) { input, output in
        try DehumJob.process(input: input, output: output, settings: settings, options: fileOptions).json
    }
}

@_cdecl("scrim_denoise_buffer")
public func scrim_denoise_buffer(
    _ channels: UnsafePointer<UnsafeMutablePointer<Float>?>?, _ channelCount: Int32, _ frameCount: Int64,
    _ sampleRate: Double, _ options: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    bufferCall(UnsafeRawPointer(channels), channelCount, frameCount, sampleRate, out) {
        try denoiseBuffer($0, options: options, out: out)
    }
}

/// The body of scrim_denoise_buffer and scrim_denoise_view.
func denoiseBuffer(_ buffer: some BufferIO, options: UnsafePointer<CChar>?, out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                   function: String = "scrim_denoise_buffer") throws {
    let given = try COptions(options, allowed: ["engine", "reductionDb", "learn", "modelPath"],
                             function: function)
    let engine = try given.string("engine", oneOf: ["spectral", "neural"]) ?? "spectral"
    let modelPath = try given.string("modelPath")
    let learn = try DenoiseLearning.parse(given, function: function)
    if engine == "neural" {
        if learn != nil {
            throw CAPIError(status: .configuration, message: "\(function): option \"learn\" applies to the "
                            + "spectral engine; the neural engine learns no profile")
        }
        let reduction = try given.number("reductionDb", in: 0...NeuralNoiseReducerSettings.noLimitDecibels,
                                         unit: "dB")
        let settings = NeuralNoiseReducerSettings(
            reductionLimitDecibels: reduction ?? NeuralNoiseReducerSettings.defaultReductionDecibels)
        let network = try NeuralModelCache.shared.network(folder: modelPath)
        let fileOptions = FileJobOptions(
            codingHistoryText: "Scrim \(scrimVersion) denoise (neural, DeepFilterNet3)")
        try runOnBuffer(buffer, out: out) { input, output in
            // Dialogue mode on a whole buffer: the whole-file passes, as `scrim denoise --engine neural`.
            let (file, report) = try NeuralFileJob.process(
                input: input, output: output, model: network.model, weights: network.weights,
                settings: settings, options: fileOptions)
            return Envelope.make(command: "denoise", input: nil, output: nil, status: .done,
                                 warnings: file.warnings, report: [("denoise", report.json), ("file", file.json)])
        }
        return
    }
    if modelPath != nil {
        throw CAPIError(status: .configuration, message: "\(function): option \"modelPath\" applies to the "
                        + "neural engine: add \"engine\": \"neural\"")
    }
    let reduction = try given.number("reductionDb", in: NoiseReducerSettings.reductionRange.lowerBound
                                     ... NoiseReducerSettings.reductionRange.upperBound, unit: "dB")
    var settings = NoiseReducerSettings(
        reductionDecibels: reduction ?? NoiseReducerSettings.defaultReductionDecibels)
    let fileOptions = FileJobOptions(codingHistoryText: "Scrim \(scrimVersion) denoise")
    try runOnBuffer(buffer, out: out) { input, output in
        var source = "adaptive"
        var warnings: [JobWarning] = []
        if let learn {
            let learned = try DenoiseLearning.learn(learn, input: input, buffer: buffer, function: function)
            settings.mode = .learned(learned.profile)
            source = learned.description
            warnings = learned.warnings
        }
        var reducer: NoiseReducer?
        var file = try FileJob.process(input: input, output: output, options: fileOptions) { _ in
            let made = NoiseReducer(settings: settings)
            reducer = made
            return made
        }
        guard let report = reducer?.report else {
            throw ScrimError(.invalidState, "the noise reducer was not created")
        }
        file.warnings = warnings + file.warnings
        return DenoiseJob.envelope(report, source: source, file: file)
    }
}

@_cdecl("scrim_presets_json")
public func scrim_presets_json(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    out?.pointee = nil
    return entryPoint {
        guard let out else { throw CAPIError(status: .invalidArgument, message: "out_json is NULL") }
        let list = JSONValue.array(Preset.builtIns.map { preset in
            .object([("name", .string(preset.name)), ("streamable", .bool(CChain.unstreamable(preset).isEmpty))])
        })
        handOut(list.serialized(), to: out)
    }
}

/// The `learn` option of scrim_denoise_buffer: "auto" (the quietest 0.5 s) or [startSeconds, endSeconds].
enum DenoiseLearning {
    case quietest
    case range(TimeRange, text: String)

    /// Reads `learn`; nil when absent (adaptive).
    static func parse(_ options: COptions, function: String) throws -> DenoiseLearning? {
        guard !options.isAbsent("learn"), let value = options.values["learn"] else { return nil }
        if let text = value as? String, text.lowercased() == "auto" { return .quietest }
        if let pair = value as? [Any], pair.count == 2,
           let start = (pair[0] as? NSNumber)?.doubleValue, let end = (pair[1] as? NSNumber)?.doubleValue,
           start.isFinite, end.isFinite, start >= 0, end > start {
            // The CLI's START-END text, so that the report's description reads as `--learn START-END` would.
            let text = "\(secondsText(start))-\(secondsText(end))"
            if let range = TimeRange(parsing: text) { return .range(range, text: text) }
        }
        throw CAPIError(status: .configuration, message: "\(function): option \"learn\": \(value): use \"auto\" or "
                        + "[startSeconds, endSeconds] with 0 <= start < end")
    }

    /// Learns the profile from the temporary input file (``DenoiseJob/learnProfile``, as `scrim denoise --learn`).
    static func learn(_ learning: DenoiseLearning, input: String, buffer: some BufferIO, function: String) throws
        -> (profile: NoiseProfile, description: String, warnings: [JobWarning]) {
        let reader = try AudioFileReader(path: input)
        let info = reader.info
        reader.close()
        switch learning {
        case .quietest:
            return try DenoiseJob.learnProfile(input: input, info: info, frames: nil, rangeText: "auto",
                                               flag: "\"learn\"")
        case .range(let range, let text):
            guard let frames = range.frames(sampleRate: Double(info.sampleRate), within: info.frameCount,
                                            strict: true) else {
                throw CAPIError(status: .configuration, message: String(
                    format: "%@: option \"learn\": [%@] is not inside the buffer, which lasts %.3f s", function,
                    text.replacingOccurrences(of: "-", with: ", "),
                    Double(buffer.frameCount) / Double(buffer.sampleRate)))
            }
            return try DenoiseJob.learnProfile(input: input, info: info, frames: frames, rangeText: text,
                                               flag: "\"learn\"")
        }
    }

    /// Seconds as the CLI's range text: "1.5", "2" (no trailing ".0").
    private static func secondsText(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
    }
}

/// Most takes one scrim_match_buffers call accepts (each is a temporary file and a measurement).
private let maximumTakes = 4096

@_cdecl("scrim_match_buffers")
public func scrim_match_buffers(
    _ takes: UnsafePointer<UnsafePointer<UnsafeMutablePointer<Float>?>?>?, _ frameCounts: UnsafePointer<Int64>?,
    _ takeCount: Int32, _ channelCount: Int32, _ sampleRate: Double, _ options: UnsafePointer<CChar>?,
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    out?.pointee = nil
    return entryPoint {
        let function = "scrim_match_buffers"
        guard let takes else { throw CAPIError(status: .invalidArgument, message: "takes is NULL") }
        guard let frameCounts else { throw CAPIError(status: .invalidArgument, message: "frame_counts is NULL") }
        guard takeCount >= 1, Int(takeCount) <= maximumTakes else {
            throw CAPIError(status: .invalidArgument, message: "take_count \(takeCount): use 1 to \(maximumTakes)")
        }
        var buffers: [CBuffer] = []
        for t in 0..<Int(takeCount) {
            buffers.append(try checkBuffer(takes[t].map { UnsafeRawPointer($0) }, channelCount: channelCount,
                                           frameCount: frameCounts[t], sampleRate: sampleRate,
                                           name: "takes[\(t)]"))
        }
        try matchBuffers(buffers, channelCount: Int(channelCount), options: options, out: out, function: function)
    }
}

/// The body of scrim_match_buffers and scrim_match_views.
func matchBuffers<B: BufferIO>(_ buffers: [B], channelCount: Int, options: UnsafePointer<CChar>?,
                               out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, function: String) throws {
    let given = try COptions(options, allowed: ["reference", "truePeakDbtp", "limiter", "dialogue", "layout"],
                             function: function)
    var referenceIndex: Int?
    if let index = try given.number("reference", in: 0...Double(buffers.count - 1), unit: "(a take index)") {
        guard index.rounded() == index else {
            throw CAPIError(status: .configuration, message: "\(function): option \"reference\": \(index) is "
                            + "not a take index")
        }
        referenceIndex = Int(index)
    }
    guard buffers.count >= 2 else {
        throw CAPIError(status: .invalidArgument, message: referenceIndex == nil
                        ? "take_count 1: matching takes together needs at least two"
                        : "take_count 1: the reference take has no other take to match")
    }
    let ceiling = try given.number("truePeakDbtp", in: -30...0, unit: "dBTP") ?? -1
    let limiter = try given.bool("limiter") ?? true
    let dialogue = try given.bool("dialogue") ?? false
    let layout = try layoutRequest(given.string("layout"), channelCount: channelCount, function: function)

    let frames = buffers.reduce(0) { $0.addingReportingOverflow($1.frameCount).partialValue }
    let scratch = try ScratchFolder(bytesNeeded: ScratchFolder.bytes(frames: frames, channels: channelCount,
                                                                      files: 2))
    var paths: [String] = []
    for (t, buffer) in buffers.enumerated() {
        let path = scratch.file("take-\(t).wav")
        try buffer.writeFloatWAV(to: path)
        paths.append(path)
    }
    let fileOptions = FileJobOptions(codingHistoryText: "Scrim \(scrimVersion) match")
    let options = LoudnessJobOptions(layout: layout, dialogueGating: dialogue, file: fileOptions)
    // As `scrim match --reference REF TAKE...` (REF = the reference take, not among the takes matched) or
    // `scrim match --together TAKE...`.
    var referenceLoudness: LUFS?
    if let referenceIndex {
        let measured = try LoudnessJob.measure(input: paths[referenceIndex], options: options)
        guard measured.measurement.normalizationLoudness.isFinite else {
            throw CAPIError(status: .invalidArgument, message: "the reference takes[\(referenceIndex)] is silent "
                            + "(nothing above the -70 LUFS gate): there is no loudness to match")
        }
        referenceLoudness = measured.measurement.normalizationLoudness
    }
    let matchedIndices = (0..<buffers.count).filter { $0 != referenceIndex }
    let measurements = try matchedIndices.map { try LoudnessJob.measure(input: paths[$0], options: options) }
    let loudness = measurements.map(\.measurement.normalizationLoudness)
    let matched = referenceLoudness.map { LevelMatcher.match(loudness, to: $0) }
        ?? LevelMatcher.matchTogether(loudness)
    var rows: [MatchedTake] = []
    var outputs: [String] = []
    for (position, take) in measurements.enumerated() {
        let plan = MatchJob.plan(take: take, index: position, matched: matched, truePeakCeiling: ceiling,
                                 handling: limiter ? .limit : .lowerGain)
        let output = scratch.file("out-\(matchedIndices[position]).wav")
        let gain = try LoudnessJob.applyGain(plan: plan, input: take.path, output: output,
                                             layout: take.measurement.channelLayout, dialogueGating: dialogue,
                                             options: fileOptions)
        rows.append(MatchedTake(take: take, gain: gain, silent: matched.skippedIndices.contains(position)))
        outputs.append(output)
    }
    // Every pass done: only now are the caller's buffers changed.
    for (position, index) in matchedIndices.enumerated() { try buffers[index].readBack(from: outputs[position]) }
    // The reference take is only measured: out of place, its output gets its samples (as float32) unchanged.
    if let referenceIndex { try buffers[referenceIndex].passThrough(from: paths[referenceIndex]) }
    // The CLI's JSON Lines as one array: a line per take matched, then the summary line.
    let summary = Envelope.make(command: "match", input: nil, output: nil, status: .done, report: [
        ("matchSummary", MatchJob.summary(reference: referenceIndex.map { "takes[\($0)]" }, matched: matched,
                                          dialogue: dialogue, takes: rows, failedCount: 0)),
    ])
    let report = JSONValue.array(rows.map {
        bufferEnvelope($0.json(referenceLoudness: matched.referenceLoudness), plot: false)
    } + [summary])
    handOut(report.serialized(), to: out)
}
