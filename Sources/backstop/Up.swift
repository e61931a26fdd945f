import ArgumentParser
import BackstopAccess
import BackstopBus
import BackstopContracts
import BackstopCoordinator
import BackstopHTTP
import BackstopMonitoring
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

    @OptionGroup var screening: ScreeningOption

    @Flag(help: "Do not start the coordinator (run `backstop coordinator` elsewhere).")
    var noCoordinator = false

    @Option(help: "Also listen on this TCP address (for example 127.0.0.1); default: Unix socket only.")
    var listenAddress: String?

    @Option(help: "Days events are kept for audit and replay.")
    var retentionDays: Int = 30

    @Flag(help: "Do not start the stakeholder services.")
    var noServices = false

    @Option(help: "Port of department-service; enterprise-, cooperative-, social-org- and oversight-service take the next ones (0: any free ports).")
    var httpPortBase: Int = 8081

    @Option(help: "Address the stakeholder services listen on.")
    var httpHost: String = "127.0.0.1"

    @Flag(help: "Also load a demo district (organisations with keys) and drive it through the services' HTTP APIs, as `backstop simulate` does: weeks of history, then live activity.")
    var demo = false

    @Option(help: "The county's 6-digit division code (for the first oversight organisation).")
    var countyCode: String = "510703"

    func validate() throws {
        if demo, noServices || httpPortBase == 0 {
            throw ValidationError("--demo drives the services on their ports: it needs them (no --no-services) on a fixed --http-port-base")
        }
        guard countyCode.count == 6, countyCode.allSatisfy(\.isNumber) else { throw ValidationError("--county-code must be a 6-digit division code") }
        guard (1...3650).contains(retentionDays) else { throw ValidationError("--retention-days must be between 1 and 3650") }
        guard httpPortBase == 0 || (1...65_531).contains(httpPortBase) else { throw ValidationError("--http-port-base must be 0 or from 1 to 65531") }
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
        do { applied = try await Migrator(migrations: try SystemSchema.migrations(), logger: CLILog.logger).migrate(migrator) } catch {
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
        // The coordinator and each service run as child processes (`backstop coordinator`,
        // `backstop serve NAME`), restarted with backoff if one dies.
        var children: [SupervisedProcess] = []
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = conninfo
        environment["HOST"] = httpHost
        let me = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        if !noCoordinator {
            if rules.rules == nil, ProcessInfo.processInfo.environment["BACKSTOP_RULES"] == nil,
               !FileManager.default.fileExists(atPath: rules.url.path) {
                emit("backstop: coordinator not started: no rules file at \(rules.url.path) (give --rules FILE, or --no-coordinator)")
            } else {
                // Checked here first, so a bad rules file stops `up` with every problem listed.
                let setup: CoordinatorSetup
                do { setup = try rules.load() } catch {
                    upkeep.cancel()
                    await bus.close()
                    await cluster?.stop()
                    throw error
                }
                for warning in setup.warnings { emit("backstop: warning: \(warning)") }
                children.append(SupervisedProcess(name: "coordinator", executable: me, environment: environment,
                                                  arguments: ["coordinator", "--rules", rules.url.standardizedFileURL.path]))
                emit("backstop: coordinator: \(setup.rules.obligations.count) obligation rules from \(rules.url.path)")
            }
        }
        var urls: [String: String] = [:]
        if !noServices && FileManager.default.fileExists(atPath: screening.url.path) {
            // Checked here first, like the rules; department-service reads it at start.
            do {
                let checked = try screening.load()
                environment["BACKSTOP_SCREENING"] = screening.url.standardizedFileURL.path
                emit("backstop: screening: \(checked.rules.count) rules from \(screening.url.path)")
            } catch {
                upkeep.cancel()
                await bus.close()
                await cluster?.stop()
                throw error
            }
        }
        if !noServices {
            for (i, service) in StakeholderService.all.enumerated() {
                let port = httpPortBase == 0 ? 0 : httpPortBase + i
                environment["PORT"] = String(port)
                children.append(SupervisedProcess(name: service.name, executable: me, environment: environment, arguments: ["serve", service.name]))
                if port != 0 { urls[service.name] = "http://\(httpHost):\(port)" }
            }
            if let url = urls[StakeholderService.oversight.name] { emit("backstop: dashboard: \(url)/dashboard") }
            do { try await firstOversightKey(bus: bus) } catch { emit("backstop: warning: no oversight key issued: \(error)") }
        }
        if demo {
            // The simulated district is one more child, run once: it waits for the services, then
            // publishes through their HTTP APIs until `up` stops it.
            var arguments = ["simulate", "--http-host", httpHost, "--http-port-base", String(httpPortBase)]
            if !noCoordinator { arguments += ["--rules", rules.url.standardizedFileURL.path] } else { arguments.append("--no-desk") }
            children.append(SupervisedProcess(name: "simulate", executable: me, environment: environment, arguments: arguments, restartsOnExit: false))
        }
        let processes = ProcessFile(path: ProcessFile.path(dataDirectory: database.clusterConfiguration().dataDirectory))
        processes.record(name: "backstop up", pid: getpid())
        for child in children { child.onStart = { pid in processes.record(name: child.name, pid: pid) } }
        let supervised = children
        let supervising = Task { await withTaskGroup(of: Void.self) { group in for s in supervised { group.addTask { await s.run() } } } }
        emit("backstop: running; press Ctrl-C to stop")
        await signals.wait()
        emit("backstop: stopping")
        await withTaskGroup(of: Void.self) { group in for s in supervised { group.addTask { await s.stop() } } }
        await supervising.value
        processes.remove()
        upkeep.cancel()
        await bus.close()
        await cluster?.stop()
        emit("backstop: stopped")
    }
}

extension Up {
    /// The organisation a first oversight key is issued for.
    static let oversightOrganisation = "oversight-county"

    /// On first start, registers the county's oversight office and prints a key for it (shown once).
    func firstOversightKey(bus: Bus) async throws {
        let registry = OrganisationRegistry(pool: bus.pool)
        if try await registry.list(kind: .oversight).contains(where: { $0.id == Self.oversightOrganisation }) {
            emit("backstop: oversight key: issued at first start; a new one: backstop key rotate \(Self.oversightOrganisation)")
            return
        }
        try await registry.add(id: Self.oversightOrganisation, kind: .oversight, name: "County oversight office", districtCode: countyCode)
        let key = try await registry.issueKey(for: Self.oversightOrganisation)
        emit("backstop: oversight key for \(Self.oversightOrganisation) (shown once, keep it): \(key.secret)")
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
