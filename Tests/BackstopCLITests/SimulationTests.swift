import BackstopHTTP
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import BackstopPostgres
import BackstopTesting
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `backstop up` on a test database (with `extra` arguments), its output collected as it comes.
private final class RunningUp: Sendable {
    /// What `up` printed so far.
    private final class Output: Sendable {
        let text = Mutex("")
    }

    let process: Process
    private let output = Output()

    init(conninfo: String, rules: String, extra: [String]) throws {
        process = Process()
        process.executableURL = CLI.executable
        process.arguments = ["up", "--database-url", conninfo, "--rules", rules] + extra
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        out.fileHandleForReading.readabilityHandler = { [output] handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            output.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    var text: String { output.text.withLock { $0 } }

    func stop() async {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGINT)
        while process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
    }
}

@Suite("backstop up --demo")
struct SimulationTests {
    static let rules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Ops/rules/s-province.yaml").path

    /// One run covers the demo and the simulator: `up --demo` starts `backstop simulate` as a child,
    /// the oversight review shows the district within a minute, and on Ctrl-C the simulator reports
    /// what it published (one heavy test rather than two, so it does not starve the timing tests
    /// that run beside it on a 2-core machine).
    @Test(.timeLimit(.minutes(5)))
    func upDemoDrivesTheDistrictThroughTheServicesAndTheReviewShowsIt() async throws {
        let cli = try await CLI.make()
        // --demo needs fixed ports: a random block of five, away from the defaults.
        let base = Int.random(in: 20_000...59_000)
        let up = try RunningUp(conninfo: cli.conninfo, rules: Self.rules, extra: ["--demo", "--http-port-base", String(base)])
        let started = ContinuousClock.now
        var dueSoFar = 0
        var key: String?
        while ContinuousClock.now - started < .seconds(90), up.process.isRunning, dueSoFar == 0 {
            try await Task.sleep(for: .seconds(1))
            key = key ?? up.text.split(separator: "\n").first { $0.contains("oversight key for oversight-county (shown once") }
                .flatMap { $0.split(separator: " ").last.map(String.init) }
            guard let key, up.text.contains("simulate: backfill: published") else { continue }
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(base + 4)/v1/oversight/tables/on_time?group_by=kind&format=csv")!)
            request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
            guard let (data, _) = try? await URLSession.shared.data(for: request) else { continue }
            // kind,due,on_time,late,still_open,on_time_pct — add up the obligations due.
            dueSoFar = String(decoding: data, as: UTF8.self).split(separator: "\r\n").dropFirst()
                .compactMap { Int($0.split(separator: ",")[1]) }.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - started
        // A little live activity, then Ctrl-C: the simulator prints its summary as it stops.
        try await Task.sleep(for: .seconds(10))
        await up.stop()
        let text = up.text
        #expect(text.contains("backstop: simulate started (pid "), "\(text)")
        #expect(dueSoFar > 50, "the oversight review shows the simulated district's obligations: \(dueSoFar) after \(elapsed)")
        #expect(elapsed < .seconds(90))

        let summary = try #require(text.split(separator: "\n").last { $0.hasPrefix("simulate: published ") }, "\(text)")
        let numbers = summary.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        #expect(numbers.count == 2 && numbers[0] > 500, "\(summary)")
        #expect(numbers.last == 0, "rejections: \(text)")
        #expect(text.contains("simulate: oversight key for oversight-county: bk_"))

        // What the organisations published through their services (the desk publishes as the coordinator).
        #expect(try await cli.count("SELECT count(DISTINCT type) FROM backstop.events WHERE source <> '/orgs/coordinator'") >= 10)
        #expect(try await cli.count("SELECT count(*) FROM backstop.events WHERE type = 'cn.backstop.alert.raised.v1'") > 0)
        #expect(try await cli.count("SELECT count(*) FROM backstop.events WHERE type = 'cn.backstop.job.placed.v1'") > 0)
        #expect(try await cli.count("SELECT count(*) FROM backstop.events WHERE type = 'cn.backstop.donation.disbursed.v1'") > 0)
        // The coordinator turned them into obligations: most answered on time, some late, some breached.
        #expect(try await cli.count("SELECT count(*) FROM backstop.obligations") > 100)
        #expect(try await cli.count("SELECT count(*) FROM backstop.obligations WHERE state = 'fulfilled' AND NOT late") > 50)
        #expect(try await cli.count("SELECT count(*) FROM backstop.obligations WHERE state = 'fulfilled' AND late") > 0)
        #expect(try await cli.count("SELECT count(*) FROM backstop.obligations WHERE breached_at IS NOT NULL") > 0)
        #expect(try await cli.count("SELECT count(*) FROM backstop.cases WHERE state = 'closed'") > 0)
    }
}
