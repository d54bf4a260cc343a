import Testing
@testable import Scrim

@Suite struct JSONValueTests {
    @Test func nonFiniteNumbersBecomeNull() {
        #expect(JSONValue.finite(-.infinity) == .null)
        #expect(JSONValue.rounded(.nan, places: 1) == .null)
        #expect(JSONValue.number(.infinity).serialized() == "null")
    }

    @Test func objectsKeepKeyOrderAndEscapeStrings() {
        let value = JSONValue.object([
            ("zeta", .int(1)), ("alpha", .string("a\"b\\c\n\u{1}")), ("list", .array([.bool(true), .null])),
            ("x", .number(-23.05)),
        ])
        #expect(value.serialized() == #"{"zeta":1,"alpha":"a\"b\\c\n\u0001","list":[true,null],"x":-23.05}"#)
    }

    @Test func roundingKeepsTwoPlaces() {
        #expect(JSONValue.rounded(-23.04567, places: 2) == .number(-23.05))
    }
}
