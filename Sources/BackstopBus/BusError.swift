import BackstopContracts

/// Why the bus refused a request. Nothing was written when this is thrown for bad input.
public struct BusError: Error, Sendable, CustomStringConvertible {
    /// A problem with one input field (the field as the API or CLI names it, and what is wrong).
    public typealias FieldProblem = ContractViolation

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
