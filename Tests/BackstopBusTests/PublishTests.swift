import BackstopBus
import BackstopContracts
import BackstopPostgres
import BackstopTesting
import Foundation
import Testing

@Suite("publishing")
struct PublishTests {
    @Test func eventReachesEveryMatchingSubscriptionAndNoOther() async throws {
        let f = try await BusFixture.make()
        try await f.bus.createSubscription(.init(name: "all"))
        try await f.bus.createSubscription(.init(name: "alerts", filter: .init(eventTypes: ["test.alert.raised.v1"])))
        try await f.bus.createSubscription(.init(name: "jobs", filter: .init(eventTypes: ["test.job.offered.v1"])))
        try await f.bus.createSubscription(.init(name: "township", filter: .init(districtPrefix: "510703001")))
        try await f.bus.createSubscription(.init(name: "elsewhere", filter: .init(districtPrefix: "510704")))

        let receipt = try await f.bus.publish(event(district: "510703001002"))
        #expect(receipt.duplicate == false)
        #expect(receipt.position > 0)
        for name in ["all", "alerts", "township"] {
            let got = try await f.bus.claim(name, limit: 10)
            #expect(got.map(\.event.id) == [receipt.id], "\(name) should get the event")
            #expect(got.first?.event.data == event().data)
            #expect(got.first?.attempt == 1)
        }
        for name in ["jobs", "elsewhere"] {
            #expect(try await f.bus.claim(name, limit: 10).isEmpty, "\(name) must not get it")
        }
    }

    @Test func aBatchIsOneStatementAndKeepsOrder() async throws {
        let f = try await BusFixture.make()
        try await f.bus.createSubscription(.init(name: "all"))
        let events = (0..<250).map { event(n: $0) }
        let receipts = try await f.bus.publish(events)
        #expect(receipts.map(\.id) == events.map(\.id))
        #expect(receipts.map(\.position) == receipts.map(\.position).sorted())
        let claimed = try await f.bus.claim("all", limit: 1000)
        #expect(claimed.map(\.event.id) == events.map(\.id))
    }

    @Test func duplicatePublishIsStoredOnceEvenUnderConcurrentRetries() async throws {
        let f = try await BusFixture.make()
        try await f.bus.createSubscription(.init(name: "all"))
        let first = event(key: "pledge-77")
        let receipts = try await withThrowingTaskGroup(of: PublishReceipt.self) { group in
            for _ in 0..<12 {
                group.addTask { try await f.bus.publish(event(key: "pledge-77")) }
            }
            group.addTask { try await f.bus.publish(first) }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(receipts.map(\.id)).count == 1)
        #expect(Set(receipts.map(\.position)).count == 1)
        #expect(receipts.filter { !$0.duplicate }.count == 1)
        #expect(try await f.count("SELECT count(*) FROM backstop.events") == 1)
        #expect(try await f.claim(f.bus, "all").count == 1)
        // The same key from another source is a different event.
        let other = try await f.bus.publish(event(key: "pledge-77", source: "/orgs/ngo-9"))
        #expect(other.duplicate == false)
        // Republishing the same event (same id, no key) is also deduplicated.
        let plain = event()
        let a = try await f.bus.publish(plain)
        let b = try await f.bus.publish(plain)
        #expect(a.position == b.position && b.duplicate)
    }

    @Test func rolledBackTransactionalPublishIsNeverDelivered() async throws {
        let f = try await BusFixture.make()
        try await f.bus.createSubscription(.init(name: "all"))
        struct Abort: Error {}
        let bus = f.bus
        await #expect(throws: Abort.self) {
            try await bus.transaction { connection in
                try bus.publish([event(n: 1)], in: connection)
                throw Abort()
            }
        }
        #expect(try await f.bus.claim("all", limit: 10).isEmpty)
        #expect(try await f.count("SELECT count(*) FROM backstop.events") == 0)
        // Committed: delivered.
        try await bus.transaction { connection in try bus.publish([event(n: 2)], in: connection) }
        #expect(try await f.bus.claim("all", limit: 10).count == 1)
    }

    @Test func malformedEnvelopesAreRefusedAndNothingIsStored() async throws {
        let f = try await BusFixture.make()
        try await f.bus.createSubscription(.init(name: "all"))
        var badType = event()
        badType.type = "Alert Raised"
        var badData = event()
        badData.data = .array([.string("x")])
        var badDistrict = event()
        badDistrict.districtCode = "51-07"
        for (bad, field) in [(badType, "/type"), (badData, "/data"), (badDistrict, "/districtcode")] {
            let error = await #expect(throws: InvalidEvent.self) { try await f.bus.publish([event(), bad]) }
            #expect(error?.violations.map(\.field) == [field])
            #expect(error?.index == 1)
        }
        #expect(try await f.count("SELECT count(*) FROM backstop.events") == 0)
        #expect(try await f.count("SELECT count(*) FROM backstop.deliveries") == 0)
    }

    @Test func catalogueTypesArePublishedOnlyWithPayloadsThatFollowTheirSchema() async throws {
        let f = try await BusFixture.make()
        try await f.bus.createSubscription(.init(name: "all"))
        var bad = CloudEvent(source: "/orgs/coordinator", payload: AlertRaisedV1.sample)
        bad.data = .object((bad.data.objectValue ?? [:]).merging(["severity": .string("P9")]) { $1 })
        let error = await #expect(throws: InvalidEvent.self) {
            try await f.bus.publish([CloudEvent(source: "/orgs/coordinator", payload: AlertRaisedV1.sample), bad])
        }
        #expect(error?.violations.map(\.description) == ["/data/severity: must be one of \"P1\", \"P2\", \"P3\", \"P4\""])
        #expect(error?.index == 1)
        #expect(try await f.count("SELECT count(*) FROM backstop.events") == 0)

        let good = CloudEvent(source: "/orgs/coordinator", payload: AlertRaisedV1.sample)
        try await f.bus.publish(good)
        let delivered = try await f.claim(f.bus, "all")
        #expect(delivered.count == 1)
        #expect(try AlertRaisedV1(from: delivered[0].event) == AlertRaisedV1.sample)
        #expect(delivered[0].event.dataschema == "https://backstop.example/contracts/events/cn.backstop.alert.raised.v1.schema.json")
    }

    /// NUL is found wherever it hides (a nested value, a member name), named by its JSON pointer
    /// with `~` and `/` escaped, and nothing of the batch is stored.
    @Test func aNULAnywhereIsRefusedWithItsPointer() async throws {
        let f = try await BusFixture.make()
        let cases: [(JSONValue, String)] = [
            (.object(["list": .array([.string("ok"), .object(["a/b~c": .string("x\u{0}")])])]), "/data/list/1/a~1b~0c"),
            (.object(["ok": .number(1), "bad\u{0}name": .bool(true)]), "/data/bad\u{0}name"),
        ]
        for (data, pointer) in cases {
            let error = await #expect(throws: InvalidEvent.self) {
                try await f.bus.publish([event(key: "fine"), CloudEvent(source: "/orgs/x", type: "test.note.v1", data: data)])
            }
            #expect(error?.violations.map(\.field) == [pointer])
            #expect(error?.index == 1)
        }
        #expect(try await f.count("SELECT count(*) FROM backstop.events") == 0)
        await f.bus.close()
    }
}

extension BusFixture {
    func claim(_ bus: Bus, _ name: String) async throws -> [Delivery] { try await bus.claim(name, limit: 100) }
}
