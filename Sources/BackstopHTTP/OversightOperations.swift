import BackstopAccess
import BackstopContracts
import BackstopOversight
import Foundation
import OpenAPIRuntime

/// The review operations of oversight-service (Contracts/openapi.yaml, tag `oversight`). Only
/// oversight organisations may call them; every other kind gets 403.
extension StakeholderAPI {
    func listReviewTables(_ input: Operations.ListReviewTables.Input) async throws -> Operations.ListReviewTables.Output {
        guard let principal = RequestPrincipal.current else { return .unauthorized(.init(body: .applicationProblemJson(Problems.make(401, "Unauthorized")))) }
        guard principal.kind == .oversight else { return .forbidden(.init(body: .applicationProblemJson(Self.notOversight(principal)))) }
        return .ok(.init(body: .json(.init(tables: ReviewTable.allCases.map { table in
            .init(name: .init(rawValue: table.rawValue)!, title: table.title,
                  groupings: table.groupings.map { .init(rawValue: $0.rawValue)! })
        }))))
    }

    func getReviewTable(_ input: Operations.GetReviewTable.Input) async throws -> Operations.GetReviewTable.Output {
        guard let principal = RequestPrincipal.current else { return .unauthorized(.init(body: .applicationProblemJson(Problems.make(401, "Unauthorized")))) }
        guard principal.kind == .oversight else { return .forbidden(.init(body: .applicationProblemJson(Self.notOversight(principal)))) }
        let q = input.query
        let query: ReviewQuery
        do {
            query = try ReviewQuery.parse(from: q.from, to: q.to, township: q.township, kind: q.kind, groupBy: q.groupBy, timeZone: review.timeZone)
        } catch {
            return .badRequest(.init(body: .applicationProblemJson(Problems.make(400, "Bad Request", detail: "the review's parameters are not valid",
                                                                                  errors: error.problems))))
        }
        let table = ReviewTable(rawValue: input.path.table.rawValue)!
        let metric = try await review.table(table, query)
        if q.format == .csv { return .ok(.init(body: .csv(HTTPBody(metric.csv)))) }
        let filters = DashboardPage.Filters(query, timeZone: review.timeZone)
        return .ok(.init(body: .json(.init(
            name: input.path.table, title: table.title, from: filters.from, to: filters.to, township: query.township, kind: query.kind?.rawValue,
            groupBy: table.groupings.isEmpty ? nil : metric.columns[0].name,
            columns: metric.columns.map { .init(name: $0.name, label: $0.label, _type: .init(rawValue: $0.type.rawValue)!) },
            rows: metric.rows.map { row in row.map(Self.container) }))))
    }

    func drillDownCase(_ input: Operations.DrillDownCase.Input) async throws -> Operations.DrillDownCase.Output {
        guard let principal = RequestPrincipal.current else { return .unauthorized(.init(body: .applicationProblemJson(Problems.make(401, "Unauthorized")))) }
        guard principal.kind == .oversight else { return .forbidden(.init(body: .applicationProblemJson(Self.notOversight(principal)))) }
        let reason = input.query.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard reason.count >= Review.shortestReason else {
            return .badRequest(.init(body: .applicationProblemJson(Problems.make(
                400, "Bad Request", detail: "state why you need this case; the reason is audit-logged",
                errors: [ContractViolation(field: "reason", message: "must be at least \(Review.shortestReason) characters")]))))
        }
        guard let history = try await review.drillDown(to: input.path.caseId, by: principal, reason: reason) else {
            return .notFound(.init(body: .applicationProblemJson(Problems.make(404, "Not Found", detail: "oversight knows no case \(input.path.caseId)"))))
        }
        return .ok(.init(body: .json(.init(
            caseId: history.caseID, lead: history.lead, township: history.township, openedAt: history.openedAt, firstMeasureAt: history.firstMeasureAt,
            state: .init(rawValue: history.state) ?? .open,
            obligations: history.obligations.map {
                .init(id: $0.id, ruleId: $0.rule, action: $0.action, owner: $0.owner, openedAt: $0.openedAt, dueAt: $0.dueAt, closedAt: $0.closedAt,
                      outcome: $0.outcome, late: $0.late, level: $0.highestLevel)
            },
            contributions: history.contributions.map { .init(organisation: $0.organisation, kind: $0.kind, what: .init(rawValue: $0.what) ?? .measure, at: $0.at) }))))
    }

    static func notOversight(_ principal: Principal) -> Components.Schemas.Problem {
        Problems.make(403, "Forbidden", detail: "only oversight organisations review response times; \(principal.organisation) is a \(principal.kind.rawValue)")
    }

    static func container(_ cell: MetricTable.Cell) -> OpenAPIValueContainer {
        switch cell {
        case .text(let s): OpenAPIValueContainer(stringLiteral: s)
        case .integer(let n): OpenAPIValueContainer(integerLiteral: n)
        case .number(let x): OpenAPIValueContainer(floatLiteral: x)
        case .empty: OpenAPIValueContainer(nilLiteral: ())
        }
    }
}
