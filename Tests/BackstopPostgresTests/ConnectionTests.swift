@testable import BackstopPostgres
import BackstopTesting
import Foundation
import Testing

@Suite("libpq connection")
struct ConnectionTests {
    @Test func parametersRoundTripThroughTheServer() async throws {
        let conn = try await Connection.connect(try await TestCluster.emptyDatabase())
        let tricky = "O'Brien \"quoted\" \\ back; DROP TABLE x; -- 中文"
        let row = try #require(try await conn.query(
            "SELECT $1::text, $2::int8, $3::bool, $4::uuid, $5::timestamptz, $6::bytea, $7::jsonb, $8::text[], $9::int[], $10::text",
            [tricky, 9_007_199_254_740_993 as Int, true, UUID(uuidString: "6F1C1E43-5F8A-4E0B-9C1A-1D2E3F405162")!,
             Date(timeIntervalSince1970: 1_764_400_000.123456), Data([0, 1, 0xfe, 0xff]), PostgresJSON(#"{"a": [1, "x"]}"#),
             ["a,b", "c\"d", "{e}", "NULL"], [1, 2, 3], String?.none]).first)
        #expect(try row.decode(String.self, at: 0) == tricky)
        #expect(try row.decode(Int.self, at: 1) == 9_007_199_254_740_993)
        #expect(try row.decode(Bool.self, at: 2) == true)
        #expect(try row.decode(UUID.self, at: 3) == UUID(uuidString: "6F1C1E43-5F8A-4E0B-9C1A-1D2E3F405162"))
        let date = try row.decode(Date.self, at: 4)
        #expect(abs(date.timeIntervalSince1970 - 1_764_400_000.123456) < 0.000_001)
        #expect(try row.decode(Data.self, at: 5) == Data([0, 1, 0xfe, 0xff]))
        #expect(try row.decode(PostgresJSON.self, at: 6).text == #"{"a": [1, "x"]}"#)
        #expect(try row.decode([String].self, at: 7) == ["a,b", "c\"d", "{e}", "NULL"])
        #expect(try row.decode([Int].self, at: 8) == [1, 2, 3])
        #expect(try row.decode(String?.self, at: 9) == nil)
        #expect(throws: PostgresError.self) { try row.decode(String.self, at: 9) }
        await conn.close()
    }

    /// A listener asked to announce its first LISTEN says "re-check" once it listens (possibly just
    /// after a notification that arrived at that moment); by default it yields only notifications.
    @Test(arguments: [true, false])
    func aListenerCanAnnounceThatItStartedListening(_ announce: Bool) async throws {
        let conninfo = try await TestCluster.emptyDatabase()
        let listener = Listener(conninfo: conninfo, channels: ["ping"], announceFirstListen: announce)
        defer { listener.stop() }
        var iterator = listener.notifications.makeAsyncIterator()
        let conn = try await Connection.connect(conninfo)
        // Keep notifying until the listener hears one: LISTEN takes effect a little after start.
        let sender = Task {
            while !Task.isCancelled {
                _ = try? await conn.query("SELECT pg_notify('ping', 'hello')")
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        var notes: [PostgresNotification] = []
        while notes.count < 6, let note = await iterator.next() { notes.append(note) }
        #expect(notes.filter(\.isConnectionLoss).count == (announce ? 1 : 0), "\(notes)")
        #expect(notes.filter { !$0.isConnectionLoss }.allSatisfy { $0.payload == "hello" })
        sender.cancel()
        _ = await sender.result
        await conn.close()
    }

    @Test func arraysWithNullsAndEmptyArraysDecode() async throws {
        let conn = try await Connection.connect(try await TestCluster.emptyDatabase())
        let row = try #require(try await conn.query("SELECT ARRAY['x', NULL, '']::text[], '{}'::int[]").first)
        #expect(try row.decode([String?].self, at: 0) == ["x", nil, ""])
        #expect(try row.decode([Int].self, at: 1) == [])
        #expect(throws: PostgresError.self) { try row.decode([String].self, at: 0) }
        await conn.close()
    }

    @Test func serverErrorsCarrySQLStateMessageAndDetail() async throws {
        let conn = try await Connection.connect(try await TestCluster.emptyDatabase())
        let division = await #expect(throws: PostgresError.self) { try await conn.query("SELECT 1/0") }
        #expect(division?.sqlState == "22012")
        #expect(division?.code == .server)
        try await conn.query("CREATE TABLE u (k text PRIMARY KEY)")
        try await conn.query("INSERT INTO u VALUES ($1)", ["dup"])
        let duplicate = await #expect(throws: PostgresError.self) { try await conn.query("INSERT INTO u VALUES ($1)", ["dup"]) }
        #expect(duplicate?.sqlState == "23505")
        #expect(duplicate?.detail?.contains("(k)=(dup)") == true)
        // The connection stays usable after an error.
        #expect(try await conn.query("SELECT 2").first?.decode(Int.self, at: 0) == 2)
        await conn.close()
    }

    @Test func transactionCommitsOrRollsBack() async throws {
        let conn = try await Connection.connect(try await TestCluster.emptyDatabase())
        try await conn.query("CREATE TABLE t (v int)")
        try await conn.withTransaction { c in _ = try c.execute("INSERT INTO t VALUES (1)") }
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await conn.withTransaction { c in
                try c.execute("INSERT INTO t VALUES (2)")
                throw Boom()
            }
        }
        let values = try await conn.query("SELECT v FROM t ORDER BY v").map { try $0.decode(Int.self, at: 0) }
        #expect(values == [1])
        await conn.close()
    }

    @Test func preparedStatementsAreReused() async throws {
        let conn = try await Connection.connect(try await TestCluster.emptyDatabase())
        for i in 0..<5 {
            let r = try await conn.query(prepared: "add_one", "SELECT $1::int + 1", [i])
            #expect(try r.first?.decode(Int.self, at: 0) == i + 1)
        }
        let count = try await conn.query("SELECT count(*) FROM pg_prepared_statements WHERE name = 'add_one'")
        #expect(try count.first?.decode(Int.self, at: 0) == 1)
        await conn.close()
    }

    @Test func preparedStatementsArePlannedAgainOnceTheTableHasGrown() async throws {
        let conn = try await Connection.connect(try await TestCluster.emptyDatabase())
        try await conn.query("CREATE TABLE items (owner int, n int, at int, PRIMARY KEY (owner, n))")
        try await conn.query("CREATE INDEX items_by_time ON items (owner, at, n)")
        try await conn.query("SET plan_cache_mode = force_generic_plan")
        let take = "SELECT count(*) FROM items WHERE owner = $1 AND n = ANY ($2::int[])"
        try await conn.query(prepared: "take", take, [1, [1, 2]])
        let preparedAt = try await conn.query("SELECT prepare_time::text FROM pg_prepared_statements WHERE name = 'take'").first!.decode(String.self, at: 0)
        try await conn.query("INSERT INTO items SELECT 1, g, g FROM generate_series(1, 20000) g")
        try await conn.query("ANALYZE items")
        for _ in 0..<32 { try await conn.query(prepared: "take", take, [1, [1, 2]]) }  // the 33rd prepares again
        let rows = try await conn.query("SELECT prepare_time::text, generic_plans FROM pg_prepared_statements WHERE name = 'take'")
        #expect(rows.count == 1)
        #expect(try rows.first!.decode(String.self, at: 0) != preparedAt, "prepared again after 32 executions")
        #expect(try rows.first!.decode(Int.self, at: 1) == 1, "one execution with the new plan so far")
        await conn.close()
    }

    @Test func preparedStatementScheduleFollowsExecutionsThenAge() {
        let start = ContinuousClock.now
        var statement = PreparedStatement(preparedAt: start, executions: 31, generation: 0)
        #expect(!statement.isDue(at: start))
        statement.executions = 32
        #expect(statement.isDue(at: start))
        statement = PreparedStatement(preparedAt: start, executions: 2047, generation: 2)
        #expect(!statement.isDue(at: start + .seconds(59)))
        #expect(statement.isDue(at: start + .seconds(60)))
        statement = PreparedStatement(preparedAt: start, executions: 1_000_000, generation: 3)
        #expect(!statement.isDue(at: start + .seconds(1)), "after the third time only age counts")
    }

    @Test func aStatementCancelledBeforeItIsSentNeverRuns() async throws {
        // One connection, busy: the second query is cancelled while it waits, before it is sent.
        let pool = ConnectionPool(.init(conninfo: try await TestCluster.emptyDatabase(), maximumConnections: 1))
        let blocker = Task { try await pool.query("SELECT pg_sleep(1)") }
        try await Task.sleep(for: .milliseconds(200))
        let started = ContinuousClock.now
        let task = Task { try await pool.query("SELECT pg_sleep(30)") }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        let result = await task.result
        #expect(ContinuousClock.now - started < .seconds(10), "the cancelled statement must not run")
        #expect(throws: (any Error).self) { try result.get() }
        _ = try await blocker.value
        #expect(try await pool.query("SELECT 41 + 1").first?.decode(Int.self, at: 0) == 42, "the connection stays usable")
        await pool.close()
    }

    @Test func cancellingTheTaskCancelsTheStatement() async throws {
        let pool = ConnectionPool(.init(conninfo: try await TestCluster.emptyDatabase(), maximumConnections: 1))
        let started = ContinuousClock.now
        let task = Task { try await pool.query("SELECT pg_sleep(30)") }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let result = await task.result
        #expect(ContinuousClock.now - started < .seconds(10))
        let error = #expect(throws: PostgresError.self) { try result.get() }
        #expect(error?.sqlState == "57014")
        // The connection that sent a cancel request is retired (a late cancel could otherwise hit
        // the next statement); the pool opens a fresh one.
        #expect(try await pool.query("SELECT 1").count == 1)
        await pool.close()
    }

    @Test func blockingCallsLeaveTheCooperativePoolFree() async throws {
        let conninfo = try await TestCluster.emptyDatabase()
        let connections = try await withThrowingTaskGroup(of: Connection.self) { group in
            for _ in 0..<8 { group.addTask { try await Connection.connect(conninfo) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let clock = ContinuousClock()
        let start = clock.now
        let ticks = try await withThrowingTaskGroup(of: Int.self) { group in
            for (i, c) in connections.enumerated() {
                group.addTask {
                    // Both entry points: a plain statement and a transaction body on the connection thread.
                    if i % 2 == 0 {
                        try await c.query("SELECT pg_sleep(0.5)")
                    } else {
                        try await c.withTransaction { c in _ = try c.execute("SELECT pg_sleep(0.5)") }
                    }
                    return 0
                }
            }
            group.addTask {
                var n = 0
                while clock.now - start < .milliseconds(450) { try await Task.sleep(for: .milliseconds(10)); n += 1 }
                return n
            }
            return try await group.reduce(0, +)
        }
        // Eight 0.5 s sleeps blocking a 2-thread pool would take >= 2 s and starve the ticker.
        #expect(clock.now - start < .milliseconds(1500))
        // Starved, the ticker would get at most one tick; a loaded machine still gives it several.
        #expect(ticks >= 3)
        for c in connections { await c.close() }
    }

    @Test func badConninfoFailsWithAConnectionError() async throws {
        let error = await #expect(throws: PostgresError.self) {
            try await Connection.connect("host=/nonexistent-dir port=1 user=x dbname=y connect_timeout=2")
        }
        #expect(error?.code == .connectionFailed)
    }
}

@Suite("connection pool")
struct ConnectionPoolTests {
    @Test func poolNeverOpensMoreThanItsBound() async throws {
        let conninfo = try await TestCluster.emptyDatabase()
        let pool = ConnectionPool(.init(conninfo: conninfo, maximumConnections: 3))
        let peak = PeakCounter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    try await pool.withConnection { c in
                        await peak.enter()
                        try await c.query("SELECT pg_sleep(0.05)")
                        await peak.leave()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(await peak.maximum == 3)
        #expect(await pool.openConnections == 3)
        let database = String(conninfo.split(separator: " ").first { $0.hasPrefix("dbname=") }!.dropFirst(7))
        let sessions = try await pool.query("SELECT count(*) FROM pg_stat_activity WHERE datname = $1", [database])
        #expect(try sessions.first!.decode(Int.self, at: 0) == 3)
        await pool.close()
    }

    @Test func sessionSettingsApplyToEveryPooledConnection() async throws {
        let pool = ConnectionPool(.init(conninfo: try await TestCluster.emptyDatabase(), maximumConnections: 2,
                                        sessionSettings: ["synchronous_commit": "off"]))
        let value = try await pool.query("SHOW synchronous_commit").first!.decode(String.self, at: 0)
        #expect(value == "off")
        await pool.close()
    }
}

actor PeakCounter {
    private var current = 0
    private(set) var maximum = 0
    func enter() { current += 1; maximum = max(maximum, current) }
    func leave() { current -= 1 }
}
