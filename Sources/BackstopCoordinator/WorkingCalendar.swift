import Foundation

/// One year of a province's official holiday schedule: which days are off and which weekend days are
/// worked instead (调休).
public struct CalendarYear: Sendable, Hashable {
    /// The Gregorian year this schedule covers; every date in it lies in this year.
    public let year: Int
    /// Days off: holidays that would otherwise be working days, and (optionally) the weekend days
    /// inside a holiday block. A listed day is never a working day.
    public let holidays: Set<CalendarDate>
    /// Saturdays and Sundays that are working days (调休 make-up days). Never overlaps ``holidays``.
    public let adjustedWorkingDays: Set<CalendarDate>
    /// True when this is not the official schedule (for example statutory holidays only, before the
    /// State Council publishes the year's arrangement); it must be replaced when that is published.
    public let provisional: Bool
    /// Where the schedule comes from, for example the State Council notice.
    public let source: String

    /// A year's schedule. Throws ``CalendarError/invalidYear(year:problem:)`` when a date lies outside
    /// `year`, a day is both a holiday and an adjusted working day, or an adjusted working day is not a
    /// Saturday or Sunday.
    public init(
        year: Int,
        holidays: Set<CalendarDate>,
        adjustedWorkingDays: Set<CalendarDate>,
        provisional: Bool,
        source: String
    ) throws(CalendarError) {
        for date in holidays.union(adjustedWorkingDays).sorted() where date.year != year {
            throw .invalidYear(year: year, problem: "\(date) is not in \(year)")
        }
        if let both = holidays.intersection(adjustedWorkingDays).min() {
            throw .invalidYear(year: year, problem: "\(both) is both a holiday and an adjusted working day")
        }
        if let weekday = adjustedWorkingDays.filter({ !$0.isWeekend }).min() {
            throw .invalidYear(
                year: year,
                problem: "adjusted working day \(weekday) is a \(weekday.weekday), not a Saturday or Sunday"
            )
        }
        self.year = year
        self.holidays = holidays
        self.adjustedWorkingDays = adjustedWorkingDays
        self.provisional = provisional
        self.source = source
    }

    /// Whether `date` (which must lie in ``year``) is a working day: listed holidays are not, adjusted
    /// working days are, otherwise Monday to Friday are and Saturday and Sunday are not.
    func isWorkingDay(_ date: CalendarDate) -> Bool {
        if holidays.contains(date) { return false }
        if adjustedWorkingDays.contains(date) { return true }
        return !date.isWeekend
    }
}

/// A province's working-day calendar: one ``CalendarYear`` per covered year. Asking about a year it
/// does not cover throws; a missing year is never filled in with plain weekends.
public struct WorkingCalendar: Sendable {
    /// The province's administrative code, for example "51" for Sichuan.
    public let province: String
    /// The covered years, by year.
    public let years: [Int: CalendarYear]

    /// A calendar for `province` from its years. Throws ``CalendarError/duplicateYear(province:year:)``
    /// when two schedules cover the same year.
    public init(province: String, years: [CalendarYear]) throws(CalendarError) {
        var byYear: [Int: CalendarYear] = [:]
        for calendarYear in years {
            guard byYear[calendarYear.year] == nil else {
                throw .duplicateYear(province: province, year: calendarYear.year)
            }
            byYear[calendarYear.year] = calendarYear
        }
        self.province = province
        self.years = byYear
    }

    /// The schedule for `year`, or ``CalendarError/yearNotCovered(province:year:)`` when there is none.
    public func calendarYear(_ year: Int) throws(CalendarError) -> CalendarYear {
        guard let calendarYear = years[year] else { throw .yearNotCovered(province: province, year: year) }
        return calendarYear
    }

    /// Whether `date` is a working day in this province: false for a listed holiday, true for an
    /// adjusted working day (调休), otherwise true Monday to Friday and false on Saturday and Sunday.
    /// Throws ``CalendarError/yearNotCovered(province:year:)`` when the date's year is not covered.
    public func isWorkingDay(_ date: CalendarDate) throws(CalendarError) -> Bool {
        try calendarYear(date.year).isWorkingDay(date)
    }

    /// Whether `date` falls in a year whose schedule is provisional (not yet the official one).
    /// Throws ``CalendarError/yearNotCovered(province:year:)`` when the date's year is not covered.
    public func isProvisional(_ date: CalendarDate) throws(CalendarError) -> Bool {
        try calendarYear(date.year).provisional
    }
}

/// Why a working-day calendar could not be built or could not answer.
public enum CalendarError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The calendar of `province` has no schedule for `year` (its file was not loaded or does not exist).
    case yearNotCovered(province: String, year: Int)
    /// Two schedules for the same year were given for `province`.
    case duplicateYear(province: String, year: Int)
    /// A year's schedule contradicts itself (see ``CalendarYear/init(year:holidays:adjustedWorkingDays:provisional:source:)``).
    case invalidYear(year: Int, problem: String)
    /// The calendar file for `province` and `year` does not exist at `path`.
    case missingFile(path: String, province: String, year: Int)
    /// The calendar file at `path` could not be read (permissions, not UTF-8, …).
    case unreadableFile(path: String, reason: String)
    /// The calendar file at `path` is wrong at `line` (1-based).
    case invalidFile(path: String, line: Int, problem: String)
    /// `province` cannot name a calendar folder (empty, or containing a path separator or "..").
    case invalidProvince(String)

    /// One line naming the province, year, file and line concerned.
    public var description: String {
        switch self {
        case .yearNotCovered(let province, let year):
            "the working-day calendar of province \(province) has no year \(year): add the calendar file "
                + "\(province)/\(year).yaml and load it"
        case .duplicateYear(let province, let year):
            "the working-day calendar of province \(province) was given year \(year) twice"
        case .invalidYear(let year, let problem):
            "calendar year \(year): \(problem)"
        case .missingFile(let path, let province, let year):
            "\(path): no working-day calendar for province \(province), year \(year) (the file does not exist)"
        case .unreadableFile(let path, let reason):
            "\(path): cannot read the calendar file: \(reason)"
        case .invalidFile(let path, let line, let problem):
            "\(path):\(line): \(problem)"
        case .invalidProvince(let province):
            "'\(province)' is not a province code that can name a calendar folder"
        }
    }
}
