import BackstopBus

/// The access tables (organisations, API keys, audit log) as migrations numbered from 2001.
public enum AccessSchema {
    /// The access migrations, ordered by version.
    public static func migrations() throws -> [Migration] {
        try Migration.parse(files: EmbeddedSQL.files)
    }
}
