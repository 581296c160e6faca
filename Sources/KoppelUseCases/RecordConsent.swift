import Foundation
import KoppelCore
import KoppelStore

/// A caseworker records a client's consent: what the client permits or denies, to whom, for what, for how long.
/// The consent is checked (`NewConsent.problems`) and written, with its audit entry, in one transaction.
public struct RecordConsent: Sendable {
    let privacy: Privacy

    public func run(_ consent: NewConsent, for clientID: UUID, by actor: Actor) async throws -> Consent {
        return try await reportingFailures { try await privacy.recordConsent(consent, for: clientID, by: actor) }
    }
}

/// The consents of a client of the caller's organisation, and the day their status is read on.
public struct ReadConsents: Sendable {
    let privacy: Privacy

    public func run(of clientID: UUID, by actor: Actor) async throws -> (consents: [Consent], today: String) {
        try await reportingFailures { try await privacy.consents(of: clientID, by: actor) }
    }
}
