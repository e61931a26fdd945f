import Foundation

/// The typed `data` of one event type and major version, generated from its schema in
/// `Contracts/events/` (see `Sources/BackstopContracts/Generated/`).
///
/// Decoding ignores members the type does not know, so a consumer keeps working when a newer
/// producer adds optional fields (an additive, minor change).
public protocol EventPayload: Codable, Sendable, Equatable {
    /// The CloudEvents `type`, for example `cn.backstop.alert.raised.v1`.
    static var eventType: String { get }
    /// A complete value built from the first example of every field of the schema.
    static var sample: Self { get }
}

extension EventPayload {
    /// Decodes the payload of `event`; throws ``InvalidEvent`` when the type differs or `data` does not fit.
    public init(from event: CloudEvent) throws(InvalidEvent) {
        guard event.type == Self.eventType else {
            throw InvalidEvent(violations: [ContractViolation(field: "/type", message: "expected \(Self.eventType), got \(event.type)")])
        }
        self = try Self(json: event.data)
    }

    /// Decodes the payload from a JSON value.
    public init(json: JSONValue) throws(InvalidEvent) {
        do {
            self = try JSONDecoder().decode(Self.self, from: Data(JSONText.encode(json).utf8))
        } catch let error as DecodingError {
            throw InvalidEvent(violations: [ContractViolation(decoding: error)])
        } catch {
            throw InvalidEvent(violations: [ContractViolation(field: "/data", message: "\(error)")])
        }
    }

    /// The payload as a JSON value (members the schema leaves optional are omitted when `nil`).
    public var json: JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self), let value = JSONText.decode(String(decoding: data, as: UTF8.self)) else {
            preconditionFailure("a generated payload always encodes to JSON")
        }
        return value
    }
}

extension CloudEvent {
    /// An event carrying a typed payload; `type` and `dataschema` come from the payload's contract.
    public init(id: String = EventID.make(), source: String, payload: some EventPayload, time: Date? = Date(),
                subject: String? = nil, districtCode: String? = nil, correlationID: String? = nil,
                causationID: String? = nil, idempotencyKey: String? = nil) {
        let eventType = Swift.type(of: payload).eventType
        let contract = EventCatalogue.standard.contract(for: eventType)
        self.init(id: id, source: source, type: eventType, time: time, subject: subject,
                  dataschema: contract?.schemaID, districtCode: districtCode, correlationID: correlationID,
                  causationID: causationID, sensitivity: contract?.sensitivity.rawValue, purpose: contract?.purpose.rawValue,
                  idempotencyKey: idempotencyKey, data: payload.json)
    }
}

extension ContractViolation {
    /// A decoding failure, located by its coding path below `/data`.
    init(decoding error: DecodingError) {
        func pointer(_ path: [any CodingKey]) -> String {
            "/data" + path.map { "/" + ($0.intValue.map(String.init) ?? JSONSchema.escape($0.stringValue)) }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context): self.init(field: pointer(context.codingPath + [key]), message: "is required")
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            self.init(field: pointer(context.codingPath), message: context.debugDescription)
        @unknown default: self.init(field: "/data", message: "\(error)")
        }
    }
}
