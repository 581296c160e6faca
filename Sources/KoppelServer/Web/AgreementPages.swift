import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelStore
import KoppelUseCases

/// A hub-admin's pages for funding agreements: the list with a form for a new one, editing one, deleting one after
/// asking. The form's choices (funders, programmes, areas) come from what exists; the use case checks them again.
struct AgreementPages {
    let renderer: PageRenderer
    let useCases: UseCases
    let organisations: OrganisationStore
    let directory: any ProgrammeDirectory

    func register(on routes: RouteRegistrar) {
        routes.get("/admin/funding-agreements") { request, context in try await list(request, context) }
        routes.post("/admin/funding-agreements") { request, context in try await create(request, context) }
        routes.get("/admin/funding-agreements/{agreementId}") { request, context in try await edit(request, context) }
        routes.post("/admin/funding-agreements/{agreementId}") { request, context in try await save(request, context) }
        routes.get("/admin/funding-agreements/{agreementId}/delete") { request, context in try await confirmDelete(request, context) }
        routes.post("/admin/funding-agreements/{agreementId}/delete") { request, context in try await delete(request, context) }
    }

    private func authorized(_ context: AppRequestContext) throws -> (Actor, SessionCookie)? {
        try context.pageAccess { _ in .manageFundingAgreements }
    }

    private func list(
        _ request: Request, _ context: AppRequestContext, notice: [String: Any] = [:], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let (actor, session) = try authorized(context) else { return .redirect(to: "/sign-in", type: .normal) }
        let catalogue = renderer.catalogue(for: request)
        let rows = try await useCases.manageFundingAgreements.list(by: actor).map { Self.row($0, catalogue) }
        var values: [String: Any] = [
            "csrf": session.record.csrfToken, "agreements": rows, "empty": rows.isEmpty,
            "saved": request.uri.queryParameters["saved"] != nil, "deleted": request.uri.queryParameters["deleted"] != nil,
        ]
        values["form"] = try await fields(AgreementForm.empty, by: actor)
        values.merge(notice) { $1 }
        return renderer.page(
            "admin-agreements", titleKey: "funding.agreements.title", values: values, request: request, identity: context.identity, status: status)
    }

    private func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await Forms.submitted(AgreementForm.self, from: request, session: context.identity.session)
        guard let (actor, _) = try authorized(context) else { return .redirect(to: "/sign-in", type: .normal) }
        do {
            _ = try await useCases.manageFundingAgreements.create(try form.draft(), by: actor)
            return try await list(request, context, notice: ["created": true])
        } catch let failure as Failure {
            let notice: [String: Any] = ["error": renderer.catalogue(for: request).message(failure), "form": try await fields(form, by: actor)]
            return try await list(request, context, notice: notice, status: HTTPResponse.Status(failure.kind))
        }
    }

    private func edit(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let (actor, session) = try authorized(context) else { return .redirect(to: "/sign-in", type: .normal) }
        let agreement = try await useCases.manageFundingAgreements.one(try id(context), by: actor)
        return renderer.page(
            "admin-agreement", titleKey: "funding.agreements.edit_title",
            values: ["csrf": session.record.csrfToken, "id": agreement.id.uuidString.lowercased(), "form": try await fields(AgreementForm(agreement), by: actor)],
            request: request, identity: context.identity)
    }

    private func save(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await Forms.submitted(AgreementForm.self, from: request, session: context.identity.session)
        guard let (actor, session) = try authorized(context) else { return .redirect(to: "/sign-in", type: .normal) }
        let id = try id(context)
        do {
            _ = try await useCases.manageFundingAgreements.update(id, try form.change(), expectedVersion: Int(form.version ?? "") ?? 0, by: actor)
            return .redirect(to: "/admin/funding-agreements?saved=1", type: .normal)
        } catch let failure as Failure where failure.kind != .notFound {
            return renderer.page(
                "admin-agreement", titleKey: "funding.agreements.edit_title",
                values: ["csrf": session.record.csrfToken, "id": id.uuidString.lowercased(), "form": try await fields(form, by: actor),
                         "error": renderer.catalogue(for: request).message(failure)],
                request: request, identity: context.identity, status: HTTPResponse.Status(failure.kind))
        }
    }

    private func confirmDelete(_ request: Request, _ context: AppRequestContext, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let (actor, session) = try authorized(context) else { return .redirect(to: "/sign-in", type: .normal) }
        let agreement = try await useCases.manageFundingAgreements.one(try id(context), by: actor)
        let catalogue = renderer.catalogue(for: request)
        return renderer.page(
            "admin-confirm-delete", titleKey: "funding.agreements.delete_title",
            values: ["csrf": session.record.csrfToken, "action": "/admin/funding-agreements/\(agreement.id.uuidString.lowercased())/delete",
                     "back": "/admin/funding-agreements", "version": agreement.version, "error": error as Any,
                     "what": "\(agreement.funder.name): \(agreement.programme.name), \(agreement.area.name), \(agreement.firstMonth) \(catalogue.text("funding.agreements.to")) \(agreement.lastMonth)",
                     "words": ["title": catalogue.text("funding.agreements.delete_title"), "question": catalogue.text("funding.agreements.delete_question"),
                               "delete": catalogue.text("funding.agreements.delete"), "backLabel": catalogue.text("funding.agreements.back")]],
            request: request, identity: context.identity, status: status)
    }

    private func delete(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await Forms.submitted(AgreementForm.self, from: request, session: context.identity.session)
        guard let (actor, _) = try authorized(context) else { return .redirect(to: "/sign-in", type: .normal) }
        do {
            try await useCases.manageFundingAgreements.delete(try id(context), expectedVersion: form.version.flatMap { Int($0) }, by: actor)
            return .redirect(to: "/admin/funding-agreements?deleted=1", type: .normal)
        } catch let failure as Failure where failure.kind == .versionMismatch {
            return try await confirmDelete(request, context, error: renderer.catalogue(for: request).message(failure), status: HTTPResponse.Status(failure.kind))
        }
    }

    private func id(_ context: AppRequestContext) throws -> UUID {
        guard let id = context.parameters.get("agreementId").flatMap(UUID.init(uuidString:)) else { throw FundingError.agreementNotFound.failure }
        return id
    }

    /// The form's values and its choices, the chosen ones marked.
    private func fields(_ form: AgreementForm, by actor: Actor) async throws -> [String: Any] {
        func choices(_ options: [(id: UUID, name: String)], _ chosen: String?) -> [[String: Any]] {
            options.map { ["value": $0.id.uuidString.lowercased(), "label": $0.name, "selected": $0.id.uuidString.lowercased() == chosen?.lowercased()] }
        }
        let funders = try await organisations.all().filter { $0.kinds.contains("funder") }.map { (id: $0.id, name: $0.name) }
        let programmes = try await directory.listedProgrammes().map { (id: $0.id, name: $0.name) }
        let areas = try await useCases.manageAreas.list(by: actor).map { (id: $0.area.id, name: $0.area.name) }
        return [
            "funders": choices(funders, form.funder), "programmes": choices(programmes, form.programme), "areas": choices(areas, form.area),
            "first_month": form.first_month ?? "", "last_month": form.last_month ?? "", "budget": form.budget ?? "",
            "target_places": form.target_places ?? "", "reference": form.reference ?? "", "version": form.version ?? "",
        ]
    }

    static func row(_ agreement: FundingAgreement, _ catalogue: Catalogue) -> [String: Any] {
        [
            "id": agreement.id.uuidString.lowercased(), "funder": agreement.funder.name, "programme": agreement.programme.name,
            "area": agreement.area.name, "months": "\(agreement.firstMonth) \(catalogue.text("funding.agreements.to")) \(agreement.lastMonth)",
            "budget": agreement.budgetEuros.map(Self.euros) ?? "—", "target_places": agreement.targetPlaces.map(String.init) ?? "—",
            "reference": agreement.reference ?? "—",
        ]
    }

    static func euros(_ amount: Int) -> String {
        "€ " + amount.formatted(.number.locale(Locale(identifier: "nl_NL")))
    }
}
