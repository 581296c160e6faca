import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelCore
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

/// The people of the referral tests, each with an API token, and the programmes they work with.
struct ReferralCast: Sendable {
    /// Caseworker of VluchtelingenWerk.
    let caseworker: String
    /// Caseworker of Humanitas: another referrer.
    let otherCaseworker: String
    /// Coordinators of 2GO (Stek), PIMENTA (De Aanzet, twice) and Humanitas Tandem.
    let twoGo: String
    let pimenta: String
    let pimentaColleague: String
    let tandem: String
    let funder: String
    let programmes: [String: String]

    static func make(_ client: any TestClientProtocol, _ database: TestDatabase) async throws -> ReferralCast {
        var programmes: [String: String] = [:]
        for name in ["2GO maatjesprojecten", "PIMENTA", "Humanitas Tandem", "Aan de Slag"] {
            programmes[name] = try await TestApp.programmeID(named: name, client)
        }
        func token(_ slug: String, _ email: String, _ roles: Set<Role>, coordinating programme: String? = nil) async throws -> String {
            let person = try await TestPeople.make(
                database, organisation: slug, email: email, roles: roles, programmes: Set([programme].compactMap { $0.flatMap(UUID.init) }))
            return try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
                try await APITokenStore(client: db, logger: quietLogger)
                    .create(userID: person.id, organisation: person.organisation, name: "test", expiresInDays: 1).token.value
            }
        }
        return ReferralCast(
            caseworker: try await token("vluchtelingenwerk", "cw@vw.example", [.caseworker]),
            otherCaseworker: try await token("humanitas", "cw@humanitas.example", [.caseworker]),
            twoGo: try await token("stek", "co@stek.example", [.coordinator], coordinating: programmes["2GO maatjesprojecten"]),
            pimenta: try await token("de-aanzet", "co@aanzet.example", [.coordinator], coordinating: programmes["PIMENTA"]),
            pimentaColleague: try await token("de-aanzet", "co2@aanzet.example", [.coordinator], coordinating: programmes["PIMENTA"]),
            tandem: try await token("humanitas", "co@humanitas.example", [.coordinator], coordinating: programmes["Humanitas Tandem"]),
            funder: try await token("gemeente-den-haag", "f@denhaag.example", [.funder]),
            programmes: programmes)
    }

    var twoGoID: String { programmes["2GO maatjesprojecten"]! }
    var pimentaID: String { programmes["PIMENTA"]! }
    var tandemID: String { programmes["Humanitas Tandem"]! }

    /// A referral for 2GO that meets its rules: a victim of trafficking in Den Haag.
    func forTwoGo(_ extra: [String: Any] = [:]) -> [String: Any] {
        ["programme_id": twoGoID, "target_group": "human_trafficking", "age_band": "26-35", "municipality": "Den Haag",
         "needs": ["social_contact"], "urgency": "soon"].merging(extra) { $1 }
    }

    /// A referral for PIMENTA that meets its rules: 16 to 25, trafficking, Mechelen.
    func forPimenta(_ extra: [String: Any] = [:]) -> [String: Any] {
        ["programme_id": pimentaID, "target_group": "human_trafficking", "age_band": "18-25", "municipality": "Mechelen",
         "needs": ["housing", "safety"], "urgency": "urgent"].merging(extra) { $1 }
    }
}

/// A JSON API call and what came back.
struct APICall: Sendable {
    let client: any TestClientProtocol

    struct Answer: @unchecked Sendable {
        let status: HTTPResponse.Status
        let json: [String: Any]
        let list: [[String: Any]]
        var detail: String { json["detail"] as? String ?? "" }
        var id: String { json["id"] as? String ?? "" }
        var state: String { json["state"] as? String ?? "" }
    }

    func callAsFunction(
        _ method: HTTPRequest.Method, _ uri: String, as token: String?, _ body: [String: Any]? = nil, key: String? = nil
    ) async throws -> Answer {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
        var buffer: ByteBuffer?
        if let body {
            headers[.contentType] = "application/json"
            buffer = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))
        }
        return try await client.execute(uri: uri, method: method, headers: headers, body: buffer) { response in
            let value = try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
            return Answer(status: response.status, json: value as? [String: Any] ?? [:], list: value as? [[String: Any]] ?? [])
        }
    }

    /// Files a referral and returns its id, expecting success.
    func file(_ body: [String: Any], as token: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let answer = try await self(.post, "/api/v1/referrals", as: token, body)
        #expect(answer.status == .created, "\(answer.detail)", sourceLocation: sourceLocation)
        return answer.id
    }

    /// Takes a step on a referral.
    func step(_ id: String, _ action: String, as token: String, _ extra: [String: Any] = [:], key: String? = nil) async throws -> Answer {
        try await self(.post, "/api/v1/referrals/\(id)/transitions", as: token, ["action": action].merging(extra) { $1 }, key: key)
    }
}
