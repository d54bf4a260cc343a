import Foundation
import ScrimFiles

/// The parts of `scrim denoise` (spectral engine) that the CLI and the C API's `scrim_denoise_buffer` share: the
/// report's envelope and learning a fixed noise profile from the input.
public enum DenoiseJob {
    /// The `scrim denoise --json` line for the spectral engine: the envelope with the report under `denoise`
    /// (``NoiseReductionReport/json(noiseSource:)``) and the file report under `file`.
    public static func envelope(_ report: NoiseReductionReport, source: String, file: FileJobResult) -> JSONValue {
        Envelope.make(command: "denoise", input: file.inputPath, output: file.outputPath, status: .done,
                      warnings: file.warnings, report: [
            ("denoise", report.json(noiseSource: source)),
            ("file", file.json),
        ])
    }

    /// Above this share of speech blocks a `--learn` range gets a warning. The dialogue gate is conservative (it
    /// hears 27 % speech in samples/dialogue_roomtone.wav, which talks for most of its 10 s, and 0 % in the room tone
    /// of every sample's lead-in); ranges of a few seconds across those lines measured 11–53 %, so a tenth.
    public static let speechWarningFraction = 0.10

    /// Measures a fixed noise profile from `input`: the frames `frames`, or (nil) its quietest 0.5 s.
    /// - Parameters:
    ///   - info: the input's description (opened by the caller, who checked `frames` against it).
    ///   - rangeText: the range as the user gave it, for the description and the warning ("0-1.5").
    ///   - flag: the option's name in the warning (`--learn`, `--range`, `"learn"`).
    /// - Returns: the profile, how it was learned ("learned from the quietest 0.5 s", "learned from 0-1.5") and a
    ///   `learnRangeHasSpeech` warning when the dialogue gate hears speech in more than
    ///   ``speechWarningFraction`` of the range.
    public static func learnProfile(
        input: String, info: AudioFileInfo, frames: Range<Int>?, rangeText: String, flag: String,
        isCancelled: () -> Bool = { false }, progress: ((Int, Int) -> Void)? = nil
    ) throws -> (profile: NoiseProfile, description: String, warnings: [JobWarning]) {
        let selection: NoiseProfiler.Selection
        let description: String
        var speechCheck: RangeAnalyzer?
        if let frames {
            selection = .frames(frames)
            description = "learned from \(rangeText)"
            let meter = LoudnessMeter(layout: LoudnessJob.layout(for: info), measureTruePeak: false,
                                      dialogueGating: true)
            speechCheck = RangeAnalyzer(range: frames, inner: meter)
        } else {
            selection = .quietest(durationFrames: Int((0.5 * Double(info.sampleRate)).rounded()))
            description = "learned from the quietest 0.5 s"
        }
        let profiler = NoiseProfiler(selection: selection)
        _ = try FileJob.analyze(input: input, analyzers: [profiler] + (speechCheck.map { [$0] } ?? []),
                                isCancelled: isCancelled, progress: progress)
        var warnings: [JobWarning] = []
        if let meter = speechCheck?.inner as? LoudnessMeter, meter.speechFraction > speechWarningFraction {
            warnings.append(JobWarning(.learnRangeHasSpeech, String(
                format: "the \(flag) range %@ sounds like dialogue (speech in %.0f %% of it): a profile of speech "
                    + "takes the voice away with the noise; choose room tone between lines, or \(flag) auto",
                rangeText, 100 * meter.speechFraction)))
        }
        return (try profiler.profile(), description, warnings)
    }
}

/// Feeds only the frames of `range` (stream positions, 0-based) to `inner`: a measurement of part of a file in the
/// same pass as the whole. Does not allocate.
public final class RangeAnalyzer: AudioAnalyzer {
    public let range: Range<Int>
    public let inner: any AudioAnalyzer
    private var position = 0

    public init(range: Range<Int>, inner: any AudioAnalyzer) {
        self.range = range
        self.inner = inner
    }

    public func prepare(for spec: ProcessSpec) throws {
        position = 0
        try inner.prepare(for: spec)
    }

    public func analyze(_ block: AudioBlock) {
        let start = max(position, range.lowerBound)
        let end = min(position + block.frameCount, range.upperBound)
        if start < end { inner.analyze(block.slice(from: start - position, count: end - start)) }
        position += block.frameCount
    }

    public func reset() {
        position = 0
        inner.reset()
    }
}

/// A START-END time range in seconds ("0-1.5", "1.2s-3s") or [h:]mm:ss[.fff] ("0:01-0:02.5").
public struct TimeRange: Sendable {
    public var startSeconds: Double
    public var endSeconds: Double

    public init?(parsing text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = Self.seconds(parts[0]), let end = Self.seconds(parts[1]),
              start >= 0, end > start else { return nil }
        startSeconds = start
        endSeconds = end
    }

    /// The frames of the range at `sampleRate` (start rounded down, end rounded up), cut to a file of
    /// `frameCount` frames; nil when the range starts at or after the end of the file. Any seconds value (up to
    /// 1e308) is safe: positions are compared as `Double` before any conversion to `Int`.
    public func frames(sampleRate: Double, within frameCount: Int) -> Range<Int>? {
        let start = (startSeconds * sampleRate).rounded(.down)
        let end = min((endSeconds * sampleRate).rounded(.up), Double(frameCount))
        guard start.isFinite, start < Double(frameCount), end > start else { return nil }
        return Int(start)..<Int(end)
    }

    /// The frames of the range when it lies wholly inside a file of `frameCount` frames (its end at most one
    /// frame past the file's: a range typed to the file's length in rounded seconds), else nil.
    public func frames(sampleRate: Double, within frameCount: Int, strict: Bool) -> Range<Int>? {
        guard !strict || endSeconds * sampleRate <= Double(frameCount) + 1 else { return nil }
        return frames(sampleRate: sampleRate, within: frameCount)
    }

    private static func seconds(_ text: Substring) -> Double? {
        var body = text.trimmingCharacters(in: .whitespaces)
        if body.hasSuffix("s") { body.removeLast() }
        var total = 0.0
        for field in body.split(separator: ":", omittingEmptySubsequences: false) {
            guard let value = Double(field), value.isFinite, value >= 0 else { return nil }
            total = total * 60 + value
        }
        return body.isEmpty ? nil : total
    }
}
