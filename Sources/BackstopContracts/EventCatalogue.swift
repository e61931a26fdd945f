/// One event type and major version of the catalogue: its schema, who may publish and subscribe,
/// and its Swift payload type.
public struct EventContract: Sendable {
    /// The CloudEvents `type`, for example `cn.backstop.alert.raised.v1`.
    public let type: String
    /// Short human name from the schema's `title`.
    public let title: String
    /// What the event means, from the schema's `description`.
    public let summary: String
    /// The schema of the event's `data`.
    public let schema: JSONSchema
    /// The schema's `$id`, used as the envelope's `dataschema`.
    public let schemaID: String
    /// Organisation kinds that may publish the event.
    public let publishers: [OrganisationKind]
    /// Organisation kinds that may subscribe to the event.
    public let subscribers: [OrganisationKind]
    /// Personal-information class of the event.
    public let sensitivity: Sensitivity
    /// The purpose the event's data serves.
    public let purpose: Purpose
    /// The generated Swift type of the payload.
    public let payloadType: any EventPayload.Type
    /// Top-level `data` members marked `x-backstop-sensitive` (domain brief §8.3): never shown to
    /// enterprises, cooperatives, social organisations or insurers; shown to government
    /// organisations only within their duty, and every such read is audit-logged.
    public let sensitiveFields: [String]
    /// Where the event names organisations (members typed `#/$defs/org_id`), as paths of member
    /// names below `data`, `*` standing for every item of an array.
    public let organisationFields: [[String]]

    /// The organisation ids `event` names in its ``organisationFields``.
    public func organisations(namedIn event: CloudEvent) -> Set<String> {
        var out: Set<String> = []
        func collect(_ value: JSONValue, _ path: ArraySlice<String>) {
            guard let head = path.first else {
                if case .string(let id) = value { out.insert(id) }
                return
            }
            if head == "*" {
                if case .array(let items) = value { for item in items { collect(item, path.dropFirst()) } }
            } else if let member = value.objectValue?[head] {
                collect(member, path.dropFirst())
            }
        }
        for path in organisationFields { collect(event.data, path[...]) }
        return out
    }

    /// Every rule the event's `data` breaks, located below `/data`.
    public func violations(of event: CloudEvent) -> [ContractViolation] {
        schema.validate(event.data, at: "/data")
    }
}

/// The registry of event types: type + major version → schema, permissions and Swift type.
///
/// ``standard`` is built from the schema files of `Contracts/` compiled into the binary, paired with
/// the Swift payload types generated from the same files.
public struct EventCatalogue: Sendable {
    /// The prefix of every event type Backstop defines; types under it must be in the catalogue.
    public static let namespace = "cn.backstop."

    /// The event contracts by type.
    public let contracts: [String: EventContract]
    /// The schema of the envelope (`Contracts/envelope.schema.json`).
    public let envelope: JSONSchema

    /// The catalogue of `Contracts/` as compiled into this binary.
    public static let standard: EventCatalogue = {
        do {
            return try EventCatalogue(files: EmbeddedContracts.files, payloadTypes: GeneratedPayloads.all)
        } catch {
            preconditionFailure("the embedded contracts are inconsistent (the contract tests catch this): \(error)")
        }
    }()

    /// Builds a catalogue from schema texts keyed by `events/<type>.schema.json` (plus
    /// `Contracts/envelope.schema.json`) and the payload types that implement them.
    public init(files: [String: String], payloadTypes: [any EventPayload.Type]) throws(CatalogueError) {
        func document(_ name: String) throws(CatalogueError) -> JSONValue {
            guard let text = files[name], let value = JSONText.decode(text) else { throw CatalogueError(file: name, message: "missing or not JSON") }
            return value
        }
        func schema(_ name: String, _ value: JSONValue) throws(CatalogueError) -> JSONSchema {
            do { return try JSONSchema(value) } catch { throw CatalogueError(file: name, message: error.description) }
        }
        let envelopeName = "Contracts/envelope.schema.json"
        envelope = try schema(envelopeName, try document(envelopeName))
        var types: [String: any EventPayload.Type] = [:]
        for payload in payloadTypes { types[payload.eventType] = payload }
        var contracts: [String: EventContract] = [:]
        for name in files.keys.sorted() where name.hasPrefix("events/") {
            let type = String(name.dropFirst("events/".count).dropLast(".schema.json".count))
            let value = try document(name)
            let compiled = try schema(name, value)
            let members = value.objectValue ?? [:]
            guard case .string(let title)? = members["title"], case .string(let summary)? = members["description"],
                  case .string(let id)? = members["$id"] else {
                throw CatalogueError(file: name, message: "needs $id, title and description")
            }
            guard case .object(let meta)? = members["x-backstop"] else { throw CatalogueError(file: name, message: "needs x-backstop") }
            func kinds(_ key: String) throws(CatalogueError) -> [OrganisationKind] {
                guard case .array(let list)? = meta[key], !list.isEmpty else {
                    throw CatalogueError(file: name, message: "x-backstop.\(key) must be a non-empty list")
                }
                var out: [OrganisationKind] = []
                for item in list {
                    guard case .string(let raw) = item, let kind = OrganisationKind(rawValue: raw) else {
                        throw CatalogueError(file: name, message: "x-backstop.\(key): unknown organisation kind \(item.shortText)")
                    }
                    out.append(kind)
                }
                return out
            }
            guard case .string(let rawSensitivity)? = meta["sensitivity"], let sensitivity = Sensitivity(rawValue: rawSensitivity) else {
                throw CatalogueError(file: name, message: "x-backstop.sensitivity must be public, internal, personal or sensitive")
            }
            guard case .string(let rawPurpose)? = meta["purpose"], let purpose = Purpose(rawValue: rawPurpose) else {
                throw CatalogueError(file: name, message: "x-backstop.purpose must be monitoring, assistance or oversight")
            }
            guard let payloadType = types.removeValue(forKey: type) else {
                throw CatalogueError(file: name, message: "no Swift payload type for \(type); run `backstop contracts generate`")
            }
            let properties = members["properties"]?.objectValue ?? [:]
            let sensitive = properties.keys.sorted().filter { properties[$0]?.objectValue?["x-backstop-sensitive"] == .bool(true) }
            contracts[type] = EventContract(
                type: type, title: title, summary: summary, schema: compiled, schemaID: id, publishers: try kinds("publishers"),
                subscribers: try kinds("subscribers"), sensitivity: sensitivity, purpose: purpose, payloadType: payloadType,
                sensitiveFields: sensitive, organisationFields: Self.paths(in: value, to: "#/$defs/org_id"))
        }
        if let stray = types.keys.sorted().first {
            throw CatalogueError(file: "events/\(stray).schema.json", message: "a Swift payload type exists but the schema does not")
        }
        self.contracts = contracts
    }

    /// Paths below the schema's root object to every member whose schema is `$ref: reference`.
    static func paths(in schema: JSONValue, to reference: String) -> [[String]] {
        var out: [[String]] = []
        func walk(_ node: JSONValue, _ path: [String]) {
            guard let members = node.objectValue else { return }
            if members["$ref"] == .string(reference) { out.append(path) }
            if let properties = members["properties"]?.objectValue {
                for key in properties.keys.sorted() { walk(properties[key]!, path + [key]) }
            }
            if let items = members["items"] { walk(items, path + ["*"]) }
            for combinator in ["allOf", "anyOf", "oneOf"] {
                for branch in members[combinator]?.arrayValue ?? [] { walk(branch, path) }
            }
        }
        walk(schema, [])
        return out
    }

    /// The contract of `type`, if the catalogue has it.
    public func contract(for type: String) -> EventContract? { contracts[type] }

    /// Every event type, sorted.
    public var types: [String] { contracts.keys.sorted() }

    /// Checks an event against its type's contract: types in the `cn.backstop.` namespace must be
    /// catalogued and their `data` must follow the schema; other types pass (private event types
    /// of an organisation's own systems only get the envelope checks).
    public func validate(_ event: CloudEvent) throws(InvalidEvent) {
        let problems: [ContractViolation]
        if let contract = contracts[event.type] {
            problems = contract.violations(of: event)
        } else if event.type.hasPrefix(Self.namespace) {
            problems = [ContractViolation(field: "/type", message: "\(event.type) is not in the event catalogue (Contracts/CATALOGUE.md)")]
        } else {
            problems = []
        }
        if !problems.isEmpty { throw InvalidEvent(violations: problems) }
    }
}

/// The contract files are inconsistent with each other or with the Swift payload types.
public struct CatalogueError: Error, Sendable, CustomStringConvertible {
    /// The file at fault, relative to `Contracts/`.
    public var file: String
    /// What is wrong.
    public var message: String

    /// An inconsistency in `file`.
    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}
