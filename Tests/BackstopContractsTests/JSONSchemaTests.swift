import BackstopContracts
import Testing

@Suite("JSON Schema validator")
struct JSONSchemaTests {
    static let schema = try! JSONSchema(JSONText.decode(#"""
        {
          "type": "object",
          "additionalProperties": false,
          "required": ["positions", "title"],
          "properties": {
            "positions": {"type": "integer", "minimum": 1, "maximum": 1000},
            "title": {"type": "string", "minLength": 1, "maxLength": 5},
            "kind": {"type": "string", "enum": ["lead", "co"]},
            "at": {"type": "string", "format": "date-time"},
            "on": {"type": "string", "format": "date"},
            "id": {"type": "string", "format": "uuid"},
            "code": {"type": "string", "pattern": "^[0-9]{6}$"},
            "tags": {"type": "array", "items": {"$ref": "#/$defs/tag"}, "minItems": 1, "maxItems": 2, "uniqueItems": true},
            "cash": {"type": "integer", "minimum": 0, "maximum": 10},
            "goods": {"type": "string", "maxLength": 10},
            "reason": {"type": "string", "maxLength": 10},
            "note": {"type": "string", "maxLength": 10}
          },
          "oneOf": [{"required": ["cash"]}, {"required": ["goods"]}],
          "if": {"properties": {"reason": {"const": "other"}}, "required": ["reason"]},
          "then": {"required": ["note"]},
          "$defs": {"tag": {"type": "string", "enum": ["a", "b", "c"]}}
        }
        """#)!)

    func problems(_ json: String) -> [String] {
        Self.schema.validate(JSONText.decode(json)!, at: "/data").map(\.description)
    }

    @Test func aValidValueHasNoProblems() {
        #expect(problems(#"{"positions": 3, "title": "Cook", "cash": 5, "tags": ["a", "b"], "at": "2026-11-03T08:15:00+08:00", "on": "2024-02-29", "id": "0193a1f2-7c4e-7d3a-9b1e-2f4c6a8d0e12", "code": "510703", "reason": "other", "note": "why"}"#) == [])
    }

    @Test func everyViolationIsListedByPointer() {
        let found = problems(#"{"positions": 0, "title": "", "kind": "boss", "tags": ["a", "a", "z"], "cash": 1, "at": "2026-11-03 08:15", "on": "2023-02-29", "id": "xyz", "code": "5107", "extra": true}"#)
        #expect(found.sorted() == [
            "/data/at: must be an RFC 3339 date-time such as 2026-11-03T08:15:00Z",
            "/data/code: must match the pattern ^[0-9]{6}$",
            "/data/extra: is not a known property",
            "/data/id: must be a UUID such as 0193a1f2-7c4e-7d3a-9b1e-2f4c6a8d0e12",
            "/data/kind: must be one of \"lead\", \"co\"",
            "/data/on: must be a calendar date such as 2026-11-03",
            "/data/positions: must be ≥ 1",
            "/data/tags/1: repeats an earlier item; items must be unique",
            "/data/tags/2: must be one of \"a\", \"b\", \"c\"",
            "/data/tags: must have at most 2 items",
            "/data/title: must not be empty",
        ])
    }

    @Test func requiredMembersAndConditionalRulesNameTheMissingField() {
        #expect(problems(#"{"title": "x", "cash": 1}"#) == ["/data/positions: is required"])
        #expect(problems(#"{"positions": 1, "title": "x", "cash": 1, "reason": "other"}"#) == ["/data/note: is required"])
        #expect(problems(#"{"positions": 1, "title": "x", "cash": 1, "goods": "rice"}"#) == ["/data: must have exactly one of: cash; goods"])
        #expect(problems(#"{"positions": 1, "title": "x"}"#) == ["/data: must have exactly one of: cash; goods"])
        #expect(problems(#"{"positions": 1.5, "title": 7, "cash": 1}"#).sorted() == ["/data/positions: must be an integer, not number", "/data/title: must be a string, not number"])
        #expect(problems("[]") == ["/data: must be an object, not array"])
    }

    @Test func unsupportedKeywordsAndBrokenReferencesAreRefusedWhenCompiled() {
        #expect(throws: SchemaError.self) { try JSONSchema(JSONText.decode(#"{"type": "string", "multipleOf": 2}"#)!) }
        #expect(throws: SchemaError.self) { try JSONSchema(JSONText.decode(##"{"$ref": "#/$defs/missing"}"##)!) }
        #expect(throws: SchemaError.self) { try JSONSchema(JSONText.decode(#"{"format": "email"}"#)!) }
        #expect(throws: SchemaError.self) { try JSONSchema(JSONText.decode(#"{"type": ["string", "null"]}"#)!) }
        #expect(throws: Never.self) { try JSONSchema(JSONText.decode(#"{"type": "string", "x-backstop": {}, "examples": ["a"], "title": "t"}"#)!) }
    }

    @Test(arguments: [
        ("2026-11-03T08:15:00Z", true), ("2026-11-03T08:15:00.123+08:00", true), ("2026-11-03t08:15:00z", true),
        ("2026-11-03T24:00:00Z", false), ("2026-11-03T08:15:00", false), ("2026-13-03T08:15:00Z", false), ("2026-11-03", false),
    ])
    func dateTimes(text: String, valid: Bool) throws {
        let schema = try JSONSchema(JSONText.decode(#"{"type": "string", "format": "date-time"}"#)!)
        #expect(schema.accepts(.string(text)) == valid)
    }
}
