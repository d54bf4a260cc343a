import Testing
@testable import ScrimFiles

/// Builds bext chunk data by writing each field at its EBU Tech 3285 offset, independently of the
/// serializer under test.
private func handMadeBext(
    description: [UInt8] = Array("Scene 12 take 3".utf8),
    originator: [UInt8] = Array("RecorderX".utf8),
    originatorReference: [UInt8] = Array("USID0001".utf8),
    date: [UInt8] = Array("2024-05-17".utf8),
    time: [UInt8] = Array("14:03:59".utf8),
    timeReferenceLow: UInt32 = 0,
    timeReferenceHigh: UInt32 = 0,
    version: UInt16 = 2,
    umid: [UInt8] = [],
    loudness: [Int16] = [0x7FFF, 0x7FFF, 0x7FFF, 0x7FFF, 0x7FFF],
    reservedFill: UInt8 = 0,
    history: [UInt8] = []
) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: 602)
    func put(_ field: [UInt8], _ offset: Int) { for (i, b) in field.enumerated() { bytes[offset + i] = b } }
    func putLE(_ value: UInt64, _ offset: Int, _ count: Int) {
        for i in 0..<count { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }
    put(description, 0)
    put(originator, 256)
    put(originatorReference, 288)
    put(date, 320)
    put(time, 330)
    putLE(UInt64(timeReferenceLow), 338, 4)
    putLE(UInt64(timeReferenceHigh), 342, 4)
    putLE(UInt64(version), 346, 2)
    put(umid, 348)
    for (i, value) in loudness.enumerated() { putLE(UInt64(UInt16(bitPattern: value)), 412 + 2 * i, 2) }
    for i in 422..<602 { bytes[i] = reservedFill }
    return bytes + history
}

@Suite struct BroadcastExtensionTests {
    @Test func readsEveryFieldAtItsOffset() throws {
        let umid = (0..<64).map { UInt8($0 + 1) }
        // TimeReference = 0x0000_0002_0000_0010 = 2 × 2^32 + 16 = 8 589 934 608 sample frames.
        let data = handMadeBext(
            timeReferenceLow: 16, timeReferenceHigh: 2, version: 2, umid: umid,
            loudness: [-2300, 750, -100, -1520, -1890],
            history: Array("A=PCM,F=48000,W=24,M=mono,T=RecorderX\r\n".utf8)
        )
        let bext = try BroadcastExtension(chunkData: data)
        #expect(bext.description == "Scene 12 take 3")
        #expect(bext.originator == "RecorderX")
        #expect(bext.originatorReference == "USID0001")
        #expect(bext.originationDate == "2024-05-17")
        #expect(bext.originationTime == "14:03:59")
        #expect(bext.timeReference == 8_589_934_608)
        #expect(bext.version == 2)
        #expect(bext.umid == umid)
        // Stored as round(100 × value): −2300 → −23.00 LUFS, 750 → 7.50 LU, −100 → −1.00 dBTP.
        #expect(bext.loudnessValue == -23.0)
        #expect(bext.loudnessRange == 7.5)
        #expect(bext.maxTruePeakLevel == -1.0)
        #expect(bext.maxMomentaryLoudness == -15.2)
        #expect(bext.maxShortTermLoudness == -18.9)
        #expect(bext.reserved == [UInt8](repeating: 0, count: 180))
        #expect(bext.codingHistory == "A=PCM,F=48000,W=24,M=mono,T=RecorderX\r\n")
        #expect(bext.rawBytes == data)
    }

    @Test func fullWidthTextFieldsHaveNoNUL() throws {
        let description = [UInt8](repeating: UInt8(ascii: "d"), count: 256)
        let originator = [UInt8](repeating: UInt8(ascii: "o"), count: 32)
        let bext = try BroadcastExtension(chunkData: handMadeBext(description: description, originator: originator))
        #expect(bext.description.utf8.count == 256)
        #expect(bext.originator.utf8.count == 32)
        #expect(bext.originatorReference == "USID0001")  // the next field is not run into
    }

    @Test func loudnessIsNilWhenNotSetOrBeforeVersion2() throws {
        let notSet = try BroadcastExtension(chunkData: handMadeBext(loudness: [0x7FFF, 500, 0x7FFF, 0x7FFF, 0]))
        #expect(notSet.loudnessValue == nil)
        #expect(notSet.loudnessRange == 5.0)
        #expect(notSet.maxShortTermLoudness == 0.0)  // 0 is a real value, not "unset"
        let version1 = try BroadcastExtension(chunkData: handMadeBext(version: 1, loudness: [-2300, 1, 2, 3, 4]))
        #expect(version1.loudnessValue == nil && version1.loudnessRange == nil && version1.maxTruePeakLevel == nil)
        #expect(version1.maxMomentaryLoudness == nil && version1.maxShortTermLoudness == nil)
    }

    @Test(arguments: [0, 1, 100, 412, 601])
    func rejectsChunksShorterThanTheFixedPart(count: Int) {
        let data = Array(handMadeBext().prefix(count))
        #expect {
            try BroadcastExtension(chunkData: data)
        } throws: { error in
            (error as? MetadataError)?.code == .truncatedChunk
        }
    }

    @Test func acceptsOddSizesAndNoHistory() throws {
        let exact = try BroadcastExtension(chunkData: handMadeBext())
        #expect(exact.codingHistory.isEmpty)
        let odd = handMadeBext(history: Array("abc\r\n".utf8))  // 607 bytes
        #expect(odd.count % 2 == 1)
        #expect(try BroadcastExtension(chunkData: odd).codingHistory == "abc\r\n")
    }

    @Test func historyStopsAtNULPadding() throws {
        let data = handMadeBext(history: Array("X=1\r\n".utf8) + [0, 0, 0, 0x41])
        #expect(try BroadcastExtension(chunkData: data).codingHistory == "X=1\r\n")
    }

    @Test func fieldInitializerRoundTrips() throws {
        let bext = try BroadcastExtension(
            description: "Boom + lavs", originator: "Scrim", originatorReference: "REF",
            originationDate: "2025-01-02", originationTime: "03:04:05", timeReference: 48000 * 3600 + 7,
            version: 2, umid: [1, 2, 3], loudnessValue: -23.0, loudnessRange: nil, maxTruePeakLevel: -1.04,
            maxMomentaryLoudness: -10, maxShortTermLoudness: -327.68,
            codingHistory: "A=PCM,F=48000,W=24,M=stereo,T=Scrim\r\n"
        )
        #expect(bext.rawBytes.count == 602 + 37)
        #expect(bext.serialized() == bext.rawBytes)
        #expect(try BroadcastExtension(chunkData: bext.serialized()) == bext)
        #expect(bext.timeReference == 172_800_007)
        #expect(bext.umid == [1, 2, 3] + [UInt8](repeating: 0, count: 61))
        #expect(bext.loudnessValue == -23.0)
        #expect(bext.loudnessRange == nil)
        #expect(bext.maxTruePeakLevel == -1.04)  // −104 hundredths
        #expect(bext.maxShortTermLoudness == -327.68)
        // Independent check of the layout: TimeReference low word at 338, "not set" 0x7FFF at 414.
        #expect(Array(bext.rawBytes[338..<342]) == [0x07, 0xB8, 0x4C, 0x0A])  // 172 800 007 = 0x0A4C_B807
        #expect(Array(bext.rawBytes[414..<416]) == [0xFF, 0x7F])
        #expect(Array(bext.rawBytes[412..<414]) == [0x04, 0xF7])  // −2300 = 0xF704
    }

    @Test func fieldInitializerRejectsWhatDoesNotFit() {
        func code(_ build: () throws -> BroadcastExtension) -> MetadataError.Code? {
            do { _ = try build(); return nil } catch { return (error as? MetadataError)?.code }
        }
        #expect(code { try BroadcastExtension(description: String(repeating: "x", count: 257)) } == .invalidValue)
        #expect(code { try BroadcastExtension(originationDate: "2025-01-02T") } == .invalidValue)
        #expect(code { try BroadcastExtension(umid: [UInt8](repeating: 1, count: 65)) } == .invalidValue)
        #expect(code { try BroadcastExtension(version: 1, loudnessValue: -23) } == .invalidValue)
        #expect(code { try BroadcastExtension(loudnessValue: 327.67) } == .invalidValue)  // would be 0x7FFF
        #expect(code { try BroadcastExtension(loudnessRange: -400) } == .invalidValue)
        #expect(code { try BroadcastExtension(maxTruePeakLevel: .nan) } == .invalidValue)
        #expect(code { try BroadcastExtension(description: String(repeating: "x", count: 256)) } == nil)
    }

    @Test func version0ZeroesUMIDAndLoudness() throws {
        let bext = try BroadcastExtension(version: 0, umid: [9, 9, 9])
        #expect(bext.rawBytes[348..<422].allSatisfy { $0 == 0 })
        #expect(bext.version == 0)
    }

    // MARK: - Coding history

    private static let newLine = "A=PCM,F=48000,W=24,M=mono,T=Scrim 0.1.0"

    @Test(arguments: [
        ("A=PCM,F=48000,W=24,M=mono,T=Rec\r\n", "A=PCM,F=48000,W=24,M=mono,T=Rec\r\n"),
        ("A=PCM,F=48000", "A=PCM,F=48000\r\n"),  // unterminated: CR LF inserted first
        ("X\r\n", "X\r\n"),
        ("", ""),
        ("X\n", "X\n"),  // a bare LF already ends the line
        ("X\r", "X\r\n"),  // a lone CR is completed to CR LF
    ])
    func appendsOneLineAfterTheHistory(existing: String, kept: String) throws {
        let data = handMadeBext(reservedFill: 0xA5, history: Array(existing.utf8))
        let original = try BroadcastExtension(chunkData: data)
        let appended = original.appendingCodingHistory(Self.newLine)
        #expect(Array(appended[0..<602]) == Array(original.rawBytes[0..<602]))  // nothing else changes
        #expect(Array(appended[602...]) == Array((kept + Self.newLine + "\r\n").utf8))
        let reread = try BroadcastExtension(chunkData: appended)
        #expect(reread.description == original.description && reread.reserved == original.reserved)
    }

    @Test func appendingStripsNULPadding() throws {
        let original = try BroadcastExtension(chunkData: handMadeBext(history: Array("X\r\n".utf8) + [0, 0, 0, 0, 0]))
        let appended = original.appendingCodingHistory("Y")
        #expect(Array(appended[602...]) == Array("X\r\nY\r\n".utf8))
        // Padding with no history before it.
        let padded = try BroadcastExtension(chunkData: handMadeBext(history: [0, 0, 0]))
        #expect(Array(padded.appendingCodingHistory("Y")[602...]) == Array("Y\r\n".utf8))
    }

    @Test func appendedLineCannotBreakTheLineStructure() throws {
        let original = try BroadcastExtension(chunkData: handMadeBext())
        #expect(Array(original.appendingCodingHistory("a\r\nb\0c\r\n")[602...]) == Array("a  b c\r\n".utf8))
    }

    @Test func codingHistoryLineFollowsR98() {
        let line = BroadcastExtension.codingHistoryLine
        #expect(line(48000, 24, 1, "Scrim 0.1.0") == "A=PCM,F=48000,W=24,M=mono,T=Scrim 0.1.0")
        #expect(line(96000, 32, 2, "x") == "A=PCM,F=96000,W=32,M=stereo,T=x")
        // Over two channels: "<n>chn" (R 98 has no mode for it); commas and line breaks cannot leak into T=.
        #expect(line(48000, 24, 8, "denoise, dehum\r\n") == "A=PCM,F=48000,W=24,M=8chn,T=denoise; dehum ")
    }

    // MARK: - Garbage

    @Test func randomBytesNeverCrash() throws {
        var random = SeededGenerator(seed: 0x5C21_B0E7)
        var parsedCount = 0
        for _ in 0..<1500 {
            let data = random.bytes(count: Int.random(in: 0...1400, using: &random))
            guard let bext = try? BroadcastExtension(chunkData: data) else {
                #expect(data.count < 602)  // the only reason to reject is a short chunk
                continue
            }
            parsedCount += 1
            #expect(bext.rawBytes == data)
            #expect(bext.description.unicodeScalars.count <= 256 && bext.umid.count == 64)
            for value in [bext.loudnessValue, bext.loudnessRange, bext.maxTruePeakLevel].compactMap({ $0 }) {
                #expect(value >= -327.68 && value <= 327.66)
            }
            #expect(bext.serialized().count == 602 + bext.codingHistory.utf8.count)
            let appended = bext.appendingCodingHistory("T=fuzz")
            #expect(Array(appended[0..<602]) == Array(data[0..<602]))
            let reread = try BroadcastExtension(chunkData: appended)
            #expect(Array(reread.codingHistory.utf8).suffix(8) == Array("T=fuzz\r\n".utf8))
        }
        #expect(parsedCount > 500)  // lengths are uniform in 0...1400, so ~57 % reach 602 bytes
    }
}
