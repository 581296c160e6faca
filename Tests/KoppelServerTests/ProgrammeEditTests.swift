import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelCore
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

@Suite("Coordinators and hub-admins edit programmes")
struct ProgrammeEditTests {
    @Test("2GO's coordinator changes places and status; the change shows in capacity and eligibility; others are refused")
    func editThroughTheAPI() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let uri = "/api/v1/programmes/\(cast.twoGoID)"
            let changed = try await api(.patch, uri, as: cast.twoGo, ["places_total": 1, "minimum_age": 18, "application_process_nl": "Intake op dinsdag."])
            #expect(changed.status == .ok, "\(changed.detail)")
            #expect(changed.json["minimum_age"] as? Int == 18)
            #expect(changed.json["application_process"] as? String == "Intake op dinsdag.")
            let capacity = try await api(.get, "\(uri)/capacity", as: cast.caseworker)
            #expect(capacity.json["places_total"] as? Int == 1)

            #expect(try await api(.patch, uri, as: cast.pimenta, ["places_total": 99]).status == .forbidden)
            #expect(try await api(.patch, uri, as: cast.caseworker, ["places_total": 99]).status == .forbidden)
            #expect(try await api(.patch, uri, as: nil, ["places_total": 99]).status == .unauthorized)
            let tooYoung = try await api(.patch, uri, as: cast.twoGo, ["maximum_age": 16])
            #expect(tooYoung.status == .unprocessableContent)
            #expect(tooYoung.detail.contains("minimum_age (18) may not be above maximum_age (16)"))
            let empty = try await api(.patch, uri, as: cast.twoGo, [:])
            #expect(empty.status == .unprocessableContent)
            #expect(empty.detail.contains("names no field"))
            #expect(try await api(.patch, uri, as: cast.twoGo, ["operator_id": UUID().uuidString]).status == .badRequest)
            #expect(try await api(.get, "\(uri)/capacity", as: cast.caseworker).json["places_total"] as? Int == 1, "refused changes change nothing")

            // Paused, it takes no referrals; the caseworker's submission names the rule.
            #expect(try await api(.patch, uri, as: cast.twoGo, ["status": "paused"]).status == .ok)
            let refused = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo())
            #expect(refused.status == .unprocessableContent)
            #expect(refused.detail.contains("programme_open"))
            // Every change is announced in the outbox, in the same transaction.
            let announced = try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { db in
                try await db.query("SELECT count(*)::integer FROM outbox WHERE topic = 'programme.changed'", logger: quietLogger)
                    .collect().first!.decode(Int.self)
            }
            #expect(announced == 2)
        }
    }

    @Test("the edit page saves for the coordinator; the programme page shows places to signed-in users only")
    func editPage() async throws {
        try await TestApp.run { client, database in
            let twoGo = try await TestApp.programmeID(named: "2GO maatjesprojecten", client)
            let person = try await TestPeople.make(
                database, organisation: "stek", email: "co@stek.example", roles: [.coordinator], enrolled: true, programmes: [UUID(uuidString: twoGo)!])
            let coordinator = TestBrowser(client)
            try await TestPeople.signIn(coordinator, person)
            let page = try await coordinator.get("/programmes/\(twoGo)")
            #expect(page.text.contains("25 van 25 plaatsen vrij"))
            #expect(page.text.contains("/programmes/\(twoGo)/edit"))
            #expect(!(try await TestBrowser(client).get("/programmes/\(twoGo)").text.contains("plaatsen vrij")))

            let csrf = try await coordinator.csrf(on: "/programmes/\(twoGo)/edit")
            var form = ["csrf_token": csrf, "status": "open", "places_total": "30", "minimum_age": "", "maximum_age": "",
                        "typical_duration_months": "12", "target_groups[]": "human_trafficking", "application_process_nl": "Bel eerst."]
            #expect(try await coordinator.post("/programmes/\(twoGo)/edit", form: form).status == .seeOther)
            let after = try await coordinator.get("/programmes/\(twoGo)")
            #expect(after.text.contains("30 van 30 plaatsen vrij"))
            #expect(after.text.contains("Bel eerst."))
            form["places_total"] = "veel"
            let bad = try await coordinator.post("/programmes/\(twoGo)/edit", form: form)
            #expect(bad.status == .unprocessableContent)
            #expect(bad.text.contains("hele getallen"))
        }
    }

    @Test("service areas name places Koppel knows: a municipality by name or code, a region or named area, a country; others are 422 by name")
    func serviceAreasNamePlaces() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let uri = "/api/v1/programmes/\(cast.twoGoID)"
            let nowhere = try await api(.patch, uri, as: cast.twoGo, ["service_areas": [
                ["name": "Haaglanden", "extent_type": "region"], ["name": "Atlantis", "extent_type": "region"], ["name": "Twente", "extent_type": "country"],
            ]])
            #expect(nowhere.status == .unprocessableContent)
            #expect(nowhere.detail.contains("no places are called 'Atlantis', 'Twente'"), "\(nowhere.detail)")
            let places = try await api(.patch, uri, as: cast.twoGo, ["service_areas": [
                ["name": "Haaglanden", "extent_type": "region"], ["name": "GM0153", "extent_type": "municipality"], ["name": "Zuid-Holland", "extent_type": "region"],
                ["name": "den haag", "extent_type": "municipality"], ["name": "Nederland", "extent_type": "country"],
            ]])
            #expect(places.status == .ok, "a named area, a code, a province, another name, a country: \(places.detail)")
            let programme = try await api(.get, uri, as: cast.caseworker)
            #expect((programme.json["service_areas"] as? [[String: Any]])?.count == 5)
        }
    }
}
