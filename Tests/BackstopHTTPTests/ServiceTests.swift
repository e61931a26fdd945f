import BackstopAccess
import BackstopBus
import BackstopContracts
import BackstopCoordinator
import BackstopHTTP
import BackstopInbox
import BackstopMonitoring
import BackstopPostgres
import BackstopTesting
import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An enterprise-service on a loopback port, on a fresh database with every schema, and keys for
/// an enterprise, a department and a disabled enterprise.
struct ServiceFixture {
    let base: URL
    let conninfo: String
    let pool: ConnectionPool
    let registry: OrganisationRegistry
    let enterpriseKey: String
    let departmentKey: String
    let task: Task<Void, any Error>

    static func make(_ service: StakeholderService = .enterprise, screening: ScreeningRules? = nil) async throws -> ServiceFixture {
        let conninfo = try await TestCluster.migratedDatabase()
        let pool = ConnectionPool(.init(conninfo: conninfo, maximumConnections: 2))
        _ = try await pool.withConnection { c in
            try await Migrator(migrations: try SystemSchema.migrations()).migrate(c)
        }
        let registry = OrganisationRegistry(pool: pool)
        try await registry.add(id: "ent-lvyuan-foods", kind: .enterprise, name: "Lvyuan Foods", districtCode: "510703")
        try await registry.add(id: "dept-hrss", kind: .department, name: "Human resources and social security", districtCode: "510703")
        let enterpriseKey = try await registry.issueKey(for: "ent-lvyuan-foods").secret
        let departmentKey = try await registry.issueKey(for: "dept-hrss").secret
        let port = PortBox()
        let server = StakeholderServer(.init(name: service.name, kinds: service.kinds, conninfo: conninfo, port: 0, screening: screening))
        let task = Task { try await server.run { await port.set($0) } }
        let bound = try await port.wait()
        return ServiceFixture(base: URL(string: "http://127.0.0.1:\(bound)")!, conninfo: conninfo, pool: pool, registry: registry,
                              enterpriseKey: enterpriseKey, departmentKey: departmentKey, task: task)
    }

    struct Reply {
        let status: Int
        let headers: [String: String]
        let json: JSONValue?
    }

    func request(_ method: String, _ path: String, key: String? = nil, body: String? = nil, headers: [String: String] = [:]) async throws -> Reply {
        var request = URLRequest(url: base.appendingPathComponent(path))
        if let query = path.split(separator: "?", maxSplits: 1).dropFirst().first {
            request.url = URL(string: base.absoluteString + path.split(separator: "?").first! + "?" + query)
        }
        request.httpMethod = method
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields { fields[String(describing: name).lowercased()] = String(describing: value) }
        return Reply(status: http.statusCode, headers: fields, json: JSONText.decode(String(decoding: data, as: UTF8.self)))
    }

    func count(_ sql: String) async throws -> Int { try await pool.query(sql).first!.decode(Int.self, at: 0) }

    func stop() async {
        task.cancel()
        _ = await task.result
        await pool.close()
    }
}

/// The port a server reports once it listens.
actor PortBox {
    private var port: Int?
    func set(_ value: Int) { port = value }
    func wait() async throws -> Int {
        for _ in 0..<500 {
            if let port { return port }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw CancellationError()
    }
}

/// A job offer's payload from the contract examples, as JSON text.
func jobOffer() -> String { JSONText.encode(JobOfferedV1.sample.json) }

@Suite("enterprise-service over real HTTP", .serialized)
struct ServiceTests {
    @Test func healthAndReadinessNeedNoKey() async throws {
        let f = try await ServiceFixture.make()
        let health = try await f.request("GET", "/health")
        #expect(health.status == 200 && health.json?.objectValue?["service"] == .string("enterprise-service"))
        #expect(try await f.request("GET", "/ready").status == 200)
        await f.stop()
    }

    @Test func keysAreCheckedBeforeAnything() async throws {
        let f = try await ServiceFixture.make()
        let none = try await f.request("GET", "/v1/obligations")
        #expect(none.status == 401 && none.headers["content-type"]?.hasPrefix("application/problem+json") == true && none.headers["www-authenticate"] != nil)
        #expect(try await f.request("GET", "/v1/obligations", key: "bk_" + String(repeating: "a", count: 64)).status == 401)
        let department = try await f.request("GET", "/v1/obligations", key: f.departmentKey)
        #expect(department.status == 403, "a department key on the enterprise service")
        try await f.registry.revokeKey(String(f.enterpriseKey.prefix(11)))
        #expect(try await f.request("GET", "/v1/obligations", key: f.enterpriseKey).status == 401, "revoked")
        let fresh = try await f.registry.issueKey(for: "ent-lvyuan-foods")
        #expect(try await f.request("GET", "/v1/obligations", key: fresh.secret).status == 200)
        try await f.registry.disable("ent-lvyuan-foods")
        #expect(try await f.request("GET", "/v1/obligations", key: fresh.secret).status == 401, "disabled organisation")
        await f.stop()
    }

    @Test func publishingIsIdempotentAndCheckedAgainstContractsAndPermissions() async throws {
        let f = try await ServiceFixture.make()
        let body = #"{"type":"cn.backstop.job.offered.v1","data":"# + jobOffer() + "}"
        let first = try await f.request("POST", "/v1/events", key: f.enterpriseKey, body: body, headers: ["Idempotency-Key": "offer-17"])
        #expect(first.status == 201, "\(String(describing: first.json))")
        #expect(first.json?.objectValue?["source"] == .string("/orgs/ent-lvyuan-foods"))
        let retry = try await f.request("POST", "/v1/events", key: f.enterpriseKey, body: body, headers: ["Idempotency-Key": "offer-17"])
        #expect(retry.status == 200 && retry.json?.objectValue?["duplicate"] == .bool(true))
        #expect(retry.json?.objectValue?["id"] == first.json?.objectValue?["id"])
        #expect(try await f.count("SELECT count(*) FROM backstop.events") == 1)

        // Bad input: every problem named, nothing written, never a 5xx.
        var broken = JobOfferedV1.sample.json.objectValue!
        broken["positions"] = .number(0)
        broken["extra"] = .bool(true)
        let bad = try await f.request("POST", "/v1/events", key: f.enterpriseKey,
                                      body: #"{"type":"cn.backstop.job.offered.v1","data":"# + JSONText.encode(.object(broken)) + "}")
        #expect(bad.status == 400 && bad.headers["content-type"]?.hasPrefix("application/problem+json") == true)
        let pointers = bad.json?.objectValue?["errors"].flatMap { value -> [String]? in
            guard case .array(let items) = value else { return nil }
            return items.compactMap { if case .string(let p)? = $0.objectValue?["pointer"] { p } else { nil } }
        }
        #expect(pointers?.sorted() == ["/data/extra", "/data/positions"])
        for text in ["{not json", "[1,2]", #"{"type":"Job Offered","data":{}}"#] {
            let reply = try await f.request("POST", "/v1/events", key: f.enterpriseKey, body: text)
            #expect(reply.status == 400, "\(text) → \(reply.status)")
        }
        // Permissions: an enterprise may not sign for an alert, nor publish as another organisation.
        let ack = #"{"type":"cn.backstop.alert.acknowledged.v1","data":"# + JSONText.encode(AlertAcknowledgedV1.sample.json) + "}"
        #expect(try await f.request("POST", "/v1/events", key: f.enterpriseKey, body: ack).status == 403)
        let impostor = #"{"source":"/orgs/ent-other","type":"cn.backstop.job.offered.v1","data":"# + jobOffer() + "}"
        #expect(try await f.request("POST", "/v1/events", key: f.enterpriseKey, body: impostor).status == 403)
        #expect(try await f.count("SELECT count(*) FROM backstop.events") == 1)
        await f.stop()
    }

    @Test func obligationsAreTheCallersOwnWithDueTimes() async throws {
        let f = try await ServiceFixture.make()
        _ = try await f.pool.query("""
            INSERT INTO backstop.obligations (rule_id, action, owner_org, link_key, trigger_source, trigger_id, calendar,
                opened_at, warn_at, due_at, breach_at, supervise_at, next_at)
            VALUES ('D8-answer-referral', 'answer_referral', 'ent-lvyuan-foods', 'ref-1', '/orgs/dept-hrss', 'e1', 'working_days',
                    now() - interval '3 days', now() - interval '2 days', now() - interval '1 day', now() - interval '1 day', now() + interval '4 days', now()),
                   ('D8-answer-referral', 'answer_referral', 'ent-other', 'ref-2', '/orgs/dept-hrss', 'e2', 'working_days',
                    now(), now(), now() + interval '1 day', now() + interval '1 day', now() + interval '6 days', now())
            """)
        let reply = try await f.request("GET", "/v1/obligations", key: f.enterpriseKey)
        #expect(reply.status == 200)
        guard case .array(let items)? = reply.json?.objectValue?["obligations"] else { Issue.record("no list"); return }
        #expect(items.count == 1)
        #expect(items.first?.objectValue?["subject_ref"] == .string("ref-1") && items.first?.objectValue?["overdue"] == .bool(true))
        for query in ["/v1/obligations?limit=0", "/v1/obligations?limit=abc", "/v1/obligations?state=closed"] {
            let bad = try await f.request("GET", query, key: f.enterpriseKey)
            #expect(bad.status == 400, "\(query) → \(bad.status)")
        }
        await f.stop()
    }
}
