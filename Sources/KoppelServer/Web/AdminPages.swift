import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelStore
import KoppelUseCases

/// An org-admin's pages: the organisation's users and API tokens. Always the admin's own organisation.
struct AdminPages {
    let renderer: PageRenderer
    let users: UserStore
    let tokens: APITokenStore
    let hasher: PasswordHasher
    let useCases: UseCases

    func register(on routes: RouteRegistrar) {
        routes.get("/admin/users") { request, context in try await userList(request, context) }
        routes.post("/admin/users") { request, context in try await createUser(request, context) }
        routes.post("/admin/users/{id}/disable") { request, context in try await disableUser(request, context) }
        routes.get("/admin/tokens") { request, context in try await tokenList(request, context) }
        routes.post("/admin/tokens") { request, context in try await createToken(request, context) }
        routes.post("/admin/tokens/{id}/revoke") { request, context in try await revokeToken(request, context) }
    }

    /// The signed-in actor, if the policy allows `action` for their organisation.
    private func authorize(_ context: AppRequestContext, _ action: (UUID) -> Action) throws -> (Actor, SessionCookie)? {
        try context.pageAccess { action($0.organisationID) }
    }

    private func userList(_ request: Request, _ context: AppRequestContext, notice: [String: Any] = [:], status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let (actor, session) = try authorize(context, { .listUsers(organisation: $0) }) else { return .redirect(to: "/sign-in", type: .normal) }
        let catalogue = renderer.catalogue(for: request)
        let list = try await users.accounts(organisation: actor.organisationID).map { account -> [String: Any] in
            [
                "id": account.id.uuidString.lowercased(), "name": account.displayName, "email": account.email,
                "roles": account.roles.map { catalogue.text("role.\($0.rawValue)") }.sorted().joined(separator: ", "),
                "state": catalogue.text(account.isDisabled ? "admin.users.disabled" : (account.totpConfirmed ? "admin.users.active" : "admin.users.pending")),
                "canDisable": !account.isDisabled && account.id != actor.userID,
            ]
        }
        let roles = [Role.caseworker, .coordinator, .funder, .orgAdmin].map { ["value": $0.rawValue, "label": catalogue.text("role.\($0.rawValue)")] }
        var values: [String: Any] = ["csrf": session.record.csrfToken, "users": list, "roles": roles]
        values.merge(notice) { $1 }
        return renderer.page("admin-users", titleKey: "admin.users.title", values: values, request: request, identity: context.identity, status: status)
    }

    private struct NewUserForm: AntiForgeryForm {
        let email: String
        let name: String
        let role: [String]?
        let csrf_token: String
    }

    private func createUser(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await Forms.submitted(NewUserForm.self, from: request, session: context.identity.session)
        let roles = Set((form.role ?? []).compactMap(Role.init(rawValue:)))
        guard let (actor, _) = try authorize(context, { .createUser(organisation: $0, roles: roles) }) else {
            return .redirect(to: "/sign-in", type: .normal)
        }
        let catalogue = renderer.catalogue(for: request)
        do {
            let (_, password) = try await useCases.createUser.run(
                NewUser(organisationID: actor.organisationID, email: form.email, displayName: form.name, roles: roles), by: actor)
            return try await userList(request, context, notice: ["created": ["email": form.email.lowercased(), "password": password]])
        } catch let failure as Failure {
            return try await userList(request, context, notice: ["error": catalogue.message(failure)], status: HTTPResponse.Status(failure.kind))
        }
    }

    private struct CSRFForm: AntiForgeryForm {
        let csrf_token: String
    }

    private func disableUser(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        // Checks the form's anti-forgery token; the form carries nothing else.
        _ = try await Forms.submitted(CSRFForm.self, from: request, session: context.identity.session)
        guard let (actor, _) = try authorize(context, { .disableUser(organisation: $0) }) else { return .redirect(to: "/sign-in", type: .normal) }
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)), id != actor.userID,
            try await users.account(id: id, organisation: actor.organisationID) != nil
        else { throw Problem(status: .notFound, detail: "No such user.") }
        try await users.disable(id: id, organisation: actor.organisationID)
        return .redirect(to: "/admin/users", type: .normal)
    }

    private func tokenList(_ request: Request, _ context: AppRequestContext, notice: [String: Any] = [:], status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let (actor, session) = try authorize(context, { .listTokens(organisation: $0) }) else { return .redirect(to: "/sign-in", type: .normal) }
        let catalogue = renderer.catalogue(for: request)
        let format = Date.FormatStyle(date: .numeric, time: .shortened).locale(Locale(identifier: catalogue.language.rawValue))
        let list = try await tokens.tokens(organisation: actor.organisationID).map { token -> [String: Any] in
            let state = token.revokedAt != nil ? "revoked" : ((token.expiresAt.map { $0 < WallClock.current.now() } ?? false) ? "expired" : "live")
            return [
                "id": token.id.uuidString.lowercased(), "name": token.name, "user": token.userEmail,
                "created": token.createdAt.formatted(format), "expires": token.expiresAt?.formatted(format) ?? "—",
                "state": catalogue.text("admin.tokens.\(state)"), "live": state == "live",
            ]
        }
        let people = try await users.accounts(organisation: actor.organisationID).filter { !$0.isDisabled }
            .map { ["id": $0.id.uuidString.lowercased(), "label": "\($0.displayName) (\($0.email))"] }
        var values: [String: Any] = ["csrf": session.record.csrfToken, "tokens": list, "people": people]
        values.merge(notice) { $1 }
        return renderer.page("admin-tokens", titleKey: "admin.tokens.title", values: values, request: request, identity: context.identity, status: status)
    }

    private struct NewTokenForm: AntiForgeryForm {
        let user: String
        let name: String
        let days: String?
        let csrf_token: String
    }

    private func createToken(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await Forms.submitted(NewTokenForm.self, from: request, session: context.identity.session)
        guard let (actor, _) = try authorize(context, { .createToken(organisation: $0) }) else { return .redirect(to: "/sign-in", type: .normal) }
        let catalogue = renderer.catalogue(for: request)
        let name = form.name.trimmingCharacters(in: .whitespaces)
        let days = form.days.flatMap { $0.isEmpty ? nil : Int($0) }
        guard (1...100).contains(name.count), form.days?.isEmpty != false || days.map({ (1...3650).contains($0) }) == true,
            let user = UUID(uuidString: form.user),
            let account = try await users.account(id: user, organisation: actor.organisationID), !account.isDisabled
        else {
            return try await tokenList(request, context, notice: ["error": catalogue.text("admin.tokens.invalid")], status: .unprocessableContent)
        }
        let created = try await tokens.create(userID: account.id, organisation: actor.organisationID, name: name, expiresInDays: days)
        return try await tokenList(request, context, notice: ["created": ["token": created.token.value, "name": name]])
    }

    private func revokeToken(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        // Checks the form's anti-forgery token; the form carries nothing else.
        _ = try await Forms.submitted(CSRFForm.self, from: request, session: context.identity.session)
        guard let (actor, _) = try authorize(context, { .revokeToken(organisation: $0) }) else { return .redirect(to: "/sign-in", type: .normal) }
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)),
            try await tokens.revoke(id: id, organisation: actor.organisationID)
        else { throw Problem(status: .notFound, detail: "No such live token.") }
        return .redirect(to: "/admin/tokens", type: .normal)
    }
}
