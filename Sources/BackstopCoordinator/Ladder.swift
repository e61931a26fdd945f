import Foundation

/// The escalation ladder of one open obligation (domain brief §8.1): L1 due-soon at the warning
/// point, L2 breach at the due time (plus grace), L3 supervision after the overdue period. L4 is
/// counted per organisation, not per obligation. Pure: the sweeper passes the database's `now()`.
public struct Ladder: Sendable, Hashable {
    /// A rung the obligation reaches.
    public enum Rung: Int, Sendable, Hashable, Comparable {
        /// L1: the reminder to the owner.
        case dueSoon = 1
        /// L2: the breach, copied to the owner's supervisor.
        case breached = 2
        /// L3: supervision by the county office.
        case supervised = 3

        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }

    /// The highest rung reached so far (0: none).
    public var level: Int
    /// When L1 is due.
    public var warnAt: Date
    /// When L2 is due.
    public var breachAt: Date
    /// When L3 is due.
    public var superviseAt: Date

    /// Creates a ladder position.
    public init(level: Int, warnAt: Date, breachAt: Date, superviseAt: Date) {
        self.level = level
        self.warnAt = warnAt
        self.breachAt = breachAt
        self.superviseAt = superviseAt
    }

    /// The rungs reached by `now` that have not been raised yet, in order. A reminder is pointless
    /// once the breach is due, so L1 is skipped when `now` is already past the breach time.
    public func rungs(at now: Date) -> [Rung] {
        var out: [Rung] = []
        if level < 1, now >= warnAt, now < breachAt { out.append(.dueSoon) }
        if level < 2, now >= breachAt { out.append(.breached) }
        if level < 3, now >= superviseAt { out.append(.supervised) }
        return out
    }

    /// The position after raising `rungs`.
    public func raising(_ rungs: [Rung]) -> Ladder {
        var next = self
        next.level = max(level, rungs.map(\.rawValue).max() ?? 0)
        return next
    }

    /// When the sweeper must look again: the time of the next rung, or nil at L3.
    public var nextAt: Date? {
        switch level {
        case 0: warnAt
        case 1: breachAt
        case 2: superviseAt
        default: nil
        }
    }
}
