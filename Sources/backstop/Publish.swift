import ArgumentParser
import BackstopBus
import BackstopContracts
import Foundation

/// `backstop publish`: publish CloudEvents given as JSON.
struct Publish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish events: one CloudEvents JSON object, or an array of them (one transaction).",
        discussion: """
            The event comes from --file, from the EVENT argument, or from standard input. `id` may be \
            left out (a UUID is assigned). Every event is validated first; if any is invalid nothing \
            is published and the errors are printed. Prints one receipt per event as a JSON line.
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(name: .shortAndLong, help: "Read the event(s) from this file ('-' for standard input).")
    var file: String?

    @Argument(help: "The event as JSON text.")
    var event: String?

    func validate() throws {
        if file != nil && event != nil { throw ValidationError("give the event either as an argument or with --file, not both") }
    }

    func run() async throws {
        _ = CLILog.logger
        let text: String
        if let event {
            text = event
        } else if let file, file != "-" {
            guard let contents = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
            text = String(decoding: contents, as: UTF8.self)
        } else {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        let events = try Self.parse(text)
        let db = try await database.open()
        let receipts = try await db.withBus { bus in try await bus.publish(events) }
        for receipt in receipts {
            emit(jsonLine(["id": receipt.id, "position": receipt.position, "duplicate": receipt.duplicate,
                           "accepted_at": EventTime.format(receipt.acceptedAt)]))
        }
    }

    /// Parses one event or an array of events, assigning ids where missing; every problem of every
    /// event is reported before anything is published.
    static func parse(_ text: String) throws -> [CloudEvent] {
        guard let value = JSONText.decode(text) else {
            throw CLIError("the input is not valid JSON")
        }
        let items: [JSONValue]
        if case .array(let array) = value {
            guard !array.isEmpty else { throw CLIError("the array holds no events") }
            items = array
        } else {
            items = [value]
        }
        var events: [CloudEvent] = []
        var problems: [String] = []
        for (index, item) in items.enumerated() {
            var item = item
            if case .object(var object) = item {
                if object["id"] == nil { object["id"] = .string(EventID.make()) }
                if object["specversion"] == nil { object["specversion"] = .string("1.0") }
                item = .object(object)
            }
            do {
                let event = try EnvelopeValidation.parse(item)
                try EventCatalogue.standard.validate(event)
                events.append(event)
            } catch {
                let prefix = items.count > 1 ? "event \(index): " : ""
                problems += error.violations.map { "\(prefix)\($0.field.isEmpty ? "(event)" : $0.field): \($0.message)" }
            }
        }
        if !problems.isEmpty { throw CLIError("invalid event, nothing was published:\n  " + problems.joined(separator: "\n  ")) }
        return events
    }
}

/// A command failed; the message says why. Exits with status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
