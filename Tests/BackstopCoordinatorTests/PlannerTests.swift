import BackstopContracts
import BackstopCoordinator
import Foundation
import Testing

/// The planner with the shipped rules and calendars, and events built from generated payloads.
enum PlannerFixture {
    static func planner() throws -> ObligationPlanner {
        let setup = try CoordinatorSetup.load(rulesFile: ShippedRules.file, year: 2026)
        return ObligationPlanner(rules: setup.rules, deadlines: DeadlineCalculator(calendar: setup.calendar, timeZone: setup.rules.timeZone))
    }

    static func event(_ payload: some EventPayload, from org: String = "coordinator", at time: String = "2026-11-25T10:00:00+08:00") throws -> CloudEvent {
        CloudEvent(source: "/orgs/\(org)", payload: payload, time: try CalendarFixture.instant(time), districtCode: "510703001")
    }

    /// The openings of `payload` published by `org`, the clock started at `start`.
    static func openings(_ payload: some EventPayload, from org: String = "coordinator", at start: String = "2026-11-25T10:00:00+08:00") throws -> [ObligationOpening] {
        try planner().openings(for: try event(payload, from: org, at: start), startingAt: try CalendarFixture.instant(start))
    }

    static func alert(severity: Severity = .p2, green: Bool = false, assigned: [(String, AlertRaisedV1.AssignedTo.Role)]) -> AlertRaisedV1 {
        var alert = AlertRaisedV1.sample
        alert.severity = severity
        alert.greenChannel = green
        alert.assignedTo = assigned.map { .init(dueBy: "2026-12-01T00:00:00Z", orgId: $0.0, role: $0.1, slaRuleId: "D5") }
        return alert
    }

    static func clue(_ channel: RiskClueReportedV1.DetectedBy, location: String = "510703001004") -> RiskClueReportedV1 {
        var clue = RiskClueReportedV1.sample
        clue.detectedBy = channel
        clue.locationCode = location
        clue.sourceDept = channel == .deptPush ? "dept-medical-insurance" : nil
        return clue
    }

    static func instant(_ text: String) throws -> Date { try CalendarFixture.instant(text) }
}

private func summary(_ openings: [ObligationOpening]) -> [String] {
    openings.map { "\($0.ruleID) \($0.owner)" }
}

/// An answer as one line: rule, link key, owner (`*` for any) and outcome.
private func summary(_ answers: [ObligationAnswer]) -> [String] {
    answers.map { line($0.ruleID, $0.linkKey, $0.owner ?? "*", $0.outcome.rawValue) }
}

private func line(_ rule: String, _ key: String, _ owner: String?, _ outcome: String) -> String {
    "\(rule) \(key) \(owner ?? "?") \(outcome)"
}

@Suite("Obligation planner")
struct PlannerTests {
    // MARK: due times

    @Test func aP1AlertIsDueTwoClockHoursAfterTheStart() throws {
        let start = "2026-11-25T10:00:00+08:00"
        let openings = try PlannerFixture.openings(PlannerFixture.alert(severity: .p1, assigned: [("dept-health", .lead), ("dept-education", .co)]), at: start)
        #expect(summary(openings) == ["D5-sign-for dept-health", "D5-sign-for dept-education"])
        let begin = try PlannerFixture.instant(start)
        for opening in openings {
            #expect(opening.openedAt == begin)
            #expect(opening.dueAt == begin + 7_200)
            #expect(opening.dueAt.timeIntervalSince(begin) == 7_200)
            #expect(opening.calendar == "calendar_days")
            #expect(opening.action == "sign_for")
            #expect(opening.linkKey == AlertRaisedV1.sample.alertId)
            #expect(opening.warnAt == begin + 5_400, "75% of two hours")
            #expect(opening.breachAt == opening.dueAt, "no grace")
            // Supervision 5 working days after 12:00 on Wednesday: Thursday to the next Wednesday.
            #expect(opening.superviseAt == (try PlannerFixture.instant("2026-12-03T00:00:00+08:00")))
        }
    }

    @Test("P2 to P4 alerts take the default, one working day", arguments: [Severity.p2, .p3, .p4])
    func otherSeveritiesTakeTheDefault(_ severity: Severity) throws {
        // Friday 15:00: due at the end of the next working day, Monday 30 November.
        let openings = try PlannerFixture.openings(PlannerFixture.alert(severity: severity, assigned: [("dept-health", .lead)]),
                                                   at: "2026-11-27T15:00:00+08:00")
        let opening = try #require(openings.first)
        #expect(openings.count == 1)
        #expect(opening.dueAt == (try PlannerFixture.instant("2026-12-01T00:00:00+08:00")))
        #expect(opening.calendar == "working_days")
        // 75% of the 81 hours from Friday 15:00 to Tuesday 00:00 is 60 h 45 min.
        #expect(opening.warnAt == (try PlannerFixture.instant("2026-11-30T03:45:00+08:00")))
        #expect(opening.warnAt < opening.dueAt && opening.dueAt <= opening.breachAt && opening.breachAt < opening.superviseAt)
    }

    @Test func theWarningIsAtSeventyFivePerCentOfTheAllowedTime() throws {
        let openings = try PlannerFixture.openings(PlannerFixture.clue(.selfReport), at: "2026-11-25T10:00:00+08:00")
        #expect(!openings.isEmpty)
        for opening in openings {
            let allowed = opening.dueAt.timeIntervalSince(opening.openedAt)
            #expect(abs(opening.warnAt.timeIntervalSince(opening.openedAt) - 0.75 * allowed) < 0.001, "\(opening.ruleID)")
        }
    }

    @Test func aGreenChannelAlertAlsoOpensFirstAssistanceForTheLeadOnly() throws {
        let start = "2026-11-25T10:00:00+08:00"
        let alert = PlannerFixture.alert(severity: .p1, green: true, assigned: [("dept-emergency", .co), ("dept-civil-affairs", .lead), ("dept-housing", .co)])
        let openings = try PlannerFixture.openings(alert, at: start)
        #expect(openings.filter { $0.ruleID == "D5-sign-for" }.map(\.owner) == ["dept-emergency", "dept-civil-affairs", "dept-housing"])
        let d4 = openings.filter { $0.ruleID == "D4-first-measure" }
        #expect(d4.map(\.owner) == ["dept-civil-affairs"])
        #expect(d4.first?.action == "first_assistance")
        #expect(d4.first?.linkKey == alert.householdRef)
        #expect(d4.first?.dueAt == (try PlannerFixture.instant("2026-11-28T10:00:00+08:00")), "3 calendar days")

        let ordinary = try PlannerFixture.openings(PlannerFixture.alert(severity: .p1, green: false, assigned: [("dept-civil-affairs", .lead)]))
        #expect(summary(ordinary) == ["D5-sign-for dept-civil-affairs"])
    }

    @Test func anOwnerNamedTwiceOwesOnce() throws {
        let alert = PlannerFixture.alert(assigned: [("dept-health", .lead), ("dept-education", .co), ("dept-health", .co)])
        #expect(summary(try PlannerFixture.openings(alert)) == ["D5-sign-for dept-health", "D5-sign-for dept-education"])

        var whistle = WhistleBlownV1.sample
        whistle.riskCategories = nil  // no duty-catalogue owners: only those called
        whistle.departmentsCalled = ["dept-emergency", "dept-housing", "dept-emergency"]
        whistle.respondBy = "2026-11-26T10:00:00+08:00"
        #expect(summary(try PlannerFixture.openings(whistle, from: "township-510703007"))
                == ["D0-whistle-report dept-emergency", "D0-whistle-report dept-housing"])
    }

    // MARK: conditions and owners

    @Test("risk clues open by channel, owned by the township of the location", arguments: [
        (RiskClueReportedV1.DetectedBy.selfReport, ["D1-visit township-510703001", "D3-decide township-510703001"]),
        (.deptPush, ["D2-verify-push township-510703001", "D3-decide township-510703001"]),
        (.gridCheck, ["D3-decide township-510703001"]),
        (.hotline12345, ["D3-decide township-510703001"]),
    ])
    func riskClues(_ channel: RiskClueReportedV1.DetectedBy, expected: [String]) throws {
        let clue = PlannerFixture.clue(channel)
        let openings = try PlannerFixture.openings(clue, from: "village-510703001004", at: "2026-11-25T10:00:00+08:00")
        #expect(summary(openings) == expected)
        #expect(openings.allSatisfy { $0.linkKey == clue.householdRef })
        let due = Dictionary(openings.map { ($0.ruleID, $0.dueAt) }, uniquingKeysWith: { a, _ in a })
        // Wednesday 10:00: 2 working days → end of Friday; 5 → end of next Wednesday; 15 days of clock time.
        if let d1 = due["D1-visit"] { #expect(d1 == (try PlannerFixture.instant("2026-11-28T00:00:00+08:00"))) }
        if let d2 = due["D2-verify-push"] { #expect(d2 == (try PlannerFixture.instant("2026-12-03T00:00:00+08:00"))) }
        #expect(due["D3-decide"] == (try PlannerFixture.instant("2026-12-10T10:00:00+08:00")))
    }

    @Test("the township is the first 9 digits of the location code", arguments: [
        ("510703001004", ["township-510703001"]), ("510703009", ["township-510703009"]), ("510703", []),
    ])
    func townshipOfTheLocation(_ location: String, owners: [String]) throws {
        let openings = try PlannerFixture.openings(PlannerFixture.clue(.selfReport, location: location))
        #expect(Set(openings.map(\.owner)) == Set(owners))
        #expect(openings.count == owners.count * 2)
    }

    @Test func aCaseIdentifiedOpensItsPlanForThePublisher() throws {
        let identified = CaseIdentifiedV1.sample
        let openings = try PlannerFixture.openings(identified, from: "dept-medical-insurance", at: "2026-11-25T10:00:00+08:00")
        #expect(summary(openings) == ["D6-plan dept-medical-insurance"])
        #expect(openings.first?.linkKey == identified.caseId)
        #expect(openings.first?.dueAt == (try PlannerFixture.instant("2026-12-10T00:00:00+08:00")), "10 working days")

        // A publisher that is not an organisation owes nothing.
        let planner = try PlannerFixture.planner()
        let anonymous = CloudEvent(source: "/systems/import", payload: identified, time: try PlannerFixture.instant("2026-11-25T10:00:00+08:00"))
        #expect(try planner.openings(for: anonymous, startingAt: try PlannerFixture.instant("2026-11-25T10:00:00+08:00")).isEmpty)
    }

    @Test func theObjectionIsOwedByTheCoordinatorOffice() throws {
        let objection = AlertDispatchObjectedV1.sample
        let openings = try PlannerFixture.openings(objection, from: "township-510703010", at: "2026-11-27T15:00:00+08:00")
        #expect(summary(openings) == ["D13-objection coordinator"])
        #expect(openings.first?.linkKey == objection.alertId)
        #expect(openings.first?.dueAt == (try PlannerFixture.instant("2026-12-01T00:00:00+08:00")))
    }

    // MARK: due times from the trigger

    @Test func aWhistleIsDueWhenItSays() throws {
        var whistle = WhistleBlownV1.sample
        whistle.riskCategories = nil
        whistle.respondBy = "2026-12-02T10:00:00+08:00"
        let openings = try PlannerFixture.openings(whistle, from: "township-510703007", at: "2026-12-01T09:00:00+08:00")
        #expect(summary(openings) == whistle.departmentsCalled.map { "D0-whistle-report \($0)" })
        let start = try PlannerFixture.instant("2026-12-01T09:00:00+08:00")
        for opening in openings {
            #expect(opening.dueAt == (try PlannerFixture.instant("2026-12-02T10:00:00+08:00")))
            #expect(opening.linkKey == whistle.whistleId)
            #expect(opening.calendar == "calendar_days")
            #expect(opening.warnAt == start + 0.75 * 25 * 3_600)
        }

        // A respond_by already past is due at once, never before the start.
        whistle.respondBy = "2026-11-30T10:00:00+08:00"
        let late = try PlannerFixture.openings(whistle, from: "township-510703007", at: "2026-12-01T09:00:00+08:00")
        #expect(late.count == 3 && late.allSatisfy { $0.dueAt == start && $0.warnAt == start })
    }

    @Test("a whistle also calls the duty catalogue's departments, the township's own entries first", arguments: [
        ("township-510703003", ["township-510703003", "dept-water-resources"]),
        ("township-510703001", ["dept-water-resources"]),
    ])
    func aWhistleCallsTheDutyCatalogue(township: String, waterDuty: [String]) throws {
        var whistle = WhistleBlownV1.sample
        whistle.byTownship = township
        whistle.riskCategories = [.drinkingWater, .illness]
        whistle.departmentsCalled = ["dept-health"]
        whistle.respondBy = "2026-12-02T10:00:00+08:00"
        let openings = try PlannerFixture.openings(whistle, from: township, at: "2026-12-01T09:00:00+08:00")
        // dept-health is called by name and is also an illness co-handler: it owes once.
        #expect(summary(openings) == ["D0-whistle-report dept-health"]
                + (waterDuty + ["dept-medical-insurance", "dept-civil-affairs"]).map { "D0-whistle-duty \($0)" })
    }

    @Test func aCommitmentIsDueByItsDisburseBy() throws {
        var committed = DonationCommittedV1.sample
        committed.disburseBy = "2026-12-18T18:00:00+08:00"
        let openings = try PlannerFixture.openings(committed, from: "ngo-county-charity", at: "2026-11-18T10:00:00+08:00")
        #expect(summary(openings) == ["D9-disburse ngo-county-charity"])
        #expect(openings.first?.linkKey == committed.commitmentId)
        #expect(openings.first?.dueAt == (try PlannerFixture.instant("2026-12-18T18:00:00+08:00")))
        #expect(openings.first?.breachAt == openings.first?.dueAt)
        // Friday 18 December: supervision at the end of the fifth working day after it.
        #expect(openings.first?.superviseAt == (try PlannerFixture.instant("2026-12-26T00:00:00+08:00")))
    }

    @Test func graceMovesTheBreachButNotTheDueTimeOrTheWarning() throws {
        let referral = JobReferralSentV1.sample
        // Monday 10:00, 2 working days → end of Wednesday; 2 days of grace → Saturday 00:00.
        let openings = try PlannerFixture.openings(referral, from: "dept-hrss", at: "2026-11-23T10:00:00+08:00")
        let opening = try #require(openings.first)
        #expect(summary(openings) == ["D8-answer-referral ent-lvyuan-foods"])
        #expect(opening.linkKey == referral.referralId)
        #expect(opening.dueAt == (try PlannerFixture.instant("2026-11-26T00:00:00+08:00")))
        #expect(opening.breachAt == (try PlannerFixture.instant("2026-11-28T00:00:00+08:00")))
        #expect(opening.breachAt.timeIntervalSince(opening.dueAt) == 2 * 86_400)
        #expect(opening.warnAt == (try PlannerFixture.instant("2026-11-25T08:30:00+08:00")), "75% of the time to the due time")
        // Supervision counts from the breach: Monday 30 November to Friday 4 December.
        #expect(opening.superviseAt == (try PlannerFixture.instant("2026-12-05T00:00:00+08:00")))
    }

    // MARK: answers

    @Test func anAcknowledgementAnswersBothSignForRulesForItsSender() throws {
        let planner = try PlannerFixture.planner()
        let ack = AlertAcknowledgedV1(acknowledgedAt: "2026-11-25T11:00:00+08:00", alertId: "alert-1", byOrg: "dept-health", role: .co)
        let answers = summary(planner.answers(to: try PlannerFixture.event(ack, from: "dept-health")))
        #expect(Set(answers) == [
            line("D5-sign-for", "alert-1", "dept-health", "fulfilled"),
            line("D5-sign-for-redispatched", "alert-1", "dept-health", "fulfilled"),
        ])
        #expect(answers.count == 2)
        #expect(try planner.openings(for: try PlannerFixture.event(ack, from: "dept-health"), startingAt: Date()).isEmpty)
    }

    @Test func aRejectedRedispatchCancelsNothingAndOpensNothing() throws {
        let planner = try PlannerFixture.planner()
        var redispatch = AlertRedispatchedV1.sample
        redispatch.decision = .rejected
        redispatch.reasonCode = .dutyCatalogueAssignsObjector
        let event = try PlannerFixture.event(redispatch)
        let answers = planner.answers(to: event)
        #expect(summary(answers) == [line("D13-objection", redispatch.alertId, "*", "fulfilled")])
        #expect(!answers.contains { $0.outcome == .cancelled })
        #expect(try planner.openings(for: event, startingAt: try PlannerFixture.instant("2026-11-25T10:00:00+08:00")).isEmpty)
    }

    @Test func anAcceptedRedispatchCancelsTheRemovedOrgsSignForAndOpensForTheNewOnes() throws {
        let planner = try PlannerFixture.planner()
        let redispatch = AlertRedispatchedV1.sample
        let event = try PlannerFixture.event(redispatch)
        #expect(Set(summary(planner.answers(to: event))) == [
            line("D5-sign-for", redispatch.alertId, redispatch.removedOrg, "cancelled"),
            line("D13-objection", redispatch.alertId, "*", "fulfilled"),
        ])
        let openings = try planner.openings(for: event, startingAt: try PlannerFixture.instant("2026-11-27T15:00:00+08:00"))
        #expect(summary(openings) == ["D5-sign-for-redispatched dept-education", "D5-sign-for-redispatched township-510703005"])
        #expect(openings.allSatisfy { $0.dueAt == (try? PlannerFixture.instant("2026-12-01T00:00:00+08:00")) })
    }

    @Test("visits answer D1 and D2 for the organisation that published them", arguments: [
        ("/orgs/township-510703001", "township-510703001"),
        ("/orgs/township-510703001/team-2", "?"),
        ("/orgs/", "?"),
        ("urn:backstop:import", "?"),
    ])
    func publisherOwner(_ source: String, owner: String) throws {
        let planner = try PlannerFixture.planner()
        let visit = VerificationVisitRecordedV1.sample
        let answers = summary(planner.answers(to: CloudEvent(source: source, payload: visit, time: Date())))
        #expect(Set(answers) == [
            line("D1-visit", visit.householdRef, owner, "fulfilled"),
            line("D2-verify-push", visit.householdRef, owner, "fulfilled"),
        ])
    }

    @Test("the organisation of a source", arguments: [
        ("/orgs/dept-health", "dept-health"), ("/orgs/coordinator", "coordinator"), ("/orgs/", nil), ("/orgs/a/b", nil),
        ("/org/dept-health", nil), ("dept-health", nil), ("", nil),
    ] as [(String, String?)])
    func organisationOfASource(_ source: String, organisation: String?) {
        let event = CloudEvent(source: source, type: "cn.backstop.alert.raised.v1", data: .object([:]))
        #expect(ObligationPlanner.organisation(of: event) == organisation)
    }

    @Test func otherAnswersNameTheirLinkAndOwner() throws {
        let planner = try PlannerFixture.planner()
        let identified = CaseIdentifiedV1.sample
        #expect(summary(planner.answers(to: try PlannerFixture.event(identified, from: "dept-medical-insurance")))
                == [line("D3-decide", identified.householdRef, "*", "fulfilled")])
        let reported = WhistleReportedV1.sample
        #expect(summary(planner.answers(to: try PlannerFixture.event(reported, from: "dept-emergency")))
                == [line("D0-whistle-report", reported.whistleId, reported.byOrg, "fulfilled"),
                    line("D0-whistle-duty", reported.whistleId, reported.byOrg, "fulfilled")])
        let answered = JobReferralAnsweredV1.sample
        #expect(summary(planner.answers(to: try PlannerFixture.event(answered, from: "ent-lvyuan-foods")))
                == [line("D8-answer-referral", answered.referralId, answered.employerOrg, "fulfilled")])
        #expect(planner.answers(to: try PlannerFixture.event(JobOfferedV1.sample, from: "ent-lvyuan-foods")).isEmpty)
    }
}

@Suite("Obligation planner: the ladder after working-day due times")
struct SupervisionTimingTests {
    @Test func supervisionCountsWorkingDaysFromTheDayTheDueTimeEnds() throws {
        // Opened Friday 15:00: due at the end of Monday (Tuesday 00:00). "Five working days after the
        // due time" are Tuesday to Monday, so L3 is due at the end of the next Monday.
        let openings = try PlannerFixture.openings(PlannerFixture.alert(assigned: [("dept-health", .lead)]), at: "2026-11-27T15:00:00+08:00")
        let opening = try #require(openings.first)
        #expect(opening.dueAt == (try PlannerFixture.instant("2026-12-01T00:00:00+08:00")))
        #expect(opening.superviseAt == (try PlannerFixture.instant("2026-12-08T00:00:00+08:00")))
    }
}
