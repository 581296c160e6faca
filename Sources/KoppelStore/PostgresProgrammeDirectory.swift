import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// The programme directory, read from PostgreSQL as the app role.
public struct PostgresProgrammeDirectory: ProgrammeDirectory {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func listedProgrammes() async throws -> [Programme] {
        try await programmes(id: nil)
    }

    public func listedProgramme(id: UUID) async throws -> Programme? {
        try await programmes(id: id).first
    }

    private typealias ProgrammeRow = (
        UUID, String, String, String, String, String?, String?, String?, String?, String?,
        Int?, Int?, [String], [String], Int?, String?, UUID, String, String?, String, Int?,
        Int, Int, Int, String, Date
    )

    public func programme(id: UUID) async throws -> Programme? {
        try await Self.programmes(id: id, includeClosed: true) { try await client.query($0, logger: logger) }.first
    }

    private func programmes(id: UUID?) async throws -> [Programme] {
        try await Self.programmes(id: id) { try await client.query($0, logger: logger) }
    }

    /// Listed programmes; all of them, or the one with `id`. Runs on a client or inside a transaction.
    static func programmes(
        id: UUID?, includeClosed: Bool = false, run: (PostgresQuery) async throws -> PostgresRowSequence
    ) async throws -> [Programme] {
        let query: PostgresQuery = """
            \(unescaped: selectProgrammes)
            WHERE (p.status <> 'closed' OR \(includeClosed)) AND (\(id)::uuid IS NULL OR p.id = \(id))
            ORDER BY lower(p.name)
            """
        var programmes: [Programme] = []
        for try await row in try await run(query) { programmes.append(try Self.programme(from: row)) }
        return programmes
    }

    /// A listed (not closed) programme, inside a transaction; a referral's rules and operator come from it.
    static func listedProgramme(id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Programme? {
        try await connection.rows(ListedProgramme(id: id), logger: logger).first.map(programme(from:))
    }

    /// Service areas come as one JSON array per programme so the directory is one query, not one per programme.
    static let selectProgrammes = """
        SELECT p.id, p.slug, p.name, p.status, p.description_nl, p.description_en,
        p.eligibility_nl, p.eligibility_en, p.application_process_nl, p.application_process_en,
        p.minimum_age, p.maximum_age, p.target_groups, p.languages, p.typical_duration_months, p.website,
        o.id, o.name, o.website,
        coalesce((SELECT json_agg(json_build_object('name', a.name, 'extent', a.extent) ORDER BY a.position)
                  FROM programme_service_areas a WHERE a.programme_id = p.id), '[]')::text,
        p.places_total, p.response_working_days, p.start_working_days, p.review_working_days, o.country, p.updated_at
        FROM programmes p JOIN organisations o ON o.id = p.operator_id
        """

    static func programme(from row: PostgresRow) throws -> Programme {
        let (id, slug, name, status, descriptionNL, descriptionEN, eligibilityNL, eligibilityEN,
             applicationNL, applicationEN, minimumAge, maximumAge, targetGroups, languages,
             duration, website, operatorID, operatorName, operatorWebsite, areasJSON, placesTotal,
             responseDays, startDays, reviewDays, country, updatedAt) = try row.decode(ProgrammeRow.self)
        var programme = Programme(
            id: id, slug: slug, name: name,
            description: LocalizedText(dutch: descriptionNL, english: descriptionEN),
            status: ProgrammeStatus(rawValue: status) ?? .closed,
            operatorOrganisation: OrganisationSummary(id: operatorID, name: operatorName, website: operatorWebsite),
            eligibility: Eligibility(
                minimumAge: minimumAge, maximumAge: maximumAge,
                targetGroups: targetGroups.compactMap(TargetGroup.init(rawValue:)),
                description: eligibilityNL.map { LocalizedText(dutch: $0, english: eligibilityEN) }
            ),
            serviceAreas: try JSONDecoder().decode([ServiceArea].self, from: Data(areasJSON.utf8)),
            languages: languages,
            typicalDurationMonths: duration,
            applicationProcess: applicationNL.map { LocalizedText(dutch: $0, english: applicationEN) },
            website: website,
            placesTotal: placesTotal,
            responseTerms: ResponseTerms(
                responseDays: responseDays, startDays: startDays, reviewDays: reviewDays, country: HolidayCountry(isoCode: country))
        )
        programme.updatedAt = updatedAt
        return programme
    }
}

/// Every referral submission and step reads its programme's rules.
private struct ListedProgramme: SingleParameterStatement {
    static let sql = """
        \(PostgresProgrammeDirectory.selectProgrammes)
        WHERE p.status <> 'closed' AND p.id = $1
        """
    let id: UUID
    var parameter: UUID { id }
}
