import BackstopContracts
import BackstopPostgres
import Foundation

/// The append-only record of every read of a sensitive field: who, what, when and for which
/// purpose (domain brief §8.3). The database refuses to change or delete its rows.
public struct AuditLog: Sendable {
    private let pool: ConnectionPool
    private let sql = AccessSQL()

    /// One entry.
    public struct Entry: Sendable, Hashable {
        /// Its number, in order of writing.
        public var id: Int64
        /// When the read happened.
        public var at: Date
        /// The organisation that read.
        public var organisation: String
        /// The key it used, if any.
        public var keyID: String?
        /// What was done (`read`).
        public var action: String
        /// The event type read.
        public var eventType: String
        /// The event read.
        public var eventID: String
        /// The sensitive fields it received (JSON pointers).
        public var fields: [String]
        /// The purpose stated.
        public var purpose: Purpose
    }

    /// The audit log in `pool`'s database.
    public init(pool: ConnectionPool) { self.pool = pool }

    /// Records that `principal` read `fields` of `event` for `purpose`.
    @discardableResult
    public func recordRead(by principal: Principal, of event: CloudEvent, fields: [String], purpose: Purpose) async throws -> Int64 {
        let rows = try await pool.query(sql.auditRecord, [principal.organisation, principal.keyID, event.type, event.id, fields, purpose.rawValue])
        return try rows.first!.decode(Int64.self, at: 0)
    }

    /// Records a read inside the caller's transaction (so the read and its record commit together).
    public func recordRead(by principal: Principal, of event: CloudEvent, fields: [String], purpose: Purpose,
                           in connection: isolated Connection) throws {
        _ = try connection.execute(sql.auditRecord, [principal.organisation, principal.keyID, event.type, event.id, fields, purpose.rawValue])
    }

    /// Records, inside the caller's transaction, that `principal` read `fields` of what an event of
    /// `eventType` with id `eventID` stands for (for example a push's raw values, kept by the
    /// department service, behind its `data_push.received`).
    public func recordRead(by principal: Principal, ofType eventType: String, id eventID: String, fields: [String], purpose: Purpose,
                           in connection: isolated Connection) throws {
        _ = try connection.execute(sql.auditRecord, [principal.organisation, principal.keyID, eventType, eventID, fields, purpose.rawValue])
    }

    /// Entries newest first, optionally for one organisation and since a time.
    public func entries(organisation: String? = nil, since: Date? = nil, limit: Int = 100) async throws -> [Entry] {
        try await pool.query(sql.auditList, [organisation, since, limit]).map { row in
            Entry(id: try row.decode(Int64.self, at: 0), at: try row.decode(Date.self, at: 1), organisation: try row.decode(String.self, at: 2),
                  keyID: try row.decode(String?.self, at: 3), action: try row.decode(String.self, at: 4), eventType: try row.decode(String.self, at: 5),
                  eventID: try row.decode(String.self, at: 6), fields: try row.decode([String].self, at: 7),
                  purpose: Purpose(rawValue: try row.decode(String.self, at: 8)) ?? .oversight)
        }
    }
}
