import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelTestSupport
import Testing

/// Filing a referral over the API checks the token in the transaction's first statement, which also reads the
/// programme and what the referral is checked against (decision 0027): every refusal the separate check gave, with
/// the same answer, and nothing written.
@Suite("The API token checked in the statement that reads a submission's facts")
struct TokenCheckedInTheSubmissionTests {
    @Test("a referral is filed with the token checked by its first statement; tokens that do not work and callers who may not file write nothing")
    func refusals() async throws {
        try await TestApp.run(before: AdminDatabase.trackFunctions) { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let person = try await api.consentedClient(as: cast.caseworker)
            let referral = cast.forTwoGo(["client_id": person])
            func referrals() async throws -> Int { try await AdminDatabase.count(database, "SELECT count(*) FROM referrals") }

            let filed = try await api(.post, "/api/v1/referrals", as: cast.caseworker, referral)
            #expect(filed.status == .created && filed.state == "submitted", "\(filed.detail)")
            #expect((filed.json["programme"] as? [String: Any])?["name"] as? String == "2GO maatjesprojecten")
            #expect(try await AdminDatabase.calls(of: "submission_facts_for_token", database, atLeast: 1) >= 1, "the facts read with the token")
            #expect(try await AdminDatabase.calls(of: "file_referral_for_token", database, atLeast: 1) >= 1, "written with the token checked again")
            // Written in one statement with no transaction block around it (decision 0029): its event and notice too.
            #expect(try await AdminDatabase.count(database, "SELECT count(*) FROM referral_events WHERE referral_id = '\(filed.id)' AND action = 'submit'") == 1)
            #expect(try await AdminDatabase.count(database, "SELECT count(*) FROM outbox WHERE subject_id = '\(filed.id)'") == 1, "its notice")
            let drafted = try await api(.post, "/api/v1/referrals", as: cast.caseworker, referral.merging(["state": "draft"]) { $1 })
            #expect(drafted.status == .created && drafted.state == "draft", "\(drafted.detail)")
            #expect(try await AdminDatabase.count(database, "SELECT count(*) FROM outbox WHERE subject_id = '\(drafted.id)'") == 0, "no notice of a draft")
            let filedSoFar = try await referrals()
            #expect(filedSoFar == 2)

            // Every token that does not work gets the answer any other route gives it, and nothing is filed.
            let bogus = "kpl_" + String(repeating: "x", count: 43)
            let elsewhere = try await api(.get, "/api/v1/referrals", as: bogus)
            let unknown = try await api(.post, "/api/v1/referrals", as: bogus, referral)
            #expect(unknown.status == .unauthorized && unknown.detail == elsewhere.detail)
            #expect(try await api(.post, "/api/v1/referrals", as: "not-a-koppel-token", referral).status == .unauthorized)

            let caseworker = "(SELECT id FROM users WHERE email = 'cw@vw.example')"
            try await AdminDatabase.change(database, "UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE user_id = \(caseworker)")
            let expired = try await api(.post, "/api/v1/referrals", as: cast.caseworker, referral)
            #expect(expired.status == .unauthorized && expired.detail == elsewhere.detail && expired.json["id"] == nil)
            try await AdminDatabase.change(database, "UPDATE api_tokens SET expires_at = NULL WHERE user_id = \(caseworker)")

            try await AdminDatabase.change(database, "UPDATE users SET disabled_at = now() WHERE id = \(caseworker)")
            #expect(try await api(.post, "/api/v1/referrals", as: cast.caseworker, referral).status == .unauthorized, "its user disabled")
            try await AdminDatabase.change(database, "UPDATE users SET disabled_at = NULL WHERE id = \(caseworker)")

            // Known, but not allowed to file: refused by the access policy once the account is known.
            let funder = try await api(.post, "/api/v1/referrals", as: cast.funder, referral)
            #expect(funder.status == .forbidden && funder.json["id"] == nil, "\(funder.status) \(funder.detail)")
            #expect(try await api(.post, "/api/v1/referrals", as: cast.twoGo, referral).status == .forbidden, "a coordinator does not file")
            // Another referrer's caseworker may file, but not for a client it does not know.
            let stranger = try await api(.post, "/api/v1/referrals", as: cast.otherCaseworker, referral)
            #expect(stranger.status == .unprocessableContent && stranger.detail.hasPrefix("client_id is not a client your organisation registered"),
                    "\(stranger.status) \(stranger.detail)")
            // A wrong body is answered for what is wrong with it; a right one with a bad token as a bad token.
            let twice = try await api(.post, "/api/v1/referrals", as: bogus, referral.merging(["needs": ["housing", "housing"]]) { $1 })
            #expect(twice.status == .unprocessableContent && twice.detail == "needs lists a need twice.", "\(twice.status) \(twice.detail)")
            #expect(try await referrals() == filedSoFar, "nothing filed by a refused request")

            try await AdminDatabase.change(database, "UPDATE api_tokens SET revoked_at = now() WHERE user_id = \(caseworker)")
            let revoked = try await api(.post, "/api/v1/referrals", as: cast.caseworker, referral)
            #expect(revoked.status == .unauthorized && revoked.json["id"] == nil, "revoked: refused at once")
            #expect(try await referrals() == filedSoFar)
        }
    }

    @Test("the write checks the token again: revoked since the facts were read, or presented for someone else, it writes nothing")
    func writeChecksTheTokenAgain() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let person = try await api.consentedClient(as: cast.caseworker)
            let filed = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["client_id": person]))
            #expect(filed.status == .created, "\(filed.detail)")
            func referrals() async throws -> Int { try await AdminDatabase.count(database, "SELECT count(*) FROM referrals") }

            // The write as the server sends it once the facts are read, straight as the app role: a copy of that
            // referral, filed by the user with `email`, presenting the caseworker's token.
            func write(by email: String) async throws -> Int {
                let arguments = try await AdminDatabase.text(database, """
                    SELECT format('gen_random_uuid(), %L::uuid, %L::uuid, %L::uuid, %L::uuid, %L::uuid, %L, %L, %L, %L::text[], %L, NULL, %L, ''{}'', NULL, %L::uuid, NULL, true, ARRAY[%L, %L]::uuid[], %L, %L, %L',
                        r.client_id, u.organisation_id, u.id, r.programme_id, r.operator_id, r.target_group, r.age_band, r.municipality,
                        r.needs, r.urgency, r.state, r.consent_id, u.organisation_id, r.operator_id, r.due_kind, r.due_on, r.escalate_on)
                    FROM referrals r, users u WHERE r.id = '\(filed.id)' AND u.email = '\(email)'
                    """)
                let (count, actingAfter) = try await AdminDatabase.countAsApp(database, """
                    SELECT count(*)::int FROM file_referral_for_token(sha256(convert_to('\(cast.caseworker)', 'UTF8')),
                        extract(epoch FROM clock_timestamp())::text, '', \(arguments))
                    """)
                #expect(actingAfter == "", "the tenant it set ends with the statement, not with the pooled connection")
                return count
            }
            #expect(try await write(by: "cw@vw.example") == 1, "the token's own account: written")
            #expect(try await referrals() == 2)
            #expect(try await write(by: "cw@humanitas.example") == 0, "the token presented for another account's write")
            try await AdminDatabase.change(database, "UPDATE api_tokens SET revoked_at = now() WHERE user_id = (SELECT id FROM users WHERE email = 'cw@vw.example')")
            #expect(try await write(by: "cw@vw.example") == 0, "revoked after the facts were read")
            #expect(try await referrals() == 2, "nothing written by a refused write")
        }
    }

    @Test("the submission's own route (decision 0028) answers byte for byte what the read says; a body it cannot read is refused and nothing is written")
    func ownRoute() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            var filing = cast.forTwoGo()
            filing["client_id"] = try await api.consentedClient(as: cast.caseworker)
            let json = String(decoding: try JSONSerialization.data(withJSONObject: filing), as: UTF8.self)
            func post(_ body: String, _ headers: HTTPFields) async throws -> (status: HTTPResponse.Status, text: String, type: String) {
                var all: HTTPFields = [.authorization: "Bearer \(cast.caseworker)"]
                all.append(contentsOf: headers)
                return try await client.execute(uri: "/api/v1/referrals", method: .post, headers: all, body: ByteBuffer(string: body)) {
                    ($0.status, String(buffer: $0.body), $0.headers[.contentType] ?? "")
                }
            }
            func referrals() async throws -> Int { try await AdminDatabase.count(database, "SELECT count(*) FROM referrals") }

            let filed = try await post(json, [.contentType: "application/json"])
            #expect(filed.status == .created && filed.type == "application/json; charset=utf-8", "\(filed.text)")
            let id = try #require((try JSONSerialization.jsonObject(with: Data(filed.text.utf8)) as? [String: Any])?["id"] as? String)
            let read = try await client.execute(uri: "/api/v1/referrals/\(id)", method: .get, headers: [.authorization: "Bearer \(cast.caseworker)"]) {
                String(buffer: $0.body)
            }
            #expect(filed.text == read, "the answer is the read's, byte for byte")
            #expect(try await post(json, [:]).status == .created, "a body with no Content-Type is read as JSON, as before")
            #expect(try await post(json, [.contentType: "application/json; charset=utf-8"]).status == .created)

            let filedSoFar = try await referrals()
            let unreadable: [(String, HTTPFields, HTTPResponse.Status)] = [
                (json, [.contentType: "text/plain"], .unsupportedMediaType), ("", [.contentType: "application/json"], .badRequest),
                ("{\"client_id\": ", [.contentType: "application/json"], .badRequest),
            ]
            for (body, headers, status) in unreadable {
                let answer = try await post(body, headers)
                #expect(answer.status == status && answer.type.hasPrefix("application/problem+json"), "\(body): \(answer)")
                #expect(answer.text.contains("JSON"), "says what to send: \(answer.text)")
            }
            #expect(try await referrals() == filedSoFar, "nothing written by a request that could not be read")

            let keyed: HTTPFields = [.contentType: "application/json", HTTPField.Name("Idempotency-Key")!: "own-route-1"]
            let first = try await post(json, keyed)
            let again = try await post(json, keyed)
            #expect(first.status == .created && again.status == .created && again.text == first.text, "the retry gets the first answer")
            #expect(try await referrals() == filedSoFar + 1)
        }
    }

    @Test("a retried submission with its idempotency key gets the first answer; an unlisted programme is refused as before")
    func retriesAndProgrammes() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let person = try await api.consentedClient(as: cast.caseworker)
            let referral = cast.forTwoGo(["client_id": person])
            let first = try await api(.post, "/api/v1/referrals", as: cast.caseworker, referral, key: "retry-1")
            let again = try await api(.post, "/api/v1/referrals", as: cast.caseworker, referral, key: "retry-1")
            #expect(first.status == .created && again.status == .created && again.id == first.id, "\(again.detail)")
            #expect(try await AdminDatabase.count(database, "SELECT count(*) FROM referrals") == 1)

            let nowhere = try await api(.post, "/api/v1/referrals", as: cast.caseworker, referral.merging(["programme_id": UUID().uuidString]) { $1 })
            try await AdminDatabase.change(database, "UPDATE programmes SET status = 'closed' WHERE id = '\(cast.twoGoID)'")
            let closed = try await api(.post, "/api/v1/referrals", as: cast.caseworker, referral)
            for refused in [nowhere, closed] {
                #expect(refused.status == .unprocessableContent && refused.detail.hasPrefix("No open programme in the directory has that id"),
                        "\(refused.status) \(refused.detail)")
            }
            #expect(try await AdminDatabase.count(database, "SELECT count(*) FROM referrals") == 1)
        }
    }
}
