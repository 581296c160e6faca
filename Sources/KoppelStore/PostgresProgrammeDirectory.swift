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

    /// Programmes as `programme(from:at:)` reads them (`programme_rows`, schema 0030: service areas come as one JSON
    /// array per programme, so the directory is one query, not one per programme). Filter on `p`.
    static let selectProgrammes = "SELECT p.* FROM programme_rows p"

    static func programme(from row: PostgresRow) throws -> Programme {
        try programme(from: PostgresRandomAccessRow(row), at: 0)
    }

    /// A programme from the row's columns from `offset` on, in `programme_rows`' order.
    static func programme(from row: PostgresRandomAccessRow, at offset: Int) throws -> Programme {
        func cell<T: PostgresDecodable>(_ index: Int, _: T.Type = T.self) throws -> T { try row[offset + index].decode(T.self) }
        let eligibilityNL: String? = try cell(6), applicationNL: String? = try cell(8)
        var programme = Programme(
            id: try cell(0), slug: try cell(1), name: try cell(2),
            description: LocalizedText(dutch: try cell(4), english: try cell(5)),
            status: ProgrammeStatus(rawValue: try cell(3, String.self)) ?? .closed,
            operatorOrganisation: OrganisationSummary(id: try cell(16), name: try cell(17), website: try cell(18)),
            eligibility: Eligibility(
                minimumAge: try cell(10), maximumAge: try cell(11),
                targetGroups: try cell(12, [String].self).compactMap(TargetGroup.init(rawValue:)),
                description: try eligibilityNL.map { LocalizedText(dutch: $0, english: try cell(7)) }
            ),
            serviceAreas: try JSONDecoder().decode([ServiceArea].self, from: Data(try cell(19, String.self).utf8)),
            languages: try cell(13),
            typicalDurationMonths: try cell(14),
            applicationProcess: try applicationNL.map { LocalizedText(dutch: $0, english: try cell(9)) },
            website: try cell(15),
            placesTotal: try cell(20),
            responseTerms: ResponseTerms(
                responseDays: try cell(21), startDays: try cell(22), reviewDays: try cell(23), country: HolidayCountry(isoCode: try cell(24)))
        )
        programme.updatedAt = try cell(25)
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
