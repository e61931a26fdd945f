import BackstopContracts
import Foundation

/// The oversight dashboard's pages as HTML, rendered on the server from review tables: no
/// scripts, no external resources (it works offline), charts as inline SVG, readable from phone to
/// laptop width. Pure: the same tables give the same page.
public enum DashboardPage {
    /// The filters as the officer chose them, echoed into the form and into every link.
    public struct Filters: Sendable, Hashable {
        /// First day, `YYYY-MM-DD`.
        public var from: String
        /// Last day, `YYYY-MM-DD`.
        public var to: String
        /// Township code, or empty for all.
        public var township: String
        /// Organisation kind, or empty for all.
        public var kind: String
        /// Grouping.
        public var groupBy: ReviewGrouping

        /// Filters.
        public init(from: String, to: String, township: String = "", kind: String = "", groupBy: ReviewGrouping = .organisation) {
            self.from = from
            self.to = to
            self.township = township
            self.kind = kind
            self.groupBy = groupBy
        }

        /// The filters of `query`, its days written in `timeZone`.
        public init(_ query: ReviewQuery, timeZone: TimeZone) {
            self.init(from: DashboardPage.local(query.from, timeZone, time: false), to: DashboardPage.local(query.to.addingTimeInterval(-43_200), timeZone, time: false),
                      township: query.township ?? "", kind: query.kind?.rawValue ?? "", groupBy: query.grouping)
        }

        /// The filters as a query string (`from=…&to=…`), empty ones left out.
        public var queryString: String {
            var items = [("from", from), ("to", to), ("group_by", groupBy.rawValue)]
            if !township.isEmpty { items.append(("township", township)) }
            if !kind.isEmpty { items.append(("kind", kind)) }
            return items.map { "\($0.0)=\(Self.encode($0.1))" }.joined(separator: "&")
        }

        static func encode(_ s: String) -> String {
            s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
        }
    }

    /// The dashboard: filters, headline figures, the overdue list, charts and every table with its
    /// CSV link. `townships` fills the township filter.
    public static func dashboard(filters: Filters, tables: [MetricTable], townships: [String], organisation: String) -> String {
        func table(_ t: ReviewTable) -> MetricTable? { tables.first { $0.table == t } }
        var body = "<header><h1>Backstop oversight</h1><p class=\"muted\">Response-time review for \(e(organisation)) · "
        body += "\(e(filters.from)) to \(e(filters.to)) · <a href=\"/dashboard/logout\">Sign out</a></p></header>"
        body += filterForm(filters, townships: townships)
        body += headline(tables)
        body += "<p class=\"note\">Rows are listed by name. This review ranks no one by activity counts (logins, clicks, photos); "
        body += "it measures how fast obligations were answered (domain brief §8.2).</p>"
        body += "<section><h2>Charts</h2><div class=\"charts\">"
        if let times = table(.responseTimes) {
            let bars = zip(times.column(times.columns[0].name),
                           zip(times.column("sign_for_median_hours"), times.column("sign_for_p90_hours")))
                .compactMap { label, values -> SVGChart.Bar? in
                    guard let median = values.0.number else { return nil }
                    return SVGChart.Bar(label: label.text, value: median, marker: values.1.number)
                }
            body += figure(SVGChart.bars(bars, title: "Time to sign-for: median (bar) and P90 (tick), hours", unit: "h"),
                           caption: "Time to sign-for per \(filters.groupBy.label.lowercased()): median bar, P90 tick (hours)")
        }
        if let onTime = table(.onTime) {
            let bars = zip(onTime.column(onTime.columns[0].name), onTime.column("on_time_pct")).compactMap { label, pct -> SVGChart.Bar? in
                pct.number.map { SVGChart.Bar(label: label.text, value: $0) }
            }
            body += figure(SVGChart.bars(bars, title: "On-time rate, percent", unit: "%", maximum: 100),
                           caption: "On-time rate per \(filters.groupBy.label.lowercased()) (% of obligations due)")
        }
        if let distribution = table(.signForDistribution) {
            let segments = distribution.columns.dropFirst().map(\.label)
            let rows = distribution.rows.map { row in (label: row[0].text, values: row.dropFirst().map { $0.number ?? 0 }) }
            body += figure(SVGChart.stacked(rows, segments: segments, title: "Distribution of time to sign-for"),
                           caption: "Distribution of time to sign-for (count of alerts)")
        }
        if let weekly = table(.weekly) {
            let weeks = weekly.column("week").map(\.text)
            body += figure(SVGChart.line(Array(zip(weeks, weekly.column("on_time_pct").map(\.number))).map { (label: $0.0, value: $0.1) },
                                         title: "On-time rate by week, percent", unit: "%", maximum: 100),
                           caption: "On-time rate by week (%)")
            body += figure(SVGChart.line(Array(zip(weeks, weekly.column("sign_for_median_hours").map(\.number))).map { (label: $0.0, value: $0.1) },
                                         title: "Median time to sign-for by week, hours", unit: "h"),
                           caption: "Median time to sign-for by week (hours)")
        }
        body += "</div></section>"
        for metric in tables { body += section(metric, filters: filters) }
        return document(title: "Backstop oversight", body: body)
    }

    /// The sign-in page: an oversight API key, kept in an HTTP-only cookie for the session.
    public static func signIn(problem: String? = nil) -> String {
        var body = "<header><h1>Backstop oversight</h1></header><section class=\"narrow\"><h2>Sign in</h2>"
        if let problem { body += "<p class=\"problem\" role=\"alert\">\(e(problem))</p>" }
        body += "<form method=\"post\" action=\"/dashboard/login\"><label for=\"key\">Oversight API key</label>"
        body += "<input id=\"key\" name=\"key\" type=\"password\" autocomplete=\"off\" required>"
        body += "<button type=\"submit\">Sign in</button></form>"
        body += "<p class=\"muted\">`backstop up` prints a first oversight key; issue more with <code>backstop key issue ORG</code>.</p></section>"
        return document(title: "Sign in · Backstop oversight", body: body)
    }

    /// A page that says what was wrong with the request, with a way back.
    public static func problem(_ message: String) -> String {
        let body = "<header><h1>Backstop oversight</h1></header><section class=\"narrow\"><p class=\"problem\" role=\"alert\">\(e(message))</p>"
            + "<p><a href=\"/dashboard\">Back to the dashboard</a></p></section>"
        return document(title: "Problem · Backstop oversight", body: body)
    }

    /// The drill-down form: a case's details are shown only after a reason is stated.
    public static func drillDownForm(caseID: String, problem: String? = nil) -> String {
        var body = "<header><h1>Backstop oversight</h1><p><a href=\"/dashboard\">Back to the dashboard</a></p></header>"
        body += "<section class=\"narrow\"><h2>Drill down to case \(e(caseID))</h2>"
        body += "<p>Looking at one case is recorded in the audit log with your organisation, the time and the reason you give.</p>"
        if let problem { body += "<p class=\"problem\" role=\"alert\">\(e(problem))</p>" }
        body += "<form method=\"post\" action=\"/dashboard/cases/\(e(Filters.encode(caseID)))\"><label for=\"reason\">Reason (at least 10 characters)</label>"
        body += "<textarea id=\"reason\" name=\"reason\" rows=\"3\" required minlength=\"10\"></textarea>"
        body += "<button type=\"submit\">Show the case</button></form></section>"
        return document(title: "Drill down · Backstop oversight", body: body)
    }

    /// One case's history, after a stated reason.
    public static func caseHistory(_ history: CaseHistory, timeZone: TimeZone) -> String {
        func t(_ d: Date?) -> String { d.map { local($0, timeZone, time: true) } ?? "" }
        var body = "<header><h1>Backstop oversight</h1><p><a href=\"/dashboard\">Back to the dashboard</a></p></header>"
        body += "<section><h2>Case \(e(history.caseID))</h2><p>Lead: \(e(history.lead ?? "unknown")) · Township: \(e(history.township ?? "unknown")) · "
        body += "Opened: \(e(t(history.openedAt))) · First measure: \(e(t(history.firstMeasureAt).isEmpty ? "none yet" : t(history.firstMeasureAt))) · State: \(e(history.state))</p>"
        body += "<h3>Obligations</h3><div class=\"scroll\"><table><thead><tr><th>Rule</th><th>Action</th><th>Owner</th><th>Opened</th><th>Due</th><th>Closed</th><th>Outcome</th><th>Late</th><th>Level</th></tr></thead><tbody>"
        for o in history.obligations {
            body += "<tr><td>\(e(o.rule))</td><td>\(e(o.action))</td><td>\(e(o.owner))</td><td>\(e(t(o.openedAt)))</td><td>\(e(t(o.dueAt)))</td>"
            body += "<td>\(e(t(o.closedAt)))</td><td>\(e(o.outcome ?? "open"))</td><td>\(o.late.map { $0 ? "late" : "on time" } ?? "")</td>"
            body += "<td>\(o.highestLevel.map { "L\($0)" } ?? "")</td></tr>"
        }
        body += "</tbody></table></div><h3>Contributions</h3><div class=\"scroll\"><table><thead><tr><th>Organisation</th><th>Kind</th><th>What</th><th>When</th></tr></thead><tbody>"
        for c in history.contributions {
            body += "<tr><td>\(e(c.organisation))</td><td>\(e(c.kind))</td><td>\(e(c.what))</td><td>\(e(t(c.at)))</td></tr>"
        }
        body += "</tbody></table></div></section>"
        return document(title: "Case \(history.caseID) · Backstop oversight", body: body)
    }

    // MARK: pieces

    /// `date` as a local day (`2026-11-29`) or minute (`2026-11-29 14:05`) in `timeZone`.
    static func local(_ date: Date, _ timeZone: TimeZone, time: Bool) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let day = String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
        return time ? day + String(format: " %02d:%02d", c.hour ?? 0, c.minute ?? 0) : day
    }

    static func filterForm(_ filters: Filters, townships: [String]) -> String {
        var html = "<form class=\"filters\" method=\"get\" action=\"/dashboard\">"
        html += "<label>From <input type=\"date\" name=\"from\" value=\"\(e(filters.from))\"></label>"
        html += "<label>To <input type=\"date\" name=\"to\" value=\"\(e(filters.to))\"></label>"
        html += "<label>Township <select name=\"township\"><option value=\"\">All</option>"
        for t in townships { html += "<option value=\"\(e(t))\"\(t == filters.township ? " selected" : "")>\(e(t))</option>" }
        html += "</select></label><label>Kind <select name=\"kind\"><option value=\"\">All</option>"
        for k in OrganisationKind.allCases where k != .coordinator && k != .oversight {
            html += "<option value=\"\(k.rawValue)\"\(k.rawValue == filters.kind ? " selected" : "")>\(k.rawValue)</option>"
        }
        html += "</select></label><label>Group by <select name=\"group_by\">"
        for g in ReviewGrouping.allCases { html += "<option value=\"\(g.rawValue)\"\(g == filters.groupBy ? " selected" : "")>\(g.label)</option>" }
        return html + "</select></label><button type=\"submit\">Apply</button></form>"
    }

    static func headline(_ tables: [MetricTable]) -> String {
        func sum(_ t: ReviewTable, _ column: String) -> Double {
            tables.first { $0.table == t }?.column(column).compactMap(\.number).reduce(0, +) ?? 0
        }
        let due = sum(.onTime, "due"), onTime = sum(.onTime, "on_time")
        let open = sum(.coupling, "open_cases"), coupled = sum(.coupling, "with_non_government")
        var items: [(String, String)] = []
        items.append(("On time", due > 0 ? "\(MetricTable.Cell.number((1000 * onTime / due).rounded() / 10).text) %" : "–"))
        items.append(("Obligations due", MetricTable.Cell.number(due).text))
        items.append(("Overdue now", MetricTable.Cell.number(sum(.overdueBacklog, "overdue")).text))
        items.append(("Escalations L3–L4", MetricTable.Cell.number(sum(.escalations, "l3") + sum(.escalations, "l4")).text))
        items.append(("Coupling", open > 0 ? "\(MetricTable.Cell.number((1000 * coupled / open).rounded() / 10).text) %" : "–"))
        return "<section class=\"headline\">" + items.map { "<div><span class=\"figure\">\(e($0.1))</span><span class=\"muted\">\(e($0.0))</span></div>" }.joined() + "</section>"
    }

    static func figure(_ svg: String, caption: String) -> String {
        "<figure>\(svg)<figcaption>\(e(caption))</figcaption></figure>"
    }

    static func section(_ table: MetricTable, filters: Filters) -> String {
        var html = "<section id=\"\(table.table.rawValue)\"><h2>\(e(table.table.title))</h2>"
        html += "<p><a class=\"csv\" href=\"/dashboard/csv/\(table.table.rawValue)?\(e(filters.queryString))\">Download CSV</a></p>"
        html += "<div class=\"scroll\"><table><thead><tr>"
        for c in table.columns { html += "<th>\(e(c.label))</th>" }
        html += "</tr></thead><tbody>"
        if table.rows.isEmpty { html += "<tr><td colspan=\"\(table.columns.count)\" class=\"muted\">No data for this selection</td></tr>" }
        let caseColumn = table.table == .overdueList ? table.columns.firstIndex { $0.name == "case_or_alert" } : nil
        for row in table.rows {
            html += "<tr>"
            for (i, cell) in row.enumerated() {
                let numeric = table.columns[i].type != .text
                if i == caseColumn, !cell.text.isEmpty {
                    html += "<td><a href=\"/dashboard/cases/\(e(Filters.encode(cell.text)))\">\(e(cell.text))</a></td>"
                } else {
                    html += numeric ? "<td class=\"n\">\(e(cell.text))</td>" : "<td>\(e(cell.text))</td>"
                }
            }
            html += "</tr>"
        }
        return html + "</tbody></table></div></section>"
    }

    static func document(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(e(title))</title><link rel="icon" href="data:,"><style>\(style)</style></head>
        <body><main>\(body)</main></body></html>
        """
    }

    static let style = """
        *{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans CJK SC",sans-serif;color:#1d2630;background:#f5f6f8}
        main{max-width:1180px;margin:0 auto;padding:12px}h1{font-size:1.4em;margin:.3em 0}h2{font-size:1.15em;margin:1.2em 0 .4em}
        section{background:#fff;border-radius:6px;padding:8px 12px;margin:10px 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}
        .muted{color:#5b6673}.note{font-size:.9em;color:#5b6673}.problem{color:#9b1c1c;font-weight:600}
        .filters{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-end}.filters label{display:flex;flex-direction:column;font-size:.85em}
        input,select,textarea,button{font:inherit;padding:4px 6px;max-width:100%}button{background:#2f6f9f;color:#fff;border:0;border-radius:4px;padding:6px 12px}
        .headline{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:8px}.headline div{display:flex;flex-direction:column}
        .figure{font-size:1.6em;font-weight:600}.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:16px}
        figure{margin:0}figcaption{font-size:.85em;color:#5b6673}svg.chart{width:100%;height:auto;display:block}
        svg text{font-size:14px;fill:#1d2630}svg text.value,svg text.axis,svg text.legend{font-size:12px;fill:#5b6673}svg text.muted{fill:#5b6673}
        .scroll{overflow-x:auto;max-width:100%}table{border-collapse:collapse;width:100%;font-size:.9em}
        th,td{padding:4px 6px;border-bottom:1px solid #e3e6ea;text-align:left;white-space:nowrap}td.n{text-align:right;font-variant-numeric:tabular-nums}
        .narrow{max-width:480px}.narrow form{display:flex;flex-direction:column;gap:8px}
        """

    static func e(_ s: String) -> String { SVGChart.escape(s) }
}
