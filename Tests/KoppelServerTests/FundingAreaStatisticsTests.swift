import Foundation
import HTTPTypes
import HummingbirdTesting
import KoppelCore
import KoppelTestSupport
import Testing

/// A funder's figures cover its agreement's area as the area is now: when a hub-admin changes the area, the next
/// report follows.
@Suite("Funding agreements and statistics")
struct FundingAreaStatisticsTests {
    static func received(_ report: [String: Any]) -> Int? {
        let total = report["total"] as? [String: Any] ?? (report["rows"] as? [[String: Any]])?.first { $0["key"] as? String == "total" }
        let cell = (total?["figures"] as? [String: [String: Any]])?["received"]
        return cell?["suppressed"] as? Bool == true ? nil : cell?["count"] as? Int
    }

    @Test("a hub-admin removes a municipality from the area; the funder's next report no longer counts its referrals")
    func areaChangeFollows() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let funding = try await FundingCast.make(client, database)
            let api = APICall(client: client)
            // Six referrals from Den Haag and six from Delft, both in Haaglanden, which Den Haag's 2GO agreement covers.
            for _ in 0..<6 { _ = try await api.file(cast.forTwoGo(), as: cast.caseworker) }
            for _ in 0..<6 {
                _ = try await api.file(cast.forTwoGo(["municipality": "GM0503", "override_reason": "moving_to_area"]), as: cast.caseworker)
            }
            let agreement = try await funding.agreement(funder: "gemeente-den-haag", programme: cast.twoGoID, api)
            let id = try #require(agreement["id"] as? String)
            let uri = "/api/v1/statistics?agreement=\(id)&period=\(StatisticsAPITests.thisMonth)"
            let before = try await api(.get, uri, as: cast.funder)
            #expect(before.status == .ok, "\(before.detail)")
            #expect(Self.received(before.json) == 12, "\(before.text.prefix(400))")

            let area = try await funding.area(named: "Haaglanden", api)
            let codes = (area["municipalities"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
            #expect(codes.contains("GM0503"))
            let changed = try await api(
                .put, "/api/v1/areas/\(area["id"] as? String ?? "")", as: funding.hubAdmin,
                ["name": "Haaglanden", "description": area["description"] as? String ?? "", "municipalities": codes.filter { $0 != "GM0503" },
                 "version": area["version"] as? Int ?? 0])
            #expect(changed.status == .ok, "\(changed.detail)")
            let after = try await api(.get, uri, as: cast.funder)
            #expect(after.status == .ok, "\(after.detail)")
            #expect(Self.received(after.json) == 6, "Delft's referrals are outside the area now: \(after.text.prefix(400))")
        }
    }
}
