import BackstopBus
import BackstopContracts
import BackstopCoordinator
import BackstopPostgres
import Foundation
import Synchronization

/// The `deadlines` scenario: many open obligations, a steady stream of them falling due, and the
/// coordinator's sweep raising the breaches. Reports the lag from due time to the delivered breach
/// event and the cost of a sweep tick, for each population of open obligations.
struct DeadlineBench {
    let conninfo: String
    let populations: [Int]
    let duePerSecond: Int
    let seconds: Int
    let rules: CoordinatorSetup

    func run() async throws -> [(open: Int, p99: Double, tick: Double)] {
        let bus = Bus(BusConfiguration(conninfo: conninfo, maximumConnections: 8, pollInterval: .milliseconds(100)), logger: CLILog.logger)
        defer { Task { await bus.close() } }
        let coordinator = Coordinator(bus: bus, rules: rules.rules, calendar: rules.calendar, subscription: "bench-coordinator",
                                      logger: CLILog.logger)
        try await coordinator.prepare()
        let watch = "bench-deadlines"
        if (try? await bus.subscription(named: watch)) != nil { try await bus.deleteSubscription(named: watch) }
        _ = try await bus.createSubscription(SubscriptionSpec(name: watch, filter: SubscriptionFilter(eventTypes: [ObligationBreachedV1.eventType])))
        var results: [(Int, Double, Double)] = []
        for population in populations {
            try await load(population: population)
            let total = duePerSecond * seconds
            let lags = Collected(), ticks = Collected()
            let received = Counter()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await delivery in bus.subscribe(watch, batchSize: 200) {
                        if let due = (try? ObligationBreachedV1(from: delivery.event)).flatMap({ EventTime.parse($0.dueAt) }) {
                            lags.add(Date().timeIntervalSince(due) * 1000)
                        }
                        try await delivery.ack()
                        if received.add(1) >= total { break }
                    }
                }
                group.addTask {
                    let clock = ContinuousClock()
                    while received.value < total, !Task.isCancelled {
                        var swept = 0
                        repeat {
                            let start = clock.now
                            swept = try await coordinator.sweep(limit: 1000).obligations
                            if swept > 0 { ticks.add((clock.now - start).seconds * 1000) }
                        } while swept == 1000
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
                _ = try await group.next()
                group.cancelAll()
                try? await group.waitForAll()
            }
            let claimCost = try await claimPlanCost()
            let lag = lags.values.sorted(), tick = ticks.values.sorted()
            func pct(_ v: [Double], _ p: Double) -> Double { v.isEmpty ? .nan : v[min(v.count - 1, Int(Double(v.count) * p))] }
            emit("deadlines open=\(population) due_per_s=\(duePerSecond) breaches=\(lag.count) lag_p50_ms=\(String(format: "%.1f", pct(lag, 0.5))) "
                 + "lag_p99_ms=\(String(format: "%.1f", pct(lag, 0.99))) ticks=\(tick.count) tick_p50_ms=\(String(format: "%.2f", pct(tick, 0.5))) "
                 + "tick_p99_ms=\(String(format: "%.2f", pct(tick, 0.99))) claim_buffers=\(claimCost)")
            results.append((population, pct(lag, 0.99), pct(tick, 0.5)))
        }
        try await bus.deleteSubscription(named: watch)
        try await bus.deleteSubscription(named: "bench-coordinator")
        let c = try await Connection.connect(conninfo)
        try await c.query("TRUNCATE backstop.obligations, backstop.escalations, backstop.extension_requests")
        await c.close()
        return results
    }

    /// `population` obligations open and not due for a month, plus the stream that falls due at
    /// `duePerSecond` from two seconds from now (already past their warning: the next rung is L2).
    private func load(population: Int) async throws {
        let c = try await Connection.connect(conninfo)
        try await c.query("TRUNCATE backstop.obligations, backstop.escalations, backstop.extension_requests")
        try await c.query("""
            INSERT INTO backstop.obligations (rule_id, action, owner_org, link_key, trigger_source, trigger_id, calendar,
                opened_at, warn_at, due_at, breach_at, supervise_at, next_at)
            SELECT 'D5-sign-for', 'sign_for', 'dept-bench-' || (g % 500), g::text, '/orgs/bench', 'open-' || g, 'working_days',
                   now(), now() + interval '20 days', now() + interval '30 days', now() + interval '30 days', now() + interval '40 days',
                   now() + interval '20 days'
            FROM generate_series(1, $1::int) g
            """, [population])
        try await c.query("""
            INSERT INTO backstop.obligations (rule_id, action, owner_org, link_key, trigger_source, trigger_id, calendar,
                opened_at, warn_at, due_at, breach_at, supervise_at, next_at, level)
            SELECT 'D5-sign-for', 'sign_for', 'dept-due-' || (g % 5000), 'due-' || g, '/orgs/bench', 'due-' || g, 'working_days',
                   now() - interval '1 day', now() - interval '1 hour', t, t, t + interval '7 days', t, 1
            FROM generate_series(1, $1::int) g, LATERAL (SELECT now() + interval '2 seconds' + g * make_interval(secs => 1.0 / $2::int) AS t) d
            """, [duePerSecond * seconds, duePerSecond])
        try await c.query("VACUUM ANALYZE backstop.obligations")
        await c.close()
    }

    /// Shared buffers one sweep claim touches when nothing is due: its cost independent of load.
    private func claimPlanCost() async throws -> Int {
        let c = try await Connection.connect(conninfo)
        defer { Task { await c.close() } }
        let plan = try await c.query("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT o.id FROM backstop.obligations o WHERE o.next_at <= now() ORDER BY o.next_at LIMIT 1000 FOR UPDATE SKIP LOCKED")
        let text = try plan.first!.decode(String.self, at: 0)
        guard let json = JSONText.decode(text), case .array(let items) = json,
              case .object(let plan)? = items.first?.objectValue?["Plan"] else { return -1 }
        func buffers(_ node: [String: JSONValue]) -> Int {
            if case .number(let hit)? = node["Shared Hit Blocks"], case .number(let read)? = node["Shared Read Blocks"] { return Int(hit + read) }
            return -1
        }
        return buffers(plan)
    }
}
