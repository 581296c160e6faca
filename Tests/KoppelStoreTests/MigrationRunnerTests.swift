import Foundation
import KoppelStore
import KoppelTestSupport
import Logging
import PostgresNIO
import Testing

@Suite("Applying migrations to a real PostgreSQL")
struct MigrationRunnerTests {
    let logger = quietLogger

    @discardableResult
    private func run<T: Sendable>(_ database: TestDatabase, _ migrations: [Migration], _ body: @Sendable (MigrationRunner, PostgresClient) async throws -> T) async throws -> T {
        try await PostgresClient.withRunningClient(database.ownerURL, logger: logger) { client in
            try await body(MigrationRunner(client: client, migrations: migrations, logger: logger), client)
        }
    }

    private func tableExists(_ name: String, _ client: PostgresClient) async throws -> Bool {
        try await client.query("SELECT to_regclass(\(name)) IS NOT NULL", logger: logger).collect().first!.decode(Bool.self)
    }

    @Test("every migration is applied once and recorded with its checksum; a second run applies nothing")
    func appliesOnce() async throws {
        let migrations = try Migration.load(from: try TestEnvironment.current().schemaDirectory)
        try await TestDatabases.withEmptyDatabase { database in
            try await run(database, migrations) { runner, client in
                #expect(try await runner.migrate() == migrations.map(\.fileName))
                #expect(try await runner.migrate().isEmpty)
                #expect(try await runner.status().isCurrent)
                let recorded = try await client.query("SELECT file_name, checksum FROM koppel_schema_migrations ORDER BY version", logger: logger)
                    .collect().map { try $0.decode((String, String).self) }
                #expect(recorded.map(\.0) == migrations.map(\.fileName))
                #expect(recorded.map(\.1) == migrations.map(\.checksum))
            }
        }
    }

    @Test("an applied migration that was edited is refused, naming the file, and nothing further is applied")
    func editedMigrationRefused() async throws {
        let first = Migration(version: 1, fileName: "0001_first.sql", sql: "CREATE TABLE first_table (x int);")
        let edited = Migration(version: 1, fileName: "0001_first.sql", sql: "CREATE TABLE first_table (x bigint);")
        let second = Migration(version: 2, fileName: "0002_second.sql", sql: "CREATE TABLE second_table (x int);")
        try await TestDatabases.withEmptyDatabase { database in
            try await run(database, [first]) { runner, _ in _ = try await runner.migrate() }
            try await run(database, [edited, second]) { runner, client in
                let error = await #expect(throws: MigrationError.self) { try await runner.migrate() }
                #expect(error == .edited(fileName: "0001_first.sql"))
                #expect(error?.description.contains("schema/0001_first.sql") == true)
                let secondApplied = try await tableExists("second_table", client)
                #expect(!secondApplied)
            }
        }
    }

    @Test("a failing migration is rolled back whole and not recorded; the error names the file and the cause")
    func failingMigrationRolledBack() async throws {
        let good = Migration(version: 1, fileName: "0001_good.sql", sql: "CREATE TABLE kept (x int);")
        let bad = Migration(version: 2, fileName: "0002_bad.sql", sql: "CREATE TABLE half_done (x int);\nINSERT INTO no_such_table VALUES (1);")
        try await TestDatabases.withEmptyDatabase { database in
            try await run(database, [good, bad]) { runner, client in
                let error = await #expect(throws: MigrationError.self) { try await runner.migrate() }
                guard case .failed(let fileName, let reason) = error else {
                    Issue.record("expected a failed migration, got \(String(describing: error))")
                    return
                }
                #expect(fileName == "0002_bad.sql")
                #expect(reason.contains("no_such_table"))
                let kept = try await tableExists("kept", client)
                let halfDone = try await tableExists("half_done", client)
                let pending = try await runner.status().pending.map(\.fileName)
                #expect(kept)
                #expect(!halfDone)
                #expect(pending == ["0002_bad.sql"])
            }
        }
    }

    @Test("a migration recorded in the database whose file is gone is reported")
    func missingFile() async throws {
        let first = Migration(version: 1, fileName: "0001_first.sql", sql: "CREATE TABLE t1 (x int);")
        let second = Migration(version: 2, fileName: "0002_second.sql", sql: "CREATE TABLE t2 (x int);")
        try await TestDatabases.withEmptyDatabase { database in
            try await run(database, [first, second]) { runner, _ in _ = try await runner.migrate() }
            try await run(database, [first]) { runner, _ in
                await #expect(throws: MigrationError.missingFile(version: 2, fileName: "0002_second.sql")) { try await runner.status() }
            }
        }
    }

    @Test("replicas starting together apply each migration exactly once")
    func concurrentRunners() async throws {
        let migrations = try Migration.load(from: try TestEnvironment.current().schemaDirectory)
        try await TestDatabases.withEmptyDatabase { database in
            try await run(database, migrations) { runner, client in
                let applied = try await withThrowingTaskGroup(of: [String].self) { group in
                    for _ in 0..<3 { group.addTask { try await runner.migrate() } }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
                #expect(applied.sorted() == migrations.map(\.fileName).sorted())
                let count = try await client.query("SELECT count(*) FROM koppel_schema_migrations", logger: logger).collect().first!.decode(Int.self)
                #expect(count == migrations.count)
            }
        }
    }
}
