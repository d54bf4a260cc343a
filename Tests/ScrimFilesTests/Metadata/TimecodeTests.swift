import Testing
@testable import ScrimFiles

@Suite struct TimecodeTests {
    @Test func oneHourAt25FpsFrom48kTimeReference() {
        // 48000 × 3600 samples = 3600 s; × 25 fps = 90 000 frames = 3600 s of labels → 01:00:00:00.
        let timecode = Timecode(samplesSinceMidnight: 48000 * 3600, sampleRate: 48000, rate: .fps25, dropFrame: false)
        #expect(timecode.description == "01:00:00:00")
        #expect(timecode == Timecode(hours: 1, minutes: 0, seconds: 0, frames: 0))
    }

    @Test func fractionalSamplesRoundDown() {
        // 1919 samples at 48 kHz, 25 fps: 1919 × 25 / 48000 = 0.9995 frames → frame 0; 1920 samples → frame 1.
        #expect(Timecode(samplesSinceMidnight: 1919, sampleRate: 48000, rate: .fps25, dropFrame: false)
            .description == "00:00:00:00")
        #expect(Timecode(samplesSinceMidnight: 1920, sampleRate: 48000, rate: .fps25, dropFrame: false)
            .description == "00:00:00:01")
    }

    @Test func twentyThreeNineSevenSixNonDrop() {
        // One real hour at 23.976: 3600 × 24000/1001 = 86 313.69 frames → frame 86 313.
        // 86 313 = 3596 × 24 + 9 → 3596 s = 59 min 56 s → 00:59:56:09 (NDF labels run 3.6 s slow per hour).
        let realHour = Timecode(samplesSinceMidnight: 48000 * 3600, sampleRate: 48000, rate: .fps23_976,
                                dropFrame: false)
        #expect(realHour.description == "00:59:56:09")
        // Label 01:00:00:00 is frame 86 400, which starts at 86 400 × 1001/24000 s = 3603.6 s
        // = 3603.6 × 48000 = 172 972 800 samples exactly; one sample earlier is still frame 86 399 = 00:59:59:23.
        #expect(Timecode(samplesSinceMidnight: 172_972_800, sampleRate: 48000, rate: .fps23_976, dropFrame: false)
            .description == "01:00:00:00")
        #expect(Timecode(samplesSinceMidnight: 172_972_799, sampleRate: 48000, rate: .fps23_976, dropFrame: false)
            .description == "00:59:59:23")
    }

    @Test(arguments: [
        // 29.97 DF: labels ;00 and ;01 are skipped each minute except every tenth. 1798 labels per dropping
        // minute (60 × 30 − 2), 17 982 per ten minutes (10 × 1800 − 9 × 2).
        (0, "00:00:00;00"),
        (1799, "00:00:59;29"),  // last frame of minute 0 (minute 0 keeps all 1800 labels)
        (1800, "00:01:00;02"),  // first frame of minute 1: ;00 and ;01 dropped
        (3597, "00:01:59;29"),  // 1800 + 1798 − 1
        (3598, "00:02:00;02"),  // 1800 + 1798
        (17_981, "00:09:59;29"),
        (17_982, "00:10:00;00"),  // minute 10 keeps its ;00
        (17_982 + 1800, "00:11:00;02"),
        (107_892, "01:00:00;00"),  // 6 × 17 982
    ])
    func dropFrame2997AroundMinuteBoundaries(frame: Int, expected: String) {
        let timecode = Timecode(frameCount: UInt64(frame), rate: .fps29_97, dropFrame: true)
        #expect(timecode.description == expected)
        #expect(timecode.frameCount(at: .fps29_97) == UInt64(frame))
    }

    @Test(arguments: [
        // 59.94 DF drops ;00–;03: 3596 labels per dropping minute, 35 964 per ten minutes.
        (3599, "00:00:59;59"),
        (3600, "00:01:00;04"),
        (35_963, "00:09:59;59"),
        (35_964, "00:10:00;00"),
    ])
    func dropFrame5994(frame: Int, expected: String) {
        #expect(Timecode(frameCount: UInt64(frame), rate: .fps59_94, dropFrame: true).description == expected)
    }

    @Test func dropFrameRealHourFromSamples() {
        // One real hour at 29.97: 3600 × 30000/1001 = 107 892.1 frames → frame 107 892 → 01:00:00;00,
        // which is what drop-frame is for.
        let timecode = Timecode(samplesSinceMidnight: 48000 * 3600, sampleRate: 48000, rate: .fps29_97,
                                dropFrame: true)
        #expect(timecode.description == "01:00:00;00")
        #expect(timecode.dropFrame)
    }

    @Test func dropFrameLabelsRoundTripAndNeverShowDroppedNumbers() {
        // Every frame of two hours: the label converts back to the same frame, labels strictly increase,
        // and no label at second 0 of a minute not divisible by 10 has frames 0 or 1.
        var previous: Timecode?
        for frame in 0..<(2 * 107_892) {
            let timecode = Timecode(frameCount: UInt64(frame), rate: .fps29_97, dropFrame: true)
            #expect(timecode.frameCount(at: .fps29_97) == UInt64(frame))
            if timecode.seconds == 0, timecode.minutes % 10 != 0 { #expect(timecode.frames >= 2) }
            #expect(timecode.frames < 30)
            if let previous {
                let before = [previous.hours, previous.minutes, previous.seconds, previous.frames]
                let after = [timecode.hours, timecode.minutes, timecode.seconds, timecode.frames]
                #expect(before.lexicographicallyPrecedes(after))
            }
            previous = timecode
        }
    }

    @Test func wrapsAt24Hours() {
        // 24 h at 25 fps is 2 160 000 labels; one day plus one second of samples → 00:00:01:00.
        #expect(Timecode(samplesSinceMidnight: 48000 * (86400 + 1), sampleRate: 48000, rate: .fps25,
                         dropFrame: false).description == "00:00:01:00")
        // 24 h of 29.97 DF labels is 24 × 107 892 = 2 589 408 frames.
        #expect(Timecode(frameCount: 2_589_408 + 1800, rate: .fps29_97, dropFrame: true).description
            == "00:01:00;02")
        // Largest TimeReference: floor((2^64 − 1) × 25 / 48000) = 9 607 679 205 057 058 frames;
        // mod 2 160 000 = 2 097 058 = 83 882 s + 8 frames = 23:18:02:08 (exact integer arithmetic, no overflow).
        #expect(Timecode(samplesSinceMidnight: .max, sampleRate: 48000, rate: .fps25, dropFrame: false)
            .description == "23:18:02:08")
    }

    @Test func nonWholeSampleRateUsesFloatingPoint() {
        // 44 100.5 Hz × 3600 s = 158 761 800 samples; × 25 / 44 100.5 = 90 000 frames exactly.
        #expect(Timecode(samplesSinceMidnight: 158_761_800, sampleRate: 44100.5, rate: .fps25, dropFrame: false)
            .description == "01:00:00:00")
    }

    @Test func dropFrameAtRatesWithoutItCountsNonDrop() {
        let timecode = Timecode(frameCount: 1500, rate: .fps25, dropFrame: true)
        #expect(timecode.description == "00:01:00:00")
        #expect(!timecode.dropFrame)
        // 30 fps (not 29.97) has no drop-frame either: frame 1800 is exactly one minute.
        #expect(Timecode(frameCount: 1800, rate: .fps30, dropFrame: true).description == "00:01:00:00")
    }
}
