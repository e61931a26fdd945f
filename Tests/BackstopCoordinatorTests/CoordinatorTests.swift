import BackstopBus
import BackstopContracts
import BackstopCoordinator
import BackstopPostgres
import Foundation
import Testing

@Suite("coordinator against PostgreSQL", .serialized)
struct CoordinatorTests {
    @Test func alertToSignForToPlanToMeasuresToCloseOnTime() async throws {
        let f = try await CoordinatorFixture.make()
        let caseID = EventID.make()
        let alert = Chain.alert(caseID: caseID)
        try await f.publish(alert, as: "coordinator", correlation: caseID)
        #expect(try await f.step() == 1)
        let opened = try await f.observed().ofType(ObligationOpenedV1.eventType).map { try ObligationOpenedV1(from: $0) }
        #expect(Set(opened.map(\.ownerOrg)) == ["dept-medical-insurance", "dept-health"])
        #expect(opened.allSatisfy { $0.ruleId == "D5-sign-for" && $0.alertId == alert.alertId && $0.calendar == .workingDays })

        // Both assignees sign for it; the lead identifies the case, plans, applies a measure, closes.
        try await f.publish(Chain.ack(alert, by: "dept-medical-insurance"), as: "dept-medical-insurance", correlation: caseID)
        try await f.publish(Chain.ack(alert, by: "dept-health", role: .co), as: "dept-health", correlation: caseID)
        try await f.step()
        let closed = try await f.observed().ofType(ObligationClosedV1.eventType).map { try ObligationClosedV1(from: $0) }
        #expect(closed.count == 2)
        #expect(closed.allSatisfy { $0.outcome == .fulfilled && !$0.late && $0.elapsedSeconds < 600 })

        var identified = CaseIdentifiedV1.sample
        identified.caseId = caseID
        identified.alertId = alert.alertId
        try await f.publish(identified, as: "dept-medical-insurance", correlation: caseID)
        try await f.step()
        let plan = try #require(try await f.observed().ofType(ObligationOpenedV1.eventType).first.map { try ObligationOpenedV1(from: $0) })
        #expect(plan.ruleId == "D6-plan" && plan.ownerOrg == "dept-medical-insurance" && plan.caseId == caseID)

        var planned = AssistancePlanCreatedV1.sample
        planned.caseId = caseID
        try await f.publish(planned, as: "dept-medical-insurance", correlation: caseID)
        var measure = MeasureAppliedV1.sample
        measure.caseId = caseID
        try await f.publish(measure, as: "dept-civil-affairs", correlation: caseID)
        var close = CaseClosedV1.sample
        close.caseId = caseID
        close.closedBy = "dept-medical-insurance"
        close.waivedObligations = nil
        try await f.publish(close, as: "dept-medical-insurance", correlation: caseID)
        try await f.step()
        let last = try await f.observed()
        #expect(last.ofType(ObligationClosedV1.eventType).count == 1)
        #expect(last.ofType(CaseCloseRefusedV1.eventType).isEmpty)
        let state = try await f.query("SELECT state FROM backstop.cases WHERE case_id = $1", [caseID])
        #expect(try state.first?.decode(String.self, at: 0) == "closed")
        let open = try await f.query("SELECT count(*) FROM backstop.obligations WHERE state = 'open'")
        #expect(try open.first?.decode(Int.self, at: 0) == 0)
    }

    @Test func everyRungOfTheLadderFires() async throws {
        let f = try await CoordinatorFixture.make()
        // Three alerts to the same department, never signed for.
        var alerts: [AlertRaisedV1] = []
        for _ in 0..<3 {
            let alert = Chain.alert(lead: "dept-housing", co: [])
            alerts.append(alert)
            try await f.publish(alert, as: "coordinator")
        }
        try await f.step()
        _ = try await f.observed()
        #expect(try await f.coordinator.sweep().obligations == 0, "nothing is due yet")

        // 80% of a working day later (in database time): L1.
        let rows = try await f.query("SELECT extract(epoch FROM (warn_at - opened_at))::int + 1 FROM backstop.obligations LIMIT 1")
        try await f.age(obligationsOf: "dept-housing", by: try rows.first!.decode(Int.self, at: 0))
        try await f.coordinator.sweep()
        let warned = try await f.observed()
        #expect(warned.ofType(ObligationDueSoonV1.eventType).count == 3)
        #expect(warned.ofType(ObligationBreachedV1.eventType).isEmpty)

        // Past the due time: L2, copied to the supervisor; three breaches by one department: L4.
        try await f.age(obligationsOf: "dept-housing", by: 3 * 86_400)
        try await f.coordinator.sweep()
        let breached = try await f.observed()
        let notices = try breached.ofType(ObligationBreachedV1.eventType).map { try ObligationBreachedV1(from: $0) }
        #expect(notices.count == 3)
        #expect(notices.allSatisfy { $0.supervisorOrg == "county-rural-work-office" && $0.level == "L2" })
        let l4 = try breached.ofType(EscalationRaisedV1.eventType).map { try EscalationRaisedV1(from: $0) }
        #expect(l4.map(\.level) == [.l4])
        #expect(l4.first?.orgId == "dept-housing" && l4.first?.toOrg == "county-discipline-inspection" && l4.first?.breachCount == 3)

        // Five working days later still open: L3 supervision for each.
        try await f.age(obligationsOf: "dept-housing", by: 10 * 86_400)
        try await f.coordinator.sweep()
        let supervised = try await f.observed().ofType(EscalationRaisedV1.eventType).map { try EscalationRaisedV1(from: $0) }
        #expect(supervised.count == 3 && supervised.allSatisfy { $0.level == .l3 && $0.toOrg == "county-rural-work-office" })
        #expect(try await f.coordinator.sweep().obligations == 0, "nothing left to climb")
        #expect(try await f.observed().isEmpty)

        // A late answer is recorded as late, never dropped.
        try await f.publish(Chain.ack(alerts[0], by: "dept-housing"), as: "dept-housing")
        try await f.step()
        let late = try await f.observed().ofType(ObligationClosedV1.eventType).map { try ObligationClosedV1(from: $0) }
        #expect(late.count == 1 && late.first?.late == true && late.first?.outcome == .fulfilled)
    }

    /// Moves every open obligation's deadline to just after the newest event was accepted (warned
    /// at that moment): as if the coordinator had been down when that event arrived in time.
    func deadlineJustAfterTheNewestEvent(_ f: CoordinatorFixture) async throws {
        _ = try await f.query("""
            UPDATE backstop.obligations o SET warn_at = d.accepted_at, due_at = d.accepted_at + interval '1 millisecond',
              breach_at = d.accepted_at + interval '1 millisecond', next_at = d.accepted_at
            FROM (SELECT accepted_at FROM backstop.deliveries ORDER BY position DESC LIMIT 1) d WHERE o.state = 'open'
            """)
        try await Task.sleep(for: .milliseconds(20))
    }

    @Test func anAnswerWaitingInTheBacklogIsNotCalledABreach() async throws {
        let f = try await CoordinatorFixture.make()
        let alert = Chain.alert(lead: "dept-housing", co: [])
        try await f.publish(alert, as: "coordinator")
        try await f.step()
        _ = try await f.observed()
        // The department signs for it in time, but the coordinator is down: the answer waits, and
        // the deadline passes.
        try await f.publish(Chain.ack(alert, by: "dept-housing"), as: "dept-housing")
        try await deadlineJustAfterTheNewestEvent(f)
        // The sweep must not call the deadline breached while the answer is still in the backlog…
        try await f.coordinator.sweep()
        let early = try await f.observed()
        #expect(early.ofType(ObligationBreachedV1.eventType).isEmpty, "breached before consuming an answer that came in time")
        // …and once the backlog is consumed, the obligation closes on time and nothing breaches.
        #expect(try await f.step() == 1)
        try await f.coordinator.sweep()
        let after = try await f.observed()
        let closed = try after.ofType(ObligationClosedV1.eventType).map { try ObligationClosedV1(from: $0) }
        #expect(closed.count == 1 && closed.first?.late == false)
        #expect(after.ofType(ObligationBreachedV1.eventType).isEmpty)
    }

    @Test func aPoisonousEventDoesNotHoldBackEscalations() async throws {
        let f = try await CoordinatorFixture.make()
        let alert = Chain.alert(lead: "dept-housing", co: [])
        try await f.publish(alert, as: "coordinator")
        try await f.step()
        _ = try await f.observed()
        // An event that has already failed twice sits at the head of the coordinator's queue.
        try await f.publish(Chain.ack(alert, by: "dept-other"), as: "dept-other")
        _ = try await f.query("UPDATE backstop.deliveries SET attempts = 2")
        try await deadlineJustAfterTheNewestEvent(f)
        try await f.coordinator.sweep()
        #expect(try await f.observed().ofType(ObligationBreachedV1.eventType).count == 1)
    }

    @Test func anExtensionGrantedBeforeTheDueTimeMovesIt() async throws {
        let f = try await CoordinatorFixture.make()
        let alert = Chain.alert(lead: "dept-education", co: [])
        try await f.publish(alert, as: "coordinator")
        try await f.step()
        let opened = try ObligationOpenedV1(from: try #require(try await f.observed().first))
        let newDue = Date().addingTimeInterval(7 * 86_400)
        let request = ObligationExtensionRequestedV1(byOrg: "dept-education", obligationId: opened.obligationId, reasonCode: .waitingOnHousehold,
                                                     requestId: EventID.make(), requestedAt: EventTime.format(Date()), requestedDueAt: EventTime.format(newDue))
        try await f.publish(request, as: "dept-education")
        try await f.step()
        #expect(try await f.observed().isEmpty, "a request in time waits for the coordinator office")
        // The owner cannot grant its own request: only the kinds the policy names decide.
        try await f.publish(ObligationExtensionDecidedV1(decidedAt: EventTime.format(Date()), decidedBy: "dept-education", decision: .granted,
                                                         newDueAt: EventTime.format(newDue), obligationId: opened.obligationId,
                                                         reasonCode: .justified, requestId: request.requestId), as: "dept-education")
        try await f.step()
        let unchanged = try await f.query("SELECT extensions FROM backstop.obligations WHERE id = $1::uuid", [opened.obligationId])
        #expect(try unchanged.first!.decode(Int.self, at: 0) == 0)
        _ = try await f.observed()
        try await f.publish(ObligationExtensionDecidedV1(decidedAt: EventTime.format(Date()), decidedBy: "coordinator", decision: .granted,
                                                         newDueAt: EventTime.format(newDue), obligationId: opened.obligationId,
                                                         reasonCode: .justified, requestId: request.requestId), as: "coordinator")
        try await f.step()
        let row = try await f.query("SELECT due_at, extensions FROM backstop.obligations WHERE id = $1::uuid", [opened.obligationId])
        #expect(abs(try row.first!.decode(Date.self, at: 0).timeIntervalSince(newDue)) < 1)
        #expect(try row.first!.decode(Int.self, at: 1) == 1)
        _ = try await f.observed()

        // A second request is over the limit of one: refused at once.
        let again = ObligationExtensionRequestedV1(byOrg: "dept-education", obligationId: opened.obligationId, reasonCode: .workload,
                                                   requestId: EventID.make(), requestedAt: EventTime.format(Date()),
                                                   requestedDueAt: EventTime.format(newDue.addingTimeInterval(86_400)))
        try await f.publish(again, as: "dept-education")
        try await f.step()
        let refused = try await f.observed().ofType(ObligationExtensionDecidedV1.eventType).map { try ObligationExtensionDecidedV1(from: $0) }
        #expect(refused.map(\.decision) == [.refused] && refused.first?.reasonCode == .limitReached)
    }

    @Test func anAcceptedObjectionCancelsTheObjectorsSignForAndAnswersD13() async throws {
        let f = try await CoordinatorFixture.make()
        let alert = Chain.alert(lead: "dept-education", co: ["dept-health"])
        try await f.publish(alert, as: "coordinator")
        try await f.step()
        _ = try await f.observed()
        let objection = AlertDispatchObjectedV1(alertId: alert.alertId, byOrg: "dept-health", objectedAt: EventTime.format(Date()),
                                                proposedOwner: "dept-civil-affairs", reasonCode: .outsideDuty)
        let objected = try await f.publish(objection, as: "dept-health")
        try await f.step()
        let d13 = try await f.observed().ofType(ObligationOpenedV1.eventType).map { try ObligationOpenedV1(from: $0) }
        #expect(d13.map(\.ruleId) == ["D13-objection"] && d13.first?.ownerOrg == "coordinator")
        let reassigned: [AlertRedispatchedV1.AssignedTo] = [
            .init(dueBy: "2026-12-01T00:00:00Z", orgId: "dept-education", role: .lead, slaRuleId: "D5"),
            .init(dueBy: "2026-12-01T00:00:00Z", orgId: "dept-civil-affairs", role: .co, slaRuleId: "D5"),
        ]
        try await f.publish(AlertRedispatchedV1(alertId: alert.alertId, assignedTo: reassigned, decidedAt: EventTime.format(Date()), decision: .accepted,
                                                objectionEventId: objected.id, reasonCode: .objectionValid, removedOrg: "dept-health"), as: "coordinator")
        try await f.step()
        let after = try await f.observed()
        let closed = try after.ofType(ObligationClosedV1.eventType).map { try ObligationClosedV1(from: $0) }
        #expect(Set(closed.map { "\($0.ruleId) \($0.ownerOrg) \($0.outcome.rawValue)" })
                == ["D13-objection coordinator fulfilled", "D5-sign-for dept-health cancelled"])
        // The newly assigned department signs for it; the lead keeps its first obligation.
        let opened = try after.ofType(ObligationOpenedV1.eventType).map { try ObligationOpenedV1(from: $0) }
        #expect(opened.map(\.ownerOrg) == ["dept-civil-affairs"] && opened.first?.ruleId == "D5-sign-for-redispatched")
    }

    @Test func aCaseClosesOnlyThroughItsLeadWithNoOpenObligations() async throws {
        let f = try await CoordinatorFixture.make()
        let caseID = EventID.make()
        let alert = Chain.alert(caseID: caseID, lead: "dept-civil-affairs", co: [])
        try await f.publish(alert, as: "coordinator", correlation: caseID)
        var identified = CaseIdentifiedV1.sample
        identified.caseId = caseID
        identified.alertId = alert.alertId
        try await f.publish(identified, as: "township-510703001", correlation: caseID)
        try await f.step()
        _ = try await f.observed()
        var close = CaseClosedV1.sample
        close.caseId = caseID
        close.closedBy = "township-510703001"
        close.waivedObligations = nil
        try await f.publish(close, as: "township-510703001", correlation: caseID)
        try await f.step()
        var refusals = try await f.observed().ofType(CaseCloseRefusedV1.eventType).map { try CaseCloseRefusedV1(from: $0) }
        #expect(refusals.map(\.reasonCode) == [.notCaseLead])
        close.closedBy = "dept-civil-affairs"
        try await f.publish(close, as: "dept-civil-affairs", correlation: caseID)
        try await f.step()
        refusals = try await f.observed().ofType(CaseCloseRefusedV1.eventType).map { try CaseCloseRefusedV1(from: $0) }
        #expect(refusals.map(\.reasonCode) == [.openObligations])
        #expect(refusals.first?.openObligationIds?.count == 2, "sign-for and plan are open")
        close.waivedObligations = refusals.first?.openObligationIds
        try await f.publish(close, as: "dept-civil-affairs", correlation: caseID)
        try await f.step()
        let last = try await f.observed()
        #expect(last.ofType(CaseCloseRefusedV1.eventType).isEmpty)
        let waived = try await f.query("SELECT count(*) FROM backstop.obligations WHERE state = 'waived'")
        #expect(try waived.first?.decode(Int.self, at: 0) == 2)
    }
}
