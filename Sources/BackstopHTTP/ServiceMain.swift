import BackstopContracts
import BackstopCoordinator
import BackstopMonitoring
import Foundation

/// The `main` of every stakeholder service executable. Settings come from the environment:
/// `DATABASE_URL` (the bus's database, a libpq URI or key=value string; required), `PORT` (default
/// per service), `HOST` (default 127.0.0.1) and, for department-service, `BACKSTOP_SCREENING` (the
/// screening rules file; default `Ops/screening/s-province.yaml` when it exists). Exits 0 after a graceful shutdown (SIGTERM/SIGINT),
/// 2 for bad settings, 1 when the server fails.
public enum ServiceMain {
    /// Runs `service` until it is stopped.
    public static func run(_ service: StakeholderService) async -> Never {
        let name = service.name
        let defaultPort = service.defaultPort
        let environment = ProcessInfo.processInfo.environment
        func fail(_ message: String, _ status: Int32) -> Never {
            FileHandle.standardError.write(Data("\(name): \(message)\n".utf8))
            exit(status)
        }
        guard let conninfo = environment["DATABASE_URL"], !conninfo.isEmpty else {
            fail("set DATABASE_URL to the bus's database (a libpq URI or key=value string)", 2)
        }
        guard let port = Int(environment["PORT"] ?? String(defaultPort)), (0...65535).contains(port) else {
            fail("PORT must be a number from 0 to 65535", 2)
        }
        let host = environment["HOST"] ?? "127.0.0.1"
        var screening: ScreeningRules?
        if service.kinds.contains(.department) {
            let given = environment["BACKSTOP_SCREENING"].flatMap { $0.isEmpty ? nil : $0 }
            let path = given ?? "Ops/screening/s-province.yaml"
            if given != nil || FileManager.default.fileExists(atPath: path) {
                do { screening = try ScreeningFile.load(URL(fileURLWithPath: path)) } catch {
                    fail("the screening rules are not valid, nothing was started:\n  " + error.problems.map(\.description).joined(separator: "\n  "), 2)
                }
            } else {
                FileHandle.standardError.write(Data("\(name): no screening rules (set BACKSTOP_SCREENING); pushes will be refused\n".utf8))
            }
        }
        let server = StakeholderServer(.init(name: name, kinds: service.kinds, conninfo: conninfo, host: host, port: port, screening: screening))
        do {
            try await server.run { port in
                FileHandle.standardOutput.write(Data("\(name): listening on http://\(host):\(port)\n".utf8))
            }
        } catch {
            fail("\(error)", 1)
        }
        exit(0)
    }
}
