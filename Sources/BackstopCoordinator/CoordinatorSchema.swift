import BackstopBus

/// The coordinator's tables (obligations, answers, alerts, cases, extension requests, escalations)
/// as migrations numbered from 1001, applied after the bus's own.
public enum CoordinatorSchema {
    /// The coordinator's migrations, ordered by version.
    public static func migrations() throws -> [Migration] {
        try Migration.parse(files: EmbeddedSQL.files)
    }

    /// The bus's migrations followed by the coordinator's: what `backstop migrate` applies.
    public static func allMigrations() throws -> [Migration] {
        try Migration.bundled() + migrations()
    }
}
