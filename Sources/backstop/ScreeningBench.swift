import BackstopBus
import BackstopHTTP
import BackstopMonitoring
import BackstopPostgres
import Foundation

/// `backstop bench --scenario screening`: one department push of a province-month (1,000,000
/// records by default) read from a CSV file as a stream, checked, screened, stored and published
/// end to end, against reading and splitting the same file alone (the baseline, same run). Peak
/// memory is shown after a push a tenth of the size and after the full one, so growth with push
/// size is visible.
struct ScreeningBench {
    let conninfo: String
    let records: Int
    let rules: ScreeningRules

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("backstop-screening-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let small = folder.appendingPathComponent("small.csv"), large = folder.appendingPathComponent("large.csv")
        try Self.writePush(to: small, records: max(1_000, records / 10), period: "2099-01")
        try Self.writePush(to: large, records: records, period: "2099-02")
        let bus = try await Bus.open(BusConfiguration(conninfo: conninfo, reconnectTimeout: .seconds(5)))
        _ = try await bus.pool.withConnection { c in try await Migrator(migrations: try SystemSchema.migrations()).migrate(c) }
        // A rerun starts clean: the bench's pushes and their clues' idempotency keys go.
        _ = try await bus.pool.query("""
            WITH p AS (SELECT push_id FROM backstop.data_pushes WHERE push_key LIKE 'medical_insurance/2099-%'),
                 f AS (DELETE FROM backstop.flagged_records WHERE push_id IN (SELECT push_id FROM p))
            DELETE FROM backstop.data_pushes WHERE push_id IN (SELECT push_id FROM p)
            """)
        _ = try await bus.pool.query("DELETE FROM backstop.idempotency WHERE source = '/orgs/dept-medical-insurance' AND key LIKE '%medical_insurance/2099-%'")

        let baselineStart = ContinuousClock.now
        var rows = 0
        var tokenizer = CSVTokenizer()
        try Self.read(large) { chunk in tokenizer.feed(chunk) { _, _ in rows += 1 } }
        tokenizer.finish { _, _ in rows += 1 }
        let baseline = Double(rows) / (ContinuousClock.now - baselineStart).seconds
        emit("# screening: baseline (read and split the CSV only): \(rows) rows, \(format(baseline)) rows/s")

        for (file, label) in [(small, "small"), (large, "full")] {
            let started = ContinuousClock.now
            var push = try PushScreening(rules: rules, department: "dept-medical-insurance", setName: "medical_insurance",
                                         period: file == small ? "2099-01" : "2099-02")
            try Self.read(file) { chunk in push.csv(chunk) }
            let screened = try push.finish()
            let screenedAt = ContinuousClock.now
            let receipt = try await PushIntake(bus: bus).store(screened, via: .cli)
            let elapsed = (ContinuousClock.now - started).seconds
            let rate = Double(receipt.records) / elapsed
            emit("# screening \(label): \(receipt.records) records, \(receipt.flagged) flagged, \(receipt.clues) clues; "
                 + "screened in \(format((screenedAt - started).seconds, 2)) s, stored and published in \(format((ContinuousClock.now - screenedAt).seconds, 2)) s; "
                 + "peak RSS \(Self.peakMegabytes()) MB")
            if label == "full" {
                emit("screening records_per_s=\(format(rate)) seconds=\(format(elapsed, 2)) peak_rss_mb=\(Self.peakMegabytes()) ratio_to_baseline=\(format(rate / baseline, 3))")
            }
        }
        await bus.close()
    }

    /// Reads `url` in 1 MiB chunks.
    static func read(_ url: URL, _ body: (Data) throws -> Void) throws {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { try body(chunk) }
    }

    /// A deterministic push: inpatient year-to-date and outpatient monthly out-of-pocket for
    /// households across 12 townships; about 2% of the records cross a threshold.
    static func writePush(to url: URL, records: Int, period: String) throws {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var text = "household_ref,indicator,value,unit,period,location_code,population\n"
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in 0..<records {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let draw = Int(state >> 33) % 10_000
            let outpatient = i % 4 == 3
            let population = ["rural", "rural", "rural", "formerly_poor", "monitored"][i % 5]
            let value: Int
            if outpatient { value = draw < 200 ? 500 + draw * 10 : draw % 450 }
            else if population == "rural" { value = draw < 150 ? 20_000 + draw * 100 : draw }
            else { value = draw < 300 ? 5_000 + draw * 20 : draw % 4_900 }
            let household = String(format: "hh-%032x", i)
            text += "\(household),\(outpatient ? "medical_oop_outpatient_month" : "medical_oop_ytd"),\(value),yuan,\(period),"
                + "510703\(String(format: "%03d", 1 + i % 12))\(String(format: "%03d", 1 + i % 20)),\(population)\n"
            if text.utf8.count > 1 << 20 {
                handle.write(Data(text.utf8))
                text = ""
            }
        }
        handle.write(Data(text.utf8))
    }

    /// The process's peak resident memory so far, in MB (VmHWM).
    static func peakMegabytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb / 1024
    }
}
