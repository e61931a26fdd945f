import ArgumentParser
import BackstopBus
import BackstopContracts
import Foundation

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
            let reader = Task {
                var seen = 0
                for try await delivery in stream {
                    var object: [String: Any] = ["position": delivery.position, "attempt": delivery.attempt,
                                                 "subscription": delivery.subscription]
                    object["event"] = try JSONSerialization.jsonObject(with: Data(delivery.event.jsonText().utf8))
                    emit(jsonLine(object))
                    try await delivery.ack()
                    seen += 1
                    if let count, seen >= count { break }
                }
                try await stream.flush()
            }
            let idle: Task<Void, Never>? = idleExit.map { seconds in
                Task {
                    try? await Task.sleep(for: .seconds(seconds))
                }
            }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { _ = await reader.result }
                group.addTask { await signals.wait() }
                if let idle { group.addTask { await idle.value } }
                await group.next()
                group.cancelAll()
            }
            reader.cancel()
            _ = try? await reader.value
            try await stream.flush()
        }
    }
}
