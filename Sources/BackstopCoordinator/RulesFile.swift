import BackstopContracts
import Foundation
import Yams

/// Reads and checks a deadline rules file. Every problem is reported with its line: unknown keys,
/// event types that are not in the catalogue, fields an event does not have, malformed owners and
/// response times. Nothing is started when a file has problems.
public enum RulesFile {
    /// Loads `url`; calendars are resolved relative to the file's folder.
    public static func load(_ url: URL, catalogue: EventCatalogue = .standard) throws(RulesErrors) -> DeadlineRules {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw RulesErrors(problems: [RulesError(file: url.path, line: 0, message: "cannot read the file: \(error.localizedDescription)")])
        }
        return try parse(text, file: url.path, folder: url.deletingLastPathComponent(), catalogue: catalogue)
    }

    /// Parses rules from text.
    public static func parse(_ text: String, file: String, folder: URL, catalogue: EventCatalogue = .standard) throws(RulesErrors) -> DeadlineRules {
        let reader = YAMLReader(file: file)
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            let (line, message) = Self.describe(error)
            throw RulesErrors(problems: [RulesError(file: file, line: line, message: message)])
        }
        guard let root else { throw RulesErrors(problems: [RulesError(file: file, line: 0, message: "the file is empty")]) }
        let rules = Parser(reader: reader, catalogue: catalogue, folder: folder).rules(root)
        if !reader.problems.isEmpty || rules == nil {
            throw RulesErrors(problems: reader.problems.sorted { $0.line < $1.line })
        }
        return rules!
    }

    /// The line and a one-line message for a YAML error (Yams' own text can quote the whole file).
    package static func describe(_ error: any Error) -> (line: Int, message: String) {
        guard let yaml = error as? YamlError else { return (0, "not valid YAML: \(error)") }
        switch yaml {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return (mark.line, "not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return (context.mark.line, "duplicated key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in a mapping")
        default:
            return (0, "not valid YAML")
        }
    }
}

/// Builds ``DeadlineRules`` from the YAML tree, checking each part against the event catalogue.
private struct Parser {
    let reader: YAMLReader
    let catalogue: EventCatalogue
    let folder: URL

    /// `^D[0-9]{1,2}[a-z0-9_-]{0,30}$`, the catalogue's rule id.
    static func isRuleID(_ text: String) -> Bool {
        let b = Array(text.utf8)
        guard b.count >= 2, b[0] == UInt8(ascii: "D") else { return false }
        var i = 1
        while i < b.count, i < 3, (48...57).contains(b[i]) { i += 1 }
        guard i > 1 else { return false }
        let rest = b[i...]
        return rest.count <= 30 && rest.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    func rules(_ root: Node) -> DeadlineRules? {
        let top = reader.mapping(root, "the rules file", allowed: [
            "province", "time_zone", "calendars", "warning_at", "coordinator", "supervisors", "escalation",
            "extensions", "duty_catalogue", "obligations", "triage", "recurring",
        ])
        let province = reader.string(reader.required(top, "province", in: "the rules file", at: root), "province")
        if let province, province.count != 2 || !province.allSatisfy(\.isNumber) { reader.fail(top["province"], "province must be a 2-digit code") }
        var timeZone = TimeZone(identifier: "Asia/Shanghai")!
        if let name = reader.string(top["time_zone"], "time_zone") {
            if let zone = TimeZone(identifier: name) { timeZone = zone } else { reader.fail(top["time_zone"], "unknown time zone \(name)") }
        }
        let calendars = reader.string(top["calendars"], "calendars") ?? "../calendars"
        let warning = top["warning_at"].flatMap { reader.double($0, "warning_at", in: 0.05...0.95) } ?? 0.75
        let coordinator = org(top["coordinator"], "coordinator") ?? "coordinator"

        let supervisorEntries = reader.entries(reader.required(top, "supervisors", in: "the rules file", at: root), "supervisors")
        var supervisors: [String: String] = [:]
        var defaultSupervisor: String?
        for entry in supervisorEntries {
            guard let supervisor = org(entry.value, "supervisor of \(entry.key)") else { continue }
            if entry.key == "default" { defaultSupervisor = supervisor; continue }
            if !OrganisationID.isValid(entry.key) { reader.fail(entry.keyNode, "supervisors: '\(entry.key)' is not an organisation id") }
            supervisors[entry.key] = supervisor
        }
        if defaultSupervisor == nil { reader.fail(top["supervisors"] ?? root, "supervisors: a 'default' supervisor is required") }

        let ladder = self.ladder(reader.required(top, "escalation", in: "the rules file", at: root))
        let extensions = self.extensions(reader.required(top, "extensions", in: "the rules file", at: root))
        let catalogue = self.dutyCatalogue(top["duty_catalogue"])
        let duty = catalogue.county
        var ids: Set<String> = []
        var obligations: [ObligationRule] = []
        for node in reader.sequence(reader.required(top, "obligations", in: "the rules file", at: root), "obligations") {
            guard let rule = obligation(node, duty: duty) else { continue }
            if !ids.insert(rule.id).inserted { reader.fail(node, "obligation rule \(rule.id) is defined twice") }
            obligations.append(rule)
        }
        let triage = self.triage(top["triage"])
        let recurring = self.recurring(top["recurring"], taken: &ids)
        guard let province, let ladder, let extensions, let defaultSupervisor else { return nil }
        var rules = DeadlineRules(
            province: province, timeZone: timeZone,
            calendarDirectory: (calendars.hasPrefix("/") ? URL(fileURLWithPath: calendars) : folder.appendingPathComponent(calendars)).standardizedFileURL,
            warningFraction: warning, coordinator: coordinator, ladder: ladder, supervisors: supervisors,
            defaultSupervisor: defaultSupervisor, dutyCatalogue: duty, townshipDuties: catalogue.townships, extensions: extensions,
            obligations: obligations)
        rules.triage = triage
        rules.recurring = recurring
        return rules
    }

    func triage(_ node: Node?) -> ClueTriage {
        guard let node else { return .none }
        let m = reader.mapping(node, "triage", allowed: ["alert_channels", "severity", "join_window"])
        let channels = reader.strings(reader.required(m, "alert_channels", in: "triage", at: node), "triage.alert_channels")
        for channel in channels where RiskClueReportedV1.DetectedBy(rawValue: channel) == nil {
            reader.fail(m["alert_channels"], "triage.alert_channels: '\(channel)' is not a detected_by channel of risk.clue.reported")
        }
        var bands: [String: String] = [:]
        var fallback = "P3"
        for (band, keyNode, value) in reader.entries(m["severity"], "triage.severity") {
            guard let level = reader.string(value, "triage.severity.\(band)") else { continue }
            if !["P1", "P2", "P3", "P4"].contains(level) { reader.fail(value, "triage.severity.\(band): '\(level)' is not P1–P4") }
            if band == "default" { fallback = level }
            else if ["above_threshold", "far_above_threshold"].contains(band) { bands[band] = level }
            else { reader.fail(keyNode, "triage.severity: '\(band)' is not a band (above_threshold, far_above_threshold) or default") }
        }
        let window = m["join_window"].flatMap { reader.responseTime($0, "triage.join_window") } ?? .calendarDays(15)
        if window.seconds == nil { reader.fail(m["join_window"], "triage.join_window must be clock time (hours or days)") }
        return ClueTriage(alertChannels: Set(channels), severityByBand: bands, defaultSeverity: fallback, joinWindow: window)
    }

    func recurring(_ node: Node?, taken ids: inout Set<String>) -> RecurringDuties {
        guard let node else { return RecurringDuties() }
        let m = reader.mapping(node, "recurring", allowed: ["pushes", "followups", "sweeps"])
        var duties = RecurringDuties()
        func ruleID(_ members: [String: Node], _ what: String, at node: Node) -> (String, String)? {
            guard let id = reader.string(reader.required(members, "rule", in: what, at: node), "\(what).rule") else { return nil }
            if !Self.isRuleID(id) { reader.fail(members["rule"], "\(what): '\(id)' is not a rule id (D, a number, then lowercase letters, digits, - or _)") }
            if !ids.insert(id).inserted { reader.fail(members["rule"], "rule \(id) is defined twice") }
            return (id, reader.string(reader.required(members, "basis", in: what, at: node), "\(what).basis") ?? "")
        }
        for item in reader.sequence(m["pushes"], "recurring.pushes") {
            let p = reader.mapping(item, "recurring.pushes", allowed: ["rule", "basis", "department", "indicator_set", "due"])
            guard let (id, basis) = ruleID(p, "recurring.pushes", at: item) else { continue }
            let department = org(reader.required(p, "department", in: "push duty \(id)", at: item), "push duty \(id): department")
            let set = reader.string(reader.required(p, "indicator_set", in: "push duty \(id)", at: item), "push duty \(id): indicator_set")
            guard let dueNode = reader.required(p, "due", in: "push duty \(id)", at: item), let department, let set else { continue }
            var cadence: PushDuty.Cadence?
            if dueNode.scalar?.string == "month_end" {
                cadence = .monthEnd
            } else {
                let d = reader.mapping(dueNode, "push duty \(id): due", allowed: ["monthly_by_day", "yearly_by"])
                if let day = d["monthly_by_day"], let n = reader.int(day, "push duty \(id): due.monthly_by_day", in: 1...28) {
                    cadence = .monthlyByDay(n)
                } else if let date = d["yearly_by"], let text = reader.string(date, "push duty \(id): due.yearly_by") {
                    if let md = MonthDay(text) { cadence = .yearlyBy(month: md.month, day: md.day) }
                    else { reader.fail(date, "push duty \(id): due.yearly_by '\(text)' is not a month and day MM-DD") }
                }
                if cadence == nil && reader.problems.isEmpty { reader.fail(dueNode, "push duty \(id): due is month_end, {monthly_by_day: N} or {yearly_by: MM-DD}") }
            }
            guard let cadence else { continue }
            duties.pushes.append(PushDuty(id: id, basis: basis, department: department, indicatorSet: set, cadence: cadence))
        }
        if let item = m["followups"] {
            let f = reader.mapping(item, "recurring.followups", allowed: ["rule", "basis", "after_closure_months"])
            if let (id, basis) = ruleID(f, "recurring.followups", at: item),
               let months = reader.int(reader.required(f, "after_closure_months", in: "recurring.followups", at: item),
                                       "recurring.followups.after_closure_months", in: 0...60) {
                duties.followUp = FollowUpDuty(id: id, basis: basis, monthsAfterClosure: months)
            }
        }
        if let item = m["sweeps"] {
            let s = reader.mapping(item, "recurring.sweeps", allowed: ["rule", "basis", "windows"])
            if let (id, basis) = ruleID(s, "recurring.sweeps", at: item) {
                var windows: [SweepDuty.Window] = []
                for w in reader.sequence(reader.required(s, "windows", in: "recurring.sweeps", at: item), "recurring.sweeps.windows") {
                    let wm = reader.mapping(w, "a sweep window", allowed: ["name", "from", "to"])
                    let name = reader.string(reader.required(wm, "name", in: "a sweep window", at: w), "a sweep window's name")
                    let from = reader.string(reader.required(wm, "from", in: "a sweep window", at: w), "a sweep window's from").flatMap(MonthDay.init)
                    let to = reader.string(reader.required(wm, "to", in: "a sweep window", at: w), "a sweep window's to").flatMap(MonthDay.init)
                    guard let name, let from, let to else { reader.fail(w, "a sweep window needs a name and from/to days as MM-DD"); continue }
                    if !(name.utf8.count <= 32 && name.utf8.first.map { (97...122).contains($0) } == true
                         && name.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 95 }) {
                        reader.fail(wm["name"], "sweep window '\(name)': names are lowercase letters, digits and _")
                    }
                    if to < from { reader.fail(wm["to"], "sweep window \(name) ends before it starts") }
                    if windows.contains(where: { $0.name == name }) { reader.fail(wm["name"], "sweep window \(name) is defined twice") }
                    windows.append(.init(name: name, from: from, to: to))
                }
                if windows.isEmpty { reader.fail(item, "recurring.sweeps: list at least one window (D14: at least yearly)") }
                duties.sweep = SweepDuty(id: id, basis: basis, windows: windows)
            }
        }
        return duties
    }

    func org(_ node: Node?, _ what: String) -> String? {
        guard let text = reader.string(node, what) else { return nil }
        guard OrganisationID.isValid(text) else {
            reader.fail(node, "\(what): '\(text)' is not an organisation id (lowercase letters, digits and hyphens)")
            return nil
        }
        return text
    }

    func ladder(_ node: Node?) -> EscalationLadder? {
        guard let node else { return nil }
        let m = reader.mapping(node, "escalation", allowed: ["supervision_after", "supervising_office", "repeat_breaches", "repeat_window", "discipline_office"])
        let after = reader.responseTime(reader.required(m, "supervision_after", in: "escalation", at: node), "escalation.supervision_after")
        let office = org(reader.required(m, "supervising_office", in: "escalation", at: node), "escalation.supervising_office")
        let repeats = reader.int(reader.required(m, "repeat_breaches", in: "escalation", at: node), "escalation.repeat_breaches", in: 2...100)
        let window = reader.responseTime(reader.required(m, "repeat_window", in: "escalation", at: node), "escalation.repeat_window")
        if let window, window.seconds == nil { reader.fail(m["repeat_window"], "escalation.repeat_window must be clock time (hours or days, e.g. 30d)") }
        let discipline = org(reader.required(m, "discipline_office", in: "escalation", at: node), "escalation.discipline_office")
        guard let after, let office, let repeats, let window, let discipline else { return nil }
        return EscalationLadder(supervisionAfter: after, supervisingOffice: office, repeatBreaches: repeats, repeatWindow: window, disciplineOffice: discipline)
    }

    func extensions(_ node: Node?) -> ExtensionPolicy? {
        guard let node else { return nil }
        let m = reader.mapping(node, "extensions", allowed: ["decided_by", "maximum_per_obligation", "longest"])
        let kinds = reader.strings(reader.required(m, "decided_by", in: "extensions", at: node), "extensions.decided_by")
        for kind in kinds where OrganisationKind(rawValue: kind) == nil {
            reader.fail(m["decided_by"], "extensions.decided_by: unknown organisation kind \(kind)")
        }
        let allowed = catalogue.contract(for: "cn.backstop.obligation.extension_decided.v1")?.publishers.map(\.rawValue) ?? []
        for kind in kinds where OrganisationKind(rawValue: kind) != nil && !allowed.contains(kind) {
            reader.fail(m["decided_by"], "extensions.decided_by: \(kind) may not publish extension decisions (the catalogue allows \(allowed.joined(separator: ", ")))")
        }
        let maximum = reader.int(reader.required(m, "maximum_per_obligation", in: "extensions", at: node), "extensions.maximum_per_obligation", in: 0...10)
        let longest = reader.responseTime(reader.required(m, "longest", in: "extensions", at: node), "extensions.longest")
        guard let maximum, let longest else { return nil }
        return ExtensionPolicy(decidedBy: kinds, maximumPerObligation: maximum, longest: longest)
    }

    func dutyCatalogue(_ node: Node?) -> (county: [String: Duty], townships: [String: [String: Duty]]) {
        var townships: [String: [String: Duty]] = [:]
        let entries = reader.entries(node, "duty_catalogue")
        for entry in entries where entry.key == "townships" {
            for township in reader.entries(entry.value, "duty_catalogue.townships") {
                if township.key.count != 9 || !township.key.allSatisfy(\.isNumber) {
                    reader.fail(township.keyNode, "duty_catalogue.townships: '\(township.key)' is not a 9-digit township code")
                }
                townships[township.key] = duties(reader.entries(township.value, "duty_catalogue.townships.\(township.key)"),
                                                 "duty_catalogue.townships.\(township.key)")
            }
        }
        return (duties(entries.filter { $0.key != "townships" }, "duty_catalogue"), townships)
    }

    /// Risk category → duty entries of one catalogue level.
    func duties(_ entries: [(key: String, keyNode: Node, value: Node)], _ what: String) -> [String: Duty] {
        let categories = Set(riskCategories())
        var out: [String: Duty] = [:]
        for entry in entries {
            if !categories.isEmpty && !categories.contains(entry.key) {
                reader.fail(entry.keyNode, "\(what): '\(entry.key)' is not a risk category (\(categories.sorted().joined(separator: ", ")))")
            }
            let m = reader.mapping(entry.value, "\(what).\(entry.key)", allowed: ["lead", "co"])
            guard let lead = org(reader.required(m, "lead", in: "\(what).\(entry.key)", at: entry.value), "\(what).\(entry.key).lead") else { continue }
            let co = reader.strings(m["co"], "\(what).\(entry.key).co").filter { text in
                if OrganisationID.isValid(text) { return true }
                reader.fail(m["co"], "\(what).\(entry.key).co: '\(text)' is not an organisation id")
                return false
            }
            out[entry.key] = Duty(lead: lead, co: co)
        }
        return out
    }

    func riskCategories() -> [String] {
        guard let schema = catalogue.contract(for: "cn.backstop.alert.raised.v1")?.schema.source.objectValue,
              let def = schema["$defs"]?.objectValue?["risk_category"]?.objectValue else { return [] }
        return def["enum"]?.stringArray ?? []
    }

    /// The top-level `data` properties of an event type, or nil (and a problem) if it is unknown.
    func fields(of type: String, at node: Node?) -> Set<String>? {
        guard let contract = catalogue.contract(for: type) else {
            reader.fail(node, "unknown event type \(type) (see Contracts/CATALOGUE.md)")
            return nil
        }
        return Set(contract.schema.source.objectValue?["properties"]?.objectValue?.keys.map { $0 } ?? [])
    }

    func field(_ node: Node?, _ what: String, in fields: Set<String>?, type: String) -> String? {
        guard let name = reader.string(node, what) else { return nil }
        if let fields, !fields.contains(name) {
            reader.fail(node, "\(what): \(type) has no field '\(name)'")
            return nil
        }
        return name
    }

    func conditions(_ node: Node?, _ what: String, fields: Set<String>?, type: String) -> [String: [JSONScalar]] {
        var out: [String: [JSONScalar]] = [:]
        for entry in reader.entries(node, what) {
            if let fields, !fields.contains(entry.key) { reader.fail(entry.keyNode, "\(what): \(type) has no field '\(entry.key)'") }
            let values = entry.value.sequence.map(Array.init) ?? [entry.value]
            out[entry.key] = values.compactMap { reader.scalarValue($0) }
        }
        return out
    }

    func obligation(_ node: Node, duty: [String: Duty]) -> ObligationRule? {
        let m = reader.mapping(node, "obligation rule", allowed: [
            "rule", "basis", "opened_by", "when", "owners", "action", "key", "due", "grace", "fulfilled_by", "cancelled_by",
        ])
        let id = reader.string(reader.required(m, "rule", in: "obligation rule", at: node), "rule")
        if let id, !Self.isRuleID(id) {
            reader.fail(m["rule"], "rule: '\(id)' must be D<number> with an optional suffix, e.g. D5-sign-for")
        }
        let what = "rule \(id ?? "?")"
        let basis = reader.string(reader.required(m, "basis", in: what, at: node), "\(what).basis") ?? ""
        let trigger = reader.string(reader.required(m, "opened_by", in: what, at: node), "\(what).opened_by")
        let triggerFields = trigger.flatMap { fields(of: $0, at: m["opened_by"]) }
        let conditions = self.conditions(m["when"], "\(what).when", fields: triggerFields, type: trigger ?? "")
        let owners = ownerSource(reader.required(m, "owners", in: what, at: node), what, fields: triggerFields, type: trigger ?? "", duty: duty)
        let action = reader.string(reader.required(m, "action", in: what, at: node), "\(what).action")
        let actions = catalogue.contract(for: "cn.backstop.obligation.opened.v1")?.schema.source.objectValue?["properties"]?
            .objectValue?["action"]?.objectValue?["enum"]?.stringArray ?? []
        if let action, !actions.isEmpty, !actions.contains(action) {
            reader.fail(m["action"], "\(what).action: '\(action)' is not an obligation action (\(actions.joined(separator: ", ")))")
        }
        let key = field(reader.required(m, "key", in: what, at: node), "\(what).key", in: triggerFields, type: trigger ?? "")
        let due = dueSpec(reader.required(m, "due", in: what, at: node), what, fields: triggerFields, type: trigger ?? "")
        let grace = m["grace"].flatMap { reader.responseTime($0, "\(what).grace") }
        let fulfilled = matches(reader.required(m, "fulfilled_by", in: what, at: node), "\(what).fulfilled_by", key: key)
        let cancelled = matches(m["cancelled_by"], "\(what).cancelled_by", key: key)
        if m["fulfilled_by"] != nil && fulfilled.isEmpty && key != nil { reader.fail(m["fulfilled_by"], "\(what).fulfilled_by: at least one event is needed") }
        guard let id, let trigger, let owners, let action, let key, let due else { return nil }
        return ObligationRule(id: id, basis: basis, trigger: trigger, conditions: conditions, owners: owners, action: action, key: key,
                              due: due, grace: grace, fulfilledBy: fulfilled, cancelledBy: cancelled)
    }

    func ownerSource(_ node: Node?, _ what: String, fields: Set<String>?, type: String, duty: [String: Duty]) -> ObligationRule.OwnerSource? {
        guard let node else { return nil }
        if let text = node.scalar?.string {
            if text == "publisher" { return .publisher }
            reader.fail(node, "\(what).owners: '\(text)' is not an owner source (publisher, or a mapping with field, items, organisation, township_of or duty)")
            return nil
        }
        let m = reader.mapping(node, "\(what).owners", allowed: ["field", "items", "org", "role", "roles", "organisation", "township_of", "duty"])
        if let d = m["duty"] {
            if duty.isEmpty { reader.fail(d, "\(what).owners.duty: the file has no duty_catalogue") }
            let township = m["township_of"].flatMap { field($0, "\(what).owners.township_of", in: fields, type: type) }
            return field(d, "\(what).owners.duty", in: fields, type: type).map { .duty($0, township: township) }
        }
        if let f = m["field"] { return field(f, "\(what).owners.field", in: fields, type: type).map { .field($0) } }
        if let organisation = m["organisation"] { return org(organisation, "\(what).owners.organisation").map { .organisation($0) } }
        if let township = m["township_of"] { return field(township, "\(what).owners.township_of", in: fields, type: type).map { .townshipOf($0) } }
        if let items = m["items"] {
            guard let list = field(items, "\(what).owners.items", in: fields, type: type) else { return nil }
            // Unknown trigger: already reported; its item fields cannot be checked.
            let itemFields: Set<String>? = fields == nil ? nil : Set(catalogue.contract(for: type)?.schema.source.objectValue?["properties"]?
                .objectValue?[list]?.objectValue?["items"]?.objectValue?["properties"]?.objectValue?.keys.map { $0 } ?? [])
            let orgField = field(reader.required(m, "org", in: "\(what).owners", at: node), "\(what).owners.org", in: itemFields, type: "\(type) \(list)[]")
            let role = m["role"].flatMap { field($0, "\(what).owners.role", in: itemFields, type: "\(type) \(list)[]") }
            let roles = reader.strings(m["roles"], "\(what).owners.roles")
            guard let orgField else { return nil }
            return .items(field: list, org: orgField, role: role, roles: roles)
        }
        reader.fail(node, "\(what).owners: give one of field, items, organisation, township_of, duty (or the word publisher)")
        return nil
    }

    func dueSpec(_ node: Node?, _ what: String, fields: Set<String>?, type: String) -> ObligationRule.DueSpec? {
        guard let node else { return nil }
        if node.scalar != nil { return reader.responseTime(node, "\(what).due").map { .fixed($0) } }
        let m = reader.mapping(node, "\(what).due", allowed: ["P1", "P2", "P3", "P4", "default", "field"])
        if let f = m["field"] { return field(f, "\(what).due.field", in: fields, type: type).map { .field($0) } }
        if let fields, !fields.contains("severity"), m.keys.contains(where: { $0.hasPrefix("P") }) {
            reader.fail(node, "\(what).due: \(type) has no severity, so due times cannot depend on it")
        }
        var bySeverity: [String: ResponseTime] = [:]
        for (level, value) in m where level != "default" {
            if let time = reader.responseTime(value, "\(what).due.\(level)") { bySeverity[level] = time }
        }
        guard let fallback = reader.responseTime(reader.required(m, "default", in: "\(what).due", at: node), "\(what).due.default") else { return nil }
        return .bySeverity(bySeverity, default: fallback)
    }

    func matches(_ node: Node?, _ what: String, key: String?) -> [ObligationRule.EventMatch] {
        reader.sequence(node, what).compactMap { item in
            let m = reader.mapping(item, what, allowed: ["type", "key", "owner", "when"])
            guard let type = reader.string(reader.required(m, "type", in: what, at: item), "\(what).type") else { return nil }
            let fields = self.fields(of: type, at: m["type"])
            guard let matchKey = m["key"].map({ field($0, "\(what).key", in: fields, type: type) }) ?? key else { return nil }
            if m["key"] == nil, let fields, !fields.contains(matchKey) {
                reader.fail(m["type"], "\(what): \(type) has no field '\(matchKey)'; name its linking field with key:")
                return nil
            }
            var owner = ObligationRule.OwnerMatch.anyone
            if let ownerNode = m["owner"], let text = reader.string(ownerNode, "\(what).owner") {
                switch text {
                case "publisher": owner = .publisher
                case "anyone": owner = .anyone
                default:
                    guard let name = field(ownerNode, "\(what).owner", in: fields, type: type) else { return nil }
                    owner = .field(name)
                }
            }
            let conditions = self.conditions(m["when"], "\(what).when", fields: fields, type: type)
            return ObligationRule.EventMatch(type: type, key: matchKey, owner: owner, conditions: conditions)
        }
    }
}
