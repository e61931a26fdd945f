import BackstopContracts
import Foundation
import Synchronization

/// One thing an organisation of the district does, at a moment of district time.
///
/// District time is business time: for the backfilled history it is the real past; after the
/// backfill it runs faster than the wall clock (see ``DistrictSimulation``). An event is built when
/// it is published, from the business time it is published at, so every time it carries agrees
/// with its `time` attribute.
struct SimulationStep: Sendable {
    /// When it happens, in district time.
    var at: Date
    /// What happens.
    var action: Action
    /// A name other steps refer to (set on steps whose event opens obligations).
    var label: String?
    /// The step (by label) whose obligation this one answers on time. The backfill publishes it just
    /// before that step, so the coordinator closes the obligation as it opens it (an answer that
    /// arrives first counts): published after it, the sweep could breach the long-past due time
    /// before the answer is processed.
    var answers: String?
    /// Steps (by label) that must be published before this one.
    var after: [String]
    /// Published at the end of the backfill, once the coordinator has caught up and breached what
    /// was overdue: late answers, and closures that need every answer in.
    var deferred: Bool

    /// A step; see the properties for what `label`, `answers`, `after` and `deferred` mean.
    init(at: Date, action: Action, label: String? = nil, answers: String? = nil, after: [String] = [], deferred: Bool = false) {
        self.at = at
        self.action = action
        self.label = label
        self.answers = answers
        self.after = after
        self.deferred = deferred
    }

    /// What a step does.
    enum Action: Sendable {
        /// An organisation publishes an event through its stakeholder service.
        case publish(org: String, build: @Sendable (Date) -> CloudEvent)
        /// The coordination office publishes on the bus (alerts, redispatches, extension decisions);
        /// nil: nothing to publish after all.
        case desk(@Sendable (Date, CoordinatorDesk) -> CloudEvent?)
        /// An owner asks for more time on one of its open obligations, found through its service.
        case requestExtension(ExtensionRequest)
    }
}

/// A request for more time on an obligation, which the owner finds by rule and subject in its own
/// obligation list (`GET /v1/obligations`) when the step runs.
struct ExtensionRequest: Sendable {
    /// The organisation that owes the obligation and asks.
    var owner: String
    /// The obligation's rule, e.g. `D1-visit`.
    var ruleID: String
    /// What the obligation is about (its subject reference: the household, referral, commitment…).
    var subjectRef: String
    /// The id of the request.
    var requestID: String
    /// Why more time is needed.
    var reason: ObligationExtensionRequestedV1.ReasonCode
    /// How far beyond the due time in force the owner asks to move it.
    var extra: TimeInterval
    /// Where the step leaves the obligation id and the requested due time for the decision.
    var memory: StoryMemory
}

/// Values a story learns only while it runs (an obligation id found through a service), passed
/// from one of its steps to a later one.
final class StoryMemory: Sendable {
    private let values = Mutex<[String: String]>([:])

    /// The value remembered under `key`.
    subscript(key: String) -> String? {
        get { values.withLock { $0[key] } }
        set { values.withLock { $0[key] = newValue } }
    }
}

/// Envelopes and value formats shared by the stories.
enum SimulationEvents {
    /// The local time zone of the district (dates in payloads are China Standard Time).
    static let zone = TimeZone(identifier: "Asia/Shanghai") ?? TimeZone(secondsFromGMT: 8 * 3600) ?? .gmt

    /// The CloudEvent `org` publishes with `payload` at `time`; the idempotency key is derived from
    /// the event id, so a retried publish stores the event once.
    static func event(_ payload: some EventPayload, id: String, org: String, at time: Date, subject: String? = nil,
                      district: String? = nil, correlation: String? = nil, causation: String? = nil) -> CloudEvent {
        CloudEvent(id: id, source: "/orgs/" + org, payload: payload, time: time, subject: subject, districtCode: district,
                   correlationID: correlation, causationID: causation, idempotencyKey: "sim/" + id)
    }

    /// An RFC 3339 timestamp (UTC, milliseconds).
    static func stamp(_ date: Date) -> String { EventTime.format(date) }

    /// The local calendar date of `date` (`2026-11-29`).
    static func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 2000, parts.month ?? 1, parts.day ?? 1)
    }

    /// The local calendar year of `date`.
    static func year(_ date: Date) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar.component(.year, from: date)
    }

    /// The local day of the month of `date`.
    static func dayOfMonth(_ date: Date) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar.component(.day, from: date)
    }

    /// The province's income monitoring line of a year (yuan per person per year). Demo values:
    /// the real line is set by the province every year (domain brief §2.2).
    static func monitoringLine(_ year: Int) -> CaseIdentifiedV1.MonitoringLine {
        CaseIdentifiedV1.MonitoringLine(amountYuan: year <= 2025 ? 7_800 : 7_800 + 300 * min(10, year - 2025),
                                        effectiveFrom: String(format: "%04d-01-01", year), provinceCode: "51", year: year)
    }
}
