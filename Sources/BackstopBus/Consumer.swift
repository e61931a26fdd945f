import BackstopPostgres
import Foundation
import Logging

/// The deliveries of one subscription as an `AsyncSequence`; see ``Bus/subscribe(_:batchSize:lease:pollInterval:)``.
public struct Deliveries: AsyncSequence, Sendable {
    public typealias Element = Delivery
    let consumer: Consumer

    /// The iterator; each `next()` returns a delivery, waiting for one if none is ready.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let consumer: Consumer
        public mutating func next() async throws -> Delivery? {
            try await consumer.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(consumer: consumer) }

    /// The next delivery and every other one already claimed with it (at most the batch size),
    /// waiting for one if none is ready; empty when the task is cancelled. For consumers that
    /// handle a batch in one transaction.
    public func nextBatch() async throws -> [Delivery] {
        try await consumer.nextBatch()
    }

    /// Sends acknowledgements still waiting for the next claim; call before abandoning the stream.
    public func flush() async throws {
        let consumer = self.consumer
        try await Task { try await consumer.flushAcks() }.value
    }
}

/// Claims deliveries in batches, hands them out one at a time, and carries acknowledgements back
/// with the next claim.
actor Consumer {
    private let bus: Bus
    private let name: String
    private let batchSize: Int
    private let lease: Duration?
    private let pollInterval: Duration
    private let doorbell = Doorbell()
    private var subscription: Subscription?
    private var buffer: [Delivery] = []
    private var bufferIndex = 0
    private var pendingAcks: [Delivery] = []
    private var flushScheduled = false

    init(bus: Bus, subscription: String, batchSize: Int, lease: Duration?, pollInterval: Duration) {
        self.bus = bus
        self.name = subscription
        self.batchSize = max(1, batchSize)
        self.lease = lease
        self.pollInterval = pollInterval
    }

    deinit {
        if let id = subscription?.id { bus.hub.unregister(doorbell, subscription: id) }
    }

    func nextBatch() async throws -> [Delivery] {
        guard let first = try await next() else { return [] }
        let rest = Array(buffer[min(bufferIndex, buffer.count)...])
        bufferIndex = buffer.count
        return [first] + rest
    }

    func next() async throws -> Delivery? {
        var backoff = Duration.milliseconds(50)
        while !Task.isCancelled {
            if bufferIndex < buffer.count {
                defer { bufferIndex += 1 }
                return buffer[bufferIndex]
            }
            let seen = doorbell.arm()
            let acks = pendingAcks
            pendingAcks = []
            do {
                let sub = try await resolve()
                let claimed = try await bus.claim(sub, limit: batchSize, lease: lease, acks: acks, consumer: self)
                // Several tasks may iterate one stream: keep what others claimed meanwhile.
                buffer = Array(buffer[min(bufferIndex, buffer.count)...]) + claimed
                bufferIndex = 0
                backoff = .milliseconds(50)
                if !claimed.isEmpty {
                    // Busy now: wake-ups should go to idle siblings. It claims again when done anyway.
                    doorbell.disarm()
                    // A full batch of several: there may be more, so pass the wake-up on to an idle
                    // sibling. (With batches of one, every claim is "full": that would double the claims.)
                    if batchSize > 1, claimed.count == batchSize { bus.hub.wake([sub.id: 1]) }
                    continue
                }
                if bufferIndex < buffer.count { continue }
            } catch let error as PostgresError where error.isTransient && !Task.isCancelled {
                pendingAcks = acks + pendingAcks
                bus.logger.info("consumer \(name): database unavailable (\(error)); retrying in \(backoff)")
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(2))
                continue
            } catch {
                pendingAcks = acks + pendingAcks
                if Task.isCancelled { break }  // the claim was cancelled with the task: just stop
                throw error
            }
            if await !doorbell.wait(after: seen, timeout: pollInterval) {
                // A quiet poll interval: check the subscription is still the one we claim for (it may
                // have been deleted and recreated under the same name).
                do { try await refreshSubscription() } catch {
                    if Task.isCancelled { break }  // cancelled while checking: just stop
                    throw error
                }
            }
        }
        // Cancelled: send what was acknowledged, outside the cancelled task so the statement runs.
        try? await Task { try await self.flushAcks() }.value
        return nil
    }

    private func refreshSubscription() async throws {
        guard let current = subscription else { return }
        let found: Subscription
        do { found = try await bus.subscription(named: name) } catch let error as PostgresError where error.isTransient { return }
        if found.id != current.id {
            bus.hub.unregister(doorbell, subscription: current.id)
            bus.hub.register(doorbell, subscription: found.id)
            pendingAcks.removeAll()  // they belonged to the deleted subscription
        }
        subscription = found
    }

    func enqueueAck(_ delivery: Delivery) {
        pendingAcks.append(delivery)
        if !flushScheduled {
            flushScheduled = true
            Task { [weak self] in
                try? await Task.sleep(for: .milliseconds(50))
                await self?.scheduledFlush()
            }
        }
    }

    private func scheduledFlush() async {
        flushScheduled = false
        try? await flushAcks()
    }

    func flushAcks() async throws {
        guard !pendingAcks.isEmpty else { return }
        let acks = pendingAcks
        pendingAcks = []
        do {
            try await bus.ack(acks)
        } catch {
            pendingAcks = acks + pendingAcks
            throw error
        }
    }

    private func resolve() async throws -> Subscription {
        if let subscription { return subscription }
        let found = try await bus.subscription(named: name)
        subscription = found
        bus.hub.register(doorbell, subscription: found.id)
        return found
    }
}
