import Foundation

/// What `koppel erasures reapply` found and did.
public struct ErasureReconciliation: Sendable, Equatable {
    /// Clients the erasure ledger lists.
    public let listed: Int
    /// Of those, whose data key the database still held (restored from before their erasure): erased again, audited.
    public let erasedAgain: Int
    /// Of those, the clients the database did not have marked as erased: marked now.
    public let markedErased: Int
    /// Clients the database had as erased and the ledger missed: added to it.
    public let addedToLedger: Int
    /// Lines of the ledger that are not a record (damaged): they are reported, never guessed at.
    public let damagedLines: Int

    public init(listed: Int, erasedAgain: Int, markedErased: Int, addedToLedger: Int, damagedLines: Int) {
        self.listed = listed
        self.erasedAgain = erasedAgain
        self.markedErased = markedErased
        self.addedToLedger = addedToLedger
        self.damagedLines = damagedLines
    }
}

extension Privacy {
    /// Brings a database and the erasure ledger in line after a restore (decision 0010): the database's erasures go into
    /// the ledger, then every client the ledger lists is erased again in the vault and marked erased. Safe to repeat.
    public func reapplyErasures() async throws -> ErasureReconciliation {
        let added = try vault.recordErasures(try await clients.erasedClients())
        let (listed, erasedAgain, damaged) = try await vault.reapplyLedgeredErasures()
        let (ledgered, _) = try vault.keys.erasures.erasedClients()
        let unmarked = try await clients.clientsNotErased(Array(ledgered))
        for (clientID, organisation) in unmarked { try await clients.markErased(clientID, organisation: organisation) }
        return ErasureReconciliation(
            listed: listed, erasedAgain: erasedAgain.count, markedErased: unmarked.count, addedToLedger: added, damagedLines: damaged)
    }
}
