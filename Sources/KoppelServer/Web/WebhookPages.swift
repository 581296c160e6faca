import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelStore

/// An org-admin's pages for the organisation's webhook subscriptions: subscribe (the secret shown once), pause,
/// resume, send a test event, rotate the secret, delete; and per subscription its deliveries, dead letters to send
/// again, and the log of tries. The same store and rules as the API.
struct WebhookPages {
    let renderer: PageRenderer
    let webhooks: WebhookStore

    static let changes = ["pause", "resume", "ping", "rotate-secret", "delete"]

    func register(on routes: RouteRegistrar) {
        routes.get("/admin/webhooks") { request, context in try await list(request, context) }
        routes.post("/admin/webhooks") { request, context in try await create(request, context) }
        routes.get("/admin/webhooks/{subscriptionId}") { request, context in try await detail(request, context) }
        routes.post("/admin/webhooks/{subscriptionId}/deliveries/{deliveryId}/replay") { request, context in try await replay(request, context) }
        routes.post("/admin/webhooks/{subscriptionId}/{change}") { request, context in try await change(request, context) }
    }

    private func list(
        _ request: Request, _ context: AppRequestContext, notice: [String: Any] = [:], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let (actor, session) = try Self.admin(context) else {
            return .redirect(to: "/sign-in", type: .normal)
        }
        let catalogue = renderer.catalogue(for: request)
        let subscriptions = try await webhooks.subscriptions(actingFor: actor).map { subscription -> [String: Any] in
            [
                "id": subscription.id.uuidString.lowercased(), "url": subscription.url, "description": subscription.description,
                "types": subscription.eventTypes.isEmpty ? catalogue.text("webhooks.all_types") : subscription.eventTypes.map(\.rawValue).joined(separator: ", "),
                "status": Self.statusText(subscription, catalogue), "active": subscription.status == .active,
            ]
        }
        let types = WebhookEventType.subscribable.map { ["value": $0.rawValue, "id": "type-" + $0.rawValue.replacingOccurrences(of: ".", with: "-")] }
        var values: [String: Any] = ["csrf": session.record.csrfToken, "subscriptions": subscriptions, "types": types]
        values.merge(notice) { $1 }
        return renderer.page("admin-webhooks", titleKey: "webhooks.title", values: values, request: request, identity: context.identity, status: status)
    }

    private struct NewSubscriptionForm: AntiForgeryForm {
        let url: String
        let description: String?
        let type: [String]?
        let csrf_token: String
    }

    private func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let form = try await Forms.submitted(NewSubscriptionForm.self, from: request, session: context.identity.session)
        guard let (actor, _) = try Self.admin(context) else {
            return .redirect(to: "/sign-in", type: .normal)
        }
        let catalogue = renderer.catalogue(for: request)
        let types = form.type ?? []
        let known = types.compactMap(WebhookEventType.init(rawValue:)).filter { $0 != .ping }
        guard known.count == types.count else {
            return try await list(request, context, notice: ["error": catalogue.text("webhooks.error.types")], status: .unprocessableContent)
        }
        let new = NewWebhookSubscription(url: form.url.trimmingCharacters(in: .whitespaces), description: form.description ?? "", eventTypes: known)
        do {
            let (_, secret) = try await webhooks.create(new, by: actor)
            return try await list(request, context, notice: ["secret": secret])
        } catch let error as WebhookError {
            return try await list(request, context, notice: ["error": Self.errorText(error, catalogue)], status: .unprocessableContent)
        }
    }

    private struct CSRFForm: AntiForgeryForm {
        let csrf_token: String
    }

    private func change(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        _ = try await Forms.submitted(CSRFForm.self, from: request, session: context.identity.session)
        guard let (actor, _) = try Self.admin(context) else {
            return .redirect(to: "/sign-in", type: .normal)
        }
        guard let id = context.parameters.get("subscriptionId").flatMap(UUID.init(uuidString:)), let change = context.parameters.get("change"),
            Self.changes.contains(change)
        else { throw Problem(status: .notFound, detail: "No such page.") }
        let catalogue = renderer.catalogue(for: request)
        do {
            switch change {
            case "pause": _ = try await webhooks.setPaused(true, id, by: actor)
            case "resume": _ = try await webhooks.setPaused(false, id, by: actor)
            case "ping": _ = try await webhooks.ping(id, by: actor)
            case "rotate-secret": return try await list(request, context, notice: ["secret": try await webhooks.rotateSecret(id, by: actor).secret])
            default: try await webhooks.delete(id, by: actor)
            }
        } catch let error as WebhookError {
            return try await list(request, context, notice: ["error": Self.errorText(error, catalogue)], status: .notFound)
        }
        return .redirect(to: change == "ping" ? "/admin/webhooks/\(id.uuidString.lowercased())" : "/admin/webhooks", type: .normal)
    }

    private func detail(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let (actor, session) = try Self.admin(context) else {
            return .redirect(to: "/sign-in", type: .normal)
        }
        guard let id = context.parameters.get("subscriptionId").flatMap(UUID.init(uuidString:)) else { throw Problem(status: .notFound, detail: "No such page.") }
        let catalogue = renderer.catalogue(for: request)
        let format = Date.FormatStyle(date: .numeric, time: .standard).locale(Locale(identifier: catalogue.language.rawValue))
        let subscription: WebhookSubscription
        let deliveries: [WebhookDelivery]
        let attempts: [WebhookAttempt]
        do {
            subscription = try await webhooks.subscription(id, actingFor: actor)
            deliveries = try await webhooks.deliveries(of: id, state: nil, actingFor: actor)
            attempts = try await webhooks.attempts(of: id, actingFor: actor)
        } catch let error as WebhookError {
            throw Problem(status: .notFound, detail: Self.errorText(error, catalogue))
        }
        let values: [String: Any] = [
            "csrf": session.record.csrfToken, "subscription": id.uuidString.lowercased(), "url": subscription.url,
            "status": Self.statusText(subscription, catalogue),
            "deliveries": deliveries.map { delivery -> [String: Any] in
                [
                    "delivery": String(delivery.id), "message": delivery.messageID, "type": delivery.eventType,
                    "state": catalogue.text("webhooks.delivery.\(delivery.state.rawValue)"), "dead": delivery.state == .dead,
                    "attempts": String(delivery.attempts), "created": delivery.createdAt.formatted(format),
                ]
            },
            "attempts": attempts.map { attempt -> [String: Any] in
                [
                    "at": attempt.attemptedAt.formatted(format), "delivery": String(attempt.deliveryID),
                    "result": attempt.httpStatus.map { "HTTP \($0)" } ?? catalogue.text("webhooks.error_class.\(attempt.errorClass ?? "connection")"),
                    "latency": String(attempt.latencyMilliseconds),
                ]
            },
        ]
        return renderer.page("admin-webhook", titleKey: "webhooks.detail.title", values: values, request: request, identity: context.identity)
    }

    private func replay(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        _ = try await Forms.submitted(CSRFForm.self, from: request, session: context.identity.session)
        guard let (actor, _) = try Self.admin(context) else {
            return .redirect(to: "/sign-in", type: .normal)
        }
        guard let id = context.parameters.get("subscriptionId").flatMap(UUID.init(uuidString:)),
            let delivery = context.parameters.get("deliveryId").flatMap(Int64.init), delivery > 0
        else { throw Problem(status: .notFound, detail: "No such page.") }
        do {
            try await webhooks.replay(delivery, of: id, by: actor)
        } catch let error as WebhookError {
            throw Problem(status: .notFound, detail: Self.errorText(error, renderer.catalogue(for: request)))
        }
        return .redirect(to: "/admin/webhooks/\(id.uuidString.lowercased())", type: .normal)
    }

    /// The signed-in org-admin and their session, for their own organisation's webhooks; nil when nobody is signed in.
    private static func admin(_ context: AppRequestContext) throws -> (Actor, SessionCookie)? {
        try context.pageAccess { .manageWebhooks(organisation: $0.organisationID) }
    }

    private static func statusText(_ subscription: WebhookSubscription, _ catalogue: Catalogue) -> String {
        let status = catalogue.text("webhooks.status.\(subscription.status.rawValue)")
        guard let reason = subscription.disabledReason else { return status }
        return "\(status): \(catalogue.text("webhooks.disabled.\(reason)"))"
    }

    private static func errorText(_ error: WebhookError, _ catalogue: Catalogue) -> String {
        switch error {
        case .invalidURL: catalogue.text("webhooks.error.url")
        case .invalidDescription: catalogue.text("webhooks.error.description")
        case .notFound: catalogue.text("webhooks.error.not_found")
        case .deliveryNotFound: catalogue.text("webhooks.error.delivery")
        }
    }
}
