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

/// Events for partner systems, thin on purpose and written in the transaction of the change they report (decision 0016).
enum Outbox {
    /// What a referral's event says of it: ids, its state and version. Given, not read back, because the actor may no
    /// longer see the referral under row-level security (a forward's new referral belongs to the other programme).
    struct ReferralFacts {
        var id: UUID
        var programme: UUID
        var state: ReferralState
        var version: Int
        var forwardedFrom: UUID?

        /// The referral as it is after a step to `next`.
        init(_ referral: Referral, after next: ReferralState) {
            self.init(id: referral.id, programme: referral.programme.id, state: next, version: referral.version + 1, forwardedFrom: referral.forwardedFrom)
        }

        /// The referral as it is (a message, a consent's end: no step).
        init(_ referral: Referral) {
            self.init(id: referral.id, programme: referral.programme.id, state: referral.state, version: referral.version, forwardedFrom: referral.forwardedFrom)
        }

        init(id: UUID, programme: UUID, state: ReferralState, version: Int, forwardedFrom: UUID?) {
            self.id = id
            self.programme = programme
            self.state = state
            self.version = version
            self.forwardedFrom = forwardedFrom
        }
    }

    /// A referral's event, to the organisations that may read it now; nothing when none may (a draft's).
    static func referralChanged(
        _ referral: ReferralFacts, event: WebhookEventType?, notify organisations: Set<UUID>, extra: [String: String] = [:],
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard let event, !organisations.isEmpty else { return }
        _ = try await connection.rows(
            NoteReferralChanged(referral: referral, recipients: Array(organisations), event: event, extra: try object(extra)), logger: logger)
    }

    /// What a notice adds to the referral's own data, as a JSON object.
    static func object(_ extra: [String: String]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: extra, options: [.sortedKeys]), as: UTF8.self)
    }

    /// A programme's directory data or capacity changed: anyone may read the directory, so every subscription may hear it.
    static func programmeChanged(_ programme: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO outbox (topic, subject_id, recipient_organisations, event_type, data)
            VALUES ('programme.changed', \(programme), NULL, 'programme.changed',
                jsonb_build_object('programme_id', \(programme), 'links', jsonb_build_object('programme', '/api/v1/programmes/' || \(programme))))
            """, logger: logger)
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
