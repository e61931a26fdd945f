import BackstopAccess
import BackstopBus
import BackstopContracts
import BackstopPostgres
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Fills the inboxes of the organisations a service serves: consumes the bus subscription
/// `inbox.<service>` and, for each event, adds it to the inbox of every organisation of those kinds
/// whose subscriptions match, acknowledging the delivery in the same transaction (so a crash
/// neither loses nor doubles an item).
///
/// Who receives what: the kind must be allowed to subscribe to the type (the permission matrix);
/// enterprises, cooperatives, social organisations and insurers receive only public events and
/// events that name them (an employer its referrals, an owner its obligations), while
/// departments, townships and villages receive every event their subscriptions match.
public struct InboxRouter: Service {
    /// The service whose organisations it serves (`enterprise-service`).
    public let service: String
    /// The organisation kinds it serves.
    public let kinds: Set<OrganisationKind>
    private let bus: Bus
    private let catalogue: EventCatalogue
    private let bell: InboxBell
    private let logger: Logger
    private let sql = InboxSQL()

    /// A router for `kinds` on `bus`, ringing `bell` after each routed event.
    public init(service: String, kinds: Set<OrganisationKind>, bus: Bus, bell: InboxBell, catalogue: EventCatalogue = .standard,
                logger: Logger = Logger(label: "backstop.inbox")) {
        self.service = service
        self.kinds = kinds
        self.bus = bus
        self.bell = bell
        self.catalogue = catalogue
        self.logger = logger
    }

    /// The bus subscription it consumes.
    public var busSubscription: String { "inbox.\(service)" }

    /// (kind, type) pairs the service may deliver, sorted.
    var permitted: [(kind: OrganisationKind, type: String)] {
        let permissions = Permissions(catalogue: catalogue)
        return kinds.sorted().flatMap { kind in permissions.types(subscribableBy: kind).map { (kind, $0) } }
    }

    /// Creates or updates the bus subscription so it carries every type the kinds may receive.
    public func prepare() async throws {
        let spec = SubscriptionSpec(name: busSubscription, filter: SubscriptionFilter(eventTypes: Set(permitted.map(\.type))))
        try await bus.ensureSubscription(spec)
    }

    /// Routes until the task is cancelled or the service group shuts down gracefully.
    public func run() async throws {
        var wait = Duration.milliseconds(200)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await prepare()
                break
            } catch {
                logger.warning("inbox routing cannot start yet: \(error)")
                try? await Task.sleep(for: wait)
                wait = min(wait * 2, .seconds(10))
            }
        }
        try await cancelWhenGracefulShutdown {
            for try await delivery in bus.subscribe(busSubscription, batchSize: 32) {
                do {
                    try await route(delivery)
                    count("ack")
                } catch {
                    logger.error("routing \(delivery.event.type) \(delivery.event.id) failed: \(error)")
                    if let outcome = try? await delivery.nack(error: "\(error)"), outcome != .stale {
                        count(outcome == .dead ? "dead" : "nack")
                    }
                }
            }
        }
    }

    /// Counts a delivery in `backstop_deliveries_total` (served at a service's `/metrics`).
    private func count(_ outcome: String) {
        Counter(label: "backstop_deliveries_total", dimensions: [("subscription", busSubscription), ("outcome", outcome)]).increment()
    }

    /// Adds one delivered event to the matching inboxes and acknowledges it; returns how many
    /// inboxes received it.
    @discardableResult
    public func route(_ delivery: Delivery) async throws -> Int {
        let event = delivery.event
        let contract = catalogue.contract(for: event.type)
        let named = JSONText.encode(.array((contract?.organisations(namedIn: event) ?? []).sorted().map(JSONValue.string)))
        let broadcast = contract?.sensitivity == .public
        let pairs = permitted
        let open = kinds.subtracting(EventView.thirdParties).map(\.rawValue).sorted()
        let lock = "backstop.inbox:\(service)"
        let sql = self.sql
        let bus = self.bus
        let routed = try await bus.transaction { c in
            _ = try c.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [lock])
            let rows = try c.executePrepared("backstop_inbox_route", sql.route, [
                [delivery.position], [delivery.acceptedAt], [event.id], [event.type], [event.districtCode ?? ""], [event.jsonText()],
                [named], [broadcast], pairs.map(\.kind.rawValue), pairs.map(\.type), open,
            ])
            try bus.ack(delivery, in: c)
            return rows.count
        }
        if routed > 0 { bell.ring() }
        return routed
    }
}
