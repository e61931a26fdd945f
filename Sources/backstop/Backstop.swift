import ArgumentParser

/// The operator command line: run Backstop, manage subscriptions, inspect queues, benchmark.
@main
struct Backstop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backstop",
        abstract: "Coordination message bus for county poverty-prevention work, on PostgreSQL.",
        discussion: """
            Every command takes its database from --database-url, else DATABASE_URL, else the usual \
            PG* variables (PGHOST, PGDATABASE, PGSERVICE, …), else the private PostgreSQL cluster \
            that `backstop up` runs (started on demand if it is not running).
            """,
        subcommands: [
            Up.self, Migrate.self, Publish.self, SubscriptionCommand.self, Tail.self, DeadLetterCommand.self,
            Status.self, Maintain.self, ContractsCommand.self, RulesCommand.self, CoordinatorCommand.self, ObligationsCommand.self,
            CaseCommand.self, OrganisationCommand.self, KeyCommand.self, AuditCommand.self, Serve.self, Bench.self, Simulate.self, PushCommand.self,
        ]
    )
}
