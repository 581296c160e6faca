import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// What a hub-admin gives for an agreement, already checked for form by the use case (months `YYYY-MM`, first ≤
/// last, limits); whether funder, programme and area exist is the store's to check, in the transaction that writes.
public struct AgreementDraft: Sendable, Equatable {
    public var funderID: UUID
    public var programmeID: UUID
    public var areaID: UUID
    public var firstMonth: String
    public var lastMonth: String
    public var budgetEuros: Int?
    public var targetPlaces: Int?
    public var reference: String?

    public init(
        funderID: UUID, programmeID: UUID, areaID: UUID, firstMonth: String, lastMonth: String, budgetEuros: Int? = nil,
        targetPlaces: Int? = nil, reference: String? = nil
    ) {
        self.funderID = funderID
        self.programmeID = programmeID
        self.areaID = areaID
        self.firstMonth = firstMonth
        self.lastMonth = lastMonth
        self.budgetEuros = budgetEuros
        self.targetPlaces = targetPlaces
        self.reference = reference
    }

    public init(_ agreement: FundingAgreement) {
        self.init(
            funderID: agreement.funder.id, programmeID: agreement.programme.id, areaID: agreement.area.id, firstMonth: agreement.firstMonth,
            lastMonth: agreement.lastMonth, budgetEuros: agreement.budgetEuros, targetPlaces: agreement.targetPlaces, reference: agreement.reference)
    }
}

extension FundingAgreementStore {
    public func agreement(id: UUID) async throws -> FundingAgreement? {
        try await client.query("SELECT \(unescaped: Self.columns) \(unescaped: Self.joins) WHERE a.id = \(id)", logger: logger)
            .collect().first.map(Self.decode)
    }

    public func create(_ draft: AgreementDraft) async throws -> UUID {
        let id = UUID()
        try await client.withClockedTransaction(logger: logger) { connection in
            try await Self.check(draft, on: connection, logger: logger)
            try await connection.query(
                """
                INSERT INTO funding_agreements (id, funder_id, programme_id, area_id, starts_on, ends_on, budget_euros, target_places, reference)
                VALUES (\(id), \(draft.funderID), \(draft.programmeID), \(draft.areaID), \(draft.firstMonth + "-01")::date,
                        (\(draft.lastMonth + "-01")::date + interval '1 month' - interval '1 day')::date, \(draft.budgetEuros),
                        \(draft.targetPlaces), \(draft.reference))
                """, logger: logger)
        }
        return id
    }

    /// Replaces every field of an agreement, if it is still at `expectedVersion`.
    public func update(_ id: UUID, _ draft: AgreementDraft, expectedVersion: Int) async throws {
        try await client.withClockedTransaction(logger: logger) { connection in
            try await Self.lock(id, expectedVersion: expectedVersion, on: connection, logger: logger)
            try await Self.check(draft, on: connection, logger: logger)
            try await connection.query(
                """
                UPDATE funding_agreements SET funder_id = \(draft.funderID), programme_id = \(draft.programmeID), area_id = \(draft.areaID),
                    starts_on = \(draft.firstMonth + "-01")::date,
                    ends_on = (\(draft.lastMonth + "-01")::date + interval '1 month' - interval '1 day')::date,
                    budget_euros = \(draft.budgetEuros), target_places = \(draft.targetPlaces), reference = \(draft.reference),
                    updated_at = koppel_now(), version = version + 1
                WHERE id = \(id)
                """, logger: logger)
        }
    }

    public func delete(_ id: UUID, expectedVersion: Int?) async throws {
        try await client.withClockedTransaction(logger: logger) { connection in
            try await Self.lock(id, expectedVersion: expectedVersion, on: connection, logger: logger)
            try await connection.query("DELETE FROM funding_agreements WHERE id = \(id)", logger: logger)
        }
    }

    private static func lock(_ id: UUID, expectedVersion: Int?, on connection: PostgresConnection, logger: Logger) async throws {
        guard let version = try await connection.query("SELECT version FROM funding_agreements WHERE id = \(id) FOR UPDATE", logger: logger)
            .collect().first?.decode(Int.self)
        else { throw FundingError.agreementNotFound }
        if let expectedVersion, expectedVersion != version { throw FundingError.versionMismatch(current: version) }
    }

    /// The funder must be an organisation that funds; programme and area must exist (an area deleted meanwhile fails the
    /// foreign key instead).
    private static func check(_ draft: AgreementDraft, on connection: PostgresConnection, logger: Logger) async throws {
        let (funder, programme, area) = try await connection.query(
            """
            SELECT EXISTS (SELECT FROM organisations WHERE id = \(draft.funderID) AND 'funder' = ANY (kinds)),
                   EXISTS (SELECT FROM programmes WHERE id = \(draft.programmeID)),
                   EXISTS (SELECT FROM areas WHERE id = \(draft.areaID))
            """, logger: logger
        ).collect().first!.decode((Bool, Bool, Bool).self)
        guard funder else { throw FundingError.unknownFunder }
        guard programme else { throw FundingError.unknownProgramme }
        guard area else { throw FundingError.unknownArea }
    }
}
