import ArgumentParser
import BackstopHTTP

/// `backstop serve SERVICE`: runs one stakeholder service in this process, exactly as its own
/// executable would (settings from `DATABASE_URL`, `PORT`, `HOST`). `backstop up` starts the
/// services this way, so one binary is enough to run the whole system.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one stakeholder service (department-service, enterprise-service, cooperative-service, social-org-service).",
        discussion: "Settings come from DATABASE_URL (required), PORT and HOST, as for the service's own executable.")

    @Argument(help: "The service to run.")
    var service: String

    func validate() throws {
        guard StakeholderService.all.contains(where: { $0.name == service }) else {
            throw ValidationError("unknown service \(service); one of \(StakeholderService.all.map(\.name).joined(separator: ", "))")
        }
    }

    func run() async throws {
        await ServiceMain.run(StakeholderService.all.first { $0.name == service }!)
    }
}
