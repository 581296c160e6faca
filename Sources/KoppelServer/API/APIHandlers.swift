import Foundation
import HTTPTypes
import KoppelAPI
import KoppelCore
import KoppelStore
import KoppelUseCases

/// The API operations generated from `openapi.yaml`, one extension per area. Each asks the access policy
/// before it answers; none decides on its own.
struct APIHandlers: APIProtocol {
    let directory: any ProgrammeDirectory
    let catalogues: Catalogues
    let users: UserStore
    let organisations: OrganisationStore
    let tokens: APITokenStore
    let hasher: PasswordHasher
    let referrals: ReferralStore
    let programmes: ProgrammeStore
    let privacy: Privacy
    let statistics: StatisticsReports
    let webhooks: WebhookStore
    let useCases: UseCases
    let directoryConfirmations: DirectoryConfirmations
    let directoryImport: DirectoryImport

    /// The actor of this request, if the policy allows `action`; otherwise the problem to answer with.
    @discardableResult
    func authorize(_ action: Action) throws -> Actor? {
        let identity = RequestIdentity.current
        if case .deny(let reason) = AccessPolicy.decide(identity.actor, action) { throw Problem.denied(reason) }
        return identity.actor
    }
}

/// A path parameter that must be a UUID; anything else is a 400 that says so.
func uuid(_ text: String, _ name: String) throws -> UUID {
    guard let id = UUID(uuidString: text) else {
        throw Problem(status: .badRequest, detail: "'\(text)' is not a valid \(name); ids are UUIDs.")
    }
    return id
}
