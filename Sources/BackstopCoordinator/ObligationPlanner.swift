import BackstopContracts
import Foundation

/// An obligation the coordinator opens: who owes what, by when, and when each rung of the ladder
/// is reached if it is still open.
public struct ObligationOpening: Sendable, Hashable {
    /// The rule that opens it.
    public var ruleID: String
    /// What the owner must do.
    public var action: String
    /// The organisation that owes it.
    public var owner: String
    /// The value of the rule's key field in the trigger (for example the alert id).
    public var linkKey: String
    /// When the clock started (the trigger's business time).
    public var openedAt: Date
    /// The due-soon reminder (L1).
    public var warnAt: Date
    /// The due time.
    public var dueAt: Date
    /// When the breach (L2) is raised: the due time plus any grace.
    public var breachAt: Date
    /// When an obligation still open is escalated to supervision (L3).
    public var superviseAt: Date
    /// The kind of clock: `calendar_days`, `working_days` or `working_hours`.
    public var calendar: String
}

/// An event's effect on obligations already open: which rule's obligations it answers, for which
/// key, from which owner (nil: whoever owes it).
public struct ObligationAnswer: Sendable, Hashable {
    /// The rule whose obligations are answered.
    public var ruleID: String
    /// The key the obligations must have.
    public var linkKey: String
    /// The owner the obligations must have, or nil for any owner.
    public var owner: String?
    /// Fulfilled (the work is done) or cancelled (it is no longer owed).
    public var outcome: Outcome

    /// Creates an answer.
    public init(ruleID: String, linkKey: String, owner: String?, outcome: Outcome) {
        self.ruleID = ruleID
        self.linkKey = linkKey
        self.owner = owner
        self.outcome = outcome
    }

    /// How an answered obligation ends.
    public enum Outcome: String, Sendable, Hashable {
        /// The owner did what was owed.
        case fulfilled
        /// It is no longer owed.
        case cancelled
    }
}

/// Turns events into obligation decisions with the rules and the deadline arithmetic. Pure: no
/// clock, no database; the caller passes the time the trigger counts from.
public struct ObligationPlanner: Sendable {
    /// The rules.
    public let rules: DeadlineRules
    /// Deadline arithmetic on the province's calendar.
    public let deadlines: DeadlineCalculator

    /// A planner for `rules` on `deadlines`.
    public init(rules: DeadlineRules, deadlines: DeadlineCalculator) {
        self.rules = rules
        self.deadlines = deadlines
    }

    /// The obligations `event` opens, one per rule and owner, with the clock started at `start`.
    public func openings(for event: CloudEvent, startingAt start: Date) throws(CalendarError) -> [ObligationOpening] {
        let data = event.data.objectValue ?? [:]
        var out: [ObligationOpening] = []
        // One obligation per owner, action and key: a later rule naming an owner an earlier rule
        // already named adds nothing.
        var seen: Set<String> = []
        for rule in rules.rules(openedBy: event.type) where Self.holds(rule.conditions, in: data) {
            guard let key = Self.text(data[rule.key]) else { continue }
            let (dueAt, calendar) = try due(rule, data: data, start: start)
            let breachAt = try rule.grace.map { grace throws(CalendarError) in try deadlines.due(openedAt: dueAt, within: grace) } ?? dueAt
            let superviseAt = try deadlines.due(openedAt: Self.dayOf(breachAt), within: rules.ladder.supervisionAfter)
            let warnAt = deadlines.warningPoint(openedAt: start, due: dueAt, fraction: rules.warningFraction)
            for owner in owners(rule, event: event, data: data) where seen.insert("\(rule.action)|\(owner)|\(key)").inserted {
                out.append(ObligationOpening(
                    ruleID: rule.id, action: rule.action, owner: owner, linkKey: key, openedAt: start, warnAt: warnAt,
                    dueAt: dueAt, breachAt: breachAt, superviseAt: superviseAt, calendar: calendar))
            }
        }
        return out
    }

    /// The open obligations `event` fulfils or cancels.
    public func answers(to event: CloudEvent) -> [ObligationAnswer] {
        let data = event.data.objectValue ?? [:]
        var out: [ObligationAnswer] = []
        for rule in rules.obligations {
            for (matches, outcome) in [(rule.fulfilledBy, ObligationAnswer.Outcome.fulfilled), (rule.cancelledBy, .cancelled)] {
                for match in matches where match.type == event.type && Self.holds(match.conditions, in: data) {
                    guard let key = Self.text(data[match.key]) else { continue }
                    let owner: String?
                    switch match.owner {
                    case .anyone: owner = nil
                    case .publisher: owner = Self.organisation(of: event) ?? "?"
                    case .field(let name): owner = Self.text(data[name]) ?? "?"
                    }
                    out.append(ObligationAnswer(ruleID: rule.id, linkKey: key, owner: owner, outcome: outcome))
                }
            }
        }
        return out
    }

    private func due(_ rule: ObligationRule, data: [String: JSONValue], start: Date) throws(CalendarError) -> (Date, String) {
        switch rule.due {
        case .fixed(let time): return (try deadlines.due(openedAt: start, within: time), Self.calendarName(time))
        case .bySeverity(let table, let fallback):
            let time = Self.text(data["severity"]).flatMap { table[$0] } ?? fallback
            return (try deadlines.due(openedAt: start, within: time), Self.calendarName(time))
        case .field(let name):
            // An absolute due time named by the trigger (validated as date-time by its schema).
            let given = Self.text(data[name]).flatMap(EventTime.parse) ?? start
            return (max(given, start), "calendar_days")
        }
    }

    private func owners(_ rule: ObligationRule, event: CloudEvent, data: [String: JSONValue]) -> [String] {
        switch rule.owners {
        case .organisation(let org): return [org]
        case .publisher: return Self.organisation(of: event).map { [$0] } ?? []
        case .field(let name):
            if case .array(let items)? = data[name] { return items.compactMap(Self.text) }
            return Self.text(data[name]).map { [$0] } ?? []
        case .items(let field, let org, let role, let roles):
            guard case .array(let items)? = data[field] else { return [] }
            return items.compactMap { item in
                let members = item.objectValue ?? [:]
                if let role, !roles.isEmpty, !roles.contains(Self.text(members[role]) ?? "") { return nil }
                return Self.text(members[org])
            }
        case .townshipOf(let name):
            guard let code = Self.text(data[name]).flatMap(Self.townshipCode) else { return [] }
            return ["township-" + code]
        case .duty(let name, let townshipField):
            guard case .array(let categories)? = data[name] else { return [] }
            let township = townshipField.flatMap { Self.text(data[$0]) }.flatMap(Self.townshipCode)
            return categories.compactMap(Self.text).flatMap { category -> [String] in
                guard let duty = rules.duty(for: category, township: township) else { return [] }
                return [duty.lead] + duty.co
            }
        }
    }

    /// The 9-digit township code of a division code of 9 or 12 digits or of a `township-…` id.
    static func townshipCode(_ text: String) -> String? {
        let code = text.hasPrefix("township-") ? String(text.dropFirst("township-".count)) : text
        guard code.count >= 9, code.allSatisfy(\.isNumber) else { return nil }
        return String(code.prefix(9))
    }

    /// The instant whose local day is the day a due time ends: a working-day due time is 24:00,
    /// which is the next day's 00:00, so "N working days after it" must count from the day before.
    static func dayOf(_ due: Date) -> Date { due.addingTimeInterval(-0.001) }

    /// The organisation id of a `/orgs/<id>` source.
    public static func organisation(of event: CloudEvent) -> String? { event.publishingOrganisation }

    static func holds(_ conditions: [String: [JSONScalar]], in data: [String: JSONValue]) -> Bool {
        conditions.allSatisfy { field, accepted in
            switch data[field] {
            case .string(let s)?: accepted.contains(.string(s))
            case .number(let n)?: accepted.contains(.number(n))
            case .bool(let b)?: accepted.contains(.bool(b))
            default: false
            }
        }
    }

    static func text(_ value: JSONValue?) -> String? {
        if case .string(let s)? = value, !s.isEmpty { return s }
        return nil
    }

    static func calendarName(_ time: ResponseTime) -> String {
        switch time {
        case .hours, .calendarDays: "calendar_days"
        case .workingDays: "working_days"
        case .workingHours: "working_hours"
        }
    }
}
