import Foundation
import Logging

/// A bounded pool of ``Connection``s.
///
/// At most ``Configuration/maximumConnections`` connections exist; callers beyond that wait in
/// arrival order. A connection that broke (server restart, network loss) is discarded when it
/// comes back, and the next lease opens a fresh one, retrying with exponential backoff until
/// ``Configuration/connectTimeout`` has passed — so clients ride out a server restart by themselves.
///
/// ```swift
/// let pool = ConnectionPool(.init(conninfo: "postgresql:///backstop"))
/// let n = try await pool.withConnection { try await $0.query("SELECT 1") }
/// ```
public actor ConnectionPool {
    /// How the pool connects and how large it may grow.
    public struct Configuration: Sendable {
        /// libpq conninfo (URI or `key=value`); empty means the `PG*` variables.
        public var conninfo: String
        /// The most connections open at once.
        public var maximumConnections: Int
        /// How long a lease keeps retrying a failed connect before giving up.
        public var connectTimeout: Duration
        /// Session settings applied to every new connection (for example `synchronous_commit: off`).
        public var sessionSettings: [String: String]
        /// Creates a configuration.
        public init(conninfo: String, maximumConnections: Int = 8, connectTimeout: Duration = .seconds(30), sessionSettings: [String: String] = [:]) {
            self.conninfo = conninfo
            self.maximumConnections = max(1, maximumConnections)
            self.connectTimeout = connectTimeout
            self.sessionSettings = sessionSettings
        }
    }

    /// The configuration the pool was created with.
    public nonisolated let configuration: Configuration
    private let logger: Logger
    private var idle: [Connection] = []
    private var open = 0
    private var waiters: [CheckedContinuation<Connection?, any Error>] = []
    private var closed = false

    /// Creates a pool; connections are opened lazily.
    public init(_ configuration: Configuration, logger: Logger = Logger(label: "backstop.postgres")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Leases a connection for the duration of `body` and returns it afterwards.
    public nonisolated(nonsending) func withConnection<T: Sendable>(
        _ body: (Connection) async throws -> T
    ) async throws -> T {
        let connection = try await lease()
        do {
            let value = try await body(connection)
            await release(connection)
            return value
        } catch {
            await release(connection)
            throw error
        }
    }

    /// Runs `body` in a transaction on a leased connection.
    @discardableResult
    public nonisolated(nonsending) func withTransaction<T: Sendable>(_ body: @Sendable (isolated Connection) async throws -> T) async throws -> T {
        try await withConnection { connection in try await connection.withTransaction(body) }
    }

    /// Runs one statement on a leased connection.
    @discardableResult
    public nonisolated(nonsending) func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws -> QueryResult {
        try await withConnection { try await $0.query(sql, parameters) }
    }

    /// Closes idle connections and refuses new leases; leased connections close when returned.
    public func close() async {
        closed = true
        let toClose = idle
        idle.removeAll()
        open -= toClose.count
        for connection in toClose { await connection.close() }
        for waiter in waiters { waiter.resume(throwing: PostgresError(code: .poolClosed, message: "the pool is closed")) }
        waiters.removeAll()
    }

    /// Connections currently open (idle or leased).
    public var openConnections: Int { open }

    private func lease() async throws -> Connection {
        if closed { throw PostgresError(code: .poolClosed, message: "the pool is closed") }
        while let connection = idle.popLast() {
            if !connection.isBroken { return connection }
            open -= 1
            await connection.close()
        }
        if open < configuration.maximumConnections {
            open += 1
            return try await connectInReservedSlot()
        }
        let handed = try await withCheckedThrowingContinuation { waiters.append($0) }
        if let handed { return handed }
        // A slot was freed and reserved for this caller: open a connection in it.
        return try await connectInReservedSlot()
    }

    /// Connects in a slot already counted in `open`; gives the slot back if that fails.
    private func connectInReservedSlot() async throws -> Connection {
        do {
            return try await connectWithBackoff()
        } catch {
            open -= 1
            wakeOneWaiterToConnect()
            throw error
        }
    }

    private func release(_ connection: Connection) {
        if connection.isBroken || closed {
            Task { await connection.close() }
            open -= 1
            wakeOneWaiterToConnect()
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }

    /// Gives a freed slot to the longest waiter, who then connects itself.
    private func wakeOneWaiterToConnect() {
        guard !waiters.isEmpty, open < configuration.maximumConnections else { return }
        open += 1
        waiters.removeFirst().resume(returning: nil)
    }

    private func connectWithBackoff() async throws -> Connection {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.connectTimeout
        var delay = Duration.milliseconds(25)
        while true {
            do {
                let connection = try await Connection.connect(configuration.conninfo, logger: logger)
                for (name, value) in configuration.sessionSettings.sorted(by: { $0.key < $1.key }) {
                    // set_config takes the name and value as bound parameters.
                    try await connection.query("SELECT set_config($1, $2, false)", [name, value])
                }
                return connection
            } catch {
                if clock.now + delay > deadline || Task.isCancelled { throw error }
                logger.debug("connect failed, retrying in \(delay): \(error)")
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }
}
