import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelStore
import KoppelUseCases

/// One referral: what it asks, where it stands, its timeline, and a form for each step the reader may take.
struct ReferralDetailPage {
    let renderer: PageRenderer
    let referrals: ReferralStore
    let directory: any ProgrammeDirectory
    let privacy: Privacy
    let useCases: UseCases

    func register(on routes: RouteRegistrar) {
        routes.get("/referrals/{referralId}") { request, context in try await detail(request, context) }
        routes.post("/referrals/{referralId}/steps") { request, context in try await step(request, context) }
        routes.post("/referrals/{referralId}/reveal") { request, context in try await reveal(request, context) }
        routes.post("/referrals/{referralId}/messages") { request, context in try await post(request, context) }
    }

    func referral(_ context: AppRequestContext) async throws -> (Actor, SessionCookie, Referral)? {
        guard let (actor, session) = try context.pageAccess({ _ in .listReferrals }) else { return nil }
        guard let id = context.parameters.get("referralId").flatMap(UUID.init(uuidString:)) else { throw ReferralError.notFound.failure }
        return (actor, session, try await useCases.readReferrals.one(id, by: actor))
    }

    /// The page; `client` holds what a reveal or a message post adds to the client's part of it.
    func detail(
        _ request: Request, _ context: AppRequestContext, error: String? = nil, client: [String: Any] = [:], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let (actor, session, referral) = try await referral(context) else { return .redirect(to: "/sign-in", type: .normal) }
        let labels = ReferralLabels(catalogue: renderer.catalogue(for: request))
        let history = try await referrals.history(of: referral.id, actingFor: actor)
        let others = try await directory.listedProgrammes().filter { $0.id != referral.programme.id && $0.status == .open }
        var values = labels.row(referral)
        values["csrf"] = session.record.csrfToken
        values["error"] = error as Any
        values["needs"] = referral.needs.map { labels.text($0.catalogueKey) }.joined(separator: ", ")
        values["timeline"] = history.map(labels.event)
        let panel = try await clientPanel(referral, actor: actor, labels: PrivacyLabels(catalogue: labels.catalogue))
        values.merge(panel.merging(client) { $1 }) { $1 }
        values["actions"] = referral.actions(for: actor).map { action -> [String: Any] in
            [
                "action": action.rawValue, "label": labels.text(action.catalogueKey),
                "reasons": labels.options(action.reasons, selected: []), "hasReasons": !action.reasons.isEmpty,
                "isForward": action == .forward,
                "programmes": others.map { ["value": $0.id.uuidString.lowercased(), "label": $0.name] },
                "overrideReasons": labels.options(EligibilityOverrideReason.allCases, selected: []),
            ]
        }
        return renderer.page("referral", title: labels.text("referral.detail.title", ["programme": referral.programme.name]),
                             values: values, request: request, identity: context.identity, status: status)
    }

    private struct StepForm: AntiForgeryForm {
        let action: String
        let reason: String?
        let target_programme: String?
        let override_reason: String?
        let csrf_token: String
    }

    private func step(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await Forms.submitted(StepForm.self, from: request, session: context.identity.session)
        guard let (actor, _, referral) = try await referral(context) else { return .redirect(to: "/sign-in", type: .normal) }
        let labels = ReferralLabels(catalogue: renderer.catalogue(for: request))
        guard let action = ReferralAction(rawValue: form.action) else { throw Problem(status: .badRequest, detail: "Unknown step.") }
        let step = ReferralStepRequest(
            action: action, reason: form.reason.flatMap(ReferralReason.init(rawValue:)),
            targetProgrammeID: form.target_programme.flatMap(UUID.init(uuidString:)),
            overrideReason: form.override_reason.flatMap(EligibilityOverrideReason.init(rawValue:)))
        do {
            _ = try await useCases.takeReferralStep.run(referral.id, step, by: actor)
            return .redirect(to: "/referrals/\(referral.id.uuidString.lowercased())", type: .normal)
        } catch let failure as Failure {
            return try await detail(request, context, error: labels.catalogue.message(failure), status: HTTPResponse.Status(failure.kind))
        }
    }
}
