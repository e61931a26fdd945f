import BackstopBus
import BackstopContracts
import BackstopCoordinator
import BackstopPostgres
import BackstopTesting
import Foundation
import Testing

@Suite("coordinator: crashes and company", .serialized)
struct CoordinatorConcurrencyTests {
    /// Polls `condition` until it holds or `timeout` passes.
    func eventually(_ timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    func count(_ f: CoordinatorFixture, _ sql: String) async throws -> Int {
        try await f.query(sql).first!.decode(Int.self, at: 0)
    }

    /// Every obligation was announced exactly once (no lost and no doubled events). Recurring
    /// duties the coordinator opens from the calendar as it runs (D7, D10, D14) are not counted.
    func expectOneEventPerObligation(_ events: [CloudEvent], type: String, expected: Int) {
        let matching = events.ofType(type).filter { event in
            guard case .string(let rule)? = event.data.objectValue?["rule_id"] else { return true }
            return !(rule.hasPrefix("D7-push-") || rule == "D10-followup" || rule == "D14-sweep")
        }
        let ids = matching.compactMap { $0.data.objectValue?["obligation_id"] }
        #expect(matching.count == expected, "\(type): \(matching.count) events for \(expected) obligations")
        #expect(Set(ids).count == ids.count, "\(type): an obligation was announced twice")
    }

    @Test(.timeLimit(.minutes(3)))
    func twoCoordinatorsShareTheWorkAndNothingHappensTwice() async throws {
        let f = try await CoordinatorFixture.make()
        let setup = try CoordinatorSetup.load(rulesFile: CoordinatorFixture.rulesFile, year: 2026)
        let second = Coordinator(bus: f.bus, rules: setup.rules, calendar: setup.calendar)
        let alerts = (0..<60).map { _ in Chain.alert(lead: "dept-education", co: ["dept-health"]) }
        let runs = [f.coordinator, second].map { c in Task { try await c.run(sweepEvery: .milliseconds(20)) } }
        for alert in alerts { try await f.publish(alert, as: "coordinator") }
        #expect(try await eventually { try await count(f, "SELECT count(*) FROM backstop.obligations WHERE trigger_source <> 'recurring'") == 120 })
        for alert in alerts {
            try await f.publish(Chain.ack(alert, by: "dept-education"), as: "dept-education")
        }
        #expect(try await eventually { try await count(f, "SELECT count(*) FROM backstop.obligations WHERE trigger_source <> 'recurring' AND state = 'fulfilled'") == 60 })
        // Both sweep the health department's overdue obligations at once.
        _ = try await f.query("UPDATE backstop.obligations SET warn_at = now() - interval '2 days', breach_at = now() - interval '1 day', due_at = now() - interval '1 day', next_at = now() - interval '2 days' WHERE state = 'open'")
        #expect(try await eventually { try await count(f, "SELECT count(*) FROM backstop.obligations WHERE trigger_source <> 'recurring' AND level = 2") == 60 })
        for run in runs { run.cancel() }
        for run in runs { _ = await run.result }
        let events = try await f.observed()
        expectOneEventPerObligation(events, type: ObligationOpenedV1.eventType, expected: 120)
        expectOneEventPerObligation(events, type: ObligationClosedV1.eventType, expected: 60)
        expectOneEventPerObligation(events, type: ObligationBreachedV1.eventType, expected: 60)
        let escalations = try events.ofType(EscalationRaisedV1.eventType).map { try EscalationRaisedV1(from: $0) }
        #expect(escalations.map(\.level) == [.l4], "one L4 for the health department, not one per coordinator")
        #expect(try await count(f, "SELECT count(*) FROM backstop.obligations WHERE trigger_source <> 'recurring' AND state = 'fulfilled' AND NOT late") == 60)
        let duplicates = try await count(f, """
            SELECT count(*) FROM (SELECT trigger_id, owner_org FROM backstop.obligations GROUP BY 1, 2 HAVING count(*) > 1) d
            """)
        #expect(duplicates == 0)
    }

    @Test(.timeLimit(.minutes(3)))
    func killedMidStreamAndRestartedItLosesAndDoublesNothing() async throws {
        let f = try await CoordinatorFixture.make()
        let alerts = (0..<600).map { _ in Chain.alert(lead: "dept-education", co: []) }
        for chunk in stride(from: 0, to: alerts.count, by: 100) {
            let events = alerts[chunk..<min(chunk + 100, alerts.count)].map {
                CloudEvent(source: "/orgs/coordinator", payload: $0, time: Date(), districtCode: "510703001")
            }
            try await f.bus.publish(events)
        }
        // A separate coordinator process, killed with SIGKILL while it works through the backlog.
        var process = try Self.startCoordinator(conninfo: f.conninfo)
        let midway = try await eventually(.seconds(60)) {
            let n = try await count(f, "SELECT count(*) FROM backstop.obligations WHERE trigger_source <> 'recurring'")
            return n >= 20
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let atKill = try await count(f, "SELECT count(*) FROM backstop.obligations WHERE trigger_source <> 'recurring'")
        #expect(midway && atKill < alerts.count, "killed in the middle (\(atKill) of \(alerts.count) done)")
        process = try Self.startCoordinator(conninfo: f.conninfo)
        defer { process.terminate(); process.waitUntilExit() }
        #expect(try await eventually { try await count(f, "SELECT count(*) FROM backstop.obligations WHERE trigger_source <> 'recurring'") == alerts.count })
        #expect(try await eventually {
            try await count(f, "SELECT count(*) FROM backstop.deliveries d JOIN backstop.subscriptions s ON s.id = d.subscription_id WHERE s.name = 'coordinator'") == 0
        })
        expectOneEventPerObligation(try await f.observed(), type: ObligationOpenedV1.eventType, expected: alerts.count)
    }

    /// Runs `backstop coordinator` (the executable built next to the tests) against `conninfo`.
    static func startCoordinator(conninfo: String) throws -> Process {
        let process = Process()
        process.executableURL = TestExecutable.url("backstop")
        process.arguments = ["coordinator", "--database-url", conninfo, "--rules", CoordinatorFixture.rulesFile.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}
