import BackstopAccess
import BackstopBus
import BackstopContracts
import BackstopPostgres
import Foundation

/// What a push's receipt says: the push stored (or the one already stored for the same
/// department and push key, when this was a repeat).
public struct PushReceipt: Sendable, Hashable {
    /// The push id.
    public var pushID: String
    /// The department that pushed.
    public var department: String
    /// The indicator set.
    public var set: String
    /// The period.
    public var period: String
    /// The disaster the push answers, if any.
    public var disasterID: String?
    /// `<set>/<period or disaster>`.
    public var pushKey: String
    /// The digest of the records.
    public var digest: String
    /// Records in the push.
    public var records: Int
    /// Records that met a screening rule.
    public var flagged: Int
    /// Risk clues published.
    public var clues: Int
    /// When it was received.
    public var receivedAt: Date
    /// True when the push had already been received and nothing changed.
    public var duplicate: Bool
}

/// Stores a screened push and publishes it, atomically: the push row, its flagged records, the
/// `data_push.received` event and one `risk.clue.reported` per flagged record commit together or
/// not at all. The same push (department, push key, digest) again changes nothing; other content
/// for a push key already received is a ``PushConflict``.
public struct PushIntake: Sendable {
    /// The bus the push is published on.
    public let bus: Bus
    private let sql = MonitoringSQL()

    /// An intake publishing on `bus`.
    public init(bus: Bus) { self.bus = bus }

    /// How the push arrived.
    public enum Channel: String, Sendable {
        /// `POST /v1/pushes` with a JSON batch.
        case json
        /// `POST /v1/pushes/csv`.
        case csv
        /// `backstop push import`.
        case cli
    }

    /// Stores and publishes `push`, received now through `channel`.
    public func store(_ push: ScreenedPush, via channel: Channel, at receivedAt: Date = Date()) async throws -> PushReceipt {
        let pushID = UUID(uuidString: EventID.make(at: receivedAt)) ?? UUID()
        let id = pushID.uuidString.lowercased()
        let summary = CloudEvent(
            source: "/orgs/\(push.department)",
            payload: DataPushReceivedV1(
                clueCount: push.flagged.count, digest: push.digest, disasterId: push.disasterID, flaggedCount: push.flagged.count,
                indicatorSet: push.set, period: push.period, pushId: id, pushKey: push.pushKey, receivedAt: EventTime.format(receivedAt),
                recordCount: push.records, sourceDept: push.department),
            time: receivedAt, idempotencyKey: "data_push.received/\(push.pushKey)")
        let sql = self.sql, bus = self.bus
        return try await bus.transaction { c in
            _ = try c.executePrepared("monitoring_push_lock", sql.pushLock, [push.department, push.pushKey])
            if let row = try c.executePrepared("monitoring_push_find", sql.pushFind, [push.department, push.pushKey]).first {
                let existing = try Self.receipt(row, department: push.department, pushKey: push.pushKey, duplicate: true)
                guard existing.digest == push.digest else { throw PushConflict(existing: existing) }
                return existing
            }
            _ = try c.executePrepared("monitoring_push_insert", sql.pushInsert, [
                id, push.department, push.set, push.period, push.disasterID, push.pushKey, push.digest, push.records,
                push.flagged.count, push.flagged.count, channel.rawValue, receivedAt,
            ])
            _ = try bus.publish([summary], in: c)
            // A thousand flagged records at a time: their clues are built, kept and published
            // chunk by chunk, so memory holds one chunk of events however large the push.
            for start in stride(from: 0, to: push.flagged.count, by: 1000) {
                let chunk = push.flagged[start..<min(start + 1000, push.flagged.count)]
                let clues = chunk.map { Self.clue(for: $0, of: push, pushID: id, at: receivedAt) }
                _ = try c.executePrepared("monitoring_flagged_insert", sql.flaggedInsert, [
                    id, chunk.map(\.row), chunk.map(\.record.householdRef), chunk.map(\.record.indicator), chunk.map(\.record.value),
                    chunk.map(\.record.unit.rawValue), chunk.map(\.record.locationCode), chunk.map(\.record.population.rawValue),
                    chunk.map { $0.hits.map(\.rule.id).joined(separator: ",") }, chunk.map { $0.hits.map(\.band).joined(separator: ",") },
                    clues.map(\.clueID),
                ])
                _ = try bus.publish(clues.map(\.event), in: c)
            }
            return PushReceipt(pushID: id, department: push.department, set: push.set, period: push.period, disasterID: push.disasterID,
                               pushKey: push.pushKey, digest: push.digest, records: push.records, flagged: push.flagged.count,
                               clues: push.flagged.count, receivedAt: receivedAt, duplicate: false)
        }
    }

    /// The department's pushes, newest first.
    public func pushes(of department: String, limit: Int = 100) async throws -> [PushReceipt] {
        let rows = try await bus.pool.query(sql.pushList, [department, limit])
        return try rows.map { row in try Self.receipt(row, department: department, pushKey: try row.decode(String.self, at: 9), duplicate: false) }
    }

    private static func receipt(_ row: PostgresRow, department: String, pushKey: String, duplicate: Bool) throws -> PushReceipt {
        PushReceipt(pushID: try row.decode(String.self, at: 0), department: department, set: try row.decode(String.self, at: 1),
                    period: try row.decode(String.self, at: 2), disasterID: try row.decode(String?.self, at: 3), pushKey: pushKey,
                    digest: try row.decode(String.self, at: 4), records: try row.decode(Int.self, at: 5), flagged: try row.decode(Int.self, at: 6),
                    clues: try row.decode(Int.self, at: 7), receivedAt: try row.decode(Date.self, at: 8), duplicate: duplicate)
    }

    /// The risk clue for a flagged record: the rule that fired first (its categories first, then
    /// those of any other rule it fired) and a band; never the value.
    static func clue(for flagged: FlaggedRecord, of push: ScreenedPush, pushID: String, at time: Date) -> (clueID: String, event: CloudEvent) {
        let main = flagged.hits[0]
        var categories: [RiskCategory] = []
        for name in flagged.hits.flatMap(\.rule.riskCategories) {
            if let c = RiskCategory(rawValue: name), !categories.contains(c), categories.count < 6 { categories.append(c) }
        }
        let clueID = EventID.make(at: time)
        let payload = RiskClueReportedV1(
            clueId: clueID, detectedAt: EventTime.format(time), detectedBy: .deptPush, evidenceRefs: ["push/\(pushID)/row-\(flagged.row)"],
            householdRef: flagged.record.householdRef,
            indicator: .init(band: .init(rawValue: main.band), code: flagged.record.indicator, thresholdRuleId: main.rule.id),
            locationCode: flagged.record.locationCode, riskCategories: categories, sourceDept: push.department)
        let event = CloudEvent(source: "/orgs/\(push.department)", payload: payload, time: time, districtCode: flagged.record.locationCode,
                               idempotencyKey: "risk.clue.reported/\(push.pushKey)/row-\(flagged.row)")
        return (clueID, event)
    }
}

/// The monitoring statements (from `SQL/*.sql`).
struct MonitoringSQL: Sendable {
    let pushLock = EmbeddedSQL.statement("push_lock")
    let pushFind = EmbeddedSQL.statement("push_find")
    let pushInsert = EmbeddedSQL.statement("push_insert")
    let flaggedInsert = EmbeddedSQL.statement("flagged_insert")
    let pushList = EmbeddedSQL.statement("push_list")
}

/// The monitoring tables as migrations numbered from 5001.
public enum MonitoringSchema {
    /// The monitoring migrations, ordered by version.
    public static func migrations() throws -> [Migration] {
        try Migration.parse(files: EmbeddedSQL.files)
    }
}

/// A flagged record with its raw value, as the department service keeps it.
public struct FlaggedRecordRow: Sendable, Hashable {
    /// Its row in the push.
    public var row: Int
    /// The household.
    public var householdRef: String
    /// The indicator.
    public var indicator: String
    /// The raw value.
    public var value: Double
    /// Its unit.
    public var unit: String
    /// The household's place.
    public var locationCode: String
    /// Its population.
    public var population: String
    /// The rules it met.
    public var rules: [String]
    /// The band for each rule.
    public var bands: [String]
    /// The clue published for it.
    public var clueID: String
}

extension PushIntake {
    /// The flagged records of one of `principal`'s pushes, raw values included, and the audit-log
    /// row saying who read them and why, in one transaction. Nil when the organisation sent no
    /// such push.
    public func flaggedRecords(of pushID: String, by principal: Principal, purpose: Purpose) async throws -> [FlaggedRecordRow]? {
        guard UUID(uuidString: pushID) != nil else { return nil }
        return try await bus.pool.withTransaction { c in
            let owner = try c.executePrepared("monitoring_push_owner", "SELECT department FROM backstop.data_pushes WHERE push_id = $1::uuid", [pushID])
            guard let department = try owner.first?.decode(String.self, at: 0), department == principal.organisation else { return nil }
            let rows = try c.executePrepared("monitoring_flagged_list", EmbeddedSQL.statement("flagged_list"), [pushID]).map { row in
                FlaggedRecordRow(row: try row.decode(Int.self, at: 0), householdRef: try row.decode(String.self, at: 1),
                                 indicator: try row.decode(String.self, at: 2), value: try row.decode(Double.self, at: 3),
                                 unit: try row.decode(String.self, at: 4), locationCode: try row.decode(String.self, at: 5),
                                 population: try row.decode(String.self, at: 6), rules: try row.decode([String].self, at: 7),
                                 bands: try row.decode([String].self, at: 8), clueID: try row.decode(String.self, at: 9))
            }
            try AuditLog(pool: bus.pool).recordRead(by: principal, ofType: DataPushReceivedV1.eventType, id: pushID,
                                                    fields: ["/records/*/value", "/records/*/household_ref"], purpose: purpose, in: c)
            return rows
        }
    }
}
