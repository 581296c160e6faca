import Foundation
import Logging
import PostgresNIO

/// Idempotency keys, kept in the same transaction as the change they guard: a retried request finds the first
/// one's answer, and a request that failed left no key behind, so it can simply be tried again.
enum Idempotency {
    /// Keys are kept this long, at least the 24 hours the API promises.
    static let retention = "48 hours"

    /// Serialises requests with the same key, then returns the stored answer of an earlier one, if any.
    static func lookUp(
        _ key: IdempotencyKey, user: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws -> (status: Int, body: String)? {
        try await connection.query(
            "SELECT pg_advisory_xact_lock(hashtextextended(\(user.uuidString + "/" + key.key), 7))", logger: logger)
        let stored = try await connection.query(
            """
            SELECT operation, request_hash, response_status, response_body FROM idempotency_keys
            WHERE user_id = \(user) AND key = \(key.key) AND created_at > koppel_now() - \(retention)::interval
            """, logger: logger
        ).collect().first?.decode((String, ByteBuffer, Int, String).self)
        guard let (operation, hash, status, body) = stored else { return nil }
        guard operation == key.operation, Array(hash.readableBytesView) == key.requestHash else { throw ReferralError.idempotencyKeyReused }
        return (status, body)
    }

    /// Keeps the answer to a first request, and lets this user's expired keys go.
    static func store(
        _ key: IdempotencyKey, user: UUID, organisation: UUID, status: Int, body: String, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query(
            "DELETE FROM idempotency_keys WHERE user_id = \(user) AND created_at <= koppel_now() - \(retention)::interval", logger: logger)
        try await connection.query(
            """
            INSERT INTO idempotency_keys (user_id, organisation_id, key, operation, request_hash, response_status, response_body)
            VALUES (\(user), \(organisation), \(key.key), \(key.operation), \(ByteBuffer(bytes: key.requestHash)), \(status), \(body))
            """, logger: logger)
    }
}
