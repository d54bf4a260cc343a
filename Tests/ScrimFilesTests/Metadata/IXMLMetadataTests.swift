import Testing
@testable import ScrimFiles

/// A poly-WAV iXML chunk in the shape field recorders write, with the awkward parts in it: a BOM, the
/// declaration, a comment, entities, character references, CDATA, attributes, and NUL padding.
private let recorderIXML: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("""
    <?xml version="1.0" encoding="UTF-8"?>
    <!-- written by a recorder -->
    <BWFXML>
      <IXML_VERSION>2.10</IXML_VERSION>
      <PROJECT>Tom &amp; Jerry &lt;Part 2&gt;</PROJECT>
      <SCENE>32A</SCENE>
      <TAKE> 3 </TAKE>
      <TAPE>Day04</TAPE>
      <CIRCLED>TRUE</CIRCLED>
      <NOTE><![CDATA[plane <overhead> & wind]]> caf&#233; &#x4E2D;</NOTE>
      <SPEED>
        <NOTE>speed note, not the take note</NOTE>
        <MASTER_SPEED>24000/1001</MASTER_SPEED>
        <TIMECODE_RATE>24000/1001</TIMECODE_RATE>
        <TIMECODE_FLAG>NDF</TIMECODE_FLAG>
        <FILE_SAMPLE_RATE>48000</FILE_SAMPLE_RATE>
        <TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI>1</TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI>
        <TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO>5</TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO>
      </SPEED>
      <TRACK_LIST>
        <TRACK_COUNT>3</TRACK_COUNT>
        <TRACK>
          <CHANNEL_INDEX>4</CHANNEL_INDEX>
          <INTERLEAVE_INDEX>3</INTERLEAVE_INDEX>
          <NAME>Lav 2</NAME>
          <FUNCTION/>
        </TRACK>
        <TRACK kind='iso' note="a > b">
          <CHANNEL_INDEX>1</CHANNEL_INDEX>
          <INTERLEAVE_INDEX>1</INTERLEAVE_INDEX>
          <NAME>Boom</NAME>
          <FUNCTION>MIX</FUNCTION>
        </TRACK>
        <TRACK>
          <CHANNEL_INDEX>2</CHANNEL_INDEX>
          <INTERLEAVE_INDEX>2</INTERLEAVE_INDEX>
          <NAME>Lav 1</NAME>
        </TRACK>
      </TRACK_LIST>
      <USER><LOCATION>Stage 5</LOCATION></USER>
    </BWFXML>

    """.utf8) + [UInt8](repeating: 0, count: 37)

private func parse(_ text: String) throws(MetadataError) -> IXMLMetadata {
    try IXMLMetadata(xml: Array(text.utf8))
}

private func errorCode(_ text: String) -> MetadataError.Code? {
    do { _ = try parse(text); return nil } catch { return error.code }
}

@Suite struct IXMLMetadataTests {
    @Test func readsARecorderChunk() throws {
        let ixml = try IXMLMetadata(xml: recorderIXML)
        #expect(ixml.ixmlVersion == "2.10")
        #expect(ixml.project == "Tom & Jerry <Part 2>")
        #expect(ixml.scene == "32A")
        #expect(ixml.take == "3")
        #expect(ixml.tape == "Day04")
        #expect(ixml.circled == true)
        #expect(ixml.note == "plane <overhead> & wind café 中")
        #expect(ixml.timecodeRate == .fps23_976)
        #expect(ixml.timecodeDropFrame == false)
        #expect(ixml.fileSampleRate == 48000)
        #expect(ixml.timestampSamplesSinceMidnight == (1 << 32) + 5)
        #expect(ixml.tracks == [
            IXMLTrack(channelIndex: 4, interleaveIndex: 3, name: "Lav 2", function: nil),
            IXMLTrack(channelIndex: 1, interleaveIndex: 1, name: "Boom", function: "MIX"),
            IXMLTrack(channelIndex: 2, interleaveIndex: 2, name: "Lav 1", function: nil),
        ])
        #expect(ixml.rawBytes == recorderIXML)
        #expect(ixml.value(atPath: ["USER", "LOCATION"]) == "Stage 5")
        #expect(ixml.value(atPath: ["SPEED", "NOTE"]) == "speed note, not the take note")
        #expect(ixml.value(atPath: ["NOPE"]) == nil)
    }

    @Test func trackNamesFollowInterleaveIndex() throws {
        let ixml = try IXMLMetadata(xml: recorderIXML)
        #expect(ixml.trackName(forChannel: 0) == "Boom")
        #expect(ixml.trackName(forChannel: 1) == "Lav 1")
        #expect(ixml.trackName(forChannel: 2) == "Lav 2")
        #expect(ixml.trackName(forChannel: 3) == nil)
        #expect(ixml.trackName(forChannel: -1) == nil)
    }

    @Test func trackNamesFallBackToListOrder() throws {
        let ixml = try parse("""
            <BWFXML><TRACK_LIST><TRACK><NAME>A</NAME></TRACK><TRACK><NAME>B</NAME></TRACK></TRACK_LIST></BWFXML>
            """)
        #expect(ixml.trackName(forChannel: 0) == "A")
        #expect(ixml.trackName(forChannel: 1) == "B")
        #expect(ixml.trackName(forChannel: 2) == nil)
    }

    @Test func minimalAndEmptyFieldsAreNil() throws {
        let ixml = try parse("<BWFXML><PROJECT>  </PROJECT><CIRCLED>maybe</CIRCLED></BWFXML>")
        #expect(ixml.project == nil && ixml.scene == nil && ixml.circled == nil)
        #expect(ixml.timecodeRate == nil && ixml.timecodeDropFrame == nil && ixml.fileSampleRate == nil)
        #expect(ixml.tracks.isEmpty)
        #expect(try parse("<BWFXML/>").tracks.isEmpty)
    }

    @Test func dropFrameFlagAndDecimalRate() throws {
        let ixml = try parse("""
            <BWFXML><CIRCLED>false</CIRCLED><SPEED><TIMECODE_RATE>29.97</TIMECODE_RATE>\
            <TIMECODE_FLAG>DF</TIMECODE_FLAG><FILE_SAMPLE_RATE>abc</FILE_SAMPLE_RATE></SPEED></BWFXML>
            """)
        #expect(ixml.circled == false)
        #expect(ixml.timecodeRate == .fps29_97)
        #expect(ixml.timecodeDropFrame == true)
        #expect(ixml.fileSampleRate == nil)  // unreadable value is nil, not a failure
    }

    @Test func spacePaddingAndDoctypeAndTrailingComment() throws {
        let text = "<!DOCTYPE BWFXML [ <!ENTITY x \"]>\"> ]>\n<BWFXML><TAKE>7</TAKE></BWFXML><!-- end -->"
            + String(repeating: " ", count: 100)
        #expect(try parse(text).take == "7")
    }

    @Test func utf16WithByteOrderMark() throws {
        let text = "<BWFXML><SCENE>Zoë 中</SCENE></BWFXML>"
        var little: [UInt8] = [0xFF, 0xFE]
        var big: [UInt8] = [0xFE, 0xFF]
        for unit in text.utf16 {
            little += [UInt8(unit & 0xFF), UInt8(unit >> 8)]
            big += [UInt8(unit >> 8), UInt8(unit & 0xFF)]
        }
        #expect(try IXMLMetadata(xml: little + [0, 0, 0, 0]).scene == "Zoë 中")
        #expect(try IXMLMetadata(xml: big).scene == "Zoë 中")
    }

    @Test(arguments: [
        "",
        "\0\0\0\0",
        "   ",
        "just text",
        "<BWFXML>",
        "<BWFXML><SCENE>1</BWFXML>",
        "<BWFXML><SCENE>1</TAKE></BWFXML>",
        "<BWFXML></BWFXML>trailing",
        "<BWFXML></BWFXML><BWFXML></BWFXML>",
        "text<BWFXML></BWFXML>",
        "<BWFXML>&nbsp;</BWFXML>",
        "<BWFXML>&amp</BWFXML>",
        "<BWFXML>a & b</BWFXML>",
        "<BWFXML>&#0;</BWFXML>",
        "<BWFXML>&#xD800;</BWFXML>",
        "<BWFXML>&#x110000;</BWFXML>",
        "<BWFXML>&#-5;</BWFXML>",
        "<BWFXML>&#x;</BWFXML>",
        "<BWFXML><!-- open </BWFXML>",
        "<BWFXML><![CDATA[ open </BWFXML>",
        "<BWFXML a=b></BWFXML>",
        "<BWFXML a=\"b></BWFXML>",
        "<BWFXML a></BWFXML>",
        "<BWFXML a=\"<\"></BWFXML>",
        "<></>",
        "<1A></1A>",
        "<?xml version=\"1.0\"",
        "<!DOCTYPE x",
        "<BWFXML><!ELEMENT x></BWFXML>",
        "</BWFXML>",
        "<BWFXML",
        "<BWFXML></BWFXML",
    ])
    func malformedXMLThrows(text: String) {
        #expect(errorCode(text) == .malformedXML)
    }

    @Test func wrongRootIsNotIXML() {
        #expect(errorCode("<?xml version=\"1.0\"?><rss></rss>") == .unexpectedContent)
    }

    @Test func deepNestingIsBoundedNotRecursive() throws {
        func nested(_ depth: Int) -> String {
            "<BWFXML>" + String(repeating: "<A>", count: depth) + String(repeating: "</A>", count: depth) + "</BWFXML>"
        }
        #expect(throws: Never.self) { try parse(nested(200)) }
        #expect(errorCode(nested(100_000)) == .malformedXML)
    }

    @Test func everyProperPrefixOfADocumentIsRejected() {
        // A document ends at its root's end tag; cutting it anywhere before that must be an error, never a
        // partial result (a chunk truncated by a crashed recorder).
        let document = Array("<?xml version=\"1.0\"?><BWFXML><SCENE a='1'>S&amp;1</SCENE><!--c--><TAKE/></BWFXML>".utf8)
        for length in 0..<document.count {
            #expect(throws: MetadataError.self) { try IXMLMetadata(xml: Array(document.prefix(length))) }
        }
        #expect(throws: Never.self) { try IXMLMetadata(xml: document) }
    }

    @Test func randomBytesNeverCrash() {
        var random = SeededGenerator(seed: 0x1A2B_3C4D)
        for _ in 0..<1500 {
            let data = random.bytes(count: Int.random(in: 0...400, using: &random))
            // Uniform random bytes are not a BWFXML document: almost surely not well-formed XML, and with
            // 400 bytes the chance of spelling "<BWFXML>…</BWFXML>" is nil, so each must throw.
            #expect(throws: MetadataError.self) { try IXMLMetadata(xml: data) }
        }
    }

    @Test func mutatedDocumentsNeverCrash() {
        var random = SeededGenerator(seed: 0xFEED_5EED)
        var accepted = 0
        for _ in 0..<1500 {
            var data = recorderIXML
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let index = Int.random(in: 0..<data.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: data[index] = UInt8.random(in: 0...255, using: &random)
                case 1: data.remove(at: index)
                default: data.insert(Array("<>&;/!?[]\"'".utf8).randomElement(using: &random) ?? 0, at: index)
                }
            }
            if let ixml = try? IXMLMetadata(xml: data) {
                accepted += 1
                #expect(ixml.rawBytes == data)
                #expect(ixml.tracks.count <= 3)
            }
        }
        // Mutations inside text (a letter for a letter) keep the document well-formed, so some pass;
        // mutations of markup are caught. Both paths must have run.
        #expect(accepted > 0 && accepted < 1500)
    }
}
