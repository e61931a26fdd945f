import BackstopContracts
import BackstopPostgres
import Foundation

/// Which events a subscription receives.
public struct SubscriptionFilter: Sendable, Hashable {
    /// Event types to receive; `nil` receives every type.
    public var eventTypes: Set<String>?
    /// Only events whose district code starts with this (empty: every district).
    public var districtPrefix: String

    /// Creates a filter.
    public init(eventTypes: Set<String>? = nil, districtPrefix: String = "") {
        self.eventTypes = eventTypes
        self.districtPrefix = districtPrefix
    }
}

/// What a subscription is: a durable, named queue fed with every matching event.
public struct SubscriptionSpec: Sendable, Hashable {
    /// The unique name (lowercase letters, digits, `.`, `_`, `-`; at most 100).
    public var name: String
    /// Which events it receives.
    public var filter: SubscriptionFilter
    /// Deliver at most one unacknowledged event per subject at a time, in publish order.
    public var ordered: Bool
    /// Backoff and the attempt limit before dead-lettering.
    public var retry: RetryPolicy
    /// How long a claim is held before the delivery is handed out again.
    public var lease: Duration

    /// Creates a specification.
    public init(name: String, filter: SubscriptionFilter = SubscriptionFilter(), ordered: Bool = false,
                retry: RetryPolicy = RetryPolicy(), lease: Duration = .seconds(30)) {
        self.name = name
        self.filter = filter
        self.ordered = ordered
        self.retry = retry
        self.lease = lease
    }

    /// Problems with the specification, each naming its field; empty when valid.
    public func problems() -> [BusError.FieldProblem] {
        var out: [BusError.FieldProblem] = []
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789._-")
        if name.isEmpty || name.count > 100 || !name.allSatisfy(allowed.contains) || name.first == "-" {
            out.append(.init(field: "name", message: "must be 1–100 characters of a–z, 0–9, '.', '_' or '-' (not starting with '-')"))
        }
        if let types = filter.eventTypes, types.isEmpty || types.contains(where: { $0.isEmpty || $0.count > 128 }) {
            out.append(.init(field: "event_types", message: "must list at least one non-empty event type (omit it to receive every type)"))
        }
        if !filter.districtPrefix.allSatisfy({ $0.isASCII && $0.isNumber }) || filter.districtPrefix.count > 12 {
            out.append(.init(field: "district_prefix", message: "must be up to 12 digits"))
        }
        if retry.maxAttempts < 1 || retry.maxAttempts > 1000 {
            out.append(.init(field: "max_attempts", message: "must be between 1 and 1000"))
        }
        if retry.initial < .zero || retry.maximum < retry.initial || retry.maximum > .seconds(7 * 86_400) {
            out.append(.init(field: "backoff", message: "needs 0 ≤ initial ≤ maximum ≤ 7 days"))
        }
        if lease < .milliseconds(100) || lease > .seconds(86_400) {
            out.append(.init(field: "lease", message: "must be between 100 ms and 24 h"))
        }
        return out
    }
}

/// A stored subscription.
public struct Subscription: Sendable, Hashable {
    /// The database id.
    public var id: Int64
    /// The specification it was created or last updated with.
    public var spec: SubscriptionSpec
    /// When it was created; it receives events published from then on.
    public var createdAt: Date

    /// The name.
    public var name: String { spec.name }

    init(row: PostgresRow) throws {
        let types = try row.decode([String]?.self, at: 2)
        id = try row.decode(Int64.self, at: 0)
        spec = SubscriptionSpec(
            name: try row.decode(String.self, at: 1),
            filter: SubscriptionFilter(eventTypes: types.map(Set.init), districtPrefix: try row.decode(String.self, at: 3)),
            ordered: try row.decode(Bool.self, at: 4),
            retry: RetryPolicy(
                initial: .milliseconds(try row.decode(Int.self, at: 6)),
                maximum: .milliseconds(try row.decode(Int.self, at: 7)),
                maxAttempts: try row.decode(Int.self, at: 5)),
            lease: .milliseconds(try row.decode(Int.self, at: 8)))
        createdAt = try row.decode(Date.self, at: 9)
    }
}

extension SubscriptionSpec {
    var parameters: [any PostgresEncodable] {
        [name, filter.eventTypes.map { $0.sorted() }, filter.districtPrefix, ordered, retry.maxAttempts,
         retry.initial.milliseconds, retry.maximum.milliseconds, lease.milliseconds]
    }
}

/// Queue depth of one subscription, as `backstop status` shows it.
public struct SubscriptionStatus: Sendable, Hashable {
    /// The subscription.
    public var name: String
    /// Deliveries that can be claimed now.
    public var ready: Int
    /// Deliveries claimed under a lease that has not expired.
    public var inFlight: Int
    /// Deliveries waiting out a retry delay.
    public var delayed: Int
    /// Dead letters.
    public var deadLetters: Int
    /// Age of the oldest pending delivery.
    public var oldestAge: Duration
}

/// A delivery that ran out of attempts.
public struct DeadLetter: Sendable {
    /// The event's position in the log.
    public var position: Int64
    /// Attempts made.
    public var attempts: Int
    /// The last error a consumer reported (or why the lease ran out).
    public var lastError: String?
    /// When it was dead-lettered.
    public var deadAt: Date
    /// The event, if it is still retained.
    public var event: CloudEvent?
}
