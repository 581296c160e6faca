import ArgumentParser
import Foundation
import KoppelStore
import Logging

struct ErasuresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erasures", abstract: "Keep erasures erased across database restores (the erasure ledger).",
        subcommands: [Reapply.self])

    struct Reapply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "After restoring the database: erase again every client the erasure ledger lists.",
            discussion: """
                A backup taken before an erasure holds the client's data key. The vault already refuses to open it (it asks \
                the ledger first); this deletes it from the restored database, audited, marks the client erased, and adds \
                to the ledger any erasure the database holds that the ledger misses. Safe to run again; run it after every \
                restore, before Koppel serves users (decision 0010, README "Operations").
                """)

        @OptionGroup var connection: PrivacyConnection

        func run() async throws {
            let logger = Logger(label: "koppel.vault")
            let done = try await connection.withPrivacy(logger: logger) { try await $0.reapplyErasures() }
            print(
                "erasure ledger lists \(done.listed) clients: \(done.erasedAgain) erased again in the vault, \(done.markedErased) marked erased; "
                    + "\(done.addedToLedger) erasures of the database added to the ledger")
            if done.damagedLines > 0 {
                throw CommandFailure(
                    "\(done.damagedLines) lines of the erasure ledger are not a client id; compare it with its copies and repair it by hand")
            }
        }
    }
}
