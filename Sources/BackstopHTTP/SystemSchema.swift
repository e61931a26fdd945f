import BackstopBus
import BackstopCoordinator
import BackstopInbox
import BackstopMonitoring
import BackstopOversight

/// Every migration of the whole system: the bus, the coordinator, access, inboxes, oversight's
/// read models and department data pushes, ordered by version. What `backstop migrate`, `backstop up` and every service apply.
public enum SystemSchema {
    /// All migrations, ordered by version.
    public static func migrations() throws -> [Migration] {
        try CoordinatorSchema.allMigrations() + InboxSchema.withAccess() + OversightSchema.migrations() + MonitoringSchema.migrations()
    }
}
