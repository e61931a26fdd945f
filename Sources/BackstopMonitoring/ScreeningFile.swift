import BackstopCoordinator
import Foundation
import Yams

/// Reads and checks a screening rules file (`Ops/screening/s-province.yaml`). Every problem is
/// reported with its line; a service does not start with a file that has any.
public enum ScreeningFile {
    /// The risk categories of the contracts (risk.clue.reported `risk_categories`).
    public static let riskCategories: Set<String> = [
        "illness", "disability", "schooling", "disaster", "accident", "unemployment", "unstable_work", "industry_failure",
        "housing_unsafe", "drinking_water", "income_drop", "expense_surge", "other",
    ]

    /// Loads `url`.
    public static func load(_ url: URL) throws(RulesErrors) -> ScreeningRules {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw RulesErrors(problems: [RulesError(file: url.path, line: 0, message: "cannot read the file: \(error.localizedDescription)")])
        }
        return try parse(text, file: url.path)
    }

    /// Parses screening rules from text.
    public static func parse(_ text: String, file: String) throws(RulesErrors) -> ScreeningRules {
        let reader = YAMLReader(file: file)
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            let (line, message) = RulesFile.describe(error)
            throw RulesErrors(problems: [RulesError(file: file, line: line, message: message)])
        }
        guard let root else { throw RulesErrors(problems: [RulesError(file: file, line: 0, message: "the file is empty")]) }
        let rules = read(root, reader)
        guard reader.problems.isEmpty, let rules else { throw RulesErrors(problems: reader.problems.sorted { $0.line < $1.line }) }
        return rules
    }

    private static func read(_ root: Node, _ r: YAMLReader) -> ScreeningRules? {
        let top = r.mapping(root, "the file", allowed: ["time_zone", "income_lines", "indicators", "indicator_sets", "rules"])
        let zoneName = r.string(top["time_zone"], "time_zone") ?? "Asia/Shanghai"
        let zone = TimeZone(identifier: zoneName)
        if zone == nil { r.fail(top["time_zone"], "time_zone: '\(zoneName)' is not a time zone") }

        var indicators: [String: ScreeningRules.Indicator] = [:]
        for (code, keyNode, value) in r.entries(r.required(top, "indicators", in: "the file", at: root), "indicators") {
            if !isCode(code) { r.fail(keyNode, "indicators: '\(code)' must be lowercase snake_case") }
            let m = r.mapping(value, "indicator \(code)", allowed: ["unit", "sensitive"])
            guard let unitName = r.string(r.required(m, "unit", in: "indicator \(code)", at: keyNode), "indicator \(code): unit") else { continue }
            guard let unit = IndicatorUnit(rawValue: unitName) else {
                r.fail(m["unit"], "indicator \(code): unit '\(unitName)' is not one of \(IndicatorUnit.allCases.map(\.rawValue).joined(separator: ", "))")
                continue
            }
            indicators[code] = .init(code: code, unit: unit, sensitive: bool(m["sensitive"], "indicator \(code): sensitive", r) ?? false)
        }

        var sets: [String: ScreeningRules.IndicatorSet] = [:]
        for (name, keyNode, value) in r.entries(r.required(top, "indicator_sets", in: "the file", at: root), "indicator_sets") {
            if !isCode(name) { r.fail(keyNode, "indicator_sets: '\(name)' must be lowercase snake_case") }
            let what = "indicator set \(name)"
            let m = r.mapping(value, what, allowed: ["departments", "indicators", "period"])
            let departments = r.strings(r.required(m, "departments", in: what, at: keyNode), "\(what): departments")
            let members = r.strings(r.required(m, "indicators", in: what, at: keyNode), "\(what): indicators")
            for code in members where indicators[code] == nil { r.fail(m["indicators"], "\(what): '\(code)' is not under indicators") }
            if members.isEmpty { r.fail(keyNode, "\(what): list at least one indicator") }
            let periodName = r.string(r.required(m, "period", in: what, at: keyNode), "\(what): period") ?? "month"
            guard let period = ScreeningRules.PeriodKind(rawValue: periodName) else {
                r.fail(m["period"], "\(what): period '\(periodName)' is not month, year or disaster")
                continue
            }
            sets[name] = .init(name: name, departments: departments, indicators: members, period: period)
        }

        var rules: [ScreeningRule] = []
        var ids: Set<String> = []
        let allowed = ["id", "basis", "indicator", "population", "at_least", "far_above", "below_income_line", "far_below_income_line", "risk_categories"]
        for node in r.sequence(r.required(top, "rules", in: "the file", at: root), "rules") {
            let m = r.mapping(node, "a rule", allowed: allowed)
            guard let id = r.string(r.required(m, "id", in: "a rule", at: node), "a rule's id") else { continue }
            let what = "rule \(id)"
            if !ids.insert(id).inserted { r.fail(m["id"], "\(what): the id is used twice") }
            if id.count > 64 { r.fail(m["id"], "\(what): ids are at most 64 characters") }
            let basis = r.string(r.required(m, "basis", in: what, at: node), "\(what): basis") ?? ""
            guard let indicator = r.string(r.required(m, "indicator", in: what, at: node), "\(what): indicator") else { continue }
            if indicators[indicator] == nil { r.fail(m["indicator"], "\(what): '\(indicator)' is not under indicators") }
            var populations: Set<Population> = []
            for name in r.strings(m["population"], "\(what): population") {
                if let p = Population(rawValue: name) { populations.insert(p) }
                else { r.fail(m["population"], "\(what): population '\(name)' is not one of \(Population.allCases.map(\.rawValue).joined(separator: ", "))") }
            }
            let categories = r.strings(r.required(m, "risk_categories", in: what, at: node), "\(what): risk_categories")
            for c in categories where !riskCategories.contains(c) { r.fail(m["risk_categories"], "\(what): '\(c)' is not a risk category of the contracts") }
            if categories.isEmpty || categories.count > 6 || Set(categories).count != categories.count {
                r.fail(m["risk_categories"], "\(what): list 1 to 6 distinct risk categories")
            }
            let condition: ScreeningRule.Condition
            switch (m["at_least"], m["below_income_line"]) {
            case (let threshold?, nil):
                guard let t = r.double(threshold, "\(what): at_least", in: 0...1e12) else { continue }
                let far = r.double(m["far_above"], "\(what): far_above", in: 0...1e12)
                if let far, far <= t { r.fail(m["far_above"], "\(what): far_above must be above at_least") }
                if m["far_below_income_line"] != nil { r.fail(m["far_below_income_line"], "\(what): far_below_income_line goes with below_income_line") }
                condition = .atLeast(t, far: far)
            case (nil, let factor?):
                guard let f = r.double(factor, "\(what): below_income_line", in: 0.01...10) else { continue }
                let far = r.double(m["far_below_income_line"], "\(what): far_below_income_line", in: 0.01...10)
                if let far, far >= f { r.fail(m["far_below_income_line"], "\(what): far_below_income_line must be below below_income_line") }
                if m["far_above"] != nil { r.fail(m["far_above"], "\(what): far_above goes with at_least") }
                condition = .belowIncomeLine(factor: f, farFactor: far)
            default:
                r.fail(node, "\(what): give exactly one condition, at_least or below_income_line")
                continue
            }
            rules.append(ScreeningRule(id: id, basis: basis, indicator: indicator, populations: populations, condition: condition,
                                       riskCategories: categories))
        }

        var lines: [IncomeLine] = []
        var seen: Set<String> = []
        for node in r.sequence(r.required(top, "income_lines", in: "the file", at: root), "income_lines") {
            let m = r.mapping(node, "an income line", allowed: ["province", "year", "effective_from", "amount", "basis"])
            let province = r.string(r.required(m, "province", in: "an income line", at: node), "an income line's province")
            if let province, !(province.count == 2 && province.allSatisfy(\.isNumber)) {
                r.fail(m["province"], "an income line's province must be a 2-digit province code (quote it: \"51\")")
            }
            let year = r.int(r.required(m, "year", in: "an income line", at: node), "an income line's year", in: 2000...2099)
            let fromText = r.string(r.required(m, "effective_from", in: "an income line", at: node), "an income line's effective_from")
            let from = fromText.flatMap(CalendarDate.init)
            if fromText != nil && from == nil { r.fail(m["effective_from"], "effective_from '\(fromText!)' is not a date YYYY-MM-DD") }
            let amount = r.double(r.required(m, "amount", in: "an income line", at: node), "an income line's amount", in: 1...1_000_000)
            guard let province, let year, let from, let amount else { continue }
            if abs(from.year - year) > 1 { r.fail(m["effective_from"], "the line for \(year) cannot take effect in \(from.year)") }
            if !seen.insert("\(province)|\(from)").inserted { r.fail(node, "two income lines for province \(province) take effect on \(from)") }
            lines.append(IncomeLine(province: province, year: year, effectiveFrom: from, amount: amount))
        }
        let needsLine = rules.contains { if case .belowIncomeLine = $0.condition { true } else { false } }
        if needsLine && lines.isEmpty { r.fail(top["income_lines"] ?? root, "rules compare with the income line, but income_lines is empty") }
        guard let zone else { return nil }
        return ScreeningRules(timeZone: zone, indicators: indicators, sets: sets, rules: rules, incomeLines: IncomeLineTable(lines))
    }

    private static func bool(_ node: Node?, _ what: String, _ r: YAMLReader) -> Bool? {
        guard let node else { return nil }
        switch node.scalar?.string {
        case "true": return true
        case "false": return false
        default:
            r.fail(node, "\(what) must be true or false")
            return nil
        }
    }

    private static func isCode(_ text: String) -> Bool {
        guard let first = text.utf8.first, (0x61...0x7A).contains(first), (2...64).contains(text.utf8.count) else { return false }
        return text.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
    }
}
