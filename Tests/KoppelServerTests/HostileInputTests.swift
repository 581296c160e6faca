import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelTestSupport
import Testing

/// Input an attacker would send: none of it may crash the server or reach PostgreSQL as a server error.
@Suite("Hostile input")
struct HostileInputTests {
    /// A cursor as the API's own, with any text inside.
    static func cursor(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    @Test("a referral cursor with a time out of range is a 422, and the server goes on answering")
    func cursorOutOfRange() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let id = UUID().uuidString.lowercased()
            for micros in ["-9223372036854775808", "9223372036854775807", "-1", "253402300800000000", "999999999999999999"] {
                let answer = try await api(.get, "/api/v1/referrals?cursor=\(Self.cursor("\(micros)|\(id)"))", as: cast.caseworker)
                #expect(answer.status == .unprocessableContent, "cursor time \(micros)")
                #expect(answer.detail.contains("cursor"))
            }
            #expect(try await api(.get, "/api/v1/referrals", as: cast.caseworker).status == .ok)
        }
    }

    @Test("days written with other digits than 0-9 are refused, not trapped on")
    func nonASCIIDigits() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            for day in ["٢٠٢٦-٠١-٠١", "２０２６-０１-０１", "2026-1-01", "0000-01-01", "2026-02-29"] {
                let encoded = day.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? day
                let answer = try await api(.get, "/api/v1/referrals?created_from=\(encoded)", as: cast.caseworker)
                #expect(answer.status == .badRequest, "day \(day)")
            }
            let check = try await api(
                .post, "/api/v1/clients/duplicate-check", as: cast.caseworker,
                ["name": "Test Persoon", "birth_date": "١٩٩٠-٠١-٠١", "programme_id": cast.twoGoID])
            #expect(check.status == .badRequest)
        }
    }

    @Test("NUL in a path, a query, a JSON body or a form is a 400 that names it, signed in or not")
    func nulCharacters() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let clientID = try await api.consentedClient(as: cast.caseworker)
            let answers = [
                try await api(.get, "/api/v1/referrals?state=sub%00mitted", as: cast.caseworker),
                try await api(.get, "/api/v1/programmes/%00", as: nil),
                try await api(.post, "/api/v1/clients", as: cast.caseworker, ["name": "Test\u{0}Persoon", "birth_date": "1990-01-01"]),
                try await api(.patch, "/api/v1/clients/\(clientID)", as: cast.caseworker, ["notes": "a\u{0}b"]),
                try await api(
                    .post, "/api/v1/clients/duplicate-check", as: cast.caseworker,
                    ["name": "\u{0}", "birth_date": "1990-01-01", "programme_id": cast.twoGoID]),
            ]
            for answer in answers {
                #expect(answer.status == .badRequest)
                #expect(answer.detail.contains("NUL"))
            }
            let form = try await client.execute(
                uri: "/sign-in", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "email=a%00b%40example.org&password=x&csrf_token=t")
            ) { $0.status }
            #expect(form == .badRequest)
            // A backslash before u0000 is text, not a NUL: the value is stored as written.
            let literal = try await api(.patch, "/api/v1/clients/\(clientID)", as: cast.caseworker, ["notes": "C:\\u0000"])
            #expect(literal.status == .noContent)
        }
    }

    @Test("the contract's length limits hold where they were not checked: a service area's name, a duplicate check's name")
    func lengthLimits() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let area = try await api(
                .patch, "/api/v1/programmes/\(cast.twoGoID)", as: cast.twoGo, ["service_areas": [["name": String(repeating: "x", count: 201)]]])
            #expect(area.status == .unprocessableContent)
            #expect(area.detail.contains("`/service_areas/0/name` may have at most 200 characters"))
            let check = try await api(
                .post, "/api/v1/clients/duplicate-check", as: cast.caseworker,
                ["name": String(repeating: "x", count: 5000), "birth_date": "1990-01-01", "programme_id": cast.twoGoID])
            #expect(check.status == .unprocessableContent)
            let cursor = try await api(.get, "/api/v1/referrals?cursor=\(String(repeating: "A", count: 5000))", as: cast.caseworker)
            #expect(cursor.status == .badRequest)
        }
    }

    @Test("the API takes no session cookie: a cross-site form cannot act through a signed-in browser")
    func apiIgnoresCookies() async throws {
        try await TestApp.run { client, database in
            let (caseworker, _, twoGo) = try await TestPeople.caseworkerAndTwoGoCoordinator(client, database)
            #expect(try await caseworker.get("/account").status == .ok, "the browser is signed in")
            for (uri, method) in [("/api/v1/me", HTTPRequest.Method.get), ("/api/v1/clients", .post)] {
                let answer = try await caseworker.send(
                    uri, method: method, headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: method == .post ? ByteBuffer(string: "name=Forged&birth_date=1990-01-01") : nil)
                // Refused as unauthenticated, or as a form the API does not read: either way nothing is done.
                #expect([.unauthorized, .unsupportedMediaType].contains(answer.status), "\(uri) with only the session cookie")
            }
            let json = try await caseworker.send(
                "/api/v1/clients/duplicate-check", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: "{\"name\": \"A\", \"birth_date\": \"1990-01-01\", \"programme_id\": \"\(twoGo)\"}"))
            #expect(json.status == .unauthorized)
        }
    }

    @Test("every answer carries HSTS; an answer with identifying data may not be stored by browser or proxy")
    func cachingAndTransport() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let id = try await api.consentedClient(as: cast.caseworker)
            try await client.execute(
                uri: "/api/v1/clients/\(id)/reveal", method: .post,
                headers: [.authorization: "Bearer \(cast.caseworker)", .contentType: "application/json"],
                body: ByteBuffer(string: "{\"purpose\": \"share_identity\"}")
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "no-store")
                #expect(response.headers[.strictTransportSecurity]?.hasPrefix("max-age=31536000") == true)
            }
            try await client.execute(uri: "/api/v1/referrals", method: .get, headers: [.authorization: "Bearer \(cast.caseworker)"]) {
                #expect($0.headers[.cacheControl] == "no-store")
            }
            try await client.execute(uri: "/", method: .get) { #expect($0.headers[.strictTransportSecurity] != nil) }
        }
    }

    @Test("ways around the door are closed: a key given twice, a body without a type, a form sent as text, a doubled slash")
    func aroundTheDoor() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let long = String(repeating: "x", count: 300)
            let twice = "{\"name\": \"\(long)\", \"name\": \"Kort\", \"birth_date\": \"1990-01-01\", \"programme_id\": \"\(cast.twoGoID)\"}"
            let reordered = "{\"name\": \"Kort\", \"name\": \"\(long)\", \"birth_date\": \"1990-01-01\", \"programme_id\": \"\(cast.twoGoID)\"}"
            for body in [twice, reordered] {
                let status = try await client.execute(
                    uri: "/api/v1/clients/duplicate-check", method: .post,
                    headers: [.authorization: "Bearer \(cast.caseworker)", .contentType: "application/json"], body: ByteBuffer(string: body)
                ) { $0.status }
                #expect(status != .ok || body == reordered, "the value the handler reads is the one checked")
                if body == twice { #expect(status == .unprocessableContent) }
            }
            let untyped = try await client.execute(
                uri: "/api/v1/clients", method: .post, headers: [.authorization: "Bearer \(cast.caseworker)"],
                body: ByteBuffer(string: "{\"name\": \"A\\u0000B\", \"birth_date\": \"1990-01-01\"}")
            ) { $0.status }
            #expect(untyped == .badRequest, "NUL in a body that declares no type")
            let textForm = try await client.execute(
                uri: "/sign-in", method: .post, headers: [.contentType: "text/plain"],
                body: ByteBuffer(string: "csrf_token=x&email=a%00b&password=p")
            ) { $0.status }
            #expect(textForm == .badRequest)
            let plain = try await client.execute(
                uri: "/sign-in", method: .post, headers: [.contentType: "text/plain"], body: ByteBuffer(string: "csrf_token=x&email=a&password=p")
            ) { $0.status }
            #expect(plain == .unsupportedMediaType)
            let doubled = try await client.execute(uri: "//api/v1/me", method: .get, headers: [.authorization: "Bearer \(cast.caseworker)"]) { $0.status }
            #expect(doubled == .notFound)
            let encodedName = try await client.execute(
                uri: "/api/v1/statistics?pro%67ramme=\(cast.twoGoID)&pro%67ramme=\(cast.twoGoID)", method: .get,
                headers: [.authorization: "Bearer \(cast.funder)"]
            ) { $0.status }
            #expect(encodedName == .badRequest, "a programme named twice, its name percent-encoded")
        }
    }

    @Test("an id in a body must be written out in full: one with a space or a sign in a group, which Foundation reads as an id, is refused and nothing is filed")
    func idsInFull() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let person = try await api.consentedClient(as: cast.caseworker)
            for odd in [String(person.prefix(24)) + " " + person.dropFirst(25), String(person.prefix(24)) + "+" + person.dropFirst(25)] {
                #expect(UUID(uuidString: odd) != nil, "the premise: Foundation reads \(odd) as an id")
                let refused = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["client_id": odd]))
                #expect(refused.status == .badRequest)
                #expect(refused.detail.contains("`/client_id`") && refused.detail.contains("not an id"), "\(refused.detail)")
            }
            let listed = try await api(.get, "/api/v1/referrals", as: cast.caseworker)
            #expect((listed.json["items"] as? [Any])?.isEmpty == true, "nothing was filed")
            let filed = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["client_id": person]))
            #expect(filed.status == .created, "the same referral with the id in full is filed: \(filed.detail)")
        }
    }

    @Test("a body sent as JSON that the contract's check cannot read is refused before any handler: a number no double holds, under a key the handler ignores or given twice")
    func unreadableNumbers() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let uri = "/api/v1/programmes/\(cast.twoGoID)"
            let long = String(repeating: "x", count: 4001)
            func patch(_ body: String, type: String = "application/json") async throws -> (HTTPResponse.Status, String) {
                let headers: HTTPFields = [.authorization: "Bearer \(cast.twoGo)", .contentType: type]
                return try await client.execute(uri: uri, method: .patch, headers: headers, body: ByteBuffer(string: body)) {
                    ($0.status, String(buffer: $0.body))
                }
            }
            for body in [
                "{\"application_process_nl\": \"\(long)\", \"service_areas\": [{\"name\": \"x\", \"z\": 1e400}]}",
                "{\"application_process_nl\": \"\(long)\", \"application_process_nl\": 1e400}",
                "{\"application_process_nl\": \"\(long)\", \"places_total\": 1-2}",
            ] {
                let (status, text) = try await patch(body)
                #expect([.badRequest, .unprocessableContent].contains(status) && !text.contains(long), "\(status) \(text.prefix(200))")
            }
            #expect(try await patch("{\"places_total\": 1e400}", type: "text/plain").0 == .unsupportedMediaType, "not sent as JSON: 415, as before")
            let stored = try await AdminDatabase.count(
                database, "SELECT count(*) FROM programmes WHERE id = '\(cast.twoGoID)' AND length(coalesce(application_process_nl, '')) > 4000")
            #expect(stored == 0, "nothing too long was stored")
        }
    }
}
