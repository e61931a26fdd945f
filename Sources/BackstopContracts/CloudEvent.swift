import Foundation

/// A CloudEvents 1.0 event in structured JSON mode, with Backstop's extension attributes.
///
/// This is the envelope every event travels in (design D4). Core attributes are fields; Backstop's
/// extensions (district code, correlation and causation ids, sensitivity, purpose, idempotency key)
/// are typed fields too, and any other extension attribute is kept in ``extensions`` so that events
/// round-trip unchanged.
///
/// ```swift
/// let event = CloudEvent(source: "/orgs/dept-health", type: "cn.backstop.alert.raised.v1",
///                        subject: "case-42", districtCode: "510703",
///                        data: .object(["severity": .string("P2")]))
/// ```
public struct CloudEvent: Sendable, Hashable {
    /// The CloudEvents version; always `1.0`.
    public var specversion: String
    /// Unique per `source`; Backstop assigns a UUID when a publisher leaves it empty.
    public var id: String
    /// The publishing organisation, as a URI reference (for example `/orgs/dept-health`).
    public var source: String
    /// The event type, reverse-DNS style with the major version last (`cn.backstop.alert.raised.v1`).
    public var type: String
    /// When the event happened (business time), if the publisher says.
    public var time: Date?
    /// What the event is about: the case id, used for per-subject ordering.
    public var subject: String?
    /// The media type of ``data``; Backstop only carries `application/json`.
    public var datacontenttype: String?
    /// The schema of ``data``.
    public var dataschema: String?
    /// Extension `districtcode`: the national division code (6-digit county up to 12-digit village).
    public var districtCode: String?
    /// Extension `correlationid`: links an alert to its measures and closure.
    public var correlationID: String?
    /// Extension `causationid`: the id of the event that caused this one.
    public var causationID: String?
    /// Extension `sensitivity`: `public`, `internal`, `personal` or `sensitive`.
    public var sensitivity: String?
    /// Extension `purpose`: the lawful purpose (`monitoring`, `assistance`, `oversight`).
    public var purpose: String?
    /// Extension `idempotencykey`: publishing the same `(source, key)` twice stores the event once.
    public var idempotencyKey: String?
    /// Any other extension attributes, kept as received.
    public var extensions: [String: JSONValue]
    /// The payload; Backstop requires a JSON object.
    public var data: JSONValue

    /// Creates an event; `id` defaults to a new time-ordered UUID (version 7, ``EventID``).
    public init(
        id: String = EventID.make(), source: String, type: String, time: Date? = nil,
        subject: String? = nil, dataschema: String? = nil, districtCode: String? = nil,
        correlationID: String? = nil, causationID: String? = nil, sensitivity: String? = nil,
        purpose: String? = nil, idempotencyKey: String? = nil, extensions: [String: JSONValue] = [:],
        data: JSONValue
    ) {
        self.specversion = "1.0"
        self.id = id
        self.source = source
        self.type = type
        self.time = time
        self.subject = subject
        self.datacontenttype = "application/json"
        self.dataschema = dataschema
        self.districtCode = districtCode
        self.correlationID = correlationID
        self.causationID = causationID
        self.sensitivity = sensitivity
        self.purpose = purpose
        self.idempotencyKey = idempotencyKey
        self.extensions = extensions
        self.data = data
    }

    /// The key that deduplicates publishes: the idempotency key, else the event id (CloudEvents
    /// says `source` + `id` identify an event).
    public var deduplicationKey: String { idempotencyKey ?? id }
}

extension CloudEvent {
    /// Names of the attributes with a field of their own.
    static let knownAttributes: Set<String> = [
        "specversion", "id", "source", "type", "time", "subject", "datacontenttype", "dataschema", "data",
        "districtcode", "correlationid", "causationid", "sensitivity", "purpose", "idempotencykey",
    ]

    /// The event as a JSON object (structured mode).
    public var jsonObject: [String: JSONValue] {
        var out = extensions
        out["specversion"] = .string(specversion)
        out["id"] = .string(id)
        out["source"] = .string(source)
        out["type"] = .string(type)
        if let time { out["time"] = .string(EventTime.format(time)) }
        let optional: [(String, String?)] = [
            ("subject", subject), ("datacontenttype", datacontenttype), ("dataschema", dataschema),
            ("districtcode", districtCode), ("correlationid", correlationID), ("causationid", causationID),
            ("sensitivity", sensitivity), ("purpose", purpose), ("idempotencykey", idempotencyKey),
        ]
        for (name, value) in optional { if let value { out[name] = .string(value) } }
        out["data"] = data
        return out
    }

    /// The event as compact JSON text.
    public func jsonText() -> String {
        JSONText.encode(.object(jsonObject))
    }
}

extension CloudEvent {
    /// The organisation a `source` of the form `/orgs/<id>` names (Backstop's convention for who
    /// published an event); nil for any other source.
    public var publishingOrganisation: String? {
        guard source.hasPrefix("/orgs/") else { return nil }
        let id = source.dropFirst("/orgs/".count)
        return id.isEmpty || id.contains("/") ? nil : String(id)
    }
}

/// RFC 3339 timestamps for the `time` attribute.
public enum EventTime {
    /// Formats with millisecond precision in UTC (`2026-11-29T07:10:00.123Z`).
    public static func format(_ date: Date) -> String {
        var style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        style.timeZone = TimeZone(identifier: "UTC")!
        return date.formatted(style)
    }

    /// Parses RFC 3339 with or without fractional seconds and with any offset.
    public static func parse(_ text: String) -> Date? {
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        if let date = try? withFraction.parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }
}
