import Foundation
import HTTPTypes
import KoppelCore
import KoppelStore

/// A report as the API and the dashboard give it: the request checked (programmes, period, breakdown), the
/// scope from `StatisticsAccess`, the figures from `StatisticsStore` through `DisclosureControl`, rows labelled.
struct StatisticsReports: Sendable {
    let store: StatisticsStore
    let agreements: FundingAgreementStore
    let directory: any ProgrammeDirectory
    let threshold: Int
    /// Reports counted at once; the rest wait their turn, so a crowd of funders cannot take every connection.
    let gate: AsyncGate

    struct Request {
        var programmes: [String] = []
        var period: String?
        var from: String?
        var to: String?
        var breakdown: String?
        /// A funding agreement's id: its programme, area and months.
        var agreement: String?
    }

    /// A request that names no period or breakdown Koppel gives; the API says so in English, pages from the
    /// catalogue.
    enum Invalid: Error {
        case period, breakdown

        var problem: Problem {
            switch self {
            case .period: Problem(status: .unprocessableContent, detail: StatisticsPeriod.expected)
            case .breakdown:
                Problem(
                    status: .unprocessableContent,
                    detail: "breakdown must be one of \(StatisticsBreakdown.allCases.map(\.rawValue).joined(separator: ", ")); nothing finer is given.")
            }
        }
    }

    struct Labelled {
        let report: StatisticsReport
        let scope: StatisticsScope
        let threshold: Int
        /// Row key → what to call it (programme names; other keys are catalogue codes).
        let programmeNames: [String: String]
        let placesTotal: Int?
    }

    /// The programmes and agreements as a report needs them: ids and agreements (for the policy), names and capacity
    /// (for the labels). Read once per request, by the dashboard for its choices and its report alike.
    struct Programmes {
        let all: [UUID]
        let agreements: [FundingAgreement]
        let listed: [Programme]
    }

    func programmes() async throws -> Programmes {
        Programmes(all: try await store.programmes(), agreements: try await agreements.agreements(), listed: try await directory.listedProgrammes())
    }

    func report(_ request: Request, by actor: Actor, programmes known: Programmes? = nil) async throws -> Labelled {
        let known = if let known { known } else { try await programmes() }
        let all = Set(known.all)
        let requested = try request.programmes.map { text -> UUID in
            let id = try uuid(text, "programme id")
            guard all.contains(id) else { throw APIHandlers.noSuchProgramme(id) }
            return id
        }
        let agreement = try request.agreement.map { try uuid($0, "agreement id") }
        let period = request.period == nil && request.from == nil && request.to == nil ? Self.thisYear : request.period
        guard let months = StatisticsPeriod.parse(period: period, from: request.from, to: request.to) else { throw Invalid.period }
        guard let breakdown = StatisticsBreakdown(rawValue: request.breakdown ?? "total") else { throw Invalid.breakdown }
        let scope: StatisticsScope
        switch StatisticsAccess.scope(actor, requested: requested, all: known.all, agreements: known.agreements, agreement: agreement, period: months) {
        case .success(let found): scope = found
        case .failure(let refusal): throw refusal
        }
        let report = try await gate.run {
            try await store.report(scope, period: months, breakdown: breakdown, threshold: threshold, actingFor: actor)
        }
        let names = Dictionary(uniqueKeysWithValues: known.listed.map { ($0.id.uuidString.lowercased(), $0.name) })
        // Capacity as it is now: the directory keeps no history of it.
        let totals = known.listed.filter { scope.programmes.contains($0.id) }.compactMap(\.placesTotal)
        return Labelled(
            report: report, scope: scope, threshold: threshold, programmeNames: names,
            placesTotal: scope.referringOrganisation == nil && !totals.isEmpty ? totals.reduce(0, +) : nil)
    }

    /// The programmes `actor` may ask figures of as a whole, by name: what the dashboard offers to choose from.
    func choices(for actor: Actor, in known: Programmes) -> [(id: UUID, name: String)] {
        let names = Dictionary(uniqueKeysWithValues: known.listed.map { ($0.id, $0.name) })
        return known.all.filter { AccessPolicy.decide(actor, .viewProgrammeStatistics(programme: $0)).isAllowed }
            .compactMap { id in names[id].map { (id, $0) } }.sorted { $0.name < $1.name }
    }

    /// Whether `actor` may see any figures at all: a whole programme, an agreement's, or their own referrals'.
    func seesAny(_ actor: Actor) async throws -> Bool {
        if AccessPolicy.decide(actor, .viewReferrerStatistics(referringOrganisation: actor.organisationID)).isAllowed { return true }
        let known = try await programmes()
        return !choices(for: actor, in: known).isEmpty || !StatisticsAccess.agreements(of: actor, among: known.agreements).isEmpty
    }

    /// The current year in Amsterdam, the default period.
    static var thisYear: String { String(WallClock.current.today().prefix(4)) }
}

extension StatisticsReports.Labelled {
    /// What a row is called, in `catalogue`'s language.
    func label(_ key: String, catalogue: Catalogue) -> String {
        switch report.breakdown {
        case .total: catalogue.text("statistics.total")
        case .programme: programmeNames[key] ?? key
        case .region: key
        case .referrerType: catalogue.text("organisation_type.\(key)")
        case .targetGroup: catalogue.text(TargetGroup(rawValue: key)?.catalogueKey ?? key)
        case .ageBand: key
        }
    }

    /// A figure as text: the count, `<N` when withheld.
    func text(_ figure: PublishedCount) -> String {
        switch figure {
        case .count(let count): "\(count)"
        case .suppressed: "<\(threshold)"
        }
    }

    /// A share in a file: the percentage as a number, withheld in words (`<N` would read as a percentage), empty
    /// when nothing was answered.
    func fileText(_ share: PublishedShare?, catalogue: Catalogue) -> String {
        switch share {
        case .percent(let percent): Self.oneDecimal(percent)
        case .suppressed: catalogue.text("statistics.share.withheld")
        case nil: ""
        }
    }

    /// The report as CSV: a row per breakdown value and the total, a column per measure and reason, then waits,
    /// then the share answered within the response time (a number, as the counts are).
    func csv(catalogue: Catalogue) -> String {
        let table = report.table
        var lines = [
            ["breakdown", "key", "label"] + table.columns.map(\.key)
                + WaitKind.allCases.flatMap { ["\($0.rawValue)_median_days", "\($0.rawValue)_p90_days"] } + ["answered_in_time_share_percent"]
        ]
        func line(_ key: String, _ label: String, _ figures: [PublishedCount]) -> [String] {
            let waits = WaitKind.allCases.flatMap { kind -> [String] in
                guard let wait = report.waits[key]?[kind] else { return ["", ""] }
                return [Self.oneDecimal(wait.medianDays), Self.oneDecimal(wait.p90Days)]
            }
            let share = fileText(report.answeredInTime(figures), catalogue: catalogue)
            return [report.breakdown.rawValue, key, label] + figures.map(text) + waits + [share]
        }
        for (index, key) in table.rows.enumerated() where report.breakdown != .total {
            lines.append(line(key, label(key, catalogue: catalogue), table.cells[index]))
        }
        lines.append(line("total", catalogue.text("statistics.total"), table.totals))
        return lines.map { $0.map(Self.quoted).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// Days and percentages, with `.` as the decimal separator.
    static func oneDecimal(_ value: Double) -> String { String(format: "%.1f", value) }

    /// RFC 4180 quoting; a leading =, +, - or @ is prefixed so a spreadsheet never runs it as a formula.
    static func quoted(_ field: String) -> String {
        var field = field
        if let first = field.first, "=+-@".contains(first), Int(field) == nil { field = "'" + field }
        guard field.contains(where: { ",\"\r\n".contains($0) }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension StatisticsRefusal {
    /// The catalogue key of the page's message and the agreements it offers, for a funder's refusal.
    var agreementsToOffer: (key: String, agreements: [FundingAgreement])? {
        switch self {
        case .denied: nil
        case .outsideAgreements(let own): (own.isEmpty ? "statistics.error.no_agreements" : "statistics.error.outside_agreements", own)
        case .chooseAgreement(let fitting): ("statistics.error.choose_agreement", fitting)
        }
    }

    /// The answer: 403 saying what the reader may ask for instead (422 when they only need to choose).
    var problem: Problem {
        switch self {
        case .denied(let reason): Problem.denied(reason)
        case .outsideAgreements(let own) where own.isEmpty:
            Problem(status: .forbidden, detail: "No funding agreement of yours covers these figures, and Koppel holds none for your organisation; a hub-admin records them.")
        case .outsideAgreements(let own):
            Problem(status: .forbidden, detail: "No funding agreement of yours covers these figures. You may ask for months within one of these: "
                + own.map(\.summary).joined(separator: "; ") + ".")
        case .chooseAgreement(let fitting):
            Problem(status: .unprocessableContent, detail: "Several of your funding agreements cover these months; choose one with agreement=…: "
                + fitting.map(\.summary).joined(separator: "; ") + ".")
        }
    }
}
