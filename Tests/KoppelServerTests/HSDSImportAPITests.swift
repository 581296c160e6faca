import Foundation
import HTTPTypes
import HummingbirdTesting
import KoppelCore
import KoppelStore
import KoppelTestSupport
import Testing

@Suite("Hub-admins import HSDS files through the API")
struct HSDSImportAPITests {
    @Test("dry run stores nothing; import adds; again changes nothing; a changed file updates; a broken one is refused whole")
    func importThroughTheAPI() async throws {
        try await TestApp.run { client, database in
            let api = APICall(client: client)
            let hubAdmin = try await HSDSFixture.hubAdminToken(database)
            let before = try await HSDSFixture.programmeCount(database)

            let dry = try await api(.post, "/api/v1/directory/imports?dry_run=true", as: hubAdmin, HSDSFixture.socialMap())
            #expect(dry.status == .ok, "\(dry.text)")
            #expect(dry.json["dry_run"] as? Bool == true && dry.json["added"] as? Int == 3 && dry.json["changed"] as? Int == 0)
            #expect(try await HSDSFixture.programmeCount(database) == before, "a dry run stores nothing")

            let imported = try await api(.post, "/api/v1/directory/imports", as: hubAdmin, HSDSFixture.socialMap())
            #expect(imported.json["added"] as? Int == 3)
            #expect(try await HSDSFixture.programmeCount(database) == before + 2)
            let again = try await api(.post, "/api/v1/directory/imports", as: hubAdmin, HSDSFixture.socialMap())
            #expect(again.json["unchanged"] as? Int == 3 && again.json["added"] as? Int == 0 && again.json["changed"] as? Int == 0)

            // The active service is listed but takes no referrals; the inactive one is not listed at all.
            let services = try await api(.get, "/hsds/services?search=Maatjes%20voor", as: nil)
            let listed = try #require((services.json["contents"] as? [[String: Any]])?.first)
            #expect(listed["status"] as? String == "temporarily closed")
            #expect(try await api(.get, "/hsds/services?search=Woonbegeleiding", as: nil).json["total_items"] as? Int == 0)

            let renamed = try await api(.post, "/api/v1/directory/imports", as: hubAdmin, HSDSFixture.socialMap(rename: "Maatjes in de wijk"))
            #expect(renamed.json["changed"] as? Int == 1 && renamed.json["unchanged"] as? Int == 2)
            #expect(try await api(.get, "/hsds/services?search=Maatjes%20in%20de%20wijk", as: nil).json["total_items"] as? Int == 1)

            let broken = try await api(.post, "/api/v1/directory/imports", as: hubAdmin, HSDSFixture.broken())
            #expect(broken.status == .unprocessableContent)
            let errors = try #require(broken.json["errors"] as? [[String: Any]])
            #expect(errors.contains { $0["record"] as? String == HSDSFixture.housing && $0["field"] as? String == "minimum_age" })
            #expect(errors.contains { $0["record"] as? String == HSDSFixture.housing && $0["field"] as? String == "status" })
            #expect(try await HSDSFixture.programmeCount(database) == before + 2, "nothing of a refused file is stored")

            #expect(try await api(.post, "/api/v1/directory/imports", as: nil, HSDSFixture.socialMap()).status == .unauthorized)
            let cast = try await ReferralCast.make(client, database)
            for token in [cast.caseworker, cast.twoGo, cast.funder] {
                #expect(try await api(.post, "/api/v1/directory/imports", as: token, HSDSFixture.socialMap()).status == .forbidden)
            }
        }
    }
}
