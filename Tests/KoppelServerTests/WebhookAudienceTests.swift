import Foundation
import HTTPTypes
import KoppelCore
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

/// What each organisation's subscription was handed, after every change the test made.
private struct Received {
    /// Per organisation slug: (event type, subject id, body), in the order they go out.
    var events: [String: [(type: String, subject: String?, body: String)]]

    func types(_ slug: String, about subject: String) -> [String] {
        events[slug, default: []].filter { $0.subject == subject }.map(\.type)
    }
}

@Suite("Webhook events reach exactly those who may read their subject, and say nothing of who the client is")
struct WebhookAudienceTests {
    /// The values tests file clients with, which no event may carry (Tests/canaries.txt).
    static let canaries: [String: String] = {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("canaries.txt")
        let lines = (try? String(contentsOf: file, encoding: .utf8))?.split(separator: "\n") ?? []
        return Dictionary(uniqueKeysWithValues: lines.filter { !$0.hasPrefix("#") && $0.contains("=") }.map { line in
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            return (parts[0], parts[1])
        })
    }()

    @Test("referrer and operator hear every step; a forward's new operator from then on; a draft no one; a third organisation nothing")
    func audience() async throws {
        try await TestApp.run { client, database in
            let api = APICall(client: client)
            let cast = try await ReferralCast.make(client, database)
            var subscriptions: [String: String] = [:]
            for slug in ["vluchtelingenwerk", "stek", "humanitas", "payoke"] {
                let admin = try await WebhookAdmin.make(database, slug)
                subscriptions[slug] = try await admin.subscribe("https://\(slug).example/koppel", api).id
            }
            let canaries = Self.canaries
            #expect(canaries.count >= 8, "the canary file is read")
            let identity = ["name", "birth_date", "phone", "email", "address", "safety_notes", "notes"].reduce(into: [String: Any]()) {
                $0[$1] = canaries[$1]
            }
            let clientID = try await api.consentedClient(as: cast.caseworker, identity: identity)

            // Accepted, started, completed, with messages both ways.
            let completed = try await api.file(cast.forTwoGo(["client_id": clientID]), as: cast.caseworker)
            #expect(try await api.step(completed, "accept", as: cast.twoGo).status == .ok)
            for token in [cast.caseworker, cast.twoGo] {
                let posted = try await api(.post, "/api/v1/referrals/\(completed)/messages", as: token, ["text": canaries["message"]!])
                #expect(posted.status == .noContent, "\(posted.detail)")
            }
            for action in ["start", "complete"] {
                #expect(try await api.step(completed, action, as: cast.twoGo).status == .ok)
            }
            // Declined; waitlisted and forwarded to Tandem; accepted and ended; withdrawn by the referrer.
            let declined = try await api.file(cast.forTwoGo(["client_id": clientID]), as: cast.caseworker)
            #expect(try await api.step(declined, "decline", as: cast.twoGo, ["reason": "needs_not_matched"]).status == .ok)
            let forwarded = try await api.file(cast.forTwoGo(["client_id": clientID]), as: cast.caseworker)
            #expect(try await api.step(forwarded, "waitlist", as: cast.twoGo).status == .ok)
            let forward = try await api.step(
                forwarded, "forward", as: cast.twoGo, ["target_programme_id": cast.tandemID, "override_reason": "professional_judgement"])
            #expect(forward.status == .ok, "\(forward.detail)")
            let atTandem = try #require(try await api(.get, "/api/v1/referrals?programme_id=\(cast.tandemID)", as: cast.caseworker)
                .json["items"] as? [[String: Any]]).first?["id"] as? String ?? ""
            #expect(try await api.step(atTandem, "accept", as: cast.tandem).status == .ok)
            let ended = try await api.file(cast.forTwoGo(["client_id": clientID]), as: cast.caseworker)
            #expect(try await api.step(ended, "accept", as: cast.twoGo).status == .ok)
            #expect(try await api.step(ended, "end", as: cast.twoGo, ["reason": "lost_contact"]).status == .ok)
            let withdrawn = try await api.file(cast.forTwoGo(["client_id": clientID]), as: cast.caseworker)
            #expect(try await api.step(withdrawn, "withdraw", as: cast.caseworker, ["reason": "client_choice"]).status == .ok)
            // A draft, kept and then submitted: only the submission is told.
            let draft = try await api.file(cast.forTwoGo(["client_id": clientID, "state": "draft"]), as: cast.caseworker)
            let beforeSubmit = try await Self.fanOut(database)
            #expect(beforeSubmit.events.values.allSatisfy { $0.allSatisfy { $0.subject != draft } }, "a draft never leaves the referrer")
            #expect(try await api.step(draft, "submit", as: cast.caseworker).status == .ok)
            // The consent is withdrawn while the submitted draft and the Tandem referral are open.
            let consents = try await api(.get, "/api/v1/clients/\(clientID)/consents", as: cast.caseworker)
            let consentID = try #require(consents.list.first?["id"] as? String)
            let withdrawal = try await api(.post, "/api/v1/clients/\(clientID)/consents/\(consentID)/withdraw", as: cast.caseworker)
            #expect(withdrawal.status == .ok, "\(withdrawal.detail)")
            // The directory is public: a programme's change reaches every subscription.
            #expect(try await api(.patch, "/api/v1/programmes/\(cast.twoGoID)", as: cast.twoGo, ["places_total": 40]).status == .ok)

            // A referral 2GO never answers is overdue once its five working days have passed: both sides hear it.
            let late = try await api.file(cast.forTwoGo(), as: cast.caseworker)
            try await PostgresClient.withRunningClient(database.appURL, logger: quietLogger) { db in
                _ = try await db.query("SELECT delivery.scan_deadlines(1000, now() + interval '30 days')", logger: quietLogger).collect()
            }

            let received = try await Self.fanOut(database)
            let both = ["vluchtelingenwerk", "stek"]
            for slug in both {
                #expect(received.types(slug, about: late) == ["referral.submitted", "referral.overdue"], "\(slug)")
            }
            let overdue = try #require(received.events["stek", default: []].first { $0.type == "referral.overdue" })
            #expect(overdue.body.contains("\"due_kind\": \"respond\"") || overdue.body.contains("\"due_kind\":\"respond\""), "\(overdue.body)")
            for slug in both {
                #expect(received.types(slug, about: completed) == [
                    "referral.submitted", "referral.accepted", "referral.message_posted", "referral.message_posted", "referral.started",
                    "referral.completed",
                ], "\(slug)")
                #expect(received.types(slug, about: declined) == ["referral.submitted", "referral.declined"], "\(slug)")
                #expect(received.types(slug, about: forwarded) == ["referral.submitted", "referral.waitlisted", "referral.forwarded"], "\(slug)")
                #expect(received.types(slug, about: ended) == ["referral.submitted", "referral.accepted", "referral.ended"], "\(slug)")
                #expect(received.types(slug, about: withdrawn) == ["referral.submitted", "referral.withdrawn"], "\(slug)")
                #expect(received.types(slug, about: draft).prefix(1) == ["referral.submitted"], "\(slug)")
                #expect(received.types(slug, about: draft).contains("consent.withdrawn"), "\(slug)")
            }
            #expect(received.types("stek", about: atTandem).isEmpty, "the forwarding programme no longer hears of the new referral")
            #expect(received.types("humanitas", about: atTandem).prefix(2) == ["referral.submitted", "referral.accepted"])
            #expect(received.types("humanitas", about: atTandem).contains("consent.withdrawn"))
            #expect(received.types("vluchtelingenwerk", about: atTandem).prefix(2) == ["referral.submitted", "referral.accepted"])
            #expect(received.types("humanitas", about: forwarded).isEmpty, "the new operator hears nothing from before the forward")
            for slug in ["humanitas", "payoke"] {
                for subject in [completed, declined, forwarded, ended, withdrawn, draft, late] {
                    #expect(received.types(slug, about: subject).isEmpty, "\(slug) is a third organisation to \(subject)")
                }
            }
            #expect(received.events["payoke", default: []].map(\.type) == ["programme.changed"], "a third organisation hears only the public directory")

            let forwardEvent = try #require(received.events["stek", default: []].first { $0.type == "referral.forwarded" })
            #expect(forwardEvent.body.contains(atTandem), "the forward names the new referral")

            let all = received.events.values.flatMap { $0 }
            let seenTypes = Set(all.map(\.type))
            #expect(seenTypes == Set(WebhookEventType.subscribable.map(\.rawValue)), "every event type was made: \(seenTypes.sorted())")
            for event in all {
                for (field, value) in canaries {
                    #expect(!event.body.contains(value), "a \(event.type) event carries the client's \(field)")
                }
                let object = try #require(try JSONSerialization.jsonObject(with: Data(event.body.utf8)) as? [String: Any])
                #expect(Set(object.keys) == ["type", "timestamp", "data"])
                let data = try #require(object["data"] as? [String: Any])
                #expect(data["sequence"] is Int, "\(event.type) has a sequence number")
                #expect(Set(data.keys).isSubset(of: [
                    "referral_id", "programme_id", "state", "version", "sequence", "forwarded_from", "forwarded_to", "consent_id", "client_id", "links",
                    "due_kind", "due_on",
                ]), "only ids, states, deadlines and links: \(data.keys.sorted())")
            }
        }
    }

    /// Hands every outbox row to the subscriptions, as the delivery service does, and reads what each organisation's
    /// subscription got (as the superuser, across organisations).
    private static func fanOut(_ database: TestDatabase) async throws -> Received {
        try await PostgresClient.withRunningClient(database.appURL, logger: quietLogger) { db in
            _ = try await db.query("SELECT delivery.fan_out(10000, now())", logger: quietLogger).collect()
        }
        return try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { db in
            let rows = try await db.query(
                """
                SELECT o.slug, d.event_type, d.subject_id, d.body FROM webhook_deliveries d JOIN organisations o ON o.id = d.organisation_id
                ORDER BY d.id
                """, logger: quietLogger
            ).collect()
            var received = Received(events: [:])
            for row in rows {
                let (slug, type, subject, body) = try row.decode((String, String, UUID?, String).self)
                received.events[slug, default: []].append((type, subject?.uuidString.lowercased(), body))
            }
            return received
        }
    }
}
