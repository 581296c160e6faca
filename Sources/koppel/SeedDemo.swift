import ArgumentParser
import Foundation
import KoppelStore
import Logging

struct SeedDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-demo",
        abstract: "Load the demo data: the five programmes, their operators, partner organisations and funders. Idempotent."
    )

    @OptionGroup var connection: OwnerConnection
    @Option(help: ArgumentHelp("A demo data file to load instead of the bundled one.", valueName: "path")) var file: String?

    func run() async throws {
        let logger = Logger(label: "koppel.seed-demo")
        let demo = try file.map { try DemoData.load(from: URL(fileURLWithPath: $0)) } ?? DemoData.bundled()
        try await connection.withClient(logger: logger) { client in
            try await DemoSeeder(client: client, logger: logger).seed(demo)
        }
        print("demo data loaded: \(demo.organisations.count) organisations, \(demo.programmes.count) programmes")
    }
}
