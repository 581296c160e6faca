import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelStore
import KoppelTestSupport
import Logging
import Testing
@Suite("Health, readiness and the API contract")
struct OperationalTests {
    @Test("healthz answers 200 and readyz 200 when the database answers and migrations are current")
    func readyWhenCurrent() async throws {
        try await TestApp.run(.migrated) { client, _ in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["status"] as? String == "ready")
            }
        }
    }

    @Test("readyz is 503 naming the first pending migration when the schema is behind")
    func notReadyWhenMigrationsPending() async throws {
        try await TestApp.run(.empty) { client, _ in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType] == "application/problem+json")
                let detail = response.json["detail"] as? String ?? ""
                #expect(detail.contains("schema/0001_directory.sql"))
                #expect(detail.contains("koppel migrate"))
            }
        }
    }

    @Test("readyz is 503 when the server is connected as a superuser, which row-level security would not bind")
    func notReadyAsSuperuser() async throws {
        try await TestApp.run(.migrated, connectAs: .admin) { client, _ in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect((response.json["detail"] as? String ?? "").contains("superuser"))
            }
        }
    }

    @Test("readyz is 503 when the server is connected as the owner of the tables, who could undo row-level security")
    func notReadyAsOwner() async throws {
        try await TestApp.run(.migrated, connectAs: .owner) { client, _ in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect((response.json["detail"] as? String ?? "").contains("owner"))
            }
        }
    }

    @Test("readyz is 503 when the vault's login is the tables' owner")
    func notReadyWithOwnerAsVault() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            try await TestApp.run(databaseURL: database.appURL, vaultURL: database.ownerURL) { client in
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect((response.json["detail"] as? String ?? "").contains("vault role"))
                }
            }
        }
    }

    @Test("with PostgreSQL unreachable the server stays up: healthz 200, readyz 503 within seconds, API 503")
    func databaseDown() async throws {
        let environment = try TestEnvironment.current()
        var unreachable = environment.app
        unreachable.port = 1  // nothing listens on port 1
        try await TestApp.run(databaseURL: unreachable, requestTimeoutSeconds: 5) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            let started = ContinuousClock.now
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect((response.json["detail"] as? String ?? "").hasPrefix("Not ready"))
            }
            #expect(ContinuousClock.now - started < .seconds(10))
            try await client.execute(uri: "/api/v1/programmes", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect((response.json["detail"] as? String)?.contains("Nothing was changed") == true)
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.text.contains("Er ging iets mis"))
            }
        }
    }

    @Test("the API contract is served as OpenAPI 3.1, and each of its paths is a route")
    func contractServed() async throws {
        try await TestApp.run(.seeded) { client, _ in
            let contract = try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/yaml") == true)
                return response.text
            }
            #expect(contract.hasPrefix("openapi: 3.1.0"))
            let paths = contract.split(separator: "\n").filter { $0.hasPrefix("  /") }.map { $0.dropFirst(2).dropLast() }
            #expect(!paths.isEmpty)
            for path in paths {
                let concrete = path.replacingOccurrences(of: "{id}", with: UUID().uuidString)
                try await client.execute(uri: "/api/v1" + concrete, method: .get) { response in
                    let detail = (response.json["detail"] as? String) ?? ""
                    #expect(!detail.hasPrefix("There is nothing at"), "\(path) is in the contract but not served")
                }
            }
        }
    }
}
