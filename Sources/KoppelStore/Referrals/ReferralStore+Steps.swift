import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// A step someone asks to take.
public struct ReferralStepRequest: Sendable {
    public var action: ReferralAction
    public var reason: ReferralReason?
    /// For forward: the programme to send the referral on to.
    public var targetProgrammeID: UUID?
    /// For forward: why the target programme should take the referral despite a rule it does not meet.
    public var overrideReason: EligibilityOverrideReason?
    /// For submit: why to go ahead without a consent covering the programme.
    public var consentOverrideReason: ConsentOverrideReason?

    public init(
        action: ReferralAction, reason: ReferralReason? = nil, targetProgrammeID: UUID? = nil, overrideReason: EligibilityOverrideReason? = nil,
        consentOverrideReason: ConsentOverrideReason? = nil
    ) {
        self.consentOverrideReason = consentOverrideReason
        self.action = action
        self.reason = reason
        self.targetProgrammeID = targetProgrammeID
        self.overrideReason = overrideReason
    }
}

extension ReferralStore {
    /// Takes a step on a referral: the row is locked, the policy and the state machine decide, places are
    /// counted under a lock of the programme (so two coordinators cannot both take the last place), and the
    /// change, its event and its notification are written in one transaction.
    public func step(
        _ id: UUID, _ request: ReferralStepRequest, by actor: Actor, idempotency: IdempotencyKey?, response: @escaping StoredResponse,
        expectedVersion: Int? = nil
    ) async throws -> Idempotent<Referral> {
        try await transaction(actingFor: actor, settingTenantInFirstStatement: true) { connection in
            let row = try await connection.rows(ReferralForStepAs(tenant: TenantSettings(actor), id: id), logger: logger).first
            let step = StepOnReferral(
                request: request, actor: actor, idempotency: idempotency, response: response, expectedVersion: expectedVersion)
            return try await step.take(on: row.map { ($0, try ReferralForStepAs.terms(in: $0)) }, connection, logger)
        }
    }

    /// Takes a step for whoever holds `token`, checked by the transaction's first statement with the read of the
    /// referral (decision 0032): nil when the token does not work (unknown, expired or revoked, its user disabled),
    /// and nothing is written. `authorize` decides, once the account is known, whether it may take steps at all.
    public func step(
        _ id: UUID, _ request: ReferralStepRequest, presenting token: SecretToken, authorize: @Sendable (Actor) throws -> Void,
        idempotency: IdempotencyKey?, response: @escaping @Sendable (Actor) -> StoredResponse
    ) async throws -> (actor: Actor, outcome: Idempotent<Referral>)? {
        guard APITokenStore.mayBeToken(token) else { return nil }
        return try await client.withTenantTransactionSetByFirstStatement(logger: logger) { connection in
            guard let row = try await connection.rows(ReferralForStepForToken(token: TokenSettings(token), id: id), logger: logger).first
            else { return nil }
            let cells = PostgresRandomAccessRow(row)
            let account = try TokenSettings.account(in: cells)
            guard !account.isDisabled else { return nil }
            try authorize(account.actor)
            // The referral's columns are null when the account's organisation cannot see it.
            let found = try cells[0].decode(UUID?.self) == nil ? nil : row
            let step = StepOnReferral(request: request, actor: account.actor, idempotency: idempotency, response: response(account.actor))
            let terms = try found.map { ($0, try ReferralForStepAs.terms(in: $0, before: TokenSettings.accountColumns)) }
            return (account.actor, try await step.take(on: terms, connection, logger))
        }
    }

    /// Writes a step taken: the new state, its event and its notification, in one statement (`record_step`, decision
    /// 0031). Returns the referral as it now is. The deadline the new state brings follows the programme's `terms`,
    /// read here when the caller has not read them already.
    @discardableResult
    static func record(
        _ referral: Referral, to next: ReferralState, action: String, reason: ReferralReason?, related: UUID?, user: UUID?, organisation: UUID,
        terms: ResponseTerms? = nil, on connection: PostgresConnection, logger: Logger
    ) async throws -> Referral {
        let today = Day.today()
        let deadline = if let terms {
            ReferralDeadline.after(reaching: next, on: today, terms: terms)
        } else {
            try await Self.deadline(of: referral.programme.id, reaching: next, on: today, on: connection, logger: logger)
        }
        // A forward names the new referral, which its own `referral.submitted` announces to the new operator.
        let extra = next == .forwarded ? related.map { ["forwarded_to": $0.uuidString.lowercased()] } ?? [:] : [:]
        let step = RecordStep(
            referral: referral.id, from: referral.state, to: next, action: action, reason: reason, related: related, user: user,
            organisation: organisation, deadline: deadline,
            answeredInTime: ReferralAction(rawValue: action).flatMap { referral.deadline?.answeredInTime(by: $0, on: today) },
            event: .referral(reaching: next), notify: referral.audience(after: next), extra: try Outbox.object(extra))
        // No row: another step came first, for a caller that read the referral without locking it.
        guard let row = try await connection.rows(step, logger: logger).first else { throw ReferralError.versionMismatch(current: referral.version + 1) }
        return try ReferralRow.decode(row)
    }

    /// The deadline a referral of `programme` has once it reaches `state`: its terms are read only when it has one.
    static func deadline(
        of programme: UUID, reaching state: ReferralState, on day: Day, on connection: PostgresConnection, logger: Logger
    ) async throws -> ReferralDeadline? {
        guard DeadlineKind(owedIn: state) != nil else { return nil }
        let rows = try await connection.query(
            """
            SELECT p.response_working_days, p.start_working_days, p.review_working_days, o.country
            FROM programmes p JOIN organisations o ON o.id = p.operator_id WHERE p.id = \(programme)
            """, logger: logger
        ).collect()
        guard let (response, start, review, country) = try rows.first?.decode((Int, Int, Int, String).self) else { return nil }
        let terms = ResponseTerms(responseDays: response, startDays: start, reviewDays: review, country: HolidayCountry(isoCode: country))
        return ReferralDeadline.after(reaching: state, on: day, terms: terms)
    }

    /// Accepting takes a place: refused when none is free. The programme lock makes concurrent accepts queue, and
    /// each counts after the one before has committed.
    static func claimPlace(for referral: Referral, on connection: PostgresConnection, logger: Logger) async throws {
        guard let row = try await connection.rows(PlacesClaimed(programme: referral.programme.id), logger: logger).first else {
            throw ReferralError.programmeNotFound
        }
        let (total, inUse) = try row.decode((Int?, Int).self)
        if let total, inUse >= total { throw ReferralError.noPlaceFree(placesTotal: total) }
    }

    /// A draft is checked when it is submitted: its client, the programme's rules (overrides recorded), and the
    /// consent that covers the programme (or a recorded override).
    static func checkSubmission(
        of referral: Referral, _ request: ReferralStepRequest, by actor: Actor, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await checkClient(referral.clientID, on: connection, logger: logger)
        let rules = try await ProgrammeRules.load(referral.programme.id, on: connection, logger: logger)
        let unmet = rules.programme.unmetRules(ageBand: referral.ageBand, municipality: referral.municipality, targetGroup: referral.targetGroup)
        if !unmet.isEmpty {
            guard let overrideReason = request.overrideReason else { throw ReferralError.ineligible(unmet) }
            try await connection.query(
                "UPDATE referrals SET overridden_rules = \(unmet.map(\.rawValue)), override_reason = \(overrideReason.rawValue) WHERE id = \(referral.id)",
                logger: logger)
        }
        let basis = try await consentBasis(
            client: referral.clientID, programme: rules, override: request.consentOverrideReason, by: actor, on: connection, logger: logger)
        try await connection.query(
            "UPDATE referrals SET consent_id = \(basis.consent), consent_override_reason = \(basis.override?.rawValue) WHERE id = \(referral.id)",
            logger: logger)
    }

    /// Sends a referral on to another programme: a new, linked referral is submitted there on behalf of the
    /// original referrer, checked against that programme's rules (the coordinator may override, with a reason).
    /// Returns its id.
    static func forward(
        _ referral: Referral, _ request: ReferralStepRequest, by actor: Actor, on connection: PostgresConnection, logger: Logger
    ) async throws -> UUID {
        guard let target = request.targetProgrammeID else { throw ReferralError.forwardTargetMissing }
        guard target != referral.programme.id else { throw ReferralError.forwardToSameProgramme }
        let rules = try await ProgrammeRules.load(target, on: connection, logger: logger)
        let unmet = rules.programme.unmetRules(ageBand: referral.ageBand, municipality: referral.municipality, targetGroup: referral.targetGroup)
        if !unmet.isEmpty && request.overrideReason == nil { throw ReferralError.ineligible(unmet) }
        let basis = try await consentBasis(client: referral.clientID, programme: rules, override: nil, by: actor, on: connection, logger: logger)
        let id = UUID()
        let deadline = ReferralDeadline.after(reaching: .submitted, on: Day.today(), terms: rules.programme.responseTerms)
        try await connection.query(
            """
            INSERT INTO referrals (id, client_id, referring_organisation_id, referring_user_id, programme_id, operator_id,
                target_group, age_band, municipality, needs, urgency, requested_start, state, overridden_rules, override_reason,
                forwarded_from, forwarded_by_organisation_id, consent_id, created_at, submitted_at, state_changed_at, due_kind, due_on,
                escalate_on)
            VALUES (\(id), \(referral.clientID), \(referral.referringOrganisation.id), \(referral.referringUserID), \(target),
                \(rules.operatorID), \(referral.targetGroup.rawValue), \(referral.ageBand.rawValue), \(referral.municipality.code),
                \(referral.needs.map(\.rawValue)), \(referral.urgency.rawValue), \(referral.requestedStart)::date, 'submitted',
                \(unmet.map(\.rawValue)), \(unmet.isEmpty ? nil : request.overrideReason?.rawValue), \(referral.id), \(actor.organisationID), \(basis.consent), koppel_now(), koppel_now(), koppel_now(),
                \(deadline?.kind.rawValue), \(deadline?.due.description)::date, \(deadline?.escalation.description)::date)
            """, logger: logger)
        try await ReferralHistory.append(
            referral: id, referrer: referral.referringOrganisation.id, operatorID: rules.operatorID, by: actor, action: "submit",
            from: nil, to: .submitted, reason: nil, related: referral.id, on: connection, logger: logger)
        let audience = Referral.audienceOfFiling(referrer: referral.referringOrganisation.id, operatorID: rules.operatorID, submitted: true)
        let facts = Outbox.ReferralFacts(id: id, programme: target, state: .submitted, version: 1, forwardedFrom: referral.id)
        try await Outbox.referralChanged(facts, event: .referralSubmitted, notify: audience, on: connection, logger: logger)
        return id
    }
}

/// A step asked for, taken once its referral is read and locked (by `ReferralForStepAs` or `ReferralForStepForToken`):
/// the access policy and the state machine decide, then the change is written. The one place both doors share.
private struct StepOnReferral {
    let request: ReferralStepRequest
    let actor: Actor
    let idempotency: IdempotencyKey?
    let response: StoredResponse
    var expectedVersion: Int?

    /// `read`: the referral's row and its programme's terms, nil when the caller's organisation cannot see it.
    func take(on read: (row: PostgresRow, terms: ResponseTerms)?, _ connection: PostgresConnection, _ logger: Logger) async throws -> Idempotent<Referral> {
        let visible = ReferralStore.visible(try read.map { try ReferralRow.decode($0.row) }, to: actor)
        if let idempotency, let stored = try await Idempotency.lookUp(idempotency, user: actor.userID, on: connection, logger: logger) {
            return .replayed(status: stored.status, body: stored.body)
        }
        guard let referral = visible, let read else { throw ReferralError.notFound }
        if let expectedVersion, expectedVersion != referral.version { throw ReferralError.versionMismatch(current: referral.version) }
        if case .deny(let reason) = AccessPolicy.decide(actor, .stepReferral(referral.scope, request.action)) {
            throw ReferralError.denied(reason)
        }
        let next: ReferralState
        switch ReferralStateMachine.step(request.action, from: referral.state, reason: request.reason) {
        case .success(let state): next = state
        case .failure(let error): throw ReferralError.impossibleStep(error)
        }
        var related: UUID?
        switch request.action {
        case .accept: try await ReferralStore.claimPlace(for: referral, on: connection, logger: logger)
        case .submit: try await ReferralStore.checkSubmission(of: referral, request, by: actor, on: connection, logger: logger)
        case .forward: related = try await ReferralStore.forward(referral, request, by: actor, on: connection, logger: logger)
        default: break
        }
        let changed = try await ReferralStore.record(
            referral, to: next, action: request.action.rawValue, reason: request.reason, related: related, user: actor.userID,
            organisation: actor.organisationID, terms: read.terms, on: connection, logger: logger)
        return try await ReferralStore.finish(changed, actor: actor, idempotency: idempotency, response: response, on: connection, logger: logger)
    }
}
