import Crypto
import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// A message of a referral's thread, opened.
public struct VaultMessage: Sendable, Hashable {
    public let id: UUID
    public let authorUser: UUID
    public let authorOrganisation: UUID
    public let postedAt: Date
    public let text: String
}

public enum VaultError: Error, Equatable, CustomStringConvertible {
    /// The client has no identifying data in the vault: never stored, or erased.
    case noIdentity

    public var description: String { "the client's identifying data is not in the vault (erased, or never recorded)" }
}

/// The vault, as the koppel_vault role: identifying data sealed under per-client data keys, and the audit log
/// written in the same transaction as every change and every read of it. Whether a caller may do any of this
/// is decided before it gets here (`Disclosure`, `AccessPolicy`); this type only keeps and records.
public struct VaultStore: Sendable {
    let client: PostgresClient
    let keys: KeyRing
    let logger: Logger

    public init(client: PostgresClient, keys: KeyRing, logger: Logger) {
        self.client = client
        self.keys = keys
        self.logger = logger
    }

    /// Stores a new client's identity under a new data key.
    public func store(_ identity: ClientIdentity, for clientID: UUID, audit: AuditRecord) async throws {
        try await transaction { connection in
            let (version, master) = try keys.currentMasterKey()
            let dataKey = Envelope.newDataKey()
            let wrapped = try Envelope.wrap(dataKey, client: clientID, version: version, under: master)
            try await connection.query(
                "INSERT INTO vault.data_keys (client_id, wrapped_key, master_key_version) VALUES (\(clientID), \(wrapped), \(version))",
                logger: logger)
            try await write(identity.values.mapValues { Optional($0) }, for: clientID, dataKey: dataKey, on: connection)
            try await AuditLog.append(audit, key: try auditKey(), on: connection, logger: logger)
        }
    }

    /// Changes some fields (nil removes one). False when the client has no identity in the vault.
    public func update(_ changes: [IdentityField: String?], for clientID: UUID, audit: AuditRecord) async throws -> Bool {
        try await transaction { connection in
            guard let dataKey = try await dataKey(of: clientID, lock: true, on: connection) else { return false }
            try await write(changes, for: clientID, dataKey: dataKey, on: connection)
            try await AuditLog.append(audit, key: try auditKey(), on: connection, logger: logger)
            return true
        }
    }

    /// The fields asked for that are known, opened; the reveal is in the audit log before anything is read.
    public func reveal(_ fields: [IdentityField], of clientID: UUID, audit: AuditRecord) async throws -> [IdentityField: String] {
        try await transaction { connection in
            guard let dataKey = try await dataKey(of: clientID, lock: false, on: connection) else { throw VaultError.noIdentity }
            try await AuditLog.append(audit, key: try auditKey(), on: connection, logger: logger)
            return try await open(fields, of: clientID, dataKey: dataKey, on: connection)
        }
    }

    /// Clients whose name and date of birth have the same blind index: possibly the same person.
    public func clients(matchingName name: String, birthDate: String) async throws -> [UUID] {
        let digest = Envelope.blindIndex(name: name, birthDate: birthDate, key: try keys.blindIndexKey())
        return try await client.query("SELECT client_id FROM vault.blind_index WHERE digest = \(digest)", logger: logger)
            .collect().map { try $0.decode(UUID.self) }
    }

    public func post(
        _ text: String, messageID: UUID, referral: UUID, client clientID: UUID, author: (user: UUID, organisation: UUID), audit: AuditRecord
    ) async throws {
        try await transaction { connection in
            guard let dataKey = try await dataKey(of: clientID, lock: false, on: connection) else { throw VaultError.noIdentity }
            let sealed = try Envelope.seal(text, client: clientID, field: "message:\(messageID.uuidString.lowercased())", under: dataKey)
            try await connection.query(
                """
                INSERT INTO vault.messages (id, referral_id, client_id, author_user_id, author_organisation_id, sealed)
                VALUES (\(messageID), \(referral), \(clientID), \(author.user), \(author.organisation), \(sealed))
                """, logger: logger)
            try await AuditLog.append(audit, key: try auditKey(), on: connection, logger: logger)
        }
    }

    /// A referral's thread, oldest first; the reading is audited.
    public func messages(referral: UUID, client clientID: UUID, audit: AuditRecord) async throws -> [VaultMessage] {
        try await transaction { connection in
            guard let dataKey = try await dataKey(of: clientID, lock: false, on: connection) else { throw VaultError.noIdentity }
            try await AuditLog.append(audit, key: try auditKey(), on: connection, logger: logger)
            return try await connection.query(
                """
                SELECT id, author_user_id, author_organisation_id, posted_at, sealed FROM vault.messages
                WHERE referral_id = \(referral) AND client_id = \(clientID) ORDER BY posted_at, id
                """, logger: logger
            ).collect().map { row in
                let (id, user, organisation, at, sealed) = try row.decode((UUID, UUID, UUID, Date, Data).self)
                let text = try Envelope.open(sealed, client: clientID, field: "message:\(id.uuidString.lowercased())", under: dataKey)
                return VaultMessage(id: id, authorUser: user, authorOrganisation: organisation, postedAt: at, text: text)
            }
        }
    }

    /// Crypto-shredding: the data key goes, and with it every sealed field, the blind index and the messages.
    /// The client goes into the erasure ledger first, outside PostgreSQL: from then on no restored backup opens them, and
    /// when the ledger cannot be written nothing is erased and the caller hears so. False when there was nothing left
    /// to erase in the database.
    @discardableResult
    public func erase(_ clientID: UUID, audit: AuditRecord) async throws -> Bool {
        try keys.erasures.record(clientID)
        return try await transaction { connection in try await shred(clientID, audit: audit, on: connection) }
    }

    /// Deletes the data key (the rest goes with it, `ON DELETE CASCADE`) and audits it, if there was one.
    func shred(_ clientID: UUID, audit: AuditRecord, on connection: PostgresConnection) async throws -> Bool {
        let erased = try await connection.query(
            "DELETE FROM vault.data_keys WHERE client_id = \(clientID) RETURNING client_id", logger: logger
        ).collect().count
        if erased > 0 { try await AuditLog.append(audit, key: try auditKey(), on: connection, logger: logger) }
        return erased > 0
    }

    /// Every audit entry about one client, oldest first: who looked when.
    public func auditTrail(of clientID: UUID) async throws -> [AuditEntry] {
        try await client.query(
            "SELECT \(unescaped: AuditLog.columns) FROM audit.entries WHERE client_id = \(clientID) ORDER BY seq", logger: logger
        ).collect().map(AuditLog.decode)
    }

    // MARK: - Fields

    /// Audit entries of what happened outside the vault (a duplicate check that matched), in one transaction.
    public func audit(_ records: [AuditRecord]) async throws {
        guard !records.isEmpty else { return }
        try await transaction { connection in
            for record in records { try await AuditLog.append(record, key: try auditKey(), on: connection, logger: logger) }
        }
    }

    /// The key of the audit chain's hashes, from the key file.
    func auditKey() throws -> SymmetricKey { try keys.derivedKey(purpose: AuditEntry.keyPurpose) }

    /// A transaction whose `VaultError` reaches the caller as itself, not wrapped in a transaction error.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> sending T) async throws -> sending T {
        try await client.withClockedTransaction(logger: logger, body)
    }

    func dataKey(of clientID: UUID, lock: Bool, on connection: PostgresConnection) async throws -> SymmetricKey? {
        let rows = try await connection.query(
            """
            SELECT wrapped_key, master_key_version FROM vault.data_keys WHERE client_id = \(clientID)
            \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: logger
        ).collect()
        guard let (wrapped, version) = try rows.first?.decode((Data, Int).self) else { return nil }
        // A database restored from before an erasure still holds the key; the ledger, outside PostgreSQL, refuses it.
        if try keys.erasures.contains(clientID) {
            logger.warning("refused the data key of a client the erasure ledger lists; run `koppel erasures reapply` after a restore")
            return nil
        }
        return try Envelope.unwrap(wrapped, client: clientID, version: version, under: try keys.masterKey(version: version))
    }

    private func write(
        _ changes: [IdentityField: String?], for clientID: UUID, dataKey: SymmetricKey, on connection: PostgresConnection
    ) async throws {
        for (field, value) in changes {
            if let value {
                let sealed = try Envelope.seal(value, client: clientID, field: field.rawValue, under: dataKey)
                try await connection.query(
                    """
                    INSERT INTO vault.identity_fields (client_id, field, sealed) VALUES (\(clientID), \(field.rawValue), \(sealed))
                    ON CONFLICT (client_id, field) DO UPDATE SET sealed = excluded.sealed, updated_at = koppel_now()
                    """, logger: logger)
            } else {
                try await connection.query(
                    "DELETE FROM vault.identity_fields WHERE client_id = \(clientID) AND field = \(field.rawValue)", logger: logger)
            }
        }
        guard changes[.name] != nil || changes[.birthDate] != nil else { return }
        let known = try await open([.name, .birthDate], of: clientID, dataKey: dataKey, on: connection)
        if let name = known[.name], let birthDate = known[.birthDate] {
            let digest = Envelope.blindIndex(name: name, birthDate: birthDate, key: try keys.blindIndexKey())
            try await connection.query(
                """
                INSERT INTO vault.blind_index (client_id, digest) VALUES (\(clientID), \(digest))
                ON CONFLICT (client_id) DO UPDATE SET digest = excluded.digest
                """, logger: logger)
        } else {
            try await connection.query("DELETE FROM vault.blind_index WHERE client_id = \(clientID)", logger: logger)
        }
    }

    private func open(
        _ fields: [IdentityField], of clientID: UUID, dataKey: SymmetricKey, on connection: PostgresConnection
    ) async throws -> [IdentityField: String] {
        let names = fields.map(\.rawValue)
        var values: [IdentityField: String] = [:]
        for row in try await connection.query(
            "SELECT field, sealed FROM vault.identity_fields WHERE client_id = \(clientID) AND field = ANY(\(names))", logger: logger
        ).collect() {
            let (name, sealed) = try row.decode((String, Data).self)
            guard let field = IdentityField(rawValue: name) else { continue }
            values[field] = try Envelope.open(sealed, client: clientID, field: name, under: dataKey)
        }
        return values
    }
}
