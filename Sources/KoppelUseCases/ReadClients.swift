import Foundation
import KoppelCore
import KoppelStore

/// A client as other systems may know them: a pseudonymous id, seen by the organisation that registered them and by
/// the programmes their referrals went to. Who the client is stays in the vault, reached by the audited reveal only.
public struct ReadClients: Sendable {
    let privacy: Privacy

    /// The client's id and since when the caller knows them (registered, or first referred to them), or `client.not_found`.
    public func pseudonym(_ id: UUID, by actor: Actor) async throws -> (id: UUID, registeredAt: Date) {
        if case .deny(let reason) = AccessPolicy.decide(actor, .listReferrals) { throw reason.failure }
        if let record = try await privacy.clients.client(id, actingFor: actor) { return (id, record.registeredAt) }
        // A programme knows the client from the first referral it was sent.
        guard let first = try await privacy.referrals.referrals(ofClient: id, actingFor: actor).map(\.createdAt).min() else {
            throw PrivacyError.notFound.failure
        }
        return (id, first)
    }

    /// One consent of a client of the caller's organisation, with the day its status is read on.
    public func consent(_ consentID: UUID, by actor: Actor) async throws -> (consent: Consent, today: String) {
        guard let client = try await privacy.clients.clientOfConsent(consentID, actingFor: actor) else { throw PrivacyError.consentNotFound.failure }
        let (consents, today) = try await reportingFailures { try await privacy.consents(of: client, by: actor) }
        guard let consent = consents.first(where: { $0.id == consentID }) else { throw PrivacyError.consentNotFound.failure }
        return (consent, today)
    }
}
