import Foundation

/// One broken rule in an event, naming the offending attribute.
public struct ContractViolation: Error, Sendable, Hashable, CustomStringConvertible {
    /// A JSON pointer to the offending field (`/type`, `/data`, `/districtcode`).
    public var field: String
    /// What is wrong, in words an integrator can act on.
    public var message: String

    /// Creates a violation.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// Every rule an event broke; thrown when an event is refused at the edge.
public struct InvalidEvent: Error, Sendable, CustomStringConvertible {
    /// The broken rules (at least one).
    public var violations: [ContractViolation]
    /// Index of the event within a batch, if it came in one.
    public var index: Int?

    /// The rules `violations` broke, by an event at `index` of a batch (nil: a single event).
    public init(violations: [ContractViolation], index: Int? = nil) {
        self.violations = violations
        self.index = index
    }

    public var description: String {
        let prefix = index.map { "event \($0): " } ?? ""
        return prefix + violations.map(\.description).joined(separator: "; ")
    }
}

/// Checks CloudEvents 1.0 structured-mode envelopes and Backstop's extension attributes.
///
/// The checks are pure: they never touch the database, so bad input is refused before anything is
/// written. Event payloads (`data`) must be JSON objects; their own schemas are checked by the
/// contract catalogue.
public enum EnvelopeValidation {
    /// Allowed values of the `sensitivity` extension (PIPL classes).
    public static let sensitivities: Set<String> = ["public", "internal", "personal", "sensitive"]
    /// Allowed values of the `purpose` extension.
    public static let purposes: Set<String> = ["monitoring", "assistance", "oversight"]

    /// Parses and validates one event from JSON text.
    public static func parse(_ text: String) throws(InvalidEvent) -> CloudEvent {
        guard let value = JSONText.decode(text) else {
            throw InvalidEvent(violations: [ContractViolation(field: "", message: "not valid JSON")])
        }
        return try parse(value)
    }

    /// Validates a decoded JSON value as an event and builds it.
    public static func parse(_ value: JSONValue) throws(InvalidEvent) -> CloudEvent {
        guard case .object(let object) = value else {
            throw InvalidEvent(violations: [ContractViolation(field: "", message: "an event must be a JSON object, not \(value.typeName)")])
        }
        var problems: [ContractViolation] = []
        func string(_ name: String, required: Bool) -> String? {
            switch object[name] {
            case nil, .null?:
                if required { problems.append(ContractViolation(field: "/\(name)", message: "is required")) }
                return nil
            case .string(let s)?:
                if s.isEmpty { problems.append(ContractViolation(field: "/\(name)", message: "must not be empty")) }
                return s
            case let other?:
                problems.append(ContractViolation(field: "/\(name)", message: "must be a string, not \(other.typeName)"))
                return nil
            }
        }
        let specversion = string("specversion", required: true)
        let id = string("id", required: true)
        let source = string("source", required: true)
        let type = string("type", required: true)
        let timeText = string("time", required: false)
        let subject = string("subject", required: false)
        let contentType = string("datacontenttype", required: false)
        let dataschema = string("dataschema", required: false)
        let district = string("districtcode", required: false)
        let correlation = string("correlationid", required: false)
        let causation = string("causationid", required: false)
        let sensitivity = string("sensitivity", required: false)
        let purpose = string("purpose", required: false)
        let key = string("idempotencykey", required: false)

        if let specversion, specversion != "1.0" {
            problems.append(ContractViolation(field: "/specversion", message: "must be \"1.0\" (CloudEvents 1.0)"))
        }
        if let id, longer(id, than: 128) { problems.append(ContractViolation(field: "/id", message: "must be at most 128 characters")) }
        if let source, !isURIReference(source) {
            problems.append(ContractViolation(field: "/source", message: "must be a URI reference such as /orgs/dept-health"))
        }
        if let type, !isEventType(type) {
            problems.append(ContractViolation(field: "/type", message: "must be lowercase dotted words ending in a major version, e.g. cn.backstop.alert.raised.v1"))
        }
        var time: Date?
        if let timeText {
            time = StringFormat.dateTime.admits(timeText) ? EventTime.parse(timeText.uppercased()) : nil
            if time == nil { problems.append(ContractViolation(field: "/time", message: "must be an RFC 3339 timestamp")) }
        }
        if let contentType, contentType != "application/json" {
            problems.append(ContractViolation(field: "/datacontenttype", message: "must be application/json"))
        }
        if let subject, longer(subject, than: 200) { problems.append(ContractViolation(field: "/subject", message: "must be at most 200 characters")) }
        if let district, !isDistrictCode(district) {
            problems.append(ContractViolation(field: "/districtcode", message: "must be a national division code of 6, 9 or 12 digits"))
        }
        if let sensitivity, !sensitivities.contains(sensitivity) {
            problems.append(ContractViolation(field: "/sensitivity", message: "must be one of \(sensitivities.sorted().joined(separator: ", "))"))
        }
        if let purpose, !purposes.contains(purpose) {
            problems.append(ContractViolation(field: "/purpose", message: "must be one of \(purposes.sorted().joined(separator: ", "))"))
        }
        if let dataschema, longer(dataschema, than: 512) { problems.append(ContractViolation(field: "/dataschema", message: "must be at most 512 characters")) }
        if let correlation, longer(correlation, than: 200) { problems.append(ContractViolation(field: "/correlationid", message: "must be at most 200 characters")) }
        if let causation, longer(causation, than: 200) { problems.append(ContractViolation(field: "/causationid", message: "must be at most 200 characters")) }
        if let key, longer(key, than: 200) { problems.append(ContractViolation(field: "/idempotencykey", message: "must be at most 200 characters")) }
        var payload = JSONValue.object([:])
        switch object["data"] {
        case nil: problems.append(ContractViolation(field: "/data", message: "is required"))
        case .object?: payload = object["data"]!
        case let other?: problems.append(ContractViolation(field: "/data", message: "must be a JSON object, not \(other.typeName)"))
        }
        var extensions: [String: JSONValue] = [:]
        for (name, value) in object where !CloudEvent.knownAttributes.contains(name) {
            if name == "data_base64" {
                problems.append(ContractViolation(field: "/data_base64", message: "binary data is not accepted; send a JSON object in data"))
            } else if !isExtensionName(name) {
                problems.append(ContractViolation(field: "/\(name)", message: "extension attribute names must be lowercase letters and digits, at most 20"))
            } else {
                switch value {
                case .object, .array: problems.append(ContractViolation(field: "/\(name)", message: "extension attributes must be strings, numbers or booleans"))
                default: extensions[name] = value
                }
            }
        }
        guard problems.isEmpty, let id, let source, let type else { throw InvalidEvent(violations: problems) }
        var event = CloudEvent(
            id: id, source: source, type: type, time: time, subject: subject, dataschema: dataschema,
            districtCode: district, correlationID: correlation, causationID: causation, sensitivity: sensitivity,
            purpose: purpose, idempotencyKey: key, extensions: extensions, data: payload)
        event.datacontenttype = contentType
        return event
    }

    /// Validates an event built in Swift (for example before publishing it).
    public static func validate(_ event: CloudEvent) throws(InvalidEvent) {
        _ = try parse(.object(event.jsonObject))
    }

    /// A URI reference without whitespace: RFC 3986 characters, `%` only before two hex digits
    /// (the `source` pattern of `Contracts/envelope.schema.json`).
    static func isURIReference(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard !bytes.isEmpty, bytes.count <= 256 else { return false }
            var i = 0
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "%") {
                    guard i + 2 < bytes.count, bytes[i + 1].isHexDigit, bytes[i + 2].isHexDigit else { return false }
                    i += 3
                } else {
                    guard uriCharacters[Int(bytes[i])] else { return false }
                    i += 1
                }
            }
            return true
        }
    }

    /// The characters a URI reference may hold besides `%`-escapes, as a lookup table by byte.
    private static let uriCharacters: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~:/?#@!$&'()*+,;=[]-".utf8 { table[Int(byte)] = true }
        return table
    }()

    /// Lowercase dotted words (a–z, 0–9, `_`, `-`), at least three, the last `v<digits>`.
    static func isEventType(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count <= 128 else { return false }
        var words = 0, wordStart = 0
        for (i, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: ".") {
                if i == wordStart { return false }
                words += 1
                wordStart = i + 1
            } else if !(byte.isLowercaseLetter || byte.isDigit || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")) {
                return false
            }
        }
        let last = bytes[wordStart...]
        guard words >= 2, last.count >= 2, last.first == UInt8(ascii: "v") else { return false }
        return last.dropFirst().allSatisfy(\.isDigit)
    }

    static func isDistrictCode(_ text: String) -> Bool {
        [6, 9, 12].contains(text.utf8.count) && text.utf8.allSatisfy(\.isDigit)
    }

    /// More than `limit` characters, counted as Unicode code points like JSON Schema's `maxLength`.
    static func longer(_ text: String, than limit: Int) -> Bool {
        text.utf8.count > limit && text.unicodeScalars.count > limit
    }

    static func isExtensionName(_ name: String) -> Bool {
        (1...20).contains(name.utf8.count) && name.utf8.allSatisfy { $0.isLowercaseLetter || $0.isDigit }
    }
}
