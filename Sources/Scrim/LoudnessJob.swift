import Foundation
import ScrimFiles

/// Settings shared by the loudness jobs (measure, normalise, match).
/// A layout asked for by the user (`--layout`): fixed weights, or equal weights for however many channels a file has.
public enum LayoutRequest: Sendable, Hashable {
    /// Every channel 1.0, whatever the count.
    case equal
    /// These weights (the file must have as many channels).
    case fixed(ChannelLayout)

    /// The layout for a file of `channelCount` channels.
    public func layout(channelCount: Int) -> ChannelLayout {
        switch self {
        case .equal: .equal(channelCount: channelCount)
        case .fixed(let layout): layout
        }
    }
}

public struct LoudnessJobOptions: Sendable {
    /// Channel weights asked for; nil applies the shared rule (``LoudnessJob/layout(for:request:)``).
    public var layout: LayoutRequest?
    /// Measure loudness over the blocks a voice-activity gate judges to be speech (see `DialogueDetector`), and
    /// normalise or match that instead of the full-programme loudness.
    public var dialogueGating: Bool
    /// Frames per block read and processed (memory is bounded by this).
    public var blockFrames: Int
    /// Output settings for the writing pass (overwrite, output format, Coding History text).
    public var file: FileJobOptions

    public init(layout: LayoutRequest? = nil, dialogueGating: Bool = false, blockFrames: Int = 8192,
                file: FileJobOptions = FileJobOptions()) {
        self.layout = layout
        self.dialogueGating = dialogueGating
        self.blockFrames = blockFrames
        self.file = file
    }
}

/// A file's loudness, as measured by one pass of a ``LoudnessMeter``.
public struct LoudnessFileMeasurement: Sendable {
    /// The file as given.
    public var path: String
    /// Its format and length.
    public var info: AudioFileInfo
    /// What the meter found.
    public var measurement: LoudnessMeasurement
    /// NaN/±Inf samples found (measured as 0).
    public var nonFiniteSamples: Int
    /// Wall-clock seconds for the pass.
    public var elapsedSeconds: Double
    /// Solves the gain onto a target against this measurement's gates (nil for a measurement read back from
    /// JSON, which keeps no blocks).
    public var gainSolver: LoudnessGainSolver? = nil

    /// The `scrim loudness --json` line for this file: the envelope (``Envelope``) with ``json`` under `loudness`.
    /// ``LoudnessJob/measurement(fromJSONLines:for:dialogueGating:)`` reads it back.
    public var envelope: JSONValue {
        var warnings = JobWarning.reading(info)
        if nonFiniteSamples > 0 {
            warnings.append(JobWarning(.invalidSamples,
                                       "\(nonFiniteSamples) invalid samples (NaN, ±Inf or beyond ±1e6), measured as 0"))
        }
        return Envelope.make(command: "loudness", input: path, output: nil, status: .done, warnings: warnings,
                             report: [("loudness", json)])
    }

    /// The `loudness` object: the measurement's keys (``LoudnessJob/json(_:)``), then
    /// `channelCount`, `durationSeconds`, `nonFiniteSamples`. It decodes back as a ``LoudnessMeasurement``.
    public var json: JSONValue {
        var pairs = LoudnessJob.jsonPairs(measurement)
        pairs += [
            ("channelCount", .int(Int64(info.channelCount))),
            ("durationSeconds", .rounded(info.duration, places: 6)),
            ("invalidSamplesZeroed", .int(Int64(nonFiniteSamples))),
        ]
        return .object(pairs)
    }
}

/// What a gain pass (normalise or match) did to one file.
public struct LoudnessGainResult: Sendable {
    /// The plan carried out: gain, ceiling, predicted levels, shortfall.
    public var plan: NormalizationPlan
    /// What the normaliser did: limiter activity, output true peak.
    public var report: NormalizationReport
    /// The written output as measured by a second meter fed the aligned output frames (true peak is measured
    /// by the normaliser instead, see ``outputTruePeak``).
    public var after: LoudnessMeasurement
    /// The file pipeline's report (paths, format, alignment, chunks, timing).
    public var file: FileJobResult
    /// Whether the true-peak limiter was in the signal path (armed only when the first pass predicts a peak
    /// near or over the ceiling; see ``LoudnessJob/limiterBypassMarginDecibels``).
    public var limiterArmed: Bool

    /// Output true peak, dBTP (nil for silent output).
    public var outputTruePeak: DecibelsTruePeak? { report.outputTruePeak }
    /// The loudness a normaliser or matcher aims at in the output: dialogue loudness when gated on dialogue.
    public var afterLoudness: LUFS { after.normalizationLoudness }
    /// Whether the input carried a `bext` chunk, whose loudness fields (version 2) are passed through unchanged:
    /// they describe the original, and a reader should not mistake them for the output's.
    public var bextLoudnessLeftUnchanged: Bool { file.input.chunks.contains { $0.id == "bext" } }

    /// JSON of the gain pass: `gainDecibels`, `predictedLoudness`, `shortfallLoudnessUnits`, `truePeakCeiling`,
    /// `truePeakHandling`, `limiter` {…}, `after` {…}, `note`, `bextLoudness`, `output` (the file report).
    public var jsonPairs: [(String, JSONValue)] {
        [
            ("gainDb", .rounded(plan.gainDecibels, places: 3)),
            ("predictedLoudnessLufs", .rounded(plan.predictedLoudness, places: 3)),
            ("shortfallLu", .rounded(plan.shortfall, places: 3)),
            ("truePeakCeilingDbtp", .rounded(plan.truePeakCeiling, places: 3)),
            ("truePeakHandling", .string(plan.truePeakHandling.rawValue)),
            ("limiter", .object([
                ("armed", .bool(limiterArmed)),
                ("engaged", .bool(report.limiterEngaged)),
                ("limitedFrames", .int(Int64(report.limitedFrames))),
                ("limitedPercent", .rounded(LoudnessJob.limitedPercent(report, frameCount: file.frameCount),
                                            places: 3)),
                ("deepestReductionDb", .rounded(report.deepestReductionDecibels, places: 3)),
            ])),
            ("after", .object([
                ("integratedLoudnessLufs", .rounded(after.integratedLoudness, places: 3)),
                ("loudnessRangeLu", .rounded(after.loudnessRange, places: 3)),
                ("truePeakDbtp", .rounded(outputTruePeak, places: 3)),
                ("samplePeakDbfs", .rounded(after.samplePeak, places: 3)),
                ("maxMomentaryLoudnessLufs", .rounded(after.maxMomentaryLoudness, places: 3)),
                ("maxShortTermLoudnessLufs", .rounded(after.maxShortTermLoudness, places: 3)),
                ("dialogueLoudnessLufs", after.dialogueGated ? .rounded(after.dialogueLoudness, places: 3) : .null),
            ])),
            ("note", .optional(plan.note)),
            ("bextLoudness", bextLoudnessLeftUnchanged ? .string("unchanged") : .null),
        ]
    }
}

/// What `scrim normalize` did to one file.
public struct LoudnessNormalization: Sendable {
    /// The target asked for.
    public var target: LoudnessTarget
    /// The input's measurement (first pass, or the one given with `--measured`).
    public var before: LoudnessFileMeasurement
    /// Whether `before` came from a previous measurement instead of a first pass.
    public var measurementReused: Bool
    /// The gain pass.
    public var gain: LoudnessGainResult

    /// Output loudness minus target, LU (measured on the written file; nil when silent).
    public var errorLoudnessUnits: LoudnessUnits? {
        let after = gain.afterLoudness
        return after.isFinite ? after - target.loudness : nil
    }

    /// The `scrim normalize --json` line: the envelope with the report under `normalize` and the file report under
    /// `file`.
    public var json: JSONValue {
        Envelope.make(command: "normalize", input: before.path, output: gain.file.outputPath, status: .done,
                      warnings: gain.file.warnings, report: [("normalize", reportJSON), ("file", gain.file.json)])
    }

    /// The `normalize` object (keys in Sources/scrim/README.md).
    public var reportJSON: JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("target", .object([
                ("preset", .string(target.name)),
                ("targetLoudnessLufs", .rounded(target.loudness, places: 3)),
            ])),
            ("measurement", .string(measurementReused ? "reused" : "firstPass")),
            ("before", before.json),
            ("errorLu", .rounded(errorLoudnessUnits, places: 3)),
        ]
        pairs += gain.jsonPairs
        return .object(pairs)
    }
}

/// Two-pass loudness work on files: measure, normalise to a target, apply a matching gain.
///
/// Every function streams (memory bounded by the block size), leaves inputs untouched and writes outputs
/// atomically through ``FileJob``. The "after" figures are measured on the frames actually written (a second
/// meter among FileJob's output analyzers), never predicted. Functions are independent and thread-safe (each
/// makes its own meters and processors); run files in parallel across tasks if you wish.
public enum LoudnessJob {
    /// The layout used for a file — the one rule every command and the C API share:
    /// 1. the layout asked for (`--layout`), if any;
    /// 2. the WAVE_FORMAT_EXTENSIBLE channel mask, when the file has one;
    /// 3. equal weights for a production poly file (a RIFF file with an `iXML` chunk and more than two channels:
    ///    its tracks are microphones — MIX L/R, boom, lavs — not loudspeakers, so a 6-track take is not 5.1);
    /// 4. the layout implied by the channel count (``ChannelLayout/init(channelCount:)``).
    public static func layout(for info: AudioFileInfo, request: LayoutRequest?) -> ChannelLayout {
        if let request { return request.layout(channelCount: info.channelCount) }
        if let mask = info.channelMask, mask != 0 {
            return ChannelLayout(channelMask: mask, channelCount: info.channelCount)
        }
        if info.chunks.contains(where: { $0.id == "iXML" }), info.channelCount > 2 {
            return .equal(channelCount: info.channelCount)
        }
        return ChannelLayout(channelCount: info.channelCount)
    }

    /// ``layout(for:request:)`` with a fixed layout as the request.
    public static func layout(for info: AudioFileInfo, override: ChannelLayout? = nil) -> ChannelLayout {
        layout(for: info, request: override.map { .fixed($0) })
    }

    /// Measures a file: integrated loudness, loudness range, true and sample peaks, max momentary and
    /// short-term, and with `options.dialogueGating` the dialogue loudness.
    /// - Parameters:
    ///   - input: the file.
    ///   - options: layout, dialogue gate, block size.
    /// - Throws: ``AudioFileError`` when the file cannot be read; ``ScrimError`` `.configuration` when the layout
    ///   does not fit the file or the sample rate is outside 8–768 kHz.
    public static func measure(input: String, options: LoudnessJobOptions = LoudnessJobOptions())
        throws -> LoudnessFileMeasurement {
        try measure(input: input, options: options) { _ in }
    }

    /// Measures a file (see ``measure(input:options:)``) and adds its blocks to `programme`, for the combined
    /// loudness of several files.
    public static func measure(input: String, options: LoudnessJobOptions = LoudnessJobOptions(),
                               addingTo programme: inout ProgrammeLoudness) throws -> LoudnessFileMeasurement {
        try measure(input: input, options: options) { programme.add($0) }
    }

    private static func measure(input: String, options: LoudnessJobOptions, finished: (LoudnessMeter) -> Void)
        throws -> LoudnessFileMeasurement {
        let clock = ContinuousClock()
        let start = clock.now
        let reader = try AudioFileReader(path: input)
        defer { reader.close() }
        let info = reader.info
        let meter = LoudnessMeter(layout: layout(for: info, request: options.layout), measureTruePeak: true,
                                  dialogueGating: options.dialogueGating)
        let blockFrames = max(1, options.blockFrames)
        try meter.prepare(for: ProcessSpec(sampleRate: Double(info.sampleRate), channelCount: info.channelCount,
                                           maximumBlockFrames: blockFrames))
        let buffer = AudioBuffer(channelCount: info.channelCount, capacity: blockFrames)
        var nonFinite = 0
        while try reader.read(into: buffer) > 0 {
            if options.file.isCancelled() { throw ScrimError(.cancelled, "cancelled while measuring \(input)") }
            options.file.progress?(reader.position, info.frameCount)
            buffer.withBlock { block in
                nonFinite += block.zeroInvalidSamples()
                meter.analyze(block)
            }
        }
        finished(meter)
        return LoudnessFileMeasurement(path: input, info: info, measurement: meter.measurement,
                                       nonFiniteSamples: nonFinite, elapsedSeconds: seconds(clock.now - start),
                                       gainSolver: meter.gainSolver)
    }

    /// How far under the ceiling, dB, the first pass must predict the output's true peak for the limiter to be
    /// left out of the gain pass. The limiter is exactly transparent below its ceiling (gain 1, input delayed), so
    /// leaving it out changes no sample; it saves its look-ahead detector, the most expensive part of the pass.
    /// 0.01 dB is far above the float rounding between the meter's and the limiter's identical interpolators.
    public static let limiterBypassMarginDecibels: Decibels = 0.01

    /// Runs the gain pass: `input` × the plan's gain (ceiling kept by limiter or lowered gain) → `output`,
    /// sample-aligned, metadata passed through, the output measured as it is written.
    ///
    /// With ``TruePeakHandling/limit`` the limiter is armed only when the plan's predicted true peak comes within
    /// ``limiterBypassMarginDecibels`` of the ceiling (or is unknown); if the output's true peak nevertheless
    /// crossed the ceiling, the pass is run again with the limiter armed.
    /// - Parameters:
    ///   - layout: the layout for the output meter (use the one the input was measured with).
    ///   - dialogueGating: measure the output's dialogue loudness too.
    /// - Throws: ``AudioFileError`` (I/O, output exists, output is input), ``ScrimError``.
    public static func applyGain(plan: NormalizationPlan, input: String, output: String, layout: ChannelLayout,
                                 dialogueGating: Bool, options: FileJobOptions) throws -> LoudnessGainResult {
        var armed = plan.truePeakHandling == .limit
        if let predicted = plan.predictedTruePeak, predicted <= plan.truePeakCeiling - limiterBypassMarginDecibels {
            armed = false
        }
        var result = try gainPass(plan: plan, armed: armed, input: input, output: output, layout: layout,
                                  dialogueGating: dialogueGating, options: options)
        if plan.truePeakHandling == .limit, !armed,
           (result.report.outputTruePeak ?? -.infinity) > plan.truePeakCeiling + 0.001 {
            var again = options
            again.overwrite = true  // the output is the one just written by this call
            result = try gainPass(plan: plan, armed: true, input: input, output: output, layout: layout,
                                  dialogueGating: dialogueGating, options: again)
        }
        if let warning = targetMissWarning(plan: plan, report: result.report, after: result.afterLoudness,
                                           frameCount: result.file.frameCount) {
            result.file.warnings.append(warning)
        }
        return result
    }

    /// How far, LU, the output may miss its target with the limiter engaged before Scrim warns (and `--strict`
    /// fails): a limiter that cuts peaks lowers the loudness, which no static gain can know in advance.
    public static let targetMissToleranceLoudnessUnits: LoudnessUnits = 0.5

    /// The warning for an output that the limiter pulled more than ``targetMissToleranceLoudnessUnits`` off its
    /// target, or nil. Its code is `targetMissed` (what `--strict` looks for); its message starts with
    /// ``targetMissWarningPrefix``.
    public static func targetMissWarning(plan: NormalizationPlan, report: NormalizationReport, after: LUFS,
                                         frameCount: Int) -> JobWarning? {
        guard report.limiterEngaged, let target = plan.targetLoudness, after.isFinite,
              abs(after - target) > targetMissToleranceLoudnessUnits else { return nil }
        let share = 100 * Double(report.limitedFrames) / Double(max(1, frameCount))
        return JobWarning(.targetMissed, targetMissWarningPrefix + String(
            format: ": the output measures %.2f LUFS, %.2f LU from the target %.1f, because the limiter reduced "
                + "%.1f %% of the frames (deepest %.1f dB); lower the target or raise the true-peak ceiling",
            after, after - target, target, share, report.deepestReductionDecibels))
    }

    /// The start of every target-miss warning.
    public static let targetMissWarningPrefix = "off target"

    /// The limited share of frames, percent (0 when the limiter was idle).
    public static func limitedPercent(_ report: NormalizationReport, frameCount: Int) -> Double {
        100 * Double(report.limitedFrames) / Double(max(1, frameCount))
    }

    private static func gainPass(plan: NormalizationPlan, armed: Bool, input: String, output: String,
                                 layout: ChannelLayout, dialogueGating: Bool, options: FileJobOptions)
        throws -> LoudnessGainResult {
        var processingPlan = plan
        if !armed && plan.truePeakHandling == .limit {
            // Same gain, no limiter: `.lowerGain` with no shortfall is a plain gain.
            processingPlan.truePeakHandling = .lowerGain
        }
        // True peak of the output is measured by the normaliser itself; a second interpolator here would only
        // repeat that work.
        let meter = LoudnessMeter(layout: layout, measureTruePeak: false, dialogueGating: dialogueGating)
        var normalizer: LoudnessNormalizer?
        let file = try FileJob.process(input: input, output: output, options: options, outputAnalyzers: [meter]) {
            _ in
            let made = LoudnessNormalizer(plan: processingPlan)
            normalizer = made
            return made
        }
        guard let normalizer else {
            throw ScrimError(.invalidState, "FileJob finished without building the normaliser for \(input)")
        }
        var report = normalizer.report
        report.plan = plan
        return LoudnessGainResult(plan: plan, report: report, after: meter.measurement, file: file,
                                  limiterArmed: armed)
    }

    /// Normalises a file to a target: measure (or reuse `measured`), plan one gain, apply it.
    /// - Parameters:
    ///   - input: the file to read.
    ///   - output: the file to write.
    ///   - target: loudness and true-peak ceiling.
    ///   - handling: `.limit` (default) catches the peaks the gain pushes over the ceiling with a true-peak limiter;
    ///     `.lowerGain` lowers the gain to fit and reports the shortfall.
    ///   - measured: a previous measurement of this very file (skips the first pass); check it first with
    ///     ``measurement(fromJSONLines:for:dialogueGating:)``.
    ///   - options: layout, dialogue gate, output settings.
    public static func normalize(input: String, output: String, target: LoudnessTarget,
                                 handling: TruePeakHandling = .limit, measured: LoudnessFileMeasurement? = nil,
                                 options: LoudnessJobOptions = LoudnessJobOptions()) throws -> LoudnessNormalization {
        if let measured, let request = options.layout,
           request.layout(channelCount: measured.info.channelCount).weights
               != measured.measurement.channelLayout.weights {
            throw ScrimError(.configuration, "\(input) was measured with layout \(measured.measurement.channelLayout) "
                             + "but this run asks for \(request.layout(channelCount: measured.info.channelCount)): "
                             + "measure again with the same layout")
        }
        let before = try measured ?? measure(input: input, options: options)
        var measurement = before.measurement
        // The plan uses dialogue loudness exactly when this run asks for it.
        measurement.dialogueGated = options.dialogueGating
        // Solved against the gates; a measurement reused from JSON keeps no blocks and falls back to target − measured.
        let plan = NormalizationPlan(measurement: measurement, target: target, handling: handling,
                                     solver: before.measurement.dialogueGated == options.dialogueGating
                                         ? before.gainSolver : nil)
        var fileOptions = options.file
        fileOptions.blockFrames = options.blockFrames
        let gain = try applyGain(plan: plan, input: input, output: output, layout: before.measurement.channelLayout,
                                 dialogueGating: options.dialogueGating, options: fileOptions)
        return LoudnessNormalization(target: target, before: before, measurementReused: measured != nil, gain: gain)
    }

    /// Finds `input`'s measurement in the output of `scrim loudness --json` and checks that it belongs to it.
    ///
    /// The lines are searched for an object whose `path` names the same file (the same resolved path, or else
    /// the same file name); its frame count, sample rate and channel count must equal the file's. A programme
    /// line (`"programme": true`) is never taken.
    /// - Parameters:
    ///   - text: one JSON object per line (or a single object).
    ///   - input: the file about to be processed.
    ///   - dialogueGating: whether the run needs dialogue loudness (then the measurement must have it).
    /// - Throws: ``ScrimError`` `.invalidDocument` saying what does not match; ``AudioFileError`` if `input`
    ///   cannot be opened.
    public static func measurement(fromJSONLines text: String, for input: String, dialogueGating: Bool = false)
        throws -> LoudnessFileMeasurement {
        let reader = try AudioFileReader(path: input)
        let info = reader.info
        reader.close()
        let wantedPath = resolvedPath(input)
        let wantedName = (input as NSString).lastPathComponent
        var candidates: [(path: String, line: Data)] = []
        for line in text.split(whereSeparator: \.isNewline) where !line.allSatisfy(\.isWhitespace) {
            let data = Data(line.utf8)
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw ScrimError(.invalidDocument, "measurement is not JSON lines from `scrim loudness --json`: "
                                 + String(line.prefix(60)))
            }
            // Envelope lines of `scrim loudness --json` (a file's measurement under "loudness"; the programme line
            // has no input and failures no measurement).
            guard object["command"] as? String == "loudness", let path = object["input"] as? String,
                  let measured = object["loudness"] as? [String: Any],
                  let body = try? JSONSerialization.data(withJSONObject: measured) else { continue }
            candidates.append((path, body))
        }
        let chosen = candidates.first { resolvedPath($0.path) == wantedPath }
            ?? candidates.first { ($0.path as NSString).lastPathComponent == wantedName }
        guard let chosen else {
            let names = candidates.map(\.path).joined(separator: ", ")
            throw ScrimError(.invalidDocument, "the measurement does not describe \(input) (it describes "
                             + "\(names.isEmpty ? "no file" : names)): measure this file with `scrim loudness --json`")
        }
        let measurement: LoudnessMeasurement
        do {
            measurement = try JSONDecoder().decode(LoudnessMeasurement.self, from: chosen.line)
        } catch {
            throw ScrimError(.invalidDocument, "the measurement of \(chosen.path) is incomplete: \(error)")
        }
        var mismatches: [String] = []
        if measurement.frameCount != info.frameCount {
            mismatches.append("\(measurement.frameCount) frames measured, the file has \(info.frameCount)")
        }
        if measurement.sampleRate != Double(info.sampleRate) {
            mismatches.append("measured at \(measurement.sampleRate) Hz, the file is \(info.sampleRate) Hz")
        }
        if measurement.channelLayout.channelCount != info.channelCount {
            mismatches.append("\(measurement.channelLayout.channelCount) channels measured, the file has "
                              + "\(info.channelCount)")
        }
        guard mismatches.isEmpty else {
            throw ScrimError(.invalidDocument, "the measurement of \(chosen.path) does not belong to \(input): "
                             + mismatches.joined(separator: "; "))
        }
        if dialogueGating && !measurement.dialogueGated {
            throw ScrimError(.invalidDocument, "the measurement of \(chosen.path) has no dialogue loudness: "
                             + "measure with `scrim loudness --json --dialogue`, or drop --dialogue")
        }
        return LoudnessFileMeasurement(path: input, info: info, measurement: measurement, nonFiniteSamples: 0,
                                       elapsedSeconds: 0)
    }

    /// The measurement's keys in report order (levels rounded to 0.001, −∞ as null). These are exactly the keys
    /// ``LoudnessMeasurement`` decodes, so the object reads back with `JSONDecoder`.
    public static func jsonPairs(_ m: LoudnessMeasurement) -> [(String, JSONValue)] {
        func level(_ value: Double) -> JSONValue { .rounded(value, places: 3) }
        return [
            ("integratedLoudnessLufs", level(m.integratedLoudness)),
            ("loudnessRangeLu", level(m.loudnessRange)),
            ("truePeakDbtp", level(m.truePeak)),
            ("samplePeakDbfs", level(m.samplePeak)),
            ("maxMomentaryLoudnessLufs", level(m.maxMomentaryLoudness)),
            ("maxShortTermLoudnessLufs", level(m.maxShortTermLoudness)),
            ("relativeGateThresholdLufs", level(m.relativeGateThreshold)),
            ("momentaryLoudnessLufs", level(m.momentaryLoudness)),
            ("shortTermLoudnessLufs", level(m.shortTermLoudness)),
            ("channelTruePeaksDbtp", .array(m.channelTruePeaks.map(level))),
            ("channelSamplePeaksDbfs", .array(m.channelSamplePeaks.map(level))),
            ("truePeakMeasured", .bool(m.truePeakMeasured)),
            ("dialogueGated", .bool(m.dialogueGated)),
            ("dialogueLoudnessLufs", level(m.dialogueLoudness)),
            ("speechFraction", m.dialogueGated ? .rounded(m.speechFraction, places: 4) : .null),
            ("channelLayout", json(m.channelLayout)),
            ("sampleRate", .number(m.sampleRate)),
            ("frameCount", .int(Int64(m.frameCount))),
        ]
    }

    /// The measurement as a JSON object (``jsonPairs(_:)``).
    public static func json(_ measurement: LoudnessMeasurement) -> JSONValue { .object(jsonPairs(measurement)) }

    /// A layout as JSON: `{"name", "weights"}`.
    public static func json(_ layout: ChannelLayout) -> JSONValue {
        .object([("name", .string(layout.name)), ("weights", .array(layout.weights.map { .number($0) }))])
    }

    /// The combined programme's JSON object (`"programme": true`, then the file count and levels).
    /// The programme line of `scrim loudness --json` (several files): the envelope with `input` null and
    /// ``json(_:files:)`` under `programme`.
    public static func envelope(_ programme: ProgrammeLoudness, files: [String], dialogueGated: Bool = false)
        -> JSONValue {
        Envelope.make(command: "loudness", input: nil, output: nil, status: .done,
                      report: [("programme", json(programme, files: files, dialogueGated: dialogueGated))])
    }

    /// The programme object; `speechFraction` is null unless the files were measured with the dialogue gate.
    public static func json(_ programme: ProgrammeLoudness, files: [String], dialogueGated: Bool = false)
        -> JSONValue {
        func level(_ value: Double) -> JSONValue { .rounded(value, places: 3) }
        return .object([
            ("fileCount", .int(Int64(programme.streamCount))),
            ("files", .array(files.map { .string(SystemPath.display($0)) })),
            ("integratedLoudnessLufs", level(programme.integratedLoudness)),
            ("loudnessRangeLu", level(programme.loudnessRange)),
            ("truePeakDbtp", level(programme.truePeak)),
            ("samplePeakDbfs", level(programme.samplePeak)),
            ("maxMomentaryLoudnessLufs", level(programme.maxMomentaryLoudness)),
            ("maxShortTermLoudnessLufs", level(programme.maxShortTermLoudness)),
            ("relativeGateThresholdLufs", level(programme.relativeGateThreshold)),
            ("dialogueLoudnessLufs", level(programme.dialogueLoudness)),
            ("speechFraction", dialogueGated ? .rounded(programme.speechFraction, places: 4) : .null),
            ("durationSeconds", .rounded(programme.durationSeconds, places: 6)),
        ])
    }

    /// An absolute, symlink-free form of `path` for comparing files.
    static func resolvedPath(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
