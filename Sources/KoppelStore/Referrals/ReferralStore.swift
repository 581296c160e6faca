import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// Referrals in PostgreSQL, as the app role, acting for the caller's organisation: row-level security shows
/// only the referrer's and the operator's referrals whatever a query asks.
public struct ReferralStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Files a referral for `actor`'s organisation. Eligibility rules the programme has and the referral does not
    /// meet refuse it, unless an override reason is given; the overridden rules are then recorded.
    public func create(
        _ new: NewReferral, by actor: Actor, idempotency: IdempotencyKey?, response: StoredResponse
    ) async throws -> Idempotent<Referral> {
        try await transaction(actingFor: actor) { connection in
            if let idempotency, let stored = try await Idempotency.lookUp(idempotency, user: actor.userID, on: connection, logger: logger) {
                return .replayed(status: stored.status, body: stored.body)
            }
            let target = try await ProgrammeRules.load(new.programmeID, on: connection, logger: logger)
            guard let municipality = try await Self.municipality(new.municipality, on: connection, logger: logger) else {
                throw ReferralError.unknownMunicipality(new.municipality)
            }
            var overridden: [EligibilityRule] = []
            if new.submit {
                overridden = target.programme.unmetRules(ageBand: new.ageBand, municipality: municipality, targetGroup: new.targetGroup)
                if !overridden.isEmpty && new.overrideReason == nil { throw ReferralError.ineligible(overridden) }
            }
            let id = UUID()
            let state: ReferralState = new.submit ? .submitted : .draft
            try await connection.query(
                """
                INSERT INTO referrals (id, client_id, referring_organisation_id, referring_user_id, programme_id, operator_id,
                    target_group, age_band, municipality, needs, urgency, requested_start, state, overridden_rules, override_reason,
                    created_at, submitted_at, state_changed_at)
                VALUES (\(id), \(new.clientID), \(actor.organisationID), \(actor.userID), \(new.programmeID), \(target.operatorID),
                    \(new.targetGroup.rawValue), \(new.ageBand.rawValue), \(municipality.name), \(new.needs.map(\.rawValue)),
                    \(new.urgency.rawValue), \(new.requestedStart)::date, \(state.rawValue), \(overridden.map(\.rawValue)),
                    \(overridden.isEmpty ? nil : new.overrideReason?.rawValue), now(), CASE WHEN \(new.submit) THEN now() END, now())
                """, logger: logger)
            try await ReferralHistory.append(
                referral: id, referrer: actor.organisationID, operatorID: target.operatorID, by: actor,
                action: new.submit ? "submit" : "create", from: nil, to: state, reason: nil, related: nil, on: connection, logger: logger)
            if new.submit { try await Outbox.referralChanged(id, notify: [actor.organisationID, target.operatorID], on: connection, logger: logger) }
            let referral = try await Self.fetch(id, lock: false, on: connection, logger: logger)
            return try await Self.finish(referral, actor: actor, idempotency: idempotency, response: response, on: connection, logger: logger)
        }
    }

    /// One referral the caller's organisation may see; nil otherwise.
    public func referral(_ id: UUID, actingFor actor: Actor) async throws -> Referral? {
        try await transaction(actingFor: actor) { connection in
            try await Self.fetchIfVisible(id, lock: false, on: connection, logger: logger)
        }
    }

    /// A page of the referrals `actor` sees, newest first.
    public func list(_ filter: ReferralFilter, actingFor actor: Actor) async throws -> [Referral] {
        let visibility = ReferralVisibility(actor)
        let after = filter.after
        return try await transaction(actingFor: actor) { connection in
            let query: PostgresQuery = """
                SELECT \(unescaped: ReferralRow.columns) FROM \(unescaped: ReferralRow.joins)
                WHERE (r.referring_organisation_id = \(visibility.referringOrganisation)
                       OR (r.programme_id = ANY(\(Array(visibility.programmes))) AND r.state <> 'draft'))
                  AND (\(filter.state?.rawValue)::text IS NULL OR r.state = \(filter.state?.rawValue))
                  AND (\(filter.programmeID)::uuid IS NULL OR r.programme_id = \(filter.programmeID))
                  AND (\(filter.referringOrganisationID)::uuid IS NULL OR r.referring_organisation_id = \(filter.referringOrganisationID))
                  AND (\(filter.createdFrom)::date IS NULL OR r.created_at >= \(filter.createdFrom)::date)
                  AND (\(filter.createdTo)::date IS NULL OR r.created_at < \(filter.createdTo)::date + 1)
                  AND (\(after?.createdAt)::timestamptz IS NULL OR (r.created_at, r.id) < (\(after?.createdAt), \(after?.id)))
                ORDER BY r.created_at DESC, r.id DESC
                LIMIT \(filter.limit)
                """
            return try await connection.query(query, logger: logger).collect().map(ReferralRow.decode)
        }
    }

    /// Every step of a referral the caller's organisation may see, oldest first.
    public func history(of id: UUID, actingFor actor: Actor) async throws -> [ReferralEvent] {
        try await transaction(actingFor: actor) { connection in
            try await ReferralHistory.events(of: id, on: connection, logger: logger)
        }
    }

    /// A transaction acting for `actor`'s organisation. A referral error thrown inside rolls it back and reaches
    /// the caller as itself, not wrapped in a transaction error.
    func transaction<T: Sendable>(actingFor actor: Actor, _ body: (PostgresConnection) async throws -> sending T) async throws -> sending T {
        do {
            return try await client.withTenantTransaction(organisation: actor.organisationID, user: actor.userID, logger: logger, body)
        } catch let error as PostgresTransactionError {
            if let cause = error.closureError as? ReferralError, error.rollbackError == nil { throw cause }
            throw error
        }
    }

    static func fetch(_ id: UUID, lock: Bool, on connection: PostgresConnection, logger: Logger) async throws -> Referral {
        guard let referral = try await fetchIfVisible(id, lock: lock, on: connection, logger: logger) else { throw ReferralError.notFound }
        return referral
    }

    static func fetchIfVisible(_ id: UUID, lock: Bool, on connection: PostgresConnection, logger: Logger) async throws -> Referral? {
        if lock { try await connection.query("SELECT 1 FROM referrals WHERE id = \(id) FOR UPDATE", logger: logger) }
        return try await connection.query(
            "SELECT \(unescaped: ReferralRow.columns) FROM \(unescaped: ReferralRow.joins) WHERE r.id = \(id)", logger: logger
        ).collect().first.map(ReferralRow.decode)
    }

    static func municipality(_ name: String, on connection: PostgresConnection, logger: Logger) async throws -> Municipality? {
        try await connection.query("SELECT name, region, country FROM municipalities WHERE name = \(name)", logger: logger)
            .collect().first.map { row in
                let (name, region, country) = try row.decode((String, String, String).self)
                return Municipality(name: name, region: region, country: country)
            }
    }

    /// Keeps the answer for an idempotency key, if there is one, and hands the referral back.
    static func finish(
        _ referral: Referral, actor: Actor, idempotency: IdempotencyKey?, response: StoredResponse,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> Idempotent<Referral> {
        if let idempotency {
            let (status, body) = try response(referral)
            try await Idempotency.store(
                idempotency, user: actor.userID, organisation: actor.organisationID, status: status, body: body, on: connection, logger: logger)
        }
        return .done(referral)
    }
}
