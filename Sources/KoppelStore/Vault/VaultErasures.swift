import Foundation
import KoppelCore
import PostgresNIO

/// The vault's side of erasure after a restore (decision 0010): the erasure ledger outside PostgreSQL is the record of
/// who was erased; a restored database is brought back in line with it, and it with the database.
extension VaultStore {
    /// Erases again, audited, every client the ledger lists whose data key this database still holds (a backup taken
    /// before their erasure was restored). Returns how many the ledger lists, which were erased again, and how many of
    /// its lines could not be read.
    public func reapplyLedgeredErasures() async throws -> (listed: Int, erasedAgain: [UUID], damagedLines: Int) {
        let (ledgered, damaged) = try keys.erasures.erasedClients()
        guard !ledgered.isEmpty else { return (0, [], damaged) }
        let held = try await client.query(
            "SELECT client_id FROM vault.data_keys WHERE client_id = ANY(\(Array(ledgered)))", logger: logger
        ).collect().map { try $0.decode(UUID.self) }
        var erased: [UUID] = []
        for clientID in held {
            let done = try await transaction { connection in
                try await shred(clientID, audit: .ledgeredErasure(clientID), on: connection)
            }
            if done { erased.append(clientID) }
        }
        return (ledgered.count, erased, damaged)
    }

    /// Adds to the ledger the clients the database has as erased and the ledger misses (erased before the ledger
    /// existed, or a ledger restored from an older copy). Returns how many were added.
    public func recordErasures(_ clients: [UUID]) throws -> Int {
        let (ledgered, _) = try keys.erasures.erasedClients()
        let missing = clients.filter { !ledgered.contains($0) }
        for clientID in missing { try keys.erasures.record(clientID) }
        return missing.count
    }

    /// Whether the ledger lists this client: what the vault asks before it unwraps a data key.
    public func isLedgeredErasure(_ clientID: UUID) throws -> Bool { try keys.erasures.contains(clientID) }
}

extension AuditRecord {
    /// An erasure done again because the erasure ledger lists the client (no person acts: the ledger does).
    static func ledgeredErasure(_ client: UUID) -> AuditRecord {
        AuditRecord(actorUser: nil, actorOrganisation: nil, client: client, action: .erase, purpose: "erasure ledger")
    }
}
