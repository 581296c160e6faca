import Foundation
import Logging
import PostgresNIO

/// Applies migrations in order, each in its own transaction, and records each with its checksum.
/// Several replicas may start at once: an advisory lock lets one apply while the others wait.
public struct MigrationRunner: Sendable {
    /// The role that owns the schema. Migrations run as it, whoever connects.
    public static let ownerRole = "koppel_owner"
    /// The role the server connects as.
    public static let appRole = "koppel_app"
    static let lockKey: Int64 = 0x6B6F_7070_656C  // "koppel"

    let client: PostgresClient
    let migrations: [Migration]
    let logger: Logger

    public init(client: PostgresClient, migrations: [Migration], logger: Logger) {
        self.client = client
        self.migrations = migrations
        self.logger = logger
    }

    /// Applies what is pending; returns the file names applied. Refuses to run when an applied file was edited.
    @discardableResult
    public func migrate() async throws -> [String] {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                let applied = try await applyPending(on: connection)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }

    private func applyPending(on connection: PostgresConnection) async throws -> [String] {
        try await createHistoryTable(on: connection)
        let plan = try MigrationPlan(migrations: migrations, applied: try await appliedMigrations(on: connection))
        for migration in plan.pending {
            try await apply(migration, on: connection)
            logger.info("applied migration", metadata: ["migration": "\(migration.fileName)"])
        }
        return plan.pending.map(\.fileName)
    }

    /// Where the database stands against the migration files, without changing anything.
    public func status() async throws -> MigrationPlan {
        let applied = try await client.withConnection { connection in try await appliedMigrations(on: connection) }
        return try MigrationPlan(migrations: migrations, applied: applied)
    }

    /// The record of applied migrations belongs to the owner; the app role may read it to report readiness.
    private func createHistoryTable(on connection: PostgresConnection) async throws {
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.query("SET LOCAL ROLE \(unescaped: Self.ownerRole)", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS koppel_schema_migrations (
                    version integer PRIMARY KEY,
                    file_name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(),
                    applied_by text NOT NULL DEFAULT session_user
                )
                """, logger: logger)
            try await connection.query("GRANT SELECT ON koppel_schema_migrations TO \(unescaped: Self.appRole)", logger: logger)
        }
    }

    private func appliedMigrations(on connection: PostgresConnection) async throws -> [AppliedMigration] {
        let exists = try await connection.query("SELECT to_regclass('koppel_schema_migrations') IS NOT NULL", logger: logger)
            .collect().first?.decode(Bool.self) ?? false
        guard exists else { return [] }
        let rows = try await connection.query(
            "SELECT version, file_name, checksum FROM koppel_schema_migrations ORDER BY version", logger: logger)
        var applied: [AppliedMigration] = []
        for try await (version, fileName, checksum) in rows.decode((Int, String, String).self) {
            applied.append(AppliedMigration(version: version, fileName: fileName, checksum: checksum))
        }
        return applied
    }

    private func apply(_ migration: Migration, on connection: PostgresConnection) async throws {
        do {
            try await connection.withTransaction(logger: logger) { connection in
                try await connection.query("SET LOCAL ROLE \(unescaped: Self.ownerRole)", logger: logger)
                for statement in SQLScript.statements(in: migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    """
                    INSERT INTO koppel_schema_migrations (version, file_name, checksum)
                    VALUES (\(migration.version), \(migration.fileName), \(migration.checksum))
                    """, logger: logger)
            }
        } catch let error as PostgresTransactionError {
            let reason = (error.closureError ?? error.commitError ?? error.beginError).map(Self.describe) ?? "unknown error"
            throw MigrationError.failed(fileName: migration.fileName, reason: reason)
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError, let message = error.serverInfo?[.message] {
            return message
        }
        return String(describing: error)
    }
}

/// A migration recorded in the database.
public struct AppliedMigration: Sendable, Hashable {
    public var version: Int
    public var fileName: String
    public var checksum: String
}

/// The comparison of migration files and the database's record: what is pending, and whether anything is wrong.
public struct MigrationPlan: Sendable {
    public let pending: [Migration]

    /// Throws when an applied migration was edited or its file is gone: both mean the schema is not what the files say.
    public init(migrations: [Migration], applied: [AppliedMigration]) throws(MigrationError) {
        let files = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for record in applied {
            guard let file = files[record.version] else {
                throw .missingFile(version: record.version, fileName: record.fileName)
            }
            if file.checksum != record.checksum { throw .edited(fileName: file.fileName) }
        }
        let appliedVersions = Set(applied.map(\.version))
        pending = migrations.filter { !appliedVersions.contains($0.version) }
    }

    public var isCurrent: Bool { pending.isEmpty }
}
