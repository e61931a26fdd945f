import BackstopAccess
import BackstopBus
import BackstopContracts
import BackstopHTTP
import BackstopPostgres
import BackstopTesting
import Foundation
import Synchronization
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Polls `body` every 50 ms until it returns a value, for at most `seconds`.
func eventually<T: Sendable>(_ seconds: Double = 10, _ body: () async throws -> T?) async throws -> T {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if let value = try await body() { return value }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw CancellationError()
}

/// A Server-Sent Events client: `curl -N` in its own process, its output collected as it arrives.
final class EventStreamClient: Sendable {
    private final class Output: Sendable {
        let text = Mutex("")
    }
    private let process: Process
    private let output = Output()

    init(_ url: URL, key: String, lastEventID: String? = nil) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        var arguments = ["-sSN", "-H", "Authorization: Bearer \(key)", "-H", "Accept: text/event-stream"]
        if let lastEventID { arguments += ["-H", "Last-Event-ID: \(lastEventID)"] }
        process.arguments = arguments + [url.absoluteString]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        // A thread of its own for the blocking reads (not the cooperative pool).
        let reader = pipe.fileHandleForReading
        Thread.detachNewThread { [output] in
            // availableData returns whatever arrived (read(upToCount:) would wait for the full count).
            while case let data = reader.availableData, !data.isEmpty {
                output.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
        }
    }

    /// The `id:` of every complete message received so far, in order.
    var ids: [Int64] {
        output.text.withLock { text in
            text.components(separatedBy: "\n\n").dropLast().compactMap { message in
                message.split(separator: "\n").first { $0.hasPrefix("id: ") }.flatMap { Int64($0.dropFirst(4)) }
            }
        }
    }

    /// The `data:` of every complete message, decoded.
    var items: [JSONValue] {
        output.text.withLock { text in
            text.components(separatedBy: "\n\n").dropLast().compactMap { message in
                message.split(separator: "\n").first { $0.hasPrefix("data: ") }.flatMap { JSONText.decode(String($0.dropFirst(6))) }
            }
        }
    }

    /// Everything received so far.
    var text: String { output.text.withLock { $0 } }

    /// Disconnects.
    func close() async {
        process.terminate()
        for _ in 0..<200 where process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
    }
}

@Suite("inboxes and subscriptions over real HTTP", .serialized)
struct InboxHTTPTests {
    @Test func departmentsManageTheirSubscriptionsAndOthersMayNot() async throws {
        let f = try await ServiceFixture.make(.department)
        let created = try await f.request("PUT", "/v1/subscriptions/alerts-510703007", key: f.departmentKey,
                                          body: #"{"event_types":["cn.backstop.alert.raised.v1"],"district_prefix":"510703007"}"#)
        #expect(created.status == 201 && created.json?.objectValue?["district_prefix"] == .string("510703007"))
        let replaced = try await f.request("PUT", "/v1/subscriptions/alerts-510703007", key: f.departmentKey, body: #"{"district_prefix":"510703"}"#)
        #expect(replaced.status == 200 && replaced.json?.objectValue?["event_types"] == nil)
        // Bad input: every problem named, nothing written.
        let bad = try await f.request("PUT", "/v1/subscriptions/jobs", key: f.departmentKey,
                                      body: #"{"event_types":["cn.backstop.no.such.v1","cn.backstop.obligation.extension_requested.v1"],"district_prefix":"51a"}"#)
        #expect(bad.status == 400 && bad.headers["content-type"]?.hasPrefix("application/problem+json") == true)
        let pointers = bad.json?.objectValue?["errors"]?.arrayValue?.compactMap { $0.objectValue?["pointer"] }
        #expect(pointers == [.string("/event_types/0"), .string("/event_types/1"), .string("/district_prefix")])
        #expect(try await f.request("PUT", "/v1/subscriptions/Bad%20Name", key: f.departmentKey, body: "{}").status == 400)
        #expect(try await f.request("PUT", "/v1/subscriptions/jobs", key: f.departmentKey, body: #"{"colour":"red"}"#).status == 400)
        let list = try await f.request("GET", "/v1/subscriptions", key: f.departmentKey)
        #expect(list.json?.objectValue?["subscriptions"]?.arrayValue?.compactMap { $0.objectValue?["name"] } == [.string("alerts-510703007"), .string("default")])
        #expect(try await f.request("DELETE", "/v1/subscriptions/alerts-510703007", key: f.departmentKey).status == 204)
        #expect(try await f.request("DELETE", "/v1/subscriptions/alerts-510703007", key: f.departmentKey).status == 404)
        await f.stop()

        let e = try await ServiceFixture.make(.enterprise)
        #expect(try await e.request("PUT", "/v1/subscriptions/mine", key: e.enterpriseKey, body: "{}").status == 403)
        #expect(try await e.request("DELETE", "/v1/subscriptions/default", key: e.enterpriseKey).status == 403)
        let own = try await e.request("GET", "/v1/subscriptions", key: e.enterpriseKey)
        #expect(own.status == 200 && own.json?.objectValue?["subscriptions"]?.arrayValue?.count == 1)
        await e.stop()
    }

    @Test func theInboxShowsWhatMatchedWithTheOrganisationsViewAndAcknowledgesOnce() async throws {
        let f = try await ServiceFixture.make(.department)
        let bus = Bus(BusConfiguration(conninfo: f.conninfo))
        // Published before the service had routed anything: the router's subscription already exists
        // (created when the service started), so nothing is missed.
        let alert = CloudEvent(source: "/orgs/coordinator", payload: AlertRaisedV1.sample, districtCode: "510703007012")
        _ = try await bus.publish(alert)
        let page = try await eventually {
            let reply = try await f.request("GET", "/v1/inbox", key: f.departmentKey)
            return reply.json?.objectValue?["items"]?.arrayValue?.isEmpty == false ? reply : nil
        }
        let item = try #require(page.json?.objectValue?["items"]?.arrayValue?.first?.objectValue)
        #expect(item["event"]?.objectValue?["id"] == .string(alert.id))
        #expect(item["withheld"] == .array([.string("/data/location_code"), .string("/districtcode")]), "dept-hrss is not named in the alert")
        #expect(item["event"]?.objectValue?["districtcode"] == .string("510703"))
        #expect(item["event"]?.objectValue?["data"]?.objectValue?["location_code"] == nil)
        #expect(item["subscriptions"] == .array([.string("default")]))
        guard case .number(let id)? = item["id"] else { Issue.record("no id"); return }

        let ack = try await f.request("POST", "/v1/inbox/\(Int(id))/ack", key: f.departmentKey)
        #expect(ack.status == 200)
        let again = try await f.request("POST", "/v1/inbox/\(Int(id))/ack", key: f.departmentKey)
        #expect(again.json?.objectValue?["acked_at"] == ack.json?.objectValue?["acked_at"])
        #expect(try await f.request("POST", "/v1/inbox/999999/ack", key: f.departmentKey).status == 404)
        let pending = try await f.request("GET", "/v1/inbox", key: f.departmentKey)
        #expect(pending.json?.objectValue?["items"] == .array([]))
        let all = try await f.request("GET", "/v1/inbox?state=all&type=cn.backstop.alert.raised.v1", key: f.departmentKey)
        #expect(all.json?.objectValue?["items"]?.arrayValue?.count == 1)
        let bad = try await f.request("GET", "/v1/inbox?limit=0", key: f.departmentKey)
        #expect(bad.status == 400 && bad.json?.objectValue?["errors"]?.arrayValue?.first?.objectValue?["pointer"] == .string("limit"))
        #expect(try await f.request("GET", "/v1/inbox?type=%00", key: f.departmentKey).status == 400, "a NUL byte in a filter")
        #expect(try await f.request("GET", "/v1/inbox").status == 401)
        await bus.close()
        await f.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func theStreamResumesAfterLastEventIDWithoutGapsOrRepeats() async throws {
        let f = try await ServiceFixture.make(.department)
        let bus = Bus(BusConfiguration(conninfo: f.conninfo))
        func publish(_ n: Int) async throws -> [String] {
            var ids: [String] = []
            for _ in 0..<n {
                let event = CloudEvent(source: "/orgs/ent-lvyuan-foods", payload: JobOfferedV1.sample)
                _ = try await bus.publish(event)
                ids.append(event.id)
            }
            return ids
        }
        let url = f.base.appendingPathComponent("v1/inbox/stream")
        let first = try EventStreamClient(url, key: f.departmentKey)
        let early = try await publish(3)
        let seen: [Int64]
        do { seen = try await eventually { first.ids.count >= 3 ? first.ids : nil } } catch {
            Issue.record("received only: \(first.text)")
            throw error
        }
        #expect(first.items.compactMap { $0.objectValue?["event"]?.objectValue?["id"] } == early.map(JSONValue.string))
        await first.close()

        // Events published while disconnected; resume after the second item.
        let late = try await publish(2)
        let second = try EventStreamClient(url, key: f.departmentKey, lastEventID: String(seen[1]))
        let resumed = try await eventually { second.ids.count >= 3 ? second.ids : nil }
        try await Task.sleep(for: .milliseconds(300))
        #expect(second.ids == [seen[2]] + resumed.dropFirst(), "no repeats")
        #expect(second.ids.count == 3 && second.ids.first == seen[2])
        #expect(second.items.compactMap { $0.objectValue?["event"]?.objectValue?["id"] } == ([early[2]] + late).map(JSONValue.string), "no gaps")
        #expect(second.ids == second.ids.sorted())
        await second.close()
        let bad = try await f.request("GET", "/v1/inbox/stream", key: f.departmentKey, headers: ["Last-Event-ID": "yesterday"])
        #expect(bad.status == 400)
        await bus.close()
        await f.stop()
    }

    @Test(.timeLimit(.minutes(3)))
    func everyKindMayPublishExactlyWhatThePermissionMatrixAllows() async throws {
        let f = try await ServiceFixture.make(.enterprise)
        // One organisation and key per kind the services serve, each on its own service.
        var callers: [(OrganisationKind, URL, String)] = []
        var servers: [Task<Void, any Error>] = []
        for service in StakeholderService.all {
            let port = PortBox()
            let server = StakeholderServer(.init(name: service.name, kinds: service.kinds, conninfo: f.conninfo, port: 0))
            servers.append(Task { try await server.run { await port.set($0) } })
            let base = URL(string: "http://127.0.0.1:\(try await port.wait())")!
            for kind in service.kinds.sorted() {
                let id = "matrix-\(kind.rawValue.replacingOccurrences(of: "_", with: "-"))"
                try await f.registry.add(id: id, kind: kind, name: id, districtCode: "510703007")
                callers.append((kind, base, try await f.registry.issueKey(for: id).secret))
            }
        }
        let catalogue = EventCatalogue.standard
        var checked = 0
        for (kind, base, key) in callers {
            for type in catalogue.types {
                let contract = catalogue.contract(for: type)!
                let body = #"{"type":""# + type + #"","districtcode":"510703007012","data":"# + JSONText.encode(contract.payloadType.sample.json) + "}"
                var request = URLRequest(url: base.appendingPathComponent("v1/events"))
                request.httpMethod = "POST"
                request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                request.httpBody = Data(body.utf8)
                let (data, response) = try await URLSession.shared.data(for: request)
                let status = (response as! HTTPURLResponse).statusCode
                let expected = contract.publishers.contains(kind) ? 201 : 403
                #expect(status == expected, "\(kind.rawValue) publishing \(type): \(String(decoding: data, as: UTF8.self))")
                checked += 1
            }
        }
        #expect(checked == callers.count * catalogue.types.count && callers.count == 7, "every kind the five services serve")
        let allowed = callers.reduce(0) { sum, caller in sum + catalogue.types.filter { catalogue.contract(for: $0)!.publishers.contains(caller.0) }.count }
        #expect(try await f.count("SELECT count(*) FROM backstop.events") == allowed, "a refused publish stores nothing")
        for server in servers { server.cancel(); _ = await server.result }
        await f.stop()
    }
}
