import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// On what ground a referral goes to a programme: the consent that covers it, or a recorded override.
struct ConsentBasis: Sendable {
    var consent: UUID?
    var override: ConsentOverrideReason?
}

extension ReferralStore {
    /// The client must be one the referrer registered and not erased.
    static func checkClient(_ client: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.rows(ClientErased(client: client), logger: logger)
        try requireLivingClient(erased: try rows.first?.decode(Bool.self))
    }

    /// `erased` is whether the referrer's client is erased, nil if the referrer has no such client.
    static func requireLivingClient(erased: Bool?) throws {
        guard let erased else { throw ReferralError.unknownClient }
        if erased { throw ReferralError.clientErased }
    }

    /// The consent basis on the database's day (see below).
    static func consentBasis(
        client: UUID, programme: ProgrammeRules, override: ConsentOverrideReason?, by actor: Actor,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> ConsentBasis {
        try await consentBasis(
            client: client, programme: programme, today: try await ConsentRows.today(on: connection, logger: logger), override: override,
            by: actor, on: connection, logger: logger)
    }

    /// A consent in force on `today` must let the programme (or its operator) process the referral. Without one, only a
    /// referrer the policy lets override may go ahead, and the reason is recorded.
    static func consentBasis(
        client: UUID, programme: ProgrammeRules, today: String, override: ConsentOverrideReason?, by actor: Actor,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> ConsentBasis {
        try consentBasis(
            consents: try await ConsentRows.of(client: client, on: connection, logger: logger), programme: programme, today: today, override: override,
            by: actor)
    }

    /// The same, given the client's consents.
    static func consentBasis(
        consents: [Consent], programme: ProgrammeRules, today: String, override: ConsentOverrideReason?, by actor: Actor
    ) throws -> ConsentBasis {
        if let consent = ConsentEvaluation.permitting(
            consents, organisation: programme.operatorID, programme: programme.programme.id, purpose: .referral, dataClass: nil, on: today)
        {
            return ConsentBasis(consent: consent.id)
        }
        guard let override else { throw ReferralError.noConsent(programme: programme.programme.name) }
        if case .deny(let reason) = AccessPolicy.decide(actor, .overrideMissingConsent(referringOrganisation: actor.organisationID)) {
            throw ReferralError.denied(reason)
        }
        return ConsentBasis(override: override)
    }
}
