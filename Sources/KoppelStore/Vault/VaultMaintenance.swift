import Crypto
import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// What `koppel audit` and `koppel keys` do to the vault: walk the audit chain, rewrap data keys.
extension VaultStore {
    /// Walks the whole chain in order; nil when it is unbroken. Also returns how many entries it walked. Entries up to
    /// `unkeyedUntil` may be unkeyed (written before schema 0012); the operator reads that number once, at the upgrade.
    public func verifyAudit(unkeyedUntil: Int64 = 0) async throws -> (entries: Int, firstBreak: AuditBreak?) {
        var walker = AuditChainWalker(key: try auditKey(), unkeyedUntil: unkeyedUntil)
        var count = 0
        let rows = try await client.query("SELECT \(unescaped: AuditLog.columns) FROM audit.entries ORDER BY seq", logger: logger)
        for try await row in rows {
            count += 1
            if let broken = walker.next(try AuditLog.decode(row)) { return (count, broken) }
        }
        return (count, nil)
    }

    /// Whether an entry with this hash (hex) is in the log.
    public func containsAuditHash(_ hex: String) async throws -> Bool {
        guard hex.count == 64, let bytes = Data(hexString: hex) else { return false }
        return try await client.query("SELECT 1 FROM audit.entries WHERE hash = \(bytes)", logger: logger).collect().count == 1
    }

    /// The latest entry, whose hash anchors the whole chain before it.
    public func auditHead() async throws -> AuditEntry? {
        try await client.query("SELECT \(unescaped: AuditLog.columns) FROM audit.entries ORDER BY seq DESC LIMIT 1", logger: logger)
            .collect().first.map(AuditLog.decode)
    }

    /// How many data keys are wrapped under each master key version.
    public func dataKeyVersions() async throws -> [Int: Int] {
        var counts: [Int: Int] = [:]
        for row in try await client.query(
            "SELECT master_key_version, count(*)::integer FROM vault.data_keys GROUP BY 1", logger: logger
        ).collect() {
            let (version, count) = try row.decode((Int, Int).self)
            counts[version] = count
        }
        return counts
    }

    /// Rewraps, in batches of short transactions, every data key not wrapped under the current master key (and erases the
    /// keys of clients the erasure ledger lists, which only a restored database holds).
    /// Rows a server holds locked are skipped and picked up by the next pass. Returns how many were rewrapped.
    public func rewrapDataKeys(batchSize: Int = 500) async throws -> Int {
        var total = 0
        while true {
            let (version, master) = try keys.currentMasterKey()
            let done = try await client.withClockedTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    SELECT client_id, wrapped_key, master_key_version FROM vault.data_keys WHERE master_key_version <> \(version)
                    LIMIT \(batchSize) FOR UPDATE SKIP LOCKED
                    """, logger: logger
                ).collect()
                for row in rows {
                    let (clientID, wrapped, oldVersion) = try row.decode((UUID, Data, Int).self)
                    // An erased client's key in a restored database is not carried into the new master key: it goes.
                    if try keys.erasures.contains(clientID) {
                        _ = try await shred(clientID, audit: .ledgeredErasure(clientID), on: connection)
                        continue
                    }
                    let dataKey = try Envelope.unwrap(wrapped, client: clientID, version: oldVersion, under: try keys.masterKey(version: oldVersion))
                    let rewrapped = try Envelope.wrap(dataKey, client: clientID, version: version, under: master)
                    try await connection.query(
                        """
                        UPDATE vault.data_keys SET wrapped_key = \(rewrapped), master_key_version = \(version), rewrapped_at = koppel_now()
                        WHERE client_id = \(clientID)
                        """, logger: logger)
                }
                return rows.count
            }
            total += done
            if done == 0 { return total }
        }
    }
}

/// Walks the chain one entry at a time, so a long log needs no memory of more than the last hash.
public struct AuditChainWalker {
    private var previous = AuditEntry.genesis
    private var expected: Int64 = 1
    private let key: SymmetricKey
    private let unkeyedUntil: Int64

    public init(key: SymmetricKey, unkeyedUntil: Int64 = 0) {
        self.key = key
        self.unkeyedUntil = unkeyedUntil
    }

    public mutating func next(_ entry: AuditEntry) -> AuditBreak? {
        if entry.seq != expected { return AuditBreak(seq: entry.seq, kind: .missing(expected: expected)) }
        if entry.previousHash != previous { return AuditBreak(seq: entry.seq, kind: .notLinked) }
        if !entry.keyed && entry.seq > unkeyedUntil { return AuditBreak(seq: entry.seq, kind: .notKeyed) }
        if entry.computedHash(key: key) != entry.hash { return AuditBreak(seq: entry.seq, kind: .changed) }
        previous = entry.hash
        expected += 1
        return nil
    }
}

extension Data {
    /// Bytes from a hex string; nil if it is not one.
    init?(hexString: String) {
        var bytes: [UInt8] = []
        var index = hexString.startIndex
        while index < hexString.endIndex {
            let next = hexString.index(index, offsetBy: 2, limitedBy: hexString.endIndex) ?? hexString.endIndex
            guard let byte = UInt8(hexString[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}
