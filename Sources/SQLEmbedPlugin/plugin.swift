import Foundation
import PackagePlugin

/// Embeds a target's `Migrations/*.sql` and `SQL/*.sql` files as Swift string constants.
@main
struct SQLEmbedPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
        let fm = FileManager.default
        var inputs: [URL] = []
        for folder in ["Migrations", "SQL"] {
            let dir = target.directoryURL.appendingPathComponent(folder)
            let names = (try? fm.contentsOfDirectory(atPath: dir.path)) ?? []
            inputs += names.filter { $0.hasSuffix(".sql") }.sorted().map { dir.appendingPathComponent($0) }
        }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedSQL.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) SQL files in \(target.name)",
                executable: try context.tool(named: "FileEmbed").url,
                arguments: [output.path, "EmbeddedSQL"] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output])
        ]
    }
}
