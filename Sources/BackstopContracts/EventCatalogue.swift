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
            contracts[type] = EventContract(
                type: type, title: title, summary: summary, schema: compiled, schemaID: id, publishers: try kinds("publishers"),
                subscribers: try kinds("subscribers"), sensitivity: sensitivity, purpose: purpose, payloadType: payloadType)
        }
        if let stray = types.keys.sorted().first {
            throw CatalogueError(file: "events/\(stray).schema.json", message: "a Swift payload type exists but the schema does not")
        }
        self.contracts = contracts
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
