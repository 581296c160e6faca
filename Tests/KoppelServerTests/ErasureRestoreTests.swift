import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelCore
import KoppelStore
import KoppelTestSupport
import Logging
import PostgresNIO
import Testing

@Suite("Erasure across restores: the erasure ledger outside PostgreSQL")
struct ErasureRestoreTests {
    /// The privacy module as `koppel erasures reapply` has it: the app role, the vault role, a key ring read anew.
    static func privacy<T: Sendable>(_ database: TestDatabase, keys: String, _ body: @Sendable @escaping (Privacy) async throws -> T) async throws -> T {
        try await PostgresClient.withRunningClient(database.appURL, logger: quietLogger) { app in
            try await PostgresClient.withRunningClient(database.vaultURL, logger: quietLogger) { vault in
                try await body(
                    Privacy(
                        clients: ClientStore(client: app, logger: quietLogger),
                        vault: VaultStore(client: vault, keys: try KeyRing(path: keys), logger: quietLogger),
                        referrals: ReferralStore(client: app, logger: quietLogger), lookups: SignInThrottleStore(client: app, logger: quietLogger)))
            }
        }
    }

    static func admin<T: Sendable>(_ database: TestDatabase, _ body: @Sendable @escaping (PostgresClient) async throws -> T) async throws -> T {
        try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger, body)
    }

    static func vaultRows(_ database: TestDatabase, _ id: UUID) async throws -> Int {
        try await admin(database) { db in
            try await db.query(
                """
                SELECT (SELECT count(*) FROM vault.data_keys WHERE client_id = \(id)) + (SELECT count(*) FROM vault.identity_fields WHERE client_id = \(id))
                """, logger: quietLogger
            ).collect().first!.decode(Int.self)
        }
    }

    /// A served Koppel with its own key file and ledger, a canary client of VluchtelingenWerk, and an org-admin's token.
    static func scene(
        _ body: @Sendable @escaping (_ api: APICall, _ cast: ReferralCast, _ client: String, _ admin: String, TestDatabase, _ keys: String) async throws -> Void
    ) async throws {
        let keys = try TestKeys.newKeyFile()
        defer { TestKeys.remove(keys) }
        try await TestApp.run(keys: keys) { client, database in
            let api = APICall(client: client)
            let cast = try await ReferralCast.make(client, database)
            let clientID = try await PrivacyAPITests.canaryClient(api, cast)
            let adminToken = try await PrivacyAPITests.token(database, "admin@vw.example", [.orgAdmin])
            try await body(api, cast, clientID, adminToken, database, keys)
        }
    }

    @Test("a client erased after a backup was taken stays unreadable once it is restored; reapplying erases them again, audited")
    func restoredBackup() async throws {
        try await Self.scene { api, cast, erasedID, adminToken, database, keys in
            let keptID = try await PrivacyAPITests.canaryClient(api, cast)
            let id = UUID(uuidString: erasedID)!
            // The backup: the client's key and sealed fields as they were before the erasure.
            let (wrapped, version, fields) = try await Self.admin(database) { db -> (Data, Int, [(String, Data)]) in
                let key = try await db.query(
                    "SELECT wrapped_key, master_key_version FROM vault.data_keys WHERE client_id = \(id)", logger: quietLogger
                ).collect().first!.decode((Data, Int).self)
                let fields = try await db.query("SELECT field, sealed FROM vault.identity_fields WHERE client_id = \(id)", logger: quietLogger)
                    .collect().map { try $0.decode((String, Data).self) }
                return (key.0, key.1, fields)
            }
            #expect(try await api(.delete, "/api/v1/clients/\(erasedID)", as: adminToken).status == .noContent)
            #expect(try await Self.vaultRows(database, id) == 0)

            // The restore: the rows are back and the client is not marked erased, as in a database from before.
            try await Self.admin(database) { db in
                try await db.query(
                    "INSERT INTO vault.data_keys (client_id, wrapped_key, master_key_version) VALUES (\(id), \(wrapped), \(version))",
                    logger: quietLogger)
                for (field, sealed) in fields {
                    try await db.query(
                        "INSERT INTO vault.identity_fields (client_id, field, sealed) VALUES (\(id), \(field), \(sealed))", logger: quietLogger)
                }
                try await db.query("UPDATE clients SET erased_at = NULL WHERE id = \(id)", logger: quietLogger)
            }
            // The key file alone would open it again: the refusal is the ledger's.
            let ring = try KeyRing(path: keys)
            let dataKey = try Envelope.unwrap(wrapped, client: id, version: version, under: try ring.masterKey(version: version))
            let sealedName = try #require(fields.first { $0.0 == "name" }?.1)
            #expect(try Envelope.open(sealedName, client: id, field: "name", under: dataKey) == Canaries["name"])
            #expect(try ring.erasures.contains(id))

            let refused = try await api(.post, "/api/v1/clients/\(erasedID)/reveal", as: cast.caseworker, ["purpose": "share_identity"])
            #expect(refused.status == .gone, "the restored key is refused: \(refused.status)")
            #expect(!refused.text.contains(Canaries["name"]))
            let kept = try await api(.post, "/api/v1/clients/\(keptID)/reveal", as: cast.caseworker, ["purpose": "share_identity"])
            #expect((kept.json["fields"] as? [String: Any])?["name"] as? String == Canaries["name"], "everyone else still opens")
            try await PostgresClient.withRunningClient(database.vaultURL, logger: quietLogger) { vault in
                let store = VaultStore(client: vault, keys: try KeyRing(path: keys), logger: quietLogger)
                let audit = AuditRecord(actorUser: nil, actorOrganisation: nil, client: id, action: .reveal, purpose: "share_identity")
                await #expect(throws: VaultError.noIdentity) { try await store.reveal([.name], of: id, audit: audit) }
            }

            let first = try await Self.privacy(database, keys: keys) { try await $0.reapplyErasures() }
            #expect(first == ErasureReconciliation(listed: 1, erasedAgain: 1, markedErased: 1, addedToLedger: 0, damagedLines: 0))
            #expect(try await Self.vaultRows(database, id) == 0)
            let again = try await Self.privacy(database, keys: keys) { try await $0.reapplyErasures() }
            #expect(again == ErasureReconciliation(listed: 1, erasedAgain: 0, markedErased: 0, addedToLedger: 0, damagedLines: 0))
            try await PostgresClient.withRunningClient(database.vaultURL, logger: quietLogger) { vault in
                let store = VaultStore(client: vault, keys: try KeyRing(path: keys), logger: quietLogger)
                let trail = try await store.auditTrail(of: id)
                #expect(trail.last?.action == .erase && trail.last?.purpose == "erasure ledger" && trail.last?.actorUser == nil)
                #expect(try await store.verifyAudit().firstBreak == nil)
            }
            let page = try await api(.get, "/api/v1/clients/\(erasedID)/export", as: cast.caseworker)
            #expect(page.status == .ok && !page.text.contains(Canaries["name"]))
        }
    }

    @Test("an erasure the ledger cannot record is not done, and the caller hears so")
    func ledgerUnwritable() async throws {
        try await Self.scene { api, _, clientID, adminToken, database, keys in
            let id = UUID(uuidString: clientID)!
            // A folder where the ledger should be: it can be neither appended to nor read (root writes anywhere).
            let ledger = KeyRing.defaultErasureLedger(keyFile: keys)
            try FileManager.default.removeItem(atPath: ledger)
            try FileManager.default.createDirectory(atPath: ledger, withIntermediateDirectories: false)
            let failed = try await api(.delete, "/api/v1/clients/\(clientID)", as: adminToken)
            #expect(failed.status.code >= 500, "the erasure is not reported as done: \(failed.status)")
            #expect(try await Self.vaultRows(database, id) > 0, "nothing was erased without its record")
            try FileManager.default.removeItem(atPath: ledger)
            #expect(try await api(.delete, "/api/v1/clients/\(clientID)", as: adminToken).status == .noContent)
            #expect(try ErasureLedger(path: ledger).contains(id))
        }
    }

    @Test("erasures the database holds and the ledger misses (from before it existed) are added to it")
    func ledgerCatchesUp() async throws {
        try await Self.scene { api, _, clientID, adminToken, database, keys in
            #expect(try await api(.delete, "/api/v1/clients/\(clientID)", as: adminToken).status == .noContent)
            let ledger = KeyRing.defaultErasureLedger(keyFile: keys)
            try Data().write(to: URL(fileURLWithPath: ledger))
            let done = try await Self.privacy(database, keys: keys) { try await $0.reapplyErasures() }
            #expect(done.addedToLedger == 1 && done.erasedAgain == 0 && done.markedErased == 0)
            #expect(try ErasureLedger(path: ledger).contains(UUID(uuidString: clientID)!))
        }
    }
}
