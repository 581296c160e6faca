import Foundation
import HTTPTypes
import KoppelAPI
import KoppelCore
import KoppelStore

/// Organisations, for hub-admins.
extension APIHandlers {
    func listOrganisations(_ input: Operations.ListOrganisations.Input) async throws -> Operations.ListOrganisations.Output {
        try authorize(.manageOrganisations)
        return .ok(.init(body: .json(try await organisations.all().map(Self.organisation))))
    }

    func createOrganisation(_ input: Operations.CreateOrganisation.Input) async throws -> Operations.CreateOrganisation.Output {
        guard case .json(let body) = input.body else { throw Problem(status: .unsupportedMediaType, detail: "Send the organisation as JSON.") }
        try authorize(.manageOrganisations)
        do {
            let id = try await organisations.create(slug: body.slug, name: body.name, kinds: Array(Set(body.kinds.map(\.rawValue))).sorted(),
                type: OrganisationType(rawValue: body._type?.rawValue ?? "") ?? .civilSociety)
            guard let created = try await organisations.all().first(where: { $0.id == id }) else { throw Problem.internalError }
            return .created(.init(body: .json(Self.organisation(created))))
        } catch let error as OrganisationError {
            if case .slugTaken = error { throw Problem(status: .conflict, detail: "Not created: \(error).") }
            throw Problem(status: .unprocessableContent, detail: "Not created: \(error).")
        }
    }

    static func organisation(_ organisation: OrganisationStore.Organisation) -> Components.Schemas.OrganisationDetail {
        .init(
            id: organisation.id.uuidString.lowercased(), slug: organisation.slug, name: organisation.name,
            kinds: organisation.kinds.compactMap { .init(rawValue: $0) }, _type: .init(rawValue: organisation.type.rawValue)!)
    }
}
