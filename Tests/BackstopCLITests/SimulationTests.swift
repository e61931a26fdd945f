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

/// `backstop up` on a test database with the coordinator and the stakeholder services on free
/// ports, its output collected as it comes.
private final class RunningUp: Sendable {
    /// What `up` printed so far.
    private final class Output: Sendable {
        let text = Mutex("")
    }

    let process: Process
    private let output = Output()

    init(conninfo: String, rules: String, extra: [String] = ["--http-port-base", "0"]) throws {
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

    /// The URL each service says it listens on, once every service has said so (nil before).
    var serviceURLs: [String: String]? {
        let lines = text.split(separator: "\n")
        var urls: [String: String] = [:]
        for service in StakeholderService.all {
            let marker = "\(service.name): listening on "
            guard let line = lines.last(where: { $0.hasPrefix(marker) }) else { return nil }
            urls[service.name] = String(line.dropFirst(marker.count))
        }
        return text.contains("running; press Ctrl-C") ? urls : nil
    }

    func stop() async {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGINT)
        while process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
    }
}

@Suite("backstop simulate")
struct SimulationTests {
    static let rules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Ops/rules/s-province.yaml").path

    @Test(.timeLimit(.minutes(10)))
    func simulatedDistrictPublishesThroughTheServicesWithoutRejections() async throws {
        let cli = try await CLI.make()
        let up = try RunningUp(conninfo: cli.conninfo, rules: Self.rules)
        var urls: [String: String]?
        for _ in 0..<600 where urls == nil && up.process.isRunning {
            try await Task.sleep(for: .milliseconds(100))
            urls = up.serviceURLs
        }
        guard let urls else {
            await up.stop()
            Issue.record("backstop up did not start its services: \(up.text)")
            return
        }

        let simulated: CLI.Output
        do {
            simulated = try await cli.run(["simulate", "--rules", Self.rules, "--duration", "20", "--seed", "7"]
                                              + urls.sorted { $0.key < $1.key }.flatMap { ["--service-url", "\($0.key)=\($0.value)"] })
            // Let the coordinator finish what the last events opened and closed.
            for _ in 0..<300 {
                if try await cli.count("""
                    SELECT count(*) FROM backstop.deliveries d JOIN backstop.subscriptions s ON s.id = d.subscription_id WHERE s.name = 'coordinator'
                    """) == 0 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
        } catch {
            await up.stop()
            throw error
        }
        await up.stop()

        #expect(simulated.status == 0, "\(simulated.stderr)")
        let summary = try #require(simulated.stdout.split(separator: "\n").last { $0.hasPrefix("simulate: published ") }, "\(simulated.stdout)")
        let numbers = summary.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        #expect(numbers.count == 2 && numbers[0] > 500, "\(summary)")
        #expect(numbers.last == 0, "rejections: \(simulated.stdout) \(simulated.stderr)")
        #expect(simulated.stdout.contains("simulate: backfill: published"))
        #expect(simulated.stdout.contains("simulate: oversight key for oversight-county: bk_"))

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

    @Test(.timeLimit(.minutes(5)))
    func upDemoShowsLiveNumbersWithinAMinute() async throws {
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
        let text = up.text
        await up.stop()
        #expect(text.contains("backstop: simulate started (pid "), "\(text)")
        #expect(dueSoFar > 50, "the oversight review shows the simulated district's obligations: \(dueSoFar) after \(elapsed); \(text)")
        #expect(!text.contains("rejected by type"), "\(text)")
        #expect(elapsed < .seconds(90))
    }
}
