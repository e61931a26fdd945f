import BackstopBus
import BackstopContracts
import Testing

@Suite("publishing many callers' events together")
struct PublishCoalescerTests {
    @Test func concurrentCallersShareCommitsEachGetsItsOwnReceiptAndABadEventFailsAlone() async throws {
        let f = try await BusFixture.make()
        let coalescer = PublishCoalescer(bus: f.bus, maximumBatch: 16)
        let outcomes = await withTaskGroup(of: (Int, Result<PublishReceipt, any Error>).self) { group in
            for n in 0..<60 {
                group.addTask {
                    // Event 13 is broken (a catalogued type whose data breaks its schema); 40 repeats 39's key.
                    let e = n == 13 ? CloudEvent(source: "/orgs/x", type: "cn.backstop.alert.raised.v1", data: .object([:]))
                        : n == 27 ? CloudEvent(source: "/orgs/x", type: "test.note.v1", data: .object(["text": .string("a\u{0}b")]))
                        : event(key: n == 40 ? "k-39" : "k-\(n)", n: n)
                    do { return (n, .success(try await coalescer.publish(e))) } catch { return (n, .failure(error)) }
                }
            }
            var out: [Int: Result<PublishReceipt, any Error>] = [:]
            for await (n, result) in group { out[n] = result }
            return out
        }
        let failed = outcomes.filter { if case .failure = $0.value { true } else { false } }.map(\.key)
        #expect(failed.sorted() == [13, 27], "only the invalid events fail")
        if case .failure(let error)? = outcomes[13] { #expect(error is InvalidEvent) }
        if case .failure(let error as InvalidEvent)? = outcomes[27] {
            #expect(error.violations.map(\.field) == ["/data/text"], "PostgreSQL cannot store U+0000: refused before it is tried")
        } else { Issue.record("the NUL event was not refused as invalid") }
        let receipts = outcomes.compactMapValues { try? $0.get() }
        #expect(Set(receipts.values.map(\.position)).count == 57, "57 distinct events (39 and 40 share a key)")
        #expect(receipts[40]?.id == receipts[39]?.id && (receipts[40]!.duplicate != receipts[39]!.duplicate))
        #expect(try await f.count("SELECT count(*) FROM backstop.events") == 57)
        // Events stored by one statement share its transaction's accepted_at: far fewer commits than events.
        let commits = try await f.count("SELECT count(DISTINCT accepted_at) FROM backstop.events")
        #expect(commits < 40, "\(commits) commits for 57 events")
        await f.bus.close()
    }
}
