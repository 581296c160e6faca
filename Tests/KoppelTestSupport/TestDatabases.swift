import Foundation
import KoppelStore
import Logging
import PostgresNIO
import Testing

/// Where the tests' PostgreSQL is, as `scripts/test` exports it. Tests never mock PostgreSQL.
public struct TestEnvironment: Sendable {
    /// A role that may create and drop databases (the throwaway cluster's superuser).
    public let admin: DatabaseURL
    /// koppel_owner and koppel_app; their database is replaced per test.
    public let owner: DatabaseURL
    public let app: DatabaseURL
    /// koppel_vault, the only role that reaches identifying data.
    public let vault: DatabaseURL
    /// A database with Koppel's roles and grants and no migrations applied, to copy from.
    public let emptyTemplate: String
    /// The repository's `schema/` folder.
    public let schemaDirectory: URL

    public static func current() throws -> TestEnvironment {
        let environment = ProcessInfo.processInfo.environment
        func url(_ name: String) throws -> DatabaseURL {
            guard let text = environment[name] else { throw TestEnvironmentError.missing(name) }
            return try DatabaseURL(text)
        }
        return TestEnvironment(
            admin: try url("KOPPEL_TEST_ADMIN_URL"), owner: try url("KOPPEL_TEST_OWNER_URL"),
            app: try url("KOPPEL_TEST_APP_URL"), vault: try url("KOPPEL_TEST_VAULT_URL"), emptyTemplate: environment["KOPPEL_TEST_TEMPLATE"] ?? "koppel_test_empty",
            schemaDirectory: repositoryRoot.appendingPathComponent("schema"))
    }

    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

public enum TestEnvironmentError: Error, CustomStringConvertible {
    case missing(String)

    public var description: String {
        switch self {
        case .missing(let name): "\(name) is not set: run the tests with scripts/test, which starts a throwaway PostgreSQL"
        }
    }
}

/// A database of one test, dropped when the test is done.
public struct TestDatabase: Sendable {
    public let name: String
    public let environment: TestEnvironment

    public var ownerURL: DatabaseURL { environment.owner.with(database: name) }
    public var appURL: DatabaseURL { environment.app.with(database: name) }
    public var vaultURL: DatabaseURL { environment.vault.with(database: name) }
    public var adminURL: DatabaseURL { environment.admin.with(database: name) }
}

/// Makes databases for tests: copies of an empty one, or of one with every migration applied.
/// The migrated copy is made once per test run; each test then gets its own database, so tests run in parallel.
public actor TestDatabases {
    public static let shared = TestDatabases()

    private var migratedTemplate: Task<String, any Error>?
    static let logger = quietLogger

    /// Runs `body` with a fresh database with every migration applied, dropped afterwards.
    public static func withMigratedDatabase<T: Sendable>(_ body: @Sendable (TestDatabase) async throws -> T) async throws -> T {
        let template = try await shared.migratedTemplateName()
        return try await withDatabase(copying: template, body)
    }

    /// Runs `body` with a fresh database with roles and grants but no migrations, dropped afterwards.
    public static func withEmptyDatabase<T: Sendable>(_ body: @Sendable (TestDatabase) async throws -> T) async throws -> T {
        try await withDatabase(copying: try TestEnvironment.current().emptyTemplate, body)
    }

    private static func withDatabase<T: Sendable>(copying template: String, _ body: @Sendable (TestDatabase) async throws -> T) async throws -> T {
        try await TestSlots.shared.holding {
            try await TestWatchdog.watching(Test.current?.displayName ?? Test.current?.name ?? "a test") {
                try await withOwnDatabase(copying: template, body)
            }
        }
    }

    private static func withOwnDatabase<T: Sendable>(copying template: String, _ body: @Sendable (TestDatabase) async throws -> T) async throws -> T {
        let environment = try TestEnvironment.current()
        let name = try await shared.createDatabase(copying: template, environment: environment)
        let database = TestDatabase(name: name, environment: environment)
        do {
            let result = try await body(database)
            try await drop(name, environment: environment)
            return result
        } catch {
            try? await drop(name, environment: environment)
            throw error
        }
    }

    private func migratedTemplateName() async throws -> String {
        if let migratedTemplate { return try await migratedTemplate.value }
        let task = Task<String, any Error> {
            let environment = try TestEnvironment.current()
            let name = try await self.createDatabase(copying: environment.emptyTemplate, environment: environment)
            let migrations = try Migration.load(from: environment.schemaDirectory)
            try await PostgresClient.withRunningClient(environment.owner.with(database: name), logger: Self.logger) { client in
                try await MigrationRunner(client: client, migrations: migrations, logger: Self.logger).migrate()
                // As `scripts/run` and `scripts/test` do: every municipality of data/reference.
                _ = try await ReferenceImporter(client: client, logger: Self.logger).run(try ReferenceData.load(from: environment.referenceDirectory))
            }
            return name
        }
        migratedTemplate = task
        return try await task.value
    }

    /// Copies are made one at a time: PostgreSQL refuses to copy a database another copy is reading.
    private func createDatabase(copying template: String, environment: TestEnvironment) async throws -> String {
        let name = "koppel_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        try await PostgresClient.withRunningClient(environment.admin, logger: Self.logger) { client in
            try await client.query("CREATE DATABASE \(unescaped: name) TEMPLATE \(unescaped: template) OWNER koppel_owner", logger: Self.logger)
            // Database privileges are not copied from the template.
            try await client.query("REVOKE ALL ON DATABASE \(unescaped: name) FROM PUBLIC", logger: Self.logger)
            try await client.query("GRANT CONNECT, TEMPORARY ON DATABASE \(unescaped: name) TO koppel_app, koppel_vault", logger: Self.logger)
        }
        return name
    }

    private static func drop(_ name: String, environment: TestEnvironment) async throws {
        try await PostgresClient.withRunningClient(environment.admin, logger: logger) { client in
            try await client.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: logger)
        }
    }
}

/// A logger for tests: errors only, so the output stays readable.
public let quietLogger: Logger = {
    var logger = Logger(label: "koppel.tests")
    logger.logLevel = .error
    return logger
}()

extension TestEnvironment {
    /// The repository's reference data (data/reference), as `scripts/run` imports it.
    public var referenceDirectory: URL { schemaDirectory.deletingLastPathComponent().appendingPathComponent("data/reference") }
}

/// Copies of data/reference for tests that need other data (next year's, or a broken file).
public enum ReferenceFolder {
    /// A temporary folder with every file of data/reference, each file's text passed through `change(name, text)`.
    public static func copy(_ change: (String, String) -> String) throws -> URL {
        let directory = try TestEnvironment.current().referenceDirectory
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("koppel-reference-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasSuffix(".csv") {
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            try change(name, text).write(to: target.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return target
    }
}
