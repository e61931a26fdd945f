import BackstopAccess
import BackstopBus
import BackstopContracts
import BackstopCoordinator
import BackstopInbox
import BackstopMonitoring
import BackstopOversight
import BackstopPostgres
import Foundation
import OpenAPIRuntime

/// The operations of a stakeholder service (Contracts/openapi.yaml), for the organisation kinds the
/// service serves. Handlers run after ``AuthenticationMiddleware`` has proven who is asking.
struct StakeholderAPI: APIProtocol {
    let name: String
    let bus: Bus
    let permissions: Permissions
    let migrations: [Migration]
    let inbox: Inbox
    let bell: InboxBell
    let webhooks: Webhooks
    let publisher: PublishCoalescer
    let review: Review
    /// The screening rules pushes are checked against (department-service); nil when not configured.
    let screening: ScreeningRules?
    let pushes: PushIntake

    func health(_ input: Operations.Health.Input) async throws -> Operations.Health.Output {
        .ok(.init(body: .json(.init(status: "ok", service: name))))
    }

    func ready(_ input: Operations.Ready.Input) async throws -> Operations.Ready.Output {
        do {
            let pending = try await bus.pool.withConnection { c in try await Migrator(migrations: migrations).pending(c) }
            guard pending.isEmpty else {
                return .serviceUnavailable(.init(body: .applicationProblemJson(Problems.make(
                    503, "Service Unavailable", detail: "the database schema is not current: run backstop migrate"))))
            }
            return .ok(.init(body: .json(.init(status: "ok", service: name))))
        } catch {
            return .serviceUnavailable(.init(body: .applicationProblemJson(Problems.make(503, "Service Unavailable", detail: "the database cannot be reached"))))
        }
    }

    func publishEvent(_ input: Operations.PublishEvent.Input) async throws -> Operations.PublishEvent.Output {
        guard let principal = RequestPrincipal.current else { return .unauthorized(.init(body: .applicationProblemJson(Problems.make(401, "Unauthorized")))) }
        let container: OpenAPIObjectContainer
        switch input.body {
        case .json(let body), .applicationCloudeventsJson(let body): container = body.additionalProperties
        }
        func bad(_ problems: [ContractViolation], _ detail: String = "the event breaks the contracts; nothing was published") -> Operations.PublishEvent.Output {
            .badRequest(.init(body: .applicationProblemJson(Problems.make(400, "Bad Request", detail: detail, errors: problems))))
        }
        var object = OpenAPIJSON.object(container)
        if object["source"] == nil { object["source"] = .string(principal.source) }
        if object["id"] == nil { object["id"] = .string(EventID.make()) }
        if object["specversion"] == nil { object["specversion"] = .string("1.0") }
        if let key = input.headers.idempotencyKey {
            if let given = object["idempotencykey"], given != .string(key) {
                return bad([ContractViolation(field: "/idempotencykey", message: "differs from the Idempotency-Key header")])
            }
            object["idempotencykey"] = .string(key)
        }
        let event: CloudEvent
        do { event = try EnvelopeValidation.parse(.object(object)) } catch { return bad(error.violations) }
        if let refusal = permissions.refusal(toPublish: event, by: principal) {
            return .forbidden(.init(body: .applicationProblemJson(Problems.make(403, "Forbidden", detail: refusal))))
        }
        // The payload is checked against its type's schema by the bus's publish (InvalidEvent below).
        let receipt: PublishReceipt
        do {
            // Concurrent requests share statements and commits (PublishCoalescer).
            receipt = try await publisher.publish(event)
        } catch let error as InvalidEvent {
            return bad(error.violations)
        } catch let error as PostgresError where error.isTransient {
            return .serviceUnavailable(.init(body: .applicationProblemJson(Problems.make(503, "Service Unavailable", detail: "the bus is unavailable; retry with the same Idempotency-Key"))))
        }
        let body = Components.Schemas.Receipt(id: receipt.id, source: event.source, position: receipt.position, acceptedAt: receipt.acceptedAt,
                                              duplicate: receipt.duplicate)
        return receipt.duplicate ? .ok(.init(body: .json(body))) : .created(.init(body: .json(body)))
    }

    func listObligations(_ input: Operations.ListObligations.Input) async throws -> Operations.ListObligations.Output {
        guard let principal = RequestPrincipal.current else { return .unauthorized(.init(body: .applicationProblemJson(Problems.make(401, "Unauthorized")))) }
        let limit = input.query.limit ?? 100
        guard (1...500).contains(limit) else {
            return .badRequest(.init(body: .applicationProblemJson(Problems.make(400, "Bad Request", detail: "limit is out of range",
                                                                                  errors: [ContractViolation(field: "limit", message: "must be from 1 to 500")]))))
        }
        let all = input.query.state == .all
        let rows = try await bus.pool.query("""
            SELECT o.id::text, o.rule_id, o.action, o.link_key, o.case_id, o.state, o.level, o.opened_at, o.due_at, o.closed_at,
                   o.late, o.state = 'open' AND o.due_at < now()
            FROM backstop.obligations o
            WHERE o.owner_org = $1 AND ($2 OR o.state = 'open')
            ORDER BY o.due_at LIMIT $3
            """, [principal.organisation, all, limit])
        let obligations = try rows.map { row in
            Components.Schemas.Obligation(
                id: try row.decode(String.self, at: 0), ruleId: try row.decode(String.self, at: 1), action: try row.decode(String.self, at: 2),
                subjectRef: try row.decode(String.self, at: 3), caseId: try row.decode(String?.self, at: 4),
                state: .init(rawValue: try row.decode(String.self, at: 5)) ?? .open, level: try row.decode(Int.self, at: 6),
                openedAt: try row.decode(Date.self, at: 7), dueAt: try row.decode(Date.self, at: 8), closedAt: try row.decode(Date?.self, at: 9),
                late: try row.decode(Bool?.self, at: 10), overdue: try row.decode(Bool.self, at: 11))
        }
        return .ok(.init(body: .json(.init(obligations: obligations))))
    }
}
