import BackstopContracts

/// What an organisation kind may do with each event type, from the catalogue's permission matrix
/// (`Contracts/asyncapi.yaml`, `x-backstop` in each schema).
public struct Permissions: Sendable {
    /// The catalogue the matrix comes from.
    public let catalogue: EventCatalogue

    /// The matrix of `catalogue`.
    public init(catalogue: EventCatalogue = .standard) { self.catalogue = catalogue }

    /// Whether `kind` may publish events of `type` (unknown types: no).
    public func mayPublish(_ kind: OrganisationKind, _ type: String) -> Bool {
        catalogue.contract(for: type)?.publishers.contains(kind) ?? false
    }

    /// Whether `kind` may subscribe to events of `type` (unknown types: no).
    public func maySubscribe(_ kind: OrganisationKind, _ type: String) -> Bool {
        catalogue.contract(for: type)?.subscribers.contains(kind) ?? false
    }

    /// Every catalogued type `kind` may subscribe to, sorted.
    public func types(subscribableBy kind: OrganisationKind) -> [String] {
        catalogue.types.filter { maySubscribe(kind, $0) }
    }

    /// Why `principal` may not publish `event`, or nil when it may: the kind must be allowed to
    /// publish the type, and the event must come from the principal's own source (no organisation
    /// publishes as another).
    public func refusal(toPublish event: CloudEvent, by principal: Principal) -> String? {
        if event.source != principal.source {
            return "\(principal.organisation) publishes as \(principal.source), not \(event.source)"
        }
        if !mayPublish(principal.kind, event.type) {
            return "a \(principal.kind.rawValue) may not publish \(event.type)"
        }
        return nil
    }
}
