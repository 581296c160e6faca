import Foundation
import KoppelCore
import KoppelStore

/// An org-admin (or a hub-admin, or the operator at the command line) adds a user to an organisation. The user gets a
/// one-time initial password, shown once to whoever created them and changed at the first sign-in.
public struct CreateUser: Sendable {
    let users: UserStore
    /// The password hasher (bcrypt lives with the server; a use case only needs to call it).
    let hash: @Sendable (String) async throws -> String

    public init(users: UserStore, hash: @escaping @Sendable (String) async throws -> String) {
        self.users = users
        self.hash = hash
    }

    /// Creates `new`. `actor` is who asks; nil is the operator at the command line, whom the database login vouches for.
    public func run(_ new: NewUser, by actor: Actor?) async throws -> (id: UUID, initialPassword: String) {
        if let actor, case .deny(let reason) = AccessPolicy.decide(actor, .createUser(organisation: new.organisationID, roles: new.roles)) {
            throw reason.failure
        }
        guard !new.roles.isEmpty else {
            throw Failure(.invalid, code: "user.no_role", messageKey: "admin.users.no_role", detail: "Give the user at least one role.", field: "roles")
        }
        let password = ReadableSecret.generate(groups: 4)
        let passwordHash = try await hash(password)
        let id = try await reportingFailures { try await users.create(new, passwordHash: passwordHash) }
        return (id, password)
    }
}
