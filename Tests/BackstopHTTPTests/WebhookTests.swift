import BackstopBus
import BackstopContracts
import BackstopHTTP
import BackstopInbox
import Foundation
import Hummingbird
import Logging
import Testing

/// An organisation's own system: records every POST it gets and fails the first `failures` of them.
actor WebhookReceiver {
    struct Received: Sendable {
        var path: String
        var headers: [String: String]
        var body: Data
        var answered: Int
    }
    private(set) var received: [Received] = []
    private var failures: Int
    private var task: Task<Void, any Error>?
    private(set) var port = 0

    init(failures: Int) { self.failures = failures }

    func record(path: String, headers: [String: String], body: Data) -> HTTPResponse.Status {
        let fail = path.hasSuffix("/always-fail") || failures > 0
        if fail && !path.hasSuffix("/always-fail") { failures -= 1 }
        received.append(Received(path: path, headers: headers, body: body, answered: fail ? 500 : 204))
        return fail ? .internalServerError : .noContent
    }

    func start() async throws {
        let router = Router()
        router.post("{path}") { [self] request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
            return await self.record(path: request.uri.path, headers: headers, body: Data(body.readableBytesView))
        }
        let ready = PortBox()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { await ready.set($0.localAddress?.port ?? 0) }, logger: Logger(label: "receiver"))
        task = Task { try await app.runService() }
        port = try await ready.wait()
    }

    func stop() async {
        task?.cancel()
        _ = await task?.result
    }
}

@Suite("webhooks over real HTTP", .serialized)
struct WebhookTests {
    @Test(.timeLimit(.minutes(2)))
    func aFailingEndpointIsRetriedUntilItAcceptsThenDeliveredOnceSignedAndDeadLetteredWhenItNeverDoes() async throws {
        let f = try await ServiceFixture.make(.enterprise)
        let receiver = WebhookReceiver(failures: 2)
        try await receiver.start()
        let base = "http://127.0.0.1:\(await receiver.port)"
        let registered = try await f.request("PUT", "/v1/subscriptions/default/webhook", key: f.enterpriseKey,
                                             body: #"{"url":"\#(base)/hook","mode":"binary"}"#)
        #expect(registered.status == 201)
        guard case .string(let secret)? = registered.json?.objectValue?["secret"], case .string(let busName)? = registered.json?.objectValue?["bus_subscription"] else {
            Issue.record("no secret: \(String(describing: registered.json))"); return
        }
        #expect(try await f.request("GET", "/v1/subscriptions/default/webhook", key: f.enterpriseKey).json?.objectValue?["secret"] == nil,
                "the secret is shown once")
        let bad = try await f.request("PUT", "/v1/subscriptions/default/webhook", key: f.enterpriseKey, body: #"{"url":"ftp://x","max_attempts":0}"#)
        #expect(bad.status == 400 && bad.json?.objectValue?["errors"]?.arrayValue?.count == 2)
        #expect(try await f.request("PUT", "/v1/subscriptions/nope/webhook", key: f.enterpriseKey, body: #"{"url":"\#(base)/x"}"#).status == 404)

        let bus = Bus(BusConfiguration(conninfo: f.conninfo))
        var mine = JobReferralSentV1.sample
        mine.employerOrg = "ent-lvyuan-foods"
        var theirs = JobReferralSentV1.sample
        theirs.employerOrg = "ent-someone-else"
        let event = CloudEvent(source: "/orgs/dept-hrss", payload: mine, districtCode: "510703007012")
        _ = try await bus.publish([CloudEvent(source: "/orgs/dept-hrss", payload: theirs), event])

        let delivered = try await eventually(20) { await receiver.received.contains { $0.answered == 204 } ? await receiver.received : nil }
        try await Task.sleep(for: .milliseconds(800))
        let all = await receiver.received
        #expect(all.count == 3 && all.map(\.answered) == [500, 500, 204], "failed twice, then accepted, then nothing more")
        #expect(delivered.allSatisfy { $0.headers["ce-id"] == event.id }, "the referral for another employer is not sent")
        #expect(all.map { $0.headers["backstop-attempt"] } == ["1", "2", "3"])
        for request in all {
            let timestamp = Int64(request.headers["backstop-timestamp"] ?? "") ?? 0
            #expect(WebhookSignature.verify(header: request.headers["backstop-signature"] ?? "", secret: secret, timestamp: timestamp, body: request.body))
            #expect(!WebhookSignature.verify(header: request.headers["backstop-signature"] ?? "", secret: secret + "x", timestamp: timestamp, body: request.body))
            #expect(request.headers["ce-type"] == JobReferralSentV1.eventType && request.headers["ce-source"] == "/orgs/dept-hrss")
            #expect(request.headers["content-type"]?.hasPrefix("application/json") == true)
            #expect(JSONText.decode(String(decoding: request.body, as: UTF8.self)) == event.data, "binary mode: the data is the body")
        }
        let status = try #require(try await bus.status().first { $0.name == busName })
        #expect(status.ready + status.inFlight + status.delayed + status.deadLetters == 0, "acknowledged")

        // Rotation: the next request is signed with the new secret and, for a day, the old one too.
        let rotated = try await f.request("POST", "/v1/subscriptions/default/webhook/rotate", key: f.enterpriseKey)
        guard case .string(let newSecret)? = rotated.json?.objectValue?["secret"] else { Issue.record("no new secret"); return }
        #expect(newSecret != secret)
        _ = try await bus.publish(CloudEvent(source: "/orgs/dept-hrss", payload: mine))
        let after = try await eventually(10) { await receiver.received.count == 4 ? await receiver.received.last : nil }
        let timestamp = Int64(after.headers["backstop-timestamp"] ?? "") ?? 0
        #expect(WebhookSignature.verify(header: after.headers["backstop-signature"] ?? "", secret: newSecret, timestamp: timestamp, body: after.body))
        #expect(WebhookSignature.verify(header: after.headers["backstop-signature"] ?? "", secret: secret, timestamp: timestamp, body: after.body))

        // An endpoint that never accepts: dead-lettered after max_attempts, with the last error.
        let replaced = try await f.request("PUT", "/v1/subscriptions/default/webhook", key: f.enterpriseKey,
                                           body: #"{"url":"\#(base)/always-fail","mode":"structured","max_attempts":2}"#)
        #expect(replaced.status == 200)
        let doomed = CloudEvent(source: "/orgs/dept-hrss", payload: mine)
        _ = try await bus.publish(doomed)
        let dead = try await eventually(20) { try await bus.deadLetters(busName).first }
        #expect(dead.event?.id == doomed.id && dead.attempts == 2 && dead.lastError?.contains("HTTP 500") == true)
        let failed = await receiver.received.filter { $0.path.hasSuffix("/always-fail") }
        #expect(failed.count == 2 && failed.allSatisfy { $0.headers["content-type"]?.hasPrefix("application/cloudevents+json") == true })
        #expect(failed.allSatisfy { JSONText.decode(String(decoding: $0.body, as: UTF8.self))?.objectValue?["id"] == .string(doomed.id) })

        #expect(try await f.request("DELETE", "/v1/subscriptions/default/webhook", key: f.enterpriseKey).status == 204)
        #expect(try await bus.subscriptions().contains { $0.name == busName } == false, "its bus subscription goes with it")
        await bus.close()
        await receiver.stop()
        await f.stop()
    }
}
