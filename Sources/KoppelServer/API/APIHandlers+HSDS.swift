import Foundation
import HTTPTypes
import KoppelAPI
import KoppelCore
import KoppelStore

/// The directory's HSDS side in the JSON API: coordinators confirm their entry is current; hub-admins import files of
/// other HSDS publishers.
extension APIHandlers {
    func confirmDirectoryEntry(_ input: Operations.ConfirmDirectoryEntry.Input) async throws -> Operations.ConfirmDirectoryEntry.Output {
        let id = try uuid(input.path.id, "programme id")
        guard let actor = try authorize(.confirmDirectoryEntry(programme: id)) else { throw Problem.denied(.notSignedIn) }
        guard let confirmed = try await directoryConfirmations.confirm(programme: id, by: actor) else {
            throw Problem(status: .notFound, detail: "No programme has id \(id.uuidString.lowercased()); see /api/v1/programmes.")
        }
        return .ok(.init(body: .json(.init(programmeId: id.uuidString.lowercased(), confirmedAt: confirmed))))
    }

    func importDirectory(_ input: Operations.ImportDirectory.Input) async throws -> Operations.ImportDirectory.Output {
        guard let actor = try authorize(.importDirectory) else { throw Problem.denied(.notSignedIn) }
        guard case .json(let body) = input.body else { throw Problem(status: .unsupportedMediaType, detail: "Send the HSDS file as JSON.") }
        let dryRun = input.query.dryRun ?? false
        switch try await directoryImport.run(try JSONEncoder().encode(body), dryRun: dryRun, actingFor: actor) {
        case .refused(let errors):
            return .unprocessableContent(.init(body: .applicationProblemJson(.init(
                _type: "about:blank", title: "Unprocessable Content", status: 422,
                detail: "The file was not imported: \(errors.count) error\(errors.count == 1 ? "" : "s") (record, field, reason). Nothing was stored.",
                instance: "/api/v1/directory/imports",
                errors: errors.prefix(500).map { .init(record: $0.record, field: $0.field, reason: $0.reason) }))))
        case .imported(let plan):
            return .ok(.init(body: .json(.init(
                dryRun: dryRun, added: plan.count(.added), changed: plan.count(.changed), unchanged: plan.count(.unchanged),
                records: plan.entries.map { .init(kind: .init(rawValue: $0.kind.rawValue)!, id: $0.hsdsID, name: $0.name, change: .init(rawValue: $0.change.rawValue)!) }))))
        }
    }
}
