import BackstopContracts
import Foundation
import Logging

/// A demo district at work, driven through the stakeholder services' public HTTP APIs as its
/// organisations would drive them: each publishes with its own key on the service of its kind.
///
/// ``run()`` first publishes a **backfill**: the district's last weeks (``historyDays``) as events
/// with past `time` values, so the coordinator opens obligations whose due times have passed —
/// most answered on time, some late, a few never (breached, then escalated). Then it goes **live**:
/// the district's clock runs on from now, ``secondsPerDistrictDay`` wall-clock seconds to a day, and
/// every step is published with the current time. An answer a story makes late therefore arrives
/// early in real time once live; one it never gives still breaches at its real due time.
///
/// Risk clues come through the channels of domain brief §2.3 in a realistic mix; the coordination
/// office's part — turning clues into alerts with deadlines, deciding dispatch objections and
/// extension requests — is played by a ``CoordinatorDesk`` when one is given (without it there are
/// no alerts). The choices follow from ``seed``; ids and household references are new each run, so
/// a second run adds to the database instead of colliding with the first.
struct DistrictSimulation: Sendable {
    /// The district acted out.
    let district: DemoDistrict
    /// Organisation id → API key.
    let keys: [String: String]
    /// Service name (`department-service`, …) → base URL.
    let serviceURLs: [String: URL]
    /// The seed every choice follows from.
    let seed: UInt64
    let logger: Logger
    /// The coordination office's desk, when the simulation raises alerts and decides for it.
    let desk: CoordinatorDesk?
    /// How many days of history the backfill publishes (never before 1 January of this year: the
    /// coordinator's working-day calendars start there).
    let historyDays: Int
    /// Wall-clock seconds per district day once live.
    let secondsPerDistrictDay: Double
    /// Where summary lines go (default: the logger, at notice level).
    let report: @Sendable (String) -> Void
    /// What was published and refused so far.
    let tally = SimulationTally()

    /// A simulation of `district` acting with `keys` on the services at `serviceURLs`.
    init(district: DemoDistrict, keys: [String: String], serviceURLs: [String: URL], seed: UInt64, logger: Logger,
         desk: CoordinatorDesk? = nil, historyDays: Int = 70, secondsPerDistrictDay: Double = 6,
         report: (@Sendable (String) -> Void)? = nil) {
        self.district = district
        self.keys = keys
        self.serviceURLs = serviceURLs
        self.seed = seed
        self.logger = logger
        self.desk = desk
        self.historyDays = max(0, historyDays)
        self.secondsPerDistrictDay = max(0.01, secondsPerDistrictDay)
        self.report = report ?? { [logger] line in logger.notice("\(line)") }
    }

    /// Publishes the backfill, then live activity until the task is cancelled.
    func run() async throws { try await run(liveFor: nil) }

    /// Publishes the backfill, then live activity for `liveFor` (nil: until the task is
    /// cancelled). Returns normally when cancelled.
    func run(liveFor: Duration?) async throws {
        let client = StakeholderClient(district: district, keys: keys, serviceURLs: serviceURLs, tally: tally, logger: logger)
        let now = Date()
        let earliest = max(now - Double(historyDays) * 86_400, Self.startOfYear(now))
        var planner = DistrictPlanner(district: district, desk: desk, seed: seed,
                                      idSeed: seed ^ UInt64(now.timeIntervalSince1970 * 1000), earliest: earliest)

        // Plan the history day by day; what falls after now waits for the live phase.
        var queue = StepQueue()
        var past: [[SimulationStep]] = []
        var day = DistrictPlanner.startOfDay(earliest)
        let tomorrow = Self.nextDay(DistrictPlanner.startOfDay(now))
        while day < tomorrow {
            for unit in planner.plan(day: day) {
                queue.insert(unit.steps.filter { $0.at > now })
                past.append(unit.steps.filter { $0.at <= now })
            }
            day = Self.nextDay(day)
        }
        let clock = ContinuousClock()
        let began = clock.now
        let (first, last) = BackfillOrder.arrange(past)
        for step in first where !Task.isCancelled { try await execute(step, at: step.at, client: client) }
        if !last.isEmpty, !Task.isCancelled {
            await client.waitForCoordinator(timeout: .seconds(120))
            for step in last where !Task.isCancelled { try await execute(step, at: step.at, client: client) }
        }
        let backfill = tally.snapshot
        report("simulate: backfill: published \(backfill.publishedTotal) events of \(Int((now.timeIntervalSince(earliest) / 86_400).rounded())) days "
               + "in \(Int((clock.now - began).seconds.rounded())) s (\(SimulationTally.describe(backfill.published))), \(backfill.rejectedTotal) rejected")
        guard !Task.isCancelled else { return }
        try await live(queue: &queue, planner: &planner, from: now, planned: tomorrow, for: liveFor, client: client)
    }

    /// The live phase: runs the queued steps as the district clock reaches them, planning each
    /// next day before its first step is due.
    private func live(queue: inout StepQueue, planner: inout DistrictPlanner, from origin: Date, planned: Date, for limit: Duration?,
                      client: StakeholderClient) async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let stop = limit.map { start + $0 }
        let scale = secondsPerDistrictDay / 86_400
        var planned = planned
        var lastReport = start
        var reported = tally.snapshot
        while !Task.isCancelled {
            while queue.next.map({ $0.at >= planned }) ?? true {
                for unit in planner.plan(day: planned) { queue.insert(unit.steps) }
                planned = Self.nextDay(planned)
            }
            guard let step = queue.pop() else { continue }
            let due = start + .seconds(max(0, step.at.timeIntervalSince(origin)) * scale)
            if let stop, due > stop {
                try? await Task.sleep(until: stop, clock: clock)
                break
            }
            if due > clock.now {
                do { try await Task.sleep(until: due, clock: clock) } catch { break }
            }
            try await execute(step, at: Date(), client: client)
            if clock.now - lastReport >= .seconds(15) {
                let counts = tally.snapshot
                let recent = counts.published.merging(reported.published) { now, before in now - before }
                report("simulate: live: published \(counts.publishedTotal - reported.publishedTotal) events in the last "
                       + "\(Int((clock.now - lastReport).seconds.rounded())) s (\(SimulationTally.describe(recent))), \(counts.rejectedTotal) rejected so far")
                lastReport = clock.now
                reported = counts
            }
        }
    }

    /// Runs one step at business time `time`; throws ``SimulationError`` once publishes keep
    /// getting no answer at all.
    private func execute(_ step: SimulationStep, at time: Date, client: StakeholderClient) async throws {
        switch step.action {
        case .publish(let org, let build):
            await client.publish(build(time), as: org)
        case .desk(let build):
            guard let desk, let event = build(time, desk) else { return }
            do {
                try await desk.publish(event)
                tally.published(event.type)
            } catch {
                guard !Task.isCancelled else { return }
                logger.error("simulate: the coordination desk could not publish \(event.type) \(event.id): \(error)")
                if error is InvalidEvent { tally.rejected(event.type) } else { tally.unanswered(event.type) }
            }
        case .requestExtension(let request):
            await requestExtension(request, at: time, client: client)
        }
        let unanswered = tally.snapshot.unanswered
        if unanswered >= 10 { throw SimulationError(description: "\(unanswered) publishes in a row got no answer; are the services and the database up?") }
    }

    /// Finds the obligation in the owner's own list (the coordinator may still be opening it) and
    /// asks for more time on it, remembering what was asked for the office's decision.
    private func requestExtension(_ request: ExtensionRequest, at time: Date, client: StakeholderClient) async {
        for _ in 0..<20 where !Task.isCancelled {
            let open = await client.openObligations(of: request.owner)
            if let obligation = open.first(where: { $0.ruleID == request.ruleID && $0.subjectRef == request.subjectRef }),
               let due = EventTime.parse(obligation.dueAt) {
                let wanted = max(due, time) + request.extra
                let event = SimulationEvents.event(ObligationExtensionRequestedV1(
                    byOrg: request.owner, obligationId: obligation.id, reasonCode: request.reason, requestId: request.requestID,
                    requestedAt: SimulationEvents.stamp(time), requestedDueAt: SimulationEvents.stamp(wanted)),
                    id: request.requestID, org: request.owner, at: time, subject: obligation.id)
                await client.publish(event, as: request.owner)
                request.memory["obligation"] = obligation.id
                request.memory["due"] = SimulationEvents.stamp(wanted)
                return
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
        logger.info("simulate: \(request.owner) has no open \(request.ruleID) obligation about \(request.subjectRef) to extend")
    }

    /// Local midnight on 1 January of the year of `date`.
    static func startOfYear(_ date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = SimulationEvents.zone
        return calendar.date(from: DateComponents(year: calendar.component(.year, from: date), month: 1, day: 1)) ?? date
    }

    /// The local midnight a day after `day`.
    static func nextDay(_ day: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = SimulationEvents.zone
        return calendar.date(byAdding: .day, value: 1, to: day) ?? day + 86_400
    }
}

/// Steps waiting for the district clock, soonest first (a binary heap; equal times keep their
/// insertion order, so a story's steps stay in order).
struct StepQueue {
    private var heap: [(step: SimulationStep, order: Int)] = []
    private var inserted = 0

    /// The soonest step, without removing it.
    var next: SimulationStep? { heap.first?.step }

    /// Adds steps (in their order, for equal times).
    mutating func insert(_ steps: [SimulationStep]) {
        for step in steps {
            heap.append((step, inserted))
            inserted += 1
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard precedes(heap[child], heap[parent]) else { break }
                heap.swapAt(child, parent)
                child = parent
            }
        }
    }

    /// Removes and returns the soonest step.
    mutating func pop() -> SimulationStep? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast().step
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var first = parent
            if left < heap.count, precedes(heap[left], heap[first]) { first = left }
            if right < heap.count, precedes(heap[right], heap[first]) { first = right }
            if first == parent { break }
            heap.swapAt(parent, first)
            parent = first
        }
        return top
    }

    private func precedes(_ a: (step: SimulationStep, order: Int), _ b: (step: SimulationStep, order: Int)) -> Bool {
        a.step.at != b.step.at ? a.step.at < b.step.at : a.order < b.order
    }
}

/// The simulation cannot go on.
struct SimulationError: Error, CustomStringConvertible {
    let description: String
}
