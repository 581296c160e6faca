import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelStore

/// The client's part of a referral page: a reveal with a stated purpose, and the thread between the referring
/// organisation and the programme. Whether either is offered, and what it shows, is `Privacy`'s to decide.
extension ReferralDetailPage {
    func clientPanel(_ referral: Referral, actor: Actor, labels: PrivacyLabels) async throws -> [String: Any] {
        let id = referral.id.uuidString.lowercased()
        var values: [String: Any] = [:]
        if AccessPolicy.decide(actor, .manageClient(organisation: referral.referringOrganisation.id)).isAllowed {
            values["clientPage"] = "/clients/\(referral.clientID.uuidString.lowercased())"
        }
        let route = ClientRoute.referral(referral.scope, state: referral.state)
        guard Disclosure.mayAsk(actor, through: route) else {
            values["clientClosed"] = labels.text("privacy.denial.referral_closed", ["state": labels.text(referral.state.catalogueKey)])
            return values
        }
        values["revealAction"] = "/referrals/\(id)/reveal"
        values["revealPurposes"] = labels.revealPurposes
        do {
            let times = ReferralLabels(catalogue: labels.catalogue)
            let thread = try await privacy.messages(of: referral.id, by: actor)
            values["thread"] = [
                "messages": thread.map { item -> [String: Any] in
                    [
                        "organisation": item.organisation.name, "text": item.message.text, "mine": item.organisation.id == actor.organisationID,
                        "when": times.time(item.message.postedAt), "isoWhen": item.message.postedAt.formatted(.iso8601),
                    ]
                },
                "action": "/referrals/\(id)/messages",
            ]
        } catch let error as PrivacyError {
            values["threadUnavailable"] = labels.problem(error).1
        }
        return values
    }

    private struct RevealForm: AntiForgeryForm {
        let purpose: String?
        let csrf_token: String
    }

    func reveal(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await Forms.submitted(RevealForm.self, from: request, session: context.identity.session)
        guard let (actor, _, referral) = try await referral(context) else { return .redirect(to: "/sign-in", type: .normal) }
        let labels = PrivacyLabels(catalogue: renderer.catalogue(for: request))
        guard let purpose = form.purpose.flatMap(ConsentPurpose.init(rawValue:)) else {
            return try await detail(
                request, context, client: ["revealError": labels.reason(.notARevealPurpose)], status: .unprocessableContent)
        }
        do {
            let (_, values) = try await privacy.reveal(referral.clientID, purpose: purpose, through: referral.id, by: actor)
            return try await detail(request, context, client: ["revealed": labels.revealed(values, purpose: purpose)])
        } catch let error as PrivacyError {
            let (status, message) = labels.problem(error)
            return try await detail(request, context, client: ["revealError": message], status: status)
        }
    }

    private struct MessageForm: AntiForgeryForm {
        let text: String?
        let csrf_token: String
    }

    func post(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await Forms.submitted(MessageForm.self, from: request, session: context.identity.session)
        guard let (actor, _, referral) = try await referral(context) else { return .redirect(to: "/sign-in", type: .normal) }
        do {
            try await privacy.post(form.text ?? "", on: referral.id, by: actor)
            return .redirect(to: "/referrals/\(referral.id.uuidString.lowercased())#messages", type: .normal)
        } catch let error as PrivacyError {
            // The text typed stays in the form, so nothing written is lost.
            let labels = PrivacyLabels(catalogue: renderer.catalogue(for: request))
            var (status, message) = labels.problem(error)
            if case .invalid = error { message = labels.text("privacy.messages.invalid") }
            return try await detail(request, context, client: ["messageError": message, "draft": form.text ?? ""], status: status)
        }
    }
}
