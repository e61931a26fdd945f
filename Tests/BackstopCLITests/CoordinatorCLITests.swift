import BackstopBus
import BackstopContracts
import BackstopCoordinator
import BackstopPostgres
import BackstopTesting
import Foundation
import Testing

/// A test database with the coordinator's tables and obligations in it, made by running a
/// coordinator in-process with the shipped rules; the CLI then reads it.
private struct CoordinatedDatabase {
    let cli: CLI
    let bus: Bus
    let coordinator: Coordinator

    static func make() async throws -> CoordinatedDatabase {
        let cli = try await CLI.make()
        let bus = Bus(BusConfiguration(conninfo: cli.conninfo, maximumConnections: 4, reconnectTimeout: .seconds(20), pollInterval: .milliseconds(100)))
        let setup = try CoordinatorSetup.load(rulesFile: ShippedFiles.rules, year: 2026)
        let coordinator = Coordinator(bus: bus, rules: setup.rules, calendar: setup.calendar)
        try await coordinator.prepare()
        return CoordinatedDatabase(cli: cli, bus: bus, coordinator: coordinator)
    }

    func publish(_ payload: some EventPayload, as org: String, correlation: String? = nil) async throws {
        _ = try await bus.publish(CloudEvent(source: "/orgs/\(org)", payload: payload, time: Date(), districtCode: "510703001", correlationID: correlation))
    }

    /// Hands every pending delivery to the coordinator.
    func step() async throws {
        while true {
            let deliveries = try await bus.claim(coordinator.subscription, limit: 50)
            if deliveries.isEmpty { return }
            for delivery in deliveries { try await coordinator.handle(delivery) }
        }
    }

    func execute(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws {
        _ = try await bus.pool.query(sql, parameters)
    }
}

/// The shipped rules and calendars.
private enum ShippedFiles {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let rules = root.appendingPathComponent("Ops/rules/s-province.yaml")
    static let calendars = root.appendingPathComponent("Ops/calendars")
    static let screening = root.appendingPathComponent("Ops/screening/s-province.yaml")
    static let pushExample = root.appendingPathComponent("Contracts/pushes/examples/medical-insurance-2026-10.csv")
    static let pushInvalid = root.appendingPathComponent("Contracts/pushes/examples/invalid-rows.csv")

    static func rulesText() throws -> String { try String(contentsOf: rules, encoding: .utf8) }

    /// The 1-based number of the first line of the shipped rules that is exactly `line`.
    static func lineNumber(of line: String) throws -> Int {
        let lines = try rulesText().components(separatedBy: "\n")
        return try #require(lines.firstIndex(of: line), "no line '\(line)' in the shipped rules") + 1
    }

    /// A scratch folder holding `rules/<name>` with `text` and, if asked, a copy of the calendars at
    /// `calendars/` (where the shipped `calendars: ../calendars` finds them).
    static func scratch(_ name: String, text: String, withCalendars: Bool = true) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("backstop-rules-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("rules"), withIntermediateDirectories: true)
        if withCalendars { try FileManager.default.copyItem(at: calendars, to: dir.appendingPathComponent("calendars")) }
        let file = dir.appendingPathComponent("rules/\(name)")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }
}

/// One printed obligation row: the fixed columns before the due time, and the note at the end.
private struct ReportRow {
    var id: String, rule: String, owner: String, state: String, level: String
    var overdue: Bool

    init?(_ line: Substring) {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count >= 6, UUID(uuidString: fields[0]) != nil else { return nil }
        (id, rule, owner, state, level) = (fields[0], fields[1], fields[2], fields[3], fields[4])
        overdue = line.hasSuffix("OVERDUE")
    }

    static func all(_ output: String) -> [ReportRow] { output.split(separator: "\n").compactMap(ReportRow.init) }
}

@Suite("coordinator CLI", .serialized)
struct CoordinatorCLITests {
    // MARK: rules check

    @Test func rulesCheckAcceptsTheShippedRules() async throws {
        let cli = CLI(conninfo: "")
        let result = try await cli.run(["rules", "check", ShippedFiles.rules.path, "--year", "2026"], database: false)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\(ShippedFiles.rules.path): valid — 14 obligation rules, 9 recurring duties, province 51"), "\(result.stdout)")
        #expect(result.stdout.contains("warning: the 2027 working-day calendar of province 51 is provisional"), "\(result.stdout)")
        #expect(result.stdout.contains("  D5-sign-for: cn.backstop.alert.raised.v1 → sign_for"))
        #expect(result.stdout.contains("  D0-whistle-report: cn.backstop.whistle.blown.v1 → respond_to_whistle"))
        #expect(result.stdout.contains("  D7-push-medical-insurance: dept-medical-insurance pushes medical_insurance"))
    }

    @Test func pushImportScreensOnceAndRefusesMalformedFiles() async throws {
        let cli = try await CLI.make()
        #expect(try await cli.run(["migrate"]).status == 0)
        let added = try await cli.run(["org", "add", "dept-medical-insurance", "--kind", "department", "--name", "Medical Insurance Bureau", "--district", "510703"])
        #expect(added.status == 0, "\(added.stderr)")
        let common = ["--department", "dept-medical-insurance", "--period", "2026-10", "--screening", ShippedFiles.screening.path]
        let first = try await cli.run(["push", "import", ShippedFiles.pushExample.path] + common)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("4 records of medical_insurance/2026-10 from dept-medical-insurance; 3 flagged, 3 risk clues published"), "\(first.stdout)")
        let again = try await cli.run(["push", "import", ShippedFiles.pushExample.path] + common)
        #expect(again.status == 0 && again.stdout.contains("nothing changed"), "\(again.stdout)")
        let bad = try await cli.run(["push", "import", ShippedFiles.pushInvalid.path] + common)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("3 problems") && bad.stderr.contains("row 2, value") && bad.stderr.contains("row 3, unit")
                && bad.stderr.contains("row 4, household_ref"), "\(bad.stderr)")
        let list = try await cli.run(["push", "list", "--department", "dept-medical-insurance"])
        #expect(list.stdout.components(separatedBy: "medical_insurance/2026-10").count == 2, "\(list.stdout)")
    }

    @Test func rulesCheckChecksTheScreeningRules() async throws {
        let good = try await CLI(conninfo: "").run(["rules", "check", "--screening", ShippedFiles.screening.path], database: false)
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("valid — 12 indicators, 8 indicator sets"), "\(good.stdout)")
        let text = try String(contentsOf: ShippedFiles.screening, encoding: .utf8).replacingOccurrences(of: "at_least: 5000", with: "at_least: lots")
        let broken = try ShippedFiles.scratch("screening.yaml", text: text)
        defer { try? FileManager.default.removeItem(at: broken.deletingLastPathComponent().deletingLastPathComponent()) }
        let bad = try await CLI(conninfo: "").run(["rules", "check", "--screening", broken.path], database: false)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("screening.yaml:") && bad.stderr.contains("at_least must be a number"), "\(bad.stderr)")
        // department-service checks the file at start and does not start with a wrong one.
        let cli = try await CLI.make()
        let service = try await cli.run(["serve", "department-service"], database: false,
                                        environment: ["DATABASE_URL": cli.conninfo, "PORT": "0", "BACKSTOP_SCREENING": broken.path])
        #expect(service.status == 2, "\(service.stderr)")
        #expect(service.stderr.contains("the screening rules are not valid") && service.stderr.contains("at_least must be a number"), "\(service.stderr)")
    }

    @Test func rulesCheckFindsTheCalendarsNextToACopy() async throws {
        let copy = try ShippedFiles.scratch("copy.yaml", text: try ShippedFiles.rulesText())
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent().deletingLastPathComponent()) }
        let result = try await CLI(conninfo: "").run(["rules", "check", copy.path, "--year", "2026"], database: false)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("valid — 14 obligation rules"))
    }

    @Test func rulesCheckRefusesABrokenFileWithEveryProblemAndItsLine() async throws {
        var lines = try ShippedFiles.rulesText().components(separatedBy: "\n")
        let window = try ShippedFiles.lineNumber(of: "  repeat_window: 30d")
        let action = try ShippedFiles.lineNumber(of: "    action: sign_for")
        lines[window - 1] = "  repeat_window: 30wd"
        lines[action - 1] = "    action: sign"
        let file = try ShippedFiles.scratch("broken.yaml", text: lines.joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent().deletingLastPathComponent()) }

        let result = try await CLI(conninfo: "").run(["rules", "check", file.path, "--year", "2026"], database: false)
        #expect(result.status != 0)
        #expect(result.stderr.contains("nothing was started"), "\(result.stderr)")
        #expect(result.stderr.contains("\(file.path):\(window): escalation.repeat_window must be clock time"), "\(result.stderr)")
        #expect(result.stderr.contains("\(file.path):\(action): rule D5-sign-for.action: 'sign' is not an obligation action"), "\(result.stderr)")
        let window1 = try #require(result.stderr.range(of: "\(file.path):\(window):"))
        let action1 = try #require(result.stderr.range(of: "\(file.path):\(action):"))
        #expect(window1.lowerBound < action1.lowerBound, "in line order")
        #expect(!result.stdout.contains("valid"))
    }

    @Test func rulesCheckRefusesRulesWhoseCalendarsAreMissing() async throws {
        let file = try ShippedFiles.scratch("lonely.yaml", text: try ShippedFiles.rulesText(), withCalendars: false)
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent().deletingLastPathComponent()) }
        let result = try await CLI(conninfo: "").run(["rules", "check", file.path, "--year", "2026"], database: false)
        #expect(result.status != 0)
        #expect(result.stderr.contains("the rules cannot be used, nothing was started"), "\(result.stderr)")
    }

    @Test func rulesCheckOfAMissingFileSaysSo() async throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-rules-\(UUID().uuidString).yaml").path
        let result = try await CLI(conninfo: "").run(["rules", "check", missing, "--year", "2026"], database: false)
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(missing): cannot read the file"), "\(result.stderr)")
        #expect(result.stderr.contains("nothing was started"))
    }

    // MARK: obligations list and case show

    @Test func obligationsListAndCaseShowReadTheCoordinatorsTables() async throws {
        let db = try await CoordinatedDatabase.make()
        let caseID = EventID.make()
        var first = AlertRaisedV1.sample
        first.alertId = EventID.make()
        first.caseId = caseID
        first.assignedTo = [.init(dueBy: "2026-12-01T00:00:00Z", orgId: "dept-medical-insurance", role: .lead, slaRuleId: "D5"),
                            .init(dueBy: "2026-12-01T00:00:00Z", orgId: "dept-health", role: .co, slaRuleId: "D5")]
        try await db.publish(first, as: "coordinator", correlation: caseID)
        var identified = CaseIdentifiedV1.sample
        identified.caseId = caseID
        identified.alertId = first.alertId
        try await db.publish(identified, as: "dept-medical-insurance", correlation: caseID)
        var second = AlertRaisedV1.sample
        second.alertId = EventID.make()
        second.caseId = nil
        second.assignedTo = [.init(dueBy: "2026-12-01T00:00:00Z", orgId: "dept-education", role: .lead, slaRuleId: "D5")]
        try await db.publish(second, as: "coordinator")
        try await db.step()

        // Four open obligations, none overdue.
        let listed = try await db.cli.run(["obligations", "list"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.hasPrefix("obligation "))
        let rows = ReportRow.all(listed.stdout)
        #expect(Set(rows.map { "\($0.rule) \($0.owner) \($0.state) \($0.level)" }) == [
            "D5-sign-for dept-medical-insurance open -", "D5-sign-for dept-health open -",
            "D6-plan dept-medical-insurance open -", "D5-sign-for dept-education open -",
        ], "\(listed.stdout)")
        #expect(rows.allSatisfy { !$0.overdue })
        let none = try await db.cli.run(["obligations", "list", "--overdue"])
        #expect(none.status == 0 && ReportRow.all(none.stdout).isEmpty && none.stdout.contains("(none)"), "\(none.stdout)")

        // dept-health's sign-for ages past its breach; the sweep raises L2.
        try await db.execute("""
            UPDATE backstop.obligations SET opened_at = now() - interval '3 days', warn_at = now() - interval '2 days',
              due_at = now() - interval '1 day', breach_at = now() - interval '1 day', next_at = now() - interval '2 days'
            WHERE owner_org = 'dept-health'
            """)
        try await db.coordinator.sweep()
        let aged = ReportRow.all(try await db.cli.run(["obligations", "list"]).stdout)
        let health = try #require(aged.first { $0.owner == "dept-health" })
        #expect(health.level == "L2" && health.overdue && health.rule == "D5-sign-for")
        #expect(aged.filter(\.overdue).count == 1)
        #expect(aged.first?.owner == "dept-health", "ordered by due time")

        let overdue = try await db.cli.run(["obligations", "list", "--overdue"])
        #expect(overdue.status == 0)
        #expect(ReportRow.all(overdue.stdout).map(\.owner) == ["dept-health"], "\(overdue.stdout)")

        let owned = try await db.cli.run(["obligations", "list", "--owner", "dept-medical-insurance"])
        #expect(Set(ReportRow.all(owned.stdout).map(\.rule)) == ["D5-sign-for", "D6-plan"], "\(owned.stdout)")
        #expect(ReportRow.all(owned.stdout).allSatisfy { $0.owner == "dept-medical-insurance" })
        let nobody = try await db.cli.run(["obligations", "list", "--owner", "dept-nobody"])
        #expect(nobody.status == 0 && nobody.stdout.contains("(none)"))

        let limited = try await db.cli.run(["obligations", "list", "--limit", "2"])
        #expect(ReportRow.all(limited.stdout).count == 2)

        // dept-education signs for its alert: closed rows show only with --all.
        try await db.publish(AlertAcknowledgedV1(acknowledgedAt: EventTime.format(Date()), alertId: second.alertId, byOrg: "dept-education", role: .lead),
                             as: "dept-education")
        try await db.step()
        let open = ReportRow.all(try await db.cli.run(["obligations", "list"]).stdout)
        #expect(open.count == 3 && !open.contains { $0.owner == "dept-education" })
        let all = ReportRow.all(try await db.cli.run(["obligations", "list", "--all"]).stdout)
        #expect(all.count == 4)
        #expect(all.first { $0.owner == "dept-education" }?.state == "fulfilled")

        // The case: its lead, its household, and the obligations of its alert and its plan.
        let shown = try await db.cli.run(["case", "show", caseID])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("case \(caseID): open, lead dept-medical-insurance, household \(identified.householdRef)"), "\(shown.stdout)")
        let caseRows = ReportRow.all(shown.stdout)
        #expect(Set(caseRows.map { "\($0.rule) \($0.owner)" }) == [
            "D5-sign-for dept-medical-insurance", "D5-sign-for dept-health", "D6-plan dept-medical-insurance",
        ], "\(shown.stdout)")
        #expect(caseRows.first { $0.owner == "dept-health" }?.overdue == true)
        await db.bus.close()
    }

    @Test func caseShowOfAnUnknownCaseFails() async throws {
        let db = try await CoordinatedDatabase.make()
        let result = try await db.cli.run(["case", "show", "no-such-case"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("no case no-such-case"), "\(result.stderr)")
        await db.bus.close()
    }

    @Test(arguments: ["0", "10001"])
    func obligationsListRefusesALimitOutOfRange(_ limit: String) async throws {
        let result = try await CLI(conninfo: "host=/nonexistent dbname=none").run(["obligations", "list", "--limit", limit])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--limit must be between 1 and 10000"), "\(result.stderr)")
    }
}
