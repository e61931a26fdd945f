import BackstopBus
import BackstopContracts
import BackstopPostgres
import BackstopTesting
import Foundation
import Testing

@Suite("per-subject commit order")
struct OrderingTests {
    /// Concurrent publishers of one subject while consumers drain it: without the per-subject lock
    /// a later position could commit first, be delivered, and an earlier one arrive after it.
    @Test(.timeLimit(.minutes(1)))
    func concurrentPublishersNeverDeliverAnEarlierPositionLate() async throws {
        let f = try await BusFixture.make(pollInterval: .milliseconds(20))
        try await f.bus.createSubscription(.init(name: "case-stream", ordered: true))
        let perPublisher = 40, publishers = 4
        let delivered = Collector<Int64>()
        let consumer = Task {
            let stream = f.bus.subscribe("case-stream", batchSize: 4)
            var seen = 0
            for try await d in stream {
                await delivered.add(d.position)
                try await d.ack()
                seen += 1
                if seen == perPublisher * publishers { break }
            }
            try await stream.flush()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for p in 0..<publishers {
                group.addTask {
                    for i in 0..<perPublisher {
                        // Hold each transaction open a little after the position is drawn, so that
                        // commits would overtake each other if nothing serialised them.
                        let bus = f.bus
                        try await bus.transaction { c in
                            try bus.publish([event(subject: "case-1", n: p * 1000 + i)], in: c)
                            _ = try c.execute("SELECT pg_sleep(random() * 0.004)")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        try await consumer.value
        let order = await delivered.items
        #expect(order.count == perPublisher * publishers)
        #expect(order == order.sorted(), "a lower position was delivered after a higher one")
    }
}
