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
        try Self.mayTakeSteps(actor)
        return try await reportingFailures {
            try await referrals.step(referralID, request, by: actor, idempotency: idempotency, response: response, expectedVersion: expectedVersion)
        }
    }

    /// Takes the step for the holder of an API token, checked by the transaction's first statement (decision 0032): nil
    /// when the token does not work; else the actor and what `run(_:_:by:)` answers them.
    public func run(
        _ referralID: UUID, _ request: ReferralStepRequest, presenting token: SecretToken, idempotency: IdempotencyKey? = nil,
        response: @escaping @Sendable (Actor) -> StoredResponse
    ) async throws -> (actor: Actor, outcome: Idempotent<Referral>)? {
        try await reportingFailures {
            try await referrals.step(
                referralID, request, presenting: token, authorize: Self.mayTakeSteps, idempotency: idempotency, response: response)
        }
    }

    /// Whether the actor takes part in referrals at all; which step on which referral is decided under its lock.
    private static func mayTakeSteps(_ actor: Actor) throws {
        if case .deny(let reason) = AccessPolicy.decide(actor, .listReferrals) { throw reason.failure }
    }
}
