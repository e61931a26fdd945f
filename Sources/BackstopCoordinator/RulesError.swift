/// A deadline rules file is wrong; the message names the file and line.
public struct RulesError: Error, Sendable, CustomStringConvertible {
    /// The file at fault.
    public var file: String
    /// The 1-based line of the offending key or value (0 when the whole file is at fault).
    public var line: Int
    /// What is wrong.
    public var message: String

    /// A problem at `line` of `file`.
    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
}

/// Every problem found in a rules file, in line order.
public struct RulesErrors: Error, Sendable, CustomStringConvertible {
    /// The problems.
    public var problems: [RulesError]

    /// The errors `problems`.
    public init(problems: [RulesError]) { self.problems = problems }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
