import Crypto
import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// Sign-in attempts per step and account, and per client address, in PostgreSQL so every replica counts the same.
/// Each attempt is counted before it is checked, under the key's row lock (`sign_in_attempt`, schema 0011), so
/// attempts sent at once cannot all slip under the limit. Keys are hashes of the step and the e-mail address as
/// typed, or of the address, so the table names no one and looks the same whether an account exists or not.
public struct SignInThrottleStore: Sendable {
    /// The step of signing in an attempt is for: each has its own count, and a success ends only its own.
    public enum Step: String, Sendable {
        case password, code
    }

    /// How many attempts a key may make, and for how long it locks.
    public struct Limits: Sendable {
        /// Attempts within this window count together.
        public var window: Duration
        /// The attempt with this number is the last one checked; a failure there locks the key.
        public var lockAfter: Int
        public var lockFor: Duration

        public init(window: Duration, lockAfter: Int, lockFor: Duration) {
            self.window = window
            self.lockAfter = lockAfter
            self.lockFor = lockFor
        }
    }

    /// An attempt as counted: whether it may be checked, and its number in the window.
    public struct Attempt: Sendable, Equatable {
        public let allowed: Bool
        public let number: Int
    }

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public static func accountKey(_ email: String, step: Step) -> ByteBuffer {
        key("\(step.rawValue):account:" + email.lowercased().trimmingCharacters(in: .whitespaces))
    }

    public static func addressKey(_ address: String) -> ByteBuffer { key("address:" + address) }

    /// A user's look-ups of who someone is (duplicate checks), counted like sign-in attempts.
    public static func lookupKey(user: UUID) -> ByteBuffer { key("lookup:user:" + user.uuidString.lowercased()) }

    private static func key(_ text: String) -> ByteBuffer { ByteBuffer(bytes: SHA256.hash(data: Data(text.utf8))) }

    /// Counts one attempt on `key` and says whether it may be checked.
    public func attempt(_ key: ByteBuffer, _ limits: Limits) async throws -> Attempt {
        let row = try await client.query(
            """
            SELECT allowed, attempt FROM sign_in_attempt(\(key), \(WallClock.current.now()), \(Int(limits.window.components.seconds))::integer,
                \(limits.lockAfter)::integer, \(Int(limits.lockFor.components.seconds))::integer)
            """, logger: logger
        ).collect().first
        let (allowed, number) = try row?.decode((Bool, Int).self) ?? (false, 0)
        return Attempt(allowed: allowed, number: number)
    }

    /// Takes back one attempt on a shared key (a client address) after it succeeded; lifts its lock if that brings
    /// it below the limit.
    public func forgive(_ key: ByteBuffer, _ limits: Limits) async throws {
        try await client.query("SELECT sign_in_success(\(key), \(limits.lockAfter)::integer)", logger: logger)
    }

    /// Forgets a key's attempts, after a success at its step.
    public func clear(_ key: ByteBuffer) async throws {
        try await client.query("DELETE FROM sign_in_throttle WHERE key = \(key)", logger: logger)
    }
}
