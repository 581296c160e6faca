import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelCore
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

/// Funder statistics through the API against real PostgreSQL: figures computed by hand from a small history,
/// with a withheld count and a second one withheld with it, and who may ask for what.
@Suite("Statistics API")
struct StatisticsAPITests {
    /// This month in Amsterdam: every step of the test's history happens now.
    static var thisMonth: String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Amsterdam")!
        let parts = calendar.dateComponents([.year, .month], from: Date())
        return String(format: "%04d-%02d", parts.year!, parts.month!)
    }

    /// 2GO this month: 6 trafficking referrals (5 accepted and started) and 2 for domestic violence (1 declined);
    /// returns the trafficking ones.
    static func fileTwoGoMonth(_ cast: ReferralCast, _ api: APICall) async throws -> [String] {
        var trafficking: [String] = []
        for _ in 0..<6 { trafficking.append(try await api.file(cast.forTwoGo(), as: cast.caseworker)) }
        var violence: [String] = []
        for _ in 0..<2 { violence.append(try await api.file(cast.forTwoGo(["target_group": "domestic_violence"]), as: cast.caseworker)) }
        for id in trafficking.prefix(5) {
            #expect(try await api.step(id, "accept", as: cast.twoGo).status == .ok)
            #expect(try await api.step(id, "start", as: cast.twoGo).status == .ok)
        }
        #expect(try await api.step(violence[0], "decline", as: cast.twoGo, ["reason": "needs_not_matched"]).status == .ok)
        return trafficking
    }

    @Test("P1, P2 and P1+P2 side by side: a withheld count of P1 stays withheld in the sum, so no subtraction finds it")
    func differencingProgrammes() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let admin = try await TestPeople.make(database, organisation: "vluchtelingenwerk", email: "hub@vw.example", roles: [.hubAdmin])
            let token = try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
                try await APITokenStore(client: db, logger: quietLogger)
                    .create(userID: admin.id, organisation: admin.organisation, name: "t", expiresInDays: 1).token.value
            }
            for _ in 0..<3 { _ = try await api.file(cast.forTwoGo(), as: cast.caseworker) }
            for _ in 0..<7 { _ = try await api.file(cast.forPimenta(), as: cast.caseworker) }
            func received(_ programmes: [String], breakdown: String = "total") async throws -> String {
                let query = programmes.map { "programme=\($0)" }.joined(separator: "&")
                let answer = try await api(.get, "/api/v1/statistics?\(query)&period=\(Self.thisMonth)&breakdown=\(breakdown)", as: token)
                #expect(answer.status == .ok, "\(answer.detail)")
                return figure(answer.json, row: "total", "received")
            }
            #expect(try await received([cast.twoGoID]) == "<5")
            #expect(try await received([cast.pimentaID]) == "7")
            #expect(try await received([cast.twoGoID, cast.pimentaID]) == "<5", "10 - 7 would give 2GO's 3")
            #expect(try await received([cast.twoGoID, cast.pimentaID], breakdown: "programme") == "<5")
            #expect(try await received([cast.twoGoID, cast.pimentaID], breakdown: "target_group") == "<5")
        }
    }

    func figure(_ report: [String: Any], row: String, _ column: String) -> String {
        let rows = (report["rows"] as? [[String: Any]] ?? []) + [report["total"] as? [String: Any] ?? [:]]
        let figures = rows.first { $0["key"] as? String == row }?["figures"] as? [String: [String: Any]]
        guard let cell = figures?[column] else { return "missing" }
        return cell["suppressed"] as? Bool == true ? "<5" : "\(cell["count"] as? Int ?? -1)"
    }

    @Test("2GO's month by target group: 8 received (2 withheld, and the 6 with them), 5 accepted, 5 active, 1 declined withheld; right at once after a step")
    func handComputedFigures() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let trafficking = try await Self.fileTwoGoMonth(cast, api)

            let uri = "/api/v1/statistics?programme=\(cast.twoGoID)&period=\(Self.thisMonth)&breakdown=target_group"
            let report = try await api(.get, uri, as: cast.funder)
            #expect(report.status == .ok)
            #expect(report.json["threshold"] as? Int == 5)
            #expect(figure(report.json, row: "total", "received") == "8")
            #expect(figure(report.json, row: "domestic_violence", "received") == "<5", "2 is a small count")
            #expect(figure(report.json, row: "human_trafficking", "received") == "<5", "else 8 - 6 would give the 2 away")
            #expect(figure(report.json, row: "asylum_seekers", "received") == "0", "zero stays zero")
            #expect(figure(report.json, row: "human_trafficking", "accepted") == "5")
            #expect(figure(report.json, row: "total", "accepted") == "5")
            #expect(figure(report.json, row: "human_trafficking", "active_at_end") == "5")
            #expect(figure(report.json, row: "domestic_violence", "declined") == "<5")
            #expect(figure(report.json, row: "total", "declined") == "<5")
            #expect(figure(report.json, row: "domestic_violence", "declined.needs_not_matched") == "<5")
            #expect(figure(report.json, row: "human_trafficking", "declined.needs_not_matched") == "0")
            let total = try #require(report.json["total"] as? [String: Any])
            #expect(total["submitted_to_accepted"] == nil, "no waiting time from fewer than 10 referrals")

            // The year so far: running at its end means running now, and no month to come is shown.
            let year = try await api(.get, "/api/v1/statistics?programme=\(cast.twoGoID)&period=\(Self.thisMonth.prefix(4))", as: cast.funder)
            #expect(figure(year.json, row: "total", "active_at_end") == "5")
            let months = (year.json["occupancy"] as? [[String: Any]])?.compactMap { $0["month"] as? String }
            #expect(months?.last == Self.thisMonth && months?.count == Int(Self.thisMonth.suffix(2)))

            // By type of referrer: VluchtelingenWerk is a civil-society organisation in the demo data.
            let byType = try await api(.get, "/api/v1/statistics?programme=\(cast.twoGoID)&period=\(Self.thisMonth)&breakdown=referrer_type", as: cast.funder)
            #expect(figure(byType.json, row: "civil_society", "received") == "8")
            #expect(figure(byType.json, row: "public_authority", "received") == "0")

            // The sixth accepted: the figures follow at once.
            #expect(try await api.step(trafficking[5], "accept", as: cast.twoGo).status == .ok)
            let after = try await api(.get, uri, as: cast.funder)
            #expect(figure(after.json, row: "human_trafficking", "accepted") == "6")
            #expect(figure(after.json, row: "total", "accepted") == "6")

            // The same as CSV.
            let csv = try await client.execute(
                uri: uri, method: .get, headers: [.authorization: "Bearer \(cast.funder)", .accept: "text/csv"]
            ) { $0 }
            #expect(csv.status == .ok && csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            let lines = String(buffer: csv.body).split(separator: "\r\n")
            #expect(lines.first?.hasPrefix("breakdown,key,label,received,accepted,declined") == true)
            #expect(lines.contains { $0.hasPrefix("target_group,domestic_violence,") && $0.contains(",<5,0,<5,") }, "received, accepted, declined")
            #expect(lines.last?.hasPrefix("target_group,total,Total,8,6,<5") == true)
        }
    }

    @Test("a funder sees only the programmes they fund, a coordinator only their own, a caseworker only their organisation's referrals")
    func whoSeesWhat() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            for _ in 0..<6 { _ = try await api.file(cast.forTwoGo(), as: cast.caseworker) }
            let month = Self.thisMonth
            let pimenta = try await api(.get, "/api/v1/statistics?programme=\(cast.pimentaID)&period=\(month)", as: cast.funder)
            #expect(pimenta.status == .forbidden)
            #expect(pimenta.detail.contains("No funding agreement of yours covers these figures") && pimenta.detail.contains("2GO maatjesprojecten in Haaglanden"))
            let mixed = try await api(.get, "/api/v1/statistics?programme=\(cast.twoGoID)&programme=\(cast.pimentaID)&period=\(month)", as: cast.funder)
            #expect(mixed.status == .forbidden, "one programme not funded refuses the whole report")
            let own = try await api(.get, "/api/v1/statistics?period=\(month)&breakdown=programme", as: cast.funder)
            #expect((own.json["rows"] as? [[String: Any]])?.compactMap { $0["label"] as? String } == ["2GO maatjesprojecten"])
            #expect(figure(own.json, row: "total", "received") == "6")
            #expect(try await api(.get, "/api/v1/statistics?programme=\(cast.pimentaID)&period=\(month)", as: cast.twoGo).status == .forbidden)
            #expect(try await api(.get, "/api/v1/statistics?programme=\(cast.twoGoID)&period=\(month)", as: cast.twoGo).status == .ok)
            let humanitas = try await api(.get, "/api/v1/statistics?programme=\(cast.twoGoID)&period=\(month)", as: cast.otherCaseworker)
            #expect(humanitas.status == .ok)
            #expect(figure(humanitas.json, row: "total", "received") == "0", "Humanitas filed none of them")
            let vluchtelingenwerk = try await api(.get, "/api/v1/statistics?programme=\(cast.twoGoID)&period=\(month)", as: cast.caseworker)
            #expect(figure(vluchtelingenwerk.json, row: "total", "received") == "6")
            #expect(try await api(.get, "/api/v1/statistics?period=\(month)", as: nil).status == .unauthorized)
            #expect(try await api(.get, "/api/v1/referrals", as: cast.funder).status == .forbidden, "no list of referrals for a funder")
        }
    }

    @Test("a breakdown finer than allowed, or a period that is not one, is refused with what to send instead")
    func badRequests() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let finer = try await api(.get, "/api/v1/statistics?breakdown=client", as: cast.funder)
            #expect(finer.status == .badRequest || finer.status == .unprocessableContent)
            // Not a month, quarter or year at all: the contract's form, as for any malformed parameter.
            for period in ["period=2026-13", "period=2026-Q5", "from=2026-1&to=2026-02"] {
                let refused = try await api(.get, "/api/v1/statistics?\(period)", as: cast.funder)
                #expect(refused.status == .badRequest, "\(period)")
                #expect(refused.detail.contains("(2026-Q1)") || refused.detail.contains("YYYY-MM"), "\(period): \(refused.detail)")
            }
            // Well formed, but not a period together.
            for period in ["from=2026-05&to=2026-01", "from=2016-01&to=2026-12", "from=2026-01", "period=2026&from=2026-01&to=2026-02"] {
                let refused = try await api(.get, "/api/v1/statistics?\(period)", as: cast.funder)
                #expect(refused.status == .unprocessableContent, "\(period)")
                #expect(refused.detail.contains("YYYY-Qn"), "\(period)")
            }
            #expect(try await api(.get, "/api/v1/statistics?programme=not-an-id", as: cast.funder).status == .badRequest)
            #expect(try await api(.get, "/api/v1/statistics?programme=\(UUID().uuidString)", as: cast.funder).status == .notFound)
        }
    }
}
