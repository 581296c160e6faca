import Foundation
import HTTPTypes
import HummingbirdTesting
import KoppelCore
import KoppelTestSupport
import Testing

@Suite("The webhooks page, for org-admins")
struct WebhookPageTests {
    @Test("an org-admin subscribes in Dutch, sees the secret once, sends a test event, pauses, rotates and deletes; others are refused")
    func manageThroughThePage() async throws {
        try await TestApp.run { client, database in
            let admin = try await TestPeople.make(
                database, organisation: "vluchtelingenwerk", email: "beheer@vw.example", roles: [.orgAdmin], enrolled: true)
            let browser = TestBrowser(client)
            try await TestPeople.signIn(browser, admin)

            let empty = try await browser.get("/admin/webhooks")
            #expect(empty.status == .ok && empty.text.contains("Nieuwe webhook") && empty.text.contains("Nog geen webhooks."))
            let csrf = try await browser.csrf(on: "/admin/webhooks")

            let refused = try await browser.post("/admin/webhooks", form: ["url": "ftp://partner.example/x", "csrf_token": csrf])
            #expect(refused.status == .unprocessableContent && refused.text.contains("Geef een https://-adres"))
            let unknownType = try await browser.post(
                "/admin/webhooks", form: ["url": "https://partner.example/x", "type[]": "referral.teleported", "csrf_token": csrf])
            #expect(unknownType.status == .unprocessableContent && unknownType.text.contains("Kies alleen soorten uit de lijst."))
            #expect(try await browser.get("/admin/webhooks").text.contains("Nog geen webhooks."), "nothing stored")

            let made = try await browser.post(
                "/admin/webhooks",
                form: ["url": "https://partner.example/koppel", "description": "Zaaksysteem", "type[]": "referral.accepted", "csrf_token": csrf])
            #expect(made.status == .ok)
            let secret = try #require(made.text.firstMatch(of: /id="new-secret">(whsec_[A-Za-z0-9+\/=]+)</)?.output.1)
            let listed = try await browser.get("/admin/webhooks")
            #expect(listed.text.contains("https://partner.example/koppel") && listed.text.contains("referral.accepted"))
            #expect(!listed.text.contains(String(secret)), "the secret is shown once")
            let id = try #require(listed.text.firstMatch(of: /href="\/admin\/webhooks\/([0-9a-f-]{36})"/)?.output.1)

            let ping = try await browser.post("/admin/webhooks/\(id)/ping", form: ["csrf_token": csrf])
            #expect([.found, .seeOther].contains(ping.status))
            let detail = try await browser.get("/admin/webhooks/\(id)")
            #expect(detail.text.contains("ping") && detail.text.contains("onderweg"))
            // English on request (the choice is kept), and back.
            #expect(try await browser.get("/admin/webhooks/\(id)?lang=en").text.contains("on its way"))
            #expect(try await browser.get("/admin/webhooks?lang=nl").text.contains("Nieuwe webhook"))

            try await browser.post("/admin/webhooks/\(id)/pause", form: ["csrf_token": csrf])
            #expect(try await browser.get("/admin/webhooks").text.contains("gepauzeerd"))
            let rotated = try await browser.post("/admin/webhooks/\(id)/rotate-secret", form: ["csrf_token": csrf])
            let newSecret = try #require(rotated.text.firstMatch(of: /id="new-secret">(whsec_[A-Za-z0-9+\/=]+)</)?.output.1)
            #expect(newSecret != secret)

            #expect(try await browser.post("/admin/webhooks/\(id)/delete", form: ["csrf_token": "forged"]).status == .forbidden)
            #expect(try await browser.get("/admin/webhooks").text.contains("https://partner.example/koppel"), "a forged form changes nothing")
            try await browser.post("/admin/webhooks/\(id)/delete", form: ["csrf_token": csrf])
            #expect(try await browser.get("/admin/webhooks").text.contains("Nog geen webhooks."))
            #expect(try await browser.post("/admin/webhooks/\(id)/ping", form: ["csrf_token": csrf]).status == .notFound)

            let caseworker = try await TestPeople.make(
                database, organisation: "vluchtelingenwerk", email: "cw@vw.example", roles: [.caseworker], enrolled: true)
            let other = TestBrowser(client)
            try await TestPeople.signIn(other, caseworker)
            #expect(try await other.get("/admin/webhooks").status == .forbidden)
            let anonymous = try await TestBrowser(client).get("/admin/webhooks")
            #expect([.found, .seeOther].contains(anonymous.status) && anonymous.headers[.location] == "/sign-in")
        }
    }
}
