import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// Loads `ReferenceData` into PostgreSQL as the owner, in one transaction: regions and municipalities are matched by
/// code and changed in place (never deleted: referrals keep the code they were filed with), their regions and names
/// replaced. Then every municipality's places are worked out again and the statistics facts of ended municipalities
/// move to their successors. Running it twice changes nothing the second time.
public struct ReferenceImporter: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public struct Outcome: Sendable, Equatable {
        public var regionsChanged = 0
        public var municipalitiesAdded = 0
        public var municipalitiesChanged = 0
        public var municipalities = 0
        public var names = 0
        /// Statistics facts moved to a successor municipality or a renamed region.
        public var factsMoved = 0
    }

    static let countryNames = ["NL": "Nederland", "BE": "België"]

    public func run(_ data: ReferenceData) async throws -> Outcome {
        try await client.withClockedTransaction(logger: logger) { connection in
            try await connection.query("SET LOCAL ROLE \(unescaped: MigrationRunner.ownerRole)", logger: logger)
            var outcome = Outcome(municipalities: data.municipalities.count, names: data.municipalities.count + data.names.count)
            outcome.regionsChanged = try await connection.query(
                """
                INSERT INTO regions (code, kind, name, country_code)
                SELECT * FROM unnest(\(data.regions.map(\.code))::text[], \(data.regions.map(\.kind))::text[],
                                     \(data.regions.map(\.name))::text[], \(data.regions.map(\.country))::text[])
                ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, name = excluded.name, country_code = excluded.country_code
                WHERE (regions.kind, regions.name, regions.country_code) IS DISTINCT FROM (excluded.kind, excluded.name, excluded.country_code)
                RETURNING code
                """, logger: logger
            ).collect().count
            let places = data.municipalities
            var otherNames: [String: [String]] = [:]
            for name in data.names { otherNames[name.code, default: []].append(name.name) }
            let folded = places.map { place in
                Set(([place.name] + (otherNames[place.code] ?? [])).map(PlaceName.folded)).sorted().joined(separator: "\u{1F}")
            }
            for row in try await connection.query(
                """
                INSERT INTO municipalities (code, name, country_code, country, region, valid_from, ended_on, successor, names)
                SELECT i.code, i.name, i.country_code, i.country, i.region, nullif(i.valid_from, '')::date, nullif(i.ended_on, '')::date,
                       nullif(i.successor, ''), string_to_array(i.names, E'\\x1f')
                FROM unnest(\(places.map(\.code))::text[], \(places.map(\.name))::text[], \(places.map(\.country))::text[],
                            \(places.map { Self.countryNames[$0.country] ?? $0.country })::text[], \(places.map(\.statisticalRegion))::text[],
                            \(places.map { $0.validFrom ?? "" })::text[], \(places.map { $0.endedOn ?? "" })::text[],
                            \(places.map { $0.successor ?? "" })::text[], \(folded)::text[])
                     AS i (code, name, country_code, country, region, valid_from, ended_on, successor, names)
                ON CONFLICT (code) DO UPDATE SET name = excluded.name, country_code = excluded.country_code, country = excluded.country,
                    region = excluded.region, valid_from = excluded.valid_from, ended_on = excluded.ended_on, successor = excluded.successor,
                    names = excluded.names
                WHERE (municipalities.name, municipalities.country_code, municipalities.country, municipalities.region, municipalities.valid_from,
                       municipalities.ended_on, municipalities.successor, municipalities.names)
                      IS DISTINCT FROM (excluded.name, excluded.country_code, excluded.country, excluded.region, excluded.valid_from,
                                        excluded.ended_on, excluded.successor, excluded.names)
                RETURNING xmax = 0
                """, logger: logger
            ).collect() {
                if try row.decode(Bool.self) { outcome.municipalitiesAdded += 1 } else { outcome.municipalitiesChanged += 1 }
            }
            let codes = places.map(\.code)
            // A municipality lies in its country too, so an area of the whole country takes in every one of them.
            let memberships = places.flatMap { place in (place.regions + [place.country]).map { (place.code, $0) } }
            try await connection.query("DELETE FROM municipality_regions WHERE municipality = ANY(\(codes))", logger: logger)
            try await connection.query(
                """
                INSERT INTO municipality_regions (municipality, region)
                SELECT DISTINCT * FROM unnest(\(memberships.map(\.0))::text[], \(memberships.map(\.1))::text[])
                """, logger: logger)
            let names = places.map { ReferenceData.OtherName(code: $0.code, name: $0.name, language: "") } + data.names
            try await connection.query("DELETE FROM municipality_names WHERE municipality = ANY(\(codes))", logger: logger)
            try await connection.query(
                """
                INSERT INTO municipality_names (municipality, name, language, folded)
                SELECT DISTINCT ON (i.code, i.name) i.code, i.name, i.language, i.folded
                FROM unnest(\(names.map(\.code))::text[], \(names.map(\.name))::text[], \(names.map(\.language))::text[],
                            \(names.map { PlaceName.folded($0.name) })::text[]) AS i (code, name, language, folded)
                ORDER BY i.code, i.name, i.language
                """, logger: logger)
            try await connection.query("SELECT directory_import.refresh_municipality_places()", logger: logger)
            // The facts are the counting role's alone (row-level security): it moves them.
            try await connection.query("SET LOCAL ROLE koppel_counts", logger: logger)
            outcome.factsMoved = try await connection.query("SELECT counts.roll_places()", logger: logger).collect().first!.decode(Int.self)
            return outcome
        }
    }
}
