import Foundation
import HTTPTypes
import KoppelAPI
import KoppelCore
import KoppelStore
import KoppelUseCases

/// Funding agreements: hub-admins keep them; a funder reads its own, and another's is not found.
extension APIHandlers {
    func listFundingAgreements(_ input: Operations.ListFundingAgreements.Input) async throws -> Operations.ListFundingAgreements.Output {
        let actor = try signedIn()
        let funder = try input.query.funder.map { try uuid($0, "funder") }
        return .ok(.init(body: .json(try await useCases.manageFundingAgreements.list(funder: funder, by: actor).map(Self.agreement))))
    }

    func createFundingAgreement(_ input: Operations.CreateFundingAgreement.Input) async throws -> Operations.CreateFundingAgreement.Output {
        guard case .json(let body) = input.body else { throw Problem(status: .unsupportedMediaType, detail: "Send the agreement as JSON.") }
        let actor = try signedIn()
        let draft = AgreementDraft(
            funderID: try uuid(body.funderId, "funder_id"), programmeID: try uuid(body.programmeId, "programme_id"),
            areaID: try uuid(body.areaId, "area_id"), firstMonth: body.firstMonth, lastMonth: body.lastMonth,
            budgetEuros: try body.budgetEuros.map(Self.euros), targetPlaces: body.targetPlaces, reference: body.reference)
        let agreement = try await useCases.manageFundingAgreements.create(draft, by: actor)
        return .created(.init(body: .json(Self.agreement(agreement))))
    }

    func getFundingAgreement(_ input: Operations.GetFundingAgreement.Input) async throws -> Operations.GetFundingAgreement.Output {
        let id = try uuid(input.path.agreementId, "agreement id")
        let actor = try signedIn()
        return .ok(.init(body: .json(Self.agreement(try await useCases.manageFundingAgreements.one(id, by: actor)))))
    }

    func changeFundingAgreement(_ input: Operations.ChangeFundingAgreement.Input) async throws -> Operations.ChangeFundingAgreement.Output {
        guard case .json(let body) = input.body else { throw Problem(status: .unsupportedMediaType, detail: "Send the change as JSON.") }
        let id = try uuid(input.path.agreementId, "agreement id")
        let actor = try signedIn()
        var change = AgreementChange()
        change.funderID = try body.funderId.map { try uuid($0, "funder_id") }
        change.programmeID = try body.programmeId.map { try uuid($0, "programme_id") }
        change.areaID = try body.areaId.map { try uuid($0, "area_id") }
        change.firstMonth = body.firstMonth
        change.lastMonth = body.lastMonth
        change.budgetEuros = try body.budgetEuros.map(Self.euros)
        change.targetPlaces = body.targetPlaces
        change.reference = body.reference
        change.clear = Set((body.clear ?? []).compactMap { AgreementChange.Clearable(rawValue: $0.rawValue) })
        let agreement = try await useCases.manageFundingAgreements.update(id, change, expectedVersion: body.version, by: actor)
        return .ok(.init(body: .json(Self.agreement(agreement))))
    }

    func deleteFundingAgreement(_ input: Operations.DeleteFundingAgreement.Input) async throws -> Operations.DeleteFundingAgreement.Output {
        let id = try uuid(input.path.agreementId, "agreement id")
        let actor = try signedIn()
        try await useCases.manageFundingAgreements.delete(id, expectedVersion: input.query.version, by: actor)
        return .noContent(.init())
    }

    /// A budget as the use case takes it; one beyond any budget is refused there, not trapped here.
    private static func euros(_ value: Int64) throws -> Int {
        guard let euros = Int(exactly: value) else { throw FundingError.invalidBudget.failure }
        return euros
    }

    static func agreement(_ agreement: FundingAgreement) -> Components.Schemas.FundingAgreement {
        func named(_ reference: NamedID) -> Components.Schemas.NamedReference {
            .init(id: reference.id.uuidString.lowercased(), name: reference.name)
        }
        return .init(
            id: agreement.id.uuidString.lowercased(), funder: named(agreement.funder), programme: named(agreement.programme), area: named(agreement.area),
            firstMonth: agreement.firstMonth, lastMonth: agreement.lastMonth, budgetEuros: agreement.budgetEuros.map(Int64.init),
            targetPlaces: agreement.targetPlaces, reference: agreement.reference, version: agreement.version)
    }
}
