import BackstopBus
import BackstopContracts
import BackstopPostgres
import BackstopTesting
import Foundation
import Testing

@Suite("migrations")
struct MigrationTests {
    /// Versions recorded in `backstop.schema_migrations` with how often each appears.
    private func recorded(_ connection: Connection) async throws -> [Int: Int] {
        var out: [Int: Int] = [:]
        for row in try await connection.query("SELECT version, count(*) FROM backstop.schema_migrations GROUP BY version") {
            out[try row.decode(Int.self, at: 0)] = try row.decode(Int.self, at: 1)
        }
        return out
    }

    @Test(.timeLimit(.minutes(2)))
    func concurrentMigratorsApplyEachVersionExactlyOnce() async throws {
        let versions = try Migration.bundled().map(\.version)
        #expect(versions.starts(with: [1, 2]))
        // A few rounds, each on a fresh empty database, to give the race a chance to show.
        for round in 0..<3 {
            let conninfo = try await TestCluster.emptyDatabase()
            let first = try await Connection.connect(conninfo)
            let second = try await Connection.connect(conninfo)
            async let a = Migrator().migrate(first)
            async let b = Migrator().migrate(second)
            let (appliedA, appliedB) = try await (a, b)
            #expect((appliedA + appliedB).sorted() == versions, "round \(round): \(appliedA) and \(appliedB)")
            #expect(Set(appliedA).isDisjoint(with: appliedB), "round \(round): both applied \(Set(appliedA).intersection(appliedB))")
            #expect(try await recorded(first) == Dictionary(uniqueKeysWithValues: versions.map { ($0, 1) }))
            // The schema really is there, and the lock is free again.
            #expect(try await first.query("SELECT to_regclass('backstop.events') IS NOT NULL").first?.decode(Bool.self, at: 0) == true)
            #expect(try await first.query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())").first?.decode(Int.self, at: 0) == 0)
            await first.close()
            await second.close()
        }
    }

    @Test func anEditedAppliedMigrationIsRefusedByName() async throws {
        let conninfo = try await TestCluster.emptyDatabase()
        let connection = try await Connection.connect(conninfo)
        let bundled = try Migration.bundled()
        #expect(try await Migrator().migrate(connection) == bundled.map(\.version))
        let before = try await connection.query("SELECT version, name, checksum, applied_at FROM backstop.schema_migrations ORDER BY version")
        #expect(before.count == bundled.count)

        var edited = bundled
        #expect(edited[0].version == 1 && edited[0].name == "bus")
        edited[0].sql += "\n-- a harmless-looking comment is still an edit\n"
        edited.append(Migration(version: bundled.last!.version + 1, name: "after_the_edit", sql: "CREATE TABLE backstop.after_the_edit (x integer);"))
        let error = await #expect(throws: MigrationError.self) {
            try await Migrator(migrations: edited).migrate(connection)
        }
        let message = error?.message ?? ""
        #expect(message.contains("1_bus"), "message: \(message)")
        #expect(message.contains("edited"), "message: \(message)")

        // Nothing new was recorded or applied, and the advisory lock was released.
        let after = try await connection.query("SELECT version, name, checksum, applied_at FROM backstop.schema_migrations ORDER BY version")
        #expect(after.rows.map(\.values) == before.rows.map(\.values))
        #expect(try await connection.query("SELECT to_regclass('backstop.after_the_edit') IS NULL").first?.decode(Bool.self, at: 0) == true)
        #expect(try await connection.query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())").first?.decode(Int.self, at: 0) == 0)

        // The unedited migrations are still accepted.
        #expect(try await Migrator().migrate(connection) == [])
        await connection.close()
    }

    @Test func migratingAMigratedDatabaseAppliesNothing() async throws {
        let conninfo = try await TestCluster.emptyDatabase()
        let connection = try await Connection.connect(conninfo)
        #expect(try await Migrator().migrate(connection) == Migration.bundled().map(\.version))
        let before = try await connection.query("SELECT version, checksum, applied_at FROM backstop.schema_migrations ORDER BY version")
        #expect(try await Migrator().migrate(connection) == [])
        let pool = ConnectionPool(.init(conninfo: conninfo, maximumConnections: 1))
        #expect(try await Migrator().migrate(pool) == [])
        await pool.close()
        let after = try await connection.query("SELECT version, checksum, applied_at FROM backstop.schema_migrations ORDER BY version")
        #expect(after.rows.map(\.values) == before.rows.map(\.values))
        #expect(try await Migrator().pending(connection).isEmpty)
        await connection.close()
    }

    @Test func aNewMigrationIsAppliedOnTopOfTheBundledOnes() async throws {
        let conninfo = try await TestCluster.migratedDatabase()
        let connection = try await Connection.connect(conninfo)
        let bundled = try Migration.bundled()
        let next = bundled.last!.version + 1
        let extended = bundled + [
            Migration(version: next, name: "extra", sql: "CREATE TABLE backstop.extra (x integer); INSERT INTO backstop.extra VALUES (7);"),
        ]
        #expect(try await Migrator(migrations: extended).pending(connection).map(\.version) == [next])
        #expect(try await Migrator(migrations: extended).migrate(connection) == [next])
        #expect(try await connection.query("SELECT x FROM backstop.extra").first?.decode(Int.self, at: 0) == 7)
        let everyOnce = Dictionary(uniqueKeysWithValues: extended.map { ($0.version, 1) })
        #expect(try await recorded(connection) == everyOnce)
        #expect(try await Migrator(migrations: extended).migrate(connection) == [])

        // A failing migration is rolled back whole and not recorded.
        let failing = extended + [
            Migration(version: next + 1, name: "broken", sql: "CREATE TABLE backstop.half (x integer); SELECT no_such_function();"),
        ]
        let error = await #expect(throws: MigrationError.self) { try await Migrator(migrations: failing).migrate(connection) }
        #expect(error?.message.contains("\(next + 1)_broken") == true, "message: \(error?.message ?? "")")
        #expect(try await connection.query("SELECT to_regclass('backstop.half') IS NULL").first?.decode(Bool.self, at: 0) == true)
        #expect(try await recorded(connection) == everyOnce)
        await connection.close()
    }

    /// Deliveries pending when 0003 is applied get their event's envelope, are claimed with it, and
    /// a dead letter from before still redrives.
    @Test func pendingDeliveriesKeepTheirEnvelopeAcrossTheUpgrade() async throws {
        let conninfo = try await TestCluster.emptyDatabase()
        let connection = try await Connection.connect(conninfo)
        let before = try Migration.bundled().filter { $0.version < 3 }
        #expect(try await Migrator(migrations: before).migrate(connection) == [1, 2])
        try await connection.query("INSERT INTO backstop.subscriptions (name) VALUES ('old')")
        let original = event(n: 7)
        for (position, table) in [(1, "deliveries"), (2, "dead_letters")] {
            try await connection.query("""
                INSERT INTO backstop.events (position, accepted_at, id, source, type, subject, district, envelope)
                VALUES ($1, now(), $2, $3, $4, NULL, '', $5::jsonb)
                """, [Int64(position), "\(original.id)-\(position)", original.source, original.type, PostgresJSON(original.jsonText())])
            let extra = table == "deliveries" ? ", ordered, visible_at" : ", attempts"
            let values = table == "deliveries" ? ", false, now()" : ", 3"
            try await connection.query("""
                INSERT INTO backstop.\(table) (subscription_id, position, accepted_at\(extra))
                SELECT s.id, e.position, e.accepted_at\(values) FROM backstop.subscriptions s, backstop.events e WHERE e.position = $1
                """, [Int64(position)])
        }
        #expect(try await Migrator().migrate(connection).first == 3)
        await connection.close()

        let bus = Bus(BusConfiguration(conninfo: conninfo))
        let claimed = try await bus.claim("old", limit: 10)
        #expect(claimed.map(\.position) == [1])
        #expect(claimed.first?.event.data == original.data)
        try await bus.ack(claimed)
        #expect(try await bus.redrive("old") == 1)
        let redriven = try await bus.claim("old", limit: 10)
        #expect(redriven.map(\.position) == [2])
        #expect(redriven.first?.event.data == original.data)
        await bus.close()
    }
}
