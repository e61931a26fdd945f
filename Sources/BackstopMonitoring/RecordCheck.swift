import Foundation

/// Checks the fields of one pushed record against the push's indicator set and period, collecting
/// a problem per bad field. Shared by CSV rows and JSON records.
struct RecordCheck {
    let rules: ScreeningRules
    let set: ScreeningRules.IndicatorSet
    let period: String

    /// The record columns of Contracts/pushes/push-batch.schema.json; `population` may be left out.
    static let columns = ["household_ref", "indicator", "value", "unit", "period", "location_code", "population"]
    static let required = Set(columns.dropLast())

    /// The record, or the problems with its fields (`field(name)` gives a field's text, nil when absent).
    func record(row: Int, field: (String) -> String?) -> (IndicatorRecord?, [PushProblem]) {
        var problems: [PushProblem] = []
        func fail(_ column: String, _ message: String) { problems.append(PushProblem(row: row, column: column, message: message)) }
        func text(_ column: String) -> String? {
            guard let value = field(column), !value.isEmpty else {
                if Self.required.contains(column) { fail(column, "is required") }
                return nil
            }
            return value
        }
        let household = text("household_ref")
        if let household, !Self.isHouseholdRef(household) {
            fail("household_ref", "must be a pseudonymous household reference: hh- and 32 lowercase hex digits, never an ID number")
        }
        let code = text("indicator")
        let indicator = code.flatMap { rules.indicators[$0] }
        if let code {
            if indicator == nil { fail("indicator", "'\(code)' is not in the indicator catalogue") }
            else if !set.indicators.contains(code) { fail("indicator", "'\(code)' is not pushed in the indicator set \(set.name)") }
        }
        var value: Double?
        if let raw = text("value") {
            if let number = Double(raw.trimmingCharacters(in: .whitespaces)), number.isFinite, number >= 0, number <= 1e9 { value = number }
            else { fail("value", "'\(raw.prefix(40))' is not a number from 0 to 1,000,000,000") }
        }
        var unit: IndicatorUnit?
        if let raw = text("unit") {
            unit = IndicatorUnit(rawValue: raw)
            if unit == nil { fail("unit", "'\(raw.prefix(40))' is not a unit (\(IndicatorUnit.allCases.map(\.rawValue).joined(separator: ", ")))") }
            else if let indicator, indicator.unit != unit { fail("unit", "\(indicator.code) is measured in \(indicator.unit.rawValue), not \(raw)") }
        }
        if let given = text("period"), given != period { fail("period", "'\(given.prefix(40))' differs from the push's period \(period)") }
        let location = text("location_code")
        if let location, !((location.count == 9 || location.count == 12) && location.allSatisfy { $0.isASCII && $0.isNumber }) {
            fail("location_code", "must be the household's township (9 digits) or village (12 digits) division code")
        }
        var population = Population.rural
        if let raw = field("population"), !raw.isEmpty {
            if let given = Population(rawValue: raw) { population = given }
            else { fail("population", "'\(raw.prefix(40))' is not one of \(Population.allCases.map(\.rawValue).joined(separator: ", "))") }
        }
        guard problems.isEmpty, let household, let code, let value, let unit, let location else { return (nil, problems) }
        return (IndicatorRecord(householdRef: household, indicator: code, value: value, unit: unit, period: period,
                                locationCode: location, population: population), [])
    }

    static func isHouseholdRef(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard utf8.count == 35, text.hasPrefix("hh-") else { return false }
        return utf8.dropFirst(3).allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

