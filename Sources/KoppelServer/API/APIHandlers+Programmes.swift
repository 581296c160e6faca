import Foundation
import HTTPTypes
import KoppelAPI
import KoppelCore
import KoppelStore

/// Programmes' operational details, changed by their coordinators and hub-admins.
extension APIHandlers {
    func updateProgramme(_ input: Operations.UpdateProgramme.Input) async throws -> Operations.UpdateProgramme.Output {
        guard case .json(let body) = input.body else { throw Problem(status: .unsupportedMediaType, detail: "Send the change as JSON.") }
        let id = try uuid(input.path.id, "programme id")
        guard let actor = try authorize(.editProgramme(programme: id)) else { throw Problem.denied(.notSignedIn) }
        var change = ProgrammeChange()
        change.status = body.status.map(recode)
        change.placesTotal = body.placesTotal
        change.minimumAge = body.minimumAge
        change.maximumAge = body.maximumAge
        change.targetGroups = body.targetGroups?.map(recode)
        change.languages = body.languages
        change.typicalDurationMonths = body.typicalDurationMonths
        change.responseDays = body.responseWorkingDays
        change.startDays = body.startWorkingDays
        change.reviewDays = body.reviewWorkingDays
        change.description = Self.texts(nl: body.descriptionNl, en: body.descriptionEn)
        change.eligibility = Self.texts(nl: body.eligibilityNl, en: body.eligibilityEn)
        change.applicationProcess = Self.texts(nl: body.applicationProcessNl, en: body.applicationProcessEn)
        change.serviceAreas = try body.serviceAreas?.map { area in
            guard let extent = ServiceArea.Extent(rawValue: area.extentType ?? "municipality") else {
                throw Problem(status: .unprocessableContent, detail: "extent_type of a service area is municipality, region or country.")
            }
            return ServiceArea(name: area.name, extent: extent)
        }
        try await ProgrammeChanges(programmes: programmes).apply(change, to: id, by: actor)
        guard let programme = try await directory.programme(id: id) else { throw Self.noSuchProgramme(id) }
        let catalogue = catalogues[UILanguage.negotiate(parameter: nil, cookie: nil, acceptLanguage: nil)]
        return .ok(.init(body: .json(ProgrammeRepresentation.make(programme, catalogue: catalogue))))
    }

    private static func texts(nl: String?, en: String?) -> [UILanguage: String] {
        var texts: [UILanguage: String] = [:]
        texts[.dutch] = nl
        texts[.english] = en
        return texts
    }
}

/// Checks a programme change and makes it; the API and the edit page both come here.
struct ProgrammeChanges {
    let programmes: ProgrammeStore

    func apply(_ change: ProgrammeChange, to id: UUID, by actor: Actor) async throws {
        guard let ages = try await programmes.ages(of: id) else {
            throw Problem(status: .notFound, detail: "No programme has id \(id.uuidString.lowercased()).")
        }
        let problems = change.problems(currentMinimumAge: ages.minimum, currentMaximumAge: ages.maximum)
        guard problems.isEmpty else {
            throw Problem(status: .unprocessableContent, detail: "The programme was not changed: \(problems.joined(separator: "; ")).")
        }
        do {
            try await programmes.apply(change, to: id, by: actor)
        } catch ProgrammeChangeError.unknownPlaces(let names) {
            throw Problem(
                status: .unprocessableContent,
                detail: "The programme was not changed: no \(names.count == 1 ? "place is" : "places are") called \(names.map { "'\($0)'" }.joined(separator: ", ")). "
                    + "A service area names a municipality (name or code) of extent municipality, a region (province, COROP or labour-market "
                    + "region, …) or named area of extent region, or Nederland or België of extent country.")
        } catch ProgrammeChangeError.notFound {
            throw Problem(status: .notFound, detail: "No programme has id \(id.uuidString.lowercased()).")
        }
    }
}
