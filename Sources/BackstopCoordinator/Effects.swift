import BackstopBus
import BackstopContracts
import BackstopPostgres
import Foundation

/// The database work for one input event, inside the transaction that acknowledges it, and the
/// events it causes (published in the same transaction).
struct Effects {
    let rules: DeadlineRules
    let deadlines: DeadlineCalculator
    let sql: CoordinatorSQL
    let cause: CloudEvent
    let emit: CoordinatorEvents
    var outputs: [CloudEvent] = []

    init(rules: DeadlineRules, deadlines: DeadlineCalculator, sql: CoordinatorSQL, cause: CloudEvent) {
        self.rules = rules
        self.deadlines = deadlines
        self.sql = sql
        self.cause = cause
        emit = CoordinatorEvents(coordinator: rules.coordinator, cause: cause)
    }

    /// Remembers alerts (their lead) and cases (opened, reopened).
    mutating func record(_ event: CloudEvent, in c: isolated Connection) throws {
        let data = event.data.objectValue ?? [:]
        func text(_ key: String) -> String? { ObligationPlanner.text(data[key]) }
        let at = event.time ?? Date()
        switch event.type {
        case AlertRaisedV1.eventType:
            guard let alert = try? AlertRaisedV1(from: event) else { return }
            let lead = alert.assignedTo.first { $0.role == .lead }?.orgId
            _ = try c.executePrepared("coordinator_alert_record", sql.alertRecord,
                                      [alert.alertId, alert.householdRef, alert.caseId, lead, event.correlationID, at, alert.locationCode])
        case CaseIdentifiedV1.eventType, CaseReopenedV1.eventType:
            guard let caseID = text("case_id") else { return }
            _ = try c.executePrepared("coordinator_case_record", sql.caseRecord,
                                      [caseID, text("household_ref"), ObligationPlanner.organisation(of: event) ?? "unknown", text("alert_id"),
                                       event.correlationID, at])
        case ObligationExtensionRequestedV1.eventType:
            try requestExtension(event, in: c)
        case ObligationExtensionDecidedV1.eventType:
            // A refusal only closes the request; a grant is applied by extend(_:in:).
            if let decision = try? ObligationExtensionDecidedV1(from: event), decision.decision == .refused {
                _ = try c.executePrepared("coordinator_extension_decision", sql.extensionDecision,
                                          [decision.requestId, "refused", EventTime.parse(decision.decidedAt) ?? at])
            }
        default: break
        }
    }

    /// Applies the closure rules to a case.closed event: only the case's lead may close it, and
    /// only with no open obligations except those it waives. Returns false (and publishes
    /// case.close_refused with the reason) when the close is refused.
    mutating func closeCase(_ event: CloudEvent, in c: isolated Connection) throws -> Bool {
        guard event.type == CaseClosedV1.eventType, let close = try? CaseClosedV1(from: event) else { return true }
        let rows = try c.executePrepared("coordinator_case_for_closing", sql.caseForClosing, [close.caseId])
        var reason: CaseCloseRefusedV1.ReasonCode?
        var blocking: [String] = []
        if let row = rows.first {
            let lead = try row.decode(String.self, at: 0), state = try row.decode(String.self, at: 1)
            let open = try row.decode([String].self, at: 2)
            blocking = open.filter { !(close.waivedObligations ?? []).contains($0) }
            if state == "closed" {
                reason = .alreadyClosed
            } else if close.closedBy != lead || ObligationPlanner.organisation(of: event) != lead {
                reason = .notCaseLead
            } else if !blocking.isEmpty {
                reason = .openObligations
            }
        } else {
            reason = .unknownCase
        }
        if let reason {
            outputs.append(emit.event(CaseCloseRefusedV1(
                byOrg: close.closedBy, caseId: close.caseId, closeEventId: event.id,
                openObligationIds: reason == .openObligations ? Array(blocking.prefix(50)) : nil,
                reasonCode: reason, refusedAt: CoordinatorEvents.time(Date())),
                key: "case.close_refused/\(event.source)/\(event.id)", correlation: nil, district: nil, subject: close.caseId))
            return false
        }
        let at = EventTime.parse(close.closedAt) ?? event.time ?? Date()
        _ = try c.executePrepared("coordinator_case_close", sql.caseClose, [close.caseId, at, event.id, close.waivedObligations ?? []])
        return true
    }

    /// Closes the obligations an answer matches, publishing obligation.closed for each.
    mutating func answer(_ answer: ObligationAnswer, in c: isolated Connection) throws {
        let rows = try c.executePrepared("coordinator_obligation_answer", sql.obligationAnswer, [
            answer.ruleID, answer.linkKey, answer.owner, answer.outcome.rawValue, cause.time, cause.id,
        ])
        for row in rows { closed(try ObligationRow(row), byEvent: cause.id) }
    }

    /// Opens one obligation (unless this trigger already did), publishes obligation.opened, and
    /// closes it at once if its answer arrived first.
    mutating func open(_ opening: ObligationOpening, in c: isolated Connection) throws {
        let data = cause.data.objectValue ?? [:]
        let caseID = ObligationPlanner.text(data["case_id"])
        let inserted = try c.executePrepared("coordinator_obligation_open", sql.obligationOpen, [
            opening.ruleID, opening.action, opening.owner, opening.linkKey, caseID, cause.correlationID ?? cause.id,
            cause.districtCode, cause.source, cause.id, opening.calendar, opening.openedAt, opening.warnAt, opening.dueAt,
            opening.breachAt, opening.superviseAt,
        ])
        guard let id = try inserted.first?.decode(String.self, at: 0) else { return }
        outputs.append(Self.openedEvent(id: id, opening, caseID: caseID, alertID: ObligationPlanner.text(data["alert_id"]), emit: emit))
        let early = try c.executePrepared("coordinator_obligation_early_answer", sql.obligationEarlyAnswer,
                                          [opening.ruleID, opening.linkKey, opening.owner])
        if let row = early.first {
            let outcome = try row.decode(String.self, at: 0), eventID = try row.decode(String.self, at: 1)
            let closedRows = try c.executePrepared("coordinator_obligation_close", sql.obligationClose,
                                                   [id, outcome, try row.decode(Date.self, at: 2), eventID])
            for closedRow in closedRows { closed(try ObligationRow(closedRow), byEvent: eventID) }
        }
    }

    /// The obligation.opened event for a new obligation.
    static func openedEvent(id: String, _ opening: ObligationOpening, caseID: String?, alertID: String?, emit: CoordinatorEvents) -> CloudEvent {
        emit.event(ObligationOpenedV1(
            action: ObligationOpenedV1.Action(rawValue: opening.action) ?? .other, alertId: alertID,
            calendar: ObligationOpenedV1.Calendar(rawValue: opening.calendar) ?? .calendarDays, caseId: caseID,
            dueAt: CoordinatorEvents.time(opening.dueAt), obligationId: id, openedAt: CoordinatorEvents.time(opening.openedAt),
            ownerKind: OrganisationKind.named(by: opening.owner), ownerOrg: opening.owner,
            ruleId: opening.ruleID, subjectRef: String(opening.linkKey.prefix(128)), warnAt: CoordinatorEvents.time(opening.warnAt)),
            key: "obligation.opened/\(id)", correlation: nil, district: nil)
    }

    private mutating func closed(_ row: ObligationRow, byEvent eventID: String) {
        let closedAt = row.closedAt ?? Date()
        outputs.append(emit.event(ObligationClosedV1(
            closedAt: CoordinatorEvents.time(closedAt), elapsedSeconds: max(0, Int(closedAt.timeIntervalSince(row.openedAt))),
            fulfilledByEvent: row.state == "fulfilled" ? String(eventID.prefix(128)) : nil, late: row.late, obligationId: row.id,
            outcome: ObligationClosedV1.Outcome(rawValue: row.state) ?? .cancelled, ownerOrg: row.owner, ruleId: row.ruleID),
            key: "obligation.closed/\(row.id)", correlation: row.correlationID, district: row.districtCode, subject: row.caseID))
    }

    /// Records an extension request; one made after the due time, beyond the policy's count or
    /// longer than allowed is refused at once.
    private mutating func requestExtension(_ event: CloudEvent, in c: isolated Connection) throws {
        guard let request = try? ObligationExtensionRequestedV1(from: event),
              let requestedAt = EventTime.parse(request.requestedAt), let wanted = EventTime.parse(request.requestedDueAt) else { return }
        let rows = try c.executePrepared("coordinator_extension_request", sql.extensionRequest,
                                         [request.requestId, request.obligationId, request.byOrg, requestedAt, wanted])
        guard let row = rows.first else { return }
        let dueAt = try row.decode(Date.self, at: 0), granted = try row.decode(Int.self, at: 1)
        var refusal: ObligationExtensionDecidedV1.ReasonCode?
        if requestedAt > dueAt { refusal = .requestedAfterDueTime }
        else if granted >= rules.extensions.maximumPerObligation { refusal = .limitReached }
        else if wanted > (try deadlines.due(openedAt: dueAt, within: rules.extensions.longest)) { refusal = .limitReached }
        guard let refusal else { return }  // the coordinator office decides the others
        _ = try c.executePrepared("coordinator_extension_decision", sql.extensionDecision, [request.requestId, "refused", Date()])
        outputs.append(emit.event(ObligationExtensionDecidedV1(
            decidedAt: CoordinatorEvents.time(Date()), decidedBy: rules.coordinator, decision: .refused, obligationId: request.obligationId,
            reasonCode: refusal, requestId: request.requestId),
            key: "obligation.extension_decided/\(request.requestId)", correlation: nil, district: nil))
    }

    /// Applies a granted extension decided by the coordinator office or oversight.
    mutating func extend(_ plan: ExtensionPlan?, in c: isolated Connection) throws {
        guard let plan else { return }
        // Only the kinds the policy names may grant (the catalogue already limits who may publish).
        let decider = OrganisationKind.named(by: ObligationPlanner.organisation(of: cause) ?? "")
        guard rules.extensions.decidedBy.contains(decider.rawValue) else { return }
        let decided = try c.executePrepared("coordinator_extension_decision", sql.extensionDecision,
                                            [plan.decision.requestId, "granted", EventTime.parse(plan.decision.decidedAt) ?? Date()])
        guard let request = decided.first else { return }
        let requestedAt = try request.decode(Date.self, at: 1), dueAt = try request.decode(Date?.self, at: 3)
        // Requested after the due time: the policy says no, whoever granted it.
        if let dueAt, requestedAt > dueAt { return }
        _ = try c.executePrepared("coordinator_extension_grant", sql.extensionGrant,
                                  [plan.decision.obligationId, plan.dueAt, plan.warnAt, plan.dueAt, plan.superviseAt])
    }
}

extension ObligationRow {
    init(_ row: PostgresRow) throws {
        self.init(id: try row.decode(String.self, at: 0), ruleID: try row.decode(String.self, at: 1), owner: try row.decode(String.self, at: 2),
                  openedAt: try row.decode(Date.self, at: 3), closedAt: try row.decode(Date?.self, at: 4),
                  late: try row.decode(Bool?.self, at: 5) ?? false, state: try row.decode(String.self, at: 6),
                  caseID: try row.decode(String?.self, at: 7), correlationID: try row.decode(String?.self, at: 8),
                  districtCode: try row.decode(String?.self, at: 9))
    }
}

/// The coordinator's SQL statements (from `SQL/*.sql`).
struct CoordinatorSQL: Sendable {
    let obligationOpen = EmbeddedSQL.statement("obligation_open")
    let obligationAnswer = EmbeddedSQL.statement("obligation_answer")
    let obligationEarlyAnswer = EmbeddedSQL.statement("obligation_early_answer")
    let obligationClose = EmbeddedSQL.statement("obligation_close")
    let sweepClaim = EmbeddedSQL.statement("sweep_claim")
    let sweepAdvance = EmbeddedSQL.statement("sweep_advance")
    let repeatBreaches = EmbeddedSQL.statement("repeat_breaches")
    let escalationRaise = EmbeddedSQL.statement("escalation_raise")
    let alertRecord = EmbeddedSQL.statement("alert_record")
    let caseRecord = EmbeddedSQL.statement("case_record")
    let caseForClosing = EmbeddedSQL.statement("case_for_closing")
    let caseClose = EmbeddedSQL.statement("case_close")
    let extensionRequest = EmbeddedSQL.statement("extension_request")
    let extensionGrant = EmbeddedSQL.statement("extension_grant")
    let extensionDecision = EmbeddedSQL.statement("extension_decision")
    let triageHousehold = EmbeddedSQL.statement("triage_household")
    let triageRecord = EmbeddedSQL.statement("triage_record")
    let recurringCases = EmbeddedSQL.statement("recurring_cases")
    let recurringTownships = EmbeddedSQL.statement("recurring_townships")
}
