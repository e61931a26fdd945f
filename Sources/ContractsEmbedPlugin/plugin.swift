import Foundation
import PackagePlugin

/// Embeds the package's `Contracts/envelope.schema.json` and `Contracts/events/*.schema.json` as Swift
/// string constants, so the event catalogue validates against exactly the published files.
@main
struct ContractsEmbedPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
        let contracts = context.package.directoryURL.appendingPathComponent("Contracts")
        let events = contracts.appendingPathComponent("events")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: events.path)) ?? []
        let inputs = [contracts.appendingPathComponent("envelope.schema.json")]
            + names.filter { $0.hasSuffix(".schema.json") }.sorted().map { events.appendingPathComponent($0) }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedContracts.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) contract schemas in \(target.name)",
                executable: try context.tool(named: "FileEmbed").url,
                arguments: [output.path, "EmbeddedContracts"] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output])
        ]
    }
}
