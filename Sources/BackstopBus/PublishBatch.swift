import BackstopContracts
import BackstopPostgres
import Foundation

/// A validated batch of events, turned into the array parameters of one publish statement.
struct PublishBatch {
    let events: [CloudEvent]
    let parameters: [any PostgresEncodable]

    init(_ events: [CloudEvent]) throws {
        guard !events.isEmpty else {
            throw BusError(.invalidInput, [.init(field: "events", message: "a batch needs at least one event")])
        }
        guard events.count <= 10_000 else {
            throw BusError(.invalidInput, [.init(field: "events", message: "a batch holds at most 10000 events")])
        }
        var envelopes: [String] = []
        envelopes.reserveCapacity(events.count)
        for (index, event) in events.enumerated() {
            // The object that is checked is the one that is stored.
            let envelope = JSONValue.object(event.jsonObject)
            do {
                // The envelope, then the payload against its type's schema (catalogued types).
                try EventCatalogue.standard.validate(try EnvelopeValidation.parse(envelope))
            } catch {
                var error = error
                error.index = events.count > 1 ? index : nil
                throw error
            }
            if Self.holdsNUL(envelope), let field = Self.firstNUL(in: envelope, at: "") {
                var error = InvalidEvent(violations: [ContractViolation(field: field, message: "must not contain the NUL character (U+0000)")])
                error.index = events.count > 1 ? index : nil
                throw error
            }
            envelopes.append(JSONText.encode(envelope))
        }
        self.events = events
        parameters = [
            events.map(\.id), events.map(\.source), events.map(\.type), events.map(\.subject),
            events.map(\.districtCode), events.map(\.deduplicationKey), envelopes,
        ]
    }

    /// Whether any string or member name in `value` holds U+0000, which PostgreSQL cannot store
    /// in text or jsonb. A plain scan: pointers are built only for a value that fails it.
    static func holdsNUL(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let text): return text.utf8.contains(0)
        case .array(let items): return items.contains(where: holdsNUL)
        case .object(let members): return members.contains { $0.key.utf8.contains(0) || holdsNUL($0.value) }
        default: return false
        }
    }

    /// The JSON pointer of the first string (or member name) holding U+0000.
    static func firstNUL(in value: JSONValue, at pointer: String) -> String? {
        switch value {
        case .string(let text): return text.unicodeScalars.contains("\u{0}") ? pointer : nil
        case .array(let items):
            for (i, item) in items.enumerated() { if let found = firstNUL(in: item, at: "\(pointer)/\(i)") { return found } }
        case .object(let members):
            for key in members.keys.sorted() {
                let path = "\(pointer)/\(JSONSchema.escape(key))"
                if key.unicodeScalars.contains("\u{0}") { return path }
                if let found = firstNUL(in: members[key]!, at: path) { return found }
            }
        default: break
        }
        return nil
    }

    /// One receipt per event (`nil` where a concurrent publisher's key was not yet visible), and the
    /// subscription of every delivery the new events made (to wake their consumers).
    func receipts(from result: QueryResult) throws -> (receipts: [PublishReceipt?], woken: [Int64]) {
        guard result.count == events.count else {
            throw PostgresError(code: .decoding, message: "publish returned \(result.count) rows for \(events.count) events")
        }
        let woken = try result.first?.decode([Int64]?.self, at: 5) ?? []
        let receipts: [PublishReceipt?] = try result.map { row in
            guard let id = try row.decode(String?.self, at: 1) else { return nil }
            return PublishReceipt(id: id, position: try row.decode(Int64.self, at: 2),
                                  acceptedAt: try row.decode(Date.self, at: 3), duplicate: try row.decode(Bool.self, at: 4))
        }
        return (receipts, woken)
    }
}
