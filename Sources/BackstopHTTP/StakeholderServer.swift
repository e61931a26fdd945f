import BackstopAccess
import BackstopBus
import BackstopContracts
import BackstopCoordinator
import BackstopInbox
import BackstopMonitoring
import BackstopOversight
import Foundation
import Hummingbird
import Logging
import OpenAPIHummingbird
import OpenAPIRuntime
import ServiceLifecycle
import UnixSignals

/// One stakeholder service: an HTTP server for the organisation kinds it serves, on the bus's
/// database. SIGTERM or SIGINT drains requests in flight and then stops (ServiceLifecycle).
public struct StakeholderServer: Sendable {
    /// What to run.
    public struct Configuration: Sendable {
        /// The service's name (`enterprise-service`).
        public var name: String
        /// The organisation kinds whose keys it accepts.
        public var kinds: Set<OrganisationKind>
        /// libpq connection string of the bus's database.
        public var conninfo: String
        /// Address to listen on.
        public var host: String
        /// Port to listen on (0: any free port).
        public var port: Int
        /// Screening rules for department data pushes (department-service); without them pushes
        /// are answered 503.
        public var screening: ScreeningRules?

        /// A configuration.
        public init(name: String, kinds: Set<OrganisationKind>, conninfo: String, host: String = "127.0.0.1", port: Int,
                    screening: ScreeningRules? = nil) {
            self.screening = screening
            self.name = name
            self.kinds = kinds
            self.conninfo = conninfo
            self.host = host
            self.port = port
        }
    }

    /// The configuration.
    public let configuration: Configuration
    private let logger: Logger

    /// A server for `configuration`.
    public init(_ configuration: Configuration, logger: Logger? = nil) {
        self.configuration = configuration
        self.logger = logger ?? Logger(label: "backstop.\(configuration.name)")
    }

    /// Runs until SIGTERM or SIGINT (or the task is cancelled); `onListening` gets the bound port.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let bus = Bus(BusConfiguration(conninfo: configuration.conninfo, reconnectTimeout: .seconds(5)), logger: logger)
        let migrations = try SystemSchema.migrations()
        let bell = InboxBell()
        let review = Review(pool: bus.pool)
        let api = StakeholderAPI(name: configuration.name, bus: bus, permissions: Permissions(), migrations: migrations,
                                 inbox: Inbox(pool: bus.pool), bell: bell, webhooks: Webhooks(bus: bus),
                                 publisher: PublishCoalescer(bus: bus), review: review, screening: configuration.screening,
                                 pushes: PushIntake(bus: bus))
        let inboxRouter = InboxRouter(service: configuration.name, kinds: configuration.kinds, bus: bus, bell: bell, logger: logger)
        // The inbox's bus subscription exists before the service says it listens, so every event
        // published from then on reaches the inboxes (if the database is down, run() retries).
        try? await inboxRouter.prepare()
        let dispatcher = WebhookDispatcher(kinds: configuration.kinds, bus: bus, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: inboxRouter), .init(service: dispatcher)]
        let router = Router()
        if configuration.kinds.contains(.oversight) {
            // Oversight keeps its read models by consuming the bus, and serves the dashboard.
            let projector = OversightProjector(bus: bus, logger: logger)
            try? await projector.prepare()
            services.append(.init(service: projector))
            DashboardRoutes(review: review, registry: OrganisationRegistry(pool: bus.pool)).add(to: router)
        }
        let logger = self.logger
        // Before any route: middleware applies to the routes added after it. `/metrics` is a plain
        // route, outside the OpenAPI handlers and their API-key check.
        router.add(middleware: MetricsMiddleware())
        ServiceMetrics.addRoute(to: router, bus: bus, logger: logger)
        try api.registerHandlers(on: router, middlewares: [
            ErrorMiddleware(log: { logger.error("\($0)") }),
            AuthenticationMiddleware(registry: OrganisationRegistry(pool: bus.pool), served: configuration.kinds, serviceName: configuration.name),
        ])
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: configuration.name),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        do {
            // The HTTP server drains requests in flight; inbox routing, webhook delivery and the
            // oversight projection stop taking work (anything claimed but unacknowledged is
            // redelivered after its lease).
            let group = ServiceGroup(configuration: .init(services: [.init(service: app)] + services,
                                                          gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        } catch {
            await bus.close()
            throw error
        }
        await bus.close()
    }
}
