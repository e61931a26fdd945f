import BackstopContracts
import Foundation

/// Builds the events the coordinator publishes, from typed payloads, each linked to the event
/// that caused it (causation), the case chain (correlation) and with a key that makes a repeated
/// publish a no-op.
struct CoordinatorEvents {
    let source: String
    let cause: CloudEvent?

    init(coordinator: String, cause: CloudEvent?) {
        source = "/orgs/\(coordinator)"
        self.cause = cause
    }

    func event(_ payload: some EventPayload, key: String, correlation: String?, district: String?, subject: String? = nil,
               time: Date? = nil) -> CloudEvent {
        CloudEvent(source: source, payload: payload, time: time ?? Date(), subject: subject ?? cause?.subject, districtCode: district ?? cause?.districtCode,
                   correlationID: correlation ?? cause?.correlationID ?? cause?.id, causationID: cause?.id, idempotencyKey: key)
    }

    static func time(_ date: Date) -> String { EventTime.format(date) }
}

/// An obligation row as the coordinator's statements return it.
struct ObligationRow: Sendable {
    var id: String
    var ruleID: String
    var owner: String
    var openedAt: Date
    var closedAt: Date?
    var late: Bool
    var state: String
    var caseID: String?
    var correlationID: String?
    var districtCode: String?
}
