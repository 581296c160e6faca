import KoppelAPI
import KoppelCore
import KoppelStore

/// The API operations generated from `openapi.yaml`, one extension per area. Each asks the access policy
/// before it answers; none decides on its own.
struct APIHandlers: APIProtocol {
    let directory: any ProgrammeDirectory
    let catalogues: Catalogues

    /// The actor of this request, if the policy allows `action`; otherwise the problem to answer with.
    func authorize(_ action: Action) throws -> Actor? {
        let identity = RequestIdentity.current
        if case .deny(let reason) = AccessPolicy.decide(identity.actor, action) { throw Problem.denied(reason) }
        return identity.actor
    }
}
