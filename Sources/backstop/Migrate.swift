import ArgumentParser
import BackstopAccess
import BackstopBus
import BackstopHTTP
import BackstopCoordinator
import BackstopInbox
import BackstopPostgres

/// `backstop migrate`: apply pending schema migrations.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending schema migrations (safe to run from several places at once).")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        _ = CLILog.logger
        let db = try await database.open()
        do {
            let connection = try await Connection.connect(db.conninfo)
            let applied = try await Migrator(migrations: try SystemSchema.migrations(), logger: CLILog.logger).migrate(connection)
            await connection.close()
            emit(applied.isEmpty ? "schema is current" : "applied migrations \(applied.map { Migration.label($0) }.joined(separator: ", "))")
        } catch {
            await db.close()
            throw error
        }
        await db.close()
    }
}
