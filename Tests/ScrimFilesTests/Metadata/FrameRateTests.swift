import Testing
@testable import ScrimFiles

@Suite struct FrameRateTests {
    @Test(arguments: [
        ("24000/1001", FrameRate.fps23_976),
        ("48000/2002", FrameRate.fps23_976),  // reduced to lowest terms
        ("23.976", FrameRate.fps23_976),
        ("23.98", FrameRate.fps23_976),
        ("25/1", FrameRate.fps25),
        ("25", FrameRate.fps25),
        (" 25.0 \n", FrameRate.fps25),
        ("30000/1001", FrameRate.fps29_97),
        ("29.97", FrameRate.fps29_97),
        ("59.94", FrameRate.fps59_94),
        ("47.952", FrameRate.fps47_952),
        ("60/1", FrameRate.fps60),
        ("12.5", FrameRate(numerator: 25, denominator: 2)),
    ])
    func parsesFractionsAndDecimals(text: String, expected: FrameRate) throws {
        #expect(try FrameRate(parsing: text) == expected)
    }

    @Test(arguments: ["", "abc", "0", "0/1", "25/0", "-25", "1/2", "0.5", "2000", "29.97.1", "1e3", "25/", "/1",
                      "24000/1001/1", "99999999999/1", "23.9760000001"])
    func rejectsNonsense(text: String) {
        #expect(throws: MetadataError.self) { try FrameRate(parsing: text) }
    }

    @Test func nominalRatesAndFps() {
        #expect(FrameRate.fps23_976.nominalFramesPerSecond == 24)
        #expect(FrameRate.fps25.nominalFramesPerSecond == 25)
        #expect(FrameRate.fps29_97.nominalFramesPerSecond == 30)
        #expect(FrameRate.fps47_952.nominalFramesPerSecond == 48)
        #expect(FrameRate.fps50.nominalFramesPerSecond == 50)
        #expect(FrameRate.fps59_94.nominalFramesPerSecond == 60)
        // 24000/1001 = 23.976023976…; Double holds it to ~1e-15 relative, 1e-12 is loose enough.
        #expect(abs(FrameRate.fps23_976.fps - 23.976_023_976_023_976) < 1e-12)
        #expect(FrameRate.fps29_97.isNTSCFractional && !FrameRate.fps25.isNTSCFractional)
        #expect(FrameRate.fps23_976.description == "24000/1001")
    }
}
