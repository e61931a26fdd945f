import Foundation

/// One compiled (sub)schema: the assertion keywords of the supported subset, checked when compiled.
final class SchemaNode: Sendable {
    enum TypeName: String, Sendable {
        case object, array, string, integer, number, boolean, null

        func admits(_ value: JSONValue) -> Bool {
            switch (self, value) {
            case (.object, .object), (.array, .array), (.string, .string), (.number, .number), (.boolean, .bool), (.null, .null): true
            case (.integer, .number(let n)): n.rounded() == n && n.isFinite
            default: false
            }
        }

        var article: String { self == .object || self == .array || self == .integer ? "an" : "a" }
    }

    enum Additional: Sendable {
        case allowed, forbidden
        case schema(SchemaNode)
    }

    /// `false` as a schema: nothing is valid.
    let never: Bool
    let reference: String?
    let type: TypeName?
    let enumeration: [JSONValue]?
    let constant: JSONValue?
    let format: StringFormat?
    let pattern: SchemaPattern?
    let minLength: Int?, maxLength: Int?
    let minimum: Double?, maximum: Double?, exclusiveMinimum: Double?, exclusiveMaximum: Double?
    let items: SchemaNode?
    let minItems: Int?, maxItems: Int?
    let uniqueItems: Bool
    let properties: [String: SchemaNode]
    let propertyNames: SchemaNode?
    let required: [String]
    let additionalProperties: Additional
    let dependentRequired: [String: [String]]
    let minProperties: Int?, maxProperties: Int?
    let allOf: [SchemaNode], anyOf: [SchemaNode], oneOf: [SchemaNode]
    let not: SchemaNode?
    let condition: SchemaNode?, then: SchemaNode?, otherwise: SchemaNode?

    /// Keywords that only annotate.
    static let annotations: Set<String> = [
        "$schema", "$id", "$comment", "$defs", "title", "description", "examples", "default", "deprecated",
        "readOnly", "writeOnly",
    ]

    init(_ document: JSONValue, at pointer: String) throws(SchemaError) {
        let k: [String: JSONValue]
        switch document {
        case .object(let members): k = members
        case .bool: k = [:]
        default: throw SchemaError(pointer: pointer, message: "a schema must be an object or a boolean")
        }
        never = document == .bool(false)
        let supported: Set<String> = [
            "$ref", "type", "enum", "const", "format", "pattern", "minLength", "maxLength", "minimum", "maximum",
            "exclusiveMinimum", "exclusiveMaximum", "items", "minItems", "maxItems", "uniqueItems", "properties",
            "required", "additionalProperties", "propertyNames", "dependentRequired", "minProperties", "maxProperties", "allOf",
            "anyOf", "oneOf", "not", "if", "then", "else",
        ]
        for key in k.keys where !supported.contains(key) && !Self.annotations.contains(key) && !key.hasPrefix("x-") {
            throw SchemaError(pointer: "\(pointer)/\(key)", message: "keyword not supported by Backstop's contracts")
        }
        func int(_ key: String) throws(SchemaError) -> Int? {
            guard let value = k[key] else { return nil }
            guard case .number(let n) = value, n >= 0, n.rounded() == n else {
                throw SchemaError(pointer: "\(pointer)/\(key)", message: "must be a non-negative integer")
            }
            return Int(n)
        }
        func number(_ key: String) throws(SchemaError) -> Double? {
            guard let value = k[key] else { return nil }
            guard case .number(let n) = value else { throw SchemaError(pointer: "\(pointer)/\(key)", message: "must be a number") }
            return n
        }
        func strings(_ value: JSONValue?, _ key: String) throws(SchemaError) -> [String]? {
            guard let value else { return nil }
            guard case .array(let list) = value else { throw SchemaError(pointer: "\(pointer)/\(key)", message: "must be an array of strings") }
            var out: [String] = []
            for item in list {
                guard case .string(let s) = item else { throw SchemaError(pointer: "\(pointer)/\(key)", message: "must be an array of strings") }
                out.append(s)
            }
            return out
        }
        func sub(_ key: String) throws(SchemaError) -> SchemaNode? {
            guard let value = k[key] else { return nil }
            return try SchemaNode(value, at: "\(pointer)/\(key)")
        }
        func subs(_ key: String) throws(SchemaError) -> [SchemaNode] {
            guard let value = k[key] else { return [] }
            guard case .array(let list) = value, !list.isEmpty else {
                throw SchemaError(pointer: "\(pointer)/\(key)", message: "must be a non-empty array of schemas")
            }
            var out: [SchemaNode] = []
            for (i, item) in list.enumerated() { out.append(try SchemaNode(item, at: "\(pointer)/\(key)/\(i)")) }
            return out
        }

        switch k["$ref"] {
        case nil: reference = nil
        case .string(let ref)? where ref.hasPrefix("#/$defs/") && !ref.dropFirst(8).contains("/"):
            reference = String(ref.dropFirst(8))
        default: throw SchemaError(pointer: "\(pointer)/$ref", message: "only references to #/$defs/<name> are supported")
        }
        switch k["type"] {
        case nil: type = nil
        case .string(let name)?:
            guard let t = TypeName(rawValue: name) else { throw SchemaError(pointer: "\(pointer)/type", message: "unknown type \(name)") }
            type = t
        default: throw SchemaError(pointer: "\(pointer)/type", message: "must be a single type name")
        }
        switch k["enum"] {
        case nil: enumeration = nil
        case .array(let values)? where !values.isEmpty: enumeration = values
        default: throw SchemaError(pointer: "\(pointer)/enum", message: "must be a non-empty array")
        }
        constant = k["const"]
        switch k["format"] {
        case nil: format = nil
        case .string(let name)?:
            guard let f = StringFormat(rawValue: name) else {
                throw SchemaError(pointer: "\(pointer)/format", message: "format \(name) not supported (date-time, date, uuid)")
            }
            format = f
        default: throw SchemaError(pointer: "\(pointer)/format", message: "must be a string")
        }
        switch k["pattern"] {
        case nil: pattern = nil
        case .string(let source)?:
            guard let compiled = SchemaPattern(source) else {
                throw SchemaError(pointer: "\(pointer)/pattern", message: "not a valid regular expression")
            }
            pattern = compiled
        default: throw SchemaError(pointer: "\(pointer)/pattern", message: "must be a string")
        }
        minLength = try int("minLength")
        maxLength = try int("maxLength")
        minimum = try number("minimum")
        maximum = try number("maximum")
        exclusiveMinimum = try number("exclusiveMinimum")
        exclusiveMaximum = try number("exclusiveMaximum")
        items = try sub("items")
        minItems = try int("minItems")
        maxItems = try int("maxItems")
        switch k["uniqueItems"] {
        case nil: uniqueItems = false
        case .bool(let b)?: uniqueItems = b
        default: throw SchemaError(pointer: "\(pointer)/uniqueItems", message: "must be a boolean")
        }
        var properties: [String: SchemaNode] = [:]
        switch k["properties"] {
        case nil: break
        case .object(let members)?:
            for (name, value) in members { properties[name] = try SchemaNode(value, at: "\(pointer)/properties/\(name)") }
        default: throw SchemaError(pointer: "\(pointer)/properties", message: "must be an object")
        }
        self.properties = properties
        propertyNames = try sub("propertyNames")
        required = try strings(k["required"], "required") ?? []
        switch k["additionalProperties"] {
        case nil, .bool(true)?: additionalProperties = .allowed
        case .bool(false)?: additionalProperties = .forbidden
        case let value?: additionalProperties = .schema(try SchemaNode(value, at: "\(pointer)/additionalProperties"))
        }
        var dependent: [String: [String]] = [:]
        switch k["dependentRequired"] {
        case nil: break
        case .object(let members)?:
            for (name, value) in members { dependent[name] = try strings(value, "dependentRequired/\(name)") }
        default: throw SchemaError(pointer: "\(pointer)/dependentRequired", message: "must be an object")
        }
        dependentRequired = dependent
        minProperties = try int("minProperties")
        maxProperties = try int("maxProperties")
        allOf = try subs("allOf")
        anyOf = try subs("anyOf")
        oneOf = try subs("oneOf")
        not = try sub("not")
        condition = try sub("if")
        then = try sub("then")
        otherwise = try sub("else")
    }

    /// Names of the definitions this node and its subschemas refer to.
    var references: [String] {
        var out = reference.map { [$0] } ?? []
        var children = Array(properties.values) + allOf + anyOf + oneOf
        children += [items, not, condition, then, otherwise, propertyNames].compactMap { $0 }
        if case .schema(let s) = additionalProperties { children.append(s) }
        for child in children { out += child.references }
        return out
    }

    /// True when the node only requires members (the usual `oneOf` branch for "exactly one of").
    var isRequiredList: Bool {
        !required.isEmpty && !never && type == nil && properties.isEmpty && reference == nil && enumeration == nil && constant == nil
            && allOf.isEmpty && anyOf.isEmpty && oneOf.isEmpty && not == nil && condition == nil
    }

    /// A short human description for messages about combinators.
    var summary: String {
        if isRequiredList { return "required " + required.joined(separator: ", ") }
        if let enumeration { return "one of " + enumeration.map(\.shortText).joined(separator: ", ") }
        if let constant { return constant.shortText }
        if let pattern { return "matching \(pattern.source)" }
        if let type { return type.rawValue }
        return "a schema"
    }
}

/// The string formats Backstop asserts.
enum StringFormat: String, Sendable {
    case dateTime = "date-time"
    case date
    case uuid

    var explanation: String {
        switch self {
        case .dateTime: "an RFC 3339 date-time such as 2026-11-03T08:15:00Z"
        case .date: "a calendar date such as 2026-11-03"
        case .uuid: "a UUID such as 0193a1f2-7c4e-7d3a-9b1e-2f4c6a8d0e12"
        }
    }

    func admits(_ text: String) -> Bool {
        let b = Array(text.utf8)
        func digits(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= b.count else { return nil }
            var n = 0
            for i in range {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                n = n * 10 + Int(b[i] - 48)
            }
            return n
        }
        func isDate(_ end: Int) -> Bool {
            guard end == 10, b.count >= 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
                  let y = digits(0..<4), let m = digits(5..<7), let d = digits(8..<10), (1...12).contains(m), d >= 1 else { return false }
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
            let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
            return d <= days
        }
        switch self {
        case .date:
            return b.count == 10 && isDate(10)
        case .uuid:
            guard b.count == 36 else { return false }
            for (i, c) in b.enumerated() {
                if [8, 13, 18, 23].contains(i) { if c != UInt8(ascii: "-") { return false } } else if !c.isHexDigit { return false }
            }
            return true
        case .dateTime:
            guard b.count >= 20, isDate(10), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
                  b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
                  let h = digits(11..<13), let mi = digits(14..<16), let s = digits(17..<19), h < 24, mi < 60, s <= 60 else { return false }
            var i = 19
            if b[i] == UInt8(ascii: ".") {
                i += 1
                let start = i
                while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
                if i == start { return false }
            }
            guard i < b.count else { return false }
            if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") { return i + 1 == b.count }
            guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), b.count == i + 6, b[i + 3] == UInt8(ascii: ":"),
                  let oh = digits(i + 1..<i + 3), let om = digits(i + 4..<i + 6) else { return false }
            return oh < 24 && om < 60
        }
    }
}

extension UInt8 {
    var isHexDigit: Bool { isDigit || (97...102).contains(self) || (65...70).contains(self) }
    var isDigit: Bool { (48...57).contains(self) }
    var isLowercaseLetter: Bool { (97...122).contains(self) }
}

/// A compiled `pattern` (ECMA-262 regular expressions as JSON Schema specifies; the subset shared
/// with ICU, which is what contracts use). Matches anywhere in the string unless anchored.
final class SchemaPattern: @unchecked Sendable {
    // NSRegularExpression is immutable and documented as safe to use from several threads.
    let source: String
    private let expression: NSRegularExpression

    init?(_ source: String) {
        guard let expression = try? NSRegularExpression(pattern: source) else { return nil }
        self.source = source
        self.expression = expression
    }

    func matches(_ text: String) -> Bool {
        expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
