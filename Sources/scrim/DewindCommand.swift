import ArgumentParser
import Foundation
import Scrim

/// `scrim dewind IN -o OUT`: a rumble high-pass and wind-gust reduction.
struct DewindCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dewind",
        abstract: "Take out rumble (a high-pass) and reduce wind gusts in the low band only where they are.",
        discussion: """
            Two stages. The high-pass (--corner, default 80 Hz, 12 dB/octave) runs only where there is rumble \
            (--highpass auto, the default): a first pass over the input measures, per track, the broadband energy \
            below the corner that the voice does not explain (beyond a tenth of the power from twice the corner to \
            4 kHz, frame by frame; a voice's fundamental under the corner is a tone and does not count) against \
            the voice's energy, and a track with -28 dB or more is filtered (with --link, every track when any \
            is); a clean take is left as it is. --highpass always \
            filters every track without measuring, --highpass off never filters. The high-pass has the magnitude of a Butterworth filter of order slope/6, in linear phase by default (a zero-phase gain per \
            bin on an STFT, its latency compensated: the voice's waveform above the corner is kept) or, with \
            --phase minimum, as the IIR filter itself (no latency; the report gives its group delay). \
            The wind reducer finds gusts per track (the band below --band Hz rising far above its running floor \
            with a noise-like, fluctuating spectrum; on poly files also low coherence with the other tracks, as \
            wind is made at each capsule while a voice is heard by all) and lowers that band while they last, by \
            up to --reduction dB, with a smooth attack and release; a voice with no wind is left as it is (--no-wind \
            skips this stage). The report gives per track the share of the take in gusts, their number and the \
            deepest cut, and the high-pass decision with the rumble measured. The output is sample-aligned with the input (same length; bext/iXML pass through).
            """
    )

    @Argument(help: "Input audio file (never written).")
    var input: String

    @Option(name: [.customShort("o"), .customLong("output")],
            help: "Output file (- for standard output; the container follows the extension).")
    var output: String

    @Option(help: ArgumentHelp("When the high-pass runs: auto (default: only on tracks with rumble, measured in a "
                               + "first pass), always, or off. A number N is short for --highpass always --corner N.",
                               valueName: "auto|always|off"))
    var highpass = "auto"

    @Option(help: ArgumentHelp("High-pass corner in Hz, 10-1000 (default 80).", valueName: "hz"))
    var corner: Double?

    @Option(help: ArgumentHelp("High-pass slope in dB/octave: 6, 12 (default), 18, 24, ... 48.",
                               valueName: "dB/oct"))
    var slope = 12

    @Option(help: ArgumentHelp("High-pass phase: linear (default: zero phase, the STFT's latency compensated) or "
                               + "minimum (IIR, no latency).", valueName: "phase"))
    var phase: RumblePhase = .linear

    @Flag(name: .customLong("no-wind"), help: "Do not reduce wind gusts (high-pass only).")
    var noWind = false

    @Option(help: ArgumentHelp("Deepest wind cut in dB, 0-60 (default 24).", valueName: "dB"))
    var reduction: Double = 24

    @Option(help: ArgumentHelp("Top of the wind band in Hz, 100-1000 (default 250; cut tapers off to 1.5 x this).",
                               valueName: "hz"))
    var band: Double = 250

    @Flag(help: "One wind cut for all tracks (a stereo pair); default: each track on its own.")
    var link = false

    @Flag(help: "Replace the output file if it exists.")
    var overwrite = false

    @OptionGroup var sampleFormat: SampleFormatOption

    @Flag(help: "Print one JSON object (keys in Sources/scrim/README.md).")
    var json = false

    /// `--highpass`'s word, lowercased, or the corner it gives (a number: the older form).
    private var highpassWord: String { highpass.lowercased() }
    private var highpassNumber: Double? { Double(highpass) }

    /// The stage these options ask for.
    var stage: WindStage {
        let off = highpassWord == "off"
        let hertz = highpassNumber ?? corner ?? 80
        let mode: HighpassMode = highpassWord == "auto" ? .auto : .always
        return WindStage(highpassHertz: off ? nil : hertz, slopeDecibelsPerOctave: slope, highpassPhase: phase,
                         reduceWind: !noWind, reductionDecibels: reduction, bandHertz: band,
                         channelLinking: link ? .linked : .independent, highpassMode: mode)
    }

    func validate() throws {
        if let hz = highpassNumber {
            guard hz.isFinite, (10...1000).contains(hz) else {
                throw ValidationError("--highpass \(highpass): use auto, always, off, or a corner from 10 to 1000 Hz")
            }
            if corner != nil {
                throw ValidationError("--highpass \(highpass) with --corner: give the corner once (--highpass always "
                                      + "--corner \(highpass))")
            }
        } else if !["auto", "always", "off"].contains(highpassWord) {
            throw ValidationError("--highpass \(highpass): use auto (default), always or off")
        }
        if let corner {
            guard corner.isFinite, (10...1000).contains(corner) else {
                throw ValidationError("--corner \(corner): use 10 to 1000 Hz, e.g. 80")
            }
            if highpassWord == "off" {
                throw ValidationError("--corner with --highpass off: there is no high-pass")
            }
        }
        guard RumbleFilterSettings.slopes.contains(slope) else {
            throw ValidationError("--slope \(slope): use 6, 12, 18, 24, 30, 36, 42 or 48 dB/octave")
        }
        guard reduction.isFinite, (0...60).contains(reduction) else {
            throw ValidationError("--reduction \(reduction): use 0 to 60 dB")
        }
        guard band.isFinite, (100...1000).contains(band) else {
            throw ValidationError("--band \(band): use 100 to 1000 Hz")
        }
        if highpassWord == "off" && noWind {
            throw ValidationError("--highpass off with --no-wind leaves nothing to do")
        }
        try OutputTarget.check(output, json: json)
    }

    func run() throws {
        try runWritingCommand(command: "dewind", input: input, output: output, json: json) { paths in
            try runJob(paths)
        }
    }

    private func runJob(_ paths: JobPaths) throws {
        let stage = stage
        let progress = TerminalProgress("dewind \(paths.displayInput)", passes: stage.detectsRumble ? 2 : 1)
        defer { progress.finish() }
        var options = FileJobOptions(overwrite: overwrite, codingHistoryText: "Scrim \(scrimVersion) dewind",
                                     bits: sampleFormat.bits)
        options.progress = progress.callback
        // --highpass auto: the detection pass reads the input first (the decision is made before anything is
        // written), then the chosen stages run in the second.
        let rumble = try stage.detectRumble(input: paths.input, blockFrames: options.blockFrames,
                                            isCancelled: { Interruption.requested }, progress: progress.callback)
        var processors: WindStageProcessors?
        var result = try FileJob.process(input: paths.input, output: paths.output, options: options,
                                         isCancelled: { Interruption.requested }) { _ in
            let made = stage.makeProcessors(rumble: rumble?.detections)
            processors = made
            return ProcessorChain(made.stages)
        }
        result.inputPath = paths.displayInput
        result.outputPath = paths.displayOutput
        progress.finish()
        let wind = processors?.result(sampleRate: Double(result.input.sampleRate))
            ?? WindStageResult(highpass: nil, wind: nil)
        if json {
            print(Envelope.make(command: "dewind", input: result.inputPath, output: result.outputPath, status: .done,
                                warnings: result.warnings,
                                report: [("wind", wind.json), ("file", result.json)]).serialized())
        } else {
            var lines = ["\(result.inputPath) -> \(result.outputPath)"] + wind.lines
            lines += fileNoteLines(result)
            lines.append(String(format: "  speed      %.0fx real time", result.realTimeFactor))
            print(lines.joined(separator: "\n"))
        }
    }
}

extension RumblePhase: ExpressibleByArgument {}
