import BackstopContracts
import Foundation
import Testing

@Suite("JSON text")
struct JSONTextTests {
    @Test(arguments: [
        #"{"a":[1,-2.5,1e3,true,false,null],"b":{"c":"d"}}"#,
        #"["é","中文","😀","\"quoted\"","back\\slash","tab\tline\nend","\u0001"]"#,
        #"  {"spaces" :  [ ] , "empty" : { } }  "#,
        "0", "-0.125", "\"just a string\"", "[[[[[]]]]]",
    ])
    func roundTripsThroughFoundationsReader(text: String) throws {
        let ours = try #require(JSONText.decode(text))
        // Foundation's reader is the reference: both must agree on the value…
        let reference = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(ours == reference)
        // …and what we write must read back to the same value.
        #expect(JSONText.decode(JSONText.encode(ours)) == ours)
    }

    @Test func surrogatePairsAndEscapesDecode() throws {
        #expect(JSONText.decode(#""\ud83d\ude00""#) == .string("😀"))
        #expect(JSONText.decode(#""\u4e2d\/""#) == .string("中/"))
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "{'a':1}", "01", "1.", "-", "tru", "nul", "\"unterminated",
        "\"bad \\x escape\"", "\"\u{01} raw control\"", "\"\\ud800 lone surrogate\"", "[1] trailing", "NaN",
        String(repeating: "[", count: 200) + String(repeating: "]", count: 200),
    ])
    func rejectsInvalidJSON(text: String) {
        #expect(JSONText.decode(text) == nil)
    }

    @Test func encodingSortsKeysAndKeepsIntegersIntegral() {
        let value = JSONValue.object(["b": .number(2), "a": .number(1.5), "c": .array([.null, .bool(true)])])
        #expect(JSONText.encode(value) == #"{"a":1.5,"b":2,"c":[null,true]}"#)
    }
}
