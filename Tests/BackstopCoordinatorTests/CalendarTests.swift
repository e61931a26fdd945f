import BackstopCoordinator
import Foundation
import Testing

/// The real calendar files in `Ops/calendars`, and instants written as ISO 8601 text.
enum CalendarFixture {
    /// The package root, found from this file's path (`<root>/Tests/BackstopCoordinatorTests/…`).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Ops/calendars` in the package.
    static let calendars = packageRoot.appendingPathComponent("Ops/calendars", isDirectory: true)

    /// Sichuan's calendar for `years`, loaded from the shipped files.
    static func sichuan(_ years: [Int] = [2026, 2027]) throws -> WorkingCalendar {
        try WorkingCalendar.load(directory: calendars, province: "51", years: years)
    }

    /// The instant written `text` in ISO 8601 with an offset, e.g. `2026-03-05T10:00:00+08:00`.
    static func instant(_ text: String) throws -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return try #require(formatter.date(from: text), "not an ISO 8601 instant: \(text)")
    }

    /// The zone named `identifier`, which the test machine must know.
    static func zone(_ identifier: String) throws -> TimeZone {
        try #require(TimeZone(identifier: identifier), "unknown time zone \(identifier)")
    }

    /// The date written `text` (YYYY-MM-DD).
    static func date(_ text: String) throws -> CalendarDate {
        try #require(CalendarDate(text), "not a date: \(text)")
    }
}

@Suite("Calendar dates")
struct CalendarDateTests {
    @Test("YYYY-MM-DD parses only real days", arguments: [
        ("2026-02-28", true), ("2026-02-29", false), ("2024-02-29", true), ("2000-02-29", true),
        ("2100-02-29", false), ("2026-04-31", false), ("2026-12-31", true), ("2026-13-01", false),
        ("2026-00-10", false), ("2026-01-00", false), ("0000-01-01", false), ("0001-01-01", true),
        ("2026-1-01", false), ("26-01-01", false), (" 2026-01-01", false), ("2026-01-01 ", false),
        ("2026/01/01", false), ("2026-01-01T00:00", false), ("２０２６-01-01", false), ("", false),
        ("+026-01-01", false), ("-026-01-01", false),
    ])
    func parsing(text: String, valid: Bool) {
        let date = CalendarDate(text)
        #expect((date != nil) == valid)
        if let date { #expect(date.description == text) }
    }

    @Test("weekday", arguments: [
        ("1970-01-01", CalendarDate.Weekday.thursday), ("2000-01-01", .saturday), ("2026-01-01", .thursday),
        ("2026-02-14", .saturday), ("2026-03-08", .sunday), ("2026-10-10", .saturday), ("2027-01-04", .monday),
        ("1900-01-01", .monday), ("1969-12-31", .wednesday), ("2024-02-29", .thursday),
    ])
    func weekday(text: String, weekday: CalendarDate.Weekday) throws {
        let date = try CalendarFixture.date(text)
        #expect(date.weekday == weekday)
        #expect(date.isWeekend == (weekday == .saturday || weekday == .sunday))
    }

    @Test("adding days", arguments: [
        ("2026-12-31", 1, "2027-01-01"), ("2024-02-28", 1, "2024-02-29"), ("2026-02-28", 1, "2026-03-01"),
        ("2026-03-01", -1, "2026-02-28"), ("2000-02-28", 1, "2000-02-29"), ("1900-02-28", 1, "1900-03-01"),
        ("2026-01-01", 365, "2027-01-01"), ("2024-01-01", 366, "2025-01-01"), ("1970-01-01", -1, "1969-12-31"),
        ("2026-02-13", 0, "2026-02-13"),
    ])
    func adding(start: String, days: Int, end: String) throws {
        #expect(try CalendarFixture.date(start).adding(days: days) == CalendarFixture.date(end))
    }

    @Test("day numbers agree with Foundation's Gregorian calendar from 1900 to 2100")
    func agreesWithFoundation() throws {
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = try CalendarFixture.zone("UTC")
        var date = try CalendarFixture.date("1900-01-01")
        let last = try CalendarFixture.date("2100-12-31")
        while date <= last {
            let instant = Date(timeIntervalSince1970: Double(date.daysSinceEpoch) * 86_400)
            let parts = gregorian.dateComponents([.year, .month, .day, .weekday], from: instant)
            #expect(parts.year == date.year && parts.month == date.month && parts.day == date.day, "\(date)")
            #expect(parts.weekday.map { ($0 + 5) % 7 + 1 } == date.weekday.rawValue, "\(date)")
            #expect(CalendarDate(daysSinceEpoch: date.daysSinceEpoch) == date)
            date = date.next
        }
    }

    @Test("ordering")
    func ordering() throws {
        let dates = try ["2026-02-01", "2025-12-31", "2026-01-31", "2026-01-04"].map(CalendarFixture.date)
        #expect(dates.sorted().map(\.description) == ["2025-12-31", "2026-01-04", "2026-01-31", "2026-02-01"])
    }

    @Test("the local day of an instant depends on the zone", arguments: [
        ("2026-03-06T20:00:00Z", "Asia/Shanghai", "2026-03-07"),
        ("2026-03-06T20:00:00Z", "UTC", "2026-03-06"),
        ("2026-03-06T20:00:00Z", "America/New_York", "2026-03-06"),
        ("2026-03-06T15:59:59Z", "Asia/Shanghai", "2026-03-06"),
        ("2026-03-06T16:00:00Z", "Asia/Shanghai", "2026-03-07"),
        ("2026-03-08T04:59:59Z", "America/New_York", "2026-03-07"),
        ("2026-03-08T05:00:00Z", "America/New_York", "2026-03-08"),
        ("2026-03-09T03:59:59Z", "America/New_York", "2026-03-08"),
        ("2026-03-09T04:00:00Z", "America/New_York", "2026-03-09"),
    ])
    func localDay(instant: String, zone: String, day: String) throws {
        let date = CalendarDate(containing: try CalendarFixture.instant(instant), in: try CalendarFixture.zone(zone))
        #expect(date == (try CalendarFixture.date(day)))
    }

    @Test("start of day is local midnight, or the first local time when a DST change skips it", arguments: [
        ("2026-03-06", "Asia/Shanghai", "2026-03-05T16:00:00Z"),
        ("2026-03-06", "UTC", "2026-03-06T00:00:00Z"),
        ("2026-03-08", "America/New_York", "2026-03-08T05:00:00Z"),  // a 23-hour day
        ("2026-03-09", "America/New_York", "2026-03-09T04:00:00Z"),
        ("2026-11-01", "America/New_York", "2026-11-01T04:00:00Z"),  // a 25-hour day
        ("2026-11-02", "America/New_York", "2026-11-02T05:00:00Z"),
        ("2018-11-04", "America/Sao_Paulo", "2018-11-04T03:00:00Z"),  // 00:00 did not exist; 01:00 -02:00
    ])
    func startOfDay(day: String, zone: String, start: String) throws {
        let timeZone = try CalendarFixture.zone(zone)
        let date = try CalendarFixture.date(day)
        let instant = date.startOfDay(in: timeZone)
        #expect(instant == (try CalendarFixture.instant(start)))
        #expect(CalendarDate(containing: instant, in: timeZone) == date)
        #expect(CalendarDate(containing: instant - 1, in: timeZone) == date.adding(days: -1))
    }
}

@Suite("Working-day calendars")
struct WorkingCalendarTests {
    @Test("Sichuan 2026 and 2027 (provisional)", arguments: [
        // 2026 official schedule: holidays, make-up working days (调休), ordinary days.
        ("2026-01-01", false), ("2026-01-03", false), ("2026-01-04", true), ("2026-01-05", true),
        ("2026-02-13", true), ("2026-02-14", true), ("2026-02-15", false), ("2026-02-17", false),
        ("2026-02-23", false), ("2026-02-24", true), ("2026-02-28", true), ("2026-03-01", false),
        ("2026-04-03", true), ("2026-04-06", false), ("2026-04-07", true),
        ("2026-05-01", false), ("2026-05-05", false), ("2026-05-06", true), ("2026-05-09", true),
        ("2026-05-10", false), ("2026-06-19", false), ("2026-06-22", true),
        ("2026-09-20", true), ("2026-09-25", false), ("2026-09-28", true),
        ("2026-10-01", false), ("2026-10-07", false), ("2026-10-08", true), ("2026-10-10", true),
        ("2026-10-11", false), ("2026-03-07", false), ("2026-03-09", true), ("2026-12-31", true),
        // 2027 provisional: statutory holidays only.
        ("2027-01-01", false), ("2027-01-04", true), ("2027-02-05", false), ("2027-02-08", false),
        ("2027-02-09", true), ("2027-04-05", false), ("2027-06-09", false), ("2027-09-15", false),
        ("2027-10-01", false), ("2027-10-04", true), ("2027-10-09", false),
    ])
    func workingDay(day: String, working: Bool) throws {
        #expect(try CalendarFixture.sichuan().isWorkingDay(CalendarFixture.date(day)) == working)
    }

    @Test("the shipped files: 248 working days in 2026, 2027 provisional with statutory holidays only")
    func shippedFiles() throws {
        let calendar = try CalendarFixture.sichuan()
        let y2026 = try calendar.calendarYear(2026)
        let y2027 = try calendar.calendarYear(2027)
        #expect(!y2026.provisional && y2026.holidays.count == 33 && y2026.adjustedWorkingDays.count == 6)
        #expect(y2027.provisional && y2027.holidays.count == 13 && y2027.adjustedWorkingDays.isEmpty)
        #expect(try calendar.isProvisional(CalendarFixture.date("2027-03-01")))
        func workingDays(in year: Int) throws -> Int {
            var date = try #require(CalendarDate(year: year, month: 1, day: 1))
            var count = 0
            while date.year == year {
                if try calendar.isWorkingDay(date) { count += 1 }
                date = date.next
            }
            return count
        }
        #expect(try workingDays(in: 2026) == 248)  // 261 weekdays − 19 weekday holidays + 6 make-up days
        #expect(try workingDays(in: 2027) == 254)  // 261 weekdays − 7 weekday statutory holidays
    }

    @Test("a year the calendar does not cover throws, naming province and year", arguments: [
        "2025-12-31", "2028-01-01",
    ])
    func missingYear(day: String) throws {
        let calendar = try CalendarFixture.sichuan()
        let date = try CalendarFixture.date(day)
        let error = #expect(throws: CalendarError.yearNotCovered(province: "51", year: date.year)) {
            try calendar.isWorkingDay(date)
        }
        #expect(error?.description.contains("province 51") == true)
        #expect(error?.description.contains("\(date.year)") == true)
    }

    @Test("a calendar built by hand treats unlisted weekends as days off")
    func handBuilt() throws {
        let year = try CalendarYear(
            year: 2030, holidays: [try CalendarFixture.date("2030-01-01")],
            adjustedWorkingDays: [try CalendarFixture.date("2030-01-05")], provisional: true, source: "test"
        )
        let calendar = try WorkingCalendar(province: "99", years: [year])
        #expect(try !calendar.isWorkingDay(CalendarFixture.date("2030-01-01")))  // Tuesday, holiday
        #expect(try calendar.isWorkingDay(CalendarFixture.date("2030-01-02")))
        #expect(try calendar.isWorkingDay(CalendarFixture.date("2030-01-05")))  // Saturday, adjusted
        #expect(try !calendar.isWorkingDay(CalendarFixture.date("2030-01-06")))  // Sunday
        #expect(throws: CalendarError.duplicateYear(province: "99", year: 2030)) {
            try WorkingCalendar(province: "99", years: [year, year])
        }
    }

    @Test("a year's schedule must be consistent", arguments: [
        (["2031-01-01"], [String](), "2031-01-01 is not in 2030"),
        (["2030-01-05"], ["2030-01-05"], "both a holiday and an adjusted working day"),
        ([String](), ["2030-01-07"], "adjusted working day 2030-01-07 is a Monday"),
    ])
    func inconsistentYear(holidays: [String], adjusted: [String], problem: String) throws {
        let holidayDates = try Set(holidays.map(CalendarFixture.date))
        let adjustedDates = try Set(adjusted.map(CalendarFixture.date))
        let error = #expect(throws: CalendarError.self) {
            try CalendarYear(year: 2030, holidays: holidayDates, adjustedWorkingDays: adjustedDates, provisional: false, source: "test")
        }
        #expect(error?.description.contains(problem) == true, "\(String(describing: error))")
    }
}

@Suite("Calendar files")
struct CalendarFileTests {
    /// A valid file; the cases below change one line of it. Line numbers are 1-based.
    static let valid = """
        # a test calendar
        province: "51"
        year: 2026
        provisional: false
        source: "test"
        holidays:
          - 2026-01-01
          - 2026-01-02
        adjusted_working_days:
          - 2026-01-04
        """

    /// `valid` with line `number` replaced by `text`.
    static func replacing(line number: Int, with text: String) -> String {
        var lines = valid.components(separatedBy: "\n")
        lines[number - 1] = text
        return lines.joined(separator: "\n")
    }

    @Test("the valid sample parses")
    func validSample() throws {
        let file = try CalendarFile(parsing: Self.valid, path: "sample.yaml")
        #expect(file.province == "51")
        #expect(file.calendarYear.year == 2026)
        #expect(file.calendarYear.holidays == [try CalendarFixture.date("2026-01-01"), try CalendarFixture.date("2026-01-02")])
        #expect(file.calendarYear.adjustedWorkingDays == [try CalendarFixture.date("2026-01-04")])
        #expect(!file.calendarYear.provisional && file.calendarYear.source == "test")
    }

    @Test("empty lists may be [] or left empty", arguments: ["adjusted_working_days: []", "adjusted_working_days:"])
    func emptyLists(line: String) throws {
        var lines = Self.valid.components(separatedBy: "\n")
        lines.removeLast()
        lines[8] = line
        let file = try CalendarFile(parsing: lines.joined(separator: "\n"), path: "x.yaml")
        #expect(file.calendarYear.adjustedWorkingDays.isEmpty)
    }

    @Test("errors name the file and the line", arguments: [
        (2, "provence: \"51\"", 2, "unknown key 'provence'"),
        (7, "  - 2026-02-30", 7, "'2026-02-30' is not a date"),
        (7, "  - 2026-1-5", 7, "'2026-1-5' is not a date"),
        (8, "  - 2025-12-31", 8, "2025-12-31 is not in the file's year 2026"),
        (10, "  - 2026-01-05", 10, "adjusted working day 2026-01-05 is a Monday"),
        (10, "  - 2026-01-01", 10, "2026-01-01 is both a holiday (line 7) and an adjusted working day"),
        (8, "  - 2026-01-01", 8, "2026-01-01 is listed twice"),
        (4, "provisional: yes", 4, "'provisional' must be true or false"),
        (3, "year: twenty", 3, "'year' must be a four-digit year"),
        (5, "source: \"\"", 5, "'source' must be a non-empty text value"),
        (5, "year: 2027", 5, "key 'year' appears twice"),
        (6, "holidays: 2026-01-01", 6, "'holidays' must be a list of dates"),
        (7, "  - [2026-01-01]", 7, "each entry must be one date"),
        (5, "source: \"test", 10, "while scanning a quoted scalar (line 5): found unexpected end of stream"),
        (8, "\t- 2026-01-02", 8, "not valid YAML"),
        (8, "  - [2026-01-02", 9, "not valid YAML"),
    ])
    func lineNumbers(replace: Int, text: String, line: Int, problem: String) {
        let error = #expect(throws: CalendarError.self) {
            try CalendarFile(parsing: Self.replacing(line: replace, with: text), path: "Ops/calendars/51/2026.yaml")
        }
        guard case .invalidFile(let path, let actualLine, let message) = error else {
            Issue.record("expected invalidFile, got \(String(describing: error))")
            return
        }
        #expect(path == "Ops/calendars/51/2026.yaml")
        #expect(actualLine == line, "\(message)")
        #expect(message.contains(problem), "\(message)")
        #expect(error?.description.hasPrefix("Ops/calendars/51/2026.yaml:\(line): ") == true)
    }

    @Test("a missing key, an empty file and a list instead of a mapping are errors", arguments: [
        ("# a comment\nprovince: \"51\"\nyear: 2026\nprovisional: false\nholidays: []\nadjusted_working_days: []\n", 2, "missing key 'source'"),
        ("", 1, "must be a mapping"),
        ("# only a comment\n", 1, "must be a mapping"),
        ("- 2026-01-01\n", 1, "must be a mapping"),
    ])
    func structure(text: String, line: Int, problem: String) {
        let error = #expect(throws: CalendarError.self) { try CalendarFile(parsing: text, path: "f.yaml") }
        guard case .invalidFile(_, let actualLine, let message) = error else {
            Issue.record("expected invalidFile, got \(String(describing: error))")
            return
        }
        #expect(actualLine == line, "\(message)")
        #expect(message.contains(problem), "\(message)")
    }
}

@Suite("Loading calendar folders")
struct CalendarLoadTests {
    /// A fresh folder holding `files` (relative path → text); removed by the caller.
    static func folder(_ files: [String: String]) throws -> URL {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("backstop-calendars-\(UUID().uuidString)", isDirectory: true)
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        return root
    }

    static func file(province: String = "51", year: Int, extra: String = "") -> String {
        "province: \"\(province)\"\nyear: \(year)\nprovisional: true\nsource: \"test\"\nholidays: []\nadjusted_working_days: []\n\(extra)"
    }

    @Test("a needed year without a file is an error naming the year and the file")
    func missingFile() throws {
        let error = #expect(throws: CalendarError.self) {
            try WorkingCalendar.load(directory: CalendarFixture.calendars, province: "51", years: [2026, 2028])
        }
        guard case .missingFile(let path, let province, let year) = error else {
            Issue.record("expected missingFile, got \(String(describing: error))")
            return
        }
        #expect(path.hasSuffix("Ops/calendars/51/2028.yaml"))
        #expect(province == "51" && year == 2028)
        #expect(error?.description.contains("year 2028") == true)
        #expect(error?.description.contains("province 51") == true)
    }

    @Test("an unknown province has no files")
    func unknownProvince() {
        #expect(throws: CalendarError.self) {
            try WorkingCalendar.load(directory: CalendarFixture.calendars, province: "99", years: [2026])
        }
    }

    @Test("the province must be a plain folder name", arguments: ["", ".", "..", "../51", "51/x"])
    func badProvince(province: String) {
        #expect(throws: CalendarError.invalidProvince(province)) {
            try WorkingCalendar.load(directory: CalendarFixture.calendars, province: province, years: [2026])
        }
    }

    @Test("a file must declare the province and year its path names", arguments: [
        ("51/2030.yaml", "51", 2031, 2, "declares year 2031 but is named 2030.yaml"),
        ("51/2030.yaml", "52", 2030, 1, "declares province 52 but lies in the folder of province 51"),
    ])
    func pathMismatch(path: String, province: String, year: Int, line: Int, problem: String) throws {
        let root = try Self.folder([path: Self.file(province: province, year: year)])
        defer { try? FileManager.default.removeItem(at: root) }
        let error = #expect(throws: CalendarError.self) {
            try WorkingCalendar.load(directory: root, province: "51", years: [2030])
        }
        guard case .invalidFile(let errorPath, let errorLine, let message) = error else {
            Issue.record("expected invalidFile, got \(String(describing: error))")
            return
        }
        #expect(errorPath.hasSuffix(path))
        #expect(errorLine == line)
        #expect(message.contains(problem), "\(message)")
    }

    @Test("an error inside a loaded file names that file and line; a non-UTF-8 file is unreadable")
    func errorsInFiles() throws {
        let root = try Self.folder([
            "51/2030.yaml": Self.file(year: 2030, extra: "holiday: []\n"),
            "51/2031.yaml": Self.file(year: 2031),
        ])
        defer { try? FileManager.default.removeItem(at: root) }
        let error = #expect(throws: CalendarError.self) {
            try WorkingCalendar.load(directory: root, province: "51", years: [2030, 2031])
        }
        #expect(error?.description.hasSuffix("51/2030.yaml:7: unknown key 'holiday' (expected one of: province, year, provisional, source, holidays, adjusted_working_days)") == true, "\(String(describing: error))")

        let loaded = try WorkingCalendar.load(directory: root, province: "51", years: [2031, 2031])
        #expect(loaded.years.keys.sorted() == [2031])

        try Data([0xFF, 0xFE, 0x00]).write(to: root.appendingPathComponent("51/2031.yaml"))
        let unreadable = #expect(throws: CalendarError.self) {
            try WorkingCalendar.load(directory: root, province: "51", years: [2031])
        }
        guard case .unreadableFile = unreadable else {
            Issue.record("expected unreadableFile, got \(String(describing: unreadable))")
            return
        }
    }
}
