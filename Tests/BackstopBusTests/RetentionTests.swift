import BackstopBus
import BackstopContracts
import BackstopPostgres
import BackstopTesting
import Foundation
import Testing

/// UTC calendar days, as the day partitions name them.
private enum UTCDay {
    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// Midnight UTC of the day `date` falls in, moved by `days`.
    static func start(of date: Date, plus days: Int = 0) -> Date {
        calendar.date(byAdding: .day, value: days, to: calendar.startOfDay(for: date))!
    }

    /// `YYYYMMDD` of the UTC day `date` falls in.
    static func name(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d%02d%02d", c.year!, c.month!, c.day!)
    }

    /// `YYYY-MM-DD 00:00:00+00`, a literal for partition bounds.
    static func literal(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d 00:00:00+00", c.year!, c.month!, c.day!)
    }
}

@Suite("retention and partitions")
struct RetentionTests {
    /// Names of the day partitions (`events_YYYYMMDD`) currently attached to `backstop.events`.
    private func dayPartitions(_ f: BusFixture) async throws -> Set<String> {
        let rows = try await f.bus.pool.query("""
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'backstop.events'::regclass AND c.relname ~ '^events_[0-9]{8}$'
            """)
        return Set(try rows.map { try $0.decode(String.self, at: 0) })
    }

    private func exists(_ f: BusFixture, _ table: String) async throws -> Bool {
        try await f.bus.pool.query("SELECT to_regclass($1) IS NOT NULL", ["backstop." + table]).first!.decode(Bool.self, at: 0)
    }

    /// The partition (`schema.table`) holding the event at `position`.
    private func partition(_ f: BusFixture, of position: Int64) async throws -> String? {
        try await f.bus.pool.query("""
            SELECT n.nspname || '.' || c.relname
            FROM backstop.events e JOIN pg_class c ON c.oid = e.tableoid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE e.position = $1
            """, [position]).first?.decode(String.self, at: 0)
    }

    private func databaseNow(_ f: BusFixture) async throws -> Date {
        try await f.bus.pool.query("SELECT now()").first!.decode(Date.self, at: 0)
    }

    @Test func maintainCreatesDayPartitionsAndNewEventsLandInToday() async throws {
        let f = try await BusFixture.make()
        // Start from no day partitions at all, so everything present afterwards is maintain's work.
        for name in try await dayPartitions(f) {
            try await f.bus.pool.query("DROP TABLE backstop.\(name)")
        }
        #expect(try await dayPartitions(f).isEmpty)

        let now = try await databaseNow(f)
        let done = try await f.bus.maintain(retention: .seconds(3600))
        let expected = (0...7).map { "events_" + UTCDay.name(UTCDay.start(of: now, plus: $0)) }
        let created = Set(done.filter { $0.action == "created" }.map(\.partition))
        #expect(created.isSuperset(of: expected), "created \(created.sorted())")
        let partitions = try await dayPartitions(f)
        #expect(partitions.isSuperset(of: expected), "partitions \(partitions.sorted())")
        #expect(!partitions.contains("events_" + UTCDay.name(UTCDay.start(of: now, plus: 8))))

        // Running it again has nothing to create from today on.
        let again = try await f.bus.maintain(retention: .seconds(3600))
        #expect(Set(again.map(\.partition)).isDisjoint(with: expected), "\(again)")
        #expect(try await dayPartitions(f).isSuperset(of: expected))

        // An event published now is stored in today's partition, not in the DEFAULT one.
        let receipt = try await f.bus.publish(event())
        #expect(try await partition(f, of: receipt.position) == "backstop.events_" + UTCDay.name(receipt.acceptedAt))
        #expect(try await f.count("SELECT count(*) FROM backstop.events_default") == 0)
    }

    /// Stores `original` as if it had been published at `acceptedAt`, with a pending delivery for
    /// `subscription`; returns its position.
    private func storeOldEvent(_ f: BusFixture, _ original: CloudEvent, acceptedAt: Date, subscription: Subscription) async throws -> Int64 {
        try await f.bus.pool.withTransaction { c in
            let position = try c.execute("""
                INSERT INTO backstop.events (position, accepted_at, id, source, type, subject, district, envelope)
                VALUES (nextval('backstop.event_position'), $1, $2, $3, $4, $5, $6, $7::jsonb)
                RETURNING position
                """, [acceptedAt, original.id, original.source, original.type, original.subject,
                      original.districtCode ?? "", PostgresJSON(original.jsonText())]).first!.decode(Int64.self, at: 0)
            try c.execute("""
                INSERT INTO backstop.deliveries (subscription_id, position, accepted_at, subject, ordered, visible_at, envelope)
                VALUES ($1, $2, $3, $4, false, $3, $5::jsonb)
                """, [subscription.id, position, acceptedAt, original.subject, PostgresJSON(original.jsonText())])
            return position
        }
    }

    /// Creates the day partition for `day` (a UTC midnight) and returns its name.
    private func createDayPartition(_ f: BusFixture, _ day: Date) async throws -> String {
        let name = "events_" + UTCDay.name(day)
        // DDL takes no parameters; the name and bounds are computed from a date, never from input.
        try await f.bus.pool.query("""
            CREATE TABLE backstop.\(name) PARTITION OF backstop.events
            FOR VALUES FROM ('\(UTCDay.literal(day))') TO ('\(UTCDay.literal(UTCDay.start(of: day, plus: 1)))')
            """)
        return name
    }

    @Test func anExpiredPartitionIsKeptWhileADeliveryIsPendingAndDroppedAfterTheAck() async throws {
        let f = try await BusFixture.make()
        let subscription = try await f.bus.createSubscription(.init(name: "audit"))
        let day = UTCDay.start(of: try await databaseNow(f), plus: -40)
        let name = try await createDayPartition(f, day)
        let acceptedAt = day.addingTimeInterval(12 * 3600 + 0.25)
        let original = event(subject: "case-old", n: 40)
        let position = try await storeOldEvent(f, original, acceptedAt: acceptedAt, subscription: subscription)
        #expect(try await partition(f, of: position) == "backstop." + name)

        // Expired (40 days > 30) but still referenced: kept.
        let first = try await f.bus.maintain(retention: .seconds(30 * 86_400))
        #expect(!first.contains { $0.action == "dropped" && $0.partition == name }, "\(first)")
        #expect(try await exists(f, name))
        #expect(try await f.count("SELECT count(*) FROM backstop.events WHERE position = $1", [position]) == 1)

        // The delivery can still be claimed, with its envelope intact.
        let claimed = try await f.bus.claim("audit", limit: 10)
        #expect(claimed.count == 1)
        let delivery = try #require(claimed.first)
        #expect(delivery.position == position)
        #expect(delivery.event == original)
        #expect(abs(delivery.acceptedAt.timeIntervalSince(acceptedAt)) < 0.001)

        // Still kept while the delivery is merely leased.
        let leased = try await f.bus.maintain(retention: .seconds(30 * 86_400))
        #expect(!leased.contains { $0.action == "dropped" && $0.partition == name }, "\(leased)")
        #expect(try await exists(f, name))

        try await f.bus.ack([delivery])
        #expect(try await f.count("SELECT count(*) FROM backstop.deliveries") == 0)
        let second = try await f.bus.maintain(retention: .seconds(30 * 86_400))
        #expect(second.contains { $0.action == "dropped" && $0.partition == name }, "\(second)")
        #expect(try await exists(f, name) == false)
        #expect(try await f.count("SELECT count(*) FROM backstop.events WHERE position = $1", [position]) == 0)
        // Recent partitions are untouched.
        #expect(try await exists(f, "events_" + UTCDay.name(try await databaseNow(f))))
    }

    @Test func aDeadLetterAlsoKeepsItsExpiredPartition() async throws {
        let f = try await BusFixture.make()
        let subscription = try await f.bus.createSubscription(.init(name: "audit", retry: .init(maxAttempts: 1)))
        let day = UTCDay.start(of: try await databaseNow(f), plus: -35)
        let name = try await createDayPartition(f, day)
        let original = event(n: 35)
        _ = try await storeOldEvent(f, original, acceptedAt: day.addingTimeInterval(60), subscription: subscription)

        let delivery = try #require(try await f.bus.claim("audit").first)
        #expect(try await delivery.nack(error: "handler gave up") == .dead)
        #expect(try await f.count("SELECT count(*) FROM backstop.deliveries") == 0)

        let kept = try await f.bus.maintain(retention: .seconds(30 * 86_400))
        #expect(!kept.contains { $0.partition == name && $0.action == "dropped" }, "\(kept)")
        #expect(try await exists(f, name))
        // The dead letter still shows the event, so it can be inspected and redriven.
        let dead = try await f.bus.deadLetters("audit")
        #expect(dead.map(\.event) == [original])

        #expect(try await f.bus.redrive("audit") == 1)
        let again = try #require(try await f.bus.claim("audit").first)
        #expect(again.event == original)
        try await f.bus.ack([again])
        let dropped = try await f.bus.maintain(retention: .seconds(30 * 86_400))
        #expect(dropped.contains { $0.partition == name && $0.action == "dropped" }, "\(dropped)")
        #expect(try await exists(f, name) == false)
    }

    @Test func expiredEventsInTheDefaultPartitionAreDeletedOnlyWhenUnreferenced() async throws {
        let f = try await BusFixture.make()
        let subscription = try await f.bus.createSubscription(.init(name: "audit"))
        // No day partition exists 50 days back, so these rows land in DEFAULT.
        let day = UTCDay.start(of: try await databaseNow(f), plus: -50)
        let pending = event(n: 1)
        let settled = event(n: 2)
        let pendingPosition = try await storeOldEvent(f, pending, acceptedAt: day.addingTimeInterval(100), subscription: subscription)
        let settledPosition = try await storeOldEvent(f, settled, acceptedAt: day.addingTimeInterval(200), subscription: subscription)
        #expect(try await f.count("SELECT count(*) FROM backstop.events_default") == 2)
        try await f.bus.pool.query("DELETE FROM backstop.deliveries WHERE position = $1", [settledPosition])

        try await f.bus.maintain(retention: .seconds(30 * 86_400))
        #expect(try await f.count("SELECT count(*) FROM backstop.events WHERE position = $1", [settledPosition]) == 0)
        #expect(try await f.count("SELECT count(*) FROM backstop.events WHERE position = $1", [pendingPosition]) == 1)
        #expect(try await f.bus.claim("audit").map(\.event) == [pending])
    }
}
