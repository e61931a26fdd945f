import Foundation

/// How the coordinator triages risk clues (design: the coordinator turns clues into alerts).
public struct ClueTriage: Sendable, Hashable {
    /// Channels (`detected_by`) whose clues become alerts at once; others wait for the coordination
    /// office, with the identification duties (D1–D3) running either way.
    public var alertChannels: Set<String>
    /// Alert severity by the clue's band (`above_threshold`, `far_above_threshold`), with a default.
    public var severityByBand: [String: String]
    /// Severity when the band is absent or not listed.
    public var defaultSeverity: String
    /// While a household has an alert younger than this that has not become a case, new clues
    /// join it instead of raising another.
    public var joinWindow: ResponseTime

    /// No alerts raised automatically.
    public static let none = ClueTriage(alertChannels: [], severityByBand: [:], defaultSeverity: "P3", joinWindow: .calendarDays(15))

    /// The severity of an alert raised from a clue with `band`.
    public func severity(band: String?) -> String { band.flatMap { severityByBand[$0] } ?? defaultSeverity }

    /// The id of the alert raised from the clue `clueID`: a UUID (version 8, name-based) derived
    /// from the clue's id, so whoever holds the clue can name the alert it raised.
    public static func alertID(forClue clueID: String) -> String {
        var a: UInt64 = 0xCBF2_9CE4_8422_2325, b: UInt64 = 0x8422_2325_CBF2_9CE4
        for byte in "backstop.alert:\(clueID)".utf8 {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 &+ 0x9E37_79B9_7F4A_7C15
        }
        func hex(_ v: UInt64, _ digits: Int) -> String {
            let text = String(v, radix: 16)
            return String(repeating: "0", count: max(0, digits - text.count)) + text
        }
        let time = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x8000             // version 8 in the 13th digit
        let rest = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000  // RFC 9562 variant
        let x = hex(time, 16), y = hex(rest, 16)
        return "\(x.prefix(8))-\(x.dropFirst(8).prefix(4))-\(x.suffix(4))-\(y.prefix(4))-\(y.suffix(12))"
    }
}

/// Duties that come from the calendar rather than from an event (domain brief §7: D7 push
/// cadences, D10 follow-up visits, D14 concentrated sweeps). The coordinator opens them ahead of
/// time; they are then due, reminded, breached and escalated like any other obligation.
public struct RecurringDuties: Sendable, Hashable {
    /// Department push cadences (D7).
    public var pushes: [PushDuty] = []
    /// Monthly follow-up visits (D10), if configured.
    public var followUp: FollowUpDuty?
    /// Concentrated sweeps (D14), if configured.
    public var sweep: SweepDuty?

    /// Nothing recurring.
    public init(pushes: [PushDuty] = [], followUp: FollowUpDuty? = nil, sweep: SweepDuty? = nil) {
        self.pushes = pushes
        self.followUp = followUp
        self.sweep = sweep
    }

    /// Every rule id.
    public var ruleIDs: [String] { pushes.map(\.id) + [followUp?.id, sweep?.id].compactMap { $0 } }

    /// Event types that answer recurring duties.
    public var answerTypes: Set<String> {
        var types: Set<String> = []
        if !pushes.isEmpty { types.insert(Self.pushReceived) }
        if followUp != nil { types.insert(Self.visitRecorded) }
        if sweep != nil { types.insert(Self.sweepCompleted) }
        return types
    }

    static let pushReceived = "cn.backstop.data_push.received.v1"
    static let visitRecorded = "cn.backstop.followup.visit_recorded.v1"
    static let sweepCompleted = "cn.backstop.sweep.completed.v1"
}

/// A department's push cadence for one indicator set (D7).
public struct PushDuty: Sendable, Hashable {
    /// The rule id, e.g. `D7-push-medical-insurance`.
    public var id: String
    /// Where the cadence comes from.
    public var basis: String
    /// The department that owes the push.
    public var department: String
    /// The indicator set pushed.
    public var indicatorSet: String
    /// When each period's push is due.
    public var cadence: Cadence

    /// When a period's push is due.
    public enum Cadence: Sendable, Hashable {
        /// Monthly; a month's push is due by the end of the given day of the next month.
        case monthlyByDay(Int)
        /// Monthly; a month's push is due by the end of that month.
        case monthEnd
        /// Yearly; a year's push is due by the end of the given month and day of that year.
        case yearlyBy(month: Int, day: Int)
    }
}

/// Monthly follow-up visits for open cases and for some months after a case closes (D10).
public struct FollowUpDuty: Sendable, Hashable {
    /// The rule id, e.g. `D10-followup`.
    public var id: String
    /// Where it comes from.
    public var basis: String
    /// For how many months after the month a case closed the visits go on.
    public var monthsAfterClosure: Int
}

/// Concentrated sweeps by every township in configured windows (D14).
public struct SweepDuty: Sendable, Hashable {
    /// The rule id, e.g. `D14-sweep`.
    public var id: String
    /// Where it comes from.
    public var basis: String
    /// The windows of each year.
    public var windows: [Window]

    /// A sweep window: a name and the first and last day (month, day) of each year.
    public struct Window: Sendable, Hashable {
        /// The name, e.g. `spring`; the year and name (`2026-spring`) link the duty to its report.
        public var name: String
        /// First day (month, day).
        public var from: MonthDay
        /// Last day (month, day), in the same year.
        public var to: MonthDay
    }
}

/// A month and day of a year.
public struct MonthDay: Sendable, Hashable, Comparable {
    /// Month, 1–12.
    public var month: Int
    /// Day, 1–31.
    public var day: Int

    /// Parses `MM-DD` (29 February is refused: not every year has it).
    public init?(_ text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let m = Int(parts[0]), let d = Int(parts[1]),
              (1...12).contains(m), d >= 1, d <= [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] else { return nil }
        month = m
        day = d
    }

    public static func < (a: MonthDay, b: MonthDay) -> Bool { (a.month, a.day) < (b.month, b.day) }
}
