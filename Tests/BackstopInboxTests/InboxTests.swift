import BackstopAccess
import BackstopBus
import BackstopContracts
import BackstopInbox
import BackstopPostgres
import BackstopTesting
import Foundation
import Testing

/// A bus with the access and inbox tables, organisations of several kinds, and the routers of
/// department-service and enterprise-service.
struct InboxFixture {
    let bus: Bus
    let registry: OrganisationRegistry
    let inbox: Inbox
    let departments: InboxRouter
    let enterprises: InboxRouter

    static func make() async throws -> InboxFixture {
        let conninfo = try await TestCluster.migratedDatabase()
        let bus = Bus(BusConfiguration(conninfo: conninfo))
        _ = try await bus.pool.withConnection { c in
            try await Migrator(migrations: try Migration.bundled() + InboxSchema.withAccess()).migrate(c)
        }
        let registry = OrganisationRegistry(pool: bus.pool)
        for (id, kind, district) in [("dept-health", OrganisationKind.department, "510703"), ("dept-civil-affairs", .department, "510703"),
                                     ("township-510703007", .township, "510703007"), ("township-510703008", .township, "510703008"),
                                     ("ent-lvyuan-foods", .enterprise, "510703"), ("ent-other", .enterprise, "510703")] {
            try await registry.add(id: id, kind: kind, name: id, districtCode: district)
        }
        let bell = InboxBell()
        let f = InboxFixture(bus: bus, registry: registry, inbox: Inbox(pool: bus.pool),
                             departments: InboxRouter(service: "department-service", kinds: [.department, .township, .village], bus: bus, bell: bell),
                             enterprises: InboxRouter(service: "enterprise-service", kinds: [.enterprise], bus: bus, bell: bell))
        try await f.departments.prepare()
        try await f.enterprises.prepare()
        return f
    }

    func principal(_ id: String) async throws -> Principal {
        let org = try #require(try await registry.list().first { $0.id == id })
        return Principal(organisation: id, kind: org.kind, districtCode: org.districtCode, keyID: UUID().uuidString)
    }

    /// Routes everything pending for both routers; returns how many deliveries were routed.
    @discardableResult
    func drain() async throws -> Int {
        var routed = 0
        for router in [departments, enterprises] {
            while true {
                let batch = try await bus.claim(router.busSubscription, limit: 50)
                if batch.isEmpty { break }
                for delivery in batch { try await router.route(delivery); routed += 1 }
            }
        }
        return routed
    }
}

@Suite("organisations' inboxes")
struct InboxTests {
    @Test func eventsReachTheMatchingOrganisationsOnceWithTheirViewsAndSensitiveReadsAreAudited() async throws {
        let f = try await InboxFixture.make()
        defer { Task { await f.bus.close() } }
        // dept-civil-affairs narrows its subscription to another township.
        let civil = try await f.principal("dept-civil-affairs")
        let (narrowed, created) = try await f.inbox.put(OrganisationSubscription(name: "default", eventTypes: [AlertRaisedV1.eventType], districtPrefix: "510703008"), for: civil)
        #expect(!created && narrowed.districtPrefix == "510703008")

        let alert = CloudEvent(source: "/orgs/coordinator", payload: AlertRaisedV1.sample, districtCode: "510703007012")
        var referral = JobReferralSentV1.sample
        referral.employerOrg = "ent-lvyuan-foods"
        let referralEvent = CloudEvent(source: "/orgs/dept-hrss", payload: referral, districtCode: "510703007012")
        _ = try await f.bus.publish([alert, referralEvent])
        #expect(try await f.drain() == 3, "alert.raised goes to department-service; the referral to both services")

        let health = try await f.principal("dept-health")
        let healthItems = try await f.inbox.items(for: health)
        #expect(healthItems.map(\.event.id) == [alert.id, referralEvent.id])
        #expect(healthItems[0].withheld.isEmpty && healthItems[0].event.data.objectValue?["location_code"] != nil, "named in assigned_to")
        #expect(healthItems[0].subscriptions == ["default"])
        #expect(try await f.inbox.items(for: civil).isEmpty, "its subscription does not match")
        let township = try await f.inbox.items(for: try await f.principal("township-510703007"))
        #expect(township.first?.event.id == alert.id && township.first?.withheld == [])
        let otherTownship = try await f.inbox.items(for: try await f.principal("township-510703008"))
        #expect(otherTownship.first?.withheld == ["/data/location_code", "/districtcode"], "a department-kind subscriber outside the matter gets it without the field")

        let employer = try await f.inbox.items(for: try await f.principal("ent-lvyuan-foods"))
        #expect(employer.map(\.event.id) == [referralEvent.id])
        #expect(try await f.inbox.items(for: try await f.principal("ent-other")).isEmpty, "a referral reaches only the employer it names")

        // Reads of sensitive fields were audit-logged: dept-health and township-510703007 saw location_code.
        let audit = AuditLog(pool: f.bus.pool)
        let healthAudit = try await audit.entries(organisation: "dept-health")
        #expect(healthAudit.count == 1 && healthAudit.first?.fields == ["/data/location_code"] && healthAudit.first?.eventID == alert.id)
        #expect(healthAudit.first?.purpose == EventCatalogue.standard.contract(for: AlertRaisedV1.eventType)?.purpose)
        #expect(try await audit.entries(organisation: "township-510703008").isEmpty, "withheld fields are not reads")
        #expect(try await audit.entries(organisation: "ent-lvyuan-foods").isEmpty)
        // A read made without a key (a webhook push) is recorded without one.
        var pushed = health
        pushed.keyID = ""
        try await audit.recordRead(by: pushed, of: alert, fields: ["/data/location_code"], purpose: .monitoring)
        #expect(try await audit.entries(organisation: "dept-health").first?.keyID == nil)

        // Acknowledging: once, idempotent, only one's own items; pending views drop it.
        let first = try #require(try await f.inbox.ack(healthItems[0].seq, for: "dept-health"))
        #expect(try await f.inbox.ack(healthItems[0].seq, for: "dept-health") == first)
        #expect(try await f.inbox.ack(healthItems[0].seq, for: "dept-civil-affairs") == nil)
        #expect(try await f.inbox.items(for: health, pendingOnly: true).map(\.event.id) == [referralEvent.id])
        #expect(try await f.inbox.items(for: health, types: [AlertRaisedV1.eventType]).first?.ackedAt == first)
        // Paging.
        let page = try await f.inbox.items(for: health, after: healthItems[0].seq, limit: 1)
        #expect(page.map(\.event.id) == [referralEvent.id])
    }

    @Test func aRedeliveredEventIsNotAddedTwice() async throws {
        let f = try await InboxFixture.make()
        defer { Task { await f.bus.close() } }
        let alert = CloudEvent(source: "/orgs/coordinator", payload: AlertRaisedV1.sample, districtCode: "510703007012")
        _ = try await f.bus.publish(alert)
        // The first claim's lease runs out before its router acknowledges; the event is claimed again.
        let first = try #require(try await f.bus.claim(f.departments.busSubscription, limit: 1, lease: .milliseconds(100)).first)
        try await Task.sleep(for: .milliseconds(300))
        let second = try #require(try await f.bus.claim(f.departments.busSubscription, limit: 1).first)
        #expect(first.position == second.position)
        let routed = try await f.departments.route(second)
        try await f.departments.route(first)
        let count = try await f.bus.pool.query("SELECT count(*) FROM backstop.inbox WHERE position = $1", [alert.id.isEmpty ? 0 : second.position])
        #expect(routed == 4, "dept-health, dept-civil-affairs and both townships")
        #expect(try count.first!.decode(Int.self, at: 0) == 4)
    }

    @Test func subscriptionsRefuseTypesTheKindMayNotReceive() async throws {
        let f = try await InboxFixture.make()
        defer { Task { await f.bus.close() } }
        let enterprise = try await f.principal("ent-lvyuan-foods")
        await #expect(throws: InboxError.self) {
            try await f.inbox.put(OrganisationSubscription(name: "alerts", eventTypes: [AlertRaisedV1.eventType]), for: enterprise)
        }
        let problems = OrganisationSubscription(name: "Bad Name", eventTypes: ["cn.backstop.nothing.v1", AlertRaisedV1.eventType, AlertRaisedV1.eventType],
                                                districtPrefix: "51x").problems(for: .department)
        #expect(problems.map(\.field) == ["name", "/event_types/0", "/event_types/2", "/district_prefix"])
        #expect(try await f.inbox.subscriptions(of: "ent-lvyuan-foods").map(\.name) == ["default"], "nothing was written")
        #expect(try await f.inbox.deleteSubscription("nope", of: "dept-health") == false)
    }

    @Test func disablingAnOrganisationStopsItsWebhooksAndTheirPendingDeliveries() async throws {
        let f = try await InboxFixture.make()
        defer { Task { await f.bus.close() } }
        let employer = try await f.principal("ent-lvyuan-foods")
        let (hook, _) = try await Webhooks(bus: f.bus).register("http://127.0.0.1:9/hook", mode: .structured, maxAttempts: 3, on: "default", for: employer)
        var referral = JobReferralSentV1.sample
        referral.employerOrg = "ent-lvyuan-foods"
        _ = try await f.bus.publish(CloudEvent(source: "/orgs/dept-hrss", payload: referral))
        let pending = try #require(try await f.bus.status().first { $0.name == hook.busSubscription })
        #expect(pending.ready == 1)
        try await f.registry.disable("ent-lvyuan-foods")
        #expect(try await f.bus.subscriptions().contains { $0.name == hook.busSubscription } == false)
        let left = try await f.bus.pool.query("SELECT count(*) FROM backstop.deliveries d WHERE NOT EXISTS (SELECT 1 FROM backstop.subscriptions s WHERE s.id = d.subscription_id)")
        #expect(try left.first!.decode(Int.self, at: 0) == 0, "no orphaned deliveries hold back retention")
        #expect(try await Webhooks(bus: f.bus).webhook(on: "default", of: "ent-lvyuan-foods") == nil)
        #expect(try await f.bus.pool.query("SELECT count(*) FROM backstop.events").first!.decode(Int.self, at: 0) == 1, "the event stays")
    }
}
