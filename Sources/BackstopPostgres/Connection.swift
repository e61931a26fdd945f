import CLibPQ
import Foundation
import Logging
import Synchronization

/// One PostgreSQL connection, driven by libpq on a thread of its own.
///
/// Every libpq call runs on the connection's dedicated thread (the actor's executor), so a slow
/// query never holds one of the cooperative pool's few threads. Connection settings follow libpq
/// exactly: a URI or `key=value` conninfo string, the `PG*` environment variables, `.pgpass`,
/// service files and `sslmode` all work as they do in `psql`.
///
/// ```swift
/// let conn = try await Connection.connect("postgresql:///backstop")
/// let rows = try await conn.query("SELECT $1::int + 1", [41])
/// ```
public actor Connection {
    private let thread: ConnectionThread
    private nonisolated let box = HandleBox()
    private var handle: OpaquePointer? {
        get { box.pointer }
        set { box.pointer = newValue }
    }
    private nonisolated let canceller = Canceller()
    private var prepared: [String: PreparedStatement] = [:]
    private let logger: Logger
    private let brokenFlag = AtomicFlag()
    private var onNotification: (@Sendable (PostgresNotification) -> Void)?

    public nonisolated var unownedExecutor: UnownedSerialExecutor { thread.asUnownedSerialExecutor() }

    /// True once the connection has failed for good; the pool discards such connections.
    public nonisolated var isBroken: Bool { brokenFlag.value }

    private init(logger: Logger) {
        thread = ConnectionThread(name: "backstop-pq")
        self.logger = logger
    }

    /// Opens a connection. `conninfo` is anything libpq accepts; an empty string means "use the
    /// `PG*` environment variables and libpq's defaults".
    public static func connect(_ conninfo: String, logger: Logger = Logger(label: "backstop.postgres")) async throws(PostgresError) -> Connection {
        let connection = Connection(logger: logger)
        try await connection.open(conninfo)
        return connection
    }

    private func open(_ conninfo: String) throws(PostgresError) {
        let conn = PQconnectdb(conninfo)
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            let message = conn.map { Self.trimmed(PQerrorMessage($0)) } ?? "out of memory"
            if let conn { PQfinish(conn) }
            brokenFlag.set()
            thread.shutdown()
            throw PostgresError(code: .connectionFailed, message: message)
        }
        handle = conn
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        canceller.set(PQgetCancel(conn))
        // Fixed text formats for the decoders, and no JIT compilation: Backstop's statements run in
        // milliseconds, and compiling one costs tens to hundreds (it made single review requests
        // jump past 400 ms). The caller's own settings stay otherwise untouched.
        _ = try execute("SET DateStyle = ISO; SET TimeZone = 'UTC'; SET bytea_output = 'hex'; SET extra_float_digits = 3; SET jit = off")
    }

    /// Closes the connection and stops its thread.
    public func close() {
        thread.unwatch()
        canceller.release()
        if let handle { PQfinish(handle) }
        handle = nil
        brokenFlag.set()
        thread.shutdown()
    }

    /// Runs one statement with bound parameters and returns its rows.
    ///
    /// Parameters are always sent separately from the SQL text (`$1`, `$2`, …), never spliced in.
    /// Cancelling the calling task asks the server to cancel the statement.
    @discardableResult
    public nonisolated func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws(PostgresError) -> QueryResult {
        try await cancellable { () async throws(PostgresError) in try await self.executeUnlessCancelled(sql, parameters) }
    }

    /// Runs a statement prepared once per connection under `name` (prepared on first use).
    @discardableResult
    public nonisolated func query(prepared name: String, _ sql: String, _ parameters: [any PostgresEncodable] = []) async throws(PostgresError) -> QueryResult {
        try await cancellable { () async throws(PostgresError) in try await self.executePreparedUnlessCancelled(name, sql, parameters) }
    }

    /// Runs `body` inside `BEGIN … COMMIT`; any thrown error rolls the transaction back and is
    /// rethrown. The body runs on the connection's thread, so it must not block on other work.
    @discardableResult
    public func withTransaction<T: Sendable>(
        _ body: @Sendable (isolated Connection) async throws -> T
    ) async throws -> T {
        _ = try execute("BEGIN")
        do {
            let value = try await body(self)
            _ = try execute("COMMIT")
            return value
        } catch {
            if !isBroken { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    /// Runs a statement synchronously on the connection thread. Use from inside ``withTransaction(_:)``.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws(PostgresError) -> QueryResult {
        let conn = try liveHandle()
        // Without parameters, the simple protocol allows several statements (migrations, SET lists).
        if parameters.isEmpty { return try consume(PQexec(conn, sql)) }
        let texts = parameters.map { $0.postgresText }
        let result = Self.withCStrings(texts) { pointers in
            PQexecParams(conn, sql, Int32(pointers.count), nil, pointers, nil, nil, 0)
        }
        return try consume(result)
    }

    /// Runs the statement prepared under `name`, preparing it first if this connection has not yet.
    ///
    /// A prepared statement's plan reflects the table sizes and statistics of the moment it was
    /// prepared; a plan made while a queue table was empty can be badly wrong once it holds
    /// thousands of rows. So each statement is prepared again after 32, 256 and 2048 executions and
    /// then once a minute (``PreparedStatement``).
    @discardableResult
    public func executePrepared(_ name: String, _ sql: String, _ parameters: [any PostgresEncodable] = []) throws(PostgresError) -> QueryResult {
        let conn = try liveHandle()
        let now = ContinuousClock.now
        if let statement = prepared[name], !statement.isDue(at: now) {
            prepared[name]!.executions += 1
        } else {
            var generation = 0
            if let old = prepared.removeValue(forKey: name) {
                _ = try consume(PQexec(conn, "DEALLOCATE \(Self.quoteIdentifier(name))"))
                generation = old.generation + 1
            }
            _ = try consume(PQprepare(conn, name, sql, 0, nil))
            prepared[name] = PreparedStatement(preparedAt: now, executions: 1, generation: generation)
        }
        let texts = parameters.map { $0.postgresText }
        let result = Self.withCStrings(texts) { pointers in
            PQexecPrepared(conn, name, Int32(pointers.count), pointers, nil, nil, 0)
        }
        return try consume(result)
    }

    // MARK: LISTEN

    /// Subscribes this connection to `channel` and reports notifications to `handler`, called on the
    /// connection's thread. Used by ``Listener``.
    func startListening(_ channels: [String], handler: @escaping @Sendable (PostgresNotification) -> Void) throws(PostgresError) {
        onNotification = handler
        for channel in channels { _ = try execute("LISTEN \(Self.quoteIdentifier(channel))") }
        guard let conn = handle else { throw PostgresError(code: .connectionLost, message: "connection closed") }
        thread.watch(fd: PQsocket(conn)) { [weak self] in
            self?.assumeIsolated { $0.socketReadable() }
        }
    }

    private func socketReadable() {
        guard let conn = handle else { thread.unwatch(); return }
        if PQconsumeInput(conn) == 0 || PQstatus(conn) != CONNECTION_OK {
            logger.debug("listening connection lost: \(Self.trimmed(PQerrorMessage(conn)))")
            thread.unwatch()
            brokenFlag.set()
            onNotification?(PostgresNotification(channel: "", payload: "", processID: 0, isConnectionLoss: true))
            return
        }
        drainNotifications()
    }

    private func drainNotifications() {
        guard let conn = handle, let handler = onNotification else { return }
        while let note = PQnotifies(conn) {
            let n = note.pointee
            handler(PostgresNotification(channel: String(cString: n.relname), payload: String(cString: n.extra), processID: Int(n.be_pid)))
            PQfreemem(note)
        }
    }

    /// Quotes an SQL identifier (for statements such as LISTEN that cannot take parameters).
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: internals

    private func liveHandle() throws(PostgresError) -> OpaquePointer {
        guard let handle, !isBroken else { throw PostgresError(code: .connectionLost, message: "connection is closed") }
        return handle
    }

    /// Runs `work` (which hops onto the connection thread) so that cancelling the calling task
    /// sends a cancel request to the server. Kept nonisolated on purpose: the statement itself must
    /// run through an `await` on the actor, which is what puts it on the connection's own thread.
    private nonisolated func cancellable<T: Sendable>(_ work: @Sendable () async throws(PostgresError) -> T) async throws(PostgresError) -> T {
        let canceller = self.canceller
        canceller.reset()
        let result: Result<T, PostgresError> = await withTaskCancellationHandler {
            do throws(PostgresError) { return .success(try await work()) } catch { return .failure(error) }
        } onCancel: {
            canceller.cancel()
        }
        // A cancel request may still reach the server after this statement ended and hit the next
        // one; a connection that sent one is not reused.
        if canceller.fired { brokenFlag.set() }
        return try result.get()
    }

    /// Runs a statement unless its task was cancelled before it could be sent: a cancel request
    /// that reaches the server before the statement does is ignored there, so it must stop the
    /// statement here instead.
    private func unlessCancelled<T>(_ body: () throws(PostgresError) -> T) throws(PostgresError) -> T {
        guard canceller.beginStatement() else {
            throw PostgresError(code: .server, message: "canceling statement due to user request (before it was sent)", sqlState: "57014")
        }
        defer { canceller.endStatement() }
        return try body()
    }

    private func executeUnlessCancelled(_ sql: String, _ parameters: [any PostgresEncodable]) throws(PostgresError) -> QueryResult {
        try unlessCancelled { () throws(PostgresError) in try execute(sql, parameters) }
    }

    private func executePreparedUnlessCancelled(_ name: String, _ sql: String, _ parameters: [any PostgresEncodable]) throws(PostgresError) -> QueryResult {
        try unlessCancelled { () throws(PostgresError) in try executePrepared(name, sql, parameters) }
    }

    private func consume(_ result: OpaquePointer?) throws(PostgresError) -> QueryResult {
        defer {
            if let result { PQclear(result) }
            if onNotification != nil { drainNotifications() }
        }
        guard let result else { throw lostOrFailed() }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return QueryResult(columns: [], rows: [], affectedRows: Int(String(cString: PQcmdTuples(result))) ?? 0)
        case PGRES_TUPLES_OK:
            let columnCount = Int(PQnfields(result))
            let rowCount = Int(PQntuples(result))
            let names = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
            var rows: [PostgresRow] = []
            rows.reserveCapacity(rowCount)
            for r in 0..<Int32(rowCount) {
                var values: [String?] = []
                values.reserveCapacity(columnCount)
                for c in 0..<Int32(columnCount) {
                    values.append(PQgetisnull(result, r, c) != 0 ? nil : String(cString: PQgetvalue(result, r, c)))
                }
                rows.append(PostgresRow(names: names, values: values))
            }
            return QueryResult(columns: names, rows: rows, affectedRows: rowCount)
        default:
            func field(_ code: Character) -> String? {
                PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
            }
            let message = field("M") ?? Self.trimmed(PQresultErrorMessage(result))
            if let handle, PQstatus(handle) != CONNECTION_OK { brokenFlag.set() }
            let sqlState = field("C")
            return try fail(PostgresError(
                code: isBroken && sqlState == nil ? .connectionLost : .server,
                message: message, sqlState: sqlState, detail: field("D"), hint: field("H")))
        }
    }

    private func fail(_ error: PostgresError) throws(PostgresError) -> QueryResult {
        if error.sqlState?.hasPrefix("57P") == true { brokenFlag.set() }
        throw error
    }

    private func lostOrFailed() -> PostgresError {
        guard let handle else { return PostgresError(code: .connectionLost, message: "connection is closed") }
        let message = Self.trimmed(PQerrorMessage(handle))
        if PQstatus(handle) != CONNECTION_OK {
            brokenFlag.set()
            return PostgresError(code: .connectionLost, message: message)
        }
        return PostgresError(code: .server, message: message)
    }

    static func trimmed(_ text: UnsafePointer<CChar>?) -> String {
        text.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
    }

    private static func withCStrings<R>(_ values: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let owned: [UnsafeMutablePointer<CChar>?] = values.map { $0.map { strdup($0)! } }
        defer { owned.forEach { free($0) } }
        return body(owned.map { $0.map { UnsafePointer($0) } })
    }

    deinit {
        // Nobody else can hold the connection now. (Not an isolated deinit: after close() the
        // thread is gone and a job queued on it would never run.)
        if let pointer = box.pointer { PQfinish(pointer) }
        thread.shutdown()
    }
}

/// The libpq handle. `@unchecked`: it is only touched on the connection's thread, and in `deinit`
/// when no other reference exists.
final class HandleBox: @unchecked Sendable {
    var pointer: OpaquePointer?
}

/// A NOTIFY received on a listening connection.
public struct PostgresNotification: Sendable, Equatable {
    /// The channel it was sent on.
    public var channel: String
    /// The payload text (empty when none was given).
    public var payload: String
    /// The backend process that sent it.
    public var processID: Int
    /// True for the synthetic notice a ``Listener`` yields after it reconnected (or, when asked, when
    /// it first listens): notifications may have been missed, so listeners should re-check their state.
    public var isConnectionLoss: Bool = false
}

/// libpq's cancel object for one connection; `PQcancel` may be called from any thread.
final class Canceller: Sendable {
    private struct Handle: @unchecked Sendable { let pointer: OpaquePointer }
    private let handle = Mutex<Handle?>(nil)

    func set(_ pointer: OpaquePointer?) {
        handle.withLock { $0 = pointer.map(Handle.init) }
    }

    private let sent = Atomic<Bool>(false)
    /// Whether the current call was cancelled, and whether its statement is on the wire.
    private let state = Mutex<(requested: Bool, running: Bool)>((false, false))

    /// Whether a cancel request was ever sent on this connection.
    var fired: Bool { sent.load(ordering: .acquiring) }

    /// Starts a new cancellable call.
    func reset() { state.withLock { $0 = (false, false) } }

    /// Marks the statement as sent; false when the call was cancelled before (nothing is sent).
    func beginStatement() -> Bool {
        state.withLock { s in
            if s.requested { return false }
            s.running = true
            return true
        }
    }

    /// Marks the statement as finished.
    func endStatement() { state.withLock { $0.running = false } }

    /// Cancels the current call: a statement on the wire gets a cancel request; one not yet sent
    /// is never sent.
    func cancel() {
        let running = state.withLock { s in
            s.requested = true
            return s.running
        }
        guard running else { return }
        handle.withLock { h in
            guard let h else { return }
            sent.store(true, ordering: .releasing)
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(h.pointer, &buffer, Int32(buffer.count))
        }
    }

    /// Frees the cancel object (the connection is closing).
    func release() {
        handle.withLock { h in
            if let h { PQfreeCancel(h.pointer) }
            h = nil
        }
    }

    deinit { release() }
}
