import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// The immutable history of referrals: appended to in the transaction of every step, never changed.
enum ReferralHistory {
    static func append(
        referral: UUID, referrer: UUID, operatorID: UUID, by actor: Actor, action: String, from: ReferralState?, to: ReferralState,
        reason: ReferralReason?, related: UUID?, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await append(
            referral: referral, referrer: referrer, operatorID: operatorID, user: actor.userID, organisation: actor.organisationID,
            action: action, from: from, to: to, reason: reason, related: related, on: connection, logger: logger)
    }

    /// A step by a user of `organisation`, or by Koppel itself for it (no user).
    static func append(
        referral: UUID, referrer: UUID, operatorID: UUID, user: UUID?, organisation: UUID, action: String, from: ReferralState?,
        to: ReferralState, reason: ReferralReason?, related: UUID?, on connection: PostgresConnection, logger: Logger
    ) async throws {
        _ = try await connection.rows(
            AppendReferralEvent(
                referral: referral, referrer: referrer, operatorID: operatorID, user: user, organisation: organisation, action: action,
                from: from, to: to, reason: reason, related: related),
            logger: logger)
    }

    /// Names of people show only where row-level security lets the reader see them: their own organisation's.
    static func events(of referral: UUID, on connection: PostgresConnection, logger: Logger) async throws -> [ReferralEvent] {
        try await connection.query(
            """
            SELECT e.occurred_at, e.action, e.from_state, e.to_state, e.reason, o.id, o.name, u.display_name, e.related_referral_id
            FROM referral_events e JOIN organisations o ON o.id = e.actor_organisation_id
            LEFT JOIN users u ON u.id = e.actor_user_id
            WHERE e.referral_id = \(referral) AND EXISTS (SELECT 1 FROM referrals r WHERE r.id = e.referral_id)
            ORDER BY e.id
            """, logger: logger
        ).collect().map { row in
            let (at, action, from, to, reason, organisation, organisationName, userName, related) =
                try row.decode((Date, String, String?, String, String?, UUID, String, String?, UUID?).self)
            return ReferralEvent(
                occurredAt: at, action: action, fromState: from.flatMap(ReferralState.init(rawValue:)),
                toState: ReferralState(rawValue: to) ?? .draft, reason: reason.flatMap(ReferralReason.init(rawValue:)),
                organisation: NamedID(id: organisation, name: organisationName), userName: userName, relatedReferralID: related)
        }
    }
}

/// Notifications to deliver, thin on purpose: which referral changed and who should hear, never what changed.
enum Outbox {
    static func referralChanged(_ referral: UUID, notify organisations: Set<UUID>, on connection: PostgresConnection, logger: Logger) async throws {
        _ = try await connection.rows(NoteReferralChanged(referral: referral, recipients: Array(organisations)), logger: logger)
    }
}

/// What a referral needs to know of its programme: its rules, its operator, its places.
struct ProgrammeRules {
    var programme: Programme
    var operatorID: UUID { programme.operatorOrganisation.id }

    static func load(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> ProgrammeRules {
        guard let programme = try await PostgresProgrammeDirectory.listedProgramme(id: id, on: connection, logger: logger) else {
            throw ReferralError.programmeNotFound
        }
        return ProgrammeRules(programme: programme)
    }
}
