import Yams

/// Typed reading of a YAML document that remembers where each value was written, so every error
/// can name its line. Problems are collected rather than thrown one at a time.
package final class YAMLReader {
    package let file: String
    package private(set) var problems: [RulesError] = []

    package init(file: String) { self.file = file }

    package func fail(_ node: Node?, _ message: String) {
        problems.append(RulesError(file: file, line: node?.mark?.line ?? 0, message: message))
    }

    /// The members of a mapping; keys not in `allowed` are reported (and dropped).
    package func mapping(_ node: Node?, _ what: String, allowed: [String]) -> [String: Node] {
        guard let node else { return [:] }
        guard let mapping = node.mapping else {
            fail(node, "\(what) must be a mapping")
            return [:]
        }
        var out: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string else {
                fail(key, "\(what): keys must be text")
                continue
            }
            if !allowed.contains(name) {
                fail(key, "\(what): unknown key '\(name)' (expected one of: \(allowed.joined(separator: ", ")))")
                continue
            }
            out[name] = value
        }
        return out
    }

    /// Every member of a mapping with free keys (for example organisation ids).
    package func entries(_ node: Node?, _ what: String) -> [(key: String, keyNode: Node, value: Node)] {
        guard let node else { return [] }
        guard let mapping = node.mapping else {
            fail(node, "\(what) must be a mapping")
            return []
        }
        return mapping.compactMap { key, value in
            guard let name = key.string else {
                fail(key, "\(what): keys must be text")
                return nil
            }
            return (name, key, value)
        }
    }

    package func sequence(_ node: Node?, _ what: String) -> [Node] {
        guard let node else { return [] }
        if let sequence = node.sequence { return Array(sequence) }
        fail(node, "\(what) must be a list")
        return []
    }

    /// A list of strings; a single string counts as a list of one.
    package func strings(_ node: Node?, _ what: String) -> [String] {
        guard let node else { return [] }
        if node.scalar != nil { return string(node, what).map { [$0] } ?? [] }
        return sequence(node, what).compactMap { string($0, what) }
    }

    package func string(_ node: Node?, _ what: String) -> String? {
        guard let node else { return nil }
        guard let scalar = node.scalar, !scalar.string.isEmpty else {
            fail(node, "\(what) must be a non-empty text value")
            return nil
        }
        return scalar.string
    }

    package func required(_ members: [String: Node], _ key: String, in what: String, at node: Node?) -> Node? {
        if let value = members[key] { return value }
        fail(node, "\(what): '\(key)' is required")
        return nil
    }

    package func int(_ node: Node?, _ what: String, in range: ClosedRange<Int>) -> Int? {
        guard let node else { return nil }
        guard let text = node.scalar?.string, let value = Int(text), range.contains(value) else {
            fail(node, "\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    package func double(_ node: Node?, _ what: String, in range: ClosedRange<Double>) -> Double? {
        guard let node else { return nil }
        guard let text = node.scalar?.string, let value = Double(text), range.contains(value) else {
            fail(node, "\(what) must be a number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    package func responseTime(_ node: Node?, _ what: String) -> ResponseTime? {
        guard let text = string(node, what) else { return nil }
        guard let time = ResponseTime(text) else {
            fail(node, "\(what): '\(text)' is not a response time (2h, 15d, 2wd or 8wh)")
            return nil
        }
        return time
    }

    /// The scalar as the JSON value it denotes (booleans and numbers typed, the rest text).
    package func scalarValue(_ node: Node) -> JSONScalar? {
        guard let scalar = node.scalar else {
            fail(node, "expected a single value")
            return nil
        }
        if scalar.style == .plain {
            if scalar.string == "true" { return .bool(true) }
            if scalar.string == "false" { return .bool(false) }
            if let number = Double(scalar.string) { return .number(number) }
        }
        return .string(scalar.string)
    }
}

/// A single JSON value a rule condition compares a field with.
public enum JSONScalar: Hashable, Sendable, CustomStringConvertible {
    /// Text.
    case string(String)
    /// A number.
    case number(Double)
    /// A boolean.
    case bool(Bool)

    public var description: String {
        switch self {
        case .string(let s): s
        case .number(let n): n.rounded() == n ? String(Int(n)) : String(n)
        case .bool(let b): String(b)
        }
    }
}
