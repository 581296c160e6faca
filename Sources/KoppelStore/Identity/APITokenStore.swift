import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// API tokens for partner systems: act as their user, expire, revocable at once. Stored as hashes.
public struct APITokenStore: Sendable {
    static let prefix = "kpl_"
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Creates a token for a user; the returned value is shown once and never again.
    public func create(userID: UUID, organisation: UUID, name: String, expiresInDays: Int?) async throws -> (id: UUID, token: SecretToken) {
        let token = SecretToken.generate(prefix: Self.prefix)
        let id = try await client.withTenantTransaction(organisation: organisation, logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO api_tokens (user_id, organisation_id, name, token_hash, expires_at)
                SELECT id, organisation_id, \(name), \(token.hash), koppel_now() + \(expiresInDays) * interval '1 day'
                FROM users WHERE id = \(userID) AND disabled_at IS NULL
                RETURNING id
                """, logger: logger
            ).collect().first?.decode(UUID.self)
        }
        guard let id else { throw IdentityError.invalidName }
        return (id, token)
    }

    /// The account a bearer token acts for; nil when the token is unknown, expired or revoked, or its user
    /// disabled. One call (`auth.api_token_account`), as every API request starts here.
    public func account(of token: SecretToken) async throws -> Account? {
        guard Self.mayBeToken(token) else { return nil }
        return try await client.rows(TokenAccount(tokenHash: token.hash), logger: logger).first.map(UserStore.account(from:))
    }

    /// Whether a value has an API token's form at all; one that has not is refused without a database call.
    static func mayBeToken(_ token: SecretToken) -> Bool {
        token.value.hasPrefix(prefix)
    }

    public func tokens(organisation: UUID) async throws -> [APITokenRecord] {
        try await client.withTenantTransaction(organisation: organisation, logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT t.id, t.user_id, u.email, t.name, t.created_at, t.expires_at, t.revoked_at, t.last_used_at
                FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.created_at DESC
                """, logger: logger)
            var records: [APITokenRecord] = []
            for try await row in rows.decode((UUID, UUID, String, String, Date, Date?, Date?, Date?).self) {
                records.append(APITokenRecord(
                    id: row.0, userID: row.1, userEmail: row.2, name: row.3, createdAt: row.4, expiresAt: row.5, revokedAt: row.6,
                    lastUsedAt: row.7))
            }
            return records
        }
    }

    /// Revokes a token at once; false when the organisation has no such live token.
    public func revoke(id: UUID, organisation: UUID) async throws -> Bool {
        try await client.withTenantTransaction(organisation: organisation, logger: logger) { connection in
            try await connection.query(
                "UPDATE api_tokens SET revoked_at = koppel_now() WHERE id = \(id) AND revoked_at IS NULL RETURNING 1", logger: logger
            ).collect().count == 1
        }
    }
}

/// Every API request begins with it.
private struct TokenAccount: PreparedStatement {
    static let sql = """
        SELECT user_id, organisation_id, organisation_name, email, display_name, roles, coordinated_programmes,
               must_change_password, totp_secret, totp_confirmed, disabled
        FROM auth.api_token_account($1, $2)
        """
    let tokenHash: ByteBuffer

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(tokenHash)
        binds.append(WallClock.current.now())
        return binds
    }
}
