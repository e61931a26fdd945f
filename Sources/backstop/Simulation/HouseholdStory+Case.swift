import BackstopContracts
import BackstopCoordinator
import Foundation

/// A household story after identification: the case, its plan and measures, job referrals,
/// donations, industry support and insurance, follow-up visits, closure and reopening.
extension HouseholdStory {
    /// A measure a plan names: its family, who provides it and how big the need is.
    typealias PlannedMeasure = (category: MeasureCategory, owner: String, band: AssistancePlanCreatedV1.MeasuresPlanned.NeedBand)

    /// Admission into monitoring by the township, then the plan, its measures, follow-up visits
    /// and, for some, the closure.
    mutating func identify(at identified: Date, order: Order, clue: ClueSource, caseID: String, alert: (id: String, lead: String, green: Bool)?,
                                   resources: inout DistrictResources) {
        let org = township.organisation
        let shock = clue.categories.contains { [.disaster, .accident, .illness].contains($0) }
        let target: CaseIdentifiedV1.TargetType = shock && rng.chance(0.5) ? .suddenHardship : rng.chance(0.55) ? .unstableFormerlyPoor : .marginal
        let income: IncomeBand = target == .suddenHardship && rng.chance(0.4) ? .above1_5x : rng.chance(0.4) ? .belowLine : .lineTo1_5x
        let nationalRef = "SC-510703-\(SimulationEvents.year(identified))-\(Int.random(in: 100_000...999_999, using: &rng))"
        let id = ids.uuid(at: identified)
        let green = alert?.green ?? false
        let build: @Sendable (Date) -> CloudEvent = { [envelope] at in
            envelope.event(CaseIdentifiedV1(alertId: alert?.id, caseId: caseID, greenChannel: green, householdRef: envelope.household,
                                            identifiedOn: SimulationEvents.day(at),
                                   incomeBand: income, monitoringLine: SimulationEvents.monitoringLine(SimulationEvents.year(at)),
                                   nationalCaseRef: nationalRef, riskCategories: clue.categories, targetType: target),
                  id: id, org: org, at: at, subject: caseID)
        }
        publish(org, at: identified, label: caseLabel, order: order, build)
        // Without an alert the township that identified the case leads it.
        let lead = alert?.lead ?? org
        let ableToWork = rng.chance(0.85)

        insuranceTrigger(clue.categories, caseID: caseID, after: identified)

        // The assistance plan (D6: 10 working days, owed by the township that identified the case).
        let planDue = oracle.due(build(identified), rule: "D6-plan", owner: org, fallback: 14 * 86_400)
        var life = CaseLife(end: identified + 150 * 86_400)
        if let reply = answer(opened: identified, due: planDue, timeliness(onTime: 0.86, late: 0.1)) {
            let planned = reply.at
            let measures = measures(for: clue.categories, ableToWork: ableToWork)
            let planID = ids.uuid(at: planned), eventID = ids.uuid(at: planned)
            let targets = measures.map { _ in rng.days(10...60) }
            publish(org, at: planned, order: .answering(caseLabel, reply)) { [envelope] at in
                envelope.event(AssistancePlanCreatedV1(ableToWork: ableToWork, caseId: caseID, householdRef: envelope.household,
                                              measuresPlanned: zip(measures, targets).map { measure, target in
                                                  .init(category: measure.category, needBand: measure.band, ownerOrg: measure.owner,
                                                        targetDate: SimulationEvents.day(at + target))
                                              }, planId: planID),
                      id: eventID, org: org, at: at, subject: caseID)
            }
            for measure in measures { deliver(measure, planned: planned, caseID: caseID, resources: &resources) }
            life = closeOrKeepOpen(identified: identified, caseID: caseID, lead: lead, ableToWork: ableToWork, categories: clue.categories)
        }
        followUps(caseID: caseID, from: identified, life: life)
    }

    /// The measures a plan names for a household's risks: who provides which kind of help.
    private mutating func measures(for categories: [RiskCategory], ableToWork: Bool) -> [PlannedMeasure] {
        var out: [PlannedMeasure] = []
        func add(_ category: MeasureCategory, _ owner: String) {
            if !out.contains(where: { $0.category == category && $0.owner == owner }) {
                out.append((category, owner, rng.weighted([(.small, 0.3), (.medium, 0.5), (.large, 0.2)])))
            }
        }
        let employers = ["ent-lvyuan-foods", "ent-hongda-garments", "ent-jianxin-construction", "coop-yuanba-kiwi", "coop-qingshan-tea", "dept-hrss"]
        for category in categories.prefix(2) {
            switch category {
            case .illness: add(.medical, "dept-medical-insurance"); if rng.chance(0.5) { add(.socialHelp, "ngo-county-charity") }
            case .disability: add(.socialProtection, "dept-disabled-persons-federation"); if ableToWork { add(.employment, "ent-hongda-garments") }
            case .schooling: add(.education, rng.chance(0.6) ? "ngo-spring-bud-education" : "dept-education")
            case .disaster: add(.housing, "dept-housing"); add(.socialHelp, rng.chance(0.8) ? "ngo-county-charity" : "ent-lvyuan-foods")
            case .accident: add(.socialProtection, "dept-civil-affairs")
            case .unemployment, .unstableWork, .incomeDrop:
                if ableToWork { add(.employment, rng.pick(employers)) } else { add(.socialProtection, "dept-civil-affairs") }
            case .industryFailure:
                add(.industry, rng.pick(["coop-yuanba-kiwi", "coop-qingshan-tea", "ent-lvyuan-foods"]))
                if rng.chance(0.4) { add(.financeCredit, "dept-rural-revitalisation") }
            case .housingUnsafe: add(.housing, "dept-housing")
            case .drinkingWater: add(.water, township.code == "510703003" ? township.organisation : "dept-water-resources")
            case .expenseSurge: add(.socialProtection, "dept-civil-affairs"); if rng.chance(0.4) { add(.socialHelp, "ngo-county-charity") }
            case .other: add(.motivationCapability, township.organisation)
            }
        }
        if !ableToWork { add(.socialProtection, "dept-civil-affairs") }
        if out.isEmpty { add(.socialProtection, "dept-civil-affairs") }
        return out
    }

    /// Carries out one planned measure through its provider.
    private mutating func deliver(_ measure: PlannedMeasure,
                                  planned: Date, caseID: String, resources: inout DistrictResources) {
        switch measure.category {
        case .employment:
            refer(to: measure.owner, after: planned, caseID: caseID, resources: &resources)
        case .industry:
            let at = oracle.officeTime(planned + rng.days(3...20), using: &rng)
            let offer = resources.industryOffer(of: measure.owner, at: at, rng: &rng, ids: &ids)
            applyMeasure(category: .industry, by: measure.owner, at: at, caseID: caseID, value: Int.random(in: 15...50, using: &rng) * 100,
                         link: .init(id: offer.id, kind: .industrySupport), months: 6)
        case _ where measure.owner.hasPrefix("ngo-") || measure.owner.hasPrefix("ent-"):
            donate(by: measure.owner, category: measure.category, after: planned, caseID: caseID, resources: &resources)
        default:
            guard rng.chance(0.9) else { return }
            let at = oracle.officeTime(planned + rng.days(3...30), using: &rng)
            let value = measure.category == .financeCredit ? Int.random(in: 2...5, using: &rng) * 10_000 : Int.random(in: 5...60, using: &rng) * 100
            applyMeasure(category: measure.category, by: measure.owner, at: at, caseID: caseID, value: value,
                         months: measure.category == .socialProtection ? 12 : nil)
        }
    }

    mutating func applyMeasure(category: MeasureCategory, by org: String, at time: Date, caseID: String, value: Int?,
                                       link: MeasureAppliedV1.LinkedRef? = nil, months: Int? = nil, order: Order = .plain) {
        let id = ids.uuid(at: time), measureID = ids.uuid(at: time)
        publish(org, at: time, order: order) { [envelope] at in
            envelope.event(MeasureAppliedV1(caseId: caseID, category: category, endDate: months.map { SimulationEvents.day(at + Double($0) * 30 * 86_400) },
                                   householdRef: envelope.household, linkedRef: link, measureId: measureID, providerOrg: org,
                                   startDate: SimulationEvents.day(at), valueYuan: value),
                  id: id, org: org, at: at, subject: caseID)
        }
    }

    /// A job referral by the township (D8: the employer answers within 2 working days plus 2 days'
    /// grace), the answer, and for some a placement, the employment measure and an early end.
    private mutating func refer(to employer: String, after planned: Date, caseID: String, resources: inout DistrictResources) {
        let org = township.organisation
        let sent = oracle.officeTime(planned + rng.days(1...10), using: &rng)
        let offer = resources.jobOffer(of: employer, at: sent, rng: &rng, ids: &ids)
        let referralID = ids.uuid(at: sent), eventID = ids.uuid(at: sent)
        let age = rng.pick(Array(JobReferralSentV1.Candidate.AgeBand.allCases))
        let skills = rng.pick([["orchard work"], ["sewing"], ["driving licence C1"], ["cooking"], []])
        let oracle = self.oracle, townshipCode = township.code
        let accommodation = employer == "ent-hongda-garments" && age == ._55_64
        let build: @Sendable (Date) -> CloudEvent = { [envelope] at in
            func referral(_ due: Date) -> CloudEvent {
                envelope.event(JobReferralSentV1(answerDueBy: SimulationEvents.stamp(due),
                                                 candidate: .init(ageBand: age, needsDisabilityAccommodation: accommodation,
                                                                                            skills: skills.isEmpty ? nil : skills, townshipCode: townshipCode),
                                        caseId: caseID, consentRecorded: true, employerOrg: employer, householdRef: envelope.household,
                                        offerId: offer.id, referralId: referralID),
                      id: eventID, org: org, at: at, subject: caseID)
            }
            return referral(oracle.due(referral(at), rule: "D8-answer-referral", owner: employer, fallback: 2.8 * 86_400))
        }
        let referralLabel = "referral/" + referralID
        publish(org, at: sent, label: referralLabel, build)
        let due = oracle.due(build(sent), rule: "D8-answer-referral", owner: employer, fallback: 2.8 * 86_400)
        let how = timeliness(onTime: 0.8, late: 0.13)
        if how == .late, desk != nil, rng.chance(0.3) {
            // Asked for more time before the due time; answered inside the extension if granted.
            let extra = rng.days(2...3)
            extend(rule: "D8-answer-referral", owner: employer, subject: referralID, trigger: referralLabel, at: sent + 0.5 * due.timeIntervalSince(sent),
                   extra: extra, reason: rng.pick([.workload, .dataCheckPending]))
            guard let reply = answer(opened: due, due: due + extra, .onTime) else { return }
            answerReferral(referralID, offer: offer.id, employer: employer, at: reply.at, caseID: caseID, order: Order(deferred: true))
            return
        }
        guard let reply = answer(opened: sent, due: due, how) else { return }
        answerReferral(referralID, offer: offer.id, employer: employer, at: reply.at, caseID: caseID, order: .answering(referralLabel, reply))
    }

    /// The employer's answer; what follows from it waits with it when the answer is deferred.
    private mutating func answerReferral(_ referralID: String, offer: String, employer: String, at answered: Date, caseID: String, order: Order) {
        let then = Order(deferred: order.deferred)
        let reply = rng.weighted([(JobReferralAnsweredV1.Answer.accepted, 0.62), (.waitlisted, 0.14), (.declined, 0.24)])
        let reason: JobReferralAnsweredV1.ReasonCode? = reply == .declined ? rng.pick([.positionFilled, .skillsMismatch, .location, .candidateWithdrew]) : nil
        let id = ids.uuid(at: answered)
        publish(employer, at: answered, order: order) { [envelope] at in
            envelope.event(JobReferralAnsweredV1(answer: reply, answeredAt: SimulationEvents.stamp(at), employerOrg: employer, offerId: offer,
                                        reasonCode: reason, referralId: referralID),
                  id: id, org: employer, at: at, subject: caseID)
        }
        guard reply == .accepted else { return }
        let placed = oracle.officeTime(answered + rng.days(2...10), using: &rng)
        let placementID = ids.uuid(at: placed), placedID = ids.uuid(at: placed)
        let wage: JobPlacedV1.WageBand = employer.hasPrefix("dept-") ? .below2000 : rng.pick([._2000_3999, ._2000_3999, ._4000_5999])
        let startsIn = rng.days(1...5)
        publish(employer, at: placed, order: then) { [envelope] at in
            envelope.event(JobPlacedV1(caseId: caseID, employerOrg: employer, householdRef: envelope.household, offerId: offer, placementId: placementID,
                              referralId: referralID, startDate: SimulationEvents.day(at + startsIn), wageBand: wage),
                  id: placedID, org: employer, at: at, subject: caseID)
        }
        applyMeasure(category: .employment, by: employer, at: placed + rng.hours(1...30), caseID: caseID, value: nil,
                     link: .init(id: placementID, kind: .jobPlacement), months: 6, order: then)
        guard rng.chance(0.12) else { return }
        let ended = oracle.officeTime(placed + rng.days(20...60), using: &rng)
        let endedID = ids.uuid(at: ended)
        let reasonEnded = rng.pick([JobEndedV1.ReasonCode.contractCompleted, .resigned, .health])
        publish(employer, at: ended, order: then) { [envelope] at in
            envelope.event(JobEndedV1(caseId: caseID, employerOrg: employer, endedOn: SimulationEvents.day(at), householdRef: envelope.household,
                                      offerId: offer,
                             placementId: placementID, reasonCode: reasonEnded),
                  id: endedID, org: employer, at: at, subject: caseID)
        }
    }

    /// A commitment from a pledge (its disbursement is owed by `disburse_by`, D9), the
    /// disbursement, the village's receipt confirmation and the donor's measure.
    private mutating func donate(by donor: String, category: MeasureCategory, after planned: Date, caseID: String, resources: inout DistrictResources) {
        let committed = oracle.officeTime(planned + rng.days(2...12), using: &rng)
        let gift = resources.pledge(of: donor, for: category, at: committed, rng: &rng, ids: &ids)
        let pledgeID = gift.pledge.id, cash = gift.cash
        // The first commitment answers the pledge (D9: within 14 days).
        var commitOrder = Order.plain
        if gift.first { commitOrder = .answering("pledge/" + pledgeID, Reply(at: committed, onTime: committed < gift.pledge.pledgedAt + 14 * 86_400)) }
        let inKind = gift.quantity.map { (gift.pledge.inKind?.item ?? "Rice, 10 kg bag", gift.pledge.inKind?.unit ?? "bag", $0) }
        let commitmentID = ids.uuid(at: committed), commitEventID = ids.uuid(at: committed)
        let commitmentLabel = "commitment/" + commitmentID
        publish(donor, at: committed, label: commitmentLabel, order: commitOrder) { [envelope] at in
            envelope.event(DonationCommittedV1(caseId: caseID, cashAmountYuan: cash, commitmentId: commitmentID, committedAt: SimulationEvents.stamp(at),
                                      disburseBy: SimulationEvents.stamp(at + 30 * 86_400), donorOrg: donor, householdRef: envelope.household,
                                      inKind: inKind.map { .init(item: $0.0, quantity: $0.2, unit: $0.1) }, pledgeId: pledgeID),
                  id: commitEventID, org: donor, at: at, subject: caseID)
        }
        guard let reply = answer(opened: committed, due: committed + 30 * 86_400, timeliness(onTime: 0.86, late: 0.09)) else { return }
        let disbursed = reply.at, then = Order(deferred: !reply.onTime || commitOrder.deferred)
        let disbursementID = ids.uuid(at: disbursed), disburseEventID = ids.uuid(at: disbursed)
        publish(donor, at: disbursed, order: .answering(commitmentLabel, reply)) { [envelope] at in
            envelope.event(DonationDisbursedV1(caseId: caseID, cashAmountYuan: cash, channel: cash != nil ? .bankTransferViaTownship : .inKindDelivery,
                                      commitmentId: commitmentID, disbursedAt: SimulationEvents.stamp(at), disbursementId: disbursementID, donorOrg: donor,
                                      householdRef: envelope.household, inKind: inKind.map { .init(item: $0.0, quantity: $0.2, unit: $0.1) },
                                      pledgeId: pledgeID),
                  id: disburseEventID, org: donor, at: at, subject: caseID)
        }
        let confirmed = oracle.officeTime(disbursed + rng.days(1...6), using: &rng)
        let complete = rng.chance(0.95)
        let receiptID = ids.uuid(at: confirmed)
        let receiver = village.organisation
        publish(receiver, at: confirmed, order: then) { [envelope] at in
            envelope.event(DonationReceiptConfirmedV1(caseId: caseID, complete: complete, confirmedAt: SimulationEvents.stamp(at), confirmedBy: receiver,
                                             disbursementId: disbursementID, householdRef: envelope.household,
                                             note: complete ? nil : "Part of the delivery had not arrived at the time of the visit.", pledgeId: pledgeID),
                  id: receiptID, org: receiver, at: at, subject: caseID)
        }
        applyMeasure(category: category, by: donor, at: disbursed + rng.hours(1...20), caseID: caseID,
                     value: cash ?? (gift.quantity ?? 1) * 80, link: .init(id: pledgeID, kind: .donationPledge), order: then)
    }

    /// An anti-poverty insurance claim triggered by the medical insurance bureau's data, for some
    /// households with illness, schooling, disaster or accident costs.
    private mutating func insuranceTrigger(_ categories: [RiskCategory], caseID: String, after identified: Date) {
        let trigger: InsuranceClaimTriggeredV1.Trigger? = categories.contains(.illness) ? .illnessCost : categories.contains(.schooling) ? .schoolingCost
            : categories.contains(.disaster) ? .disasterLoss : categories.contains(.accident) ? .accident : nil
        guard let trigger, rng.chance(0.35) else { return }
        let at = oracle.officeTime(identified + rng.days(1...15), using: &rng)
        let claimID = ids.uuid(at: at), id = ids.uuid(at: at)
        let band = rng.pick([InsuranceClaimTriggeredV1.CostBand._5000_19999, ._20000_49999, ._50000Plus])
        let publisher = trigger == .disasterLoss ? "dept-emergency" : "dept-medical-insurance"
        publish(publisher, at: at) { [envelope] at in
            envelope.event(InsuranceClaimTriggeredV1(caseId: caseID, claimId: claimID, costBand: band, householdRef: envelope.household,
                                            insurerOrg: "insurer-county-fangpinbao", trigger: trigger, triggeredAt: SimulationEvents.stamp(at - 7_200)),
                  id: id, org: publisher, at: at, subject: caseID)
        }
    }

    /// How long a case is followed and when it was closed and reopened, if it was.
    struct CaseLife {
        var end: Date
        var closed: Date?
        var reopened: Date?
    }

    /// Closure for some cases whose risk went away (the township proposes, the lead department
    /// closes, a few reopen); returns until when the village keeps visiting monthly.
    private mutating func closeOrKeepOpen(identified: Date, caseID: String, lead: String, ableToWork: Bool, categories: [RiskCategory]) -> CaseLife {
        let open = CaseLife(end: identified + 150 * 86_400)
        let org = township.organisation
        // Only a department publishes closures, so a case a township leads stays open.
        guard Self.isDepartment(lead) else { return open }
        let proposed = oracle.officeTime(max(identified + rng.days(20...40), lastAnswer + rng.days(1...4)), using: &rng)
        if !ableToWork {
            // Households unable to work stay open even with social protection (暂不标注风险消除).
            if rng.chance(0.3) { proposeElimination(caseID: caseID, at: proposed, ableToWork: false, blocked: .unableToWorkDependsOnProtection) }
            return open
        }
        let natural = categories.allSatisfy { [.illness, .schooling, .accident, .expenseSurge, .disaster].contains($0) }
        // A clean chain can close; one with an unanswered obligation is sometimes tried and refused.
        guard natural, clean ? rng.chance(0.6) : rng.chance(0.15) else { return open }
        let basis = proposeElimination(caseID: caseID, at: proposed, ableToWork: true, blocked: nil)
        let closed = oracle.officeTime(proposed + rng.days(3...12), using: &rng)
        let id = ids.uuid(at: closed)
        // Education aid runs on to the end of the school stage.
        let continuing = categories.contains(.schooling) ? ids.uuid(at: closed) : nil
        publish(lead, at: closed, order: Order(deferred: true)) { [envelope] at in
            envelope.event(CaseClosedV1(basisRef: basis, caseId: caseID, closedAt: SimulationEvents.stamp(at), closedBy: lead,
                                        continuingMeasures: continuing.map {
                                            [.init(category: .education, endsOn: SimulationEvents.day(at + 200 * 86_400), measureId: $0)]
                                        },
                                        householdRef: envelope.household, mode: .natural),
                           id: id, org: lead, at: at, subject: caseID)
        }
        guard clean, rng.chance(0.15) else { return CaseLife(end: closed + rng.days(40...80), closed: closed) }
        // 回退: the elimination proves unstable.
        let reopened = oracle.officeTime(closed + rng.days(15...45), using: &rng)
        let reopenID = ids.uuid(at: reopened)
        let reason = rng.pick([CaseReopenedV1.ReasonCode.incomeUnstable, .newRisk])
        let risks: [RiskCategory] = reason == .newRisk ? [rng.pick([.illness, .unemployment, .accident])] : categories
        publish(org, at: reopened, order: Order(deferred: true)) { [envelope] at in
            envelope.event(CaseReopenedV1(caseId: caseID, householdRef: envelope.household, reasonCode: reason, reopenedAt: SimulationEvents.stamp(at),
                                          riskCategories: risks),
                           id: reopenID, org: org, at: at, subject: caseID)
        }
        return CaseLife(end: reopened + rng.days(30...60), closed: closed, reopened: reopened)
    }

    @discardableResult
    private mutating func proposeElimination(caseID: String, at time: Date, ableToWork: Bool, blocked: RiskEliminationProposedV1.BlockedReason?) -> String {
        let id = ids.uuid(at: time)
        let months = Int.random(in: 1...4, using: &rng)
        let org = township.organisation
        let income: IncomeBand = rng.chance(0.7) ? .lineTo1_5x : .above1_5x
        publish(org, at: time, order: Order(deferred: true)) { [envelope] at in
            envelope.event(RiskEliminationProposedV1(ableToWork: ableToWork, basis: .init(incomeBand: income, monthsStable: months, noNewRisk: true,
                                                                                 rigidExpenditureResolved: blocked == nil, threeGuaranteesAndWaterSecure: true),
                                            blockedReason: blocked, caseId: caseID, householdRef: envelope.household, mode: .natural,
                                            proposedOn: SimulationEvents.day(at)),
                  id: id, org: org, at: at, subject: caseID)
        }
        return id
    }

    /// Monthly follow-up visits by the village committee (D10) while the story lasts.
    private mutating func followUps(caseID: String, from identified: Date, life: CaseLife) {
        var visit = identified + rng.days(25...35)
        let org = village.organisation
        while visit < life.end {
            let at = oracle.officeTime(visit, using: &rng)
            let state: FollowupVisitRecordedV1.CaseState = life.closed.map { at > $0 && !(life.reopened.map { at > $0 } ?? false) } ?? false ? .closed : .open
            let id = ids.uuid(at: at), visitID = ids.uuid(at: at)
            let change = rng.weighted([(FollowupVisitRecordedV1.StatusChange.stable, 0.6), (.improved, 0.26), (.worsened, 0.09), (.newRisk, 0.05)])
            let newRisks: [RiskCategory]? = change == .newRisk ? [rng.pick([.illness, .unemployment, .housingUnsafe])] : nil
            let income: IncomeBand? = rng.chance(0.4) ? rng.pick([.belowLine, .lineTo1_5x, .above1_5x]) : nil
            publish(org, at: at, order: Order(deferred: state == .closed)) { [envelope] at in
                envelope.event(FollowupVisitRecordedV1(caseId: caseID, caseState: state, householdRef: envelope.household, incomeBand: income,
                                                       newRisks: newRisks,
                                              statusChange: change, visitId: visitID, visitedAt: SimulationEvents.stamp(at - 3_600)),
                      id: id, org: org, at: at, subject: caseID)
            }
            visit += rng.days(27...34)
        }
    }

    /// Whether an organisation id names a county department or office (`dept-…`, `county-…`).
    static func isDepartment(_ org: String) -> Bool { org.hasPrefix("dept-") || org.hasPrefix("county-") }

    /// The measure family a lead department provides first under the green channel.
    static func measureCategory(of org: String) -> MeasureCategory {
        switch org {
        case "dept-housing", "dept-emergency": .housing
        case "dept-medical-insurance", "dept-health": .medical
        case "dept-education": .education
        case "dept-hrss": .employment
        case "dept-agriculture": .industry
        case "dept-water-resources": .water
        default: .socialProtection
        }
    }
}
