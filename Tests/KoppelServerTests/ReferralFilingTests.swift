import Foundation
import HTTPTypes
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

/// A new referral is written in one statement with its first event and its notice: what must be there afterwards,
/// and what a refused one must not leave behind.
@Suite("Filing a referral")
struct ReferralFilingTests {
    @Test("a submission writes its first event, its facts and one thin notice to both sides; a draft tells no one")
    func eventsAndNotices() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let referrer = try await organisation(of: cast.caseworker, api)
            let programmeSide = try await organisation(of: cast.twoGo, api)
            let submitted = try await api.file(cast.forTwoGo(), as: cast.caseworker)
            let draft = try await api.file(cast.forTwoGo(["state": "draft"]), as: cast.caseworker)

            let written = try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { db in
                try await (notices(db, submitted), notices(db, draft), facts(db, submitted), facts(db, draft))
            }
            #expect(written.0 == [[referrer, programmeSide].sorted()], "one notice, naming only who should hear")
            #expect(written.1.isEmpty, "a draft is news to no one")
            #expect(written.2 == 1 && written.3 == 0, "the statistics count what was submitted, as it was submitted")
            let history = try await api(.get, "/api/v1/referrals/\(draft)/history", as: cast.caseworker).list
            #expect(history.map { $0["action"] as? String } == ["create"])
            #expect(history.map { $0["to_state"] as? String } == ["draft"])
        }
    }

    @Test("a referral for an unknown client or municipality is refused and leaves no referral, event or notice")
    func refusedLeavesNothing() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let unknownClient = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["client_id": UUID().uuidString]))
            #expect(unknownClient.status == .unprocessableContent)
            #expect(unknownClient.detail.contains("register the client first"))
            let unknownPlace = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["municipality": "Atlantis"]))
            #expect(unknownPlace.status == .unprocessableContent)
            #expect(unknownPlace.detail.contains("'Atlantis'"))

            let left: [Int] = try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { db in
                let counts = try await db.query(
                    "SELECT (SELECT count(*) FROM referrals)::integer, (SELECT count(*) FROM referral_events)::integer, (SELECT count(*) FROM outbox WHERE topic = 'referral.changed')::integer",
                    logger: quietLogger
                ).collect().first!.decode((Int, Int, Int).self)
                return [counts.0, counts.1, counts.2]
            }
            #expect(left == [0, 0, 0], "referrals, events, notices")
        }
    }

    @Test("a referral comes back as compact JSON, its times in RFC 3339: UTC, whole seconds")
    func wireFormat() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let before = Date()
            let filed = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo())
            #expect(filed.status == .created)
            let read = try await api(.get, "/api/v1/referrals/\(filed.id)", as: cast.caseworker)
            #expect(read.status == .ok)
            for answer in [filed, read] {
                #expect(!answer.text.contains("\n") && !answer.text.contains("\" : "), "not pretty-printed: \(answer.text.prefix(80))")
                for field in ["created_at", "submitted_at", "state_changed_at"] {
                    let time = try #require(answer.json[field] as? String, "\(field)")
                    #expect(time.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/) != nil, "\(field): \(time)")
                    let parsed = try #require(ISO8601DateFormatter().date(from: time), "\(field): \(time)")
                    #expect(abs(parsed.timeIntervalSince(before)) < 60, "\(field): \(time)")
                }
            }
        }
    }

    private func organisation(of token: String, _ api: APICall) async throws -> UUID {
        let me = try await api(.get, "/api/v1/me", as: token).json
        let id = (me["organization"] as? [String: Any])?["id"] as? String
        return try #require(id.flatMap { UUID(uuidString: $0) })
    }

    private func notices(_ db: PostgresClient, _ referral: String) async throws -> [[UUID]] {
        try await db.query(
            "SELECT recipient_organisations FROM outbox WHERE topic = 'referral.changed' AND subject_id = \(UUID(uuidString: referral)!)",
            logger: quietLogger
        ).collect().map { try $0.decode([UUID].self).sorted() }
    }

    private func facts(_ db: PostgresClient, _ referral: String) async throws -> Int {
        try await db.query("SELECT count(*)::integer FROM referral_facts WHERE referral_id = \(UUID(uuidString: referral)!)", logger: quietLogger)
            .collect().first!.decode(Int.self)
    }
}
