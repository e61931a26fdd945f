import BackstopBus
import BackstopContracts
import BackstopCoordinator
import Foundation

/// The county coordination office's desk, played by the simulation: it triages risk clues into
/// alerts (lead and co-handlers from the duty catalogue, due times from the deadline rules) and
/// decides dispatch objections and extension requests.
///
/// The catalogue lets only the coordinator kind publish `alert.raised`, `alert.redispatched` and
/// (with oversight) `obligation.extension_decided`, and no stakeholder service serves that kind, so
/// the desk publishes on the bus directly, as the coordinator organisation of the rules — the one
/// part of the simulation that does not go through a stakeholder service.
struct CoordinatorDesk: Sendable {
    /// The bus the desk publishes on.
    let bus: Bus
    /// The rules and deadline arithmetic the coordinator itself uses.
    let planner: ObligationPlanner

    /// A desk publishing on `bus` with `rules` on `calendar` (the coordinator's own setup).
    init(bus: Bus, rules: DeadlineRules, calendar: WorkingCalendar) {
        self.bus = bus
        planner = ObligationPlanner(rules: rules, deadlines: DeadlineCalculator(calendar: calendar, timeZone: rules.timeZone))
    }

    /// The `source` the desk publishes as.
    var source: String { "/orgs/" + planner.rules.coordinator }

    /// The desk's organisation id (the rules' coordinator).
    var organisation: String { planner.rules.coordinator }

    /// Publishes one event as the coordinator.
    func publish(_ event: CloudEvent) async throws { _ = try await bus.publish(event) }

    /// Who must act on an alert about `categories` in `location`: the duty catalogue's assignment
    /// (``DeadlineRules/assignment(for:township:)``), as the coordinator's own triage makes it.
    func assignment(for categories: [RiskCategory], location: String) -> [(org: String, role: AlertRaisedV1.AssignedTo.Role)] {
        planner.rules.assignment(for: categories.map(\.rawValue), township: String(location.prefix(9))).map { ($0.org, $0.lead ? .lead : .co) }
    }
}

/// Due times as the coordinator will compute them, so the simulation can make an answer on time,
/// late, or not at all. Without the rules (no desk) it falls back to fixed approximations.
struct DeadlineOracle: Sendable {
    /// The coordinator's planner, when the rules are known.
    let planner: ObligationPlanner?

    /// The obligations `event` opens, with their due times (none without rules).
    func openings(_ event: CloudEvent) -> [ObligationOpening] {
        guard let planner, let time = event.time else { return [] }
        return (try? planner.openings(for: event, startingAt: time)) ?? []
    }

    /// The due time of `owner`'s obligation under rule `rule` opened by `event` (an answer after it
    /// is late), else `event`'s time plus `fallback`.
    func due(_ event: CloudEvent, rule: String, owner: String, fallback: TimeInterval) -> Date {
        openings(event).first { $0.ruleID == rule && $0.owner == owner }?.dueAt ?? (event.time ?? Date()) + fallback
    }

    /// Whether `date` falls on a working day in the province (weekends only, without rules).
    func isWorkingDay(_ date: Date) -> Bool {
        let zone = planner?.rules.timeZone ?? DeadlineCalculator.shanghai
        let day = CalendarDate(containing: date, in: zone)
        if let planner, let working = try? planner.deadlines.calendar.isWorkingDay(day) { return working }
        return !day.isWeekend
    }

    /// The next moment at or after `date` inside office hours (08:30–17:30 local on a working
    /// day), moved a little into the morning when it had to be moved.
    func officeTime(_ date: Date, using rng: inout SeededGenerator) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = planner?.rules.timeZone ?? DeadlineCalculator.shanghai
        let minutes = calendar.component(.hour, from: date) * 60 + calendar.component(.minute, from: date)
        if isWorkingDay(date), (510..<1050).contains(minutes) { return date }
        var day = calendar.startOfDay(for: date)
        if minutes >= 1050 || !isWorkingDay(date) { day = calendar.date(byAdding: .day, value: 1, to: day) ?? day + 86_400 }
        for _ in 0..<30 where !isWorkingDay(day + 43_200) {
            day = calendar.date(byAdding: .day, value: 1, to: day) ?? day + 86_400
        }
        return day + 510 * 60 + rng.hours(0...2.5)
    }
}
