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

    /// A data directory for tests that need a cluster of their own (for example to restart it).
    public static func scratchDirectory(_ name: String) -> String {
        let base = ProcessInfo.processInfo.environment["BACKSTOP_TEST_DIR"] ?? "/tmp/backstop-tests-\(getuid())"
        return "\(base)/\(name)"
    }

    /// Creates an empty database on the shared cluster and returns its conninfo.
    public static func emptyDatabase() async throws -> String {
        let cluster = try await shared()
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let admin = try await Connection.connect(cluster.conninfo(database: "postgres"))
        do {
            try await admin.query("CREATE DATABASE \(name)")
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

    func cluster() async throws -> PrivateCluster {
        if let starting { return try await starting.value }
        let task = Task {
            let cluster = PrivateCluster(.init(
                dataDirectory: TestCluster.scratchDirectory("shared"),
                settings: ["fsync": "off", "max_connections": "400", "shared_buffers": "64MB"]))
            try await cluster.start()
            return cluster
        }
        starting = task
        return try await task.value
    }
}
