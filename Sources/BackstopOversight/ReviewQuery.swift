import BackstopContracts
import Foundation

/// What a review covers: a period of whole days, optionally one township or one kind of
/// organisation, broken down by one grouping. Built from request parameters by
/// ``parse(from:to:township:kind:groupBy:today:timeZone:)``, which reports every bad one.
public struct ReviewQuery: Sendable, Hashable {
    /// First day of the period (00:00 local).
    public var from: Date
    /// The instant after the period's last day (00:00 local of the next day).
    public var to: Date
    /// One township's 9-digit code, or nil for the whole county.
    public var township: String?
    /// One kind of organisation, or nil for all.
    public var kind: OrganisationKind?
    /// The breakdown.
    public var grouping: ReviewGrouping
    /// Days the period spans.
    public var days: Int

    /// The longest period a review may span.
    public static let longestPeriod = 731
    /// The period when none is given: the 90 days up to today.
    public static let defaultPeriod = 90

    /// A query, checked: `from` and `to` are `YYYY-MM-DD` days in `timeZone` (`to` inclusive,
    /// default today; `from` default 89 days before `to`), `township` a 9-digit code, `kind` an
    /// organisation kind, `groupBy` a grouping (default: organisation). Throws every problem at once.
    public static func parse(from: String?, to: String?, township: String?, kind: String?, groupBy: String?,
                             today: Date = Date(), timeZone: TimeZone) throws(InvalidReviewQuery) -> ReviewQuery {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var problems: [ContractViolation] = []
        func day(_ text: String?, _ field: String) -> Date? {
            guard let text else { return nil }
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard text.count == 10, parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
                  let date = calendar.date(from: DateComponents(year: y, month: m, day: d)),
                  calendar.component(.day, from: date) == d, calendar.component(.month, from: date) == m else {
                problems.append(ContractViolation(field: field, message: "must be a day as YYYY-MM-DD"))
                return nil
            }
            return date
        }
        let lastDay = day(to, "to") ?? calendar.startOfDay(for: today)
        let firstDay = day(from, "from") ?? calendar.date(byAdding: .day, value: -(defaultPeriod - 1), to: lastDay)!
        let end = calendar.date(byAdding: .day, value: 1, to: lastDay)!
        let days = calendar.dateComponents([.day], from: firstDay, to: end).day ?? 0
        if problems.isEmpty {
            if days < 1 { problems.append(ContractViolation(field: "from", message: "must not be after to")) }
            else if days > longestPeriod { problems.append(ContractViolation(field: "from", message: "the period may span at most \(longestPeriod) days")) }
        }
        if let township, !(township.count == 9 && township.allSatisfy(\.isASCIIDigit)) {
            problems.append(ContractViolation(field: "township", message: "must be a 9-digit township code"))
        }
        var organisationKind: OrganisationKind?
        if let kind {
            organisationKind = OrganisationKind(rawValue: kind)
            if organisationKind == nil {
                problems.append(ContractViolation(field: "kind", message: "must be one of \(OrganisationKind.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
        }
        var grouping = ReviewGrouping.organisation
        if let groupBy {
            if let g = ReviewGrouping(rawValue: groupBy) { grouping = g } else {
                problems.append(ContractViolation(field: "group_by", message: "must be one of \(ReviewGrouping.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
        }
        guard problems.isEmpty else { throw InvalidReviewQuery(problems: problems) }
        return ReviewQuery(from: firstDay, to: end, township: township, kind: organisationKind, grouping: grouping, days: days)
    }

    /// A query over `[from, to)` (for callers that already hold instants).
    public init(from: Date, to: Date, township: String? = nil, kind: OrganisationKind? = nil, grouping: ReviewGrouping = .organisation) {
        self.init(from: from, to: to, township: township, kind: kind, grouping: grouping,
                  days: max(1, Int((to.timeIntervalSince(from) / 86_400).rounded(.up))))
    }

    private init(from: Date, to: Date, township: String?, kind: OrganisationKind?, grouping: ReviewGrouping, days: Int) {
        self.from = from
        self.to = to
        self.township = township
        self.kind = kind
        self.grouping = grouping
        self.days = days
    }

    /// The same query broken down by `grouping`.
    public func grouped(by grouping: ReviewGrouping) -> ReviewQuery {
        var copy = self
        copy.grouping = grouping
        return copy
    }
}

/// A review asked for with bad parameters; `problems` names each offending one.
public struct InvalidReviewQuery: Error, Sendable, Hashable {
    /// What is wrong, per parameter.
    public var problems: [ContractViolation]
}
