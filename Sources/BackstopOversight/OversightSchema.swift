import BackstopAccess
import BackstopBus

/// Oversight's read models, as migrations numbered from 4001 (after the access tables, whose audit
/// log they extend with drill-downs).
public enum OversightSchema {
    /// The oversight migrations, ordered by version.
    public static func migrations() throws -> [Migration] {
        try Migration.parse(files: EmbeddedSQL.files)
    }
}
