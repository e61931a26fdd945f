import BackstopContracts
import Foundation

/// One change to oversight's read models, as one event implies it. Facts are plain values, so
/// what an event means for oversight is tested without a database (``OversightProjection``);
/// ``OversightProjector`` writes them.
public enum OversightFact: Sendable, Hashable {
    /// An obligation was opened.
    case obligationOpened(ObligationOpening)
    /// An obligation was fulfilled, cancelled or waived.
    case obligationClosed(id: String, rule: String, owner: String, outcome: String, at: Date, late: Bool, elapsedSeconds: Int)
    /// An obligation's deadline passed without an answer (L2).
    case obligationBreached(id: String, rule: String, owner: String, at: Date)
    /// The owner asked for more time.
    case extensionRequested(requestID: String, obligationID: String, at: Date)
    /// More time was granted, moving the due time.
    case extensionGranted(requestID: String, obligationID: String, newDue: Date?)
    /// A rung of the ladder was reached: L1 (due soon), L2 (breached), L3 or L4 (escalation).
    case escalation(eventID: String, level: Int, organisation: String, township: String?, rule: String?, obligationID: String?, at: Date)
    /// An assigned organisation objected to an alert's dispatch (退单).
    case objection(eventID: String, alertID: String, organisation: String, township: String?, at: Date)
    /// A case exists, led by `lead` (from the alert that raised it, or its identification).
    case caseOpened(caseID: String, lead: String?, township: String?, at: Date)
    /// An organisation contributed to a case.
    case contribution(eventID: String, caseID: String, organisation: String, kind: Contribution, at: Date)
    /// A case was closed (risk eliminated).
    case caseClosed(caseID: String, township: String?, at: Date)
    /// A closed case was reopened (回退).
    case caseReopened(caseID: String, at: Date)
    /// An employer offered jobs.
    case jobOffered(offerID: String, employer: String, township: String?, positions: Int, at: Date)
    /// A household was referred to an offer.
    case referralSent(referralID: String, offerID: String, employer: String, at: Date)
    /// The employer answered a referral.
    case referralAnswered(referralID: String, offerID: String, employer: String, answer: String, at: Date)
    /// Someone was placed in a job.
    case placed(placementID: String, offerID: String, referralID: String?, employer: String, at: Date)
    /// A donation moved on a stage: pledged, committed or disbursed.
    case donation(pledgeID: String, donor: String, township: String?, stage: DonationStage, yuan: Int?, at: Date)

    /// What an organisation contributed to a case.
    public enum Contribution: String, Sendable, Hashable {
        /// An assistance measure.
        case measure
        /// A job placement.
        case placement
        /// A donation disbursed.
        case disbursement
        /// An insurance claim paid.
        case claim
    }

    /// The stages of a donation (IATI: a pledge is not a commitment).
    public enum DonationStage: String, Sendable, Hashable {
        /// Promised.
        case pledged
        /// Committed to a case.
        case committed
        /// Paid out or handed over.
        case disbursed
    }
}

/// An obligation as opened.
public struct ObligationOpening: Sendable, Hashable {
    /// The obligation's id.
    public var id: String
    /// Its rule (`D5-sign-for`).
    public var rule: String
    /// What the owner must do (`sign_for`).
    public var action: String
    /// Who owes it.
    public var owner: String
    /// The owner's kind.
    public var ownerKind: OrganisationKind
    /// The township it concerns, when known.
    public var township: String?
    /// The case it concerns.
    public var caseID: String?
    /// The alert it concerns.
    public var alertID: String?
    /// When the clock started.
    public var openedAt: Date
    /// When it is due.
    public var dueAt: Date
}
