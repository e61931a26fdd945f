import ArgumentParser
import BackstopBus
import BackstopContracts
import Foundation

/// `backstop subscription …`: durable, named subscriptions.
struct SubscriptionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscription",
        abstract: "Create, list, change and delete subscriptions.",
        subcommands: [Create.self, List.self, Update.self, Delete.self])

    /// The filter and policy options shared by create and update.
    struct SpecOptions: ParsableArguments {
        @Argument(help: "The subscription name (a–z, 0–9, '.', '_', '-').")
        var name: String

        @Option(name: .customLong("type"), help: "An event type to receive (repeatable; default: every type).")
        var types: [String] = []

        @Option(help: "Only events whose district code starts with these digits.")
        var district: String = ""

        @Flag(help: "Deliver one event per subject at a time, in order.")
        var ordered = false

        @Option(help: "Attempts before a delivery is dead-lettered.")
        var maxAttempts: Int = 10

        @Option(help: "First retry delay in milliseconds (doubles each attempt, with jitter).")
        var backoffInitialMs: Int = 1000

        @Option(help: "Longest retry delay in milliseconds.")
        var backoffMaxMs: Int = 600_000

        @Option(help: "Lease (visibility timeout) in milliseconds.")
        var leaseMs: Int = 30_000

        var spec: SubscriptionSpec {
            SubscriptionSpec(
                name: name, filter: SubscriptionFilter(eventTypes: types.isEmpty ? nil : Set(types), districtPrefix: district),
                ordered: ordered,
                retry: RetryPolicy(initial: .milliseconds(backoffInitialMs), maximum: .milliseconds(backoffMaxMs), maxAttempts: maxAttempts),
                lease: .milliseconds(leaseMs))
        }

        func validate() throws {
            let problems = spec.problems()
            if !problems.isEmpty { throw ValidationError(problems.map(\.description).joined(separator: "; ")) }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a subscription; it receives events published from now on.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var options: SpecOptions

        func run() async throws {
            _ = CLILog.logger
            let created = try await database.open().withBus { try await $0.createSubscription(options.spec) }
            emit(describe(created))
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a subscription's filter or policies; options left out keep their current values.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The subscription name.") var name: String
        @Option(name: .customLong("type"), help: "Receive only these event types (repeatable; replaces the current list).")
        var types: [String] = []
        @Flag(help: "Receive every event type again.") var allTypes = false
        @Option(help: "District code prefix (empty string: every district).") var district: String?
        @Flag(inversion: .prefixedNo, help: "Deliver one event per subject at a time, in order.") var ordered: Bool?
        @Option(help: "Attempts before a delivery is dead-lettered.") var maxAttempts: Int?
        @Option(help: "First retry delay in milliseconds.") var backoffInitialMs: Int?
        @Option(help: "Longest retry delay in milliseconds.") var backoffMaxMs: Int?
        @Option(help: "Lease (visibility timeout) in milliseconds.") var leaseMs: Int?

        func validate() throws {
            if allTypes && !types.isEmpty { throw ValidationError("give either --type or --all-types, not both") }
        }

        func apply(to current: SubscriptionSpec) -> SubscriptionSpec {
            var spec = current
            if allTypes { spec.filter.eventTypes = nil } else if !types.isEmpty { spec.filter.eventTypes = Set(types) }
            if let district { spec.filter.districtPrefix = district }
            if let ordered { spec.ordered = ordered }
            if let maxAttempts { spec.retry.maxAttempts = maxAttempts }
            if let backoffInitialMs { spec.retry.initial = .milliseconds(backoffInitialMs) }
            if let backoffMaxMs { spec.retry.maximum = .milliseconds(backoffMaxMs) }
            if let leaseMs { spec.lease = .milliseconds(leaseMs) }
            return spec
        }

        func run() async throws {
            _ = CLILog.logger
            let updated = try await database.open().withBus { bus in
                try await bus.updateSubscription(apply(to: try await bus.subscription(named: name).spec))
            }
            emit(describe(updated))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List subscriptions as JSON lines.")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            _ = CLILog.logger
            for subscription in try await database.open().withBus({ try await $0.subscriptions() }) {
                emit(describe(subscription))
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a subscription with its pending deliveries and dead letters.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The subscription name.") var name: String

        func run() async throws {
            _ = CLILog.logger
            try await database.open().withBus { try await $0.deleteSubscription(named: name) }
            emit("deleted subscription \(name)")
        }
    }
}

func describe(_ s: Subscription) -> String {
    var object: [String: Any] = [
        "name": s.name, "district_prefix": s.spec.filter.districtPrefix, "ordered": s.spec.ordered,
        "max_attempts": s.spec.retry.maxAttempts, "lease_ms": Int(s.spec.lease / .milliseconds(1)),
    ]
    object["types"] = s.spec.filter.eventTypes.map { $0.sorted() } ?? ["*"]
    return jsonLine(object)
}
