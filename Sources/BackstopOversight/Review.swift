import BackstopAccess
import BackstopContracts
import BackstopPostgres
import Foundation

/// Response-time review over oversight's read models: the tables of ``ReviewTable`` for a
/// ``ReviewQuery``, and drill-down from an aggregate to one case (which needs a stated reason and
/// is audit-logged in the same transaction as the read).
public struct Review: Sendable {
    private let pool: ConnectionPool
    /// The time zone days and weeks are counted in.
    public let timeZone: TimeZone

    /// The county's default time zone.
    public static let defaultTimeZone = TimeZone(identifier: "Asia/Shanghai")!

    /// A review over the read models in `pool`'s database.
    public init(pool: ConnectionPool, timeZone: TimeZone = Review.defaultTimeZone) {
        self.pool = pool
        self.timeZone = timeZone
    }

    /// One table. A grouping the table cannot be broken down by falls back to its first one.
    public func table(_ table: ReviewTable, _ query: ReviewQuery) async throws -> MetricTable {
        let grouping = table.groupings.contains(query.grouping) ? query.grouping : table.groupings.first ?? .organisation
        let columns = table.columns(groupedBy: grouping)
        let result = try await pool.query(EmbeddedSQL.statement("table_\(table.rawValue)"), [
            query.from, query.to, grouping.rawValue, query.township, query.kind?.rawValue, timeZone.identifier,
        ])
        let rows = try result.map { row in
            try columns.indices.map { i throws(PostgresError) -> MetricTable.Cell in
                switch columns[i].type {
                case .text: try row.decode(String?.self, at: i).map(MetricTable.Cell.text) ?? .empty
                case .integer: try row.decode(Int?.self, at: i).map(MetricTable.Cell.integer) ?? .empty
                case .number: try row.decode(Double?.self, at: i).map(MetricTable.Cell.number) ?? .empty
                }
            }
        }
        return MetricTable(table: table, columns: columns, rows: rows)
    }

    /// Every table, in ``ReviewTable`` order.
    public func tables(_ query: ReviewQuery) async throws -> [MetricTable] {
        var tables: [MetricTable] = []
        for table in ReviewTable.allCases { tables.append(try await self.table(table, query)) }
        return tables
    }

    /// The townships the read models know (for filters), in code order.
    public func townships() async throws -> [String] {
        try await pool.query(EmbeddedSQL.statement("townships")).map { try $0.decode(String.self, at: 0) }
    }

    /// The shortest reason a drill-down accepts.
    public static let shortestReason = 10

    /// One case's obligations and contributions, for `principal` who states `reason`; nil when oversight
    /// knows no such case (and then nothing is logged). The read and its audit record commit together.
    public func drillDown(to caseID: String, by principal: Principal, reason: String) async throws -> CaseHistory? {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        precondition(reason.count >= Self.shortestReason, "callers check the reason first")
        return try await pool.withTransaction { c in
            guard let row = try c.execute(EmbeddedSQL.statement("drill_down_case"), [caseID]).first else { return nil }
            let obligations = try c.execute(EmbeddedSQL.statement("drill_down_obligations"), [caseID]).map { r throws(PostgresError) in
                CaseHistory.Obligation(
                    id: try r.decode(String.self, at: 0), rule: try r.decode(String.self, at: 1), action: try r.decode(String.self, at: 2),
                    owner: try r.decode(String.self, at: 3), openedAt: try r.decode(Date?.self, at: 4), dueAt: try r.decode(Date?.self, at: 5),
                    closedAt: try r.decode(Date?.self, at: 6), outcome: try r.decode(String?.self, at: 7), late: try r.decode(Bool?.self, at: 8),
                    highestLevel: try r.decode(Int?.self, at: 9))
            }
            let contributions = try c.execute(EmbeddedSQL.statement("drill_down_contributions"), [caseID]).map { r throws(PostgresError) in
                CaseHistory.Contribution(organisation: try r.decode(String.self, at: 0), kind: try r.decode(String.self, at: 1),
                                         what: try r.decode(String.self, at: 2), at: try r.decode(Date.self, at: 3))
            }
            _ = try c.execute(EmbeddedSQL.statement("audit_drill_down"), [principal.organisation, principal.keyID, caseID, reason])
            return CaseHistory(caseID: try row.decode(String.self, at: 0), lead: try row.decode(String?.self, at: 1),
                               township: try row.decode(String?.self, at: 3), openedAt: try row.decode(Date?.self, at: 4),
                               firstMeasureAt: try row.decode(Date?.self, at: 5), state: try row.decode(String.self, at: 6),
                               obligations: obligations, contributions: contributions)
        }
    }
}

/// What a drill-down shows of one case: who owed what and when they answered, and who contributed.
/// No household data: oversight sees response times, not the household (domain brief §8.3).
public struct CaseHistory: Sendable, Hashable {
    /// One obligation of the case.
    public struct Obligation: Sendable, Hashable {
        /// Its id.
        public var id: String
        /// Its rule.
        public var rule: String
        /// What was owed.
        public var action: String
        /// Who owed it.
        public var owner: String
        /// When it opened.
        public var openedAt: Date?
        /// When it was due.
        public var dueAt: Date?
        /// When it closed.
        public var closedAt: Date?
        /// How it closed.
        public var outcome: String?
        /// Whether it was answered late.
        public var late: Bool?
        /// The highest rung of the ladder it reached (1–4).
        public var highestLevel: Int?
    }

    /// One contribution to the case.
    public struct Contribution: Sendable, Hashable {
        /// Who contributed.
        public var organisation: String
        /// Their kind.
        public var kind: String
        /// What (`measure`, `placement`, `disbursement`, `claim`).
        public var what: String
        /// When.
        public var at: Date
    }

    /// The case.
    public var caseID: String
    /// Its lead organisation.
    public var lead: String?
    /// Its township.
    public var township: String?
    /// When it opened.
    public var openedAt: Date?
    /// When its first measure came.
    public var firstMeasureAt: Date?
    /// `open` or `closed`.
    public var state: String
    /// Its obligations.
    public var obligations: [Obligation]
    /// Its contributions.
    public var contributions: [Contribution]
}
