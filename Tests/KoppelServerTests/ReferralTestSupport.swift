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
        // Read from the table, not the API: a test may run the service on a schema of an earlier migration.
        let programmes = try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { db in
            var programmes: [String: String] = [:]
            for name in ["2GO maatjesprojecten", "PIMENTA", "Humanitas Tandem", "Aan de Slag"] {
                programmes[name] = try await db.query("SELECT id FROM programmes WHERE name = \(name)", logger: quietLogger)
                    .collect().first?.decode(UUID.self).uuidString.lowercased()
            }
            return programmes
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
        /// The body as sent.
        let text: String
        var headers: HTTPFields? = nil
        var detail: String { json["detail"] as? String ?? "" }
        var id: String { json["id"] as? String ?? "" }
        var state: String { json["state"] as? String ?? "" }
    }

    /// A new referral without a client_id is filed for a new client with a consent covering every programme, so
    /// tests about other rules need not set one up.
    func callAsFunction(
        _ method: HTTPRequest.Method, _ uri: String, as token: String?, _ body: [String: Any]? = nil, key: String? = nil
    ) async throws -> Answer {
        var body = body
        if method == .post, uri == "/api/v1/referrals", let token, body?["client_id"] == nil, body?["programme_id"] != nil {
            body?["client_id"] = try await consentedClient(as: token)
        }
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
            return Answer(
                status: response.status, json: value as? [String: Any] ?? [:], list: value as? [[String: Any]] ?? [],
                text: String(decoding: response.body.readableBytesView, as: UTF8.self))
        }
    }

    /// Files a referral and returns its id, expecting success. Without a client_id, a new client is registered for
    /// it with a consent that covers every programme.
    func file(_ body: [String: Any], as token: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let answer = try await self(.post, "/api/v1/referrals", as: token, body)
        #expect(answer.status == .created, "\(answer.detail)", sourceLocation: sourceLocation)
        return answer.id
    }

    /// Registers a client (with an everyday name) of the caller's organisation and records a consent that lets
    /// every programme process a referral and see who the client is. Returns the client's id.
    func consentedClient(
        as token: String, identity: [String: Any] = ["name": "Test Persoon", "birth_date": "1990-01-01"], until: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> String {
        let client = try await self(.post, "/api/v1/clients", as: token, identity)
        #expect(client.status == .created, "\(client.detail)", sourceLocation: sourceLocation)
        let programmes = try await self(.get, "/api/v1/programmes", as: nil).json["contents"] as? [[String: Any]] ?? []
        let me = try await self(.get, "/api/v1/me", as: token).json
        let organisation = (me["organization"] as? [String: Any])?["id"] as? String ?? ""
        var provisions: [[String: Any]] = [
            ["kind": "permit", "actor_type": "organisation", "actor_id": organisation, "purposes": ["referral", "share_identity", "contact"],
             "data_classes": ["identity", "contact", "safety", "notes"]]
        ]
        provisions += programmes.compactMap { $0["id"] as? String }.map { id in
            ["kind": "permit", "actor_type": "programme", "actor_id": id, "purposes": ["referral", "share_identity", "contact"],
             "data_classes": ["identity", "contact", "safety", "notes"]]
        }
        var consent: [String: Any] = [
            "grantor": "client", "obtained_on": "2026-01-05", "evidence": "signed_document", "legal_basis": "explicit_consent",
            "valid_from": "2026-01-05", "provisions": provisions,
        ]
        if let until { consent["valid_until"] = until }
        let recorded = try await self(.post, "/api/v1/clients/\(client.id)/consents", as: token, consent)
        #expect(recorded.status == .created, "\(recorded.detail)", sourceLocation: sourceLocation)
        return client.id
    }

    /// A referral to 2GO submitted by `token`'s caseworker for a new client of theirs with a consent; its answer.
    func submittedToTwoGo(_ cast: ReferralCast, as token: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Answer {
        let person = try await consentedClient(as: token, sourceLocation: sourceLocation)
        let filed = try await self(.post, "/api/v1/referrals", as: token, cast.forTwoGo(["client_id": person]))
        #expect(filed.status == .created, "\(filed.detail)", sourceLocation: sourceLocation)
        return filed
    }

    /// Takes a step on a referral.
    func step(_ id: String, _ action: String, as token: String, _ extra: [String: Any] = [:], key: String? = nil) async throws -> Answer {
        try await self(.post, "/api/v1/referrals/\(id)/transitions", as: token, ["action": action].merging(extra) { $1 }, key: key)
    }
}
