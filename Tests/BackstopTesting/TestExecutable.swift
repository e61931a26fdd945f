import Foundation

/// Executables of this package, as built next to the test bundle in SwiftPM's build folder.
public enum TestExecutable {
    /// The built executable `name` (for example `backstop` or `enterprise-service`).
    public static func url(_ name: String) -> URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/\(name)")
    }
}
