import BackstopBus
import BackstopPostgres
import BackstopTesting
import Foundation
import Testing

@Suite("least privilege")
struct PrivilegeTests {
    @Test func aRoleWithoutCreateCanUseAnAlreadyMigratedBus() async throws {
        let owner = try await BusFixture.make()
        let role = "app_\(UUID().uuidString.prefix(8).lowercased())"
        let database = String(owner.conninfo.split(separator: " ").first { $0.hasPrefix("dbname=") }!.dropFirst(7))
        try await owner.bus.pool.withConnection { c in
            try await c.query("CREATE ROLE \(role) LOGIN")
            try await c.query("REVOKE CREATE ON DATABASE \(database) FROM PUBLIC")
            try await c.query("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            try await c.query("GRANT USAGE ON SCHEMA backstop TO \(role)")
            try await c.query("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA backstop TO \(role)")
            try await c.query("GRANT USAGE ON ALL SEQUENCES IN SCHEMA backstop TO \(role)")
            try await c.query("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA backstop TO \(role)")
        }
        let conninfo = owner.conninfo.replacingOccurrences(of: "user=backstop", with: "user=\(role)")
        // Opening migrates, which must find nothing to do and create nothing.
        let bus = try await Bus.open(BusConfiguration(conninfo: conninfo, reconnectTimeout: .seconds(5)))
        try await bus.createSubscription(.init(name: "app"))
        try await bus.publish(event())
        #expect(try await bus.claim("app").count == 1)
        await bus.close()
        await owner.bus.close()
    }
}
