import BackstopAccess
import BackstopContracts
import BackstopPostgres

/// Registers a demo district's organisations and issues each a fresh API key.
struct DistrictSeeding {
    /// Registers every organisation of `district` that is not registered yet (an earlier run's are
    /// reused, so seeding is idempotent) and issues a new key for each; returns organisation id →
    /// key. Earlier keys stay valid. Fails when an id is registered with another kind or disabled.
    static func seed(_ district: DemoDistrict, pool: ConnectionPool) async throws -> [String: String] {
        let registry = OrganisationRegistry(pool: pool)
        let existing = Dictionary(try await registry.list().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var keys: [String: String] = [:]
        for member in district.members {
            if let registered = existing[member.id] {
                guard registered.kind == member.kind else {
                    throw CLIError("\(member.id) is registered as a \(registered.kind.rawValue), not a \(member.kind.rawValue); "
                                   + "the demo district cannot use it")
                }
                guard registered.disabledAt == nil else {
                    throw CLIError("\(member.id) is disabled; the demo district cannot act for it")
                }
            } else {
                do {
                    try await registry.add(id: member.id, kind: member.kind, name: member.name, districtCode: member.districtCode)
                } catch AccessError.conflict {
                    // Registered meanwhile by a concurrent seeding: reuse it.
                }
            }
            keys[member.id] = try await registry.issueKey(for: member.id).secret
        }
        return keys
    }
}
