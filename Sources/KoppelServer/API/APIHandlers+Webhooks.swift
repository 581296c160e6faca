import Foundation
import HTTPTypes
import KoppelAPI
import KoppelCore
import KoppelStore

/// An organisation's webhook subscriptions, their deliveries and the delivery log, for its org-admins.
extension APIHandlers {
    func listWebhookSubscriptions(_ input: Operations.ListWebhookSubscriptions.Input) async throws -> Operations.ListWebhookSubscriptions.Output {
        let actor = try webhookAdmin(input.path.organisationId)
        return .ok(.init(body: .json(try await webhooks.subscriptions(actingFor: actor).map(Self.subscription))))
    }

    func createWebhookSubscription(_ input: Operations.CreateWebhookSubscription.Input) async throws -> Operations.CreateWebhookSubscription.Output {
        guard case .json(let body) = input.body else { throw Problem(status: .unsupportedMediaType, detail: "Send the subscription as JSON.") }
        let actor = try webhookAdmin(input.path.organisationId)
        let new = NewWebhookSubscription(
            url: body.url, description: body.description ?? "", eventTypes: (body.eventTypes ?? []).compactMap { WebhookEventType(rawValue: $0.rawValue) })
        let (subscription, secret) = try await webhookOutcome { try await webhooks.create(new, by: actor) }
        return .created(.init(body: .json(.init(subscription: Self.subscription(subscription), secret: secret))))
    }

    func getWebhookSubscription(_ input: Operations.GetWebhookSubscription.Input) async throws -> Operations.GetWebhookSubscription.Output {
        let actor = try webhookAdmin(input.path.organisationId)
        let id = try uuid(input.path.subscriptionId, "subscription id")
        return .ok(.init(body: .json(Self.subscription(try await webhookOutcome { try await webhooks.subscription(id, actingFor: actor) }))))
    }

    func deleteWebhookSubscription(_ input: Operations.DeleteWebhookSubscription.Input) async throws -> Operations.DeleteWebhookSubscription.Output {
        let actor = try webhookAdmin(input.path.organisationId)
        let id = try uuid(input.path.subscriptionId, "subscription id")
        try await webhookOutcome { try await webhooks.delete(id, by: actor) }
        return .noContent(.init())
    }

    func changeWebhookSubscription(_ input: Operations.ChangeWebhookSubscription.Input) async throws -> Operations.ChangeWebhookSubscription.Output {
        let actor = try webhookAdmin(input.path.organisationId)
        let id = try uuid(input.path.subscriptionId, "subscription id")
        var secret: String?
        var message: String?
        let subscription = try await webhookOutcome { () -> WebhookSubscription in
            switch input.path.change.rawValue {
            case "pause": return try await webhooks.setPaused(true, id, by: actor)
            case "resume": return try await webhooks.setPaused(false, id, by: actor)
            case "rotate-secret":
                let rotated = try await webhooks.rotateSecret(id, by: actor)
                secret = rotated.secret
                return rotated.subscription
            default:
                message = try await webhooks.ping(id, by: actor)
                return try await webhooks.subscription(id, actingFor: actor)
            }
        }
        return .ok(.init(body: .json(.init(subscription: Self.subscription(subscription), secret: secret, messageId: message))))
    }

    func listWebhookDeliveries(_ input: Operations.ListWebhookDeliveries.Input) async throws -> Operations.ListWebhookDeliveries.Output {
        let actor = try webhookAdmin(input.path.organisationId)
        let id = try uuid(input.path.subscriptionId, "subscription id")
        let state = input.query.state.flatMap { WebhookDelivery.State(rawValue: $0.rawValue) }
        let deliveries = try await webhookOutcome { try await webhooks.deliveries(of: id, state: state, actingFor: actor) }
        return .ok(.init(body: .json(deliveries.map {
            .init(
                id: $0.id, messageId: $0.messageID, eventType: $0.eventType, subjectId: $0.subjectID?.uuidString.lowercased(),
                state: .init(rawValue: $0.state.rawValue) ?? .pending, attempts: $0.attempts, nextAttemptAt: $0.nextAttemptAt,
                createdAt: $0.createdAt, deliveredAt: $0.deliveredAt)
        })))
    }

    func replayWebhookDelivery(_ input: Operations.ReplayWebhookDelivery.Input) async throws -> Operations.ReplayWebhookDelivery.Output {
        let actor = try webhookAdmin(input.path.organisationId)
        let id = try uuid(input.path.subscriptionId, "subscription id")
        try await webhookOutcome { try await webhooks.replay(input.path.deliveryId, of: id, by: actor) }
        return .accepted(.init())
    }

    func listWebhookAttempts(_ input: Operations.ListWebhookAttempts.Input) async throws -> Operations.ListWebhookAttempts.Output {
        let actor = try webhookAdmin(input.path.organisationId)
        let id = try uuid(input.path.subscriptionId, "subscription id")
        let attempts = try await webhookOutcome { try await webhooks.attempts(of: id, actingFor: actor) }
        return .ok(.init(body: .json(attempts.map {
            .init(
                deliveryId: $0.deliveryID, attemptedAt: $0.attemptedAt, httpStatus: $0.httpStatus, latencyMs: $0.latencyMilliseconds,
                errorClass: $0.errorClass, responseExcerpt: $0.responseExcerpt)
        })))
    }

    // MARK: -

    /// The actor, when they administer the organisation in the path.
    private func webhookAdmin(_ organisation: String) throws -> Actor {
        let id = try uuid(organisation, "organisation id")
        guard let actor = try authorize(.manageWebhooks(organisation: id)) else { throw Problem.denied(.notSignedIn) }
        return actor
    }

    private func webhookOutcome<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as WebhookError {
            throw Self.problem(for: error)
        }
    }

    static func problem(for error: WebhookError) -> Problem {
        switch error {
        case .invalidURL(let reason): Problem(status: .unprocessableContent, detail: reason)
        case .invalidDescription: Problem(status: .unprocessableContent, detail: "description may have at most 500 characters.")
        case .notFound: Problem(status: .notFound, detail: "Your organisation has no webhook subscription with this id.")
        case .deliveryNotFound: Problem(status: .notFound, detail: "The subscription has no dead delivery with this id; only dead ones can be sent again.")
        }
    }

    static func subscription(_ subscription: WebhookSubscription) -> Components.Schemas.WebhookSubscription {
        .init(
            id: subscription.id.uuidString.lowercased(), organisationId: subscription.organisationID.uuidString.lowercased(), url: subscription.url,
            description: subscription.description, eventTypes: subscription.eventTypes.compactMap { .init(rawValue: $0.rawValue) },
            status: .init(rawValue: subscription.status.rawValue) ?? .disabled, disabledReason: subscription.disabledReason.flatMap { .init(rawValue: $0) },
            failingSince: subscription.failingSince, previousSecretUntil: subscription.previousSecretUntil, createdAt: subscription.createdAt)
    }
}
