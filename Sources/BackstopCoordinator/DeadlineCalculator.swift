import Foundation

/// Turns an opening instant and a ``ResponseTime`` into a due instant, using a province's
/// ``WorkingCalendar`` and the time zone whose local days the calendar's dates mean.
///
/// Pure: it reads no clock; the caller passes every instant.
public struct DeadlineCalculator: Sendable {
    /// The working-day calendar used for ``ResponseTime/workingDays(_:)`` and ``ResponseTime/workingHours(_:)``.
    public let calendar: WorkingCalendar
    /// The zone whose local days (00:00–24:00) the calendar's dates denote.
    public let timeZone: TimeZone

    /// China Standard Time, the default zone.
    public static let shanghai = TimeZone(identifier: "Asia/Shanghai") ?? TimeZone(secondsFromGMT: 8 * 3600) ?? .gmt

    /// A calculator for `calendar` in `timeZone` (Asia/Shanghai unless given).
    public init(calendar: WorkingCalendar, timeZone: TimeZone = DeadlineCalculator.shanghai) {
        self.calendar = calendar
        self.timeZone = timeZone
    }

    /// The instant an obligation opened at `openedAt` is due when it must be answered `within`.
    ///
    /// Without pauses (the local day of an instant is its date in ``timeZone``):
    /// - ``ResponseTime/hours(_:)`` N: `openedAt` + N × 3600 s.
    /// - ``ResponseTime/calendarDays(_:)`` N: `openedAt` + N × 86 400 s (elapsed time; holidays and
    ///   daylight-saving changes play no part).
    /// - ``ResponseTime/workingDays(_:)`` N: the start of the local day after the N-th working day
    ///   strictly after the local day of `openedAt` (that is, 24:00 of that working day). The opening day
    ///   never counts, whatever the hour and whether or not it is a working day.
    /// - ``ResponseTime/workingHours(_:)`` N: walking forward from `openedAt`, only time inside working
    ///   days (whole local days, 00:00–24:00, however long the zone makes them) counts; due when N × 3600 s
    ///   have counted. If the last hour ends exactly at 24:00 of a working day, that is the due instant.
    /// - A count of zero or less: `openedAt`.
    ///
    /// Pauses (approved clock stops) then push the due instant back. Overlapping or touching pauses are
    /// merged first, and the part of a pause before `openedAt` is ignored. Taking the merged pauses in time
    /// order, each one that starts before the due instant as pushed so far pushes it back by the pause's
    /// length; one starting at or after it does not. This stops the clock: the result is the instant at
    /// which the unpaused time since `openedAt` equals the unpaused allowance (a pause running across the
    /// original due instant counts in full, since the clock is still stopped there). Pauses shift the due
    /// instant by elapsed time for every kind of ``ResponseTime``.
    ///
    /// Throws ``CalendarError/yearNotCovered(province:year:)`` when working days or hours need a day whose
    /// year the calendar does not cover.
    public func due(openedAt: Date, within: ResponseTime, pauses: [DateInterval] = []) throws(CalendarError) -> Date {
        let unpaused = try dueIgnoringPauses(openedAt: openedAt, within: within)
        var due = unpaused
        for pause in Self.merged(pauses, from: openedAt) where pause.start < due {
            due += pause.duration
        }
        return due
    }

    /// The instant at which `fraction` of the real time from `openedAt` to `due` has elapsed:
    /// `openedAt + fraction × (due − openedAt)`. `fraction` is clamped to 0…1 (NaN counts as 0); the
    /// default 0.75 is the L1 (yellow) reminder point.
    public func warningPoint(openedAt: Date, due: Date, fraction: Double = 0.75) -> Date {
        let clamped = fraction.isNaN ? 0 : min(max(fraction, 0), 1)
        return openedAt + clamped * due.timeIntervalSince(openedAt)
    }

    /// The due instant before pauses (see ``due(openedAt:within:pauses:)``).
    private func dueIgnoringPauses(openedAt: Date, within: ResponseTime) throws(CalendarError) -> Date {
        guard within.count > 0 else { return openedAt }
        let count = within.count
        switch within {
        case .hours:
            return openedAt + Double(count) * 3_600
        case .calendarDays:
            return openedAt + Double(count) * 86_400
        case .workingDays:
            var day = CalendarDate(containing: openedAt, in: timeZone)
            var counted = 0
            while counted < count {
                day = day.next
                if try calendar.isWorkingDay(day) { counted += 1 }
            }
            return day.next.startOfDay(in: timeZone)
        case .workingHours:
            var remaining = Double(count) * 3_600
            var day = CalendarDate(containing: openedAt, in: timeZone)
            var position = openedAt
            while true {
                let end = day.next.startOfDay(in: timeZone)
                if try calendar.isWorkingDay(day) {
                    let available = end.timeIntervalSince(position)
                    if remaining <= available { return position + remaining }
                    remaining -= available
                }
                position = end
                day = day.next
            }
        }
    }

    /// `pauses` clipped to start no earlier than `start`, empty ones dropped, sorted, and overlapping or
    /// touching ones merged.
    private static func merged(_ pauses: [DateInterval], from start: Date) -> [DateInterval] {
        let clipped = pauses
            .compactMap { pause -> DateInterval? in
                let begin = max(pause.start, start)
                return pause.end > begin ? DateInterval(start: begin, end: pause.end) : nil
            }
            .sorted { $0.start < $1.start }
        var out: [DateInterval] = []
        for pause in clipped {
            if let last = out.last, pause.start <= last.end {
                out[out.count - 1] = DateInterval(start: last.start, end: max(last.end, pause.end))
            } else {
                out.append(pause)
            }
        }
        return out
    }
}
