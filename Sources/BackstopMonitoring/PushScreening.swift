import Crypto
import Foundation

/// One push being read: checks every record, screens the good ones, and keeps only what the push
/// must remember (the flagged records, the digest, counts), so memory does not grow with the
/// number of records. Pure: no database, no clock.
public struct PushScreening: Sendable {
    /// The department pushing.
    public let department: String
    /// The indicator set.
    public let set: ScreeningRules.IndicatorSet
    /// The period (`YYYY-MM` or `YYYY`).
    public let period: String
    /// The disaster the push answers, for sets pushed after each disaster.
    public let disasterID: String?
    private let screener: Screener
    private let check: RecordCheck
    private var hasher = SHA256()
    private var columns: [String: Int]?
    private var headerCount = 0
    private var tokenizer: CSVTokenizer?
    private var headerBroken = false
    /// Records read (good and bad).
    public private(set) var records = 0
    /// The records that fired a rule, with their row and the rules.
    public private(set) var flagged: [FlaggedRecord] = []
    /// The first ``PushRejected/listed`` problems.
    public private(set) var problems: [PushProblem] = []
    /// Every problem counted.
    public private(set) var problemCount = 0

    /// Starts reading a push of `setName` for `period` by `department`; throws when the push as a
    /// whole is wrong (unknown set, a department that does not push it, a malformed period).
    public init(rules: ScreeningRules, department: String, setName: String, period: String, disasterID: String? = nil) throws(PushRejected) {
        var whole: [PushProblem] = []
        let set = rules.sets[setName]
        if set == nil {
            whole.append(PushProblem(row: nil, column: "indicator_set", message: "'\(setName)' is not an indicator set (\(rules.sets.keys.sorted().joined(separator: ", ")))"))
        } else if !set!.departments.contains(department) {
            whole.append(PushProblem(row: nil, column: "indicator_set", message: "\(department) does not push \(setName) (pushed by \(set!.departments.joined(separator: ", ")))"))
        }
        if let kind = set?.period {
            let parsed = PushPeriod(period)
            let monthly = kind == .month || kind == .disaster
            if parsed == nil || (parsed!.month != nil) != monthly {
                whole.append(PushProblem(row: nil, column: "period", message: "'\(period)' is not a \(monthly ? "month (YYYY-MM)" : "year (YYYY)") for \(setName)"))
            }
            if kind == .disaster && (disasterID ?? "").isEmpty {
                whole.append(PushProblem(row: nil, column: "disaster_id", message: "\(setName) is pushed after a disaster: name the disaster"))
            }
        }
        if let disasterID, !Self.isDisasterID(disasterID) {
            whole.append(PushProblem(row: nil, column: "disaster_id", message: "must be 1–64 letters, digits, '.', '_' or '-'"))
        }
        guard whole.isEmpty, let set else { throw PushRejected(problems: whole, total: whole.count) }
        self.department = department
        self.set = set
        self.period = period
        self.disasterID = disasterID
        screener = Screener(rules: rules)
        check = RecordCheck(rules: rules, set: set, period: period)
    }

    /// The key the push duty (rule D7) is linked by: `<set>/<period>` or `<set>/<disaster id>`.
    public var pushKey: String { "\(set.name)/\(disasterID ?? period)" }

    // MARK: CSV

    /// Reads the next chunk of a CSV push (the header row first), as it arrives.
    public mutating func csv(_ bytes: some Sequence<UInt8>) {
        var reader = tokenizer ?? CSVTokenizer()
        reader.feed(bytes) { fields, row in csvRow(fields, row: row) }
        tokenizer = reader
    }

    /// Reads the header row of a CSV push: every required column once, nothing unknown.
    public mutating func header(_ fields: [String]) {
        var index: [String: Int] = [:]
        for (i, name) in fields.enumerated() {
            let name = name.trimmingCharacters(in: .whitespaces)
            if !RecordCheck.columns.contains(name) {
                problem(row: 1, column: name, "is not a record column (\(RecordCheck.columns.joined(separator: ", ")))")
            } else if index[name] != nil {
                problem(row: 1, column: name, "appears twice")
            } else {
                index[name] = i
            }
        }
        for name in RecordCheck.columns.filter(RecordCheck.required.contains) where index[name] == nil {
            problem(row: 1, column: name, "the header lacks this column")
        }
        columns = index
        headerCount = fields.count
        headerBroken = problemCount > 0
    }

    /// Reads one CSV data row (`row` counts the header as 1).
    public mutating func csvRow(_ fields: [String], row: Int) {
        guard let columns else { return header(fields) }
        // With a broken header every row would repeat its problem: rows are counted, not checked.
        guard !headerBroken else {
            records += 1
            return
        }
        guard fields.count == headerCount else {
            records += 1
            return problem(row: row, column: "", "has \(fields.count) fields; the header has \(headerCount)")
        }
        add(row: row) { name in columns[name].map { fields[$0] } }
    }


    /// Notes a row the CSV reader found malformed.
    public mutating func malformedRow(_ row: Int, _ message: String) { problem(row: row, column: "", message) }

    // MARK: records

    /// Reads one record whose fields `field` gives by column name.
    public mutating func add(row: Int, field: (String) -> String?) {
        records += 1
        let (record, found) = check.record(row: row, field: field)
        guard let record else {
            for p in found { problem(row: p.row, column: p.column, p.message) }
            return
        }
        if let missing = screener.missingLine(for: record) { return problem(row: row, column: "value", missing) }
        hasher.update(data: Array(record.canonicalLine.utf8))
        let hits = screener.hits(record)
        if !hits.isEmpty { flagged.append(FlaggedRecord(row: row, record: record, hits: hits)) }
    }

    private mutating func problem(row: Int?, column: String, _ message: String) {
        problemCount += 1
        if problems.count < PushRejected.listed { problems.append(PushProblem(row: row, column: column, message: message)) }
    }

    /// Ends the push (and a CSV push's last row): the screened result, or the rejection listing
    /// every problem.
    public mutating func finish() throws(PushRejected) -> ScreenedPush {
        if var reader = tokenizer {
            reader.finish { fields, row in csvRow(fields, row: row) }
            for bad in reader.malformedRows { malformedRow(bad.row, bad.message) }
            tokenizer = nil
        }
        var problems = self.problems, total = problemCount
        if records == 0 && total == 0 {
            problems.append(PushProblem(row: nil, column: "records", message: "the push has no records"))
            total = 1
        }
        guard total == 0 else { throw PushRejected(problems: problems.sorted { ($0.row ?? 0) < ($1.row ?? 0) }, total: total) }
        let digest = hasher.finalize().map { String($0, radix: 16).leftPadded(2) }.joined()
        return ScreenedPush(department: department, set: set.name, period: period, disasterID: disasterID, pushKey: pushKey,
                            records: records, digest: "sha256:" + digest, flagged: flagged)
    }

    static func isDisasterID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        func allowed(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) }
        guard (1...64).contains(bytes.count), allowed(bytes[0]) else { return false }
        return bytes.allSatisfy { allowed($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }
    }
}

/// A record that fired at least one screening rule.
public struct FlaggedRecord: Sendable, Hashable {
    /// Its row in the push.
    public var row: Int
    /// The record, raw value included (kept by the department service only).
    public var record: IndicatorRecord
    /// The rules it fired.
    public var hits: [ScreeningHit]
}

/// A push that passed every check, ready to be stored and published.
public struct ScreenedPush: Sendable {
    /// The department.
    public var department: String
    /// The indicator set.
    public var set: String
    /// The period.
    public var period: String
    /// The disaster it answers, if any.
    public var disasterID: String?
    /// `<set>/<period or disaster>`.
    public var pushKey: String
    /// How many records it had.
    public var records: Int
    /// `sha256:` and the hex SHA-256 of its records in canonical form.
    public var digest: String
    /// The records that fired rules.
    public var flagged: [FlaggedRecord]
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
