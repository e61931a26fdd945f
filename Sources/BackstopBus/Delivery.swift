import BackstopContracts
import Foundation

/// One event handed to one subscription's consumer, under a lease.
///
/// Acknowledge it when done (``ack()``), give it back with a delay when not (``nack(after:error:)``),
/// or extend the lease for long work (``extend(by:)``). If none of these happens before the lease
/// expires, it is delivered again — at-least-once.
public struct Delivery: Sendable {
    /// The subscription it was delivered to.
    public let subscription: String
    /// The event.
    public let event: CloudEvent
    /// The event's position in the log (commit order per subject).
    public let position: Int64
    /// 1 for the first delivery, 2 for the first retry, ….
    public let attempt: Int
    /// When the bus accepted the event.
    public let acceptedAt: Date
    let subscriptionID: Int64
    /// Random per claim: acknowledgements and lease changes must present it.
    let leaseToken: UUID
    let handle: DeliveryHandle

    /// Acknowledges the delivery: it will not be delivered again.
    ///
    /// From a ``Deliveries`` stream the acknowledgement is batched with the consumer's next claim (or
    /// flushed within 50 ms), which saves a round trip per event; a lost acknowledgement only causes
    /// a redelivery.
    public func ack() async throws {
        try await handle.ack(self)
    }

    /// Gives the delivery back: it is retried after `delay`, or after the subscription's backoff
    /// when `delay` is nil, and dead-lettered with `error` once its attempts are used up.
    @discardableResult
    public func nack(after delay: Duration? = nil, error: String = "") async throws -> NackOutcome {
        try await handle.bus.nack(self, after: delay, error: error)
    }

    /// Extends the lease by `duration` from now. Returns false if the lease was already lost.
    @discardableResult
    public func extend(by duration: Duration) async throws -> Bool {
        try await handle.bus.extend(self, by: duration)
    }
}

/// What became of a negatively acknowledged delivery.
public enum NackOutcome: String, Sendable {
    /// It will be delivered again after the delay.
    case retry
    /// Its attempts were used up; it is now a dead letter.
    case dead
    /// The lease had already passed to another consumer; nothing changed.
    case stale
}

/// Where a delivery's acknowledgement goes: straight to the database, or into a consumer's batch.
final class DeliveryHandle: Sendable {
    let bus: Bus
    let consumer: Consumer?

    init(bus: Bus, consumer: Consumer?) {
        self.bus = bus
        self.consumer = consumer
    }

    func ack(_ delivery: Delivery) async throws {
        if let consumer {
            await consumer.enqueueAck(delivery)
        } else {
            try await bus.ack([delivery])
        }
    }
}
