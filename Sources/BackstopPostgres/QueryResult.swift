/// The rows a statement returned, copied out of libpq so they can cross threads.
public struct QueryResult: Sendable, Sequence {
    /// Column names, in order.
    public let columns: [String]
    /// Rows; each holds the text of every column, `nil` for NULL.
    public let rows: [PostgresRow]
    /// Rows inserted, updated or deleted, as reported by the server (0 for queries).
    public let affectedRows: Int

    /// The number of rows.
    public var count: Int { rows.count }
    /// The first row, if any.
    public var first: PostgresRow? { rows.first }

    public func makeIterator() -> IndexingIterator<[PostgresRow]> { rows.makeIterator() }
}

/// One result row. Columns are read by position or name and decoded into Swift types.
///
/// ```swift
/// for row in try await conn.query("SELECT id, name FROM t") {
///     let id = try row.decode(Int.self, at: 0)
///     let name = try row.decode(String?.self, "name")
/// }
/// ```
public struct PostgresRow: Sendable {
    let names: [String]
    /// The raw text of each column (`nil` for NULL).
    public let values: [String?]

    /// Decodes column `index` as `T`. NULL decodes only into an optional type.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at index: Int) throws(PostgresError) -> T {
        guard index < values.count else {
            throw PostgresError(code: .decoding, message: "no column \(index) (the row has \(values.count))")
        }
        guard let text = values[index] else {
            if let nilValue = (T.self as? any ExpressibleByNilLiteral.Type)?.init(nilLiteral: ()) as? T { return nilValue }
            throw PostgresError(code: .decoding, message: "column \(names[index]) is NULL but \(T.self) is not optional")
        }
        return try T(postgresText: text)
    }

    /// Decodes the column called `name` as `T`.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ name: String) throws(PostgresError) -> T {
        guard let index = names.firstIndex(of: name) else {
            throw PostgresError(code: .decoding, message: "no column named \(name)")
        }
        return try decode(type, at: index)
    }
}
