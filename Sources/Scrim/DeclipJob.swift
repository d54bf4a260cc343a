import Foundation
import ScrimFiles

/// How a de-clip job sets its output gain.
public enum DeclipGain: Sendable, Hashable {
    /// Measure the rebuilt peaks first and lower the whole file only as far as they need to stay at or under
    /// 0 dBFS (no change when they already do).
    case auto
    /// This gain in dB (−40…0), whatever the rebuilt peaks.
    case fixed(Double)
}

/// What a de-clip job found and did, per channel and for the file.
public struct DeclipJobResult: Sendable {
    /// The detector's findings, per channel.
    public var detections: [ClipDetection]
    /// What the declipper did, per channel (levels before the output gain).
    public var channels: [DeclipperChannelReport]
    /// The static gain applied to the whole output, in dB (≤ 0).
    public var gainDecibels: Double
    /// How the gain was set.
    public var gain: DeclipGain
    /// The AR model order used.
    public var order: Int
    /// The sample rate, for durations.
    public var sampleRate: Double
    /// The file-processing report of the pass that wrote the output.
    public var file: FileJobResult
    /// Passes made over the audio (detection, rebuild, and for `auto` gain with clipping found, the gain pass).
    public var passes: Int

    /// The largest output sample after the gain, in dBFS, over all channels (nil for silence).
    public var outputPeakDecibelsFS: Double? {
        let peaks = channels.compactMap(\.restoredPeakDecibelsFS)
        guard let peak = peaks.max() else { return nil }
        return peak + gainDecibels
    }

    /// The report under the envelope's `declip` key (keys in Sources/scrim/README.md).
    public var json: JSONValue {
        let mode: String
        switch gain {
        case .auto: mode = "auto"
        case .fixed: mode = "fixed"
        }
        return Self.reportJSON(detections: detections, channels: channels, gainDecibels: gainDecibels, mode: mode,
                               order: order, sampleRate: sampleRate)
    }

    /// The `declip` object shared by `scrim declip` and `scrim process`.
    static func reportJSON(detections: [ClipDetection], channels: [DeclipperChannelReport], gainDecibels: Double,
                           mode: String, order: Int, sampleRate: Double) -> JSONValue {
        func db(_ value: Double?) -> JSONValue { .rounded(value, places: 2) }
        let tracks: [JSONValue] = channels.enumerated().map { index, report in
            let detection = index < detections.count ? detections[index] : nil
            let levels = detection?.levels
            func level(_ value: Float?) -> JSONValue {
                guard let value, value > 0 else { return .null }
                return db(20 * log10(Double(value)))
            }
            return .object([
                ("track", .int(Int64(index + 1))),
                ("kind", .string(report.kind.rawValue)),
                ("clipLevelDbfs", db(report.clipLevelDecibelsFS)),
                ("positiveLevelDbfs", level(levels?.positive)),
                ("negativeLevelDbfs", level(levels?.negative)),
                ("runsFound", .int(Int64(report.runsRestored + report.runsLeft))),
                ("runsRestored", .int(Int64(report.runsRestored))),
                ("runsLeft", .int(Int64(report.runsLeft))),
                ("clippedSeconds", .rounded(Double(report.restoredFrames + report.leftFrames) / sampleRate,
                                            places: 6)),
                ("inputPeakDbfs", db(report.inputPeakDecibelsFS)),
                ("restoredPeakDbfs", db(report.restoredPeakDecibelsFS)),
                ("pileUpRatio", .rounded(detection?.pileUpRatio, places: 3)),
                ("curve", report.curve.map { .string($0.shape.rawValue) } ?? .null),
                ("curveCeilingDbfs", level(report.curve?.ceiling)),
                ("curveDriveDb", .rounded(report.curve?.driveDecibels, places: 2)),
                ("curveEvidenceDb", .rounded(report.curve?.evidenceDecibels, places: 2)),
            ])
        }
        let peak = channels.compactMap(\.restoredPeakDecibelsFS).max().map { $0 + gainDecibels }
        return .object([
            ("gainDb", .rounded(gainDecibels, places: 2)),
            ("gainMode", .string(mode)),
            ("outputPeakDbfs", db(peak)),
            ("arOrder", .int(Int64(order))),
            ("tracks", .array(tracks)),
        ])
    }
}

/// File → de-clip → file, sample-aligned, metadata passed through, output atomic.
///
/// Passes, each streamed block by block (memory bounded by the block size):
/// 1. *Detection*: a ``ClipDetector`` reads the input and finds each channel's clip levels (hard clipping on
///    either polarity at any flat level; soft clipping with the saturating curve to invert, or reported only).
/// 2. *Rebuild*: a ``Declipper`` with those levels. With ``DeclipGain/fixed(_:)``, or when nothing is
///    hard-clipped and no curve is to be inverted, it applies the gain and writes the output: the job ends. Otherwise it writes a hidden float32
///    intermediate next to the output (`.NAME.scrim-declip-….wav`) while measuring the rebuilt peaks.
/// 3. *Gain*: the intermediate to the output with one static gain, min(0, −rebuilt peak) rounded down to
///    0.01 dB, in the input's format with its chunks; the intermediate is deleted (also on failure).
public enum DeclipJob {
    /// Runs a de-clip over one file.
    /// - Parameters:
    ///   - input: the file to read (never written).
    ///   - output: the destination (not the input).
    ///   - gain: how the output gain is set.
    ///   - options: block size, overwrite, format, Coding History text.
    ///   - isCancelled: polled once per block.
    /// - Returns: the report.
    /// - Throws: ``AudioFileError`` for I/O problems, ``ScrimError`` for configuration problems or cancellation.
    public static func process(
        input: String, output: String, gain: DeclipGain = .auto, options: FileJobOptions = FileJobOptions(),
        isCancelled: () -> Bool = { false }
    ) throws -> DeclipJobResult {
        let clock = ContinuousClock()
        let start = clock.now
        try FileJob.refuseOutput(output, input: input, existing: !options.overwrite)
        let detector = ClipDetector()
        let analysis = try FileJob.analyze(input: input, blockFrames: options.blockFrames, analyzers: [detector],
                                           isCancelled: isCancelled, progress: options.progress)
        let info = analysis.info
        let detections = detector.finish()
        let levels = detections.map(\.levels)
        // Hard clipping and an inverted soft-clipping curve both raise the peaks: both need the gain pass.
        let anyHard = levels.contains { $0.kind == .hard || $0.curve != nil }
        var fixed: Double?
        if case .fixed(let value) = gain { fixed = value }
        if fixed != nil || !anyHard {
            let made = Declipper(configuration: DeclipperConfiguration(levels: levels, gainDecibels: fixed ?? 0))
            var result = try FileJob.process(input: input, output: output, options: options, isCancelled: isCancelled) {
                _ in made
            }
            result.elapsedSeconds = seconds(clock.now - start)
            return DeclipJobResult(detections: detections, channels: made.report, gainDecibels: fixed ?? 0, gain: gain,
                                   order: made.order, sampleRate: Double(info.sampleRate), file: result, passes: 2)
        }
        let path = Temporaries.path(beside: output, kind: "declip")
        defer { _ = SystemPath.withCString(path) { unlink($0) } }
        let float = AudioFileFormat(container: .wav, sampleFormat: .float32, sampleRate: info.sampleRate,
                                    channelCount: info.channelCount)
        let rebuild = Declipper(configuration: DeclipperConfiguration(levels: levels))
        let rebuilt = try FileJob.process(
            input: input, output: path,
            options: FileJobOptions(blockFrames: options.blockFrames, overwrite: true, codingHistoryText: nil,
                                    outputFormat: float, chunks: []),
            isCancelled: isCancelled) { _ in rebuild }
        let reports = rebuild.report
        let peak = reports.compactMap(\.restoredPeakDecibelsFS).max() ?? -.infinity
        // Round the cut up to the next 0.01 dB so the peak lands at or under 0 dBFS.
        let applied = peak > 0 ? -((peak * 100).rounded(.up) / 100) : 0
        var finalOptions = options
        var notes: [String] = []
        if finalOptions.outputFormat == nil {
            let choice = try OutputFormat.choose(path: output, like: info, bits: options.bits)
            finalOptions.outputFormat = choice.format
            notes = choice.notes
        }
        if finalOptions.chunks == nil { finalOptions.chunks = info.chunks }
        var result = try FileJob.process(input: path, output: output, options: finalOptions,
                                         isCancelled: isCancelled) { _ in
            Declipper(configuration: DeclipperConfiguration(levels: [.none], gainDecibels: max(-40, applied)))
        }
        result.inputPath = input
        result.input = info
        // The rebuild pass read the input (its reading warnings); the gain pass read the intermediate.
        result.warnings = rebuilt.warnings + JobWarning.formatChanges(notes) + result.warnings
        result.invalidSamplesZeroed = max(result.invalidSamplesZeroed, rebuilt.invalidSamplesZeroed)
        result.latencyFrames += rebuilt.latencyFrames
        result.noteInvalidSamples()
        result.elapsedSeconds = seconds(clock.now - start)
        return DeclipJobResult(detections: detections, channels: reports, gainDecibels: max(-40, applied), gain: gain,
                               order: rebuild.order, sampleRate: Double(info.sampleRate), file: result, passes: 3)
    }
}
