import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// Users, their roles, passwords and second factors. Every query but the sign-in look-up runs acting for
/// the user's organisation, so row-level security holds even if a caller passes the wrong id.
public struct UserStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The user with this e-mail address, whatever their organisation (through `auth.user_by_email`).
    public func signInCandidate(email: String) async throws -> SignInCandidate? {
        let rows = try await client.query(
            "SELECT user_id, organisation_id, password_hash, disabled FROM auth.user_by_email(\(email))", logger: logger)
        for try await (userID, organisationID, hash, disabled) in rows.decode((UUID, UUID, String, Bool).self) {
            return SignInCandidate(userID: userID, organisationID: organisationID, passwordHash: hash, isDisabled: disabled)
        }
        return nil
    }

    public func account(id: UUID, organisation: UUID) async throws -> Account? {
        try await accounts(organisation: organisation, only: id).first
    }

    /// Every user of the organisation, by name.
    public func accounts(organisation: UUID) async throws -> [Account] {
        try await accounts(organisation: organisation, only: nil)
    }

    /// An account from a row in the shape of `accounts(only:on:logger:)` (and of `auth.api_token_account`).
    static func account(from row: PostgresRow) throws -> Account {
        try account(from: PostgresRandomAccessRow(row), at: 0)
    }

    /// An account from the row's columns from `offset` on, in the shape of `auth.api_token_account`.
    static func account(from row: PostgresRandomAccessRow, at offset: Int) throws -> Account {
        func cell<T: PostgresDecodable>(_ index: Int, _: T.Type) throws -> T { try row[offset + index].decode(T.self) }
        return Account(
            id: try cell(0, UUID.self), organisationID: try cell(1, UUID.self), organisationName: try cell(2, String.self),
            email: try cell(3, String.self), displayName: try cell(4, String.self),
            roles: Set(try cell(5, [String].self).compactMap(Role.init(rawValue:))), coordinatedProgrammes: Set(try cell(6, [UUID].self)),
            mustChangePassword: try cell(7, Bool.self), totpSecret: try cell(8, String?.self), totpConfirmed: try cell(9, Bool.self),
            isDisabled: try cell(10, Bool.self))
    }

    private func accounts(organisation: UUID, only id: UUID?) async throws -> [Account] {
        try await client.withTenantTransaction(organisation: organisation, logger: logger) { connection in
            try await Self.accounts(only: id, on: connection, logger: logger)
        }
    }

    /// The acting organisation's users (or the one with `id`), inside a tenant transaction.
    static func accounts(only id: UUID?, on connection: PostgresConnection, logger: Logger) async throws -> [Account] {
        let rows = try await connection.query(
            """
            SELECT u.id, u.organisation_id, o.name, u.email, u.display_name,
                   coalesce((SELECT array_agg(r.role ORDER BY r.role) FROM user_roles r WHERE r.user_id = u.id), '{}'),
                   coalesce((SELECT array_agg(c.programme_id) FROM coordinator_programmes c WHERE c.user_id = u.id), '{}'),
                   u.must_change_password, u.totp_secret, u.totp_confirmed_at IS NOT NULL, u.disabled_at IS NOT NULL
            FROM users u JOIN organisations o ON o.id = u.organisation_id
            WHERE (\(id)::uuid IS NULL OR u.id = \(id))
            ORDER BY lower(u.display_name), u.email
            """, logger: logger)
        var accounts: [Account] = []
        for try await row in rows { accounts.append(try account(from: row)) }
        return accounts
    }

    /// Creates a user who must choose a new password at first sign-in.
    public func create(_ user: NewUser, passwordHash: String) async throws -> UUID {
        let email = user.email.trimmingCharacters(in: .whitespaces).lowercased()
        // ASCII only: sign-in finds accounts by PostgreSQL's lower(), which beyond ASCII is not Swift's.
        guard email.count <= 254, email.allSatisfy(\.isASCII), email.wholeMatch(of: /[^@\s]+@[^@\s]+\.[^@\s]+/) != nil else {
            throw IdentityError.invalidEmail
        }
        let name = user.displayName.trimmingCharacters(in: .whitespaces)
        guard (1...200).contains(name.count) else { throw IdentityError.invalidName }
        do {
            return try await client.withTenantTransaction(organisation: user.organisationID, logger: logger) { connection in
                let id = try await connection.query(
                    """
                    INSERT INTO users (organisation_id, email, display_name, password_hash)
                    VALUES (\(user.organisationID), \(email), \(name), \(passwordHash)) RETURNING id
                    """, logger: logger
                ).collect().first!.decode(UUID.self)
                for role in user.roles {
                    try await connection.query("INSERT INTO user_roles VALUES (\(id), \(user.organisationID), \(role.rawValue))", logger: logger)
                }
                for programme in user.coordinatedProgrammes {
                    let operated = try await connection.query(
                        "SELECT count(*) FROM programmes WHERE id = \(programme) AND operator_id = \(user.organisationID)", logger: logger
                    ).collect().first!.decode(Int.self)
                    guard operated == 1 else { throw IdentityError.programmeNotOperated }
                    try await connection.query(
                        "INSERT INTO coordinator_programmes VALUES (\(id), \(user.organisationID), \(programme))", logger: logger)
                }
                return id
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw IdentityError.emailTaken
        }
    }

    /// Disables a user and ends at once everything they could act through: sessions and API tokens.
    @discardableResult
    public func disable(id: UUID, organisation: UUID) async throws -> Bool {
        try await client.withTenantTransaction(organisation: organisation, logger: logger) { connection in
            let changed = try await connection.query(
                "UPDATE users SET disabled_at = koppel_now() WHERE id = \(id) AND disabled_at IS NULL RETURNING 1", logger: logger
            ).collect().count
            try await connection.query("DELETE FROM sessions WHERE user_id = \(id)", logger: logger)
            try await connection.query("UPDATE api_tokens SET revoked_at = koppel_now() WHERE user_id = \(id) AND revoked_at IS NULL", logger: logger)
            return changed == 1
        }
    }

    /// Sets a user's password and ends every session of theirs but `keeping` (the one that changed it), in one
    /// transaction: a session opened with the old password does not outlive it.
    public func setPassword(id: UUID, organisation: UUID, hash: String, mustChange: Bool, keeping session: SecretToken? = nil) async throws {
        try await client.withTenantTransaction(organisation: organisation, logger: logger) { connection in
            _ = try await connection.query(
                "UPDATE users SET password_hash = \(hash), must_change_password = \(mustChange) WHERE id = \(id)", logger: logger)
            let kept = session?.hash ?? ByteBuffer()
            _ = try await connection.query("DELETE FROM sessions WHERE user_id = \(id) AND token_hash <> \(kept)", logger: logger)
        }
    }

    /// Replaces a stored TOTP secret by the same secret in another form (sealed, where it was plain text).
    public func restoreTOTPSecret(id: UUID, organisation: UUID, from old: String, to new: String) async throws {
        try await client.withTenantTransaction(organisation: organisation, logger: logger) { connection in
            _ = try await connection.query("UPDATE users SET totp_secret = \(new) WHERE id = \(id) AND totp_secret = \(old)", logger: logger)
        }
    }

    /// Starts TOTP enrolment with a new secret; replaces any unconfirmed one.
    public func beginTOTPEnrolment(id: UUID, organisation: UUID, secret: String) async throws {
        try await client.withTenantTransaction(organisation: organisation, logger: logger) { connection in
            _ = try await connection.query(
                "UPDATE users SET totp_secret = \(secret), totp_confirmed_at = NULL WHERE id = \(id) AND totp_confirmed_at IS NULL",
                logger: logger)
        }
    }

    /// Accepts a TOTP time step once: true only if it is later than every step accepted before.
    /// One statement, so two requests with the same code cannot both succeed.
    public func acceptTOTPStep(id: UUID, organisation: UUID, step: Int64, confirmingEnrolment: Bool) async throws -> Bool {
        try await client.withTenantTransaction(organisation: organisation, logger: logger) { connection in
            try await connection.query(
                """
                UPDATE users SET totp_last_step = \(step),
                    totp_confirmed_at = CASE WHEN \(confirmingEnrolment) THEN coalesce(totp_confirmed_at, koppel_now()) ELSE totp_confirmed_at END
                WHERE id = \(id) AND totp_last_step < \(step) AND totp_secret IS NOT NULL RETURNING 1
                """, logger: logger
            ).collect().count == 1
        }
    }

    /// Replaces the user's recovery codes with these (hashes only).
    public func replaceRecoveryCodes(id: UUID, organisation: UUID, codes: [SecretToken]) async throws {
        try await client.withTenantTransaction(organisation: organisation, logger: logger) { connection in
            try await connection.query("DELETE FROM recovery_codes WHERE user_id = \(id)", logger: logger)
            for code in codes {
                try await connection.query("INSERT INTO recovery_codes VALUES (\(id), \(organisation), \(code.hash), NULL)", logger: logger)
            }
        }
    }

    /// Uses a recovery code: true once per code.
    public func useRecoveryCode(id: UUID, organisation: UUID, code: SecretToken) async throws -> Bool {
        try await client.withTenantTransaction(organisation: organisation, logger: logger) { connection in
            try await connection.query(
                "UPDATE recovery_codes SET used_at = koppel_now() WHERE user_id = \(id) AND code_hash = \(code.hash) AND used_at IS NULL RETURNING 1",
                logger: logger
            ).collect().count == 1
        }
    }
}
