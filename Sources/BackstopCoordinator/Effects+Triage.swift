import BackstopBus
import BackstopContracts
import BackstopPostgres
import Foundation

/// How a clue was triaged.
enum TriageOutcome: String {
    /// A new alert was raised, assigned from the duty catalogue.
    case alertRaised = "alert_raised"
    /// The household already had a recent alert that has not become a case: the clue joins it.
    case joinedAlert = "joined_alert"
    /// The household has an open case: the clue is attached to it (no alert, no new identification).
    case attachedToCase = "attached_to_case"
    /// A channel the coordination office triages by hand; the identification duties run.
    case leftToOffice = "left_to_office"
}

extension Effects {
    /// Triages a risk clue: attaches it to the household's open case, joins it to a recent alert,
    /// raises an alert (for the channels the rules name), or leaves it to the coordination office.
    mutating func triage(_ clue: RiskClueReportedV1, in c: isolated Connection) throws -> TriageOutcome {
        let at = cause.time ?? Date()
        let window = rules.triage.joinWindow.seconds ?? 15 * 86_400
        let row = try c.executePrepared("coordinator_triage_household", sql.triageHousehold,
                                        [clue.householdRef, at.addingTimeInterval(-window)]).first
        let kind = try row?.decode(String.self, at: 0), existing = try row?.decode(String.self, at: 1)
        let lead = try row?.decode(String?.self, at: 2)
        let outcome: TriageOutcome
        var alertID: String?, caseID: String?
        if kind == "case" {
            outcome = .attachedToCase
            caseID = existing
        } else if !rules.triage.alertChannels.contains(clue.detectedBy.rawValue) {
            outcome = .leftToOffice
        } else if kind == "alert" {
            outcome = .joinedAlert
            alertID = existing
        } else {
            outcome = .alertRaised
            alertID = ClueTriage.alertID(forClue: clue.clueId)
        }
        let recorded = try c.executePrepared("coordinator_triage_record", sql.triageRecord,
                                             [cause.source, cause.id, clue.householdRef, outcome.rawValue, alertID, caseID])
        guard recorded.count > 0 else { return outcome }
        switch outcome {
        case .attachedToCase:
            outputs.append(emit.event(CaseClueAttachedV1(
                attachedAt: CoordinatorEvents.time(at), caseId: caseID!, clueId: clue.clueId,
                detectedBy: CaseClueAttachedV1.DetectedBy(rawValue: clue.detectedBy.rawValue) ?? .deptPush, householdRef: clue.householdRef,
                indicator: clue.indicator.map { .init(band: $0.band.flatMap { .init(rawValue: $0.rawValue) }, code: $0.code, thresholdRuleId: $0.thresholdRuleId) },
                leadOrg: lead ?? rules.coordinator,
                riskCategories: clue.riskCategories,
                sourceDept: clue.sourceDept),
                key: "case.clue_attached/\(cause.source)/\(cause.id)", correlation: nil, district: clue.locationCode, subject: caseID))
        case .alertRaised:
            let alert = try raiseAlert(alertID!, for: clue, at: at)
            let leadOrg = alert.assignedTo.first { $0.role == .lead }?.orgId
            _ = try c.executePrepared("coordinator_alert_record", sql.alertRecord,
                                      [alert.alertId, alert.householdRef, nil as String?, leadOrg, cause.correlationID ?? cause.id, at, alert.locationCode])
            outputs.append(emit.event(alert, key: "alert.raised/\(cause.source)/\(cause.id)", correlation: nil, district: clue.locationCode, time: at))
        case .joinedAlert, .leftToOffice:
            break
        }
        return outcome
    }

    /// The alert for a clue: severity by its band; the duty catalogue's lead for its main risk in
    /// its township, with the catalogue's co-handlers, the leads of its other risks and the
    /// township as co-handlers (the township leads when the catalogue names nobody); each due to
    /// sign for it under the sign-for rule, counted from the clue.
    private func raiseAlert(_ alertID: String, for clue: RiskClueReportedV1, at: Date) throws -> AlertRaisedV1 {
        let severity = rules.triage.severity(band: clue.indicator?.band?.rawValue)
        let township = ObligationPlanner.townshipCode(clue.locationCode)
        let owners = rules.assignment(for: clue.riskCategories.map(\.rawValue), township: township)
        let signFor = rules.rules(openedBy: AlertRaisedV1.eventType).first { $0.action == "sign_for" }
        var due = at.addingTimeInterval(86_400)
        if let signFor {
            switch signFor.due {
            case .fixed(let time): due = try deadlines.due(openedAt: at, within: time)
            case .bySeverity(let table, let fallback): due = try deadlines.due(openedAt: at, within: table[severity] ?? fallback)
            case .field: break
            }
        }
        return AlertRaisedV1(
            alertId: alertID,
            assignedTo: owners.map { .init(dueBy: CoordinatorEvents.time(due), orgId: $0.org, role: $0.lead ? .lead : .co, slaRuleId: signFor?.id ?? "D5-sign-for") },
            clueIds: [clue.clueId], greenChannel: false, householdRef: clue.householdRef, locationCode: clue.locationCode,
            riskCategories: clue.riskCategories,
            severity: Severity(rawValue: severity) ?? .p3)
    }
}
