import HTTPTypes
import Foundation
import KoppelAPI
import KoppelCore

/// The public programme directory.
extension APIHandlers {
    func listProgrammes(_ input: Operations.ListProgrammes.Input) async throws -> Operations.ListProgrammes.Output {
        try authorize(.viewDirectory)
        let catalogue = catalogues[UILanguage.negotiate(parameter: nil, cookie: nil, acceptLanguage: input.headers.acceptLanguage)]
        let programmes = try await directory.listedProgrammes()
        let list = Components.Schemas.ProgrammeList(
            contents: programmes.map { ProgrammeRepresentation.make($0, catalogue: catalogue) },
            totalItems: programmes.count)
        return .ok(.init(body: .json(list)))
    }

    func getProgramme(_ input: Operations.GetProgramme.Input) async throws -> Operations.GetProgramme.Output {
        try authorize(.viewDirectory)
        let catalogue = catalogues[UILanguage.negotiate(parameter: nil, cookie: nil, acceptLanguage: input.headers.acceptLanguage)]
        guard let id = UUID(uuidString: input.path.id) else {
            throw Problem(status: .badRequest, detail: "'\(input.path.id)' is not a programme id; ids are UUIDs, as listed at /api/v1/programmes.")
        }
        guard let programme = try await directory.listedProgramme(id: id) else {
            throw Problem(status: .notFound, detail: "No programme in the directory has id \(id.uuidString.lowercased()); see /api/v1/programmes.")
        }
        return .ok(.init(body: .json(ProgrammeRepresentation.make(programme, catalogue: catalogue))))
    }
}
