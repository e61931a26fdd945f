import Foundation

/// Charts drawn on the server as inline SVG (no scripts, no external resources), scaled to the
/// width of the page by their `viewBox`.
public enum SVGChart {
    /// One bar: a label, its value, an optional marker (e.g. the P90 beside a median).
    public struct Bar: Sendable, Hashable {
        /// What the bar is.
        public var label: String
        /// Its length.
        public var value: Double
        /// A tick drawn across the bar at this value.
        public var marker: Double?

        /// A bar.
        public init(label: String, value: Double, marker: Double? = nil) {
            self.label = label
            self.value = value
            self.marker = marker
        }
    }

    /// Colours of stacked segments, first to last.
    static let palette = ["#1b7f3b", "#58a55c", "#a4c96b", "#f2c14e", "#ee8434", "#c8553d", "#7d7d7d"]

    /// Horizontal bars with their values written at the end; `maximum` fixes the scale (100 for
    /// percentages), otherwise the largest value or marker sets it.
    public static func bars(_ bars: [Bar], title: String, unit: String, maximum: Double? = nil) -> String {
        let rowHeight = 26.0, labelWidth = 190.0, width = 640.0, top = 8.0
        let scaleMax = maximum ?? max(bars.map { max($0.value, $0.marker ?? 0) }.max() ?? 1, 0.0001)
        let plot = width - labelWidth - 110
        let height = top + Double(max(bars.count, 1)) * rowHeight + 8
        var svg = open(title: title, width: width, height: height)
        if bars.isEmpty { svg += text(x: 8, y: 24, "No data for this selection", anchor: "start", cls: "muted") }
        for (i, bar) in bars.enumerated() {
            let y = top + Double(i) * rowHeight
            let length = max(0, min(1, bar.value / scaleMax)) * plot
            svg += text(x: labelWidth - 6, y: y + 17, shorten(bar.label, 28), anchor: "end")
            svg += "<rect x=\"\(f(labelWidth))\" y=\"\(f(y + 4))\" width=\"\(f(length))\" height=\"\(f(rowHeight - 8))\" fill=\"#2f6f9f\"><title>\(escape(bar.label)): \(number(bar.value)) \(escape(unit))</title></rect>"
            var end = labelWidth + length
            if let marker = bar.marker {
                let x = labelWidth + max(0, min(1, marker / scaleMax)) * plot
                svg += "<line x1=\"\(f(x))\" x2=\"\(f(x))\" y1=\"\(f(y + 1))\" y2=\"\(f(y + rowHeight - 1))\" stroke=\"#c8553d\" stroke-width=\"3\"><title>P90 \(number(marker)) \(escape(unit))</title></line>"
                end = max(end, x)
            }
            let label = bar.marker.map { "\(number(bar.value)) / \(number($0)) \(unit)" } ?? "\(number(bar.value)) \(unit)"
            svg += text(x: end + 6, y: y + 17, label, anchor: "start", cls: "value")
        }
        return svg + "</svg>"
    }

    /// Horizontal bars split into segments (one per `segments` name), each row summing to its total.
    public static func stacked(_ rows: [(label: String, values: [Double])], segments: [String], title: String) -> String {
        let rowHeight = 26.0, labelWidth = 190.0, width = 640.0, top = 8.0, legend = 22.0
        let scaleMax = max(rows.map { $0.values.reduce(0, +) }.max() ?? 1, 1)
        let plot = width - labelWidth - 50
        let height = top + Double(max(rows.count, 1)) * rowHeight + legend + 8
        var svg = open(title: title, width: width, height: height)
        if rows.isEmpty { svg += text(x: 8, y: 24, "No data for this selection", anchor: "start", cls: "muted") }
        for (i, row) in rows.enumerated() {
            let y = top + Double(i) * rowHeight
            svg += text(x: labelWidth - 6, y: y + 17, shorten(row.label, 28), anchor: "end")
            var x = labelWidth
            for (s, value) in row.values.enumerated() where value > 0 {
                let w = value / scaleMax * plot
                svg += "<rect x=\"\(f(x))\" y=\"\(f(y + 4))\" width=\"\(f(w))\" height=\"\(f(rowHeight - 8))\" fill=\"\(palette[s % palette.count])\"><title>\(escape(row.label)) — \(escape(segments[s])): \(number(value))</title></rect>"
                x += w
            }
            svg += text(x: x + 6, y: y + 17, number(row.values.reduce(0, +)), anchor: "start", cls: "value")
        }
        var lx = 8.0
        let ly = top + Double(max(rows.count, 1)) * rowHeight + 14
        for (s, name) in segments.enumerated() {
            svg += "<rect x=\"\(f(lx))\" y=\"\(f(ly - 9))\" width=\"10\" height=\"10\" fill=\"\(palette[s % palette.count])\"/>"
            svg += text(x: lx + 14, y: ly, name, anchor: "start", cls: "legend")
            lx += 14 + Double(name.count) * 6.5 + 12
        }
        return svg + "</svg>"
    }

    /// A line over labelled points (weeks); points without a value leave a gap.
    public static func line(_ points: [(label: String, value: Double?)], title: String, unit: String, maximum: Double? = nil) -> String {
        let width = 640.0, height = 200.0, left = 44.0, right = 12.0, top = 12.0, bottom = 36.0
        let values = points.compactMap(\.value)
        let scaleMax = maximum ?? max(values.max() ?? 1, 0.0001)
        let plotW = width - left - right, plotH = height - top - bottom
        var svg = open(title: title, width: width, height: height)
        for tick in 0...4 {
            let v = scaleMax * Double(tick) / 4
            let y = top + plotH - plotH * Double(tick) / 4
            svg += "<line x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(y))\" y2=\"\(f(y))\" stroke=\"#ddd\"/>"
            svg += text(x: left - 4, y: y + 4, number(v), anchor: "end", cls: "axis")
        }
        if values.isEmpty { svg += text(x: left + 8, y: top + 20, "No data for this selection", anchor: "start", cls: "muted") }
        let step = points.count > 1 ? plotW / Double(points.count - 1) : 0
        var path = ""
        var pen = false
        for (i, point) in points.enumerated() {
            let x = left + Double(i) * step
            if i % max(1, points.count / 6) == 0 { svg += text(x: x, y: height - bottom + 16, point.label, anchor: "middle", cls: "axis") }
            guard let value = point.value else { pen = false; continue }
            let y = top + plotH - max(0, min(1, value / scaleMax)) * plotH
            path += "\(pen ? "L" : "M")\(f(x)) \(f(y)) "
            pen = true
            svg += "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"3\" fill=\"#2f6f9f\"><title>\(escape(point.label)): \(number(value)) \(escape(unit))</title></circle>"
        }
        if !path.isEmpty { svg += "<path d=\"\(path.trimmingCharacters(in: .whitespaces))\" fill=\"none\" stroke=\"#2f6f9f\" stroke-width=\"2\"/>" }
        return svg + "</svg>"
    }

    // MARK: pieces

    static func open(title: String, width: Double, height: Double) -> String {
        "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 \(f(width)) \(f(height))\" preserveAspectRatio=\"xMinYMin meet\" xmlns=\"http://www.w3.org/2000/svg\"><title>\(escape(title))</title>"
    }

    static func text(x: Double, y: Double, _ content: String, anchor: String, cls: String = "label") -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\" class=\"\(cls)\">\(escape(content))</text>"
    }

    static func shorten(_ s: String, _ n: Int) -> String { s.count > n ? String(s.prefix(n - 1)) + "…" : s }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    static func number(_ x: Double) -> String { MetricTable.Cell.number(x).text }

    /// Escapes text for HTML and SVG content and attribute values.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
