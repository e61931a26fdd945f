import BackstopAccess
import BackstopContracts
import BackstopOversight
import Foundation
import Hummingbird

/// The oversight dashboard's pages (``DashboardPage``) on oversight-service. An officer signs in
/// with an oversight API key, which the browser keeps in an HTTP-only, same-site cookie; every page
/// checks it again, so a revoked key or a disabled organisation is out at once.
struct DashboardRoutes {
    let review: Review
    let registry: OrganisationRegistry
    static let cookie = "backstop_key"

    func add<Context: RequestContext>(to router: Router<Context>) {
        router.get("/") { _, _ in Response.redirect(to: "/dashboard", type: .found) }
        router.get("/dashboard/login") { _, _ in html(DashboardPage.signIn()) }
        router.post("/dashboard/login") { request, _ in try await signIn(request) }
        router.get("/dashboard/logout") { _, _ in
            var response = Response.redirect(to: "/dashboard/login", type: .normal)
            response.setCookie(Cookie(name: Self.cookie, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }
        router.get("/dashboard") { request, _ in
            try await signedIn(request) { principal in
                let query: ReviewQuery
                do throws(InvalidReviewQuery) { query = try parse(request) } catch { return html(problemPage(error), status: .badRequest) }
                let tables = try await review.tables(query)
                let townships = try await review.townships()
                return html(DashboardPage.dashboard(filters: DashboardPage.Filters(query, timeZone: review.timeZone), tables: tables,
                                                    townships: townships, organisation: principal.organisation))
            }
        }
        router.get("/dashboard/csv/{table}") { request, context in
            try await signedIn(request) { _ in
                guard let table = context.parameters.get("table").flatMap(ReviewTable.init(rawValue:)) else {
                    return html(problemPage(nil, "There is no such table."), status: .notFound)
                }
                let query: ReviewQuery
                do throws(InvalidReviewQuery) { query = try parse(request) } catch { return html(problemPage(error), status: .badRequest) }
                let metric = try await review.table(table, query)
                return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                                       .contentDisposition: "attachment; filename=\"\(table.rawValue).csv\""],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: metric.csv)))
            }
        }
        router.get("/dashboard/cases/{id}") { request, context in
            try await signedIn(request) { _ in html(DashboardPage.drillDownForm(caseID: context.parameters.get("id") ?? "")) }
        }
        router.post("/dashboard/cases/{id}") { request, context in
            try await signedIn(request) { principal in
                let caseID = context.parameters.get("id") ?? ""
                let reason = (try await form(request)["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                guard reason.count >= Review.shortestReason else {
                    return html(DashboardPage.drillDownForm(caseID: caseID, problem: "State a reason of at least \(Review.shortestReason) characters."),
                                status: .badRequest)
                }
                guard let history = try await review.drillDown(to: caseID, by: principal, reason: reason) else {
                    return html(DashboardPage.drillDownForm(caseID: caseID, problem: "Oversight knows no case \(caseID)."), status: .notFound)
                }
                return html(DashboardPage.caseHistory(history, timeZone: review.timeZone))
            }
        }
    }

    private func signIn(_ request: Request) async throws -> Response {
        let key = (try await form(request)["key"] ?? "").trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, Self.cookieSafe(key), let principal = try await registry.authenticate(key) else {
            return html(DashboardPage.signIn(problem: "The key is unknown or revoked, or its organisation is disabled."), status: .unauthorized)
        }
        guard principal.kind == .oversight else {
            return html(DashboardPage.signIn(problem: "The dashboard is for oversight organisations; \(principal.organisation) is a \(principal.kind.rawValue)."),
                        status: .forbidden)
        }
        var response = Response.redirect(to: "/dashboard", type: .normal)
        response.setCookie(Cookie(name: Self.cookie, value: key, path: "/", httpOnly: true, sameSite: .strict))
        return response
    }

    /// Runs `page` for the signed-in oversight officer, or sends the browser to sign in.
    private func signedIn(_ request: Request, _ page: (Principal) async throws -> Response) async throws -> Response {
        guard let key = request.cookies[Self.cookie]?.value, !key.isEmpty,
              let principal = try await registry.authenticate(key), principal.kind == .oversight else {
            return Response.redirect(to: "/dashboard/login", type: .found)
        }
        return try await page(principal)
    }

    private func parse(_ request: Request) throws(InvalidReviewQuery) -> ReviewQuery {
        let p = request.uri.queryParameters
        func value(_ name: String) -> String? {
            guard let v = p[name[...]].map(String.init), !v.isEmpty else { return nil }
            return v
        }
        return try ReviewQuery.parse(from: value("from"), to: value("to"), township: value("township"), kind: value("kind"),
                                     groupBy: value("group_by"), timeZone: review.timeZone)
    }

    /// The fields of an `application/x-www-form-urlencoded` body (at most 16 KiB).
    private func form(_ request: Request) async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: 16 * 1024)
        let text = String(buffer: buffer)
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    private func problemPage(_ error: InvalidReviewQuery?, _ message: String? = nil) -> String {
        DashboardPage.problem(message ?? (error?.problems.map { "\($0.field): \($0.message)" }.joined(separator: "; ") ?? "bad request"))
    }

    /// Whether `key` can travel in a cookie as it is (API keys are `bk_` and URL-safe characters).
    static func cookieSafe(_ key: String) -> Bool {
        key.count <= 200 && key.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.~".unicodeScalars.contains($0)) }
    }
}

private func html(_ page: String, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
             body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
}
