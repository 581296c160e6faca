import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelCore
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

/// The web intake: a client, their consent and a referral from one form, on one clock, as one transaction.
@Suite("Web intake")
struct IntakeTests {
    static func fields(csrf: String, programme: String, ageBand: String) -> [String: String] {
        [
            "csrf_token": csrf, "form_key": UUID().uuidString, "programme": programme, "target_group": "human_trafficking",
            "age_band": ageBand, "municipality": "Den Haag", "urgency": "soon", "intent": "submit", "client_name": "Nacht Intake",
            "client_birth_date": "1994-04-04", "consent_referral": "yes", "consent_identity": "yes", "consent_grantor": "client",
            "consent_evidence": "verbal", "consent_legal_basis": "explicit_consent",
        ]
    }

    /// Rows of a client's records in the app's tables and the vault, counted as the superuser sees them.
    static func rows(_ database: TestDatabase) async throws -> [String: Int] {
        try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { db in
            var counts: [String: Int] = [:]
            for table in ["clients", "consents", "referrals", "vault.data_keys", "vault.identity_fields", "vault.blind_index", "audit.entries"] {
                counts[table] = try await db.query("SELECT count(*)::int FROM \(unescaped: table)", logger: quietLogger).collect()
                    .first!.decode(Int.self)
            }
            return counts
        }
    }

    @Test("at 00:30 in Amsterdam (23:30 UTC) a consent obtained 'today' is today's for the form and the database alike")
    func halfPastMidnight() async throws {
        let night = try Date("2026-03-14T23:30:00Z", strategy: .iso8601)
        try await TestApp.run(clock: .fixed(night)) { client, database in
            let twoGo = try await TestApp.programmeID(named: "2GO maatjesprojecten", client)
            let person = try await TestPeople.make(database, organisation: "vluchtelingenwerk", email: "nacht@vw.example", roles: [.caseworker], enrolled: true)
            let browser = TestBrowser(client)
            try await TestPeople.signIn(browser, person, at: night)
            let page = try await browser.get("/referrals/new")
            #expect(page.text.contains("value=\"2026-03-15\""), "the form offers Amsterdam's day")
            var form = Self.fields(csrf: try await browser.csrf(on: "/referrals/new"), programme: twoGo, ageBand: "26-35")
            form["consent_obtained_on"] = "2026-03-15"
            let filed = try await browser.post("/referrals", form: form)
            #expect(filed.status == .seeOther, "\(filed.text.prefix(400))")
            let stored = try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { db in
                try await db.query(
                    "SELECT c.obtained_on::text, r.created_at, r.submitted_at FROM consents c JOIN referrals r ON r.consent_id = c.id",
                    logger: quietLogger
                ).collect().first!.decode((String, Date, Date).self)
            }
            #expect(stored.0 == "2026-03-15")
            #expect(stored.1 == night && stored.2 == night, "the database stamps with the application's clock")
        }
    }

    @Test("a refused intake leaves no client, consent or sealed identity behind, however often it is sent")
    func refusedLeavesNothing() async throws {
        try await TestApp.run { client, database in
            let (caseworker, _, _) = try await TestPeople.caseworkerAndTwoGoCoordinator(client, database)
            let pimenta = try await TestApp.programmeID(named: "PIMENTA", client)
            let before = try await Self.rows(database)
            // PIMENTA takes 16 to 25 year olds in Mechelen: this referral meets neither rule.
            let form = Self.fields(csrf: try await caseworker.csrf(on: "/referrals/new"), programme: pimenta, ageBand: "36-50")
            for _ in 0..<2 {
                let refused = try await caseworker.post("/referrals", form: form)
                #expect(refused.status == .unprocessableContent)
            }
            #expect(try await Self.rows(database) == before)
        }
    }
}
