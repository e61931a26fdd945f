import Foundation

/// A Swift value that can be sent to PostgreSQL as a bound parameter.
///
/// Values travel in PostgreSQL's text format and the server casts them to the parameter's type, so a
/// statement names types where they are not obvious (`$1::uuid[]`). `nil` is SQL NULL.
public protocol PostgresEncodable: Sendable {
    /// The value in PostgreSQL's text input format, or `nil` for NULL.
    var postgresText: String? { get }
}

extension String: PostgresEncodable {
    public var postgresText: String? { self }
}

extension Substring: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Int: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Int32: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Int64: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Double: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Bool: PostgresEncodable {
    public var postgresText: String? { self ? "t" : "f" }
}

extension UUID: PostgresEncodable {
    public var postgresText: String? { uuidString.lowercased() }
}

extension Date: PostgresEncodable {
    public var postgresText: String? { PostgresTimestamp.format(self) }
}

extension Data: PostgresEncodable {
    /// bytea in hex format: `\x0a1b…`.
    public var postgresText: String? {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]("\\x".utf8)
        out.reserveCapacity(2 + count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresText: String? { self.flatMap { $0.postgresText } }
}

extension Array: PostgresEncodable where Element: PostgresEncodable {
    /// An array literal (`{"a","b",NULL}`); every element is quoted, so any text is safe.
    public var postgresText: String? {
        // Built as bytes: arrays of whole event envelopes are bound on every publish.
        var out: [UInt8] = [UInt8(ascii: "{")]
        var texts: [String?] = []
        texts.reserveCapacity(count)
        var size = 2
        for element in self {
            let text = element.postgresText
            size += (text?.utf8.count ?? 4) + 3
            texts.append(text)
        }
        out.reserveCapacity(size + size / 16)
        for (index, text) in texts.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            guard let text else {
                out.append(contentsOf: "NULL".utf8)
                continue
            }
            out.append(UInt8(ascii: "\""))
            for byte in text.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}

/// A JSON document bound as text; cast it in SQL (`$1::jsonb`).
public struct PostgresJSON: PostgresEncodable, Hashable {
    /// The JSON text.
    public var text: String
    /// Wraps JSON text.
    public init(_ text: String) { self.text = text }
    public var postgresText: String? { text }
}
