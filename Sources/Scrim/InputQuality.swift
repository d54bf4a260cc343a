import Foundation
import ScrimFiles

/// The per-track quality control of an input (``TrackQualityMeter``'s measurement, the invalid samples zeroed per
/// track) and the warnings Scrim draws from it: the `qc` object of `scrim analyze` and of `process` reports.
public struct InputQuality: Sendable, Equatable {
    /// Whole-track RMS under which a track that is not dead is called silent, dBFS. Dialogue averages −40 to
    /// −20 dBFS RMS and a track of room tone alone −70 to −60; under −80 dBFS (21 dB over the 16-bit quantisation
    /// floor of −101 dBFS RMS) a track carries nothing but electronic noise: an input left unplugged or muted.
    public static let silentTrackDecibels: DecibelsFullScale = -80
    /// DC offset at or above which a track gets a warning, dBFS. Converters with a DC-blocking filter leave well
    /// under −60 dBFS; at −40 dBFS (1 % of full scale) a cut or a fade of the track steps by 1 % of full scale,
    /// an audible click, and the offset eats 0.09 dB of headroom.
    public static let dcOffsetDecibels: DecibelsFullScale = -40

    /// What the meter measured.
    public var report: TrackQualityReport
    /// Invalid samples (NaN, ±Inf, beyond ±10⁶) zeroed per track.
    public var invalidSamples: [Int]
    public var sampleRate: Double
    /// Hum per track (``TrackHumDetector``), when measured (`scrim analyze`); nil in `process` and `batch`.
    public var hum: [HumDetection]?

    public init(report: TrackQualityReport, invalidSamples: [Int], sampleRate: Double, hum: [HumDetection]? = nil) {
        self.report = report
        self.invalidSamples = invalidSamples
        self.sampleRate = sampleRate
        self.hum = hum
    }

    /// The meter for a file: its clip edge test follows the file's integer sample width (floating point as 24-bit).
    /// - Parameter measuresTruePeak: false when a ``LoudnessMeter`` in the same pass measures the true peaks
    ///   (``filling(truePeaks:)``).
    public static func meter(for info: AudioFileInfo, measuresTruePeak: Bool = true) -> TrackQualityMeter {
        let bits: Int?
        switch info.sampleFormat {
        case .float32, .float64, .other: bits = nil
        default: bits = info.sampleFormat.bitsPerSample
        }
        return TrackQualityMeter(bitsPerSample: bits, measuresTruePeak: measuresTruePeak)
    }

    /// The same, with each track's true peak taken from `truePeaks` (dBTP, channel order) where the meter left it
    /// nil.
    public func filling(truePeaks: [DecibelsTruePeak]) -> InputQuality {
        var copy = self
        for c in copy.report.tracks.indices where copy.report.tracks[c].truePeak == nil && c < truePeaks.count {
            copy.report.tracks[c].truePeak = truePeaks[c]
        }
        return copy
    }

    /// The measurement of a meter that has been fed a whole file.
    public init(meter: TrackQualityMeter, sampleRate: Double, hum: [HumDetection]? = nil) {
        self.init(report: meter.finish(), invalidSamples: meter.invalidSampleCounts, sampleRate: sampleRate, hum: hum)
    }

    /// The warnings, track by track, then the inverted pairs. A dead track gets only its own warning.
    public var warnings: [JobWarning] {
        var list: [JobWarning] = []
        for (index, track) in report.tracks.enumerated() {
            let number = index + 1
            let invalid = index < invalidSamples.count ? invalidSamples[index] : 0
            if invalid > 0 {
                list.append(JobWarning(.invalidSamples, "track \(number): \(invalid) invalid samples (NaN, ±Inf or "
                                       + "beyond ±1e6) set to 0", track: number))
            }
            if track.isDead {
                list.append(JobWarning(.deadTrack, "track \(number) is dead (digital silence)", track: number))
                continue
            }
            if track.clippedRunCount > 0, let level = track.clipLevel {
                list.append(JobWarning(.clipping, String(
                    format: "track %d is clipped: %d runs (%.3f s) flattened at %.2f dBFS%@", number,
                    track.clippedRunCount, Double(track.clippedFrameCount) / sampleRate, level,
                    level < -0.1 ? " (below full scale: a converter or a limiter clipped)" : ""), track: number))
            }
            if track.rms < Self.silentTrackDecibels {
                list.append(JobWarning(.silentTrack, String(
                    format: "track %d is silent: %.1f dBFS RMS over the take (under %.0f dBFS)", number, track.rms,
                    Self.silentTrackDecibels), track: number))
            }
            if track.dcOffset >= Self.dcOffsetDecibels {
                list.append(JobWarning(.dcOffset, String(
                    format: "track %d has a DC offset of %.1f dBFS (%.0f dBFS or more: cuts and fades will click)",
                    number, track.dcOffset, Self.dcOffsetDecibels), track: number))
            }
        }
        for pair in report.polarityInversions {
            list.append(JobWarning(.polarityInverted, String(
                format: "tracks %d and %d are in opposite polarity (correlation %.2f over %.1f s at speech level): "
                    + "one of them is probably wired or set inverted", pair.first + 1, pair.second + 1,
                pair.correlation, pair.measuredSeconds), track: pair.second + 1))
        }
        return list
    }

    /// `{"tracks": [...], "polarityInversions": [...]}` (keys in Sources/scrim/README.md).
    public var json: JSONValue {
        .object([
            ("tracks", .array(report.tracks.enumerated().map { index, track in
                .object([
                    ("track", .int(Int64(index + 1))),
                    ("samplePeakDbfs", .rounded(track.samplePeak, places: 2)),
                    ("truePeakDbtp", .rounded(track.truePeak, places: 2)),
                    ("rmsDbfs", .rounded(track.rms, places: 2)),
                    ("noiseFloorDbfs", .rounded(track.noiseFloor, places: 2)),
                    ("dcOffsetDbfs", .rounded(track.dcOffset, places: 2)),
                    ("dead", .bool(track.isDead)),
                    ("silent", .bool(!track.isDead && track.rms < Self.silentTrackDecibels)),
                    ("clipping", .object([
                        ("runs", .int(Int64(track.clippedRunCount))),
                        ("clippedFrames", .int(Int64(track.clippedFrameCount))),
                        ("clippedSeconds", .rounded(Double(track.clippedFrameCount) / sampleRate, places: 6)),
                        ("levelDbfs", .rounded(track.clipLevel, places: 2)),
                    ])),
                    ("invalidSamplesZeroed", .int(Int64(index < invalidSamples.count ? invalidSamples[index] : 0))),
                    ("hum", hum.flatMap { index < $0.count ? $0[index].json : nil } ?? .null),
                ])
            })),
            ("polarityInversions", .array(report.polarityInversions.map { pair in
                .object([
                    ("tracks", .array([.int(Int64(pair.first + 1)), .int(Int64(pair.second + 1))])),
                    ("correlation", .rounded(pair.correlation, places: 3)),
                    ("measuredSeconds", .rounded(pair.measuredSeconds, places: 1)),
                ])
            })),
        ])
    }

    /// One text line per track and per inverted pair, for the text reports.
    public var lines: [String] {
        var out: [String] = []
        func db(_ value: Double?) -> String {
            guard let value, value.isFinite else { return "-inf" }
            return String(format: "%.1f", value)
        }
        for (index, track) in report.tracks.enumerated() {
            var text = "track \(index + 1): "
            if track.isDead {
                text += "dead (digital silence)"
            } else {
                text += "peak \(db(track.samplePeak)) dBFS (\(db(track.truePeak)) dBTP), RMS \(db(track.rms)), "
                    + "floor \(db(track.noiseFloor)), DC \(db(track.dcOffset)) dBFS"
                if track.clippedRunCount > 0 {
                    text += String(format: ", clipped %d runs %.3f s at %@ dBFS", track.clippedRunCount,
                                   Double(track.clippedFrameCount) / sampleRate, db(track.clipLevel))
                }
                if let hum, index < hum.count, hum[index].isPresent, let f0 = hum[index].fundamentalHertz {
                    text += String(format: ", hum %.2f Hz %@ dB re signal", f0, db(hum[index].humToSignalDecibels))
                }
            }
            out.append(text)
        }
        for pair in report.polarityInversions {
            out.append(String(format: "tracks %d and %d: opposite polarity (correlation %.2f)", pair.first + 1,
                              pair.second + 1, pair.correlation))
        }
        return out
    }
}

/// Hum per track: one ``HumDetector`` per channel, each fed its channel alone (`scrim analyze`; the file-level
/// detector links the channels). Costs about what the linked detector costs again (its FFTs are per channel too).
///
/// `prepare` allocates; `analyze` does not. Not thread-safe.
public final class TrackHumDetector: AudioAnalyzer {
    private var detectors: [HumDetector] = []
    /// One channel pointer, re-pointed for each channel's view.
    private let table: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    private let placeholder: UnsafeMutablePointer<Float>

    public init() {
        placeholder = .allocate(capacity: 1)
        placeholder.initialize(to: 0)
        table = .allocate(capacity: 1)
        table.initialize(to: placeholder)
    }

    deinit {
        table.deallocate()
        placeholder.deallocate()
    }

    public func prepare(for spec: ProcessSpec) throws {
        detectors = (0..<spec.channelCount).map { _ in HumDetector(configuration: HumDetectorConfiguration()) }
        let mono = ProcessSpec(sampleRate: spec.sampleRate, channelCount: 1,
                               maximumBlockFrames: spec.maximumBlockFrames)
        for detector in detectors { try detector.prepare(for: mono) }
    }

    public func analyze(_ block: AudioBlock) {
        for (c, detector) in detectors.enumerated() {
            guard let base = block.channel(c).baseAddress else { continue }
            table.pointee = base
            detector.analyze(AudioBlock(channels: table, channelCount: 1, frameCount: block.frameCount))
        }
    }

    public func reset() {
        for detector in detectors { detector.reset() }
    }

    /// Each track's detection, in channel order.
    public func finish() -> [HumDetection] { detectors.map { $0.finish() } }
}
