import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelCore
import KoppelTestSupport
import Testing

/// The privacy pages: a coordinator's reveal and the message thread on the referral page, and the client page
/// where a caseworker withdraws consent, exports and (as administrator) erases.
@Suite("Client pages")
struct ClientPageTests {
    private struct People {
        let caseworker: TestBrowser
        let coordinator: TestBrowser
        let location: String
        let clientPage: String
    }

    /// A VluchtelingenWerk caseworker files a referral to 2GO for a canary client who consents to the referral and
    /// to sharing their identity, not to contact; 2GO's coordinator at Stek is signed in too.
    private func filed(_ client: any TestClientProtocol, _ database: TestDatabase) async throws -> People {
        let (cw, co, twoGo) = try await TestPeople.caseworkerAndTwoGoCoordinator(client, database)
        let filed = try await cw.post("/referrals", form: [
            "csrf_token": try await cw.csrf(on: "/referrals/new"), "programme": twoGo, "target_group": "human_trafficking", "age_band": "18-25",
            "municipality": "Den Haag", "urgency": "urgent", "intent": "submit", "client_name": Canaries["name"],
            "client_birth_date": Canaries["birth_date"], "client_phone": Canaries["phone"], "consent_referral": "yes",
            "consent_identity": "yes", "consent_obtained_on": "2026-01-05",
        ])
        let location = try #require(filed.headers[.location])
        let page = try await cw.get(location)
        let clientPage = try #require(page.text.firstMatch(of: /href="(\/clients\/[0-9a-f-]+)" id="client-page"/)).output.1
        return People(caseworker: cw, coordinator: co, location: location, clientPage: String(clientPage))
    }

    @Test("a coordinator sees who the client is only by a reveal for a consented purpose, and loses it when the referral closes")
    func revealOnTheReferralPage() async throws {
        try await TestApp.run { client, database in
            let people = try await filed(client, database)
            let co = people.coordinator
            let page = try await co.get(people.location)
            #expect(page.text.contains("id=\"reveal-button\""))
            #expect(!page.text.contains(Canaries["name"]), "nothing identifying before a reveal")
            #expect(!page.text.contains("id=\"client-page\""), "the client page is the referring organisation's")
            let csrf = try await co.csrf(on: people.location)

            let shown = try await co.post("\(people.location)/reveal", form: ["csrf_token": csrf, "purpose": "share_identity"])
            #expect(shown.status == .ok)
            #expect(shown.text.contains(Canaries["name"]) && shown.text.contains(Canaries["birth_date"]))
            #expect(!shown.text.contains(Canaries["phone"]), "contact details were not consented to")
            #expect(shown.headers[.cacheControl] == "no-store")
            let contact = try await co.post("\(people.location)/reveal", form: ["csrf_token": csrf, "purpose": "contact"])
            #expect(contact.status == .forbidden)
            #expect(contact.text.contains("geen geldige toestemming") && !contact.text.contains(Canaries["phone"]))
            #expect(try await co.post("\(people.location)/reveal", form: ["csrf_token": csrf, "purpose": "referral"]).status == .forbidden)
            #expect(try await co.post("\(people.location)/reveal", form: ["csrf_token": csrf]).status == .unprocessableContent)
            #expect(try await co.post("\(people.location)/reveal", form: ["csrf_token": "forged", "purpose": "share_identity"]).status == .forbidden)

            // Declined: the programme side is told why, and is refused.
            #expect(try await co.post("\(people.location)/steps", form: ["csrf_token": csrf, "action": "decline", "reason": "not_eligible"]).status == .seeOther)
            let closed = try await co.get(people.location)
            #expect(closed.text.contains("id=\"client-closed\"") && !closed.text.contains("id=\"reveal-button\""))
            let refused = try await co.post("\(people.location)/reveal", form: ["csrf_token": csrf, "purpose": "share_identity"])
            #expect(refused.status == .forbidden)
            #expect(!refused.text.contains(Canaries["name"]))

            // The client's export names the coordinator's reveal in its access log.
            let cw = people.caseworker
            let export = try await cw.post("\(people.clientPage)/export", form: ["csrf_token": try await cw.csrf(on: people.clientPage)])
            let log = try #require(try JSONSerialization.jsonObject(with: Data(export.text.utf8)) as? [String: Any])["access_log"] as? [[String: Any]]
            let reveals = (log ?? []).filter { $0["action"] as? String == "reveal" && $0["purpose"] as? String == "share_identity" }
            #expect(reveals.count == 1, "one reveal succeeded; refused ones show nothing and read nothing")
        }
    }

    @Test("the referring organisation and the programme write to each other in the referral's thread; the programme loses it once closed")
    func messageThread() async throws {
        try await TestApp.run { client, database in
            let people = try await filed(client, database)
            let (cw, co) = (people.caseworker, people.coordinator)
            let start = try await cw.get(people.location)
            #expect(start.text.contains("id=\"no-messages\""))
            let sent = try await cw.post("\(people.location)/messages", form: ["csrf_token": try await cw.csrf(on: people.location), "text": Canaries["message"]])
            #expect(sent.status == .seeOther)
            #expect(sent.headers[.location] == "\(people.location)#messages")
            let csrf = try await co.csrf(on: people.location)
            let seen = try await co.get(people.location)
            #expect(seen.text.contains(Canaries["message"]) && seen.text.contains("Vluchtelingen"))
            #expect(try await co.post("\(people.location)/messages", form: ["csrf_token": csrf, "text": "Dinsdag kan, om 10 uur."]).status == .seeOther)
            #expect(try await cw.get(people.location).text.contains("Dinsdag kan, om 10 uur."))

            let empty = try await co.post("\(people.location)/messages", form: ["csrf_token": csrf, "text": "   "])
            #expect(empty.status == .unprocessableContent)
            #expect(empty.text.contains("1 tot 4000 tekens"))
            let long = String(repeating: "x", count: 4001)
            let tooLong = try await co.post("\(people.location)/messages", form: ["csrf_token": csrf, "text": long])
            #expect(tooLong.status == .unprocessableContent)
            #expect(tooLong.text.contains(long), "the text typed stays in the form")
            #expect(try await co.post("\(people.location)/messages", form: ["csrf_token": "forged", "text": "hallo"]).status == .forbidden)

            #expect(try await co.post("\(people.location)/steps", form: ["csrf_token": csrf, "action": "decline", "reason": "not_eligible"]).status == .seeOther)
            let closed = try await co.get(people.location)
            #expect(!closed.text.contains(Canaries["message"]) && !closed.text.contains("id=\"message-text\""))
            #expect(try await co.post("\(people.location)/messages", form: ["csrf_token": csrf, "text": "nog één ding"]).status == .forbidden)
            #expect(try await cw.get(people.location).text.contains(Canaries["message"]), "the referrer keeps the thread")
        }
    }

    @Test("a caseworker withdraws consent on the client page: the referral is withdrawn with it and the programme sees nothing more")
    func withdrawConsent() async throws {
        try await TestApp.run { client, database in
            let people = try await filed(client, database)
            let (cw, co) = (people.caseworker, people.coordinator)
            #expect(try await co.get(people.clientPage).status == .forbidden, "a coordinator registers no clients")
            let other = TestBrowser(client)
            try await TestPeople.signIn(other, try await TestPeople.make(
                database, organisation: "humanitas", email: "cw@humanitas.example", roles: [.caseworker], enrolled: true))
            #expect(try await other.get(people.clientPage).status == .notFound)

            let page = try await cw.get(people.clientPage)
            #expect(page.status == .ok)
            #expect(page.text.contains("Actief") && page.text.contains("2GO maatjesprojecten"))
            #expect(!page.text.contains(Canaries["name"]) && !page.text.contains("id=\"erase-button\""))
            let action = try #require(page.text.firstMatch(of: /action="([^"]+\/withdraw)"/)).output.1
            let csrf = try await cw.csrf(on: people.clientPage)
            let withdrawn = try await cw.post(String(action), form: ["csrf_token": csrf])
            #expect(withdrawn.status == .seeOther)
            let after = try await cw.get(try #require(withdrawn.headers[.location]))
            #expect(after.text.contains("1 verwijzing(en) daarmee ingetrokken"))
            #expect(after.text.contains("Ingetrokken") && !after.text.contains("/withdraw\""))
            let again = try await cw.post(String(action), form: ["csrf_token": csrf])
            #expect(again.status == .conflict)
            #expect(again.text.contains("alleen een actieve toestemming"))

            let referral = try await co.get(people.location)
            #expect(referral.text.contains("state-withdrawn"))
            #expect(referral.text.contains("Toestemming ingetrokken") || referral.text.contains("toestemming ingetrokken"))
            #expect(try await co.post("\(people.location)/reveal", form: ["csrf_token": try await co.csrf(on: people.location), "purpose": "share_identity"]).status == .forbidden)
            // With no consent left, the referring organisation's own reveal is refused too.
            let own = try await cw.post("\(people.clientPage)/reveal", form: ["csrf_token": csrf, "purpose": "share_identity"])
            #expect(own.status == .forbidden && !own.text.contains(Canaries["name"]))
        }
    }

    @Test("the export downloads everything as a file; only an organisation's administrator erases, once confirmed")
    func exportAndErase() async throws {
        try await TestApp.run { client, database in
            let people = try await filed(client, database)
            let cw = people.caseworker
            let csrf = try await cw.csrf(on: people.clientPage)
            let export = try await cw.post("\(people.clientPage)/export", form: ["csrf_token": csrf])
            #expect(export.status == .ok)
            #expect(export.headers[.contentDisposition]?.hasPrefix("attachment;") == true)
            #expect(export.headers[.cacheControl] == "no-store")
            #expect(export.text.contains(Canaries["name"]) && export.text.contains(Canaries["phone"]))
            #expect(try await cw.post("\(people.clientPage)/export", form: ["csrf_token": "forged"]).status == .forbidden)
            #expect(try await cw.post("\(people.clientPage)/erase", form: ["csrf_token": csrf, "confirm": "yes"]).status == .forbidden)

            let admin = TestBrowser(client)
            try await TestPeople.signIn(admin, try await TestPeople.make(
                database, organisation: "vluchtelingenwerk", email: "admin@vw.example", roles: [.orgAdmin, .caseworker], enrolled: true))
            let page = try await admin.get(people.clientPage)
            #expect(page.text.contains("id=\"erase-button\""))
            let token = try await admin.csrf(on: people.clientPage)
            let unconfirmed = try await admin.post("\(people.clientPage)/erase", form: ["csrf_token": token])
            #expect(unconfirmed.status == .unprocessableContent)
            #expect(unconfirmed.text.contains("Vink eerst aan"))
            #expect(try await admin.post("\(people.clientPage)/erase", form: ["csrf_token": token, "confirm": "yes"]).status == .seeOther)
            let erased = try await admin.get(people.clientPage)
            #expect(erased.text.contains("id=\"client-erased\"") && !erased.text.contains("id=\"reveal-button\""))
            let gone = try await admin.post("\(people.clientPage)/reveal", form: ["csrf_token": token, "purpose": "share_identity"])
            #expect(gone.status == .gone)
            #expect(!(try await admin.post("\(people.clientPage)/export", form: ["csrf_token": token])).text.contains(Canaries["name"]))
        }
    }
}
