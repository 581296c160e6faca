import Crypto
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

@Suite("Consent and privacy: the vault, reveal, consent, audit, erasure")
struct PrivacyAPITests {
    static var everything: [String: Any] { [
        "name": Canaries["name"], "birth_date": Canaries["birth_date"], "phone": Canaries["phone"], "email": Canaries["email"],
        "address": Canaries["address"], "safety_notes": Canaries["safety_notes"], "notes": Canaries["notes"], "languages": "Tigrinya",
    ] }

    /// A consent: the referrer's organisation may do everything; each programme as given (purpose → classes).
    static func consent(organisation: String, programmes: [String: [String: [String]]], until: String? = nil) -> [String: Any] {
        var provisions: [[String: Any]] = [
            ["kind": "permit", "actor_type": "organisation", "actor_id": organisation, "purposes": ["referral", "share_identity", "contact"],
             "data_classes": ["identity", "contact", "safety", "notes"]]
        ]
        for (programme, purposes) in programmes {
            for (purpose, classes) in purposes {
                provisions.append(["kind": "permit", "actor_type": "programme", "actor_id": programme, "purposes": [purpose], "data_classes": classes])
            }
        }
        var body: [String: Any] = [
            "grantor": "client", "obtained_on": "2026-01-05", "evidence": "signed_document", "legal_basis": "explicit_consent",
            "valid_from": "2026-01-05", "provisions": provisions,
        ]
        if let until { body["valid_until"] = until }
        return body
    }

    /// An API token of a new VluchtelingenWerk user with these roles.
    static func token(_ database: TestDatabase, _ email: String, _ roles: Set<Role>) async throws -> String {
        let person = try await TestPeople.make(database, organisation: "vluchtelingenwerk", email: email, roles: roles)
        return try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
            try await APITokenStore(client: db, logger: quietLogger).create(userID: person.id, organisation: person.organisation, name: "t", expiresInDays: 1)
                .token.value
        }
    }

    static func organisation(_ api: APICall, _ token: String) async throws -> String {
        ((try await api(.get, "/api/v1/me", as: token).json["organization"] as? [String: Any])?["id"] as? String) ?? ""
    }

    /// A client with the canary identity and a consent letting 2GO process the referral and see identity (not contact).
    static func canaryClient(_ api: APICall, _ cast: ReferralCast) async throws -> String {
        let client = try await api(.post, "/api/v1/clients", as: cast.caseworker, everything)
        #expect(client.status == .created, "\(client.detail)")
        #expect(!client.json.keys.contains("name"), "registering answers with the pseudonymous id only")
        let organisation = try await organisation(api, cast.caseworker)
        let consent = try await api(
            .post, "/api/v1/clients/\(client.id)/consents", as: cast.caseworker,
            consent(organisation: organisation, programmes: [cast.twoGoID: ["referral": ["identity"], "share_identity": ["identity"]]]))
        #expect(consent.status == .created, "\(consent.detail)")
        return client.id
    }

    @Test("identifying data is only ciphertext in the vault, nowhere else; the app role cannot reach the vault or the audit log")
    func ciphertextOnly() async throws {
        try await TestApp.run { client, database in
            let api = APICall(client: client)
            let cast = try await ReferralCast.make(client, database)
            let clientID = try await Self.canaryClient(api, cast)
            let referral = try await api.file(cast.forTwoGo(["client_id": clientID]), as: cast.caseworker)
            #expect(try await api(.post, "/api/v1/referrals/\(referral)/messages", as: cast.caseworker, ["text": Canaries["message"]]).status == .noContent)
            try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { admin in
                // Every table of every schema, read raw as the superuser: no canary value in any of them.
                let tables = try await admin.query(
                    """
                    SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname IN ('public', 'vault', 'audit', 'counts')
                    """, logger: quietLogger
                ).collect().map { try $0.decode(String.self) }
                #expect(tables.contains("vault.identity_fields") && tables.contains("audit.entries"))
                for table in tables {
                    let rows = try await admin.query("SELECT t::text FROM \(unescaped: table) t", logger: quietLogger).collect().map { try $0.decode(String.self) }
                    for value in Canaries.values.values {
                        #expect(!rows.contains { $0.contains(value) }, "\(table) holds a plaintext value")
                    }
                }
                let sealed = try await admin.query("SELECT count(*)::integer FROM vault.identity_fields WHERE client_id = \(UUID(uuidString: clientID)!)", logger: quietLogger)
                    .collect().first!.decode(Int.self)
                #expect(sealed == 8)
            }
            try await PostgresClient.withRunningClient(database.appURL, logger: quietLogger) { app in
                for statement: PostgresQuery in ["SELECT * FROM vault.identity_fields", "SELECT * FROM vault.data_keys", "SELECT * FROM audit.entries"] {
                    let error = await #expect(throws: PSQLError.self) { try await app.query(statement, logger: quietLogger).collect() }
                    #expect(error?.serverInfo?[.sqlState] == "42501", "\(statement.sql)")
                }
            }
        }
    }

    @Test("reveal: what consent allows, to whom policy allows, while the referral is open; every reveal in the audit log")
    func reveal() async throws {
        try await TestApp.run { client, database in
            let api = APICall(client: client)
            let cast = try await ReferralCast.make(client, database)
            let clientID = try await Self.canaryClient(api, cast)
            let referral = try await api.file(cast.forTwoGo(["client_id": clientID]), as: cast.caseworker)
            let path = "/api/v1/clients/\(clientID)/reveal"

            let own = try await api(.post, path, as: cast.caseworker, ["purpose": "contact"])
            #expect(own.status == .ok)
            #expect((own.json["fields"] as? [String: Any])?["phone"] as? String == Canaries["phone"])
            let programme = try await api(.post, path, as: cast.twoGo, ["purpose": "share_identity", "referral_id": referral])
            #expect(programme.status == .ok, "\(programme.detail)")
            let fields = programme.json["fields"] as? [String: Any] ?? [:]
            #expect(fields["name"] as? String == Canaries["name"] && fields["birth_date"] as? String == Canaries["birth_date"])
            #expect(fields["phone"] == nil && fields["safety_notes"] == nil && fields["notes"] == nil, "consent gave 2GO identity only")
            let contact = try await api(.post, path, as: cast.twoGo, ["purpose": "contact", "referral_id": referral])
            #expect(contact.status == .forbidden && contact.detail.contains("consent"))
            #expect(try await api(.post, path, as: cast.twoGo, ["purpose": "share_identity"]).status == .notFound)
            // A referral the caller may not act on, or none at all, is a wrong referral_id: the client itself is not in question.
            let notTheirs = try await api(.post, path, as: cast.pimenta, ["purpose": "share_identity", "referral_id": referral])
            #expect(notTheirs.status == .unprocessableContent && notTheirs.detail.contains("referral_id"), "\(notTheirs.detail)")
            let noSuch = try await api(.post, path, as: cast.caseworker, ["purpose": "share_identity", "referral_id": UUID().uuidString])
            #expect(noSuch.status == .unprocessableContent && noSuch.detail.contains("referral_id"), "\(noSuch.detail)")
            #expect(try await api(.post, path, as: cast.otherCaseworker, ["purpose": "share_identity"]).status == .notFound)
            #expect(try await api(.post, path, as: cast.funder, ["purpose": "share_identity"]).status == .notFound)

            #expect(try await api.step(referral, "decline", as: cast.twoGo, ["reason": "needs_not_matched"]).status == .ok)
            let closed = try await api(.post, path, as: cast.twoGo, ["purpose": "share_identity", "referral_id": referral])
            #expect(closed.status == .forbidden && closed.detail.contains("declined"))

            let export = try await api(.get, "/api/v1/clients/\(clientID)/export", as: cast.caseworker)
            #expect(export.status == .ok)
            let log = export.json["access_log"] as? [[String: Any]] ?? []
            #expect(log.map { $0["action"] as? String }.prefix(4) == ["create", "reveal", "reveal", "export"])
            #expect(log[2]["purpose"] as? String == "share_identity" && log[2]["referral_id"] as? String == referral)
            #expect((export.json["identity"] as? [String: Any])?["notes"] as? String == Canaries["notes"])
            #expect((export.json["referrals"] as? [[String: Any]])?.first?["history"] as? [Any] != nil)
            #expect((export.json["consents"] as? [Any])?.count == 1)
        }
    }

    @Test("no consent covering the programme, no submission; only an org-admin caseworker may override, and the coordinator sees why")
    func consentRequired() async throws {
        try await TestApp.run { client, database in
            let api = APICall(client: client)
            let cast = try await ReferralCast.make(client, database)
            let clientID = try await Self.canaryClient(api, cast)  // covers 2GO, not PIMENTA
            let refused = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forPimenta(["client_id": clientID]))
            #expect(refused.status == .unprocessableContent && refused.detail.contains("PIMENTA") && refused.detail.contains("consent"))
            let notAllowed = try await api(
                .post, "/api/v1/referrals", as: cast.caseworker, cast.forPimenta(["client_id": clientID, "consent_override_reason": "acute_danger"]))
            #expect(notAllowed.status == .forbidden)
            let leadToken = try await Self.token(database, "lead@vw.example", [.caseworker, .orgAdmin])
            let overridden = try await api(
                .post, "/api/v1/referrals", as: leadToken, cast.forPimenta(["client_id": clientID, "consent_override_reason": "acute_danger"]))
            #expect(overridden.status == .created, "\(overridden.detail)")
            let seen = try await api(.get, "/api/v1/referrals/\(overridden.id)", as: cast.pimenta)
            #expect(seen.json["consent_override_reason"] as? String == "acute_danger" && seen.json["consent_id"] == nil)
            // Another organisation's client cannot be referred.
            let foreign = try await api(.post, "/api/v1/referrals", as: cast.otherCaseworker, cast.forTwoGo(["client_id": clientID]))
            #expect(foreign.status == .unprocessableContent && foreign.detail.contains("register"))
        }
    }

    @Test("withdrawing consent takes effect at once: open referrals that relied on it are withdrawn, reveals stop")
    func withdrawal() async throws {
        try await TestApp.run { client, database in
            let api = APICall(client: client)
            let cast = try await ReferralCast.make(client, database)
            let clientID = try await Self.canaryClient(api, cast)
            let referral = try await api.file(cast.forTwoGo(["client_id": clientID]), as: cast.caseworker)
            #expect(try await api.step(referral, "accept", as: cast.twoGo).status == .ok)
            let consentID = try #require(try await api(.get, "/api/v1/clients/\(clientID)/consents", as: cast.caseworker).list.first?["id"] as? String)
            #expect(try await api(.post, "/api/v1/clients/\(clientID)/consents/\(consentID)/withdraw", as: cast.twoGo).status == .forbidden)
            let withdrawn = try await api(.post, "/api/v1/clients/\(clientID)/consents/\(consentID)/withdraw", as: cast.caseworker)
            #expect(withdrawn.status == .ok)
            #expect(withdrawn.json["withdrawn_referrals"] as? [String] == [referral])
            let after = try await api(.get, "/api/v1/referrals/\(referral)", as: cast.twoGo)
            #expect(after.state == "withdrawn")
            let history = try await api(.get, "/api/v1/referrals/\(referral)/history", as: cast.twoGo).list
            #expect(history.last?["reason"] as? String == "consent_withdrawn")
            #expect(try await api(.post, "/api/v1/clients/\(clientID)/reveal", as: cast.twoGo, ["purpose": "share_identity", "referral_id": referral])
                .status == .forbidden)
            #expect(try await api(.post, "/api/v1/clients/\(clientID)/reveal", as: cast.caseworker, ["purpose": "share_identity"]).status == .forbidden)
            let consents = try await api(.get, "/api/v1/clients/\(clientID)/consents", as: cast.caseworker).list
            #expect(consents.first?["status"] as? String == "withdrawn" && consents.first?["fhir_status"] as? String == "inactive")
            #expect(try await api(.post, "/api/v1/clients/\(clientID)/consents/\(consentID)/withdraw", as: cast.caseworker).status == .conflict)
        }
    }

    @Test("messages: a thread between both sides, sealed in the vault, closed to the programme once the referral is")
    func messages() async throws {
        try await TestApp.run { client, database in
            let api = APICall(client: client)
            let cast = try await ReferralCast.make(client, database)
            let clientID = try await Self.canaryClient(api, cast)
            let referral = try await api.file(cast.forTwoGo(["client_id": clientID]), as: cast.caseworker)
            let path = "/api/v1/referrals/\(referral)/messages"
            #expect(try await api(.post, path, as: cast.caseworker, ["text": Canaries["message"]]).status == .noContent)
            #expect(try await api(.post, path, as: cast.twoGo, ["text": "Dinsdag kan."]).status == .noContent)
            #expect(try await api(.post, path, as: cast.twoGo, ["text": "   "]).status == .unprocessableContent)
            let thread = try await api(.get, path, as: cast.twoGo).list
            #expect(thread.map { $0["text"] as? String } == [Canaries["message"], "Dinsdag kan."])
            #expect(thread.map { $0["mine"] as? Bool } == [false, true])
            #expect(try await api(.get, path, as: cast.pimenta).status == .notFound)
            #expect(try await api(.get, path, as: cast.otherCaseworker).status == .notFound)
            #expect(try await api.step(referral, "decline", as: cast.twoGo, ["reason": "needs_not_matched"]).status == .ok)
            #expect(try await api(.get, path, as: cast.twoGo).status == .forbidden)
            #expect(try await api(.get, path, as: cast.caseworker).list.count == 2)
        }
    }

    @Test("erasure shreds the data key: gone from the vault, and a dump from before cannot be opened once keys are rotated")
    func erasure() async throws {
        let keys = try TestKeys.newKeyFile()
        defer { TestKeys.remove(keys) }
        try await TestApp.run(keys: keys) { client, database in
            let api = APICall(client: client)
            let cast = try await ReferralCast.make(client, database)
            let clientID = try await Self.canaryClient(api, cast)
            let keep = try await Self.canaryClient(api, cast)
            let referral = try await api.file(cast.forTwoGo(["client_id": clientID]), as: cast.caseworker)
            let id = UUID(uuidString: clientID)!
            // The "dump": the client's wrapped key and sealed name as they were.
            let (wrapped, version, sealed) = try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { admin in
                try await admin.query(
                    """
                    SELECT k.wrapped_key, k.master_key_version, f.sealed FROM vault.data_keys k
                    JOIN vault.identity_fields f ON f.client_id = k.client_id AND f.field = 'name' WHERE k.client_id = \(id)
                    """, logger: quietLogger
                ).collect().first!.decode((Data, Int, Data).self)
            }
            func openDump() throws -> String {
                let master = try KeyRing(path: keys).masterKey(version: version)
                let dataKey = try Envelope.unwrap(wrapped, client: id, version: version, under: master)
                return try Envelope.open(sealed, client: id, field: "name", under: dataKey)
            }
            #expect(try openDump() == Canaries["name"], "before erasure the dump opens with the key file")

            let adminToken = try await Self.token(database, "admin@vw.example", [.orgAdmin])
            #expect(try await api(.delete, "/api/v1/clients/\(clientID)", as: cast.caseworker).status == .forbidden)
            #expect(try await api(.delete, "/api/v1/clients/\(clientID)", as: adminToken).status == .noContent)
            #expect(try await api(.post, "/api/v1/clients/\(clientID)/reveal", as: cast.caseworker, ["purpose": "share_identity"]).status == .gone)
            let refiled = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["client_id": clientID]))
            #expect(refiled.status == .unprocessableContent && refiled.detail.contains("erased"), "no new referral for an erased client")
            let left = try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { admin in
                try await admin.query(
                    """
                    SELECT (SELECT count(*) FROM vault.data_keys WHERE client_id = \(id)) + (SELECT count(*) FROM vault.identity_fields WHERE client_id = \(id))
                         + (SELECT count(*) FROM vault.messages WHERE client_id = \(id)) + (SELECT count(*) FROM vault.blind_index WHERE client_id = \(id))
                    """, logger: quietLogger
                ).collect().first!.decode(Int.self)
            }
            #expect(left == 0)
            let kept = try await api(.get, "/api/v1/referrals/\(referral)", as: cast.caseworker)
            #expect(kept.status == .ok && kept.json["age_band"] as? String == "26-35", "referrals keep their non-identifying fields")

            // Rotation, as `koppel keys rotate` does it, while the server keeps serving.
            try KeyFile.read(keys).addingMasterKey().write(to: keys)
            try await PostgresClient.withRunningClient(database.vaultURL, logger: quietLogger) { vault in
                let store = VaultStore(client: vault, keys: try KeyRing(path: keys), logger: quietLogger)
                #expect(try await store.rewrapDataKeys() >= 1)
                #expect(try await store.dataKeyVersions().keys.sorted() == [2])
            }
            var pruned = try KeyFile.read(keys)
            pruned.masterKeys = pruned.masterKeys.filter { $0.key == pruned.current }
            try pruned.write(to: keys)
            #expect(throws: KeyFileError.missingVersion(version)) { try openDump() }
            let other = try await api(.post, "/api/v1/clients/\(keep)/reveal", as: cast.caseworker, ["purpose": "share_identity"])
            #expect((other.json["fields"] as? [String: Any])?["name"] as? String == Canaries["name"], "the rest still opens")
            #expect(try await api(.post, "/api/v1/clients", as: cast.caseworker, ["name": "Na Rotatie", "birth_date": "1999-09-09"]).status == .created)
        }
    }

    @Test("the audit log is a hash chain the app and vault roles cannot change; a change made anyway is found and named")
    func auditChain() async throws {
        let keys = try TestKeys.newKeyFile()
        defer { TestKeys.remove(keys) }
        try await TestApp.run(keys: keys) { client, database in
            let api = APICall(client: client)
            let cast = try await ReferralCast.make(client, database)
            let clientID = try await Self.canaryClient(api, cast)
            for _ in 0..<3 { _ = try await api(.post, "/api/v1/clients/\(clientID)/reveal", as: cast.caseworker, ["purpose": "share_identity"]) }
            for url in [database.appURL, database.vaultURL] {
                try await PostgresClient.withRunningClient(url, logger: quietLogger) { db in
                    for statement: PostgresQuery in ["UPDATE audit.entries SET purpose = 'contact'", "DELETE FROM audit.entries"] {
                        let error = await #expect(throws: PSQLError.self) { try await db.query(statement, logger: quietLogger).collect() }
                        #expect(error?.serverInfo?[.sqlState] == "42501", "\(statement.sql) as \(url.username)")
                    }
                }
            }
            try await PostgresClient.withRunningClient(database.vaultURL, logger: quietLogger) { vault in
                let store = VaultStore(client: vault, keys: try KeyRing(path: keys), logger: quietLogger)
                let intact = try await store.verifyAudit()
                #expect(intact.entries == 4 && intact.firstBreak == nil)
                // Someone who can write the table rewrites an entry and recomputes every hash after it, without the key.
                try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { admin in
                    try await Self.forgeChain(admin, purposeOfSecond: "contact")
                }
                #expect(try await store.verifyAudit().firstBreak == AuditBreak(seq: 1, kind: .notKeyed))
                #expect(try await store.verifyAudit(unkeyedUntil: 4).firstBreak == nil, "what an operator could wrongly accept")
                try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { admin in
                    try await Self.forgeChain(admin, purposeOfSecond: "share_identity", key: SymmetricKey(size: .bits256))
                }
                #expect(try await store.verifyAudit().firstBreak == AuditBreak(seq: 1, kind: .changed))
                try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { admin in
                    try await Self.forgeChain(admin, purposeOfSecond: "share_identity", key: try KeyRing(path: keys).derivedKey(purpose: AuditEntry.keyPurpose))
                }
                #expect(try await store.verifyAudit().firstBreak == nil, "with the key the chain is whole again")
                try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { admin in
                    try await admin.query("UPDATE audit.entries SET purpose = 'contact' WHERE seq = 3", logger: quietLogger)
                }
                #expect(try await store.verifyAudit().firstBreak == AuditBreak(seq: 3, kind: .changed))
                try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { admin in
                    try await admin.query("UPDATE audit.entries SET purpose = 'share_identity' WHERE seq = 3", logger: quietLogger)
                    try await admin.query("DELETE FROM audit.entries WHERE seq = 2", logger: quietLogger)
                }
                #expect(try await store.verifyAudit().firstBreak == AuditBreak(seq: 3, kind: .missing(expected: 2)))
            }
        }
    }

    /// Rewrites the audit log as a forger would: the second entry's purpose changed and every hash recomputed, keyed with
    /// `key` (a key the forger guesses) or, without one, as unkeyed SHA-256.
    static func forgeChain(_ admin: PostgresClient, purposeOfSecond purpose: String, key: SymmetricKey? = nil) async throws {
        let rows = try await admin.query(
            """
            SELECT seq, (extract(epoch FROM occurred_at) * 1000000)::bigint, actor_user_id, actor_organisation_id, client_id, action,
                   purpose, referral_id, fields
            FROM audit.entries ORDER BY seq
            """, logger: quietLogger
        ).collect()
        var previous = AuditEntry.genesis
        for row in rows {
            let (seq, micros, user, organisation, client, action, stated, referral, fields) =
                try row.decode((Int64, Int64, UUID?, UUID?, UUID, String, String?, UUID?, [String]).self)
            var entry = AuditEntry(
                seq: seq, occurredAtMicroseconds: micros, actorUser: user, actorOrganisation: organisation, client: client,
                action: AuditAction(rawValue: action)!, purpose: seq == 2 ? purpose : stated, referral: referral, fields: fields,
                previousHash: previous, hash: Data(), keyed: key != nil)
            entry.hash = entry.computedHash(key: key ?? SymmetricKey(size: .bits256))
            try await admin.query(
                """
                UPDATE audit.entries SET purpose = \(entry.purpose), previous_hash = \(entry.previousHash), hash = \(entry.hash),
                    keyed = \(entry.keyed) WHERE seq = \(seq)
                """, logger: quietLogger)
            previous = entry.hash
        }
    }

    @Test("expiry and retention: an expired consent withdraws its referrals; identities past retention are erased")
    func retention() async throws {
        try await TestApp.run { client, database in
            let api = APICall(client: client)
            let cast = try await ReferralCast.make(client, database)
            let expiring = try await Self.canaryClient(api, cast)
            let open = try await api.file(cast.forTwoGo(["client_id": expiring]), as: cast.caseworker)
            let old = try await api.consentedClient(as: cast.caseworker)
            let closed = try await api.file(cast.forTwoGo(["client_id": old]), as: cast.caseworker)
            #expect(try await api.step(closed, "withdraw", as: cast.caseworker, ["reason": "client_choice"]).status == .ok)
            try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { admin in
                // Time passes: the consent's last day was yesterday; the closed referral closed three years ago.
                try await admin.query(
                    "UPDATE consents SET valid_until = current_date - 1 WHERE client_id = \(UUID(uuidString: expiring)!)", logger: quietLogger)
                try await admin.query(
                    "UPDATE referrals SET state_changed_at = now() - interval '3 years' WHERE id = \(UUID(uuidString: closed)!)", logger: quietLogger)
            }
            #expect(try await api(.post, "/api/v1/clients/\(expiring)/reveal", as: cast.twoGo, ["purpose": "share_identity", "referral_id": open])
                .status == .forbidden, "an expired consent permits nothing, before any task has run")
            let keyFile = try TestKeys.newKeyFile()
            defer { TestKeys.remove(keyFile) }
            let (expired, erased) = try await PostgresClient.withRunningClient(database.appURL, logger: quietLogger) { app in
                try await PostgresClient.withRunningClient(database.vaultURL, logger: quietLogger) { vault in
                    let privacy = Privacy(
                        clients: ClientStore(client: app, logger: quietLogger),
                        vault: VaultStore(client: vault, keys: try KeyRing(path: keyFile), logger: quietLogger),
                        referrals: ReferralStore(client: app, logger: quietLogger), lookups: SignInThrottleStore(client: app, logger: quietLogger))
                    return try await privacy.runRetention()
                }
            }
            #expect(expired == 1 && erased == 1)
            #expect(try await api(.get, "/api/v1/referrals/\(open)", as: cast.twoGo).state == "withdrawn")
            let history = try await api(.get, "/api/v1/referrals/\(open)/history", as: cast.caseworker).list
            #expect(history.last?["reason"] as? String == "consent_expired" && history.last?["user_name"] == nil)
            #expect(try await api(.post, "/api/v1/clients/\(old)/reveal", as: cast.caseworker, ["purpose": "share_identity"]).status == .gone)
            #expect(try await api(.post, "/api/v1/clients/\(expiring)/reveal", as: cast.caseworker, ["purpose": "share_identity"]).status == .forbidden)
        }
    }
}
