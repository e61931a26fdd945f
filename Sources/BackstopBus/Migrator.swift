import BackstopPostgres
import Logging

/// Applies migrations in order, once each, safely from several processes at once.
///
/// Runs under a session advisory lock, so two processes starting together take turns; the second
/// finds the work done. Each migration runs in its own transaction and is recorded with a SHA-256
/// checksum of its text in `backstop.schema_migrations`; a migration whose text changed after it was
/// applied is refused with an error naming it.
public struct Migrator: Sendable {
    /// Key of the advisory lock that serialises migrators (ASCII "bkstpmig").
    static let lockKey: Int64 = 0x626B_7374_706D_6967
    /// The migrations this migrator applies.
    public var migrations: [Migration]
    private let logger: Logger

    /// Creates a migrator for `migrations` (by default the ones shipped with Backstop).
    public init(migrations: [Migration]? = nil, logger: Logger = Logger(label: "backstop.migrate")) throws {
        self.migrations = try migrations ?? Migration.bundled()
        self.logger = logger
    }

    /// The versions applied by this call (empty when the schema was already current).
    @discardableResult
    public func migrate(_ pool: ConnectionPool) async throws -> [Int] {
        try await pool.withConnection { connection in try await migrate(connection) }
    }

    /// Applies pending migrations over one connection.
    @discardableResult
    public func migrate(_ connection: Connection) async throws -> [Int] {
        // Already current (every version recorded with its checksum): nothing to lock or create, so
        // a role without CREATE on the database can still use the bus.
        let checksums = try await Self.checksums(of: migrations, on: connection)
        if try await isCurrent(connection, checksums: checksums) { return [] }
        try await connection.query("SELECT pg_advisory_lock($1)", [Self.lockKey])
        do {
            let applied = try await apply(connection, checksums: checksums)
            try await connection.query("SELECT pg_advisory_unlock($1)", [Self.lockKey])
            return applied
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock($1)", [Self.lockKey])
            throw error
        }
    }

    /// Every version recorded with its current checksum. (An edited migration is reported by the
    /// full run.)
    private func isCurrent(_ connection: Connection, checksums: [String]) async throws -> Bool {
        let recorded = try await recordedChecksums(connection)
        return zip(migrations, checksums).allSatisfy { recorded[$0.version] == $1 }
    }

    /// Versions recorded as applied, and whether any bundled migration is still pending.
    public func pending(_ connection: Connection) async throws -> [Migration] {
        let recorded = try await recordedChecksums(connection)
        return migrations.filter { recorded[$0.version] == nil }
    }

    private func apply(_ connection: Connection, checksums: [String]) async throws -> [Int] {
        try await connection.query("""
            CREATE SCHEMA IF NOT EXISTS backstop;
            CREATE TABLE IF NOT EXISTS backstop.schema_migrations (
                version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """)
        let recorded = try await recordedChecksums(connection)
        var applied: [Int] = []
        for (migration, checksum) in zip(migrations, checksums) {
            if let existing = recorded[migration.version] {
                guard existing == checksum else {
                    throw MigrationError("migration \(migration.fileName) was edited after it was applied (checksum \(checksum.prefix(12))… differs from the recorded \(existing.prefix(12))…). Never edit an applied migration; add a new one.")
                }
                continue
            }
            logger.info("applying migration \(migration.fileName)")
            do {
                try await connection.withTransaction { c in
                    _ = try c.execute(migration.sql)
                    _ = try c.execute(
                        "INSERT INTO backstop.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        [migration.version, migration.name, checksum])
                }
            } catch let error as PostgresError {
                throw MigrationError("migration \(migration.fileName) failed: \(error)")
            }
            applied.append(migration.version)
        }
        return applied
    }

    private func recordedChecksums(_ connection: Connection) async throws -> [Int: String] {
        let exists = try await connection.query("SELECT to_regclass('backstop.schema_migrations') IS NOT NULL")
        guard try exists.first?.decode(Bool.self, at: 0) == true else { return [:] }
        var out: [Int: String] = [:]
        for row in try await connection.query("SELECT version, checksum FROM backstop.schema_migrations") {
            out[try row.decode(Int.self, at: 0)] = try row.decode(String.self, at: 1)
        }
        return out
    }

    /// SHA-256 of each migration's text, in order, in one round trip.
    static func checksums(of migrations: [Migration], on connection: Connection) async throws -> [String] {
        let rows = try await connection.query(
            "SELECT encode(sha256(convert_to(t.sql, 'UTF8')), 'hex') FROM unnest($1::text[]) WITH ORDINALITY AS t(sql, n) ORDER BY t.n",
            [migrations.map(\.sql)])
        return try rows.map { try $0.decode(String.self, at: 0) }
    }
}
