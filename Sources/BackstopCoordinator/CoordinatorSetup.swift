import Foundation

/// Rules and calendars, loaded and checked together: what the coordinator needs to start, and
/// what `backstop rules check` reports.
public struct CoordinatorSetup: Sendable {
    /// The rules.
    public var rules: DeadlineRules
    /// The province's working-day calendar for the years deadlines can reach.
    public var calendar: WorkingCalendar
    /// Things to know that do not stop the start (a provisional calendar year).
    public var warnings: [String]

    /// Loads `rulesFile` and the calendars of `year` and the next year (deadlines opened late in a
    /// year fall due in the next). A missing calendar year is an error, never an assumption.
    public static func load(rulesFile: URL, year: Int) throws -> CoordinatorSetup {
        let rules = try RulesFile.load(rulesFile)
        let calendar = try WorkingCalendar.load(directory: rules.calendarDirectory, province: rules.province, years: [year, year + 1])
        var warnings: [String] = []
        for (number, calendarYear) in calendar.years.sorted(by: { $0.key < $1.key }) where calendarYear.provisional {
            warnings.append("the \(number) working-day calendar of province \(rules.province) is provisional (\(calendarYear.source)); replace it with the official schedule when it is published")
        }
        return CoordinatorSetup(rules: rules, calendar: calendar, warnings: warnings)
    }

    /// The current year in the rules' time zone.
    public static func currentYear(in timeZone: TimeZone, at date: Date = Date()) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.component(.year, from: date)
    }
}
