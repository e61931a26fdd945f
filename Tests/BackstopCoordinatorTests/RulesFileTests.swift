import BackstopCoordinator
import Foundation
import Testing

/// The shipped S-province rules file, and copies of its text edited in memory.
enum ShippedRules {
    static let file = CalendarFixture.packageRoot.appendingPathComponent("Ops/rules/s-province.yaml")
    static let folder = file.deletingLastPathComponent()

    static func text() throws -> String { try String(contentsOf: file, encoding: .utf8) }

    /// The 1-based number of the `occurrence`-th line that is exactly `line`.
    static func lineNumber(of line: String, occurrence: Int = 1) throws -> Int {
        let numbers = try text().components(separatedBy: "\n").enumerated().filter { $0.element == line }.map { $0.offset + 1 }
        return try #require(numbers.count >= occurrence ? numbers[occurrence - 1] : nil,
                            "the shipped rules file no longer has the line '\(line)' (occurrence \(occurrence))")
    }

    /// The shipped text with line `anchor` (its `occurrence`-th copy) replaced by `replacement`,
    /// which may hold several lines (or be a comment, to keep the numbering).
    static func replacing(_ edits: [RuleEdit]) throws -> String {
        var lines = try text().components(separatedBy: "\n")
        for edit in edits {
            let number = try lineNumber(of: edit.anchor, occurrence: edit.occurrence)
            lines[number - 1] = edit.replacement
        }
        return lines.joined(separator: "\n")
    }

    static func parse(_ text: String) throws(RulesErrors) -> DeadlineRules {
        try RulesFile.parse(text, file: "test.yaml", folder: folder)
    }

    /// The problems `text` is rejected with (a failed expectation when it is accepted).
    static func problems(_ text: String) -> [RulesError] {
        do {
            _ = try parse(text)
            Issue.record("the rules were accepted")
            return []
        } catch {
            return error.problems
        }
    }
}

/// Replaces one line of the shipped file.
struct RuleEdit: Sendable {
    var anchor: String
    var occurrence = 1
    var replacement: String
}

/// One broken variant of the shipped file and the problem it must be rejected with.
struct BrokenRules: Sendable, CustomTestStringConvertible {
    enum Source: Sendable {
        /// The shipped text with one line replaced.
        case edit(RuleEdit)
        /// A text of its own.
        case whole(String)
    }

    /// Where the problem is expected.
    enum Line: Sendable {
        /// The replaced line plus an offset (for a replacement of several lines).
        case edited(plus: Int)
        /// The line of another anchor line of the shipped file (same numbering: replacements keep it).
        case anchor(String)
        /// A fixed line.
        case fixed(Int)
    }

    var name: String
    var source: Source
    var line: Line = .edited(plus: 0)
    var message: String
    /// How many problems the file has in all.
    var count = 1

    var testDescription: String { name }

    init(_ name: String, _ anchor: String, occurrence: Int = 1, _ replacement: String, line: Line = .edited(plus: 0), _ message: String, count: Int = 1) {
        self.name = name
        source = .edit(RuleEdit(anchor: anchor, occurrence: occurrence, replacement: replacement))
        self.line = line
        self.message = message
        self.count = count
    }

    init(_ name: String, whole text: String, line: Int, _ message: String) {
        self.name = name
        source = .whole(text)
        self.line = .fixed(line)
        self.message = message
    }

    func text() throws -> String {
        switch source {
        case .edit(let edit): try ShippedRules.replacing([edit])
        case .whole(let text): text
        }
    }

    func expectedLine() throws -> Int {
        switch (line, source) {
        case (.fixed(let n), _): n
        case (.anchor(let anchor), _): try ShippedRules.lineNumber(of: anchor)
        case (.edited(let plus), .edit(let edit)): try ShippedRules.lineNumber(of: edit.anchor, occurrence: edit.occurrence) + plus
        case (.edited, .whole): 0
        }
    }
}

@Suite("Rules file")
struct RulesFileTests {
    @Test func theShippedFileParses() throws {
        let rules = try ShippedRules.parse(try ShippedRules.text())
        #expect(rules.obligations.count == 14)
        #expect(rules.obligations.map(\.id) == [
            "D5-sign-for", "D5-sign-for-redispatched", "D4-first-measure", "D1-visit", "D2-verify-push", "D3-decide", "D6-plan",
            "D8-answer-referral", "D9-commit-pledge", "D9-disburse", "D13-objection", "D0-whistle-report",
            "D0-whistle-duty", "D7-push-after-disaster",
        ])
        #expect(rules.recurring.pushes.count == 7)
        #expect(rules.recurring.followUp?.monthsAfterClosure == 12)
        #expect(rules.recurring.sweep?.windows.map(\.name) == ["spring", "autumn"])
        #expect(rules.triage.alertChannels == ["dept_push"])
        #expect(rules.triage.severity(band: "far_above_threshold") == "P2")
        #expect(rules.province == "51")
        #expect(rules.timeZone.identifier == "Asia/Shanghai")
        #expect(rules.warningFraction == 0.75)
        #expect(rules.coordinator == "coordinator")
        #expect(rules.calendarDirectory == CalendarFixture.calendars.standardizedFileURL)

        let d5 = try #require(rules.obligations.first { $0.id == "D5-sign-for" })
        #expect(d5.due == .bySeverity(["P1": .hours(2)], default: .workingDays(1)))
        #expect(d5.trigger == "cn.backstop.alert.raised.v1")
        #expect(d5.owners == .items(field: "assigned_to", org: "org_id", role: nil, roles: []))
        #expect(d5.action == "sign_for" && d5.key == "alert_id" && d5.grace == nil)
        #expect(d5.fulfilledBy == [.init(type: "cn.backstop.alert.acknowledged.v1", key: "alert_id", owner: .field("by_org"))])
        #expect(d5.cancelledBy == [.init(type: "cn.backstop.alert.redispatched.v1", key: "alert_id", owner: .field("removed_org"),
                                         conditions: ["decision": [.string("accepted")]])])

        let d4 = try #require(rules.obligations.first { $0.id == "D4-first-measure" })
        #expect(d4.conditions == ["green_channel": [.bool(true)]])
        #expect(d4.owners == .items(field: "assigned_to", org: "org_id", role: "role", roles: ["lead"]))
        #expect(d4.due == .fixed(.calendarDays(3)))
        let d1 = try #require(rules.obligations.first { $0.id == "D1-visit" })
        #expect(d1.conditions == ["detected_by": [.string("self_report")]] && d1.owners == .townshipOf("location_code"))
        let d8 = try #require(rules.obligations.first { $0.id == "D8-answer-referral" })
        #expect(d8.due == .fixed(.workingDays(2)) && d8.grace == .calendarDays(2) && d8.owners == .field("employer_org"))
        #expect(rules.obligations.first { $0.id == "D0-whistle-report" }?.due == .field("respond_by"))
        #expect(rules.obligations.first { $0.id == "D6-plan" }?.owners == .publisher)
        #expect(rules.obligations.first { $0.id == "D13-objection" }?.owners == .organisation("coordinator"))
        #expect(rules.rules(openedBy: "cn.backstop.risk.clue.reported.v1").map(\.id) == ["D1-visit", "D2-verify-push", "D3-decide"])

        #expect(rules.ladder.supervisionAfter == .workingDays(5))
        #expect(rules.ladder.supervisingOffice == "county-rural-work-office")
        #expect(rules.ladder.repeatBreaches == 3)
        #expect(rules.ladder.repeatWindow == .calendarDays(30))
        #expect(rules.ladder.repeatWindow.seconds == Double(30 * 86_400))
        #expect(rules.ladder.disciplineOffice == "county-discipline-inspection")
        #expect(rules.defaultSupervisor == "county-rural-work-office")
        #expect(rules.supervisor(of: "dept-health") == "county-government-office")
        #expect(rules.supervisor(of: "dept-medical-insurance") == "county-government-office")
        #expect(rules.supervisor(of: "dept-education") == "county-rural-work-office")
        #expect(rules.extensions.decidedBy == ["coordinator", "oversight"])
        #expect(rules.extensions.maximumPerObligation == 1 && rules.extensions.longest == .workingDays(10))
        #expect(rules.dutyCatalogue["illness"]?.lead == "dept-medical-insurance")
        #expect(rules.dutyCatalogue["illness"]?.co == ["dept-health", "dept-civil-affairs"])
        #expect(rules.dutyCatalogue["other"]?.co == [])
        #expect(rules.dutyCatalogue.count == 13)
        #expect(Set(rules.consumedTypes).isSuperset(of: DeadlineRules.handledTypes))
        #expect(rules.consumedTypes.contains("cn.backstop.whistle.reported.v1"))
    }

    @Test func theShippedFileLoadsFromDiskWithItsCalendars() throws {
        let setup = try CoordinatorSetup.load(rulesFile: ShippedRules.file, year: 2026)
        #expect(setup.rules.obligations.count == 14)
        #expect(setup.calendar.years.keys.sorted() == [2026, 2027])
        #expect(setup.warnings.count == 1)
        #expect(setup.warnings.first?.contains("2027 working-day calendar of province 51 is provisional") == true)
    }

    @Test("a broken rules file is refused with the line of the problem", arguments: [
        // Keys
        BrokenRules("unknown top-level key", "warning_at: 0.75", "warnings_at: 0.75", "the rules file: unknown key 'warnings_at'"),
        BrokenRules("unknown key inside a rule", "    key: alert_id", "    key: alert_id\n    priority: high", line: .edited(plus: 1),
                    "obligation rule: unknown key 'priority'"),
        BrokenRules("unknown key inside the escalation", "  repeat_breaches: 3", "  repeat_breaches: 3\n  repeat_windows: 30d",
                    line: .edited(plus: 1), "escalation: unknown key 'repeat_windows'"),
        BrokenRules("a required key missing", "  discipline_office: county-discipline-inspection", "  # (removed)",
                    line: .anchor("  supervision_after: 5wd"), "escalation: 'discipline_office' is required"),
        // Event types and their fields
        BrokenRules("unknown event type in opened_by", "    opened_by: cn.backstop.alert.raised.v1", "    opened_by: cn.backstop.alert.risen.v1",
                    "unknown event type cn.backstop.alert.risen.v1"),
        BrokenRules("key: a field the trigger does not have", "    key: alert_id", "    key: alarm_id",
                    "rule D5-sign-for.key: cn.backstop.alert.raised.v1 has no field 'alarm_id'"),
        BrokenRules("owners items: a field the trigger does not have", "    owners: {items: assigned_to, org: org_id}",
                    "    owners: {items: assignees, org: org_id}",
                    "rule D5-sign-for.owners.items: cn.backstop.alert.raised.v1 has no field 'assignees'"),
        BrokenRules("owners org: a field the items do not have", "    owners: {items: assigned_to, org: org_id}",
                    "    owners: {items: assigned_to, org: organisation}",
                    "rule D5-sign-for.owners.org: cn.backstop.alert.raised.v1 assigned_to[] has no field 'organisation'"),
        BrokenRules("owners field: a field the trigger does not have", "    owners: {field: employer_org}", "    owners: {field: employer}",
                    "rule D8-answer-referral.owners.field: cn.backstop.job.referral_sent.v1 has no field 'employer'"),
        BrokenRules("when: a field the trigger does not have", "    when: {decision: accepted}", "    when: {verdict: accepted}",
                    "rule D5-sign-for-redispatched.when: cn.backstop.alert.redispatched.v1 has no field 'verdict'"),
        BrokenRules("due field: a field the trigger does not have", "    due: {field: disburse_by}", "    due: {field: disburse_before}",
                    "rule D9-disburse.due.field: cn.backstop.donation.committed.v1 has no field 'disburse_before'"),
        BrokenRules("due by severity on a trigger without severity", "    due: 2wd", occurrence: 2, "    due: {P1: 1wd, default: 2wd}",
                    "rule D8-answer-referral.due: cn.backstop.job.referral_sent.v1 has no severity"),
        BrokenRules("fulfilled_by: unknown event type", "      - {type: cn.backstop.alert.acknowledged.v1, owner: by_org}",
                    "      - {type: cn.backstop.alert.acked.v1, owner: by_org}", "unknown event type cn.backstop.alert.acked.v1"),
        BrokenRules("fulfilled_by owner: a field the answer does not have", "      - {type: cn.backstop.whistle.reported.v1, owner: by_org}",
                    "      - {type: cn.backstop.whistle.reported.v1, owner: reporter}",
                    "rule D0-whistle-report.fulfilled_by.owner: cn.backstop.whistle.reported.v1 has no field 'reporter'", count: 2),
        // Values
        BrokenRules("bad response time", "    due: 1wd", "    due: 2days",
                    "rule D5-sign-for-redispatched.due: '2days' is not a response time (2h, 15d, 2wd or 8wh)"),
        BrokenRules("bad response time by severity", "    due: {P1: 2h, default: 1wd}", "    due: {P1: 2 hours, default: 1wd}",
                    "rule D5-sign-for.due.P1: '2 hours' is not a response time"),
        BrokenRules("duplicate rule id", "  - rule: D5-sign-for-redispatched", "  - rule: D5-sign-for",
                    "obligation rule D5-sign-for is defined twice"),
        BrokenRules("malformed rule id", "  - rule: D6-plan", "  - rule: plan-D6", "rule: 'plan-D6' must be D<number>"),
        BrokenRules("bad organisation id as a supervisor", "  dept-health: county-government-office", "  dept-health: County Government",
                    "supervisor of dept-health: 'County Government' is not an organisation id"),
        BrokenRules("bad organisation id as a supervised owner", "  dept-health: county-government-office",
                    "  Dept_Health: county-government-office", "supervisors: 'Dept_Health' is not an organisation id"),
        BrokenRules("missing default supervisor", "  default: county-rural-work-office", "  # (no default)",
                    line: .anchor("  township-510703001: county-rural-work-office"), "supervisors: a 'default' supervisor is required"),
        BrokenRules("repeat window in working days", "  repeat_window: 30d", "  repeat_window: 30wd",
                    "escalation.repeat_window must be clock time"),
        BrokenRules("repeat breaches out of range", "  repeat_breaches: 3", "  repeat_breaches: 1",
                    "escalation.repeat_breaches must be a whole number from 2 to 100"),
        BrokenRules("an action not in the obligation.opened enum", "    action: sign_for", "    action: sign",
                    "rule D5-sign-for.action: 'sign' is not an obligation action"),
        BrokenRules("province not a 2-digit code", #"province: "51""#, #"province: "5""#, "province must be a 2-digit code"),
        BrokenRules("unknown time zone", "time_zone: Asia/Shanghai", "time_zone: Asia/Chengdu", "unknown time zone Asia/Chengdu"),
        BrokenRules("warning point out of range", "warning_at: 0.75", "warning_at: 1.5", "warning_at must be a number from 0.05 to 0.95"),
        BrokenRules("unknown risk category in the duty catalogue", "  other: {lead: dept-rural-revitalisation}",
                    "  others: {lead: dept-rural-revitalisation}", "duty_catalogue: 'others' is not a risk category"),
        // Not rules at all
        BrokenRules("not YAML", "time_zone: Asia/Shanghai", "time_zone: Asia: Shanghai", "not valid YAML"),
        BrokenRules("empty file", whole: "", line: 0, "the file is empty"),
        BrokenRules("only comments", whole: "# nothing here yet\n", line: 0, "the file is empty"),
    ])
    func brokenFileIsRefused(_ broken: BrokenRules) throws {
        let problems = ShippedRules.problems(try broken.text())
        let line = try broken.expectedLine()
        #expect(problems.count == broken.count, "\(problems.map(\.description))")
        #expect(problems.contains { $0.line == line && $0.message.contains(broken.message) },
                "expected line \(line): \(broken.message); got \(problems.map(\.description))")
        #expect(problems.allSatisfy { $0.file == "test.yaml" })
        if line > 0 { #expect(problems.first?.description.hasPrefix("test.yaml:\(line): ") == true) }
    }

    @Test func everyProblemIsReportedInLineOrder() throws {
        // Found in this order: the top-level key, the ladder, then inside D5-sign-for-redispatched its
        // action (line 88) before the rule itself is known to be a duplicate (line 83).
        let text = try ShippedRules.replacing([
            RuleEdit(anchor: "    action: sign_for", occurrence: 2, replacement: "    action: sign"),
            RuleEdit(anchor: "  - rule: D5-sign-for-redispatched", replacement: "  - rule: D5-sign-for"),
            RuleEdit(anchor: "  repeat_window: 30d", replacement: "  repeat_window: 30wd"),
            RuleEdit(anchor: "warning_at: 0.75", replacement: "warn_at: 0.75"),
            RuleEdit(anchor: "      - {type: cn.backstop.whistle.reported.v1, owner: by_org}",
                     replacement: "      - {type: cn.backstop.whistle.reports.v1, owner: by_org}"),
        ])
        let problems = ShippedRules.problems(text)
        let expected = [
            try ShippedRules.lineNumber(of: "warning_at: 0.75"),
            try ShippedRules.lineNumber(of: "  repeat_window: 30d"),
            try ShippedRules.lineNumber(of: "  - rule: D5-sign-for-redispatched"),
            try ShippedRules.lineNumber(of: "    action: sign_for", occurrence: 2),
            try ShippedRules.lineNumber(of: "      - {type: cn.backstop.whistle.reported.v1, owner: by_org}"),
        ]
        #expect(expected == expected.sorted(), "the edits must be in line order for this test to mean anything")
        #expect(problems.count == 5, "\(problems.map(\.description))")
        #expect(problems.map(\.line) == expected)
        #expect(problems.map(\.message).map { $0.prefix(12) } == [
            "the rules fi", "escalation.r", "obligation r", "rule D5-sign", "unknown even",
        ])
    }

    @Test func aProblemLineAsAFileReaderSeesIt() throws {
        // The reported line, read back from the edited text, is the line that was changed.
        let text = try ShippedRules.replacing([RuleEdit(anchor: "    opened_by: cn.backstop.whistle.blown.v1",
                                                        replacement: "    opened_by: cn.backstop.whistle.blew.v1")])
        let problem = try #require(ShippedRules.problems(text).first)
        let lines = text.components(separatedBy: "\n")
        #expect(lines[problem.line - 1] == "    opened_by: cn.backstop.whistle.blew.v1")
    }
}

@Suite("Rules file: YAML-level problems and paths")
struct RulesFileYAMLTests {
    @Test func aDuplicatedKeyIsReportedOnItsLineInOneLine() throws {
        let text = try ShippedRules.text().replacingOccurrences(of: "  dept-health: county-government-office\n",
                                                                with: "  dept-health: county-government-office\n  dept-health: county-rural-work-office\n")
        let line = try ShippedRules.lineNumber(of: "  dept-health: county-government-office")
        let problems = ShippedRules.problems(text)
        #expect(problems.count == 1)
        #expect(problems.first?.line == line || problems.first?.line == line + 1, "\(problems)")
        #expect(problems.first?.message.contains("duplicated key 'dept-health'") == true)
        #expect(problems.first.map { !$0.message.contains("\n") } == true, "one line, not the whole file")
    }

    @Test func anUndefinedAliasIsReportedOnItsLine() throws {
        let text = try ShippedRules.replacing([RuleEdit(anchor: "coordinator: coordinator", replacement: "coordinator: *office")])
        let problems = ShippedRules.problems(text)
        #expect(problems.map(\.line) == [try ShippedRules.lineNumber(of: "coordinator: coordinator")])
        #expect(problems.first?.message.contains("alias") == true)
    }

    @Test func anAbsoluteCalendarFolderIsTakenAsIs() throws {
        let text = try ShippedRules.replacing([RuleEdit(anchor: "calendars: ../calendars", replacement: "calendars: /srv/backstop/calendars")])
        #expect(try ShippedRules.parse(text).calendarDirectory.path == "/srv/backstop/calendars")
        #expect(try ShippedRules.parse(try ShippedRules.text()).calendarDirectory.path.hasSuffix("/Ops/calendars"))
    }
}
