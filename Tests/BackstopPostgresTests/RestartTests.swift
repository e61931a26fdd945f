import BackstopPostgres
import BackstopTesting
import Foundation
import Testing

@Suite("server restarts and the private cluster")
struct RestartTests {
    @Test(.timeLimit(.minutes(2)))
    func poolAndListenerRecoverAfterServerRestart() async throws {
        let cluster = try await TestCluster.privateCluster("restart")
        let conninfo = cluster.conninfo()
        let pool = ConnectionPool(.init(conninfo: conninfo, maximumConnections: 2, connectTimeout: .seconds(30)))
        let listener = Listener(conninfo: conninfo, channels: ["ping"])
        var iterator = listener.notifications.makeAsyncIterator()

        // Before the restart: a NOTIFY arrives.
        try await waitForListener(pool: pool)
        try await pool.query("SELECT pg_notify('ping', 'one')")
        #expect(await iterator.next()?.payload == "one")

        await cluster.stop()
        try await cluster.start()

        // The pooled connection is dead; the failure is reported as transient, and the next lease
        // reconnects by itself.
        var recovered = false
        for _ in 0..<50 where !recovered {
            do { try await pool.query("SELECT 1"); recovered = true } catch let error as PostgresError { #expect(error.isTransient) }
        }
        #expect(recovered)

        // The listener reconnects, LISTENs again and says notifications may have been lost.
        let lossNotice = await iterator.next()
        #expect(lossNotice?.isConnectionLoss == true)
        try await pool.query("SELECT pg_notify('ping', 'two')")
        #expect(await iterator.next()?.payload == "two")

        listener.stop()
        await pool.close()
        await TestCluster.discard(cluster)
    }

    @Test func staleLockFileFromACrashIsRecovered() async throws {
        let cluster = try await TestCluster.privateCluster("stale")
        await cluster.crash()
        let dir = cluster.configuration.dataDirectory
        // A crashed server leaves postmaster.pid; point it at a process that is not PostgreSQL.
        let pidFile = dir + "/postmaster.pid"
        #expect(FileManager.default.fileExists(atPath: pidFile))
        var text = try String(contentsOfFile: pidFile, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        text[0] = Substring(String(getpid()))
        try text.joined(separator: "\n").write(toFile: pidFile, atomically: false, encoding: .utf8)

        let again = PrivateCluster(cluster.configuration)
        try await again.start()
        let conn = try await Connection.connect(again.conninfo())
        #expect(try await conn.query("SELECT 1").count == 1)
        await conn.close()
        #expect(await again.ownsServer)
        await TestCluster.discard(again)
    }

    @Test func aSecondLauncherReusesTheRunningServer() async throws {
        let cluster = try await TestCluster.privateCluster("reuse")
        let second = PrivateCluster(cluster.configuration)
        try await second.start()
        #expect(await second.ownsServer == false)
        await second.stop()  // not its server: must leave it running
        let conn = try await Connection.connect(cluster.conninfo())
        #expect(try await conn.query("SELECT 1").count == 1)
        await conn.close()
        await TestCluster.discard(cluster)
    }

    @Test func missingBinariesNameTheDebianPackage() throws {
        let error = #expect(throws: PrivateClusterError.self) {
            try ServerBinaries.locate(environment: ["PATH": "/nonexistent", "BACKSTOP_PG_BINDIR": "/nonexistent"], searchDebianDirectories: false)
        }
        #expect(error?.message.contains("apt-get install postgresql") == true)
    }

    private func waitForListener(pool: ConnectionPool) async throws {
        for _ in 0..<100 {
            let n = try await pool.query("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'")
            if try n.first!.decode(Int.self, at: 0) > 0 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
