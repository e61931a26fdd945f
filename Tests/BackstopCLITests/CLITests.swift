import BackstopContracts
import BackstopHTTP
import BackstopPostgres
import BackstopTesting
import Foundation
import Testing

/// Runs the built `backstop` executable against a test database.
struct CLI {
    let conninfo: String

    static func make() async throws -> CLI {
        CLI(conninfo: try await TestCluster.migratedDatabase())
    }

    /// The executable sits next to the test bundle in SwiftPM's build folder.
    static let executable = TestExecutable.url("backstop")

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func run(_ arguments: [String], stdin: String? = nil, database: Bool = true, environment: [String: String] = [:]) async throws -> Output {
        let process = Process()
        process.executableURL = Self.executable
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.arguments = arguments + (database ? ["--database-url", conninfo] : [])
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdoutData = await Task.detached { out.fileHandleForReading.readDataToEndOfFile() }.value
        let stderrData = await Task.detached { err.fileHandleForReading.readDataToEndOfFile() }.value
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        return Output(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
                      stderr: String(decoding: stderrData, as: UTF8.self))
    }

    func count(_ sql: String) async throws -> Int {
        let c = try await Connection.connect(conninfo)
        let n = try await c.query(sql).first!.decode(Int.self, at: 0)
        await c.close()
        return n
    }
}

@Suite("operator CLI")
struct CLITests {
    static let alert = #"{"source":"/orgs/coordinator","type":"test.alert.raised.v1","districtcode":"510703","subject":"case-9","data":{"severity":"P2"}}"#

    @Test func publishThenTailPrintsTheDeliveryAndAcksIt() async throws {
        let cli = try await CLI.make()
        let created = try await cli.run(["subscription", "create", "alerts", "--type", "test.alert.raised.v1", "--district", "5107"])
        #expect(created.status == 0, "\(created.stderr)")
        let published = try await cli.run(["publish", Self.alert])
        #expect(published.status == 0, "\(published.stderr)")
        let receipt = try JSONSerialization.jsonObject(with: Data(published.stdout.utf8)) as? [String: Any]
        let id = try #require(receipt?["id"] as? String)
        #expect(receipt?["duplicate"] as? Bool == false)

        let tailed = try await cli.run(["tail", "alerts", "--count", "1"])
        #expect(tailed.status == 0, "\(tailed.stderr)")
        let line = try JSONSerialization.jsonObject(with: Data(tailed.stdout.utf8)) as? [String: Any]
        let event = line?["event"] as? [String: Any]
        #expect(event?["id"] as? String == id)
        #expect((event?["data"] as? [String: Any])?["severity"] as? String == "P2")
        // Acknowledged: nothing is left to deliver.
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await cli.count("SELECT count(*) FROM backstop.deliveries") == 0)

        let status = try await cli.run(["status", "--json"])
        #expect(status.stdout.contains(#""subscription":"alerts""#))
        #expect(status.stdout.contains(#""ready":0"#))
    }

    @Test func publishReadsStandardInputAndBatches() async throws {
        let cli = try await CLI.make()
        let batch = "[\(Self.alert),\(Self.alert.replacingOccurrences(of: "case-9", with: "case-10"))]"
        let published = try await cli.run(["publish", "--file", "-"], stdin: batch)
        #expect(published.status == 0, "\(published.stderr)")
        #expect(published.stdout.split(separator: "\n").count == 2)
        #expect(try await cli.count("SELECT count(*) FROM backstop.events") == 2)
    }

    @Test func invalidEventIsRefusedWithEveryProblemAndNothingStored() async throws {
        let cli = try await CLI.make()
        let bad = try await cli.run(["publish", #"[{"source":"/a","type":"test.alert.raised.v1","data":{}},{"source":"not a uri","type":"Alert","data":[1]}]"#])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("event 1: /source"))
        #expect(bad.stderr.contains("event 1: /type"))
        #expect(bad.stderr.contains("event 1: /data"))
        #expect(try await cli.count("SELECT count(*) FROM backstop.events") == 0)
        let notJSON = try await cli.run(["publish", "{oops"])
        #expect(notJSON.status != 0)
        #expect(notJSON.stderr.contains("not valid JSON"))
    }

    @Test func payloadBreakingItsSchemaIsRefusedWithPointersAndNothingStored() async throws {
        let cli = try await CLI.make()
        let data = #"{"alert_id":"not-a-uuid","by_org":"dept-health","role":"boss","acknowledged_at":"2026-11-03T09:40:00Z","extra":1}"#
        let bad = try await cli.run(["publish", #"{"source":"/orgs/dept-health","type":"cn.backstop.alert.acknowledged.v1","data":"# + data + "}"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("/data/alert_id: must be a UUID"), "\(bad.stderr)")
        #expect(bad.stderr.contains("/data/role: must be one of"))
        #expect(bad.stderr.contains("/data/extra: is not a known property"))
        let unknown = try await cli.run(["publish", #"{"source":"/orgs/dept-health","type":"cn.backstop.alert.acknowleged.v1","data":{}}"#])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("/type: cn.backstop.alert.acknowleged.v1 is not in the event catalogue"))
        #expect(try await cli.count("SELECT count(*) FROM backstop.events") == 0)
        let good = #"{"alert_id":"0193a1f2-7c4e-7d3a-9b1e-2f4c6a8d0e12","by_org":"dept-health","role":"lead","acknowledged_at":"2026-11-03T09:40:00Z"}"#
        let published = try await cli.run(["publish", #"{"source":"/orgs/dept-health","type":"cn.backstop.alert.acknowledged.v1","data":"# + good + "}"])
        #expect(published.status == 0, "\(published.stderr)")
        #expect(try await cli.count("SELECT count(*) FROM backstop.events") == 1)
    }

    @Test func contractsValidateChecksFilesWithoutPublishing() async throws {
        let cli = try await CLI.make()
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Contracts/examples/cn.backstop.job.offered.v1")
        let valid = examples.appendingPathComponent("valid/full.json").path
        let ok = try await cli.run(["contracts", "validate", valid], database: false)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("valid cn.backstop.job.offered.v1"))
        let invalid = try FileManager.default.contentsOfDirectory(atPath: examples.appendingPathComponent("invalid").path).sorted()
        let paths = invalid.map { examples.appendingPathComponent("invalid/\($0)").path }
        let bad = try await cli.run(["contracts", "validate", valid] + paths, database: false)
        #expect(bad.status != 0)
        #expect(bad.stdout.components(separatedBy: ": invalid").count - 1 == paths.count)
        #expect(bad.stderr.contains("\(paths.count) of \(paths.count + 1) events are invalid"))
        #expect(try await cli.count("SELECT count(*) FROM backstop.events") == 0)
    }

    @Test(arguments: [
        (["subscription", "create", "Bad Name"], "name"),
        (["subscription", "create", "ok", "--max-attempts", "0"], "max_attempts"),
        (["subscription", "create", "ok", "--district", "51ab"], "district_prefix"),
        (["subscription", "create", "ok", "--lease-ms", "5"], "lease"),
        (["dlq", "list", "nope"], "no subscription named nope"),
        (["tail", "nope", "--count", "1"], "no subscription named nope"),
        (["subscription", "delete", "nope"], "no subscription named nope"),
        (["bench", "--messages", "3"], "--messages"),
        (["up", "--port", "0"], "--port"),
    ])
    func badArgumentsFailWithAMessageAndWriteNothing(arguments: [String], mentions: String) async throws {
        let cli = try await CLI.make()
        let result = try await cli.run(arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(mentions), "stderr: \(result.stderr)")
        #expect(try await cli.count("SELECT count(*) FROM backstop.subscriptions") == 0)
    }

    @Test func subscriptionLifecycleAndDeadLetterRedrive() async throws {
        let cli = try await CLI.make()
        #expect(try await cli.run(["subscription", "create", "once", "--max-attempts", "1", "--lease-ms", "200"]).status == 0)
        #expect(try await cli.run(["subscription", "update", "once", "--district", "5107"]).status == 0)
        let refused = try await cli.run(["subscription", "update", "once", "--ordered"])
        #expect(refused.status != 0 && refused.stderr.contains("ordered"))
        let listed = try await cli.run(["subscription", "list"])
        #expect(listed.stdout.contains(#""district_prefix":"5107""#))
        // Options left out of an update keep their values.
        #expect(listed.stdout.contains(#""max_attempts":1"#) && listed.stdout.contains(#""lease_ms":200"#), "\(listed.stdout)")
        #expect(try await cli.run(["publish", Self.alert]).status == 0)
        // Claim without acknowledging, let the lease lapse on the only attempt: a dead letter.
        let c = try await Connection.connect(cli.conninfo)
        try await c.query("UPDATE backstop.deliveries SET attempts = 1, leased_until = now() - interval '1 second'")
        await c.close()
        let idle = try await cli.run(["tail", "once", "--idle-exit", "0.5"])
        #expect(idle.status == 0)
        #expect(idle.stdout.isEmpty, "an exhausted delivery must not be handed out again")
        let dead = try await cli.run(["dlq", "list", "once"])
        #expect(dead.status == 0)
        #expect(dead.stdout.contains("lease expired"), "\(dead.stdout)")
        let redriven = try await cli.run(["dlq", "redrive", "once"])
        #expect(redriven.stdout.contains("redrove 1 dead letter"))
        let tailed = try await cli.run(["tail", "once", "--count", "1"])
        #expect(tailed.stdout.contains("case-9"))
        #expect(try await cli.run(["subscription", "delete", "once"]).status == 0)
        #expect(try await cli.count("SELECT count(*) FROM backstop.subscriptions") == 0)
    }
}

@Suite("backstop up")
struct UpTests {
    @Test(.timeLimit(.minutes(2)))
    func upStartsThePrivateClusterAndStopsItOnInterrupt() async throws {
        let dir = TestCluster.scratchDirectory("up-\(UUID().uuidString.prefix(8).lowercased())") + "/cluster"
        let process = Process()
        process.executableURL = CLI.executable
        let rules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Ops/rules/s-province.yaml").path
        process.arguments = ["up", "--data-dir", dir, "--rules", rules, "--http-port-base", "0"]
        var environment = ProcessInfo.processInfo.environment
        for name in ["DATABASE_URL", "PGHOST", "PGDATABASE", "PGUSER", "PGSERVICE", "PGPORT", "PGHOSTADDR"] { environment[name] = nil }
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let reader = out.fileHandleForReading
        func read(until done: (String) -> Bool) {
            while !done(text), process.isRunning {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
        }
        // The four stakeholder services start as child processes and say where they listen.
        read { t in t.contains("running; press Ctrl-C") && StakeholderService.all.allSatisfy { t.contains("\($0.name): listening on http://") }
                    && t.contains("coordinator running with") }
        // A first oversight key is printed once, and works.
        #expect(text.contains("oversight key for oversight-county (shown once, keep it): bk_"), "\(text)")
        #expect(text.contains("connect with: psql \"host=\(dir)"), "\(text)")
        let pid = try #require(try String(contentsOfFile: dir + "/postmaster.pid", encoding: .utf8).split(separator: "\n").first.flatMap { Int32($0) })
        #expect(kill(pid, 0) == 0)
        // The cluster answers, and has the migrated schema.
        let c = try await Connection.connect("host=\(dir) user=backstop dbname=backstop")
        #expect(try await c.query("SELECT count(*) FROM backstop.schema_migrations").first!.decode(Int.self, at: 0) >= 2)
        // The coordinator runs as a child process: its subscription exists.
        #expect(text.contains("backstop: coordinator started (pid "), "\(text)")
        #expect(try await c.query("SELECT count(*) FROM backstop.subscriptions WHERE name = 'coordinator'").first!.decode(Int.self, at: 0) == 1)
        await c.close()

        // A service that dies is started again.
        func servicePID(of name: String, after marker: String.Index) -> Int32? {
            text[marker...].components(separatedBy: "\n").last { $0.hasPrefix("backstop: \(name) started (pid ") }
                .flatMap { Int32($0.dropFirst("backstop: \(name) started (pid ".count).dropLast()) }
        }
        let first = try #require(servicePID(of: "enterprise-service", after: text.startIndex))
        let mark = text.endIndex
        kill(first, SIGKILL)
        read { t in t[mark...].contains("enterprise-service: listening on http://") }
        let second = try #require(servicePID(of: "enterprise-service", after: mark), "\(text[mark...])")
        #expect(second != first && kill(second, 0) == 0)
        let pids = (StakeholderService.all.map(\.name) + ["coordinator"]).compactMap { servicePID(of: $0, after: text.startIndex) }
        #expect(pids.count == StakeholderService.all.count + 1)
        // `backstop status` shows each process's memory and uptime.
        let status = try await CLI(conninfo: "host=\(dir) user=backstop dbname=backstop").run(["status", "--data-dir", dir, "--json"])
        let processes = status.stdout.split(separator: "\n").compactMap { JSONText.decode(String($0))?.objectValue }.filter { $0["process"] != nil }
        #expect(Set(processes.compactMap { $0["process"] }) == Set((["backstop up", "coordinator"] + StakeholderService.all.map(\.name)).map(JSONValue.string)),
                "\(status.stdout)")
        #expect(processes.allSatisfy { if case .number(let rss)? = $0["rss_bytes"] { rss > 1_000_000 } else { false } })

        kill(process.processIdentifier, SIGINT)
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(process.terminationStatus == 0)
        #expect(kill(pid, 0) != 0, "the server must be stopped with its owner")
        #expect(pids.allSatisfy { kill($0, 0) != 0 }, "the services are stopped with it")
        #expect(kill(second, 0) != 0)
        #expect(!FileManager.default.fileExists(atPath: dir + "/postmaster.pid"))
        try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent)
    }
}
