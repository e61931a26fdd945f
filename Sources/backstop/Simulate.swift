import ArgumentParser
import BackstopAccess
import BackstopBus
import BackstopCoordinator
import BackstopHTTP
import BackstopInbox
import BackstopPostgres
import Foundation

/// `backstop simulate`: a demo district driven through the running stakeholder services.
struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Act out a demo district through the running stakeholder services: weeks of history, then live activity.",
        discussion: """
            Registers the organisations of Lingjiang District (510703) if needed and issues each a new \
            key, prints the oversight office's key, then publishes through the services' HTTP APIs as \
            those organisations: first a backfill of the last weeks with past event times, then live \
            activity until Ctrl-C or --duration. Run `backstop up` first. The coordination office's \
            part (alerts, redispatches, extension decisions) is published on the bus as the \
            coordinator, with the deadline rules of --rules. Ends with \
            `simulate: published N events, M rejected` and exits non-zero if any publish was refused.
            """)

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var rules: RulesOption

    @Option(help: "Address the stakeholder services listen on.")
    var httpHost: String = "127.0.0.1"

    @Option(help: "Port of department-service; the other services take the next ones, as with `backstop up`.")
    var httpPortBase: Int = 8081

    @Option(name: .customLong("service-url"),
            help: "A service's base URL, as NAME=URL (repeatable; overrides --http-host and --http-port-base for that service).")
    var serviceURLOptions: [String] = []

    @Option(help: "Seed of every choice the simulation makes.")
    var seed: UInt64 = 1

    @Option(help: "Seconds of live activity after the backfill (default: until Ctrl-C).")
    var duration: Double?

    @Option(help: "Days of history the backfill publishes (never before 1 January of this year).")
    var historyDays: Int = 70

    @Option(help: "Wall-clock seconds per district day once live.")
    var secondsPerDay: Double = 6

    @Flag(help: "Do not play the coordination office (no alerts, redispatches or extension decisions: HTTP only).")
    var noDesk = false

    func validate() throws {
        guard (1...65_531).contains(httpPortBase) else { throw ValidationError("--http-port-base must be from 1 to 65531") }
        if let duration, !(duration > 0) { throw ValidationError("--duration must be a positive number of seconds") }
        guard (0...365).contains(historyDays) else { throw ValidationError("--history-days must be from 0 to 365") }
        guard secondsPerDay > 0 else { throw ValidationError("--seconds-per-day must be positive") }
        _ = try serviceURLs()
    }

    /// Service name → base URL: the defaults from host and port base, overridden by --service-url.
    func serviceURLs() throws -> [String: URL] {
        var urls: [String: URL] = [:]
        for (i, service) in StakeholderService.all.enumerated() {
            urls[service.name] = URL(string: "http://\(httpHost):\(httpPortBase + i)")
        }
        let names = Set(StakeholderService.all.map(\.name))
        for option in serviceURLOptions {
            let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, names.contains(parts[0]), let url = URL(string: parts[1]), url.scheme == "http" || url.scheme == "https" else {
                throw ValidationError("--service-url must be NAME=URL with NAME one of \(names.sorted().joined(separator: ", ")), got \(option)")
            }
            urls[parts[0]] = url
        }
        return urls
    }

    func run() async throws {
        _ = CLILog.logger
        let signals = ShutdownSignals()
        let urls = try serviceURLs()
        let setup = noDesk ? nil : try rules.load()
        let district = DemoDistrict.lingjiang
        let db = try await database.open()
        var bus: Bus?
        let simulation: DistrictSimulation
        do {
            let connection = try await Connection.connect(db.conninfo)
            do {
                try await Migrator(migrations: try SystemSchema.migrations(), logger: CLILog.logger).migrate(connection)
            } catch {
                await connection.close()
                throw error
            }
            await connection.close()
            let pool = ConnectionPool(.init(conninfo: db.conninfo, maximumConnections: 2, connectTimeout: .seconds(3)))
            let keys: [String: String]
            do { keys = try await DistrictSeeding.seed(district, pool: pool) } catch {
                await pool.close()
                throw error
            }
            await pool.close()
            emit("simulate: \(district.members.count) organisations of \(district.countyName) (\(district.countyCode)) registered, each with a new key")
            emit("simulate: oversight key for \(district.oversight.id): \(keys[district.oversight.id] ?? "?")")
            let desk = setup.map { setup in
                let opened = Bus(BusConfiguration(conninfo: db.conninfo, maximumConnections: 2, reconnectTimeout: .seconds(10)), logger: CLILog.logger)
                bus = opened
                return CoordinatorDesk(bus: opened, rules: setup.rules, calendar: setup.calendar)
            }
            simulation = DistrictSimulation(district: district, keys: keys, serviceURLs: urls, seed: seed, logger: CLILog.logger, desk: desk,
                                            historyDays: historyDays, secondsPerDistrictDay: secondsPerDay, report: { emit($0) })
            let probe = StakeholderClient(district: district, keys: keys, serviceURLs: urls, tally: simulation.tally, logger: CLILog.logger)
            let missing = await probe.unreachableServices(timeout: .seconds(15))
            guard missing.isEmpty else {
                throw CLIError("not answering: " + missing.map { "\($0) at \(urls[$0]?.absoluteString ?? "?")" }.joined(separator: ", ")
                               + "; start `backstop up` first, or give --service-url NAME=URL")
            }
        } catch {
            await bus?.close()
            await db.close()
            throw error
        }

        let running = Task { try await simulation.run(liveFor: duration.map { .milliseconds(Int64($0 * 1000)) }) }
        let interrupting = Task {
            await signals.wait()
            running.cancel()
        }
        let outcome = await running.result
        interrupting.cancel()
        await bus?.close()
        await db.close()
        let counts = simulation.tally.snapshot
        if case .failure(let error) = outcome {
            emit("simulate: published \(counts.publishedTotal) events, \(counts.rejectedTotal) rejected")
            throw CLIError("simulate stopped: \(error)")
        }
        emit("simulate: by type: \(SimulationTally.describe(counts.published))")
        if counts.rejectedTotal > 0 { emit("simulate: rejected by type: \(SimulationTally.describe(counts.rejected))") }
        emit("simulate: published \(counts.publishedTotal) events, \(counts.rejectedTotal) rejected")
        if counts.rejectedTotal > 0 { throw ExitCode.failure }
    }
}
