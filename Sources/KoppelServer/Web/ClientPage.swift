import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelStore

/// A client of the reader's organisation: their consents (to withdraw), their referrals, a reveal with a stated
/// purpose, the GDPR export and, for an organisation's administrator, erasure. Everything goes through `Privacy`.
struct ClientPage {
    let renderer: PageRenderer
    let privacy: Privacy
    let directory: any ProgrammeDirectory

    func register(on routes: RouteRegistrar) {
        routes.get("/clients/{clientId}") { request, context in try await show(request, context) }
        routes.post("/clients/{clientId}/reveal") { request, context in try await reveal(request, context) }
        routes.post("/clients/{clientId}/consents/{consentId}/withdraw") { request, context in try await withdraw(request, context) }
        routes.post("/clients/{clientId}/export") { request, context in try await export(request, context) }
        routes.post("/clients/{clientId}/erase") { request, context in try await erase(request, context) }
    }

    /// The signed-in reader, if the policy lets them act on their own organisation's clients at all, and the
    /// client the path names. Whether that client is theirs is `Privacy`'s to find out.
    private func access(
        _ context: AppRequestContext, _ action: (UUID) -> Action = { .manageClient(organisation: $0) }
    ) throws -> (Actor, SessionCookie, UUID)? {
        guard let (actor, session) = try context.pageAccess({ action($0.organisationID) }) else { return nil }
        guard let id = context.parameters.get("clientId").flatMap(UUID.init(uuidString:)) else { throw PrivacyProblems.problem(for: .notFound) }
        return (actor, session, id)
    }

    private func show(
        _ request: Request, _ context: AppRequestContext, extra: [String: Any] = [:], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let (actor, session, id) = try access(context) else { return .redirect(to: "/sign-in", type: .normal) }
        let overview = try await outcome { try await privacy.overview(id, by: actor) }
        let catalogue = renderer.catalogue(for: request)
        let labels = PrivacyLabels(catalogue: catalogue)
        let referralLabels = ReferralLabels(catalogue: catalogue)
        let programmes = try await directory.listedProgrammes()
        var names = try await privacy.referrals.organisationNames(PrivacyLabels.actors(of: overview.consents))
        for programme in programmes { names[programme.id] = programme.name }
        let path = "/clients/\(id.uuidString.lowercased())"
        var values: [String: Any] = [
            "id": id.uuidString.lowercased(), "clientPath": path, "csrf": session.record.csrfToken,
            "registered": referralLabels.time(overview.client.registeredAt),
            "consents": overview.consents.map { consent -> [String: Any] in
                var row = labels.consent(consent, today: overview.today, names: names)
                row["withdrawAction"] = "\(path)/consents/\(consent.id.uuidString.lowercased())/withdraw"
                return row
            },
            "referrals": overview.referrals.map(referralLabels.row),
        ]
        if overview.client.erasedAt != nil {
            values["erased"] = true
        } else {
            values["revealAction"] = "\(path)/reveal"
            values["revealPurposes"] = labels.revealPurposes
            values["canErase"] = AccessPolicy.decide(actor, .eraseClient(organisation: overview.client.organisation)).isAllowed
        }
        if let count = request.uri.queryParameters["withdrawn"].flatMap({ Int($0) }) {
            values["notice"] = labels.text("privacy.consent.withdrawn", ["count": "\(count)"])
        }
        values.merge(extra) { $1 }
        return renderer.page("client", titleKey: "privacy.client.title", values: values, request: request, identity: context.identity, status: status)
    }

    private struct PlainForm: AntiForgeryForm {
        let purpose: String?
        let confirm: String?
        let csrf_token: String
    }

    private func reveal(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await Forms.submitted(PlainForm.self, from: request, session: context.identity.session)
        guard let (actor, _, id) = try access(context) else { return .redirect(to: "/sign-in", type: .normal) }
        let labels = PrivacyLabels(catalogue: renderer.catalogue(for: request))
        guard let purpose = form.purpose.flatMap(ConsentPurpose.init(rawValue:)) else {
            return try await show(request, context, extra: ["revealError": labels.reason(.notARevealPurpose)], status: .unprocessableContent)
        }
        do {
            let (_, values) = try await privacy.reveal(id, purpose: purpose, through: nil, by: actor)
            return try await show(request, context, extra: ["revealed": labels.revealed(values, purpose: purpose)])
        } catch let error as PrivacyError {
            let (status, message) = labels.problem(error)
            return try await show(request, context, extra: ["revealError": message], status: status)
        }
    }

    private func withdraw(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        _ = try await Forms.submitted(PlainForm.self, from: request, session: context.identity.session)
        guard let (actor, _, id) = try access(context) else { return .redirect(to: "/sign-in", type: .normal) }
        guard let consentID = context.parameters.get("consentId").flatMap(UUID.init(uuidString:)) else {
            throw PrivacyProblems.problem(for: .consentNotFound)
        }
        do {
            let withdrawn = try await privacy.withdrawConsent(consentID, of: id, by: actor)
            return .redirect(to: "/clients/\(id.uuidString.lowercased())?withdrawn=\(withdrawn.count)", type: .normal)
        } catch let error as PrivacyError {
            let (status, message) = PrivacyLabels(catalogue: renderer.catalogue(for: request)).problem(error)
            return try await show(request, context, extra: ["error": message], status: status)
        }
    }

    /// Everything Koppel holds on the client, as a JSON file to save (GDPR Art. 15); never kept by a cache.
    private func export(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        _ = try await Forms.submitted(PlainForm.self, from: request, session: context.identity.session)
        guard let (actor, _, id) = try access(context) else { return .redirect(to: "/sign-in", type: .normal) }
        let document = try ClientExportDocument.json(try await outcome { try await privacy.export(id, by: actor) })
        let headers: HTTPFields = [
            .contentType: "application/json", .cacheControl: "no-store",
            .contentDisposition: "attachment; filename=\"koppel-client-\(id.uuidString.lowercased().prefix(8)).json\"",
        ]
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: document)))
    }

    /// Erases the client's identifying data for good, once the administrator has confirmed it.
    private func erase(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await Forms.submitted(PlainForm.self, from: request, session: context.identity.session)
        guard let (actor, _, id) = try access(context, { .eraseClient(organisation: $0) }) else { return .redirect(to: "/sign-in", type: .normal) }
        let labels = PrivacyLabels(catalogue: renderer.catalogue(for: request))
        guard form.confirm == "yes" else {
            return try await show(request, context, extra: ["eraseError": labels.text("privacy.client.erase_unconfirmed")], status: .unprocessableContent)
        }
        do {
            try await privacy.erase(id, by: actor)
            return .redirect(to: "/clients/\(id.uuidString.lowercased())", type: .normal)
        } catch let error as PrivacyError {
            let (status, message) = labels.problem(error)
            return try await show(request, context, extra: ["eraseError": message], status: status)
        }
    }

    /// A client the reader may not act on is "not found", as in the API, so existence does not leak.
    private func outcome<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as PrivacyError { throw PrivacyProblems.problem(for: error) }
    }
}
