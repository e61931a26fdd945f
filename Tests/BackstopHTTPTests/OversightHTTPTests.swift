import BackstopAccess
import BackstopBus
import BackstopContracts
import BackstopHTTP
import BackstopPostgres
import BackstopTesting
import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Sign-for obligations of two departments in October 2026: dept-health signs one in 1 h and one in
/// 3 h and leaves a third unsigned; dept-civil-affairs signs one late.
func octoberSignFor() -> [CloudEvent] {
    let t0 = Date(timeIntervalSince1970: 1_791_165_600)  // 2026-10-05 10:00 in Shanghai
    func time(_ h: Double) -> String { EventTime.format(t0.addingTimeInterval(h * 3600)) }
    func opened(_ id: String, _ owner: String) -> CloudEvent {
        var p = ObligationOpenedV1.sample
        (p.obligationId, p.ruleId, p.action, p.ownerOrg, p.ownerKind, p.caseId, p.alertId) = (uuid(id), "D5-sign-for", .signFor, owner, .department, uuid("case-\(id)"), uuid("alert-\(id)"))
        (p.openedAt, p.dueAt, p.warnAt) = (time(0), time(8), time(6))
        return CloudEvent(source: "/orgs/coordinator", payload: p, time: t0, districtCode: "510703001005")
    }
    func closed(_ id: String, _ owner: String, after h: Double) -> CloudEvent {
        var p = ObligationClosedV1.sample
        (p.obligationId, p.ruleId, p.ownerOrg, p.outcome, p.late, p.closedAt, p.elapsedSeconds) = (uuid(id), "D5-sign-for", owner, .fulfilled, h > 8, time(h), Int(h * 3600))
        return CloudEvent(source: "/orgs/coordinator", payload: p, time: t0.addingTimeInterval(h * 3600), districtCode: "510703001005")
    }
    var identified = CaseIdentifiedV1.sample
    identified.caseId = uuid("case-o3")
    return [opened("o1", "dept-health"), closed("o1", "dept-health", after: 1), opened("o2", "dept-health"), closed("o2", "dept-health", after: 3),
            opened("o3", "dept-health"), opened("o4", "dept-civil-affairs"), closed("o4", "dept-civil-affairs", after: 12),
            CloudEvent(source: "/orgs/township-510703001", payload: identified, time: t0, districtCode: "510703001005")]
}

@Suite("oversight-service over real HTTP", .serialized)
struct OversightHTTPTests {
    /// oversight-service with an oversight key, fed October's sign-for obligations through the bus.
    func seeded() async throws -> (ServiceFixture, key: String) {
        let f = try await ServiceFixture.make(.oversight)
        try await f.registry.add(id: "oversight-county", kind: .oversight, name: "County supervision office", districtCode: "510703")
        let key = try await f.registry.issueKey(for: "oversight-county").secret
        let bus = Bus(BusConfiguration(conninfo: f.conninfo))
        _ = try await bus.publish(octoberSignFor())
        await bus.close()
        // The service's projector consumes the bus; wait until it has seen everything.
        for _ in 0..<200 {
            if try await f.count("SELECT count(*) FROM backstop.oversight_obligations WHERE closed_at IS NOT NULL") == 3,
               try await f.count("SELECT count(*) FROM backstop.oversight_cases") == 1 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        return (f, key)
    }

    static let october = "from=2026-10-01&to=2026-10-31"

    @Test func tablesAsJSONAndCSV() async throws {
        let (f, key) = try await seeded()
        let list = try await f.request("GET", "/v1/oversight/tables", key: key)
        #expect(list.status == 200 && list.json?.objectValue?["tables"]?.arrayValue?.count == 12)
        let onTime = try await f.request("GET", "/v1/oversight/tables/on_time?\(Self.october)", key: key)
        #expect(onTime.status == 200)
        let rows = onTime.json?.objectValue?["rows"]?.arrayValue ?? []
        #expect(rows.count == 2)
        #expect(rows.first == .array([.string("dept-civil-affairs"), .number(1), .number(0), .number(1), .number(0), .number(0)]))
        #expect(rows.last == .array([.string("dept-health"), .number(3), .number(2), .number(0), .number(1), .number(66.7)]))
        #expect(onTime.json?.objectValue?["from"] == .string("2026-10-01") && onTime.json?.objectValue?["group_by"] == .string("organisation"))
        let csv = try await f.raw("/v1/oversight/tables/response_times?\(Self.october)&group_by=kind&format=csv", key: key)
        #expect(csv.status == 200 && csv.contentType.hasPrefix("text/csv"))
        #expect(csv.body == "kind,sign_for_count,sign_for_median_hours,sign_for_p90_hours,first_measure_count,first_measure_median_hours,first_measure_p90_hours\r\n"
                + "department,3,3,10.2,0,,\r\n")
        await f.stop()
    }

    @Test func badParametersAreProblemsNamingEachOne() async throws {
        let (f, key) = try await seeded()
        let bad = try await f.request("GET", "/v1/oversight/tables/on_time?from=2026-13-01&township=51&group_by=colour", key: key)
        #expect(bad.status == 400 && bad.headers["content-type"]?.hasPrefix("application/problem+json") == true)
        let pointers = Set(bad.json?.objectValue?["errors"]?.arrayValue?.compactMap { $0.objectValue?["pointer"] } ?? [])
        #expect(pointers == [.string("from"), .string("township"), .string("group_by")])
        #expect(try await f.request("GET", "/v1/oversight/tables/nonsense", key: key).status == 400)
        await f.stop()
    }

    @Test func onlyOversightMayReviewAndDrillDownIsAudited() async throws {
        let (f, key) = try await seeded()
        try await f.registry.add(id: "ent-other", kind: .enterprise, name: "Other", districtCode: "510703")
        #expect(try await f.request("GET", "/v1/oversight/tables", key: f.enterpriseKey).status == 403)
        let enterprise = try await ServiceFixture.make()
        #expect(try await enterprise.request("GET", "/v1/oversight/tables", key: enterprise.enterpriseKey).status == 403,
                "the handler refuses non-oversight keys on any service")
        await enterprise.stop()
        #expect(try await f.request("GET", "/v1/oversight/cases/\(uuid("case-o3"))", key: key).status == 400, "no reason")
        let short = try await f.request("GET", "/v1/oversight/cases/\(uuid("case-o3"))?reason=because", key: key)
        #expect(short.status == 400 && short.json?.objectValue?["errors"]?.arrayValue?.first?.objectValue?["pointer"] == .string("reason"))
        #expect(try await f.count("SELECT count(*) FROM backstop.audit_log") == 0, "refused drill-downs show and log nothing")
        #expect(try await f.request("GET", "/v1/oversight/cases/\(uuid("nope"))?reason=checking%20a%20complaint", key: key).status == 404)
        let shown = try await f.request("GET", "/v1/oversight/cases/\(uuid("case-o3"))?reason=checking%20a%20complaint", key: key)
        #expect(shown.status == 200 && shown.json?.objectValue?["obligations"]?.arrayValue?.count == 1)
        #expect(try await f.count("SELECT count(*) FROM backstop.audit_log WHERE action = 'drill_down' AND reason = 'checking a complaint'") == 1)
        await f.stop()
    }

    @Test func dashboardInAHeadlessBrowser() async throws {
        let (f, key) = try await seeded()
        let anonymous = try await f.raw("/dashboard", key: nil)
        #expect(anonymous.status == 200 && anonymous.body.contains("Sign in"), "redirected to the sign-in page")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = root.appendingPathComponent("Ops/scripts/browser-check.py").path
        let page = f.base.absoluteString + "/dashboard?\(Self.october)"
        let (status, output, errors) = try await run("/usr/bin/env", ["python3", script, page, "--login-url", f.base.absoluteString + "/dashboard/login",
                                                                      "--login-field", "key", "--login-value", key,
                                                                      "--expect", "dept-health", "--expect", "66.7", "--expect", "dept-civil-affairs",
                                                                      "--expect", "Overdue obligations", "--timeout", "60"])
        #expect(status == 0, "browser check failed (status \(status)): \(errors)")
        let report = JSONText.decode(output)?.objectValue?["widths"]?.objectValue
        for width in ["1280", "375"] {
            let svgs = report?[width]?.objectValue?["svg_count"]
            #expect(svgs.map { if case .number(let n) = $0 { n >= 4 } else { false } } == true, "charts at \(width) px: \(String(describing: svgs))")
        }
        await f.stop()
    }

    /// Runs a program off the cooperative pool; returns its status, stdout and stderr.
    func run(_ executable: String, _ arguments: [String]) async throws -> (Int32, String, String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = arguments
                let out = Pipe(), err = Pipe()
                process.standardOutput = out
                process.standardError = err
                do {
                    try process.run()
                    let output = out.fileHandleForReading.readDataToEndOfFile()
                    let errors = err.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
    }
}

extension ServiceFixture {
    /// A GET whose body is not JSON (CSV, HTML); redirects are followed.
    func raw(_ path: String, key: String?) async throws -> (status: Int, contentType: String, body: String) {
        var request = URLRequest(url: URL(string: base.absoluteString + path)!)
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        return (http.statusCode, http.value(forHTTPHeaderField: "Content-Type") ?? "", String(decoding: data, as: UTF8.self))
    }
}
