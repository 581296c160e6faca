import Foundation
import HTTPTypes
import HummingbirdTesting
import KoppelTestSupport
import Testing

/// A page of referrals is read by one statement that sets the tenant itself, with no transaction block around it
/// (`referral_page_as`, decision 0030): row-level security stays the floor under the side the access policy picks,
/// and nothing it sets outlives the statement on a pooled connection.
@Suite("A page of referrals in one statement")
struct ReferralPageInOneStatementTests {
    @Test("the list is read by one statement; as the app role it shows only the acting organisation's rows, whatever side it is asked for, and leaves no tenant behind")
    func onePageOneStatement() async throws {
        try await TestApp.run(before: AdminDatabase.trackFunctions) { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            var ours: [String] = []
            for _ in 0..<3 { ours.append(try await api.submittedToTwoGo(cast, as: cast.caseworker).id) }
            _ = try await api.submittedToTwoGo(cast, as: cast.otherCaseworker)

            let page = try await api(.get, "/api/v1/referrals?limit=2", as: cast.caseworker)
            let ids = (page.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(ids == [ours[2], ours[1]], "newest first, one page: \(ids)")
            #expect(try await AdminDatabase.calls(of: "referral_page_as", database, atLeast: 1) >= 1, "read by the one statement")
            // The list's own route reads the Accept header as the generated server did: one it cannot read is a 400.
            func accepting(_ accept: String) async throws -> HTTPResponse.Status {
                try await client.execute(
                    uri: "/api/v1/referrals", method: .get, headers: [.authorization: "Bearer \(cast.caseworker)", .accept: accept]) { $0.status }
            }
            #expect(try await accepting("text/html, application/json;q=0.9") == .ok)
            for malformed in ["application/json;q=2", "application/json;q=abc"] {
                #expect(try await accepting(malformed) == .badRequest, "\(malformed)")
            }

            // The statement as the server sends it, straight as the app role with no transaction block.
            let vluchtelingenwerk = try await AdminDatabase.text(database, "SELECT id::text FROM organisations WHERE slug = 'vluchtelingenwerk'")
            let humanitas = try await AdminDatabase.text(database, "SELECT id::text FROM organisations WHERE slug = 'humanitas'")
            // With no state, the referrer's page has a query of its own; with one, the page's query is written for the call.
            func count(acting organisation: String, referrer: String, programmes: String = "{}", state: String = "NULL") async throws -> Int {
                let (count, actingAfter) = try await AdminDatabase.countAsApp(database, """
                    SELECT count(*)::int FROM referral_page_as('\(organisation)', '', extract(epoch FROM clock_timestamp())::text, '',
                        '\(referrer)', '\(programmes)', \(state), '{}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false, 100)
                    """)
                #expect(actingAfter == "", "the tenant it set ends with the statement, not with the pooled connection")
                return count
            }
            for state in ["NULL", "'submitted'"] {
                #expect(try await count(acting: vluchtelingenwerk, referrer: vluchtelingenwerk, state: state) == 3)
                // Asked for another organisation's side, row-level security still shows the acting organisation's rows only.
                #expect(try await count(acting: vluchtelingenwerk, referrer: humanitas, state: state) == 0, "another referrer's referrals")
                #expect(try await count(acting: humanitas, referrer: vluchtelingenwerk, state: state) == 0)
            }
            #expect(try await count(acting: vluchtelingenwerk, referrer: vluchtelingenwerk, state: "'draft'") == 0)
            // The referrer's own page has a query of its own with a kept plan; any filter (here one that filters
            // nothing out) takes the query the function writes. Both give the same pages, cursor and all.
            func pageIDs(after cursor: String, filtered: Bool) -> String {
                """
                (SELECT coalesce(array_agg(id::text ORDER BY created_at DESC, id DESC), '{}') FROM referral_page_as(
                    '\(vluchtelingenwerk)', '', extract(epoch FROM clock_timestamp())::text, '', '\(vluchtelingenwerk)', '{}', NULL, '{}',
                    NULL, NULL, NULL, NULL, \(filtered ? "'-infinity'" : "NULL"), NULL, NULL, \(cursor), false, 2))
                """
            }
            // Read as the administrator: the app role sees no referral until a statement sets its tenant.
            let created = try await AdminDatabase.text(database, "SELECT created_at::text FROM referrals WHERE id = '\(ours[1])'")
            let cursors = ["NULL, NULL", "'\(created)'::timestamptz, '\(ours[1])'::uuid"]
            for (cursor, expected) in zip(cursors, [2, 1]) {
                let (same, _) = try await AdminDatabase.countAsApp(database, """
                    SELECT (CASE WHEN \(pageIDs(after: cursor, filtered: false)) = \(pageIDs(after: cursor, filtered: true))
                        THEN cardinality(\(pageIDs(after: cursor, filtered: false))) ELSE -1 END)::int
                    """)
                #expect(same == expected, "the same page from both queries after \(cursor)")
            }
            let twoGo = try #require(cast.programmes["2GO maatjesprojecten"])
            #expect(try await count(acting: humanitas, referrer: humanitas, programmes: "{\(twoGo)}") == 1,
                    "a programme's side shows no referral of another referrer to an organisation that does not run it")
        }
    }
}
