import BackstopBus
import Hummingbird
import HTTPTypes
import Logging
import Metrics
import Prometheus

/// Prometheus metrics of a stakeholder service, served at `GET /metrics` (no API key).
///
/// Three kinds of series appear in one scrape:
///
/// - **Requests**, recorded by Hummingbird's `MetricsMiddleware` through swift-metrics:
///   the counter `hb_requests{http_route,http_request_method,http_response_status_code}`, the
///   histogram `http_server_request_duration` with the same labels (`_bucket`, `_sum` and `_count`
///   lines, in seconds), the counter `hb_request_errors{http_route,http_request_method,error_type}`
///   (requests that ended in a thrown error, 404s included) and the gauge
///   `http_server_active_requests{http_request_method}`. swift-prometheus turns the dots of the
///   swift-metrics names into underscores. A request is counted once its response has been written.
/// - **Bus lag**, read from ``BackstopBus/Bus/status()`` at scrape time, one series per
///   subscription: `backstop_subscription_ready`, `backstop_subscription_in_flight`,
///   `backstop_subscription_delayed`, `backstop_subscription_dead_letters` and
///   `backstop_subscription_oldest_age_seconds`, each labelled `subscription="…"`; and
///   `backstop_database_up` (1 when the status could be read, else 0 and no subscription series).
/// - **Deliveries**, counted by consumers with ``countDelivery(subscription:outcome:by:)``:
///   `backstop_deliveries_total{subscription,outcome}`.
///
/// swift-metrics allows one backend per process, so ``bootstrap()`` installs a
/// `PrometheusMetricsFactory` over one process-wide `PrometheusCollectorRegistry` exactly once,
/// however many servers the process starts; ``StakeholderServer`` calls it. Request and delivery
/// series therefore add up over every server in the process. The bus series are not kept in that
/// registry: each scrape builds them afresh from the scraped server's own bus, so two servers on
/// different databases never overwrite each other's values and a deleted subscription disappears.
///
/// Code that runs its own metrics backend must not call ``bootstrap()`` (nor start a
/// ``StakeholderServer``) in the same process: swift-metrics stops a second bootstrap.
public enum ServiceMetrics {
    /// The `Content-Type` of the Prometheus text exposition format that `/metrics` answers with.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Name of the delivery counter that ``countDelivery(subscription:outcome:by:)`` increments.
    public static let deliveriesLabel = "backstop_deliveries_total"

    /// The process-wide registry; initialising it bootstraps swift-metrics (Swift runs a `static let`
    /// initialiser once per process, under a lock, so concurrent first callers wait for it).
    private static let processRegistry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// Points swift-metrics at a Prometheus registry, once per process; later calls only return that
    /// registry. Call it before any swift-metrics handle is created: handles made earlier keep
    /// recording nowhere.
    @discardableResult
    public static func bootstrap() -> PrometheusCollectorRegistry { processRegistry }

    /// The registry swift-metrics records into (bootstrapping it on first use, see ``bootstrap()``).
    public static var registry: PrometheusCollectorRegistry { processRegistry }

    /// What became of a delivery, the `outcome` label of `backstop_deliveries_total`.
    public enum DeliveryOutcome: String, Sendable, CaseIterable {
        /// Acknowledged: handled.
        case ack
        /// Negatively acknowledged and due again after a delay.
        case nack
        /// Out of attempts: dead-lettered.
        case dead

        /// The outcome a nack had (``BackstopBus/NackOutcome``), or `nil` for a stale nack, which changed
        /// nothing.
        public init?(_ nack: NackOutcome) {
            switch nack {
            case .retry: self = .nack
            case .dead: self = .dead
            case .stale: return nil
            }
        }
    }

    /// Counts `count` deliveries of `subscription` that ended in `outcome`, as
    /// `backstop_deliveries_total{subscription="…",outcome="ack"|"nack"|"dead"}`.
    ///
    /// It is the swift-metrics call
    /// `Counter(label: "backstop_deliveries_total", dimensions: [("subscription", name), ("outcome", "ack")])`
    /// and may equally be written so. It does not bootstrap swift-metrics: the counts reach
    /// `/metrics` in a process that runs a ``StakeholderServer`` or has called ``bootstrap()``, and
    /// are dropped otherwise.
    ///
    /// ```swift
    /// for try await delivery in bus.subscribe("alerts") {
    ///     try await handle(delivery)
    ///     try await delivery.ack()
    ///     ServiceMetrics.countDelivery(subscription: "alerts", outcome: .ack)
    /// }
    /// ```
    public static func countDelivery(subscription: String, outcome: DeliveryOutcome, by count: Int = 1) {
        Counter(label: deliveriesLabel, dimensions: [("subscription", subscription), ("outcome", outcome.rawValue)])
            .increment(by: count)
    }

    /// The bus series for `bus`, read now: per-subscription queue depth and age, and
    /// `backstop_database_up`. Waits at most as long as the bus's pool waits for a connection.
    public static func busExposition(_ bus: Bus, logger: Logger = Logger(label: "backstop.metrics")) async -> String {
        let registry = PrometheusCollectorRegistry()
        let up = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "backstop", subsystem: "database", metricName: "up", unitName: "",
            helpText: "1 when the bus's database answered this scrape's status query, else 0."))
        do {
            let statuses = try await bus.status()
            for status in statuses {
                let labels = [("subscription", status.name)]
                func gauge(_ name: String, unit: String = "", _ help: String, _ value: Double) {
                    let descriptor = MetricNameDescriptor(namespace: "backstop", subsystem: "subscription", metricName: name,
                                                          unitName: unit, helpText: help)
                    registry.makeGauge(descriptor: descriptor, labels: labels).set(to: value)
                }
                gauge("ready", "Deliveries that can be claimed now.", Double(status.ready))
                gauge("in_flight", "Deliveries claimed under a lease that has not expired.", Double(status.inFlight))
                gauge("delayed", "Deliveries waiting out a retry delay.", Double(status.delayed))
                gauge("dead_letters", "Dead letters.", Double(status.deadLetters))
                gauge("oldest_age", unit: "seconds", "Age of the oldest pending delivery.", seconds(status.oldestAge))
            }
            up.set(to: 1)
        } catch {
            logger.debug("metrics: bus status unavailable: \(error)")
            up.set(to: 0)
        }
        return registry.emitToString()
    }

    /// The whole `/metrics` text: the process-wide registry (requests, deliveries) followed by the
    /// bus series of `bus` (``busExposition(_:logger:)``).
    public static func exposition(bus: Bus, logger: Logger = Logger(label: "backstop.metrics")) async -> String {
        let busText = await busExposition(bus, logger: logger)
        return registry.emitToString() + busText
    }

    /// Bootstraps swift-metrics (``bootstrap()``) and adds `GET path` to `router`, answering
    /// ``exposition(bus:logger:)`` with ``contentType``. It is a plain Hummingbird route, outside the
    /// OpenAPI handlers and their API-key middleware. Add Hummingbird's `MetricsMiddleware` to
    /// `router` first to record requests.
    public static func addRoute<Context: RequestContext>(to router: Router<Context>, bus: Bus, path: RouterPath = "/metrics",
                                                         logger: Logger = Logger(label: "backstop.metrics")) {
        bootstrap()
        router.get(path) { _, _ -> Response in
            let text = await exposition(bus: bus, logger: logger)
            return Response(status: .ok, headers: [.contentType: contentType],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
