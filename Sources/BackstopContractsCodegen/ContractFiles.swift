import BackstopContracts
import Foundation

/// The contract files of a `Contracts/` folder, read from disk: the input of every generator.
public struct ContractFiles: Sendable {
    /// One event type's schema file.
    public struct Event: Sendable {
        /// The CloudEvents type, from the file name (`events/<type>.schema.json`).
        public let type: String
        /// The schema document.
        public let schema: JSONValue
        /// The top-level members of the schema.
        public var members: [String: JSONValue] { schema.objectValue ?? [:] }
        /// The schema's `x-backstop` annotation.
        public var meta: [String: JSONValue] { members["x-backstop"]?.objectValue ?? [:] }
        /// A string member of the schema, or "".
        public func text(_ key: String) -> String {
            if case .string(let s)? = members[key] { return s }
            return ""
        }
        /// A string member of `x-backstop`, or "".
        public func metaText(_ key: String) -> String {
            if case .string(let s)? = meta[key] { return s }
            return ""
        }
        /// The organisation kinds listed under `x-backstop.<key>`.
        public func kinds(_ key: String) -> [String] {
            meta[key]?.stringArray ?? []
        }
    }

    /// The `Contracts/` folder.
    public let root: URL
    /// The event schemas, sorted by type.
    public let events: [Event]

    /// Reads `root/events/*.schema.json`; throws ``CatalogueError`` for a file that is not JSON.
    public init(root: URL) throws {
        self.root = root
        let folder = root.appendingPathComponent("events")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".schema.json") }.sorted()
        events = try names.map { name in
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            guard let value = JSONText.decode(text) else { throw CatalogueError(file: "events/\(name)", message: "not valid JSON") }
            return Event(type: String(name.dropLast(".schema.json".count)), schema: value)
        }
    }

    /// The files every generator writes, by path relative to the package root.
    public func generatedFiles() throws -> [String: String] {
        [
            "Sources/BackstopContracts/Generated/Payloads.swift": try PayloadGenerator(events: events).source(),
            "Contracts/CATALOGUE.md": CatalogueDocument(events: events).markdown(),
            "Contracts/asyncapi.yaml": AsyncAPIDocument(events: events).yaml(),
        ]
    }
}
