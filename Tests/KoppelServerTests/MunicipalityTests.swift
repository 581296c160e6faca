import Foundation
import HTTPTypes
import KoppelCore
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

/// Referrals name any Dutch or Belgian municipality, by name, other name or code; what is not one is refused with
/// what to send instead.
@Suite("Municipalities on referrals")
struct MunicipalityTests {
    /// One municipality of every Dutch province, none of them among the 18 Koppel knew before, by name, other name
    /// or code, with the code it must be filed as.
    static let dutch: [(input: String, code: String)] = [
        ("Pekela", "GM0765"), ("Ljouwert", "GM0080"), ("Coevorden", "GM0109"), ("Hengelo", "GM0164"), ("GM0995", "GM0995"),
        ("Zutphen", "GM0301"), ("Amersfoort", "GM0307"), ("Den Helder", "GM0400"), ("Den Bosch", "GM0796"), ("Vlissingen", "GM0718"),
        ("gm0855", "GM0855"), ("Maastricht", "GM0935"), ("Súdwest-Fryslân", "GM1900"), ("sudwest fryslan", "GM1900"),
    ]
    /// One of every Belgian province and Brussels, by Dutch or French name or NIS code.
    static let belgian: [(input: String, code: String)] = [
        ("Turnhout", "13040"), ("Leuven", "24062"), ("Nivelles", "25072"), ("Brugge", "31005"), ("Gent", "44021"),
        ("Bergen (53053)", "53053"), ("Liège", "62063"), ("Hasselt", "71072"), ("Namur", "92094"), ("Arlon", "81001"), ("Bruxelles", "21004"),
    ]

    @Test("a referral names a municipality in every Dutch and Belgian province, by name, other name or code, and keeps its code")
    func everyProvince() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            for (input, code) in Self.dutch {
                // Humanitas Tandem works in all of the Netherlands: eligible everywhere.
                let filed = try await api(.post, "/api/v1/referrals", as: cast.caseworker, [
                    "programme_id": cast.tandemID, "target_group": "social_isolation", "age_band": "66+", "municipality": input,
                    "needs": ["social_contact"], "urgency": "routine",
                ])
                #expect(filed.status == .created, "\(input): \(filed.detail)")
                #expect(filed.json["municipality_code"] as? String == code, "\(input)")
                #expect((filed.json["overridden_rules"] as? [String]) == [], "\(input) lies in Tandem's area")
            }
            for (input, code) in Self.belgian {
                // PIMENTA works in Mechelen only: filed elsewhere with the caseworker's reason, which names the rule.
                let filed = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forPimenta([
                    "municipality": input, "override_reason": "agreed_with_programme",
                ]))
                #expect(filed.status == .created, "\(input): \(filed.detail)")
                #expect(filed.json["municipality_code"] as? String == code, "\(input)")
                #expect((filed.json["overridden_rules"] as? [String]) == ["region"], "\(input) lies outside Mechelen")
            }
            let mechelen = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forPimenta(["municipality": "Malines"]))
            #expect(mechelen.status == .created && (mechelen.json["overridden_rules"] as? [String]) == [])
        }
    }

    @Test("an unknown name is 422 naming the closest; a name of several is 422 listing them with codes; an ended one names its successor")
    func refused() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let before = try await api(.get, "/api/v1/referrals?limit=100", as: cast.caseworker).list.count
            let typo = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["municipality": "Enschde"]))
            #expect(typo.status == .unprocessableContent)
            #expect(typo.detail.contains("No municipality is called 'Enschde'. Closest: Enschede"), "\(typo.detail)")
            let nowhere = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["municipality": "Atlantis"]))
            #expect(nowhere.status == .unprocessableContent && nowhere.detail.contains("CBS GM0153, NIS 21004"))
            let bergen = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["municipality": "Bergen"]))
            #expect(bergen.status == .unprocessableContent)
            #expect(bergen.detail.contains("Bergen (NH.) (GM0373)") && bergen.detail.contains("Bergen (L.) (GM0893)") && bergen.detail.contains("Mons (53053)"))
            let weesp = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["municipality": "Weesp"]))
            #expect(weesp.status == .unprocessableContent)
            #expect(weesp.detail.contains("Weesp no longer exists since 2022-03-24; it merged into Amsterdam"), "\(weesp.detail)")
            #expect(try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["municipality": "GM0457"])).status == .unprocessableContent)
            #expect(try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["municipality": ""])).status == .unprocessableContent)
            #expect(try await api(.get, "/api/v1/referrals?limit=100", as: cast.caseworker).list.count == before, "nothing was filed")
        }
    }

    @Test("a municipality that merges: its referrals keep its code, the statistics count it with its successor, new referrals must name the successor")
    func merger() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let tandem: [String: Any] = [
                "programme_id": cast.tandemID, "target_group": "social_isolation", "age_band": "66+", "municipality": "Delft",
                "needs": ["social_contact"], "urgency": "routine",
            ]
            let id = try await api.file(tandem, as: cast.caseworker)
            // Next year's data, made up: Delft merges into 's-Gravenhage on 1 January of this year.
            let merged = try ReferenceFolder.copy { name, text in
                name == "nl-municipalities.csv"
                    ? text.replacingOccurrences(of: "GM0503,Delft,PV28;CR27;AM21;LD03,,,", with: "GM0503,Delft,PV28;CR27;AM21;LD03,,2026-01-01,GM0518") : text
            }
            defer { try? FileManager.default.removeItem(at: merged) }
            try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { owner in
                let outcome = try await ReferenceImporter(client: owner, logger: quietLogger).run(try ReferenceData.load(from: merged))
                #expect(outcome.municipalitiesChanged == 1 && outcome.factsMoved == 1)
            }
            let kept = try await api(.get, "/api/v1/referrals/\(id)", as: cast.caseworker)
            #expect(kept.json["municipality_code"] as? String == "GM0503" && kept.json["municipality"] as? String == "Delft")
            let refused = try await api(.post, "/api/v1/referrals", as: cast.caseworker, tandem)
            #expect(refused.status == .unprocessableContent && refused.detail.contains("it merged into 's-Gravenhage"))
            let facts = try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { admin in
                try await admin.query("SELECT municipality, region FROM referral_facts", logger: quietLogger).collect()
                    .map { try $0.decode((String, String).self) }
            }
            #expect(facts.map(\.0) == ["GM0518"], "counted with its successor")
        }
    }
}
