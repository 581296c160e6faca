import Foundation
import KoppelStore
import Testing

@Suite("The erasure ledger: who was erased, kept outside PostgreSQL")
struct ErasureLedgerTests {
    func newPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("koppel-erasures-\(UUID().uuidString)").path
    }

    @Test("a recorded erasure is on disk at once, seen by every reader of the file, and written once")
    func recordAndRead() throws {
        let path = newPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = ErasureLedger(path: path)
        let reader = ErasureLedger(path: path)
        let erased = UUID()
        #expect(try !reader.contains(erased), "a missing ledger lists nobody")
        try writer.record(erased)
        try writer.record(erased)
        #expect(try reader.contains(erased))
        #expect(try !reader.contains(UUID()))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == erased.uuidString.lowercased() + "\n", "ids only, one a line, never twice")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    @Test("replicas appending at once lose no record and tear no line")
    func concurrentAppends() async throws {
        let path = newPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let replicas = (0..<4).map { _ in ErasureLedger(path: path) }
        let ids = (0..<400).map { _ in UUID() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, id) in ids.enumerated() {
                group.addTask { try replicas[index % replicas.count].record(id) }
            }
            try await group.waitForAll()
        }
        let (listed, damaged) = try ErasureLedger(path: path).erasedClients()
        #expect(listed == Set(ids) && damaged == 0)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == ids.count)
        #expect(try replicas.allSatisfy { replica in try ids.allSatisfy { try replica.contains($0) } })
    }

    @Test("a line torn by a crash costs no other record; a record being written is read once complete; a damaged line is counted")
    func tornLines() throws {
        let path = newPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = UUID()
        let second = UUID()
        let ledger = ErasureLedger(path: path)
        // A crash in the middle of an earlier append left half an id without its newline; the next record follows it.
        let torn = "# erasure ledger\n" + String(UUID().uuidString.prefix(20)) + first.uuidString.lowercased() + "\nnot a record\n"
        _ = FileManager.default.createFile(atPath: path, contents: Data(torn.utf8))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(second.uuidString.lowercased().prefix(30).utf8))
        #expect(try ledger.contains(first))
        #expect(try !ledger.contains(second), "half a line is not read yet")
        try handle.write(contentsOf: Data((second.uuidString.lowercased().dropFirst(30) + "\n").utf8))
        try handle.close()
        #expect(try ledger.contains(second))
        #expect(try ledger.erasedClients().damagedLines == 1)
    }

    @Test("a ledger replaced by an older copy forgets nothing this process read")
    func neverForgets() throws {
        let path = newPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let ledger = ErasureLedger(path: path)
        let erased = UUID()
        try ledger.record(erased)
        try FileManager.default.removeItem(atPath: path)
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        #expect(try ledger.contains(erased))
    }

    @Test("a ledger that cannot be written refuses the record, and one that cannot be read refuses every answer")
    func failures() throws {
        let folder = newPath()
        let nowhere = ErasureLedger(path: folder + "/missing/erasures")
        #expect(throws: ErasureLedgerError.self) { try nowhere.record(UUID()) }
        #expect(throws: ErasureLedgerError.self) { try nowhere.prepare() }
        // A folder where the file should be: neither appended to nor read (root may write anywhere, so permissions cannot show it).
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let blocked = ErasureLedger(path: folder)
        #expect(throws: ErasureLedgerError.self) { try blocked.record(UUID()) }
        #expect(throws: ErasureLedgerError.self) { try blocked.contains(UUID()) }
    }
}
