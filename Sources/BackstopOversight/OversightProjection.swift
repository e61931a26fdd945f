import BackstopContracts
import Foundation

/// What each event means for oversight's read models: a pure function from an event to facts.
///
/// Times are the business times the events carry (when the thing happened), falling back to the
/// envelope's `time`; an event whose payload does not decode yields no facts (the bus only
/// accepts events that fit their contract, so that means a type oversight does not read).
public enum OversightProjection {
    /// The event types the projection reads; oversight's bus subscription carries exactly these.
    public static let eventTypes: Set<String> = [
        ObligationOpenedV1.eventType, ObligationClosedV1.eventType, ObligationBreachedV1.eventType, ObligationDueSoonV1.eventType,
        ObligationExtensionRequestedV1.eventType, ObligationExtensionDecidedV1.eventType, EscalationRaisedV1.eventType,
        AlertRaisedV1.eventType, AlertDispatchObjectedV1.eventType, CaseIdentifiedV1.eventType, CaseClosedV1.eventType,
        CaseReopenedV1.eventType, MeasureAppliedV1.eventType, JobOfferedV1.eventType, JobReferralSentV1.eventType,
        JobReferralAnsweredV1.eventType, JobPlacedV1.eventType, DonationPledgedV1.eventType, DonationCommittedV1.eventType,
        DonationDisbursedV1.eventType, InsuranceClaimPaidV1.eventType,
    ]

    /// The facts `event` implies (none for types the projection does not read).
    public static func facts(for event: CloudEvent) -> [OversightFact] {
        let at = event.time ?? Date(timeIntervalSince1970: 0)
        let township = township(of: event.districtCode)
        func time(_ text: String?) -> Date { text.flatMap(EventTime.parse) ?? at }
        switch event.type {
        case ObligationOpenedV1.eventType:
            guard let p = try? ObligationOpenedV1(from: event) else { return [] }
            return [.obligationOpened(ObligationOpening(
                id: p.obligationId, rule: p.ruleId, action: p.action.rawValue, owner: p.ownerOrg,
                ownerKind: p.ownerKind, township: township,
                caseID: p.caseId, alertID: p.alertId, openedAt: time(p.openedAt), dueAt: time(p.dueAt)))]
        case ObligationClosedV1.eventType:
            guard let p = try? ObligationClosedV1(from: event) else { return [] }
            return [.obligationClosed(id: p.obligationId, rule: p.ruleId, owner: p.ownerOrg, outcome: p.outcome.rawValue,
                                      at: time(p.closedAt), late: p.late, elapsedSeconds: p.elapsedSeconds)]
        case ObligationBreachedV1.eventType:
            guard let p = try? ObligationBreachedV1(from: event) else { return [] }
            let breached = time(p.breachedAt)
            return [.obligationBreached(id: p.obligationId, rule: p.ruleId, owner: p.ownerOrg, at: breached),
                    .escalation(eventID: event.id, level: 2, organisation: p.ownerOrg, township: township, rule: p.ruleId,
                                obligationID: p.obligationId, at: breached)]
        case ObligationDueSoonV1.eventType:
            guard let p = try? ObligationDueSoonV1(from: event) else { return [] }
            return [.escalation(eventID: event.id, level: 1, organisation: p.ownerOrg, township: township, rule: p.ruleId,
                                obligationID: p.obligationId, at: time(p.warnedAt))]
        case EscalationRaisedV1.eventType:
            guard let p = try? EscalationRaisedV1(from: event) else { return [] }
            return [.escalation(eventID: event.id, level: p.level == .l4 ? 4 : 3, organisation: p.orgId, township: township, rule: nil,
                                obligationID: p.obligationIds.first, at: time(p.raisedAt))]
        case ObligationExtensionRequestedV1.eventType:
            guard let p = try? ObligationExtensionRequestedV1(from: event) else { return [] }
            return [.extensionRequested(requestID: p.requestId, obligationID: p.obligationId, at: time(p.requestedAt))]
        case ObligationExtensionDecidedV1.eventType:
            guard let p = try? ObligationExtensionDecidedV1(from: event), p.decision == .granted else { return [] }
            return [.extensionGranted(requestID: p.requestId, obligationID: p.obligationId, newDue: p.newDueAt.flatMap(EventTime.parse))]
        case AlertRaisedV1.eventType:
            guard let p = try? AlertRaisedV1(from: event), let caseID = p.caseId else { return [] }
            let lead = p.assignedTo.first { $0.role == .lead }?.orgId ?? p.assignedTo.first?.orgId
            return [.caseOpened(caseID: caseID, lead: lead, township: Self.township(of: p.locationCode) ?? township, at: at)]
        case AlertDispatchObjectedV1.eventType:
            guard let p = try? AlertDispatchObjectedV1(from: event) else { return [] }
            return [.objection(eventID: event.id, alertID: p.alertId, organisation: p.byOrg, township: township, at: time(p.objectedAt))]
        case CaseIdentifiedV1.eventType:
            guard let p = try? CaseIdentifiedV1(from: event) else { return [] }
            return [.caseOpened(caseID: p.caseId, lead: event.publishingOrganisation, township: township, at: at)]
        case CaseClosedV1.eventType:
            guard let p = try? CaseClosedV1(from: event) else { return [] }
            return [.caseClosed(caseID: p.caseId, township: township, at: time(p.closedAt))]
        case CaseReopenedV1.eventType:
            guard let p = try? CaseReopenedV1(from: event) else { return [] }
            return [.caseReopened(caseID: p.caseId, at: time(p.reopenedAt))]
        case MeasureAppliedV1.eventType:
            guard let p = try? MeasureAppliedV1(from: event) else { return [] }
            return [.contribution(eventID: event.id, caseID: p.caseId, organisation: p.providerOrg, kind: .measure, at: at)]
        case JobOfferedV1.eventType:
            guard let p = try? JobOfferedV1(from: event) else { return [] }
            return [.jobOffered(offerID: p.offerId, employer: p.employerOrg, township: Self.township(of: p.locationCode) ?? township,
                                positions: p.positions, at: at)]
        case JobReferralSentV1.eventType:
            guard let p = try? JobReferralSentV1(from: event) else { return [] }
            return [.referralSent(referralID: p.referralId, offerID: p.offerId, employer: p.employerOrg, at: at)]
        case JobReferralAnsweredV1.eventType:
            guard let p = try? JobReferralAnsweredV1(from: event) else { return [] }
            return [.referralAnswered(referralID: p.referralId, offerID: p.offerId, employer: p.employerOrg, answer: p.answer.rawValue,
                                      at: time(p.answeredAt))]
        case JobPlacedV1.eventType:
            guard let p = try? JobPlacedV1(from: event) else { return [] }
            var facts: [OversightFact] = [.placed(placementID: p.placementId, offerID: p.offerId, referralID: p.referralId, employer: p.employerOrg, at: at)]
            if let caseID = p.caseId {
                facts.append(.contribution(eventID: event.id, caseID: caseID, organisation: p.employerOrg, kind: .placement, at: at))
            }
            return facts
        case DonationPledgedV1.eventType:
            guard let p = try? DonationPledgedV1(from: event) else { return [] }
            return [.donation(pledgeID: p.pledgeId, donor: p.donorOrg, township: township, stage: .pledged, yuan: p.cashAmountYuan, at: at)]
        case DonationCommittedV1.eventType:
            guard let p = try? DonationCommittedV1(from: event) else { return [] }
            return [.donation(pledgeID: p.pledgeId, donor: p.donorOrg, township: township, stage: .committed, yuan: p.cashAmountYuan,
                              at: time(p.committedAt))]
        case DonationDisbursedV1.eventType:
            guard let p = try? DonationDisbursedV1(from: event) else { return [] }
            let disbursed = time(p.disbursedAt)
            return [.donation(pledgeID: p.pledgeId, donor: p.donorOrg, township: township, stage: .disbursed, yuan: p.cashAmountYuan, at: disbursed),
                    .contribution(eventID: event.id, caseID: p.caseId, organisation: p.donorOrg, kind: .disbursement, at: disbursed)]
        case InsuranceClaimPaidV1.eventType:
            guard let p = try? InsuranceClaimPaidV1(from: event), let caseID = p.caseId else { return [] }
            return [.contribution(eventID: event.id, caseID: caseID, organisation: p.insurerOrg, kind: .claim, at: time(p.paidAt))]
        default:
            return []
        }
    }

    /// The 9-digit township code a division code names (a township's or a village's), or nil for
    /// a county, prefecture or province code.
    public static func township(of code: String?) -> String? {
        guard let code, code.count >= 9, code.allSatisfy(\.isASCIIDigit) else { return nil }
        return String(code.prefix(9))
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
