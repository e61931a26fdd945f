import BackstopBus
import BackstopContracts
import BackstopHTTP
import BackstopPostgres
import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One sample line of a Prometheus text exposition: `name{label="value",…} value`.
struct PrometheusSample: Equatable {
    let name: String
    let labels: [String: String]
    let value: Double

    /// The samples of `text`, skipping `#` lines; `nil` for a line that is not a well-formed sample.
    static func parse(_ text: String) -> [PrometheusSample?] {
        text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { parse(line: Substring($0)) }
    }

    private static func parse(line: Substring) -> PrometheusSample? {
        var rest = line[...]
        let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " } ?? rest.endIndex
        let name = String(rest[..<nameEnd])
        rest = rest[nameEnd...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                guard let equals = rest.firstIndex(of: "=") else { return nil }
                let key = String(rest[..<equals])
                rest = rest[equals...].dropFirst()
                guard rest.first == "\"" else { return nil }
                rest = rest.dropFirst()
                var value = ""
                while let c = rest.first, c != "\"" {
                    rest = rest.dropFirst()
                    if c == "\\", let escaped = rest.first {
                        rest = rest.dropFirst()
                        value.append(escaped == "n" ? "\n" : escaped)
                    } else {
                        value.append(c)
                    }
                }
                guard rest.first == "\"" else { return nil }
                rest = rest.dropFirst()
                labels[key] = value
                if rest.first == "," { rest = rest.dropFirst() }
                if rest.isEmpty { return nil }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " ", let value = Double(rest.dropFirst()), !name.isEmpty else { return nil }
        return PrometheusSample(name: name, labels: labels, value: value)
    }
}

/// A scrape of `/metrics`.
struct Scrape {
    let status: Int
    let contentType: String?
    let text: String
    let samples: [PrometheusSample]
    let malformed: Int

    static func get(_ base: URL) async throws -> Scrape {
        let (data, response) = try await URLSession.shared.data(from: base.appendingPathComponent("metrics"))
        let http = try #require(response as? HTTPURLResponse)
        let text = String(decoding: data, as: UTF8.self)
        let parsed = PrometheusSample.parse(text)
        return Scrape(status: http.statusCode, contentType: http.value(forHTTPHeaderField: "Content-Type"), text: text,
                      samples: parsed.compactMap { $0 }, malformed: parsed.filter { $0 == nil }.count)
    }

    /// Scrapes until `done` holds for the scrape (for up to ten seconds), and returns the last one:
    /// requests are counted once their response has been written, just after the client has it.
    static func get(_ base: URL, until done: (Scrape) -> Bool) async throws -> Scrape {
        let deadline = ContinuousClock.now + .seconds(10)
        var scrape = try await get(base)
        while !done(scrape) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            scrape = try await get(base)
        }
        return scrape
    }

    /// The values of the samples named `name` whose labels include `labels`.
    func values(_ name: String, _ labels: [String: String] = [:]) -> [Double] {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }.map(\.value)
    }

    /// The one value of `name` with exactly these labels, or `nil` when there is none (or several).
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matches = samples.filter { $0.name == name && $0.labels == labels }
        return matches.count == 1 ? matches[0].value : nil
    }

    /// Requests Hummingbird's MetricsMiddleware has counted for a route, method and status (0 if none).
    func requests(_ route: String, _ method: String, _ status: Int) -> Double {
        value("hb_requests", ["http_route": route, "http_request_method": method, "http_response_status_code": "\(status)"]) ?? 0
    }

    /// Observations in the request-duration histogram for a route, method and status (0 if none).
    func durations(_ route: String, _ method: String, _ status: Int) -> Double {
        value("http_server_request_duration_count", ["http_route": route, "http_request_method": method, "http_response_status_code": "\(status)"]) ?? 0
    }
}

@Suite("Prometheus metrics over real HTTP", .serialized)
struct MetricsTests {
    @Test func requestsAndBusLagAreExposedWithoutAKey() async throws {
        let f = try await ServiceFixture.make()
        let bus = Bus(BusConfiguration(conninfo: f.pool.configuration.conninfo, maximumConnections: 2))
        let subscription = "metrics-lag"
        try await bus.createSubscription(.init(name: subscription, filter: .init(eventTypes: ["test.metrics.probe.v1"]), lease: .seconds(600)))
        let published = 3
        for n in 0..<published {
            try await bus.publish(CloudEvent(source: "/orgs/coordinator", type: "test.metrics.probe.v1", districtCode: "510703001",
                                             data: .object(["n": .number(Double(n))])))
        }
        let claimed = try await bus.claim(subscription, limit: 1)
        #expect(claimed.count == 1)

        // Counters are process-wide (other servers in this process count too): compare with a baseline.
        let before = try await Scrape.get(f.base)
        #expect(before.status == 200, "\(before.text)")
        let healthCalls = 3, unauthorisedCalls = 2
        for _ in 0..<healthCalls { #expect(try await f.request("GET", "/health").status == 200) }
        for _ in 0..<unauthorisedCalls { #expect(try await f.request("GET", "/v1/obligations").status == 401) }

        ServiceMetrics.countDelivery(subscription: subscription, outcome: .ack, by: 2)
        ServiceMetrics.countDelivery(subscription: subscription, outcome: try #require(ServiceMetrics.DeliveryOutcome(NackOutcome.dead)))

        let after = try await Scrape.get(f.base) { after in
            after.requests("/health", "GET", 200) - before.requests("/health", "GET", 200) >= Double(healthCalls)
                && after.requests("/v1/obligations", "GET", 401) - before.requests("/v1/obligations", "GET", 401) >= Double(unauthorisedCalls)
        }

        #expect(after.status == 200)
        #expect(after.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(after.malformed == 0, "every non-comment line is a sample:\n\(after.text)")
        #expect(after.text.contains("# TYPE hb_requests counter"))
        #expect(after.requests("/health", "GET", 200) - before.requests("/health", "GET", 200) >= Double(healthCalls), "\(after.text)")
        #expect(after.requests("/v1/obligations", "GET", 401) - before.requests("/v1/obligations", "GET", 401) >= Double(unauthorisedCalls),
                "\(after.text)")
        #expect(after.text.contains("# TYPE http_server_request_duration histogram"))
        #expect(after.durations("/health", "GET", 200) - before.durations("/health", "GET", 200) >= Double(healthCalls))
        let infBucket = after.value("http_server_request_duration_bucket",
                                    ["http_route": "/health", "http_request_method": "GET", "http_response_status_code": "200", "le": "+Inf"])
        #expect(infBucket == after.durations("/health", "GET", 200), "the +Inf bucket holds every observation")
        #expect(after.values("http_server_request_duration_sum", ["http_route": "/health"]).count == 1)

        #expect(after.value("backstop_database_up") == 1, "\(after.text)")
        let labels = ["subscription": subscription]
        #expect(after.value("backstop_subscription_ready", labels) == Double(published - claimed.count), "\(after.text)")
        #expect(after.value("backstop_subscription_in_flight", labels) == Double(claimed.count))
        #expect(after.value("backstop_subscription_delayed", labels) == 0)
        #expect(after.value("backstop_subscription_dead_letters", labels) == 0)
        let age = try #require(after.value("backstop_subscription_oldest_age_seconds", labels))
        #expect(age >= 0 && age < 600)

        func deliveries(_ scrape: Scrape, _ outcome: String) -> Double {
            scrape.value(ServiceMetrics.deliveriesLabel, ["subscription": subscription, "outcome": outcome]) ?? 0
        }
        #expect(deliveries(after, "ack") - deliveries(before, "ack") == 2, "\(after.text)")
        #expect(deliveries(after, "dead") - deliveries(before, "dead") == 1)
        #expect(deliveries(after, "nack") - deliveries(before, "nack") == 0)
        #expect(ServiceMetrics.DeliveryOutcome(NackOutcome.retry) == .nack && ServiceMetrics.DeliveryOutcome(NackOutcome.stale) == nil)

        // The gauges follow the queue: after acking the claimed one and claiming the rest, none is ready.
        try await bus.ack(claimed)
        let rest = try await bus.claim(subscription, limit: 10)
        #expect(rest.count == published - claimed.count)
        let drained = try await Scrape.get(f.base)
        #expect(drained.value("backstop_subscription_ready", labels) == 0)
        #expect(drained.value("backstop_subscription_in_flight", labels) == Double(rest.count))

        await bus.close()
        await f.stop()
    }

    @Test func anUnreachableDatabaseStillAnswersWithRequestMetrics() async throws {
        let port = PortBox()
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("backstop-no-such-socket-\(UUID().uuidString)").path
        let server = StakeholderServer(.init(name: "cooperative-service", kinds: [.cooperative],
                                             conninfo: "host=\(missing) dbname=backstop connect_timeout=1", port: 0))
        let task = Task { try await server.run { await port.set($0) } }
        let base = try #require(URL(string: "http://127.0.0.1:\(try await port.wait())"))

        let (_, health) = try await URLSession.shared.data(from: base.appendingPathComponent("health"))
        #expect((health as? HTTPURLResponse)?.statusCode == 200)
        let scrape = try await Scrape.get(base) { $0.requests("/health", "GET", 200) >= 1 }
        #expect(scrape.status == 200)
        #expect(scrape.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(scrape.value("backstop_database_up") == 0, "\(scrape.text)")
        #expect(scrape.values("backstop_subscription_ready").isEmpty)
        #expect(scrape.requests("/health", "GET", 200) >= 1, "\(scrape.text)")

        task.cancel()
        _ = await task.result
    }
}
