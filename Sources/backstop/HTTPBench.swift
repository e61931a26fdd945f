import BackstopAccess
import BackstopBus
import BackstopContracts
import BackstopCoordinator
import BackstopHTTP
import BackstopInbox
import BackstopPostgres
import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The `http_publish` scenario: job offers published through an in-process enterprise-service by
/// 16 concurrent keep-alive clients (events per second), then a steady 200 requests per second
/// for the request latency (p50, p99).
struct HTTPBench {
    let conninfo: String
    let messages: Int
    let clients = 16

    func run() async throws -> (rate: Double, p50: Double, p99: Double) {
        let setup = try await Connection.connect(conninfo)
        try await Migrator(migrations: try SystemSchema.migrations()).migrate(setup)
        try await setup.query("DELETE FROM backstop.api_keys WHERE organisation_id = 'ent-bench'")
        try await setup.query("DELETE FROM backstop.organisations WHERE id = 'ent-bench'")
        await setup.close()
        let pool = ConnectionPool(.init(conninfo: conninfo, maximumConnections: 2))
        let registry = OrganisationRegistry(pool: pool)
        try await registry.add(id: "ent-bench", kind: .enterprise, name: "Benchmark enterprise", districtCode: "510703")
        let key = try await registry.issueKey(for: "ent-bench").secret
        await pool.close()

        let port = Mutex<Int?>(nil)
        let server = StakeholderServer(.init(name: "enterprise-service", kinds: [.enterprise], conninfo: conninfo, port: 0), logger: CLILog.logger)
        let serving = Task { try await server.run { bound in port.withLock { $0 = bound } } }
        var bound: Int?
        for _ in 0..<500 where bound == nil {
            bound = port.withLock { $0 }
            try await Task.sleep(for: .milliseconds(10))
        }
        guard let bound, let url = URL(string: "http://127.0.0.1:\(bound)/v1/events") else { throw CLIError("the service did not start") }
        let session = URLSession(configuration: .ephemeral)
        let body = Data((#"{"type":"cn.backstop.job.offered.v1","data":"# + JSONText.encode(JobOfferedV1.sample.json) + "}").utf8)
        @Sendable func post() async throws -> Duration {
            var request = URLRequest(url: url)
            request.httpMethod = "POST"
            request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = body
            let start = ContinuousClock.now
            let (_, response) = try await session.data(for: request)
            guard (response as? HTTPURLResponse)?.statusCode == 201 else {
                throw CLIError("publish answered \((response as? HTTPURLResponse)?.statusCode ?? 0)")
            }
            return ContinuousClock.now - start
        }
        defer { serving.cancel() }

        // Throughput: 16 clients, each on its own keep-alive connection and thread, publishing its
        // share one request at a time.
        let clock = ContinuousClock()
        let start = clock.now
        let clients = self.clients, messages = self.messages
        let request = Array(("POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:\(bound)\r\nAuthorization: Bearer \(key)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n").utf8) + Array(body)
        try await KeepAliveClient.run(clients: clients, port: bound, request: request) { c in
            messages / clients + (c < messages % clients ? 1 : 0)
        }
        let rate = Double(messages) / (clock.now - start).seconds

        // Latency at a steady 200 requests per second for 5 s.
        let latencies = Collected()
        try await withThrowingTaskGroup(of: Void.self) { group in
            let begin = clock.now
            for i in 0..<1000 {
                let due = begin + .milliseconds(5 * i)
                if due > clock.now { try await Task.sleep(until: due) }
                group.addTask { latencies.add(try await post().seconds * 1000) }
            }
            try await group.waitForAll()
        }
        serving.cancel()
        _ = await serving.result
        let sorted = latencies.values.sorted()
        func pct(_ p: Double) -> Double { sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        return (rate, pct(0.5), pct(0.99))
    }
}
