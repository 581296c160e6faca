import Foundation
import KoppelCore
import KoppelStore

/// A caseworker registers a new client, records their consent and files a referral for them, as one: nothing is kept
/// of a refused intake. Before filing, Koppel warns when someone with the same name and birth date may already have an
/// open referral to the programme, unless the caseworker confirmed it is someone else.
public struct IntakeReferral: Sendable {
    let privacy: Privacy

    /// The failure code of that warning: the door asks the caseworker to confirm and send again.
    public static let possibleDuplicate = "client.possible_duplicate"

    public func run(
        _ identity: ClientIdentity, consent: NewConsent?, referral: NewReferral, confirmedNotDuplicate: Bool, by actor: Actor,
        idempotency: IdempotencyKey?, response: @escaping StoredResponse
    ) async throws -> Idempotent<Referral> {
        let problems = identity.problems(complete: true)
        guard problems.isEmpty else { throw PrivacyError.invalid(problems).failure }
        guard let consent else { throw ReferralError.noConsent(programme: "").failure }
        let consentProblems = consent.problems(today: WallClock.current.today())
        guard consentProblems.isEmpty else { throw PrivacyError.invalid(consentProblems).failure }
        return try await reportingFailures {
            if !confirmedNotDuplicate,
                try await privacy.possibleDuplicate(
                    name: identity.values[.name] ?? "", birthDate: identity.values[.birthDate] ?? "", programme: referral.programmeID, by: actor)
            {
                throw Failure(
                    .conflict, code: Self.possibleDuplicate, messageKey: "privacy.consent.duplicate",
                    detail: "Someone with this name and birth date may already have an open referral to the programme; confirm it is someone else.")
            }
            return try await privacy.intake(identity, consent: consent, referral: referral, by: actor, idempotency: idempotency, response: response)
        }
    }
}
