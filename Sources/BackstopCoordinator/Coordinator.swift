import BackstopBus
import BackstopContracts
import BackstopPostgres
import Foundation
import Logging

/// The coordinator: turns events into owned obligations with due times, closes them when they are
/// answered, and climbs the escalation ladder when they are not (design D5, D7).
///
/// Every effect of one input event — obligation rows and the events they cause — is written in
/// the same transaction as the ack of that input, so a crash anywhere neither loses nor doubles
/// anything. Consumption and the sweep both lock with `SKIP LOCKED`, so several coordinators can
/// run at once and share the work. Every due-time comparison uses the database clock.
public final class Coordinator: Sendable {
    /// The bus the coordinator consumes from and publishes to.
    public let bus: Bus
    /// The rules and deadline arithmetic.
    public let planner: ObligationPlanner
    /// Recurring duties (D7, D10, D14).
    public let recurring: RecurringPlanner
    /// The subscription it consumes.
    public let subscription: String
    private let logger: Logger
    private let sql = CoordinatorSQL()

    /// A coordinator for `rules` on `calendar`.
    public init(bus: Bus, rules: DeadlineRules, calendar: WorkingCalendar, subscription: String = "coordinator",
                logger: Logger = Logger(label: "backstop.coordinator")) {
        self.bus = bus
        self.planner = ObligationPlanner(rules: rules, deadlines: DeadlineCalculator(calendar: calendar, timeZone: rules.timeZone))
        self.recurring = RecurringPlanner(rules: rules, deadlines: planner.deadlines)
        self.subscription = subscription
        self.logger = logger
    }

    private var rules: DeadlineRules { planner.rules }

    /// Applies the coordinator's migrations and creates (or updates) its subscription to every
    /// event type the rules name.
    public func prepare() async throws {
        _ = try await bus.pool.withConnection { connection in
            try await Migrator(migrations: try CoordinatorSchema.allMigrations(), logger: logger).migrate(connection)
        }
        let spec = SubscriptionSpec(name: subscription, filter: SubscriptionFilter(eventTypes: Set(rules.consumedTypes)))
        if (try? await bus.subscription(named: subscription)) != nil {
            _ = try await bus.updateSubscription(spec)
        } else {
            _ = try await bus.createSubscription(spec)
        }
    }

    /// Consumes and sweeps until the task is cancelled; opens recurring duties at start and then
    /// every `recurringEvery`.
    public func run(sweepEvery interval: Duration = .milliseconds(250), sweepLimit: Int = 500,
                    recurringEvery: Duration = .seconds(60)) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let deliveries = self.bus.subscribe(self.subscription, batchSize: 32)
                while !Task.isCancelled {
                    let batch = try await deliveries.nextBatch()
                    if batch.isEmpty { break }
                    do {
                        // What was claimed together is handled in one transaction (one commit)…
                        try await self.handle(batch)
                    } catch {
                        // …and, if that fails, one by one, so one bad event holds up no other.
                        for delivery in batch {
                            do {
                                try await self.handle(delivery)
                            } catch {
                                self.logger.error("could not handle \(delivery.event.type) \(delivery.event.id): \(error)")
                                _ = try? await delivery.nack(error: "\(error)")
                            }
                        }
                    }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    do {
                        while try await self.sweep(limit: sweepLimit).obligations == sweepLimit {}
                    } catch {
                        self.logger.error("sweep failed: \(error)")
                    }
                    try await Task.sleep(for: interval)
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    do {
                        try await self.openRecurringDuties()
                    } catch {
                        self.logger.error("opening recurring duties failed: \(error)")
                    }
                    try await Task.sleep(for: recurringEvery)
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    // MARK: events

    /// Applies one delivered event and acknowledges it, in one transaction.
    public func handle(_ delivery: Delivery) async throws {
        try await handle([delivery])
    }

    /// Applies delivered events in order and acknowledges them, all in one transaction: each
    /// event's effects are the same as when it is handled alone, and either all of them commit
    /// with their acknowledgements or none does.
    public func handle(_ deliveries: [Delivery]) async throws {
        guard !deliveries.isEmpty else { return }
        // The pure part of each event, outside the transaction.
        let plans = try deliveries.map { delivery in
            let event = delivery.event
            return EventPlan(
                delivery: delivery,
                openings: try planner.openings(for: event, startingAt: event.time ?? delivery.acceptedAt),
                answers: planner.answers(to: event) + recurring.answers(to: event),
                extensionPlan: try extensionPlan(for: event),
                clue: event.type == RiskClueReportedV1.eventType ? try? RiskClueReportedV1(from: event) : nil)
        }
        let rules = self.rules, sql = self.sql, bus = self.bus, deadlines = planner.deadlines
        try await bus.transaction { c in
            var outputs: [CloudEvent] = []
            for plan in plans {
                var effects = Effects(rules: rules, deadlines: deadlines, sql: sql, cause: plan.delivery.event)
                try effects.record(plan.delivery.event, in: c)
                // A refused close answers nothing.
                if try effects.closeCase(plan.delivery.event, in: c) {
                    for answer in plan.answers { try effects.answer(answer, in: c) }
                }
                // A clue for a household with an open case is attached to the case: no new identification.
                var attached = false
                if let clue = plan.clue { attached = try effects.triage(clue, in: c) == .attachedToCase }
                for opening in plan.openings where !attached { try effects.open(opening, in: c) }
                try effects.extend(plan.extensionPlan, in: c)
                try bus.ack(plan.delivery, in: c)
                outputs += effects.outputs
            }
            if !outputs.isEmpty { _ = try bus.publish(outputs, in: c) }
        }
    }

    /// What an event means for obligations, worked out before its transaction.
    private struct EventPlan: Sendable {
        var delivery: Delivery
        var openings: [ObligationOpening]
        var answers: [ObligationAnswer]
        var extensionPlan: ExtensionPlan?
        var clue: RiskClueReportedV1?
    }

    /// The ladder times for an extension decision, computed outside the transaction (pure).
    private func extensionPlan(for event: CloudEvent) throws -> ExtensionPlan? {
        guard event.type == ObligationExtensionDecidedV1.eventType, let decision = try? ObligationExtensionDecidedV1(from: event),
              decision.decision == .granted, let newDue = decision.newDueAt.flatMap(EventTime.parse) else { return nil }
        let decided = EventTime.parse(decision.decidedAt) ?? event.time ?? Date()
        let superviseAt = try planner.deadlines.due(openedAt: ObligationPlanner.dayOf(newDue), within: rules.ladder.supervisionAfter)
        return ExtensionPlan(decision: decision, dueAt: newDue,
                             warnAt: planner.deadlines.warningPoint(openedAt: decided, due: newDue, fraction: rules.warningFraction),
                             superviseAt: superviseAt)
    }

    // MARK: recurring duties

    /// Opens the recurring duties (D7 pushes, D10 follow-ups, D14 sweeps) that should exist at
    /// `instant` (default: the database clock), publishing obligation.opened for each new one.
    /// Opening a duty that exists already does nothing. Returns how many were opened.
    @discardableResult
    public func openRecurringDuties(at instant: Date? = nil) async throws -> Int {
        let duties = rules.recurring
        guard !duties.ruleIDs.isEmpty else { return 0 }
        let recurring = self.recurring, sql = self.sql, bus = self.bus, coordinator = rules.coordinator
        return try await bus.transaction { c in
            let now = try instant ?? c.executePrepared("coordinator_now", "SELECT now()", []).first!.decode(Date.self, at: 0)
            var openings = try recurring.pushOpenings(at: now)
            if let followUp = duties.followUp {
                let since = recurring.monthStart(now, offset: -(followUp.monthsAfterClosure + 1))
                let cases = try c.executePrepared("coordinator_recurring_cases", sql.recurringCases,
                                                  [since, followUp.id, recurring.monthName(now)]).map { row in
                    CaseStanding(caseID: try row.decode(String.self, at: 0), visitor: try row.decode(String.self, at: 1),
                                 openedAt: try row.decode(Date.self, at: 2), closedAt: try row.decode(Date?.self, at: 3))
                }
                openings += try recurring.followUpOpenings(at: now, cases: cases)
            }
            if recurring.sweepWindowIsOpen(at: now) {
                // Townships are read only while a window is open. The registry's tables come with the
                // access migrations; a coordinator alone has none.
                let registry = try c.executePrepared("coordinator_has_registry", "SELECT to_regclass('backstop.organisations') IS NOT NULL", [])
                let townships = try registry.first!.decode(Bool.self, at: 0)
                    ? c.executePrepared("coordinator_recurring_townships", sql.recurringTownships, []).map { try $0.decode(String.self, at: 0) } : []
                openings += try recurring.sweepOpenings(at: now, townships: townships)
            }
            let emit = CoordinatorEvents(coordinator: coordinator, cause: nil)
            var outputs: [CloudEvent] = []
            for item in openings {
                let o = item.opening
                let inserted = try c.executePrepared("coordinator_obligation_open", sql.obligationOpen, [
                    o.ruleID, o.action, o.owner, o.linkKey, item.caseID, item.triggerID, nil as String?, "recurring", item.triggerID,
                    o.calendar, o.openedAt, o.warnAt, o.dueAt, o.breachAt, o.superviseAt,
                ])
                guard let id = try inserted.first?.decode(String.self, at: 0) else { continue }
                outputs.append(Effects.openedEvent(id: id, o, caseID: item.caseID, alertID: nil, emit: emit))
            }
            if !outputs.isEmpty { _ = try bus.publish(outputs, in: c) }
            return outputs.count
        }
    }

    // MARK: sweep

    /// What one sweep tick did.
    public struct SweepReport: Sendable {
        /// Obligations examined (all were due for a rung).
        public var obligations: Int
        /// Events published.
        public var events: Int
    }

    /// One tick: raises every rung that has come, in one transaction.
    @discardableResult
    public func sweep(limit: Int = 500) async throws -> SweepReport {
        let rules = self.rules, sql = self.sql, bus = self.bus, subscription = self.subscription
        return try await bus.transaction { c in
            let rows = try c.executePrepared("coordinator_sweep_claim", sql.sweepClaim, [limit, subscription])
            guard rows.count > 0 else { return SweepReport(obligations: 0, events: 0) }
            var outputs: [CloudEvent] = []
            var ids: [String] = [], levels: [Int] = [], nexts: [Date?] = [], breaches: [Date?] = []
            var breachedOwners: Set<String> = []
            let emit = CoordinatorEvents(coordinator: rules.coordinator, cause: nil)
            for row in rows {
                let id = try row.decode(String.self, at: 0), ruleID = try row.decode(String.self, at: 1)
                let owner = try row.decode(String.self, at: 2)
                let ladder = Ladder(level: try row.decode(Int.self, at: 3), warnAt: try row.decode(Date.self, at: 4),
                                    breachAt: try row.decode(Date.self, at: 6), superviseAt: try row.decode(Date.self, at: 7))
                let dueAt = try row.decode(Date.self, at: 5)
                let caseID = try row.decode(String?.self, at: 8), correlation = try row.decode(String?.self, at: 9)
                let district = try row.decode(String?.self, at: 10)
                let now = try row.decode(Date.self, at: 12)
                let rungs = ladder.rungs(at: now)
                let next = ladder.raising(rungs)
                for rung in rungs {
                    switch rung {
                    case .dueSoon:
                        outputs.append(emit.event(ObligationDueSoonV1(
                            dueAt: CoordinatorEvents.time(dueAt), level: "L1", obligationId: id, ownerOrg: owner,
                            remainingSeconds: max(0, Int(dueAt.timeIntervalSince(now))), ruleId: ruleID, warnedAt: CoordinatorEvents.time(now)),
                            key: "obligation.due_soon/\(id)", correlation: correlation, district: district, subject: caseID))
                    case .breached:
                        breachedOwners.insert(owner)
                        outputs.append(emit.event(ObligationBreachedV1(
                            breachedAt: CoordinatorEvents.time(now), dueAt: CoordinatorEvents.time(dueAt), level: "L2", obligationId: id,
                            ownerOrg: owner, ruleId: ruleID, supervisorOrg: rules.supervisor(of: owner)),
                            key: "obligation.breached/\(id)", correlation: correlation, district: district, subject: caseID))
                    case .supervised:
                        let office = rules.ladder.supervisingOffice
                        let raised = try c.executePrepared("coordinator_escalation_raise", sql.escalationRaise,
                                                           [3, owner, office, "overdue_beyond_period", [id]])
                        let escalationID = try raised.first!.decode(String.self, at: 0)
                        outputs.append(emit.event(EscalationRaisedV1(
                            escalationId: escalationID, level: .l3, obligationIds: [id], orgId: owner,
                            raisedAt: CoordinatorEvents.time(try raised.first!.decode(Date.self, at: 1)),
                            reasonCode: .overdueBeyondPeriod, toOrg: office),
                            key: "escalation.raised/L3/\(id)", correlation: correlation, district: district, subject: escalationID))
                    }
                }
                ids.append(id)
                levels.append(next.level)
                nexts.append(next.nextAt)
                breaches.append(rungs.contains(.breached) ? now : nil)
            }
            _ = try c.executePrepared("coordinator_sweep_advance", sql.sweepAdvance, [ids, levels, nexts, breaches])
            let window = rules.ladder.repeatWindow.seconds ?? 30 * 86_400
            // Coordinators sweeping at once take each owner's lock (in one order), so the second
            // sees the first one's L4 and does not raise another.
            for owner in breachedOwners.sorted() {
                _ = try c.executePrepared("coordinator_l4_lock", "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", ["backstop.l4:\(owner)"])
            }
            let repeated = breachedOwners.isEmpty ? [] : Array(try c.executePrepared(
                "coordinator_repeat_breaches", sql.repeatBreaches, [breachedOwners.sorted(), window, rules.ladder.repeatBreaches]))
            for row in repeated {
                let owner = try row.decode(String.self, at: 0), obligations = try row.decode([String].self, at: 1)
                let office = rules.ladder.disciplineOffice
                let raised = try c.executePrepared("coordinator_escalation_raise", sql.escalationRaise,
                                                   [4, owner, office, "repeated_breaches", obligations])
                let escalationID = try raised.first!.decode(String.self, at: 0)
                outputs.append(emit.event(EscalationRaisedV1(
                    breachCount: obligations.count, escalationId: escalationID, level: .l4, obligationIds: Array(obligations.prefix(100)),
                    orgId: owner, raisedAt: CoordinatorEvents.time(try raised.first!.decode(Date.self, at: 1)),
                    reasonCode: .repeatedBreaches, toOrg: office, windowDays: max(1, min(366, Int(window / 86_400)))),
                    key: "escalation.raised/L4/\(escalationID)", correlation: nil, district: nil, subject: escalationID))
            }
            if !outputs.isEmpty { _ = try bus.publish(outputs, in: c) }
            return SweepReport(obligations: rows.count, events: outputs.count)
        }
    }
}

/// A granted extension's new ladder times.
struct ExtensionPlan: Sendable {
    var decision: ObligationExtensionDecidedV1
    var dueAt: Date
    var warnAt: Date
    var superviseAt: Date
}
