import Foundation
import HTTPTypes
import KoppelAPI
import KoppelCore
import KoppelStore
import KoppelUseCases

/// An organisation's users and API tokens, for its org-admins.
extension APIHandlers {
    func listUsers(_ input: Operations.ListUsers.Input) async throws -> Operations.ListUsers.Output {
        let organisation = try uuid(input.path.organisationId, "organisation id")
        try authorize(.listUsers(organisation: organisation))
        return .ok(.init(body: .json(try await users.accounts(organisation: organisation).map(Self.user))))
    }

    func createUser(_ input: Operations.CreateUser.Input) async throws -> Operations.CreateUser.Output {
        let organisation = try uuid(input.path.organisationId, "organisation id")
        guard case .json(let body) = input.body else { throw Problem(status: .unsupportedMediaType, detail: "Send the new user as JSON.") }
        guard let actor = RequestIdentity.current.actor else { throw DenialReason.notSignedIn.failure }
        let programmes = try (body.coordinatedProgrammeIds ?? []).map { try uuid($0, "programme id") }
        let new = NewUser(
            organisationID: organisation, email: body.email, displayName: body.displayName,
            roles: Set(body.roles.compactMap { Role(rawValue: $0.rawValue) }), coordinatedProgrammes: Set(programmes))
        let (id, password) = try await useCases.createUser.run(new, by: actor)
        guard let account = try await users.account(id: id, organisation: organisation) else { throw Problem.internalError }
        return .created(.init(body: .json(.init(user: Self.user(account), initialPassword: password))))
    }

    func disableUser(_ input: Operations.DisableUser.Input) async throws -> Operations.DisableUser.Output {
        let organisation = try uuid(input.path.organisationId, "organisation id")
        let user = try uuid(input.path.userId, "user id")
        try authorize(.disableUser(organisation: organisation))
        guard try await users.account(id: user, organisation: organisation) != nil else {
            throw Problem(status: .notFound, detail: "The organisation has no user with id \(user.uuidString.lowercased()).")
        }
        try await users.disable(id: user, organisation: organisation)
        return .noContent(.init())
    }

    func listTokens(_ input: Operations.ListTokens.Input) async throws -> Operations.ListTokens.Output {
        let organisation = try uuid(input.path.organisationId, "organisation id")
        try authorize(.listTokens(organisation: organisation))
        return .ok(.init(body: .json(try await tokens.tokens(organisation: organisation).map {
            .init(
                id: $0.id.uuidString.lowercased(), userId: $0.userID.uuidString.lowercased(), userEmail: $0.userEmail, name: $0.name,
                createdAt: $0.createdAt, expiresAt: $0.expiresAt, revokedAt: $0.revokedAt, lastUsedAt: $0.lastUsedAt)
        })))
    }

    func createToken(_ input: Operations.CreateToken.Input) async throws -> Operations.CreateToken.Output {
        let organisation = try uuid(input.path.organisationId, "organisation id")
        guard case .json(let body) = input.body else { throw Problem(status: .unsupportedMediaType, detail: "Send the new token as JSON.") }
        try authorize(.createToken(organisation: organisation))
        let user = try uuid(body.userId, "user id")
        let name = body.name.trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(name.count) else { throw Problem(status: .unprocessableContent, detail: "The name must have 1 to 100 characters.") }
        if let days = body.expiresInDays, !(1...3650).contains(days) {
            throw Problem(status: .unprocessableContent, detail: "expires_in_days must be from 1 to 3650.")
        }
        guard let account = try await users.account(id: user, organisation: organisation), !account.isDisabled else {
            throw Problem(status: .unprocessableContent, detail: "The organisation has no active user with id \(user.uuidString.lowercased()).")
        }
        let created = try await tokens.create(userID: account.id, organisation: organisation, name: name, expiresInDays: body.expiresInDays)
        return .created(.init(body: .json(.init(id: created.id.uuidString.lowercased(), token: created.token.value))))
    }

    func revokeToken(_ input: Operations.RevokeToken.Input) async throws -> Operations.RevokeToken.Output {
        let organisation = try uuid(input.path.organisationId, "organisation id")
        let token = try uuid(input.path.tokenId, "token id")
        try authorize(.revokeToken(organisation: organisation))
        guard try await tokens.revoke(id: token, organisation: organisation) else {
            throw Problem(status: .notFound, detail: "The organisation has no live API token with id \(token.uuidString.lowercased()).")
        }
        return .noContent(.init())
    }

    static func user(_ account: Account) -> Components.Schemas.User {
        .init(
            id: account.id.uuidString.lowercased(), email: account.email, displayName: account.displayName,
            roles: account.roles.sorted { $0.rawValue < $1.rawValue }.compactMap { .init(rawValue: $0.rawValue) },
            coordinatedProgrammeIds: account.coordinatedProgrammes.map { $0.uuidString.lowercased() }.sorted(),
            disabled: account.isDisabled, secondFactorEnrolled: account.totpConfirmed)
    }
}
