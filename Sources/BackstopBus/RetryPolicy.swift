/// How long to wait before redelivering a failed delivery: exponential backoff with jitter.
///
/// Attempt *n* (1-based) waits `min(maximum, initial × 2^(n-1))`, then "equal jitter" keeps between
/// half and all of it, so retries from many consumers spread out instead of arriving together.
/// Pure value logic: the random source is injected, so tests can pin it.
public struct RetryPolicy: Sendable, Hashable {
    /// The delay before the first retry.
    public var initial: Duration
    /// The longest delay.
    public var maximum: Duration
    /// Deliveries are dead-lettered after this many attempts.
    public var maxAttempts: Int

    /// Creates a policy.
    public init(initial: Duration = .seconds(1), maximum: Duration = .seconds(600), maxAttempts: Int = 10) {
        self.initial = initial
        self.maximum = maximum
        self.maxAttempts = maxAttempts
    }

    /// The delay after `attempt` failed, with `unit` (a random number in 0..<1) choosing the jitter.
    public func delay(afterAttempt attempt: Int, unit: Double) -> Duration {
        let exponent = Double(min(max(attempt - 1, 0), 62))
        let base = min(initial.seconds * pow2(exponent), maximum.seconds)
        let jittered = base / 2 + base / 2 * min(max(unit, 0), 1)
        return .milliseconds(Int64((jittered * 1000).rounded()))
    }

    /// The delay after `attempt` failed, with system randomness.
    public func delay(afterAttempt attempt: Int) -> Duration {
        delay(afterAttempt: attempt, unit: Double.random(in: 0..<1))
    }

    private func pow2(_ e: Double) -> Double {
        var r = 1.0
        for _ in 0..<Int(e) { r *= 2; if r > 1e12 { break } }
        return r
    }
}

extension Duration {
    /// The duration in (fractional) seconds.
    var seconds: Double {
        let (s, attos) = components
        return Double(s) + Double(attos) / 1e18
    }

    /// The duration in whole milliseconds, clamped to `Int32`.
    var milliseconds: Int {
        Int(min(max((seconds * 1000).rounded(), 0), Double(Int32.max)))
    }
}
