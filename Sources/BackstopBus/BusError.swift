/// Why the bus refused a request. Nothing was written when this is thrown for bad input.
public struct BusError: Error, Sendable, CustomStringConvertible {
    /// A problem with one input field.
    public struct FieldProblem: Sendable, Hashable, CustomStringConvertible {
        /// The field, as the API or CLI names it.
        public var field: String
        /// What is wrong with it.
        public var message: String
        /// Creates a problem.
        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }
        public var description: String { "\(field): \(message)" }
    }

    /// What kind of refusal this is.
    public enum Kind: Sendable, Hashable {
        /// The input broke a rule; see ``problems``.
        case invalidInput
        /// The named subscription does not exist.
        case unknownSubscription
        /// A subscription with that name exists already.
        case duplicateSubscription
    }

    /// What kind of refusal this is.
    public var kind: Kind
    /// The offending fields.
    public var problems: [FieldProblem]

    /// Creates an error.
    public init(_ kind: Kind, _ problems: [FieldProblem]) {
        self.kind = kind
        self.problems = problems
    }

    public var description: String { problems.map(\.description).joined(separator: "; ") }
}
