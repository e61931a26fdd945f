import BackstopAccess
import BackstopContracts
import BackstopInbox
import Foundation
import OpenAPIRuntime

/// The inbox and subscription operations of a stakeholder service (Contracts/openapi.yaml).
extension StakeholderAPI {
    func listInbox(_ input: Operations.ListInbox.Input) async throws -> Operations.ListInbox.Output {
        guard let principal = RequestPrincipal.current else { return .unauthorized(.init(body: .applicationProblemJson(Problems.make(401, "Unauthorized")))) }
        let limit = input.query.limit ?? 100
        var problems: [ContractViolation] = []
        if !(1...500).contains(limit) { problems.append(ContractViolation(field: "limit", message: "must be from 1 to 500")) }
        if let after = input.query.after, after < 0 { problems.append(ContractViolation(field: "after", message: "must be 0 or more")) }
        problems += Self.typeProblems(input.query._type)
        if !problems.isEmpty {
            return .badRequest(.init(body: .applicationProblemJson(Problems.make(400, "Bad Request", detail: "the query is not valid", errors: problems))))
        }
        let items = try await inbox.items(for: principal, after: input.query.after ?? 0, limit: limit, types: input.query._type,
                                          pendingOnly: input.query.state != .all)
        let page = Components.Schemas.InboxPage(items: try items.map(Self.schema), nextAfter: items.count == limit ? items.last?.seq : nil)
        return .ok(.init(body: .json(page)))
    }

    func ackInboxItem(_ input: Operations.AckInboxItem.Input) async throws -> Operations.AckInboxItem.Output {
        guard let principal = RequestPrincipal.current else { return .unauthorized(.init(body: .applicationProblemJson(Problems.make(401, "Unauthorized")))) }
        guard input.path.id >= 1 else {
            return .badRequest(.init(body: .applicationProblemJson(Problems.make(400, "Bad Request", errors: [ContractViolation(field: "id", message: "must be 1 or more")]))))
        }
        guard let at = try await inbox.ack(input.path.id, for: principal.organisation) else {
            return .notFound(.init(body: .applicationProblemJson(Problems.make(404, "Not Found", detail: "\(principal.organisation) has no inbox item \(input.path.id)"))))
        }
        return .ok(.init(body: .json(.init(id: input.path.id, ackedAt: at))))
    }

    func streamInbox(_ input: Operations.StreamInbox.Input) async throws -> Operations.StreamInbox.Output {
        guard let principal = RequestPrincipal.current else { return .unauthorized(.init(body: .applicationProblemJson(Problems.make(401, "Unauthorized")))) }
        var problems = Self.typeProblems(input.query._type)
        var after = input.query.after ?? 0
        if after < 0 { problems.append(ContractViolation(field: "after", message: "must be 0 or more")) }
        if let last = input.headers.lastEventID?.trimmingCharacters(in: .whitespaces), !last.isEmpty {
            if let id = Int64(last), id >= 0 { after = id } else {
                problems.append(ContractViolation(field: "Last-Event-ID", message: "must be an item id (a whole number)"))
            }
        }
        if !problems.isEmpty {
            return .badRequest(.init(body: .applicationProblemJson(Problems.make(400, "Bad Request", detail: "the request is not valid", errors: problems))))
        }
        let stream = InboxStream(inbox: inbox, bell: bell, principal: principal, types: input.query._type, after: after)
        return .ok(.init(body: .textEventStream(HTTPBody(stream.bytes(), length: .unknown, iterationBehavior: .single))))
    }

    func listSubscriptions(_ input: Operations.ListSubscriptions.Input) async throws -> Operations.ListSubscriptions.Output {
        guard let principal = RequestPrincipal.current else { return .unauthorized(.init(body: .applicationProblemJson(Problems.make(401, "Unauthorized")))) }
        let list = try await inbox.subscriptions(of: principal.organisation)
        return .ok(.init(body: .json(.init(subscriptions: list.map(Self.schema)))))
    }

    func putSubscription(_ input: Operations.PutSubscription.Input) async throws -> Operations.PutSubscription.Output {
        guard let principal = RequestPrincipal.current else { return .unauthorized(.init(body: .applicationProblemJson(Problems.make(401, "Unauthorized")))) }
        guard OrganisationSubscription.managingKinds.contains(principal.kind) else {
            return .forbidden(.init(body: .applicationProblemJson(Problems.make(403, "Forbidden", detail: "a \(principal.kind.rawValue) receives its default subscription and cannot manage subscriptions"))))
        }
        guard case .json(let body) = input.body else { return .badRequest(.init(body: .applicationProblemJson(Problems.make(400, "Bad Request")))) }
        let wanted = OrganisationSubscription(name: input.path.name, eventTypes: body.eventTypes, districtPrefix: body.districtPrefix ?? "")
        do {
            let (stored, created) = try await inbox.put(wanted, for: principal)
            try await webhooks.subscriptionChanged(stored, for: principal)
            return created ? .created(.init(body: .json(Self.schema(stored)))) : .ok(.init(body: .json(Self.schema(stored))))
        } catch InboxError.invalid(let problems) {
            return .badRequest(.init(body: .applicationProblemJson(Problems.make(400, "Bad Request", detail: "the subscription is not valid; nothing was changed", errors: problems))))
        }
    }

    func deleteSubscription(_ input: Operations.DeleteSubscription.Input) async throws -> Operations.DeleteSubscription.Output {
        guard let principal = RequestPrincipal.current else { return .unauthorized(.init(body: .applicationProblemJson(Problems.make(401, "Unauthorized")))) }
        guard OrganisationSubscription.managingKinds.contains(principal.kind) else {
            return .forbidden(.init(body: .applicationProblemJson(Problems.make(403, "Forbidden", detail: "a \(principal.kind.rawValue) cannot manage subscriptions"))))
        }
        _ = try await webhooks.remove(on: input.path.name, of: principal.organisation)
        guard try await inbox.deleteSubscription(input.path.name, of: principal.organisation) else {
            return .notFound(.init(body: .applicationProblemJson(Problems.make(404, "Not Found", detail: "\(principal.organisation) has no subscription \(input.path.name)"))))
        }
        return .noContent(.init())
    }

    // MARK: conversions

    static func typeProblems(_ types: [String]?) -> [ContractViolation] {
        guard let types else { return [] }
        var out: [ContractViolation] = []
        if types.count > 50 { out.append(ContractViolation(field: "type", message: "at most 50 types")) }
        for type in types where type.isEmpty || type.count > 128 || type.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            out.append(ContractViolation(field: "type", message: "each type must be 1–128 characters, none of them control characters"))
            break
        }
        return out
    }

    static func schema(_ subscription: OrganisationSubscription) -> Components.Schemas.OrgSubscription {
        .init(name: subscription.name, eventTypes: subscription.eventTypes, districtPrefix: subscription.districtPrefix,
              createdAt: subscription.createdAt ?? Date(), updatedAt: subscription.updatedAt ?? Date())
    }

    static func schema(_ item: InboxItem) throws -> Components.Schemas.InboxItem {
        let container = try JSONDecoder().decode(OpenAPIObjectContainer.self, from: Data(item.event.jsonText().utf8))
        return .init(id: item.seq, subscriptions: item.subscriptions, event: .init(additionalProperties: container), withheld: item.withheld,
                     deliveredAt: item.deliveredAt, ackedAt: item.ackedAt)
    }
}
