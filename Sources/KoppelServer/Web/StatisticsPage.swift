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
            breakdown: field("breakdown"), agreement: field("agreement"))
    }

    /// The request as a query string, with the agreement the dashboard chose for the reader.
    private static func query(_ asked: StatisticsReports.Request) -> String {
        var items = asked.programmes.map { URLQueryItem(name: "programme", value: $0) }
        for (name, value) in [("period", asked.period), ("from", asked.from), ("to", asked.to), ("breakdown", asked.breakdown), ("agreement", asked.agreement)] {
            if let value { items.append(URLQueryItem(name: name, value: value)) }
        }
        var components = URLComponents()
        components.queryItems = items
        return components.percentEncodedQuery ?? ""
    }

    private func dashboard(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let actor = context.identity.actor else { return .redirect(to: "/sign-in", type: .normal) }
        let catalogue = renderer.catalogue(for: request)
        var asked = Self.reportRequest(request)
        let known = try await statistics.programmes()
        let choices = statistics.choices(for: actor, in: known)
        let agreements = StatisticsAccess.agreements(of: actor, among: known.agreements)
        // A funder (who sees no whole programme) starts at an agreement that covers this year, else its first.
        if asked.agreement == nil, choices.isEmpty, asked.programmes.isEmpty, !agreements.isEmpty {
            let year = StatisticsReports.thisYear
            asked.agreement = (agreements.first { $0.firstMonth <= "\(year)-12" && "\(year)-01" <= $0.lastMonth } ?? agreements[0]).id.uuidString.lowercased()
        }
        // Months the chosen agreement does not cover are narrowed to those it does, and the page says so.
        var narrowed = false
        if let chosen = agreements.first(where: { $0.id.uuidString.lowercased() == asked.agreement?.lowercased() }),
            let wanted = StatisticsPeriod.parse(period: asked.period ?? (asked.from == nil ? StatisticsReports.thisYear : nil), from: asked.from, to: asked.to),
            !chosen.covers(wanted)
        {
            let fitted = chosen.fitted(wanted)
            (asked.period, asked.from, asked.to) = (nil, fitted.first, fitted.last)
            // Said only when the reader asked for those months; a default is narrowed silently.
            narrowed = request.uri.queryParameters["period"] != nil || request.uri.queryParameters["from"] != nil
        }
        var values: [String: Any] = [
            "hasAgreements": !agreements.isEmpty, "hasProgrammes": !choices.isEmpty, "narrowed": narrowed,
            "agreements": agreements.map { agreement in
                let id = agreement.id.uuidString.lowercased()
                let label = catalogue.text(
                    "statistics.form.agreement_label",
                    ["programme": agreement.programme.name, "area": agreement.area.name, "first": agreement.firstMonth, "last": agreement.lastMonth,
                     "funder": agreement.funder.name])
                return ["value": id, "label": label, "selected": asked.agreement == id]
            },
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
            values["csvLink"] = "/statistics/report.csv?" + Self.query(asked)
            values["agreementArea"] = labelled.scope.agreement?.area.name
        } catch let invalid as StatisticsReports.Invalid {
            values["error"] = catalogue.text(invalid == .period ? "statistics.error.period" : "statistics.error.breakdown")
            return renderer.page(
                "statistics", titleKey: "statistics.title", values: values, request: request, identity: context.identity, status: .unprocessableContent)
        } catch let refusal as StatisticsRefusal {
            guard let (key, choices) = refusal.agreementsToOffer else { throw refusal.problem }
            let offered = choices.map { catalogue.text("statistics.form.agreement_label", ["programme": $0.programme.name, "area": $0.area.name,
                                                                                        "first": $0.firstMonth, "last": $0.lastMonth, "funder": $0.funder.name]) }
            values["error"] = catalogue.text(key, ["agreements": offered.joined(separator: "; ")])
            return renderer.page(
                "statistics", titleKey: "statistics.title", values: values, request: request, identity: context.identity,
                status: refusal.problem.status)
        }
        return renderer.page("statistics", titleKey: "statistics.title", values: values, request: request, identity: context.identity)
    }

    /// The report as a file to save; labels in the reader's language, column keys as in the API's CSV.
    private func csv(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let actor = context.identity.actor else { return .redirect(to: "/sign-in", type: .normal) }
        let labelled: StatisticsReports.Labelled
        do { labelled = try await statistics.report(Self.reportRequest(request), by: actor) } catch let invalid as StatisticsReports.Invalid {
            throw invalid.problem
        } catch let refusal as StatisticsRefusal {
            throw refusal.problem
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
