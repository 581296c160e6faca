import ArgumentParser
import Foundation
import KoppelCore
import KoppelServer
import KoppelStore
import KoppelUseCases
import Logging
import PostgresNIO

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage users.", subcommands: [Create.self, Disable.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a user and print a one-time initial password.",
            discussion: "The user must choose a new password and, for every role but funder, enrol a second factor at first sign-in.")

        @OptionGroup var connection: OwnerConnection
        @Option(help: "The organisation's short name.") var org: String
        @Option(help: "E-mail address; the user signs in with it.") var email: String
        @Option(help: "Name shown to colleagues.") var name: String
        @Option(help: "caseworker, coordinator, funder, org-admin or hub-admin; repeat for several.") var role: [String]
        @Option(help: "For a coordinator: a programme (short name) they coordinate; repeat for several.") var programme: [String] = []

        func validate() throws {
            for name in role where Role(rawValue: name) == nil {
                throw ValidationError("unknown role '\(name)'; use caseworker, coordinator, funder, org-admin or hub-admin")
            }
        }

        func run() async throws {
            let logger = Logger(label: "koppel.user")
            let hasher = try PasswordHasher.bundled()
            let password = try await connection.withClient(logger: logger) { client in
                guard let organisation = try await OrganisationStore(client: client, logger: logger).find(slug: org) else {
                    throw CommandFailure("no organisation has the short name '\(org)'; see koppel org create")
                }
                var programmes: Set<UUID> = []
                for slug in programme {
                    let id = try await client.query("SELECT id FROM programmes WHERE slug = \(slug)", logger: logger)
                        .collect().first?.decode(UUID.self)
                    guard let id else { throw CommandFailure("no programme has the short name '\(slug)'") }
                    programmes.insert(id)
                }
                let user = NewUser(
                    organisationID: organisation.id, email: email, displayName: name,
                    roles: Set(role.compactMap(Role.init(rawValue:))), coordinatedProgrammes: programmes)
                do {
                    return try await CreateUser(users: UserStore(client: client, logger: logger)) { try await hasher.hash($0) }
                        .run(user, by: nil).initialPassword
                } catch let failure as Failure {
                    throw CommandFailure(failure.detail)
                }
            }
            print("user \(email.lowercased()) created; initial password (shown once, to be changed at first sign-in):")
            print(password)
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user: their sessions and API tokens end at once.")

        @OptionGroup var connection: OwnerConnection
        @Option(help: "The user's e-mail address.") var email: String

        func run() async throws {
            let logger = Logger(label: "koppel.user")
            try await connection.withClient(logger: logger) { client in
                let users = UserStore(client: client, logger: logger)
                guard let user = try await users.signInCandidate(email: email) else {
                    throw CommandFailure("no user has the e-mail address \(email)")
                }
                try await users.disable(id: user.userID, organisation: user.organisationID)
            }
            print("user \(email.lowercased()) disabled; their sessions and API tokens have ended")
        }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage API tokens.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API token that acts as a user, and print it once.",
            discussion: "Send it as 'Authorization: Bearer TOKEN'. Only its hash is stored: it cannot be shown again.")

        @OptionGroup var connection: OwnerConnection
        @Option(help: "E-mail address of the user the token acts as.") var user: String
        @Option(help: "What the token is for, e.g. the partner system's name.") var name: String
        @Option(name: .customLong("expires-in"), help: "Days until the token expires (default: never).") var expiresIn: Int?

        func validate() throws {
            if let expiresIn, !(1...3650).contains(expiresIn) { throw ValidationError("--expires-in takes 1 to 3650 days") }
            if !(1...100).contains(name.trimmingCharacters(in: .whitespaces).count) { throw ValidationError("--name takes 1 to 100 characters") }
        }

        func run() async throws {
            let logger = Logger(label: "koppel.token")
            let token = try await connection.withClient(logger: logger) { client in
                guard let owner = try await UserStore(client: client, logger: logger).signInCandidate(email: user), !owner.isDisabled else {
                    throw CommandFailure("no active user has the e-mail address \(user)")
                }
                return try await APITokenStore(client: client, logger: logger)
                    .create(userID: owner.userID, organisation: owner.organisationID, name: name, expiresInDays: expiresIn).token
            }
            print(token.value)
        }
    }
}
