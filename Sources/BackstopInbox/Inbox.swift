import BackstopAccess
import BackstopBus
import BackstopContracts
import BackstopPostgres
import Foundation

/// One event in an organisation's inbox, as the organisation may see it.
public struct InboxItem: Sendable {
    /// Its number: increasing in the order items became visible (a resume point for streams).
    public var seq: Int64
    /// The organisation's subscriptions that matched it.
    public var subscriptions: [String]
    /// The event, with the fields the organisation may not see removed (see ``EventView``).
    public var event: CloudEvent
    /// Sensitive fields removed from `event` (JSON pointers).
    public var withheld: [String]
    /// When it reached the inbox.
    public var deliveredAt: Date
    /// When the organisation acknowledged it, if it did.
    public var ackedAt: Date?
}

/// Organisations' subscriptions and inboxes. Reads apply ``EventView`` and write one audit-log
/// entry per event whose sensitive fields are shown, in the transaction that reads it.
public struct Inbox: Sendable {
    private let pool: ConnectionPool
    private let catalogue: EventCatalogue
    private let sql = InboxSQL()

    /// The inboxes in `pool`'s database (migrated with ``InboxSchema``).
    public init(pool: ConnectionPool, catalogue: EventCatalogue = .standard) {
        self.pool = pool
        self.catalogue = catalogue
    }

    // MARK: subscriptions

    /// The organisation's subscriptions, by name.
    public func subscriptions(of organisation: String) async throws -> [OrganisationSubscription] {
        try await pool.query(sql.subscriptionList, [organisation]).map(Self.subscription)
    }

    /// Creates or replaces one of `principal`'s subscriptions after checking it (``InboxError``);
    /// returns it and whether it was created.
    public func put(_ subscription: OrganisationSubscription, for principal: Principal) async throws -> (OrganisationSubscription, created: Bool) {
        let problems = subscription.problems(for: principal.kind, catalogue: catalogue)
        if !problems.isEmpty { throw InboxError.invalid(problems) }
        let rows = try await pool.query(sql.subscriptionPut, [principal.organisation, subscription.name, subscription.eventTypes, subscription.districtPrefix])
        guard let row = rows.first else { throw InboxError.notFound("no organisation \(principal.organisation)") }
        return (try Self.subscription(row), try row.decode(Bool.self, at: 5))
    }

    /// Deletes one of the organisation's subscriptions (events already in the inbox stay); false
    /// when it has no subscription of that name.
    public func deleteSubscription(_ name: String, of organisation: String) async throws -> Bool {
        try await pool.query(sql.subscriptionDelete, [organisation, name]).count == 1
    }

    static func subscription(_ row: PostgresRow) throws -> OrganisationSubscription {
        OrganisationSubscription(name: try row.decode(String.self, at: 0), eventTypes: try row.decode([String]?.self, at: 1),
                                 districtPrefix: try row.decode(String.self, at: 2), createdAt: try row.decode(Date.self, at: 3),
                                 updatedAt: try row.decode(Date.self, at: 4))
    }

    // MARK: reading

    /// Up to `limit` items of `principal`'s inbox after number `after`, oldest first: of `types`
    /// (nil: all), only unacknowledged ones when `pendingOnly`. Sensitive fields shown are
    /// audit-logged before the items are returned.
    public func items(for principal: Principal, after: Int64 = 0, limit: Int = 100, types: [String]? = nil,
                      pendingOnly: Bool = false) async throws -> [InboxItem] {
        let sql = self.sql
        let catalogue = self.catalogue
        let audit = AuditLog(pool: pool)
        return try await pool.withTransaction { c in
            let rows = try c.execute(sql.list, [principal.organisation, after, limit, types, pendingOnly])
            var items: [InboxItem] = []
            items.reserveCapacity(rows.count)
            for row in rows {
                let stored = try EnvelopeValidation.parse(try row.decode(String.self, at: 2))
                let view = EventView(of: stored, for: principal, catalogue: catalogue)
                if !view.shownSensitive.isEmpty {
                    let purpose = catalogue.contract(for: stored.type)?.purpose ?? .monitoring
                    try audit.recordRead(by: principal, of: stored, fields: view.shownSensitive, purpose: purpose, in: c)
                }
                items.append(InboxItem(seq: try row.decode(Int64.self, at: 0), subscriptions: try row.decode([String].self, at: 1),
                                       event: view.event, withheld: view.withheld, deliveredAt: try row.decode(Date.self, at: 3),
                                       ackedAt: try row.decode(Date?.self, at: 4)))
            }
            return items
        }
    }

    /// Acknowledges item `seq` of the organisation's inbox; returns when it was first acknowledged,
    /// or nil when the organisation has no such item.
    public func ack(_ seq: Int64, for organisation: String) async throws -> Date? {
        try await pool.query(sql.ack, [organisation, seq]).first.map { try $0.decode(Date.self, at: 1) }
    }
}

/// A request about subscriptions or the inbox that cannot be done.
public enum InboxError: Error, Sendable, CustomStringConvertible {
    /// The input breaks these rules; nothing was written.
    case invalid([ContractViolation])
    /// No such thing.
    case notFound(String)

    public var description: String {
        switch self {
        case .invalid(let problems): problems.map { "\($0.field): \($0.message)" }.joined(separator: "; ")
        case .notFound(let message): message
        }
    }
}
