import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelStore

/// A hub-admin's page: the organisations on Koppel, and adding one.
struct HubPages {
    let renderer: PageRenderer
    let organisations: OrganisationStore

    func register(on routes: RouteRegistrar) {
        routes.get("/hub/organisations") { request, context in try await list(request, context) }
        routes.post("/hub/organisations") { request, context in try await create(request, context) }
    }

    private func authorized(_ context: AppRequestContext) throws -> SessionCookie? {
        try context.pageAccess { _ in .manageOrganisations }?.1
    }

    private func list(_ request: Request, _ context: AppRequestContext, notice: [String: Any] = [:], status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let session = try authorized(context) else { return .redirect(to: "/sign-in", type: .normal) }
        let catalogue = renderer.catalogue(for: request)
        let rows = try await organisations.all().map { organisation -> [String: Any] in
            ["name": organisation.name, "slug": organisation.slug,
             "kinds": organisation.kinds.map { catalogue.text("hub.kind.\($0)") }.joined(separator: ", "),
             "type": catalogue.text(organisation.type.catalogueKey)]
        }
        let kinds = ["referrer", "operator", "funder"].map { ["value": $0, "label": catalogue.text("hub.kind.\($0)")] }
        let types = OrganisationType.allCases.map { ["value": $0.rawValue, "label": catalogue.text($0.catalogueKey)] }
        var values: [String: Any] = ["csrf": session.record.csrfToken, "organisations": rows, "kinds": kinds, "types": types]
        values.merge(notice) { $1 }
        return renderer.page("hub-organisations", titleKey: "hub.title", values: values, request: request, identity: context.identity, status: status)
    }

    private struct NewOrganisationForm: AntiForgeryForm {
        let slug: String
        let name: String
        let kind: [String]?
        let type: String?
        let csrf_token: String
    }

    private func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await Forms.submitted(NewOrganisationForm.self, from: request, session: context.identity.session)
        guard try authorized(context) != nil else { return .redirect(to: "/sign-in", type: .normal) }
        let catalogue = renderer.catalogue(for: request)
        do {
            guard let type = OrganisationType(rawValue: form.type ?? OrganisationType.civilSociety.rawValue) else { throw OrganisationError.invalid }
            _ = try await organisations.create(slug: form.slug.lowercased(), name: form.name, kinds: form.kind ?? [], type: type)
        } catch let error as OrganisationError {
            let key = if case .slugTaken = error { "hub.error.slug_taken" } else { "hub.error.invalid" }
            return try await list(request, context, notice: ["error": catalogue.text(key)], status: .unprocessableContent)
        }
        return try await list(request, context, notice: ["created": form.name])
    }
}
