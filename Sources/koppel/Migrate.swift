import ArgumentParser
import Foundation
import KoppelStore
import Logging

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the pending schema migrations, each in its own transaction.",
        discussion: "Refuses to run when an applied migration's file was edited; migrations are forward-only."
    )

    @OptionGroup var connection: OwnerConnection
    @Flag(help: "Only report which migrations are applied and pending; change nothing.") var status = false

    func run() async throws {
        let logger = {
            var logger = Logger(label: "koppel.migrate")
            logger.logLevel = .warning  // the command prints what it applied itself
            return logger
        }()
        let migrations = try Migration.load(from: connection.schemaURL)
        do {
            try await connection.withClient(logger: logger) { client in
                let runner = MigrationRunner(client: client, migrations: migrations, logger: logger)
                if status {
                    let plan = try await runner.status()
                    print("\(migrations.count - plan.pending.count) applied, \(plan.pending.count) pending")
                    for migration in plan.pending { print("pending: schema/\(migration.fileName)") }
                } else {
                    let applied = try await runner.migrate()
                    print(applied.isEmpty ? "schema is current (\(migrations.count) migrations)" : "applied: \(applied.joined(separator: ", "))")
                }
            }
        } catch let error as MigrationError {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode.failure
        }
    }
}
