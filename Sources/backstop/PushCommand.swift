import ArgumentParser
import BackstopAccess
import BackstopBus
import BackstopContracts
import BackstopCoordinator
import BackstopHTTP
import BackstopMonitoring
import BackstopPostgres
import Foundation

/// Where the screening rules come from: `--screening`, `BACKSTOP_SCREENING`, or the shipped default.
struct ScreeningOption: ParsableArguments {
    @Option(name: .long, help: "Screening rules file (default: BACKSTOP_SCREENING, else Ops/screening/s-province.yaml).")
    var screening: String?

    var url: URL {
        URL(fileURLWithPath: screening ?? ProcessInfo.processInfo.environment["BACKSTOP_SCREENING"] ?? "Ops/screening/s-province.yaml")
    }

    /// The rules, or a CLI error listing every problem.
    func load() throws -> ScreeningRules { try Self.load(url) }

    /// The rules in `url`, or a CLI error listing every problem.
    static func load(_ url: URL) throws -> ScreeningRules {
        do { return try ScreeningFile.load(url) } catch {
            throw CLIError("the screening rules are not valid:\n  " + error.problems.map(\.description).joined(separator: "\n  "))
        }
    }
}

/// `backstop push …`: department data pushes.
struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push", abstract: "Department data pushes (early-warning monitoring).", subcommands: [Import.self, List.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Push a CSV file of indicator records for a department, as its department-service would receive it.",
            discussion: """
                The file has a header row (household_ref, indicator, value, unit, period, location_code and optionally \
                population; Contracts/pushes/README.md) and is read as a stream. Any malformed row refuses the whole push, \
                with every problem listed by row and column, and nothing is written. The same push again changes nothing; \
                other content for a push already received is refused.
                """)

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var screening: ScreeningOption
        @Argument(help: "The CSV file.") var file: String
        @Option(help: "The pushing department's organisation id.") var department: String
        @Option(name: .customLong("indicator-set"), help: "The indicator set (default: the one set this department pushes).") var indicatorSet: String?
        @Option(help: "The period: YYYY-MM (YYYY for yearly sets).") var period: String
        @Option(name: .customLong("disaster-id"), help: "The disaster the push answers (sets pushed after each disaster).") var disasterID: String?

        func run() async throws {
            let rules = try screening.load()
            guard let handle = FileHandle(forReadingAtPath: file) else { throw CLIError("cannot read \(file)") }
            defer { try? handle.close() }
            let sets = rules.sets.values.filter { $0.departments.contains(department) }.map(\.name).sorted()
            guard let setName = indicatorSet ?? (sets.count == 1 ? sets[0] : nil) else {
                throw CLIError(sets.isEmpty ? "\(department) pushes no indicator set in \(screening.url.path)"
                                            : "\(department) pushes several indicator sets (\(sets.joined(separator: ", "))); name one with --indicator-set")
            }
            let screened: ScreenedPush
            do {
                var push = try PushScreening(rules: rules, department: department, setName: setName, period: period, disasterID: disasterID)
                while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { push.csv(chunk) }
                screened = try push.finish()
            } catch let rejected as PushRejected {
                throw CLIError("\(file): " + rejected.description)
            }
            let db = try await database.open()
            let receipt = try await db.withBus { bus in
                _ = try await bus.pool.withConnection { c in try await Migrator(migrations: try SystemSchema.migrations(), logger: CLILog.logger).migrate(c) }
                let departments = try await OrganisationRegistry(pool: bus.pool).list(kind: .department)
                guard let org = departments.first(where: { $0.id == department }) else {
                    throw CLIError("\(department) is not a registered department (backstop org add \(department) --kind department …)")
                }
                guard org.disabledAt == nil else { throw CLIError("\(department) is disabled") }
                do { return try await PushIntake(bus: bus).store(screened, via: .cli) } catch let conflict as PushConflict {
                    throw CLIError(conflict.description)
                }
            }
            if receipt.duplicate {
                emit("\(receipt.pushKey) from \(department) was already received on \(EventTime.format(receipt.receivedAt)) with the same records; nothing changed (push \(receipt.pushID))")
            } else {
                emit("push \(receipt.pushID): \(receipt.records) records of \(receipt.pushKey) from \(department); \(receipt.flagged) flagged, \(receipt.clues) risk clues published")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a department's pushes, newest first.")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "The department's organisation id.") var department: String
        @Option(help: "At most this many (1–500).") var limit = 50

        func validate() throws {
            if !(1...500).contains(limit) { throw ValidationError("--limit must be from 1 to 500") }
        }

        func run() async throws {
            let db = try await database.open()
            let pushes = try await db.withBus { bus in try await PushIntake(bus: bus).pushes(of: department, limit: limit) }
            emit("PUSH KEY\tRECEIVED\tRECORDS\tFLAGGED\tCLUES\tPUSH")
            for p in pushes {
                emit("\(p.pushKey)\t\(EventTime.format(p.receivedAt))\t\(p.records)\t\(p.flagged)\t\(p.clues)\t\(p.pushID)")
            }
        }
    }
}
