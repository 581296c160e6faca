import ArgumentParser
import Foundation
import KoppelCore
import KoppelServer
import KoppelStore
import Logging

struct SeedDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-demo",
        abstract: "Load the demo data: the five programmes, their operators, partner organisations and funders. Idempotent."
    )

    @OptionGroup var connection: OwnerConnection
    @Option(help: ArgumentHelp("A demo data file to load instead of the bundled one.", valueName: "path")) var file: String?
    @Option(
        name: .customLong("demo-password"),
        help: ArgumentHelp("Password of the demo accounts; without it none are created. [env: KOPPEL_DEMO_PASSWORD]", valueName: "password"))
    var demoPassword: String?

    func run() async throws {
        let logger = Logger(label: "koppel.seed-demo")
        let demo = try file.map { try DemoData.load(from: URL(fileURLWithPath: $0)) } ?? DemoData.bundled()
        let password = demoPassword ?? ProcessInfo.processInfo.environment["KOPPEL_DEMO_PASSWORD"]
        let hash: String? = if let password { try await PasswordHasher.bundled().hash(password) } else { nil }
        try await connection.withClient(logger: logger) { client in
            let seeder = DemoSeeder(client: client, logger: logger)
            try await seeder.seed(demo)
            if let hash = hash { try await seeder.seedUsers(demo, passwordHash: hash) }
        }
        print("demo data loaded: \(demo.organisations.count) organisations, \(demo.programmes.count) programmes")
        guard password != nil else { return }
        print("demo accounts (password as given; every role but funder sets up a second factor at first sign-in):")
        for user in demo.users {
            print("  \(user.email.padding(toLength: 40, withPad: " ", startingAt: 0)) \(user.roles.map(\.rawValue).joined(separator: ", ")) at \(user.organisation)")
        }
    }
}
