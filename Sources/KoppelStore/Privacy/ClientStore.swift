import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// A registered client as the app role knows them: a pseudonymous id and who registered them.
public struct ClientRecord: Sendable, Hashable {
    public let id: UUID
    public let organisation: UUID
    public let registeredAt: Date
    public let erasedAt: Date?
}

public enum PrivacyError: Error, Sendable, Equatable {
    /// No such client, or not one the caller may see: the same answer, so existence does not leak.
    case notFound
    /// The referral a reveal is to go through is not one of this client's that the caller may act on.
    case referralNotFound
    case consentNotFound
    case consentNotActive(ConsentStatus)
    case erased
    case denied(DenialReason)
    case disclosure(DisclosureDenial)
    case invalid([String])
    /// Too many look-ups of who someone is (duplicate checks) in a short time; try again after `retryAfterSeconds`.
    case tooManyLookups(retryAfterSeconds: Int)
}

/// Clients and their consents in PostgreSQL, as the app role acting for an organisation. Who a client is
/// lives in the vault (`VaultStore`); `Privacy` puts the two together.
public struct ClientStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Registers a client of `actor`'s organisation; `whileOpen` runs before the registration commits (the
    /// vault write), so a failure there leaves no client behind.
    public func register(_ id: UUID, by actor: Actor, whileOpen: @Sendable () async throws -> Void) async throws -> ClientRecord {
        try await transaction(actingFor: actor) { connection in
            let record = try await Self.insert(id, by: actor, on: connection, logger: logger)
            try await whileOpen()
            return record
        }
    }

    /// A new client of `actor`'s organisation, inside the caller's tenant transaction.
    static func insert(_ id: UUID, by actor: Actor, on connection: PostgresConnection, logger: Logger) async throws -> ClientRecord {
        let registeredAt = try await connection.query(
            """
            INSERT INTO clients (id, organisation_id, registered_by) VALUES (\(id), \(actor.organisationID), \(actor.userID))
            RETURNING registered_at
            """, logger: logger
        ).collect().first!.decode(Date.self)
        return ClientRecord(id: id, organisation: actor.organisationID, registeredAt: registeredAt, erasedAt: nil)
    }

    /// A client of the acting organisation; nil for anyone else's.
    public func client(_ id: UUID, actingFor actor: Actor) async throws -> ClientRecord? {
        try await transaction(actingFor: actor) { connection in
            try await Self.record(id, on: connection, logger: logger)
        }
    }

    public func markErased(_ id: UUID, organisation: UUID) async throws {
        _ = try await client.withTenantTransaction(organisation: organisation, logger: logger) { connection in
            try await connection.query("UPDATE clients SET erased_at = coalesce(erased_at, koppel_now()) WHERE id = \(id)", logger: logger)
        }
    }

    /// The client's consents the acting organisation may see, and today's date as PostgreSQL has it.
    public func consents(of clientID: UUID, actingFor actor: Actor) async throws -> (consents: [Consent], today: String) {
        try await transaction(actingFor: actor) { connection in
            (try await ConsentRows.of(client: clientID, on: connection, logger: logger), try await ConsentRows.today(on: connection, logger: logger))
        }
    }

    /// Records a consent for a client of `actor`'s organisation.
    public func record(_ new: NewConsent, for clientID: UUID, by actor: Actor) async throws -> Consent {
        try await transaction(actingFor: actor) { connection in
            try await Self.record(new, for: clientID, by: actor, on: connection, logger: logger)
        }
    }

    /// Records a consent inside the caller's tenant transaction, checked against today as the clock has it.
    static func record(_ new: NewConsent, for clientID: UUID, by actor: Actor, on connection: PostgresConnection, logger: Logger) async throws -> Consent {
        guard let record = try await Self.record(clientID, on: connection, logger: logger) else { throw PrivacyError.notFound }
        if record.erasedAt != nil { throw PrivacyError.erased }
        var problems = new.problems(today: try await ConsentRows.today(on: connection, logger: logger))
        if problems.isEmpty { problems = try await Self.unknownActors(new.provisions, on: connection, logger: logger) }
        guard problems.isEmpty else { throw PrivacyError.invalid(problems) }
        let id = UUID()
        try await connection.query(
            """
            INSERT INTO consents (id, client_id, organisation_id, recorded_by, status, grantor, obtained_on, evidence, legal_basis,
                valid_from, valid_until, provisions)
            VALUES (\(id), \(clientID), \(actor.organisationID), \(actor.userID), 'active', \(new.grantor.rawValue),
                \(new.obtainedOn)::date, \(new.evidence.rawValue), \(new.legalBasis.rawValue), \(new.validFrom)::date,
                \(new.validUntil)::date, \(try StoredProvision.encode(new.provisions))::jsonb)
            """, logger: logger)
        return try await ConsentRows.of(client: clientID, on: connection, logger: logger).first { $0.id == id }!
    }

    /// A provision about an organisation or programme Koppel does not have would permit or deny nothing anyone could
    /// be held to: refused, with the provision named.
    static func unknownActors(_ provisions: [ConsentProvision], on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        let rows = try await connection.query(
            """
            SELECT a.position::int FROM unnest(\(provisions.map(\.actor.type)), \(provisions.map(\.actor.id))) WITH ORDINALITY AS a(type, id, position)
            WHERE NOT (CASE a.type WHEN 'organisation' THEN EXISTS (SELECT 1 FROM organisations o WHERE o.id = a.id)
                                   ELSE EXISTS (SELECT 1 FROM programmes p WHERE p.id = a.id) END)
            ORDER BY 1
            """, logger: logger
        ).collect()
        return try rows.map { "provisions[\(try $0.decode(Int.self) - 1)] names no organisation or programme in Koppel." }
    }

    /// Withdraws a consent at once. Open referrals that relied on it go on under another consent in force
    /// that covers their programme, or are withdrawn with reason "consent withdrawn". Returns those withdrawn.
    public func withdraw(_ consentID: UUID, of clientID: UUID, by actor: Actor) async throws -> [UUID] {
        try await transaction(actingFor: actor) { connection in
            try await Self.end(consentID, of: clientID, as: .withdrawn, user: actor.userID, organisation: actor.organisationID, on: connection, logger: logger)
        }
    }

    /// Marks every consent past its last day expired, with the same effect on referrals as a withdrawal. Each
    /// in its own transaction for its own organisation; safe to run on several replicas at once. Returns how
    /// many consents it expired.
    public func expireConsents() async throws -> Int {
        let due = try await client.withClockedTransaction(logger: logger) { connection in
            try await connection.query("SELECT consent_id, organisation_id FROM counts.consents_past_expiry()", logger: logger).collect()
        }.map { try $0.decode((UUID, UUID).self) }
        var expired = 0
        for (consentID, organisation) in due {
            let done = try await client.withTenantTransaction(organisation: organisation, logger: logger) { connection in
                let rows = try await connection.query(
                    "SELECT client_id FROM consents WHERE id = \(consentID) AND status = 'active' AND valid_until < koppel_today() FOR UPDATE SKIP LOCKED",
                    logger: logger
                ).collect()
                guard let clientID = try rows.first?.decode(UUID.self) else { return false }
                _ = try await Self.end(consentID, of: clientID, as: .expired, user: nil, organisation: organisation, on: connection, logger: logger)
                return true
            }
            if done { expired += 1 }
        }
        return expired
    }

    /// Clients whose identifying data is past every programme's retention period: (client, organisation).
    public func clientsPastRetention() async throws -> [(client: UUID, organisation: UUID)] {
        try await client.withClockedTransaction(logger: logger) { connection in
            try await connection.query("SELECT client_id, organisation_id FROM counts.clients_past_retention()", logger: logger).collect()
        }.map { try $0.decode((UUID, UUID).self) }
    }

    /// Of these clients, those not marked erased, with their organisation; across organisations, ids only.
    public func clientsNotErased(_ ids: [UUID]) async throws -> [(client: UUID, organisation: UUID)] {
        guard !ids.isEmpty else { return [] }
        return try await client.query("SELECT client_id, organisation_id FROM counts.clients_not_erased(\(ids))", logger: logger)
            .collect().map { try $0.decode((UUID, UUID).self) }
    }

    /// Every client marked erased, across organisations: ids only.
    public func erasedClients() async throws -> [UUID] {
        try await client.query("SELECT counts.erased_clients()", logger: logger).collect().map { try $0.decode(UUID.self) }
    }

    /// Whether any of these clients has an open referral to the programme (whoever filed it).
    /// Of these clients, those with an open referral to the programme that `actor`'s organisation may see (as its
    /// referrer or its operator; row-level security decides): what a duplicate check may tell, and no more.
    public func withOpenReferral(_ clients: [UUID], to programme: UUID, actingFor actor: Actor) async throws -> [UUID] {
        guard !clients.isEmpty else { return [] }
        return try await transaction(actingFor: actor) { connection in
            try await connection.query(
                """
                SELECT DISTINCT client_id FROM referrals
                WHERE client_id = ANY(\(clients)) AND programme_id = \(programme) AND state IN ('submitted', 'waitlisted', 'accepted', 'active')
                """, logger: logger
            ).collect().map { try $0.decode(UUID.self) }
        }
    }

    // MARK: -

    static func record(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> ClientRecord? {
        try await connection.query("SELECT id, organisation_id, registered_at, erased_at FROM clients WHERE id = \(id)", logger: logger)
            .collect().first.map { row in
                let (id, organisation, registeredAt, erasedAt) = try row.decode((UUID, UUID, Date, Date?).self)
                return ClientRecord(id: id, organisation: organisation, registeredAt: registeredAt, erasedAt: erasedAt)
            }
    }

    static func end(
        _ consentID: UUID, of clientID: UUID, as status: ConsentStatus, user: UUID?, organisation: UUID,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> [UUID] {
        let rows = try await connection.query(
            "SELECT status FROM consents WHERE id = \(consentID) AND client_id = \(clientID) AND organisation_id = \(organisation) FOR UPDATE",
            logger: logger
        ).collect()
        guard let current = try rows.first?.decode(String.self) else { throw PrivacyError.consentNotFound }
        guard current == ConsentStatus.active.rawValue else { throw PrivacyError.consentNotActive(ConsentStatus(rawValue: current) ?? .withdrawn) }
        try await connection.query(
            "UPDATE consents SET status = \(status.rawValue), ended_at = koppel_now(), ended_by = \(user) WHERE id = \(consentID)", logger: logger)
        let remaining = try await ConsentRows.of(client: clientID, on: connection, logger: logger)
        let today = try await ConsentRows.today(on: connection, logger: logger)
        let reason: ReferralReason = status == .expired ? .consentExpired : .consentWithdrawn
        var withdrawn: [UUID] = []
        let relying = try await connection.query(
            "SELECT id FROM referrals WHERE consent_id = \(consentID) AND state IN ('submitted', 'waitlisted', 'accepted', 'active') FOR UPDATE",
            logger: logger
        ).collect().map { try $0.decode(UUID.self) }
        for id in relying {
            // Locked, as a step locks it: a coordinator's step and this withdrawal do not both act on one state.
            let referral = try await ReferralStore.fetch(id, lock: true, on: connection, logger: logger)
            if status == .withdrawn {
                // Those who hold the referral hear that its consent was withdrawn, whatever becomes of the referral.
                try await Outbox.referralChanged(
                    .init(referral), event: .consentWithdrawn, notify: referral.audience(after: referral.state),
                    extra: ["consent_id": consentID.uuidString.lowercased(), "client_id": clientID.uuidString.lowercased()],
                    on: connection, logger: logger)
            }
            if let other = ConsentEvaluation.permitting(
                remaining, organisation: referral.operatorID, programme: referral.programme.id, purpose: .referral, dataClass: nil, on: today)
            {
                try await connection.query("UPDATE referrals SET consent_id = \(other.id) WHERE id = \(id)", logger: logger)
                continue
            }
            guard case .success(let next) = ReferralStateMachine.step(.withdraw, from: referral.state, reason: reason) else { continue }
            try await ReferralStore.record(
                referral, to: next, action: ReferralAction.withdraw.rawValue, reason: reason, related: nil, user: user, organisation: organisation,
                on: connection, logger: logger)
            withdrawn.append(id)
        }
        return withdrawn
    }

    func transaction<T: Sendable>(actingFor actor: Actor, _ body: (PostgresConnection) async throws -> sending T) async throws -> sending T {
        try await client.withTenantTransaction(
            organisation: actor.organisationID, user: actor.userID, logger: logger, body)
    }
}

extension ClientStore {
    /// The client a consent of the acting organisation belongs to; nil for any other consent.
    public func clientOfConsent(_ consentID: UUID, actingFor actor: Actor) async throws -> UUID? {
        try await transaction(actingFor: actor) { connection in
            try await connection.query("SELECT client_id FROM consents WHERE id = \(consentID)", logger: logger).collect().first?.decode(UUID.self)
        }
    }
}
