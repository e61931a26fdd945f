import ArgumentParser
import BackstopBus
import BackstopPostgres
import Foundation

/// Where a command finds its database.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "A libpq connection URI or key=value string (default: DATABASE_URL, PG* variables, or the private cluster).")
    var databaseURL: String?

    @Option(name: .long, help: "Data directory of the private cluster (default: BACKSTOP_DATA_DIR or a per-user location).")
    var dataDir: String?

    @Option(name: .long, help: "Port of the private cluster (names its socket file; the TCP port with `up --listen-address`).")
    var port: Int = 5432

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") }
    }

    /// The configured conninfo, or nil when the private cluster should be used.
    func configuredConninfo(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let databaseURL { return databaseURL }
        if let url = environment["DATABASE_URL"], !url.isEmpty { return url }
        let libpqVariables = ["PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", "PGSERVICEFILE"]
        if libpqVariables.contains(where: { environment[$0] != nil }) { return "" }
        return nil
    }

    func clusterConfiguration() -> PrivateCluster.Configuration {
        PrivateCluster.Configuration(dataDirectory: dataDir ?? PrivateCluster.defaultDataDirectory(), port: port)
    }

    /// Opens the database for one command: the configured one, or the private cluster (which is
    /// started for the command and stopped afterwards if nobody else was running it).
    func open() async throws -> Database {
        if let conninfo = configuredConninfo() { return Database(conninfo: conninfo, cluster: nil) }
        let cluster = PrivateCluster(clusterConfiguration())
        let conninfo = try await cluster.start()
        return Database(conninfo: conninfo, cluster: cluster)
    }
}

/// A database a command works on, and the private cluster it may have started.
struct Database {
    let conninfo: String
    let cluster: PrivateCluster?

    /// Runs `body` with a bus (migrated), then closes it and stops a cluster this command started.
    func withBus<T>(pollInterval: Duration = .seconds(1), _ body: (Bus) async throws -> T) async throws -> T {
        let bus: Bus
        do {
            // A command fails within seconds when the database is wrong or down; long-running ones
            // (tail) keep retrying inside their consumer loop.
            bus = try await Bus.open(BusConfiguration(conninfo: conninfo, reconnectTimeout: .seconds(3), pollInterval: pollInterval),
                                     logger: CLILog.logger)
        } catch {
            await close()
            throw error
        }
        do {
            let value = try await body(bus)
            await bus.close()
            await close()
            return value
        } catch {
            await bus.close()
            await close()
            throw error
        }
    }

    func close() async {
        await cluster?.stop()
    }
}
