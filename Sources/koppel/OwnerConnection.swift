import ArgumentParser
import Foundation
import KoppelStore
import Logging
import PostgresNIO

/// The options of commands that change the schema or its data: they connect as the owner role.
struct OwnerConnection: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "PostgreSQL URL of the owner role (koppel_owner) or an administrator who may act as it. [env: KOPPEL_OWNER_DATABASE_URL]",
            valueName: "url"))
    var databaseURL: String?

    @Option(name: .customLong("schema-dir"), help: ArgumentHelp("Folder with the SQL migrations. [env: KOPPEL_SCHEMA_DIR; default: schema]", valueName: "path"))
    var schemaDirectory: String?

    var schemaURL: URL {
        URL(fileURLWithPath: schemaDirectory ?? ProcessInfo.processInfo.environment["KOPPEL_SCHEMA_DIR"] ?? "schema")
    }

    /// Runs `body` with a connected client, then shuts the client down.
    func withClient<T: Sendable>(logger: Logger, _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        guard let text = databaseURL ?? ProcessInfo.processInfo.environment["KOPPEL_OWNER_DATABASE_URL"] else {
            throw CommandFailure("--database-url (or KOPPEL_OWNER_DATABASE_URL) is required")
        }
        let url: DatabaseURL
        do {
            url = try DatabaseURL(text)
        } catch {
            throw CommandFailure("--database-url (or KOPPEL_OWNER_DATABASE_URL) is not usable: \(error)")
        }
        var quiet = logger
        quiet.logLevel = .error  // the pool's own chatter is not for operators
        do {
            return try await PostgresClient.withRunningClient(url, logger: quiet, body)
        } catch where DatabaseAvailability.isUnavailable(error) {
            throw CommandFailure("cannot reach PostgreSQL at \(url) (is it running, and are host, port and password right?)")
        }
    }
}
