import Foundation
import HTTPTypes
import HummingbirdTesting
import KoppelCore
import KoppelTestSupport
import Testing

/// Areas and funding agreements through the JSON API: hub-admins keep them, a funder reads its own only.
@Suite("Funding agreements API")
struct FundingAgreementAPITests {
    @Test("a hub-admin makes an area and an agreement; each funder lists its own, and another's is not found")
    func createAndRead() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let funding = try await FundingCast.make(client, database)
            let api = APICall(client: client)
            let area = try await api(
                .post, "/api/v1/areas", as: funding.hubAdmin,
                ["name": "Delft en Den Haag", "description": "Twee gemeenten.", "municipalities": ["GM0518", "GM0503"]])
            #expect(area.status == .created, "\(area.detail)")
            #expect((area.json["municipalities"] as? [[String: Any]])?.compactMap { $0["code"] as? String }.sorted() == ["GM0503", "GM0518"])
            #expect((area.json["municipalities"] as? [[String: Any]])?.contains { $0["name"] as? String == "Delft" } == true)
            #expect(area.json["version"] as? Int == 1)
            let denHaag = try #require(funding.organisations["gemeente-den-haag"])
            let created = try await api(
                .post, "/api/v1/funding-agreements", as: funding.hubAdmin,
                ["funder_id": denHaag, "programme_id": cast.pimentaID, "area_id": area.id, "first_month": "2026-01", "last_month": "2026-06",
                 "budget_euros": 25000, "target_places": 4, "reference": "DH-2026-PIM"])
            #expect(created.status == .created, "\(created.detail)")
            #expect((created.json["funder"] as? [String: Any])?["name"] as? String == "Gemeente Den Haag")
            #expect((created.json["programme"] as? [String: Any])?["name"] as? String == "PIMENTA")
            #expect((created.json["area"] as? [String: Any])?["name"] as? String == "Delft en Den Haag")
            #expect(created.json["first_month"] as? String == "2026-01" && created.json["last_month"] as? String == "2026-06")
            #expect(created.json["budget_euros"] as? Int == 25000 && created.json["target_places"] as? Int == 4)
            #expect(created.json["reference"] as? String == "DH-2026-PIM" && created.json["version"] as? Int == 1)

            let own = try await api(.get, "/api/v1/funding-agreements", as: cast.funder)
            #expect(own.status == .ok)
            #expect(Set(own.list.compactMap { $0.reference("funder") }) == [denHaag], "a funder lists its own agreements only")
            #expect(own.list.contains { $0["id"] as? String == created.id })
            let enschede = try await api(.get, "/api/v1/funding-agreements", as: funding.enschede)
            #expect(!enschede.list.isEmpty && !enschede.list.contains { $0.reference("funder") == denHaag })
            #expect(try await api(.get, "/api/v1/funding-agreements/\(created.id)", as: funding.enschede).status == .notFound,
                    "another funder's agreement is not found, as one that does not exist")
            #expect(try await api(.get, "/api/v1/funding-agreements/\(UUID())", as: funding.enschede).status == .notFound)
            #expect(try await api(.get, "/api/v1/funding-agreements/\(created.id)", as: cast.funder).status == .ok)
            #expect(try await api(.get, "/api/v1/funding-agreements?funder=\(denHaag)", as: funding.enschede).status == .forbidden)
            let filtered = try await api(.get, "/api/v1/funding-agreements?funder=\(denHaag)", as: funding.hubAdmin)
            #expect(filtered.list.count == own.list.count)
            #expect(try await api(.get, "/api/v1/funding-agreements", as: cast.caseworker).status == .forbidden)
            #expect(try await api(.get, "/api/v1/areas", as: cast.funder).status == .ok, "funders read the areas their agreements name")
            #expect(try await api(.get, "/api/v1/areas/\(area.id)", as: cast.funder).json["name"] as? String == "Delft en Den Haag")
            #expect(try await api(.get, "/api/v1/areas", as: cast.twoGo).status == .forbidden)
        }
    }

    @Test("a funder, coordinator or caseworker cannot make, change or delete areas and agreements, and nothing changes")
    func refusals() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let funding = try await FundingCast.make(client, database)
            let api = APICall(client: client)
            let area = try await funding.area(named: "Haaglanden", api)
            let areaID = try #require(area["id"] as? String)
            let agreement = try await funding.agreement(funder: "gemeente-den-haag", programme: cast.twoGoID, api)
            let agreementID = try #require(agreement["id"] as? String)
            let agreementsBefore = try await api(.get, "/api/v1/funding-agreements", as: funding.hubAdmin).text
            let areasBefore = try await api(.get, "/api/v1/areas", as: funding.hubAdmin).text
            for token in [cast.funder, cast.twoGo, cast.caseworker] {
                let attempts: [(HTTPRequest.Method, String, [String: Any]?)] = [
                    (.post, "/api/v1/areas", ["name": "Nieuw", "municipalities": ["GM0518"]]),
                    (.put, "/api/v1/areas/\(areaID)", ["name": "Haaglanden", "municipalities": ["GM0518"], "version": 1]),
                    (.delete, "/api/v1/areas/\(areaID)", nil),
                    (.post, "/api/v1/funding-agreements",
                     ["funder_id": funding.organisations["gemeente-den-haag"]!, "programme_id": cast.twoGoID, "area_id": areaID,
                      "first_month": "2026-01", "last_month": "2026-02"]),
                    (.patch, "/api/v1/funding-agreements/\(agreementID)", ["version": 1, "budget_euros": 1]),
                    (.delete, "/api/v1/funding-agreements/\(agreementID)", nil),
                ]
                for (method, uri, body) in attempts {
                    let answer = try await api(method, uri, as: token, body)
                    #expect(answer.status == .forbidden, "\(method) \(uri): \(answer.status)")
                }
            }
            #expect(try await api(.post, "/api/v1/areas", as: nil, ["name": "Nieuw", "municipalities": ["GM0518"]]).status == .unauthorized)
            #expect(try await api(.get, "/api/v1/funding-agreements", as: funding.hubAdmin).text == agreementsBefore)
            #expect(try await api(.get, "/api/v1/areas", as: funding.hubAdmin).text == areasBefore)
        }
    }

    @Test("a stale version is refused with 412 and changes nothing; the current one goes through")
    func staleVersion() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let funding = try await FundingCast.make(client, database)
            let api = APICall(client: client)
            let area = try await api(.post, "/api/v1/areas", as: funding.hubAdmin, ["name": "Proef", "municipalities": ["GM0518"]])
            let first = try await api(.put, "/api/v1/areas/\(area.id)", as: funding.hubAdmin,
                                      ["name": "Proef", "municipalities": ["GM0518", "GM0503"], "version": 1])
            #expect(first.status == .ok && first.json["version"] as? Int == 2, "\(first.detail)")
            let stale = try await api(.put, "/api/v1/areas/\(area.id)", as: funding.hubAdmin, ["name": "Proef", "municipalities": ["GM0637"], "version": 1])
            #expect(stale.status == .preconditionFailed && stale.detail.contains("version 2"), "\(stale.detail)")
            #expect((try await api(.get, "/api/v1/areas/\(area.id)", as: funding.hubAdmin).json["municipalities"] as? [Any])?.count == 2)
            #expect(try await api(.delete, "/api/v1/areas/\(area.id)?version=1", as: funding.hubAdmin).status == .preconditionFailed)

            let agreement = try await funding.agreement(funder: "gemeente-den-haag", programme: cast.twoGoID, api)
            let id = try #require(agreement["id"] as? String)
            let changed = try await api(.patch, "/api/v1/funding-agreements/\(id)", as: funding.hubAdmin, ["version": 1, "target_places": 50, "clear": ["reference"]])
            #expect(changed.status == .ok, "\(changed.detail)")
            #expect(changed.json["target_places"] as? Int == 50 && changed.json["reference"] == nil && changed.json["version"] as? Int == 2)
            #expect(changed.json["budget_euros"] as? Int == agreement["budget_euros"] as? Int, "fields left out stay as they are")
            let again = try await api(.patch, "/api/v1/funding-agreements/\(id)", as: funding.hubAdmin, ["version": 1, "target_places": 60])
            #expect(again.status == .preconditionFailed)
            #expect(try await api(.delete, "/api/v1/funding-agreements/\(id)?version=1", as: funding.hubAdmin).status == .preconditionFailed)
            #expect(try await api(.get, "/api/v1/funding-agreements/\(id)", as: funding.hubAdmin).json["target_places"] as? Int == 50)
            #expect(try await api(.delete, "/api/v1/funding-agreements/\(id)?version=2", as: funding.hubAdmin).status == .noContent)
            #expect(try await api(.get, "/api/v1/funding-agreements/\(id)", as: funding.hubAdmin).status == .notFound)
        }
    }

    @Test("months out of order or not YYYY-MM, unknown codes, a non-funder and a taken name are refused, naming what to fix")
    func validation() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let funding = try await FundingCast.make(client, database)
            let api = APICall(client: client)
            let haaglanden = try #require(try await funding.area(named: "Haaglanden", api)["id"] as? String)
            let base: [String: Any] = [
                "funder_id": funding.organisations["gemeente-den-haag"]!, "programme_id": cast.pimentaID, "area_id": haaglanden,
                "first_month": "2026-01", "last_month": "2026-12",
            ]
            let count = try await api(.get, "/api/v1/funding-agreements", as: funding.hubAdmin).list.count
            let cases: [([String: Any], String)] = [
                (["first_month": "2026-07", "last_month": "2026-03"], "first_month must be on or before last_month"),
                (["first_month": "2026-13"], "first_month` is '2026-13'; a month written YYYY-MM"),
                (["last_month": "2026-03-31"], "last_month` may have at most 7 characters"),
                (["last_month": "26-03"], "last_month` is '26-03'; a month written YYYY-MM"),
                (["funder_id": funding.organisations["vluchtelingenwerk"]!], "funder_id must be an organisation whose kinds include funder"),
                (["area_id": UUID().uuidString], "area_id names no area"),
                (["programme_id": UUID().uuidString], "programme_id names no programme"),
                (["reference": String(repeating: "x", count: 101)], "reference` may have at most 100 characters"),
                (["target_places": 0], "target_places` must be at least 1"),
            ]
            for (change, words) in cases {
                let answer = try await api(.post, "/api/v1/funding-agreements", as: funding.hubAdmin, base.merging(change) { $1 })
                #expect(answer.status == .unprocessableContent, "\(change): \(answer.status)")
                #expect(answer.detail.contains(words), "\(change): \(answer.detail)")
            }
            #expect(try await api(.get, "/api/v1/funding-agreements", as: funding.hubAdmin).list.count == count, "nothing was made")

            let unknown = try await api(.post, "/api/v1/areas", as: funding.hubAdmin, ["name": "Proef", "municipalities": ["GM0518", "GM9999"], "regions": ["XX99"]])
            #expect(unknown.status == .unprocessableContent)
            #expect(unknown.detail.contains("'GM9999'") && unknown.detail.contains("'XX99'") && !unknown.detail.contains("'GM0518'"), "\(unknown.detail)")
            let malformed = try await api(.post, "/api/v1/areas", as: funding.hubAdmin, ["name": "Proef", "municipalities": ["Delft"]])
            #expect(malformed.status == .unprocessableContent && malformed.detail.contains("'Delft'"), "\(malformed.detail)")
            let empty = try await api(.post, "/api/v1/areas", as: funding.hubAdmin, ["name": "Proef"])
            #expect(empty.status == .unprocessableContent && empty.detail.contains("at least one municipality or region"))
            let taken = try await api(.post, "/api/v1/areas", as: funding.hubAdmin, ["name": "HAAGLANDEN", "municipalities": ["GM0518"]])
            #expect(taken.status == .conflict && taken.detail.contains("Haaglanden"), "\(taken.detail)")
            let accents = try await api(.post, "/api/v1/areas", as: funding.hubAdmin, ["name": "Nédérland", "regions": ["NL"]])
            #expect(accents.status == .conflict, "names are compared without accents")
        }
    }

    @Test("an area in use by an agreement cannot be deleted; once the agreement is gone it can")
    func deleteInUse() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let funding = try await FundingCast.make(client, database)
            let api = APICall(client: client)
            let haaglanden = try #require(try await funding.area(named: "Haaglanden", api)["id"] as? String)
            let refused = try await api(.delete, "/api/v1/areas/\(haaglanden)", as: funding.hubAdmin)
            #expect(refused.status == .conflict && refused.detail.contains("1 funding agreement"), "\(refused.detail)")
            let agreement = try await funding.agreement(funder: "gemeente-den-haag", programme: cast.twoGoID, api)
            #expect(try await api(.delete, "/api/v1/funding-agreements/\(agreement["id"] as? String ?? "")", as: funding.hubAdmin).status == .noContent)
            #expect(try await api(.delete, "/api/v1/areas/\(haaglanden)", as: funding.hubAdmin).status == .noContent)
            #expect(try await api(.get, "/api/v1/areas/\(haaglanden)", as: funding.hubAdmin).status == .notFound)
        }
    }

    @Test("an area a programme's service area names keeps its name: renaming it is refused, naming the programme; other changes go through")
    func renameNamed() async throws {
        try await TestApp.run { client, database in
            let funding = try await FundingCast.make(client, database)
            let api = APICall(client: client)
            let area = try await funding.area(named: "Aan de Slag-gemeenten", api)
            let id = try #require(area["id"] as? String)
            let current = try await api(.get, "/api/v1/areas/\(id)", as: funding.hubAdmin).json
            func codes(_ key: String) -> [String] { (current[key] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String } }
            var body: [String: Any] = ["name": "Slag-gemeenten", "version": current["version"] as? Int ?? 0,
                                       "municipalities": codes("municipalities"), "regions": codes("regions")]
            let renamed = try await api(.put, "/api/v1/areas/\(id)", as: funding.hubAdmin, body)
            #expect(renamed.status == .conflict && renamed.detail.contains("The service areas of Aan de Slag name this area"), "\(renamed.detail)")
            body["name"] = "aan de slag gemeenten"
            body["description"] = "Dezelfde gemeenten, anders geschreven."
            let same = try await api(.put, "/api/v1/areas/\(id)", as: funding.hubAdmin, body)
            #expect(same.status == .ok, "the same name, folded: \(same.detail)")
        }
    }
}
