import Foundation
import HTTPTypes
import KoppelAPI
import KoppelCore
import KoppelStore
import OpenAPIRuntime

/// Funder statistics: figures only, every one through `DisclosureControl`.
extension APIHandlers {
    func getStatistics(_ input: Operations.GetStatistics.Input) async throws -> Operations.GetStatistics.Output {
        guard let actor = RequestIdentity.current.actor else { throw Problem.denied(.notSignedIn) }
        let request = StatisticsReports.Request(
            programmes: input.query.programme ?? [], period: input.query.period, from: input.query.from, to: input.query.to,
            breakdown: input.query.breakdown?.rawValue, agreement: input.query.agreement)
        let labelled: StatisticsReports.Labelled
        do { labelled = try await statistics.report(request, by: actor) } catch let invalid as StatisticsReports.Invalid {
            throw invalid.problem
        } catch let refusal as StatisticsRefusal {
            throw refusal.problem
        }
        let catalogue = catalogues[.english]
        // The most preferred type the caller accepts of those Koppel writes, the first of equals; JSON when nothing is
        // said. (`text/html, text/csv` is CSV: choosing HTML first fell back to JSON, which the caller refuses.)
        let writable = input.headers.accept.filter { if case .other = $0.contentType { false } else { true } }
        var preferred = writable.first
        for option in writable where option.quality.doubleValue > (preferred?.quality.doubleValue ?? 0) { preferred = option }
        if preferred?.contentType == .csv {
            return .ok(.init(body: .csv(HTTPBody(labelled.csv(catalogue: catalogue)))))
        }
        return .ok(.init(body: .json(Self.document(labelled, catalogue: catalogue))))
    }

    static func document(_ labelled: StatisticsReports.Labelled, catalogue: Catalogue) -> Components.Schemas.StatisticsReport {
        let report = labelled.report
        func figure(_ published: PublishedCount) -> Components.Schemas.StatisticsFigure {
            switch published {
            case .count(let count): .init(count: count, suppressed: false)
            case .suppressed: .init(suppressed: true)
            }
        }
        func share(_ published: PublishedShare?) -> Components.Schemas.StatisticsShare? {
            switch published {
            case .percent(let percent): .init(percent: percent, suppressed: false)
            case .suppressed: .init(suppressed: true)
            case nil: nil
            }
        }
        func wait(_ key: String, _ kind: WaitKind) -> Components.Schemas.StatisticsWait? {
            report.waits[key]?[kind].map { .init(medianDays: $0.medianDays, p90Days: $0.p90Days) }
        }
        func row(_ key: String, _ label: String, _ figures: [PublishedCount]) -> Components.Schemas.StatisticsRow {
            .init(
                key: key, label: label,
                figures: .init(additionalProperties: Dictionary(uniqueKeysWithValues: zip(report.table.columns.map(\.key), figures.map(figure)))),
                submittedToAccepted: wait(key, .submittedToAccepted), acceptedToActive: wait(key, .acceptedToActive),
                answeredInTimeShare: share(report.answeredInTime(figures)))
        }
        let rows = report.breakdown == .total ? [] : report.table.rows.enumerated().map { index, key in
            row(key, labelled.label(key, catalogue: catalogue), report.table.cells[index])
        }
        return .init(
            firstMonth: report.period.first, lastMonth: report.period.last, breakdown: report.breakdown.rawValue, threshold: labelled.threshold,
            columns: report.table.columns.map(\.key), rows: rows, total: row("total", catalogue.text("statistics.total"), report.table.totals),
            occupancy: report.occupancy.map { .init(month: $0.month, inUse: figure($0.inUse), placesTotal: labelled.placesTotal) },
            answeredInTimeByMonth: report.answeredInTimeByMonth.map { .init(month: $0.month, answeredInTimeShare: share($0.share)) })
    }
}
