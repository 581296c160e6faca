import ArgumentParser
import Foundation
import KoppelStore
import Logging
import PostgresNIO

/// The options of commands that reach the vault: its role's URL and the key file.
struct VaultConnection: ParsableArguments {
    @Option(
        name: .customLong("vault-database-url"),
        help: ArgumentHelp("PostgreSQL URL of the vault role (koppel_vault). [env: KOPPEL_VAULT_DATABASE_URL]", valueName: "url"))
    var vaultDatabaseURL: String?

    @OptionGroup var keys: KeyFileOption

    func withVault<T: Sendable>(logger: Logger, _ body: @Sendable (VaultStore) async throws -> T) async throws -> T {
        let ring = try keys.ring()
        return try await withConnection(
            flag: vaultDatabaseURL, variable: "KOPPEL_VAULT_DATABASE_URL", name: "--vault-database-url", logger: logger
        ) { client in
            try await body(VaultStore(client: client, keys: ring, logger: logger))
        }
    }
}

struct KeyFileOption: ParsableArguments {
    @Option(name: .customLong("key-file"), help: ArgumentHelp("The vault's key file. [env: KOPPEL_VAULT_KEY_FILE]", valueName: "path"))
    var keyFile: String?

    @Option(
        name: .customLong("erasure-ledger"),
        help: ArgumentHelp(
            "The erasure ledger (default: the key file's path with .erasures added). [env: KOPPEL_VAULT_ERASURE_LEDGER]", valueName: "path"))
    var erasureLedger: String?

    var path: String {
        get throws {
            guard let path = keyFile ?? ProcessInfo.processInfo.environment["KOPPEL_VAULT_KEY_FILE"] else {
                throw CommandFailure("--key-file (or KOPPEL_VAULT_KEY_FILE) is required")
            }
            return path
        }
    }

    func ring() throws -> KeyRing {
        let ledger = erasureLedger ?? ProcessInfo.processInfo.environment["KOPPEL_VAULT_ERASURE_LEDGER"]
        do { return try KeyRing(path: try path, erasureLedger: ledger) } catch let error as KeyFileError { throw CommandFailure(error.description) }
    }
}

/// Connects to the PostgreSQL a flag or environment variable names, runs `body`, disconnects.
func withConnection<T: Sendable>(
    flag: String?, variable: String, name: String, logger: Logger, _ body: @Sendable (PostgresClient) async throws -> T
) async throws -> T {
    guard let text = flag ?? ProcessInfo.processInfo.environment[variable] else { throw CommandFailure("\(name) (or \(variable)) is required") }
    let url: DatabaseURL
    do { url = try DatabaseURL(text) } catch { throw CommandFailure("\(name) (or \(variable)) is not usable: \(error)") }
    var quiet = logger
    quiet.logLevel = .error
    do {
        return try await PostgresClient.withRunningClient(url, logger: quiet, body)
    } catch where DatabaseAvailability.isUnavailable(error) {
        throw CommandFailure("cannot reach PostgreSQL at \(url) (is it running, and are host, port and password right?)")
    }
}

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage the vault's keys.", subcommands: [Initialise.self, Rotate.self])

    struct Initialise: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init", abstract: "Create a key file with a new master key and blind-index key (never overwrites one).")

        @OptionGroup var keys: KeyFileOption

        func run() async throws {
            let path = try keys.path
            if FileManager.default.fileExists(atPath: path) {
                print("key file \(path) exists; left as it is")
                return
            }
            try KeyFile.generated().write(to: path)
            let ledger = try keys.ring().erasures
            do { try ledger.prepare() } catch { throw CommandFailure("\(error)") }
            print("created key file \(path) (master key version 1) and erasure ledger \(ledger.path); keep copies apart from the database's backups")
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a new master key in use and rewrap every data key under it, while Koppel keeps serving.",
            discussion: """
                Adds master key version N+1 to the key file (servers pick it up at their next vault operation), rewraps every \
                data key in short batches, and then removes the old versions from the key file. Backups of the database from \
                before then cannot be decrypted with the new key file: erased clients stay erased in them.
                """)

        @OptionGroup var vault: VaultConnection

        func run() async throws {
            let logger = Logger(label: "koppel.vault")
            let path = try vault.keys.path
            let rotated = try KeyFile.read(path).addingMasterKey()
            try rotated.write(to: path)
            print("master key version \(rotated.current) is now current")
            let total = try await vault.withVault(logger: logger) { store in
                var total = 0
                // Servers that wrapped a key under the old version just before they saw the new file are caught by
                // the next pass; the old versions go only once a pass after a pause finds nothing left.
                while true {
                    total += try await store.rewrapDataKeys()
                    try await Task.sleep(for: .seconds(2))
                    let left = try await store.dataKeyVersions().filter { $0.key != rotated.current }.values.reduce(0, +)
                    if left == 0 { return total }
                }
            }
            var pruned = try KeyFile.read(path)
            pruned.masterKeys = pruned.masterKeys.filter { $0.key == rotated.current }
            try pruned.write(to: path)
            print("rewrapped \(total) data keys; old master key versions removed from \(path)")
        }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the audit log of identifying data.", subcommands: [Verify.self, Head.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk the hash chain and name the first entry that was changed, removed or reordered.",
            discussion: "With --head, also check that a hash anchored earlier (from `koppel audit head`) is still in the chain.")

        @OptionGroup var vault: VaultConnection
        @Option(help: ArgumentHelp("A hash printed by `koppel audit head` earlier.", valueName: "hex")) var head: String?
        @Option(
            name: .customLong("unkeyed-until"),
            help: ArgumentHelp("The last entry written before the chain was keyed (schema 0012), if there were any.", valueName: "seq"))
        var unkeyedUntil: Int64 = 0

        func run() async throws {
            let logger = Logger(label: "koppel.vault")
            let anchored = head?.lowercased()
            let (count, broken, found) = try await vault.withVault(logger: logger) { store in
                let (count, broken) = try await store.verifyAudit(unkeyedUntil: unkeyedUntil)
                var found: Bool?
                if let anchored { found = try await store.containsAuditHash(anchored) }
                return (count, broken, found)
            }
            if let broken { throw CommandFailure("audit log broken after \(count - 1) good entries: \(broken)") }
            if found == false { throw CommandFailure("the anchored hash \(anchored ?? "") is not in the chain: entries were removed from its end") }
            print("audit log intact: \(count) entries")
        }
    }

    struct Head: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the latest entry's number and hash, to keep outside the database.")

        @OptionGroup var vault: VaultConnection

        func run() async throws {
            let logger = Logger(label: "koppel.vault")
            guard let entry = try await vault.withVault(logger: logger, { try await $0.auditHead() }) else {
                print("0 (empty)")
                return
            }
            print("\(entry.seq) \(entry.hash.map { String(format: "%02x", $0) }.joined())")
        }
    }
}

struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention", abstract: "Apply consent expiry and retention periods.", subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Expire consents past their last day and erase identities past their programmes' retention periods.",
            discussion: "The server does the same every retention interval; running it by hand as well is safe.")

        @OptionGroup var connection: PrivacyConnection

        func run() async throws {
            let logger = Logger(label: "koppel.vault")
            let (expired, erased) = try await connection.withPrivacy(logger: logger) { try await $0.runRetention() }
            print("expired \(expired) consents; erased the identities of \(erased) clients")
        }
    }
}
