import Crypto
import Foundation
import Logging
import PostgresNIO

/// Failed sign-ins per account and per client address, in PostgreSQL so every replica counts the same.
/// Keys are hashes of the e-mail address as typed or of the address, so the table names no one and
/// looks the same whether an account exists or not.
public struct SignInThrottleStore: Sendable {
    public struct State: Sendable, Equatable {
        public let failures: Int
        public let lastFailureAt: Date
        public let lockedUntil: Date?
    }

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public static func accountKey(_ email: String) -> ByteBuffer { key("account:" + email.lowercased().trimmingCharacters(in: .whitespaces)) }
    public static func addressKey(_ address: String) -> ByteBuffer { key("address:" + address) }

    private static func key(_ text: String) -> ByteBuffer { ByteBuffer(bytes: SHA256.hash(data: Data(text.utf8))) }

    public func state(_ key: ByteBuffer) async throws -> State? {
        try await client.query(
            "SELECT failures, last_failure_at, locked_until FROM sign_in_throttle WHERE key = \(key)", logger: logger
        ).collect().first.map { row in
            let (failures, last, locked) = try row.decode((Int, Date, Date?).self)
            return State(failures: failures, lastFailureAt: last, lockedUntil: locked)
        }
    }

    /// Counts a failure; failures older than `window` no longer count. Locks for `lockFor` at `lockAfter` failures.
    public func recordFailure(_ key: ByteBuffer, window: Duration, lockAfter: Int, lockFor: Duration) async throws {
        let windowSeconds = Int(window.components.seconds)
        let lockSeconds = Int(lockFor.components.seconds)
        try await client.query(
            """
            INSERT INTO sign_in_throttle AS t (key, failures, last_failure_at) VALUES (\(key), 1, now())
            ON CONFLICT (key) DO UPDATE SET
                failures = CASE WHEN t.last_failure_at < now() - \(windowSeconds) * interval '1 second' THEN 1 ELSE t.failures + 1 END,
                last_failure_at = now(),
                locked_until = CASE
                    WHEN t.last_failure_at >= now() - \(windowSeconds) * interval '1 second' AND t.failures + 1 >= \(lockAfter)
                    THEN now() + \(lockSeconds) * interval '1 second' ELSE t.locked_until END
            """, logger: logger)
    }

    public func clear(_ key: ByteBuffer) async throws {
        try await client.query("DELETE FROM sign_in_throttle WHERE key = \(key)", logger: logger)
    }
}
