import BackstopContracts
import BackstopHTTP
import Foundation

// enterprise-service: the HTTP API for enterprises (job offers, referral answers, placements,
// donations, industry support). Settings come from the environment:
//   DATABASE_URL  libpq connection string of the bus's database (required)
//   PORT          port to listen on (default 8082); HOST (default 127.0.0.1)
let environment = ProcessInfo.processInfo.environment
guard let conninfo = environment["DATABASE_URL"], !conninfo.isEmpty else {
    FileHandle.standardError.write(Data("enterprise-service: set DATABASE_URL to the bus's database (a libpq URI or key=value string)\n".utf8))
    exit(2)
}
guard let port = Int(environment["PORT"] ?? "8082"), (0...65535).contains(port) else {
    FileHandle.standardError.write(Data("enterprise-service: PORT must be a number from 0 to 65535\n".utf8))
    exit(2)
}
let server = StakeholderServer(.init(name: "enterprise-service", kinds: [.enterprise], conninfo: conninfo,
                                     host: environment["HOST"] ?? "127.0.0.1", port: port))
do {
    try await server.run { port in
        FileHandle.standardOutput.write(Data("enterprise-service: listening on http://\(environment["HOST"] ?? "127.0.0.1"):\(port)\n".utf8))
    }
} catch {
    FileHandle.standardError.write(Data("enterprise-service: \(error)\n".utf8))
    exit(1)
}
