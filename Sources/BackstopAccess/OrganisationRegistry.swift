import BackstopContracts
import BackstopPostgres
import Foundation

/// Registered organisations and their API keys. Keys are random 256-bit secrets, shown once when
/// issued and stored only as SHA-256 hashes (computed by PostgreSQL), so a copy of the database
/// does not reveal them.
public struct OrganisationRegistry: Sendable {
    private let pool: ConnectionPool
    private let sql = AccessSQL()

    /// A registry over `pool`'s database (migrated with ``AccessSchema``).
    public init(pool: ConnectionPool) { self.pool = pool }

    /// Registers an organisation; throws ``AccessError`` for bad input or an id already taken.
    @discardableResult
    public func add(id: String, kind: OrganisationKind, name: String, districtCode: String) async throws -> Organisation {
        let problems = Organisation.problems(id: id, name: name, districtCode: districtCode)
        if !problems.isEmpty { throw AccessError.invalid(problems) }
        let rows = try await pool.query(sql.organisationAdd, [id, kind.rawValue, name, districtCode])
        guard let row = rows.first else { throw AccessError.conflict("an organisation with id \(id) already exists") }
        return try Organisation(row, activeKeys: 0)
    }

    /// Every organisation (of one kind, if given), by id.
    public func list(kind: OrganisationKind? = nil) async throws -> [Organisation] {
        try await pool.query(sql.organisationList, [kind?.rawValue]).map { row in
            try Organisation(row, activeKeys: try row.decode(Int.self, at: 6))
        }
    }

    /// Disables an organisation: its keys stop working at once. Throws when there is no such organisation.
    public func disable(_ id: String) async throws {
        guard try await pool.query(sql.organisationDisable, [id]).count == 1 else { throw AccessError.notFound("no organisation \(id)") }
    }

    /// Issues a key for an enabled organisation.
    public func issueKey(for organisation: String) async throws -> IssuedKey {
        let key = APIKeySecret.generate()
        let rows = try await pool.query(sql.keyIssue, [organisation, key.prefix, key.secret])
        guard let row = rows.first else { throw AccessError.notFound("no enabled organisation \(organisation)") }
        return IssuedKey(id: try row.decode(String.self, at: 0), organisation: organisation, secret: key.secret, prefix: key.prefix)
    }

    /// Revokes one key, named by its prefix or id; returns the revoked key's organisation.
    @discardableResult
    public func revokeKey(_ prefixOrID: String) async throws -> String {
        let rows = try await pool.query(sql.keyRevoke, [prefixOrID, prefixOrID, nil as String?])
        guard let row = rows.first else { throw AccessError.notFound("no active key \(prefixOrID)") }
        return try row.decode(String.self, at: 2)
    }

    /// Replaces every active key of an organisation with one new key, in one transaction.
    public func rotateKeys(of organisation: String) async throws -> (issued: IssuedKey, revoked: Int) {
        let key = APIKeySecret.generate()
        let sql = self.sql
        return try await pool.withConnection { connection in
            try await connection.withTransaction { c in
                let revoked = try c.execute(sql.keyRevoke, [nil as String?, nil as String?, organisation]).count
                let rows = try c.execute(sql.keyIssue, [organisation, key.prefix, key.secret])
                guard let row = rows.first else { throw AccessError.notFound("no enabled organisation \(organisation)") }
                return (IssuedKey(id: try row.decode(String.self, at: 0), organisation: organisation, secret: key.secret, prefix: key.prefix), revoked)
            }
        }
    }

    /// Keys (without secrets) of one organisation, or all.
    public func keys(of organisation: String? = nil) async throws -> [KeyRecord] {
        try await pool.query(sql.keyList, [organisation]).map { row in
            KeyRecord(id: try row.decode(String.self, at: 0), prefix: try row.decode(String.self, at: 1), organisation: try row.decode(String.self, at: 2),
                      createdAt: try row.decode(Date.self, at: 3), revokedAt: try row.decode(Date?.self, at: 4), lastUsedAt: try row.decode(Date?.self, at: 5))
        }
    }

    /// The organisation a presented key proves, or nil when the key is unknown, revoked, or its
    /// organisation is disabled (HTTP 401 in every case).
    public func authenticate(_ presented: String) async throws -> Principal? {
        guard APIKeySecret.looksValid(presented) else { return nil }
        guard let row = try await pool.query(sql.keyAuthenticate, [presented]).first,
              let kind = OrganisationKind(rawValue: try row.decode(String.self, at: 2)) else { return nil }
        return Principal(organisation: try row.decode(String.self, at: 1), kind: kind, districtCode: try row.decode(String.self, at: 3),
                         keyID: try row.decode(String.self, at: 0))
    }
}

extension Organisation {
    init(_ row: PostgresRow, activeKeys: Int) throws {
        guard let kind = OrganisationKind(rawValue: try row.decode(String.self, at: 1)) else {
            throw PostgresError(code: .decoding, message: "unknown organisation kind")
        }
        self.init(id: try row.decode(String.self, at: 0), kind: kind, name: try row.decode(String.self, at: 2),
                  districtCode: try row.decode(String.self, at: 3), createdAt: try row.decode(Date.self, at: 4),
                  disabledAt: try row.decode(Date?.self, at: 5), activeKeys: activeKeys)
    }
}

/// A registry operation could not be done; the message says why.
public enum AccessError: Error, Sendable, CustomStringConvertible {
    /// Bad input, by field.
    case invalid([ContractViolation])
    /// The thing exists already.
    case conflict(String)
    /// No such organisation or key.
    case notFound(String)

    public var description: String {
        switch self {
        case .invalid(let problems): problems.map(\.description).joined(separator: "; ")
        case .conflict(let message), .notFound(let message): message
        }
    }
}

/// Key text: `bk_` then 64 lowercase hex digits (256 random bits); the prefix is `bk_` and 8 digits.
enum APIKeySecret {
    static func generate() -> (secret: String, prefix: String) {
        var random = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var out = Array("bk_".utf8)
        for _ in 0..<4 {
            let word = random.next() as UInt64
            for shift in stride(from: 60, through: 0, by: -4) { out.append(digits[Int((word >> UInt64(shift)) & 0xf)]) }
        }
        let secret = String(decoding: out, as: UTF8.self)
        return (secret, String(secret.prefix(11)))
    }

    static func looksValid(_ text: String) -> Bool {
        text.utf8.count == 67 && text.hasPrefix("bk_") && text.utf8.dropFirst(3).allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

/// The access module's SQL (from `SQL/*.sql`).
struct AccessSQL: Sendable {
    let organisationAdd = EmbeddedSQL.statement("organisation_add")
    let organisationList = EmbeddedSQL.statement("organisation_list")
    let organisationDisable = EmbeddedSQL.statement("organisation_disable")
    let keyIssue = EmbeddedSQL.statement("key_issue")
    let keyRevoke = EmbeddedSQL.statement("key_revoke")
    let keyAuthenticate = EmbeddedSQL.statement("key_authenticate")
    let keyList = EmbeddedSQL.statement("key_list")
    let auditRecord = EmbeddedSQL.statement("audit_record")
    let auditList = EmbeddedSQL.statement("audit_list")
}
