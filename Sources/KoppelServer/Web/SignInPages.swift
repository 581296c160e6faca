import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelStore

/// Signing in and out: password, then (for every role that can see identifying data) a second factor.
/// Sign-in never tells whether an account exists: one message, one status, about the same time.
struct SignInPages {
    let renderer: PageRenderer
    let users: UserStore
    let sessions: SessionStore
    let throttle: SignInThrottle
    let hasher: PasswordHasher
    let seeds: SecondFactorSeeds
    let measurements: Measurements

    func register(on routes: RouteRegistrar) {
        routes.get("/sign-in") { request, context in try await signInForm(request, context) }
        routes.post("/sign-in") { request, context in try await signIn(request, context) }
        routes.get("/sign-in/code") { request, context in try await codeForm(request, context) }
        routes.post("/sign-in/code") { request, context in try await code(request, context) }
        routes.post("/sign-out") { request, context in try await signOut(request, context) }
    }

    private struct SignInForm: AntiForgeryForm {
        let email: String
        let password: String
        let csrf_token: String
    }

    private struct CodeForm: AntiForgeryForm {
        let code: String
        let csrf_token: String
    }

    private func signInForm(_ request: Request, _ context: AppRequestContext, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        if context.identity.actor != nil { return .redirect(to: "/account", type: .normal) }
        let token = request.cookies[Forms.formCookie]?.value ?? SecretToken.generate().value
        var response = renderer.page(
            "sign-in", titleKey: "sign_in.title", values: ["csrf": token, "error": error as Any], request: request,
            identity: context.identity, status: status)
        response.setCookie(Forms.strictCookie(name: Forms.formCookie, value: token))
        return response
    }

    private func signIn(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let submitted = try await Forms.submitted(SignInForm.self, from: request, session: nil)
        let catalogue = renderer.catalogue(for: request)
        switch try await throttle.admit(.password, email: submitted.email, address: context.clientAddress) {
        case .locked:
            measurements.signInRefused(step: "password", reason: "locked")
            return try await signInForm(request, context, error: catalogue.text("sign_in.locked"), status: .tooManyRequests)
        case .slowDown(let delay):
            try await Task.sleep(for: delay)
        case .allowed:
            break
        }
        // E-mail addresses are ASCII: PostgreSQL's lower() and Swift's lowercased() differ beyond it (İ), so a look-alike
        // would find the account under another throttle key.
        let usable = submitted.email.count <= 254 && submitted.email.allSatisfy(\.isASCII)
        let candidate = usable ? try await users.signInCandidate(email: submitted.email) : nil
        let passwordFits = submitted.password.count <= PasswordRules.maximumLength
        let verified = try await hasher.verify(passwordFits ? submitted.password : "", against: candidate?.passwordHash)
        guard verified, let candidate, !candidate.isDisabled, passwordFits,
            let account = try await users.account(id: candidate.userID, organisation: candidate.organisationID)
        else {
            measurements.signInRefused(step: "password", reason: "wrong")
            return try await signInForm(request, context, error: catalogue.text("sign_in.failed"), status: .unauthorized)
        }
        try await throttle.succeeded(.password, email: submitted.email, address: context.clientAddress)
        let step = SignInProgress.next(
            mustChangePassword: account.mustChangePassword, requiresSecondFactor: account.actor.requiresSecondFactor,
            secondFactorEnrolled: account.totpConfirmed, secondFactorGiven: false)
        // A new session id at every sign-in; an old cookie of this browser is replaced.
        let token = try await sessions.create(userID: account.id, organisation: account.organisationID, stage: step == .done ? .complete : .password)
        var response = Response.redirect(to: Self.path(for: step), type: .normal)
        response.setCookie(Forms.strictCookie(name: SessionCookie.name, value: token.value))
        return response
    }

    private func codeForm(_ request: Request, _ context: AppRequestContext, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard case .pending(let account, let session) = context.identity, account.totpConfirmed, !account.mustChangePassword else {
            return .redirect(to: context.identity.actor == nil ? "/sign-in" : "/account", type: .normal)
        }
        return renderer.page(
            "sign-in-code", titleKey: "sign_in.code_title", values: ["csrf": session.record.csrfToken, "error": error as Any],
            request: request, identity: context.identity, status: status)
    }

    private func code(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard case .pending(let account, let session) = context.identity, account.totpConfirmed, let secret = try seeds.secret(of: account) else {
            return .redirect(to: "/sign-in", type: .normal)
        }
        let form = try await Forms.submitted(CodeForm.self, from: request, session: session)
        let catalogue = renderer.catalogue(for: request)
        switch try await throttle.admit(.code, email: account.email, address: nil) {
        case .locked:
            measurements.signInRefused(step: "code", reason: "locked")
            return try await codeForm(request, context, error: catalogue.text("sign_in.locked"), status: .tooManyRequests)
        case .slowDown(let delay):
            try await Task.sleep(for: delay)
        case .allowed:
            break
        }
        let accepted: Bool
        if let step = SecondFactor.matchingStep(code: form.code, secret: secret) {
            accepted = try await users.acceptTOTPStep(id: account.id, organisation: account.organisationID, step: step, confirmingEnrolment: false)
        } else {
            let recovery = SecretToken(value: form.code.trimmingCharacters(in: .whitespaces).lowercased())
            accepted = try await users.useRecoveryCode(id: account.id, organisation: account.organisationID, code: recovery)
        }
        guard accepted else {
            measurements.signInRefused(step: "code", reason: "wrong")
            return try await codeForm(request, context, error: catalogue.text("sign_in.code_failed"), status: .unauthorized)
        }
        try await throttle.succeeded(.code, email: account.email)
        try await seeds.sealIfPlain(account)
        let token = try await sessions.advance(session.token, organisation: account.organisationID, to: .complete)
        var response = Response.redirect(to: "/account", type: .normal)
        response.setCookie(Forms.strictCookie(name: SessionCookie.name, value: token.value))
        return response
    }

    private struct SignOutForm: AntiForgeryForm {
        let csrf_token: String
    }

    private func signOut(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        var response = Response.redirect(to: "/", type: .normal)
        guard let session = context.identity.session else { return response }
        let form = try await Forms.submitted(SignOutForm.self, from: request, session: session)
        try await sessions.end(session.token, organisation: session.record.organisationID)
        response.setCookie(Forms.strictCookie(name: SessionCookie.name, value: "", maxAge: 0))
        return response
    }

    static func path(for step: SignInStep) -> String {
        switch step {
        case .choosePassword: "/account/password"
        case .enrolSecondFactor: "/account/second-factor"
        case .enterCode: "/sign-in/code"
        case .done: "/account"
        }
    }
}
