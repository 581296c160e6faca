import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// An organisation's webhook subscriptions, their deliveries and the delivery log, as its org-admins manage them. Row-
/// level security keeps each organisation to its own. Signing secrets are sealed under a key from the key file and
/// shown once, when made.
public struct WebhookStore: Sendable {
    /// How long a rotated-out secret still signs, so a receiver can switch over.
    public static let rotationOverlap: Duration = .seconds(24 * 3600)

    let client: PostgresClient
    let secrets: SecretSeal
    let policy: WebhookEndpointPolicy
    let logger: Logger

    public init(client: PostgresClient, keys: KeyRing, policy: WebhookEndpointPolicy, logger: Logger) {
        self.client = client
        self.secrets = SecretSeal(keys: keys, purpose: Self.secretPurpose)
        self.policy = policy
        self.logger = logger
    }

    static let secretPurpose = "webhook-secret"
    static let columns = """
        id, organisation_id, url, description, event_types, status, disabled_reason, failing_since, previous_secret_until, created_at
        """

    /// Subscribes the actor's organisation; returns the subscription and its secret, which is never shown again.
    public func create(_ new: NewWebhookSubscription, by actor: Actor) async throws -> (subscription: WebhookSubscription, secret: String) {
        if let problem = policy.problem(with: new.url) { throw WebhookError.invalidURL(problem) }
        guard new.description.count <= 500 else { throw WebhookError.invalidDescription }
        let id = UUID()
        let secret = WebhookSignature.newSecret()
        let sealed = try secrets.seal(secret, owner: id)
        let subscription = try await transaction(actor) { connection in
            try await connection.query(
                """
                INSERT INTO webhook_subscriptions (id, organisation_id, url, description, event_types, secret_sealed, created_by)
                VALUES (\(id), \(actor.organisationID), \(new.url), \(new.description), \(Set(new.eventTypes).map(\.rawValue).sorted()),
                    \(sealed), \(actor.userID))
                RETURNING \(unescaped: Self.columns)
                """, logger: logger
            ).collect().first.map(Self.subscription)
        }
        guard let subscription else { throw WebhookError.notFound }
        return (subscription, secret)
    }

    public func subscriptions(actingFor actor: Actor) async throws -> [WebhookSubscription] {
        try await transaction(actor) { connection in
            try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM webhook_subscriptions ORDER BY created_at", logger: logger
            ).collect().map(Self.subscription)
        }
    }

    public func subscription(_ id: UUID, actingFor actor: Actor) async throws -> WebhookSubscription {
        try await transaction(actor) { connection in try await Self.fetch(id, on: connection, logger: logger) }
    }

    /// Pauses (deliveries wait) or resumes (also a disabled subscription, once its receiver is fixed).
    public func setPaused(_ paused: Bool, _ id: UUID, by actor: Actor) async throws -> WebhookSubscription {
        try await transaction(actor) { connection in
            let rows = try await connection.query(
                """
                UPDATE webhook_subscriptions
                SET status = \(paused ? "paused" : "active"), disabled_reason = NULL, failing_since = NULL, updated_at = koppel_now()
                WHERE id = \(id) RETURNING \(unescaped: Self.columns)
                """, logger: logger
            ).collect()
            guard let row = rows.first else { throw WebhookError.notFound }
            return try Self.subscription(row)
        }
    }

    /// Deletes a subscription and every delivery of it: nothing more is sent from now on.
    public func delete(_ id: UUID, by actor: Actor) async throws {
        try await transaction(actor) { connection in
            let deleted = try await connection.query("DELETE FROM webhook_subscriptions WHERE id = \(id) RETURNING 1", logger: logger).collect()
            if deleted.isEmpty { throw WebhookError.notFound }
        }
    }

    /// A new secret; the old one goes on signing for `rotationOverlap`, so deliveries carry both signatures meanwhile.
    public func rotateSecret(_ id: UUID, by actor: Actor) async throws -> (subscription: WebhookSubscription, secret: String) {
        let secret = WebhookSignature.newSecret()
        let sealed = try secrets.seal(secret, owner: id)
        let overlap = Int(Self.rotationOverlap.components.seconds)
        let subscription = try await transaction(actor) { connection in
            let rows = try await connection.query(
                """
                UPDATE webhook_subscriptions
                SET previous_secret_sealed = secret_sealed, previous_secret_until = koppel_now() + \(overlap) * interval '1 second',
                    secret_sealed = \(sealed), updated_at = koppel_now()
                WHERE id = \(id) RETURNING \(unescaped: Self.columns)
                """, logger: logger
            ).collect()
            guard let row = rows.first else { throw WebhookError.notFound }
            return try Self.subscription(row)
        }
        return (subscription, secret)
    }

    /// Queues a `ping` for the subscription, to try the receiver; returns its message id.
    public func ping(_ id: UUID, by actor: Actor) async throws -> String {
        let message = "msg_ping_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await transaction(actor) { connection in
            _ = try await Self.fetch(id, on: connection, logger: logger)
            try await connection.query(
                """
                INSERT INTO webhook_deliveries (message_id, subscription_id, organisation_id, event_type, body, next_attempt_at)
                VALUES (\(message), \(id), \(actor.organisationID), 'ping',
                    delivery.event_body('ping', koppel_now(), jsonb_build_object('subscription_id', \(id))), koppel_now())
                """, logger: logger)
        }
        return message
    }

    /// The subscription's latest deliveries (at most 100), optionally only those in one state (`dead`: the dead letters).
    public func deliveries(of id: UUID, state: WebhookDelivery.State?, actingFor actor: Actor) async throws -> [WebhookDelivery] {
        try await transaction(actor) { connection in
            _ = try await Self.fetch(id, on: connection, logger: logger)
            return try await connection.query(
                """
                SELECT id, message_id, event_type, subject_id, state, attempts, next_attempt_at, created_at, delivered_at
                FROM webhook_deliveries WHERE subscription_id = \(id) AND (\(state?.rawValue)::text IS NULL OR state = \(state?.rawValue))
                ORDER BY id DESC LIMIT 100
                """, logger: logger
            ).collect().map { row in
                let (deliveryID, message, type, subject, state, attempts, next, created, delivered) =
                    try row.decode((Int64, String, String, UUID?, String, Int, Date, Date, Date?).self)
                return WebhookDelivery(
                    id: deliveryID, messageID: message, eventType: type, subjectID: subject, state: .init(rawValue: state) ?? .pending,
                    attempts: attempts, nextAttemptAt: next, createdAt: created, deliveredAt: delivered)
            }
        }
    }

    /// Sends a dead delivery again, from the start of the schedule, as the same message.
    public func replay(_ deliveryID: Int64, of id: UUID, by actor: Actor) async throws {
        try await transaction(actor) { connection in
            let rows = try await connection.query(
                """
                UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = koppel_now()
                WHERE id = \(deliveryID) AND subscription_id = \(id) AND state = 'dead' RETURNING 1
                """, logger: logger
            ).collect()
            if rows.isEmpty { throw WebhookError.deliveryNotFound }
        }
    }

    /// The subscription's latest tries (at most 200), newest first.
    public func attempts(of id: UUID, actingFor actor: Actor) async throws -> [WebhookAttempt] {
        try await transaction(actor) { connection in
            _ = try await Self.fetch(id, on: connection, logger: logger)
            return try await connection.query(
                """
                SELECT delivery_id, attempted_at, http_status, latency_ms, error_class, response_excerpt
                FROM webhook_attempts WHERE subscription_id = \(id) ORDER BY attempted_at DESC, id DESC LIMIT 200
                """, logger: logger
            ).collect().map { row in
                let (delivery, at, status, latency, error, excerpt) = try row.decode((Int64, Date, Int?, Int, String?, String?).self)
                return WebhookAttempt(
                    deliveryID: delivery, attemptedAt: at, httpStatus: status, latencyMilliseconds: latency, errorClass: error,
                    responseExcerpt: excerpt)
            }
        }
    }

    // MARK: -

    static func fetch(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> WebhookSubscription {
        let rows = try await connection.query(
            "SELECT \(unescaped: Self.columns) FROM webhook_subscriptions WHERE id = \(id)", logger: logger
        ).collect()
        guard let row = rows.first else { throw WebhookError.notFound }
        return try subscription(row)
    }

    static func subscription(_ row: PostgresRow) throws -> WebhookSubscription {
        let (id, organisation, url, description, types, status, reason, failing, until, created) =
            try row.decode((UUID, UUID, String, String, [String], String, String?, Date?, Date?, Date).self)
        return WebhookSubscription(
            id: id, organisationID: organisation, url: url, description: description, eventTypes: types.compactMap(WebhookEventType.init(rawValue:)),
            status: .init(rawValue: status) ?? .disabled, disabledReason: reason, failingSince: failing, previousSecretUntil: until,
            createdAt: created)
    }

    private func transaction<T: Sendable>(_ actor: Actor, _ body: (PostgresConnection) async throws -> sending T) async throws -> sending T {
        try await client.withTenantTransaction(organisation: actor.organisationID, user: actor.userID, logger: logger, body)
    }
}
