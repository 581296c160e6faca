import Foundation

/// Someone signed in (with every factor their roles demand) or acting through an API token.
public struct Actor: Sendable, Hashable {
    public let userID: UUID
    public let organisationID: UUID
    public let roles: Set<Role>
    /// The programmes this user coordinates (only meaningful with the coordinator role).
    public let coordinatedProgrammes: Set<UUID>

    public init(userID: UUID, organisationID: UUID, roles: Set<Role>, coordinatedProgrammes: Set<UUID> = []) {
        self.userID = userID
        self.organisationID = organisationID
        self.roles = roles
        self.coordinatedProgrammes = coordinatedProgrammes
    }

    public var requiresSecondFactor: Bool { roles.contains { $0.requiresSecondFactor } }
}
