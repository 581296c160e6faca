import KoppelCore

extension AppRequestContext {
    /// For a page: the signed-in actor and their session when the policy allows `action`; nil when nobody is
    /// signed in (the page then sends them to sign in); a denial is thrown as the policy's reason.
    func pageAccess(_ action: (Actor) -> Action) throws -> (Actor, SessionCookie)? {
        guard let actor = identity.actor, let session = identity.session else { return nil }
        if case .deny(let reason) = AccessPolicy.decide(actor, action(actor)) { throw Problem.denied(reason) }
        return (actor, session)
    }
}
