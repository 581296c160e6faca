import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelStore

/// One's own account: an overview, choosing a password, and enrolling the second factor.
struct AccountPages {
    let renderer: PageRenderer
    let users: UserStore
    let sessions: SessionStore
    let hasher: PasswordHasher
    let seeds: SecondFactorSeeds
    let statistics: StatisticsReports

    func register(on routes: RouteRegistrar) {
        routes.get("/account") { request, context in try await overview(request, context) }
        routes.get("/account/password") { request, context in try await passwordForm(request, context) }
        routes.post("/account/password") { request, context in try await changePassword(request, context) }
        routes.get("/account/second-factor") { request, context in try await enrolmentForm(request, context) }
        routes.post("/account/second-factor") { request, context in try await confirmEnrolment(request, context) }
    }

    private func overview(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let account = context.identity.account, AccessPolicy.decide(context.identity.actor, .viewOwnAccount).isAllowed else {
            return .redirect(to: "/sign-in", type: .normal)
        }
        let catalogue = renderer.catalogue(for: request)
        let seesStatistics = try await statistics.seesAny(account.actor)
        return renderer.page(
            "account", titleKey: "account.title",
            values: [
                "name": account.displayName, "email": account.email, "organisation": account.organisationName,
                "roles": account.roles.map { catalogue.text("role.\($0.rawValue)") }.sorted().joined(separator: ", "),
                "isOrgAdmin": AccessPolicy.decide(account.actor, .listUsers(organisation: account.organisationID)).isAllowed,
                "isHubAdmin": AccessPolicy.decide(account.actor, .manageOrganisations).isAllowed,
                "seesReferrals": AccessPolicy.decide(account.actor, .listReferrals).isAllowed, "seesStatistics": seesStatistics,
                "managesFunding": AccessPolicy.decide(account.actor, .manageFundingAgreements).isAllowed,
                // A hub-admin reads every agreement on the admin page; this link is for the funder's own.
                "seesOwnAgreements": account.roles.contains(.funder)
                    && AccessPolicy.decide(account.actor, .viewFundingAgreements(funder: account.organisationID)).isAllowed,
            ], request: request, identity: context.identity)
    }

    private struct PasswordForm: AntiForgeryForm {
        let current_password: String?
        let new_password: String
        let repeat_password: String
        let csrf_token: String
    }

    /// The account and session of a request that may choose a new password (`SignInProgress.mayChangePassword`).
    private func passwordChanger(_ context: AppRequestContext) -> (Account, SessionCookie)? {
        guard let account = context.identity.account, let session = context.identity.session,
            SignInProgress.mayChangePassword(signInComplete: context.identity.actor != nil, mustChangePassword: account.mustChangePassword)
        else { return nil }
        return (account, session)
    }

    private func passwordForm(_ request: Request, _ context: AppRequestContext, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let (account, session) = passwordChanger(context) else { return .redirect(to: "/sign-in", type: .normal) }
        return renderer.page(
            "password", titleKey: "password.title",
            values: ["csrf": session.record.csrfToken, "error": error as Any, "askCurrent": !account.mustChangePassword],
            request: request, identity: context.identity, status: status)
    }

    private func changePassword(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let (account, session) = passwordChanger(context) else { return .redirect(to: "/sign-in", type: .normal) }
        let form = try await Forms.submitted(PasswordForm.self, from: request, session: session)
        let catalogue = renderer.catalogue(for: request)
        if !account.mustChangePassword {
            let candidate = try await users.signInCandidate(email: account.email)
            guard try await hasher.verify(form.current_password ?? "", against: candidate?.passwordHash) else {
                return try await passwordForm(request, context, error: catalogue.text("password.current_wrong"), status: .unprocessableContent)
            }
        }
        guard form.new_password == form.repeat_password else {
            return try await passwordForm(request, context, error: catalogue.text("password.mismatch"), status: .unprocessableContent)
        }
        if let problem = hasher.rules.problem(with: form.new_password) {
            return try await passwordForm(request, context, error: catalogue.text("password.problem.\(problem.rawValue)"), status: .unprocessableContent)
        }
        try await users.setPassword(
            id: account.id, organisation: account.organisationID, hash: try await hasher.hash(form.new_password), mustChange: false,
            keeping: session.token)
        let step = SignInProgress.next(
            mustChangePassword: false, requiresSecondFactor: account.actor.requiresSecondFactor,
            secondFactorEnrolled: account.totpConfirmed, secondFactorGiven: context.identity.actor != nil)
        // Every other session ended with the old password; this one goes on under a new id.
        let token = try await sessions.advance(
            session.token, organisation: account.organisationID, to: step == .done ? .complete : session.record.stage)
        var response = Response.redirect(to: SignInPages.path(for: step), type: .normal)
        response.setCookie(Forms.strictCookie(name: SessionCookie.name, value: token.value))
        return response
    }

    private struct EnrolmentForm: AntiForgeryForm {
        let code: String
        let csrf_token: String
    }

    private func enrolmentForm(_ request: Request, _ context: AppRequestContext, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let account = context.identity.account, let session = context.identity.session, !account.mustChangePassword else {
            return .redirect(to: "/sign-in", type: .normal)
        }
        if account.totpConfirmed { return .redirect(to: "/account", type: .normal) }
        var secret = try seeds.secret(of: account)
        if secret == nil { secret = try await seeds.begin(for: account) }
        guard let secret else { return .redirect(to: "/sign-in", type: .normal) }
        let uri = SecondFactor.enrolmentURI(secret: secret, account: account.email)
        return renderer.page(
            "second-factor", titleKey: "second_factor.title",
            values: [
                "csrf": session.record.csrfToken, "error": error as Any, "uri": uri,
                "secret": SecondFactor.manualKey(secret: secret, account: account.email).chunked(into: 4).joined(separator: " "),
                "qr": QRCode.svg(for: uri, title: renderer.catalogue(for: request).text("second_factor.qr")) as Any,
            ], request: request, identity: context.identity, status: status)
    }

    private func confirmEnrolment(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let account = context.identity.account, let session = context.identity.session, !account.mustChangePassword,
            !account.totpConfirmed, let secret = try seeds.secret(of: account)
        else { return .redirect(to: "/sign-in", type: .normal) }
        let form = try await Forms.submitted(EnrolmentForm.self, from: request, session: session)
        guard let step = SecondFactor.matchingStep(code: form.code, secret: secret),
            try await users.acceptTOTPStep(id: account.id, organisation: account.organisationID, step: step, confirmingEnrolment: true)
        else {
            return try await enrolmentForm(request, context, error: renderer.catalogue(for: request).text("sign_in.code_failed"), status: .unprocessableContent)
        }
        let codes = (0..<10).map { _ in SecretToken(value: ReadableSecret.generate(groups: 4)) }
        try await users.replaceRecoveryCodes(id: account.id, organisation: account.organisationID, codes: codes)
        let token = try await sessions.advance(session.token, organisation: account.organisationID, to: .complete)
        var response = renderer.page(
            "recovery-codes", titleKey: "second_factor.codes_title", values: ["codes": codes.map(\.value)], request: request,
            identity: context.identity)
        response.setCookie(Forms.strictCookie(name: SessionCookie.name, value: token.value))
        return response
    }
}

extension String {
    func chunked(into size: Int) -> [String] {
        stride(from: 0, to: count, by: size).map { start in
            let from = index(startIndex, offsetBy: start)
            return String(self[from..<(index(from, offsetBy: size, limitedBy: endIndex) ?? endIndex)])
        }
    }
}
