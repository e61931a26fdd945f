import ArgumentParser
import BackstopContracts
import BackstopContractsCodegen
import Foundation

/// `backstop contracts …`: the event catalogue.
struct ContractsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contracts",
        abstract: "Generate code and documents from Contracts/, and check events against it.",
        subcommands: [Generate.self, Validate.self]
    )

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the Swift payload types, Contracts/CATALOGUE.md and Contracts/asyncapi.yaml from the schemas.",
            discussion: "With --check nothing is written; the command fails if any generated file is out of date."
        )

        @Option(name: .customLong("package-root"), help: "The Backstop source folder (holding Contracts/ and Sources/).")
        var packageRoot: String = "."

        @Flag(help: "Only check that the generated files are up to date.")
        var check = false

        func run() async throws {
            let root = URL(fileURLWithPath: packageRoot)
            let files = try ContractFiles(root: root.appendingPathComponent("Contracts")).generatedFiles()
            var stale: [String] = []
            for path in files.keys.sorted() {
                let url = root.appendingPathComponent(path)
                let current = try? String(contentsOf: url, encoding: .utf8)
                guard current != files[path] else { continue }
                stale.append(path)
                if !check {
                    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try files[path]!.write(to: url, atomically: true, encoding: .utf8)
                    print("wrote \(path)")
                }
            }
            if check && !stale.isEmpty {
                throw CLIError("out of date: \(stale.joined(separator: ", ")); run `swift run backstop contracts generate`")
            }
            if stale.isEmpty { print("generated files are up to date") }
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check event files (CloudEvents JSON) against the envelope and their type's schema.",
            discussion: "Prints one line per file; exits non-zero if any is invalid. Nothing is published."
        )

        @Argument(help: "Event files to check.")
        var files: [String]

        func run() async throws {
            var failed = 0
            for path in files {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    print("\(path): cannot read the file")
                    failed += 1
                    continue
                }
                do {
                    let event = try EnvelopeValidation.parse(text)
                    try EventCatalogue.standard.validate(event)
                    print("\(path): valid \(event.type)")
                } catch {
                    failed += 1
                    print("\(path): invalid")
                    for violation in error.violations { print("  \(violation)") }
                }
            }
            if failed > 0 { throw CLIError("\(failed) of \(files.count) events are invalid") }
        }
    }
}
