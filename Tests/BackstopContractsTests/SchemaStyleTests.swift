import BackstopContracts
import Testing

/// The house rules of Contracts/events: documented, bounded, closed, and free of identities.
@Suite("contracts: schema rules")
struct SchemaStyleTests {
    /// Member names that would carry identities or diagnoses, which no schema may have.
    static let forbiddenNames = ["name", "full_name", "id_number", "id_card", "phone", "mobile", "bank_account", "account_number",
                                 "diagnosis", "address", "birth_date"]

    @Test func everySchemaIsDocumentedBoundedAndClosed() throws {
        for type in Contracts.schemaTypes {
            let schema = try Contracts.schema(type)
            let top = schema.objectValue ?? [:]
            #expect(top["$schema"] == .string("https://json-schema.org/draft/2020-12/schema"), "\(type)")
            #expect(top["$id"] == .string("https://backstop.example/contracts/events/\(type).schema.json"), "\(type)")
            var problems: [String] = []
            check(schema, at: type, property: false, problems: &problems)
            for (name, def) in top["$defs"]?.objectValue ?? [:] { check(def, at: "\(type)#/$defs/\(name)", property: true, problems: &problems) }
            #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        }
    }

    func check(_ schema: JSONValue, at path: String, property: Bool, problems: inout [String]) {
        let s = schema.objectValue ?? [:]
        for key in ["title", "description"] + (property ? ["examples"] : []) where s[key] == nil {
            problems.append("\(path): needs \(key)")
        }
        if s["$ref"] != nil { return }
        switch s["type"] {
        case .string("string")?:
            if ["maxLength", "enum", "const", "format", "pattern"].allSatisfy({ s[$0] == nil }) { problems.append("\(path): unbounded string") }
        case .string("integer")?, .string("number")?:
            if s["minimum"] == nil && s["exclusiveMinimum"] == nil || s["maximum"] == nil { problems.append("\(path): needs minimum and maximum") }
        case .string("array")?:
            if s["maxItems"] == nil { problems.append("\(path): needs maxItems") }
            if let items = s["items"] { check(items, at: "\(path)/items", property: true, problems: &problems) }
        case .string("object")?:
            let properties = s["properties"]?.objectValue ?? [:]
            if !properties.isEmpty, s["additionalProperties"] != .bool(false) { problems.append("\(path): needs additionalProperties false") }
            for (name, sub) in properties {
                if Self.forbiddenNames.contains(name) { problems.append("\(path)/\(name): identities and diagnoses never travel on the bus") }
                check(sub, at: "\(path)/\(name)", property: true, problems: &problems)
            }
            if let values = s["additionalProperties"], case .object = values { check(values, at: "\(path)/*", property: true, problems: &problems) }
        default: break
        }
    }

    @Test func sharedDefinitionsAreIdenticalInEverySchema() throws {
        var seen: [String: (type: String, value: JSONValue)] = [:]
        for type in Contracts.schemaTypes {
            for (name, def) in try Contracts.schema(type).objectValue?["$defs"]?.objectValue ?? [:] {
                if let first = seen[name] {
                    #expect(first.value == def, "$defs/\(name) differs between \(first.type) and \(type)")
                } else {
                    seen[name] = (type, def)
                }
            }
        }
        #expect(seen["household_ref"] != nil)
    }

    @Test func handWrittenTypesHaveTheCasesOfTheirSharedDefinitions() throws {
        // org_kind is OrganisationKind in Swift (not generated): its cases must be the schema's.
        let def = try Contracts.schema("cn.backstop.obligation.opened.v1").objectValue?["$defs"]?.objectValue?["org_kind"]?.objectValue
        #expect(def?["enum"]?.stringArray == OrganisationKind.allCases.map(\.rawValue))
    }

    @Test func everyTypeNamesItsPublishersSubscribersAndClass() {
        for contract in EventCatalogue.standard.contracts.values {
            #expect(!contract.publishers.isEmpty && !contract.subscribers.isEmpty, "\(contract.type)")
            #expect(contract.subscribers.contains(.oversight) || contract.type.contains("oversight"), "\(contract.type): oversight sees every flow")
            #expect(contract.type.hasPrefix(EventCatalogue.namespace) && contract.type.hasSuffix(".v1"))
        }
        #expect(EventCatalogue.standard.contract(for: "cn.backstop.alert.raised.v1")?.publishers == [.coordinator])
    }
}
