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
        try await transaction(actingFor: actor, settingTenantInFirstStatement: true) { connection in
            let facts = try await Self.facts(of: new, by: actor, on: connection, logger: logger)
            return try await Self.create(new, facts: facts, by: actor, idempotency: idempotency, response: response, on: connection, logger: logger)
        }
    }

    /// Files a referral for whoever holds `token`, checked by the first statement with the facts (decision 0027): nil
    /// when the token does not work (unknown, expired or revoked, its user disabled), and nothing is written.
    /// `authorize` decides, once the account is known, whether it may file at all. Without an idempotency key there is
    /// no transaction block: the facts, then the write, which checks the token again (decision 0029).
    public func create(
        _ new: NewReferral, presenting token: SecretToken, authorize: @Sendable (Actor) throws -> Void, idempotency: IdempotencyKey?,
        response: @escaping @Sendable (Actor) -> StoredResponse
    ) async throws -> (actor: Actor, outcome: Idempotent<Referral>)? {
        guard APITokenStore.mayBeToken(token) else { return nil }
        // Made once a connection is had, so the clock is not read before a wait for one.
        func facts(_ settings: TokenSettings, on connection: PostgresConnection) async throws -> (Actor, SubmissionFacts)? {
            let rows = try await connection.rows(SubmissionFactsForToken(token: settings, new: new), logger: logger).map(PostgresRandomAccessRow.init)
            guard let first = rows.first else { return nil }
            let account = try TokenSettings.account(in: first)
            guard !account.isDisabled else { return nil }
            try authorize(account.actor)
            return (account.actor, try SubmissionFacts.decode(rows, trailing: TokenSettings.accountColumns))
        }
        guard let idempotency else {
            return try await client.withStatements(logger: logger) { connection in
                let settings = TokenSettings(token)
                guard let (actor, facts) = try await facts(settings, on: connection) else { return nil }
                let filing = try await Self.filing(new, facts: facts, by: actor, on: connection, logger: logger)
                guard let row = try await connection.rows(FileReferralForToken(token: settings, referral: filing), logger: logger).first else { return nil }
                return (actor, .done(try ReferralRow.decode(row)))
            }
        }
        return try await client.withTenantTransactionSetByFirstStatement(logger: logger) { connection in
            guard let (actor, facts) = try await facts(TokenSettings(token), on: connection) else { return nil }
            let outcome = try await Self.create(
                new, facts: facts, by: actor, idempotency: idempotency, response: response(actor), on: connection, logger: logger)
            return (actor, outcome)
        }
    }

    /// Files a referral given its facts, unless its idempotency key answered before.
    private static func create(
        _ new: NewReferral, facts: SubmissionFacts, by actor: Actor, idempotency: IdempotencyKey?, response: StoredResponse,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> Idempotent<Referral> {
        if let idempotency, let stored = try await Idempotency.lookUp(idempotency, user: actor.userID, on: connection, logger: logger) {
            return .replayed(status: stored.status, body: stored.body)
        }
        let referral = try await file(new, facts: facts, by: actor, on: connection, logger: logger)
        return try await finish(referral, actor: actor, idempotency: idempotency, response: response, on: connection, logger: logger)
    }

    /// A new client, their consent and a referral for them, as one: the web intake. One transaction, so a referral
    /// that is refused leaves no client or consent behind; `sealIdentity` (the vault write) runs last, once
    /// everything else is accepted, so a refusal leaves nothing in the vault either.
    public func createWithNewClient(
        _ clientID: UUID, consent: NewConsent, _ new: NewReferral, by actor: Actor, idempotency: IdempotencyKey?, response: StoredResponse,
        sealIdentity: @Sendable () async throws -> Void
    ) async throws -> Idempotent<Referral> {
        try await transaction(actingFor: actor) { connection in
            if let idempotency, let stored = try await Idempotency.lookUp(idempotency, user: actor.userID, on: connection, logger: logger) {
                return .replayed(status: stored.status, body: stored.body)
            }
            _ = try await ClientStore.insert(clientID, by: actor, on: connection, logger: logger)
            _ = try await ClientStore.record(consent, for: clientID, by: actor, on: connection, logger: logger)
            var new = new
            new.clientID = clientID
            let referral = try await Self.file(new, by: actor, on: connection, logger: logger)
            try await sealIdentity()
            return try await Self.finish(referral, actor: actor, idempotency: idempotency, response: response, on: connection, logger: logger)
        }
    }

    /// Files a referral inside the caller's tenant transaction.
    static func file(_ new: NewReferral, by actor: Actor, on connection: PostgresConnection, logger: Logger) async throws -> Referral {
        try await file(new, facts: try await facts(of: new, by: actor, on: connection, logger: logger), by: actor, on: connection, logger: logger)
    }

    /// Files a referral inside the caller's tenant transaction, given the facts it is checked against.
    static func file(
        _ new: NewReferral, facts: SubmissionFacts, by actor: Actor, on connection: PostgresConnection, logger: Logger
    ) async throws -> Referral {
        let filing = try await filing(new, facts: facts, by: actor, on: connection, logger: logger)
        return try ReferralRow.decode(try await connection.rows(filing, logger: logger)[0])
    }

    /// The write that files a referral, given the facts it is checked against: the one place the filing rules are
    /// applied. The connection is asked only to explain a municipality it cannot take.
    static func filing(
        _ new: NewReferral, facts: SubmissionFacts, by actor: Actor, on connection: PostgresConnection, logger: Logger
    ) async throws -> FileReferral {
        guard let programme = facts.programme else { throw ReferralError.programmeNotFound }
        let target = ProgrammeRules(programme: programme)
        let municipality = try await Self.municipality(new.municipality, facts.municipality, today: facts.today, on: connection, logger: logger)
        try Self.requireLivingClient(erased: facts.clientErased)
        var overridden: [EligibilityRule] = []
        var basis = ConsentBasis()
        if new.submit {
            overridden = target.programme.unmetRules(ageBand: new.ageBand, municipality: municipality, targetGroup: new.targetGroup)
            if !overridden.isEmpty && new.overrideReason == nil { throw ReferralError.ineligible(overridden) }
            basis = try Self.consentBasis(
                consents: facts.consents, programme: target, today: facts.today, override: new.consentOverrideReason, by: actor)
        }
        return FileReferral(
            id: UUID(), new: new, actor: actor, operatorID: target.operatorID, municipality: municipality.code,
            state: new.submit ? .submitted : .draft, overridden: overridden, basis: basis,
            notify: Referral.audienceOfFiling(referrer: actor.organisationID, operatorID: target.operatorID, submitted: new.submit),
            deadline: Day(facts.today).flatMap { ReferralDeadline.after(reaching: new.submit ? .submitted : .draft, on: $0, terms: target.programme.responseTerms) })
    }

    /// One referral `actor` may see (row-level security for their organisation, then the access policy for
    /// them); nil otherwise, whether it exists or not. One statement and no transaction block: `referral_as` sets the
    /// tenant for the statement alone.
    public func referral(_ id: UUID, actingFor actor: Actor) async throws -> Referral? {
        let rows = try await client.rowsSettingTenant(ReferralAs(tenant: TenantSettings(actor), id: id, lock: false), logger: logger)
        return Self.visible(try rows.first.map(ReferralRow.decode), to: actor)
    }

    /// One referral for whoever holds `token`, read by the statement that checks the token (decision 0026): nil when
    /// the token does not work (unknown, expired or revoked, its user disabled); else its account, with the referral
    /// when that account may see it.
    public func referral(_ id: UUID, presenting token: SecretToken) async throws -> (account: Account, referral: Referral?)? {
        guard APITokenStore.mayBeToken(token),
            let row = try await client.withStatements(logger: logger, { connection in
                try await connection.rows(ReferralForToken(token: TokenSettings(token), id: id), logger: logger)
            }).first
        else { return nil }
        let cells = PostgresRandomAccessRow(row)
        let account = try TokenSettings.account(in: cells)
        guard try cells[0].decode(UUID?.self) != nil else { return (account, nil) }
        return (account, Self.visible(try ReferralRow.decode(row), to: account.actor))
    }

    /// A page of the referrals `actor` sees, newest first, in one statement that sets the tenant itself, with no
    /// transaction block (`referral_page_as`, decision 0030). The page is chosen first, on the indexes, and only its
    /// rows are then dressed with names and waiting-list positions.
    public func list(_ filter: ReferralFilter, actingFor actor: Actor, visibility: ReferralVisibility? = nil) async throws -> [Referral] {
        let visibility = visibility ?? ReferralVisibility(actor)
        guard visibility.seesAny else { return [] }
        let page = ReferralPageAs(tenant: TenantSettings(actor), visibility: visibility, filter: filter)
        return try await client.rowsSettingTenant(page, logger: logger).map(ReferralRow.decode)
    }

    /// Every step of a referral the caller's organisation may see, oldest first.
    public func history(of id: UUID, actingFor actor: Actor) async throws -> [ReferralEvent] {
        try await transaction(actingFor: actor) { connection in
            try await ReferralHistory.events(of: id, on: connection, logger: logger)
        }
    }

    /// A transaction acting for `actor`'s organisation. A referral error thrown inside rolls it back and reaches
    /// the caller as itself, not wrapped in a transaction error.
    func transaction<T: Sendable>(
        actingFor actor: Actor, settingTenantInFirstStatement: Bool = false, _ body: (PostgresConnection) async throws -> sending T
    ) async throws -> sending T {
        try await client.withTenantTransaction(
            organisation: actor.organisationID, user: actor.userID, settingTenantInFirstStatement: settingTenantInFirstStatement, logger: logger,
            body)
    }

    static func fetch(_ id: UUID, lock: Bool, on connection: PostgresConnection, logger: Logger) async throws -> Referral {
        guard let referral = try await fetchIfVisible(id, lock: lock, on: connection, logger: logger) else { throw ReferralError.notFound }
        return referral
    }

    static func fetchIfVisible(_ id: UUID, lock: Bool, on connection: PostgresConnection, logger: Logger) async throws -> Referral? {
        if lock { try await connection.query("SELECT 1 FROM referrals WHERE id = \(id) FOR UPDATE", logger: logger) }
        return try await connection.rows(ReferralByID(id: id), logger: logger).first.map(ReferralRow.decode)
    }

    /// The referral if its organisation's rows include it and the access policy lets `actor` see it. Its statement
    /// sets `actor`'s tenant, so it may be a transaction's first (`settingTenantInFirstStatement`).
    static func fetchIfVisible(
        _ id: UUID, to actor: Actor, lock: Bool, on connection: PostgresConnection, logger: Logger
    ) async throws -> Referral? {
        let rows = try await connection.rows(ReferralAs(tenant: TenantSettings(actor), id: id, lock: lock), logger: logger)
        return visible(try rows.first.map(ReferralRow.decode), to: actor)
    }

    /// The referral if the access policy lets `actor` see it.
    static func visible(_ referral: Referral?, to actor: Actor) -> Referral? {
        guard let referral, AccessPolicy.decide(actor, .viewReferral(referral.scope)).isAllowed else { return nil }
        return referral
    }

    /// What a new referral is checked against, read as the statement that sets the tenant for the rest of the
    /// transaction (`SubmissionFactsAs`).
    static func facts(of new: NewReferral, by actor: Actor, on connection: PostgresConnection, logger: Logger) async throws -> SubmissionFacts {
        let rows = try await connection.rows(SubmissionFactsAs(tenant: TenantSettings(actor), new: new), logger: logger)
        return try SubmissionFacts.decode(rows.map(PostgresRandomAccessRow.init))
    }

    /// The municipality a new referral names, or why it names none: unknown (with the closest names), ambiguous, or
    /// ended. Only the failures read further, as of the facts' `today`: outside a transaction the connection has no clock set.
    static func municipality(
        _ input: String, _ match: MunicipalityMatch?, today: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> Municipality {
        guard let match else {
            let names = try await connection.query(
                "SELECT n.name FROM municipality_names n JOIN municipalities m ON m.code = n.municipality WHERE m.ended_on IS NULL OR m.ended_on > \(today)::date",
                logger: logger
            ).collect().map { try $0.decode(String.self) }
            throw ReferralError.unknownMunicipality(input, suggestions: PlaceName.closest(to: input, among: names))
        }
        if match.existing > 1 {
            let candidates = try await connection.query(
                """
                SELECT m.name || ' (' || m.code || ')' FROM municipalities m
                WHERE (m.ended_on IS NULL OR m.ended_on > \(today)::date)
                  AND m.code IN (SELECT n.municipality FROM municipality_names n WHERE n.folded = \(PlaceName.folded(input)))
                ORDER BY m.code
                """, logger: logger
            ).collect().map { try $0.decode(String.self) }
            throw ReferralError.ambiguousMunicipality(input, candidates: candidates)
        }
        if match.existing == 0 {
            throw ReferralError.endedMunicipality(match.municipality.name, endedOn: match.endedOn ?? "", successor: match.successor)
        }
        return match.municipality
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

extension ReferralStore {
    /// Every referral of a client that `actor` may see, newest first.
    public func referrals(ofClient clientID: UUID, actingFor actor: Actor) async throws -> [Referral] {
        try await transaction(actingFor: actor) { connection in
            try await connection.query(
                "SELECT \(unescaped: ReferralRow.columns) FROM referrals r \(unescaped: ReferralRow.lookups) WHERE r.client_id = \(clientID) ORDER BY r.created_at DESC",
                logger: logger
            ).collect().map(ReferralRow.decode).filter { AccessPolicy.decide(actor, .viewReferral($0.scope)).isAllowed }
        }
    }

    /// The names of these organisations.
    public func organisationNames(_ ids: Set<UUID>) async throws -> [UUID: String] {
        guard !ids.isEmpty else { return [:] }
        var names: [UUID: String] = [:]
        for row in try await client.query("SELECT id, name FROM organisations WHERE id = ANY(\(Array(ids)))", logger: logger).collect() {
            let (id, name) = try row.decode((UUID, String).self)
            names[id] = name
        }
        return names
    }

    /// The referral id a form with this idempotency key made before, if it did.
    public func storedAnswer(for key: IdempotencyKey, by actor: Actor) async throws -> String? {
        try await transaction(actingFor: actor) { connection in
            try await Idempotency.lookUp(key, user: actor.userID, on: connection, logger: logger)?.body
        }
    }

    /// Tells the other side a referral has news (a message), without saying what.
    public func noteChanged(_ referral: Referral, by actor: Actor) async throws {
        try await transaction(actingFor: actor) { connection in
            try await Outbox.referralChanged(
                .init(referral), event: .referralMessagePosted, notify: referral.audience(after: referral.state), on: connection, logger: logger)
        }
    }
}
