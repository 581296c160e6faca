import Foundation
import HTTPTypes
import KoppelCore
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

/// An org-admin of a demo organisation, with an API token.
struct WebhookAdmin: Sendable {
    let token: String
    let organisation: String
    var webhooks: String { "/api/v1/organisations/\(organisation)/webhooks" }

    static func make(_ database: TestDatabase, _ slug: String, tokenDays: Int = 1) async throws -> WebhookAdmin {
        let person = try await TestPeople.make(database, organisation: slug, email: "admin@\(slug).webhooks.example", roles: [.orgAdmin])
        let token = try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
            try await APITokenStore(client: db, logger: quietLogger)
                .create(userID: person.id, organisation: person.organisation, name: "webhooks", expiresInDays: tokenDays).token.value
        }
        return WebhookAdmin(token: token, organisation: person.organisation.uuidString.lowercased())
    }

    /// Subscribes `url` and returns the subscription's id and secret, expecting success.
    func subscribe(_ url: String, types: [String]? = nil, _ api: APICall, sourceLocation: SourceLocation = #_sourceLocation) async throws
        -> (id: String, secret: String)
    {
        var body: [String: Any] = ["url": url, "description": "Zaaksysteem"]
        if let types { body["event_types"] = types }
        let made = try await api(.post, webhooks, as: token, body)
        #expect(made.status == .created, "\(made.detail)", sourceLocation: sourceLocation)
        let subscription = made.json["subscription"] as? [String: Any] ?? [:]
        return (subscription["id"] as? String ?? "", made.json["secret"] as? String ?? "")
    }
}

@Suite("Org-admins manage their webhook subscriptions")
struct WebhookAPITests {
    @Test("a subscription's secret is shown once and stored sealed; rotate, ping, pause, resume and delete work; deleted is gone")
    func lifecycle() async throws {
        try await TestApp.run { client, database in
            let api = APICall(client: client)
            let admin = try await WebhookAdmin.make(database, "vluchtelingenwerk")
            let (id, secret) = try await admin.subscribe("https://partner.example/koppel", types: ["referral.accepted", "referral.declined"], api)
            #expect(secret.hasPrefix("whsec_") && Data(base64Encoded: String(secret.dropFirst(6)))?.count == 32)

            let listed = try await api(.get, admin.webhooks, as: admin.token)
            #expect(listed.status == .ok && listed.list.count == 1)
            #expect(listed.list.first?["event_types"] as? [String] == ["referral.accepted", "referral.declined"])
            let one = try await api(.get, "\(admin.webhooks)/\(id)", as: admin.token)
            #expect(one.status == .ok && one.json["status"] as? String == "active")
            for answer in [listed, one] {
                #expect(!answer.text.contains(String(secret.dropFirst(6))) && !answer.text.contains("secret\""), "the secret is never shown again")
            }
            let stored = try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { db in
                try await db.query("SELECT secret_sealed FROM webhook_subscriptions", logger: quietLogger).collect().first!.decode(String.self)
            }
            #expect(!stored.contains(String(secret.dropFirst(6))), "the secret is stored sealed")

            let rotated = try await api(.post, "\(admin.webhooks)/\(id)/rotate-secret", as: admin.token)
            #expect(rotated.status == .ok, "\(rotated.detail)")
            let newSecret = rotated.json["secret"] as? String ?? ""
            #expect(newSecret.hasPrefix("whsec_") && newSecret != secret)
            let until = (rotated.json["subscription"] as? [String: Any])?["previous_secret_until"] as? String ?? ""
            let overlap = try #require(try? Date(until, strategy: .iso8601)).timeIntervalSinceNow
            #expect(abs(overlap - 24 * 3600) < 120, "the old secret signs for 24 hours more")

            let ping = try await api(.post, "\(admin.webhooks)/\(id)/ping", as: admin.token)
            #expect(ping.status == .ok && (ping.json["message_id"] as? String)?.hasPrefix("msg_") == true)
            let deliveries = try await api(.get, "\(admin.webhooks)/\(id)/deliveries", as: admin.token)
            #expect(deliveries.list.map { $0["event_type"] as? String } == ["ping"])
            #expect(deliveries.list.first?["state"] as? String == "pending")

            let paused = try await api(.post, "\(admin.webhooks)/\(id)/pause", as: admin.token)
            #expect((paused.json["subscription"] as? [String: Any])?["status"] as? String == "paused")
            let resumed = try await api(.post, "\(admin.webhooks)/\(id)/resume", as: admin.token)
            #expect((resumed.json["subscription"] as? [String: Any])?["status"] as? String == "active")

            #expect(try await api(.delete, "\(admin.webhooks)/\(id)", as: admin.token).status == .noContent)
            #expect(try await api(.get, "\(admin.webhooks)/\(id)", as: admin.token).status == .notFound)
            let late = try await api(.post, "\(admin.webhooks)/\(id)/rotate-secret", as: admin.token)
            #expect(late.status == .notFound && late.detail.contains("no webhook subscription"), "\(late.detail)")
            #expect(try await api(.delete, "\(admin.webhooks)/\(id)", as: admin.token).status == .notFound)
            let left = try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { db in
                try await db.query("SELECT count(*)::integer FROM webhook_deliveries", logger: quietLogger).collect().first!.decode(Int.self)
            }
            #expect(left == 0, "deleting stops at once: no delivery of it is left to send")
        }
    }

    @Test("a bad subscription is refused with what to fix, and nothing is stored")
    func badInput() async throws {
        try await TestApp.run(webhookPolicy: WebhookEndpointPolicy()) { client, database in
            let api = APICall(client: client)
            let admin = try await WebhookAdmin.make(database, "vluchtelingenwerk")
            let refusals: [(body: [String: Any], status: HTTPResponse.Status, says: String)] = [
                (["url": "http://partner.example/hook"], .unprocessableContent, "https://"),
                (["url": "ftp://partner.example/hook"], .unprocessableContent, "https://"),
                (["url": "https://127.0.0.1:8080/hook"], .unprocessableContent, "loopback"),
                (["url": "https://169.254.169.254/latest/meta-data"], .unprocessableContent, "link-local"),
                (["url": "https://[::ffff:10.0.0.1]/hook"], .unprocessableContent, "private"),
                (["url": "https://user:pw@partner.example/hook"], .unprocessableContent, "password"),
                (["url": "https://partner.example/hook", "event_types": ["referral.teleported"]], .badRequest, "event_types"),
                (["url": "https://partner.example/hook", "description": String(repeating: "x", count: 501)], .unprocessableContent, "description"),
                (["description": "no url"], .badRequest, "url"),
            ]
            for refusal in refusals {
                let answer = try await api(.post, admin.webhooks, as: admin.token, refusal.body)
                #expect(answer.status == refusal.status, "\(refusal.body.keys.sorted()) \(refusal.says): \(answer.detail)")
                #expect(answer.detail.contains(refusal.says), "\(refusal.body): \(answer.detail)")
            }
            #expect(try await api(.get, admin.webhooks, as: admin.token).list.isEmpty, "nothing half-written")
        }
    }

    @Test("only the organisation's own org-admins see or change its subscriptions")
    func onlyOwnAdmins() async throws {
        try await TestApp.run { client, database in
            let api = APICall(client: client)
            let cast = try await ReferralCast.make(client, database)
            let admin = try await WebhookAdmin.make(database, "vluchtelingenwerk")
            let other = try await WebhookAdmin.make(database, "payoke")
            let (id, _) = try await admin.subscribe("https://partner.example/koppel", api)

            #expect(try await api(.get, admin.webhooks, as: cast.caseworker).status == .forbidden, "a caseworker of the same organisation")
            #expect(try await api(.get, admin.webhooks, as: other.token).status == .forbidden, "another organisation's admin")
            #expect(try await api(.post, admin.webhooks, as: other.token, ["url": "https://evil.example/"]).status == .forbidden)
            #expect(try await api(.get, admin.webhooks, as: nil).status == .unauthorized)
            // Through its own organisation's path, the other admin cannot reach this subscription either.
            for (method, path) in [(HTTPRequest.Method.get, ""), (.delete, ""), (.post, "/rotate-secret"), (.post, "/ping"), (.get, "/deliveries"),
                                   (.get, "/attempts"), (.post, "/deliveries/1/replay")] {
                let answer = try await api(method, "\(other.webhooks)/\(id)\(path)", as: other.token)
                #expect(answer.status == .notFound, "\(method) \(path): \(answer.status)")
            }
            #expect(try await api(.get, "\(admin.webhooks)/\(id)", as: admin.token).json["status"] as? String == "active", "untouched")
        }
    }
}
