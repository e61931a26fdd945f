import BackstopAccess
import BackstopBus
import BackstopContracts
import BackstopOversight
import BackstopPostgres
import BackstopTesting
import Foundation
import Testing

/// Events with chosen business times, as the coordinator and the parties publish them.
struct Story {
    /// A fixed reference instant: 2026-10-05 02:00 UTC (a Monday, 10:00 in Shanghai).
    static let t0 = Date(timeIntervalSince1970: 1_791_165_600)
    static func at(hours: Double) -> Date { t0.addingTimeInterval(hours * 3600) }
    static func time(hours: Double) -> String { EventTime.format(at(hours: hours)) }

    static func event(_ payload: some EventPayload, by org: String, hours: Double, district: String = "510703001005") -> CloudEvent {
        CloudEvent(source: "/orgs/\(org)", payload: payload, time: at(hours: hours), districtCode: district)
    }

    static func opened(_ id: String, rule: String = "D5-sign-for", action: ObligationOpenedV1.Action = .signFor, owner: String,
                       kind: OrganisationKind = .department, at hours: Double, dueIn: Double, caseID: String? = nil, alertID: String? = "alert-1",
                       district: String = "510703001005") -> CloudEvent {
        var p = ObligationOpenedV1.sample
        (p.obligationId, p.ruleId, p.action, p.ownerOrg, p.ownerKind) = (uuid(id), rule, action, owner, kind)
        (p.openedAt, p.dueAt, p.warnAt, p.caseId, p.alertId) = (time(hours: hours), time(hours: hours + dueIn), time(hours: hours + dueIn * 0.75), caseID.map(uuid), alertID.map(uuid))
        return event(p, by: "coordinator", hours: hours, district: district)
    }

    static func closed(_ id: String, rule: String = "D5-sign-for", owner: String, opened: Double, at hours: Double, late: Bool) -> CloudEvent {
        var p = ObligationClosedV1.sample
        (p.obligationId, p.ruleId, p.ownerOrg, p.outcome, p.late) = (uuid(id), rule, owner, .fulfilled, late)
        (p.closedAt, p.elapsedSeconds) = (time(hours: hours), Int((hours - opened) * 3600))
        return event(p, by: "coordinator", hours: hours)
    }
}

@Suite("oversight: what events mean (no database)")
struct OversightProjectionTests {
    @Test func obligationsBecomeFactsWithTheirTownship() throws {
        let facts = OversightProjection.facts(for: Story.opened("o1", owner: "dept-health", at: 0, dueIn: 24))
        guard case .obligationOpened(let o)? = facts.first else { Issue.record("no opening: \(facts)"); return }
        #expect(o.id == uuid("o1") && o.owner == "dept-health" && o.ownerKind == .department && o.township == "510703001")
        #expect(o.openedAt == Story.at(hours: 0) && o.dueAt == Story.at(hours: 24))
        var breach = ObligationBreachedV1.sample
        (breach.obligationId, breach.ownerOrg, breach.breachedAt) = (uuid("o1"), "dept-health", Story.time(hours: 30))
        let breached = OversightProjection.facts(for: Story.event(breach, by: "coordinator", hours: 30, district: "510703"))
        #expect(breached.count == 2)
        #expect(breached.contains { if case .escalation(_, 2, "dept-health", nil, _, uuid("o1"), Story.at(hours: 30)) = $0 { true } else { false } })
    }

    @Test func townshipsComeFromDivisionCodes() {
        #expect(OversightProjection.township(of: "510703001005") == "510703001")
        #expect(OversightProjection.township(of: "510703001") == "510703001")
        #expect(OversightProjection.township(of: "510703") == nil)
        #expect(OversightProjection.township(of: "51070300x005") == nil)
        #expect(OversightProjection.township(of: nil) == nil)
    }

    @Test func thirdPartyHelpCountsAsAContribution() {
        var paid = InsuranceClaimPaidV1.sample
        paid.caseId = uuid("case-9")
        let facts = OversightProjection.facts(for: Story.event(paid, by: paid.insurerOrg, hours: 1))
        #expect(facts.contains { if case .contribution(_, uuid("case-9"), paid.insurerOrg, .claim, _) = $0 { true } else { false } })
        paid.caseId = nil
        #expect(OversightProjection.facts(for: Story.event(paid, by: paid.insurerOrg, hours: 1)).isEmpty, "a claim without a case helps no case")
    }

    @Test func typesItDoesNotReadYieldNothing() {
        #expect(OversightProjection.facts(for: Story.event(WhistleRatedV1.sample, by: "township-510703001", hours: 0)).isEmpty)
        #expect(!OversightProjection.eventTypes.contains(WhistleRatedV1.eventType))
    }

    @Test func badReviewParametersAreAllReported() {
        let tz = TimeZone(identifier: "Asia/Shanghai")!
        do {
            _ = try ReviewQuery.parse(from: "2026-02-30", to: "yesterday", township: "5107", kind: "bank", groupBy: "colour", timeZone: tz)
            Issue.record("accepted bad parameters")
        } catch {
            #expect(Set(error.problems.map(\.field)) == ["from", "to", "township", "kind", "group_by"])
        }
        #expect(throws: InvalidReviewQuery.self) { try ReviewQuery.parse(from: "2026-03-02", to: "2026-03-01", township: nil, kind: nil, groupBy: nil, timeZone: tz) }
        #expect(throws: InvalidReviewQuery.self) { try ReviewQuery.parse(from: "2020-01-01", to: "2026-03-01", township: nil, kind: nil, groupBy: nil, timeZone: tz) }
        let q = try? ReviewQuery.parse(from: "2026-03-01", to: "2026-03-31", township: "510703001", kind: "department", groupBy: "rule", timeZone: tz)
        #expect(q?.days == 31 && q?.grouping == .rule && q?.kind == .department)
        #expect(q.map { DashboardPage.Filters($0, timeZone: tz).to } == "2026-03-31")
    }

    @Test func csvQuotesWhatNeedsQuotingAndDefusesFormulas() {
        let table = MetricTable(table: .jobs, columns: [.init("organisation", "Organisation", .text), .init("offers", "Offers", .integer),
                                                        .init("pct", "%", .number)],
                                rows: [[.text("ent-a, \"b\""), .integer(3), .number(66.7)], [.text("=HYPERLINK(1)"), .integer(0), .empty]])
        #expect(table.csv == "organisation,offers,pct\r\n\"ent-a, \"\"b\"\"\",3,66.7\r\n'=HYPERLINK(1),0,\r\n")
    }

    @Test func pagesEscapeWhatTheyShow() {
        let table = MetricTable(table: .onTime, columns: ReviewTable.onTime.columns(groupedBy: .organisation),
                                rows: [[.text("<script>alert(1)</script>"), .integer(2), .integer(1), .integer(1), .integer(0), .number(50)]])
        let page = DashboardPage.dashboard(filters: .init(from: "2026-01-01", to: "2026-03-31"), tables: [table], townships: ["510703001"],
                                           organisation: "oversight-county")
        #expect(!page.contains("<script>") && page.contains("&lt;script&gt;"))
        #expect(page.contains("<svg") && page.contains("/dashboard/csv/on_time?from=2026-01-01&amp;to=2026-03-31"))
        #expect(!page.contains("src=") && !page.contains("<script") && !page.contains("stylesheet"), "nothing is loaded from elsewhere")
    }
}

/// A database with the bus, access and oversight tables, and a projector consuming `oversight`.
struct OversightFixture {
    let bus: Bus
    let projector: OversightProjector
    let review: Review
    let registry: OrganisationRegistry

    static func make() async throws -> OversightFixture {
        let conninfo = try await TestCluster.migratedDatabase()
        let bus = Bus(BusConfiguration(conninfo: conninfo))
        _ = try await bus.pool.withConnection { c in
            try await Migrator(migrations: try Migration.bundled() + AccessSchema.migrations() + OversightSchema.migrations()).migrate(c)
        }
        let projector = OversightProjector(bus: bus)
        try await projector.prepare()
        return OversightFixture(bus: bus, projector: projector, review: Review(pool: bus.pool), registry: OrganisationRegistry(pool: bus.pool))
    }

    /// Publishes `events` in order and projects everything pending.
    func feed(_ events: [CloudEvent]) async throws {
        for event in events { _ = try await bus.publish(event) }
        while true {
            let batch = try await bus.claim(projector.busSubscription, limit: 100)
            if batch.isEmpty { break }
            for delivery in batch { try await projector.project(delivery) }
        }
    }

    /// The October 2026 review, grouped by `grouping`.
    func october(_ table: ReviewTable, by grouping: ReviewGrouping = .organisation) async throws -> MetricTable {
        try await review.table(table, ReviewQuery.parse(from: "2026-10-01", to: "2026-10-31", township: nil, kind: nil, groupBy: grouping.rawValue,
                                                        timeZone: review.timeZone))
    }

    func row(_ table: MetricTable, _ group: String) -> [String: MetricTable.Cell] {
        guard let row = table.rows.first(where: { $0.first == .text(group) }) else { return [:] }
        return Dictionary(uniqueKeysWithValues: zip(table.columns.map(\.name), row))
    }
}

@Suite("oversight: read models and review over a real database", .serialized)
struct OversightReviewTests {
    @Test func responseTimesAreMediansAndP90sOfWhatWasSignedFor() async throws {
        let f = try await OversightFixture.make()
        try await f.feed([
            Story.opened("o1", owner: "dept-health", at: 0, dueIn: 8), Story.closed("o1", owner: "dept-health", opened: 0, at: 1, late: false),
            Story.opened("o2", owner: "dept-health", at: 0, dueIn: 8), Story.closed("o2", owner: "dept-health", opened: 0, at: 3, late: false),
            Story.opened("o3", owner: "dept-health", at: 0, dueIn: 8),  // never signed: overdue
            Story.opened("o4", owner: "township-510703001", kind: .township, at: 2, dueIn: 8),
            Story.closed("o4", owner: "township-510703001", opened: 2, at: 14, late: true),
        ])
        let times = try await f.october(.responseTimes)
        let health = f.row(times, "dept-health")
        #expect(health["sign_for_count"] == .integer(2))
        #expect(health["sign_for_median_hours"] == .number(2), "median of 1 h and 3 h")
        #expect(health["sign_for_p90_hours"] == .number(2.8), "P90 of 1 h and 3 h, interpolated")
        let onTime = try await f.october(.onTime)
        #expect(f.row(onTime, "dept-health")["due"] == .integer(3) && f.row(onTime, "dept-health")["on_time"] == .integer(2)
                && f.row(onTime, "dept-health")["still_open"] == .integer(1) && f.row(onTime, "dept-health")["on_time_pct"] == .number(66.7))
        #expect(f.row(onTime, "township-510703001")["late"] == .integer(1) && f.row(onTime, "township-510703001")["on_time_pct"] == .number(0))
        let byKind = try await f.october(.onTime, by: .kind)
        #expect(f.row(byKind, "department")["due"] == .integer(3) && f.row(byKind, "township")["due"] == .integer(1))
        let byRule = try await f.october(.onTime, by: .rule)
        #expect(f.row(byRule, "D5-sign-for")["due"] == .integer(4))
        let distribution = try await f.october(.signForDistribution)
        #expect(f.row(distribution, "dept-health")["under_2h"] == .integer(1) && f.row(distribution, "dept-health")["h2_to_8"] == .integer(1)
                && f.row(distribution, "dept-health")["not_signed"] == .integer(1))
        let overdue = try await f.october(.overdueList)
        #expect(overdue.column("obligation_id") == [.text(uuid("o3"))])
        let backlog = try await f.october(.overdueBacklog)
        #expect(f.row(backlog, "dept-health")["overdue"] == .integer(1) && f.row(backlog, "dept-health")["over_20d"] == .integer(1))
        let weekly = try await f.october(.weekly)
        #expect(weekly.rows.count == 5, "the weeks of 2026-09-28 to 2026-10-26")
        #expect(weekly.column("due").compactMap(\.number).reduce(0, +) == 4)
        await f.bus.close()
    }

    @Test func eventsInAnyOrderGiveTheSameReadModel() async throws {
        let f = try await OversightFixture.make()
        // The close, the breach and the opening arrive the wrong way round.
        var breach = ObligationBreachedV1.sample
        (breach.obligationId, breach.ruleId, breach.ownerOrg, breach.breachedAt) = (uuid("o9"), "D5-sign-for", "dept-civil-affairs", Story.time(hours: 9))
        try await f.feed([Story.closed("o9", owner: "dept-civil-affairs", opened: 0, at: 10, late: true),
                          Story.event(breach, by: "coordinator", hours: 9),
                          Story.opened("o9", owner: "dept-civil-affairs", at: 0, dueIn: 8)])
        let row = try await f.bus.pool.query(
            "SELECT action, opened_at, due_at, closed_at, late, breached_at FROM backstop.oversight_obligations WHERE obligation_id = $1", [uuid("o9")]).first
        #expect(try row?.decode(String?.self, at: 0) == "sign_for")
        #expect(try row?.decode(Date?.self, at: 1) == Story.at(hours: 0) && row?.values[3] != nil && row?.values[5] != nil)
        #expect(try row?.decode(Bool?.self, at: 4) == true)
        let escalations = try await f.october(.escalations)
        #expect(f.row(escalations, "dept-civil-affairs")["l2"] == .integer(1))
        await f.bus.close()
    }

    @Test func jobsDonationsClosuresAndCoupling() async throws {
        let f = try await OversightFixture.make()
        try await f.registry.add(id: "ngo-spring", kind: .socialOrg, name: "Spring", districtCode: "510703")
        var offer = JobOfferedV1.sample
        (offer.offerId, offer.employerOrg, offer.positions, offer.locationCode) = (uuid("offer-1"), "ent-lvyuan-foods", 5, "510703001")
        var sent1 = JobReferralSentV1.sample, sent2 = JobReferralSentV1.sample
        (sent1.referralId, sent1.offerId, sent1.employerOrg) = (uuid("ref-1"), uuid("offer-1"), "ent-lvyuan-foods")
        (sent2.referralId, sent2.offerId, sent2.employerOrg) = (uuid("ref-2"), uuid("offer-1"), "ent-lvyuan-foods")
        var answer = JobReferralAnsweredV1.sample
        (answer.referralId, answer.offerId, answer.employerOrg, answer.answer, answer.answeredAt) = (uuid("ref-1"), uuid("offer-1"), "ent-lvyuan-foods", .accepted, Story.time(hours: 30))
        var placed = JobPlacedV1.sample
        (placed.placementId, placed.offerId, placed.referralId, placed.employerOrg, placed.caseId) = (uuid("pl-1"), uuid("offer-1"), uuid("ref-1"), "ent-lvyuan-foods", uuid("case-a"))
        var pledge1 = DonationPledgedV1.sample, pledge2 = DonationPledgedV1.sample
        (pledge1.pledgeId, pledge1.donorOrg, pledge1.cashAmountYuan) = (uuid("p-1"), "ngo-spring", 1000)
        (pledge2.pledgeId, pledge2.donorOrg, pledge2.cashAmountYuan) = (uuid("p-2"), "ngo-spring", 500)
        var commit = DonationCommittedV1.sample
        (commit.pledgeId, commit.donorOrg, commit.caseId, commit.committedAt) = (uuid("p-1"), "ngo-spring", uuid("case-a"), Story.time(hours: 48))
        var paid = DonationDisbursedV1.sample
        (paid.pledgeId, paid.donorOrg, paid.caseId, paid.disbursedAt, paid.cashAmountYuan) = (uuid("p-1"), "ngo-spring", uuid("case-a"), Story.time(hours: 96), 800)
        var identifiedA = CaseIdentifiedV1.sample, identifiedB = CaseIdentifiedV1.sample
        identifiedA.caseId = uuid("case-a")
        identifiedB.caseId = uuid("case-b")
        var closedB = CaseClosedV1.sample
        (closedB.caseId, closedB.closedAt) = (uuid("case-b"), Story.time(hours: 100))
        var reopenedB = CaseReopenedV1.sample
        (reopenedB.caseId, reopenedB.reopenedAt) = (uuid("case-b"), Story.time(hours: 200))
        var measure = MeasureAppliedV1.sample
        (measure.caseId, measure.providerOrg) = (uuid("case-b"), "dept-civil-affairs")
        try await f.feed([
            Story.event(identifiedA, by: "township-510703001", hours: 0), Story.event(identifiedB, by: "township-510703001", hours: 0),
            Story.event(offer, by: "ent-lvyuan-foods", hours: 1), Story.event(sent1, by: "dept-hrss", hours: 2), Story.event(sent2, by: "dept-hrss", hours: 3),
            Story.event(answer, by: "ent-lvyuan-foods", hours: 30), Story.event(placed, by: "ent-lvyuan-foods", hours: 50),
            Story.event(pledge1, by: "ngo-spring", hours: 4), Story.event(pledge2, by: "ngo-spring", hours: 5),
            Story.event(commit, by: "ngo-spring", hours: 48), Story.event(paid, by: "ngo-spring", hours: 96),
            Story.event(measure, by: "dept-civil-affairs", hours: 24),
            Story.event(closedB, by: "township-510703001", hours: 100), Story.event(reopenedB, by: "township-510703001", hours: 200),
        ])
        let jobs = f.row(try await f.october(.jobs), "ent-lvyuan-foods")
        #expect(jobs["offers"] == .integer(1) && jobs["positions"] == .integer(5) && jobs["referrals"] == .integer(2)
                && jobs["accepted"] == .integer(1) && jobs["placements"] == .integer(1) && jobs["placement_pct"] == .number(50))
        #expect(jobs["referral_to_placement_days"] == .number(2), "sent at 2 h, placed at 50 h")
        let donations = f.row(try await f.october(.donations), "ngo-spring")
        #expect(donations["pledges"] == .integer(2) && donations["pledged_yuan"] == .integer(1500) && donations["committed"] == .integer(1)
                && donations["disbursed"] == .integer(1) && donations["disbursed_yuan"] == .integer(800) && donations["committed_pct"] == .number(50))
        #expect(donations["pledge_to_commit_days"] == .number(1.8) && donations["commit_to_disburse_days"] == .number(2))
        let closures = try await f.october(.closures, by: .township)
        #expect(f.row(closures, "510703001")["closed"] == .integer(1) && f.row(closures, "510703001")["reversal_pct"] == .number(100))
        let coupling = try await f.october(.coupling, by: .organisation)
        let lead = f.row(coupling, "township-510703001")
        #expect(lead["open_cases"] == .integer(2), "case-b was reopened, so both are open")
        #expect(lead["with_measure"] == .integer(1) && lead["with_non_government"] == .integer(1) && lead["coupling_pct"] == .number(50))
        let times = f.row(try await f.october(.responseTimes), "township-510703001")
        #expect(times["first_measure_count"] == .integer(1) && times["first_measure_median_hours"] == .number(24))
        await f.bus.close()
    }

    @Test func drillDownNeedsAReasonAndIsAuditLogged() async throws {
        let f = try await OversightFixture.make()
        try await f.feed([Story.opened("o1", owner: "dept-health", at: 0, dueIn: 8, caseID: "case-z"),
                          Story.closed("o1", owner: "dept-health", opened: 0, at: 2, late: false)])
        let officer = Principal(organisation: "oversight-county", kind: .oversight, districtCode: "510703")
        let history = try await f.review.drillDown(to: uuid("case-z"), by: officer, reason: "quarterly review of slow sign-for")
        #expect(history == nil, "obligations alone do not make a case")
        var identified = CaseIdentifiedV1.sample
        identified.caseId = uuid("case-z")
        try await f.feed([Story.event(identified, by: "township-510703001", hours: 0)])
        let shown = try #require(try await f.review.drillDown(to: uuid("case-z"), by: officer, reason: "quarterly review of slow sign-for"))
        #expect(shown.obligations.map(\.id) == [uuid("o1")] && shown.obligations.first?.late == false && shown.lead == "township-510703001")
        let audit = try await f.bus.pool.query("SELECT organisation_id, action, event_id, purpose, reason FROM backstop.audit_log")
        #expect(audit.count == 1, "one record, for the drill-down that showed something")
        #expect(audit.first?.values == ["oversight-county", "drill_down", uuid("case-z"), "oversight", "quarterly review of slow sign-for"])
        await #expect(throws: PostgresError.self) {
            _ = try await f.bus.pool.query("UPDATE backstop.audit_log SET reason = 'x'")
        }
        await f.bus.close()
    }
}
