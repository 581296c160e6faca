import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

/// Reading one referral checks the API token in the statement that reads it (decision 0026): one round trip, and
/// still every refusal the separate check gave, with the same answer.
@Suite("The API token checked in the read of one referral")
struct TokenCheckedInTheReadTests {
    @Test("a referral is read in one statement that checks the token; revoked, expired, unknown and disabled tokens are refused as on any route")
    func refusals() async throws {
        try await TestApp.run(before: AdminDatabase.trackFunctions) { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let id = try await api.file(cast.forTwoGo(), as: cast.caseworker)
            let uri = "/api/v1/referrals/\(id)"

            let read = try await api(.get, uri, as: cast.caseworker)
            #expect(read.status == .ok && read.id == id)
            #expect(try await api(.get, uri, as: cast.twoGo).status == .ok, "the programme's coordinator sees it too")
            #expect(try await AdminDatabase.calls(of: "referral_for_token", database, atLeast: 2) >= 2, "read by the statement that checks the token")
            #expect(try await AdminDatabase.calls(of: "referral_as", database, atLeast: 0) == 0, "and by no second statement")

            // Refused without a word about the referral: another referrer's caseworker, and a funder.
            let other = try await api(.get, uri, as: cast.otherCaseworker)
            #expect(other.status == .notFound)
            #expect(other.json["state"] == nil && !other.text.contains("Den Haag"))
            #expect(try await api(.get, uri, as: cast.funder).status == .forbidden)

            // Every token that does not work gets the answer any other route gives it.
            let unknown = try await api(.get, uri, as: "kpl_" + String(repeating: "x", count: 43))
            let elsewhere = try await api(.get, "/api/v1/referrals", as: "kpl_" + String(repeating: "x", count: 43))
            #expect(unknown.status == .unauthorized && unknown.detail == elsewhere.detail)
            #expect(try await api(.get, uri, as: "not-a-koppel-token").status == .unauthorized)

            let caseworker = "(SELECT id FROM users WHERE email = 'cw@vw.example')"
            try await AdminDatabase.change(database, "UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE user_id = \(caseworker)")
            let expired = try await api(.get, uri, as: cast.caseworker)
            #expect(expired.status == .unauthorized && expired.detail == elsewhere.detail && expired.json["state"] == nil)
            try await AdminDatabase.change(database, "UPDATE api_tokens SET expires_at = NULL WHERE user_id = \(caseworker)")
            #expect(try await api(.get, uri, as: cast.caseworker).status == .ok, "no cache: a token that works again is taken again")

            try await AdminDatabase.change(database, "UPDATE users SET disabled_at = now() WHERE id = \(caseworker)")
            #expect(try await api(.get, uri, as: cast.caseworker).status == .unauthorized, "its user disabled")
            try await AdminDatabase.change(database, "UPDATE users SET disabled_at = NULL WHERE id = \(caseworker)")

            try await AdminDatabase.change(database, "UPDATE api_tokens SET revoked_at = now() WHERE user_id = \(caseworker)")
            let revoked = try await api(.get, uri, as: cast.caseworker)
            #expect(revoked.status == .unauthorized && revoked.json["state"] == nil, "revoked: refused at once")
        }
    }

    @Test("the read's own route (decision 0028) answers what the list says of the referral; an Accept without JSON gets 406 on any API route, before anything is written")
    func ownRoute() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let id = try await api.file(cast.forTwoGo(), as: cast.caseworker)
            let uri = "/api/v1/referrals/\(id)"

            let read = try await api(.get, uri, as: cast.caseworker)
            let listed = try await api(.get, "/api/v1/referrals", as: cast.caseworker)
            let item = try #require((listed.json["items"] as? [[String: Any]])?.first { $0["id"] as? String == id })
            #expect(NSDictionary(dictionary: read.json).isEqual(to: item), "\(read.text)")
            #expect(read.id == id && read.json.count >= 20)

            func accepting(_ accept: String) async throws -> (HTTPResponse.Status, String?) {
                let headers: HTTPFields = [.authorization: "Bearer \(cast.caseworker)", .accept: accept]
                return try await client.execute(uri: uri, method: .get, headers: headers) { ($0.status, $0.headers[.contentType]) }
            }
            for accept in ["application/json", "*/*", "application/*", "text/html, application/json;q=0.9"] {
                #expect(try await accepting(accept) == (.ok, "application/json; charset=utf-8"), "\(accept)")
            }
            #expect(try await accepting("text/html") == (.notAcceptable, "application/problem+json"))
            let encoded = "/api/v1/referrals/" + id.replacingOccurrences(of: "-", with: "%2D")
            #expect(try await api(.get, encoded, as: cast.caseworker).id == id, "a path's value percent-decoded, as before")
            let csv = try await client.execute(
                uri: "/api/v1/statistics?period=2026", method: .get, headers: [.authorization: "Bearer \(cast.funder)", .accept: "text/html, text/csv"]
            ) { ($0.status, $0.headers[.contentType] ?? "") }
            #expect(csv.0 == .ok && csv.1.hasPrefix("text/csv"), "the one type of two it can write: \(csv)")

            // On any API route, an Accept that rules out the answer is refused before the handler runs: nothing is
            // written, where the generated server used to write first and then fail with a 500.
            var filing = cast.forTwoGo()
            filing["client_id"] = try await api.consentedClient(as: cast.caseworker)
            let before = try await AdminDatabase.count(database, "SELECT count(*)::int FROM referrals")
            let refused: [(HTTPRequest.Method, String, [String: Any]?)] = [
                (.get, "/api/v1/programmes", nil), (.get, uri + "/history", nil), (.post, "/api/v1/referrals", filing),
            ]
            for (method, path, body) in refused {
                var headers: HTTPFields = [.authorization: "Bearer \(cast.caseworker)", .accept: "text/html"]
                if body != nil { headers[.contentType] = "application/json" }
                let buffer = try body.map { ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: $0)) }
                let (status, text) = try await client.execute(uri: path, method: method, headers: headers, body: buffer) {
                    ($0.status, String(buffer: $0.body))
                }
                #expect(status == .notAcceptable && text.contains("application/json"), "\(method) \(path): \(status) \(text)")
            }
            #expect(try await AdminDatabase.count(database, "SELECT count(*)::int FROM referrals") == before)
            #expect(try await api(.get, "/api/v1/referrals/not-a-uuid", as: cast.caseworker).status == .badRequest)
        }
    }

    @Test("the read counts against the token's rate like its other requests")
    func rateLimited() async throws {
        try await TestApp.run(rateLimit: 60) { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let id = try await api.file(cast.forTwoGo(), as: cast.caseworker)
            var statuses: [HTTPResponse.Status] = []
            for index in 0..<16 {
                statuses.append(try await api(.get, index.isMultiple(of: 2) ? "/api/v1/referrals/\(id)" : "/api/v1/referrals", as: cast.caseworker).status)
            }
            #expect(statuses.contains(.tooManyRequests), "60 a minute with a burst of 10: \(statuses.map(\.code))")
            let refused = try await api(.get, "/api/v1/referrals/\(id)", as: cast.caseworker)
            #expect(refused.status == .tooManyRequests)
            #expect(try await api(.get, "/api/v1/referrals/\(id)", as: cast.twoGo).status == .ok, "another token is not held up")
        }
    }
}
