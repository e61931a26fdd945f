import BackstopContracts
import Foundation
import HTTPTypes
import OpenAPIRuntime

/// RFC 9457 problem documents: every error a service answers with.
enum Problems {
    static func make(_ status: Int, _ title: String, detail: String? = nil, errors: [ContractViolation] = []) -> Components.Schemas.Problem {
        Components.Schemas.Problem(
            _type: "about:blank", title: title, status: status, detail: detail,
            errors: errors.isEmpty ? nil : errors.map { .init(pointer: $0.field.isEmpty ? "/" : $0.field, detail: $0.message) })
    }

    /// A whole HTTP response carrying a problem, for middleware that answers before a handler runs.
    static func response(_ status: HTTPResponse.Status, detail: String, errors: [ContractViolation] = [],
                         headers: HTTPFields = [:]) -> (HTTPResponse, HTTPBody?) {
        let problem = make(status.code, status.reasonPhrase, detail: detail, errors: errors)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(problem)) ?? Data()
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return (HTTPResponse(status: status, headerFields: fields), HTTPBody(data))
    }
}
