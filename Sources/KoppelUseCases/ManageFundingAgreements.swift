import Foundation
import KoppelCore
import KoppelStore

/// A change to an agreement: the fields given replace the agreement's, those in `clear` are emptied, the rest stay.
public struct AgreementChange: Sendable, Equatable {
    public enum Clearable: String, Sendable, CaseIterable {
        case budgetEuros = "budget_euros", targetPlaces = "target_places", reference
    }

    public var funderID: UUID?
    public var programmeID: UUID?
    public var areaID: UUID?
    public var firstMonth: String?
    public var lastMonth: String?
    public var budgetEuros: Int?
    public var targetPlaces: Int?
    public var reference: String?
    public var clear: Set<Clearable> = []

    public init() {}

    func applied(to agreement: FundingAgreement) -> AgreementDraft {
        var draft = AgreementDraft(agreement)
        draft.funderID = funderID ?? draft.funderID
        draft.programmeID = programmeID ?? draft.programmeID
        draft.areaID = areaID ?? draft.areaID
        draft.firstMonth = firstMonth ?? draft.firstMonth
        draft.lastMonth = lastMonth ?? draft.lastMonth
        draft.budgetEuros = clear.contains(.budgetEuros) ? nil : budgetEuros ?? draft.budgetEuros
        draft.targetPlaces = clear.contains(.targetPlaces) ? nil : targetPlaces ?? draft.targetPlaces
        draft.reference = clear.contains(.reference) ? nil : reference ?? draft.reference
        return draft
    }
}

/// Funding agreements: hub-admins make, change and end them; a funder reads its own and no other's.
public struct ManageFundingAgreements: Sendable {
    let agreements: FundingAgreementStore

    public init(agreements: FundingAgreementStore) {
        self.agreements = agreements
    }

    /// Hub-admins every agreement (or one funder's); a funder its own.
    public func list(funder: UUID? = nil, by actor: Actor) async throws -> [FundingAgreement] {
        let manages = AccessPolicy.decide(actor, .manageFundingAgreements).isAllowed
        let funder = manages ? funder : (funder ?? actor.organisationID)
        if let funder, case .deny(let reason) = AccessPolicy.decide(actor, .viewFundingAgreements(funder: funder)) { throw reason.failure }
        return try await agreements.agreements(funder: funder)
    }

    /// One agreement; another funder's is not found, as one that does not exist, so its existence does not show.
    public func one(_ id: UUID, by actor: Actor) async throws -> FundingAgreement {
        try ManageAreas.mayRead(actor)
        guard let agreement = try await agreements.agreement(id: id),
            AccessPolicy.decide(actor, .viewFundingAgreements(funder: agreement.funder.id)).isAllowed
        else { throw FundingError.agreementNotFound.failure }
        return agreement
    }

    public func create(_ draft: AgreementDraft, by actor: Actor) async throws -> FundingAgreement {
        try FundingRules.mayManage(actor)
        let draft = try FundingRules.check(draft)
        return try await reportingFailures {
            let id = try await agreements.create(draft)
            guard let agreement = try await agreements.agreement(id: id) else { throw FundingError.agreementNotFound }
            return agreement
        }
    }

    public func update(_ id: UUID, _ change: AgreementChange, expectedVersion: Int, by actor: Actor) async throws -> FundingAgreement {
        try FundingRules.mayManage(actor)
        try FundingRules.check(version: expectedVersion)
        return try await reportingFailures {
            guard let current = try await agreements.agreement(id: id) else { throw FundingError.agreementNotFound }
            guard current.version == expectedVersion else { throw FundingError.versionMismatch(current: current.version) }
            let draft = try FundingRules.check(change.applied(to: current))
            try await agreements.update(id, draft, expectedVersion: expectedVersion)
            guard let agreement = try await agreements.agreement(id: id) else { throw FundingError.agreementNotFound }
            return agreement
        }
    }

    public func delete(_ id: UUID, expectedVersion: Int?, by actor: Actor) async throws {
        try FundingRules.mayManage(actor)
        if let expectedVersion { try FundingRules.check(version: expectedVersion) }
        try await reportingFailures { try await agreements.delete(id, expectedVersion: expectedVersion) }
    }
}
