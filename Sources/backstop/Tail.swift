import ArgumentParser
import BackstopBus
import BackstopContracts
import Foundation
import Synchronization

/// `backstop tail`: print deliveries as JSON lines and acknowledge them.
struct Tail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each delivery of a subscription as a JSON line and acknowledge it; runs until Ctrl-C or --count.")

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The subscription name.") var subscription: String
    @Option(help: "Stop after this many deliveries.") var count: Int?
    @Option(help: "Stop after this many seconds without a delivery.") var idleExit: Double?

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if let idleExit, idleExit <= 0 { throw ValidationError("--idle-exit must be positive") }
    }

    func run() async throws {
        _ = CLILog.logger
        let db = try await database.open()
        try await db.withBus(pollInterval: .milliseconds(250)) { bus in
            _ = try await bus.subscription(named: subscription)
            let stream = bus.subscribe(subscription, batchSize: 32)
            let signals = ShutdownSignals()
            let lastSeen = LastSeen()
            let reader = Task {
                var seen = 0
                for try await delivery in stream {
                    var object: [String: Any] = ["position": delivery.position, "attempt": delivery.attempt,
                                                 "subscription": delivery.subscription]
                    object["event"] = try JSONSerialization.jsonObject(with: Data(delivery.event.jsonText().utf8))
                    emit(jsonLine(object))
                    try await delivery.ack()
                    lastSeen.touch()
                    seen += 1
                    if let count, seen >= count { break }
                }
            }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { _ = await reader.result }
                group.addTask { await signals.wait() }
                if let idleExit {
                    group.addTask {
                        while !Task.isCancelled, lastSeen.idle < .seconds(idleExit) {
                            try? await Task.sleep(for: .milliseconds(50))
                        }
                    }
                }
                await group.next()
                reader.cancel()
                group.cancelAll()
            }
            let outcome = await reader.result
            try await stream.flush()
            if case .failure(let error) = outcome, !(error is CancellationError) { throw error }
        }
    }
}

/// When the last delivery arrived (or when tailing began).
final class LastSeen: Sendable {
    private let instant = Mutex(ContinuousClock.now)
    func touch() { instant.withLock { $0 = ContinuousClock.now } }
    var idle: Duration { ContinuousClock.now - instant.withLock { $0 } }
}
