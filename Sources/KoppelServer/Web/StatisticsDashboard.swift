import Foundation
import KoppelCore

/// The dashboard's sections from a report that has passed disclosure control: each chart, and the table with
/// the same figures beside it. Withheld figures read `<N` in tables and are drawn as a hatched stub.
struct StatisticsDashboard {
    let labelled: StatisticsReports.Labelled
    let catalogue: Catalogue

    var report: StatisticsReport { labelled.report }

    var values: [String: Any] {
        var values: [String: Any] = [
            "report": true,
            "periodText": report.period.first == report.period.last ? report.period.first : "\(report.period.first) – \(report.period.last)",
            "programmeNames": labelled.scope.programmes.compactMap { labelled.programmeNames[$0.uuidString.lowercased()] }.sorted()
                .joined(separator: ", "),
            "ownReferralsOnly": labelled.scope.referringOrganisation != nil,
            "thresholdNote": catalogue.text("statistics.threshold_note", ["threshold": "\(labelled.threshold)"]),
            "flowsChart": SVGChart.bars(flowBars, title: catalogue.text("statistics.flows.chart_title"), id: "flows-chart"),
            "flowsRows": flowRows,
            "occupancyChart": SVGChart.columns(
                occupancyColumns, limit: labelled.placesTotal.map(Double.init), limitLabel: catalogue.text("statistics.occupancy.places"),
                title: catalogue.text("statistics.occupancy.chart_title"), id: "occupancy-chart"),
            "occupancyRows": report.occupancy.map { month in
                ["month": month.month, "inUse": labelled.text(month.inUse), "places": labelled.placesTotal.map(String.init) ?? "–"]
            },
            "waitRows": waitRows,
            "responseTimeNote": catalogue.text("statistics.response_time.note", ["threshold": "\(labelled.threshold)"]),
            "responseTimeChart": responseTimeChart,
            "responseTimeRows": responseTimeRows,
        ]
        if let chart = waitsChart { values["waitsChart"] = chart }
        if report.breakdown != .total {
            let heading = catalogue.text("statistics.by", ["breakdown": catalogue.text("statistics.breakdown.\(report.breakdown.rawValue)").lowercased()])
            values["breakdown"] = [
                "heading": heading,
                "chart": SVGChart.bars(receivedBars, title: heading, id: "breakdown-chart"),
                "rowLabels": report.table.rows.map { labelled.label($0, catalogue: catalogue) },
                "lines": report.table.columns.indices.map { column -> [String: Any] in
                    let cells = report.table.cells.map { labelled.text($0[column]) } + [labelled.text(report.table.totals[column])]
                    return ["label": columnLabel(report.table.columns[column]), "isReason": report.table.columns[column].isPart, "cells": cells]
                } + [answeredInTimeLine],
            ]
        }
        return values
    }

    private func columnLabel(_ column: StatisticsColumn) -> String {
        column.reason.map { catalogue.text($0.catalogueKey) } ?? catalogue.text("statistics.measure.\(column.measure.rawValue)")
    }

    private func bar(_ label: String, _ figure: PublishedCount) -> SVGChart.Bar {
        switch figure {
        case .count(let count): SVGChart.Bar(label: label, value: Double(count), text: labelled.text(figure))
        case .suppressed: SVGChart.Bar(label: label, value: nil, text: labelled.text(figure))
        }
    }

    private func total(_ column: StatisticsColumn) -> PublishedCount {
        report.table.totals[report.table.columns.firstIndex(of: column)!]
    }

    /// A bar per measure; the parts of one (in time, late) only in the table, where they read under it.
    private var flowBars: [SVGChart.Bar] {
        StatisticsMeasure.allCases.map { StatisticsColumn($0) }.filter { !$0.isPart }.map { bar(columnLabel($0), total($0)) }
    }

    private var flowRows: [[String: Any]] {
        report.table.columns.map { column in
            ["label": columnLabel(column), "isReason": column.isPart, "value": labelled.text(total(column))]
        }
    }

    private var receivedBars: [SVGChart.Bar] {
        let received = report.table.columns.firstIndex(of: StatisticsColumn(.received))!
        return report.table.rows.enumerated().map { index, key in
            bar(labelled.label(key, catalogue: catalogue), report.table.cells[index][received])
        }
    }

    private var occupancyColumns: [SVGChart.Bar] {
        report.occupancy.map { bar($0.month, $0.inUse) }
    }

    /// Waits of the whole period; only those based on enough referrals are in the report at all.
    private var waitsChart: String? {
        guard let waits = report.waits["total"], !waits.isEmpty else { return nil }
        let bars = WaitKind.allCases.flatMap { kind -> [SVGChart.Bar] in
            guard let wait = waits[kind] else { return [] }
            let name = catalogue.text("statistics.wait.\(kind.rawValue)")
            return [
                SVGChart.Bar(label: "\(name), \(catalogue.text("statistics.wait.median"))", value: wait.medianDays, text: days(wait.medianDays)),
                SVGChart.Bar(label: "\(name), \(catalogue.text("statistics.wait.p90"))", value: wait.p90Days, text: days(wait.p90Days)),
            ]
        }
        return SVGChart.bars(bars, title: catalogue.text("statistics.waits.chart_title"), id: "waits-chart")
    }

    private var waitRows: [[String: Any]] {
        let keys = (report.breakdown == .total ? [] : report.table.rows) + ["total"]
        return keys.map { key in
            let label = key == "total" ? catalogue.text("statistics.total") : labelled.label(key, catalogue: catalogue)
            let figures = WaitKind.allCases.flatMap { kind -> [String] in
                guard let wait = report.waits[key]?[kind] else { return ["–", "–"] }
                return [days(wait.medianDays), days(wait.p90Days)]
            }
            return ["label": label, "figures": figures]
        }
    }

    private func days(_ value: Double) -> String {
        catalogue.text("statistics.wait.days", ["days": decimal(value)])
    }

    /// One decimal, with the catalogue's separator.
    func decimal(_ value: Double) -> String {
        StatisticsReports.Labelled.oneDecimal(value).replacingOccurrences(of: ".", with: catalogue.text("statistics.decimal_separator"))
    }
}
