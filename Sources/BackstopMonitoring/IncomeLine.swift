import BackstopCoordinator
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
    public var effectiveFrom: CalendarDate
    /// Yuan per person per year.
    public var amount: Double

    /// A line.
    public init(province: String, year: Int, effectiveFrom: CalendarDate, amount: Double) {
        self.province = province
        self.year = year
        self.effectiveFrom = effectiveFrom
        self.amount = amount
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
    public func line(province: String, on day: CalendarDate) -> IncomeLine? {
        lines[province]?.first { $0.effectiveFrom <= day }
    }
}
