import Foundation
import ScrimFiles

/// Settings for running a processor over a file.
public struct FileJobOptions: Sendable {
    /// Frames per block read, processed and written. Memory is bounded by this, not by the file length.
    public var blockFrames: Int
    /// Replace an existing output file (atomically). Off by default: Scrim never overwrites silently.
    public var overwrite: Bool
    /// Sample format of the output; nil keeps the input's (or the nearest the container holds, reported).
    public var outputSampleFormat: SampleFormat?
    /// The sample format asked for with `--bits`; nil keeps the input's. Used when ``outputFormat`` is nil.
    public var bits: OutputBits?
    /// Polled once per block, besides the `isCancelled` argument of the calls that take one: true abandons the
    /// job (`ScrimError` `.cancelled`), leaving nothing behind. For jobs that run several passes
    /// (``LoudnessJob``) without a parameter of their own.
    public var isCancelled: @Sendable () -> Bool = { false }
    /// Called once per block with the frames read so far and the file's frame count (for a progress display);
    /// each pass over a file starts again from 0.
    public var progress: (@Sendable (_ framesDone: Int, _ frameCount: Int) -> Void)?
    /// What the BWF Coding History line names as the processing (`T=` field), e.g. "Scrim 0.1.0 denoise";
    /// nil appends no line.
    public var codingHistoryText: String?
    /// The output's container and format (then ``outputSampleFormat`` still applies); nil chooses them from the
    /// output's extension and the input (``OutputFormat/choose(path:like:bits:)``). Multi-pass jobs give it for an
    /// intermediate file, and for the final pass the choice made against the original input.
    public var outputFormat: AudioFileFormat?
    /// RIFF chunks to pass through instead of the input's; nil passes the input's own. Multi-pass jobs give
    /// the original file's chunks to the final pass and `[]` to intermediate files.
    public var chunks: [RIFFChunk]?

    public init(blockFrames: Int = 8192, overwrite: Bool = false, outputSampleFormat: SampleFormat? = nil,
                codingHistoryText: String? = "Scrim \(scrimVersion)", outputFormat: AudioFileFormat? = nil,
                chunks: [RIFFChunk]? = nil, bits: OutputBits? = nil) {
        self.bits = bits
        self.blockFrames = blockFrames
        self.overwrite = overwrite
        self.outputSampleFormat = outputSampleFormat
        self.codingHistoryText = codingHistoryText
        self.outputFormat = outputFormat
        self.chunks = chunks
    }
}

/// What happened when a file was processed: everything the pipeline decided or found, for the report.
public struct FileJobResult: Sendable {
    public var inputPath: String
    public var outputPath: String
    /// The input's description (format, length, chunks).
    public var input: AudioFileInfo
    /// The container actually written (a WAV that outgrew 4 GiB becomes RF64).
    public var outputContainer: AudioContainer
    public var outputSampleFormat: SampleFormat
    /// Frames written (always equal to the input's frame count).
    public var frameCount: Int
    /// Processing latency that was compensated, in frames.
    public var latencyFrames: Int
    /// NaN/±Inf input samples replaced by 0 before processing.
    public var invalidSamplesZeroed: Int
    /// Output samples clipped to full scale by an integer sample format.
    public var clippedSamples: Int
    /// RIFF chunks not passed through because processing made them stale (e.g. PEAK), or the output container
    /// cannot hold them.
    public var droppedChunkIDs: [String]
    /// The Coding History line appended to `bext` (nil when there was no readable bext chunk).
    public var codingHistoryLine: String?
    /// Problems that did not stop the job (e.g. an unreadable bext passed through unchanged).
    public var warnings: [JobWarning]
    /// Wall-clock seconds for the whole job.
    public var elapsedSeconds: Double

    /// Adds the warning for ``invalidSamplesZeroed`` (once; nothing when it is 0). Every file-writing job ends with
    /// it, so the envelope's `warnings` say what the count says.
    public mutating func noteInvalidSamples() {
        warnings.removeAll { $0.code == .invalidSamples && $0.track == nil }
        if invalidSamplesZeroed > 0, !warnings.contains(where: { $0.code == .invalidSamples }) {
            warnings.append(JobWarning(.invalidSamples, "invalid input samples (NaN, ±Inf or beyond ±1e6) set to 0: "
                                       + "\(invalidSamplesZeroed)"))
        }
    }

    /// Adds the input's per-track quality warnings (``InputQuality/warnings``); its per-track invalid-sample
    /// warnings replace the whole-file one.
    public mutating func noteQuality(_ quality: InputQuality) {
        let found = quality.warnings
        if found.contains(where: { $0.code == .invalidSamples }) {
            warnings.removeAll { $0.code == .invalidSamples && $0.track == nil }
        }
        warnings += found
    }

    /// Audio seconds processed per wall-clock second.
    public var realTimeFactor: Double {
        guard elapsedSeconds > 0 else { return .infinity }
        return input.duration / elapsedSeconds
    }

    /// The report as JSON, the `file` object of every writing command (keys documented in Sources/scrim/README.md;
    /// the paths are in the envelope, ``Envelope``).
    public var json: JSONValue {
        .object([
            ("container", .string(outputContainer.description)),
            ("sampleFormat", .string(outputSampleFormat.jsonName)),
            ("sampleRate", .int(Int64(input.sampleRate))),
            ("channelCount", .int(Int64(input.channelCount))),
            ("frameCount", .int(Int64(frameCount))),
            ("durationSeconds", .rounded(input.duration, places: 6)),
            ("latencyFramesCompensated", .int(Int64(latencyFrames))),
            ("invalidSamplesZeroed", .int(Int64(invalidSamplesZeroed))),
            ("clippedSamples", .int(Int64(clippedSamples))),
            ("droppedChunks", .array(droppedChunkIDs.map { .string($0) })),
            ("codingHistoryLine", .optional(codingHistoryLine)),
            ("elapsedSeconds", .rounded(elapsedSeconds, places: 4)),
            ("realTimeFactor", .rounded(realTimeFactor, places: 1)),
        ])
    }
}

/// File → processor → file, sample-aligned, metadata passed through, output atomic.
///
/// The pipeline every file command uses: blocks are read (planar `Float`), invalid samples (NaN, ±Inf, beyond
/// ±10⁶) zeroed and counted,
/// processed in place, the processor's latency dropped from the start and flushed at the end (so the output has
/// the input's frame count and BWF TimeReference stays true), and written to a temporary file that is renamed
/// onto the destination only when complete. RIFF chunks (bext, iXML, unknown) pass through byte for byte; bext
/// gets one Coding History line (EBU R 98 form) naming Scrim. On any error the temporary file is removed and the
/// destination is untouched. Memory is O(block), independent of file length.
public enum FileJob {
    /// Refuses an output that is the input file (Scrim never writes over its input) and, with `existing`, one that
    /// exists as a regular file: jobs that read the input in a pass of their own before they write say so before
    /// that pass, not after it.
    /// - Throws: ``AudioFileError`` `outputIsInput` or `outputExists`.
    static func refuseOutput(_ output: String, input: String, existing: Bool = false) throws {
        if AudioFileWriter.isSameFile(input, output) {
            throw AudioFileError(.outputIsInput, path: output,
                                 reason: "the output is the input file; Scrim never writes over its input")
        }
        if existing, FileSystem.kind(of: output, followingLinks: false) == .regular {
            throw AudioFileError(.outputExists, path: output,
                                 reason: "the output exists; pass --overwrite to replace it")
        }
    }

    /// Processes one file.
    /// - Parameters:
    ///   - input: path of the file to read (never written).
    ///   - output: destination path; must not be the input.
    ///   - options: block size, overwrite, output format, Coding History text.
    ///   - isCancelled: polled once per block; returning true abandons the job (`ScrimError` `.cancelled`).
    ///   - outputAnalyzers: prepared like the processor and fed exactly the aligned frames that are written
    ///     (e.g. a loudness meter measuring the processed signal for a second pass).
    ///   - inputMeter: prepared like the processor, fed every input block (after invalid samples are zeroed,
    ///     whose count per channel it is told) before the processor changes it: per-track quality control in the
    ///     same read.
    ///   - comparisonTap: when given, fed each input block (as `inputMeter`) and each aligned output block, to
    ///     measure the before/after picture in this pass (``FilePlot/comparisonPicture(input:output:title:humHertz:tap:isCancelled:)``).
    ///   - makeProcessor: builds the processor for the input (called once, after the input is opened); the
    ///     pipeline prepares it for the file's rate, channel count and block size.
    /// - Returns: what was done.
    /// - Throws: ``AudioFileError`` for I/O problems, ``ScrimError`` for configuration problems or cancellation.
    public static func process(
        input: String, output: String, options: FileJobOptions = FileJobOptions(),
        isCancelled: () -> Bool = { false }, outputAnalyzers: [any AudioAnalyzer] = [],
        inputMeter: TrackQualityMeter? = nil, comparisonTap: ComparisonTap? = nil,
        makeProcessor: (AudioFileInfo) throws -> any AudioProcessor
    ) throws -> FileJobResult {
        let clock = ContinuousClock()
        let start = clock.now
        try FileJob.refuseOutput(output, input: input)
        let reader = try AudioFileReader(path: input)
        defer { reader.close() }
        let info = reader.info
        // The same bound for every writing command (per-channel state stays bounded; poly recorders write ≤ 32).
        guard info.channelCount <= PresetJob.maximumChannelCount else {
            throw ScrimError(.unsupportedInput, "\(SystemPath.display(input)) has \(info.channelCount) channels; "
                             + "Scrim processes up to \(PresetJob.maximumChannelCount): split the file first (e.g. "
                             + "sox in.wav out.wav remix 1-32)")
        }
        let processor = try makeProcessor(info)
        let blockFrames = max(1, options.blockFrames)
        let spec = ProcessSpec(sampleRate: Double(info.sampleRate), channelCount: info.channelCount,
                               maximumBlockFrames: blockFrames)
        try processor.prepare(for: spec)
        for analyzer in outputAnalyzers { try analyzer.prepare(for: spec) }
        try inputMeter?.prepare(for: spec)
        try comparisonTap?.prepare(info: info, latencyFrames: processor.latencyFrames, blockFrames: blockFrames)

        var warnings = JobWarning.reading(info)
        var format: AudioFileFormat
        if let given = options.outputFormat {
            format = given
        } else {
            let choice = try OutputFormat.choose(path: output, like: info, bits: options.bits)
            format = choice.format
            warnings += JobWarning.formatChanges(choice.notes)
        }
        if let sampleFormat = options.outputSampleFormat { format.sampleFormat = sampleFormat }
        var historyLine: String?
        let chunks = options.chunks ?? info.chunks
        if let text = options.codingHistoryText, format.container.isRIFFFamily,
           chunks.contains(where: { $0.id == "bext" }) {
            let line = BroadcastExtension.codingHistoryLine(
                sampleRate: info.sampleRate, bitsPerSample: format.sampleFormat.bitsPerSample ?? 32,
                channelCount: info.channelCount, software: text)
            if let bextChunk = chunks.first(where: { $0.id == "bext" }),
               (try? BroadcastExtension(chunkData: bextChunk.data)) != nil {
                historyLine = line
            } else {
                warnings.append(JobWarning(.bextUnreadable,
                                           "bext chunk unreadable: passed through unchanged, no Coding History line "
                                           + "added"))
            }
        }
        let transform: (([UInt8]) -> [UInt8])? = historyLine.map { line in
            { bytes in (try? BroadcastExtension(chunkData: bytes))?.appendingCodingHistory(line) ?? bytes }
        }
        let writer = try AudioFileWriter(
            path: output, format: format, chunks: chunks, bextTransform: transform,
            options: AudioFileWriter.Options(overwritesExisting: options.overwrite))
        do {
            let buffer = AudioBuffer(channelCount: info.channelCount, capacity: blockFrames)
            var compensator = LatencyCompensator(latencyFrames: processor.latencyFrames)
            var nonFinite = 0
            while true {
                if isCancelled() || options.isCancelled() {
                    throw ScrimError(.cancelled, "cancelled while processing \(input)")
                }
                let n = try reader.read(into: buffer)
                if n == 0 { break }
                options.progress?(reader.position, info.frameCount)
                try buffer.withBlock { block in
                    if let inputMeter {
                        nonFinite += block.zeroInvalidSamples { inputMeter.noteInvalidSamples(channel: $0, count: $1) }
                        inputMeter.analyze(block)
                    } else {
                        nonFinite += block.zeroInvalidSamples()
                    }
                    comparisonTap?.input(block)
                    processor.process(block)
                    let range = compensator.alignedRange(ofProcessed: n)
                    if !range.isEmpty {
                        let aligned = block.slice(from: range.lowerBound, count: range.count)
                        try writer.write(aligned)
                        for analyzer in outputAnalyzers { analyzer.analyze(aligned) }
                        comparisonTap?.output(aligned)
                    }
                }
            }
            var remaining = processor.latencyFrames
            while remaining > 0 {
                let n = min(remaining, blockFrames)
                buffer.frameCount = n
                try buffer.withBlock { block in
                    processor.flush(into: block)
                    let range = compensator.alignedRange(ofProcessed: n)
                    if !range.isEmpty {
                        let aligned = block.slice(from: range.lowerBound, count: range.count)
                        try writer.write(aligned)
                        for analyzer in outputAnalyzers { analyzer.analyze(aligned) }
                        comparisonTap?.output(aligned)
                    }
                }
                remaining -= n
            }
            guard writer.frameCount == info.frameCount else {
                throw ScrimError(.invalidState, "internal alignment error: wrote \(writer.frameCount) of "
                                 + "\(info.frameCount) frames to \(output)")
            }
            try writer.finish()
            let unsupported = writer.droppedChunkIDs.filter { !AudioFileWriter.staleChunkIDs.contains($0) }
            if !unsupported.isEmpty {
                warnings.append(JobWarning(.metadataDropped, "\(format.container) files cannot carry the input's "
                                           + unsupported.map { "'\($0)'" }.joined(separator: ", ")
                                           + " metadata: not written (use .wav to keep it)"))
            }
            var result = FileJobResult(
                inputPath: input, outputPath: output, input: info, outputContainer: writer.writtenContainer,
                outputSampleFormat: format.sampleFormat, frameCount: writer.frameCount,
                latencyFrames: processor.latencyFrames, invalidSamplesZeroed: nonFinite,
                clippedSamples: writer.clippedSampleCount, droppedChunkIDs: writer.droppedChunkIDs,
                codingHistoryLine: historyLine, warnings: warnings,
                elapsedSeconds: seconds(clock.now - start))
            result.noteInvalidSamples()
            return result
        } catch {
            writer.cancel()
            throw error
        }
    }

    /// Feeds every frame of a file to analyzers (prepared here), block by block.
    /// - Parameters:
    ///   - input: the file.
    ///   - blockFrames: frames per block.
    ///   - analyzers: prepared for the file, then fed every block.
    ///   - isCancelled: polled once per block; returning true abandons the pass (`ScrimError` `.cancelled`).
    ///   - inputMeter: prepared and fed like the analyzers, and told the invalid samples zeroed per channel.
    /// - Returns: the file's description and the number of invalid samples (NaN, ±Inf, beyond ±10⁶; zeroed
    ///   before analysis).
    public static func analyze(
        input: String, blockFrames: Int = 8192, analyzers: [any AudioAnalyzer], inputMeter: TrackQualityMeter? = nil,
        isCancelled: () -> Bool = { false }, progress: ((_ framesDone: Int, _ frameCount: Int) -> Void)? = nil
    ) throws -> (info: AudioFileInfo, nonFiniteSamples: Int) {
        let reader = try AudioFileReader(path: input)
        defer { reader.close() }
        let info = reader.info
        let blockFrames = max(1, blockFrames)
        let spec = ProcessSpec(sampleRate: Double(info.sampleRate), channelCount: info.channelCount,
                               maximumBlockFrames: blockFrames)
        for analyzer in analyzers { try analyzer.prepare(for: spec) }
        try inputMeter?.prepare(for: spec)
        let buffer = AudioBuffer(channelCount: info.channelCount, capacity: blockFrames)
        var nonFinite = 0
        while true {
            if isCancelled() { throw ScrimError(.cancelled, "cancelled while analysing \(input)") }
            guard try reader.read(into: buffer) > 0 else { break }
            progress?(reader.position, info.frameCount)
            buffer.withBlock { block in
                if let inputMeter {
                    nonFinite += block.zeroInvalidSamples { inputMeter.noteInvalidSamples(channel: $0, count: $1) }
                    inputMeter.analyze(block)
                } else {
                    nonFinite += block.zeroInvalidSamples()
                }
                for analyzer in analyzers { analyzer.analyze(block) }
            }
        }
        return (info, nonFinite)
    }
}

func seconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
}
