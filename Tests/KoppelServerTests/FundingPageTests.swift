import Foundation
import HTTPTypes
import HummingbirdTesting
import KoppelCore
import KoppelTestSupport
import Testing

/// The hub-admin's pages for areas and agreements, and the funder's read-only list, as their HTML reads.
@Suite("Funding pages")
struct FundingPageTests {
    static func browser(_ client: any TestClientProtocol, _ database: TestDatabase, _ slug: String, _ email: String, _ role: Role) async throws -> TestBrowser {
        let person = try await TestPeople.make(database, organisation: slug, email: email, roles: [role], enrolled: role.requiresSecondFactor)
        let browser = TestBrowser(client)
        try await TestPeople.signIn(browser, person)
        return browser
    }

    @Test("a hub-admin makes an area from names and codes one a line, each unknown line named; edits and deletes it after asking")
    func areas() async throws {
        try await TestApp.run { client, database in
            let hub = try await Self.browser(client, database, "vluchtelingenwerk", "hub@pages.example", .hubAdmin)
            let list = try await hub.get("/admin/areas")
            #expect(list.status == .ok && list.text.contains("<h1>Gebieden</h1>") && list.text.contains("Haaglanden"))
            #expect(list.text.contains("<label for=\"area-members\">"))
            #expect(try await hub.get("/admin/areas?lang=en").text.contains("<h1>Areas</h1>"))
            let csrf = try await hub.csrf(on: "/admin/areas?lang=nl")
            let wrong = try await hub.post("/admin/areas", form: ["name": "Proef", "members": "Delft\nGM0518\n\nAtlantis\nGM9999", "csrf_token": csrf])
            #expect(wrong.status == .unprocessableContent)
            #expect(wrong.text.contains("regel 4: Atlantis") && wrong.text.contains("regel 5: GM9999"), "\(wrong.text)")
            #expect(wrong.text.contains("Atlantis\nGM9999</textarea>"), "what was typed stays in the form")
            let made = try await hub.post("/admin/areas", form: ["name": "Proef", "members": "delft\nGM0518", "csrf_token": csrf])
            #expect(made.status == .ok && made.text.contains("id=\"created-area\""), "\(made.text)")
            let id = try #require(made.text.firstMatch(of: /href="\/admin\/areas\/([0-9a-f-]{36})" aria-label="Wijzig Proef"/)?.output.1)
            let edit = try await hub.get("/admin/areas/\(id)")
            #expect(edit.text.contains("Delft (GM0503)") && edit.text.contains("(GM0518)"), "members come back as name and code")
            let saved = try await hub.post("/admin/areas/\(id)", form: ["name": "Proef 2", "members": "Delft (GM0503)", "version": "1", "csrf_token": csrf])
            #expect(saved.status == .seeOther)
            let stale = try await hub.post("/admin/areas/\(id)", form: ["name": "Proef 3", "members": "GM0503", "version": "1", "csrf_token": csrf])
            #expect(stale.status == .preconditionFailed && stale.text.contains("versie 2"))
            #expect(try await hub.get("/admin/areas/\(id)/delete").text.contains("id=\"confirm-delete\""))
            let inUse = try await hub.get("/admin/areas").text.firstMatch(of: /href="\/admin\/areas\/([0-9a-f-]{36})\/delete" aria-label="Verwijder Haaglanden"/)?.output.1
            let refused = try await hub.post("/admin/areas/\(try #require(inUse))/delete", form: ["csrf_token": csrf])
            #expect(refused.status == .conflict && refused.text.contains("nog gebruikt"))
            let deleted = try await hub.post("/admin/areas/\(id)/delete", form: ["version": "2", "csrf_token": csrf])
            #expect(deleted.status == .seeOther)
            #expect(!(try await hub.get("/admin/areas").text.contains("Proef 2")))
            #expect(try await hub.post("/admin/areas", form: ["name": "Zonder", "members": "GM0518"]).status == .forbidden, "no form without its token")
        }
    }

    @Test("a hub-admin makes, changes and deletes an agreement; wrong months are named on the form")
    func agreements() async throws {
        try await TestApp.run { client, database in
            let hub = try await Self.browser(client, database, "vluchtelingenwerk", "hub@pages.example", .hubAdmin)
            let page = try await hub.get("/admin/funding-agreements")
            #expect(page.status == .ok && page.text.contains("Gemeente Den Haag") && page.text.contains("DH-SZ-2026-017"))
            for label in ["agreement-funder", "agreement-programme", "agreement-area", "agreement-first-month", "agreement-last-month",
                          "agreement-budget", "agreement-target", "agreement-reference"] {
                #expect(page.text.contains("<label for=\"\(label)\">") && page.text.contains("id=\"\(label)\""), "\(label) has a label")
            }
            let csrf = try await hub.csrf(on: "/admin/funding-agreements")
            let funder = try #require(page.text.firstMatch(of: /<option value="([0-9a-f-]{36})">Gemeente Enschede<\/option>/)?.output.1)
            let programme = try #require(page.text.firstMatch(of: /<option value="([0-9a-f-]{36})">PIMENTA<\/option>/)?.output.1)
            let area = try #require(page.text.firstMatch(of: /<option value="([0-9a-f-]{36})">Twente<\/option>/)?.output.1)
            var form = ["funder": String(funder), "programme": String(programme), "area": String(area), "first_month": "2026-09",
                        "last_month": "2026-03", "budget": "12.500", "target_places": "3", "reference": "ENS-PIM", "csrf_token": csrf]
            let wrong = try await hub.post("/admin/funding-agreements", form: form)
            #expect(wrong.status == .unprocessableContent && wrong.text.contains("De eerste maand moet vóór"), "\(wrong.text)")
            #expect(wrong.text.contains("value=\"2026-09\""), "what was typed stays in the form")
            form["last_month"] = "2026-12"
            let made = try await hub.post("/admin/funding-agreements", form: form)
            #expect(made.status == .ok && made.text.contains("id=\"created-agreement\"") && made.text.contains("€ 12.500"), "\(made.text)")
            let id = try #require(made.text.firstMatch(of: /href="\/admin\/funding-agreements\/([0-9a-f-]{36})" aria-label="Wijzig Gemeente Enschede PIMENTA/)?.output.1)
            let edit = try await hub.get("/admin/funding-agreements/\(id)")
            #expect(edit.text.contains("value=\"ENS-PIM\"") && edit.text.contains("name=\"version\" value=\"1\""))
            form["version"] = "1"
            form["reference"] = ""
            #expect(try await hub.post("/admin/funding-agreements/\(id)", form: form).status == .seeOther)
            let confirm = try await hub.get("/admin/funding-agreements/\(id)/delete?lang=en")
            #expect(confirm.text.contains("Are you sure you want to delete this funding agreement?"))
            #expect(try await hub.post("/admin/funding-agreements/\(id)/delete", form: ["version": "2", "csrf_token": csrf]).status == .seeOther)
            #expect(!(try await hub.get("/admin/funding-agreements").text.contains("ENS-PIM")))
        }
    }

    @Test("a funder reads its own agreements with the area's municipalities and a link to their figures; others may not; the account links them")
    func funderList() async throws {
        try await TestApp.run { client, database in
            let funder = try await Self.browser(client, database, "gemeente-den-haag", "wethouder@denhaag.example", .funder)
            let page = try await funder.get("/funding-agreements")
            #expect(page.status == .ok && page.text.contains("<h1>Mijn financieringsafspraken</h1>"))
            #expect(page.text.contains("2GO maatjesprojecten") && page.text.contains("Haaglanden") && page.text.contains("DH-SZ-2026-017"))
            #expect(page.text.contains("Delft") && page.text.contains("Zoetermeer"), "the area's municipalities")
            #expect(page.text.contains("href=\"/statistics?agreement="))
            #expect(!page.text.contains("Perspectief+"), "another funder's agreement is not shown")
            #expect(try await funder.get("/funding-agreements?lang=en").text.contains("<h1>My funding agreements</h1>"))
            #expect(try await funder.get("/account").text.contains("id=\"my-agreements-link\""))
            #expect(try await funder.get("/admin/funding-agreements").status == .forbidden)
            #expect(try await funder.get("/admin/areas").status == .forbidden)
            let caseworker = try await Self.browser(client, database, "vluchtelingenwerk", "cw@pages.example", .caseworker)
            #expect(try await caseworker.get("/funding-agreements").status == .forbidden)
            #expect(!(try await caseworker.get("/account").text.contains("agreements-link")))
            let hub = try await Self.browser(client, database, "vluchtelingenwerk", "hub@pages.example", .hubAdmin)
            let account = try await hub.get("/account").text
            #expect(account.contains("id=\"areas-link\"") && account.contains("id=\"agreements-link\""))
            #expect(try await TestBrowser(client).get("/funding-agreements").status == .seeOther)
        }
    }
}
