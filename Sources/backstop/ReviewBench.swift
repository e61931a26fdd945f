import BackstopBus
import BackstopHTTP
import BackstopOversight
import BackstopPostgres
import Foundation

/// `backstop bench --scenario review`: how long each oversight table takes over a year of a
/// county's data in the read models, against a bare round trip (`SELECT 1`) in the same run.
struct ReviewBench {
    let conninfo: String
    /// Obligations in the year; the other read models are sized from it.
    let obligations: Int

    /// The year of data, written straight into the read models (as if projected), deterministic.
    static let seed = """
        SELECT setseed(0.42);
        INSERT INTO backstop.oversight_obligations
            (obligation_id, rule_id, action, owner_org, owner_kind, township, case_id, alert_id, opened_at, due_at, closed_at, outcome, late, elapsed_seconds, breached_at)
        SELECT 'bench-o' || i, rule, action, owner, kind, township, 'bench-c' || (i % $2), 'bench-a' || (i / 3), opened, due,
               CASE WHEN closes THEN opened + (due - opened) * answer END, CASE WHEN closes THEN 'fulfilled' END,
               CASE WHEN closes THEN answer > 1 END, CASE WHEN closes THEN (extract(epoch FROM (due - opened) * answer))::bigint END,
               CASE WHEN NOT closes OR answer > 1 THEN due END
        FROM (
            SELECT i, (ARRAY['D5-sign-for','D1-visit','D2-verify-push','D3-decide','D6-plan','D8-answer-referral','D9-commit-pledge'])[1 + i % 7] AS rule,
                   (ARRAY['sign_for','verify','verify','decide_identification','create_plan','answer_referral','commit_pledge'])[1 + i % 7] AS action,
                   (ARRAY['dept-health','dept-civil-affairs','dept-hrss','dept-education','dept-medical-insurance','dept-housing',
                          'dept-water-resources','dept-rural-revitalisation'])[1 + i % 8] AS owner,
                   'department' AS kind, '510703' || lpad((1 + i % 12)::text, 3, '0') AS township,
                   now() - interval '365 days' * random() AS opened, interval '1 hour' * (2 + 200 * random()) AS span,
                   random() < 0.9 AS closes, random() * 1.4 AS answer
            FROM generate_series(1, $1) AS i
        ) x, LATERAL (SELECT x.opened + x.span AS due) d;
        INSERT INTO backstop.oversight_cases (case_id, lead_org, lead_kind, township, opened_at, first_measure_at, state, state_at)
        SELECT 'bench-c' || i, 'township-510703' || lpad((1 + i % 12)::text, 3, '0'), 'township', '510703' || lpad((1 + i % 12)::text, 3, '0'),
               opened, CASE WHEN random() < 0.8 THEN opened + interval '1 day' * 10 * random() END,
               CASE WHEN random() < 0.6 THEN 'open' ELSE 'closed' END, opened
        FROM (SELECT i, now() - interval '365 days' * random() AS opened FROM generate_series(0, $2 - 1) AS i) c;
        INSERT INTO backstop.oversight_contributions (event_id, case_id, org_id, org_kind, kind, at)
        SELECT 'bench-k' || i, 'bench-c' || (i % $2), (ARRAY['ent-a','coop-b','ngo-c','dept-civil-affairs'])[1 + i % 4],
               (ARRAY['enterprise','cooperative','social_org','department'])[1 + i % 4], (ARRAY['placement','measure','disbursement','measure'])[1 + i % 4],
               now() - interval '365 days' * random()
        FROM generate_series(1, $2 * 2) AS i;
        INSERT INTO backstop.oversight_escalations (event_id, level, org_id, org_kind, township, rule_id, obligation_id, at)
        SELECT 'bench-e' || i, 1 + i % 4, 'dept-health', 'department', '510703' || lpad((1 + i % 12)::text, 3, '0'), 'D5-sign-for', 'bench-o' || i,
               now() - interval '365 days' * random()
        FROM generate_series(1, $1 / 4) AS i;
        INSERT INTO backstop.oversight_objections (event_id, alert_id, org_id, org_kind, township, at)
        SELECT 'bench-j' || i, 'bench-a' || (i * 7 / 3), 'dept-health', 'department', '510703001', now() - interval '365 days' * random()
        FROM generate_series(1, $1 / 50) AS i;
        INSERT INTO backstop.oversight_extension_requests (request_id, obligation_id, requested_at, granted)
        SELECT 'bench-x' || i, 'bench-o' || (i * 13), now() - interval '365 days' * random(), random() < 0.7 FROM generate_series(1, $1 / 30) AS i;
        INSERT INTO backstop.oversight_job_offers (offer_id, employer_org, employer_kind, township, positions, offered_at)
        SELECT 'bench-f' || i, 'ent-' || (i % 15), 'enterprise', '510703' || lpad((1 + i % 12)::text, 3, '0'), 1 + i % 9, now() - interval '365 days' * random()
        FROM generate_series(1, $1 / 50) AS i;
        INSERT INTO backstop.oversight_referrals (referral_id, offer_id, employer_org, sent_at, answer, answered_at)
        SELECT 'bench-r' || i, 'bench-f' || (1 + i % ($1 / 50)), 'ent-' || ((1 + i % ($1 / 50)) % 15), now() - interval '365 days' * random(),
               (ARRAY['accepted','declined','waitlisted'])[1 + i % 3], now() - interval '300 days' * random()
        FROM generate_series(1, $1 / 15) AS i;
        INSERT INTO backstop.oversight_placements (placement_id, offer_id, referral_id, employer_org, placed_at)
        SELECT 'bench-p' || i, 'bench-f' || (1 + (i * 3) % ($1 / 50)), 'bench-r' || (i * 3), 'ent-' || ((1 + (i * 3) % ($1 / 50)) % 15), now() - interval '300 days' * random()
        FROM generate_series(1, $1 / 60) AS i;
        INSERT INTO backstop.oversight_pledges (pledge_id, donor_org, donor_kind, township, pledged_at, pledged_yuan, committed_at, committed_yuan, disbursed_at, disbursed_yuan)
        SELECT 'bench-d' || i, 'ngo-' || (i % 6), 'social_org', '510703' || lpad((1 + i % 12)::text, 3, '0'), p, 500 * (1 + i % 20),
               CASE WHEN i % 4 <> 0 THEN p + interval '1 day' * 14 * random() END, CASE WHEN i % 4 <> 0 THEN 500 END,
               CASE WHEN i % 3 = 0 THEN p + interval '1 day' * 40 * random() END, CASE WHEN i % 3 = 0 THEN 500 END
        FROM (SELECT i, now() - interval '365 days' * random() AS p FROM generate_series(1, $1 / 30) AS i) d;
        INSERT INTO backstop.oversight_closures (case_id, closed_at, township, reopened_at)
        SELECT 'bench-c' || i, c, '510703' || lpad((1 + i % 12)::text, 3, '0'), CASE WHEN i % 20 = 0 THEN c + interval '60 days' END
        FROM (SELECT i, now() - interval '365 days' * random() AS c FROM generate_series(0, $2 / 3) AS i) k;
        ANALYZE
        """

    /// Seeds, times every table (median and worst of 5 runs each) and the whole dashboard.
    func run() async throws {
        let setup = try await Connection.connect(conninfo)
        try await Migrator(migrations: try SystemSchema.migrations()).migrate(setup)
        _ = try await setup.query("DELETE FROM backstop.oversight_obligations WHERE obligation_id LIKE 'bench-%'")
        let cases = max(10, obligations / 10)
        let started = ContinuousClock.now
        for statement in Self.seed.components(separatedBy: ";\n") where !statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            switch (statement.contains("$1"), statement.contains("$2")) {
            case (true, true): _ = try await setup.query(statement, [obligations, cases])
            case (true, false): _ = try await setup.query(statement, [obligations])
            case (false, true): _ = try await setup.query(statement.replacingOccurrences(of: "$2", with: "$1"), [cases])
            case (false, false): _ = try await setup.query(statement)
            }
        }
        let seeded = ContinuousClock.now - started
        let sizes = try await setup.query("""
            SELECT (SELECT count(*) FROM backstop.oversight_obligations), (SELECT count(*) FROM backstop.oversight_cases),
                   (SELECT count(*) FROM backstop.oversight_escalations), (SELECT count(*) FROM backstop.oversight_contributions),
                   pg_size_pretty(sum(pg_total_relation_size(c.oid)))
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'backstop' AND c.relname LIKE 'oversight_%' AND c.relkind = 'r'
            """).first!
        await setup.close()
        emit("# review: a year in the read models: \(try sizes.decode(Int.self, at: 0)) obligations, \(try sizes.decode(Int.self, at: 1)) cases, "
             + "\(try sizes.decode(Int.self, at: 2)) ladder rungs, \(try sizes.decode(Int.self, at: 3)) contributions; \(try sizes.decode(String.self, at: 4)) "
             + "(seeded in \(format(seconds(seeded), 1)) s)")
        let pool = ConnectionPool(.init(conninfo: conninfo, maximumConnections: 2))
        let review = Review(pool: pool)
        let year = ReviewQuery(from: Date().addingTimeInterval(-365 * 86_400), to: Date())
        var baseline: [Double] = []
        for _ in 0..<20 {
            let t = ContinuousClock.now
            _ = try await pool.query("SELECT 1")
            baseline.append(seconds(ContinuousClock.now - t) * 1000)
        }
        let floor = baseline.sorted()[baseline.count / 2]
        emit("review_baseline select1_ms=\(format(floor, 2))")
        var worst = 0.0
        for table in ReviewTable.allCases {
            for grouping in table.groupings.isEmpty ? [ReviewGrouping.organisation] : [.organisation, .township] {
                var runs: [Double] = []
                for _ in 0..<5 {
                    let t = ContinuousClock.now
                    _ = try await review.table(table, year.grouped(by: grouping))
                    runs.append(seconds(ContinuousClock.now - t) * 1000)
                }
                runs.sort()
                worst = max(worst, runs.last!)
                emit("review \(table.rawValue) by=\(grouping.rawValue) median_ms=\(format(runs[2], 1)) max_ms=\(format(runs.last!, 1)) ratio_to_select1=\(format(runs[2] / floor, 0))")
            }
        }
        let t = ContinuousClock.now
        _ = try await review.tables(year)
        let page = seconds(ContinuousClock.now - t) * 1000
        emit("review dashboard_all_tables_ms=\(format(page, 1)); slowest single request \(format(worst, 1)) ms (target < 200 ms)")
        await pool.close()
    }

    private func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
}
