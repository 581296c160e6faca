import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// Funding agreements from PostgreSQL. Who may see or change which is the access policy's to decide first.
public struct FundingAgreementStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static let columns = """
        a.id, a.funder_id, f.name, a.programme_id, p.name, a.area_id, ar.name, to_char(a.starts_on, 'YYYY-MM'), to_char(a.ends_on, 'YYYY-MM'),
        a.budget_euros, a.target_places, a.reference, a.version
        """
    static let joins = """
        FROM funding_agreements a JOIN organisations f ON f.id = a.funder_id JOIN programmes p ON p.id = a.programme_id
        JOIN areas ar ON ar.id = a.area_id
        """

    /// Every agreement, or one funder's, by programme, then first month.
    public func agreements(funder: UUID? = nil) async throws -> [FundingAgreement] {
        try await client.query(
            """
            SELECT \(unescaped: Self.columns) \(unescaped: Self.joins)
            WHERE \(funder)::uuid IS NULL OR a.funder_id = \(funder)
            ORDER BY f.name, p.name, a.starts_on, a.id
            """, logger: logger
        ).collect().map(Self.decode)
    }

    static func decode(_ row: PostgresRow) throws -> FundingAgreement {
        let (id, funder, funderName, programme, programmeName, area, areaName, first, last, budget, places, reference, version) =
            try row.decode((UUID, UUID, String, UUID, String, UUID, String, String, String, Int?, Int?, String?, Int).self)
        return FundingAgreement(
            id: id, funder: NamedID(id: funder, name: funderName), programme: NamedID(id: programme, name: programmeName),
            area: NamedID(id: area, name: areaName), firstMonth: first, lastMonth: last, budgetEuros: budget, targetPlaces: places,
            reference: reference, version: version)
    }
}
