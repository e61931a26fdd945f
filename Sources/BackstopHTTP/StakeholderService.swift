import BackstopContracts

/// The services: one executable per group of organisation kinds (design §1).
public struct StakeholderService: Sendable, Hashable {
    /// The executable's name.
    public let name: String
    /// The organisation kinds whose keys it accepts.
    public let kinds: Set<OrganisationKind>
    /// The port it listens on unless `PORT` says otherwise.
    public let defaultPort: Int

    /// Government: county departments, townships and villages (signing for alerts, visits, cases, measures, closures).
    public static let department = StakeholderService(name: "department-service", kinds: [.department, .township, .village], defaultPort: 8081)
    /// Enterprises (job offers, referrals, placements, industry support, donations).
    public static let enterprise = StakeholderService(name: "enterprise-service", kinds: [.enterprise], defaultPort: 8082)
    /// Cooperatives (industry support, jobs, measures).
    public static let cooperative = StakeholderService(name: "cooperative-service", kinds: [.cooperative], defaultPort: 8083)
    /// Social organisations (donation pledges, commitments, disbursements, measures).
    public static let socialOrg = StakeholderService(name: "social-org-service", kinds: [.socialOrg], defaultPort: 8084)

    /// Oversight offices (response-time review, the dashboard, drill-down with a stated reason).
    public static let oversight = StakeholderService(name: "oversight-service", kinds: [.oversight], defaultPort: 8085)

    /// Every service, in port order.
    public static let all: [StakeholderService] = [department, enterprise, cooperative, socialOrg, oversight]

    /// Whether the service reviews response times (keeps oversight's read models and serves the dashboard).
    public var reviewsResponses: Bool { kinds.contains(.oversight) }
}
