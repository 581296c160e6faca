import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelCore
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

/// The duplicate check asks the vault who a name and birth date belong to: it may say only what the asker's own
/// organisation may know, it is audited, and it cannot be run in bulk.
@Suite("Duplicate check")
struct DuplicateCheckTests {
    static let person = ["name": "Dubbel Gecontroleerd", "birth_date": "1988-08-08"]

    func check(_ api: APICall, as token: String, programme: String) async throws -> APICall.Answer {
        try await api(.post, "/api/v1/clients/duplicate-check", as: token, Self.person.merging(["programme_id": programme]) { $1 })
    }

    @Test("another organisation learns nothing of a referral it cannot see; the referrer's own check is audited")
    func scopedAndAudited() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let clientID = try await api.consentedClient(as: cast.caseworker, identity: Self.person)
            _ = try await api.file(cast.forTwoGo(["client_id": clientID]), as: cast.caseworker)

            let outsider = try await check(api, as: cast.otherCaseworker, programme: cast.twoGoID)
            #expect(outsider.status == .ok)
            #expect(outsider.json["possible_duplicate"] as? Bool == false, "Humanitas cannot see VluchtelingenWerk's referral")
            let own = try await check(api, as: cast.caseworker, programme: cast.twoGoID)
            #expect(own.json["possible_duplicate"] as? Bool == true)
            let audited = try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { db in
                try await db.query(
                    "SELECT count(*)::int FROM audit.entries WHERE action = 'duplicate_check' AND client_id = \(UUID(uuidString: clientID)!)",
                    logger: quietLogger
                ).collect().first!.decode(Int.self)
            }
            #expect(audited == 1, "the match is in the audit log, with who asked")
        }
    }

    @Test("thirty checks an hour per user; the next is a 429 with Retry-After, and another user is not held up")
    func throttled() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let me = try await api(.get, "/api/v1/me", as: cast.caseworker).json
            let user = try #require((me["id"] as? String).flatMap(UUID.init(uuidString:)))
            try await PostgresClient.withRunningClient(database.appURL, logger: quietLogger) { db in
                let store = SignInThrottleStore(client: db, logger: quietLogger)
                for _ in 0..<29 { _ = try await store.attempt(SignInThrottleStore.lookupKey(user: user), Privacy.lookupLimits) }
            }
            #expect(try await check(api, as: cast.caseworker, programme: cast.twoGoID).status == .ok, "the thirtieth")
            let refused = try await check(api, as: cast.caseworker, programme: cast.twoGoID)
            #expect(refused.status == .tooManyRequests)
            #expect(Int(refused.json["status"] as? Int ?? 0) == 429)
            #expect(try await check(api, as: cast.otherCaseworker, programme: cast.twoGoID).status == .ok)
        }
    }
}
