import ArgumentParser
import BackstopBus
import BackstopContracts
import Foundation

/// `backstop dlq …`: dead letters.
struct DeadLetterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq", abstract: "List and redrive dead letters.", subcommands: [List.self, Redrive.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a subscription's dead letters as JSON lines.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The subscription name.") var subscription: String
        @Option(help: "At most this many.") var limit: Int = 100

        func validate() throws {
            guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 100000") }
        }

        func run() async throws {
            _ = CLILog.logger
            for letter in try await database.open().withBus({ try await $0.deadLetters(subscription, limit: limit) }) {
                var object: [String: Any] = ["position": letter.position, "attempts": letter.attempts,
                                             "dead_at": EventTime.format(letter.deadAt)]
                object["last_error"] = letter.lastError ?? NSNull()
                object["event_id"] = letter.event?.id ?? NSNull()
                object["type"] = letter.event?.type ?? NSNull()
                emit(jsonLine(object))
            }
        }
    }

    struct Redrive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Return dead letters to the queue with fresh attempts.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The subscription name.") var subscription: String
        @Option(name: .customLong("position"), help: "Only this position (repeatable; default: all).") var positions: [Int64] = []

        func run() async throws {
            _ = CLILog.logger
            let n = try await database.open().withBus { bus in
                try await bus.redrive(subscription, positions: positions.isEmpty ? nil : positions)
            }
            emit("redrove \(n) dead letter\(n == 1 ? "" : "s") of \(subscription)")
        }
    }
}
