import BackstopCoordinator

/// A screening rule that fired for a record.
public struct ScreeningHit: Sendable, Hashable {
    /// The rule.
    public var rule: ScreeningRule
    /// Whether the value was also beyond the rule's upper tier.
    public var far: Bool

    /// The band the clue carries instead of the value.
    public var band: String { far ? "far_above_threshold" : "above_threshold" }
}

/// Applies the screening rules to records. Pure: the same record always gives the same hits.
public struct Screener: Sendable {
    /// The rules.
    public let rules: ScreeningRules

    /// A screener for `rules`.
    public init(rules: ScreeningRules) { self.rules = rules }

    /// The rules `record` fires, in file order. A rule comparing with the income line fires only
    /// when a line is in force for the record's province at the end of its period; ``missingLine(for:)``
    /// says when there is none.
    public func hits(_ record: IndicatorRecord) -> [ScreeningHit] {
        var out: [ScreeningHit] = []
        for rule in rules.rules(for: record.indicator) where rule.populations.isEmpty || rule.populations.contains(record.population) {
            switch rule.condition {
            case .atLeast(let threshold, let far):
                if record.value >= threshold { out.append(ScreeningHit(rule: rule, far: far.map { record.value >= $0 } ?? false)) }
            case .belowIncomeLine(let factor, let farFactor):
                guard let line = incomeLine(for: record) else { continue }
                if record.value < factor * line.amount {
                    out.append(ScreeningHit(rule: rule, far: farFactor.map { record.value < $0 * line.amount } ?? false))
                }
            }
        }
        return out
    }

    /// A problem when a rule of the record's indicator needs the income line and none is in force
    /// for its province at the end of its period (the push cannot be screened).
    public func missingLine(for record: IndicatorRecord) -> String? {
        let needsLine = rules.rules(for: record.indicator).contains {
            if case .belowIncomeLine = $0.condition { return true }
            return false
        }
        guard needsLine, incomeLine(for: record) == nil else { return nil }
        let day = PushPeriod(record.period)?.lastDay.description ?? record.period
        return "no monitoring income line is in force for province \(record.locationCode.prefix(2)) on \(day); add it to the screening rules"
    }

    private func incomeLine(for record: IndicatorRecord) -> IncomeLine? {
        guard let period = PushPeriod(record.period) else { return nil }
        return rules.incomeLines.line(province: String(record.locationCode.prefix(2)), on: period.lastDay)
    }
}

/// A push's period: a month (`YYYY-MM`) or a year (`YYYY`).
public struct PushPeriod: Sendable, Hashable, CustomStringConvertible {
    /// The year.
    public var year: Int
    /// The month, or nil for a whole year.
    public var month: Int?

    /// Parses `YYYY-MM` or `YYYY` (years 2000–2099).
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts[0].count == 4, parts[0].allSatisfy(\.isASCII), let y = Int(parts[0]), (2000...2099).contains(y) else { return nil }
        year = y
        switch parts.count {
        case 1: month = nil
        case 2:
            guard parts[1].count == 2, let m = Int(parts[1]), (1...12).contains(m) else { return nil }
            month = m
        default: return nil
        }
    }

    /// The last day of the period.
    public var lastDay: CalendarDate {
        let m = month ?? 12
        return CalendarDate(year: year, month: m, day: CalendarDate.daysIn(month: m, year: year))!
    }

    public var description: String { month.map { "\(year)-\($0 < 10 ? "0" : "")\($0)" } ?? "\(year)" }
}
