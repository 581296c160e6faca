import Foundation
import KoppelCore

/// The dashboard's share answered within the response time: per month as a chart with its table (the counts it is
/// worked out from beside it, and the period's total), and per breakdown row as a line of the breakdown table.
extension StatisticsDashboard {
    /// The share as it reads on the page: a percentage, withheld in words (`<N` would read as a percentage), or "–"
    /// when nothing was answered.
    func text(_ share: PublishedShare?) -> String {
        switch share {
        case .percent(let percent): catalogue.text("statistics.share.percent", ["percent": decimal(percent)])
        case .suppressed: catalogue.text("statistics.share.withheld")
        case nil: "–"
        }
    }

    var responseTimeChart: String {
        let columns = report.answeredInTimeByMonth.map { month -> SVGChart.Bar in
            switch month.share {
            case .percent(let percent): SVGChart.Bar(label: month.month, value: percent, text: text(month.share))
            case .suppressed: SVGChart.Bar(label: month.month, value: nil, text: text(month.share))
            case nil: SVGChart.Bar(label: month.month, value: 0, text: text(month.share))
            }
        }
        return SVGChart.columns(
            columns, limit: 100, limitLabel: catalogue.text("statistics.response_time.all_in_time"),
            title: catalogue.text("statistics.response_time.chart_title"), id: "response-time-chart")
    }

    /// Each month, then the whole period: first answers, those in time, and the share.
    var responseTimeRows: [[String: Any]] {
        let columns = report.table.columns
        let answered = columns.firstIndex(of: StatisticsColumn(.answered))!
        let inTime = columns.firstIndex(of: StatisticsColumn(.answeredInTime))!
        func row(_ label: String, _ figures: [PublishedCount]) -> [String: Any] {
            ["label": label, "answered": labelled.text(figures[answered]), "inTime": labelled.text(figures[inTime]),
             "share": text(report.answeredInTime(figures))]
        }
        return report.monthTotals.map { row($0.month, $0.totals) } + [row(catalogue.text("statistics.total"), report.table.totals)]
    }

    /// The breakdown table's line of shares: one per row, and the total.
    var answeredInTimeLine: [String: Any] {
        let cells = (report.table.cells + [report.table.totals]).map { text(report.answeredInTime($0)) }
        return ["label": catalogue.text("statistics.response_time.heading"), "isReason": false, "cells": cells]
    }
}
