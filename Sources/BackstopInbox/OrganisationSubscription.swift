import BackstopAccess
import BackstopContracts
import Foundation

/// What an organisation subscribes to: event types (nil: every type its kind may receive) in a
/// division (a code prefix; empty: everywhere). An organisation starts with one named `default`
/// that receives everything its kind may receive; departments, townships and villages manage
/// their own.
public struct OrganisationSubscription: Sendable, Hashable {
    /// Lowercase letters, digits and hyphens, starting with a letter; unique per organisation.
    public var name: String
    /// Event types received; nil: every type the organisation's kind may subscribe to.
    public var eventTypes: [String]?
    /// Division code prefix of the events received (empty: all).
    public var districtPrefix: String
    /// When it was created.
    public var createdAt: Date?
    /// When its filter last changed.
    public var updatedAt: Date?

    /// A subscription filter.
    public init(name: String, eventTypes: [String]? = nil, districtPrefix: String = "", createdAt: Date? = nil, updatedAt: Date? = nil) {
        self.name = name
        self.eventTypes = eventTypes
        self.districtPrefix = districtPrefix
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Kinds that manage their own subscriptions.
    public static let managingKinds: Set<OrganisationKind> = [.department, .township, .village]

    /// Every rule the subscription breaks for an organisation of `kind`, by field (JSON pointers
    /// into the request body; `name` for the name).
    public func problems(for kind: OrganisationKind, catalogue: EventCatalogue = .standard) -> [ContractViolation] {
        var out: [ContractViolation] = []
        if name.range(of: #"^[a-z][a-z0-9-]{0,62}$"#, options: .regularExpression) == nil {
            out.append(ContractViolation(field: "name", message: "must be 1–63 lowercase letters, digits or hyphens, starting with a letter"))
        }
        if let types = eventTypes {
            if types.isEmpty { out.append(ContractViolation(field: "/event_types", message: "must list at least one type (omit it for every type)")) }
            if types.count > 100 { out.append(ContractViolation(field: "/event_types", message: "must list at most 100 types")) }
            var seen: Set<String> = []
            for (i, type) in types.enumerated() {
                if catalogue.contract(for: type) == nil {
                    out.append(ContractViolation(field: "/event_types/\(i)", message: "\(type) is not in the event catalogue"))
                } else if !Permissions(catalogue: catalogue).maySubscribe(kind, type) {
                    out.append(ContractViolation(field: "/event_types/\(i)", message: "a \(kind.rawValue) may not subscribe to \(type)"))
                } else if !seen.insert(type).inserted {
                    out.append(ContractViolation(field: "/event_types/\(i)", message: "\(type) is listed twice"))
                }
            }
        }
        if districtPrefix.count > 12 || !districtPrefix.allSatisfy({ $0.isASCII && $0.isNumber }) {
            out.append(ContractViolation(field: "/district_prefix", message: "must be up to 12 digits of a division code"))
        }
        return out
    }
}
