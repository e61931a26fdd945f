/// The kinds of organisation that take part on the bus (domain brief §6.1 `org_type`).
public enum OrganisationKind: String, Sendable, Codable, CaseIterable, Comparable {
    /// A county government department (civil affairs, medical insurance, human resources, …).
    case department
    /// A township government.
    case township
    /// A village committee.
    case village
    /// An enterprise offering jobs or support.
    case enterprise
    /// A farmers' cooperative offering industry support.
    case cooperative
    /// A social organisation (NGO, charity) pledging donations.
    case socialOrg = "social_org"
    /// An insurer running anti-poverty insurance (防贫保).
    case insurer
    /// Backstop's coordinator: owns obligations, deadlines and escalations.
    case coordinator
    /// An oversight office reviewing response times.
    case oversight

    public static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

extension OrganisationKind {
    /// The kind an organisation id names by Backstop's id convention (`dept-…`, `township-…`,
    /// `village-…`, `ent-…`, `coop-…`, `ngo-…`, `insurer-…`, `oversight-…`; county offices count as
    /// departments), for organisations not (yet) registered with their kind.
    public static func named(by id: String) -> OrganisationKind {
        let prefixes: [(String, OrganisationKind)] = [
            ("township-", .township), ("village-", .village), ("ent-", .enterprise), ("coop-", .cooperative),
            ("ngo-", .socialOrg), ("insurer-", .insurer), ("oversight", .oversight), ("coordinator", .coordinator),
        ]
        return prefixes.first { id.hasPrefix($0.0) }?.1 ?? .department
    }

    /// Whether the kind is a level of government (department, township, village) or Backstop's own
    /// coordinator or oversight office, as opposed to a third party (enterprise, cooperative,
    /// social organisation, insurer).
    public var isGovernment: Bool {
        switch self {
        case .department, .township, .village, .coordinator, .oversight: true
        case .enterprise, .cooperative, .socialOrg, .insurer: false
        }
    }
}

/// Personal-information class of an event type (PIPL Art. 28), lowest first.
public enum Sensitivity: String, Sendable, Codable, CaseIterable, Comparable {
    /// May be shown to anyone.
    case `public`
    /// Internal to the organisations on the bus; no personal information.
    case `internal`
    /// Carries pseudonymous personal information (`household_ref`).
    case personal
    /// Carries sensitive personal information (health, hardship); every read is audit-logged.
    case sensitive

    public static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The lawful purposes data on the bus is processed for; used for access checks.
public enum Purpose: String, Sendable, Codable, CaseIterable {
    /// Finding households at risk.
    case monitoring
    /// Helping households.
    case assistance
    /// Reviewing how the parties respond.
    case oversight
}

/// Organisation ids: 2–63 lowercase letters, digits or hyphens, starting with a letter
/// (`dept-health`), the `org_id` pattern of the contracts.
public enum OrganisationID {
    /// Whether `text` is a well-formed organisation id.
    public static func isValid(_ text: String) -> Bool {
        let b = Array(text.utf8)
        return (2...63).contains(b.count) && (97...122).contains(b[0])
            && b.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == UInt8(ascii: "-") }
    }
}
