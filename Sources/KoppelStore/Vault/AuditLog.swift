import Crypto
import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// One entry of the audit log: who did what to whose identifying data, when and why. Never the values.
public struct AuditEntry: Sendable, Hashable {
    public var seq: Int64
    /// Microseconds since 1970, as PostgreSQL keeps them: exact, so the hash can be computed again.
    public var occurredAtMicroseconds: Int64
    public var actorUser: UUID?
    public var actorOrganisation: UUID?
    public var client: UUID
    public var action: AuditAction
    /// The stated purpose of a reveal, or the reason of an erasure.
    public var purpose: String?
    public var referral: UUID?
    /// The names of the fields touched.
    public var fields: [String]
    public var previousHash: Data
    public var hash: Data
    /// Whether `hash` is keyed (HMAC under the audit key from the key file). Only entries written before schema 0012
    /// are not, and `AuditChainWalker` accepts those only up to where the operator says the unkeyed part ends.
    public var keyed: Bool

    public init(
        seq: Int64, occurredAtMicroseconds: Int64, actorUser: UUID?, actorOrganisation: UUID?, client: UUID, action: AuditAction,
        purpose: String?, referral: UUID?, fields: [String], previousHash: Data, hash: Data, keyed: Bool = true
    ) {
        self.keyed = keyed
        self.seq = seq
        self.occurredAtMicroseconds = occurredAtMicroseconds
        self.actorUser = actorUser
        self.actorOrganisation = actorOrganisation
        self.client = client
        self.action = action
        self.purpose = purpose
        self.referral = referral
        self.fields = fields
        self.previousHash = previousHash
        self.hash = hash
    }

    public var occurredAt: Date { Date(timeIntervalSince1970: Double(occurredAtMicroseconds) / 1_000_000) }

    /// Every field but the hash, each as `name:length:value` on its own line, in a fixed order: the same
    /// content always encodes to the same bytes, and no two contents to the same.
    public var canonicalEncoding: Data {
        let parts: [(String, String)] = [
            ("seq", String(seq)), ("occurred_at_us", String(occurredAtMicroseconds)),
            ("actor_user", actorUser?.uuidString.lowercased() ?? ""), ("actor_organisation", actorOrganisation?.uuidString.lowercased() ?? ""),
            ("client", client.uuidString.lowercased()), ("action", action.rawValue), ("purpose", purpose ?? ""),
            ("referral", referral?.uuidString.lowercased() ?? ""), ("fields", fields.map { "\($0.utf8.count):\($0)" }.joined()),
            ("previous_hash", previousHash.map { String(format: "%02x", $0) }.joined()),
        ]
        return Data(parts.map { "\($0.0):\($0.1.utf8.count):\($0.1)\n" }.joined().utf8)
    }

    /// HMAC-SHA-256 under `key` of the previous hash and this entry's canonical encoding: without the key, which never
    /// enters PostgreSQL, nobody can write an entry, or rewrite one and every hash after it, that the walk accepts.
    /// (An unkeyed entry from before schema 0012: plain SHA-256.)
    public func computedHash(key: SymmetricKey) -> Data {
        let content = previousHash + canonicalEncoding
        if keyed { return Data(HMAC<SHA256>.authenticationCode(for: content, using: key)) }
        return Data(SHA256.hash(data: content))
    }

    /// The purpose the audit key is derived for (`KeyRing.derivedKey`).
    public static let keyPurpose = "audit-chain"

    /// The hash before the first entry.
    public static let genesis = Data(repeating: 0, count: 32)
}

/// Where a walk along the chain found it broken.
public struct AuditBreak: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The entry's content no longer matches its hash.
        case changed
        /// The entry does not follow the one before it: one was removed or the order was changed.
        case notLinked
        /// A sequence number is missing.
        case missing(expected: Int64)
        /// The entry is not keyed, past the unkeyed entries written before keying began: a forgery.
        case notKeyed
    }

    public let seq: Int64
    public let kind: Kind

    public init(seq: Int64, kind: Kind) {
        self.seq = seq
        self.kind = kind
    }

    public var description: String {
        switch kind {
        case .changed: "audit entry \(seq) was changed: its content does not match its hash"
        case .notLinked: "audit entry \(seq) does not follow the entry before it: an entry was removed or the order changed"
        case .missing(let expected): "audit entry \(expected) is missing (the next one is \(seq))"
        case .notKeyed: "audit entry \(seq) carries no keyed hash, as only entries from before schema 0012 may: it was forged"
        }
    }
}

/// The hash chain's rules, separate from storage so they can be tested on their own.
public enum AuditChain {
    /// The first place, in order, where `entries` (sorted by seq) stop being one unbroken chain from the start.
    public static func firstBreak(in entries: [AuditEntry], key: SymmetricKey, unkeyedUntil: Int64 = 0) -> AuditBreak? {
        var walker = AuditChainWalker(key: key, unkeyedUntil: unkeyedUntil)
        for entry in entries {
            if let broken = walker.next(entry) { return broken }
        }
        return nil
    }
}

/// What is about to be audited.
public struct AuditRecord: Sendable {
    public var actorUser: UUID?
    public var actorOrganisation: UUID?
    public var client: UUID
    public var action: AuditAction
    public var purpose: String?
    public var referral: UUID?
    public var fields: [String]

    public init(
        actorUser: UUID?, actorOrganisation: UUID?, client: UUID, action: AuditAction, purpose: String? = nil, referral: UUID? = nil,
        fields: [String] = []
    ) {
        self.actorUser = actorUser
        self.actorOrganisation = actorOrganisation
        self.client = client
        self.action = action
        self.purpose = purpose
        self.referral = referral
        self.fields = fields
    }
}

/// The audit log in PostgreSQL (schema `audit`, written by the vault role in the transaction of the change
/// it records).
enum AuditLog {
    static let columns = """
        seq, (extract(epoch FROM occurred_at) * 1000000)::bigint, actor_user_id, actor_organisation_id, client_id, action, purpose,
        referral_id, fields, previous_hash, hash, keyed
        """

    /// Appends in the caller's transaction. Appends queue on one lock, so the chain has one order.
    static func append(_ record: AuditRecord, key: SymmetricKey, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended('koppel.audit', 0))", logger: logger)
        let (lastSeq, lastHash, now) = try await connection.query(
            """
            SELECT coalesce(max(seq), 0), (SELECT hash FROM audit.entries ORDER BY seq DESC LIMIT 1),
                   (extract(epoch FROM koppel_now()) * 1000000)::bigint
            FROM audit.entries
            """, logger: logger
        ).collect().first!.decode((Int64, Data?, Int64).self)
        var entry = AuditEntry(
            seq: lastSeq + 1, occurredAtMicroseconds: now, actorUser: record.actorUser, actorOrganisation: record.actorOrganisation,
            client: record.client, action: record.action, purpose: record.purpose, referral: record.referral, fields: record.fields,
            previousHash: lastHash ?? AuditEntry.genesis, hash: Data())
        entry.hash = entry.computedHash(key: key)
        try await connection.query(
            """
            INSERT INTO audit.entries (seq, occurred_at, actor_user_id, actor_organisation_id, client_id, action, purpose, referral_id,
                fields, previous_hash, hash, keyed)
            VALUES (\(entry.seq), timestamptz 'epoch' + \(entry.occurredAtMicroseconds) * interval '1 microsecond', \(entry.actorUser),
                \(entry.actorOrganisation), \(entry.client), \(entry.action.rawValue), \(entry.purpose), \(entry.referral), \(entry.fields),
                \(entry.previousHash), \(entry.hash), true)
            """, logger: logger)
    }

    static func decode(_ row: PostgresRow) throws -> AuditEntry {
        let (seq, micros, user, organisation, client, action, purpose, referral, fields, previous, hash, keyed) =
            try row.decode((Int64, Int64, UUID?, UUID?, UUID, String, String?, UUID?, [String], Data, Data, Bool).self)
        return AuditEntry(
            seq: seq, occurredAtMicroseconds: micros, actorUser: user, actorOrganisation: organisation, client: client,
            action: AuditAction(rawValue: action) ?? .reveal, purpose: purpose, referral: referral, fields: fields, previousHash: previous,
            hash: hash, keyed: keyed)
    }
}
