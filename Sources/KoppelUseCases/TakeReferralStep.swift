import Foundation
import KoppelCore
import KoppelStore

/// Someone takes a step on a referral: the referrer submits or withdraws; the programme's coordinator accepts,
/// declines, waitlists, forwards, starts, completes or ends. The access policy and the state machine decide
/// (in `ReferralStore.step`, under the referral's lock), whichever door the step comes through.
public struct TakeReferralStep: Sendable {
    let referrals: ReferralStore

    /// Takes the step. With `expectedVersion`, only if the referral is still at that version (FHIR `If-Match`).
    public func run(
        _ referralID: UUID, _ request: ReferralStepRequest, by actor: Actor, idempotency: IdempotencyKey? = nil,
        response: @escaping StoredResponse = { _ in (200, "") }, expectedVersion: Int? = nil
    ) async throws -> Idempotent<Referral> {
        if case .deny(let reason) = AccessPolicy.decide(actor, .listReferrals) { throw reason.failure }
        return try await reportingFailures {
            try await referrals.step(referralID, request, by: actor, idempotency: idempotency, response: response, expectedVersion: expectedVersion)
        }
    }
}
