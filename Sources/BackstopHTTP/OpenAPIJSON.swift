import BackstopContracts
import OpenAPIRuntime

/// Free-form request bodies (`OpenAPIObjectContainer`) as ``JSONValue``, read straight from the
/// container instead of encoding it to JSON text and parsing that again.
enum OpenAPIJSON {
    /// The object a container holds.
    static func object(_ container: OpenAPIObjectContainer) -> [String: JSONValue] {
        container.value.mapValues(value)
    }

    /// One value of a container (the types `OpenAPIValueContainer` admits).
    static func value(_ any: (any Sendable)?) -> JSONValue {
        switch any {
        case nil: .null
        case let bool as Bool: .bool(bool)
        case let int as Int: .number(Double(int))
        case let double as Double: .number(double)
        case let string as String: .string(string)
        case let array as [(any Sendable)?]: .array(array.map(value))
        case let object as [String: (any Sendable)?]: .object(object.mapValues(value))
        default: .null
        }
    }
}
