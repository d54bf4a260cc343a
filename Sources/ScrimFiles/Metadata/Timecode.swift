/// A SMPTE time-of-day timecode label: hours, minutes, seconds and frames, counted in whole frames at the
/// nominal rate (30 for 29.97), optionally with drop-frame numbering.
///
/// Drop-frame (SMPTE ST 12-1): at 29.97 fps the frame numbers 0 and 1 are skipped at the start of every
/// minute except minutes 0, 10, 20, 30, 40 and 50, so the label keeps pace with real time; at 59.94 fps
/// the numbers 0–3 are skipped. Drop-frame is only defined for those two rates; asked for at any other
/// rate, the label is counted non-drop and ``dropFrame`` is false.
public struct Timecode: Sendable, Hashable, CustomStringConvertible {
    public let hours: Int
    public let minutes: Int
    public let seconds: Int
    public let frames: Int
    /// True when the label uses drop-frame numbering (printed with ";" before the frames).
    public let dropFrame: Bool

    /// Creates a label from its fields.
    ///
    /// - Precondition: hours 0–23, minutes 0–59, seconds 0–59, frames ≥ 0 (the frame limit depends on the
    ///   rate, which this initializer does not know).
    public init(hours: Int, minutes: Int, seconds: Int, frames: Int, dropFrame: Bool = false) {
        precondition(
            (0..<24).contains(hours) && (0..<60).contains(minutes) && (0..<60).contains(seconds) && frames >= 0,
            "Timecode fields out of range: \(hours):\(minutes):\(seconds):\(frames)"
        )
        self.hours = hours
        self.minutes = minutes
        self.seconds = seconds
        self.frames = frames
        self.dropFrame = dropFrame
    }

    /// The label of the `frameCount`-th frame since midnight (frame 0 is 00:00:00:00), wrapping at 24 hours.
    ///
    /// - Parameters:
    ///   - frameCount: whole frames since midnight; values of a day or more wrap (modulo one 24-hour day of
    ///     labels: 2 160 000 at 25 fps, 2 589 408 at 29.97 drop-frame).
    ///   - rate: the frame rate; its ``FrameRate/nominalFramesPerSecond`` sets the frames per label second.
    ///   - dropFrame: use drop-frame numbering (honoured at 29.97 and 59.94 only; see the type's notes).
    public init(frameCount: UInt64, rate: FrameRate, dropFrame: Bool) {
        let nominal = rate.nominalFramesPerSecond
        let dropPerMinute = Self.droppedLabelsPerMinute(rate: rate, dropFrame: dropFrame)
        let labelsPerDay = UInt64(Self.labelsPerDay(nominal: nominal, dropPerMinute: dropPerMinute))
        var frame = Int(frameCount % labelsPerDay)
        if dropPerMinute > 0 {
            // Map the real frame count to the label count it would have without dropping: add back the
            // labels skipped so far. Per 10 minutes, 9 minutes each skip `dropPerMinute` labels.
            let labelsPerMinute = 60 * nominal - dropPerMinute  // 1798 at 29.97 DF
            let labelsPerTenMinutes = 10 * 60 * nominal - 9 * dropPerMinute  // 17982 at 29.97 DF
            let tens = frame / labelsPerTenMinutes
            let remainder = frame % labelsPerTenMinutes
            frame += 9 * dropPerMinute * tens
            if remainder >= dropPerMinute {
                frame += dropPerMinute * ((remainder - dropPerMinute) / labelsPerMinute)
            }
        }
        let totalSeconds = frame / nominal
        self.init(
            hours: totalSeconds / 3600,
            minutes: totalSeconds / 60 % 60,
            seconds: totalSeconds % 60,
            frames: frame % nominal,
            dropFrame: dropPerMinute > 0
        )
    }

    /// The label at a BWF `TimeReference`.
    ///
    /// `TimeReference` counts samples since midnight in real time (EBU Tech 3285); the frame count is
    /// floor(samples × rate / sampleRate), computed exactly in integers when `sampleRate` is a whole number
    /// (the usual case) and in `Double` otherwise. The label then wraps at 24 hours.
    ///
    /// - Parameters:
    ///   - samplesSinceMidnight: the `TimeReference`, in sample frames (one per channel).
    ///   - sampleRate: the file's sample rate in Hz (> 0).
    ///   - rate: the timecode frame rate.
    ///   - dropFrame: use drop-frame numbering (29.97 and 59.94 only).
    /// - Precondition: `sampleRate` is finite and ≥ 1 Hz.
    public init(samplesSinceMidnight: UInt64, sampleRate: Double, rate: FrameRate, dropFrame: Bool) {
        precondition(sampleRate.isFinite && sampleRate >= 1, "Timecode needs a sample rate ≥ 1 Hz; got \(sampleRate)")
        let nominal = rate.nominalFramesPerSecond
        let dropPerMinute = Self.droppedLabelsPerMinute(rate: rate, dropFrame: dropFrame)
        let labelsPerDay = UInt64(Self.labelsPerDay(nominal: nominal, dropPerMinute: dropPerMinute))
        let frameCount: UInt64
        if sampleRate == sampleRate.rounded(), sampleRate <= 1e9 {
            frameCount = Self.exactFrameCount(
                samples: samplesSinceMidnight, numerator: UInt64(rate.numerator),
                divisor: UInt64(rate.denominator) * UInt64(sampleRate), modulo: labelsPerDay
            )
        } else {
            // Finite: at most 2^64 samples × 1000 fps / 1 Hz ≈ 1.8e22 frames.
            let frames = (Double(samplesSinceMidnight) * rate.fps / sampleRate).rounded(.down)
            frameCount = UInt64(frames.truncatingRemainder(dividingBy: Double(labelsPerDay)))
        }
        self.init(frameCount: frameCount, rate: rate, dropFrame: dropFrame)
    }

    /// The frame count since midnight that this label names at `rate` (the inverse of
    /// ``init(frameCount:rate:dropFrame:)`` for counts under one day).
    public func frameCount(at rate: FrameRate) -> UInt64 {
        let nominal = rate.nominalFramesPerSecond
        let dropPerMinute = Self.droppedLabelsPerMinute(rate: rate, dropFrame: dropFrame)
        let totalMinutes = hours * 60 + minutes
        let labels = (totalMinutes * 60 + seconds) * nominal + frames
        let dropped = dropPerMinute * (totalMinutes - totalMinutes / 10)
        return UInt64(max(0, labels - dropped))
    }

    /// "HH:MM:SS:FF", or "HH:MM:SS;FF" for drop-frame.
    public var description: String {
        func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let separator = dropFrame ? ";" : ":"
        return "\(twoDigits(hours)):\(twoDigits(minutes)):\(twoDigits(seconds))\(separator)\(twoDigits(frames))"
    }

    // MARK: - Arithmetic

    /// Labels skipped per minute: 2 at 29.97 DF, 4 at 59.94 DF (SMPTE ST 12-1), otherwise 0.
    static func droppedLabelsPerMinute(rate: FrameRate, dropFrame: Bool) -> Int {
        guard dropFrame, rate.isNTSCFractional else { return 0 }
        switch rate.nominalFramesPerSecond {
        case 30: return 2
        case 60: return 4
        default: return 0
        }
    }

    /// Frames in one 24-hour day of labels: 24 × 3600 × nominal, less the dropped labels
    /// (24 × 6 × 9 minutes a day drop labels: 2 589 408 at 29.97 DF).
    static func labelsPerDay(nominal: Int, dropPerMinute: Int) -> Int {
        24 * 3600 * nominal - 24 * 6 * 9 * dropPerMinute
    }

    /// floor(samples × numerator / divisor) mod `modulo`, exact for all UInt64 samples.
    ///
    /// samples = q·divisor + r, so samples·n/divisor = q·n + r·n/divisor with r·n/divisor < n; the first term
    /// is reduced modulo `modulo` before multiplying (modulo < 2^32, so the product fits), the second is
    /// a full-width division whose quotient fits because r < divisor.
    static func exactFrameCount(samples: UInt64, numerator: UInt64, divisor: UInt64, modulo: UInt64) -> UInt64 {
        let (quotient, remainder) = samples.quotientAndRemainder(dividingBy: divisor)
        let whole = (quotient % modulo) * (numerator % modulo) % modulo
        let product = remainder.multipliedFullWidth(by: numerator)
        let (fraction, _) = divisor.dividingFullWidth(product)
        return (whole + fraction % modulo) % modulo
    }
}
