import Foundation
import KoppelCore
import KoppelStore
import KoppelTestSupport
import Logging
import PostgresNIO
import Testing

/// data/reference against the published totals, and `koppel reference import` against a real PostgreSQL.
@Suite("Reference data: municipalities and regions")
struct ReferenceDataTests {
    let logger = quietLogger

    /// Municipalities on 1 January of each year, per province (Brussels: its region), as `totals.csv` gives them.
    private func counted(on client: PostgresClient) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try await client.query(
            """
            SELECT y, lower(m.country_code), r.code, count(*)::integer
            FROM generate_series(2019, 2025) AS y
            JOIN municipalities m ON (m.valid_from IS NULL OR m.valid_from <= make_date(y, 1, 1)) AND (m.ended_on IS NULL OR m.ended_on > make_date(y, 1, 1))
            JOIN municipality_regions mr ON mr.municipality = m.code
            JOIN regions r ON r.code = mr.region AND (r.kind = 'province' OR r.code = '04000')
            GROUP BY 1, 2, 3
            """, logger: logger
        ).collect() {
            let (year, country, province, count) = try row.decode((Int, String, String, Int).self)
            counts["\(country),\(year),\(province)"] = count
        }
        return counts
    }

    @Test("the imported files give the published number of municipalities per province for every year 2019–2025, and in all")
    func publishedTotals() async throws {
        let directory = try TestEnvironment.current().referenceDirectory
        let published = try String(contentsOf: directory.appendingPathComponent("totals.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.ownerURL, logger: logger) { client in
                let counts = try await counted(on: client)
                #expect(published.count == counts.count, "a province in the files that totals.csv lacks, or the other way round")
                for line in published {
                    #expect(counts["\(line[0]),\(line[1]),\(line[2])"] == Int(line[3]), "\(line[0]) \(line[1]) \(line[2])")
                }
                // The national totals CBS and Statbel publish, independently of totals.csv.
                let national: [String: Int] = [
                    "nl,2019": 355, "nl,2020": 355, "nl,2021": 352, "nl,2022": 345, "nl,2023": 342, "nl,2024": 342, "nl,2025": 342,
                    "be,2019": 581, "be,2024": 581, "be,2025": 565,
                ]
                for (key, total) in national {
                    let sum = counts.filter { $0.key.hasPrefix(key + ",") }.values.reduce(0, +)
                    #expect(sum == total, "\(key)")
                }
                let twente = try await client.query(
                    """
                    SELECT count(*)::integer FROM municipality_regions mr JOIN municipalities m ON m.code = mr.municipality
                    WHERE mr.region = 'CR12' AND m.ended_on IS NULL
                    """, logger: logger
                ).collect().first!.decode(Int.self)
                #expect(twente == 14, "COROP Twente")
                let countries = try await client.query(
                    """
                    SELECT mr.region, count(*)::integer FROM municipality_regions mr JOIN municipalities m ON m.code = mr.municipality
                    WHERE mr.region IN ('NL', 'BE') AND m.ended_on IS NULL GROUP BY 1 ORDER BY 1
                    """, logger: logger
                ).collect().map { try $0.decode((String, Int).self) }
                #expect(countries.map(\.1) == [565, 342], "an area of a whole country takes in every municipality of it")
                // Region names are folded in PostgreSQL for eligibility, service areas in Swift: the two must agree.
                for row in try await client.query("SELECT name, fold_place_name(name) FROM regions", logger: logger).collect() {
                    let (name, folded) = try row.decode((String, String).self)
                    #expect(PlaceName.folded(name) == folded, "\(name)")
                }
            }
        }
    }

    @Test("importing again changes nothing; a file with an unknown region is refused naming file and line, and nothing is stored")
    func idempotentAndAllOrNothing() async throws {
        let directory = try TestEnvironment.current().referenceDirectory
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.ownerURL, logger: logger) { client in
                let again = try await ReferenceImporter(client: client, logger: logger).run(try ReferenceData.load(from: directory))
                #expect(again.municipalitiesAdded == 0 && again.municipalitiesChanged == 0 && again.regionsChanged == 0 && again.factsMoved == 0)
                #expect(again.municipalities == 360 + 594)
            }
        }
        let broken = try ReferenceFolder.copy { name, text in
            name == "nl-municipalities.csv" ? text.replacingOccurrences(of: "GM0153,Enschede,PV23;CR12", with: "GM0153,Enschede,PV23;CR99") : text
        }
        defer { try? FileManager.default.removeItem(at: broken) }
        #expect {
            try ReferenceData.load(from: broken)
        } throws: { error in
            "\(error)" == "nl-municipalities.csv:\(lineNumber(of: "GM0153", in: broken.appendingPathComponent("nl-municipalities.csv"))): region CR99 is not in the regions file"
        }
    }

    private func lineNumber(of code: String, in file: URL) -> Int {
        let lines = (try? String(contentsOf: file, encoding: .utf8))?.split(separator: "\n", omittingEmptySubsequences: false) ?? []
        return (lines.firstIndex { $0.hasPrefix(code + ",") } ?? -1) + 1
    }
}
