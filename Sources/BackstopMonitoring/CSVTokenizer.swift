/// Splits CSV text (RFC 4180: comma-separated, double-quoted fields with `""` for a quote, CRLF or
/// LF line ends) into rows, fed in chunks of bytes as they arrive, so a push of any size is read in
/// constant memory. A UTF-8 byte-order mark at the start is skipped.
public struct CSVTokenizer: Sendable {
    private var field: [UInt8] = []
    private var fields: [String] = []
    private var quoted = false      // inside a quoted field
    private var quoteSeen = false   // a quote inside a quoted field: the end, or the first of `""`
    private var wasQuoted = false   // the current field was quoted (so text after it is an error)
    private var started = false
    private var pendingCR = false
    /// Rows emitted so far (the header counts).
    public private(set) var rows = 0
    /// A problem with the text itself (a quote in the middle of an unquoted field, text after a
    /// closing quote, an unterminated quote), with its row; the tokenizer keeps going.
    public private(set) var malformedRows: [(row: Int, message: String)] = []

    /// A tokenizer at the start of a file.
    public init() {}

    /// Feeds the next chunk; `row` is called with each complete row and its number (from 1).
    public mutating func feed(_ bytes: some Sequence<UInt8>, row: (inout [String], Int) throws -> Void) rethrows {
        for byte in bytes {
            if !started {
                started = true
                if byte == 0xEF { bomBytes = 1; continue }
            }
            if bomBytes > 0 {
                if (bomBytes == 1 && byte == 0xBB) || (bomBytes == 2 && byte == 0xBF) {
                    bomBytes = bomBytes == 2 ? 0 : 2
                    continue
                }
                // Not a byte-order mark after all: keep what was skipped.
                field.append(0xEF)
                if bomBytes == 2 { field.append(0xBB) }
                bomBytes = 0
            }
            try take(byte, row: row)
        }
    }

    private var bomBytes = 0

    private mutating func take(_ byte: UInt8, row: (inout [String], Int) throws -> Void) rethrows {
        if pendingCR {
            pendingCR = false
            if byte == 0x0A { return }
        }
        if quoted {
            if quoteSeen {
                quoteSeen = false
                if byte == 0x22 { field.append(0x22); return }
                quoted = false
                // fall through: the byte after the closing quote
            } else {
                if byte == 0x22 { quoteSeen = true } else { field.append(byte) }
                return
            }
        }
        switch byte {
        case 0x2C:  // ,
            endField()
        case 0x0A, 0x0D:
            if byte == 0x0D { pendingCR = true }
            try endRow(row)
        case 0x22:  // "
            if field.isEmpty && !wasQuoted {
                quoted = true
                wasQuoted = true
            } else {
                malformed("a quote may only open a field; write a quote inside a quoted field as \"\"")
                field.append(byte)
            }
        default:
            if wasQuoted && !malformedThisRow {
                malformed("text after the closing quote of a field")
            }
            field.append(byte)
        }
    }

    private var malformedThisRow = false

    private mutating func malformed(_ message: String) {
        guard !malformedThisRow else { return }
        malformedThisRow = true
        malformedRows.append((rows + 1, message))
    }

    private mutating func endField() {
        fields.append(String(decoding: field, as: UTF8.self))
        field.removeAll(keepingCapacity: true)
        wasQuoted = false
    }

    private mutating func endRow(_ row: (inout [String], Int) throws -> Void) rethrows {
        // A blank line (no fields, nothing typed) is skipped.
        if fields.isEmpty && field.isEmpty && !wasQuoted { return }
        endField()
        rows += 1
        malformedThisRow = false
        try row(&fields, rows)
        fields.removeAll(keepingCapacity: true)
    }

    /// Ends the text: emits a last row without a line end, and reports an unterminated quote.
    public mutating func finish(row: (inout [String], Int) throws -> Void) rethrows {
        if bomBytes > 0 {
            field.append(0xEF)
            if bomBytes == 2 { field.append(0xBB) }
            bomBytes = 0
        }
        if quoted && !quoteSeen {
            malformed("a quoted field is never closed")
        }
        quoted = false
        quoteSeen = false
        try endRow(row)
    }
}
