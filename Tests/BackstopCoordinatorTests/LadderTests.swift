import BackstopCoordinator
import Foundation
import Testing

/// One ladder position looked at once: warning at t = 75 s, breach at 100 s, supervision at 200 s.
struct LadderCase: Sendable, CustomTestStringConvertible {
    static let origin = Date(timeIntervalSince1970: 1_795_000_000)
    static let warnAt = origin + 75, breachAt = origin + 100, superviseAt = origin + 200

    let name: String
    let level: Int
    /// Seconds after the origin.
    let now: Double
    let rungs: [Ladder.Rung]
    let levelAfter: Int
    /// Seconds after the origin of the next look, or nil for none.
    let nextAfter: Double?

    var ladder: Ladder { Ladder(level: level, warnAt: Self.warnAt, breachAt: Self.breachAt, superviseAt: Self.superviseAt) }
    var instant: Date { Self.origin + now }
    var testDescription: String { "\(name) (level \(level) at t=\(now))" }
}

@Suite("Escalation ladder")
struct LadderTests {
    @Test("rungs reached, position after raising them, and the next look", arguments: [
        LadderCase(name: "before the warning", level: 0, now: 10, rungs: [], levelAfter: 0, nextAfter: 75),
        LadderCase(name: "a moment before the warning", level: 0, now: 74.999, rungs: [], levelAfter: 0, nextAfter: 75),
        LadderCase(name: "at the warning", level: 0, now: 75, rungs: [.dueSoon], levelAfter: 1, nextAfter: 100),
        LadderCase(name: "between warning and breach", level: 0, now: 90, rungs: [.dueSoon], levelAfter: 1, nextAfter: 100),
        LadderCase(name: "warned already, breach not yet", level: 1, now: 90, rungs: [], levelAfter: 1, nextAfter: 100),
        LadderCase(name: "at the breach, warned", level: 1, now: 100, rungs: [.breached], levelAfter: 2, nextAfter: 200),
        LadderCase(name: "past the breach without L1: L1 is skipped", level: 0, now: 150, rungs: [.breached], levelAfter: 2, nextAfter: 200),
        LadderCase(name: "breached already, supervision not yet", level: 2, now: 199, rungs: [], levelAfter: 2, nextAfter: 200),
        LadderCase(name: "past supervision from level 0: L2 and L3 together", level: 0, now: 500,
                   rungs: [.breached, .supervised], levelAfter: 3, nextAfter: nil),
        LadderCase(name: "past supervision from L1", level: 1, now: 200, rungs: [.breached, .supervised], levelAfter: 3, nextAfter: nil),
        LadderCase(name: "past supervision from L2", level: 2, now: 250, rungs: [.supervised], levelAfter: 3, nextAfter: nil),
        LadderCase(name: "at the top", level: 3, now: 10_000, rungs: [], levelAfter: 3, nextAfter: nil),
        LadderCase(name: "at the top, early", level: 3, now: 0, rungs: [], levelAfter: 3, nextAfter: nil),
    ])
    func ladderStep(_ step: LadderCase) {
        let rungs = step.ladder.rungs(at: step.instant)
        #expect(rungs == step.rungs)
        let next = step.ladder.raising(rungs)
        #expect(next.level == step.levelAfter)
        #expect(next.nextAt == step.nextAfter.map { LadderCase.origin + $0 })
        #expect(next.warnAt == LadderCase.warnAt && next.breachAt == LadderCase.breachAt && next.superviseAt == LadderCase.superviseAt)
        // Idempotent: once raised, the same moment raises nothing more.
        #expect(next.rungs(at: step.instant).isEmpty)
        #expect(next.raising([]) == next)
    }

    @Test("the next look is the time of the next rung", arguments: [(0, 75.0), (1, 100.0), (2, 200.0)])
    func nextAt(level: Int, at seconds: Double) {
        let ladder = Ladder(level: level, warnAt: LadderCase.warnAt, breachAt: LadderCase.breachAt, superviseAt: LadderCase.superviseAt)
        #expect(ladder.nextAt == LadderCase.origin + seconds)
    }

    @Test func raisingNeverLowersTheLevel() {
        let ladder = Ladder(level: 2, warnAt: LadderCase.warnAt, breachAt: LadderCase.breachAt, superviseAt: LadderCase.superviseAt)
        #expect(ladder.raising([.dueSoon]).level == 2)
        #expect(ladder.raising([]).level == 2)
        #expect(ladder.raising([.supervised]).level == 3)
    }

    @Test("a sweeper looking at every nextAt raises each rung exactly once", arguments: [
        (1.0, true), (7.0, true), (30.0, true), (60.0, false), (1_000.0, false),
    ])
    func sweepingRaisesEachRungOnce(every interval: Double, warned: Bool) {
        var ladder = Ladder(level: 0, warnAt: LadderCase.warnAt, breachAt: LadderCase.breachAt, superviseAt: LadderCase.superviseAt)
        var raised: [Ladder.Rung] = []
        var now = LadderCase.origin
        while now <= LadderCase.origin + 2_000 {
            if let next = ladder.nextAt, now >= next {
                let rungs = ladder.rungs(at: now)
                #expect(!rungs.isEmpty, "nextAt \(next) has passed at \(now) but no rung is due")
                raised += rungs
                ladder = ladder.raising(rungs)
            } else {
                #expect(ladder.rungs(at: now).isEmpty, "a rung is due at \(now) before nextAt")
            }
            now += interval
        }
        #expect(Set(raised).count == raised.count, "no rung twice: \(raised)")
        #expect(raised.last == .supervised && raised.contains(.breached))
        // The reminder is only sent when the sweeper looks between the warning and the breach.
        #expect(raised.contains(.dueSoon) == warned)
        #expect(ladder.level == 3 && ladder.nextAt == nil)
    }
}
