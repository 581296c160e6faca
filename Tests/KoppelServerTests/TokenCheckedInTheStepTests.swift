import Foundation
import HTTPTypes
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

/// A step over the API checks its API token in the statement that reads and locks the referral (decision 0032): one
/// round trip fewer, and still every refusal the separate check gave, with nothing written.
@Suite("The API token checked in a step's first statement")
struct TokenCheckedInTheStepTests {
    @Test("a step is read by the statement that checks the token; revoked, expired, unknown and disabled tokens are refused and change nothing")
    func refusals() async throws {
        try await TestApp.run(before: AdminDatabase.trackFunctions) { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let id = try await api.file(cast.forTwoGo(), as: cast.caseworker)
            let events = "SELECT count(*) FROM referral_events WHERE referral_id = '\(id)'"
            let unchanged = "SELECT count(*) FROM referrals WHERE id = '\(id)' AND state = 'submitted' AND version = 1"
            let coordinator = "(SELECT id FROM users WHERE email = 'co@stek.example')"

            // Every token that does not work gets the answer any other route gives it, and nothing is written.
            let unknown = try await api.step(id, "accept", as: "kpl_" + String(repeating: "x", count: 43))
            let elsewhere = try await api(.get, "/api/v1/referrals", as: "kpl_" + String(repeating: "x", count: 43))
            #expect(unknown.status == .unauthorized && unknown.detail == elsewhere.detail)
            #expect(try await api.step(id, "accept", as: "not-a-koppel-token").status == .unauthorized)
            try await AdminDatabase.change(database, "UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE user_id = \(coordinator)")
            let expired = try await api.step(id, "accept", as: cast.twoGo)
            #expect(expired.status == .unauthorized && expired.detail == elsewhere.detail && expired.json["state"] == nil)
            try await AdminDatabase.change(database, "UPDATE api_tokens SET expires_at = NULL WHERE user_id = \(coordinator)")
            try await AdminDatabase.change(database, "UPDATE users SET disabled_at = now() WHERE id = \(coordinator)")
            #expect(try await api.step(id, "accept", as: cast.twoGo).status == .unauthorized, "its user disabled")
            try await AdminDatabase.change(database, "UPDATE users SET disabled_at = NULL WHERE id = \(coordinator)")
            #expect(try await AdminDatabase.count(database, unchanged) == 1)
            #expect(try await AdminDatabase.count(database, events) == 1)

            // Refused without a word about the referral: another programme's coordinator, and a funder.
            let other = try await api.step(id, "accept", as: cast.pimenta)
            #expect(other.status == .notFound && other.json["state"] == nil)
            #expect(try await api.step(id, "accept", as: cast.funder).status == .forbidden)
            #expect(try await api.step(id, "accept", as: cast.caseworker).status == .forbidden, "the referrer may not accept")
            #expect(try await AdminDatabase.count(database, unchanged) == 1)
            #expect(try await AdminDatabase.count(database, events) == 1)

            // The token that works: accepted once, the same answer again for the same key, by the one statement.
            let accepted = try await api.step(id, "accept", as: cast.twoGo, key: "accept-once")
            #expect(accepted.status == .ok && accepted.state == "accepted", "\(accepted.detail)")
            #expect((accepted.json["allowed_actions"] as? [String])?.contains("start") == true, "answered for the coordinator")
            let again = try await api.step(id, "accept", as: cast.twoGo, key: "accept-once")
            #expect(again.status == .ok && NSDictionary(dictionary: again.json).isEqual(to: accepted.json))
            #expect(try await AdminDatabase.count(database, events) == 2, "one step, not two")
            // Every call with a token of Koppel's shape (all but the malformed one), once the backends have reported.
            #expect(try await AdminDatabase.calls(of: "referral_for_step_for_token", database, atLeast: 8) == 8)
            #expect(try await AdminDatabase.calls(of: "referral_for_step_as", database, atLeast: 0) == 0, "and by no second statement")

            // Revoked: refused at once, with no cache in between.
            try await AdminDatabase.change(database, "UPDATE api_tokens SET revoked_at = now() WHERE user_id = \(coordinator)")
            let revoked = try await api.step(id, "start", as: cast.twoGo)
            #expect(revoked.status == .unauthorized && revoked.json["state"] == nil)
            #expect(try await AdminDatabase.count(database, events) == 2)
        }
    }

    @Test("a token's row held by a step in progress does not hold up another request with that token: the note of its use is left to the next one")
    func noteSkippedWhenHeld() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let id = try await api.file(cast.forTwoGo(), as: cast.caseworker)
            let token = "(SELECT id FROM api_tokens WHERE user_id = (SELECT id FROM users WHERE email = 'co@stek.example'))"
            try await AdminDatabase.change(database, "UPDATE api_tokens SET last_used_at = NULL WHERE id = \(token)")
            // As a step's transaction holds it once its token check has noted the use.
            try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { admin in
                try await admin.withTransaction(logger: quietLogger) { connection in
                    _ = try await connection.query(PostgresQuery(unsafeSQL: "SELECT 1 FROM api_tokens WHERE id = \(token) FOR NO KEY UPDATE"), logger: quietLogger)
                        .collect()
                    let started = ContinuousClock.now
                    let read = try await api(.get, "/api/v1/referrals/\(id)", as: cast.twoGo)
                    #expect(read.status == .ok && ContinuousClock.now - started < .seconds(5), "answered without waiting for the lock")
                }
            }
            #expect(try await AdminDatabase.count(database, "SELECT count(*) FROM api_tokens WHERE id = \(token) AND last_used_at IS NULL") == 1)
            #expect(try await api(.get, "/api/v1/referrals/\(id)", as: cast.twoGo).status == .ok)
            #expect(try await AdminDatabase.count(database, "SELECT count(*) FROM api_tokens WHERE id = \(token) AND last_used_at IS NOT NULL") == 1)
        }
    }
}
