import Foundation

/// A Swift value that can be read from a PostgreSQL column in text format.
public protocol PostgresDecodable: Sendable {
    /// Parses PostgreSQL's text output for the column.
    init(postgresText text: String) throws(PostgresError)
}

extension PostgresError {
    static func undecodable(_ text: String, as type: Any.Type) -> PostgresError {
        PostgresError(code: .decoding, message: "cannot decode \(type) from '\(text.prefix(64))'")
    }
}

extension PostgresDecodable where Self: LosslessStringConvertible {
    /// Numbers parse from their text form.
    public init(postgresText text: String) throws(PostgresError) {
        guard let v = Self(text) else { throw .undecodable(text, as: Self.self) }
        self = v
    }
}

extension String: PostgresDecodable {
    public init(postgresText text: String) { self = text }
}

extension Int: PostgresDecodable {}

extension Int32: PostgresDecodable {}

extension Int64: PostgresDecodable {}

extension Double: PostgresDecodable {}

extension Bool: PostgresDecodable {
    public init(postgresText text: String) throws(PostgresError) {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw .undecodable(text, as: Bool.self)
        }
    }
}

extension UUID: PostgresDecodable {
    public init(postgresText text: String) throws(PostgresError) {
        guard let v = UUID(uuidString: text) else { throw .undecodable(text, as: UUID.self) }
        self = v
    }
}

extension Date: PostgresDecodable {
    public init(postgresText text: String) throws(PostgresError) {
        guard let v = PostgresTimestamp.parse(text) else { throw .undecodable(text, as: Date.self) }
        self = v
    }
}

extension Data: PostgresDecodable {
    /// Reads bytea in hex output format (`\x…`, PostgreSQL's default).
    public init(postgresText text: String) throws(PostgresError) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"), bytes.count % 2 == 0 else {
            throw .undecodable(text, as: Data.self)
        }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            case 65...70: c - 55
            default: nil
            }
        }
        var out = Data(capacity: (bytes.count - 2) / 2)
        var i = 2
        while i < bytes.count {
            guard let hi = nibble(bytes[i]), let lo = nibble(bytes[i + 1]) else { throw .undecodable(text, as: Data.self) }
            out.append(hi << 4 | lo)
            i += 2
        }
        self = out
    }
}

extension PostgresJSON: PostgresDecodable {
    public init(postgresText text: String) { self.init(text) }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init(postgresText text: String) throws(PostgresError) {
        self = .some(try Wrapped(postgresText: text))
    }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    /// Reads a one-dimensional array literal such as `{1,2}` or `{"a b",NULL}`. NULL elements are only
    /// allowed when `Element` is optional.
    public init(postgresText text: String) throws(PostgresError) {
        guard let items = PostgresArrayLiteral.parse(text) else { throw .undecodable(text, as: [Element].self) }
        var out: [Element] = []
        out.reserveCapacity(items.count)
        for item in items {
            if let item {
                out.append(try Element(postgresText: item))
            } else if let nullValue = (Element.self as? any ExpressibleByNilLiteral.Type)?.init(nilLiteral: ()) as? Element {
                out.append(nullValue)
            } else {
                throw .undecodable(text, as: [Element].self)
            }
        }
        self = out
    }
}

/// Parser for PostgreSQL's one-dimensional array output format.
enum PostgresArrayLiteral {
    /// Splits `{a,"b c",NULL}` into its elements (`nil` for NULL); `nil` if the text is malformed.
    static func parse(_ text: String) -> [String?]? {
        var scalars = Substring(text).unicodeScalars[...]
        // Arrays with explicit bounds print as `[0:1]={…}`.
        if scalars.first == "[", let eq = scalars.firstIndex(of: "=") { scalars = scalars[scalars.index(after: eq)...] }
        guard scalars.first == "{", scalars.last == "}" else { return nil }
        scalars = scalars.dropFirst().dropLast()
        if scalars.isEmpty { return [] }
        var items: [String?] = []
        var current = String.UnicodeScalarView()
        var quoted = false, wasQuoted = false, escaped = false
        for ch in scalars {
            if escaped { current.append(ch); escaped = false; continue }
            if quoted {
                if ch == "\\" { escaped = true } else if ch == "\"" { quoted = false } else { current.append(ch) }
                continue
            }
            switch ch {
            case "\"": quoted = true; wasQuoted = true
            case "\\": escaped = true
            case ",":
                let s = String(current)
                items.append(!wasQuoted && s == "NULL" ? nil : s)
                current = String.UnicodeScalarView(); wasQuoted = false
            case "{", "}": return nil  // nested arrays are not used by Backstop
            default: current.append(ch)
            }
        }
        if quoted || escaped { return nil }
        let s = String(current)
        items.append(!wasQuoted && s == "NULL" ? nil : s)
        return items
    }
}
