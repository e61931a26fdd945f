import Foundation

/// Where the PostgreSQL server programs (`postgres`, `initdb`) are installed.
public struct ServerBinaries: Sendable, Equatable {
    /// The directory holding `postgres` and `initdb`.
    public var directory: String

    /// The path of one program in ``directory``.
    public func path(_ program: String) -> String { directory + "/" + program }

    /// Finds the server binaries: `BACKSTOP_PG_BINDIR`, then `pg_config --bindir`, then `PATH`, then
    /// Debian's `/usr/lib/postgresql/<version>/bin` (newest first).
    ///
    /// - Throws: ``PrivateClusterError`` naming the Debian package to install when none is found.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment, searchDebianDirectories: Bool = true) throws(PrivateClusterError) -> ServerBinaries {
        var candidates: [String] = []
        if let dir = environment["BACKSTOP_PG_BINDIR"] { candidates.append(dir) }
        if let dir = pgConfigBindir(environment) { candidates.append(dir) }
        candidates += (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        if searchDebianDirectories { candidates += debianVersionDirectories() }
        let fm = FileManager.default
        for dir in candidates where fm.isExecutableFile(atPath: dir + "/postgres") && fm.isExecutableFile(atPath: dir + "/initdb") {
            return ServerBinaries(directory: dir)
        }
        throw PrivateClusterError(
            "PostgreSQL server binaries (postgres, initdb) not found. Install them with `apt-get install postgresql`, "
                + "set BACKSTOP_PG_BINDIR, or point Backstop at an existing server with --database-url.")
    }

    private static func debianVersionDirectories() -> [String] {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.sorted { (Double($0) ?? 0) > (Double($1) ?? 0) }.map { "\(root)/\($0)/bin" }
    }

    private static func pgConfigBindir(_ environment: [String: String]) -> String? {
        for dir in (environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let tool = "\(dir)/pg_config"
            guard FileManager.default.isExecutableFile(atPath: tool) else { continue }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = ["--bindir"]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return nil }
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return nil
    }
}

/// Why the private cluster could not be prepared or started. The message says what to do.
public struct PrivateClusterError: Error, CustomStringConvertible, Sendable {
    /// What went wrong and how to fix it.
    public var message: String
    /// Creates an error with its message.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
