import BackstopAccess
import BackstopContracts
import BackstopPostgres
import Foundation
import HTTPTypes
import OpenAPIRuntime

/// The organisation behind the current request (set by ``AuthenticationMiddleware``).
enum RequestPrincipal {
    @TaskLocal static var current: Principal?
}

/// Checks `Authorization: Bearer <key>` on every operation except liveness and readiness: no key,
/// an unknown or revoked key, or a disabled organisation get 401; a key of an organisation kind the
/// service does not serve gets 403. Nothing reaches a handler unauthenticated.
struct AuthenticationMiddleware: ServerMiddleware {
    let registry: OrganisationRegistry
    let served: Set<OrganisationKind>
    let serviceName: String
    static let open: Set<String> = ["health", "ready"]

    func intercept(_ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
                   next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?))
        async throws -> (HTTPResponse, HTTPBody?) {
        if Self.open.contains(operationID) { return try await next(request, body, metadata) }
        let challenge: HTTPFields = [.wwwAuthenticate: "Bearer realm=\"backstop\""]
        guard let header = request.headerFields[.authorization], header.hasPrefix("Bearer ") else {
            return Problems.response(.unauthorized, detail: "send an API key as Authorization: Bearer <key>", headers: challenge)
        }
        let presented = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard let principal = try await registry.authenticate(presented) else {
            return Problems.response(.unauthorized, detail: "the key is unknown or revoked, or its organisation is disabled", headers: challenge)
        }
        guard served.contains(principal.kind) else {
            return Problems.response(.forbidden, detail: "\(serviceName) serves \(served.map(\.rawValue).sorted().joined(separator: ", ")) organisations, not a \(principal.kind.rawValue)")
        }
        return try await RequestPrincipal.$current.withValue(principal) { try await next(request, body, metadata) }
    }
}

/// Turns errors no handler answered into problem documents: a request the generated code could not
/// decode is the client's mistake (400); anything else is logged and answered 500 without details.
struct ErrorMiddleware: ServerMiddleware {
    let log: @Sendable (String) -> Void

    func intercept(_ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
                   next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?))
        async throws -> (HTTPResponse, HTTPBody?) {
        do {
            return try await next(request, body, metadata)
        } catch let error as ServerError where (error.underlyingError as? PostgresError)?.isTransient == true {
            // The database is down or restarting: the client may retry.
            return Problems.response(.serviceUnavailable, detail: "the database cannot be reached; retry later")
        } catch let error as ServerError where error.operationInput == nil {
            // Raised while decoding the request: a malformed parameter, header or body.
            return Problems.response(.badRequest, detail: "the request could not be read: \(Self.reason(error.underlyingError))")
        } catch {
            log("\(operationID) failed: \(error)")
            return Problems.response(.internalServerError, detail: "the request failed on the server; it has been logged")
        }
    }

    static func reason(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error { return context.debugDescription }
        if case DecodingError.typeMismatch(_, let context) = error { return context.debugDescription }
        if case DecodingError.keyNotFound(let key, _) = error { return "\(key.stringValue) is required" }
        return "\(error)"
    }
}
