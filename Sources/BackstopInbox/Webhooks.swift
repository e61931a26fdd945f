import BackstopAccess
import BackstopBus
import BackstopContracts
import BackstopPostgres
import Foundation

/// A webhook endpoint of an organisation's subscription.
public struct Webhook: Sendable, Hashable {
    /// How events are POSTed: CloudEvents structured mode (`application/cloudevents+json`, the
    /// whole envelope) or binary mode (`ce-*` headers, the data as the body).
    public enum Mode: String, Sendable, CaseIterable {
        /// The whole envelope as the body.
        case structured
        /// Attributes in `ce-*` headers, `data` as the body.
        case binary
    }

    /// The `http` or `https` URL events are POSTed to.
    public var url: String
    /// Structured or binary mode.
    public var mode: Mode
    /// Attempts before a delivery is dead-lettered (1–50).
    public var maxAttempts: Int
    /// The bus subscription that carries its deliveries (`webhook.<id>`): `backstop dlq list` it.
    public var busSubscription: String
    /// When it was registered.
    public var createdAt: Date?
    /// The signing secret; only returned when it is new (registration or rotation).
    public var secret: String?

    /// Every rule `url` and `maxAttempts` break, by field (JSON pointers into the request body).
    public static func problems(url: String, maxAttempts: Int) -> [ContractViolation] {
        var out: [ContractViolation] = []
        if (url.hasPrefix("http://") || url.hasPrefix("https://")), url.unicodeScalars.count <= 2000,
           let parsed = URL(string: url), parsed.host?.isEmpty == false {
        } else {
            out.append(ContractViolation(field: "/url", message: "must be an http:// or https:// URL with a host, at most 2000 characters"))
        }
        if !(1...50).contains(maxAttempts) { out.append(ContractViolation(field: "/max_attempts", message: "must be from 1 to 50")) }
        return out
    }
}

/// Registers, rotates and removes webhook endpoints, keeping each one's bus subscription in step
/// with the organisation subscription it belongs to.
public struct Webhooks: Sendable {
    private let bus: Bus
    private let catalogue: EventCatalogue
    private let sql = InboxSQL()

    /// Webhooks on `bus`'s database.
    public init(bus: Bus, catalogue: EventCatalogue = .standard) {
        self.bus = bus
        self.catalogue = catalogue
    }

    /// The bus subscription name of the webhook of organisation subscription `id`.
    public static func busSubscription(_ id: Int64) -> String { "webhook.\(id)" }

    /// Registers or replaces the webhook of `principal`'s subscription `name`, with a new secret
    /// (returned once), and whether it is new. Throws ``InboxError`` for bad input or an unknown
    /// subscription.
    public func register(_ url: String, mode: Webhook.Mode, maxAttempts: Int, on name: String,
                         for principal: Principal) async throws -> (webhook: Webhook, created: Bool) {
        let problems = Webhook.problems(url: url, maxAttempts: maxAttempts)
        if !problems.isEmpty { throw InboxError.invalid(problems) }
        guard let subscription = try await Inbox(pool: bus.pool).subscriptions(of: principal.organisation).first(where: { $0.name == name }) else {
            throw InboxError.notFound("\(principal.organisation) has no subscription \(name)")
        }
        let secret = WebhookSignature.newSecret()
        let rows = try await bus.pool.query(sql.webhookPut, [principal.organisation, name, url, mode.rawValue, maxAttempts, secret])
        guard let row = rows.first else { throw InboxError.notFound("\(principal.organisation) has no subscription \(name)") }
        var hook = try Self.webhook(row)
        try await sync(subscription, kind: principal.kind, webhook: hook)
        hook.secret = secret
        return (hook, try row.decode(Bool.self, at: 6))
    }

    /// Replaces the secret of a webhook (the old one stays valid for a day); returns the new one.
    public func rotate(on name: String, for principal: Principal) async throws -> Webhook {
        let secret = WebhookSignature.newSecret()
        guard let row = try await bus.pool.query(sql.webhookRotate, [principal.organisation, name, secret]).first else {
            throw InboxError.notFound("\(principal.organisation) has no webhook on subscription \(name)")
        }
        var hook = try Self.webhook(row)
        hook.secret = secret
        return hook
    }

    /// The webhook of a subscription, if it has one (without its secret).
    public func webhook(on name: String, of organisation: String) async throws -> Webhook? {
        try await bus.pool.query(sql.webhookGet, [organisation, name]).first.map(Self.webhook)
    }

    /// Removes a webhook and its pending deliveries; false when there was none.
    public func remove(on name: String, of organisation: String) async throws -> Bool {
        guard let row = try await bus.pool.query(sql.webhookDelete, [organisation, name]).first else { return false }
        try? await bus.deleteSubscription(named: Self.busSubscription(try row.decode(Int64.self, at: 0)))
        return true
    }

    /// Brings the bus subscription of `subscription`'s webhook (if any) in step with its filter;
    /// call after the organisation subscription changed.
    public func subscriptionChanged(_ subscription: OrganisationSubscription, for principal: Principal) async throws {
        guard let hook = try await webhook(on: subscription.name, of: principal.organisation) else { return }
        try await sync(subscription, kind: principal.kind, webhook: hook)
    }

    private func sync(_ subscription: OrganisationSubscription, kind: OrganisationKind, webhook: Webhook) async throws {
        let types = subscription.eventTypes ?? Permissions(catalogue: catalogue).types(subscribableBy: kind)
        let spec = SubscriptionSpec(name: webhook.busSubscription,
                                    filter: SubscriptionFilter(eventTypes: Set(types), districtPrefix: subscription.districtPrefix),
                                    retry: RetryPolicy(initial: .seconds(1), maximum: .seconds(600), maxAttempts: webhook.maxAttempts),
                                    lease: .seconds(60))
        do {
            try await bus.updateSubscription(spec)
        } catch let error as BusError where error.kind == .unknownSubscription {
            try await bus.createSubscription(spec)
        }
    }

    static func webhook(_ row: PostgresRow) throws -> Webhook {
        Webhook(url: try row.decode(String.self, at: 1), mode: Webhook.Mode(rawValue: try row.decode(String.self, at: 2)) ?? .structured,
                maxAttempts: try row.decode(Int.self, at: 3), busSubscription: busSubscription(try row.decode(Int64.self, at: 0)),
                createdAt: try row.decode(Date.self, at: 4))
    }
}
