import BackstopBus
import BackstopContracts
import BackstopPostgres
import BackstopTesting
import Foundation
import Synchronization
import Testing

/// A value several tasks update and the test body watches.
private final class Shared<Value: Sendable>: Sendable {
    private let state: Mutex<Value>
    init(_ value: Value) { state = Mutex(value) }
    var value: Value { state.withLock { $0 } }
    func update<R: Sendable>(_ body: (inout Value) -> R) -> R { state.withLock { body(&$0) } }
}

/// Waits until `condition` holds, checking every 5 ms; false if `timeout` passed first.
private func waitUntil(_ timeout: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(5))
    }
    return try await condition()
}

/// Runs `body` on a private cluster of its own and always discards the cluster afterwards.
private func withPrivateCluster(_ name: String, _ body: (PrivateCluster) async throws -> Void) async throws {
    let cluster = try await TestCluster.privateCluster(name)
    do {
        try await body(cluster)
    } catch {
        await TestCluster.discard(cluster)
        throw error
    }
    await TestCluster.discard(cluster)
}

/// A migrated bus on `cluster`'s Backstop database.
private func migratedBus(_ cluster: PrivateCluster) async throws -> Bus {
    let setup = try await Connection.connect(cluster.conninfo())
    do {
        #expect(try await Migrator().migrate(setup) == Migration.bundled().map(\.version))
    } catch {
        await setup.close()
        throw error
    }
    await setup.close()
    return Bus(BusConfiguration(conninfo: cluster.conninfo(), reconnectTimeout: .seconds(30), pollInterval: .milliseconds(200)))
}

@Suite("server restarts under load", .serialized)
struct RestartStreamTests {
    @Test(.timeLimit(.minutes(3)))
    func aServerRestartInTheMiddleOfAStreamLosesNothing() async throws {
        let total = 300
        try await withPrivateCluster("stream") { cluster in
            let bus = try await migratedBus(cluster)
            // A lease shorter than the default 30 s: a claim whose reply was lost in the restart is
            // handed out again sooner.
            try await bus.createSubscription(.init(name: "stream", lease: .seconds(10)))

            let stream = bus.subscribe("stream")
            let consumer = Task { () throws -> (distinct: Set<String>, deliveries: Int) in
                var seen = Set<String>()
                var deliveries = 0
                for try await delivery in stream {
                    deliveries += 1
                    seen.insert(delivery.event.id)
                    try await delivery.ack()
                    if seen.count == total { break }
                }
                try await stream.flush()
                return (seen, deliveries)
            }
            defer { consumer.cancel() }

            let published = Shared(0)
            let publisher = Task { () throws -> [PublishReceipt] in
                var receipts: [PublishReceipt] = []
                for i in 0..<total {
                    receipts.append(try await bus.publish(event(subject: "case-\(i % 7)", key: "stream-\(i)", n: i)))
                    published.update { $0 = i + 1 }
                }
                return receipts
            }

            let halfway = try await waitUntil(.seconds(60)) { published.value >= 100 }
            #expect(halfway, "the publisher stalled at \(published.value) before the restart")
            let publishedBeforeRestart = published.value
            await cluster.stop()
            try await cluster.start()

            let receipts = try await publisher.value
            #expect(publishedBeforeRestart < total, "the restart came after the publisher had finished")
            #expect(receipts.count == total)
            let ids = Set(receipts.map(\.id))
            #expect(ids.count == total)

            // The consumer gets 90 s to see everything; after that it is stopped and we look at what it missed.
            let watchdog = Task {
                try await Task.sleep(for: .seconds(90))
                consumer.cancel()
            }
            let (seen, deliveries) = try await consumer.value
            watchdog.cancel()

            let missing = ids.subtracting(seen)
            #expect(missing.isEmpty, "the consumer never saw \(missing.count) events, e.g. \(missing.prefix(5).sorted())")
            #expect(seen.isSubset(of: ids))
            print("restart stream: \(seen.count) distinct events in \(deliveries) deliveries (\(deliveries - seen.count) redeliveries); \(publishedBeforeRestart) published before the restart")

            let count = { (sql: String) async throws -> Int in try await bus.pool.query(sql).first!.decode(Int.self, at: 0) }
            #expect(try await count("SELECT count(*) FROM backstop.events") == total)
            #expect(try await count("SELECT count(DISTINCT id) FROM backstop.events") == total)
            let drained = try await waitUntil(.seconds(5)) { try await count("SELECT count(*) FROM backstop.deliveries") == 0 }
            let left = try await count("SELECT count(*) FROM backstop.deliveries")
            #expect(drained, "deliveries left: \(left)")
            #expect(try await count("SELECT count(*) FROM backstop.dead_letters") == 0)
            await bus.close()
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func everyAcknowledgedPublishSurvivesAServerCrash() async throws {
        let perTask = 100
        try await withPrivateCluster("crash") { cluster in
            let bus = try await migratedBus(cluster)
            try await bus.createSubscription(.init(name: "all"))

            struct Outcome: Sendable {
                var receipts: [(receipt: PublishReceipt, beforeCrash: Bool)] = []
                var failures: [String] = []
            }
            let crashed = Shared(false)
            let outcome = Shared(Outcome())
            let publishers = (0..<2).map { task in
                Task {
                    for i in 0..<perTask {
                        do {
                            let receipt = try await bus.publish(event(key: "crash-\(task)-\(i)", n: i))
                            // Read the flag after the publish returned: true only if it returned before the kill.
                            let before = !crashed.value
                            outcome.update { $0.receipts.append((receipt, before)) }
                        } catch {
                            outcome.update { $0.failures.append("\(task)-\(i): \(error)") }
                        }
                        // Paced so that the kill at ~0.3 s lands in the middle of the stream.
                        try? await Task.sleep(for: .milliseconds(5))
                    }
                }
            }

            // Kill it after ~0.3 s, once some publishes have returned but well before all of them.
            let started = ContinuousClock.now
            _ = try await waitUntil(.seconds(60)) {
                let returned = outcome.value.receipts.count
                return (ContinuousClock.now - started >= .milliseconds(300) && returned >= 10) || returned >= perTask
            }
            crashed.update { $0 = true }
            await cluster.crash()
            try await cluster.start()
            for publisher in publishers { await publisher.value }

            let result = outcome.value
            let beforeCrash = result.receipts.filter(\.beforeCrash).map(\.receipt)
            print("crash: \(beforeCrash.count) publishes returned before the kill, \(result.receipts.count) in all, \(result.failures.count) failed")
            #expect(!beforeCrash.isEmpty, "nothing was published before the crash")
            #expect(beforeCrash.count < 2 * perTask, "the crash came after publishing had finished")

            let stored = Set(try await bus.pool.query("SELECT id FROM backstop.events").map { try $0.decode(String.self, at: 0) })
            #expect(stored.count >= result.receipts.count)
            let lostBeforeCrash = beforeCrash.filter { !stored.contains($0.id) }
            #expect(lostBeforeCrash.isEmpty, "\(lostBeforeCrash.count) events acknowledged before the crash are gone")
            let lost = result.receipts.map(\.receipt).filter { !stored.contains($0.id) }
            #expect(lost.isEmpty, "\(lost.count) acknowledged events are gone")
            // Publishing retries by itself across the crash, so every publish eventually succeeds.
            #expect(result.failures.isEmpty, "\(result.failures.prefix(3))")
            #expect(result.receipts.count == 2 * perTask)
            // And each stored event was fanned out exactly once.
            let deliveries = try await bus.pool.query("SELECT count(*) FROM backstop.deliveries").first!.decode(Int.self, at: 0)
            #expect(deliveries == stored.count)
            await bus.close()
        }
    }
}
