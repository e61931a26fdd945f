import Foundation

/// A JSON Schema (draft 2020-12), compiled from its JSON for validation.
///
/// Backstop's contracts use a deliberate subset of the draft: the keywords below, `$ref` only to
/// the schema's own `#/$defs/…`, and formats `date-time`, `date` and `uuid` (asserted, not just
/// annotated). A schema that uses anything else is refused when it is compiled, so no rule in a
/// contract file is ever silently ignored. Annotations (`title`, `description`, `examples`,
/// `$comment`, `default`, `deprecated`, `x-…`) are accepted and kept in ``source``.
///
/// ```swift
/// let schema = try JSONSchema(JSONText.decode(text)!)
/// let problems = schema.validate(data, at: "/data")   // [] when valid
/// ```
public struct JSONSchema: Sendable {
    /// The schema document as written.
    public let source: JSONValue
    let root: SchemaNode
    let definitions: [String: SchemaNode]

    /// Compiles a schema document; throws ``SchemaError`` naming the first unsupported or malformed keyword.
    public init(_ document: JSONValue) throws(SchemaError) {
        guard case .object(let members) = document else { throw SchemaError(pointer: "", message: "a schema must be an object") }
        var definitions: [String: SchemaNode] = [:]
        if case .object(let defs)? = members["$defs"] {
            for (name, def) in defs { definitions[name] = try SchemaNode(def, at: "/$defs/\(name)") }
        } else if members["$defs"] != nil {
            throw SchemaError(pointer: "/$defs", message: "must be an object")
        }
        self.source = document
        self.root = try SchemaNode(document, at: "")
        self.definitions = definitions
        for reference in root.references + definitions.values.flatMap(\.references) where definitions[reference] == nil {
            throw SchemaError(pointer: "/$defs/\(reference)", message: "is referenced but not defined")
        }
    }

    /// Every rule `value` breaks, each with the JSON pointer of the offending value below `pointer`.
    public func validate(_ value: JSONValue, at pointer: String = "") -> [ContractViolation] {
        var problems: [ContractViolation] = []
        check(root, value, pointer, &problems)
        return problems
    }

    /// Whether `value` satisfies the schema.
    public func accepts(_ value: JSONValue) -> Bool { validate(value).isEmpty }

    private func check(_ node: SchemaNode, _ value: JSONValue, _ pointer: String, _ problems: inout [ContractViolation]) {
        func fail(_ message: String, at where_: String? = nil) {
            problems.append(ContractViolation(field: where_ ?? pointer, message: message))
        }
        if node.never {
            fail("is not allowed")
            return
        }
        if let name = node.reference, let target = definitions[name] { check(target, value, pointer, &problems) }
        if let type = node.type, !type.admits(value) {
            fail("must be \(type.article) \(type.rawValue), not \(value.typeName)")
            return  // other keywords would only repeat the same mistake
        }
        if let allowed = node.enumeration, !allowed.contains(value) {
            fail("must be one of \(allowed.map(\.shortText).joined(separator: ", "))")
        }
        if let constant = node.constant, constant != value { fail("must be \(constant.shortText)") }
        switch value {
        case .string(let text): checkString(node, text, fail)
        case .number(let number): checkNumber(node, number, fail)
        case .array(let items): checkArray(node, items, pointer, &problems)
        case .object(let members): checkObject(node, members, pointer, &problems)
        default: break
        }
        for sub in node.allOf { check(sub, value, pointer, &problems) }
        if !node.anyOf.isEmpty, !node.anyOf.contains(where: { accepts($0, value) }) {
            fail(Self.alternatives(node.anyOf, exactlyOne: false))
        }
        if !node.oneOf.isEmpty, node.oneOf.filter({ accepts($0, value) }).count != 1 {
            fail(Self.alternatives(node.oneOf, exactlyOne: true))
        }
        if let not = node.not, accepts(not, value) { fail("must not match \(not.summary)") }
        if let condition = node.condition, accepts(condition, value) {
            if let then = node.then { check(then, value, pointer, &problems) }
        } else if node.condition != nil, let otherwise = node.otherwise {
            check(otherwise, value, pointer, &problems)
        }
    }

    private func accepts(_ node: SchemaNode, _ value: JSONValue) -> Bool {
        var scratch: [ContractViolation] = []
        check(node, value, "", &scratch)
        return scratch.isEmpty
    }

    private func checkString(_ node: SchemaNode, _ text: String, _ fail: (String, String?) -> Void) {
        let length = text.unicodeScalars.count
        if let min = node.minLength, length < min { fail(min == 1 ? "must not be empty" : "must be at least \(min) characters", nil) }
        if let max = node.maxLength, length > max { fail("must be at most \(max) characters", nil) }
        if let pattern = node.pattern, !pattern.matches(text) { fail("must match the pattern \(pattern.source)", nil) }
        if let format = node.format, !format.admits(text) { fail("must be \(format.explanation)", nil) }
    }

    private func checkNumber(_ node: SchemaNode, _ number: Double, _ fail: (String, String?) -> Void) {
        if let min = node.minimum, number < min { fail("must be ≥ \(JSONValue.number(min).shortText)", nil) }
        if let max = node.maximum, number > max { fail("must be ≤ \(JSONValue.number(max).shortText)", nil) }
        if let min = node.exclusiveMinimum, number <= min { fail("must be > \(JSONValue.number(min).shortText)", nil) }
        if let max = node.exclusiveMaximum, number >= max { fail("must be < \(JSONValue.number(max).shortText)", nil) }
    }

    private func checkArray(_ node: SchemaNode, _ items: [JSONValue], _ pointer: String, _ problems: inout [ContractViolation]) {
        if let min = node.minItems, items.count < min {
            problems.append(ContractViolation(field: pointer, message: min == 1 ? "must not be empty" : "must have at least \(min) items"))
        }
        if let max = node.maxItems, items.count > max {
            problems.append(ContractViolation(field: pointer, message: "must have at most \(max) items"))
        }
        if node.uniqueItems {
            for (i, item) in items.enumerated() where items[..<i].contains(item) {
                problems.append(ContractViolation(field: "\(pointer)/\(i)", message: "repeats an earlier item; items must be unique"))
            }
        }
        if let itemSchema = node.items {
            for (i, item) in items.enumerated() { check(itemSchema, item, "\(pointer)/\(i)", &problems) }
        }
    }

    private func checkObject(_ node: SchemaNode, _ members: [String: JSONValue], _ pointer: String, _ problems: inout [ContractViolation]) {
        for name in node.required where members[name] == nil {
            problems.append(ContractViolation(field: "\(pointer)/\(Self.escape(name))", message: "is required"))
        }
        for (name, needs) in node.dependentRequired.sorted(by: { $0.key < $1.key }) where members[name] != nil {
            for other in needs where members[other] == nil {
                problems.append(ContractViolation(field: "\(pointer)/\(Self.escape(other))", message: "is required when \(name) is present"))
            }
        }
        if let min = node.minProperties, members.count < min {
            problems.append(ContractViolation(field: pointer, message: "must have at least \(min) members"))
        }
        if let max = node.maxProperties, members.count > max {
            problems.append(ContractViolation(field: pointer, message: "must have at most \(max) members"))
        }
        for name in members.keys.sorted() {
            let here = "\(pointer)/\(Self.escape(name))"
            if let names = node.propertyNames, !accepts(names, .string(name)) {
                problems.append(ContractViolation(field: here, message: "is not an allowed member name (\(names.summary))"))
            }
            if let property = node.properties[name] {
                check(property, members[name]!, here, &problems)
            } else {
                switch node.additionalProperties {
                case .allowed: break
                case .forbidden: problems.append(ContractViolation(field: here, message: "is not a known property"))
                case .schema(let schema): check(schema, members[name]!, here, &problems)
                }
            }
        }
    }

    /// The message for a failed `anyOf`/`oneOf`; alternatives that only list required members read
    /// as "must have exactly one of: a, b".
    private static func alternatives(_ options: [SchemaNode], exactlyOne: Bool) -> String {
        let requiredOnly = options.allSatisfy(\.isRequiredList)
        if requiredOnly {
            let names = options.map { $0.required.joined(separator: " and ") }
            return "must have \(exactlyOne ? "exactly one" : "at least one") of: \(names.joined(separator: "; "))"
        }
        return "must match \(exactlyOne ? "exactly one" : "at least one") of: \(options.map(\.summary).joined(separator: "; "))"
    }

    /// Escapes a member name for a JSON pointer (RFC 6901).
    public static func escape(_ name: String) -> String {
        guard name.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return name }
        return name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}

/// A schema that cannot be compiled: an unsupported keyword or a malformed value.
public struct SchemaError: Error, Sendable, CustomStringConvertible {
    /// JSON pointer of the offending keyword within the schema document.
    public var pointer: String
    /// What is wrong.
    public var message: String

    public var description: String { "\(pointer.isEmpty ? "/" : pointer): \(message)" }
}

extension JSONValue {
    /// Compact JSON text, for messages.
    var shortText: String { JSONText.encode(self) }
}
