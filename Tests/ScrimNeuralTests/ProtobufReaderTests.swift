import ScrimCore
import Testing
@testable import ScrimNeural

@Suite struct ProtobufReaderTests {
    /// Reads every field of a message, or the error.
    private func fields(_ bytes: [UInt8]) throws(ScrimError) -> [ProtobufField] {
        var reader = ProtobufReader(bytes)
        var out: [ProtobufField] = []
        while let field = try reader.nextField() { out.append(field) }
        return out
    }

    private func expectMalformed(_ bytes: [UInt8], _ fragment: String,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let read = try fields(bytes)
            Issue.record("expected an error containing '\(fragment)', read \(read.count) fields",
                         sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == .invalidDocument, sourceLocation: sourceLocation)
            #expect(error.message.contains(fragment), "\(error.message)", sourceLocation: sourceLocation)
        }
    }

    @Test func decodesTheExamplesOfTheEncodingGuide() throws {
        // protobuf.dev/programming-guides/encoding: field 1 = 150 is 08 96 01; field 2 = "testing" is 12 07 ….
        let read = try fields([0x08, 0x96, 0x01, 0x12, 0x07] + Array("testing".utf8))
        #expect(read.count == 2)
        #expect(read[0].number == 1)
        #expect(try read[0].uint64() == 150)
        #expect(read[1].number == 2)
        #expect(try read[1].string() == "testing")
    }

    @Test func decodesEveryWireType() throws {
        var w = ProtobufWriter()
        w.int(1, -1)  // ten bytes: ff ff ff ff ff ff ff ff ff 01
        w.fixed64(2, 0x0102_0304_0506_0708)
        w.float(3, -2.5)
        w.string(4, "é")
        w.int(536_870_911, Int64(Int32.min))  // the largest field number
        w.int(6, Int64(UInt32.max) + 1)
        #expect(w.bytes.count(where: { $0 == 0xFF }) >= 9)
        let read = try fields(w.bytes)
        #expect(read.map(\.number) == [1, 2, 3, 4, 536_870_911, 6])
        #expect(try read[0].int64() == -1)
        #expect(try read[0].uint64() == UInt64.max)
        guard case .fixed64(let bits) = read[1].value else {
            Issue.record("field 2 is not 64-bit")
            return
        }
        #expect(bits == 0x0102_0304_0506_0708)
        #expect(try read[2].float() == -2.5)
        #expect(try read[3].string() == "é")
        #expect(try read[4].int32() == Int32.min)
        #expect(throws: ScrimError.self) { try read[5].int32() }  // 2^32 is no int32
    }

    @Test func skipsFieldsItIsNotAskedFor() throws {
        var w = ProtobufWriter()
        w.fixed64(9, 7)
        w.message(10) { inner in
            inner.string(1, "deep")
            inner.float(2, 1)
        }
        w.int(3, 42)
        w.fixed32(11, 0xDEAD_BEEF)
        w.bytes(12, [])
        w.string(1, "name")
        var reader = ProtobufReader(w.bytes)
        var three: Int64?
        var one: String?
        while let field = try reader.nextField() {
            switch field.number {
            case 3: three = try field.int64()
            case 1: one = try field.string()
            default: break
            }
        }
        #expect(three == 42)
        #expect(one == "name")
        #expect(reader.isAtEnd)
    }

    @Test func readsNestedMessagesWithinTheirBounds() throws {
        var w = ProtobufWriter()
        w.message(1) { inner in
            inner.int(1, 5)
            inner.message(2) { $0.string(1, "leaf") }
        }
        w.int(2, 6)
        let outer = try fields(w.bytes)
        var inner = try outer[0].message()
        let first = try #require(try inner.nextField())
        #expect(try first.int64() == 5)
        var leaf = try #require(try inner.nextField()).message()
        #expect(try #require(try leaf.nextField()).string() == "leaf")
        #expect(try leaf.nextField() == nil)
        #expect(try inner.nextField() == nil)  // stops at its own end, not the outer message's
        #expect(try outer[1].int64() == 6)
    }

    @Test func readsRepeatedScalarsPackedAndUnpacked() throws {
        var w = ProtobufWriter()
        w.int(8, 1)
        w.packedInts(8, [2, -3, 1 << 40])
        w.int(8, 4)
        w.float(7, 0.5)
        w.packedFloats(7, [1, -1, .infinity])
        var ints: [Int64] = []
        var floats: [Float] = []
        for field in try fields(w.bytes) {
            if field.number == 8 { try field.appendInt64s(to: &ints) }
            if field.number == 7 { try field.appendFloats(to: &floats) }
        }
        #expect(ints == [1, 2, -3, 1 << 40, 4])
        #expect(floats == [0.5, 1, -1, .infinity])
        var int32s: [Int32] = []
        #expect(throws: ScrimError.self) {
            try ProtobufField(number: 1, value: .lengthDelimited([0x80, 0x80, 0x80, 0x80, 0x10][...]))
                .appendInt32s(to: &int32s)  // 2^32
        }
    }

    @Test func truncatedVarintThrows() {
        expectMalformed([0x08, 0x96], "truncated varint")
        expectMalformed([0x08], "truncated varint")
        expectMalformed([0x88], "truncated varint")  // the key itself
    }

    @Test func overlongVarintThrows() {
        expectMalformed([0x08] + Array(repeating: 0xFF, count: 9) + [0x02], "longer than 64 bits")
        expectMalformed([0x08] + Array(repeating: 0x80, count: 10) + [0x00], "longer than 64 bits")
        // The longest legal one: 2^64 − 1.
        #expect(throws: Never.self) { try fields([0x08] + Array(repeating: 0xFF, count: 9) + [0x01]) }
    }

    @Test func lengthBeyondTheBufferThrows() {
        expectMalformed([0x12, 0x08] + Array("te".utf8), "runs past the end")
        expectMalformed([0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x00], "runs past the end")
        expectMalformed([0x12], "truncated varint")
    }

    @Test func lengthBeyondAnEnclosingMessageThrows() throws {
        // An inner message whose field claims more bytes than the inner message has, though the outer buffer has them.
        // Field 1 is two bytes long (12 05); inside it, field 2 claims five bytes, which follow in the buffer but lie
        // outside field 1.
        var outer = ProtobufReader([0x0A, 0x02, 0x12, 0x05, 0x41, 0x42, 0x43, 0x44, 0x45])
        var inner = try #require(try outer.nextField()).message()
        #expect(inner.bytes.count == 2)
        #expect(throws: ScrimError.self) { try inner.nextField() }
    }

    @Test func truncatedFixedWidthValuesThrow() {
        expectMalformed([0x0D, 0x00, 0x00, 0x80], "truncated 32-bit")
        expectMalformed([0x09, 1, 2, 3, 4, 5, 6, 7], "truncated 64-bit")
    }

    @Test func groupsUndefinedWireTypesAndFieldZeroThrow() {
        expectMalformed([0x0B, 0x0C], "group")  // field 1 start group, end group
        expectMalformed([0x0E, 0x00], "undefined wire type 6")
        expectMalformed([0x0F, 0x00], "undefined wire type 7")
        expectMalformed([0x00, 0x01], "field number 0")
        expectMalformed([0x80, 0x80, 0x80, 0x80, 0x10, 0x00], "out of range")  // field number 2^29
    }

    private func expectWrongType(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("a wrong wire type was accepted", sourceLocation: sourceLocation)
        } catch let error as ScrimError {
            #expect(error.code == .invalidDocument, sourceLocation: sourceLocation)
            #expect(error.message.contains("was expected"), "\(error.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func wrongWireTypeForTheExpectedTypeThrows() throws {
        // Field 1 = varint 150, field 2 = bytes "A", field 3 = fixed32 1.0.
        let read = try fields([0x08, 0x96, 0x01, 0x12, 0x01, 0x41, 0x1D, 0, 0, 0x80, 0x3F])
        expectWrongType { _ = try read[0].string() }
        expectWrongType { _ = try read[0].float() }
        expectWrongType { _ = try read[0].message() }
        expectWrongType { _ = try read[1].uint64() }
        expectWrongType { _ = try read[1].float() }
        expectWrongType { _ = try read[2].int64() }
        var floats: [Float] = []
        expectWrongType { try read[0].appendFloats(to: &floats) }
        var ints: [Int64] = []
        expectWrongType { try read[2].appendInt64s(to: &ints) }
        #expect(try read[2].float() == 1)
        #expect(try read[1].string() == "A")
    }

    @Test func packedFloatsOfTheWrongLengthThrow() {
        var floats: [Float] = []
        #expect(throws: ScrimError.self) {
            try ProtobufField(number: 4, value: .lengthDelimited([0, 0, 0, 0, 0][...])).appendFloats(to: &floats)
        }
        #expect(floats.isEmpty)
    }

    @Test func packedVarintsThatAreTruncatedThrow() {
        var ints: [Int64] = []
        #expect(throws: ScrimError.self) {
            try ProtobufField(number: 1, value: .lengthDelimited([0x01, 0x80][...])).appendInt64s(to: &ints)
        }
    }

    @Test func emptyMessageHasNoFields() throws {
        #expect(try fields([]).isEmpty)
        #expect(ProtobufReader([]).isAtEnd)
    }
}

extension ProtobufField: Equatable {
    public static func == (a: ProtobufField, b: ProtobufField) -> Bool {
        guard a.number == b.number else { return false }
        switch (a.value, b.value) {
        case (.varint(let x), .varint(let y)), (.fixed64(let x), .fixed64(let y)): return x == y
        case (.fixed32(let x), .fixed32(let y)): return x == y
        case (.lengthDelimited(let x), .lengthDelimited(let y)): return x.elementsEqual(y)
        default: return false
        }
    }
}
