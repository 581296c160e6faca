import Foundation
import HTTPTypes
import HummingbirdTesting
import KoppelCore
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

/// Funders see what their agreements cover: Perspectief+ is funded in Twente by Gemeente Enschede (this year) and
/// in Noord-Nederland and Twente by the ministry of Justice (last year to next year). 6 referrals come from
/// Enschede and 5 from Almelo (Twente), 3 from Groningen (Noord-Nederland).
@Suite("Statistics by funding agreement: area and period")
struct AreaStatisticsTests {
    struct Setting {
        let api: APICall
        let enschede: String
        let ministry: String
        let hubAdmin: String
        let programme: String
        let year: String
    }

    func funderToken(_ database: TestDatabase, _ slug: String, _ roles: Set<Role> = [.funder]) async throws -> String {
        let person = try await TestPeople.make(database, organisation: slug, email: "\(roles.map(\.rawValue).sorted().joined())@\(slug).example", roles: roles)
        return try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
            try await APITokenStore(client: db, logger: quietLogger)
                .create(userID: person.id, organisation: person.organisation, name: "test", expiresInDays: 1).token.value
        }
    }

    private func filed(_ client: any TestClientProtocol, _ database: TestDatabase) async throws -> Setting {
        let cast = try await ReferralCast.make(client, database)
        let api = APICall(client: client)
        let programme = try await TestApp.programmeID(named: "Perspectief+", client)
        for (municipality, count) in [("Enschede", 6), ("Almelo", 5), ("Groningen", 3)] {
            for _ in 0..<count {
                _ = try await api.file([
                    "programme_id": programme, "target_group": "human_trafficking", "age_band": "26-35", "municipality": municipality,
                    "needs": ["safety"], "urgency": "soon",
                ], as: cast.caseworker)
            }
        }
        return Setting(
            api: api, enschede: try await funderToken(database, "gemeente-enschede"), ministry: try await funderToken(database, "ministerie-jenv"),
            hubAdmin: try await funderToken(database, "vluchtelingenwerk", [.hubAdmin]), programme: programme, year: String(WallClock.current.today().prefix(4)))
    }

    func figures(_ row: [String: Any]?) -> [String: PublishedCount] {
        var result: [String: PublishedCount] = [:]
        for (key, value) in row?["figures"] as? [String: [String: Any]] ?? [:] {
            result[key] = value["suppressed"] as? Bool == true ? .suppressed : .count(value["count"] as? Int ?? -1)
        }
        return result
    }

    @Test("Enschede sees Twente only, this year only, in JSON, CSV and the region breakdown; outside its agreement is 403 naming it")
    func insideTheAgreement() async throws {
        try await TestApp.run { client, database in
            let s = try await filed(client, database)
            let report = try await s.api(.get, "/api/v1/statistics?period=\(s.year)", as: s.enschede)
            #expect(report.status == .ok, "\(report.detail)")
            #expect(figures(report.json["total"] as? [String: Any])["received"] == .count(11), "Enschede and Almelo, not Groningen")
            let regions = try await s.api(.get, "/api/v1/statistics?period=\(s.year)&breakdown=region", as: s.enschede)
            #expect((regions.json["rows"] as? [[String: Any]])?.compactMap { $0["label"] as? String } == ["Twente"], "only regions inside the area")
            let csv = try await client.execute(
                uri: "/api/v1/statistics?period=\(s.year)&breakdown=region", method: .get,
                headers: [.authorization: "Bearer \(s.enschede)", .accept: "text/csv"]
            ) { String(buffer: $0.body) }
            let lines = csv.split(separator: "\r\n").dropFirst()
            #expect(lines.map { $0.split(separator: ",")[1] } == ["Twente", "total"], "\(csv)")
            #expect(lines.last?.hasPrefix("region,total,Total,11,") == true)

            let lastYear = try await s.api(.get, "/api/v1/statistics?period=\(Int(s.year)! - 1)", as: s.enschede)
            #expect(lastYear.status == .forbidden)
            #expect(lastYear.detail.contains("Perspectief+ in Twente, \(s.year)-01 to \(s.year)-12"), "\(lastYear.detail)")
            let twoGo = try await s.api(.get, "/api/v1/statistics?programme=\(try await TestApp.programmeID(named: "2GO maatjesprojecten", client))", as: s.enschede)
            #expect(twoGo.status == .forbidden)
            // Another funder's agreement is refused as if it were not there.
            let theirs = try #require(try await FundingAgreements.ids(database, funder: "ministerie-jenv").first)
            let borrowed = try await s.api(.get, "/api/v1/statistics?agreement=\(theirs)&period=\(s.year)", as: s.enschede)
            #expect(borrowed.status == .forbidden && !borrowed.detail.contains("Noord-Nederland"))

            // The dashboard says the same, in Dutch.
            let person = try await TestPeople.make(database, organisation: "gemeente-enschede", email: "wethouder@enschede.example", roles: [.funder])
            let browser = TestBrowser(client)
            try await TestPeople.signIn(browser, person)
            let page = try await browser.get("/statistics?breakdown=region")
            #expect(page.status == .ok)
            #expect(page.text.contains("Perspectief+ in Twente, \(s.year)-01 t/m \(s.year)-12"))
            #expect(page.text.contains("<th scope=\"col\" class=\"number\">Twente</th>") && !page.text.contains("Overig Groningen"))
        }
    }

    @Test("two agreements over overlapping areas: subtracting one's figures from the other's gives away no withheld count")
    func noDifferencing() async throws {
        try await TestApp.run { client, database in
            let s = try await filed(client, database)
            let threshold = DisclosureControl.defaultThreshold
            for breakdown in ["total", "region", "target_group"] {
                let twente = try await s.api(.get, "/api/v1/statistics?period=\(s.year)&breakdown=\(breakdown)", as: s.enschede)
                let wider = try await s.api(.get, "/api/v1/statistics?period=\(s.year)&breakdown=\(breakdown)", as: s.ministry)
                let whole = try await s.api(.get, "/api/v1/statistics?programme=\(s.programme)&period=\(s.year)&breakdown=\(breakdown)", as: s.hubAdmin)
                #expect(twente.status == .ok && wider.status == .ok && whole.status == .ok)
                for (name, other) in [("ministry", wider), ("whole programme", whole)] {
                    let small = figures(twente.json["total"] as? [String: Any]), large = figures(other.json["total"] as? [String: Any])
                    for (column, figure) in large {
                        guard case .count(let big) = figure, case .count(let part) = small[column] ?? .count(0) else { continue }
                        #expect(!(1..<threshold).contains(big - part), "\(breakdown) \(column): \(name) \(big) − Twente \(part)")
                    }
                }
                // Groningen's 3 are withheld wherever they would show: the ministry's total of received is not 14.
                #expect(figures(wider.json["total"] as? [String: Any])["received"] == .suppressed)
            }
        }
    }
}

extension AreaStatisticsTests {
    @Test("an agreement over a whole country counts every municipality of it: Oranje Fonds funds Tandem in all of the Netherlands")
    func wholeCountry() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            // Two regions of 2 each beside one of 6: the small ones are withheld, the total of 10 is not.
            for municipality in Array(repeating: "Utrecht", count: 6) + ["Groningen", "Groningen", "Maastricht", "Maastricht"] {
                _ = try await api.file([
                    "programme_id": cast.tandemID, "target_group": "social_isolation", "age_band": "66+", "municipality": municipality,
                    "needs": ["social_contact"], "urgency": "routine",
                ], as: cast.caseworker)
            }
            let funder = try await funderToken(database, "oranje-fonds")
            let year = String(WallClock.current.today().prefix(4))
            let tandem = try #require(try await FundingAgreements.ids(database, funder: "oranje-fonds", programme: "humanitas-tandem").first)
            let report = try await api(.get, "/api/v1/statistics?agreement=\(tandem)&period=\(year)", as: funder)
            #expect(report.status == .ok, "\(report.detail)")
            #expect(figures(report.json["total"] as? [String: Any])["received"] == .count(10))
            let both = try await api(.get, "/api/v1/statistics?period=\(year)-06", as: funder)
            #expect(both.status == .unprocessableContent && both.detail.contains("choose one"), "two agreements cover June: \(both.detail)")
        }
    }
}

/// Funding agreements as the demo seeded them.
enum FundingAgreements {
    static func ids(_ database: TestDatabase, funder slug: String, programme: String? = nil) async throws -> [String] {
        try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
            try await db.query(
                """
                SELECT a.id FROM funding_agreements a JOIN organisations o ON o.id = a.funder_id JOIN programmes p ON p.id = a.programme_id
                WHERE o.slug = \(slug) AND (\(programme)::text IS NULL OR p.slug = \(programme)) ORDER BY a.starts_on
                """,
                logger: quietLogger
            ).collect().map { try $0.decode(UUID.self).uuidString.lowercased() }
        }
    }
}
