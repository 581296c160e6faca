import Foundation

/// Charts drawn on the server as inline SVG: readable without JavaScript, and summarised by their title for a
/// screen reader (`role="img"`); the table beside each chart carries the figures themselves.
enum SVGChart {
    /// One bar: what it is, its value (nil when the figure is withheld, drawn as no bar) and how the value reads.
    struct Bar {
        let label: String
        let value: Double?
        let text: String
    }

    /// Horizontal bars, one under the other, each labelled on its left and valued on its right.
    static func bars(_ bars: [Bar], title: String, id: String) -> String {
        // Room for the longest label (about 7 px a character at 13 px), the rest for the bars and their values.
        let longest = bars.map(\.label.count).max() ?? 0
        let rowHeight = 28, width = 660, labelWidth = min(400, max(120, longest * 7 + 16)), plotWidth = width - labelWidth - 70
        let height = max(1, bars.count) * rowHeight + 8
        let largest = bars.compactMap(\.value).max() ?? 0
        var parts = [open(id: id, title: title, width: width, height: height)]
        for (index, bar) in bars.enumerated() {
            let y = 4 + index * rowHeight
            let length = largest > 0 ? Int(((bar.value ?? 0) / largest * Double(plotWidth)).rounded()) : 0
            parts.append(text(bar.label, x: labelWidth - 8, y: y + 18, anchor: "end"))
            if bar.value == nil {
                parts.append(#"<rect class="chart-withheld" x="\#(labelWidth)" y="\#(y + 4)" width="24" height="\#(rowHeight - 8)"/>"#)
            } else if length > 0 {
                parts.append(#"<rect class="chart-bar" x="\#(labelWidth)" y="\#(y + 4)" width="\#(length)" height="\#(rowHeight - 8)"/>"#)
            }
            parts.append(text(bar.text, x: labelWidth + max(length, bar.value == nil ? 24 : 0) + 6, y: y + 18, anchor: "start"))
        }
        return (parts + ["</svg>"]).joined(separator: "\n")
    }

    /// Columns over time, with a dashed line at `limit` (places available) when there is one.
    static func columns(_ columns: [Bar], limit: Double?, limitLabel: String, title: String, id: String) -> String {
        let width = 660, height = 240, left = 44, bottom = 200, top = 16
        let plotWidth = width - left - 8, plotHeight = bottom - top
        let largest = max(columns.compactMap(\.value).max() ?? 0, limit ?? 0, 1)
        let step = Double(plotWidth) / Double(max(columns.count, 1))
        let labelEvery = max(1, Int((Double(columns.count) / 12).rounded(.up)))
        func y(_ value: Double) -> Int { bottom - Int((value / largest * Double(plotHeight)).rounded()) }
        var parts = [
            open(id: id, title: title, width: width, height: height),
            #"<line class="chart-axis" x1="\#(left)" y1="\#(bottom)" x2="\#(width - 8)" y2="\#(bottom)"/>"#,
            text("0", x: left - 6, y: bottom + 4, anchor: "end"), text(format(largest), x: left - 6, y: top + 4, anchor: "end"),
        ]
        for (index, column) in columns.enumerated() {
            let x = left + Int((Double(index) * step).rounded()), barWidth = max(2, Int(step * 0.7))
            if let value = column.value, value > 0 {
                parts.append(#"<rect class="chart-bar" x="\#(x + 2)" y="\#(y(value))" width="\#(barWidth)" height="\#(bottom - y(value))"/>"#)
            } else if column.value == nil {
                parts.append(#"<rect class="chart-withheld" x="\#(x + 2)" y="\#(bottom - 12)" width="\#(barWidth)" height="12"/>"#)
            }
            if index % labelEvery == 0 { parts.append(text(column.label, x: x + 2 + barWidth / 2, y: bottom + 18, anchor: "middle")) }
        }
        if let limit {
            parts.append(#"<line class="chart-limit" x1="\#(left)" y1="\#(y(limit))" x2="\#(width - 8)" y2="\#(y(limit))"/>"#)
            parts.append(text(limitLabel, x: width - 10, y: y(limit) - 4, anchor: "end"))
        }
        return (parts + ["</svg>"]).joined(separator: "\n")
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }

    private static func open(id: String, title: String, width: Int, height: Int) -> String {
        #"<svg class="chart" role="img" aria-labelledby="\#(id)-title" viewBox="0 0 \#(width) \#(height)" width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg"><title id="\#(id)-title">\#(escaped(title))</title>"#
    }

    private static func text(_ content: String, x: Int, y: Int, anchor: String) -> String {
        #"<text x="\#(x)" y="\#(y)" text-anchor="\#(anchor)">\#(escaped(content))</text>"#
    }

    /// Names come from organisations and programmes: never markup.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
