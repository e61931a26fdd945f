/// One rule of the deadline rules file: which event opens obligations, who owns them, when they
/// are due, and which events fulfil or cancel them (domain brief §7, rules D1–D14).
public struct ObligationRule: Sendable, Hashable {
    /// The rule id published with every obligation it opens, e.g. `D5-sign-for`.
    public var id: String
    /// Where the numbers come from (policy text, or "ours").
    public var basis: String
    /// The event type that opens the obligations.
    public var trigger: String
    /// Conditions on the trigger's `data`: field → accepted values (all must hold).
    public var conditions: [String: [JSONScalar]]
    /// Who owns the obligations (one obligation per owner).
    public var owners: OwnerSource
    /// What the owner must do (the `action` of `obligation.opened`).
    public var action: String
    /// The trigger's `data` field whose value links the obligation to the events that answer it.
    public var key: String
    /// How long the owner has.
    public var due: DueSpec
    /// Extra time after the due time before the breach (L2) is raised; `nil` for none.
    public var grace: ResponseTime?
    /// Events that fulfil the obligation.
    public var fulfilledBy: [EventMatch]
    /// Events that cancel the obligation (it is no longer owed).
    public var cancelledBy: [EventMatch]

    /// Where the owners of a rule's obligations come from.
    public enum OwnerSource: Sendable, Hashable {
        /// A data field holding one organisation id or a list of them.
        case field(String)
        /// A list of objects in a data field, each naming an owner in `org` and, optionally, a
        /// role in `role` restricted to `roles` (empty: any role).
        case items(field: String, org: String, role: String?, roles: [String])
        /// One fixed organisation.
        case organisation(String)
        /// The organisation that published the trigger (its `source`, `/orgs/<id>`).
        case publisher
        /// The township of a division code in a data field: `township-<first 9 digits>`.
        case townshipOf(String)
        /// The duty catalogue's lead and co-handlers for the risk categories in a data field; when
        /// `township` names a field (a division code or a `township-…` id), that township's own
        /// entries in the catalogue come first.
        case duty(String, township: String?)
    }

    /// How long an owner has.
    public enum DueSpec: Sendable, Hashable {
        /// The same for every trigger.
        case fixed(ResponseTime)
        /// By the trigger's `severity` field (`P1`–`P4`), with a default.
        case bySeverity([String: ResponseTime], default: ResponseTime)
        /// An absolute due time carried in a data field of the trigger (e.g. `respond_by`).
        case field(String)
    }

    /// An event that answers (or cancels) an obligation of this rule.
    public struct EventMatch: Sendable, Hashable {
        /// The event type.
        public var type: String
        /// The event's `data` field that must equal the obligation's key.
        public var key: String
        /// Who must send it: a data field that must equal the owner, the publisher, or anyone.
        public var owner: OwnerMatch
        /// Further conditions on the event's `data`.
        public var conditions: [String: [JSONScalar]]

        /// Creates a match.
        public init(type: String, key: String, owner: OwnerMatch, conditions: [String: [JSONScalar]] = [:]) {
            self.type = type
            self.key = key
            self.owner = owner
            self.conditions = conditions
        }
    }

    /// Whose event counts.
    public enum OwnerMatch: Sendable, Hashable {
        /// A data field must name the owner.
        case field(String)
        /// The event must be published by the owner (`source` `/orgs/<owner>`).
        case publisher
        /// Anyone's.
        case anyone
    }
}
