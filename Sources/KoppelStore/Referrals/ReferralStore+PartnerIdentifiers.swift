import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// A partner system's identifier of a referral it filed: a namespace (a URI) and a value in it.
public struct PartnerIdentifier: Sendable, Hashable {
    public let system: String
    public let value: String

    public init(system: String, value: String) {
        self.system = system
        self.value = value
    }
}

extension ReferralStore {
    /// Files a referral once per partner identifier: when the caller's organisation filed one with `identifier` before,
    /// that referral comes back and nothing is filed. Requests with the same identifier wait for each other.
    public func createOnce(_ new: NewReferral, identifier: PartnerIdentifier, by actor: Actor) async throws -> (referral: Referral, created: Bool) {
        try await transaction(actingFor: actor) { connection in
            let lockKey = [actor.organisationID.uuidString, identifier.system, identifier.value].joined(separator: "\n")
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(lockKey), 11))", logger: logger)
            let earlier = try await connection.query(
                """
                SELECT referral_id FROM referral_identifiers
                WHERE referring_organisation_id = \(actor.organisationID) AND system = \(identifier.system) AND value = \(identifier.value)
                """, logger: logger
            ).collect().first?.decode(UUID.self)
            if let earlier { return (try await Self.fetch(earlier, lock: false, on: connection, logger: logger), false) }
            let referral = try await Self.file(new, by: actor, on: connection, logger: logger)
            try await connection.query(
                """
                INSERT INTO referral_identifiers (referring_organisation_id, system, value, referral_id)
                VALUES (\(actor.organisationID), \(identifier.system), \(identifier.value), \(referral.id))
                """, logger: logger)
            return (referral, true)
        }
    }

    /// The partner identifiers of these referrals that the caller may see.
    public func partnerIdentifiers(of ids: [UUID], actingFor actor: Actor) async throws -> [UUID: [PartnerIdentifier]] {
        guard !ids.isEmpty else { return [:] }
        return try await transaction(actingFor: actor) { connection in
            var found: [UUID: [PartnerIdentifier]] = [:]
            let rows = try await connection.query(
                "SELECT referral_id, system, value FROM referral_identifiers WHERE referral_id = ANY(\(ids)) ORDER BY system, value",
                logger: logger
            ).collect()
            for row in rows {
                let (id, system, value) = try row.decode((UUID, String, String).self)
                found[id, default: []].append(PartnerIdentifier(system: system, value: value))
            }
            return found
        }
    }

    /// The referral the caller's organisation filed under a partner identifier, if it may see it.
    public func referral(identifiedBy identifier: PartnerIdentifier, actingFor actor: Actor) async throws -> Referral? {
        try await transaction(actingFor: actor) { connection in
            let id = try await connection.query(
                "SELECT referral_id FROM referral_identifiers WHERE system = \(identifier.system) AND value = \(identifier.value) LIMIT 1",
                logger: logger
            ).collect().first?.decode(UUID.self)
            guard let id else { return nil }
            return try await Self.fetchIfVisible(id, to: actor, lock: false, on: connection, logger: logger)
        }
    }
}
