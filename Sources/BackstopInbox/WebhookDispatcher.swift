import BackstopAccess
import BackstopBus
import BackstopContracts
import BackstopPostgres
import Foundation
import Logging
import Metrics
import ServiceLifecycle
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// POSTs the deliveries of every webhook of the organisations a service serves, as CloudEvents
/// signed with ``WebhookSignature``. A 2xx answer acknowledges the delivery; anything else, or no
/// answer within the timeout, gives it back to the bus, which retries with exponential backoff and
/// jitter and dead-letters it after the webhook's maximum attempts. The same view and audit rules
/// as the inbox apply (``EventView``).
public struct WebhookDispatcher: Service {
    /// The organisation kinds whose webhooks it serves.
    public let kinds: Set<OrganisationKind>
    private let bus: Bus
    private let catalogue: EventCatalogue
    private let session: URLSession
    private let idlePoll: Duration
    private let logger: Logger
    private let sql = InboxSQL()

    /// A dispatcher for `kinds`; `timeout` bounds each POST, `idlePoll` is how often it looks for
    /// work when there was none.
    public init(kinds: Set<OrganisationKind>, bus: Bus, timeout: Duration = .seconds(10), idlePoll: Duration = .milliseconds(250),
                catalogue: EventCatalogue = .standard, logger: Logger = Logger(label: "backstop.webhooks")) {
        self.kinds = kinds
        self.bus = bus
        self.catalogue = catalogue
        self.idlePoll = idlePoll
        self.logger = logger
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = Double(timeout.components.seconds)
        configuration.timeoutIntervalForResource = Double(timeout.components.seconds)
        session = URLSession(configuration: configuration)
    }

    /// One registered endpoint, ready to deliver to.
    struct Endpoint: Sendable {
        var id: Int64
        var busSubscription: String
        var url: URL
        var mode: Webhook.Mode
        var secrets: [String]
        var principal: Principal
    }

    /// Delivers until the task is cancelled or the service group shuts down gracefully.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                var worked = false
                do { worked = try await dispatchOnce() > 0 } catch {
                    logger.warning("webhook delivery paused: \(error)")
                }
                if !worked { try? await Task.sleep(for: idlePoll) }
            }
        }
    }

    /// Claims and delivers one batch per endpoint, up to `concurrentEndpoints` endpoints at a time
    /// (so one that times out does not hold up the others); returns how many deliveries it handled.
    @discardableResult
    public func dispatchOnce(batch: Int = 10, concurrentEndpoints: Int = 8) async throws -> Int {
        let listed = try await endpoints()
        return await withTaskGroup(of: Int.self) { group in
            var next = 0
            var handled = 0
            while next < min(concurrentEndpoints, listed.count) {
                let endpoint = listed[next]
                group.addTask { await self.dispatch(endpoint, batch: batch) }
                next += 1
            }
            for await count in group {
                handled += count
                if next < listed.count {
                    let endpoint = listed[next]
                    group.addTask { await self.dispatch(endpoint, batch: batch) }
                    next += 1
                }
            }
            return handled
        }
    }

    /// Claims one batch of an endpoint's deliveries and sends them concurrently.
    private func dispatch(_ listed: Endpoint, batch: Int) async -> Int {
        do {
            let deliveries = try await bus.claim(listed.busSubscription, limit: batch)
            if deliveries.isEmpty { return 0 }
            // Read the endpoint again now that there is work: a secret rotated or a URL changed
            // since the list was read must be used from the rotation's answer on.
            guard let endpoint = try await endpoints(id: listed.id).first else {
                for delivery in deliveries { _ = try? await delivery.nack(after: .seconds(1), error: "the webhook was removed") }
                return deliveries.count
            }
            await withTaskGroup(of: Void.self) { group in
                for delivery in deliveries { group.addTask { await deliver(delivery, to: endpoint) } }
            }
            return deliveries.count
        } catch let error as BusError where error.kind == .unknownSubscription {
            return 0  // removed since the list was read
        } catch {
            logger.warning("webhook \(listed.busSubscription): delivery paused: \(error)")
            return 0
        }
    }

    private func endpoints(id: Int64? = nil) async throws -> [Endpoint] {
        try await bus.pool.query(sql.webhookActive, [kinds.map(\.rawValue).sorted(), id]).compactMap { row in
            guard let url = URL(string: try row.decode(String.self, at: 1)), let kind = OrganisationKind(rawValue: try row.decode(String.self, at: 6)) else {
                return nil
            }
            let secrets = [try row.decode(String.self, at: 3)] + [try row.decode(String?.self, at: 4)].compactMap { $0 }
            let principal = Principal(organisation: try row.decode(String.self, at: 5), kind: kind, districtCode: try row.decode(String.self, at: 7),
                                      keyID: "")
            let id = try row.decode(Int64.self, at: 0)
            return Endpoint(id: id, busSubscription: Webhooks.busSubscription(id), url: url,
                            mode: Webhook.Mode(rawValue: try row.decode(String.self, at: 2)) ?? .structured, secrets: secrets, principal: principal)
        }
    }

    private func deliver(_ delivery: Delivery, to endpoint: Endpoint) async {
        let event = delivery.event
        let contract = catalogue.contract(for: event.type)
        // Third parties receive only public events and those that name them (as in their inbox).
        if !EventView.reaches(event, contract: contract, reader: endpoint.principal) {
            try? await delivery.ack()
            return
        }
        let view = EventView(of: event, for: endpoint.principal, catalogue: catalogue)
        let request = Self.request(for: view.event, to: endpoint, attempt: delivery.attempt, now: Date())
        do {
            if !view.shownSensitive.isEmpty {
                try await AuditLog(pool: bus.pool).recordRead(by: endpoint.principal, of: event, fields: view.shownSensitive,
                                                              purpose: contract?.purpose ?? .monitoring)
            }
            let (_, response) = try await session.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            guard (200..<300).contains(status) else { throw WebhookFailure(message: "the endpoint answered HTTP \(status)") }
            try await delivery.ack()
            count(endpoint, "ack")
        } catch {
            let outcome = try? await delivery.nack(error: "\(error)")
            if outcome == .dead { logger.warning("webhook \(endpoint.busSubscription): \(event.id) dead-lettered: \(error)") }
            if let outcome, outcome != .stale { count(endpoint, outcome == .dead ? "dead" : "nack") }
        }
    }

    private func count(_ endpoint: Endpoint, _ outcome: String) {
        Counter(label: "backstop_deliveries_total", dimensions: [("subscription", endpoint.busSubscription), ("outcome", outcome)]).increment()
    }

    /// The signed POST of `event` to `endpoint`.
    static func request(for event: CloudEvent, to endpoint: Endpoint, attempt: Int, now: Date) -> URLRequest {
        var request = URLRequest(url: endpoint.url)
        request.httpMethod = "POST"
        let body: Data
        switch endpoint.mode {
        case .structured:
            body = Data(event.jsonText().utf8)
            request.setValue("application/cloudevents+json; charset=utf-8", forHTTPHeaderField: "Content-Type")
        case .binary:
            var attributes = event.jsonObject
            body = Data(JSONText.encode(attributes.removeValue(forKey: "data") ?? .null).utf8)
            attributes.removeValue(forKey: "datacontenttype")
            request.setValue(event.datacontenttype ?? "application/json", forHTTPHeaderField: "Content-Type")
            for (name, value) in attributes.sorted(by: { $0.key < $1.key }) {
                let text: String
                if case .string(let string) = value { text = string } else { text = JSONText.encode(value) }
                request.setValue(headerValue(text), forHTTPHeaderField: "ce-\(name)")
            }
        }
        let timestamp = Int64(now.timeIntervalSince1970)
        request.setValue(String(timestamp), forHTTPHeaderField: WebhookSignature.timestampHeader)
        request.setValue(WebhookSignature.header(secrets: endpoint.secrets, timestamp: timestamp, body: body), forHTTPHeaderField: WebhookSignature.signatureHeader)
        request.setValue(String(attempt), forHTTPHeaderField: "Backstop-Attempt")
        request.httpBody = body
        return request
    }
}

/// A `ce-*` header value as the CloudEvents HTTP binding wants it: printable ASCII other than `"`
/// and `%` as it is, every other byte of its UTF-8 (spaces, controls, Chinese text) percent-encoded.
func headerValue(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
        if (0x21...0x7E).contains(byte) && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "%") {
            out.unicodeScalars.append(Unicode.Scalar(byte))
        } else {
            out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
        }
    }
    return out
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// A webhook endpoint did not accept a delivery.
struct WebhookFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
