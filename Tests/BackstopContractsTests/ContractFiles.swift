import BackstopContracts
import Foundation

/// The package's `Contracts/` folder and its examples, read from disk by the contract tests.
enum Contracts {
    /// The package root (three levels above this file).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let root = packageRoot.appendingPathComponent("Contracts")

    /// One example envelope file.
    struct Example: CustomStringConvertible, Sendable {
        /// The folder name: an event type, or `envelope`.
        let folder: String
        let valid: Bool
        let url: URL
        let value: JSONValue

        var description: String { "\(folder)/\(valid ? "valid" : "invalid")/\(url.lastPathComponent)" }
    }

    /// The event types with a schema file, sorted.
    static var schemaTypes: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("events").path)) ?? []
        return names.filter { $0.hasSuffix(".schema.json") }.map { String($0.dropLast(".schema.json".count)) }.sorted()
    }

    /// Every example under `Contracts/examples/`.
    static let examples: [Example] = {
        let base = root.appendingPathComponent("examples")
        var out: [Example] = []
        let folders = ((try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []).sorted()
        for folder in folders {
            for verdict in ["valid", "invalid"] {
                let dir = base.appendingPathComponent(folder).appendingPathComponent(verdict)
                for name in ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted() where name.hasSuffix(".json") {
                    let url = dir.appendingPathComponent(name)
                    let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
                    out.append(Example(folder: folder, valid: verdict == "valid", url: url, value: JSONText.decode(text) ?? .null))
                }
            }
        }
        return out
    }()

    /// The schema document of an event type.
    static func schema(_ type: String) throws -> JSONValue {
        let text = try String(contentsOf: root.appendingPathComponent("events/\(type).schema.json"), encoding: .utf8)
        return JSONText.decode(text) ?? .null
    }

    /// Every violation Backstop reports for an envelope: the envelope rules, then the payload's.
    static func violations(_ envelope: JSONValue) -> [ContractViolation] {
        do {
            let event = try EnvelopeValidation.parse(envelope)
            try EventCatalogue.standard.validate(event)
            return []
        } catch {
            return error.violations
        }
    }
}

/// Runs `check-jsonschema` (the independent validator, from PyPI).
enum CheckJSONSchema {
    struct Outcome {
        let status: Int32
        let output: String
    }

    static func run(_ arguments: [String]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-m", "check_jsonschema"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// Validates instance files against a schema file; returns the names of the files with errors.
    /// Throws when check-jsonschema is missing or fails for another reason (it must never pass silently).
    static func failingFiles(schema: URL, instances: [URL]) throws -> Set<String> {
        let outcome = try run(["--output-format", "json", "--schemafile", schema.path] + instances.map(\.path))
        guard let report = JSONText.decode(outcome.output)?.objectValue else {
            throw ToolFailure(message: "check-jsonschema did not report (status \(outcome.status)); is it installed? \(outcome.output)")
        }
        if case .array(let parseErrors)? = report["parse_errors"], !parseErrors.isEmpty {
            throw ToolFailure(message: "check-jsonschema could not read: \(outcome.output)")
        }
        var failing: Set<String> = []
        if case .array(let errors)? = report["errors"] {
            for error in errors { if case .string(let file)? = error.objectValue?["filename"] { failing.insert(file) } }
        }
        guard (outcome.status == 0) == failing.isEmpty else { throw ToolFailure(message: "unexpected check-jsonschema result: \(outcome.output)") }
        return failing
    }

    struct ToolFailure: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
