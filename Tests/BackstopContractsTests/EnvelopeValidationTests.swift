import BackstopContracts
import Foundation
import Testing

/// A valid envelope using every attribute Backstop knows, plus unknown extension attributes.
private let fullEnvelope: [String: JSONValue] = [
    "specversion": .string("1.0"),
    "id": .string("3f2c7a8e-5d1b-4c2a-9e61-0b7f3d2a1c44"),
    "source": .string("/orgs/dept-health"),
    "type": .string("cn.backstop.alert.raised.v1"),
    "time": .string("2026-11-29T15:10:00.123+08:00"),
    "subject": .string("case-42"),
    "datacontenttype": .string("application/json"),
    "dataschema": .string("https://schemas.backstop.example/alert.raised.v1.json"),
    "districtcode": .string("510703001"),
    "correlationid": .string("corr-7"),
    "causationid": .string("cause-6"),
    "sensitivity": .string("personal"),
    "purpose": .string("assistance"),
    "idempotencykey": .string("alert-42-1"),
    // Unknown extension attributes: kept as received.
    "traceparent": .string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    "retries": .number(3),
    "urgent": .bool(true),
    "data": .object([
        "severity": .string("P2"),
        "household": .object(["members": .number(4), "tags": .array([.string("elderly"), .null])]),
        "score": .number(0.75),
    ]),
]

private func jsonText(_ object: [String: JSONValue]) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try! encoder.encode(JSONValue.object(object)), as: UTF8.self)
}

private func envelope(_ change: (inout [String: JSONValue]) -> Void) -> String {
    var object = fullEnvelope
    change(&object)
    return jsonText(object)
}

/// One broken rule: the text sent and the one field that must be reported.
struct BrokenEnvelope: Sendable, CustomTestStringConvertible {
    var name: String
    var text: String
    var field: String
    var testDescription: String { name }
}

private let brokenEnvelopes: [BrokenEnvelope] = [
    BrokenEnvelope(name: "missing id", text: envelope { $0["id"] = nil }, field: "/id"),
    BrokenEnvelope(name: "specversion 0.3", text: envelope { $0["specversion"] = .string("0.3") }, field: "/specversion"),
    BrokenEnvelope(name: "source with spaces", text: envelope { $0["source"] = .string("/orgs/dept health") }, field: "/source"),
    BrokenEnvelope(name: "type Alert", text: envelope { $0["type"] = .string("Alert") }, field: "/type"),
    BrokenEnvelope(name: "time yesterday", text: envelope { $0["time"] = .string("yesterday") }, field: "/time"),
    BrokenEnvelope(name: "data as array", text: envelope { $0["data"] = .array([.number(1), .number(2)]) }, field: "/data"),
    BrokenEnvelope(name: "data missing", text: envelope { $0["data"] = nil }, field: "/data"),
    BrokenEnvelope(name: "districtcode 12345", text: envelope { $0["districtcode"] = .string("12345") }, field: "/districtcode"),
    BrokenEnvelope(name: "sensitivity secret", text: envelope { $0["sensitivity"] = .string("secret") }, field: "/sensitivity"),
    BrokenEnvelope(name: "purpose marketing", text: envelope { $0["purpose"] = .string("marketing") }, field: "/purpose"),
    BrokenEnvelope(name: "extension name BadName", text: envelope { $0["BadName"] = .string("x") }, field: "/BadName"),
    BrokenEnvelope(name: "extension value an object", text: envelope { $0["region"] = .object(["code": .string("5107")]) }, field: "/region"),
    BrokenEnvelope(name: "data_base64 present", text: envelope { $0["data_base64"] = .string("aGVsbG8=") }, field: "/data_base64"),
    BrokenEnvelope(name: "not JSON at all", text: "this is not { json", field: ""),
    BrokenEnvelope(name: "top level an array", text: "[" + jsonText(fullEnvelope) + "]", field: ""),
]

@Suite("envelope validation")
struct EnvelopeValidationTests {
    @Test func fullEnvelopeRoundTripsWithUnknownExtensions() throws {
        let text = jsonText(fullEnvelope)
        let event = try EnvelopeValidation.parse(text)

        // Every attribute landed in its field.
        #expect(event.specversion == "1.0")
        #expect(event.id == "3f2c7a8e-5d1b-4c2a-9e61-0b7f3d2a1c44")
        #expect(event.source == "/orgs/dept-health")
        #expect(event.type == "cn.backstop.alert.raised.v1")
        #expect(event.time == EventTime.parse("2026-11-29T07:10:00.123Z"))
        #expect(event.time != nil)
        #expect(event.subject == "case-42")
        #expect(event.datacontenttype == "application/json")
        #expect(event.dataschema == "https://schemas.backstop.example/alert.raised.v1.json")
        #expect(event.districtCode == "510703001")
        #expect(event.correlationID == "corr-7")
        #expect(event.causationID == "cause-6")
        #expect(event.sensitivity == "personal")
        #expect(event.purpose == "assistance")
        #expect(event.idempotencyKey == "alert-42-1")
        #expect(event.extensions == [
            "traceparent": .string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            "retries": .number(3),
            "urgent": .bool(true),
        ])
        #expect(event.data == fullEnvelope["data"])

        // parse → jsonObject → parse gives the same event.
        let object = event.jsonObject
        let again = try EnvelopeValidation.parse(.object(object))
        #expect(again == event)
        #expect(object["traceparent"] == fullEnvelope["traceparent"])
        #expect(object["retries"] == .number(3))
        #expect(object["urgent"] == .bool(true))
        // Every attribute except time (normalised to UTC) comes back exactly as sent.
        for (name, value) in fullEnvelope where name != "time" {
            #expect(object[name] == value, "attribute \(name)")
        }
        #expect(Set(object.keys) == Set(fullEnvelope.keys))
        #expect(object["time"] == .string("2026-11-29T07:10:00.123Z"))

        // The compact text form round-trips too.
        #expect(try EnvelopeValidation.parse(event.jsonText()) == event)
        try EnvelopeValidation.validate(event)
    }

    @Test func minimalEnvelopeIsValidAndKeepsOptionalAttributesAbsent() throws {
        let text = #"{"specversion":"1.0","id":"e-1","source":"/orgs/ngo-9","type":"cn.backstop.job.offered.v1","data":{}}"#
        let event = try EnvelopeValidation.parse(text)
        #expect(event.time == nil && event.subject == nil && event.districtCode == nil)
        #expect(event.datacontenttype == nil)
        #expect(event.extensions.isEmpty)
        #expect(event.data == .object([:]))
        #expect(Set(event.jsonObject.keys) == ["specversion", "id", "source", "type", "data"])
        #expect(try EnvelopeValidation.parse(.object(event.jsonObject)) == event)
    }

    @Test(arguments: brokenEnvelopes)
    func eachBrokenRuleIsReportedOnceWithItsField(_ broken: BrokenEnvelope) {
        let error = #expect(throws: InvalidEvent.self) { try EnvelopeValidation.parse(broken.text) }
        #expect(error?.violations.count == 1, "violations: \(error?.violations ?? [])")
        #expect(error?.violations.first?.field == broken.field)
        #expect(error?.violations.first?.message.isEmpty == false)
        #expect(error?.index == nil)
    }

    @Test func severalBrokenRulesAreAllReported() {
        let text = envelope {
            $0["type"] = .string("Alert")
            $0["districtcode"] = .string("12345")
            $0["data"] = nil
        }
        let error = #expect(throws: InvalidEvent.self) { try EnvelopeValidation.parse(text) }
        #expect(Set(error?.violations.map(\.field) ?? []) == ["/type", "/districtcode", "/data"])
        #expect(error?.violations.count == 3)
    }
}

@Suite("event ids")
struct EventIDTests {
    @Test func idsAreVersion7UUIDsOrderedByTime() throws {
        let early = EventID.make(at: Date(timeIntervalSince1970: 1_700_000_000))
        let late = EventID.make(at: Date(timeIntervalSince1970: 1_700_000_001))
        let uuid = try JSONSchema(.object(["type": .string("string"), "format": .string("uuid")]))
        for id in [early, late] {
            #expect(uuid.accepts(.string(id)), "\(id)")
            #expect(Array(id)[14] == "7", "version nibble")
            #expect("89ab".contains(Array(id)[19]), "variant bits")
        }
        #expect(early < late)
        #expect(early.hasPrefix("018bcfe5-6800"))  // 1_700_000_000_000 ms = 0x018bcfe56800
        let many = Set((0..<1000).map { _ in EventID.make() })
        #expect(many.count == 1000)
    }
}
