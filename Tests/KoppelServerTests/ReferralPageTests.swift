import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelCore
import KoppelTestSupport
import Testing

@Suite("Referral pages")
struct ReferralPageTests {
    private func people(_ client: any TestClientProtocol, _ database: TestDatabase) async throws -> (TestBrowser, TestBrowser, String) {
        try await TestPeople.caseworkerAndTwoGoCoordinator(client, database)
    }

    private func form(_ page: TestResponse) -> String { page.text.firstMatch(of: /name="form_key" value="([^"]+)"/).map { String($0.output.1) } ?? "" }

    @Test("a caseworker files through the form, sees free places, and a resent form files nothing twice")
    func newReferralForm() async throws {
        try await TestApp.run { client, database in
            let (caseworker, _, twoGo) = try await people(client, database)
            let page = try await caseworker.get("/referrals/new")
            #expect(page.status == .ok)
            #expect(page.text.contains("25 van 25 plaatsen vrij"))
            #expect(page.text.contains("Slachtoffers van mensenhandel van 16 tot en met 25 jaar"))
            let csrf = try await caseworker.csrf(on: "/referrals/new")
            var fields = [
                "csrf_token": csrf, "form_key": form(page), "programme": twoGo, "target_group": "domestic_violence", "age_band": "36-50",
                "municipality": "Den Haag", "needs[]": "social_contact", "urgency": "soon", "intent": "submit",
                "client_name": Canaries["name"], "client_birth_date": Canaries["birth_date"], "client_phone": Canaries["phone"],
                "client_safety_notes": Canaries["safety_notes"], "consent_referral": "yes", "consent_identity": "yes",
                "consent_grantor": "client", "consent_evidence": "signed_document", "consent_legal_basis": "explicit_consent",
                "consent_obtained_on": "2026-01-05",
            ]
            #expect(page.text.contains("id=\"client-name\"") && page.text.contains("id=\"consent-referral\""))
            let filed = try await caseworker.post("/referrals", form: fields)
            #expect(filed.status == .seeOther)
            let location = try #require(filed.headers[.location])
            #expect(location.hasPrefix("/referrals/"))
            let again = try await caseworker.post("/referrals", form: fields)
            #expect(again.headers[.location] == location, "the same form sent twice makes one referral")
            let detail = try await caseworker.get(location)
            #expect(detail.text.contains("Ingediend"))
            #expect(detail.text.contains("Huiselijk geweld") || detail.text.contains("huiselijk geweld"))
            #expect(try await caseworker.get("/referrals").text.contains(location))

            // The same person again, to the same programme: a warning first, filed only once confirmed.
            fields["form_key"] = UUID().uuidString
            fields["client_name"] = Canaries["name"].uppercased()
            let warned = try await caseworker.post("/referrals", form: fields)
            #expect(warned.status == .unprocessableContent)
            #expect(warned.text.contains("id=\"duplicate-warning\""))
            fields["confirm_duplicate"] = "yes"
            #expect(try await caseworker.post("/referrals", form: fields).status == .seeOther)
            fields.removeValue(forKey: "confirm_duplicate")
            // Without the client's agreement to the referral there is nothing to file.
            fields["form_key"] = UUID().uuidString
            fields.removeValue(forKey: "consent_referral")
            #expect(try await caseworker.post("/referrals", form: fields).status == .unprocessableContent)
            fields["consent_referral"] = "yes"

            fields["form_key"] = UUID().uuidString
            fields["client_name"] = "Iemand Anders"
            fields["municipality"] = "Utrecht"
            let refused = try await caseworker.post("/referrals", form: fields)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains("werkgebied"))
            fields.removeValue(forKey: "age_band")
            let incomplete = try await caseworker.post("/referrals", form: fields)
            #expect(incomplete.status == .unprocessableContent)
            #expect(incomplete.text.contains("Vul alle verplichte velden in"))
            fields["csrf_token"] = "forged"
            #expect(try await caseworker.post("/referrals", form: fields).status == .forbidden)
        }
    }

    @Test("the coordinator's inbox lists it; accepting and starting through the page show on the caseworker's timeline")
    func coordinatorSteps() async throws {
        try await TestApp.run { client, database in
            let (caseworker, coordinator, twoGo) = try await people(client, database)
            let csrf = try await caseworker.csrf(on: "/referrals/new")
            let filed = try await caseworker.post("/referrals", form: [
                "csrf_token": csrf, "programme": twoGo, "target_group": "human_trafficking", "age_band": "18-25",
                "municipality": "Den Haag", "urgency": "urgent", "intent": "submit", "client_name": "Noor Testpersoon",
                "client_birth_date": "2001-02-03", "consent_referral": "yes", "consent_obtained_on": "2026-01-05",
            ])
            let location = try #require(filed.headers[.location])
            let inbox = try await coordinator.get("/referrals")
            #expect(inbox.text.contains(location))
            #expect(inbox.text.contains("id=\"queue\"") && inbox.text.contains("Reageren uiterlijk"), "in the queue, with its deadline")
            let page = try await coordinator.get(location)
            #expect(page.text.contains("id=\"step-accept\""))
            #expect(!page.text.contains("id=\"step-withdraw\""), "withdrawing is the referrer's step")
            let token = try await coordinator.csrf(on: location)
            #expect(try await coordinator.post("\(location)/steps", form: ["csrf_token": token, "action": "accept"]).status == .seeOther)
            let again = try await coordinator.post("\(location)/steps", form: ["csrf_token": token, "action": "accept"])
            #expect(again.status == .conflict)
            #expect(again.text.contains("de verwijzing is nu Aangenomen"))
            #expect(try await coordinator.post("\(location)/steps", form: ["csrf_token": token, "action": "start"]).status == .seeOther)

            let timeline = try await caseworker.get(location)
            #expect(timeline.text.contains("Gestart"))
            let steps = timeline.text.matches(of: /<li><time/).count
            #expect(steps == 3)
            #expect(timeline.text.contains("Stek"))
            let byCaseworker = try await caseworker.post("\(location)/steps", form: ["csrf_token": try await caseworker.csrf(on: location), "action": "complete"])
            #expect(byCaseworker.status == .forbidden)
            // In English on request.
            #expect(try await caseworker.get("\(location)?lang=en").text.contains("Timeline"))
        }
    }
}
