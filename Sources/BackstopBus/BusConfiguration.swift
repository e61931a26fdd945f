/// How a ``Bus`` connects and behaves.
public struct BusConfiguration: Sendable {
    /// libpq conninfo (URI or `key=value`); empty means the `PG*` environment variables.
    public var conninfo: String
    /// Size of the connection pool.
    public var maximumConnections: Int
    /// How long operations keep retrying while the database is unreachable.
    public var reconnectTimeout: Duration
    /// Idle consumers poll this often even without a wake-up hint.
    public var pollInterval: Duration
    /// At most one NOTIFY per this window per process.
    public var notifyDebounce: Duration
    /// How long events are kept for audit and replay.
    public var retention: Duration

    /// Creates a configuration.
    public init(conninfo: String, maximumConnections: Int = 10, reconnectTimeout: Duration = .seconds(60),
                pollInterval: Duration = .seconds(1), notifyDebounce: Duration = .milliseconds(2),
                retention: Duration = .seconds(30 * 86_400)) {
        self.conninfo = conninfo
        self.maximumConnections = maximumConnections
        self.reconnectTimeout = reconnectTimeout
        self.pollInterval = pollInterval
        self.notifyDebounce = notifyDebounce
        self.retention = retention
    }
}
