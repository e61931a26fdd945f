/// How long an obligation has to be answered, as written in rules files: `2h`, `15d`, `2wd`, `8wh`.
///
/// ``DeadlineCalculator/due(openedAt:within:pauses:)`` turns it into an instant; each case documents
/// its exact meaning there. A count of zero means due at the opening instant.
public enum ResponseTime: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    /// `Nh`: N hours of elapsed (clock) time, whatever the day or the hour; N × 3600 s.
    case hours(Int)
    /// `Nd`: N calendar days as elapsed time, N × 24 h; holidays, weekends and daylight-saving changes
    /// do not matter (across a DST change the local clock time of the due instant moves by the shift).
    case calendarDays(Int)
    /// `Nwd`: due at the end (24:00 local) of the N-th working day after the day the obligation was
    /// opened on. The opening day never counts, whatever the hour and whether or not it is a working day.
    case workingDays(Int)
    /// `Nwh`: N hours of clock time that elapse only during working days (each a whole local day,
    /// 00:00–24:00); time on non-working days does not count. Due at the instant the N-th hour is used up.
    case workingHours(Int)

    /// Parses the compact form: a whole number of ASCII digits (no sign, no spaces) followed by `h`,
    /// `d`, `wd` or `wh`, for example `2h`, `15d`, `2wd`, `8wh`. Returns nil for anything else.
    public init?(_ text: String) {
        let digits = text.prefix { ("0"..."9").contains($0) }
        guard !digits.isEmpty, let count = Int(digits) else { return nil }
        switch text.dropFirst(digits.count) {
        case "h": self = .hours(count)
        case "d": self = .calendarDays(count)
        case "wd": self = .workingDays(count)
        case "wh": self = .workingHours(count)
        default: return nil
        }
    }

    /// The count, in the case's unit.
    public var count: Int {
        switch self {
        case .hours(let n), .calendarDays(let n), .workingDays(let n), .workingHours(let n): n
        }
    }

    /// The compact form that ``init(_:)`` reads: `2h`, `15d`, `2wd`, `8wh`.
    public var description: String {
        switch self {
        case .hours(let n): "\(n)h"
        case .calendarDays(let n): "\(n)d"
        case .workingDays(let n): "\(n)wd"
        case .workingHours(let n): "\(n)wh"
        }
    }
}

extension ResponseTime {
    /// The length in seconds of a clock-time response time (hours or calendar days); nil for
    /// working time, whose length depends on the calendar.
    public var seconds: Double? {
        switch self {
        case .hours(let n): Double(n) * 3600
        case .calendarDays(let n): Double(n) * 86_400
        case .workingDays, .workingHours: nil
        }
    }
}
