import ArgumentParser
import BackstopAccess
import BackstopBus
import BackstopCoordinator
import BackstopHTTP
import BackstopInbox
import BackstopPostgres
import Dispatch
import Foundation
import Logging

/// `backstop up`: the embedded default, in the foreground until Ctrl-C.
struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start Backstop: the private PostgreSQL cluster (or the configured database), migrations, the coordinator and the stakeholder services; runs until Ctrl-C.")

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var rules: RulesOption

    @Flag(help: "Do not run the coordinator in this process (run `backstop coordinator` elsewhere).")
    var noCoordinator = false

    @Option(help: "Also listen on this TCP address (for example 127.0.0.1); default: Unix socket only.")
    var listenAddress: String?

    @Option(help: "Days events are kept for audit and replay.")
    var retentionDays: Int = 30

    @Flag(help: "Do not start the stakeholder services.")
    var noServices = false

    @Option(help: "Port of department-service; enterprise-, cooperative- and social-org-service take the next ones (0: any free ports).")
    var httpPortBase: Int = 8081

    @Option(help: "Address the stakeholder services listen on.")
    var httpHost: String = "127.0.0.1"

    func validate() throws {
        guard (1...3650).contains(retentionDays) else { throw ValidationError("--retention-days must be between 1 and 3650") }
        guard httpPortBase == 0 || (1...65_532).contains(httpPortBase) else { throw ValidationError("--http-port-base must be 0 or from 1 to 65532") }
    }

    func run() async throws {
        _ = CLILog.logger
        let signals = ShutdownSignals()
        var cluster: PrivateCluster?
        let conninfo: String
        if let configured = database.configuredConninfo() {
            conninfo = configured
            emit("backstop: using the configured database")
        } else {
            var config = database.clusterConfiguration()
            config.listenAddress = listenAddress
            let started = PrivateCluster(config)
            conninfo = try await started.start()
            cluster = started
            let owner = await started.ownsServer ? "started" : "reusing"
            emit("backstop: \(owner) the private PostgreSQL cluster in \(config.dataDirectory)")
            emit("backstop: connect with: psql \"\(conninfo)\"")
            emit("backstop: or point other commands at it with: export DATABASE_URL=\"\(conninfo)\"")
            if let listenAddress { emit("backstop: TCP: postgresql://\(PrivateCluster.superuser)@\(listenAddress):\(config.port)/\(config.database)") }
        }
        let migrator = try await Connection.connect(conninfo)
        let applied: [Int]
        do { applied = try await Migrator(migrations: try CoordinatorSchema.allMigrations() + InboxSchema.withAccess(), logger: CLILog.logger).migrate(migrator) } catch {
            await migrator.close()
            await cluster?.stop()
            throw error
        }
        await migrator.close()
        emit(applied.isEmpty ? "backstop: schema is current" : "backstop: applied migrations \(applied.map { Migration.label($0) }.joined(separator: ", "))")
        let bus = Bus(BusConfiguration(conninfo: conninfo, retention: .seconds(retentionDays * 86_400)), logger: CLILog.logger)
        let upkeep = Task {
            while !Task.isCancelled {
                do {
                    for change in try await bus.maintain() { emit("backstop: retention: \(change.action) \(change.partition)") }
                } catch {
                    CLILog.logger.warning("retention upkeep failed: \(error)")
                }
                try? await Task.sleep(for: .seconds(3600))
            }
        }
        var coordinating: Task<Void, any Error>?
        if !noCoordinator {
            if rules.rules == nil, ProcessInfo.processInfo.environment["BACKSTOP_RULES"] == nil,
               !FileManager.default.fileExists(atPath: rules.url.path) {
                emit("backstop: coordinator not started: no rules file at \(rules.url.path) (give --rules FILE, or --no-coordinator)")
            } else {
                let setup: CoordinatorSetup
                do { setup = try rules.load() } catch {
                    upkeep.cancel()
                    await bus.close()
                    await cluster?.stop()
                    throw error
                }
                for warning in setup.warnings { emit("backstop: warning: \(warning)") }
                let coordinator = Coordinator(bus: bus, rules: setup.rules, calendar: setup.calendar, logger: CLILog.logger)
                try await coordinator.prepare()
                coordinating = Task { try await coordinator.run() }
                emit("backstop: coordinator running with \(setup.rules.obligations.count) obligation rules from \(rules.url.path)")
            }
        }
        // Each stakeholder service is a child process (`backstop serve NAME`), restarted if it dies.
        var services: [SupervisedProcess] = []
        if !noServices, let me = Bundle.main.executableURL {
            var environment = ProcessInfo.processInfo.environment
            environment["DATABASE_URL"] = conninfo
            environment["HOST"] = httpHost
            for (i, service) in StakeholderService.all.enumerated() {
                environment["PORT"] = String(httpPortBase == 0 ? 0 : httpPortBase + i)
                services.append(SupervisedProcess(name: service.name, executable: me, environment: environment, arguments: ["serve", service.name]))
            }
        }
        let supervised = services
        let supervising = Task { await withTaskGroup(of: Void.self) { group in for s in supervised { group.addTask { await s.run() } } } }
        emit("backstop: running; press Ctrl-C to stop")
        await signals.wait()
        emit("backstop: stopping")
        await withTaskGroup(of: Void.self) { group in for s in supervised { group.addTask { await s.stop() } } }
        await supervising.value
        coordinating?.cancel()
        _ = await coordinating?.result
        upkeep.cancel()
        await bus.close()
        await cluster?.stop()
        emit("backstop: stopped")
    }
}

/// Waits for SIGINT or SIGTERM.
///
/// `@unchecked`: the dispatch sources are only kept alive here, never touched after `init`, and
/// dispatch objects are thread-safe.
final class ShutdownSignals: @unchecked Sendable {
    private let stream: AsyncStream<Int32>
    private let sources: [any DispatchSourceSignal]

    init() {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }

    func wait() async {
        for await _ in stream { return }
    }
}
