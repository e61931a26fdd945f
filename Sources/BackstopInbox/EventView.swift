import BackstopAccess
import BackstopContracts

/// What one organisation may see of one event (domain brief §8.3), decided without I/O.
///
/// - Enterprises, cooperatives, social organisations and insurers never receive the fields the
///   contract marks sensitive (`x-backstop-sensitive`).
/// - Departments, townships and villages receive them when the event is within their duty: it
///   names the organisation (as lead, co-handler, owner, employer…), or, for a township or
///   village, it concerns a place inside its division. Every such field shown is a read that
///   must be audit-logged.
/// - Withheld fields are removed from `data` and listed, so the reader knows what it did not get;
///   the envelope's `districtcode` is then cut to the county (listed as `/districtcode`).
public struct EventView: Sendable, Hashable {
    /// The event as the organisation may see it.
    public var event: CloudEvent
    /// Sensitive fields shown (JSON pointers into the envelope): each read is audit-logged.
    public var shownSensitive: [String]
    /// Sensitive fields removed (JSON pointers into the envelope).
    public var withheld: [String]

    /// Kinds that never see sensitive fields.
    public static let thirdParties: Set<OrganisationKind> = [.enterprise, .cooperative, .socialOrg, .insurer]
    /// Kinds whose duty is territorial: their division and everything below it.
    public static let territorial: Set<OrganisationKind> = [.township, .village]

    /// The view of `event` for `reader`, under the catalogue's contract of its type (events of
    /// types outside the catalogue carry no marked fields and are shown as they are).
    public init(of event: CloudEvent, for reader: Principal, catalogue: EventCatalogue = .standard) {
        self.event = event
        shownSensitive = []
        withheld = []
        guard let contract = catalogue.contract(for: event.type), !contract.sensitiveFields.isEmpty,
              case .object(var data) = event.data else { return }
        let present = contract.sensitiveFields.filter { data[$0] != nil }
        guard !present.isEmpty else { return }
        if Self.withinDuty(event, contract: contract, reader: reader) {
            shownSensitive = present.map { "/data/\($0)" }
        } else {
            for field in present { data[field] = nil }
            withheld = present.map { "/data/\($0)" }
            self.event.data = .object(data)
            // The envelope's division code would tell the village the withheld fields hide: keep
            // only the county.
            if let district = event.districtCode, district.count > 6 {
                self.event.districtCode = String(district.prefix(6))
                withheld.append("/districtcode")
            }
        }
    }

    /// Whether an organisation of a kind allowed to subscribe receives `event` at all: third parties
    /// only public events and events that name them (the inbox routing statement, route.sql,
    /// applies the same rule to many organisations at once).
    public static func reaches(_ event: CloudEvent, contract: EventContract?, reader: Principal) -> Bool {
        !thirdParties.contains(reader.kind) || contract?.sensitivity == .public
            || (contract?.organisations(namedIn: event).contains(reader.organisation) ?? false)
    }

    /// Whether `reader` may see the sensitive fields of `event`.
    static func withinDuty(_ event: CloudEvent, contract: EventContract, reader: Principal) -> Bool {
        if thirdParties.contains(reader.kind) { return false }
        if contract.organisations(namedIn: event).contains(reader.organisation) { return true }
        if territorial.contains(reader.kind), let district = event.districtCode, district.hasPrefix(reader.districtCode) { return true }
        return false
    }
}
