import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelStore

/// The public programme directory: the list at `/` and each programme at `/programmes/{id}`.
struct DirectoryPages {
    let directory: any ProgrammeDirectory
    let renderer: PageRenderer
    let referrals: ReferralStore

    func register(on routes: RouteRegistrar) {
        routes.get("/") { request, context in
            try authorize(context)
            return try await list(request)
        }
        routes.get("/programmes/{id}") { request, context in
            try authorize(context)
            return try await detail(request, context)
        }
    }

    private func authorize(_ context: AppRequestContext) throws {
        if case .deny(let reason) = AccessPolicy.decide(context.identity.actor, .viewDirectory) { throw Problem.denied(reason) }
    }

    private func list(_ request: Request) async throws -> Response {
        let catalogue = renderer.catalogues[PageRenderer.language(of: request)]
        let programmes = try await directory.listedProgrammes()
        return renderer.page(
            "directory", title: catalogue.text("directory.title"),
            values: ["programmes": programmes.map { summary($0, catalogue) }], request: request)
    }

    private func detail(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let catalogue = renderer.catalogues[PageRenderer.language(of: request)]
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let programme = try await directory.listedProgramme(id: id)
        else {
            throw Problem(status: .notFound, detail: "No such programme.")
        }
        var values = summary(programme, catalogue)
        // Absent facts are left out of the context, so their sections are not rendered at all.
        values["eligibility"] = programme.eligibility.description?.text(in: catalogue.language)
        values["ageRange"] = ageRange(programme.eligibility, catalogue)
        values["languages"] = programme.languages.map { catalogue.text(LanguageNames.catalogueKey(forCode: $0)) }.joined(separator: ", ")
        values["duration"] = programme.typicalDurationMonths.map { catalogue.text("programme.duration_months", ["months": "\($0)"]) }
        values["applicationProcess"] = programme.applicationProcess?.text(in: catalogue.language)
        // Places and the waiting list are for signed-in users only.
        let actor = context.identity.actor
        if let actor, AccessPolicy.decide(actor, .viewCapacity).isAllowed,
            let places = try await referrals.places(of: programme.id, actingFor: actor), let total = places.placesTotal {
            values["capacity"] = catalogue.text(
                "programme.edit.capacity", ["free": "\(places.placesFree ?? 0)", "total": "\(total)", "waiting": "\(places.waitlisted)"])
        }
        values["canEdit"] = AccessPolicy.decide(actor, .editProgramme(programme: programme.id)).isAllowed
        return renderer.page("programme", title: programme.name, values: values, request: request, identity: context.identity)
    }

    private func summary(_ programme: Programme, _ catalogue: Catalogue) -> [String: Any] {
        [
            "id": programme.id.uuidString.lowercased(),
            "name": programme.name,
            "operator": programme.operatorOrganisation.name,
            "description": programme.description.text(in: catalogue.language),
            "status": catalogue.text("programme.status.\(programme.status.rawValue)"),
            "areas": programme.serviceAreas.map(\.name).joined(separator: ", "),
            "targetGroups": programme.eligibility.targetGroups.map { catalogue.text($0.catalogueKey) }.joined(separator: ", "),
        ]
    }

    private func ageRange(_ eligibility: Eligibility, _ catalogue: Catalogue) -> String? {
        switch (eligibility.minimumAge, eligibility.maximumAge) {
        case let (minimum?, maximum?): catalogue.text("programme.age.between", ["min": "\(minimum)", "max": "\(maximum)"])
        case let (minimum?, nil): catalogue.text("programme.age.from", ["min": "\(minimum)"])
        case let (nil, maximum?): catalogue.text("programme.age.up_to", ["max": "\(maximum)"])
        case (nil, nil): nil
        }
    }
}
