import BackstopContracts
import BackstopHTTP
import Foundation
import Logging
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What the simulation published and what was refused, by event type.
final class SimulationTally: Sendable {
    private let counts = Mutex(Counts())

    /// Counts by short event type (`alert.raised`).
    struct Counts: Sendable {
        /// Events accepted (HTTP 201, or published on the bus by the desk), by short type.
        var published: [String: Int] = [:]
        /// Events answered as duplicates (HTTP 200), by short type.
        var duplicates: [String: Int] = [:]
        /// Events refused or failed, by short type.
        var rejected: [String: Int] = [:]
        /// Publishes in a row that got no answer at all (the services or the database are gone).
        var unanswered = 0

        /// Accepted events in all.
        var publishedTotal: Int { published.values.reduce(0, +) }
        /// Refused events in all.
        var rejectedTotal: Int { rejected.values.reduce(0, +) }
    }

    /// The counts so far.
    var snapshot: Counts { counts.withLock { $0 } }

    /// An event accepted (HTTP 201, or published by the desk).
    func published(_ type: String) { counts.withLock { $0.published[Self.short(type), default: 0] += 1; $0.unanswered = 0 } }
    /// An event answered as a duplicate (HTTP 200).
    func duplicate(_ type: String) { counts.withLock { $0.duplicates[Self.short(type), default: 0] += 1; $0.unanswered = 0 } }
    /// An event refused (any other answer).
    func rejected(_ type: String) { counts.withLock { $0.rejected[Self.short(type), default: 0] += 1; $0.unanswered = 0 } }

    /// A publish that failed without an answer (counted as rejected too).
    func unanswered(_ type: String) {
        counts.withLock {
            $0.rejected[Self.short(type), default: 0] += 1
            $0.unanswered += 1
        }
    }

    /// `cn.backstop.alert.raised.v1` → `alert.raised`.
    static func short(_ type: String) -> String {
        var text = type.hasPrefix(EventCatalogue.namespace) ? String(type.dropFirst(EventCatalogue.namespace.count)) : type
        if let dot = text.lastIndex(of: "."), text[text.index(after: dot)...].hasPrefix("v") { text = String(text[..<dot]) }
        return text
    }

    /// `alert.raised 12, job.offered 3` (most first), or `none`.
    static func describe(_ counts: [String: Int]) -> String {
        let sorted = counts.filter { $0.value > 0 }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        return sorted.isEmpty ? "none" : sorted.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }
}

/// An open obligation as a stakeholder service lists it (`GET /v1/obligations`).
struct ListedObligation: Sendable, Decodable {
    var id: String
    var ruleID: String
    var subjectRef: String?
    var dueAt: String

    enum CodingKeys: String, CodingKey {
        case id, ruleID = "rule_id", subjectRef = "subject_ref", dueAt = "due_at"
    }
}

/// Talks to the stakeholder services as the district's organisations: each publishes with its own
/// key on the service that serves its kind (`POST /v1/events` with an `Idempotency-Key`).
struct StakeholderClient: Sendable {
    /// Organisation id → API key.
    let keys: [String: String]
    /// Organisation id → kind, which picks the service.
    let kinds: [String: OrganisationKind]
    /// Service name → base URL.
    let serviceURLs: [String: URL]
    let session: URLSession
    /// Where outcomes are counted.
    let tally: SimulationTally
    let logger: Logger

    /// A client acting for `district`'s organisations with `keys` on the services at `serviceURLs`.
    init(district: DemoDistrict, keys: [String: String], serviceURLs: [String: URL], tally: SimulationTally, logger: Logger) {
        self.keys = keys
        kinds = Dictionary(district.members.map { ($0.id, $0.kind) }, uniquingKeysWith: { first, _ in first })
        self.serviceURLs = serviceURLs
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 30
        configuration.httpMaximumConnectionsPerHost = 16
        session = URLSession(configuration: configuration)
        self.tally = tally
        self.logger = logger
    }

    /// The base URL of the service that serves `org`'s kind.
    func serviceURL(of org: String) -> URL? {
        guard let kind = kinds[org], let service = StakeholderService.all.first(where: { $0.kinds.contains(kind) }) else { return nil }
        return serviceURLs[service.name]
    }

    /// Publishes `event` as `org`; counts the outcome and logs a refusal with its problem details.
    /// Transport failures and 503 answers are retried with the same idempotency key.
    func publish(_ event: CloudEvent, as org: String) async {
        guard let base = serviceURL(of: org), let key = keys[org] else {
            logger.error("simulate: no service or key for \(org); \(event.type) not published")
            tally.rejected(event.type)
            return
        }
        var request = URLRequest(url: base.appendingPathComponent("v1/events"))
        request.httpMethod = "POST"
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        request.setValue("application/cloudevents+json", forHTTPHeaderField: "Content-Type")
        request.setValue(event.idempotencyKey ?? event.id, forHTTPHeaderField: "Idempotency-Key")
        request.httpBody = Data(event.jsonText().utf8)
        var failure = ""
        for attempt in 0..<6 {
            if attempt > 0 {
                do { try await Task.sleep(for: .milliseconds(200 << attempt)) } catch { break }
            }
            do {
                let (body, response) = try await session.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                switch status {
                case 201: tally.published(event.type); return
                case 200: tally.duplicate(event.type); return
                case 503: failure = "503 " + String(decoding: body, as: UTF8.self); continue
                default:
                    logger.error("simulate: \(org) publishing \(event.type) \(event.id) was refused: \(status) \(String(decoding: body, as: UTF8.self))")
                    tally.rejected(event.type)
                    return
                }
            } catch {
                failure = "\(error)"
                if Task.isCancelled { break }
            }
        }
        // Stopped while publishing: neither published nor refused.
        guard !Task.isCancelled else { return }
        logger.error("simulate: \(org) could not publish \(event.type) \(event.id): \(failure)")
        tally.unanswered(event.type)
    }

    /// The open obligations `org` owes, as its service lists them (empty when it cannot be asked).
    func openObligations(of org: String) async -> [ListedObligation] {
        guard let base = serviceURL(of: org), let key = keys[org],
              var components = URLComponents(url: base.appendingPathComponent("v1/obligations"), resolvingAgainstBaseURL: false) else { return [] }
        components.queryItems = [URLQueryItem(name: "state", value: "open"), URLQueryItem(name: "limit", value: "500")]
        guard let url = components.url else { return [] }
        var request = URLRequest(url: url)
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        struct Page: Decodable { var obligations: [ListedObligation] }
        do {
            let (body, response) = try await session.data(for: request)
            guard (response as? HTTPURLResponse)?.statusCode == 200 else {
                logger.error("simulate: listing the obligations of \(org) failed: \(String(decoding: body, as: UTF8.self))")
                return []
            }
            return try JSONDecoder().decode(Page.self, from: body).obligations
        } catch {
            logger.warning("simulate: listing the obligations of \(org) failed: \(error)")
            return []
        }
    }

    /// Waits until the coordinator has processed everything published so far (its bus subscription,
    /// as department-service's `/metrics` shows it, has nothing ready or in flight), then a second
    /// more for its sweep to raise what is overdue.
    func waitForCoordinator(timeout: Duration) async {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        guard let base = serviceURLs[StakeholderService.department.name] else { return }
        var idle = 0
        while clock.now < deadline, idle < 2, !Task.isCancelled {
            var pending: Double?
            if let (body, _) = try? await session.data(from: base.appendingPathComponent("metrics")) {
                let series = ["backstop_subscription_ready{subscription=\"coordinator\"}", "backstop_subscription_in_flight{subscription=\"coordinator\"}"]
                let values = String(decoding: body, as: UTF8.self).split(separator: "\n").compactMap { line -> Double? in
                    guard let name = series.first(where: { line.hasPrefix($0 + " ") }) else { return nil }
                    return Double(line.dropFirst(name.count + 1))
                }
                if values.count == series.count { pending = values.reduce(0, +) }
            }
            guard let pending else {
                // No coordinator series to read: give it a few seconds.
                try? await Task.sleep(for: .seconds(3))
                return
            }
            idle = pending == 0 ? idle + 1 : 0
            try? await Task.sleep(for: .milliseconds(500))
        }
        try? await Task.sleep(for: .seconds(1))
    }

    /// Waits until every service the district publishes through answers `/health`, for up to
    /// `timeout`; returns the ones that do not.
    func unreachableServices(timeout: Duration) async -> [String] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        let acting = Set(kinds.filter { $0.value != .oversight }.values)
        var missing = StakeholderService.all.filter { !$0.kinds.isDisjoint(with: acting) }.map(\.name)
        while !missing.isEmpty {
            var still: [String] = []
            for name in missing {
                guard let url = serviceURLs[name] else { continue }
                let answered = (try? await session.data(from: url.appendingPathComponent("health")))
                    .map { ($0.1 as? HTTPURLResponse)?.statusCode == 200 } ?? false
                if !answered { still.append(name) }
            }
            missing = still
            if missing.isEmpty || clock.now >= deadline { break }
            do { try await Task.sleep(for: .milliseconds(250)) } catch { break }
        }
        return missing
    }
}
