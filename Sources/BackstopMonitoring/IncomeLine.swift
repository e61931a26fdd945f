import Foundation

/// The monitoring income line (yuan per person per year), which provinces set each year from an
/// effective date (domain brief §2.2). Never a constant: a record is screened against the line in
/// force for its province on the last day of its period.
public struct IncomeLine: Sendable, Hashable {
    /// The 2-digit province code.
    public var province: String
    /// The year the line is set for.
    public var year: Int
    /// The first day it applies (a calendar date in the rules' time zone).
    public var effectiveFrom: CalendarDay
    /// Yuan per person per year.
    public var amount: Double

    /// A line.
    public init(province: String, year: Int, effectiveFrom: CalendarDay, amount: Double) {
        self.province = province
        self.year = year
        self.effectiveFrom = effectiveFrom
        self.amount = amount
    }
}

/// A calendar date without a time (year, month, day), ordered.
public struct CalendarDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Year.
    public var year: Int
    /// Month, 1–12.
    public var month: Int
    /// Day, 1–31.
    public var day: Int

    /// A date; nil unless it exists in the Gregorian calendar.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), (1...Self.days(inMonth: month, year: year)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Days in a month of a year.
    public static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public static func < (a: CalendarDay, b: CalendarDay) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    public var description: String {
        "\(year)-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"
    }
}

/// The income lines of one or more provinces.
public struct IncomeLineTable: Sendable, Hashable {
    /// The lines, by province, newest effective date first.
    private var lines: [String: [IncomeLine]]

    /// A table of `lines`.
    public init(_ lines: [IncomeLine]) {
        self.lines = Dictionary(grouping: lines, by: \.province).mapValues { $0.sorted { $0.effectiveFrom > $1.effectiveFrom } }
    }

    /// The line in force in `province` on `day`, or nil when none had taken effect yet.
    public func line(province: String, on day: CalendarDay) -> IncomeLine? {
        lines[province]?.first { $0.effectiveFrom <= day }
    }
}
