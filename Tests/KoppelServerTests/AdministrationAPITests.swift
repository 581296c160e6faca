import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelCore
import KoppelServer
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

@Suite("An org-admin manages users and API tokens through the API")
struct AdministrationAPITests {
    private func adminToken(_ database: TestDatabase) async throws -> (token: String, organisation: String) {
        let admin = try await TestPeople.make(database, organisation: "vluchtelingenwerk", email: "admin@vw.example", roles: [.orgAdmin])
        let token = try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
            try await APITokenStore(client: db, logger: quietLogger).create(userID: admin.id, organisation: admin.organisation, name: "admin", expiresInDays: 1).token.value
        }
        return (token, admin.organisation.uuidString.lowercased())
    }

    private func json(_ object: Any) throws -> ByteBuffer { ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object)) }

    @Test("a created user signs in with the initial password and must choose a new one; the e-mail address is unique")
    func createUser() async throws {
        try await TestApp.run { client, database in
            let (token, organisation) = try await adminToken(database)
            let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            let body = try json(["email": "Nieuw@VW.example", "display_name": "Nieuwe Collega", "roles": ["caseworker"]])
            let password = try await client.execute(uri: "/api/v1/organisations/\(organisation)/users", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .created)
                #expect((response.json["user"] as? [String: Any])?["email"] as? String == "nieuw@vw.example")
                return response.json["initial_password"] as? String ?? ""
            }
            let signIn = try await TestPeople.submitPassword(TestBrowser(client), email: "nieuw@vw.example", password: password)
            #expect(signIn.headers[.location] == "/account/password")
            try await client.execute(uri: "/api/v1/organisations/\(organisation)/users", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .conflict)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            try await client.execute(uri: "/api/v1/organisations/\(organisation)/users", method: .get, headers: headers) { response in
                let emails = ((try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [[String: Any]])?.compactMap { $0["email"] as? String }
                #expect(emails?.contains("nieuw@vw.example") == true)
                #expect(emails?.contains("admin@vw.example") == true)
            }
        }
    }

    @Test("malformed JSON, unknown roles, missing fields and bad ids are 4xx problems that say what is wrong")
    func badInput() async throws {
        try await TestApp.run { client, database in
            let (token, organisation) = try await adminToken(database)
            let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            let cases: [(String, ByteBuffer, HTTPResponse.Status)] = [
                ("/api/v1/organisations/\(organisation)/users", ByteBuffer(string: "{\"email\": "), .badRequest),
                ("/api/v1/organisations/\(organisation)/users", try json(["email": "x@vw.example", "display_name": "X", "roles": ["wizard"]]), .badRequest),
                ("/api/v1/organisations/\(organisation)/users", try json(["email": "x@vw.example"]), .badRequest),
                ("/api/v1/organisations/\(organisation)/users", try json(["email": "not-an-address", "display_name": "X", "roles": ["caseworker"]]), .unprocessableContent),
                ("/api/v1/organisations/not-a-uuid/users", try json(["email": "x@vw.example", "display_name": "X", "roles": ["caseworker"]]), .badRequest),
                ("/api/v1/organisations/\(organisation)/tokens", try json(["user_id": UUID().uuidString, "name": "x"]), .unprocessableContent),
                ("/api/v1/organisations/\(organisation)/tokens", try json(["user_id": UUID().uuidString, "name": "x", "expires_in_days": 0]), .unprocessableContent),
            ]
            for (uri, body, status) in cases {
                try await client.execute(uri: uri, method: .post, headers: headers, body: body) { response in
                    #expect(response.status == status, "\(uri) \(String(buffer: body))")
                    #expect(response.headers[.contentType] == "application/problem+json")
                    #expect(!(response.json["detail"] as? String ?? "").isEmpty)
                }
            }
        }
    }

    @Test("a token made through the API works until it is revoked; disabling its user ends it too")
    func tokenLifecycle() async throws {
        try await TestApp.run { client, database in
            let (token, organisation) = try await adminToken(database)
            let caseworker = try await TestPeople.make(database, organisation: "vluchtelingenwerk", email: "cw@vw.example", roles: [.caseworker])
            let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            func makeToken() async throws -> (id: String, token: String) {
                try await client.execute(
                    uri: "/api/v1/organisations/\(organisation)/tokens", method: .post, headers: headers,
                    body: try json(["user_id": caseworker.id.uuidString, "name": "partner system", "expires_in_days": 30])
                ) { response in
                    #expect(response.status == .created)
                    return (response.json["id"] as? String ?? "", response.json["token"] as? String ?? "")
                }
            }
            func meStatus(_ token: String) async throws -> HTTPResponse.Status {
                try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer \(token)"]) { $0.status }
            }
            let first = try await makeToken()
            #expect(try await meStatus(first.token) == .ok)
            try await client.execute(uri: "/api/v1/organisations/\(organisation)/tokens/\(first.id)/revoke", method: .post, headers: headers) {
                #expect($0.status == .noContent)
            }
            #expect(try await meStatus(first.token) == .unauthorized)

            let second = try await makeToken()
            #expect(try await meStatus(second.token) == .ok)
            try await client.execute(uri: "/api/v1/organisations/\(organisation)/users/\(caseworker.id.uuidString)/disable", method: .post, headers: headers) {
                #expect($0.status == .noContent)
            }
            #expect(try await meStatus(second.token) == .unauthorized)
            try await client.execute(uri: "/api/v1/organisations/\(organisation)/tokens", method: .get, headers: headers) { response in
                let list = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [[String: Any]] ?? []
                #expect(list.count == 3)
                #expect(list.allSatisfy { $0["token"] == nil }, "a token list must never show a token")
                #expect(list.filter { $0["revoked_at"] != nil }.count == 2)
            }
        }
    }
}

@Suite("Request size limits")
struct RequestLimitTests {
    @Test("a body over 64 KiB is refused with 413 before anything reads it, on the API and on forms")
    func oversizedBodies() async throws {
        try await TestApp.run { client, _ in
            let big = ByteBuffer(repeating: UInt8(ascii: "x"), count: 70 * 1024)
            for (uri, type) in [("/api/v1/organisations/\(UUID().uuidString)/users", "application/json"), ("/sign-in", "application/x-www-form-urlencoded")] {
                try await client.execute(uri: uri, method: .post, headers: [.contentType: type], body: big) { response in
                    #expect(response.status == .contentTooLarge, "\(uri)")
                    #expect(response.headers[.contentType] == "application/problem+json" || response.headers[.contentType]?.hasPrefix("text/html") == true)
                }
            }
            // Directory imports take up to 1 MiB, and the answer names the limit of the path it was sent to.
            let huge = ByteBuffer(repeating: UInt8(ascii: "x"), count: 1024 * 1024 + 1)
            for (uri, body, limit) in [("/api/v1/organisations/\(UUID().uuidString)/users", big, "64 KiB"), ("/api/v1/directory/imports", huge, "1024 KiB")] {
                try await client.execute(uri: uri, method: .post, headers: [.contentType: "application/json"], body: body) { response in
                    #expect(response.status == .contentTooLarge, "\(uri)")
                    #expect(String(buffer: response.body).contains(limit), "\(uri): \(String(buffer: response.body))")
                }
            }
        }
    }
}

@Suite("A hub-admin manages organisations")
struct OrganisationAPITests {
    @Test("a hub-admin adds an organisation (with its type) and its first org-admin; a taken or malformed short name or type is refused")
    func createOrganisation() async throws {
        try await TestApp.run { client, database in
            let hub = try await TestPeople.make(database, organisation: "humanitas", email: "hub@koppel.example", roles: [.hubAdmin])
            let token = try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
                try await APITokenStore(client: db, logger: quietLogger).create(userID: hub.id, organisation: hub.organisation, name: "hub", expiresInDays: 1).token.value
            }
            let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            func post(_ uri: String, _ object: [String: Any]) async throws -> TestResponse {
                try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object)))
            }
            let created = try await post("/api/v1/organisations", ["slug": "fier", "name": "Fier", "kinds": ["referrer", "operator"]])
            #expect(created.status == .created)
            #expect(created.json["kinds"] as? [String] == ["operator", "referrer"])
            #expect(created.json["type"] as? String == "civil_society", "the type when none is given")
            let care = try await post("/api/v1/organisations", ["slug": "ggd-haaglanden", "name": "GGD Haaglanden", "kinds": ["referrer"], "type": "care"])
            #expect(care.json["type"] as? String == "care")
            #expect(try await post("/api/v1/organisations", ["slug": "y", "name": "Y", "kinds": ["referrer"], "type": "bank"]).status == .badRequest)
            let id = try #require(created.json["id"] as? String)
            #expect(try await post("/api/v1/organisations", ["slug": "fier", "name": "Fier 2", "kinds": ["referrer"]]).status == .conflict)
            #expect(try await post("/api/v1/organisations", ["slug": "Not A Slug!", "name": "X", "kinds": ["referrer"]]).status == .unprocessableContent)
            #expect(try await post("/api/v1/organisations", ["slug": "x", "name": "X", "kinds": ["bank"]]).status == .badRequest)
            // The contract's limits hold: 60 characters for a short name, 200 for a name.
            let long = try await post("/api/v1/organisations", ["slug": String(repeating: "a", count: 61), "name": "X", "kinds": ["referrer"]])
            #expect(long.status == .unprocessableContent)
            #expect((long.json["detail"] as? String ?? "").contains("`/slug` may have at most 60 characters"))
            #expect(try await post("/api/v1/organisations", ["slug": "lang", "name": String(repeating: "n", count: 201), "kinds": ["referrer"]])
                .status == .unprocessableContent)
            #expect(try await post("/api/v1/organisations", ["slug": "leeg", "name": "   ", "kinds": ["referrer"]]).status == .unprocessableContent)

            let admin = try await post("/api/v1/organisations/\(id)/users", ["email": "admin@fier.example", "display_name": "Beheer Fier", "roles": ["org-admin"]])
            #expect(admin.status == .created)
            let caseworker = try await post("/api/v1/organisations/\(id)/users", ["email": "cw@fier.example", "display_name": "CW", "roles": ["caseworker"]])
            #expect(caseworker.status == .forbidden, "a hub-admin creates an organisation's admins, not its caseworkers")
        }
    }
}

@Suite("Coordinators and their programmes")
struct CoordinatorScopeTests {
    @Test("a coordinator can only be given programmes their own organisation operates")
    func onlyOperatedProgrammes() async throws {
        try await TestApp.run { client, database in
            let admin = try await TestPeople.make(database, organisation: "stek", email: "admin@stek.example", roles: [.orgAdmin])
            let token = try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
                try await APITokenStore(client: db, logger: quietLogger).create(userID: admin.id, organisation: admin.organisation, name: "a", expiresInDays: 1).token.value
            }
            let twoGo = try await TestApp.programmeID(named: "2GO maatjesprojecten", client)
            let pimenta = try await TestApp.programmeID(named: "PIMENTA", client)
            let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            for (email, programme, status) in [("c1@stek.example", twoGo, HTTPResponse.Status.created), ("c2@stek.example", pimenta, .unprocessableContent)] {
                let body = try JSONSerialization.data(withJSONObject: [
                    "email": email, "display_name": "C", "roles": ["coordinator"], "coordinated_programme_ids": [programme],
                ])
                try await client.execute(uri: "/api/v1/organisations/\(admin.organisation.uuidString)/users", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
                    #expect(response.status == status, "\(email)")
                }
            }
        }
    }
}
