import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelStore
import KoppelTestSupport
import Logging
import Testing
@Suite("The programme directory API")
struct APITests {
    @Test("lists the five programmes with HSDS field names, ordered by name")
    func list() async throws {
        try await TestApp.run { client, _ in
            try await client.execute(uri: "/api/v1/programmes", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let body = response.json
                let contents = try #require(body["contents"] as? [[String: Any]])
                #expect(body["total_items"] as? Int == 5)
                #expect(contents.compactMap { $0["name"] as? String } == [
                    "2GO maatjesprojecten", "Aan de Slag", "Humanitas Tandem", "Perspectief+", "PIMENTA",
                ])
                let pimenta = try #require(contents.first { $0["name"] as? String == "PIMENTA" })
                #expect(pimenta["minimum_age"] as? Int == 16)
                #expect(pimenta["maximum_age"] as? Int == 25)
                #expect(pimenta["status"] as? String == "active")
                #expect((pimenta["organization"] as? [String: Any])?["name"] as? String == "De Aanzet")
                #expect((pimenta["service_areas"] as? [[String: Any]])?.first?["name"] as? String == "Mechelen")
                #expect(pimenta["eligibility_description"] is String)
            }
        }
    }

    @Test("one programme by id; Accept-Language en gives English texts and labels")
    func oneInEnglish() async throws {
        try await TestApp.run { client, _ in
            let id = try await TestApp.programmeID(named: "2GO maatjesprojecten", client)
            try await client.execute(uri: "/api/v1/programmes/\(id)", method: .get) { response in
                let body = response.json
                #expect(body["id"] as? String == id)
                #expect((body["description"] as? String)?.hasPrefix("Een vrijwillig maatje") == true)
                #expect(body["typical_duration_months"] as? Int == 12)
                let groups = (body["target_groups"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
                #expect(groups == ["slachtoffers van mensenhandel", "slachtoffers van huiselijk geweld"])
            }
            try await client.execute(uri: "/api/v1/programmes/\(id)", method: .get, headers: [.acceptLanguage: "en-GB,en;q=0.9"]) { response in
                let body = response.json
                #expect((body["description"] as? String)?.hasPrefix("A volunteer buddy") == true)
                let groups = (body["target_groups"] as? [[String: Any]])?.compactMap { $0["code"] as? String }
                #expect(groups == ["human_trafficking", "domestic_violence"])
                let names = (body["target_groups"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
                #expect(names == ["victims of human trafficking", "victims of domestic violence"])
            }
        }
    }

    @Test("an unknown id is 404 and a malformed id 400, both as problem details that say what to do")
    func badIDs() async throws {
        try await TestApp.run { client, _ in
            try await client.execute(uri: "/api/v1/programmes/\(UUID().uuidString)", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
                let body = response.json
                #expect(body["status"] as? Int == 404)
                #expect(body["title"] as? String == "Not Found")
                #expect((body["detail"] as? String)?.contains("/api/v1/programmes") == true)
            }
            try await client.execute(uri: "/api/v1/programmes/not-a-uuid", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect((response.json["detail"] as? String)?.contains("UUID") == true)
            }
        }
    }

    @Test("unknown routes are 404 and wrong methods 405 with Allow, as problem details; HEAD works where GET does")
    func routing() async throws {
        try await TestApp.run { client, _ in
            try await client.execute(uri: "/api/v1/nothing-here", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(response.json["instance"] as? String == "/api/v1/nothing-here")
            }
            for method: HTTPRequest.Method in [.post, .put, .delete, .patch] {
                try await client.execute(uri: "/api/v1/programmes", method: method, body: ByteBuffer(string: "{")) { response in
                    #expect(response.status == .methodNotAllowed)
                    #expect(response.headers[.allow] == "GET, HEAD")
                    #expect(response.headers[.contentType] == "application/problem+json")
                }
            }
            try await client.execute(uri: "/api/v1/programmes", method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
            }
            // A path of fixed words is a path of its own, even where a path with a parameter in its place has the method.
            let subscription = "/api/v1/organisations/\(UUID())/webhooks/\(UUID())"
            for (method, path, allow) in [
                (HTTPRequest.Method.patch, "/api/v1/clients/duplicate-check", "POST"),
                (.post, subscription + "/attempts", "GET, HEAD"), (.post, subscription + "/deliveries", "GET, HEAD"),
            ] {
                try await client.execute(uri: path, method: method, body: ByteBuffer(string: "{}")) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                    #expect(response.headers[.allow] == allow, "\(method) \(path)")
                }
            }
            try await client.execute(uri: "/api/v1/clients/\(UUID())", method: .patch, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status != .methodNotAllowed)
            }
        }
    }

    @Test("every response carries the security headers, errors included")
    func securityHeaders() async throws {
        try await TestApp.run { client, _ in
            let requests: [(String, HTTPRequest.Method)] = [
                ("/api/v1/programmes", .get), ("/api/v1/programmes", .post), ("/nowhere", .get), ("/", .get),
                ("/static/koppel.css", .get), ("/healthz", .get), ("/openapi.yaml", .get), ("/programmes/x", .get),
            ]
            for (uri, method) in requests {
                try await client.execute(uri: uri, method: method) { response in
                    let csp = response.headers[.contentSecurityPolicy] ?? ""
                    #expect(csp.contains("default-src 'none'") && !csp.contains("unsafe-inline") && !csp.contains("script-src"), "\(uri)")
                    #expect(csp.contains("frame-ancestors 'none'"), "\(uri)")
                    #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(uri)")
                    #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", "\(uri)")
                    #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY", "\(uri)")
                }
            }
        }
    }

    @Test("each response has a request id; a caller's plain id is kept, anything else replaced")
    func requestIDs() async throws {
        let requestID = HTTPField.Name("X-Request-ID")!
        try await TestApp.run { client, _ in
            let first = try await client.execute(uri: "/healthz", method: .get) { $0.headers[requestID] }
            let second = try await client.execute(uri: "/healthz", method: .get) { $0.headers[requestID] }
            #expect(first != nil && first != second)
            try await client.execute(uri: "/healthz", method: .get, headers: [requestID: "lb-1234.abc"]) {
                #expect($0.headers[requestID] == "lb-1234.abc")
            }
            try await client.execute(uri: "/healthz", method: .get, headers: [requestID: "x\" injected=\"1"]) {
                #expect($0.headers[requestID] != "x\" injected=\"1")
                #expect(UUID(uuidString: $0.headers[requestID] ?? "") != nil)
            }
        }
    }
}
