import Foundation
import HTTPTypes
import HummingbirdTesting
import KoppelCore
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

/// The people of the funding tests beside the referral cast: a hub-admin, and a second funder (Gemeente Enschede),
/// with the demo organisations' ids by slug.
struct FundingCast: Sendable {
    let hubAdmin: String
    let enschede: String
    let organisations: [String: String]

    static func make(_ client: any TestClientProtocol, _ database: TestDatabase) async throws -> FundingCast {
        func token(_ slug: String, _ email: String, _ roles: Set<Role>) async throws -> String {
            let person = try await TestPeople.make(database, organisation: slug, email: email, roles: roles)
            return try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
                try await APITokenStore(client: db, logger: quietLogger)
                    .create(userID: person.id, organisation: person.organisation, name: "test", expiresInDays: 1).token.value
            }
        }
        let hubAdmin = try await token("vluchtelingenwerk", "hub@koppel.example", [.hubAdmin])
        let listed = try await APICall(client: client)(.get, "/api/v1/organisations", as: hubAdmin).list
        var organisations: [String: String] = [:]
        for organisation in listed { organisations[organisation["slug"] as? String ?? ""] = organisation["id"] as? String }
        return FundingCast(hubAdmin: hubAdmin, enschede: try await token("gemeente-enschede", "f@enschede.example", [.funder]), organisations: organisations)
    }

    /// The area with this name, as the API lists it.
    func area(named name: String, _ api: APICall) async throws -> [String: Any] {
        try #require(try await api(.get, "/api/v1/areas", as: hubAdmin).list.first { $0["name"] as? String == name })
    }

    /// The agreement of a funder for a programme, as the API lists it.
    func agreement(funder slug: String, programme: String, _ api: APICall) async throws -> [String: Any] {
        let all = try await api(.get, "/api/v1/funding-agreements?funder=\(organisations[slug] ?? "")", as: hubAdmin).list
        return try #require(all.first { ($0["programme"] as? [String: Any])?["id"] as? String == programme })
    }
}

extension [String: Any] {
    /// The id of a named reference in an answer (`funder`, `programme`, `area`).
    func reference(_ key: String) -> String? { (self[key] as? [String: Any])?["id"] as? String }
}
