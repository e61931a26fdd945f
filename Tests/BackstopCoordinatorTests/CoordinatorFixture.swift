import BackstopBus
import BackstopContracts
import BackstopCoordinator
import BackstopPostgres
import BackstopTesting
import Foundation

/// A coordinator with the shipped S-province rules on a fresh database, driven by hand: events are
/// published, then `step()` hands every delivery to the coordinator, and `observed()` returns what
/// it published.
struct CoordinatorFixture {
    let bus: Bus
    let coordinator: Coordinator
    let conninfo: String

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let rulesFile = packageRoot.appendingPathComponent("Ops/rules/s-province.yaml")

    static func make() async throws -> CoordinatorFixture {
        let conninfo = try await TestCluster.migratedDatabase()
        let bus = Bus(BusConfiguration(conninfo: conninfo, maximumConnections: 6, reconnectTimeout: .seconds(20), pollInterval: .milliseconds(100)))
        let setup = try CoordinatorSetup.load(rulesFile: rulesFile, year: 2026)
        let coordinator = Coordinator(bus: bus, rules: setup.rules, calendar: setup.calendar)
        try await coordinator.prepare()
        let outputs = ["cn.backstop.obligation.opened.v1", "cn.backstop.obligation.closed.v1", "cn.backstop.obligation.due_soon.v1",
                       "cn.backstop.obligation.breached.v1", "cn.backstop.escalation.raised.v1", "cn.backstop.case.close_refused.v1",
                       "cn.backstop.obligation.extension_decided.v1"]
        _ = try await bus.createSubscription(SubscriptionSpec(name: "observer", filter: SubscriptionFilter(eventTypes: Set(outputs))))
        return CoordinatorFixture(bus: bus, coordinator: coordinator, conninfo: conninfo)
    }

    /// Publishes `payload` as `org` with business time `time`.
    @discardableResult
    func publish(_ payload: some EventPayload, as org: String, at time: Date = Date(), correlation: String? = nil) async throws -> CloudEvent {
        let event = CloudEvent(source: "/orgs/\(org)", payload: payload, time: time, districtCode: "510703001", correlationID: correlation)
        try await bus.publish(event)
        return event
    }

    /// Hands every pending delivery to the coordinator; returns how many it handled.
    @discardableResult
    func step() async throws -> Int {
        var handled = 0
        while true {
            let deliveries = try await bus.claim(coordinator.subscription, limit: 50)
            if deliveries.isEmpty { return handled }
            for delivery in deliveries { try await coordinator.handle(delivery) }
            handled += deliveries.count
        }
    }

    /// Everything the coordinator published since the last call (acknowledged).
    func observed() async throws -> [CloudEvent] {
        var out: [CloudEvent] = []
        while true {
            let deliveries = try await bus.claim("observer", limit: 100)
            if deliveries.isEmpty { return out }
            out += deliveries.map(\.event)
            try await bus.ack(deliveries)
        }
    }

    func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws -> QueryResult {
        try await bus.pool.query(sql, parameters)
    }

    /// Moves an obligation's clock back by `seconds`, as if it had been opened that long ago.
    func age(obligationsOf owner: String, by seconds: Int) async throws {
        _ = try await query("""
            UPDATE backstop.obligations SET opened_at = opened_at - make_interval(secs => $2), warn_at = warn_at - make_interval(secs => $2),
              due_at = due_at - make_interval(secs => $2), breach_at = breach_at - make_interval(secs => $2),
              supervise_at = supervise_at - make_interval(secs => $2), next_at = next_at - make_interval(secs => $2)
            WHERE owner_org = $1 AND state = 'open'
            """, [owner, seconds])
    }
}

extension Array where Element == CloudEvent {
    func ofType(_ type: String) -> [CloudEvent] { filter { $0.type == type } }
}

/// Test payloads for one alert and its chain.
enum Chain {
    static func alert(_ id: String = EventID.make(), caseID: String? = nil, severity: Severity = .p2,
                      lead: String = "dept-medical-insurance", co: [String] = ["dept-health"], green: Bool = false) -> AlertRaisedV1 {
        var alert = AlertRaisedV1.sample
        alert.alertId = id
        alert.caseId = caseID
        alert.severity = severity
        alert.greenChannel = green
        alert.assignedTo = [.init(dueBy: "2026-12-01T00:00:00Z", orgId: lead, role: .lead, slaRuleId: "D5")]
            + co.map { .init(dueBy: "2026-12-01T00:00:00Z", orgId: $0, role: .co, slaRuleId: "D5") }
        return alert
    }

    static func ack(_ alert: AlertRaisedV1, by org: String, role: AlertAcknowledgedV1.Role = .lead, at time: Date = Date()) -> AlertAcknowledgedV1 {
        AlertAcknowledgedV1(acknowledgedAt: EventTime.format(time), alertId: alert.alertId, byOrg: org, role: role)
    }
}
