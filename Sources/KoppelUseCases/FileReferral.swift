import Foundation
import KoppelCore
import KoppelStore

/// A caseworker files a referral for a client of their organisation: drafted, or sent to the programme at once.
/// The programme's eligibility rules and the client's consents are checked where the referral is written, in
/// its transaction (`ReferralStore.file`), so no door can skip them.
public struct FileReferral: Sendable {
    let referrals: ReferralStore

    /// Files `new`; a retried request with the same idempotency key gets the first answer back.
    public func run(
        _ new: NewReferral, by actor: Actor, idempotency: IdempotencyKey? = nil, response: @escaping StoredResponse = { _ in (201, "") }
    ) async throws -> Idempotent<Referral> {
        try check(new, by: actor)
        return try await reportingFailures { try await referrals.create(new, by: actor, idempotency: idempotency, response: response) }
    }

    /// Files `new` for the holder of an API token, checked by the transaction's first statement (decision 0027): nil
    /// when the token does not work; else the actor and what `run(_:by:)` answers them.
    public func run(
        _ new: NewReferral, presenting token: SecretToken, idempotency: IdempotencyKey? = nil,
        response: @escaping @Sendable (Actor) -> StoredResponse
    ) async throws -> (actor: Actor, outcome: Idempotent<Referral>)? {
        // The request is checked before it reaches the database; who may file, once the token's account is known.
        try Self.checkInput(new)
        return try await reportingFailures {
            try await referrals.create(new, presenting: token, authorize: Self.mayFile, idempotency: idempotency, response: response)
        }
    }

    /// Files `new` once for the partner's identifier: a second request with the same identifier gets the first referral.
    public func runOnce(_ new: NewReferral, identifier: PartnerIdentifier, by actor: Actor) async throws -> (referral: Referral, created: Bool) {
        try check(new, by: actor)
        guard Self.isPlain(identifier.system), Self.isPlain(identifier.value) else {
            throw Failure(
                .invalid, code: "referral.identifier", messageKey: "referral.error.identifier",
                detail: "identifier needs a system and a value of 1 to 200 printable characters each.", field: "identifier")
        }
        return try await reportingFailures { try await referrals.createOnce(new, identifier: identifier, by: actor) }
    }

    private func check(_ new: NewReferral, by actor: Actor) throws {
        try Self.mayFile(actor)
        try Self.checkInput(new)
    }

    private static func mayFile(_ actor: Actor) throws {
        if case .deny(let reason) = AccessPolicy.decide(actor, .createReferral(referringOrganisation: actor.organisationID)) { throw reason.failure }
    }

    /// What the request itself must get right, whoever sends it.
    private static func checkInput(_ new: NewReferral) throws {
        guard new.needs.count == Set(new.needs).count else {
            throw Failure(.invalid, code: "referral.need_twice", messageKey: "referral.error.need_twice", detail: "needs lists a need twice.", field: "needs")
        }
        if let start = new.requestedStart, !CalendarDay.isValid(start) {
            throw Failure(
                .invalid, code: "referral.requested_start", messageKey: "referral.error.date",
                detail: "requested_start must be a day written as YYYY-MM-DD, such as 2026-03-01.", field: "requested_start")
        }
        guard new.municipality.count <= 100 else { throw ReferralError.unknownMunicipality(String(new.municipality.prefix(100)), suggestions: []).failure }
    }

    private static func isPlain(_ text: String) -> Bool {
        (1...200).contains(text.count) && text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
    }
}
