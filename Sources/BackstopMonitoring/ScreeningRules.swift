import Foundation

/// The screening rules a department service applies to every pushed record (read from
/// `Ops/screening/s-province.yaml` by ``ScreeningFile``): which indicators exist and in which unit,
/// which department pushes which indicator set, the thresholds that turn a record into a risk clue,
/// and the monitoring income line by province, year and effective date.
public struct ScreeningRules: Sendable {
    /// Local time: periods and effective dates are calendar dates here.
    public var timeZone: TimeZone
    /// Indicators by code.
    public var indicators: [String: Indicator]
    /// Indicator sets by name.
    public var sets: [String: IndicatorSet]
    /// The threshold rules, in file order.
    public var rules: [ScreeningRule]
    /// The monitoring income lines.
    public var incomeLines: IncomeLineTable

    /// An indicator of the catalogue (Contracts/pushes/indicators.md).
    public struct Indicator: Sendable, Hashable {
        /// The code.
        public var code: String
        /// The unit its values must be in.
        public var unit: IndicatorUnit
        /// Whether its raw values are sensitive (they never leave the department service).
        public var sensitive: Bool
    }

    /// What one department pushes together, and how often.
    public struct IndicatorSet: Sendable, Hashable {
        /// The set's name, e.g. `medical_insurance`.
        public var name: String
        /// The departments that push it.
        public var departments: [String]
        /// The indicators a push of this set may carry.
        public var indicators: [String]
        /// The kind of period a push covers.
        public var period: PeriodKind
    }

    /// The period a push of a set covers.
    public enum PeriodKind: String, Sendable, Hashable {
        /// A calendar month, `YYYY-MM`.
        case month
        /// A calendar year, `YYYY`.
        case year
        /// One disaster: the period is the month it ended, and the push names the disaster.
        case disaster
    }

    /// The rules that apply to an indicator, in file order.
    public func rules(for indicator: String) -> [ScreeningRule] { rulesByIndicator[indicator] ?? [] }

    private var rulesByIndicator: [String: [ScreeningRule]] = [:]

    /// Rules with their index built.
    public init(timeZone: TimeZone, indicators: [String: Indicator], sets: [String: IndicatorSet], rules: [ScreeningRule],
                incomeLines: IncomeLineTable) {
        self.timeZone = timeZone
        self.indicators = indicators
        self.sets = sets
        self.rules = rules
        self.incomeLines = incomeLines
        rulesByIndicator = Dictionary(grouping: rules, by: \.indicator)
    }
}

/// One threshold rule: a condition on an indicator's value for some populations, the risk
/// categories it points to, and an upper tier that marks a record as far above the threshold.
public struct ScreeningRule: Sendable, Hashable {
    /// The rule id carried by the clue (`threshold_rule_id`).
    public var id: String
    /// Where the threshold comes from.
    public var basis: String
    /// The indicator code it looks at.
    public var indicator: String
    /// The populations it applies to (all when empty).
    public var populations: Set<Population>
    /// The condition that fires it.
    public var condition: Condition
    /// The risk categories of the clue (the contracts' codes), the main one first.
    public var riskCategories: [String]

    /// When a rule fires, and when a record is far beyond the threshold.
    public enum Condition: Sendable, Hashable {
        /// value ≥ threshold; far above when value ≥ far (if given).
        case atLeast(Double, far: Double?)
        /// value < factor × the monitoring income line; far below when value < farFactor × line.
        case belowIncomeLine(factor: Double, farFactor: Double?)
    }
}
