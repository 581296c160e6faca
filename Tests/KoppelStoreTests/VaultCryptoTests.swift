import Crypto
import Foundation
import KoppelCore
import KoppelStore
import Testing

@Suite("Envelope encryption and the audit chain")
struct VaultCryptoTests {
    @Test("a sealed value opens only for its own client and field, and a data key only under its master key and version")
    func associatedData() throws {
        let client = UUID()
        let dataKey = Envelope.newDataKey()
        let sealed = try Envelope.seal("Amina", client: client, field: "name", under: dataKey)
        #expect(try Envelope.open(sealed, client: client, field: "name", under: dataKey) == "Amina")
        #expect(!String(decoding: sealed, as: UTF8.self).contains("Amina"))
        #expect(throws: (any Error).self) { try Envelope.open(sealed, client: UUID(), field: "name", under: dataKey) }
        #expect(throws: (any Error).self) { try Envelope.open(sealed, client: client, field: "notes", under: dataKey) }
        #expect(throws: (any Error).self) { try Envelope.open(sealed, client: client, field: "name", under: Envelope.newDataKey()) }
        let master = SymmetricKey(size: .bits256)
        let wrapped = try Envelope.wrap(dataKey, client: client, version: 1, under: master)
        let unwrapped = try Envelope.unwrap(wrapped, client: client, version: 1, under: master)
        #expect(try Envelope.open(sealed, client: client, field: "name", under: unwrapped) == "Amina")
        #expect(throws: (any Error).self) { try Envelope.unwrap(wrapped, client: client, version: 2, under: master) }
        #expect(throws: (any Error).self) { try Envelope.unwrap(wrapped, client: UUID(), version: 1, under: master) }
    }

    @Test("the blind index is the same for the same person written two ways, and differs under another key")
    func blindIndex() {
        let key = SymmetricKey(size: .bits256)
        let one = Envelope.blindIndex(name: "Zoë van der Berg", birthDate: "1990-01-01", key: key)
        #expect(Envelope.blindIndex(name: "berg, ZOE van der", birthDate: "1990-01-01", key: key) == one)
        #expect(Envelope.blindIndex(name: "Zoë van der Berg", birthDate: "1990-01-01", key: SymmetricKey(size: .bits256)) != one)
    }

    static var auditKey: SymmetricKey { SymmetricKey(data: Data(repeating: 7, count: 32)) }

    func chain(_ count: Int) -> [AuditEntry] {
        var entries: [AuditEntry] = []
        var previous = AuditEntry.genesis
        for seq in 1...Int64(count) {
            var entry = AuditEntry(
                seq: seq, occurredAtMicroseconds: 1_790_000_000_000_000 + seq, actorUser: UUID(), actorOrganisation: UUID(), client: UUID(),
                action: .reveal, purpose: "share_identity", referral: nil, fields: ["birth_date", "name"], previousHash: previous, hash: Data())
            entry.hash = entry.computedHash(key: Self.auditKey)
            previous = entry.hash
            entries.append(entry)
        }
        return entries
    }

    @Test("the chain names the first entry that was changed, removed or reordered")
    func tamperEvidence() {
        let entries = chain(6)
        #expect(AuditChain.firstBreak(in: entries, key: Self.auditKey) == nil)
        var changed = entries
        changed[2].purpose = "contact"
        #expect(AuditChain.firstBreak(in: changed, key: Self.auditKey) == AuditBreak(seq: 3, kind: .changed))
        var rehashed = changed
        rehashed[2].hash = rehashed[2].computedHash(key: Self.auditKey)  // a forger who recomputes one hash breaks the next link
        #expect(AuditChain.firstBreak(in: rehashed, key: Self.auditKey) == AuditBreak(seq: 4, kind: .notLinked))
        var removed = entries
        removed.remove(at: 3)
        #expect(AuditChain.firstBreak(in: removed, key: Self.auditKey) == AuditBreak(seq: 5, kind: .missing(expected: 4)))
        var reordered = entries
        reordered.swapAt(1, 2)
        (reordered[1].seq, reordered[2].seq) = (2, 3)
        #expect(AuditChain.firstBreak(in: reordered, key: Self.auditKey) == AuditBreak(seq: 2, kind: .notLinked))
    }

    @Test("a forger without the key cannot rewrite an entry and every hash after it, nor pass entries off as unkeyed")
    func keyedChain() {
        let entries = chain(5)
        /// Recomputes the chain from `from` on with `hash` (what a forger can do), entries marked keyed as given.
        func rechained(_ entries: [AuditEntry], keyed: Bool, hash: (AuditEntry) -> Data) -> [AuditEntry] {
            var previous = AuditEntry.genesis
            return entries.map { entry in
                var copy = entry
                copy.keyed = keyed
                copy.previousHash = previous
                copy.hash = hash(copy)
                previous = copy.hash
                return copy
            }
        }
        var rewritten = entries
        rewritten[1].purpose = "contact"
        let withOtherKey = rechained(rewritten, keyed: true) { $0.computedHash(key: SymmetricKey(size: .bits256)) }
        #expect(AuditChain.firstBreak(in: withOtherKey, key: Self.auditKey) == AuditBreak(seq: 1, kind: .changed))
        let unkeyed = rechained(rewritten, keyed: false) { $0.computedHash(key: Self.auditKey) }
        #expect(AuditChain.firstBreak(in: unkeyed, key: Self.auditKey) == AuditBreak(seq: 1, kind: .notKeyed))
        // Entries from before keying pass only as far as the operator says they reach.
        let legacy = rechained(entries, keyed: false) { $0.computedHash(key: Self.auditKey) }
        #expect(AuditChain.firstBreak(in: legacy, key: Self.auditKey, unkeyedUntil: 5) == nil)
        #expect(AuditChain.firstBreak(in: legacy, key: Self.auditKey, unkeyedUntil: 3) == AuditBreak(seq: 4, kind: .notKeyed))
    }

    @Test("the canonical encoding changes with every field and cannot be confused by a separator in a value")
    func canonicalEncoding() {
        let entry = chain(1)[0]
        var other = entry
        other.fields = ["birth_date,name"]
        #expect(other.canonicalEncoding != entry.canonicalEncoding)
        for change in [{ (e: inout AuditEntry) in e.occurredAtMicroseconds += 1 }, { $0.actorUser = nil }, { $0.action = .export }, { $0.referral = UUID() }] {
            var copy = entry
            change(&copy)
            #expect(copy.computedHash(key: Self.auditKey) != entry.hash)
        }
    }

    @Test("a key file round-trips, and adding a master key keeps the old ones until they are pruned")
    func keyFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let keys = KeyFile.generated()
        try keys.write(to: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let ring = try KeyRing(path: path)
        #expect(try ring.currentMasterKey().version == 1)
        try KeyFile.read(path).addingMasterKey().write(to: path)
        #expect(try ring.currentMasterKey().version == 2)  // read again because the file changed
        _ = try ring.masterKey(version: 1)
        FileManager.default.createFile(atPath: path, contents: Data("{}".utf8))
        #expect(throws: KeyFileError.malformed(path)) { try KeyFile.read(path) }
    }
}
