import BackstopBus
import BackstopPostgres
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The private PostgreSQL cluster the test suites share, started once per test process with the
/// same launcher `backstop up` uses.
///
/// Database tests must never skip: if PostgreSQL cannot be started, ``shared()`` throws and the test
/// fails with the launcher's reason.
public enum TestCluster {
    private static let state = ClusterState()

    /// Starts (once) and returns the shared cluster.
    public static func shared() async throws -> PrivateCluster {
        try await state.cluster()
    }

    /// Starts a cluster of its own in a fresh scratch directory (for tests that restart or crash it).
    public static func privateCluster(_ name: String) async throws -> PrivateCluster {
        let dir = scratchDirectory("\(name)-\(UUID().uuidString.prefix(8).lowercased())")
        let cluster = PrivateCluster(.init(dataDirectory: dir, settings: ["shared_buffers": "32MB"]))
        try await cluster.start()
        return cluster
    }

    /// Stops a cluster made by ``privateCluster(_:)`` and deletes its files.
    public static func discard(_ cluster: PrivateCluster) async {
        await cluster.stop()
        try? FileManager.default.removeItem(atPath: cluster.configuration.dataDirectory)
        try? FileManager.default.removeItem(atPath: cluster.configuration.dataDirectory + ".log")
    }

    /// A data directory for tests that need a cluster of their own (for example to restart it).
    public static func scratchDirectory(_ name: String) -> String {
        let base = ProcessInfo.processInfo.environment["BACKSTOP_TEST_DIR"] ?? "/tmp/backstop-tests-\(getuid())"
        return "\(base)/\(name)"
    }

    /// Creates a database with the bus schema applied (cloned from a migrated template, which is
    /// cheap) and returns its conninfo.
    public static func migratedDatabase() async throws -> String {
        let template = try await state.template()
        return try await emptyDatabase(template: template)
    }

    /// Creates an empty database on the shared cluster and returns its conninfo.
    public static func emptyDatabase(template: String? = nil) async throws -> String {
        let cluster = try await shared()
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let admin = try await Connection.connect(cluster.conninfo(database: "postgres"))
        do {
            if let template {
                try await admin.query("CREATE DATABASE \(name) TEMPLATE \(template)")
            } else {
                try await admin.query("CREATE DATABASE \(name)")
            }
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
        return cluster.conninfo(database: String(name))
    }
}

private actor ClusterState {
    private var starting: Task<PrivateCluster, any Error>?
    private var templating: Task<String, any Error>?

    /// A database migrated once per test process, used as the template for test databases.
    func template() async throws -> String {
        if let templating { return try await templating.value }
        let task = Task {
            let cluster = try await cluster()
            let name = "backstop_template_\(getpid())"
            let admin = try await Connection.connect(cluster.conninfo(database: "postgres"))
            try await admin.query("DROP DATABASE IF EXISTS \(name)")
            try await admin.query("CREATE DATABASE \(name)")
            await admin.close()
            let conn = try await Connection.connect(cluster.conninfo(database: name))
            try await Migrator().migrate(conn)
            await conn.close()
            return name
        }
        templating = task
        return try await task.value
    }

    func cluster() async throws -> PrivateCluster {
        if let starting { return try await starting.value }
        let task = Task {
            let cluster = PrivateCluster(.init(
                dataDirectory: TestCluster.scratchDirectory("shared"),
                settings: ["fsync": "off", "max_connections": "400", "shared_buffers": "64MB"]))
            try await cluster.start()
            // Databases left by earlier test runs.
            let admin = try await Connection.connect(cluster.conninfo(database: "postgres"))
            let stale = try await admin.query("SELECT datname FROM pg_database WHERE datname ~ '^(t_|backstop_template_)'")
            for row in stale { try await admin.query("DROP DATABASE IF EXISTS \(try row.decode(String.self, at: 0)) WITH (FORCE)") }
            await admin.close()
            return cluster
        }
        starting = task
        return try await task.value
    }
}
