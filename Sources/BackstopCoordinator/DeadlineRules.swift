import Foundation

/// The coordinator's rules, read from a rules file (see `Ops/rules/s-province.yaml`): obligation
/// rules, the escalation ladder, supervisors, the duty catalogue and the extension policy.
public struct DeadlineRules: Sendable {
    /// The province code (2 digits) whose working-day calendar applies.
    public var province: String
    /// Local time for working days (Asia/Shanghai by default).
    public var timeZone: TimeZone
    /// Folder of working-day calendars (`<province>/<year>.yaml`).
    public var calendarDirectory: URL
    /// Fraction of the allowed time at which the due-soon reminder (L1) goes out.
    public var warningFraction: Double
    /// The organisation id the coordinator publishes as.
    public var coordinator: String
    /// The escalation ladder above the breach.
    public var ladder: EscalationLadder
    /// Supervisors copied on an owner's breach (L2), by owner id.
    public var supervisors: [String: String]
    /// Supervisor for owners not listed in ``supervisors``.
    public var defaultSupervisor: String
    /// Lead and co-handlers by risk category, for rules whose owners come from the duty catalogue.
    public var dutyCatalogue: [String: Duty]
    /// Township exceptions to the duty catalogue: township code (9 digits) → risk category → duty.
    public var townshipDuties: [String: [String: Duty]] = [:]

    /// The duty for a risk category in a township (its own entry first, else the county's).
    public func duty(for category: String, township: String?) -> Duty? {
        township.flatMap { townshipDuties[$0]?[category] } ?? dutyCatalogue[category]
    }
    /// Who must act on an alert about `categories` (main one first) in a township (9 digits): the
    /// duty catalogue's lead for the main category (the township's own entry first), then as
    /// co-handlers its co-handlers, the leads of the other categories and the township itself, each
    /// once, at most ten. The township leads when the catalogue names nobody; empty without either.
    public func assignment(for categories: [String], township: String?) -> [(org: String, lead: Bool)] {
        guard let main = categories.first, let duty = duty(for: main, township: township) else {
            return township.map { [("township-" + $0, true)] } ?? []
        }
        var out: [(org: String, lead: Bool)] = [(duty.lead, true)]
        var named: Set<String> = [duty.lead]
        let others = categories.dropFirst().compactMap { self.duty(for: $0, township: township)?.lead }
        for org in duty.co + others + (township.map { ["township-" + $0] } ?? []) where named.insert(org).inserted && out.count < 10 {
            out.append((org, false))
        }
        return out
    }

    /// Who may grant extensions and how many an obligation may get.
    public var extensions: ExtensionPolicy
    /// The obligation rules, in file order.
    public var obligations: [ObligationRule]
    /// How clues become alerts.
    public var triage: ClueTriage = .none
    /// Duties from the calendar (D7 pushes, D10 follow-ups, D14 sweeps).
    public var recurring = RecurringDuties()

    /// The supervisor copied when `owner` breaches.
    public func supervisor(of owner: String) -> String { supervisors[owner] ?? defaultSupervisor }

    /// The rules opened by an event type.
    public func rules(openedBy type: String) -> [ObligationRule] { obligations.filter { $0.trigger == type } }

    /// Event types the coordinator must consume: triggers, answers, cancellations and the events it
    /// handles itself (extensions, case closure).
    public var consumedTypes: [String] {
        var types = Set(obligations.flatMap { [$0.trigger] + $0.fulfilledBy.map(\.type) + $0.cancelledBy.map(\.type) })
        types.formUnion(Self.handledTypes)
        types.formUnion(recurring.answerTypes)
        return types.sorted()
    }

    /// Types the coordinator always consumes, whatever the rules say.
    public static let handledTypes: Set<String> = [
        "cn.backstop.obligation.extension_requested.v1", "cn.backstop.obligation.extension_decided.v1",
        "cn.backstop.case.closed.v1", "cn.backstop.alert.raised.v1", "cn.backstop.risk.clue.reported.v1",
    ]
}

/// The vertical ladder after a breach (domain brief §8.1).
public struct EscalationLadder: Sendable, Hashable {
    /// How long after the due time an open obligation is escalated to supervision (L3).
    public var supervisionAfter: ResponseTime
    /// The office that supervises (督办) at L3.
    public var supervisingOffice: String
    /// Breaches by one organisation within ``repeatWindow`` that raise L4.
    public var repeatBreaches: Int
    /// The window for counting repeated breaches.
    public var repeatWindow: ResponseTime
    /// The organ the L4 pattern goes to.
    public var disciplineOffice: String

    /// Creates a ladder.
    public init(supervisionAfter: ResponseTime, supervisingOffice: String, repeatBreaches: Int, repeatWindow: ResponseTime, disciplineOffice: String) {
        self.supervisionAfter = supervisionAfter
        self.supervisingOffice = supervisingOffice
        self.repeatBreaches = repeatBreaches
        self.repeatWindow = repeatWindow
        self.disciplineOffice = disciplineOffice
    }
}

/// Lead and co-handling organisations for one risk category.
public struct Duty: Sendable, Hashable {
    /// The lead (主办).
    public var lead: String
    /// Co-handlers (协办).
    public var co: [String]

    /// Creates a duty.
    public init(lead: String, co: [String] = []) {
        self.lead = lead
        self.co = co
    }
}

/// Extension rules (domain brief §7: requested before expiry, granted by a role allowed to).
public struct ExtensionPolicy: Sendable, Hashable {
    /// Organisation kinds whose decisions count.
    public var decidedBy: [String]
    /// Most extensions one obligation can be granted.
    public var maximumPerObligation: Int
    /// Longest single extension.
    public var longest: ResponseTime

    /// Creates a policy.
    public init(decidedBy: [String], maximumPerObligation: Int, longest: ResponseTime) {
        self.decidedBy = decidedBy
        self.maximumPerObligation = maximumPerObligation
        self.longest = longest
    }
}
