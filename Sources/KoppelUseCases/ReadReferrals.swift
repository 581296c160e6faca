import Foundation
import KoppelCore
import KoppelStore

/// Who may read which referrals: row-level security for the caller's organisation, then the access policy for them.
public struct ReadReferrals: Sendable {
    let referrals: ReferralStore

    /// One referral, or `referral.not_found` whether it does not exist or the caller may not see it.
    public func one(_ id: UUID, by actor: Actor) async throws -> Referral {
        try allowed(actor)
        guard let referral = try await referrals.referral(id, actingFor: actor) else { throw ReferralError.notFound.failure }
        return referral
    }

    /// One referral for the holder of an API token, the token checked by the same statement (decision 0026): nil when
    /// the token does not work; else the actor, and the referral, or `referral.not_found` as `one(_:by:)` answers.
    public func one(_ id: UUID, presenting token: SecretToken) async throws -> (Actor, Referral)? {
        guard let (account, referral) = try await referrals.referral(id, presenting: token), !account.isDisabled else { return nil }
        let actor = account.actor
        try allowed(actor)
        guard let referral else { throw ReferralError.notFound.failure }
        return (actor, referral)
    }

    /// A page of the referrals the caller sees, newest first; one more than `filter.limit` tells that a next page exists.
    public func list(_ filter: ReferralFilter, by actor: Actor) async throws -> [Referral] {
        try allowed(actor)
        guard (1...101).contains(filter.limit) else {
            throw Failure(.invalid, code: "request.limit", messageKey: "error.bad_request.message", detail: "limit must be from 1 to 100.", field: "limit")
        }
        return try await referrals.list(filter, actingFor: actor)
    }

    /// The referral the caller's organisation filed under a partner system's identifier.
    public func one(identifiedBy identifier: PartnerIdentifier, by actor: Actor) async throws -> Referral? {
        try allowed(actor)
        return try await referrals.referral(identifiedBy: identifier, actingFor: actor)
    }

    public func partnerIdentifiers(of referrals: [Referral], by actor: Actor) async throws -> [UUID: [PartnerIdentifier]] {
        try await self.referrals.partnerIdentifiers(of: referrals.map(\.id), actingFor: actor)
    }

    private func allowed(_ actor: Actor) throws {
        if case .deny(let reason) = AccessPolicy.decide(actor, .listReferrals) { throw reason.failure }
    }
}
