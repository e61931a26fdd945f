import BackstopAccess
import BackstopBus
import BackstopContracts
import BackstopCoordinator
import BackstopHTTP
import BackstopInbox
import BackstopPostgres
import BackstopTesting
import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A service executable (built next to the tests) run as its own process.
struct ServiceProcess {
    let process: Process
    let base: URL

    static func start(_ name: String, conninfo: String) async throws -> ServiceProcess {
        let process = Process()
        process.executableURL = TestExecutable.url(name)
        process.environment = ["DATABASE_URL": conninfo, "PORT": "0", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line says where it listens.
        let line = await Task.detached { () -> String in
            var bytes: [UInt8] = []
            while let byte = try? out.fileHandleForReading.read(upToCount: 1), let b = byte.first, b != UInt8(ascii: "\n") { bytes.append(b) }
            return String(decoding: bytes, as: UTF8.self)
        }.value
        guard let range = line.range(of: "http://") else { throw CancellationError() }
        return ServiceProcess(process: process, base: URL(string: String(line[range.lowerBound...]))!)
    }

    func post(_ path: String, key: String, body: String) async throws -> Int {
        var request = URLRequest(url: base.appendingPathComponent(path))
        request.httpMethod = "POST"
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body.utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as! HTTPURLResponse).statusCode
    }

    /// SIGTERM, then the exit status.
    func stop() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

@Suite("service executables", .serialized)
struct ServiceProcessTests {
    @Test(.timeLimit(.minutes(2)))
    func eachKindUsesItsOwnServiceAndSIGTERMStopsItCleanly() async throws {
        let conninfo = try await TestCluster.migratedDatabase()
        let pool = ConnectionPool(.init(conninfo: conninfo, maximumConnections: 2))
        _ = try await pool.withConnection { c in
            try await Migrator(migrations: try SystemSchema.migrations()).migrate(c)
        }
        let registry = OrganisationRegistry(pool: pool)
        try await registry.add(id: "township-510703001", kind: .township, name: "Township 001", districtCode: "510703001")
        try await registry.add(id: "ngo-county-charity", kind: .socialOrg, name: "County charity", districtCode: "510703")
        let township = try await registry.issueKey(for: "township-510703001").secret
        let charity = try await registry.issueKey(for: "ngo-county-charity").secret

        let department = try await ServiceProcess.start("department-service", conninfo: conninfo)
        let social = try await ServiceProcess.start("social-org-service", conninfo: conninfo)
        let visit = #"{"type":"cn.backstop.verification.visit_recorded.v1","data":"# + JSONText.encode(VerificationVisitRecordedV1.sample.json) + "}"
        #expect(try await department.post("/v1/events", key: township, body: visit) == 201, "a township publishes on department-service")
        #expect(try await social.post("/v1/events", key: township, body: visit) == 403, "not on the social-org service")
        let pledge = #"{"type":"cn.backstop.donation.pledged.v1","data":"# + JSONText.encode(DonationPledgedV1.sample.json) + "}"
        #expect(try await social.post("/v1/events", key: charity, body: pledge) == 201)
        let close = #"{"type":"cn.backstop.case.closed.v1","data":"# + JSONText.encode(CaseClosedV1.sample.json) + "}"
        #expect(try await social.post("/v1/events", key: charity, body: close) == 403, "a social organisation cannot close a case")
        #expect(department.stop() == 0)
        #expect(social.stop() == 0)
        #expect(try await pool.query("SELECT count(*) FROM backstop.events").first!.decode(Int.self, at: 0) == 2)
        await pool.close()
    }

    @Test(.timeLimit(.minutes(2)))
    func sigtermWithRequestsAndAStreamInFlightLosesNothingAndExitsZero() async throws {
        let conninfo = try await TestCluster.migratedDatabase()
        let pool = ConnectionPool(.init(conninfo: conninfo, maximumConnections: 2))
        _ = try await pool.withConnection { c in
            try await Migrator(migrations: try SystemSchema.migrations()).migrate(c)
        }
        let registry = OrganisationRegistry(pool: pool)
        try await registry.add(id: "township-510703001", kind: .township, name: "Township 001", districtCode: "510703001")
        let key = try await registry.issueKey(for: "township-510703001").secret
        let service = try await ServiceProcess.start("department-service", conninfo: conninfo)
        let stream = try EventStreamClient(service.base.appendingPathComponent("v1/inbox/stream"), key: key)
        try await Task.sleep(for: .milliseconds(300))

        let visit = #"{"type":"cn.backstop.verification.visit_recorded.v1","data":"# + JSONText.encode(VerificationVisitRecordedV1.sample.json) + "}"
        // 60 publishes in flight; SIGTERM arrives once 10 are answered, while the rest are in flight.
        let accepted = await withTaskGroup(of: String?.self) { group -> [String] in
            for i in 0..<60 {
                group.addTask {
                    var request = URLRequest(url: service.base.appendingPathComponent("v1/events"))
                    request.httpMethod = "POST"
                    request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
                    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                    request.setValue("visit-\(i)", forHTTPHeaderField: "Idempotency-Key")
                    request.httpBody = Data(visit.utf8)
                    request.timeoutInterval = 10
                    guard let (data, response) = try? await URLSession.shared.data(for: request),
                          (response as? HTTPURLResponse)?.statusCode == 201 else { return nil }
                    return JSONText.decode(String(decoding: data, as: UTF8.self))?.objectValue?["id"].flatMap { if case .string(let id) = $0 { id } else { nil } }
                }
            }
            var ids: [String] = []
            var answered = 0
            for await id in group {
                if let id { ids.append(id) }
                answered += 1
                if answered == 10 { kill(service.process.processIdentifier, SIGTERM) }
            }
            return ids
        }
        for _ in 0..<1500 where service.process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!service.process.isRunning, "stopped within 15 s")
        #expect(service.process.terminationStatus == 0, "a graceful stop exits 0, even with a stream open")
        #expect(!accepted.isEmpty)
        let stored = try await pool.query("SELECT id FROM backstop.events").map { try $0.decode(String.self, at: 0) }
        #expect(Set(accepted).isSubset(of: Set(stored)), "every publish answered 201 is stored")
        await stream.close()
        await pool.close()
    }
}
