import Foundation
import KoppelStore
import KoppelTestSupport
import Testing

@Suite("Migration files")
struct MigrationFileTests {
    private func directory(with files: [String: String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("koppel-migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return url
    }

    @Test("are loaded in version order, whatever order the folder lists them in")
    func ordered() throws {
        let url = try directory(with: ["0002_b.sql": "SELECT 2;", "0001_a.sql": "SELECT 1;", "0010_c.sql": "SELECT 10;", "README.md": "x"])
        defer { try? FileManager.default.removeItem(at: url) }
        let migrations = try Migration.load(from: url)
        #expect(migrations.map(\.version) == [1, 2, 10])
        #expect(migrations.map(\.fileName) == ["0001_a.sql", "0002_b.sql", "0010_c.sql"])
    }

    @Test("a file not named NNNN_description.sql is refused by name")
    func badName() throws {
        let url = try directory(with: ["0001_a.sql": "SELECT 1;", "2_b.sql": "SELECT 2;"])
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: MigrationError.badFileName("2_b.sql")) { try Migration.load(from: url) }
    }

    @Test("two files with one version are refused, naming both")
    func duplicateVersion() throws {
        let url = try directory(with: ["0001_a.sql": "SELECT 1;", "0001_b.sql": "SELECT 2;"])
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: MigrationError.duplicateVersion(1, "0001_a.sql", "0001_b.sql")) { try Migration.load(from: url) }
    }

    @Test("the checksum changes when one byte of the file does")
    func checksum() {
        let original = Migration(version: 1, fileName: "0001_a.sql", sql: "CREATE TABLE a (x int);")
        let edited = Migration(version: 1, fileName: "0001_a.sql", sql: "CREATE TABLE a (x int );")
        #expect(original.checksum.count == 64)
        #expect(original.checksum != edited.checksum)
    }

    @Test("the repository's own migrations load and are numbered without gaps")
    func repositoryMigrations() throws {
        let migrations = try Migration.load(from: TestEnvironment.repositoryRoot.appendingPathComponent("schema"))
        #expect(migrations.map(\.version) == Array(1...migrations.count))
    }
}
