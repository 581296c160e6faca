import Foundation
import KoppelAPI
import KoppelCore
import KoppelStore

/// Who the caller is.
extension APIHandlers {
    func getMe(_ input: Operations.GetMe.Input) async throws -> Operations.GetMe.Output {
        _ = try authorize(.viewOwnAccount)
        guard let account = RequestIdentity.current.account else { throw Problem.denied(.notSignedIn) }
        return .ok(.init(body: .json(.init(
            id: account.id.uuidString.lowercased(), email: account.email, displayName: account.displayName,
            organization: .init(id: account.organisationID.uuidString.lowercased(), name: account.organisationName),
            roles: account.roles.sorted { $0.rawValue < $1.rawValue }.compactMap { .init(rawValue: $0.rawValue) }))))
    }
}
