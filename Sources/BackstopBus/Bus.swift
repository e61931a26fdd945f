import BackstopContracts
import BackstopPostgres
import Foundation
import Logging

/// The durable publish/subscribe bus on PostgreSQL.
///
/// Publishing stores each event once per `(source, idempotency key)` and fans it out, in the same
/// statement, to every subscription whose filter matches. Consumers claim deliveries under a lease
/// and acknowledge them; failures are retried with backoff and dead-lettered after the subscription's
/// attempt limit (design D5).
///
/// ```swift
/// let bus = try await Bus.open(BusConfiguration(conninfo: url))
/// try await bus.createSubscription(SubscriptionSpec(name: "health-alerts",
///     filter: SubscriptionFilter(eventTypes: ["cn.backstop.alert.raised.v1"])))
/// try await bus.publish(CloudEvent(source: "/orgs/coordinator", type: "cn.backstop.alert.raised.v1",
///                                  data: .object([:])))
/// for try await delivery in bus.subscribe("health-alerts") { …; try await delivery.ack() }
/// ```
public final class Bus: Sendable {
    /// The configuration in use.
    public let configuration: BusConfiguration
    /// The connection pool the bus runs on; also usable for the caller's own tables (consume and
    /// publish in one transaction). Its sessions use `plan_cache_mode = force_generic_plan`, which
    /// suits the bus's key-lookup statements; give analytical work a pool of its own.
    public let pool: ConnectionPool
    /// Connections for claims, acks, nacks and lease extensions, with `synchronous_commit` off: a lost
    /// one only causes a redelivery, so it need not wait for the WAL flush (design D6). Accepting an
    /// event always goes through ``pool`` and is durable before the publisher hears "yes".
    let leasePool: ConnectionPool
    let hub: WakeHub
    let logger: Logger
    private let sql = BusSQL.shared

    /// Connects and applies pending migrations (under an advisory lock, so concurrent starts are safe).
    public static func open(_ configuration: BusConfiguration, migrate: Bool = true, logger: Logger = Logger(label: "backstop.bus")) async throws -> Bus {
        let bus = Bus(configuration, logger: logger)
        if migrate { try await Migrator(logger: logger).migrate(bus.pool) }
        return bus
    }

    /// Creates a bus over an existing schema (see ``open(_:migrate:logger:)``).
    public init(_ configuration: BusConfiguration, logger: Logger = Logger(label: "backstop.bus")) {
        self.configuration = configuration
        self.logger = logger
        // Generic plans: the bus's statements are long CTEs whose planning costs more than running
        // them. A generic plan is made once per connection, often while the queue tables are still
        // empty, and kept. The lease pool (claims, acks) also turns seq scans off so its plans stay
        // index plans as the queue grows (measured: a claim planned on an empty table cost 6 ms and
        // 544 buffers, 0.2 ms and 23 buffers without seq scans).
        let planSettings = ["plan_cache_mode": "force_generic_plan"]
        pool = ConnectionPool(.init(conninfo: configuration.conninfo, maximumConnections: configuration.maximumConnections,
                                    connectTimeout: configuration.reconnectTimeout, sessionSettings: planSettings), logger: logger)
        leasePool = ConnectionPool(.init(conninfo: configuration.conninfo, maximumConnections: configuration.maximumConnections,
                                         connectTimeout: configuration.reconnectTimeout,
                                         sessionSettings: planSettings.merging(["synchronous_commit": "off", "enable_seqscan": "off"]) { $1 }),
                                    logger: logger)
        hub = WakeHub(conninfo: configuration.conninfo, debounce: configuration.notifyDebounce, logger: logger)
    }

    /// Closes the pool and the wake-up listener.
    public func close() async {
        await hub.close()
        await leasePool.close()
        await pool.close()
    }

    // MARK: publish

    /// Publishes one event; see ``publish(_:)-([CloudEvent])``.
    @discardableResult
    public func publish(_ event: CloudEvent) async throws -> PublishReceipt {
        try await publish([event])[0]
    }

    /// Publishes a batch in one round trip and one transaction.
    ///
    /// Every envelope is validated first; if any is invalid nothing is stored and ``InvalidEvent``
    /// names the event and field. Publishing retries by itself across connection loss (a server
    /// restart): it is idempotent, because an event without an idempotency key is deduplicated on
    /// its `id`.
    @discardableResult
    public func publish(_ events: [CloudEvent]) async throws -> [PublishReceipt] {
        let batch = try PublishBatch(events)
        let (receipts, woken) = try await retryingTransient {
            try await self.pool.withConnection { connection in try await self.publish(batch, in: connection) }
        }
        var counts: [Int64: Int] = [:]
        for id in woken { counts[id, default: 0] += 1 }
        if !counts.isEmpty { hub.published(counts) }
        return receipts
    }

    /// Publishes inside the caller's transaction: if it rolls back, nothing is ever delivered.
    /// Call ``notifyPublished()`` after the commit to wake consumers at once (they poll anyway).
    @discardableResult
    public func publish(_ events: [CloudEvent], in connection: isolated Connection) throws -> [PublishReceipt] {
        try publish(try PublishBatch(events), in: connection).receipts
    }

    /// The receipts, and the subscription of every delivery made (see ``PublishBatch/receipts(from:)``).
    private func publish(_ batch: PublishBatch, in connection: isolated Connection) throws -> (receipts: [PublishReceipt], woken: [Int64]) {
        let result = try connection.executePrepared("backstop_publish", sql.publish, batch.parameters)
        var (receipts, woken) = try batch.receipts(from: result)
        let missing = receipts.indices.filter { receipts[$0] == nil }
        if !missing.isEmpty {
            // Keys a concurrent publisher committed while the statement ran: this statement sees them.
            let events = missing.map { batch.events[$0] }
            let found = try connection.executePrepared("backstop_publish_lookup", sql.publishLookup,
                                                       [events.map(\.source), events.map(\.deduplicationKey)])
            for row in found {
                let index = missing[try row.decode(Int.self, at: 0) - 1]
                receipts[index] = PublishReceipt(id: try row.decode(String.self, at: 1), position: try row.decode(Int64.self, at: 2),
                                                 acceptedAt: try row.decode(Date.self, at: 3), duplicate: true)
            }
        }
        return (try receipts.map { receipt in
            guard let receipt else {
                throw PostgresError(code: .server, message: "a concurrent publish with the same idempotency key did not commit; retry", sqlState: "40001")
            }
            return receipt
        }, woken)
    }

    /// Wakes consumers after a transaction that published has committed.
    public func notifyPublished() {
        hub.published(nil)
    }

    /// Runs `body` in one transaction on a pooled connection, then wakes consumers. Use it to
    /// acknowledge input and publish output atomically (``ack(_:in:)`` + ``publish(_:in:)``): a
    /// crash at any point either keeps both or neither.
    @discardableResult
    public func transaction<T: Sendable>(_ body: @Sendable (isolated Connection) throws -> T) async throws -> T {
        let value = try await pool.withTransaction { connection in try body(connection) }
        hub.published(nil)
        return value
    }

    // MARK: subscriptions

    /// Creates a subscription; it receives events published from now on.
    @discardableResult
    public func createSubscription(_ spec: SubscriptionSpec) async throws -> Subscription {
        try check(spec)
        do {
            let result = try await pool.query(sql.subscriptionCreate, spec.parameters)
            return try Subscription(row: result.first!)
        } catch let error as PostgresError where error.sqlState == "23505" {
            throw BusError(.duplicateSubscription, [.init(field: "name", message: "a subscription named \(spec.name) exists already")])
        }
    }

    /// Replaces a subscription's filter and policies (matched by name); affects events published
    /// from now on. Whether it is ordered cannot change (recreate it instead).
    @discardableResult
    public func updateSubscription(_ spec: SubscriptionSpec) async throws -> Subscription {
        try check(spec)
        // Publishers in flight may have stored deliveries under the old setting, so switching
        // ordering on or off in place could hand out a subject's events out of order.
        if try await subscription(named: spec.name).spec.ordered != spec.ordered {
            throw BusError(.invalidInput, [.init(field: "ordered", message: "cannot be changed on an existing subscription; delete it and create it again")])
        }
        let result = try await pool.query(sql.subscriptionUpdate, spec.parameters)
        guard let row = result.first else { throw unknown(spec.name) }
        return try Subscription(row: row)
    }

    /// Makes sure a subscription named like `spec` exists with `spec`'s filter: creates it, or
    /// updates it when its filter differs. Safe when several processes do it at once (one creates,
    /// the others find it). For services that own their subscription.
    public func ensureSubscription(_ spec: SubscriptionSpec) async throws {
        do {
            let existing = try await subscription(named: spec.name)
            if existing.spec.filter != spec.filter { try await updateSubscription(spec) }
        } catch let error as BusError where error.kind == .unknownSubscription {
            do { try await createSubscription(spec) } catch let error as BusError where error.kind == .duplicateSubscription {
                // Another process created it at the same moment.
            }
        }
    }

    /// All subscriptions, by name.
    public func subscriptions() async throws -> [Subscription] {
        try await pool.query(sql.subscriptionList, [String?.none]).map(Subscription.init(row:))
    }

    /// The subscription called `name`.
    public func subscription(named name: String) async throws -> Subscription {
        guard let row = try await pool.query(sql.subscriptionList, [name]).first else { throw unknown(name) }
        return try Subscription(row: row)
    }

    /// Deletes a subscription with its pending deliveries and dead letters.
    public func deleteSubscription(named name: String) async throws {
        let result = try await pool.query(sql.subscriptionDelete, [name])
        guard try result.first?.decode(Int.self, at: 0) == 1 else { throw unknown(name) }
    }

    // MARK: consuming

    /// Claims up to `limit` deliveries for `subscription`, leased for `lease` (default: the
    /// subscription's), acknowledging `acks` in the same round trip.
    public func claim(_ subscription: String, limit: Int = 1, lease: Duration? = nil, acknowledging acks: [Delivery] = []) async throws -> [Delivery] {
        let sub = try await self.subscription(named: subscription)
        return try await claim(sub, limit: limit, lease: lease, acks: acks, consumer: nil)
    }

    func claim(_ subscription: Subscription, limit: Int, lease: Duration?, acks: [Delivery], consumer: Consumer?) async throws -> [Delivery] {
        let result = try await leasePool.withConnection { connection in
            try await connection.query(prepared: "backstop_claim", self.sql.claim, [
                subscription.id, limit, lease?.milliseconds, acks.map(\.position), acks.map(\.leaseToken),
            ])
        }
        let handle = DeliveryHandle(bus: self, consumer: consumer)
        return try result.map { row in
            let envelope = try row.decode(String.self, at: 3)
            return Delivery(
                subscription: subscription.name, event: try Self.decodeStored(envelope),
                position: try row.decode(Int64.self, at: 0), attempt: try row.decode(Int.self, at: 1),
                acceptedAt: try row.decode(Date.self, at: 2), subscriptionID: subscription.id,
                leaseToken: try row.decode(UUID.self, at: 4), handle: handle)
        }
    }

    /// Acknowledges deliveries in one round trip (they may belong to different subscriptions).
    public func ack(_ deliveries: [Delivery]) async throws {
        for (id, group) in Dictionary(grouping: deliveries, by: \.subscriptionID) {
            _ = try await leasePool.withConnection { connection in
                try await connection.query(prepared: "backstop_claim", self.sql.claim, [
                    id, 0, Int?.none, group.map(\.position), group.map(\.leaseToken),
                ])
            }
        }
    }

    /// Acknowledges a delivery inside the caller's transaction (see ``transaction(_:)``).
    public func ack(_ delivery: Delivery, in connection: isolated Connection) throws {
        _ = try connection.executePrepared("backstop_claim", sql.claim, [
            delivery.subscriptionID, 0, Int?.none, [delivery.position], [delivery.leaseToken],
        ])
    }

    /// Gives a delivery back; see ``Delivery/nack(after:error:)``.
    @discardableResult
    public func nack(_ delivery: Delivery, after delay: Duration? = nil, error: String = "") async throws -> NackOutcome {
        var wait = delay
        if wait == nil {
            let policy = try await subscription(named: delivery.subscription).spec.retry
            wait = policy.delay(afterAttempt: delivery.attempt)
        }
        let result = try await leasePool.query(sql.nack, [
            delivery.subscriptionID, delivery.position, delivery.leaseToken, wait!.milliseconds, String(error.prefix(4000)), false,
        ])
        return NackOutcome(rawValue: try result.first!.decode(String.self, at: 0)) ?? .stale
    }

    /// Extends a delivery's lease to `duration` from now; false if the lease was lost meanwhile.
    @discardableResult
    public func extend(_ delivery: Delivery, by duration: Duration) async throws -> Bool {
        let result = try await leasePool.query(sql.extend, [delivery.subscriptionID, delivery.position, delivery.leaseToken, duration.milliseconds])
        return result.count == 1
    }

    /// An endless stream of deliveries for `subscription`: claims in batches of `batchSize`, wakes
    /// within milliseconds of a publish, polls every `pollInterval` as a fallback, and rides out
    /// connection loss with backoff. It ends when the iterating task is cancelled.
    public func subscribe(_ subscription: String, batchSize: Int = 16, lease: Duration? = nil, pollInterval: Duration? = nil) -> Deliveries {
        Deliveries(consumer: Consumer(bus: self, subscription: subscription, batchSize: batchSize, lease: lease,
                                      pollInterval: pollInterval ?? configuration.pollInterval))
    }

    // MARK: dead letters, status, retention

    /// Dead letters of a subscription, oldest first.
    public func deadLetters(_ subscription: String, limit: Int = 100) async throws -> [DeadLetter] {
        let sub = try await self.subscription(named: subscription)
        return try await pool.query(sql.deadLetters, [sub.id, limit]).map { row in
            DeadLetter(
                position: try row.decode(Int64.self, at: 0), attempts: try row.decode(Int.self, at: 1),
                lastError: try row.decode(String?.self, at: 2), deadAt: try row.decode(Date.self, at: 3),
                event: try row.decode(String?.self, at: 4).map(Self.decodeStored))
        }
    }

    /// Returns dead letters to the queue with fresh attempts (all of them when `positions` is nil).
    @discardableResult
    public func redrive(_ subscription: String, positions: [Int64]? = nil) async throws -> Int {
        let sub = try await self.subscription(named: subscription)
        let result = try await pool.query(sql.redrive, [sub.id, positions])
        hub.published(nil)
        return try result.first!.decode(Int.self, at: 0)
    }

    /// Queue depth per subscription.
    public func status() async throws -> [SubscriptionStatus] {
        try await pool.query(sql.status).map { row in
            SubscriptionStatus(
                name: try row.decode(String.self, at: 0), ready: try row.decode(Int.self, at: 1),
                inFlight: try row.decode(Int.self, at: 2), delayed: try row.decode(Int.self, at: 3),
                deadLetters: try row.decode(Int.self, at: 4),
                oldestAge: .milliseconds(Int64(try row.decode(Double.self, at: 5) * 1000)))
        }
    }

    /// Creates upcoming day partitions and drops those older than the retention period (never one
    /// still referenced by a pending delivery or dead letter). Returns what it did.
    @discardableResult
    public func maintain(retention: Duration? = nil, daysAhead: Int = 7) async throws -> [(action: String, partition: String)] {
        try await pool.query(sql.maintain, [(retention ?? configuration.retention).seconds, daysAhead]).map {
            (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1))
        }
    }

    // MARK: helpers

    private func check(_ spec: SubscriptionSpec) throws {
        let problems = spec.problems()
        if !problems.isEmpty { throw BusError(.invalidInput, problems) }
    }

    private func unknown(_ name: String) -> BusError {
        BusError(.unknownSubscription, [.init(field: "subscription", message: "no subscription named \(name)")])
    }

    static func decodeStored(_ envelope: String) throws -> CloudEvent {
        do { return try EnvelopeValidation.parse(envelope) } catch {
            throw PostgresError(code: .decoding, message: "stored envelope does not parse: \(error)")
        }
    }

    /// Retries `work` on transient failures (connection loss, server restart) until the pool's
    /// reconnect timeout. Only for idempotent work.
    func retryingTransient<T: Sendable>(_ work: () async throws -> T) async throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.reconnectTimeout
        var delay = Duration.milliseconds(20)
        while true {
            do {
                return try await work()
            } catch let error as PostgresError where error.isTransient && clock.now + delay < deadline {
                logger.debug("retrying after transient error: \(error)")
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(1))
            }
        }
    }
}

/// Where the bus stored one published event.
public struct PublishReceipt: Sendable, Hashable {
    /// The event id (the one first stored for a duplicate).
    public var id: String
    /// Its position in the log.
    public var position: Int64
    /// When the bus accepted it.
    public var acceptedAt: Date
    /// True when an event with the same `(source, idempotency key)` was stored before; nothing new
    /// was stored or delivered.
    public var duplicate: Bool
}
