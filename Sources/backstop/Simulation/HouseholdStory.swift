import BackstopContracts
import BackstopCoordinator
import Foundation

/// How an organisation answers what it owes: inside the allowance, after it, or not at all.
enum Timeliness: Sendable {
    case onTime, late, never
}

/// Where a household's story starts: a risk clue, the channel it came through (domain brief §2.3)
/// and who recorded it.
struct ClueSource: Sendable {
    var detectedBy: RiskClueReportedV1.DetectedBy
    var publisher: String
    var sourceDept: String?
    var categories: [RiskCategory]
    var indicator: RiskClueReportedV1.Indicator?
}

/// One household's way through the mechanism, planned at once from its risk clue: triage into an
/// alert, sign-for by the assigned organisations (most on time, some late, a few never), the
/// household visit, the identification decision, the assistance plan and its measures — job
/// referrals, donations, industry support, insurance — monthly follow-up visits, and for some the
/// closure and a reopening. Every event is built when its step runs (``SimulationStep``).
struct HouseholdStory {
    let district: DemoDistrict
    let desk: CoordinatorDesk?
    let oracle: DeadlineOracle
    var rng: SeededGenerator
    var ids: SeededGenerator
    let village: DemoDistrict.Village
    let township: DemoDistrict.Township
    /// The household, as its pseudonymous reference.
    let household: String
    /// The chain's correlation id (the clue id): alert → measures → closure.
    let chain: String
    /// The planned steps, in no particular order (the planner sorts them by time).
    var steps: [SimulationStep] = []
    /// False once an obligation of the chain is left unanswered: closing the case would be refused.
    var clean = true
    /// When the last answer to an obligation of the chain is given.
    var lastAnswer: Date

    init(district: DemoDistrict, desk: CoordinatorDesk?, oracle: DeadlineOracle, rng: SeededGenerator, ids: SeededGenerator,
         village: DemoDistrict.Village, start: Date) {
        self.district = district
        self.desk = desk
        self.oracle = oracle
        self.rng = rng
        var ids = ids
        household = ids.householdRef()
        chain = ids.uuid(at: start)
        self.ids = ids
        self.village = village
        township = district.township(of: village.code) ?? district.townships[0]
        lastAnswer = start
    }

    // MARK: building blocks

    /// How a step stands to the obligations of the backfill: what it answers on time, or that it
    /// waits for the end of the backfill (see ``SimulationStep``).
    struct Order {
        var answers: String?
        var deferred = false
        var after: [String] = []

        /// Nothing special.
        static let plain = Order()

        /// Answering the step labelled `label`: on time, or late (then deferred).
        static func answering(_ label: String, _ reply: Reply) -> Order {
            reply.onTime ? Order(answers: label) : Order(deferred: true)
        }
    }

    /// When an answer is given, and whether that is before its due time.
    struct Reply {
        var at: Date
        var onTime: Bool
    }

    mutating func publish(_ org: String, at time: Date, label: String? = nil, order: Order = .plain,
                                  _ build: @escaping @Sendable (Date) -> CloudEvent) {
        steps.append(SimulationStep(at: time, action: .publish(org: org, build: build), label: label, answers: order.answers,
                                    after: order.after, deferred: order.deferred))
    }

    mutating func timeliness(onTime: Double, late: Double) -> Timeliness {
        rng.weighted([(.onTime, onTime), (.late, late), (.never, max(0, 1 - onTime - late))])
    }

    /// When an answer owed from `opened` to `due` is given, or nil for never (which spoils the chain).
    mutating func answer(opened: Date, due: Date, _ timeliness: Timeliness, office: Bool = true) -> Reply? {
        let allowance = max(60, due.timeIntervalSince(opened))
        switch timeliness {
        case .onTime:
            let at = opened + Double.random(in: 0.08...0.85, using: &rng) * allowance
            let moved = office ? oracle.officeTime(at, using: &rng) : at
            let given = note(moved < due ? moved : opened + 0.1 * allowance)
            return Reply(at: given, onTime: given < due)
        case .late:
            let at = due + min(allowance, 86_400) * Double.random(in: 0.1...1.5, using: &rng) + rng.hours(0...48)
            return Reply(at: note(office ? oracle.officeTime(at, using: &rng) : at), onTime: false)
        case .never:
            clean = false
            return nil
        }
    }

    mutating func note(_ time: Date) -> Date {
        lastAnswer = max(lastAnswer, time)
        return time
    }

    /// What every event of the story shares: the household, where it lives, the chain it belongs to.
    var envelope: StoryEnvelope { StoryEnvelope(household: household, location: village.code, chain: chain) }

    var alertLabel: String { "alert/" + chain }
    var caseLabel: String { "case/" + chain }

    // MARK: the story

    /// Plans the whole story from a clue reported at `start`, drawing offers and pledges from
    /// `resources` (and posting new ones there when none fits).
    mutating func plan(_ clue: ClueSource, at start: Date, resources: inout DistrictResources) {
        let clueEventID = ids.uuid(at: start)
        let detectLag = rng.hours(0.5...30)
        let evidence = clue.sourceDept.map { ["\($0)-push-\(SimulationEvents.day(start).prefix(7))/row-\(Int.random(in: 100...999, using: &rng))"] }
        let clueBuild: @Sendable (Date) -> CloudEvent = { [envelope] at in
            envelope.event(RiskClueReportedV1(
                clueId: envelope.chain, detectedAt: SimulationEvents.stamp(at - detectLag), detectedBy: clue.detectedBy, evidenceRefs: evidence,
                householdRef: envelope.household, indicator: clue.indicator, locationCode: envelope.location, riskCategories: clue.categories,
                sourceDept: clue.sourceDept), id: clueEventID, org: clue.publisher, at: at)
        }
        let clueLabel = "clue/" + chain
        publish(clue.publisher, at: start, label: clueLabel, clueBuild)
        let clueEvent = clueBuild(start)
        let caseID = ids.uuid(at: start + 86_400)

        // Triage by the coordination office.
        var alert: (id: String, lead: String, green: Bool)?
        if let desk { alert = raiseAlert(desk, clue: clue, clueEventID: clueEventID, start: start, caseID: caseID) }

        // The household visit: owed by the township for self-reports (D1) and department pushes (D2).
        let outcome = rng.weighted([(VerificationVisitRecordedV1.Outcome.confirmed, 0.72), (.notConfirmed, 0.22), (.unreachable, 0.06)])
        let visitRule: (id: String, fallback: Double)? = switch clue.detectedBy {
        case .selfReport: ("D1-visit", 2.8)
        case .deptPush: ("D2-verify-push", 7)
        default: nil
        }
        var visited = start + rng.days(0.5...3)
        if let visitRule {
            let due = oracle.due(clueEvent, rule: visitRule.id, owner: township.organisation, fallback: visitRule.fallback * 86_400)
            visited = visit(owed: visitRule.id, trigger: clueLabel, opened: start, due: due, outcome: outcome, alertID: alert?.id,
                            categories: clue.categories) ?? visited
        } else if clue.detectedBy != .gridCheck && clue.detectedBy != .cadreVisit || rng.chance(0.5) {
            visited = oracle.officeTime(visited, using: &rng)
            recordVisit(by: village.organisation, at: visited, outcome: outcome == .unreachable ? .confirmed : outcome, alertID: alert?.id,
                        categories: clue.categories, attempts: 1, order: .plain)
        }

        // The identification decision (D3: 15 days from the clue).
        let decisionDue = oracle.due(clueEvent, rule: "D3-decide", owner: township.organisation, fallback: 15 * 86_400)
        guard let decided = answer(opened: max(start, visited + 3 * 86_400), due: decisionDue, timeliness(onTime: 0.9, late: 0.08)) else { return }
        guard outcome != .notConfirmed else {
            if let alert { notAdmitted(at: decided.at, alertID: alert.id, order: .answering(clueLabel, decided)) } else { clean = false }
            return
        }
        var order = Order.answering(clueLabel, decided)
        if alert != nil { order.after = [alertLabel] }
        identify(at: decided.at, order: order, clue: clue, caseID: caseID, alert: alert, resources: &resources)
    }

    /// The alert, its sign-for by every assignee (or an objection to the dispatch), and for P1
    /// sudden hardship the green-channel first measure.
    private mutating func raiseAlert(_ desk: CoordinatorDesk, clue: ClueSource, clueEventID: String, start: Date,
                                     caseID: String) -> (id: String, lead: String, green: Bool) {
        // The coordinator raises alerts for screened department clues itself (triage), from the
        // clue's time, with a severity by band and an id derived from the clue; the office raises
        // the others.
        let byCoordinator = desk.planner.rules.triage.alertChannels.contains(clue.detectedBy.rawValue)
        let shock = clue.categories.contains { [.disaster, .accident].contains($0) }
        let severity: Severity = byCoordinator ? Severity(rawValue: desk.planner.rules.triage.severity(band: clue.indicator?.band?.rawValue)) ?? .p3
            : shock && rng.chance(0.6) ? .p1
            : clue.categories.contains { [.illness, .expenseSurge, .disaster, .accident].contains($0) } ? (rng.chance(0.75) ? .p2 : .p3)
            : rng.chance(0.08) ? .p4 : .p3
        let green = severity == .p1 && !byCoordinator
        let raised = byCoordinator ? start : green ? start + rng.hours(0.2...1.5) : oracle.officeTime(start + rng.hours(0.5...20), using: &rng)
        let alertID = byCoordinator ? ClueTriage.alertID(forClue: chain) : ids.uuid(at: raised)
        let eventID = ids.uuid(at: raised)
        let assignees = desk.assignment(for: clue.categories, location: village.code)
        let lead = assignees[0].org
        let build: @Sendable (Date, CoordinatorDesk) -> CloudEvent = { [envelope] at, desk in
            func alert(_ due: [String: Date]) -> CloudEvent {
                envelope.event(AlertRaisedV1(
                    alertId: alertID,
                    assignedTo: assignees.map {
                        .init(dueBy: SimulationEvents.stamp(due[$0.org] ?? at), orgId: $0.org, role: $0.role, slaRuleId: "D5-sign-for")
                    },
                    clueIds: [envelope.chain], greenChannel: green, householdRef: envelope.household, locationCode: envelope.location,
                    riskCategories: clue.categories, severity: severity),
                    id: eventID, org: desk.organisation, at: at, subject: alertID, causation: clueEventID)
            }
            let openings = DeadlineOracle(planner: desk.planner).openings(alert([:])).filter { $0.ruleID == "D5-sign-for" }
            return alert(Dictionary(openings.map { ($0.owner, $0.dueAt) }, uniquingKeysWith: min))
        }
        // Answers to a coordinator's alert go out with the clue that raises it.
        let alertLabel = byCoordinator ? "clue/" + chain : self.alertLabel
        if !byCoordinator { steps.append(SimulationStep(at: raised, action: .desk(build), label: alertLabel)) }
        let alertEvent = build(raised, desk)
        let dues = Dictionary(oracle.openings(alertEvent).filter { $0.ruleID == "D5-sign-for" }.map { ($0.owner, $0.dueAt) }, uniquingKeysWith: min)

        // At most one co-handling department objects to the dispatch instead of signing for it.
        let objector = rng.chance(0.07) ? assignees.first { $0.role == .co && Self.isDepartment($0.org) }?.org : nil
        for (org, role) in assignees where org != objector {
            let due = dues[org] ?? raised + 86_400
            guard let reply = answer(opened: raised, due: due, timeliness(onTime: role == .lead ? 0.86 : 0.8, late: 0.11), office: !green) else { continue }
            acknowledge(alertID, by: org, role: role, at: reply.at, order: .answering(alertLabel, reply))
        }
        if let objector { object(alertID, by: objector, desk: desk, raised: raised, due: dues[objector] ?? raised + 86_400, assignees: assignees) }

        // Green channel: help first, within 3 days (D4), before the formal identification.
        let firstMeasureDue = oracle.openings(alertEvent).first { $0.ruleID == "D4-first-measure" }?.dueAt ?? raised + 3 * 86_400
        if green, let reply = answer(opened: raised, due: firstMeasureDue, timeliness(onTime: 0.9, late: 0.08), office: false) {
            applyMeasure(category: Self.measureCategory(of: lead), by: lead, at: reply.at, caseID: caseID, value: Int.random(in: 20...80, using: &rng) * 100,
                         order: .answering(alertLabel, reply))
        }
        return (alertID, lead, green)
    }

    private mutating func acknowledge(_ alertID: String, by org: String, role: AlertRaisedV1.AssignedTo.Role, at: Date, order: Order) {
        let id = ids.uuid(at: at)
        let ackRole: AlertAcknowledgedV1.Role = role == .lead ? .lead : .co
        publish(org, at: at, order: order) { [envelope] at in
            envelope.event(AlertAcknowledgedV1(acknowledgedAt: SimulationEvents.stamp(at), alertId: alertID, byOrg: org, role: ackRole),
                  id: id, org: org, at: at, subject: alertID)
        }
    }

    /// A dispatch objection (退单) and the office's decision (D13: 1 working day); the objector or
    /// the organisation it proposed then signs for the alert.
    private mutating func object(_ alertID: String, by objector: String, desk: CoordinatorDesk, raised: Date, due: Date,
                                 assignees: [(org: String, role: AlertRaisedV1.AssignedTo.Role)]) {
        guard let objected = answer(opened: raised, due: due, .onTime)?.at else { return }
        let named = Set(assignees.map(\.org))
        let proposals = ["dept-civil-affairs", "dept-rural-revitalisation", "dept-health", "dept-hrss"].filter { !named.contains($0) }
        let proposed = proposals.isEmpty || rng.chance(0.3) ? nil : rng.pick(proposals)
        let objectionID = ids.uuid(at: objected)
        let reason: AlertDispatchObjectedV1.ReasonCode = proposed == nil ? .insufficientInformation : .outsideDuty
        let objection: @Sendable (Date) -> CloudEvent = { [envelope] at in
            envelope.event(AlertDispatchObjectedV1(alertId: alertID, byOrg: objector, objectedAt: SimulationEvents.stamp(at), proposedOwner: proposed,
                                                   reasonCode: reason),
                  id: objectionID, org: objector, at: at, subject: alertID)
        }
        let objectionLabel = "objection/" + chain, redispatchLabel = "redispatch/" + chain
        publish(objector, at: objected, label: objectionLabel, objection)
        let decisionDue = oracle.due(objection(objected), rule: "D13-objection", owner: desk.organisation, fallback: 1.4 * 86_400)
        let decided = oracle.officeTime(objected + rng.hours(rng.chance(0.85) ? 1...20 : 30...60), using: &rng)
        _ = note(decided)
        let accepted = proposed != nil && rng.chance(0.65)
        let decisionID = ids.uuid(at: decided)
        let remaining = assignees.filter { $0.org != objector } + (proposed.map { [(org: $0, role: AlertRaisedV1.AssignedTo.Role.co)] } ?? [])
        steps.append(SimulationStep(at: decided, action: .desk { [envelope] at, desk in
            func decision(_ due: [String: Date]) -> CloudEvent {
                envelope.event(AlertRedispatchedV1(
                    alertId: alertID,
                    assignedTo: accepted ? remaining.map { .init(dueBy: SimulationEvents.stamp(due[$0.org] ?? at), orgId: $0.org,
                                                                 role: $0.role == .lead ? .lead : .co,
                                                                 slaRuleId: "D5-sign-for-redispatched") } : nil,
                    decidedAt: SimulationEvents.stamp(at), decision: accepted ? .accepted : .rejected, objectionEventId: objectionID,
                    reasonCode: accepted ? .objectionValid : .dutyCatalogueAssignsObjector, removedOrg: accepted ? objector : nil),
                    id: decisionID, org: desk.organisation, at: at, subject: alertID, causation: objectionID)
            }
            let openings = DeadlineOracle(planner: desk.planner).openings(decision([:]))
            return decision(Dictionary(openings.map { ($0.owner, $0.dueAt) }, uniquingKeysWith: min))
        }, label: redispatchLabel, answers: decided < decisionDue ? objectionLabel : nil, deferred: decided >= decisionDue))
        // The objector signs for it after a rejection (against its first due time); the proposed
        // organisation after an acceptance (against the redispatch's).
        let signer = accepted ? proposed : objector
        if let signer, let reply = answer(opened: decided, due: decided + 86_400, timeliness(onTime: 0.9, late: 0.1)) {
            let order: Order = accepted ? .answering(redispatchLabel, reply) : .answering(alertLabel, Reply(at: reply.at, onTime: reply.at < due))
            acknowledge(alertID, by: signer, role: .co, at: reply.at, order: order)
        }
    }

    /// A verification visit owed to the coordinator under `rule`, sometimes after an extension;
    /// returns when the household was seen (nil: never visited).
    private mutating func visit(owed rule: String, trigger: String, opened: Date, due: Date, outcome: VerificationVisitRecordedV1.Outcome,
                                alertID: String?, categories: [RiskCategory]) -> Date? {
        let owner = township.organisation
        let how = timeliness(onTime: 0.85, late: 0.12)
        if how == .late, desk != nil, rng.chance(0.35) {
            // Waiting on the household: the township asks for more time before the due time and
            // visits after it, inside the extension when it is granted.
            let extra = rng.days(2...4)
            extend(rule: rule, owner: owner, subject: household, trigger: trigger, at: opened + 0.6 * due.timeIntervalSince(opened), extra: extra,
                   reason: .waitingOnHousehold)
            guard let reply = answer(opened: due, due: due + extra, .onTime) else { return nil }
            recordVisits(by: owner, at: reply.at, outcome: outcome, alertID: alertID, categories: categories, order: Order(deferred: true))
            return reply.at
        }
        guard let reply = answer(opened: opened, due: due, how) else { return nil }
        recordVisits(by: owner, at: reply.at, outcome: outcome, alertID: alertID, categories: categories, order: .answering(trigger, reply))
        return reply.at
    }

    /// A visit, and a second one when nobody was home the first time.
    private mutating func recordVisits(by org: String, at: Date, outcome: VerificationVisitRecordedV1.Outcome, alertID: String?,
                                       categories: [RiskCategory], order: Order) {
        guard outcome == .unreachable else {
            recordVisit(by: org, at: at, outcome: outcome, alertID: alertID, categories: categories, attempts: Int.random(in: 1...2, using: &rng), order: order)
            return
        }
        recordVisit(by: org, at: at, outcome: .unreachable, alertID: alertID, categories: categories, attempts: 3, order: order)
        recordVisit(by: org, at: oracle.officeTime(at + rng.days(1...3), using: &rng), outcome: .confirmed, alertID: alertID,
                    categories: categories, attempts: 1, order: Order(deferred: order.deferred))
    }

    private mutating func recordVisit(by org: String, at time: Date, outcome: VerificationVisitRecordedV1.Outcome, alertID: String?,
                                      categories: [RiskCategory], attempts: Int, order: Order) {
        let id = ids.uuid(at: time), visitID = ids.uuid(at: time)
        let signed = outcome == .confirmed && rng.chance(0.92)
        publish(org, at: time, order: order) { [envelope] at in
            envelope.event(VerificationVisitRecordedV1(alertId: alertID, authorizationSigned: signed, contactAttempts: attempts,
                                                       householdRef: envelope.household,
                                              outcome: outcome, riskCategories: outcome == .confirmed ? categories : nil, visitId: visitID,
                                              visitedAt: SimulationEvents.stamp(at - 1_800)),
                  id: id, org: org, at: at)
        }
    }

    /// Asks for more time on an obligation before its due time; the office decides a few hours
    /// later. Returns whether it is granted.
    @discardableResult
    mutating func extend(rule: String, owner: String, subject: String, trigger: String, at asked: Date, extra: TimeInterval,
                                 reason: ObligationExtensionRequestedV1.ReasonCode) -> Bool {
        guard desk != nil else { return false }
        let memory = StoryMemory()
        let requestID = ids.uuid(at: asked), decisionID = ids.uuid(at: asked + 3_600)
        steps.append(SimulationStep(at: asked, action: .requestExtension(ExtensionRequest(
            owner: owner, ruleID: rule, subjectRef: subject, requestID: requestID, reason: reason, extra: extra, memory: memory)), after: [trigger]))
        let granted = rng.chance(0.75)
        steps.append(SimulationStep(at: asked + rng.hours(2...10), action: .desk { at, desk in
            guard let obligation = memory["obligation"], let due = memory["due"] else { return nil }
            return SimulationEvents.event(ObligationExtensionDecidedV1(
                decidedAt: SimulationEvents.stamp(at), decidedBy: desk.organisation, decision: granted ? .granted : .refused,
                newDueAt: granted ? due : nil, obligationId: obligation, reasonCode: granted ? .justified : .notJustified, requestId: requestID),
                id: decisionID, org: desk.organisation, at: at, subject: obligation)
        }))
        return granted
    }

    private mutating func notAdmitted(at time: Date, alertID: String, order: Order) {
        let id = ids.uuid(at: time)
        let reason = rng.weighted([(CaseNotAdmittedV1.ReasonCode.incomeAboveRangeNoShock, 0.45), (.riskResolved, 0.35),
                                   (.declinedByHousehold, 0.1), (.duplicate, 0.1)])
        let org = township.organisation
        publish(org, at: time, order: order) { [envelope] at in
            envelope.event(CaseNotAdmittedV1(alertId: alertID, decidedOn: SimulationEvents.day(at), explanationDeliveredAt: SimulationEvents.stamp(at),
                                    householdRef: envelope.household, reasonCode: reason),
                  id: id, org: org, at: at, subject: alertID)
        }
    }
}

/// What every event of one story shares: the household, where it lives, and the chain (alert →
/// measures → closure) it belongs to.
struct StoryEnvelope: Sendable {
    let household: String
    let location: String
    let chain: String

    /// The event `org` publishes with `payload` at `time`, in this story's district and chain.
    func event(_ payload: some EventPayload, id: String, org: String, at time: Date, subject: String? = nil, causation: String? = nil) -> CloudEvent {
        SimulationEvents.event(payload, id: id, org: org, at: time, subject: subject, district: location, correlation: chain, causation: causation)
    }
}
