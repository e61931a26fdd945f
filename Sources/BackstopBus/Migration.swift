import Foundation

/// One versioned schema change, shipped as `Migrations/NNNN_name.sql` in this module's resources.
public struct Migration: Sendable, Hashable {
    /// The number that orders migrations (the `NNNN` prefix).
    public var version: Int
    /// The descriptive part of the file name.
    public var name: String
    /// The SQL text, applied in one transaction.
    public var sql: String

    /// Creates a migration.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// The version as the file names it: `0002`.
    public static func label(_ version: Int) -> String {
        let digits = String(version)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// `NNNN_name`, as the file is called.
    public var fileName: String { "\(Self.label(version))_\(name)" }

    /// Every migration shipped with the bus, ordered by version.
    public static func bundled() throws -> [Migration] {
        try parse(files: EmbeddedSQL.files)
    }

    /// The migrations among embedded files keyed `Migrations/NNNN_name.sql`, ordered by version
    /// (other modules ship their own tables this way; their versions start at 1000).
    public static func parse(files: [String: String]) throws -> [Migration] {
        try files.filter { $0.key.hasPrefix("Migrations/") }.map { key, sql in
            let file = String(key.dropFirst("Migrations/".count))
            guard let underscore = file.firstIndex(of: "_"), let version = Int(file[..<underscore]), file.hasSuffix(".sql") else {
                throw MigrationError("migration file \(file) must be named NNNN_name.sql")
            }
            return Migration(version: version, name: String(file[file.index(after: underscore)...].dropLast(4)), sql: sql)
        }.sorted { $0.version < $1.version }
    }
}

/// A migration could not be applied; the message says which and why.
public struct MigrationError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public var message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
