import Foundation
import Synchronization

/// The processes `backstop up` runs (itself, the coordinator, the services), kept in a small JSON
/// file beside the private cluster's data directory so `backstop status` can show each one's memory
/// and uptime. Rewritten whenever a child (re)starts; removed when `up` stops.
final class ProcessFile: Sendable {
    let path: String
    private let pids = Mutex<[String: Int32]>([:])

    init(path: String) { self.path = path }

    /// The file for the cluster in `dataDirectory`: `backstop-processes.json` in its parent folder.
    static func path(dataDirectory: String) -> String {
        ((dataDirectory as NSString).standardizingPath as NSString).deletingLastPathComponent + "/backstop-processes.json"
    }

    /// Records that `name` now runs as `pid`.
    func record(name: String, pid: Int32) {
        pids.withLock { p in
            p[name] = pid
            // Written under the lock, so a later write never carries an older set.
            let data = (try? JSONSerialization.data(withJSONObject: p.mapValues { Int($0) }, options: [.sortedKeys])) ?? Data()
            try? data.write(to: URL(fileURLWithPath: path), options: .atomic)
        }
    }

    /// Removes the file.
    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// The processes recorded at `path` that are still running, by name.
    static func running(at path: String) -> [(name: String, sample: ProcessSample)] {
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Int] else { return [] }
        return object.sorted { $0.key < $1.key }.compactMap { name, pid in ProcessSample.read(pid: Int32(pid)).map { (name, $0) } }
    }
}

/// One running process as Linux's /proc shows it.
struct ProcessSample: Sendable {
    /// Its process id.
    var pid: Int32
    /// Resident memory, bytes (RSS: shared library pages count in full in every process).
    var residentBytes: Int
    /// Proportional resident memory, bytes (PSS: pages shared by n processes count 1/n in each), so
    /// the sum over processes is the memory they really hold; nil where /proc does not tell.
    var proportionalBytes: Int?
    /// Time since it started.
    var uptime: TimeInterval

    /// Reads `pid` from /proc; nil when it is not running (or /proc is not there).
    static func read(pid: Int32, now: Date = Date()) -> ProcessSample? {
        guard pid > 0, kill(pid, 0) == 0,
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let system = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        let rssKB = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            .flatMap { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first }.flatMap { Int($0) } ?? 0
        // Fields after the command name (which may hold spaces) start at field 3; starttime is field 22.
        let afterName = stat[stat.index(after: stat.lastIndex(of: ")") ?? stat.startIndex)...].split(separator: " ")
        let ticks = afterName.count > 19 ? Double(afterName[19]) ?? 0 : 0
        let boot = system.split(separator: "\n").first { $0.hasPrefix("btime ") }.flatMap { Double($0.dropFirst(6)) } ?? 0
        let started = boot + ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
        let pssKB = (try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8))?.split(separator: "\n")
            .first { $0.hasPrefix("Pss:") }.flatMap { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first }.flatMap { Int($0) }
        return ProcessSample(pid: pid, residentBytes: rssKB * 1024, proportionalBytes: pssKB.map { $0 * 1024 },
                             uptime: max(0, now.timeIntervalSince1970 - started))
    }
}
