import Foundation

/// A day in the proleptic Gregorian calendar, with no time of day and no time zone.
///
/// Working-day calendars and deadlines count in these days; ``init(containing:in:)`` and
/// ``startOfDay(in:)`` convert to and from instants in a given time zone.
public struct CalendarDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The year, for example 2026.
    public let year: Int
    /// The month, 1 (January) to 12 (December).
    public let month: Int
    /// The day of the month, 1 to 28, 29, 30 or 31 as the month allows.
    public let day: Int

    /// A day of the week, numbered as in ISO 8601 (Monday is 1, Sunday is 7).
    public enum Weekday: Int, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// Monday (1).
        case monday = 1
        /// Tuesday (2).
        case tuesday
        /// Wednesday (3).
        case wednesday
        /// Thursday (4).
        case thursday
        /// Friday (5).
        case friday
        /// Saturday (6).
        case saturday
        /// Sunday (7).
        case sunday

        /// True for Saturday and Sunday.
        public var isWeekend: Bool { self == .saturday || self == .sunday }

        /// The English name, capitalised ("Monday").
        public var description: String {
            switch self {
            case .monday: "Monday"
            case .tuesday: "Tuesday"
            case .wednesday: "Wednesday"
            case .thursday: "Thursday"
            case .friday: "Friday"
            case .saturday: "Saturday"
            case .sunday: "Sunday"
            }
        }
    }

    /// The date with these parts, or nil when the month is not 1–12 or the day does not exist in
    /// that month (leap years follow the Gregorian rule).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD` exactly: a four-digit year 0001–9999, two-digit month and day, ASCII digits
    /// only, no surrounding spaces. Returns nil for anything else, including days that do not exist
    /// (`2026-02-29`).
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), year >= 1, let month = number(5..<7), let day = number(8..<10) else {
            return nil
        }
        self.init(year: year, month: month, day: day)
    }

    /// The date `daysSinceEpoch` days after 1970-01-01 (negative counts go back before it).
    public init(daysSinceEpoch: Int) {
        // Howard Hinnant's civil_from_days: eras of 400 years starting on 1 March.
        let shifted = daysSinceEpoch + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        self.year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.month = month
        self.day = day
    }

    /// The local date, in `timeZone`, of the instant `instant` (the zone's UTC offset at that instant,
    /// daylight saving included, decides the day).
    public init(containing instant: Date, in timeZone: TimeZone) {
        let offset = Double(timeZone.secondsFromGMT(for: instant))
        let localSeconds = instant.timeIntervalSince1970 + offset
        self.init(daysSinceEpoch: Int((localSeconds / 86_400).rounded(.down)))
    }

    /// The number of days from 1970-01-01 to this date (negative before it).
    public var daysSinceEpoch: Int {
        // Howard Hinnant's days_from_civil.
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The day of the week.
    public var weekday: Weekday {
        // 1970-01-01 was a Thursday (ISO 4).
        let index = ((daysSinceEpoch % 7) + 7 + 3) % 7  // 0 = Monday
        return Weekday(rawValue: index + 1) ?? .monday  // index is 0...6, so the fallback never applies
    }

    /// True for Saturdays and Sundays.
    public var isWeekend: Bool { weekday.isWeekend }

    /// The date `days` days later (earlier for a negative count).
    public func adding(days: Int) -> CalendarDate {
        CalendarDate(daysSinceEpoch: daysSinceEpoch + days)
    }

    /// The day after this one.
    public var next: CalendarDate { adding(days: 1) }

    /// The first instant of this day in `timeZone`: local midnight, or, where a daylight-saving change
    /// skips midnight, the first local time that exists on this day. The next day's start is this day's
    /// end (24:00), so a local day may last 23, 24 or 25 hours.
    public func startOfDay(in timeZone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        // Local noon of this day, found from the offset at UTC noon; no zone shifts by 12 hours, so
        // the instant lies within this local day and the calendar can find its first moment.
        let utcNoon = Double(daysSinceEpoch) * 86_400 + 43_200
        let offset = Double(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: utcNoon)))
        return calendar.startOfDay(for: Date(timeIntervalSince1970: utcNoon - offset))
    }

    /// `YYYY-MM-DD`, zero-padded (years beyond 9999 print all their digits).
    public var description: String {
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
    }

    /// Earlier dates sort first.
    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// True when `year` has 29 February in the Gregorian calendar.
    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// How many days `month` (1–12) has in `year`; 0 for a month outside 1–12.
    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 1, 3, 5, 7, 8, 10, 12: 31
        case 4, 6, 9, 11: 30
        case 2: isLeapYear(year) ? 29 : 28
        default: 0
        }
    }
}
