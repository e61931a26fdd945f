import Foundation
import Logging

/// Logging for the command line: warnings and above to standard error unless `BACKSTOP_LOG_LEVEL`
/// says otherwise, so command output on standard output stays machine-readable.
enum CLILog {
    static let logger: Logger = {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            let level = ProcessInfo.processInfo.environment["BACKSTOP_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
            handler.logLevel = level ?? .warning
            return handler
        }
        return Logger(label: "backstop")
    }()
}

/// Writes one line of JSON (or text) to standard output and flushes it at once.
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Encodes a value as compact JSON with sorted keys.
func jsonLine(_ object: [String: Any]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    return String(decoding: data, as: UTF8.self)
}

/// Writes a line for the person at the terminal to standard error (kept out of piped output).
func warn(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
