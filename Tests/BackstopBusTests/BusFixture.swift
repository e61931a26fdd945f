import BackstopBus
import BackstopContracts
import BackstopPostgres
import BackstopTesting
import Foundation

/// A bus on a fresh, migrated database of the shared test cluster.
struct BusFixture {
    let bus: Bus
    let conninfo: String

    static func make(pollInterval: Duration = .milliseconds(200)) async throws -> BusFixture {
        let conninfo = try await TestCluster.migratedDatabase()
        let bus = Bus(BusConfiguration(conninfo: conninfo, maximumConnections: 8, reconnectTimeout: .seconds(20), pollInterval: pollInterval))
        return BusFixture(bus: bus, conninfo: conninfo)
    }

    func count(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws -> Int {
        try await bus.pool.query(sql, parameters).first!.decode(Int.self, at: 0)
    }
}

/// An alert-like event for tests.
func event(_ type: String = "test.alert.raised.v1", subject: String? = nil, district: String? = "510703001",
           key: String? = nil, source: String = "/orgs/coordinator", n: Int = 0) -> CloudEvent {
    CloudEvent(source: source, type: type, subject: subject, districtCode: district, idempotencyKey: key,
               data: .object(["n": .number(Double(n)), "severity": .string("P2")]))
}

/// Collects values from concurrent tasks.
actor Collector<T: Sendable> {
    private(set) var items: [T] = []
    func add(_ item: T) { items.append(item) }
    func add(contentsOf more: [T]) { items.append(contentsOf: more) }
}
