import ArgumentParser
import BackstopBus
import BackstopCoordinator
import BackstopContracts
import BackstopPostgres
import Foundation
import Synchronization

/// `backstop bench`: throughput and latency of the bus against plain SQL doing the same work in the
/// same run. A program that prints figures, not a test.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark the bus against a plain-SQL queue baseline measured in the same run.",
        discussion: """
            Prints one line per scenario, `<scenario> msgs_per_s=<n>` (latency adds p50_ms and p99_ms), \
            then the ratios. Uses a `backstop_bench` database in the private cluster, or the configured \
            database (where it leaves only its events, which retention removes). Build with -c release.
            Extra diagnostic scenarios, run only when named: codec (envelope encode/decode cost) and \
            split (publishing alone, then draining alone).
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Messages per throughput scenario.") var messages: Int = 20_000
    @Option(help: "Events in the fan-out scenario (each delivered to 10 subscriptions).") var fanoutMessages: Int = 5_000
    @Option(help: "Seconds of the steady-rate latency scenario.") var latencySeconds: Double = 10
    @Option(help: "Events per second in the latency scenario.") var latencyRate: Double = 200
    @Option(help: "Open obligations in the deadlines scenario (repeatable; default 10000 and 1000000).") var deadlineOpen: [Int] = []
    @Option(help: "Obligations falling due per second in the deadlines scenario.") var deadlineRate: Int = 1000
    @Option(help: "Seconds of obligations falling due in the deadlines scenario.") var deadlineSeconds: Int = 10
    @Option(help: "Obligations in the year of read models of the review scenario.") var reviewObligations: Int = 100_000
    @Option(help: "Records in the push of the screening scenario.") var screeningRecords: Int = 1_000_000
    @OptionGroup var rules: RulesOption
    @OptionGroup var screening: ScreeningOption
    @Option(name: .customLong("scenario"), help: "Run only these scenarios (repeatable): raw_cycle, raw_batch, cycle, batch, fanout10, latency, http_publish, deadlines, review, screening.")
    var scenarios: [String] = []

    static let all = ["raw_cycle", "raw_batch", "cycle", "batch", "fanout10", "latency", "http_publish", "deadlines", "review", "screening"]
    /// Diagnostic scenarios, run only when named.
    static let extra = ["codec", "split"]

    func validate() throws {
        guard (1_000...100_000_000).contains(screeningRecords) else { throw ValidationError("--screening-records must be from 1000 to 100000000") }
        guard (1_000...10_000_000).contains(reviewObligations) else { throw ValidationError("--review-obligations must be from 1000 to 10000000") }
        guard messages >= 400, fanoutMessages >= 100 else { throw ValidationError("--messages must be at least 400 and --fanout-messages at least 100") }
        guard deadlineOpen.allSatisfy({ (0...10_000_000).contains($0) }), (1...100_000).contains(deadlineRate), (1...600).contains(deadlineSeconds) else {
            throw ValidationError("--deadline-open must be 0–10000000, --deadline-rate 1–100000 and --deadline-seconds 1–600")
        }
        guard latencySeconds > 0, latencyRate > 0, latencyRate <= 10_000 else { throw ValidationError("--latency-seconds must be positive and --latency-rate in (0, 10000]") }
        let unknown = Set(scenarios).subtracting(Self.all + Self.extra)
        guard unknown.isEmpty else { throw ValidationError("unknown scenario(s): \(unknown.sorted().joined(separator: ", ")); choose from \(Self.all.joined(separator: ", "))") }
    }

    func run() async throws {
        _ = CLILog.logger
        let db = try await database.open()
        var conninfo = db.conninfo
        if let cluster = db.cluster {
            let admin = try await Connection.connect(cluster.conninfo(database: "postgres"))
            try await admin.query("DROP DATABASE IF EXISTS backstop_bench WITH (FORCE)")
            try await admin.query("CREATE DATABASE backstop_bench")
            await admin.close()
            conninfo = cluster.conninfo(database: "backstop_bench")
        }
        do {
            try await BenchRun(conninfo: conninfo, options: self).run()
        } catch {
            await db.close()
            throw error
        }
        await db.close()
    }
}

/// One benchmark run: the scenarios in order, then the ratios.
struct BenchRun {
    let conninfo: String
    let options: Bench
    private let producers = 4
    private let consumers = 4

    init(conninfo: String, options: Bench) {
        self.conninfo = conninfo
        self.options = options
    }

    func run() async throws {
        let setup = try await Connection.connect(conninfo)
        try await Migrator().migrate(setup)
        let settings = try await setup.query("SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit')")
        let row = settings.first!
        emit("# postgres \(try row.decode(String.self, at: 0)) fsync=\(try row.decode(String.self, at: 1)) synchronous_commit=\(try row.decode(String.self, at: 2)) cores=\(ProcessInfo.processInfo.activeProcessorCount) producers=\(producers) consumers=\(consumers) messages=\(options.messages)")
        try await setup.query("CREATE TABLE IF NOT EXISTS bench_raw (id bigserial PRIMARY KEY, payload jsonb NOT NULL)")
        await setup.close()

        let wanted = options.scenarios.isEmpty ? Bench.all : (Bench.all + Bench.extra).filter(options.scenarios.contains)
        var rates: [String: Double] = [:]
        var p99: Double?
        var deadlineResults: [(open: Int, p99: Double, tick: Double)] = []
        var httpLatency: (p50: Double, p99: Double)?
        for scenario in wanted {
            try await settle()
            switch scenario {
            case "raw_cycle": rates[scenario] = try await rawCycle(batch: 1)
            case "raw_batch": rates[scenario] = try await rawCycle(batch: 100)
            case "cycle": rates[scenario] = try await busCycle(batch: 1)
            case "batch": rates[scenario] = try await busCycle(batch: 100)
            case "fanout10": rates[scenario] = try await fanout()
            case "codec":
                codec()
                continue
            case "split":
                try await split()
                continue
            case "http_publish":
                let result = try await HTTPBench(conninfo: conninfo, messages: options.messages / 4).run()
                rates[scenario] = result.rate
                httpLatency = (result.p50, result.p99)
                emit("http_publish msgs_per_s=\(format(result.rate)) p50_ms=\(format(result.p50, 2)) p99_ms=\(format(result.p99, 2)) (at 200 requests/s)")
                continue
            case "deadlines":
                let setup = try options.rules.load()
                let migrator = try await Connection.connect(conninfo)
                try await Migrator(migrations: try CoordinatorSchema.allMigrations()).migrate(migrator)
                await migrator.close()
                let results = try await DeadlineBench(conninfo: conninfo, populations: options.deadlineOpen.isEmpty ? [10_000, 1_000_000] : options.deadlineOpen,
                                                      duePerSecond: options.deadlineRate, seconds: options.deadlineSeconds, rules: setup).run()
                deadlineResults = results
                continue
            case "review":
                try await ReviewBench(conninfo: conninfo, obligations: options.reviewObligations).run()
                continue
            case "screening":
                try await ScreeningBench(conninfo: conninfo, records: options.screeningRecords, rules: try options.screening.load()).run()
                continue
            case "latency":
                let (rate, p50, p99ms) = try await latency()
                rates[scenario] = rate
                p99 = p99ms
                emit("latency msgs_per_s=\(format(rate)) p50_ms=\(format(p50, 2)) p99_ms=\(format(p99ms, 2))")
                continue
            default: continue
            }
            emit("\(scenario) msgs_per_s=\(format(rates[scenario]!))")
        }
        let cleanup = try await Connection.connect(conninfo)
        try await cleanup.query("DROP TABLE IF EXISTS bench_raw")
        await cleanup.close()
        var ratios: [String] = []
        func ratio(_ a: String, _ b: String, target: Double) {
            guard let x = rates[a], let y = rates[b], y > 0 else { return }
            let r = x / y
            ratios.append("\(a)/\(b)=\(format(r, 2)) (target >= \(target) \(r >= target ? "met" : "missed"))")
        }
        ratio("cycle", "raw_cycle", target: 0.8)
        ratio("batch", "raw_batch", target: 0.9)
        ratio("fanout10", "cycle", target: 0.5)
        if let p99 { ratios.append("latency_p99_ms=\(format(p99, 2)) (target <= 10 \(p99 <= 10 ? "met" : "missed"))") }
        ratio("http_publish", "cycle", target: 0.5)
        if let httpLatency {
            ratios.append("http_publish_p99_ms=\(format(httpLatency.p99, 2)) (target <= 20 \(httpLatency.p99 <= 20 ? "met" : "missed"))")
        }
        if let worst = deadlineResults.map(\.p99).max() {
            ratios.append("deadlines_lag_p99_ms=\(format(worst, 1)) (target <= 1000 \(worst <= 1000 ? "met" : "missed"))")
        }
        if let small = deadlineResults.first, let large = deadlineResults.last, large.open > small.open, small.tick > 0 {
            ratios.append("deadlines_tick_\(large.open)/\(small.open)=\(format(large.tick / small.tick, 2))")
        }
        if !ratios.isEmpty { emit("ratios " + ratios.joined(separator: " ")) }
    }

    // MARK: baseline: plain SQL

    /// Insert rows; claim and delete them with FOR UPDATE SKIP LOCKED; `batch` rows at a time.
    private func rawCycle(batch: Int) async throws -> Double {
        let total = options.messages
        let payload = sampleEvent(type: "bench.raw.v1").jsonText()
        let setup = try await Connection.connect(conninfo)
        try await setup.query("TRUNCATE bench_raw")
        await setup.close()
        let done = Counter()
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for p in 0..<producers {
                group.addTask {
                    let c = try await Connection.connect(conninfo)
                    let share = total / producers + (p < total % producers ? 1 : 0)
                    var sent = 0
                    while sent < share {
                        let n = min(batch, share - sent)
                        if batch == 1 {
                            try await c.query(prepared: "raw_insert", "INSERT INTO bench_raw (payload) VALUES ($1::jsonb)", [payload])
                        } else {
                            try await c.query(prepared: "raw_insert_many", "INSERT INTO bench_raw (payload) SELECT unnest($1::jsonb[])",
                                              [Array(repeating: payload, count: n)])
                        }
                        sent += n
                    }
                    await c.close()
                }
            }
            for _ in 0..<consumers {
                group.addTask {
                    let c = try await Connection.connect(conninfo)
                    let sql = batch == 1
                        ? "DELETE FROM bench_raw WHERE id = (SELECT id FROM bench_raw ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING payload"
                        : "DELETE FROM bench_raw WHERE id IN (SELECT id FROM bench_raw ORDER BY id LIMIT \(batch) FOR UPDATE SKIP LOCKED) RETURNING payload"
                    while done.value < total {
                        let got = try await c.query(prepared: "raw_claim_\(batch)", sql)
                        if got.count == 0 { try await Task.sleep(for: .milliseconds(1)) } else { done.add(got.count) }
                    }
                    await c.close()
                }
            }
            try await group.waitForAll()
        }
        return Double(total) / (clock.now - start).seconds
    }

    // MARK: the bus

    /// Publish → claim → ack through the bus, `batch` events at a time.
    private func busCycle(batch: Int) async throws -> Double {
        let type = "bench.cycle\(batch).v1"
        let bus = try await openBus()
        let name = "bench-cycle-\(batch)"
        try await resetSubscription(bus, SubscriptionSpec(name: name, filter: .init(eventTypes: [type])))
        let elapsed = try await produceAndConsume(bus: bus, type: type, total: options.messages, publishBatch: batch,
                                                  subscriptions: [name], claimBatch: batch, consumersPerSubscription: consumers)
        try await bus.deleteSubscription(named: name)
        await bus.close()
        return Double(options.messages) / elapsed
    }

    /// 4 producers publish single events, each matching 10 subscriptions drained by one consumer each.
    private func fanout() async throws -> Double {
        let type = "bench.fanout.v1"
        let bus = try await openBus(connections: 20)
        let names = (0..<10).map { "bench-fanout-\($0)" }
        for name in names { try await resetSubscription(bus, SubscriptionSpec(name: name, filter: .init(eventTypes: [type]))) }
        let elapsed = try await produceAndConsume(bus: bus, type: type, total: options.fanoutMessages, publishBatch: 1,
                                                  subscriptions: names, claimBatch: 100, consumersPerSubscription: 1)
        for name in names { try await bus.deleteSubscription(named: name) }
        await bus.close()
        return Double(options.fanoutMessages) / elapsed
    }

    private func produceAndConsume(bus: Bus, type: String, total: Int, publishBatch: Int, subscriptions: [String],
                                   claimBatch: Int, consumersPerSubscription: Int) async throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        let producers = self.producers
        try await withThrowingTaskGroup(of: Void.self) { group in
            for p in 0..<producers {
                group.addTask {
                    let share = total / producers + (p < total % producers ? 1 : 0)
                    var sent = 0
                    while sent < share {
                        let n = min(publishBatch, share - sent)
                        try await bus.publish((0..<n).map { _ in sampleEvent(type: type) })
                        sent += n
                    }
                }
            }
            for name in subscriptions {
                group.addTask {
                    let acked = Counter()
                    // Consumers stop once the subscription has acknowledged every event; those still
                    // waiting for more are cancelled.
                    try await withThrowingTaskGroup(of: Void.self) { drain in
                        for _ in 0..<consumersPerSubscription {
                            drain.addTask {
                                let stream = bus.subscribe(name, batchSize: claimBatch, pollInterval: .milliseconds(100))
                                for try await delivery in stream {
                                    try await delivery.ack()
                                    if acked.add(1) >= total { break }
                                }
                                try await stream.flush()
                            }
                        }
                        drain.addTask {
                            while acked.value < total, !Task.isCancelled { try? await Task.sleep(for: .milliseconds(2)) }
                        }
                        _ = try await drain.next()
                        drain.cancelAll()
                        try await drain.waitForAll()
                    }
                }
            }
            try await group.waitForAll()
        }
        return (clock.now - start).seconds
    }

    /// Publishes at a steady rate from one bus and measures publish → delivery on another (so the
    /// wake-up crosses PostgreSQL as it would between processes).
    private func latency() async throws -> (Double, Double, Double) {
        let type = "bench.latency.v1"
        let consumerBus = try await openBus()
        let producerBus = try await openBus()
        let name = "bench-latency"
        try await resetSubscription(consumerBus, SubscriptionSpec(name: name, filter: .init(eventTypes: [type])))
        let count = Int(options.latencySeconds * options.latencyRate)
        let interval = Duration.seconds(1 / options.latencyRate)
        let lags = Collected()
        let publishTimes = Collected()
        let consumer = Task {
            let stream = consumerBus.subscribe(name, batchSize: 16, pollInterval: .seconds(1))
            var iterator = stream.makeAsyncIterator()
            var seen = 0
            while seen < count, let delivery = try await iterator.next() {
                let now = Date().timeIntervalSince1970
                if case .number(let sent)? = delivery.event.data.objectValue?["sent"] { lags.add((now - sent) * 1000) }
                try await delivery.ack()
                seen += 1
            }
            try await stream.flush()
        }
        try await Task.sleep(for: .milliseconds(300))
        let clock = ContinuousClock()
        let start = clock.now
        for i in 0..<count {
            try await clock.sleep(until: start + interval * i)
            var event = sampleEvent(type: type)
            event.data = .object(["sent": .number(Date().timeIntervalSince1970)])
            let before = clock.now
            try await producerBus.publish(event)
            publishTimes.add((clock.now - before).seconds * 1000)
        }
        try await consumer.value
        let elapsed = (clock.now - start).seconds
        try await consumerBus.deleteSubscription(named: name)
        await producerBus.close()
        await consumerBus.close()
        func pct(_ values: [Double], _ p: Double) -> Double {
            let sorted = values.sorted()
            return sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
        }
        let publishing = publishTimes.values
        emit("# latency: of which publish (commit) p50_ms=\(format(pct(publishing, 0.5), 2)) p99_ms=\(format(pct(publishing, 0.99), 2))")
        let observed = lags.values
        return (Double(observed.count) / elapsed, pct(observed, 0.5), pct(observed, 0.99))
    }

    /// Publishing alone, then draining alone, one at a time: where a cycle's time goes.
    private func split() async throws {
        let type = "bench.split.v1"
        let bus = try await openBus()
        let name = "bench-split"
        try await resetSubscription(bus, SubscriptionSpec(name: name, filter: .init(eventTypes: [type])))
        let total = options.messages
        let clock = ContinuousClock()
        var start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<producers {
                group.addTask { for _ in 0..<(total / producers) { try await bus.publish(sampleEvent(type: type)) } }
            }
            try await group.waitForAll()
        }
        let publishRate = Double(total / producers * producers) / (clock.now - start).seconds
        start = clock.now
        let drained = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<consumers {
                group.addTask {
                    var previous: [Delivery] = []
                    while true {
                        let got = try await bus.claim(name, limit: 1, acknowledging: previous)
                        if got.isEmpty { try await bus.ack(previous); return }
                        drained.add(got.count)
                        previous = got
                    }
                }
            }
            try await group.waitForAll()
        }
        let drainRate = Double(drained.value) / (clock.now - start).seconds
        emit("split publish_only msgs_per_s=\(format(publishRate)) drain_only msgs_per_s=\(format(drainRate))")
        try await bus.deleteSubscription(named: name)
        await bus.close()
    }

    /// Client-side cost of the envelope: validate + encode on publish, decode + validate on claim.
    private func codec() {
        let events = (0..<2000).map { _ in sampleEvent(type: "bench.codec.v1") }
        let clock = ContinuousClock()
        var start = clock.now
        for e in events { try? EnvelopeValidation.validate(e) }
        let validate = (clock.now - start).seconds
        start = clock.now
        let texts = events.map { $0.jsonText() }
        let encode = (clock.now - start).seconds
        start = clock.now
        for t in texts { _ = try? EnvelopeValidation.parse(t) }
        let decode = (clock.now - start).seconds
        let us = { (s: Double) in format(s / Double(events.count) * 1e6, 1) }
        emit("codec validate_us=\(us(validate)) encode_us=\(us(encode)) decode_us=\(us(decode))")
    }

    // MARK: helpers

    /// Starts every scenario from the same state: no dead rows left by the one before, and no
    /// checkpoint about to fall into the middle of it. Both the baseline and the bus get this.
    private func settle() async throws {
        let c = try await Connection.connect(conninfo)
        for statement in ["VACUUM ANALYZE bench_raw", "VACUUM ANALYZE backstop.deliveries", "VACUUM ANALYZE backstop.idempotency",
                          "VACUUM ANALYZE backstop.events", "CHECKPOINT"] {
            // CHECKPOINT needs privileges a configured database may not grant; the figures still come.
            _ = try? await c.query(statement)
        }
        await c.close()
    }

    private func openBus(connections: Int = 12) async throws -> Bus {
        Bus(BusConfiguration(conninfo: conninfo, maximumConnections: connections, pollInterval: .milliseconds(100)), logger: CLILog.logger)
    }

    private func resetSubscription(_ bus: Bus, _ spec: SubscriptionSpec) async throws {
        try? await bus.deleteSubscription(named: spec.name)
        try await bus.createSubscription(spec)
    }

}

/// A small event like the ones departments publish.
func sampleEvent(type: String) -> CloudEvent {
    CloudEvent(source: "/orgs/bench", type: type, subject: "case-\(Int.random(in: 1...100_000))", districtCode: "510703001",
               data: .object(["severity": .string("P2"), "risk_categories": .array([.string("illness")])]))
}

/// A shared count for the benchmark's tasks.
final class Counter: Sendable {
    private let storage = Atomic<Int>(0)
    var value: Int { storage.load(ordering: .relaxed) }
    @discardableResult
    func add(_ n: Int) -> Int { storage.add(n, ordering: .relaxed).newValue }
}

/// Latency samples from the consumer task.
final class Collected: Sendable {
    private let storage = Mutex<[Double]>([])
    func add(_ v: Double) { storage.withLock { $0.append(v) } }
    var values: [Double] { storage.withLock { $0 } }
}

extension Duration {
    var seconds: Double {
        let (s, attos) = components
        return Double(s) + Double(attos) / 1e18
    }
}

/// A benchmark figure with `digits` decimals.
func format(_ value: Double, _ digits: Int = 0) -> String {
    String(format: "%.\(digits)f", value)
}
