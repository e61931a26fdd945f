import BackstopContracts
import Foundation

/// A recurring duty to open: the obligation, and the id that makes opening it twice a no-op.
public struct RecurringOpening: Sendable, Hashable {
    /// The obligation.
    public var opening: ObligationOpening
    /// Unique per rule, period and owner: `<rule>/<link key>`.
    public var triggerID: String
    /// The case it is about (follow-ups).
    public var caseID: String?
}

/// A case as the follow-up duty sees it.
public struct CaseStanding: Sendable, Hashable {
    /// The case id.
    public var caseID: String
    /// Who visits: the household's township, else the case's lead.
    public var visitor: String
    /// When it was identified (or last reopened).
    public var openedAt: Date
    /// When it closed, if it is closed.
    public var closedAt: Date?

    /// A case's standing.
    public init(caseID: String, visitor: String, openedAt: Date, closedAt: Date?) {
        self.caseID = caseID
        self.visitor = visitor
        self.openedAt = openedAt
        self.closedAt = closedAt
    }
}

/// Works out which recurring duties should exist at an instant. Pure: the caller passes the time,
/// the cases and the townships; opening the same duty twice is prevented by its trigger id.
///
/// - Push cadences (D7): each period's duty opens when the period starts and exists until its due
///   time (so the previous month's push, due on the 5th, is there beside this month's). A duty is
///   never opened after its due time has passed: nobody could have met it.
/// - Follow-ups (D10): one per month for each case open at the start of the month (from the month
///   after it was identified), and for the `monthsAfterClosure` months after the month it closed;
///   a reopened case is open again, so its visits resume.
/// - Sweeps (D14): one per township for each window, from the window's first day to its last.
public struct RecurringPlanner: Sendable {
    /// The duties.
    public let duties: RecurringDuties
    /// Deadline arithmetic (for the ladder's supervision time).
    public let deadlines: DeadlineCalculator
    /// The rules (warning fraction, ladder).
    public let rules: DeadlineRules

    /// A planner for `rules`.
    public init(rules: DeadlineRules, deadlines: DeadlineCalculator) {
        self.rules = rules
        self.duties = rules.recurring
        self.deadlines = deadlines
    }

    /// The local date of `instant` in the rules' time zone.
    private func date(of instant: Date) -> CalendarDate { CalendarDate(containing: instant, in: rules.timeZone) }

    /// The first day of the month `offset` months from the one holding `instant`.
    private func firstDay(ofMonthHolding instant: Date, offset: Int) -> CalendarDate {
        let d = date(of: instant)
        let months = d.year * 12 + d.month - 1 + offset
        return CalendarDate(year: months / 12, month: months % 12 + 1, day: 1)!  // day 1 exists in every month
    }

    /// The first instant of the month `offset` months from the one holding `date`.
    func monthStart(_ date: Date, offset: Int = 0) -> Date {
        firstDay(ofMonthHolding: date, offset: offset).startOfDay(in: rules.timeZone)
    }

    /// `YYYY-MM` of the month holding `date`.
    func monthName(_ date: Date) -> String {
        let d = self.date(of: date)
        return String(format: "%04d-%02d", d.year, d.month)
    }

    /// The first instant of the day `days` days after `date` (0: that day itself).
    private func start(of date: CalendarDate, plus days: Int = 0) -> Date {
        date.adding(days: days).startOfDay(in: rules.timeZone)
    }

    /// A (month, day) of `year`; configured days are checked when the rules load, and 29 February is
    /// refused there, so every one exists in every year.
    private func day(year: Int, month: Int, day: Int) -> CalendarDate {
        CalendarDate(year: year, month: month, day: day)!
    }

    /// The push duties that should exist at `now`.
    public func pushOpenings(at now: Date) throws(CalendarError) -> [RecurringOpening] {
        var out: [RecurringOpening] = []
        for duty in duties.pushes {
            var periods: [(name: String, opens: Date, due: Date)] = []
            switch duty.cadence {
            case .monthlyByDay, .monthEnd:
                for offset in [-1, 0] {
                    let next = firstDay(ofMonthHolding: now, offset: offset + 1)
                    let due: Date
                    if case .monthlyByDay(let d) = duty.cadence { due = start(of: next, plus: d) } else { due = start(of: next) }
                    let opens = monthStart(now, offset: offset)
                    periods.append((monthName(opens), opens, due))
                }
            case .yearlyBy(let month, let d):
                let year = date(of: now).year
                for y in [year - 1, year] {
                    periods.append((String(y), start(of: day(year: y, month: 1, day: 1)), start(of: day(year: y, month: month, day: d), plus: 1)))
                }
            }
            for period in periods where period.opens <= now && now < period.due {
                let key = "\(duty.indicatorSet)/\(period.name)"
                out.append(try make(rule: duty.id, action: "department_push", owner: duty.department, key: key,
                                    opens: period.opens, due: period.due, caseID: nil))
            }
        }
        return out
    }

    /// The follow-up visits that should exist at `now` for `cases`.
    public func followUpOpenings(at now: Date, cases: [CaseStanding]) throws(CalendarError) -> [RecurringOpening] {
        guard let duty = duties.followUp else { return [] }
        let start = monthStart(now), next = monthStart(now, offset: 1)
        let month = monthName(now)
        var out: [RecurringOpening] = []
        for standing in cases {
            // Visits start in the month after identification (the identification visit counts for its month).
            guard standing.openedAt < start else { continue }
            if let closed = standing.closedAt, closed > standing.openedAt {
                // Closed: visits in the months after the closing month, for monthsAfterClosure months.
                let closedMonth = monthStart(closed)
                guard closedMonth < start, start <= monthStart(closed, offset: duty.monthsAfterClosure) else { continue }
            }
            out.append(try make(rule: duty.id, action: "followup_visit", owner: standing.visitor, key: "\(standing.caseID)/\(month)",
                                opens: start, due: next, caseID: standing.caseID))
        }
        return out
    }

    /// The sweep duties that should exist at `now` for `townships` (organisation ids).
    public func sweepOpenings(at now: Date, townships: [String]) throws(CalendarError) -> [RecurringOpening] {
        guard let duty = duties.sweep else { return [] }
        var out: [RecurringOpening] = []
        for window in openSweepWindows(at: now) {
            for township in townships {
                out.append(try make(rule: duty.id, action: "concentrated_sweep", owner: township, key: window.key,
                                    opens: window.opens, due: window.due, caseID: nil))
            }
        }
        return out
    }

    /// Whether a sweep window is open at `now`: only then does the coordinator need the townships.
    public func sweepWindowIsOpen(at now: Date) -> Bool { !openSweepWindows(at: now).isEmpty }

    /// The sweep windows open at `now`, keyed `<year>-<name>`.
    private func openSweepWindows(at now: Date) -> [(key: String, opens: Date, due: Date)] {
        guard let duty = duties.sweep else { return [] }
        let year = date(of: now).year
        return duty.windows.compactMap { window in
            let opens = start(of: day(year: year, month: window.from.month, day: window.from.day))
            let due = start(of: day(year: year, month: window.to.month, day: window.to.day), plus: 1)
            return opens <= now && now < due ? ("\(year)-\(window.name)", opens, due) : nil
        }
    }

    private func make(rule: String, action: String, owner: String, key: String, opens: Date, due: Date, caseID: String?) throws(CalendarError) -> RecurringOpening {
        let superviseAt = try deadlines.due(openedAt: ObligationPlanner.dayOf(due), within: rules.ladder.supervisionAfter)
        let warnAt = deadlines.warningPoint(openedAt: opens, due: due, fraction: rules.warningFraction)
        let opening = ObligationOpening(ruleID: rule, action: action, owner: owner, linkKey: key, openedAt: opens, warnAt: warnAt,
                                        dueAt: due, breachAt: due, superviseAt: superviseAt, calendar: "calendar_days")
        return RecurringOpening(opening: opening, triggerID: "\(rule)/\(key)", caseID: caseID)
    }

    /// The answers a recurring duty gets from `event`.
    public func answers(to event: CloudEvent) -> [ObligationAnswer] {
        let data = event.data.objectValue ?? [:]
        func text(_ key: String) -> String? { ObligationPlanner.text(data[key]) }
        switch event.type {
        case RecurringDuties.pushReceived:
            guard let key = text("push_key"), let set = text("indicator_set") else { return [] }
            let publisher = ObligationPlanner.organisation(of: event) ?? "?"
            return duties.pushes.filter { $0.indicatorSet == set }.map {
                ObligationAnswer(ruleID: $0.id, linkKey: key, owner: publisher, outcome: .fulfilled)
            }
        case RecurringDuties.visitRecorded:
            guard let duty = duties.followUp, let caseID = text("case_id"), let at = text("visited_at").flatMap(EventTime.parse) else { return [] }
            return [ObligationAnswer(ruleID: duty.id, linkKey: "\(caseID)/\(monthName(at))", owner: nil, outcome: .fulfilled)]
        case RecurringDuties.sweepCompleted:
            guard let duty = duties.sweep, let window = text("window") else { return [] }
            return [ObligationAnswer(ruleID: duty.id, linkKey: window, owner: ObligationPlanner.organisation(of: event) ?? "?", outcome: .fulfilled)]
        default:
            return []
        }
    }
}
