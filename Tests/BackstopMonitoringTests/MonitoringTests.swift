import BackstopAccess
import BackstopBus
import BackstopContracts
import BackstopCoordinator
import BackstopMonitoring
import BackstopPostgres
import BackstopTesting
import Foundation
import Testing

/// A department push end to end on a real database: screened, stored, published, and triaged by a
/// coordinator with the shipped rules, driven by hand.
struct MonitoringFixture {
    let bus: Bus
    let coordinator: Coordinator
    let intake: PushIntake

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func make() async throws -> MonitoringFixture {
        let conninfo = try await TestCluster.migratedDatabase()
        let bus = Bus(BusConfiguration(conninfo: conninfo, maximumConnections: 4, reconnectTimeout: .seconds(20), pollInterval: .milliseconds(100)))
        _ = try await bus.pool.withConnection { c in
            try await Migrator(migrations: try CoordinatorSchema.allMigrations() + AccessSchema.migrations() + MonitoringSchema.migrations()).migrate(c)
        }
        let setup = try CoordinatorSetup.load(rulesFile: packageRoot.appendingPathComponent("Ops/rules/s-province.yaml"), year: 2026)
        let coordinator = Coordinator(bus: bus, rules: setup.rules, calendar: setup.calendar)
        try await coordinator.prepare()
        _ = try await bus.createSubscription(SubscriptionSpec(name: "observer", filter: SubscriptionFilter(eventTypes: [
            "cn.backstop.alert.raised.v1", "cn.backstop.case.clue_attached.v1", "cn.backstop.obligation.opened.v1",
            "cn.backstop.obligation.closed.v1", "cn.backstop.obligation.breached.v1", "cn.backstop.escalation.raised.v1",
            "cn.backstop.risk.clue.reported.v1", "cn.backstop.data_push.received.v1",
        ])))
        return MonitoringFixture(bus: bus, coordinator: coordinator, intake: PushIntake(bus: bus))
    }

    /// Reads `csv` as `department`'s push of `set` for `period`.
    func screen(_ csv: String, department: String = "dept-medical-insurance", set: String = "medical_insurance",
                period: String = "2026-10") throws(PushRejected) -> ScreenedPush {
        var push = try PushScreening(rules: shippedRules, department: department, setName: set, period: period)
        push.csv(Array(csv.utf8))
        return try push.finish()
    }

    /// Hands every pending delivery to the coordinator (its own outputs included) until none is left.
    func step() async throws {
        while true {
            let deliveries = try await bus.claim(coordinator.subscription, limit: 100)
            if deliveries.isEmpty { return }
            for delivery in deliveries { try await coordinator.handle(delivery) }
        }
    }

    func observed() async throws -> [CloudEvent] {
        var out: [CloudEvent] = []
        while true {
            let deliveries = try await bus.claim("observer", limit: 500)
            if deliveries.isEmpty { return out }
            out += deliveries.map(\.event)
            try await bus.ack(deliveries)
        }
    }

    func count(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws -> Int {
        try await bus.pool.query(sql, parameters).first!.decode(Int.self, at: 0)
    }

    static func instant(_ text: String) -> Date { EventTime.parse(text)! }
}

func hh(_ n: Int) -> String { "hh-" + String(format: "%032x", n) }

@Suite(.serialized) struct MonitoringTests {
    static let header = "household_ref,indicator,value,unit,period,location_code,population\n"

    @Test func onTimePushRaisesCluesAndAlertsAndFulfilsTheDuty() async throws {
        let f = try await MonitoringFixture.make()
        // The October duty exists from 1 October (due 5 November).
        #expect(try await f.coordinator.openRecurringDuties(at: MonitoringFixture.instant("2026-10-02T02:00:00Z")) > 0)
        let csv = Self.header + """
            \(hh(1)),medical_oop_ytd,6800,yuan,2026-10,510703001004,formerly_poor
            \(hh(2)),medical_oop_ytd,8000,yuan,2026-10,510703001004,rural
            \(hh(3)),medical_oop_ytd,60000,yuan,2026-10,510703002001,rural
            """
        let receipt = try await f.intake.store(try f.screen(csv), via: .csv, at: MonitoringFixture.instant("2026-11-03T02:00:00Z"))
        #expect(receipt.records == 3 && receipt.flagged == 2 && receipt.clues == 2 && !receipt.duplicate)
        try await f.step()
        let events = try await f.observed()
        let clues = events.ofType("cn.backstop.risk.clue.reported.v1")
        #expect(clues.count == 2)
        // The bus carries the rule and a band, never the value.
        #expect(!clues.contains { $0.jsonText().contains(":6800") || $0.jsonText().contains(":60000") })
        let alerts = try events.ofType(AlertRaisedV1.eventType).map { try AlertRaisedV1(from: $0) }
        #expect(Set(alerts.map(\.householdRef)) == [hh(1), hh(3)])
        #expect(alerts.first { $0.householdRef == hh(3) }?.severity == .p2)  // far above the threshold
        #expect(alerts.allSatisfy { $0.assignedTo.contains { $0.orgId == "dept-medical-insurance" && $0.role == .lead } })
        // Sign-for obligations for the alerts, verification for the township.
        let opened = try events.ofType(ObligationOpenedV1.eventType).map { try ObligationOpenedV1(from: $0) }
        #expect(opened.contains { $0.ruleId == "D5-sign-for" && $0.ownerOrg == "dept-medical-insurance" })
        #expect(opened.contains { $0.ruleId == "D2-verify-push" && $0.ownerOrg == "township-510703002" })
        // The push fulfilled October's duty, on time.
        let closed = try events.ofType(ObligationClosedV1.eventType).map { try ObligationClosedV1(from: $0) }
        #expect(closed.contains { $0.ruleId == "D7-push-medical-insurance" && $0.outcome == .fulfilled && $0.late == false })
        #expect(try await f.count("SELECT count(*) FROM backstop.flagged_records WHERE push_id = $1::uuid", [receipt.pushID]) == 2)
    }

    @Test func malformedPushWritesNothingAndListsEveryError() async throws {
        let f = try await MonitoringFixture.make()
        let csv = Self.header + """
            \(hh(1)),medical_oop_ytd,6800,yuan,2026-10,510703001004,formerly_poor
            \(hh(2)),medical_oop_ytd,lots,yuan,2026-10,510703001004,rural
            12345,medical_oop_ytd,9000,dollars,2026-10,510703001004,someone
            """
        do {
            _ = try f.screen(csv)
            Issue.record("a malformed push was accepted")
        } catch {
            #expect(Set(error.problems.map { "\($0.row ?? 0):\($0.column)" }) == ["3:value", "4:household_ref", "4:unit", "4:population"])
        }
        #expect(try await f.count("SELECT count(*) FROM backstop.data_pushes") == 0)
        #expect(try await f.count("SELECT count(*) FROM backstop.events") == 0)
    }

    @Test func repeatedPushChangesNothingAndOtherContentIsRefused() async throws {
        let f = try await MonitoringFixture.make()
        let csv = Self.header + "\(hh(1)),medical_oop_ytd,6800,yuan,2026-10,510703001004,formerly_poor\n"
        let first = try await f.intake.store(try f.screen(csv), via: .csv)
        let events = try await f.count("SELECT count(*) FROM backstop.events")
        let again = try await f.intake.store(try f.screen(csv), via: .json)
        #expect(again.duplicate && again.pushID == first.pushID && again.clues == 1)
        #expect(try await f.count("SELECT count(*) FROM backstop.events") == events)
        #expect(try await f.count("SELECT count(*) FROM backstop.data_pushes") == 1)
        await #expect(throws: PushConflict.self) {
            _ = try await f.intake.store(try f.screen(csv.replacingOccurrences(of: "6800", with: "6900")), via: .csv)
        }
        #expect(try await f.count("SELECT count(*) FROM backstop.events") == events)
    }

    @Test func missingPushIsBreachedAndEscalated() async throws {
        let f = try await MonitoringFixture.make()
        // Opened as on 2 October 2026; nobody pushes; the database clock is weeks later.
        let opened = try await f.coordinator.openRecurringDuties(at: MonitoringFixture.instant("2026-10-02T02:00:00Z"))
        #expect(try await f.coordinator.openRecurringDuties(at: MonitoringFixture.instant("2026-10-02T02:00:00Z")) == 0)  // once
        #expect(opened >= 7)
        try await f.step()
        _ = try await f.observed()
        // Only meaningful while the real clock is past the due times of October's pushes.
        #expect(Date() > MonitoringFixture.instant("2026-11-13T00:00:00Z"))
        while try await f.coordinator.sweep().obligations > 0 {}
        let events = try await f.observed()
        let breached = try events.ofType(ObligationBreachedV1.eventType).map { try ObligationBreachedV1(from: $0) }
        #expect(breached.contains { $0.ruleId == "D7-push-medical-insurance" && $0.ownerOrg == "dept-medical-insurance" })
        #expect(breached.contains { $0.ruleId == "D7-push-civil-affairs" && $0.ownerOrg == "dept-civil-affairs" })
        let escalations = try events.ofType(EscalationRaisedV1.eventType).map { try EscalationRaisedV1(from: $0) }
        #expect(escalations.contains { $0.level == .l3 && $0.orgId == "dept-medical-insurance" })
    }

    @Test func householdWithOpenCaseGetsTheClueAttachedNotAnAlert() async throws {
        let f = try await MonitoringFixture.make()
        let at = MonitoringFixture.instant("2026-11-02T02:00:00Z")
        let identified = CaseIdentifiedV1(
            caseId: uuid("case-42"), greenChannel: false, householdRef: hh(7), identifiedOn: "2026-10-20", incomeBand: .belowLine,
            monitoringLine: .init(amountYuan: 9400, effectiveFrom: "2026-03-01", provinceCode: "51", year: 2026), riskCategories: [.illness], targetType: .marginal)
        try await f.bus.publish(CloudEvent(source: "/orgs/township-510703001", payload: identified, time: at))
        try await f.step()
        _ = try await f.observed()
        let csv = Self.header + "\(hh(7)),medical_oop_ytd,7000,yuan,2026-10,510703001004,monitored\n"
        _ = try await f.intake.store(try f.screen(csv), via: .csv, at: at)
        try await f.step()
        let events = try await f.observed()
        #expect(events.ofType(AlertRaisedV1.eventType).isEmpty)
        let attached = try events.ofType(CaseClueAttachedV1.eventType).map { try CaseClueAttachedV1(from: $0) }
        #expect(attached.count == 1 && attached.first?.caseId == uuid("case-42") && attached.first?.leadOrg == "township-510703001")
        #expect(attached.first?.indicator?.thresholdRuleId == "mi-oop-inpatient-formerly-poor")
        // No new identification duties for the attached clue.
        let opened = try events.ofType(ObligationOpenedV1.eventType).map { try ObligationOpenedV1(from: $0) }
        #expect(!opened.contains { ["D2-verify-push", "D3-decide"].contains($0.ruleId) })
    }

    @Test func followUpsRunTwelveMonthsAfterClosureAndResumeOnReopening() async throws {
        let f = try await MonitoringFixture.make()
        let identified = CaseIdentifiedV1(
            caseId: uuid("case-9"), greenChannel: false, householdRef: hh(9), identifiedOn: "2026-01-10", incomeBand: .belowLine,
            monitoringLine: .init(amountYuan: 9100, effectiveFrom: "2025-03-01", provinceCode: "51", year: 2025), riskCategories: [.illness], targetType: .marginal)
        try await f.bus.publish(CloudEvent(source: "/orgs/township-510703001", payload: identified, time: MonitoringFixture.instant("2026-01-10T02:00:00Z")))
        try await f.step()
        func followUps(at text: String) async throws -> [String] {
            _ = try await f.coordinator.openRecurringDuties(at: MonitoringFixture.instant(text))
            return try await f.bus.pool.query("SELECT link_key FROM backstop.obligations WHERE rule_id = 'D10-followup' ORDER BY opened_at").map { try $0.decode(String.self, at: 0) }
        }
        #expect(try await followUps(at: "2026-01-20T02:00:00Z").isEmpty)             // the month of identification
        #expect(try await followUps(at: "2026-02-03T02:00:00Z") == [uuid("case-9") + "/2026-02"])  // monthly while open
        // Closed on 15 March 2026 (the coordinator records the closure).
        _ = try await f.bus.pool.query("UPDATE backstop.cases SET state = 'closed', closed_at = $1 WHERE case_id = $2",
                                       [MonitoringFixture.instant("2026-03-15T02:00:00Z"), uuid("case-9")])
        _ = try await followUps(at: "2026-04-10T02:00:00Z")
        let last = try await followUps(at: "2027-03-10T02:00:00Z")   // the 12th month after March 2026
        #expect(last == [uuid("case-9") + "/2026-02", uuid("case-9") + "/2026-04", uuid("case-9") + "/2027-03"])
        #expect(try await followUps(at: "2027-04-10T02:00:00Z") == last)  // stopped after 12 months
        // The visit of April 2026 fulfils that month's duty.
        let visit = FollowupVisitRecordedV1(caseId: uuid("case-9"), caseState: .closed, householdRef: hh(9), statusChange: .stable,
                                            visitId: uuid("visit-1"), visitedAt: "2026-04-12T03:00:00Z")
        try await f.bus.publish(CloudEvent(source: "/orgs/township-510703001", payload: visit, time: MonitoringFixture.instant("2026-04-12T03:00:00Z")))
        try await f.step()
        #expect(try await f.count("SELECT count(*) FROM backstop.obligations WHERE link_key = $1 AND state = 'fulfilled'", [uuid("case-9") + "/2026-04"]) == 1)
        // Reopened: visits resume.
        _ = try await f.bus.pool.query("UPDATE backstop.cases SET state = 'open', closed_at = NULL WHERE case_id = $1", [uuid("case-9")])
        #expect(try await followUps(at: "2027-05-05T02:00:00Z").last == uuid("case-9") + "/2027-05")
    }

    @Test func aDisasterOpensAPushDutyThatTheLossPushFulfils() async throws {
        let f = try await MonitoringFixture.make()
        let ended = DisasterEndedV1(affectedCodes: ["510703002"], disasterId: "flood-2026-11-510703", endedAt: "2026-11-20T02:00:00Z",
                                    hazard: .flood, startedAt: "2026-11-17T02:00:00Z")
        try await f.bus.publish(CloudEvent(source: "/orgs/dept-emergency", payload: ended, time: MonitoringFixture.instant("2026-11-20T02:00:00Z")))
        try await f.step()
        let opened = try await f.observed().ofType(ObligationOpenedV1.eventType).map { try ObligationOpenedV1(from: $0) }
        #expect(opened.map(\.ruleId) == ["D7-push-after-disaster"] && opened.first?.ownerOrg == "dept-emergency")
        var push = try PushScreening(rules: shippedRules, department: "dept-emergency", setName: "emergency_disaster", period: "2026-11",
                                     disasterID: "flood-2026-11-510703")
        push.add(row: 0) { ["household_ref": hh(5), "indicator": "house_damage_grade", "value": "4", "unit": "grade", "period": "2026-11",
                            "location_code": "510703002003"][$0] }
        let receipt = try await f.intake.store(try push.finish(), via: .json, at: MonitoringFixture.instant("2026-11-24T02:00:00Z"))
        #expect(receipt.pushKey == "emergency_disaster/flood-2026-11-510703" && receipt.clues == 1)
        try await f.step()
        let closed = try await f.observed().ofType(ObligationClosedV1.eventType).map { try ObligationClosedV1(from: $0) }
        #expect(closed.contains { $0.ruleId == "D7-push-after-disaster" && $0.outcome == .fulfilled && $0.late == false })
    }

    @Test func everyTownshipOwesTheSweepOfEachWindow() async throws {
        let f = try await MonitoringFixture.make()
        let registry = OrganisationRegistry(pool: f.bus.pool)
        try await registry.add(id: "township-510703001", kind: .township, name: "Township 1", districtCode: "510703001")
        try await registry.add(id: "township-510703002", kind: .township, name: "Township 2", districtCode: "510703002")
        #expect(try await f.coordinator.openRecurringDuties(at: MonitoringFixture.instant("2026-03-20T02:00:00Z")) > 0)
        #expect(try await f.count("SELECT count(*) FROM backstop.obligations WHERE rule_id = 'D14-sweep'") == 0)  // not yet April
        _ = try await f.coordinator.openRecurringDuties(at: MonitoringFixture.instant("2026-04-03T02:00:00Z"))
        #expect(try await f.count("SELECT count(*) FROM backstop.obligations WHERE rule_id = 'D14-sweep' AND link_key = '2026-spring'") == 2)
        let done = SweepCompletedV1(cluesReported: 3, completedAt: "2026-04-25T08:00:00Z", householdsVisited: 412, townshipCode: "510703001",
                                    window: "2026-spring")
        try await f.bus.publish(CloudEvent(source: "/orgs/township-510703001", payload: done, time: MonitoringFixture.instant("2026-04-25T08:00:00Z")))
        try await f.step()
        let states = try await f.bus.pool.query("SELECT owner_org, state FROM backstop.obligations WHERE rule_id = 'D14-sweep' ORDER BY owner_org")
            .map { "\(try $0.decode(String.self, at: 0))=\(try $0.decode(String.self, at: 1))" }
        #expect(states == ["township-510703001=fulfilled", "township-510703002=open"])
    }
}

extension Array where Element == CloudEvent {
    func ofType(_ type: String) -> [CloudEvent] { filter { $0.type == type } }
}
