@testable import BackstopHTTP
import Foundation
import Testing

@Suite("generated server code")
struct GeneratedCodeTests {
    @Test func theGeneratedCodeComesFromTheCurrentOpenAPIDocument() throws {
        let spec = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Contracts/openapi.yaml")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum", spec.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let sum = String(output.prefix(64))
        #expect(sum.count == 64)
        #expect(OpenAPISource.sha256 == sum, "Contracts/openapi.yaml changed: run Ops/scripts/generate-openapi.sh")
    }
}
