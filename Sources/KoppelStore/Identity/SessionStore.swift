import Foundation
import Logging
import PostgresNIO

/// Server-side sessions: any replica can serve any request, and ending a session ends it everywhere at once.
public struct SessionStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    /// A session unused this long ends.
    public let idleTimeout: Duration
    /// A session ends this long after sign-in, used or not.
    public let absoluteTimeout: Duration

    public init(client: PostgresClient, logger: Logger, idleTimeout: Duration, absoluteTimeout: Duration) {
        self.client = client
        self.logger = logger
        self.idleTimeout = idleTimeout
        self.absoluteTimeout = absoluteTimeout
    }

    /// Starts a session and returns the cookie value (stored only as a hash).
    public func create(userID: UUID, organisation: UUID, stage: SessionRecord.Stage) async throws -> SecretToken {
        let token = SecretToken.generate()
        let csrf = SecretToken.generate().value
        try await client.withTenantTransaction(organisation: organisation, logger: logger) { connection in
            _ = try await connection.query(
                """
                INSERT INTO sessions (token_hash, user_id, organisation_id, stage, csrf_token, expires_at)
                VALUES (\(token.hash), \(userID), \(organisation), \(stage.rawValue), \(csrf), koppel_now() + \(seconds(absoluteTimeout)) * interval '1 second')
                """, logger: logger)
        }
        return token
    }

    /// The live session for a cookie value, its last use moved to now; nil when unknown, idle too long or past
    /// its absolute end (and then it is deleted).
    public func resume(_ token: SecretToken) async throws -> SessionRecord? {
        let owner = try await client.query("SELECT user_id, organisation_id FROM auth.session(\(token.hash))", logger: logger)
            .collect().first?.decode((UUID, UUID).self)
        guard let (user, organisation) = owner else { return nil }
        return try await client.withTenantTransaction(organisation: organisation, user: user, logger: logger) { connection in
            let live = try await connection.query(
                """
                UPDATE sessions SET last_seen_at = koppel_now()
                WHERE token_hash = \(token.hash) AND expires_at > koppel_now()
                  AND last_seen_at > koppel_now() - \(seconds(idleTimeout)) * interval '1 second'
                RETURNING user_id, organisation_id, stage, csrf_token, created_at, last_seen_at,
                    (SELECT count(*)::integer FROM (SELECT 1 FROM notices n WHERE n.user_id = sessions.user_id AND n.read_at IS NULL
                     LIMIT \(NoticeStore.countLimit)) AS unread)
                """, logger: logger
            ).collect().first?.decode((UUID, UUID, String, String, Date, Date, Int).self)
            guard let live else {
                try await connection.query("DELETE FROM sessions WHERE token_hash = \(token.hash)", logger: logger)
                return nil
            }
            return SessionRecord(
                userID: live.0, organisationID: live.1, stage: SessionRecord.Stage(rawValue: live.2) ?? .password,
                csrfToken: live.3, createdAt: live.4, lastSeenAt: live.5, unreadNotices: live.6)
        }
    }

    /// Replaces a session with a new one at a later stage: a new id whenever the user proves more.
    public func advance(_ token: SecretToken, organisation: UUID, to stage: SessionRecord.Stage) async throws -> SecretToken {
        let next = SecretToken.generate()
        try await client.withTenantTransaction(organisation: organisation, logger: logger) { connection in
            _ = try await connection.query(
                """
                UPDATE sessions SET token_hash = \(next.hash), stage = \(stage.rawValue), last_seen_at = koppel_now()
                WHERE token_hash = \(token.hash)
                """, logger: logger)
        }
        return next
    }

    public func end(_ token: SecretToken, organisation: UUID) async throws {
        try await client.withTenantTransaction(organisation: organisation, logger: logger) { connection in
            _ = try await connection.query("DELETE FROM sessions WHERE token_hash = \(token.hash)", logger: logger)
        }
    }

    private func seconds(_ duration: Duration) -> Int { Int(duration.components.seconds) }
}
