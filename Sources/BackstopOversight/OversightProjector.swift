import BackstopBus
import BackstopContracts
import BackstopPostgres
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Keeps oversight's read models up to date: consumes the bus subscription `oversight` and writes
/// the facts of each event (``OversightProjection``) in the same transaction as its ack, so a crash
/// neither loses nor doubles a fact.
public struct OversightProjector: Service {
    /// The bus subscription it consumes.
    public let busSubscription: String
    private let bus: Bus
    private let logger: Logger

    /// A projector on `bus`.
    public init(bus: Bus, subscription: String = "oversight", logger: Logger = Logger(label: "backstop.oversight")) {
        self.bus = bus
        self.busSubscription = subscription
        self.logger = logger
    }

    /// Creates or updates the bus subscription so it carries every type the projection reads.
    public func prepare() async throws {
        let spec = SubscriptionSpec(name: busSubscription, filter: SubscriptionFilter(eventTypes: OversightProjection.eventTypes))
        try await bus.ensureSubscription(spec)
    }

    /// Projects until the task is cancelled or the service group shuts down gracefully.
    public func run() async throws {
        var wait = Duration.milliseconds(200)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await prepare()
                break
            } catch {
                logger.warning("oversight projection cannot start yet: \(error)")
                try? await Task.sleep(for: wait)
                wait = min(wait * 2, .seconds(10))
            }
        }
        try await cancelWhenGracefulShutdown {
            for try await delivery in bus.subscribe(busSubscription, batchSize: 64) {
                do {
                    try await project(delivery)
                    count("ack")
                } catch {
                    logger.error("projecting \(delivery.event.type) \(delivery.event.id) failed: \(error)")
                    if let outcome = try? await delivery.nack(error: "\(error)"), outcome != .stale {
                        count(outcome == .dead ? "dead" : "nack")
                    }
                }
            }
        }
    }

    /// Writes the facts of one delivered event and acknowledges it; returns how many facts.
    @discardableResult
    public func project(_ delivery: Delivery) async throws -> Int {
        let facts = OversightProjection.facts(for: delivery.event)
        let bus = self.bus
        try await bus.transaction { c in
            for fact in facts {
                let (name, sql, parameters) = FactStatement.make(fact)
                _ = try c.executePrepared("backstop_oversight_\(name)", sql, parameters)
            }
            try bus.ack(delivery, in: c)
        }
        return facts.count
    }

    private func count(_ outcome: String) {
        Counter(label: "backstop_deliveries_total", dimensions: [("subscription", busSubscription), ("outcome", outcome)]).increment()
    }
}

/// The statement that writes one fact, with its parameters.
enum FactStatement {
    static func make(_ fact: OversightFact) -> (name: String, sql: String, parameters: [any PostgresEncodable]) {
        func kind(_ id: String) -> String { OrganisationKind.named(by: id).rawValue }
        switch fact {
        case .obligationOpened(let o):
            return ("obligation_opened", EmbeddedSQL.statement("fact_obligation_opened"),
                    [o.id, o.rule, o.action, o.owner, o.ownerKind.rawValue, o.township, o.caseID, o.alertID, o.openedAt, o.dueAt])
        case .obligationClosed(let id, let rule, let owner, let outcome, let at, let late, let elapsed):
            return ("obligation_closed", EmbeddedSQL.statement("fact_obligation_closed"), [id, rule, owner, outcome, at, late, elapsed])
        case .obligationBreached(let id, let rule, let owner, let at):
            return ("obligation_breached", EmbeddedSQL.statement("fact_obligation_breached"), [id, rule, owner, at])
        case .extensionRequested(let request, let obligation, let at):
            return ("extension_requested", EmbeddedSQL.statement("fact_extension_requested"), [request, obligation, at])
        case .extensionGranted(let request, let obligation, let due):
            return ("extension_granted", EmbeddedSQL.statement("fact_extension_granted"), [request, obligation, due])
        case .escalation(let event, let level, let org, let township, let rule, let obligation, let at):
            return ("escalation", EmbeddedSQL.statement("fact_escalation"), [event, level, org, kind(org), township, rule, obligation, at])
        case .objection(let event, let alert, let org, let township, let at):
            return ("objection", EmbeddedSQL.statement("fact_objection"), [event, alert, org, kind(org), township, at])
        case .caseOpened(let caseID, let lead, let township, let at):
            return ("case_opened", EmbeddedSQL.statement("fact_case_opened"), [caseID, lead, lead.map(kind), township, at])
        case .contribution(let event, let caseID, let org, let contribution, let at):
            return ("contribution", EmbeddedSQL.statement("fact_contribution"), [event, caseID, org, kind(org), contribution.rawValue, at])
        case .caseClosed(let caseID, let township, let at):
            return ("case_closed", EmbeddedSQL.statement("fact_case_closed"), [caseID, at, township])
        case .caseReopened(let caseID, let at):
            return ("case_reopened", EmbeddedSQL.statement("fact_case_reopened"), [caseID, at])
        case .jobOffered(let offer, let employer, let township, let positions, let at):
            return ("job_offered", EmbeddedSQL.statement("fact_job_offered"), [offer, employer, kind(employer), township, positions, at])
        case .referralSent(let referral, let offer, let employer, let at):
            return ("referral_sent", EmbeddedSQL.statement("fact_referral_sent"), [referral, offer, employer, at])
        case .referralAnswered(let referral, let offer, let employer, let answer, let at):
            return ("referral_answered", EmbeddedSQL.statement("fact_referral_answered"), [referral, offer, employer, answer, at])
        case .placed(let placement, let offer, let referral, let employer, let at):
            return ("placed", EmbeddedSQL.statement("fact_placed"), [placement, offer, referral, employer, at])
        case .donation(let pledge, let donor, let township, let stage, let yuan, let at):
            return ("donation", EmbeddedSQL.statement("fact_donation"), [pledge, donor, kind(donor), township, stage.rawValue, at, yuan])
        }
    }
}
