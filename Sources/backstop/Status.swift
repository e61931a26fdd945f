import ArgumentParser
import BackstopBus

/// `backstop status`: queue depth per subscription.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Per subscription: ready, in flight, delayed, dead letters, oldest age.")
    @OptionGroup var database: DatabaseOptions
    @Flag(help: "JSON lines instead of a table.") var json = false

    func run() async throws {
        _ = CLILog.logger
        let rows = try await database.open().withBus { try await $0.status() }
        if json {
            for r in rows {
                emit(jsonLine(["subscription": r.name, "ready": r.ready, "in_flight": r.inFlight, "delayed": r.delayed,
                               "dead_letters": r.deadLetters, "oldest_age_s": Double(r.oldestAge.components.seconds)]))
            }
            return
        }
        let width = max(12, rows.map(\.name.count).max() ?? 0)
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
        emit(pad("SUBSCRIPTION", width) + "  READY  IN_FLIGHT  DELAYED  DEAD  OLDEST_AGE")
        for r in rows {
            emit(pad(r.name, width) + "  " + pad(String(r.ready), 5) + "  " + pad(String(r.inFlight), 9) + "  "
                 + pad(String(r.delayed), 7) + "  " + pad(String(r.deadLetters), 4) + "  \(r.oldestAge.components.seconds)s")
        }
        if rows.isEmpty { emit("(no subscriptions)") }
    }
}

/// `backstop maintain`: retention and partition upkeep now.
struct Maintain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create upcoming event partitions and drop expired ones now (`up` does this hourly).")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Days events are kept.") var retentionDays: Int = 30

    func validate() throws {
        guard (1...3650).contains(retentionDays) else { throw ValidationError("--retention-days must be between 1 and 3650") }
    }

    func run() async throws {
        _ = CLILog.logger
        let changes = try await database.open().withBus { try await $0.maintain(retention: .seconds(retentionDays * 86_400)) }
        for change in changes { emit("\(change.action) \(change.partition)") }
        if changes.isEmpty { emit("nothing to do") }
    }
}
