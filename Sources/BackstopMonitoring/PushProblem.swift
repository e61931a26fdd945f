/// One thing wrong with a push: the row (CSV: counting the header as row 1; JSON: the record's
/// index) and the column or field at fault.
public struct PushProblem: Sendable, Hashable, CustomStringConvertible {
    /// The row: 1-based line of a CSV file (header = 1), or the 0-based index of a JSON record;
    /// nil for a problem with the push as a whole.
    public var row: Int?
    /// The column or field name (empty for the whole row or push).
    public var column: String
    /// What is wrong.
    public var message: String

    /// A problem at `row` and `column`.
    public init(row: Int?, column: String, message: String) {
        self.row = row
        self.column = column
        self.message = message
    }

    public var description: String {
        let place = [row.map { "row \($0)" }, column.isEmpty ? nil : column].compactMap { $0 }.joined(separator: ", ")
        return place.isEmpty ? message : "\(place): \(message)"
    }
}

/// A push was refused as a whole; nothing was written. Lists the first ``PushRejected/listed``
/// problems and counts all of them.
public struct PushRejected: Error, Sendable, CustomStringConvertible {
    /// The problems found, in row order, at most ``listed`` of them.
    public var problems: [PushProblem]
    /// How many problems there were in all.
    public var total: Int

    /// How many problems a rejection lists.
    public static let listed = 1000

    /// A rejection listing `problems` out of `total`.
    public init(problems: [PushProblem], total: Int) {
        self.problems = problems
        self.total = total
    }

    public var description: String {
        var lines = ["the push was refused and nothing was written: \(total) problem\(total == 1 ? "" : "s")"]
        lines += problems.map { "  \($0)" }
        if total > problems.count { lines.append("  … and \(total - problems.count) more") }
        return lines.joined(separator: "\n")
    }
}

/// The same push (department, indicator set and period) was already received with other content.
public struct PushConflict: Error, Sendable, CustomStringConvertible {
    /// The push already received.
    public var existing: PushReceipt

    public var description: String {
        "a push of \(existing.pushKey) from \(existing.department) was already received on \(existing.receivedAt) with other content; "
            + "a department corrects a push through the county office, not by sending another"
    }
}
