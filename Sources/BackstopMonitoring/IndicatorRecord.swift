/// One row of a department's data push: a household's value of one indicator for a period
/// (Contracts/pushes/push-batch.schema.json).
public struct IndicatorRecord: Sendable, Hashable {
    /// The household's pseudonymous reference (`hh-` and 32 hex digits).
    public var householdRef: String
    /// The indicator code, e.g. `medical_oop_ytd`.
    public var indicator: String
    /// The measured value (never sent on the bus when the indicator is sensitive).
    public var value: Double
    /// The unit of `value`.
    public var unit: IndicatorUnit
    /// The period the value is for: `YYYY-MM` or `YYYY`.
    public var period: String
    /// The household's village (12 digits) or township (9 digits).
    public var locationCode: String
    /// Which population the household belongs to; thresholds can differ by population.
    public var population: Population

    /// Creates a record.
    public init(householdRef: String, indicator: String, value: Double, unit: IndicatorUnit, period: String,
                locationCode: String, population: Population = .rural) {
        self.householdRef = householdRef
        self.indicator = indicator
        self.value = value
        self.unit = unit
        self.period = period
        self.locationCode = locationCode
        self.population = population
    }

    /// The record's fields in a fixed order, one line: what the push digest is computed over.
    var canonicalLine: String {
        "\(householdRef)\t\(indicator)\t\(value)\t\(unit.rawValue)\t\(period)\t\(locationCode)\t\(population.rawValue)\n"
    }
}

/// The unit an indicator is measured in.
public enum IndicatorUnit: String, Sendable, Hashable, CaseIterable {
    /// Yuan (renminbi).
    case yuan
    /// 1 = yes, 0 = no.
    case flag
    /// A grade on the indicator's own scale (disability 1–4, house damage 0–4).
    case grade
    /// A count of people or items.
    case count
}

/// The population a household belongs to, for thresholds that differ by it (domain brief §2.4).
public enum Population: String, Sendable, Hashable, CaseIterable {
    /// Lifted out of poverty by 2020 (脱贫户).
    case formerlyPoor = "formerly_poor"
    /// Already a monitored household (监测对象).
    case monitored
    /// Any other rural household.
    case rural
}
