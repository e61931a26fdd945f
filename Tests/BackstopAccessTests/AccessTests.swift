import BackstopAccess
import BackstopBus
import BackstopContracts
import BackstopPostgres
import BackstopTesting
import Foundation
import Testing

/// A registry and audit log on a fresh database with the access tables.
struct AccessFixture {
    let pool: ConnectionPool
    let registry: OrganisationRegistry
    let audit: AuditLog

    static func make() async throws -> AccessFixture {
        let conninfo = try await TestCluster.migratedDatabase()
        let pool = ConnectionPool(.init(conninfo: conninfo, maximumConnections: 4))
        _ = try await pool.withConnection { c in
            try await Migrator(migrations: try Migration.bundled() + AccessSchema.migrations()).migrate(c)
        }
        return AccessFixture(pool: pool, registry: OrganisationRegistry(pool: pool), audit: AuditLog(pool: pool))
    }
}

@Suite("organisations and keys")
struct RegistryTests {
    @Test func keysAreShownOnceStoredHashedAndStopWorkingWhenRevokedRotatedOrDisabled() async throws {
        let f = try await AccessFixture.make()
        try await f.registry.add(id: "ent-lvyuan-foods", kind: .enterprise, name: "Lvyuan Foods", districtCode: "510703")
        let key = try await f.registry.issueKey(for: "ent-lvyuan-foods")
        #expect(key.secret.hasPrefix("bk_") && key.secret.count == 67 && key.secret.hasPrefix(key.prefix))
        // Only the hash is stored.
        let stored = try await f.pool.query("SELECT count(*) FROM backstop.api_keys WHERE hash = $1 OR prefix = $1", [key.secret])
        #expect(try stored.first!.decode(Int.self, at: 0) == 0)
        let principal = try #require(try await f.registry.authenticate(key.secret))
        #expect(principal.organisation == "ent-lvyuan-foods" && principal.kind == .enterprise && principal.keyID == key.id)
        #expect(try await f.registry.authenticate("bk_" + String(repeating: "0", count: 64)) == nil, "unknown key")
        #expect(try await f.registry.authenticate("Bearer nonsense") == nil)

        // Rotation: the old key stops, the new one works.
        let second = try await f.registry.issueKey(for: "ent-lvyuan-foods")
        let (rotated, revoked) = try await f.registry.rotateKeys(of: "ent-lvyuan-foods")
        #expect(revoked == 2)
        #expect(try await f.registry.authenticate(key.secret) == nil)
        #expect(try await f.registry.authenticate(second.secret) == nil)
        #expect(try await f.registry.authenticate(rotated.secret)?.organisation == "ent-lvyuan-foods")

        // Revoking by prefix.
        try await f.registry.revokeKey(rotated.prefix)
        #expect(try await f.registry.authenticate(rotated.secret) == nil)
        await #expect(throws: AccessError.self) { try await f.registry.revokeKey(rotated.prefix) }

        // Disabling the organisation stops its keys and refuses new ones.
        let last = try await f.registry.issueKey(for: "ent-lvyuan-foods")
        try await f.registry.disable("ent-lvyuan-foods")
        #expect(try await f.registry.authenticate(last.secret) == nil)
        await #expect(throws: AccessError.self) { try await f.registry.issueKey(for: "ent-lvyuan-foods") }
        let listed = try await f.registry.list()
        #expect(listed.map(\.id) == ["ent-lvyuan-foods"] && listed.first?.disabledAt != nil && listed.first?.activeKeys == 1)
        #expect(try await f.registry.keys(of: "ent-lvyuan-foods").count == 4)
    }

    @Test func badOrDuplicateOrganisationsAreRefusedAndNothingIsWritten() async throws {
        let f = try await AccessFixture.make()
        do {
            try await f.registry.add(id: "Dept Health", kind: .department, name: " ", districtCode: "51-07")
            Issue.record("accepted")
        } catch AccessError.invalid(let problems) {
            #expect(problems.map(\.field) == ["id", "name", "district"])
        }
        try await f.registry.add(id: "dept-health", kind: .department, name: "County health commission", districtCode: "510703")
        await #expect(throws: AccessError.self) {
            try await f.registry.add(id: "dept-health", kind: .enterprise, name: "Impostor", districtCode: "510703")
        }
        #expect(try await f.registry.list().map(\.kind) == [.department])
        await #expect(throws: AccessError.self) { try await f.registry.disable("dept-nowhere") }
    }
}

@Suite("audit log")
struct AuditTests {
    @Test func readsAreRecordedAndTheLogCannotBeChanged() async throws {
        let f = try await AccessFixture.make()
        try await f.registry.add(id: "dept-civil-affairs", kind: .department, name: "Civil affairs", districtCode: "510703")
        let key = try await f.registry.issueKey(for: "dept-civil-affairs")
        let principal = try #require(try await f.registry.authenticate(key.secret))
        let event = CloudEvent(source: "/orgs/coordinator", payload: AlertRaisedV1.sample)
        try await f.audit.recordRead(by: principal, of: event, fields: ["/data/risk_categories"], purpose: .assistance)
        let entries = try await f.audit.entries(organisation: "dept-civil-affairs")
        #expect(entries.count == 1)
        #expect(entries.first.map { ($0.eventID, $0.eventType, $0.fields, $0.purpose, $0.keyID) }
                ?? ("", "", [], .oversight, nil) == (event.id, event.type, ["/data/risk_categories"], .assistance, key.id))
        for statement in ["UPDATE backstop.audit_log SET purpose = 'oversight'", "DELETE FROM backstop.audit_log", "TRUNCATE backstop.audit_log"] {
            let error = await #expect(throws: PostgresError.self) { try await f.pool.query(statement) }
            #expect(error?.message.contains("append-only") == true, "\(statement)")
        }
        #expect(try await f.audit.entries().count == 1)
    }
}

@Suite("permission matrix")
struct PermissionTests {
    static let permissions = Permissions()

    @Test(arguments: [
        (OrganisationKind.enterprise, "cn.backstop.alert.acknowledged.v1", false),
        (.department, "cn.backstop.alert.acknowledged.v1", true),
        (.socialOrg, "cn.backstop.case.closed.v1", false),
        (.department, "cn.backstop.case.closed.v1", true),
        (.enterprise, "cn.backstop.job.offered.v1", true),
        (.socialOrg, "cn.backstop.donation.pledged.v1", true),
        (.cooperative, "cn.backstop.industry_support.offered.v1", true),
        (.enterprise, "cn.backstop.alert.raised.v1", false),
        (.coordinator, "cn.backstop.alert.raised.v1", true),
        (.department, "cn.backstop.no.such_type.v1", false),
    ])
    func publishing(kind: OrganisationKind, type: String, allowed: Bool) {
        #expect(Self.permissions.mayPublish(kind, type) == allowed)
    }

    @Test func noOrganisationPublishesAsAnother() {
        let principal = Principal(organisation: "ent-lvyuan-foods", kind: .enterprise, districtCode: "510703", keyID: "k")
        let own = CloudEvent(source: "/orgs/ent-lvyuan-foods", payload: JobOfferedV1.sample)
        let other = CloudEvent(source: "/orgs/ent-other", payload: JobOfferedV1.sample)
        let forbidden = CloudEvent(source: "/orgs/ent-lvyuan-foods", payload: Chain.acknowledgement())
        #expect(Self.permissions.refusal(toPublish: own, by: principal) == nil)
        #expect(Self.permissions.refusal(toPublish: other, by: principal)?.contains("publishes as /orgs/ent-lvyuan-foods") == true)
        #expect(Self.permissions.refusal(toPublish: forbidden, by: principal) == "a enterprise may not publish cn.backstop.alert.acknowledged.v1")
    }

    @Test func theMatrixCoversEveryKindAndType() {
        // Every type has at least one publisher and subscriber kind, and every kind may publish something.
        let types = EventCatalogue.standard.types
        for kind in OrganisationKind.allCases {
            #expect(types.contains { Self.permissions.mayPublish(kind, $0) } || kind == .oversight && types.contains { Self.permissions.maySubscribe(kind, $0) },
                    "\(kind) can do nothing")
        }
    }
}

enum Chain {
    static func acknowledgement() -> AlertAcknowledgedV1 { AlertAcknowledgedV1.sample }
}
