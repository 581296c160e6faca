import ArgumentParser
import Foundation
import KoppelCore
import KoppelStore
import Logging

struct OrganisationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "org", abstract: "Manage organisations.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an organisation (a partner, an operator, a funder, or several).")

        @OptionGroup var connection: OwnerConnection
        @Option(help: "Short name: lower-case letters, digits and dashes, e.g. vluchtelingenwerk.") var slug: String
        @Option(help: "Full name.") var name: String
        @Option(help: "referrer, operator or funder; repeat for several.") var kind: [String]
        @Option(help: "What kind of organisation: \(OrganisationType.allCases.map(\.rawValue).joined(separator: ", ")).")
        var type: String = OrganisationType.civilSociety.rawValue

        func run() async throws {
            let logger = Logger(label: "koppel.org")
            guard let type = OrganisationType(rawValue: type) else {
                throw CommandFailure("--type must be one of \(OrganisationType.allCases.map(\.rawValue).joined(separator: ", ")), not '\(type)'")
            }
            let id = try await connection.withClient(logger: logger) { client in
                try await OrganisationStore(client: client, logger: logger).create(slug: slug, name: name, kinds: kind, type: type)
            }
            print("organisation \(slug) created (\(id.uuidString.lowercased()))")
        }
    }
}
