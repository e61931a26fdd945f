import BackstopAccess
import BackstopContracts
import BackstopHTTP
import BackstopMonitoring
import BackstopPostgres
import Foundation
import Testing

/// The shipped screening rules and push examples.
enum PushFiles {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let screening = try! ScreeningFile.load(root.appendingPathComponent("Ops/screening/s-province.yaml"))
    static func example(_ name: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent("Contracts/pushes/examples/\(name)"), encoding: .utf8)
    }
}

@Suite("department pushes over real HTTP", .serialized)
struct PushHTTPTests {
    /// department-service with the shipped screening rules and a medical insurance key.
    func service() async throws -> (ServiceFixture, key: String) {
        let f = try await ServiceFixture.make(.department, screening: PushFiles.screening)
        try await f.registry.add(id: "dept-medical-insurance", kind: .department, name: "Medical insurance bureau", districtCode: "510703")
        return (f, try await f.registry.issueKey(for: "dept-medical-insurance").secret)
    }

    static let csvHeaders = ["Content-Type": "text/csv"]
    static let csvPath = "/v1/pushes/csv?indicator_set=medical_insurance&period=2026-10"

    @Test func jsonAndCSVPushesAreScreenedOnceAndConflictsRefused() async throws {
        let (f, key) = try await service()
        let first = try await f.request("POST", "/v1/pushes", key: key, body: try PushFiles.example("medical-insurance-2026-10.json"))
        #expect(first.status == 201, "\(String(describing: first.json))")
        let receipt = first.json?.objectValue ?? [:]
        #expect(receipt["records"] == .number(4) && receipt["flagged"] == .number(3) && receipt["clues"] == .number(3))
        #expect(receipt["push_key"] == .string("medical_insurance/2026-10") && receipt["duplicate"] == .bool(false))
        // The same records as CSV: the same push, nothing changes.
        let again = try await f.request("POST", Self.csvPath, key: key, body: try PushFiles.example("medical-insurance-2026-10.csv"), headers: Self.csvHeaders)
        #expect(again.status == 200 && again.json?.objectValue?["duplicate"] == .bool(true))
        #expect(again.json?.objectValue?["push_id"] == receipt["push_id"])
        #expect(try await f.count("SELECT count(*) FROM backstop.events WHERE type = 'cn.backstop.risk.clue.reported.v1'") == 3)
        #expect(try await f.count("SELECT count(*) FROM backstop.events WHERE type = 'cn.backstop.data_push.received.v1'") == 1)
        // Other records for the same department, set and period: refused, nothing written.
        let changed = try PushFiles.example("medical-insurance-2026-10.csv").replacingOccurrences(of: "26000", with: "26500")
        let conflict = try await f.request("POST", Self.csvPath, key: key, body: changed, headers: Self.csvHeaders)
        #expect(conflict.status == 409 && conflict.headers["content-type"]?.hasPrefix("application/problem+json") == true)
        #expect(try await f.count("SELECT count(*) FROM backstop.events") == 4)
        // No value travels on the bus.
        let texts = try await f.pool.query("SELECT envelope::text FROM backstop.events").map { try $0.decode(String.self, at: 0) }
        #expect(!texts.contains { $0.contains(": 6800") || $0.contains(": 26000") || $0.contains(": 620") })
        // The department reads its raw values back with a purpose, and the read is audit-logged.
        let id = receipt["push_id"].flatMap { if case .string(let s) = $0 { s } else { nil } } ?? ""
        let records = try await f.request("GET", "/v1/pushes/\(id)/records?purpose=assistance", key: key)
        #expect(records.status == 200 && records.json?.objectValue?["records"]?.arrayValue?.count == 3)
        #expect(try await f.count("SELECT count(*) FROM backstop.audit_log WHERE organisation_id = 'dept-medical-insurance' AND event_id = '\(id)' AND purpose = 'assistance'") == 1)
        #expect(try await f.request("GET", "/v1/pushes/\(id)/records?purpose=assistance", key: f.departmentKey).status == 404)
        let list = try await f.request("GET", "/v1/pushes", key: key)
        #expect(list.json?.objectValue?["pushes"]?.arrayValue?.count == 1)
        await f.stop()
    }

    @Test func malformedPushesListEveryProblemAndWriteNothing() async throws {
        let (f, key) = try await service()
        let csv = try await f.request("POST", Self.csvPath, key: key, body: try PushFiles.example("invalid-rows.csv"), headers: Self.csvHeaders)
        #expect(csv.status == 400 && csv.headers["content-type"]?.hasPrefix("application/problem+json") == true)
        let csvPointers = Set(csv.json?.objectValue?["errors"]?.arrayValue?.compactMap { $0.objectValue?["pointer"] } ?? [])
        #expect(csvPointers == [.string("row 2, value"), .string("row 3, unit"), .string("row 4, household_ref")])
        let json = try await f.request("POST", "/v1/pushes", key: key, body: """
            {"indicator_set": "medical_insurance", "period": "2026-10", "records": [
              {"household_ref": "hh-3f2a9c1d5e7b4a608d1c2e3f4a5b6c7d", "indicator": "medical_oop_ytd", "value": 7000, "unit": "yuan", "period": "2026-10", "location_code": "510703001004"},
              {"household_ref": "hh-3f2a9c1d5e7b4a608d1c2e3f4a5b6c7d", "indicator": "medical_oop_ytd", "value": "much", "unit": "yuan", "period": "2026-09", "location_code": "510703001004", "colour": "red"}
            ]}
            """)
        #expect(json.status == 400)
        let jsonPointers = Set(json.json?.objectValue?["errors"]?.arrayValue?.compactMap { $0.objectValue?["pointer"] } ?? [])
        #expect(jsonPointers == [.string("/records/1/value"), .string("/records/1/period"), .string("/records/1")])
        let whole = try await f.request("POST", "/v1/pushes/csv?indicator_set=education&period=2026-10", key: key, body: "x\n", headers: Self.csvHeaders)
        #expect(whole.status == 400 && whole.json?.objectValue?["errors"]?.arrayValue?.first?.objectValue?["pointer"] == .string("indicator_set"))
        #expect(try await f.count("SELECT count(*) FROM backstop.data_pushes") == 0)
        #expect(try await f.count("SELECT count(*) FROM backstop.events") == 0)
        await f.stop()
    }

    @Test func onlyDepartmentsPush() async throws {
        let (f, _) = try await service()
        let body = try PushFiles.example("medical-insurance-2026-10.json")
        #expect(try await f.request("POST", "/v1/pushes", body: body).status == 401)
        #expect(try await f.request("POST", "/v1/pushes", key: f.enterpriseKey, body: body).status == 403)
        // A department may push only the sets it is named for.
        let other = try await f.request("POST", "/v1/pushes", key: f.departmentKey, body: body)
        #expect(other.status == 400 && "\(String(describing: other.json))".contains("dept-hrss does not push medical_insurance"))
        #expect(try await f.count("SELECT count(*) FROM backstop.data_pushes") == 0)
        await f.stop()
    }
}
