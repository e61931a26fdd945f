import ArgumentParser
import BackstopBus
import BackstopContracts
import BackstopCoordinator
import BackstopMonitoring
import BackstopPostgres
import Foundation
import Logging

/// Where the deadline rules come from: `--rules`, `BACKSTOP_RULES`, or the shipped default.
struct RulesOption: ParsableArguments {
    @Option(name: .long, help: "Deadline rules file (default: BACKSTOP_RULES, else Ops/rules/s-province.yaml).")
    var rules: String?

    var url: URL {
        URL(fileURLWithPath: rules ?? ProcessInfo.processInfo.environment["BACKSTOP_RULES"] ?? "Ops/rules/s-province.yaml")
    }

    /// Rules and calendars, or a CLI error listing every problem.
    func load() throws -> CoordinatorSetup { try Self.load(url) }

    /// Loads rules and the calendars of `year` (default: the current year) and the next.
    static func load(_ url: URL, year: Int? = nil) throws -> CoordinatorSetup {
        do {
            return try CoordinatorSetup.load(rulesFile: url, year: year ?? CoordinatorSetup.currentYear(in: TimeZone(identifier: "Asia/Shanghai")!))
        } catch let error as RulesErrors {
            throw CLIError("the rules are not valid, nothing was started:\n  " + error.problems.map(\.description).joined(separator: "\n  "))
        } catch {
            throw CLIError("the rules cannot be used, nothing was started: \(error)")
        }
    }
}

/// `backstop rules …`
struct RulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rules", abstract: "Deadline and screening rules.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a deadline rules file and its calendars, and/or a screening rules file, without starting anything.",
            discussion: "Prints every problem with its line and exits non-zero, or a summary when the rules are valid.")

        @Argument(help: "The deadline rules file.")
        var file: String?

        @Option(help: "A screening rules file to check (Ops/screening/s-province.yaml).")
        var screening: String?

        @Option(help: "Check the calendars of this year and the next (default: the current year).")
        var year: Int?

        func validate() throws {
            if let year, !(2000...2100).contains(year) { throw ValidationError("--year must be between 2000 and 2100") }
            if file == nil && screening == nil { throw ValidationError("name a deadline rules file, a screening rules file (--screening), or both") }
        }

        func run() async throws {
            if let file {
                let setup = try RulesOption.load(URL(fileURLWithPath: file), year: year)
                for warning in setup.warnings { emit("warning: \(warning)") }
                let years = setup.calendar.years.keys.sorted().map(String.init).joined(separator: ", ")
                let recurring = setup.rules.recurring
                emit("\(file): valid — \(setup.rules.obligations.count) obligation rules, \(recurring.ruleIDs.count) recurring duties, province \(setup.rules.province) calendars \(years), time zone \(setup.rules.timeZone.identifier)")
                for rule in setup.rules.obligations { emit("  \(rule.id): \(rule.trigger) → \(rule.action)") }
                for duty in recurring.pushes { emit("  \(duty.id): \(duty.department) pushes \(duty.indicatorSet)") }
                if let f = recurring.followUp { emit("  \(f.id): monthly follow-up visits, open cases and \(f.monthsAfterClosure) months after closure") }
                if let s = recurring.sweep { emit("  \(s.id): sweeps in \(s.windows.map(\.name).joined(separator: ", "))") }
            }
            if let screening {
                let rules = try ScreeningOption.load(URL(fileURLWithPath: screening))
                emit("\(screening): valid — \(rules.indicators.count) indicators, \(rules.sets.count) indicator sets, \(rules.rules.count) screening rules")
                for rule in rules.rules { emit("  \(rule.id): \(rule.indicator) → \(rule.riskCategories.joined(separator: ", "))") }
            }
        }
    }
}

/// `backstop coordinator`: run the coordinator until Ctrl-C.
struct CoordinatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run the coordinator: open obligations from events, close them on answers, remind and escalate.",
        discussion: "Several coordinators can run at once against one database; they share the work.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var rules: RulesOption

    func run() async throws {
        _ = CLILog.logger
        let signals = ShutdownSignals()
        let setup = try rules.load()
        for warning in setup.warnings { CLILog.logger.warning("\(warning)") }
        let db = try await database.open()
        let bus = Bus(BusConfiguration(conninfo: db.conninfo, pollInterval: .seconds(1)), logger: CLILog.logger)
        let coordinator = Coordinator(bus: bus, rules: setup.rules, calendar: setup.calendar, logger: CLILog.logger)
        do {
            try await coordinator.prepare()
            emit("backstop: coordinator running with \(setup.rules.obligations.count) obligation rules; press Ctrl-C to stop")
            let task = Task { try await coordinator.run() }
            await signals.wait()
            task.cancel()
            _ = await task.result
        } catch {
            await bus.close()
            await db.close()
            throw error
        }
        await bus.close()
        await db.close()
    }
}

/// `backstop obligations list`
struct ObligationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "obligations", abstract: "Owned obligations and their deadlines.",
                                                    subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List open obligations with due and elapsed times and escalation level.")

        @OptionGroup var database: DatabaseOptions
        @Flag(help: "Only obligations past their due time.") var overdue = false
        @Option(help: "Only obligations owed by this organisation.") var owner: String?
        @Flag(help: "Include closed obligations.") var all = false
        @Option(help: "At most this many rows (1–10000).") var limit = 100

        func validate() throws {
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
        }

        func run() async throws {
            _ = CLILog.logger
            let db = try await database.open()
            let rows: QueryResult
            do {
                let c = try await Connection.connect(db.conninfo)
                rows = try await c.query(ObligationReport.listSQL, [overdue, owner, all, limit])
                await c.close()
            } catch {
                await db.close()
                throw error
            }
            await db.close()
            emit(ObligationReport.header)
            for row in rows { emit(try ObligationReport.line(row)) }
            if rows.count == 0 { emit("(none)") }
        }
    }
}

/// `backstop case show CASE`
struct CaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "case", abstract: "Cases and their obligations.", subcommands: [Show.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a case: its lead and state, and every obligation with due and elapsed times and level.")

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The case id.") var caseID: String

        func run() async throws {
            _ = CLILog.logger
            let db = try await database.open()
            let head: QueryResult, rows: QueryResult
            do {
                let c = try await Connection.connect(db.conninfo)
                head = try await c.query("SELECT lead_org, state, opened_at, closed_at, household_ref FROM backstop.cases WHERE case_id = $1", [caseID])
                rows = try await c.query(ObligationReport.caseSQL, [caseID])
                await c.close()
            } catch {
                await db.close()
                throw error
            }
            await db.close()
            guard let c = head.first else { throw CLIError("no case \(caseID)") }
            emit("case \(caseID): \(try c.decode(String.self, at: 1)), lead \(try c.decode(String.self, at: 0)), household \(try c.decode(String?.self, at: 4) ?? "?")")
            emit("opened \(EventTime.format(try c.decode(Date.self, at: 2)))" + ((try c.decode(Date?.self, at: 3)).map { ", closed \(EventTime.format($0))" } ?? ""))
            emit(ObligationReport.header)
            for row in rows { emit(try ObligationReport.line(row)) }
        }
    }
}

/// The obligation table both commands print.
enum ObligationReport {
    static let columns = "o.id, o.rule_id, o.owner_org, o.state, o.level, o.due_at, o.opened_at, coalesce(o.closed_at, now()) - o.opened_at, coalesce(o.late, false), now() > o.due_at AND o.state = 'open'"
    static let listSQL = """
        SELECT \(columns) FROM backstop.obligations o
        WHERE (NOT $1 OR (o.state = 'open' AND o.due_at < now())) AND ($2::text IS NULL OR o.owner_org = $2) AND ($3 OR o.state = 'open')
        ORDER BY o.due_at LIMIT $4
        """
    static let caseSQL = """
        SELECT \(columns) FROM backstop.obligations o
        WHERE o.case_id = $1 OR o.link_key = $1 OR o.correlation_id = (SELECT correlation_id FROM backstop.cases WHERE case_id = $1)
           OR o.link_key IN (SELECT alert_id FROM backstop.alerts WHERE case_id = $1)
        ORDER BY o.opened_at
        """
    static let header = "obligation                            rule                       owner                      state      level  due (UTC)                 elapsed    note"

    static func line(_ row: PostgresRow) throws -> String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
        let level = try row.decode(Int.self, at: 4)
        let elapsed = try row.decode(String.self, at: 7)
        let note = try row.decode(Bool.self, at: 9) ? "OVERDUE" : (try row.decode(Bool.self, at: 8) ? "late" : "")
        return pad(try row.decode(String.self, at: 0), 38) + pad(try row.decode(String.self, at: 1), 27) + pad(try row.decode(String.self, at: 2), 27)
            + pad(try row.decode(String.self, at: 3), 11) + pad(level == 0 ? "-" : "L\(level)", 7) + pad(EventTime.format(try row.decode(Date.self, at: 5)), 26)
            + pad(String(elapsed.split(separator: ".").first ?? ""), 11) + note
    }
}
