/// When a connection prepares a statement again, so its plan follows the data.
///
/// PostgreSQL plans a prepared statement from the table sizes and statistics it sees when the
/// plan is made; a queue table that was empty then may hold a large backlog later. Preparing again
/// after 32, 256 and 2048 executions, and then at most a minute after the last time, costs one extra
/// round trip now and then and keeps plans current.
struct PreparedStatement: Sendable {
    /// When the current plan was prepared.
    var preparedAt: ContinuousClock.Instant
    /// Executions since then.
    var executions: Int
    /// How many times the statement was prepared before (0 for the first time).
    var generation: Int

    /// Executions after which generation 0, 1 and 2 are prepared again.
    static let executionSteps = [32, 256, 2048]
    /// The longest a plan is kept.
    static let maximumAge: Duration = .seconds(60)

    func isDue(at now: ContinuousClock.Instant) -> Bool {
        if generation < Self.executionSteps.count, executions >= Self.executionSteps[generation] { return true }
        return now - preparedAt >= Self.maximumAge
    }
}
