import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore

/// The statistics dashboard: a funder's figures (a coordinator's, a hub-admin's, a caseworker's for their own
/// referrals) as charts with a table beside each, and the same report as a CSV file. Which figures anyone may
/// see is `StatisticsAccess`'s; every figure has passed `DisclosureControl` before it reaches this page.
struct StatisticsPage {
    let renderer: PageRenderer
    let statistics: StatisticsReports

    func register(on routes: RouteRegistrar) {
        routes.get("/statistics") { request, context in try await dashboard(request, context) }
        routes.get("/statistics/report.csv") { request, context in try await csv(request, context) }
    }

    /// The form's fields, from the query: a period (year, quarter, month), or from and to months, which win
    /// when both are filled in, since the form always carries a period.
    private static func reportRequest(_ request: Request) -> StatisticsReports.Request {
        let query = request.uri.queryParameters
        func field(_ name: String) -> String? {
            query[Substring(name)].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        let range = field("from") != nil && field("to") != nil
        return StatisticsReports.Request(
            programmes: query[values: "programme"].map(String.init).filter { !$0.isEmpty },
            period: range ? nil : field("period"), from: range ? field("from") : nil, to: range ? field("to") : nil,
            breakdown: field("breakdown"))
    }

    private func dashboard(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let actor = context.identity.actor else { return .redirect(to: "/sign-in", type: .normal) }
        let catalogue = renderer.catalogue(for: request)
        let asked = Self.reportRequest(request)
        let known = try await statistics.programmes()
        let choices = statistics.choices(for: actor, in: known)
        var values: [String: Any] = [
            "programmes": choices.map { choice in
                let id = choice.id.uuidString.lowercased()
                return ["value": id, "label": choice.name, "checked": asked.programmes.contains(id)]
            },
            "period": asked.period ?? (asked.from == nil ? StatisticsReports.thisYear : ""), "from": asked.from ?? "", "to": asked.to ?? "",
            "breakdowns": StatisticsBreakdown.allCases.map { breakdown in
                ["value": breakdown.rawValue, "label": catalogue.text("statistics.breakdown.\(breakdown.rawValue)"),
                 "selected": breakdown.rawValue == (asked.breakdown ?? StatisticsBreakdown.total.rawValue)]
            },
        ]
        do {
            let labelled = try await statistics.report(asked, by: actor, programmes: known)
            values.merge(StatisticsDashboard(labelled: labelled, catalogue: catalogue).values) { $1 }
            values["csvLink"] = "/statistics/report.csv?" + (request.uri.query ?? "")
        } catch let invalid as StatisticsReports.Invalid {
            values["error"] = catalogue.text(invalid == .period ? "statistics.error.period" : "statistics.error.breakdown")
            return renderer.page(
                "statistics", titleKey: "statistics.title", values: values, request: request, identity: context.identity, status: .unprocessableContent)
        }
        return renderer.page("statistics", titleKey: "statistics.title", values: values, request: request, identity: context.identity)
    }

    /// The report as a file to save; labels in the reader's language, column keys as in the API's CSV.
    private func csv(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let actor = context.identity.actor else { return .redirect(to: "/sign-in", type: .normal) }
        let labelled: StatisticsReports.Labelled
        do { labelled = try await statistics.report(Self.reportRequest(request), by: actor) } catch let invalid as StatisticsReports.Invalid {
            throw invalid.problem
        }
        let period = labelled.report.period
        let headers: HTTPFields = [
            .contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
            .contentDisposition: "attachment; filename=\"koppel-statistics-\(period.first)-\(period.last).csv\"",
        ]
        let body = labelled.csv(catalogue: renderer.catalogue(for: request))
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
