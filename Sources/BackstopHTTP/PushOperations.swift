import BackstopAccess
import BackstopContracts
import BackstopMonitoring
import BackstopPostgres
import Foundation
import OpenAPIRuntime

/// The push operations of department-service (Contracts/openapi.yaml, tag `pushes`): departments
/// push indicator records, which are screened, stored and published atomically.
extension StakeholderAPI {
    func receivePush(_ input: Operations.ReceivePush.Input) async throws -> Operations.ReceivePush.Output {
        guard let principal = RequestPrincipal.current else { return .unauthorized(.init(body: .applicationProblemJson(Problems.make(401, "Unauthorized")))) }
        guard principal.kind == .department else { return .forbidden(.init(body: .applicationProblemJson(Self.notDepartment(principal)))) }
        guard let screening else { return .serviceUnavailable(.init(body: .applicationProblemJson(Self.noScreening))) }
        guard case .json(let batch) = input.body else {
            return .badRequest(.init(body: .applicationProblemJson(Self.rejected([PushProblem(row: nil, column: "", message: "must be a JSON object")], total: 1, json: true))))
        }
        let object = OpenAPIJSON.object(batch.additionalProperties)
        var whole: [PushProblem] = []
        func text(_ key: String, required: Bool = true) -> String? {
            switch object[key] {
            case .string(let s)?: return s
            case nil, .null?: if required { whole.append(PushProblem(row: nil, column: key, message: "is required")) }
            default: whole.append(PushProblem(row: nil, column: key, message: "must be text"))
            }
            return nil
        }
        let set = text("indicator_set"), period = text("period"), disaster = text("disaster_id", required: false)
        for key in object.keys where !["indicator_set", "period", "disaster_id", "records"].contains(key) {
            whole.append(PushProblem(row: nil, column: key, message: "is not a field of a push batch"))
        }
        var records: [JSONValue] = []
        switch object["records"] {
        case .array(let items)?:
            records = items
            if items.count > 50_000 { whole.append(PushProblem(row: nil, column: "records", message: "holds \(items.count) records; send more than 50,000 as CSV (POST /v1/pushes/csv)")) }
        default: whole.append(PushProblem(row: nil, column: "records", message: "must be a list of records"))
        }
        guard whole.isEmpty, let set, let period else {
            return .badRequest(.init(body: .applicationProblemJson(Self.rejected(whole, total: whole.count, json: true))))
        }
        let outcome: Result<PushReceipt, any Error>
        do {
            var push = try PushScreening(rules: screening, department: principal.organisation, setName: set, period: period, disasterID: disaster)
            for (index, record) in records.enumerated() {
                guard case .object(let fields) = record else {
                    push.malformedRow(index, "must be an object")
                    continue
                }
                for key in fields.keys where !Self.recordFields.contains(key) { push.malformedRow(index, "'\(key)' is not a record field") }
                push.add(row: index) { name in
                    switch fields[name] {
                    case .string(let s)?: s
                    case .number(let n)?: name == "value" ? String(n) : "\(n)"
                    case nil, .null?: nil
                    default: "(not text)"
                    }
                }
            }
            outcome = .success(try await pushes.store(try push.finish(), via: .json))
        } catch {
            outcome = .failure(error)
        }
        switch Self.answer(outcome, json: true) {
        case .created(let receipt): return .created(.init(body: .json(receipt)))
        case .ok(let receipt): return .ok(.init(body: .json(receipt)))
        case .badRequest(let problem): return .badRequest(.init(body: .applicationProblemJson(problem)))
        case .conflict(let problem): return .conflict(.init(body: .applicationProblemJson(problem)))
        case .unavailable(let problem): return .serviceUnavailable(.init(body: .applicationProblemJson(problem)))
        }
    }

    func receivePushCSV(_ input: Operations.ReceivePushCSV.Input) async throws -> Operations.ReceivePushCSV.Output {
        guard let principal = RequestPrincipal.current else { return .unauthorized(.init(body: .applicationProblemJson(Problems.make(401, "Unauthorized")))) }
        guard principal.kind == .department else { return .forbidden(.init(body: .applicationProblemJson(Self.notDepartment(principal)))) }
        guard let screening else { return .serviceUnavailable(.init(body: .applicationProblemJson(Self.noScreening))) }
        let q = input.query
        let outcome: Result<PushReceipt, any Error>
        do {
            var push = try PushScreening(rules: screening, department: principal.organisation, setName: q.indicatorSet, period: q.period,
                                         disasterID: q.disasterId)
            guard case .csv(let body) = input.body else { throw PushRejected(problems: [], total: 0) }
            // The body is read chunk by chunk: memory does not grow with the push.
            for try await chunk in body { push.csv(chunk) }
            outcome = .success(try await pushes.store(try push.finish(), via: .csv))
        } catch {
            outcome = .failure(error)
        }
        switch Self.answer(outcome, json: false) {
        case .created(let receipt): return .created(.init(body: .json(receipt)))
        case .ok(let receipt): return .ok(.init(body: .json(receipt)))
        case .badRequest(let problem): return .badRequest(.init(body: .applicationProblemJson(problem)))
        case .conflict(let problem): return .conflict(.init(body: .applicationProblemJson(problem)))
        case .unavailable(let problem): return .serviceUnavailable(.init(body: .applicationProblemJson(problem)))
        }
    }

    func listPushes(_ input: Operations.ListPushes.Input) async throws -> Operations.ListPushes.Output {
        guard let principal = RequestPrincipal.current else { return .unauthorized(.init(body: .applicationProblemJson(Problems.make(401, "Unauthorized")))) }
        guard principal.kind == .department else { return .forbidden(.init(body: .applicationProblemJson(Self.notDepartment(principal)))) }
        let limit = input.query.limit ?? 100
        guard (1...500).contains(limit) else {
            return .badRequest(.init(body: .applicationProblemJson(Problems.make(400, "Bad Request", detail: "limit is out of range",
                                                                                  errors: [ContractViolation(field: "limit", message: "must be from 1 to 500")]))))
        }
        let list = try await pushes.pushes(of: principal.organisation, limit: limit)
        return .ok(.init(body: .json(.init(pushes: list.map(Self.receipt)))))
    }

    // MARK: shared

    static let recordFields: Set<String> = ["household_ref", "indicator", "value", "unit", "period", "location_code", "population"]

    enum PushAnswer {
        case created(Components.Schemas.PushReceipt)
        case ok(Components.Schemas.PushReceipt)
        case badRequest(Components.Schemas.Problem)
        case conflict(Components.Schemas.Problem)
        case unavailable(Components.Schemas.Problem)
    }

    static func answer(_ outcome: Result<PushReceipt, any Error>, json: Bool) -> PushAnswer {
        switch outcome {
        case .success(let receipt): return receipt.duplicate ? .ok(Self.receipt(receipt)) : .created(Self.receipt(receipt))
        case .failure(let error as PushRejected): return .badRequest(rejected(error.problems, total: error.total, json: json))
        case .failure(let error as PushConflict): return .conflict(Problems.make(409, "Conflict", detail: error.description))
        case .failure(let error as PostgresError) where error.isTransient:
            return .unavailable(Problems.make(503, "Service Unavailable", detail: "the bus is unavailable; send the push again (nothing was written)"))
        case .failure(let error):
            return .unavailable(Problems.make(503, "Service Unavailable", detail: "the push could not be stored (nothing was written): \(error)"))
        }
    }

    static func rejected(_ problems: [PushProblem], total: Int, json: Bool) -> Components.Schemas.Problem {
        let more = total > problems.count ? " (the first \(problems.count) are listed)" : ""
        return Problems.make(400, "Bad Request", detail: "the push was refused and nothing was written: \(total) problem\(total == 1 ? "" : "s")\(more)",
                             errors: problems.map { p in
                                 let field: String
                                 if let row = p.row {
                                     field = json ? "/records/\(row)" + (p.column.isEmpty ? "" : "/\(p.column)") : "row \(row)" + (p.column.isEmpty ? "" : ", \(p.column)")
                                 } else {
                                     field = json ? "/\(p.column)" : p.column
                                 }
                                 return ContractViolation(field: field, message: p.message)
                             })
    }

    static func receipt(_ r: PushReceipt) -> Components.Schemas.PushReceipt {
        .init(pushId: r.pushID, indicatorSet: r.set, period: r.period, disasterId: r.disasterID, pushKey: r.pushKey, digest: r.digest,
              records: r.records, flagged: r.flagged, clues: r.clues, receivedAt: r.receivedAt, duplicate: r.duplicate)
    }

    static func notDepartment(_ principal: Principal) -> Components.Schemas.Problem {
        Problems.make(403, "Forbidden", detail: "only departments push indicator records; \(principal.organisation) is a \(principal.kind.rawValue)")
    }

    static let noScreening = Problems.make(503, "Service Unavailable",
                                           detail: "this service has no screening rules; start it with BACKSTOP_SCREENING=Ops/screening/s-province.yaml")
}

extension StakeholderAPI {
    func listFlaggedRecords(_ input: Operations.ListFlaggedRecords.Input) async throws -> Operations.ListFlaggedRecords.Output {
        guard let principal = RequestPrincipal.current else { return .unauthorized(.init(body: .applicationProblemJson(Problems.make(401, "Unauthorized")))) }
        guard principal.kind == .department else { return .forbidden(.init(body: .applicationProblemJson(Self.notDepartment(principal)))) }
        let purpose = Purpose(rawValue: input.query.purpose.rawValue) ?? .monitoring
        guard let rows = try await pushes.flaggedRecords(of: input.path.pushId, by: principal, purpose: purpose) else {
            return .notFound(.init(body: .applicationProblemJson(Problems.make(404, "Not Found", detail: "\(principal.organisation) sent no push \(input.path.pushId)"))))
        }
        return .ok(.init(body: .json(.init(pushId: input.path.pushId, records: rows.map {
            .init(row: $0.row, householdRef: $0.householdRef, indicator: $0.indicator, value: $0.value, unit: $0.unit, locationCode: $0.locationCode,
                  population: $0.population, rules: $0.rules, bands: $0.bands, clueId: $0.clueID)
        }))))
    }
}
