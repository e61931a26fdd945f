import ArgumentParser
import BackstopBus
import BackstopPostgres
import Foundation

/// `backstop status`: the processes `backstop up` runs (memory, uptime) and queue depth per subscription.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The processes `backstop up` runs (resident memory, uptime) and, per subscription: ready, in flight, delayed, dead letters, oldest age.")
    @OptionGroup var database: DatabaseOptions
    @Flag(help: "JSON lines instead of a table.") var json = false

    func run() async throws {
        _ = CLILog.logger
        let processes = ProcessFile.running(at: ProcessFile.path(dataDirectory: database.clusterConfiguration().dataDirectory))
        let rows = try await database.open().withBus { try await $0.status() }
        if json {
            for p in processes {
                emit(jsonLine(["process": p.name, "pid": Int(p.sample.pid), "rss_bytes": p.sample.residentBytes,
                               "pss_bytes": p.sample.proportionalBytes ?? p.sample.residentBytes, "uptime_s": Int(p.sample.uptime)]))
            }
            for r in rows {
                emit(jsonLine(["subscription": r.name, "ready": r.ready, "in_flight": r.inFlight, "delayed": r.delayed,
                               "dead_letters": r.deadLetters, "oldest_age_s": Double(r.oldestAge.components.seconds)]))
            }
            return
        }
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
        if processes.isEmpty {
            emit("(backstop up is not running here)")
        } else {
            func mb(_ bytes: Int) -> String { pad(String(format: "%.1f", Double(bytes) / 1_048_576), 6) }
            emit(pad("PROCESS", 20) + "  PID      RSS_MB  PSS_MB  UPTIME")
            for p in processes {
                emit(pad(p.name, 20) + "  " + pad(String(p.sample.pid), 7) + "  " + mb(p.sample.residentBytes) + "  "
                     + mb(p.sample.proportionalBytes ?? p.sample.residentBytes) + "  " + Self.duration(p.sample.uptime))
            }
            // The coordinator and the services, as the memory budget counts them (not `up` itself,
            // nor a demo's simulated district).
            let children = processes.filter { $0.name != "backstop up" && $0.name != "simulate" }.map(\.sample)
            emit(pad("coordinator + services", 29) + "  " + mb(children.map(\.residentBytes).reduce(0, +)) + "  "
                 + mb(children.map { $0.proportionalBytes ?? $0.residentBytes }.reduce(0, +)) + "  (PostgreSQL excluded; PSS counts shared pages once)")
            emit("")
        }
        let width = max(12, rows.map(\.name.count).max() ?? 0)
        emit(pad("SUBSCRIPTION", width) + "  READY  IN_FLIGHT  DELAYED  DEAD  OLDEST_AGE")
        for r in rows {
            emit(pad(r.name, width) + "  " + pad(String(r.ready), 5) + "  " + pad(String(r.inFlight), 9) + "  "
                 + pad(String(r.delayed), 7) + "  " + pad(String(r.deadLetters), 4) + "  \(r.oldestAge.components.seconds)s")
        }
        if rows.isEmpty { emit("(no subscriptions)") }
    }
}

extension Status {
    /// `3d 4h`, `2h 5m`, `4m 10s`.
    static func duration(_ seconds: TimeInterval) -> String {
        let s = Int(seconds)
        if s >= 86_400 { return "\(s / 86_400)d \(s % 86_400 / 3600)h" }
        if s >= 3600 { return "\(s / 3600)h \(s % 3600 / 60)m" }
        return "\(s / 60)m \(s % 60)s"
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
