/// The tables of a response-time review (domain brief §8.2): what the dashboard shows and what
/// can be exported as CSV. None ranks parties by activity counts; rows are in name order.
public enum ReviewTable: String, Sendable, Hashable, CaseIterable {
    /// Time to sign-for and to first measure: median and P90 hours.
    case responseTimes = "response_times"
    /// How long sign-for took, in buckets.
    case signForDistribution = "sign_for_distribution"
    /// On-time rate of obligations that fell due in the period.
    case onTime = "on_time"
    /// Today's overdue obligations by age bucket.
    case overdueBacklog = "overdue_backlog"
    /// Today's overdue obligations, oldest first.
    case overdueList = "overdue_list"
    /// Extension and dispatch-objection rates.
    case extensionsObjections = "extensions_objections"
    /// Rungs of the escalation ladder reached.
    case escalations
    /// Job offers → referrals → placements.
    case jobs
    /// Pledge → commitment → disbursement.
    case donations
    /// Closures and reversals within 12 months.
    case closures
    /// Open cases with a measure, and with a non-government contribution (coupling).
    case coupling
    /// Week-by-week trend.
    case weekly

    /// Heading shown above the table.
    public var title: String {
        switch self {
        case .responseTimes: "Response times (hours)"
        case .signForDistribution: "Time to sign-for, distribution"
        case .onTime: "On-time rate of obligations due"
        case .overdueBacklog: "Overdue backlog by age (today)"
        case .overdueList: "Overdue obligations (today, oldest first)"
        case .extensionsObjections: "Extensions and dispatch objections"
        case .escalations: "Escalations by level"
        case .jobs: "Jobs: offers → referrals → placements"
        case .donations: "Donations: pledge → commitment → disbursement"
        case .closures: "Closures and reversals within 12 months"
        case .coupling: "Open cases: measures and non-government contributions"
        case .weekly: "Trend by week"
        }
    }

    /// The groupings the table can be broken down by; empty when it has its own rows (a list, weeks).
    public var groupings: [ReviewGrouping] {
        switch self {
        case .responseTimes, .signForDistribution, .onTime, .overdueBacklog, .extensionsObjections, .escalations:
            ReviewGrouping.allCases
        case .jobs, .donations, .closures, .coupling: [.organisation, .kind, .township]
        case .overdueList, .weekly: []
        }
    }

    /// The columns, the first naming the group when the table is grouped.
    public func columns(groupedBy grouping: ReviewGrouping) -> [MetricTable.Column] {
        typealias C = MetricTable.Column
        let group = C(grouping.rawValue, grouping.label, .text)
        switch self {
        case .responseTimes:
            return [group, C("sign_for_count", "Signed for", .integer), C("sign_for_median_hours", "Sign-for median (h)", .number),
                    C("sign_for_p90_hours", "Sign-for P90 (h)", .number), C("first_measure_count", "Cases with a measure", .integer),
                    C("first_measure_median_hours", "First measure median (h)", .number), C("first_measure_p90_hours", "First measure P90 (h)", .number)]
        case .signForDistribution:
            return [group, C("under_2h", "< 2 h", .integer), C("h2_to_8", "2–8 h", .integer), C("h8_to_24", "8–24 h", .integer),
                    C("d1_to_2", "1–2 days", .integer), C("d2_to_5", "2–5 days", .integer), C("over_5d", "≥ 5 days", .integer),
                    C("not_signed", "Not signed", .integer)]
        case .onTime:
            return [group, C("due", "Due", .integer), C("on_time", "On time", .integer), C("late", "Late", .integer),
                    C("still_open", "Still open", .integer), C("on_time_pct", "On time (%)", .number)]
        case .overdueBacklog:
            return [group, C("overdue", "Overdue", .integer), C("under_1d", "< 1 day", .integer), C("d1_to_5", "1–5 days", .integer),
                    C("d5_to_20", "5–20 days", .integer), C("over_20d", "≥ 20 days", .integer)]
        case .overdueList:
            return [C("obligation_id", "Obligation", .text), C("rule", "Rule", .text), C("action", "Action", .text),
                    C("owner", "Owner", .text), C("township", "Township", .text), C("case_or_alert", "Case / alert", .text),
                    C("due_at", "Due", .text), C("days_overdue", "Days overdue", .number), C("level", "Level", .text)]
        case .extensionsObjections:
            return [group, C("opened", "Opened", .integer), C("extension_requested", "Extension asked", .integer),
                    C("extension_granted", "Extension granted", .integer), C("extension_pct", "Extension rate (%)", .number),
                    C("sign_for", "Sign-for", .integer), C("objected", "Objected (退单)", .integer),
                    C("objection_pct", "Objection rate (%)", .number)]
        case .escalations:
            return [group, C("l1", "L1 reminder", .integer), C("l2", "L2 breach", .integer), C("l3", "L3 supervision", .integer),
                    C("l4", "L4 systemic", .integer)]
        case .jobs:
            return [group, C("offers", "Offers", .integer), C("positions", "Positions", .integer), C("referrals", "Referrals", .integer),
                    C("accepted", "Accepted", .integer), C("placements", "Placements", .integer),
                    C("placement_pct", "Placed per referral (%)", .number), C("referral_to_placement_days", "Referral → placement (median days)", .number)]
        case .donations:
            return [group, C("pledges", "Pledges", .integer), C("pledged_yuan", "Pledged (yuan)", .integer),
                    C("committed", "Committed", .integer), C("disbursed", "Disbursed", .integer), C("disbursed_yuan", "Disbursed (yuan)", .integer),
                    C("committed_pct", "Committed (%)", .number), C("disbursed_pct", "Disbursed (%)", .number),
                    C("pledge_to_commit_days", "Pledge → commitment (median days)", .number),
                    C("commit_to_disburse_days", "Commitment → disbursement (median days)", .number)]
        case .closures:
            return [group, C("closed", "Closed", .integer), C("reopened_12m", "Reopened within 12 months", .integer),
                    C("reversal_pct", "Reversal rate (%)", .number)]
        case .coupling:
            return [group, C("open_cases", "Open cases", .integer), C("with_measure", "With a measure", .integer),
                    C("with_non_government", "With non-government help", .integer), C("measure_pct", "Measure coverage (%)", .number),
                    C("coupling_pct", "Coupling (%)", .number)]
        case .weekly:
            return [C("week", "Week of", .text), C("due", "Due", .integer), C("on_time", "On time", .integer),
                    C("on_time_pct", "On time (%)", .number), C("sign_for_median_hours", "Sign-for median (h)", .number),
                    C("sign_for_p90_hours", "Sign-for P90 (h)", .number), C("breaches", "Breaches (L2)", .integer)]
        }
    }
}

/// What a review's rows are broken down by (domain brief §8.2: per department, township, actor
/// type and rule).
public enum ReviewGrouping: String, Sendable, Hashable, CaseIterable {
    /// Each organisation.
    case organisation
    /// Each kind of organisation.
    case kind
    /// Each township.
    case township
    /// Each obligation rule (D1–D14).
    case rule

    /// Column heading.
    public var label: String {
        switch self {
        case .organisation: "Organisation"
        case .kind: "Kind"
        case .township: "Township"
        case .rule: "Rule"
        }
    }
}
