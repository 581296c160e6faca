import Crypto
import Foundation

/// One forward-only schema migration: `schema/NNNN_description.sql`.
public struct Migration: Sendable, Hashable {
    public var version: Int
    public var fileName: String
    public var sql: String

    /// SHA-256 of the file's bytes, hex. An applied migration whose file no longer has this checksum was edited.
    public var checksum: String {
        SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    public init(version: Int, fileName: String, sql: String) {
        self.version = version
        self.fileName = fileName
        self.sql = sql
    }

    /// Loads every `NNNN_name.sql` file of a directory, ordered by version.
    public static func load(from directory: URL) throws(MigrationError) -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw .directoryUnreadable(directory.path)
        }
        var migrations: [Migration] = []
        for name in names.sorted() where name.hasSuffix(".sql") {
            guard let version = version(ofFileName: name) else { throw .badFileName(name) }
            if let clash = migrations.first(where: { $0.version == version }) {
                throw .duplicateVersion(version, clash.fileName, name)
            }
            guard let sql = try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8) else {
                throw .fileUnreadable(name)
            }
            migrations.append(Migration(version: version, fileName: name, sql: sql))
        }
        guard !migrations.isEmpty else { throw .noMigrations(directory.path) }
        return migrations
    }

    static func version(ofFileName name: String) -> Int? {
        let digits = name.prefix { $0.isASCII && $0.isNumber }
        guard digits.count == 4, name.dropFirst(4).first == "_", name.count > 9 else { return nil }
        return Int(digits)
    }
}

/// What is wrong with the migrations, worded for the operator who must fix it.
public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case directoryUnreadable(String)
    case noMigrations(String)
    case badFileName(String)
    case fileUnreadable(String)
    case duplicateVersion(Int, String, String)
    case edited(fileName: String)
    case missingFile(version: Int, fileName: String)
    case failed(fileName: String, reason: String)

    public var description: String {
        switch self {
        case .directoryUnreadable(let path):
            "cannot read the schema directory \(path); set --schema-dir or KOPPEL_SCHEMA_DIR to the folder with the migrations"
        case .noMigrations(let path):
            "no migrations (NNNN_name.sql) in \(path)"
        case .badFileName(let name):
            "schema/\(name) is not named NNNN_description.sql"
        case .fileUnreadable(let name):
            "schema/\(name) cannot be read as UTF-8 text"
        case .duplicateVersion(let version, let first, let second):
            "schema/\(first) and schema/\(second) both have version \(version)"
        case .edited(let name):
            "schema/\(name) was changed after it was applied; migrations are forward-only: restore the file and put the change in a new migration"
        case .missingFile(let version, let name):
            "migration \(version) (\(name)) is applied in the database but its file is missing from the schema directory"
        case .failed(let name, let reason):
            "schema/\(name) failed and was rolled back: \(reason)"
        }
    }
}
