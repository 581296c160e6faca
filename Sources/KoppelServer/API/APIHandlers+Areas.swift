import Foundation
import HTTPTypes
import KoppelAPI
import KoppelCore
import KoppelStore
import KoppelUseCases

/// Named areas: hub-admins keep them, funders read them (what their agreements cover).
extension APIHandlers {
    func listAreas(_ input: Operations.ListAreas.Input) async throws -> Operations.ListAreas.Output {
        let actor = try signedIn()
        return .ok(.init(body: .json(try await useCases.manageAreas.list(by: actor).map(Self.area))))
    }

    func createArea(_ input: Operations.CreateArea.Input) async throws -> Operations.CreateArea.Output {
        guard case .json(let body) = input.body else { throw Problem(status: .unsupportedMediaType, detail: "Send the area as JSON.") }
        let actor = try signedIn()
        let area = try await useCases.manageAreas.create(
            AreaInput(name: body.name, description: body.description, members: .codes(Self.members(body.municipalities, body.regions))), by: actor)
        return .created(.init(body: .json(Self.area(area))))
    }

    func getArea(_ input: Operations.GetArea.Input) async throws -> Operations.GetArea.Output {
        let actor = try signedIn()
        return .ok(.init(body: .json(Self.area(try await useCases.manageAreas.one(try uuid(input.path.areaId, "area id"), by: actor)))))
    }

    func replaceArea(_ input: Operations.ReplaceArea.Input) async throws -> Operations.ReplaceArea.Output {
        guard case .json(let body) = input.body else { throw Problem(status: .unsupportedMediaType, detail: "Send the area as JSON.") }
        let id = try uuid(input.path.areaId, "area id")
        let actor = try signedIn()
        let area = try await useCases.manageAreas.update(
            id, AreaInput(name: body.name, description: body.description, members: .codes(Self.members(body.municipalities, body.regions))),
            expectedVersion: body.version, by: actor)
        return .ok(.init(body: .json(Self.area(area))))
    }

    func deleteArea(_ input: Operations.DeleteArea.Input) async throws -> Operations.DeleteArea.Output {
        let id = try uuid(input.path.areaId, "area id")
        let actor = try signedIn()
        try await useCases.manageAreas.delete(id, expectedVersion: input.query.version, by: actor)
        return .noContent(.init())
    }

    static func members(_ municipalities: [String]?, _ regions: [String]?) -> [NamedArea.Member] {
        (municipalities ?? []).map { .municipality($0) } + (regions ?? []).map { .region($0) }
    }

    static func area(_ record: AreaRecord) -> Components.Schemas.Area {
        var municipalities: [Components.Schemas.PlaceReference] = []
        var regions: [Components.Schemas.PlaceReference] = []
        for member in record.area.members {
            switch member {
            case .municipality(let code): municipalities.append(.init(code: code, name: record.name(of: member)))
            case .region(let code): regions.append(.init(code: code, name: record.name(of: member)))
            }
        }
        return .init(
            id: record.area.id.uuidString.lowercased(), name: record.area.name, description: record.area.description,
            municipalities: municipalities, regions: regions, version: record.area.version)
    }
}
