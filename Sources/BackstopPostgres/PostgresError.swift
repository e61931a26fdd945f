/// An error from PostgreSQL or from the libpq connection that carries it.
///
/// Server errors keep the fields PostgreSQL reports (SQLSTATE, message, detail, hint), so callers can
/// branch on ``sqlState`` rather than on message text.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String { case server, connectionFailed, connectionLost, decoding, poolClosed, timeout }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The server rejected a statement; see ``PostgresError/sqlState``.
        public static let server = Code(.server)
        /// A connection could not be established.
        public static let connectionFailed = Code(.connectionFailed)
        /// An established connection broke (server restart, network loss).
        public static let connectionLost = Code(.connectionLost)
        /// A value could not be decoded into the requested Swift type.
        public static let decoding = Code(.decoding)
        /// The pool was shut down.
        public static let poolClosed = Code(.poolClosed)
        /// Waiting for a connection or the server took too long.
        public static let timeout = Code(.timeout)

        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// The five-character SQLSTATE for server errors (for example `23505` for a unique violation).
    public var sqlState: String?
    /// The primary, human-readable message.
    public var message: String
    /// The server's optional detail line.
    public var detail: String?
    /// The server's optional hint.
    public var hint: String?

    /// Creates an error; most are made by the driver itself.
    public init(code: Code, message: String, sqlState: String? = nil, detail: String? = nil, hint: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
    }

    /// True when retrying on a fresh connection may succeed: the connection was lost or could not be
    /// made, or the server said it is shutting down or starting up (SQLSTATE class 57P, 08).
    public var isTransient: Bool {
        if code == .connectionLost || code == .connectionFailed || code == .timeout { return true }
        guard let state = sqlState else { return false }
        return state.hasPrefix("57P") || state.hasPrefix("08") || state == "40001" || state == "40P01"
    }

    public var description: String {
        var text = "PostgreSQL \(code)"
        if let sqlState { text += " [\(sqlState)]" }
        text += ": \(message)"
        if let detail { text += " (\(detail))" }
        return text
    }
}
