import BackstopAccess
import BackstopContracts
import BackstopInbox
import Foundation
import OpenAPIRuntime

/// The webhook operations of a stakeholder service (Contracts/openapi.yaml).
extension StakeholderAPI {
    func putWebhook(_ input: Operations.PutWebhook.Input) async throws -> Operations.PutWebhook.Output {
        guard let principal = RequestPrincipal.current else { return .unauthorized(.init(body: .applicationProblemJson(Problems.make(401, "Unauthorized")))) }
        guard case .json(let body) = input.body else { return .badRequest(.init(body: .applicationProblemJson(Problems.make(400, "Bad Request")))) }
        do {
            let (hook, created) = try await webhooks.register(body.url, mode: Webhook.Mode(rawValue: body.mode?.rawValue ?? "structured") ?? .structured,
                                                   maxAttempts: body.maxAttempts ?? 10, on: input.path.name, for: principal)
            return created ? .created(.init(body: .json(Self.schema(hook)))) : .ok(.init(body: .json(Self.schema(hook))))
        } catch InboxError.invalid(let problems) {
            return .badRequest(.init(body: .applicationProblemJson(Problems.make(400, "Bad Request", detail: "the webhook is not valid; nothing was changed", errors: problems))))
        } catch InboxError.notFound(let message) {
            return .notFound(.init(body: .applicationProblemJson(Problems.make(404, "Not Found", detail: message))))
        }
    }

    func getWebhook(_ input: Operations.GetWebhook.Input) async throws -> Operations.GetWebhook.Output {
        guard let principal = RequestPrincipal.current else { return .unauthorized(.init(body: .applicationProblemJson(Problems.make(401, "Unauthorized")))) }
        guard let hook = try await webhooks.webhook(on: input.path.name, of: principal.organisation) else {
            return .notFound(.init(body: .applicationProblemJson(Problems.make(404, "Not Found", detail: "no webhook on subscription \(input.path.name)"))))
        }
        return .ok(.init(body: .json(Self.schema(hook))))
    }

    func deleteWebhook(_ input: Operations.DeleteWebhook.Input) async throws -> Operations.DeleteWebhook.Output {
        guard let principal = RequestPrincipal.current else { return .unauthorized(.init(body: .applicationProblemJson(Problems.make(401, "Unauthorized")))) }
        guard try await webhooks.remove(on: input.path.name, of: principal.organisation) else {
            return .notFound(.init(body: .applicationProblemJson(Problems.make(404, "Not Found", detail: "no webhook on subscription \(input.path.name)"))))
        }
        return .noContent(.init())
    }

    func rotateWebhookSecret(_ input: Operations.RotateWebhookSecret.Input) async throws -> Operations.RotateWebhookSecret.Output {
        guard let principal = RequestPrincipal.current else { return .unauthorized(.init(body: .applicationProblemJson(Problems.make(401, "Unauthorized")))) }
        do {
            return .ok(.init(body: .json(Self.schema(try await webhooks.rotate(on: input.path.name, for: principal)))))
        } catch InboxError.notFound(let message) {
            return .notFound(.init(body: .applicationProblemJson(Problems.make(404, "Not Found", detail: message))))
        }
    }

    static func schema(_ hook: Webhook) -> Components.Schemas.Webhook {
        .init(url: hook.url, mode: .init(rawValue: hook.mode.rawValue) ?? .structured, maxAttempts: hook.maxAttempts,
              busSubscription: hook.busSubscription, createdAt: hook.createdAt ?? Date(), secret: hook.secret)
    }
}
