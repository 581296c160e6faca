import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelStore
import KoppelUseCases

/// A hub-admin's pages for named areas: the list with a form for a new one, editing one, deleting one after asking.
/// Members are typed one a line, as codes or names; a line that names nothing is reported by its number.
struct AreaPages {
    let renderer: PageRenderer
    let useCases: UseCases

    func register(on routes: RouteRegistrar) {
        routes.get("/admin/areas") { request, context in try await list(request, context) }
        routes.post("/admin/areas") { request, context in try await create(request, context) }
        routes.get("/admin/areas/{areaId}") { request, context in try await edit(request, context) }
        routes.post("/admin/areas/{areaId}") { request, context in try await save(request, context) }
        routes.get("/admin/areas/{areaId}/delete") { request, context in try await confirmDelete(request, context) }
        routes.post("/admin/areas/{areaId}/delete") { request, context in try await delete(request, context) }
    }

    private func authorized(_ context: AppRequestContext) throws -> (Actor, SessionCookie)? {
        try context.pageAccess { _ in .manageFundingAgreements }
    }

    private struct AreaForm: AntiForgeryForm {
        let name: String?
        let description: String?
        let members: String?
        let version: String?
        let csrf_token: String

        var input: AreaInput { AreaInput(name: name ?? "", description: description, members: .lines(members ?? "")) }
    }

    private func list(
        _ request: Request, _ context: AppRequestContext, notice: [String: Any] = [:], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let (actor, session) = try authorized(context) else { return .redirect(to: "/sign-in", type: .normal) }
        let rows = try await useCases.manageAreas.list(by: actor).map { record -> [String: Any] in
            ["id": record.area.id.uuidString.lowercased(), "name": record.area.name, "description": record.area.description ?? "",
             "members": record.area.members.map(record.name(of:)).joined(separator: ", ")]
        }
        var values: [String: Any] = [
            "csrf": session.record.csrfToken, "areas": rows, "empty": rows.isEmpty, "form": [String: Any](),
            "saved": request.uri.queryParameters["saved"] != nil, "deleted": request.uri.queryParameters["deleted"] != nil,
        ]
        values.merge(notice) { $1 }
        return renderer.page("admin-areas", titleKey: "funding.areas.title", values: values, request: request, identity: context.identity, status: status)
    }

    private func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await Forms.submitted(AreaForm.self, from: request, session: context.identity.session)
        guard let (actor, _) = try authorized(context) else { return .redirect(to: "/sign-in", type: .normal) }
        do {
            let area = try await useCases.manageAreas.create(form.input, by: actor)
            return try await list(request, context, notice: ["created": area.area.name])
        } catch let failure as Failure {
            let values: [String: Any] = [
                "error": renderer.catalogue(for: request).message(failure),
                "form": ["name": form.name ?? "", "description": form.description ?? "", "members": form.members ?? ""],
            ]
            return try await list(request, context, notice: values, status: HTTPResponse.Status(failure.kind))
        }
    }

    private func edit(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let (actor, session) = try authorized(context) else { return .redirect(to: "/sign-in", type: .normal) }
        let area = try await useCases.manageAreas.one(try id(context), by: actor)
        return renderer.page(
            "admin-area", titleKey: "funding.areas.edit_title",
            values: ["csrf": session.record.csrfToken, "id": area.area.id.uuidString.lowercased(), "name": area.area.name,
                     "description": area.area.description ?? "", "members": Self.lines(area), "version": area.area.version],
            request: request, identity: context.identity)
    }

    private func save(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await Forms.submitted(AreaForm.self, from: request, session: context.identity.session)
        guard let (actor, session) = try authorized(context) else { return .redirect(to: "/sign-in", type: .normal) }
        let id = try id(context)
        do {
            _ = try await useCases.manageAreas.update(id, form.input, expectedVersion: Int(form.version ?? "") ?? 0, by: actor)
            return .redirect(to: "/admin/areas?saved=1", type: .normal)
        } catch let failure as Failure where failure.kind != .notFound && failure.kind != .forbidden {
            return renderer.page(
                "admin-area", titleKey: "funding.areas.edit_title",
                values: ["csrf": session.record.csrfToken, "id": id.uuidString.lowercased(), "name": form.name ?? "",
                         "description": form.description ?? "", "members": form.members ?? "", "version": form.version ?? "",
                         "error": renderer.catalogue(for: request).message(failure)],
                request: request, identity: context.identity, status: HTTPResponse.Status(failure.kind))
        }
    }

    private func confirmDelete(_ request: Request, _ context: AppRequestContext, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let (actor, session) = try authorized(context) else { return .redirect(to: "/sign-in", type: .normal) }
        let area = try await useCases.manageAreas.one(try id(context), by: actor)
        return renderer.page(
            "admin-confirm-delete", titleKey: "funding.areas.delete_title",
            values: ["csrf": session.record.csrfToken, "action": "/admin/areas/\(area.area.id.uuidString.lowercased())/delete",
                     "back": "/admin/areas", "what": area.area.name, "version": area.area.version, "error": error as Any,
                     "words": Self.deleteWords(renderer.catalogue(for: request))],
            request: request, identity: context.identity, status: status)
    }

    private func delete(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await Forms.submitted(AreaForm.self, from: request, session: context.identity.session)
        guard let (actor, _) = try authorized(context) else { return .redirect(to: "/sign-in", type: .normal) }
        do {
            try await useCases.manageAreas.delete(try id(context), expectedVersion: form.version.flatMap { Int($0) }, by: actor)
            return .redirect(to: "/admin/areas?deleted=1", type: .normal)
        } catch let failure as Failure where failure.kind == .conflict || failure.kind == .versionMismatch {
            return try await confirmDelete(request, context, error: renderer.catalogue(for: request).message(failure), status: HTTPResponse.Status(failure.kind))
        }
    }

    private func id(_ context: AppRequestContext) throws -> UUID {
        guard let id = context.parameters.get("areaId").flatMap(UUID.init(uuidString:)) else { throw FundingError.areaNotFound.failure }
        return id
    }

    static func deleteWords(_ catalogue: Catalogue) -> [String: String] {
        ["title": catalogue.text("funding.areas.delete_title"), "question": catalogue.text("funding.areas.delete_question"),
         "delete": catalogue.text("funding.areas.delete"), "backLabel": catalogue.text("funding.areas.back")]
    }

    /// The members one a line, as the form takes them back: name and code, so the same line names the same place again.
    private static func lines(_ record: AreaRecord) -> String {
        record.area.members.map { member in
            switch member {
            case .municipality(let code), .region(let code): "\(record.name(of: member)) (\(code))"
            }
        }.joined(separator: "\n")
    }
}
