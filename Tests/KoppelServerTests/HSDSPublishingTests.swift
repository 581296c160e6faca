import Foundation
import HTTPTypes
import HummingbirdTesting
import KoppelCore
import KoppelStore
import KoppelTestSupport
import Testing

@Suite("The HSDS 3.0 directory at /hsds")
struct HSDSPublishingTests {
    @Test("lists and documents in HSDS's shape: pages, search, one service nested, organisations, no locations")
    func documents() async throws {
        try await TestApp.run { client, _ in
            let api = APICall(client: client)
            let root = try await api(.get, "/hsds", as: nil)
            #expect(root.status == .ok && root.json["version"] as? String == "3.0")

            let all = try await api(.get, "/hsds/services", as: nil)
            #expect(all.json["total_items"] as? Int == 5 && all.json["total_pages"] as? Int == 1)
            #expect(all.json["first_page"] as? Bool == true && all.json["last_page"] as? Bool == true && all.json["empty"] as? Bool == false)
            let first = try #require((all.json["contents"] as? [[String: Any]])?.first)
            #expect(first["service_areas"] == nil, "a page lists services without their nested lists")
            #expect((first["organization"] as? [String: Any])?["name"] != nil && (first["program"] as? [String: Any])?["id"] != nil)

            let second = try await api(.get, "/hsds/services?per_page=2&page=2", as: nil)
            #expect(second.json["page_number"] as? Int == 2 && second.json["size"] as? Int == 2 && second.json["total_pages"] as? Int == 3)
            #expect(second.json["first_page"] as? Bool == false && second.json["last_page"] as? Bool == false)
            let past = try await api(.get, "/hsds/services?page=9", as: nil)
            #expect(past.json["empty"] as? Bool == true && past.json["total_items"] as? Int == 5)

            let search = try await api(.get, "/hsds/services?search=pimenta", as: nil)
            #expect(search.json["total_items"] as? Int == 1)
            #expect(try await api(.get, "/hsds/services?search=%25", as: nil).json["total_items"] as? Int == 0, "% is a character, not a wildcard")
            #expect(try await api(.get, "/hsds/services?modified_after=2999-01-01", as: nil).json["total_items"] as? Int == 0)
            #expect(try await api(.get, "/hsds/services?modified_after=2000-01-01T00:00:00Z", as: nil).json["total_items"] as? Int == 5)

            let twoGo = try await TestApp.programmeID(named: "2GO maatjesprojecten", client)
            let service = try await api(.get, "/hsds/services/\(twoGo)", as: nil)
            #expect(service.json["id"] as? String == twoGo && service.json["status"] as? String == "active")
            #expect((service.json["service_areas"] as? [[String: Any]])?.isEmpty == false)
            #expect(service.json["assured_date"] == nil, "never confirmed")
            let attributes = try #require(service.json["attributes"] as? [[String: Any]])
            let free = try #require(attributes.first { ($0["taxonomy_term"] as? [String: Any])?["code"] as? String == "free_places" })
            #expect(free["value"] as? String == "25")
            #expect(service.json["organization_id"] as? String == (service.json["organization"] as? [String: Any])?["id"] as? String)

            let organisations = try await api(.get, "/hsds/organizations", as: nil)
            #expect(organisations.json["total_items"] as? Int == 5, "the five operators; referrers and funders are not listed")
            let operatorID = try #require(service.json["organization_id"] as? String)
            let stek = try await api(.get, "/hsds/organizations/\(operatorID)", as: nil)
            #expect((stek.json["services"] as? [[String: Any]])?.map { $0["id"] as? String } == [twoGo])

            let locations = try await api(.get, "/hsds/service_at_locations", as: nil)
            #expect(locations.json["total_items"] as? Int == 0 && locations.json["empty"] as? Bool == true)
            #expect(try await api(.get, "/hsds/services/\(UUID().uuidString)", as: nil).status == .notFound)
        }
    }

    @Test("bad query values get a 400 that says what to send", arguments: [
        ("/hsds/services?page=0", "page must be a whole number from 1"),
        ("/hsds/services?per_page=10000", "per_page must be a whole number from 1 to 100"),
        ("/hsds/services?modified_after=garbage", "modified_after must be a date-time"),
        ("/hsds/organizations?page=1&page=2", "'page' is given more than once"),
        ("/hsds/services?sort=name", "'sort' is not a filter this list takes"),
        ("/hsds/services?organization_id=x", "organization_id must be"),
        ("/hsds/services/not-an-id", "is not a service id"),
        ("/hsds/organizations/not-an-id", "is not a organization id"),
        ("/hsds/services/00000000-0000-4000-8000-000000000000?full=true", "is not a parameter of this document"),
        ("/hsds/service_at_locations?per_page=0", "per_page must be"),
    ])
    func badQueries(uri: String, message: String) async throws {
        try await TestApp.run(.migrated) { client, _ in
            let answer = try await APICall(client: client)(.get, uri, as: nil)
            #expect(answer.status == .badRequest)
            #expect(answer.detail.contains(message), "\(answer.detail)")
        }
    }

    @Test("2GO's coordinator confirms the entry (API and edit page); it is published as assured_date; nobody else may")
    func confirmation() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let uri = "/api/v1/programmes/\(cast.twoGoID)/directory-confirmation"
            #expect(try await api(.post, uri, as: nil).status == .unauthorized)
            #expect(try await api(.post, uri, as: cast.pimenta).status == .forbidden)
            #expect(try await api(.post, uri, as: cast.caseworker).status == .forbidden)
            #expect(try await api(.post, uri, as: try await HSDSFixture.hubAdminToken(database)).status == .forbidden)
            let confirmed = try await api(.post, uri, as: cast.twoGo)
            #expect(confirmed.status == .ok && confirmed.json["programme_id"] as? String == cast.twoGoID)
            let today = DirectoryTime.day(Date())
            #expect(try await api(.get, "/hsds/services/\(cast.twoGoID)", as: nil).json["assured_date"] as? String == today)

            let coordinator = try await TestPeople.make(
                database, organisation: "stek", email: "co2@stek.example", roles: [.coordinator], enrolled: true, programmes: [UUID(uuidString: cast.twoGoID)!])
            let browser = TestBrowser(client)
            try await TestPeople.signIn(browser, coordinator)
            let page = try await browser.get("/programmes/\(cast.twoGoID)/edit")
            #expect(page.text.contains("id=\"confirm-entry\"") && page.text.contains("Laatst bevestigd op"))
            #expect(try await browser.post("/programmes/\(cast.twoGoID)/confirm", form: [:]).status == .forbidden, "no anti-forgery token")
            let csrf = try await browser.csrf(on: "/programmes/\(cast.twoGoID)/edit")
            let done = try await browser.post("/programmes/\(cast.twoGoID)/confirm", form: ["csrf_token": csrf])
            #expect(done.status == .seeOther)
            #expect(try await browser.get("/programmes/\(cast.twoGoID)/edit?confirmed=1").text.contains("id=\"confirm-done\""))
        }
    }
}
