import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL cluster in a data directory Backstop owns: the embedded default.
///
/// ``start()`` finds the server binaries, runs `initdb` on first use, starts `postgres` listening
/// only on a Unix socket inside the data directory, waits until it accepts connections and creates
/// the `backstop` database. When started as root it runs the server as the unprivileged `postgres`
/// user, as PostgreSQL requires. A data directory already in use by a running server is reused
/// (that server is then left running by ``stop()``); a stale `postmaster.pid` left by a crash is
/// removed first.
public actor PrivateCluster {
    /// Where and how the cluster runs.
    public struct Configuration: Sendable {
        /// The data directory; its parent directories must be traversable by the server's user.
        public var dataDirectory: String
        /// The port number; with no TCP listener it only names the socket file.
        public var port: Int
        /// A TCP address to listen on as well (for example `127.0.0.1`); `nil` means Unix socket only.
        public var listenAddress: String?
        /// Extra server settings passed as `-c name=value`.
        public var settings: [String: String]
        /// The database created for Backstop.
        public var database: String

        /// Creates a configuration.
        public init(dataDirectory: String = PrivateCluster.defaultDataDirectory(), port: Int = 5432, listenAddress: String? = nil, settings: [String: String] = [:], database: String = "backstop") {
            self.dataDirectory = dataDirectory
            self.port = port
            self.listenAddress = listenAddress
            self.settings = settings
            self.database = database
        }
    }

    /// The role `initdb` creates as superuser.
    public static let superuser = "backstop"

    /// `BACKSTOP_DATA_DIR`, else `/var/lib/backstop/cluster` for root, else
    /// `$XDG_DATA_HOME/backstop/cluster` (or `~/.local/share/backstop/cluster`).
    public static func defaultDataDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let dir = environment["BACKSTOP_DATA_DIR"], !dir.isEmpty { return dir }
        if geteuid() == 0 { return "/var/lib/backstop/cluster" }
        let base = environment["XDG_DATA_HOME"] ?? (NSHomeDirectory() + "/.local/share")
        return base + "/backstop/cluster"
    }

    /// The configuration in use.
    public nonisolated let configuration: Configuration
    private let logger: Logger
    private var process: Process?

    /// Prepares a cluster; nothing happens until ``start()``.
    public init(_ configuration: Configuration = Configuration(), logger: Logger = Logger(label: "backstop.cluster")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The libpq conninfo for a database of this cluster.
    public nonisolated func conninfo(database: String? = nil) -> String {
        "host=\(configuration.dataDirectory) port=\(configuration.port) user=\(Self.superuser) dbname=\(database ?? configuration.database)"
    }

    /// True when this object started the server process (and so ``stop()`` will stop it).
    public var ownsServer: Bool { process != nil }

    /// Initialises (first use), starts and waits for the server; returns the conninfo of the
    /// Backstop database. Idempotent.
    @discardableResult
    public func start() async throws -> String {
        if let starting { return try await starting.value }
        let task = Task { try await startOnce() }
        starting = task
        defer { starting = nil }
        return try await task.value
    }

    private var starting: Task<String, any Error>?

    private func startOnce() async throws -> String {
        if process != nil { return conninfo() }
        let binaries = try ServerBinaries.locate()
        let account = try ServerAccount.current(for: configuration.dataDirectory)
        let dir = configuration.dataDirectory
        try account.prepareDirectory(dir)
        if !FileManager.default.fileExists(atPath: dir + "/PG_VERSION") {
            logger.info("initialising a new PostgreSQL cluster in \(dir)")
            try await run(account.command(binaries.path("initdb"), ["-D", dir, "-U", Self.superuser, "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"]), what: "initdb")
        }
        if try await reuseRunningServer() { return conninfo() }
        try removeStaleLockFiles()
        try launch(binaries: binaries, account: account)
        try await waitUntilReady()
        try await createDatabase()
        return conninfo()
    }

    /// Stops the server this object started (fast shutdown: active sessions are disconnected,
    /// committed work is safe) and waits for it to exit. Does nothing for a reused server.
    public func stop() async {
        guard let process else { return }
        self.process = nil
        ClusterRegistry.shared.forget(process.processIdentifier)
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGINT)
        for _ in 0..<600 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            // Fast shutdown did not finish in 30 s: immediate shutdown, and wait for it.
            kill(process.processIdentifier, SIGQUIT)
            for _ in 0..<200 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
        }
    }

    /// Kills the server without letting it shut down (as a crash would); for recovery tests.
    public func crash() async {
        guard let process else { return }
        self.process = nil
        ClusterRegistry.shared.forget(process.processIdentifier)
        // Like a machine crash: the postmaster and every server process die at once (backends left
        // running would keep the shared memory in use and block the restart).
        let children = Self.childProcesses(of: process.processIdentifier)
        kill(process.processIdentifier, SIGKILL)
        for child in children { kill(child, SIGKILL) }
        for _ in 0..<200 where process.isRunning || children.contains(where: { kill($0, 0) == 0 }) {
            try? await Task.sleep(for: .milliseconds(25))
        }
    }

    /// Processes whose parent is `pid` (from /proc).
    static func childProcesses(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let child = Int32(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")")
            else { return nil }
            // Fields after the command name: state, then the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == pid ? child : nil
        }
    }

    // MARK: steps

    private func reuseRunningServer() async throws -> Bool {
        guard let pid = Self.postmasterPID(in: configuration.dataDirectory), Self.isPostgresProcess(pid) else { return false }
        // It may be starting up or shutting down: give it a little time either way.
        var lastError: (any Error)?
        for _ in 0..<100 {
            do {
                let probe = try await Connection.connect(conninfo(database: "postgres"))
                await probe.close()
                logger.info("reusing the PostgreSQL server already running on \(configuration.dataDirectory) (pid \(pid))")
                try await createDatabase()
                return true
            } catch {
                lastError = error
                if !Self.isPostgresProcess(pid) { return false }  // it shut down: start our own
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        throw PrivateClusterError("a PostgreSQL server (pid \(pid)) is running on \(configuration.dataDirectory) but does not accept connections: \(lastError.map { "\($0)" } ?? "")")
    }

    private func removeStaleLockFiles() throws {
        let dir = configuration.dataDirectory
        guard let pid = Self.postmasterPID(in: dir) else { return }
        if Self.isPostgresProcess(pid) { return }
        logger.warning("removing stale postmaster.pid (pid \(pid) is not running) left by an earlier crash")
        try? FileManager.default.removeItem(atPath: dir + "/postmaster.pid")
        try? FileManager.default.removeItem(atPath: dir + "/.s.PGSQL.\(configuration.port).lock")
        try? FileManager.default.removeItem(atPath: dir + "/.s.PGSQL.\(configuration.port)")
    }

    private func launch(binaries: ServerBinaries, account: ServerAccount) throws {
        let dir = configuration.dataDirectory
        var args = ["-D", dir, "-k", dir, "-p", String(configuration.port), "-c", "listen_addresses=\(configuration.listenAddress ?? "")"]
        for (key, value) in configuration.settings.sorted(by: { $0.key < $1.key }) { args += ["-c", "\(key)=\(value)"] }
        let (tool, arguments) = account.command(binaries.path("postgres"), args)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let logPath = dir + ".log"
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = FileHandle(forWritingAtPath: logPath)
        log?.seekToEndOfFile()
        process.standardOutput = log ?? FileHandle.nullDevice
        process.standardError = log ?? FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw PrivateClusterError("could not start \(tool): \(error)") }
        self.process = process
        ClusterRegistry.shared.remember(process.processIdentifier)
        logger.info("started PostgreSQL (pid \(process.processIdentifier)) on \(dir); log: \(logPath)")
    }

    private func waitUntilReady() async throws {
        let started = ContinuousClock.now
        while ContinuousClock.now - started < .seconds(60) {
            if let process, !process.isRunning {
                self.process = nil
                throw PrivateClusterError("PostgreSQL exited during start-up (status \(process.terminationStatus)); see \(configuration.dataDirectory).log:\n\(logTail())")
            }
            if let probe = try? await Connection.connect(conninfo(database: "postgres")) {
                await probe.close()
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw PrivateClusterError("PostgreSQL did not accept connections within 60 s; see \(configuration.dataDirectory).log")
    }

    private func createDatabase() async throws {
        let admin = try await Connection.connect(conninfo(database: "postgres"))
        let outcome = await Self.createDatabaseIfMissing(configuration.database, on: admin)
        await admin.close()
        try outcome.get()
    }

    private static func createDatabaseIfMissing(_ name: String, on admin: Connection) async -> Result<Void, PostgresError> {
        do throws(PostgresError) {
            let exists = try await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])
            if exists.count == 0 { try await admin.query("CREATE DATABASE \(Connection.quoteIdentifier(name))") }
            return .success(())
        } catch {
            // 42P04: created concurrently by another process, which is fine.
            return error.sqlState == "42P04" ? .success(()) : .failure(error)
        }
    }

    private func run(_ command: (String, [String]), what: String) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command.0)
        process.arguments = command.1
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = await Task.detached { pipe.fileHandleForReading.readDataToEndOfFile() }.value
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        guard process.terminationStatus == 0 else {
            throw PrivateClusterError("\(what) failed (status \(process.terminationStatus)):\n\(String(decoding: output, as: UTF8.self))")
        }
    }

    private func logTail() -> String {
        let text = (try? String(contentsOfFile: configuration.dataDirectory + ".log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(10).joined(separator: "\n")
    }

    static func postmasterPID(in dir: String) -> Int32? {
        guard let text = try? String(contentsOfFile: dir + "/postmaster.pid", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first.flatMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
    }

    static func isPostgresProcess(_ pid: Int32) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return true }
        return String(decoding: cmdline, as: UTF8.self).contains("postgres")
    }
}

/// Server processes started by this process, stopped at exit even if their owner forgot.
final class ClusterRegistry: Sendable {
    static let shared = ClusterRegistry()
    private let pids = Mutex<Set<Int32>>([])

    private init() {
        atexit {
            for pid in ClusterRegistry.shared.pids.withLock({ $0 }) {
                kill(pid, SIGINT)
                var waited = 0
                while kill(pid, 0) == 0, waited < 200 { usleep(25_000); waited += 1 }
            }
        }
    }

    func remember(_ pid: Int32) { _ = pids.withLock { $0.insert(pid) } }
    func forget(_ pid: Int32) { _ = pids.withLock { $0.remove(pid) } }
}
