import BackstopBus
import Testing

@Suite("retry policy")
struct RetryPolicyTests {
    let policy = RetryPolicy(initial: .milliseconds(100), maximum: .seconds(10), maxAttempts: 50)

    /// Full delays for attempts 1…10: doubling from 100 ms, capped at 10 s from attempt 8 on.
    static let fullDelays: [(attempt: Int, milliseconds: Int64)] = [
        (1, 100), (2, 200), (3, 400), (4, 800), (5, 1_600), (6, 3_200), (7, 6_400),
        (8, 10_000), (9, 10_000), (10, 10_000),
    ]

    @Test func withUnitOneDelaysDoubleFromInitialAndCapAtMaximum() {
        for (attempt, ms) in Self.fullDelays {
            #expect(policy.delay(afterAttempt: attempt, unit: 1) == .milliseconds(ms), "attempt \(attempt)")
        }
        // The shipped defaults: 1 s doubling, capped at 10 minutes.
        let defaults = RetryPolicy()
        let seconds: [Int64] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]
        for (index, s) in seconds.enumerated() {
            #expect(defaults.delay(afterAttempt: index + 1, unit: 1) == .seconds(s), "default policy, attempt \(index + 1)")
        }
    }

    @Test func withUnitZeroDelaysAreHalf() {
        for (attempt, ms) in Self.fullDelays {
            #expect(policy.delay(afterAttempt: attempt, unit: 0) == .milliseconds(ms / 2), "attempt \(attempt)")
        }
        #expect(policy.delay(afterAttempt: 3, unit: 0.5) == .milliseconds(300))
    }

    @Test func delaysAlwaysLieBetweenHalfAndFull() {
        var units: [Double] = stride(from: 0.0, through: 1.0, by: 0.05).map { $0 }
        units += (0..<200).map { _ in Double.random(in: 0..<1) }
        for (attempt, ms) in Self.fullDelays {
            let full = Duration.milliseconds(ms)
            let half = Duration.milliseconds(ms / 2)
            var previous = Duration.zero
            for unit in units.sorted() {
                let delay = policy.delay(afterAttempt: attempt, unit: unit)
                #expect(delay >= half && delay <= full, "attempt \(attempt), unit \(unit): \(delay)")
                #expect(delay >= previous, "jitter must grow with the unit")
                previous = delay
            }
            for _ in 0..<50 {
                let delay = policy.delay(afterAttempt: attempt)
                #expect(delay >= half && delay <= full, "attempt \(attempt), system randomness: \(delay)")
            }
        }
        // Units outside 0..<1 are clamped rather than stretching the range.
        #expect(policy.delay(afterAttempt: 2, unit: -3) == .milliseconds(100))
        #expect(policy.delay(afterAttempt: 2, unit: 7) == .milliseconds(200))
    }

    @Test(arguments: [63, 64, 100, 1_000, 1_000_000, Int(Int32.max), Int.max / 2, Int.max - 1, Int.max])
    func hugeAttemptNumbersDoNotOverflow(_ attempt: Int) {
        #expect(policy.delay(afterAttempt: attempt, unit: 1) == .seconds(10))
        #expect(policy.delay(afterAttempt: attempt, unit: 0) == .seconds(5))
        let week = RetryPolicy(initial: .milliseconds(1), maximum: .seconds(7 * 86_400), maxAttempts: 1_000)
        #expect(week.delay(afterAttempt: attempt, unit: 1) == .seconds(7 * 86_400))
        #expect(week.delay(afterAttempt: attempt, unit: 0) == .seconds(7 * 86_400 / 2))
    }

    @Test func attemptZeroOrBelowCountsAsTheFirst() {
        #expect(policy.delay(afterAttempt: 0, unit: 1) == .milliseconds(100))
        #expect(policy.delay(afterAttempt: -5, unit: 1) == .milliseconds(100))
    }

    @Test func zeroInitialDelayRetriesAtOnce() {
        let immediate = RetryPolicy(initial: .zero, maximum: .seconds(1))
        for attempt in [1, 2, 10, 1_000] {
            #expect(immediate.delay(afterAttempt: attempt, unit: 1) == .zero)
        }
    }
}
