import BackstopCoordinator
import Foundation
import Testing

/// One due-time case: opened at `opened` (ISO 8601 with offset), answered `within`, in `zone`.
struct DueCase: Sendable, CustomTestStringConvertible {
    let name: String
    let opened: String
    let within: ResponseTime
    var zone = "Asia/Shanghai"
    let due: String

    var testDescription: String { "\(name): \(opened) + \(within) in \(zone) → \(due)" }

    /// Runs the case against the shipped Sichuan calendar (2026 and 2027).
    func check() throws {
        let calculator = DeadlineCalculator(calendar: try CalendarFixture.sichuan(), timeZone: try CalendarFixture.zone(zone))
        let actual = try calculator.due(openedAt: try CalendarFixture.instant(opened), within: within)
        #expect(actual == (try CalendarFixture.instant(due)), "got \(actual)")
    }
}

@Suite("Deadlines")
struct DeadlineTests {
    @Test("working days: due at 24:00 of the N-th working day after the opening day", arguments: [
        DueCase(name: "across a normal weekend", opened: "2026-03-05T10:00:00+08:00", within: .workingDays(2), due: "2026-03-10T00:00:00+08:00"),
        DueCase(name: "Friday morning", opened: "2026-03-06T09:00:00+08:00", within: .workingDays(1), due: "2026-03-10T00:00:00+08:00"),
        DueCase(name: "opened late on a Friday", opened: "2026-03-06T23:59:59+08:00", within: .workingDays(1), due: "2026-03-10T00:00:00+08:00"),
        DueCase(name: "opened at 00:00 on a Saturday", opened: "2026-03-07T00:00:00+08:00", within: .workingDays(1), due: "2026-03-10T00:00:00+08:00"),
        DueCase(name: "opened at 00:00 on a Monday: the day itself never counts", opened: "2026-03-09T00:00:00+08:00", within: .workingDays(1), due: "2026-03-11T00:00:00+08:00"),
        DueCase(name: "across Spring Festival 2026", opened: "2026-02-13T09:00:00+08:00", within: .workingDays(2), due: "2026-02-25T00:00:00+08:00"),
        DueCase(name: "adjusted working Saturday 14 Feb counts", opened: "2026-02-12T15:00:00+08:00", within: .workingDays(2), due: "2026-02-15T00:00:00+08:00"),
        DueCase(name: "opened on the adjusted Saturday", opened: "2026-02-14T10:00:00+08:00", within: .workingDays(1), due: "2026-02-25T00:00:00+08:00"),
        DueCase(name: "adjusted working Saturday 28 Feb counts", opened: "2026-02-27T10:00:00+08:00", within: .workingDays(1), due: "2026-03-01T00:00:00+08:00"),
        DueCase(name: "opened on a holiday (National Day)", opened: "2026-10-03T10:00:00+08:00", within: .workingDays(1), due: "2026-10-09T00:00:00+08:00"),
        DueCase(name: "opened on Labour Day, over the make-up Saturday", opened: "2026-05-01T08:00:00+08:00", within: .workingDays(5), due: "2026-05-12T00:00:00+08:00"),
        DueCase(name: "D12 complaint, 15 working days over National Day", opened: "2026-09-18T10:00:00+08:00", within: .workingDays(15), due: "2026-10-16T00:00:00+08:00"),
        DueCase(name: "year boundary into provisional 2027", opened: "2026-12-30T10:00:00+08:00", within: .workingDays(2), due: "2027-01-05T00:00:00+08:00"),
        DueCase(name: "provisional Spring Festival 2027", opened: "2027-02-04T10:00:00+08:00", within: .workingDays(1), due: "2027-02-10T00:00:00+08:00"),
        DueCase(name: "zero working days", opened: "2026-03-06T09:00:00+08:00", within: .workingDays(0), due: "2026-03-06T09:00:00+08:00"),
    ])
    func workingDays(_ check: DueCase) throws { try check.check() }

    @Test("working hours: only time inside working days counts", arguments: [
        DueCase(name: "skipping a weekend", opened: "2026-03-06T20:00:00+08:00", within: .workingHours(8), due: "2026-03-09T04:00:00+08:00"),
        DueCase(name: "ending exactly at 24:00 of a working day", opened: "2026-03-06T00:00:00+08:00", within: .workingHours(24), due: "2026-03-07T00:00:00+08:00"),
        DueCase(name: "a whole day then into Monday", opened: "2026-03-06T00:00:00+08:00", within: .workingHours(30), due: "2026-03-09T06:00:00+08:00"),
        DueCase(name: "opened on a Saturday", opened: "2026-03-07T10:00:00+08:00", within: .workingHours(2), due: "2026-03-09T02:00:00+08:00"),
        DueCase(name: "into the adjusted Saturday", opened: "2026-02-13T22:00:00+08:00", within: .workingHours(4), due: "2026-02-14T02:00:00+08:00"),
        DueCase(name: "opened on a holiday", opened: "2026-10-01T10:00:00+08:00", within: .workingHours(8), due: "2026-10-08T08:00:00+08:00"),
        DueCase(name: "P1 ack within a working day", opened: "2026-03-04T09:00:00+08:00", within: .workingHours(2), due: "2026-03-04T11:00:00+08:00"),
    ])
    func workingHours(_ check: DueCase) throws { try check.check() }

    @Test("hours and calendar days are elapsed time, unaffected by holidays", arguments: [
        DueCase(name: "2 h on an adjusted Saturday", opened: "2026-02-14T10:00:00+08:00", within: .hours(2), due: "2026-02-14T12:00:00+08:00"),
        DueCase(name: "2 h on a holiday", opened: "2026-02-15T10:00:00+08:00", within: .hours(2), due: "2026-02-15T12:00:00+08:00"),
        DueCase(name: "2 h over New Year's midnight", opened: "2026-12-31T23:00:00+08:00", within: .hours(2), due: "2027-01-01T01:00:00+08:00"),
        DueCase(name: "15 days over Spring Festival", opened: "2026-02-13T10:00:00+08:00", within: .calendarDays(15), due: "2026-02-28T10:00:00+08:00"),
        DueCase(name: "3 days into National Day", opened: "2026-09-30T08:00:00+08:00", within: .calendarDays(3), due: "2026-10-03T08:00:00+08:00"),
    ])
    func elapsed(_ check: DueCase) throws { try check.check() }

    @Test("other zones use their own local days", arguments: [
        DueCase(name: "UTC: Friday 20:00 is still Friday", opened: "2026-03-06T20:00:00Z", within: .workingDays(1), zone: "UTC", due: "2026-03-10T00:00:00Z"),
        DueCase(name: "Shanghai: the same instant is Saturday 04:00", opened: "2026-03-06T20:00:00Z", within: .workingDays(1), due: "2026-03-09T16:00:00Z"),
        DueCase(name: "UTC working hours", opened: "2026-03-06T20:00:00Z", within: .workingHours(8), zone: "UTC", due: "2026-03-09T04:00:00Z"),
        DueCase(name: "New York: due at local midnight after DST starts", opened: "2026-03-06T10:00:00-05:00", within: .workingDays(1), zone: "America/New_York", due: "2026-03-10T00:00:00-04:00"),
        DueCase(name: "New York: calendar days stay elapsed time across DST", opened: "2026-03-06T10:00:00-05:00", within: .calendarDays(4), zone: "America/New_York", due: "2026-03-10T11:00:00-04:00"),
        DueCase(name: "New York: working hours skip the 23-hour Sunday", opened: "2026-03-06T22:00:00-05:00", within: .workingHours(4), zone: "America/New_York", due: "2026-03-09T02:00:00-04:00"),
        DueCase(name: "New York: due at local midnight after DST ends", opened: "2026-10-30T12:00:00-04:00", within: .workingDays(1), zone: "America/New_York", due: "2026-11-03T00:00:00-05:00"),
    ])
    func zones(_ check: DueCase) throws { try check.check() }

    @Test("a working-day deadline that needs an uncovered year throws, naming it", arguments: [
        ResponseTime.workingDays(2), .workingHours(60),
    ])
    func missingYear(within: ResponseTime) throws {
        let calculator = DeadlineCalculator(calendar: try CalendarFixture.sichuan([2026]))
        let opened = try CalendarFixture.instant("2026-12-30T10:00:00+08:00")
        let error = #expect(throws: CalendarError.yearNotCovered(province: "51", year: 2027)) {
            try calculator.due(openedAt: opened, within: within)
        }
        #expect(error?.description.contains("year 2027") == true)
    }

    @Test("hours and calendar days never need the calendar")
    func elapsedNeedsNoCalendar() throws {
        let calculator = DeadlineCalculator(calendar: try WorkingCalendar(province: "51", years: []))
        let opened = try CalendarFixture.instant("2030-06-01T10:00:00+08:00")
        #expect(try calculator.due(openedAt: opened, within: .hours(2)) == opened + 7_200)
        #expect(try calculator.due(openedAt: opened, within: .calendarDays(15)) == opened + 15 * 86_400)
    }

    /// A pause case: opened Monday 2 March 2026 09:00 (+08:00), answer within 2 h (due 11:00 unpaused).
    struct PauseCase: Sendable, CustomTestStringConvertible {
        let name: String
        let pauses: [(String, String)]
        let due: String
        var testDescription: String { name }
    }

    @Test("pauses stop the clock", arguments: [
        PauseCase(name: "no pause", pauses: [], due: "11:00"),
        PauseCase(name: "one inside", pauses: [("09:30", "10:00")], due: "11:30"),
        PauseCase(name: "one after the due time", pauses: [("12:00", "13:00")], due: "11:00"),
        PauseCase(name: "one starting exactly at the due time", pauses: [("11:00", "12:00")], due: "11:00"),
        PauseCase(name: "inside and after", pauses: [("09:30", "10:00"), ("12:00", "13:00")], due: "11:30"),
        PauseCase(name: "one running across the due time counts in full", pauses: [("10:30", "12:00")], due: "12:30"),
        PauseCase(name: "a later pause before the pushed due time", pauses: [("09:30", "10:30"), ("11:30", "12:00")], due: "12:30"),
        PauseCase(name: "overlapping pauses count once", pauses: [("09:30", "10:30"), ("10:00", "11:00")], due: "12:30"),
        PauseCase(name: "overlapping, given out of order", pauses: [("10:00", "11:00"), ("09:30", "10:30")], due: "12:30"),
        PauseCase(name: "one nested in another", pauses: [("09:30", "11:00"), ("10:00", "10:15")], due: "12:30"),
        PauseCase(name: "begun before the opening: only the part after it", pauses: [("08:00", "09:30")], due: "11:30"),
        PauseCase(name: "wholly before the opening", pauses: [("07:00", "08:00")], due: "11:00"),
    ])
    func pauses(_ check: PauseCase) throws {
        let calculator = DeadlineCalculator(calendar: try CalendarFixture.sichuan())
        func at(_ time: String) throws -> Date { try CalendarFixture.instant("2026-03-02T\(time):00+08:00") }
        let pauses = try check.pauses.map { DateInterval(start: try at($0.0), end: try at($0.1)) }
        let due = try calculator.due(openedAt: try at("09:00"), within: .hours(2), pauses: pauses)
        #expect(due == (try at(check.due)), "got \(due)")
    }

    @Test("a pause pushes a working-day deadline back by its elapsed length")
    func pauseOnWorkingDays() throws {
        let calculator = DeadlineCalculator(calendar: try CalendarFixture.sichuan())
        let opened = try CalendarFixture.instant("2026-03-05T10:00:00+08:00")
        let pause = DateInterval(
            start: try CalendarFixture.instant("2026-03-06T00:00:00+08:00"),
            end: try CalendarFixture.instant("2026-03-07T00:00:00+08:00")
        )
        let due = try calculator.due(openedAt: opened, within: .workingDays(2), pauses: [pause])
        #expect(due == (try CalendarFixture.instant("2026-03-11T00:00:00+08:00")))
    }

    @Test("warning point is a fraction of the real interval", arguments: [
        ("2026-03-02T09:00:00+08:00", "2026-03-02T13:00:00+08:00", 0.75, "2026-03-02T12:00:00+08:00"),
        ("2026-02-13T09:00:00+08:00", "2026-02-25T00:00:00+08:00", 0.75, "2026-02-22T02:15:00+08:00"),
        ("2026-03-02T09:00:00+08:00", "2026-03-02T13:00:00+08:00", 0.0, "2026-03-02T09:00:00+08:00"),
        ("2026-03-02T09:00:00+08:00", "2026-03-02T13:00:00+08:00", 1.0, "2026-03-02T13:00:00+08:00"),
        ("2026-03-02T09:00:00+08:00", "2026-03-02T13:00:00+08:00", 1.5, "2026-03-02T13:00:00+08:00"),
        ("2026-03-02T09:00:00+08:00", "2026-03-02T13:00:00+08:00", -1.0, "2026-03-02T09:00:00+08:00"),
        ("2026-03-02T09:00:00+08:00", "2026-03-02T13:00:00+08:00", Double.nan, "2026-03-02T09:00:00+08:00"),
    ])
    func warningPoint(opened: String, due: String, fraction: Double, warning: String) throws {
        let calculator = DeadlineCalculator(calendar: try CalendarFixture.sichuan())
        let point = calculator.warningPoint(
            openedAt: try CalendarFixture.instant(opened), due: try CalendarFixture.instant(due), fraction: fraction
        )
        #expect(point == (try CalendarFixture.instant(warning)))
    }

    @Test("the default warning point is 75%")
    func defaultWarning() throws {
        let calculator = DeadlineCalculator(calendar: try CalendarFixture.sichuan())
        let opened = try CalendarFixture.instant("2026-03-02T09:00:00+08:00")
        #expect(calculator.warningPoint(openedAt: opened, due: opened + 4 * 3_600) == opened + 3 * 3_600)
        #expect(calculator.timeZone.identifier == "Asia/Shanghai")
    }
}

@Suite("Response times")
struct ResponseTimeTests {
    @Test("compact text form", arguments: [
        ("2h", ResponseTime.hours(2)), ("15d", .calendarDays(15)), ("2wd", .workingDays(2)),
        ("8wh", .workingHours(8)), ("0h", .hours(0)), ("120d", .calendarDays(120)),
    ])
    func parses(text: String, time: ResponseTime) {
        #expect(ResponseTime(text) == time)
        #expect(time.description == text)
    }

    @Test("rejects anything else", arguments: [
        "", "h", "2", "2 h", " 2h", "2h ", "-2h", "+2h", "2H", "2w", "2dw", "2.5h", "２h", "2hh", "wd2",
        "99999999999999999999h",
    ])
    func rejects(text: String) {
        #expect(ResponseTime(text) == nil)
    }
}
