import Foundation

/// One table of a review: named columns and rows of cells, as the dashboard shows it and as CSV.
public struct MetricTable: Sendable, Hashable {
    /// A column.
    public struct Column: Sendable, Hashable {
        /// Machine name (`median_hours`), also the CSV header.
        public var name: String
        /// Human label (`Median (h)`).
        public var label: String
        /// What its cells hold.
        public var type: CellType

        /// A column.
        public init(_ name: String, _ label: String, _ type: CellType) {
            self.name = name
            self.label = label
            self.type = type
        }
    }

    /// What a column's cells hold.
    public enum CellType: String, Sendable, Hashable {
        /// Text.
        case text
        /// A count.
        case integer
        /// A measured value (hours, days, a percentage).
        case number
    }

    /// One cell.
    public enum Cell: Sendable, Hashable {
        /// Text.
        case text(String)
        /// A count.
        case integer(Int)
        /// A measured value.
        case number(Double)
        /// No value (for example a median of nothing).
        case empty

        /// The cell as plain text (empty for no value).
        public var text: String {
            switch self {
            case .text(let s): s
            case .integer(let n): String(n)
            case .number(let x): x == x.rounded() && abs(x) < 1e15 ? String(format: "%.0f", x) : String(format: "%.1f", x)
            case .empty: ""
            }
        }

        /// The cell as a number, if it is one.
        public var number: Double? {
            switch self {
            case .integer(let n): Double(n)
            case .number(let x): x
            case .text, .empty: nil
            }
        }
    }

    /// Which table.
    public var table: ReviewTable
    /// Its columns.
    public var columns: [Column]
    /// Its rows, each with one cell per column.
    public var rows: [[Cell]]

    /// A table.
    public init(table: ReviewTable, columns: [Column], rows: [[Cell]]) {
        self.table = table
        self.columns = columns
        self.rows = rows
    }

    /// The cells of the column called `name`, top to bottom.
    public func column(_ name: String) -> [Cell] {
        guard let i = columns.firstIndex(where: { $0.name == name }) else { return [] }
        return rows.map { $0[i] }
    }

    /// The table as CSV (RFC 4180: comma-separated, CRLF line ends, fields quoted when they hold a
    /// comma, quote or line break), with a header of column names. A field that a spreadsheet would
    /// run as a formula (starting with `=`, `+`, `-` or `@`) is prefixed with `'`.
    public var csv: String {
        var lines = [columns.map { Self.field($0.name) }.joined(separator: ",")]
        for row in rows {
            lines.append(row.map { cell in
                if case .text(let s) = cell { return Self.field(s) }
                return cell.text
            }.joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func field(_ text: String) -> String {
        var value = text
        if let first = value.first, "=+-@".contains(first) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
