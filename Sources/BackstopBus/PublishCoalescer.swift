import BackstopContracts
import BackstopPostgres
import Synchronization

/// Publishes the events of many concurrent callers together.
///
/// Each caller waits for its own receipt, as with ``Bus/publish(_:)-(CloudEvent)``, but events that
/// arrive while a publish is under way are stored by the next one, in one statement and one
/// commit, up to `maximumBatch` at a time. An idle coalescer publishes at once, so a lone caller
/// waits no longer than before; under load the database does one commit per batch instead of one
/// per event. An invalid event does not fail the others: a batch that is refused is published again
/// one event at a time, so only the bad one gets the error (a lost connection fails the batch's
/// callers, who retry with their idempotency keys).
public final class PublishCoalescer: Sendable {
    private struct Waiting {
        var event: CloudEvent
        var continuation: CheckedContinuation<PublishReceipt, any Error>
    }
    private struct State {
        var waiting: [Waiting] = []
        var flushing = false
    }
    private let bus: Bus
    private let maximumBatch: Int
    private let state = Mutex(State())

    /// A coalescer publishing on `bus`, at most `maximumBatch` events per statement.
    public init(bus: Bus, maximumBatch: Int = 64) {
        self.bus = bus
        self.maximumBatch = max(1, maximumBatch)
    }

    /// Publishes `event` (together with whatever else is waiting) and returns its receipt once it
    /// is durably stored.
    public func publish(_ event: CloudEvent) async throws -> PublishReceipt {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { s -> Bool in
                s.waiting.append(Waiting(event: event, continuation: continuation))
                if s.flushing { return false }
                s.flushing = true
                return true
            }
            if start { Task { await self.flush() } }
        }
    }

    private func flush() async {
        while true {
            let batch = state.withLock { s -> [Waiting] in
                let taken = Array(s.waiting.prefix(maximumBatch))
                s.waiting.removeFirst(taken.count)
                if taken.isEmpty { s.flushing = false }
                return taken
            }
            if batch.isEmpty { return }
            do {
                let receipts = try await bus.publish(batch.map(\.event))
                for (waiting, receipt) in zip(batch, receipts) { waiting.continuation.resume(returning: receipt) }
            } catch let error where batch.count > 1 && !((error as? PostgresError)?.isTransient ?? false) {
                // An invalid event, or one the database refuses (a NUL in a string): only it fails.
                for waiting in batch {
                    do { waiting.continuation.resume(returning: try await bus.publish(waiting.event)) } catch {
                        waiting.continuation.resume(throwing: error)
                    }
                }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }
}
