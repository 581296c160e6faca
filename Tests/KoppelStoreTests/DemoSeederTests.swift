import Foundation
import KoppelCore
import KoppelStore
import KoppelTestSupport
import Logging
import PostgresNIO
import Testing

@Suite("Demo data")
struct DemoSeederTests {
    let logger = quietLogger

    private func seededProgrammes(times: Int) async throws -> [Programme] {
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.ownerURL, logger: logger) { client in
                for _ in 0..<times { try await DemoSeeder(client: client, logger: logger).seed(try DemoData.bundled()) }
            }
            return try await PostgresClient.withRunningClient(database.appURL, logger: logger) { client in
                try await PostgresProgrammeDirectory(client: client, logger: logger).listedProgrammes()
            }
        }
    }

    @Test("the five programmes of the domain are loaded with their rules")
    func fiveProgrammes() async throws {
        let programmes = try await seededProgrammes(times: 1)
        #expect(Set(programmes.map(\.slug)) == ["2go", "humanitas-tandem", "aan-de-slag", "perspectief-plus", "pimenta"])

        let pimenta = try #require(programmes.first { $0.slug == "pimenta" })
        #expect(pimenta.eligibility.minimumAge == 16 && pimenta.eligibility.maximumAge == 25)
        #expect(pimenta.operatorOrganisation.name == "De Aanzet")
        #expect(pimenta.serviceAreas.map(\.name) == ["Mechelen"])

        let twoGo = try #require(programmes.first { $0.slug == "2go" })
        #expect(twoGo.serviceAreas == [ServiceArea(name: "Den Haag", extent: .municipality)])
        #expect(Set(twoGo.eligibility.targetGroups) == [.humanTrafficking, .domesticViolence])
        #expect(twoGo.typicalDurationMonths == 12)
        #expect(twoGo.operatorOrganisation.name == "Stek")
    }

    @Test("PIMENTA has two places, and each funder its agreements: Enschede funds Perspectief+ in Twente for this year")
    func capacityAndFunders() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.ownerURL, logger: logger) { client in
                try await DemoSeeder(client: client, logger: logger).seed(try DemoData.bundled())
                let places = try await client.query("SELECT places_total FROM programmes WHERE slug = 'pimenta'", logger: logger)
                    .collect().first!.decode(Int.self)
                #expect(places == 2)
                let funders = try await client.query(
                    """
                    SELECT o.name, ar.name, to_char(f.starts_on, 'YYYY-MM'), to_char(f.ends_on, 'YYYY-MM-DD') FROM funding_agreements f
                    JOIN organisations o ON o.id = f.funder_id JOIN areas ar ON ar.id = f.area_id
                    JOIN programmes p ON p.id = f.programme_id WHERE p.slug = 'perspectief-plus' ORDER BY o.name
                    """, logger: logger
                ).collect().map { try $0.decode((String, String, String, String).self) }
                let year = Int(WallClock.current.today().prefix(4))!
                #expect(funders.map(\.0) == ["Gemeente Enschede", "Ministerie van Justitie en Veiligheid"])
                #expect(funders[0].1 == "Twente" && funders[0].2 == "\(year)-01" && funders[0].3 == "\(year)-12-31")
                #expect(funders[1].2 == "\(year - 1)-01" && funders[1].3 == "\(year + 1)-12-31", "three years")
            }
        }
    }

    @Test("loading twice changes nothing: same programmes, same ids, no duplicates")
    func idempotent() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.ownerURL, logger: logger) { client in
                let seeder = DemoSeeder(client: client, logger: logger)
                try await seeder.seed(try DemoData.bundled())
                let before = try await client.query("SELECT id, slug FROM programmes ORDER BY slug", logger: logger).collect()
                    .map { try $0.decode((UUID, String).self) }
                try await seeder.seed(try DemoData.bundled())
                let after = try await client.query("SELECT id, slug FROM programmes ORDER BY slug", logger: logger).collect()
                    .map { try $0.decode((UUID, String).self) }
                #expect(before.map(\.0) == after.map(\.0))
                let counts = try await client.query(
                    """
                    SELECT (SELECT count(*) FROM organisations), (SELECT count(*) FROM programme_service_areas), (SELECT count(*) FROM funding_agreements),
                           (SELECT count(*) FROM areas), (SELECT count(*) FROM area_members)
                    """,
                    logger: logger
                ).collect().first!.decode((Int, Int, Int, Int, Int).self)
                let demo = try DemoData.bundled()
                #expect(counts.0 == demo.organisations.count)
                #expect(counts.1 == demo.programmes.reduce(0) { $0 + $1.serviceAreas.count })
                #expect(counts.2 == demo.agreements.count)
                #expect(counts.3 == demo.areas.count)
                #expect(counts.4 == demo.areas.reduce(0) { $0 + ($1.municipalities?.count ?? 0) + ($1.regions?.count ?? 0) })
            }
        }
    }

    @Test("a closed programme leaves the public directory")
    func closedProgrammesAreNotListed() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.ownerURL, logger: logger) { client in
                try await DemoSeeder(client: client, logger: logger).seed(try DemoData.bundled())
                try await client.query("UPDATE programmes SET status = 'closed' WHERE slug = 'aan-de-slag'", logger: logger)
            }
            try await PostgresClient.withRunningClient(database.appURL, logger: logger) { client in
                let directory = PostgresProgrammeDirectory(client: client, logger: logger)
                let listed = try await directory.listedProgrammes()
                #expect(listed.count == 4)
                #expect(!listed.contains { $0.slug == "aan-de-slag" })
            }
        }
    }

    @Test("demo data naming an operator that is not an operator organisation is refused")
    func invalidDemoData() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try """
        {"organisations": [{"slug": "x", "name": "X", "kinds": ["funder"], "country": "NL"}],
         "programmes": [{"slug": "p", "name": "P", "operator": "x", "status": "open", "description": {"nl": "d"},
           "eligibility": {"target_groups": []}, "service_areas": [], "languages": ["nl"], "funders": []}]}
        """.write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: DemoDataError.self) { try DemoData.load(from: url) }
    }
}
